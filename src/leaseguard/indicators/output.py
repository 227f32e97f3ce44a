"""The report a compliance officer files: JSON for other tools, HTML to read and print, XLSX to work in, PDF
to file — in Chinese first (`lang="en"` for English), money in yuan, ratios as percentages, the lessor's legal
name beside its code, the top contributors in a table of their own, and a prepared / reviewed / approved block
(编制 / 复核 / 审批) to sign.

A draft says so on every page: in the HTML a banner fixed to the page (repeated by print on each page) and in
the title, in the workbook a first row and the page header of every sheet, in the PDF a line at the top of
every page, in the JSON `"draft": true`.

The PDF embeds its fonts (subsets): Bitstream Vera, shipped with reportlab, for Latin text, and the Droid Sans
Fallback font the court documents use (`enforcement/fonts`, one copy in the package) for Chinese.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from leaseguard.indicators.engine import IndicatorReport, IndicatorResult
from leaseguard.indicators.service import report_json
from leaseguard.money import yuan_text
from leaseguard.pdf import CJK, LATIN, font_runs, latin_code_points, marked_up, numbered_canvas
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang

FORMATS = ("json", "html", "xlsx", "pdf")
STATUS_COLOURS = {"ok": "C6EFCE", "warning": "FFEB9C", "breach": "FFC7CE"}

STATUS_LABELS = {
    "ok": Label("达标", "OK"),
    "warning": Label("预警", "Warning"),
    "breach": Label("超限", "Breach"),
    "no_limit": Label("不设限额", "No limit"),
    "undefined": Label("无法计算", "Undefined"),
    "missing_input": Label("缺少数据", "Missing input"),
}
CONTRIBUTOR_KINDS = {
    "customer": Label("客户", "Customer"),
    "group": Label("集团客户", "Group"),
    "related_party": Label("关联方", "Related party"),
    "shareholder": Label("股东", "Shareholder"),
}
WORDS = {
    "title": Label("监管指标报告", "Regulatory indicator report"),
    "lessor": Label("报送机构", "Lessor"),
    "as_of": Label("报告日期", "Reporting date"),
    "report_no": Label("报告编号", "Report no."),
    "rule_set": Label("指标体系", "Rule set"),
    "regulation": Label("监管依据", "Regulation"),
    "previous": Label("较上期变动的对比报告日", "Change against the report of"),
    "none": Label("无", "none"),
    "problems": Label("数据问题", "Data problems"),
    "id": Label("指标代码", "Id"),
    "indicator": Label("指标名称", "Indicator"),
    "value": Label("指标值", "Value"),
    "limit": Label("监管要求", "Limit"),
    "comparison": Label("比较方式", "Comparison"),
    "buffered_limit": Label("含缓冲要求", "Limit with buffer"),
    "headroom": Label("距限额", "Headroom"),
    "status": Label("状态", "Status"),
    "change": Label("较上期变动", "Change"),
    "numerator": Label("分子（元）", "Numerator (yuan)"),
    "denominator": Label("分母（元）", "Denominator (yuan)"),
    "headroom_amount": Label("距限额金额（元）", "Headroom amount (yuan)"),
    "clause": Label("依据条款", "Clause"),
    "verified": Label("条款已核实", "Clause verified"),
    "note": Label("备注", "Note"),
    "unverified": Label("（条款未核实）", " (clause not verified)"),
    "buffer": Label("（含储备缓冲 {value}）", " (with buffer {value})"),
    "missing": Label("缺少：{items}", "missing: {items}"),
    "contributors": Label("前五大风险暴露", "Top contributors"),
    "rank": Label("排名", "Rank"),
    "kind": Label("类别", "Kind"),
    "key": Label("编号", "Id"),
    "name": Label("名称", "Name"),
    "exposure": Label("风险暴露（元）", "Exposure (yuan)"),
    "indicators_sheet": Label("监管指标", "Indicators"),
    "contributors_sheet": Label("前五大", "Top contributors"),
    "sign_off": Label("签批", "Sign-off"),
    "prepared": Label("编制", "Prepared by"),
    "reviewed": Label("复核", "Reviewed by"),
    "approved": Label("审批", "Approved by"),
    "signature": Label("签字", "Signature"),
    "date": Label("日期", "Date"),
    "yes": Label("是", "yes"),
    "no": Label("否", "no"),
    "draft": Label(
        "DRAFT 草稿 — 依据不完整或不一致的数据计算，不得报送",
        "DRAFT — computed from incomplete or inconsistent data; not for filing",
    ),
    "draft_title": Label("DRAFT 草稿 — ", "DRAFT — "),
    "page": Label("第 {page} 页 共 {pages} 页", "Page {page} of {pages}"),
    "excel_page": Label("第 &P 页 共 &N 页", "Page &P of &N"),
    "labelled": Label("{label}：{value}", "{label}: {value}"),
    "with_code": Label("{name}（{code}）", "{name} ({code})"),
}
DRAFT_TEXT = WORDS["draft"].en
BLANK = "________________"

# The CJK font stack of the HTML: the Chinese fonts of macOS, Windows and Linux desktops before the generic one.
CJK_FONT_STACK = (
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", '
    '"WenQuanYi Micro Hei", "SimSun", sans-serif'
)


@dataclass(frozen=True)
class Signature:
    """One line of the sign-off block; blank parts are left as lines to write on."""

    name: str = ""
    on: dt.date | None = None


@dataclass(frozen=True)
class SignOff:
    prepared: Signature = field(default_factory=Signature)
    reviewed: Signature = field(default_factory=Signature)
    approved: Signature = field(default_factory=Signature)

    def lines(self) -> list[tuple[str, Signature]]:
        return [("prepared", self.prepared), ("reviewed", self.reviewed), ("approved", self.approved)]


@dataclass(frozen=True)
class ReportPaper:
    """A report as it is printed: the figures and what the page says around them."""

    report: IndicatorReport
    lessor_name: str = ""
    lang: Lang = DEFAULT_LANG
    sign_off: SignOff = field(default_factory=SignOff)
    report_id: int | None = None

    def word(self, key: str, **params: object) -> str:
        return WORDS[key].text(self.lang, **params)

    def lessor_line(self) -> str:
        code = self.report.lessor
        return self.word("with_code", name=self.lessor_name, code=code) if self.lessor_name else code


_NAME_WITH_CHINESE = re.compile(r"^(?P<en>.*?)\s*[（(](?P<zh>[^()（）]*[\u3400-\u9fff][^()（）]*)[)）]\s*$")


def indicator_name(name: str, lang: Lang) -> str:
    """A rule set's "English (中文)" name in one language; a name without both parts is shown as written."""
    found = _NAME_WITH_CHINESE.match(name)
    if found is None or not found["en"]:
        return name
    return found["zh"] if lang == "zh" else found["en"]


def show_value(result: IndicatorResult, value: Decimal | None) -> str:
    if value is None:
        return "—"
    if result.unit == "multiple":
        return f"{value:.2f}×"
    return f"{value * 100:.2f}%"


def show_yuan(fen: Decimal | int | None) -> str:
    return yuan_text(fen, grouped=True, missing="—")


COMPARISON_SIGNS = {">=": "≥", "<=": "≤"}


def _limit_text(paper: ReportPaper, result: IndicatorResult) -> str:
    if result.limit is None:
        return "—"
    text = f"{COMPARISON_SIGNS.get(result.comparison, result.comparison)} {show_value(result, result.limit)}"
    if result.buffered_limit is not None:
        text += paper.word("buffer", value=show_value(result, result.buffered_limit))
    return text


def _status_text(paper: ReportPaper, result: IndicatorResult) -> str:
    text = STATUS_LABELS[result.status].text(paper.lang) if result.status in STATUS_LABELS else result.status
    if result.missing:
        text += "；" if paper.lang == "zh" else "; "
        text += paper.word("missing", items=", ".join(result.missing))
    return text


def _clause_text(paper: ReportPaper, result: IndicatorResult) -> str:
    return result.clause + ("" if result.verified else paper.word("unverified"))


def _title(paper: ReportPaper) -> str:
    report = paper.report
    draft = paper.word("draft_title") if report.draft else ""
    return f"{draft}{report.rule_set.title} — {paper.word('title')}"


def _facts(paper: ReportPaper) -> list[tuple[str, str]]:
    """The lines under the title: who, when, which rule set, against which earlier report."""
    report, rule_set = paper.report, paper.report.rule_set
    previous = report.previous_as_of.isoformat() if report.previous_as_of else paper.word("none")
    facts = [
        (paper.word("lessor"), paper.lessor_line()),
        (paper.word("as_of"), report.as_of.isoformat()),
    ]
    if paper.report_id is not None:
        facts.append((paper.word("report_no"), str(paper.report_id)))
    facts += [
        (paper.word("rule_set"), f"{rule_set.id} v{rule_set.version} (sha256 {rule_set.digest[:16]}…)"),
        (paper.word("regulation"), report.rule_set.regulation),
        (paper.word("previous"), previous),
    ]  # fmt: skip
    return facts


def _contributor_kind(report: IndicatorReport) -> dict[str, str]:
    """Indicator id → what its contributors are (customer, group, related party, shareholder)."""
    return {i.spec.id: i.spec.contributors or "" for i in report.rule_set.indicators}


def _sign_off_rows(paper: ReportPaper) -> list[tuple[str, str, str]]:
    """(role, name, date) of each line of the sign-off block; blanks are lines to write on."""
    return [
        (paper.word(role), signature.name or BLANK, signature.on.isoformat() if signature.on else BLANK)
        for role, signature in paper.sign_off.lines()
    ]


# --- JSON -------------------------------------------------------------------------------------------------


def render_json(paper: ReportPaper) -> bytes:
    data = report_json(paper.report, paper.lang)
    data["lessor_name"] = paper.lessor_name
    data["report_id"] = paper.report_id
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


# --- HTML -------------------------------------------------------------------------------------------------


def render_html(paper: ReportPaper) -> bytes:
    e = html.escape
    report = paper.report
    word = paper.word
    kinds = _contributor_kind(report)
    rows = []
    for r in report.results:
        change = "—" if r.change is None else show_value(r, r.change)
        rows.append(
            f'<tr class="{e(r.status)}"><td class="id">{e(r.id)}</td><td>{e(indicator_name(r.name, paper.lang))}</td>'
            f'<td class="num">{show_value(r, r.value)}</td><td class="num">{e(_limit_text(paper, r))}</td>'
            f'<td class="num">{show_value(r, r.headroom)}</td><td><b>{e(_status_text(paper, r))}</b>'
            f'{"<br>" + e(r.note) if r.note else ""}</td><td class="num">{change}</td>'
            f'<td class="num">{show_yuan(r.numerator)}</td><td class="num">{show_yuan(r.denominator)}</td>'
            f"<td>{e(_clause_text(paper, r))}</td></tr>"
        )
    contributor_rows = []
    for r in report.results:
        kind = kinds.get(r.id, "")
        for rank, c in enumerate(r.contributors, start=1):
            contributor_rows.append(
                f"<tr><td>{e(indicator_name(r.name, paper.lang)) if rank == 1 else ''}</td>"
                f'<td class="num">{rank}</td>'
                f"<td>{e(CONTRIBUTOR_KINDS[kind].text(paper.lang)) if kind in CONTRIBUTOR_KINDS else ''}</td>"
                f'<td class="id">{e(c.key)}</td><td>{e(c.name)}</td>'
                f'<td class="num">{show_yuan(c.exposure_fen)}</td></tr>'
            )
    contributors = (
        f"<h2>{e(word('contributors'))}</h2><table><thead><tr><th>{e(word('indicator'))}</th>"
        f"<th>{e(word('rank'))}</th><th>{e(word('kind'))}</th><th>{e(word('key'))}</th><th>{e(word('name'))}</th>"
        f"<th>{e(word('exposure'))}</th></tr></thead><tbody>{''.join(contributor_rows)}</tbody></table>"
        if contributor_rows
        else ""
    )
    facts = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _facts(paper))
    problems = "".join(f"<li>{e(p.text(paper.lang))}</li>" for p in report.problems)
    signature, date = (e(word("labelled", label=word(key), value="")) for key in ("signature", "date"))
    sign_off = "".join(
        f'<tr><th>{e(role)}</th><td>{signature}<span class="line">{e(name)}</span></td>'
        f'<td>{date}<span class="line">{e(on)}</span></td></tr>'
        for role, name, on in _sign_off_rows(paper)
    )
    banner = f'<div class="draft">{e(word("draft"))}</div>' if report.draft else ""
    page_number = word("page", page='" counter(page) "', pages='" counter(pages) "')
    headers = "".join(
        f"<th>{e(word(key))}</th>"
        for key in ("id", "indicator", "value", "limit", "headroom", "status", "change", "numerator",
                    "denominator", "clause")
    )  # fmt: skip
    page = f"""<!doctype html>
<html lang="{"zh-CN" if paper.lang == "zh" else "en"}"><head><meta charset="utf-8">
<title>{e(_title(paper))} — {e(paper.lessor_line())} — {report.as_of.isoformat()}</title>
<style>
@page {{ size: A4 landscape; margin: 14mm 10mm 14mm 10mm;
  @bottom-center {{ content: "{page_number}"; font-size: 9px; }} }}
body {{ font-family: {CJK_FONT_STACK}; font-size: 12px; {"margin-top: 3em;" if report.draft else ""} }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1em; }}
td, th {{ border: 1px solid #999; padding: 3px 6px; vertical-align: top; overflow-wrap: anywhere; }}
th {{ background: #eee; text-align: left; }}
td.id {{ white-space: nowrap; overflow-wrap: normal; word-break: keep-all; font-family: monospace, {CJK_FONT_STACK}; }}
td.num {{ text-align: right; white-space: nowrap; }}
table.facts {{ width: auto; }} table.facts th {{ background: none; }}
tr {{ break-inside: avoid; }}
tr.breach {{ background: #ffc7ce; }} tr.warning {{ background: #ffeb9c; }} tr.ok {{ background: #eef8ee; }}
.sign-off {{ width: auto; break-inside: avoid; }} .sign-off td, .sign-off th {{ border: none; padding: 8px 16px; }}
.line {{ display: inline-block; min-width: 10em; border-bottom: 1px solid #000; }}
.draft {{ position: fixed; top: 0; left: 0; right: 0; background: #c00; color: #fff; font-weight: bold;
  text-align: center; padding: 0.5em; }}
</style></head><body>
{banner}
<h1>{e(_title(paper))}</h1>
<table class="facts">{facts}</table>
{"<h2>" + e(word("problems")) + "</h2><ul>" + problems + "</ul>" if problems else ""}
<table><thead><tr>{headers}</tr></thead><tbody>
{"".join(rows)}
</tbody></table>
{contributors}
<h2>{e(word("sign_off"))}</h2>
<table class="sign-off">{sign_off}</table>
</body></html>
"""
    return page.encode("utf-8")


# --- XLSX -------------------------------------------------------------------------------------------------


def render_xlsx(paper: ReportPaper) -> bytes:
    from openpyxl.styles import Font, PatternFill

    from leaseguard.sheets import Column, Styled, add_table, new_workbook

    report, word, lang = paper.report, paper.word, paper.lang
    statuses = {code: label.text(lang) for code, label in STATUS_LABELS.items()}
    yes_no = {"True": word("yes"), "False": word("no")}

    def kind_of(result: IndicatorResult, value: Decimal | None) -> Styled:
        shown = None if value is None else round(value, 6)
        return Styled(shown, "multiple" if result.unit == "multiple" else "ratio")

    columns = [
        Column("id", word("id")), Column("name", word("indicator")), Column("value", word("value"), "ratio"),
        Column("comparison", word("comparison")), Column("limit", word("limit"), "ratio"),
        Column("buffered_limit", word("buffered_limit"), "ratio"), Column("headroom", word("headroom"), "ratio"),
        Column("status", word("status"), labels=statuses), Column("change", word("change"), "ratio"),
        Column("numerator", word("numerator"), "money_fen"), Column("denominator", word("denominator"), "money_fen"),
        Column("headroom_amount", word("headroom_amount"), "money_fen"), Column("clause", word("clause")),
        Column("verified", word("verified"), labels=yes_no), Column("note", word("note")),
    ]  # fmt: skip
    rows = [
        [r.id, indicator_name(r.name, lang), kind_of(r, r.value), r.comparison, kind_of(r, r.limit),
         kind_of(r, r.buffered_limit), kind_of(r, r.headroom), r.status, kind_of(r, r.change), r.numerator,
         r.denominator, r.headroom_amount_fen, r.clause, r.verified,
         "；".join(filter(None, [r.note, ", ".join(r.missing)])) or None]
        for r in report.results
    ]  # fmt: skip
    preamble: list[list[Any]] = []
    if report.draft:
        preamble.append([word("draft")])
    preamble.append([_title(paper)])
    preamble += [[key, value] for key, value in _facts(paper)]
    preamble += [[word("problems"), problem.text(lang)] for problem in report.problems]
    sign_off = [[word("sign_off")]] + [
        [
            role,
            word("labelled", label=word("signature"), value=name),
            word("labelled", label=word("date"), value=on),
        ]
        for role, name, on in _sign_off_rows(paper)
    ]
    workbook = new_workbook()
    indicators = add_table(
        workbook, columns, rows, sheet=word("indicators_sheet"), preamble=preamble, after=sign_off
    )
    sheet = indicators.worksheet
    status_column = [c.name for c in columns].index("status") + 1
    for offset, result in enumerate(report.results):
        colour = STATUS_COLOURS.get(result.status)
        if colour:
            sheet.cell(indicators.first_row + offset, status_column).fill = PatternFill(
                "solid", fgColor=colour
            )
    kinds = _contributor_kind(report)
    kind_labels = {code: label.text(lang) for code, label in CONTRIBUTOR_KINDS.items()}
    contributor_columns = [
        Column("indicator", word("id")), Column("name", word("indicator")), Column("rank", word("rank"), "integer"),
        Column("kind", word("kind"), labels=kind_labels), Column("id", word("key")),
        Column("contributor", word("name")), Column("exposure", word("exposure"), "money_fen"),
    ]  # fmt: skip
    contributor_rows = [
        [r.id, indicator_name(r.name, lang), rank, kinds.get(r.id) or None, c.key, c.name, c.exposure_fen]
        for r in report.results
        for rank, c in enumerate(r.contributors, start=1)
    ]
    head = preamble[: 3 if report.draft else 2]  # the draft line, the title and the lessor
    contributors = add_table(
        workbook, contributor_columns, contributor_rows, sheet=word("contributors_sheet"), preamble=head
    )
    for placed in (indicators, contributors):
        worksheet = placed.worksheet
        worksheet.page_setup.orientation = "landscape"
        worksheet.page_setup.paperSize = worksheet.PAPERSIZE_A4
        worksheet.page_setup.fitToWidth = 1
        worksheet.page_setup.fitToHeight = 0
        worksheet.sheet_properties.pageSetUpPr.fitToPage = True
        worksheet.oddFooter.center.text = word("excel_page")
        worksheet.print_title_rows = f"{placed.first_row - 2}:{placed.first_row - 1}"
        row = 1
        if report.draft:
            worksheet.oddHeader.center.text = word("draft")
            worksheet.cell(1, 1).font = Font(bold=True, color="C00000")
            row = 2
        worksheet.cell(row, 1).font = Font(bold=True, size=13)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- PDF --------------------------------------------------------------------------------------------------

_LATIN, _CJK = LATIN, CJK
_CELL_SIZE, _CELL_LEADING, _PADDING = 7.0, 9.0, 3.0
_pdf_fonts, _runs, _markup = latin_code_points, font_runs, marked_up


def _width(text: str, size: float = _CELL_SIZE) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(run, font, size) for font, run in _runs(text))


_UNIT = re.compile(r"[\x21-\x7e\u00a0-\u024f×—–…≥≤%]+|\s+|.")


def _widest_unit(text: str) -> float:
    """The widest piece of `text` a line may not break: a run of Latin text without spaces (an id, an amount,
    a ratio) or one Chinese character."""
    return max((_width(unit) for unit in _UNIT.findall(text) if not unit.isspace()), default=0.0)


def _column_widths(rows: Sequence[Sequence[str]], total: float, whole: Sequence[bool]) -> list[float]:
    """Every column as wide as its widest unbreakable unit (a `whole` column: its widest cell, so an id or an
    amount is never broken), the rest of the width shared by how much more text each column holds."""
    count = len(rows[0])
    pad = 2 * _PADDING + 1
    least = [
        max(max((_width(row[i]) if whole[i] else _widest_unit(row[i])) for row in rows), 16.0) + pad
        for i in range(count)
    ]
    if sum(least) >= total:
        # Wider than the page (names longer than any id): the columns shrink alike, text wraps inside them.
        return [w * total / sum(least) for w in least]
    natural = [max(least[i], max(_width(row[i]) for row in rows) + pad) for i in range(count)]
    wanted = [n - m for n, m in zip(natural, least, strict=True)]
    spare = total - sum(least)
    if sum(wanted) <= spare:
        extra = (spare - sum(wanted)) / count
        return [n + extra for n in natural]
    return [m + spare * w / sum(wanted) for m, w in zip(least, wanted, strict=True)]


def _table(rows: list[list[str]], whole: Sequence[bool], total: float, fills: dict[int, str]) -> Any:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Table, TableStyle

    widths = _column_widths(rows, total, whole)
    style = ParagraphStyle(
        "cell", fontName=_LATIN, fontSize=_CELL_SIZE, leading=_CELL_LEADING, wordWrap="CJK"
    )
    cells = [[Paragraph(_markup(value), style) for value in row] for row in rows]
    commands: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("FONTNAME", (0, 0), (-1, -1), _LATIN),  # else the table names Helvetica, a font not embedded
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("LEFTPADDING", (0, 0), (-1, -1), _PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for row, colour in fills.items():
        commands.append(("BACKGROUND", (0, row), (-1, row), colors.HexColor("#" + colour)))
    return Table(cells, colWidths=widths, repeatRows=1, style=TableStyle(commands))


def render_pdf(paper: ReportPaper) -> bytes:
    """The report as a landscape A4 PDF with its fonts embedded, numbered 第 n 页 共 m 页 at the foot of every
    page; a draft carries the DRAFT line at the top of every page."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

    _pdf_fonts()
    report, word, lang = paper.report, paper.word, paper.lang
    page_width, page_height = landscape(A4)
    margin = 10 * mm
    width = page_width - 2 * margin
    title_style = ParagraphStyle("title", fontName=_LATIN, fontSize=13, leading=17, spaceAfter=4)
    heading = ParagraphStyle("heading", fontName=_LATIN, fontSize=10, leading=14, spaceBefore=6, spaceAfter=3)
    body = ParagraphStyle("body", fontName=_LATIN, fontSize=8, leading=11, wordWrap="CJK")

    story: list[Any] = [Paragraph(_markup(_title(paper)), title_style)]
    story += [
        Paragraph(_markup(word("labelled", label=key, value=value)), body) for key, value in _facts(paper)
    ]
    if report.problems:
        story.append(Paragraph(_markup(word("problems")), heading))
        story += [Paragraph(_markup(problem.text(lang)), body) for problem in report.problems]
    story.append(Spacer(1, 3 * mm))

    header = [word(key) for key in ("id", "indicator", "value", "limit", "headroom", "status", "change",
                                    "numerator", "denominator", "clause")]  # fmt: skip
    rows = [header]
    fills = {}
    for number, r in enumerate(report.results, start=1):
        status = _status_text(paper, r) + (
            f"；{r.note}" if r.note and lang == "zh" else f"; {r.note}" if r.note else ""
        )
        rows.append([
            r.id, indicator_name(r.name, lang), show_value(r, r.value), _limit_text(paper, r),
            show_value(r, r.headroom), status, "—" if r.change is None else show_value(r, r.change),
            show_yuan(r.numerator), show_yuan(r.denominator), _clause_text(paper, r),
        ])  # fmt: skip
        if r.status in STATUS_COLOURS:
            fills[number] = STATUS_COLOURS[r.status]
    whole = [True, False, True, False, True, False, True, True, True, False]
    story.append(_table(rows, whole, width, fills))

    kinds = _contributor_kind(report)
    contributor_rows = [
        [word("indicator"), word("rank"), word("kind"), word("key"), word("name"), word("exposure")]
    ]
    for r in report.results:
        kind = kinds.get(r.id, "")
        for rank, c in enumerate(r.contributors, start=1):
            contributor_rows.append([
                indicator_name(r.name, lang) if rank == 1 else "", str(rank),
                CONTRIBUTOR_KINDS[kind].text(lang) if kind in CONTRIBUTOR_KINDS else "", c.key, c.name,
                show_yuan(c.exposure_fen),
            ])  # fmt: skip
    if len(contributor_rows) > 1:
        story.append(Paragraph(_markup(word("contributors")), heading))
        story.append(_table(contributor_rows, [False, True, False, True, False, True], width, {}))

    sign_rows = [
        [
            role,
            word("labelled", label=word("signature"), value=name),
            word("labelled", label=word("date"), value=on),
        ]
        for role, name, on in _sign_off_rows(paper)
    ]
    sign_style = ParagraphStyle("sign", fontName=_LATIN, fontSize=10, leading=22)
    from reportlab.platypus import Table, TableStyle

    block = Table(
        [[Paragraph(_markup(cell), sign_style) for cell in row] for row in sign_rows],
        colWidths=[30 * mm, 90 * mm, 70 * mm],
        hAlign="LEFT",
        style=TableStyle([("FONTNAME", (0, 0), (-1, -1), _LATIN)]),
    )
    story.append(KeepTogether([Paragraph(_markup(word("sign_off")), heading), block]))

    draft_line = word("draft") if report.draft else ""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), topMargin=14 * mm, bottomMargin=14 * mm, leftMargin=margin,
        rightMargin=margin, title=f"{_title(paper)} — {paper.lessor_line()} — {report.as_of.isoformat()}",
        author="leaseguard", initialFontName=_LATIN,
    )  # fmt: skip
    document.build(
        story,
        canvasmaker=numbered_canvas(
            page_width,
            lambda n, m: word("page", page=n, pages=m),
            footer_y=18,
            footer_size=8,
            header=draft_line,
            header_y=page_height - 24,
        ),
    )
    return buffer.getvalue()


# --- every format ------------------------------------------------------------------------------------------

RENDERERS = {"json": render_json, "html": render_html, "xlsx": render_xlsx, "pdf": render_pdf}


def render(paper: ReportPaper, fmt: str) -> bytes:
    """The report in one of FORMATS, as the bytes of its file."""
    return RENDERERS[fmt](paper)


def write_report(
    report: IndicatorReport, out: Path, fmt: str, *, lessor_name: str = "", lang: Lang = DEFAULT_LANG
) -> None:
    """One file of `report` (the demo's; a filed report goes through usecases.regulatory_report)."""
    out.write_bytes(render(ReportPaper(report, lessor_name=lessor_name, lang=lang), fmt))
