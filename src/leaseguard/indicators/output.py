"""The report a compliance officer files: JSON for other tools, HTML to read and print, XLSX to work in, PDF
to file.

A draft says so on every page: in the HTML a banner fixed to the page (repeated by print on each page) and in
the title, in the workbook a first row and the page header of every sheet, in the PDF a line at the top of
every page, in the JSON `"draft": true`.
"""

from __future__ import annotations

import html
import json
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from leaseguard.indicators.engine import IndicatorReport, IndicatorResult
from leaseguard.indicators.service import report_json
from leaseguard.money import yuan_decimal, yuan_text

FORMATS = ("json", "html", "xlsx", "pdf")
DRAFT_TEXT = "DRAFT — computed from incomplete or inconsistent data; not for filing"
STATUS_COLOURS = {"ok": "C6EFCE", "warning": "FFEB9C", "breach": "FFC7CE"}


def show_value(result: IndicatorResult, value: Decimal | None) -> str:
    if value is None:
        return "—"
    if result.unit == "multiple":
        return f"{value:.2f}×"
    return f"{value * 100:.2f}%"


def show_yuan(fen: Decimal | None) -> str:
    return yuan_text(fen, grouped=True, missing="—")


def write_json(report: IndicatorReport, out: Path) -> None:
    out.write_text(json.dumps(report_json(report), ensure_ascii=False, indent=2), encoding="utf-8")


def _title(report: IndicatorReport) -> str:
    return f"{report.rule_set.title} — {report.lessor} — {report.as_of.isoformat()}"


def write_html(report: IndicatorReport, out: Path) -> None:
    e = html.escape
    rows = []
    for r in report.results:
        contributors = "<br>".join(
            f"{e(c.key)} {e(c.name)}: {show_yuan(Decimal(c.exposure_fen))}" for c in r.contributors
        )
        change = "—" if r.change is None else show_value(r, r.change)
        rows.append(
            f'<tr class="{e(r.status)}"><td>{e(r.id)}</td><td>{e(r.name)}</td>'
            f"<td>{show_value(r, r.value)}</td><td>{e(r.comparison)} {show_value(r, r.limit)}{e(_buffered(r))}</td>"
            f"<td>{show_value(r, r.headroom)}</td><td><b>{e(r.status)}</b>{' ' + e(r.note) if r.note else ''}"
            f"{' (missing: ' + e(', '.join(r.missing)) + ')' if r.missing else ''}</td><td>{change}</td>"
            f"<td>{show_yuan(r.numerator)}</td><td>{show_yuan(r.denominator)}</td><td>{contributors}</td>"
            f"<td>{e(r.clause)}{'' if r.verified else ' <i>(clause not verified)</i>'}</td></tr>"
        )
    draft = report.draft
    banner = f'<div class="draft">{e(DRAFT_TEXT)}</div>' if draft else ""
    problems = "".join(f"<li>{e(p)}</li>" for p in report.problems)
    previous = report.previous_as_of.isoformat() if report.previous_as_of else "none"
    out.write_text(
        f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>{"DRAFT — " if draft else ""}{e(_title(report))}</title>
<style>
body {{ font-family: sans-serif; font-size: 12px; {"margin-top: 3em;" if draft else ""} }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #999; padding: 3px 6px; vertical-align: top; }}
tr.breach {{ background: #ffc7ce; }} tr.warning {{ background: #ffeb9c; }} tr.ok {{ background: #eef8ee; }}
.draft {{ position: fixed; top: 0; left: 0; right: 0; background: #c00; color: #fff; font-weight: bold;
  text-align: center; padding: 0.5em; }}
</style></head><body>
{banner}
<h1>{"DRAFT — " if draft else ""}{e(_title(report))}</h1>
<p>Rule set {e(report.rule_set.id)} v{report.rule_set.version} ({e(report.rule_set.regulation)}),
sha256 {report.rule_set.digest[:16]}…; change against the last filed report: {previous}.</p>
{"<ul>" + problems + "</ul>" if problems else ""}
<table><thead><tr><th>id</th><th>indicator</th><th>value</th><th>limit</th><th>headroom</th><th>status</th>
<th>change</th><th>numerator (yuan)</th><th>denominator (yuan)</th><th>top contributors</th><th>clause</th>
</tr></thead><tbody>
{"".join(rows)}
</tbody></table></body></html>
""",
        encoding="utf-8",
    )


def write_xlsx(report: IndicatorReport, out: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "indicators"
    contributors = book.create_sheet("top contributors")
    for ws in (sheet, contributors):
        if report.draft:
            ws.oddHeader.center.text = DRAFT_TEXT
            ws.append([DRAFT_TEXT])
            ws.cell(ws.max_row, 1).font = Font(bold=True, color="C00000")
        ws.append([_title(report)])
    header = ["id", "indicator", "value", "limit", "comparison", "headroom", "status", "change", "numerator (yuan)",
              "denominator (yuan)", "headroom amount (yuan)", "clause", "verified", "note",
              "limit with buffer"]  # fmt: skip
    sheet.append(header)
    for r in report.results:
        sheet.append([
            r.id, r.name, None if r.value is None else float(round(r.value, 6)),
            None if r.limit is None else float(r.limit), r.comparison,
            None if r.headroom is None else float(round(r.headroom, 6)), r.status,
            None if r.change is None else float(round(r.change, 6)),
            yuan_decimal(r.numerator), yuan_decimal(r.denominator), yuan_decimal(r.headroom_amount_fen),
            r.clause, r.verified, "; ".join(filter(None, [r.note, ", ".join(r.missing)])),
            None if r.buffered_limit is None else float(r.buffered_limit),
        ])  # fmt: skip
        colour = STATUS_COLOURS.get(r.status)
        if colour:
            sheet.cell(sheet.max_row, 7).fill = PatternFill("solid", fgColor=colour)
    contributors.append(["indicator", "rank", "id", "name", "exposure (yuan)"])
    for r in report.results:
        for rank, c in enumerate(r.contributors, start=1):
            contributors.append([r.id, rank, c.key, c.name, yuan_decimal(c.exposure_fen)])
    book.save(out)


def write_pdf(report: IndicatorReport, out: Path) -> None:
    """The report as a landscape A4 PDF; a draft carries the DRAFT line at the top of every page.

    Chinese text is set in Adobe's standard CID font STSong-Light, which is referenced, not embedded (no CJK font
    ships with Python): Acrobat and most viewers supply it; the text is always in the file and searchable."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    text = ParagraphStyle("cell", fontName=font, fontSize=7, leading=9)
    title = ParagraphStyle("title", fontName=font, fontSize=13, leading=16)

    def every_page(canvas: object, doc: object) -> None:
        if report.draft:
            canvas.saveState()  # type: ignore[attr-defined]
            canvas.setFillColor(colors.red)  # type: ignore[attr-defined]
            canvas.setFont(font, 11)  # type: ignore[attr-defined]
            canvas.drawCentredString(landscape(A4)[0] / 2, landscape(A4)[1] - 8 * mm, DRAFT_TEXT)  # type: ignore[attr-defined]
            canvas.restoreState()  # type: ignore[attr-defined]

    def cell(value: str) -> Paragraph:
        return Paragraph(html.escape(value), text)

    rows = [[cell(h) for h in ("id", "indicator", "value", "limit", "headroom", "status", "change",
                               "numerator (yuan)", "denominator (yuan)", "clause")]]  # fmt: skip
    styles = [("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
              ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]  # fmt: skip
    for number, r in enumerate(report.results, start=1):
        status = r.status + (f" ({', '.join(r.missing)} missing)" if r.missing else "")
        rows.append([cell(r.id), cell(r.name), cell(show_value(r, r.value)),
                     cell(f"{r.comparison} {show_value(r, r.limit)}{_buffered(r)}"),
                     cell(show_value(r, r.headroom)), cell(status),
                     cell("—" if r.change is None else show_value(r, r.change)), cell(show_yuan(r.numerator)),
                     cell(show_yuan(r.denominator)),
                     cell(r.clause + ("" if r.verified else " (clause not verified)"))])  # fmt: skip
        colour = STATUS_COLOURS.get(r.status)
        if colour:
            styles.append(("BACKGROUND", (5, number), (5, number), colors.HexColor("#" + colour)))
    widths = [x * mm for x in (30, 38, 18, 24, 18, 24, 16, 28, 28, 53)]
    story: list[object] = [Paragraph(html.escape(("DRAFT — " if report.draft else "") + _title(report)), title),
                           Spacer(1, 4 * mm)]  # fmt: skip
    story += [Paragraph(html.escape(problem), text) for problem in report.problems]
    story.append(Table(rows, colWidths=widths, repeatRows=1, style=TableStyle(styles)))
    for r in report.results:
        if r.contributors:
            listed = "; ".join(
                f"{c.key} {c.name}: {show_yuan(Decimal(c.exposure_fen))}" for c in r.contributors
            )
            story.append(Paragraph(html.escape(f"{r.id} — top contributors: {listed}"), text))
    document = SimpleDocTemplate(str(out), pagesize=landscape(A4), topMargin=14 * mm, bottomMargin=10 * mm,
                                 leftMargin=8 * mm, rightMargin=8 * mm, title=_title(report))  # fmt: skip
    document.build(story, onFirstPage=every_page, onLaterPages=every_page)


def _buffered(result: IndicatorResult) -> str:
    if result.buffered_limit is None:
        return ""
    return f" (含储备缓冲 {show_value(result, result.buffered_limit)})"


def write_report(report: IndicatorReport, out: Path, fmt: str) -> None:
    {"json": write_json, "html": write_html, "xlsx": write_xlsx, "pdf": write_pdf}[fmt](report, out)
