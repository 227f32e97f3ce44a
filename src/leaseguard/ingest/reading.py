"""Reading a data file into a frame of trimmed strings, with its encoding and each row's line number."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl

from leaseguard.ingest.reports import FileProblem

LINE = "_line"
OVERFLOW = "_overflow"  # the first value beyond the header's last column, if a row has one
XLSX_ENCODING = "xlsx"
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
DATA_SUFFIXES = (".csv", ".txt", *SPREADSHEET_SUFFIXES)
HEADER_PEEK_BYTES = 65_536


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


def read_table(path: Path) -> RawTable:
    """Read a CSV (UTF-8 with or without BOM, GBK, GB18030) or the first sheet of an XLSX workbook."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FileProblem(f"cannot read the file: {error.strerror or error}") from error
    sha256 = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return _read_workbook(data, sha256)
    if path.suffix.lower() == ".xls":
        raise FileProblem("the old .xls format is not supported; save the sheet as .xlsx or CSV")
    return _read_csv(data, sha256)


def read_header(path: Path) -> tuple[str, ...]:
    """Just the header of a file (cheap even for a big one), to tell its kind before loading anything."""
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return _read_workbook(path.read_bytes(), "", rows=False).header
    with path.open("rb") as handle:
        head = handle.read(HEADER_PEEK_BYTES)
    if len(head) == HEADER_PEEK_BYTES and b"\n" in head:
        head = head[: head.rindex(b"\n")]  # never cut a multi-byte character in half
    text, _ = decode(head)
    return tuple(_csv_header(text)[1])


def decode(data: bytes) -> tuple[str, str]:
    """The text of `data` and the encoding that decoded it strictly: UTF-8 first, then GBK, then GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as error:
            raise FileProblem(
                f"starts with a UTF-8 byte-order mark but is not UTF-8 ({error.reason})"
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem("the file is UTF-16 text; save it as 'CSV UTF-8' instead")
    if b"\x00" in data[:8192]:
        raise FileProblem("the file is binary, not CSV text (is it a spreadsheet with the wrong suffix?)")
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
    raise FileProblem("unreadable encoding: the file is neither UTF-8 nor GBK/GB18030 text")


def _read_csv(data: bytes, sha256: str) -> RawTable:
    text, encoding = decode(data)
    if not text.strip():
        raise FileProblem("the file is empty")
    header_index, header = _csv_header(text)
    width = len(header)
    # One spare column catches values beyond the header, so a ragged row is reported, not truncated.
    schema = {position_name(i): pl.String for i in range(width)} | {OVERFLOW: pl.String}
    payload = data[3:] if encoding == "utf-8-sig" else data if encoding == "utf-8" else text.encode("utf-8")
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
        raise FileProblem(f"not valid CSV: {str(error).splitlines()[0]}") from None
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
    raise FileProblem("the file is empty")


def _has_multiline_values(frame: pl.DataFrame) -> bool:
    columns = [c for c in frame.columns if c != LINE]
    found = frame.select(pl.any_horizontal(pl.col(columns).str.contains("\n", literal=True)).any()).item()
    return bool(found)


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


def _read_workbook(data: bytes, sha256: str, rows: bool = True) -> RawTable:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileProblem(f"not a readable XLSX workbook ({error})") from None
    try:
        if not workbook.worksheets:
            raise FileProblem("the workbook has no sheets")
        sheet = workbook.worksheets[0]
        header: list[str] | None = None
        header_line = 0
        lines: list[int] = []
        records: list[list[str | None]] = []
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            cells = [cell_text(value) for value in values]
            if not any(cells):
                continue
            if header is None:
                header = [(cell or "").strip() for cell in cells]
                header_line = number
                if not rows:
                    break
                continue
            lines.append(number)
            records.append(cells)
    finally:
        workbook.close()
    if header is None:
        raise FileProblem("the first sheet is empty")
    while header and not header[-1]:
        header.pop()
    width = len(header)
    columns: dict[str, list[str | None]] = {position_name(i): [] for i in range(width)}
    overflow: list[str | None] = []
    for cells in records:
        for i in range(width):
            columns[position_name(i)].append(cells[i] if i < len(cells) else None)
        overflow.append(next((cell for cell in cells[width:] if cell), None))
    frame = pl.DataFrame(
        {**columns, OVERFLOW: overflow, LINE: lines},
        schema={**{name: pl.String for name in columns}, OVERFLOW: pl.String, LINE: pl.Int64},
    )
    frame = _trimmed_non_blank(frame, [*columns, OVERFLOW])
    return RawTable(tuple(header), header_line, frame, XLSX_ENCODING, sha256)


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
