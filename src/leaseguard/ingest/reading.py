"""Reading a data file into a frame of trimmed strings, with its encoding and each row's line number."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from xml.etree import ElementTree

import polars as pl

from leaseguard.errors import InvalidInputError
from leaseguard.ingest.reports import FileProblem
from leaseguard.vocabulary import Label

if TYPE_CHECKING:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

LINE = "_line"
OVERFLOW = "_overflow"  # the first value beyond the header's last column, if a row has one
XLSX_ENCODING = "xlsx"
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
DATA_SUFFIXES = (".csv", ".txt", *SPREADSHEET_SUFFIXES)
HEADER_PEEK_BYTES = 65_536
MB = 1_000_000
LIMITS_SETTING = "ingest.xlsx"
# A CR not followed by LF: the line end of old Mac files (and of "CSV (Macintosh)" from Excel for Mac).
LONE_CR = re.compile("\r(?!\n)")
# A sheet row's start tag, with or without a namespace prefix (not <rowBreaks> or <rows>), and its r attribute.
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row(?=[\s/>])([^>]*)>")
ROW_NUMBER = re.compile(rb"""\br\s*=\s*["'](\d+)["']""")
CELL_TAG = re.compile(r"""<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\br\s*=\s*["']([A-Z]{1,3}[0-9]{1,7})["']""")
SHEET_SCAN_BYTES = 1 << 20


@dataclass(frozen=True)
class ReadLimits:
    """How far a workbook may expand when read (settings ingest.xlsx.*): an XLSX is a zip, so a small file can
    unpack to gigabytes of XML or to rows of 16,384 mostly empty cells. Checked before and while reading."""

    max_part_mb: int = 512  # uncompressed size of any one part of the zip (sheet XML, shared strings)
    max_compression_ratio: int = 100  # all parts unpacked over the file's size
    max_cells: int = 25_000_000  # rows × columns of the first sheet as read, empty cells included
    max_cell_chars: int = 32_767  # Excel's own limit for one cell

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> ReadLimits:
        """From the `ingest.xlsx` mapping of a workspace; absent keys keep their defaults; a bad value is an
        InvalidInputError (a ValueError) naming the setting."""
        values: dict[str, int] = {}
        for item in fields(cls):
            value = (settings or {}).get(item.name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(
                    Label(
                        "{setting}：应为大于 0 的整数，实际为 {value!r}",
                        "{setting}: expected a whole number above 0, got {value!r}",
                    ),
                    setting=f"{LIMITS_SETTING}.{item.name}",
                    value=value,
                )
            values[item.name] = value
        return cls(**values)


@dataclass(frozen=True)
class RawTable:
    """A file's header and rows as text. Row columns are named c0, c1, … by header position."""

    header: tuple[str, ...]
    header_line: int
    rows: pl.DataFrame
    encoding: str
    sha256: str

    @property
    def positional_names(self) -> list[str]:
        return [position_name(i) for i in range(len(self.header))]


def position_name(index: int) -> str:
    return f"c{index}"


def read_table(path: Path, limits: ReadLimits | None = None) -> RawTable:
    """Read a CSV (UTF-8 with or without BOM, GBK, GB18030) or the first sheet of an XLSX workbook."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FileProblem("cannot_read", error=error.strerror or error) from error
    sha256 = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return _read_workbook(data, sha256, limits or ReadLimits())
    if path.suffix.lower() == ".xls":
        raise FileProblem("xls_format")
    return _read_csv(data, sha256)


def read_header(path: Path, limits: ReadLimits | None = None) -> tuple[str, ...]:
    """Just the header of a file (cheap even for a big one), to tell its kind before loading anything."""
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return _read_workbook(path.read_bytes(), "", limits or ReadLimits(), rows=False).header
    with path.open("rb") as handle:
        head = handle.read(HEADER_PEEK_BYTES)
    end = max(head.rfind(b"\n"), head.rfind(b"\r"))
    if len(head) == HEADER_PEEK_BYTES and end > 0:
        head = head[:end]  # never cut a multi-byte character in half
    text, _ = decode(head)
    return tuple(_csv_header(text)[1])


def decode(data: bytes) -> tuple[str, str]:
    """The text of `data` and the encoding that decoded it strictly: UTF-8 first, then GBK, then GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as error:
            raise FileProblem("bad_bom", error=error.reason) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem("utf16")
    if b"\x00" in data[:8192]:
        raise FileProblem("binary")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Chinese Excel saves "CSV" in the ANSI code page, which is GBK; GB18030 is its superset.
    for encoding in ("gbk", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise FileProblem("unreadable_encoding")


def _read_csv(data: bytes, sha256: str) -> RawTable:
    text, encoding = decode(data)
    if not text.strip():
        raise FileProblem("empty_file")
    header_index, header = _csv_header(text)
    width = len(header)
    # One spare column catches values beyond the header, so a ragged row is reported, not truncated.
    schema = {position_name(i): pl.String for i in range(width)} | {OVERFLOW: pl.String}
    if text.count("\r") != text.count("\r\n"):
        # polars ends a record only at LF; the line counts (and Python's csv) also end one at a lone CR.
        payload = _lone_cr_as_lf(text).encode("utf-8")
    elif encoding == "utf-8-sig":
        payload = data[3:]
    else:
        payload = data if encoding == "utf-8" else text.encode("utf-8")
    try:
        frame = pl.read_csv(
            payload,
            has_header=False,
            schema=schema,
            missing_columns="insert",
            truncate_ragged_lines=True,
            infer_schema=False,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as error:
        raise FileProblem("not_valid_csv", error=str(error).splitlines()[0]) from None
    frame = frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(LINE))
    if _has_multiline_values(frame):
        frame = frame.with_columns(pl.Series(LINE, _record_start_lines(text, frame.height), dtype=pl.Int64))
    frame = _trimmed_non_blank(frame, [*schema])
    # The header is the first non-blank record; the rows are everything after it.
    frame = frame.filter(pl.col(LINE) > header_index + 1)
    return RawTable(tuple(header), header_index + 1, frame, encoding, sha256)


def _csv_header(text: str) -> tuple[int, list[str]]:
    """The 0-based index of the first non-blank line and its fields, trimmed."""
    for index, line in enumerate(io.StringIO(text, newline="")):
        if line.strip():
            fields = next(csv.reader([line]))
            return index, [field.strip().lstrip("\ufeff") for field in fields]
    raise FileProblem("empty_file")


def _lone_cr_as_lf(text: str) -> str:
    """Lone CRs outside quoted values made LFs; inside a quoted value a CR is part of the value and stays.

    Splitting at quotes leaves the text outside quoted values at the even positions (a doubled quote inside
    a value splits into an empty outside piece)."""
    pieces = text.split('"')
    pieces[::2] = [LONE_CR.sub("\n", piece) for piece in pieces[::2]]
    return '"'.join(pieces)


def _has_multiline_values(frame: pl.DataFrame) -> bool:
    columns = [c for c in frame.columns if c != LINE]
    # A CR inside a quoted value is a line of its own to an editor and to the line count of Python's csv.
    breaks = pl.col(columns).str.contains("[\r\n]")
    return bool(frame.select(pl.any_horizontal(breaks).any()).item())


def _record_start_lines(text: str, expected: int) -> list[int]:
    """The first physical line of each CSV record, for files whose quoted values hold line breaks."""
    reader = csv.reader(io.StringIO(text, newline=""))
    starts: list[int] = []
    previous_end = 0
    for _record in reader:
        starts.append(previous_end + 1)
        previous_end = reader.line_num
    if len(starts) != expected:  # the two parsers disagree; record order is still the best guess
        return list(range(1, expected + 1))
    return starts


def _trimmed_non_blank(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Values trimmed, empty values null, and wholly blank rows (`,,,` or empty lines) dropped."""
    trimmed = frame.with_columns(
        pl.col(columns).str.strip_chars().replace("", None),
    )
    return trimmed.filter(pl.any_horizontal(pl.col(columns).is_not_null()))


def _read_workbook(data: bytes, sha256: str, limits: ReadLimits, rows: bool = True) -> RawTable:
    # openpyxl is imported by the workbooks it reads: a CSV import, the usual one, goes without it.
    import openpyxl
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    _check_archive(data, limits)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError, EOFError, zlib.error) as error:
        raise _unreadable(data, error) from None
    try:
        if not workbook.worksheets:
            raise FileProblem("no_sheets")
        sheet = workbook.worksheets[0]
        if not isinstance(sheet, ReadOnlyWorksheet):
            raise FileProblem("sheet_unreadable")
        extent = 0
        try:
            header, header_line, lines, records, overflow, last_row = _sheet_rows(sheet, limits, rows)
            if rows:
                with sheet._get_source() as source:
                    extent = sheet_row_extent(source)
        except FileProblem:
            raise  # a limit or a fault the reading found, already said (it is a ValueError too)
        except (
            SyntaxError,
            ValueError,
            KeyError,
            OSError,
            EOFError,
            zlib.error,
            zipfile.BadZipFile,
        ) as error:
            raise _unreadable(data, error) from None
    finally:
        workbook.close()
    if rows and extent != last_row:
        # Never load part of a sheet: whatever made the reader stop early, the sheet says how far it goes.
        raise FileProblem("sheet_partly_read", read=last_row, extent=extent)
    if header is None:
        raise FileProblem("empty_sheet")
    width = len(header)
    frame = pl.DataFrame(
        {
            **{position_name(i): [cells[i] for cells in records] for i in range(width)},
            OVERFLOW: overflow,
            LINE: lines,
        },
        schema={**{position_name(i): pl.String for i in range(width)}, OVERFLOW: pl.String, LINE: pl.Int64},
    )
    frame = _trimmed_non_blank(frame, [*(position_name(i) for i in range(width)), OVERFLOW])
    return RawTable(tuple(header), header_line, frame, XLSX_ENCODING, sha256)


def _sheet_rows(
    sheet: ReadOnlyWorksheet, limits: ReadLimits, rows: bool
) -> tuple[list[str] | None, int, list[int], list[list[str | None]], list[str | None], int]:
    """The header, and each later non-blank row cut to the header's width with its first value beyond it;
    the sheet's size is bounded as it is read."""
    from openpyxl.utils import get_column_letter

    # Read-only mode trusts the sheet's <dimension>, which other programs leave stale: read what is there.
    sheet.reset_dimensions()
    header: list[str] | None = None
    header_line = number = cells_read = 0
    lines: list[int] = []
    records: list[list[str | None]] = []
    overflow: list[str | None] = []
    width = 0
    for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        cells_read += len(values)
        if cells_read > limits.max_cells:
            raise FileProblem(
                "too_many_cells",
                cells=cells_read,
                row=number,
                limit=limits.max_cells,
                setting=f"{LIMITS_SETTING}.max_cells",
            )
        cells = [cell_text(value) for value in values]
        for index, cell in enumerate(cells):
            if cell is not None and len(cell) > limits.max_cell_chars:
                raise FileProblem(
                    "cell_too_long",
                    cell=f"{get_column_letter(index + 1)}{number}",
                    length=len(cell),
                    limit=limits.max_cell_chars,
                    setting=f"{LIMITS_SETTING}.max_cell_chars",
                )
        if not any(cells):
            continue
        if header is None:
            header = [(cell or "").strip() for cell in cells]
            while header and not header[-1]:
                header.pop()
            width, header_line = len(header), number
            if not rows:
                break
            continue
        lines.append(number)
        # Only the header's width is kept (a row may be 16,384 cells wide), and the first value beyond it.
        records.append(cells[:width] + [None] * (width - len(cells)))
        overflow.append(next((cell for cell in cells[width:] if cell), None))
    return header, header_line, lines, records, overflow, number


def _check_archive(data: bytes, limits: ReadLimits) -> None:
    """Refuse a workbook whose parts would unpack beyond the limits, before anything is unpacked.

    Python's zipfile never returns more bytes than a member's stated size (and fails its CRC when the data
    is longer), so the stated sizes bound what reading can allocate."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise FileProblem("unreadable_workbook", error=error) from None
    for member in members:
        if member.file_size > limits.max_part_mb * MB:
            raise FileProblem(
                "part_too_large",
                part=member.filename,
                megabytes=member.file_size / MB,
                limit=limits.max_part_mb,
                setting=f"{LIMITS_SETTING}.max_part_mb",
            )
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.max_compression_ratio * max(len(data), 1):
        raise FileProblem(
            "compression_ratio",
            ratio=unpacked // max(len(data), 1),
            limit=limits.max_compression_ratio,
            setting=f"{LIMITS_SETTING}.max_compression_ratio",
        )


def sheet_row_extent(source: IO[bytes]) -> int:
    """The number of the last row of a sheet's XML, scanned without parsing it; refuses rows out of order,
    which a streaming reader skips."""
    last = 0
    pending = b""
    while chunk := source.read(SHEET_SCAN_BYTES):
        buffer = pending + chunk
        scanned = 0
        for match in ROW_TAG.finditer(buffer):
            stated = ROW_NUMBER.search(match.group(1))
            row = int(stated.group(1)) if stated else last + 1
            if row <= last:
                raise FileProblem("rows_out_of_order", row=row, last=last)
            last, scanned = row, match.end()
        # A tag cut by the chunk's end is scanned again with the next chunk.
        cut = buffer.rfind(b"<")
        pending = buffer[max(cut, scanned) :] if cut >= scanned else b""
    return last


def _unreadable(data: bytes, error: Exception) -> FileProblem:
    """The problem of a workbook that cannot be read, naming the part and cell where that can be told."""
    part, cell = _where_unreadable(data, error)
    if cell:
        return FileProblem("unreadable_workbook_cell", part=part, cell=cell, error=error)
    if part:
        return FileProblem("unreadable_workbook_part", part=part, error=error)
    return FileProblem("unreadable_workbook", error=error)


def _where_unreadable(data: bytes, error: Exception) -> tuple[str, str]:
    """(part, cell) of an XML error inside a sheet's cell (a NUL written as &#0;), (part, "") for one elsewhere,
    ("", "") when it cannot be told. The parts are parsed again, one by one, to find the one that fails."""
    position = getattr(error, "position", None)
    if not isinstance(error, SyntaxError) or not position:
        return "", ""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.infolist():
            if not member.filename.endswith((".xml", ".rels")):
                continue
            try:
                with archive.open(member) as source:
                    for _event, element in ElementTree.iterparse(source):
                        element.clear()
            except ElementTree.ParseError as failed:
                if failed.position != position:
                    continue
                if "/worksheets/" not in member.filename:
                    return member.filename, ""
                lines = archive.read(member).decode("utf-8", errors="replace").splitlines(keepends=True)
                line, column = position
                offset = sum(len(text) for text in lines[: line - 1]) + column
                cells = list(CELL_TAG.finditer("".join(lines), 0, offset))
                return member.filename, cells[-1].group(1) if cells else ""
    return "", ""


def cell_text(value: Any) -> str | None:
    """A spreadsheet cell as the text a user typed: dates ISO, numbers without binary-float noise."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Excel keeps 15 significant digits; beyond them a double only carries noise (0.1 + 0.2).
        try:
            return format(Decimal(format(value, ".15g")).normalize(), "f")
        except InvalidOperation:
            return str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
