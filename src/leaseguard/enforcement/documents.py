"""Court documents from a rendered template: a small line-based markup turned into DOCX and PDF.

The templates (Jinja) render to this markup, so one editable file drives both formats:

    # 标题                 the document's title, centred
    ## 小标题               a section heading
    | a | b | c |          a table row; the first row of a run of rows is its header; `|---|` rows are skipped
    >> 具状人：…             a line set to the right (signature, date)
    ---                    a page break
    any other line         a paragraph; empty lines are ignored

The PDF embeds its fonts (subsets): Bitstream Vera, shipped with reportlab, for Latin text and Droid Sans
Fallback (Apache-2.0, in `fonts/`) for Chinese, so it prints the same on a court's machine as on ours.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from leaseguard.pdf import (
    CJK,
    LATIN,
    font_runs,
    latin_code_points,
    marked_up,
    numbered_canvas,
)

EAST_ASIAN_DOCX_FONT = "SimSun"  # 宋体, what Chinese courts' own templates use; Word substitutes if absent


@dataclass(frozen=True)
class Title:
    text: str


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    right: bool = False


@dataclass(frozen=True)
class TableBlock:
    rows: tuple[tuple[str, ...], ...]  # the first is the header


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Title | Heading | Paragraph | TableBlock | PageBreak

_SEPARATOR_ROW = re.compile(r"^\|[\s:|-]*\|?$")


def _cells(line: str) -> tuple[str, ...]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return tuple(cell.strip() for cell in inner.split("|"))


def parse_markup(text: str) -> list[Block]:
    """The blocks of a rendered template (see the module's docstring for the markup)."""
    blocks: list[Block] = []
    rows: list[tuple[str, ...]] = []

    def close_table() -> None:
        if rows:
            width = max(len(row) for row in rows)
            blocks.append(TableBlock(tuple(row + ("",) * (width - len(row)) for row in rows)))
            rows.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("|"):
            if not (_SEPARATOR_ROW.match(line) and "-" in line):
                rows.append(_cells(line))
            continue
        close_table()
        if not line:
            continue
        if line == "---":
            blocks.append(PageBreak())
        elif line.startswith("## "):
            blocks.append(Heading(line[3:].strip()))
        elif line.startswith("# "):
            blocks.append(Title(line[2:].strip()))
        elif line.startswith(">> "):
            blocks.append(Paragraph(line[3:].strip(), right=True))
        else:
            blocks.append(Paragraph(line))
    close_table()
    return blocks


def plain_text(blocks: list[Block]) -> str:
    """The blocks as plain text, one line per paragraph or table row (for searching and for tests)."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, TableBlock):
            lines.extend("\t".join(row) for row in block.rows)
        elif not isinstance(block, PageBreak):
            lines.append(block.text)
    return "\n".join(lines)


# --- DOCX -------------------------------------------------------------------------------------------------


_TITLE_MARK = "leaseguard-document-title"
_TEXT_WIDTH_TWIPS = 9072  # A4 (21 cm) less 2.5 cm margins each side, in twentieths of a point


@cache
def _docx_template() -> tuple[bytes, bytes, str, str, str]:
    """An empty document with our page, fonts, table style and numbered footer, built once per process with
    python-docx: (a package of its fixed parts, already compressed; its properties with a title mark;
    document.xml before and after the body's content; the grid table style id). Each document then only writes
    its body and title — python-docx building every run, and compressing the same styles and theme again, cost
    most of a DOCX."""
    import zipfile

    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    document.core_properties.title = _TITLE_MARK
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    normal = document.styles["Normal"]
    normal.font.size = Pt(11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_DOCX_FONT)
    _page_numbers(section.footer.paragraphs[0])
    grid_style = str(document.styles["Table Grid"].style_id)
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    body = parts.pop("word/document.xml").decode("utf-8")
    core = parts.pop("docProps/core.xml")
    fixed = io.BytesIO()
    with zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", parts.pop("[Content_Types].xml"))  # first, as Word writes it
        for name, content in parts.items():
            package.writestr(name, content)
    opened = body.index("<w:body>") + len("<w:body>")
    section_at = body.index("<w:sectPr", opened)
    return fixed.getvalue(), core, body[:opened], body[section_at:], grid_style


def _run(text: str, properties: str = "") -> str:
    styled = f"<w:rPr>{properties}</w:rPr>" if properties else ""
    return f'<w:r>{styled}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


_TITLE_RUN = '<w:b/><w:sz w:val="32"/>'  # 16 pt, in half-points
_HEADING_RUN = '<w:b/><w:sz w:val="24"/>'  # 12 pt


def _body_xml(blocks: list[Block], grid_style: str) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Title):
            out.append(f'<w:p><w:pPr><w:jc w:val="center"/></w:pPr>{_run(block.text, _TITLE_RUN)}</w:p>')
        elif isinstance(block, Heading):
            out.append(f"<w:p>{_run(block.text, _HEADING_RUN)}</w:p>")
        elif isinstance(block, Paragraph):
            alignment = '<w:pPr><w:jc w:val="right"/></w:pPr>' if block.right else ""
            out.append(f"<w:p>{alignment}{_run(block.text)}</w:p>")
        elif isinstance(block, TableBlock):
            columns = len(block.rows[0])
            width = _TEXT_WIDTH_TWIPS // columns
            cell_width = f'<w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr>'
            out.append(
                f'<w:tbl><w:tblPr><w:tblStyle w:val="{grid_style}"/><w:tblW w:type="auto" w:w="0"/>'
                '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" '
                'w:noVBand="1" w:val="04A0"/></w:tblPr><w:tblGrid>'
                + f'<w:gridCol w:w="{width}"/>' * columns
                + "</w:tblGrid>"
            )
            for number, row in enumerate(block.rows):
                bold = "<w:b/>" if number == 0 else ""
                cells = "".join(f"<w:tc>{cell_width}<w:p>{_run(value, bold)}</w:p></w:tc>" for value in row)
                out.append(f"<w:tr>{cells}</w:tr>")
            out.append("</w:tbl>")
        else:
            out.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
    return "".join(out)


def docx_bytes(blocks: list[Block], *, title: str = "") -> bytes:
    """A Word document of the blocks: SimSun for Chinese, A4, tables with a grid, numbered pages."""
    import zipfile

    fixed, core, before, after, grid_style = _docx_template()
    buffer = io.BytesIO(fixed)
    buffer.seek(0, io.SEEK_END)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as package:  # the fixed parts stay as compressed
        package.writestr("word/document.xml", before + _body_xml(blocks, grid_style) + after)
        package.writestr(
            "docProps/core.xml", core.replace(_TITLE_MARK.encode(), escape(title).encode("utf-8"))
        )
    return buffer.getvalue()


def _page_numbers(paragraph: Any) -> None:
    """第 n 页 共 m 页 in the footer, as Word fields (PAGE, NUMPAGES) so Word counts the pages itself."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def field(code: str) -> None:
        for kind, text in (
            ("begin", None),
            ("instr", code),
            ("separate", None),
            ("text", "1"),
            ("end", None),
        ):
            run = paragraph.add_run()
            if kind == "instr":
                instruction = OxmlElement("w:instrText")
                instruction.set(qn("xml:space"), "preserve")
                instruction.text = f" {text} "
                run._r.append(instruction)
            elif kind == "text":
                run.text = text
            else:
                character = OxmlElement("w:fldChar")
                character.set(qn("w:fldCharType"), kind)
                run._r.append(character)

    paragraph.add_run("第 ")
    field("PAGE")
    paragraph.add_run(" 页 共 ")
    field("NUMPAGES")
    paragraph.add_run(" 页")


# --- PDF --------------------------------------------------------------------------------------------------

_LATIN, _CJK = LATIN, CJK
_fonts = latin_code_points
_marked_up = marked_up


# Characters a line never starts with (标点避头): they stay with the character before them.
_NO_LINE_START = frozenset("，。、；：？！）》」』】〕”’,.;:?!)]%")


@cache
def _char_width(char: str, size: float) -> tuple[str, float]:
    """The font a character is set in and its width at `size` points."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    font = _LATIN if ord(char) in _fonts() else _CJK
    return font, stringWidth(char, font, size)


class _Widths(dict[str, float]):
    """Each character's width at one size, measured on first use."""

    def __init__(self, size: float) -> None:
        super().__init__()
        self.size = size

    def __missing__(self, char: str) -> float:
        width = self[char] = _char_width(char, self.size)[1]
        return width


@cache
def _widths(size: float) -> _Widths:
    return _Widths(size)


def _text_width(text: str, size: float = 9) -> float:
    return sum(map(_widths(size).__getitem__, text))


_font_runs = font_runs


def _tokens(text: str) -> list[str]:
    """Units a line may break between: each Chinese character, a run of Latin text without spaces (a number,
    an amount, a date, a hash — never broken unless wider than a line), a space; closing punctuation is
    attached to the unit before it."""
    units: list[str] = []
    for char in text:
        latin = ord(char) in _fonts() and not char.isspace()
        if (units and char in _NO_LINE_START) or (
            units and latin and units[-1] and ord(units[-1][-1]) in _fonts() and not units[-1][-1].isspace()
        ):
            units[-1] += char
        else:
            units.append(char)
    return units


def _break_lines(text: str, size: float, width: float) -> list[str]:
    """Greedy line breaking of mixed Chinese and Latin text to `width` points."""
    lines: list[str] = []
    line, used = "", 0.0
    for unit in _tokens(text):
        unit_width = _text_width(unit, size)
        if line and used + unit_width > width:
            lines.append(line.rstrip())
            line, used = "", 0.0
            if unit.isspace():
                continue
        if unit_width > width:  # a unit wider than a line (a long hash): split it by characters
            for char in unit:
                char_width = _char_width(char, size)[1]
                if line and used + char_width > width:
                    lines.append(line)
                    line, used = "", 0.0
                line += char
                used += char_width
            continue
        line += unit
        used += unit_width
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


class _TextLines:
    """A paragraph set by our own line breaking and drawn run by run: reportlab's CJK paragraph wrapping costs
    about 30 µs a character, most of a complaint's rendering time. Splits across pages between lines."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        from reportlab.platypus.flowables import Flowable

        class TextLines(Flowable):
            def __init__(self, text: str, size: float, leading: float, align: str = "left",
                         space_after: float = 0.0, lines: list[str] | None = None) -> None:  # fmt: skip
                super().__init__()
                self.text, self.size, self.leading, self.align = text, size, leading, align
                self.space_after = space_after
                self.lines = lines
                self.fixed = lines is not None  # the part of a split paragraph: its lines are set
                self.width = 0.0

            def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
                if not self.fixed and (self.lines is None or self.width != available_width):
                    self.lines = _break_lines(self.text, self.size, available_width)
                self.width = available_width
                assert self.lines is not None
                return available_width, len(self.lines) * self.leading + self.space_after

            def getSpaceAfter(self) -> float:
                return 0.0

            def split(self, available_width: float, available_height: float) -> list[Any]:
                self.wrap(available_width, available_height)
                assert self.lines is not None
                fit = int(available_height // self.leading)
                if fit <= 0 or fit >= len(self.lines):
                    return []
                head, tail = self.lines[:fit], self.lines[fit:]
                return [
                    TextLines(self.text, self.size, self.leading, self.align, 0.0, head),
                    TextLines(self.text, self.size, self.leading, self.align, self.space_after, tail),
                ]

            def draw(self) -> None:
                assert self.lines is not None
                canvas = self.canv
                y = len(self.lines) * self.leading + self.space_after - self.size
                for line in self.lines:
                    x = self.width - _text_width(line, self.size) if self.align == "right" else 0.0
                    text = canvas.beginText(x, y)
                    for font, run in _font_runs(line):
                        text.setFont(font, self.size)
                        text.textOut(run)
                    canvas.drawText(text)
                    y -= self.leading

        return TextLines(*args, **kwargs)


_CELL_SIZE, _CELL_LEADING, _CELL_PADDING = 9.0, 12.0, 6.0


def _plain_schedule(rows: tuple[tuple[str, ...], ...], widths: list[float]) -> bool:
    """A table whose body is Latin text that fits its columns on one line (a rent table, a penalty schedule):
    drawn by `_Schedule` in one pass instead of one reportlab flowable per cell."""
    latin = _fonts()
    return len(rows) > 2 and all(
        all(ord(char) in latin for char in value) and _text_width(value) <= width - 2 * _CELL_PADDING
        for row in rows[1:]
        for value, width in zip(row, widths, strict=True)
    )


class _Schedule:
    """A grid of one-line Latin rows under a (possibly Chinese, wrapped) header, drawn with one text object;
    splits between rows across pages, repeating the header."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        from reportlab.lib import colors
        from reportlab.platypus.flowables import Flowable

        class Schedule(Flowable):
            def __init__(self, rows: tuple[tuple[str, ...], ...], widths: list[float]) -> None:
                super().__init__()
                self.rows, self.widths = rows, widths
                self.hAlign = "CENTER"  # as reportlab tables are placed
                self.header = [_break_lines(value, _CELL_SIZE, w - 2 * _CELL_PADDING) for value, w in
                               zip(rows[0], widths, strict=True)]  # fmt: skip
                self.header_height = max(len(lines) for lines in self.header) * _CELL_LEADING + 5
                self.row_height = _CELL_LEADING + 5

            def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
                return sum(self.widths), self.header_height + (len(self.rows) - 1) * self.row_height

            def split(self, available_width: float, available_height: float) -> list[Any]:
                fit = int((available_height - self.header_height) // self.row_height)
                if fit < 1 or fit >= len(self.rows) - 1:
                    return []
                return [Schedule((self.rows[0], *self.rows[1 : fit + 1]), self.widths),
                        Schedule((self.rows[0], *self.rows[fit + 1 :]), self.widths)]  # fmt: skip

            def draw(self) -> None:
                canvas = self.canv
                total_width, height = self.wrap(0, 0)
                canvas.setFillColor(colors.HexColor("#eeeeee"))
                canvas.rect(0, height - self.header_height, total_width, self.header_height, stroke=0, fill=1)
                canvas.setFillColor(colors.black)
                canvas.setLineWidth(0.5)
                lines = [height, height - self.header_height]
                lines += [height - self.header_height - k * self.row_height for k in range(1, len(self.rows))]
                for y in lines:
                    canvas.line(0, y, total_width, y)
                x = 0.0
                for width in [0.0, *self.widths]:
                    x += width
                    canvas.line(x, 0, x, height)
                text = canvas.beginText()
                left = 0.0
                for lines_of_cell, width in zip(self.header, self.widths, strict=True):
                    y = height - 2 - _CELL_SIZE
                    for line in lines_of_cell:
                        x = left + _CELL_PADDING
                        for font, run in _font_runs(line):
                            text.setFont(font, _CELL_SIZE)
                            text.setTextOrigin(x, y)
                            text.textOut(run)
                            x += _text_width(run, _CELL_SIZE)
                        y -= _CELL_LEADING
                    left += width
                text.setFont(_LATIN, _CELL_SIZE)
                y = height - self.header_height - 2 - _CELL_SIZE
                for row in self.rows[1:]:
                    left = 0.0
                    for value, width in zip(row, self.widths, strict=True):
                        if value:
                            text.setTextOrigin(left + _CELL_PADDING, y)
                            text.textOut(value)
                        left += width
                    y -= self.row_height
                canvas.drawText(text)

        return Schedule(*args, **kwargs)


def _cell(value: str, width: float) -> object:
    """A table cell: plain Latin text that fits is drawn as a string; other text as our own line-set text."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    latin = _fonts()
    if all(ord(char) in latin for char in value) and stringWidth(value, _LATIN, 9) < width - 12:
        return value
    return _TextLines(value, 9, 12)


def _widest_unit(text: str) -> float:
    if text.isascii() and " " not in text:  # an amount, a date, a number: one unit
        return _text_width(text)
    return max((_text_width(unit) for unit in _tokens(text)), default=0.0)


def _column_widths(rows: tuple[tuple[str, ...], ...], width: float) -> list[float]:
    """Every column at least as wide as its header and its widest unbreakable unit (an amount, a date: never
    broken across lines), the rest of the page shared by how much more text each holds. Measured in the
    fonts the cells are set in."""
    padding = 12.0
    count = len(rows[0])
    least = [
        max(
            _text_width(rows[0][i]),
            *(min(_widest_unit(row[i]), 90.0) for row in rows),
            20.0,
        )
        + padding  # a unit wider than 90 pt (a hash) may break: it would crowd out the other columns
        for i in range(count)
    ]
    if sum(least) >= width:
        return [w * width / sum(least) for w in least]
    natural = [
        max(least[i], min(max(_text_width(row[i]) for row in rows), 300.0) + padding) for i in range(count)
    ]
    wanted = [n - m for n, m in zip(natural, least, strict=True)]
    spare = width - sum(least)
    if sum(wanted) == 0:
        return [m + spare / count for m in least]
    return [m + spare * min(1.0, w / sum(wanted)) for m, w in zip(least, wanted, strict=True)]


def pdf_bytes(blocks: list[Block], *, title: str = "") -> bytes:
    """An A4 PDF of the blocks with its fonts embedded."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import PageBreak as PdfPageBreak
    from reportlab.platypus import Paragraph as PdfParagraph
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    _fonts()
    body = ParagraphStyle("body", fontName=_LATIN, fontSize=10.5, leading=16, wordWrap="CJK", spaceAfter=3)
    styles = {
        "title": ParagraphStyle("title", parent=body, fontSize=16, leading=24, alignment=TA_CENTER, spaceAfter=10),
        "heading": ParagraphStyle("heading", parent=body, fontSize=12, leading=18, spaceBefore=6),
    }  # fmt: skip
    width = A4[0] - 4 * cm
    story: list[object] = []
    for block in blocks:
        if isinstance(block, Title):
            story.append(PdfParagraph(_marked_up(block.text), styles["title"]))
        elif isinstance(block, Heading):
            story.append(PdfParagraph(_marked_up(block.text), styles["heading"]))
        elif isinstance(block, Paragraph):
            story.append(_TextLines(block.text, 10.5, 16, "right" if block.right else "left", 3))
        elif isinstance(block, TableBlock):
            widths = _column_widths(block.rows, width)
            if _plain_schedule(block.rows, widths):
                story.extend([_Schedule(block.rows, widths), Spacer(1, 6)])
                continue
            cells = [
                [_cell(value, column_width) for value, column_width in zip(row, widths, strict=True)]
                for row in block.rows
            ]
            table = Table(cells, colWidths=widths, repeatRows=1)
            table.setStyle(TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), _LATIN),
            ]))  # fmt: skip
            story.extend([table, Spacer(1, 6)])
        else:
            story.append(PdfPageBreak())
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm, bottomMargin=2 * cm,
        title=title, author="leaseguard", invariant=True, initialFontName=_LATIN,
    )  # fmt: skip
    document.build(story, canvasmaker=_numbered_canvas())
    return buffer.getvalue()


def _numbered_canvas() -> type:
    """A canvas that numbers its pages 第 n 页 共 m 页 at the foot: pages are held until the count is known."""
    from reportlab.lib.pagesizes import A4

    return numbered_canvas(A4[0], lambda page, pages: f"第 {page} 页 共 {pages} 页", footer_y=28)


@cache
def _drawable() -> frozenset[int]:
    from reportlab.pdfbase import pdfmetrics

    _fonts()
    return _fonts() | frozenset(pdfmetrics.getFont(_CJK).face.charToGlyph)


def missing_glyphs(text: str) -> set[str]:
    """Characters neither embedded font can draw (they would print as blanks in the PDF)."""
    drawable = _drawable()
    return {c for c in set(text) if not c.isspace() and ord(c) not in drawable}
