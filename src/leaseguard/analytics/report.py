"""Writing the analytics out: CSV tables, one XLSX workbook, PNG charts (matplotlib's Agg canvas) and a
self-contained report.html that embeds every chart and table (and links the files beside it)."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl
from matplotlib import colormaps, font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from openpyxl import Workbook

from leaseguard.analytics.rules import AnalyticsRules
from leaseguard.sheets import write_csv


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
    notes: list[str] = field(default_factory=list)

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


@dataclass(frozen=True)
class WrittenReport:
    tables: dict[str, Path]
    workbook: Path
    charts: dict[str, Path]
    html: Path


def write_report(result: AnalyticsTables, rules: AnalyticsRules, out_dir: Path) -> WrittenReport:
    out_dir.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Path] = {}
    for name, frame in result.tables().items():
        path = out_dir / f"{name}.csv"
        write_csv(frame, path, date_format="%Y-%m-%d")
        tables[name] = path
    workbook = out_dir / "analytics.xlsx"
    write_workbook(result.tables(), workbook)
    charts = {name: out_dir / f"{name}.png" for name in ("vintage_curves", "roll_rates")}
    charts["vintage_curves"].write_bytes(vintage_chart(result.vintage))
    charts["roll_rates"].write_bytes(
        matrix_chart(result.roll_matrix, "from_bucket", "Roll rates (share of contracts)")
    )
    if result.migration_matrix is not None:
        charts["class_migration"] = out_dir / "class_migration.png"
        charts["class_migration"].write_bytes(migration_chart(result.migration_matrix))
    if result.npl is not None:
        for dimension in rules.npl_dimensions:
            path = out_dir / f"npl_by_{dimension}.png"
            path.write_bytes(npl_chart(result.npl, dimension))
            charts[f"npl_by_{dimension}"] = path
    page = out_dir / "report.html"
    page.write_text(report_html(result, charts), encoding="utf-8")
    return WrittenReport(tables=tables, workbook=workbook, charts=charts, html=page)


def write_workbook(tables: dict[str, pl.DataFrame], path: Path) -> None:
    book = Workbook()
    default = book.active
    if default is not None:
        book.remove(default)
    for name, frame in tables.items():
        sheet = book.create_sheet(name[:31])
        sheet.append(frame.columns)
        for row in frame.iter_rows():
            sheet.append(list(row))
    book.save(path)


def _figure(width: float, height: float) -> Figure:
    """A figure drawn by the Agg canvas: no display, no pyplot state shared between threads."""
    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def vintage_chart(vintage: pl.DataFrame) -> bytes:
    thresholds = sorted(vintage["dpd_threshold"].unique().to_list()) if not vintage.is_empty() else []
    figure = _figure(6 * max(1, len(thresholds)), 4.5)
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
        axis.set_title(f"Vintage: share reaching {threshold}+ DPD")
        axis.set_xlabel("months on book")
        axis.set_ylabel("% of contracts (cumulative)")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, ncol=2)
    if not thresholds:
        axes[0][0].text(0.5, 0.5, "no positions history", ha="center", va="center")
    return _png(figure)


def matrix_chart(matrix: pl.DataFrame, index: str, title: str, *, percent: bool = True) -> bytes:
    rows = matrix[index].to_list()
    columns = [name for name in matrix.columns if name not in (index, "contracts")]
    values = matrix.select(columns).fill_null(0).to_numpy().astype(float)
    figure = _figure(1.1 * len(columns) + 3, 0.6 * len(rows) + 2)
    axis = figure.subplots()
    axis.imshow(values, cmap="Reds", aspect="auto", vmin=0)
    axis.set_xticks(range(len(columns)), labels=columns, rotation=35, ha="right")
    axis.set_yticks(range(len(rows)), labels=rows)
    for y in range(len(rows)):
        for x in range(len(columns)):
            value = values[y, x]
            axis.text(
                x, y, f"{value:.1%}" if percent else f"{value:,.0f}", ha="center", va="center", fontsize=8
            )
    axis.set_xlabel("to")
    axis.set_ylabel("from")
    axis.set_title(title)
    return _png(figure)


def migration_chart(matrix: pl.DataFrame) -> bytes:
    return matrix_chart(matrix, "from_class", "Class migration (contracts)", percent=False)


CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei")


@cache
def _cjk_font() -> str | None:
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _label(number: int, value: str) -> str:
    """'#3 retail'; only '#3' when the value has characters no installed font draws (Chinese names on a
    machine without a CJK font): the report's table beside the chart gives the same numbers with the names."""
    if value.isascii() or _cjk_font() is not None:
        return f"#{number} {value}"
    return f"#{number}"


def npl_rows(npl: pl.DataFrame, dimension: str) -> pl.DataFrame:
    """One dimension's rows, largest claim balance first, numbered as the chart numbers its bars."""
    rows = npl.filter(pl.col("dimension") == dimension).sort(
        ["claim_balance_fen", "value"], descending=[True, False]
    )
    return rows.with_row_index("#", offset=1)


def npl_chart(npl: pl.DataFrame, dimension: str) -> bytes:
    bars = npl_rows(npl, dimension).head(25)
    figure = _figure(8, 0.3 * bars.height + 1.5)
    axis = figure.subplots()
    labels = [_label(number, value) for number, value in zip(bars["#"], bars["value"], strict=True)]
    axis.barh(labels[::-1], (bars["npl_ratio"] * 100).to_list()[::-1], color="#b03a2e")
    font = _cjk_font()
    if font is not None:
        for tick in axis.get_yticklabels():
            tick.set_fontfamily(font)
    axis.set_xlabel("NPL ratio, % of claim balance")
    axis.set_title(f"NPL ratio by {dimension}")
    axis.grid(axis="x", alpha=0.3)
    return _png(figure)


def _table_html(frame: pl.DataFrame, limit: int = 200) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name in frame.columns)
    body = []
    for row in frame.head(limit).iter_rows():
        cells = "".join(f"<td>{html.escape(_cell(value))}</td>" for value in row)
        body.append(f"<tr>{cells}</tr>")
    more = f"<p class=note>{frame.height - limit} more rows in the CSV.</p>" if frame.height > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if value is None:
        return ""
    return str(value)


def report_html(result: AnalyticsTables, charts: dict[str, Path]) -> str:
    """One page with every chart embedded (data: URI, so the page stands alone) and linked by file name."""
    sections = [f"<h1>Portfolio analytics as of {result.as_of.isoformat()}</h1>"]
    sections += [f"<p class=note>{html.escape(note)}</p>" for note in result.notes]
    titled = {
        "vintage_curves": ("Vintage curves", result.vintage.filter(pl.col("months_on_book") % 6 == 0)),
        "roll_rates": ("Roll-rate matrix", result.roll_matrix),
        "class_migration": ("Class migration", result.migration_matrix),
    }
    for name, path in charts.items():
        title, table = titled.get(name, (name.replace("_", " ").capitalize(), None))
        if name.startswith("npl_by_") and result.npl is not None:
            dimension = name.removeprefix("npl_by_")
            table = pl.concat(
                [npl_rows(result.npl, "all"), npl_rows(result.npl, dimension)], how="vertical_relaxed"
            )
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        sections.append(f"<h2>{html.escape(title)}</h2>")
        sections.append(
            f'<a href="{html.escape(path.name)}"><img alt="{html.escape(path.name)}" '
            f'src="data:image/png;base64,{encoded}"></a>'
        )
        if table is not None:
            sections.append(_table_html(table))
    style = (
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:12px;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}img{max-width:100%}.note{color:#666}"
    )
    return (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>leaseguard analytics {result.as_of.isoformat()}</title><style>{style}</style></head><body>"
        + "\n".join(sections)
        + "</body></html>\n"
    )
