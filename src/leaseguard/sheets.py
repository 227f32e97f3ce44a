"""Files people open in Excel. A CSV for people has a UTF-8 byte-order mark, so Excel reads its Chinese as
Chinese (`write_csv`). One way to write a table as XLSX — a Chinese header row above the
machine-readable column names, money as numbers in yuan with a `#,##0.00` format (never fen, never text),
ratios as percentages, dates as dates, the header frozen, the columns wide enough to read (`write_table`
for one table, `add_table` for a workbook of several with a title above and a sign-off below).

Both neutralise text that a spreadsheet would take for a formula (OWASP's CSV injection guidance): a lessee named
`=HYPERLINK(...)` or `@SUM(...)` is a name in the file, never a formula. In a CSV such text gets a leading
apostrophe (`formula_safe`); in an XLSX the cell is a string marked with Excel's quote prefix, so it reads the same
and stays text when edited."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from leaseguard.money import yuan_decimal

if TYPE_CHECKING:
    import polars as pl
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from leaseguard.vocabulary import Lang

Kind = Literal["text", "money_fen", "integer", "ratio", "multiple", "date"]
MONEY_FORMAT = "#,##0.00"
RATIO_FORMAT = "0.00%"
_FORMATS = {
    "money_fen": MONEY_FORMAT, "integer": "#,##0", "ratio": RATIO_FORMAT, "multiple": '0.00"×"',
    "date": "yyyy-mm-dd",
}  # fmt: skip


# What a spreadsheet takes for the start of a formula (OWASP: = + - @, tab and carriage return), unless the text is
# a plain number: a signed amount in a text column ("-0.05") stays as it is.
_FORMULA_START = r"^[=+\-@\t\r]"
_PLAIN_NUMBER = r"^[+-]?[0-9][0-9,]*(\.[0-9]+)?%?$"
_FORMULA_START_RE = re.compile(_FORMULA_START)
_PLAIN_NUMBER_RE = re.compile(_PLAIN_NUMBER)


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would read `text` as a formula."""
    return bool(_FORMULA_START_RE.match(text)) and not _PLAIN_NUMBER_RE.match(text)


def formula_safe(value: Any) -> Any:
    """`value` for a CSV cell a person opens in Excel: formula-like text behind an apostrophe, the rest as is."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its machine-readable name, its Chinese header (and English one) and what its cells
    hold."""

    name: str
    label: str
    kind: Kind = "text"
    labels: Mapping[str, str] | None = None  # codes shown as words (a class code as 次级类)
    english: str = ""  # the header in English; the machine name when empty

    def header(self, lang: Lang = "zh") -> str:
        return self.label if lang == "zh" else (self.english or self.name)


@dataclass(frozen=True)
class Styled:
    """A cell whose kind is not its column's: a multiple in a column of ratios."""

    value: Any
    kind: Kind


@dataclass(frozen=True)
class Placed:
    """Where `add_table` put a table: its sheet, the first data row and how many rows it holds."""

    worksheet: Worksheet
    first_row: int
    count: int


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: its title, its columns and its rows (values in `columns` order; money in fen)."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


def _cell(value: Any, column: Column, kind: Kind) -> Any:
    if value is None:
        return None
    if kind == "money_fen":
        # Exact yuan, a fractional fen (an average, a weighted amount) rounded half-up to the fen; openpyxl
        # writes a Decimal as a number.
        return yuan_decimal(value if isinstance(value, Decimal) else int(value))
    if column.labels is not None:
        return column.labels.get(str(value), value)
    return value


def _shown_width(value: Any, kind: Kind) -> int:
    """About how many character widths Excel needs to show `value` (a Chinese character counts two)."""
    if value is None:
        return 0
    if kind == "money_fen":
        return len(f"{value:,.2f}") + 1
    if kind in ("ratio", "multiple"):
        return 9
    text = str(value)
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def new_workbook() -> Workbook:
    """An empty workbook for `add_table` (without the blank sheet openpyxl starts with)."""
    from openpyxl import Workbook

    workbook = Workbook()
    assert workbook.active is not None
    workbook.remove(workbook.active)
    return workbook


def add_table(
    workbook: Workbook,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    sheet: str,
    preamble: Sequence[Sequence[Any]] = (),
    after: Sequence[Sequence[Any]] = (),
    lang: Lang = "zh",
) -> Placed:
    """A sheet holding `rows` (values in `columns` order; money in integer fen; a `Styled` value overrides its
    column's kind): `preamble` rows (a title, the lessor, a DRAFT line) above a header row in `lang` and the
    machine names, frozen with them; `after` rows (a sign-off block) below the table."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    # Excel refuses a sheet title over 31 characters or with any of []:*?/\
    worksheet = workbook.create_sheet("".join("_" if char in "[]:*?/\\" else char for char in sheet)[:31])
    for line in preamble:
        worksheet.append(list(line))
    header = len(preamble) + 1
    worksheet.append([c.header(lang) for c in columns])
    worksheet.append([c.name for c in columns])
    for cell in worksheet[header]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
    for cell in worksheet[header + 1]:
        cell.font = Font(color="808080", size=9)
    widths = [max(_shown_width(c.header(lang), "text"), len(c.name)) + 2 for c in columns]
    first = header + 2
    count = 0
    for count, row in enumerate(rows, start=1):
        for index, (value, column) in enumerate(zip(row, columns, strict=True)):
            kind = column.kind
            if isinstance(value, Styled):
                value, kind = value.value, value.kind
            shown = _cell(value, column, kind)
            cell = worksheet.cell(first + count - 1, index + 1, shown)
            if isinstance(shown, str) and is_formula_like(shown):
                # openpyxl would store text starting with "=" as a formula.
                cell.data_type = "s"
                cell.quotePrefix = True
            number_format = _FORMATS.get(kind)
            if number_format:
                cell.number_format = number_format
            widths[index] = max(widths[index], _shown_width(shown, kind) + 2)
    for index, column in enumerate(columns, start=1):
        if column.kind == "money_fen":
            widths[index - 1] = max(widths[index - 1], 16)
        worksheet.column_dimensions[get_column_letter(index)].width = min(widths[index - 1], 60)
    if after:
        worksheet.append([])
        for line in after:
            worksheet.append(list(line))
    worksheet.freeze_panes = f"A{first}"
    worksheet.auto_filter.ref = f"A{header + 1}:{get_column_letter(len(columns))}{first + count - 1}"
    return Placed(worksheet, first, count)


def write_table(
    out: Path, columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, sheet: str, lang: Lang = "zh"
) -> int:
    """Write `rows` (values in `columns` order; money in integer fen) to the workbook `out`, headed in `lang`
    above the machine names; the row count."""
    return write_sheets(out, [Sheet(sheet, columns, rows)], lang=lang)[0]


def write_sheets(out: Path, sheets: Sequence[Sheet], *, lang: Lang = "zh") -> list[int]:
    """A workbook of several sheets, each as `write_table` writes one; the row count of each."""
    workbook = new_workbook()
    counts = [add_table(workbook, s.columns, s.rows, sheet=s.title, lang=lang).count for s in sheets]
    workbook.save(out)
    return counts


def write_csv(frame: pl.DataFrame, out: Path, **options: Any) -> None:
    """A CSV a person opens in Excel: UTF-8 with a byte-order mark (machines reading it as UTF-8-SIG or with
    Polars see the same columns), formula-like text behind an apostrophe."""
    import polars as pl

    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    safe = frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA_START) & ~pl.col(name).str.contains(_PLAIN_NUMBER))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in texts
    )
    safe.write_csv(out, include_bom=True, **options)
