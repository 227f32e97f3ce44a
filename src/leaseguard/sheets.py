"""Files people open in Excel. A CSV for people has a UTF-8 byte-order mark, so Excel reads its Chinese as
Chinese (`write_csv`). One way to write a table as XLSX — a Chinese header row above the
machine-readable column names, money as numbers in yuan with a `#,##0.00` format (never fen, never text),
ratios as percentages, dates as dates, the header frozen, the columns wide enough to read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import polars as pl

    from leaseguard.vocabulary import Lang

Kind = Literal["text", "money_fen", "integer", "ratio", "date"]
MONEY_FORMAT = "#,##0.00"
_FORMATS = {"money_fen": MONEY_FORMAT, "integer": "#,##0", "ratio": "0.00%", "date": "yyyy-mm-dd"}


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


def _cell(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if column.kind == "money_fen":
        return Decimal(int(value)).scaleb(-2)  # exact yuan; openpyxl writes a Decimal as a number
    if column.labels is not None:
        return column.labels.get(str(value), value)
    return value


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: its title, its columns and its rows (values in `columns` order; money in fen)."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


def write_table(
    out: Path, columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, sheet: str, lang: Lang = "zh"
) -> int:
    """Write `rows` (values in `columns` order; money in integer fen) to the workbook `out`, headed in `lang`
    above the machine names; the row count."""
    return write_sheets(out, [Sheet(sheet, columns, rows)], lang=lang)[0]


def write_sheets(out: Path, sheets: Sequence[Sheet], *, lang: Lang = "zh") -> list[int]:
    """A workbook of several sheets, each as `write_table` writes one; the row count of each."""
    from openpyxl import Workbook

    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    counts = []
    for sheet in sheets:
        # Excel refuses a sheet title over 31 characters or with any of []:*?/\
        title = "".join("_" if char in "[]:*?/\\" else char for char in sheet.title)[:31]
        counts.append(_fill(workbook.create_sheet(title), sheet.columns, sheet.rows, lang))
    workbook.save(out)
    return counts


def _fill(worksheet: Any, columns: Sequence[Column], rows: Iterable[Sequence[Any]], lang: Lang) -> int:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    worksheet.append([c.header(lang) for c in columns])
    worksheet.append([c.name for c in columns])
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
    for cell in worksheet[2]:
        cell.font = Font(color="808080", size=9)
    count = 0
    for row in rows:
        worksheet.append([_cell(value, column) for value, column in zip(row, columns, strict=True)])
        count += 1
    widths = [max(len(c.label) * 2, len(c.header(lang)), len(c.name)) + 2 for c in columns]
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        number_format = _FORMATS.get(column.kind)
        if number_format:
            for (cell,) in worksheet.iter_rows(min_row=3, min_col=index, max_col=index):
                cell.number_format = number_format
        if column.kind == "money_fen":
            widths[index - 1] = max(widths[index - 1], 16)
        worksheet.column_dimensions[letter].width = min(widths[index - 1], 60)
    worksheet.freeze_panes = "A3"
    worksheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{count + 2}"
    return count


def write_csv(frame: pl.DataFrame, out: Path, **options: Any) -> None:
    """A CSV a person opens in Excel: UTF-8 with a byte-order mark (machines reading it as UTF-8-SIG or with
    Polars see the same columns)."""
    frame.write_csv(out, include_bom=True, **options)
