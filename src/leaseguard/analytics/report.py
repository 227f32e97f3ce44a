"""Writing the analytics out: CSV tables (yuan, never fen), one XLSX workbook (numbers with formats, a header
in the reader's language), PNG charts (matplotlib's Agg canvas, the packaged CJK font, names on every bar)
and a self-contained report.html that opens with a one-page summary, then embeds every chart and table."""

from __future__ import annotations

import base64
import datetime as dt
import html
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from matplotlib import colormaps

from leaseguard.analytics.rules import AnalyticsRules
from leaseguard.analytics.summary import BookSummary
from leaseguard.charts import new_figure, png_bytes
from leaseguard.money import grouped_yuan
from leaseguard.sheets import Column, Kind, Sheet, write_csv, write_sheets
from leaseguard.vocabulary import (
    CLASS_LABELS,
    CLASS_LABELS_EN,
    DEFAULT_LANG,
    LEASE_TYPE_LABELS,
    LEASE_TYPE_LABELS_EN,
    TERM_LABELS,
    TERM_LABELS_EN,
    Label,
    Lang,
    Reason,
    label_of,
)

NO_CLASSES_TODAY, NO_CLASSES_BEFORE = "no-classes-today", "no-classes-before"
NOTE_LABELS = {
    NO_CLASSES_TODAY: Label(
        "{day} 没有已保存的五级分类结果：不良率与分类迁徙未列出（请先运行 leaseguard run daily --as-of {day}）。",
        "No stored classes for {day}: NPL ratios and class migration left out (run `leaseguard run daily` for "
        "that date first).",
    ),
    NO_CLASSES_BEFORE: Label(
        "{day} 没有已保存的五级分类结果：分类迁徙未列出。",
        "No stored classes for {day}: class migration left out.",
    ),
}
NEW, EXITED = "new", "exited"
_MOVES = {NEW: Label("新增", "new"), EXITED: Label("退出", "exited"), "settled": Label("结清", "settled")}


@dataclass
class AnalyticsTables:
    """Everything `leaseguard book analytics` computed for one as_of; an absent part is None with a note."""

    as_of: dt.date
    vintage: pl.DataFrame
    roll_transitions: pl.DataFrame
    roll_matrix: pl.DataFrame
    migration: pl.DataFrame | None = None
    migration_matrix: pl.DataFrame | None = None
    migration_from: dt.date | None = None
    npl: pl.DataFrame | None = None
    summary: BookSummary | None = None
    notes: list[Reason] = field(default_factory=list)

    def tables(self) -> dict[str, pl.DataFrame]:
        named: dict[str, pl.DataFrame | None] = {
            "vintage": self.vintage,
            "roll_rate_matrix": self.roll_matrix,
            "roll_rate_transitions": self.roll_transitions,
            "class_migration": self.migration,
            "class_migration_matrix": self.migration_matrix,
            "npl_ratio": self.npl,
        }
        return {name: frame for name, frame in named.items() if frame is not None}

    def notes_in(self, lang: Lang = DEFAULT_LANG) -> list[str]:
        return [note.text(NOTE_LABELS, lang) for note in self.notes]


# Every column the analytics tables carry: its header in each language and what its cells hold. A `_fen`
# column is written as yuan under its name without the suffix.
_COLUMNS: dict[str, tuple[str, str, Kind]] = {
    "cohort": ("起租批次", "Cohort", "text"),
    "months_on_book": ("账龄（月）", "Months on book", "integer"),
    "dpd_threshold": ("逾期天数阈值", "DPD threshold", "integer"),
    "contracts": ("合同数", "Contracts", "integer"),
    "principal_fen": ("本金（元）", "Principal (yuan)", "money_fen"),
    "contracts_exposed": ("观察合同数", "Contracts observed", "integer"),
    "contracts_reached": ("达到阈值合同数", "Contracts reaching it", "integer"),
    "principal_exposed_fen": ("观察本金（元）", "Principal observed (yuan)", "money_fen"),
    "principal_reached_fen": ("达到阈值本金（元）", "Principal reaching it (yuan)", "money_fen"),
    "share_contracts": ("合同占比", "Share of contracts", "ratio"),
    "share_principal": ("本金占比", "Share of principal", "ratio"),
    "month_from": ("起始月末", "From month-end", "date"),
    "month_to": ("截止月末", "To month-end", "date"),
    "from_bucket": ("原逾期档位", "From bucket", "text"),
    "to_bucket": ("现逾期档位", "To bucket", "text"),
    "origin_contracts": ("原档位合同数", "Contracts in the origin", "integer"),
    "share": ("占比", "Share", "ratio"),
    "from_class": ("原分类", "From class", "text"),
    "to_class": ("现分类", "To class", "text"),
    "claim_balance_fen": ("债权余额（元）", "Claim balance (yuan)", "money_fen"),
    "dimension": ("维度", "Dimension", "text"),
    "value": ("取值", "Value", "text"),
    "npl_contracts": ("不良合同数", "NPL contracts", "integer"),
    "npl_claim_balance_fen": ("不良债权余额（元）", "NPL claim balance (yuan)", "money_fen"),
    "npl_ratio": ("不良率", "NPL ratio", "ratio"),
}
_DIMENSIONS = {
    "all": Label("全部", "all"), "lessor": Label("出租人", "lessor"), "industry": Label("行业", "industry"),
    "region": Label("地区", "region"), "asset_type": Label("租赁物类型", "asset type"),
    "product": Label("产品", "product"),
}  # fmt: skip


def bucket_label(name: str, rules: AnalyticsRules, lang: Lang = DEFAULT_LANG) -> str:
    """A DPD bucket in words from its bounds in the rule file ('逾期30-59天', '30-59 DPD'); settled and
    anything not a bucket as itself or its move label."""
    bounds = [bucket.lower_days for bucket in rules.dpd_buckets]
    names = rules.bucket_names
    if name not in names:
        return _MOVES[name].text(lang) if name in _MOVES else name
    index = names.index(name)
    low = bounds[index]
    high = bounds[index + 1] - 1 if index + 1 < len(bounds) else None
    if low == 0 and high == 0:
        return "未逾期" if lang == "zh" else "current"
    if high is None:
        return f"逾期{low}天以上" if lang == "zh" else f"{low}+ DPD"
    return f"逾期{low}-{high}天" if lang == "zh" else f"{low}-{high} DPD"


def class_label(name: str, lang: Lang = DEFAULT_LANG) -> str:
    return _MOVES[name].text(lang) if name in _MOVES else label_of(CLASS_LABELS, CLASS_LABELS_EN, name, lang)


def dimension_label(name: str, lang: Lang = DEFAULT_LANG) -> str:
    return _DIMENSIONS[name].text(lang) if name in _DIMENSIONS else name


# A dimension's value as people read it: the book's own words (industry, region) stay as written; codes (asset
# types, lease products, the whole book, a value the book does not state) are said in words.
_NOT_STATED = Label("未填写", "not stated")


def value_label(
    dimension: str, value: str, lang: Lang = DEFAULT_LANG, rules: AnalyticsRules | None = None
) -> str:
    """`value` of `dimension` as people read it in `lang` (a region by the province names of `rules`)."""
    if value == "unknown":
        return _NOT_STATED.text(lang)
    if dimension == "all":
        return _DIMENSIONS["all"].text(lang)
    if dimension == "asset_type" and value in TERM_LABELS:
        return label_of(TERM_LABELS, TERM_LABELS_EN, value, lang)
    if dimension == "product" and value in LEASE_TYPE_LABELS:
        return label_of(LEASE_TYPE_LABELS, LEASE_TYPE_LABELS_EN, value, lang)
    if dimension == "region" and rules is not None:
        return rules.region_in(value, lang)
    return value


def _column(name: str, frame: pl.DataFrame, rules: AnalyticsRules) -> Column:
    if name in _COLUMNS:
        chinese, english, kind = _COLUMNS[name]
        return Column(name.removesuffix("_fen"), chinese, kind, english=english)
    # A matrix's destination columns: buckets (shares of the origin) or classes (counts).
    if name in rules.bucket_names or name == "settled":
        chinese, english = bucket_label(name, rules, "zh"), bucket_label(name, rules, "en")
    else:
        chinese, english = class_label(name, "zh"), class_label(name, "en")
    return Column(name, chinese, "ratio" if frame.schema[name].is_float() else "integer", english=english)


def _people_frame(frame: pl.DataFrame, rules: AnalyticsRules, lang: Lang) -> pl.DataFrame:
    """A table as people read it: codes in words (buckets, classes, dimensions) in `lang`."""
    words: dict[str, Any] = {}
    for column in ("from_bucket", "to_bucket"):
        if column in frame.columns:
            words[column] = lambda value, lang=lang: bucket_label(value, rules, lang)
    for column in ("from_class", "to_class"):
        if column in frame.columns:
            words[column] = lambda value, lang=lang: class_label(value, lang)
    if "dimension" in frame.columns:
        words["dimension"] = lambda value, lang=lang: dimension_label(value, lang)
        if "value" in frame.columns:
            key = pl.concat_str([pl.col("dimension"), pl.lit("\x1f"), pl.col("value").cast(pl.String)])
            pairs = (
                frame.select("dimension", pl.col("value").cast(pl.String)).unique().drop_nulls().iter_rows()
            )
            shown = {
                f"{dimension}\x1f{value}": value_label(dimension, value, lang, rules)
                for dimension, value in pairs
            }
            frame = frame.with_columns(
                key.replace_strict(shown, default=None, return_dtype=pl.String).alias("value")
            )
    return frame.with_columns(
        pl.col(column).replace_strict(
            {value: say(value) for value in frame[column].unique().drop_nulls().to_list()},
            default=None,
            return_dtype=pl.String,
        )
        for column, say in words.items()
    )


def _csv_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Money as yuan text under the name without `_fen` (a CSV for people never shows fen)."""
    from leaseguard.money import yuan_column

    money = [name for name in frame.columns if name.endswith("_fen")]
    return frame.with_columns(yuan_column(pl.col(name)).alias(name) for name in money).rename(
        {name: name.removesuffix("_fen") for name in money}
    )


@dataclass(frozen=True)
class WrittenReport:
    tables: dict[str, Path]
    workbook: Path
    charts: dict[str, Path]
    html: Path


_SHEET_TITLES = {
    "vintage": Label("账龄分析", "Vintage"), "roll_rate_matrix": Label("滚动率矩阵", "Roll-rate matrix"),
    "roll_rate_transitions": Label("滚动率明细", "Roll-rate transitions"),
    "class_migration": Label("分类迁徙明细", "Class migration"),
    "class_migration_matrix": Label("分类迁徙矩阵", "Class migration matrix"),
    "npl_ratio": Label("不良率", "NPL ratio"),
}  # fmt: skip


def write_report(
    result: AnalyticsTables, rules: AnalyticsRules, out_dir: Path, lang: Lang = DEFAULT_LANG
) -> WrittenReport:
    out_dir.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Path] = {}
    sheets = []
    for name, frame in result.tables().items():
        people = _people_frame(frame, rules, lang)
        path = out_dir / f"{name}.csv"
        write_csv(_csv_frame(people), path, date_format="%Y-%m-%d")
        tables[name] = path
        columns = [_column(column, frame, rules) for column in frame.columns]
        sheets.append(Sheet(_SHEET_TITLES[name].text(lang), columns, people.iter_rows()))
    workbook = out_dir / "analytics.xlsx"
    write_sheets(workbook, sheets, lang=lang)
    charts = {name: out_dir / f"{name}.png" for name in ("vintage_curves", "roll_rates")}
    charts["vintage_curves"].write_bytes(vintage_chart(result.vintage, lang))
    charts["roll_rates"].write_bytes(roll_chart(result.roll_matrix, rules, lang))
    if result.migration_matrix is not None:
        charts["class_migration"] = out_dir / "class_migration.png"
        charts["class_migration"].write_bytes(migration_chart(result.migration_matrix, lang))
    if result.npl is not None:
        for dimension in rules.npl_dimensions:
            path = out_dir / f"npl_by_{dimension}.png"
            path.write_bytes(npl_chart(result.npl, dimension, lang, rules))
            charts[f"npl_by_{dimension}"] = path
    page = out_dir / "report.html"
    page.write_text(report_html(result, charts, rules, lang), encoding="utf-8")
    return WrittenReport(tables=tables, workbook=workbook, charts=charts, html=page)


def _say(chinese: str, english: str, lang: Lang) -> str:
    return chinese if lang == "zh" else english


def vintage_chart(vintage: pl.DataFrame, lang: Lang = DEFAULT_LANG) -> bytes:
    thresholds = sorted(vintage["dpd_threshold"].unique().to_list()) if not vintage.is_empty() else []
    figure = new_figure(6 * max(1, len(thresholds)), 4.5)
    axes = figure.subplots(1, max(1, len(thresholds)), squeeze=False)
    for axis, threshold in zip(axes[0], thresholds, strict=False):
        curves = vintage.filter(pl.col("dpd_threshold") == threshold)
        cohorts = sorted(curves["cohort"].unique().to_list())
        colours = colormaps["viridis"].resampled(max(2, len(cohorts)))
        for position, cohort in enumerate(cohorts):
            line = curves.filter(pl.col("cohort") == cohort).sort("months_on_book")
            axis.plot(
                line["months_on_book"].to_list(),
                (line["share_contracts"] * 100).to_list(),
                label=cohort,
                color=colours(position),
            )
        axis.set_title(
            _say(
                f"账龄分析：逾期{threshold}天以上合同占比", f"Vintage: share reaching {threshold}+ DPD", lang
            )
        )
        axis.set_xlabel(_say("账龄（月）", "months on book", lang))
        axis.set_ylabel(_say("累计合同占比（%）", "% of contracts (cumulative)", lang))
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, ncol=2)
    if not thresholds:
        axes[0][0].text(
            0.5, 0.5, _say("没有历史头寸", "no positions history", lang), ha="center", va="center"
        )
    return png_bytes(figure)


def matrix_chart(
    values: Any, rows: list[str], columns: list[str], title: str, lang: Lang, *, percent: bool = True
) -> bytes:
    figure = new_figure(1.1 * len(columns) + 3, 0.6 * len(rows) + 2)
    axis = figure.subplots()
    axis.imshow(values, cmap="Reds", aspect="auto", vmin=0)
    axis.set_xticks(range(len(columns)), labels=columns, rotation=35, ha="right")
    axis.set_yticks(range(len(rows)), labels=rows)
    darkest = float(values.max()) if values.size else 0.0
    for y in range(len(rows)):
        for x in range(len(columns)):
            value = values[y, x]
            # White on the darker reds, so every figure stays readable on its cell.
            colour = "white" if darkest > 0 and value > 0.55 * darkest else "black"
            axis.text(
                x, y, f"{value:.1%}" if percent else f"{value:,.0f}", ha="center", va="center", fontsize=8,
                color=colour,
            )  # fmt: skip
    axis.set_xlabel(_say("迁徙至", "to", lang))
    axis.set_ylabel(_say("迁徙自", "from", lang))
    axis.set_title(title)
    return png_bytes(figure)


def roll_chart(matrix: pl.DataFrame, rules: AnalyticsRules, lang: Lang = DEFAULT_LANG) -> bytes:
    columns = [name for name in matrix.columns if name not in ("from_bucket", "contracts")]
    return matrix_chart(
        matrix.select(columns).fill_null(0).to_numpy().astype(float),
        [bucket_label(name, rules, lang) for name in matrix["from_bucket"].to_list()],
        [bucket_label(name, rules, lang) for name in columns],
        _say("滚动率（合同占比）", "Roll rates (share of contracts)", lang),
        lang,
    )


def migration_chart(matrix: pl.DataFrame, lang: Lang = DEFAULT_LANG) -> bytes:
    columns = [name for name in matrix.columns if name != "from_class"]
    return matrix_chart(
        matrix.select(columns).fill_null(0).to_numpy().astype(float),
        [class_label(name, lang) for name in matrix["from_class"].to_list()],
        [class_label(name, lang) for name in columns],
        _say("五级分类迁徙（合同数）", "Class migration (contracts)", lang),
        lang,
        percent=False,
    )


def npl_rows(npl: pl.DataFrame, dimension: str) -> pl.DataFrame:
    """One dimension's rows, largest claim balance first."""
    return npl.filter(pl.col("dimension") == dimension).sort(
        ["claim_balance_fen", "value"], descending=[True, False]
    )


def npl_chart(
    npl: pl.DataFrame, dimension: str, lang: Lang = DEFAULT_LANG, rules: AnalyticsRules | None = None
) -> bytes:
    bars = npl_rows(npl, dimension).head(25)
    figure = new_figure(8, 0.3 * bars.height + 1.5)
    axis = figure.subplots()
    labels = [value_label(dimension, str(value), lang, rules) for value in bars["value"].to_list()]
    axis.barh(labels[::-1], (bars["npl_ratio"] * 100).to_list()[::-1], color="#b03a2e")
    axis.set_xlabel(_say("不良率（占债权余额 %）", "NPL ratio, % of claim balance", lang))
    axis.set_ylabel(dimension_label(dimension, lang))
    axis.set_title(
        _say(
            f"按{dimension_label(dimension)}的不良率",
            f"NPL ratio by {dimension_label(dimension, 'en')}",
            lang,
        )
    )
    axis.grid(axis="x", alpha=0.3)
    return png_bytes(figure)


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{(value * 100).quantize(Decimal('0.01'))}%"


def summary_html(summary: BookSummary | None, notes: list[str], lang: Lang) -> str:
    """The one-page summary: size, NPL ratio, provision coverage, migration, the largest moves."""
    title = _say("概览", "Summary", lang)
    if summary is None:
        return (
            f"<section class=summary><h2>{title}</h2>"
            + "".join(f"<p class=note>{html.escape(note)}</p>" for note in notes)
            + "</section>"
        )
    figures = [
        (_say("合同数", "Contracts", lang), f"{summary.contracts:,}"),
        (_say("债权余额（元）", "Claim balance (yuan)", lang), grouped_yuan(summary.claim_balance_fen)),
        (
            _say("不良债权余额（元）", "NPL claim balance (yuan)", lang),
            grouped_yuan(summary.npl_claim_balance_fen),
        ),
        (_say("不良率", "NPL ratio", lang), _percent(summary.npl_ratio)),
        (
            _say("拨备余额（元）", "Provisions (yuan)", lang),
            "—" if summary.provision_fen is None else grouped_yuan(summary.provision_fen),
        ),
        (_say("拨备覆盖率", "Provision coverage", lang), _percent(summary.provision_coverage)),
    ]
    if summary.compared_with is not None:
        figures += [
            (
                _say(f"较 {summary.compared_with} 下调", f"Downgraded since {summary.compared_with}", lang),
                f"{summary.downgrades:,}（{grouped_yuan(summary.downgraded_balance_fen)} 元）"
                if lang == "zh"
                else f"{summary.downgrades:,} ({grouped_yuan(summary.downgraded_balance_fen)} yuan)",
            ),
            (
                _say(f"较 {summary.compared_with} 上调", f"Upgraded since {summary.compared_with}", lang),
                f"{summary.upgrades:,}（{grouped_yuan(summary.upgraded_balance_fen)} 元）"
                if lang == "zh"
                else f"{summary.upgrades:,} ({grouped_yuan(summary.upgraded_balance_fen)} yuan)",
            ),
        ]
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in figures)
    parts = [f"<section class=summary><h2>{title}</h2><table class=figures>{rows}</table>"]
    parts += [f"<p class=note>{html.escape(note)}</p>" for note in notes]
    if summary.movers:
        head = [_say(*pair, lang) for pair in (("合同编号", "Contract"), ("原分类", "From"), ("现分类", "To"),
                                                ("债权余额（元）", "Claim balance (yuan)"))]  # fmt: skip
        body = "".join(
            "<tr>"
            + f"<td>{html.escape(m.contract_no)}</td><td>{class_label(m.from_class, lang)}</td>"
            + f"<td class={'down' if m.downgraded else 'up'}>{class_label(m.to_class, lang)}</td>"
            + f"<td>{grouped_yuan(m.claim_balance_fen)}</td></tr>"
            for m in summary.movers
        )
        parts.append(f"<h3>{_say('分类变动最大的合同', 'Largest moves of class', lang)}</h3>")
        parts.append(
            "<table><thead><tr>"
            + "".join(f"<th>{h}</th>" for h in head)
            + f"</tr></thead><tbody>{body}</tbody></table>"
        )
    return "".join(parts) + "</section>"


@dataclass(frozen=True)
class PeopleTable:
    """A table as a page shows it: headers and cells in words (yuan, percentages, labels) in one language,
    the first rows only; `left` rows more are in the CSV. `numeric[i]`: column i holds figures."""

    headers: list[str]
    numeric: list[bool]
    rows: list[list[str]]
    left: int


def people_table(frame: pl.DataFrame, rules: AnalyticsRules, lang: Lang, limit: int = 200) -> PeopleTable:
    """The first `limit` rows of an analytics table in words, as report.html and the console show it."""
    columns = [_column(name, frame, rules) for name in frame.columns]
    people = _people_frame(frame, rules, lang)
    rows = [
        [_cell(value, column) for value, column in zip(row, columns, strict=True)]
        for row in people.head(limit).iter_rows()
    ]
    return PeopleTable(
        headers=[column.header(lang) for column in columns],
        numeric=[column.kind in ("integer", "money_fen", "ratio") for column in columns],
        rows=rows,
        left=max(0, frame.height - limit),
    )


def vintage_table(vintage: pl.DataFrame) -> pl.DataFrame:
    """The vintage curves every sixth month on book: what a page shows of them (the CSV has every month)."""
    return vintage.filter(pl.col("months_on_book") % 6 == 0)


def npl_table(npl: pl.DataFrame, dimension: str) -> pl.DataFrame:
    """The whole book's row, then one dimension's rows, largest claim balance first."""
    return pl.concat([npl_rows(npl, "all"), npl_rows(npl, dimension)], how="vertical_relaxed")


def _table_html(frame: pl.DataFrame, rules: AnalyticsRules, lang: Lang, limit: int = 200) -> str:
    table = people_table(frame, rules, lang, limit)
    head = "".join(f"<th>{html.escape(header)}</th>" for header in table.headers)
    body = ["<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows]
    left = table.left
    more = f"<p class=note>{_say(f'另有 {left} 行见 CSV。', f'{left} more rows in the CSV.', lang)}</p>"
    more = more if left > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _cell(value: object, column: Column) -> str:
    if value is None:
        return ""
    if column.kind == "money_fen":
        return grouped_yuan(int(value))  # type: ignore[call-overload]
    if column.kind == "ratio" and isinstance(value, float):
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


CJK_FONT_STACK = (
    '"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",'
    '"WenQuanYi Micro Hei","WenQuanYi Zen Hei","Droid Sans Fallback",sans-serif'
)


def report_html(
    result: AnalyticsTables, charts: dict[str, Path], rules: AnalyticsRules, lang: Lang = DEFAULT_LANG
) -> str:
    """One page: the summary first, then every chart embedded (data: URI, so the page stands alone) and
    linked by file name, each with its table."""
    heading = _say(
        f"资产组合分析（数据日期 {result.as_of.isoformat()}）",
        f"Portfolio analytics as of {result.as_of.isoformat()}",
        lang,
    )
    sections = [f"<h1>{html.escape(heading)}</h1>", summary_html(result.summary, result.notes_in(lang), lang)]
    titled = {
        "vintage_curves": (
            _say("账龄分析", "Vintage curves", lang),
            vintage_table(result.vintage),
        ),
        "roll_rates": (_say("滚动率矩阵", "Roll-rate matrix", lang), result.roll_matrix),
        "class_migration": (_say("五级分类迁徙", "Class migration", lang), result.migration_matrix),
    }
    for name, path in charts.items():
        title, table = titled.get(name, (name, None))
        if name.startswith("npl_by_") and result.npl is not None:
            dimension = name.removeprefix("npl_by_")
            title = _say(
                f"按{dimension_label(dimension)}的不良率",
                f"NPL ratio by {dimension_label(dimension, 'en')}",
                lang,
            )
            table = npl_table(result.npl, dimension)
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        sections.append(f"<h2>{html.escape(title)}</h2>")
        sections.append(
            f'<a href="{html.escape(path.name)}"><img alt="{html.escape(title)}" '
            f'src="data:image/png;base64,{encoded}"></a>'
        )
        if table is not None:
            sections.append(_table_html(table, rules, lang))
    style = (
        f"body{{font-family:{CJK_FONT_STACK};margin:2em}}table{{border-collapse:collapse;font-size:12px;margin:1em 0}}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}img{max-width:100%}.note{color:#666}"
        ".figures th{text-align:left;background:#f4f4f4}.down{color:#b03a2e}.up{color:#1e7b34}"
        ".summary{border-bottom:2px solid #333;margin-bottom:2em}"
    )
    return (
        f"<!doctype html><html lang={'zh-CN' if lang == 'zh' else 'en'}><head><meta charset=utf-8>"
        f"<title>{html.escape(heading)}</title><style>{style}</style></head><body>"
        + "\n".join(sections)
        + "</body></html>\n"
    )
