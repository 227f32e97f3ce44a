"""Imports that must never lose rows quietly or exhaust memory: stale XLSX dimensions, zip bombs, lone-CR line
ends, NUL bytes, whole-file refusals worded as such, and `--out` / `--errors` into a missing folder."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import yaml
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

from leaseguard.cli.main import app
from leaseguard.errors import InvalidInputError
from leaseguard.ingest import FileReport, RowError, import_paths
from leaseguard.synth import generate_book
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, init_workspace

runner = CliRunner()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv(HOME_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    return init_workspace(tmp_path / "ws")


def run(workspace: Workspace, *args: str) -> Result:
    return runner.invoke(app, [*args, "-w", str(workspace.root)])


def stored(workspace: Workspace, sql: str) -> list[tuple[object, ...]]:
    engine = workspace.engine()
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def set_ingest_limits(workspace: Workspace, **limits: int) -> None:
    config = workspace.root / "leaseguard.yaml"
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings.setdefault("ingest", {}).setdefault("xlsx", {}).update(limits)
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")


def rewrite_member(path: Path, member: str, change: Callable[[bytes], bytes]) -> None:
    """Rewrite one part of an xlsx zip in place, the others copied as they are."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            target.writestr(info.filename, change(data) if info.filename == member else data)


def lessors_workbook(path: Path, rows: int = 3) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["code", "name"])
    for number in range(1, rows + 1):
        sheet.append([f"L{number}", f"出租人{number}"])
    workbook.save(path)
    return path


SHEET = "xl/worksheets/sheet1.xml"


# --- 1. a stale <dimension> never drops rows ----------------------------------------------------------------


@pytest.mark.parametrize("dimension", ["A1:W2", "A1"])
def test_every_xlsx_row_loads_whatever_the_sheet_says_its_size_is(
    workspace: Workspace, tmp_path: Path, dimension: str
) -> None:
    path = lessors_workbook(tmp_path / "lessors.xlsx")
    rewrite_member(
        path,
        SHEET,
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), xml),
    )
    assert f'<dimension ref="{dimension}"'.encode() in zipfile.ZipFile(path).read(SHEET)

    result = run(workspace, "import", "--lang", "en", str(path))

    assert result.exit_code == 0, result.output
    assert "all 3 rows of 1 file(s) loaded" in result.output
    assert stored(workspace, "select code, name from lessors order by code") == [
        ("L1", "出租人1"),
        ("L2", "出租人2"),
        ("L3", "出租人3"),
    ]


def test_the_last_row_of_a_sheet_is_found_by_scanning_its_xml(tmp_path: Path) -> None:
    from leaseguard.ingest.reading import sheet_row_extent

    path = lessors_workbook(tmp_path / "lessors.xlsx", rows=4)
    with zipfile.ZipFile(path) as archive, archive.open(SHEET) as xml:
        assert sheet_row_extent(xml) == 5
    # Rows without an r attribute count on from the row before, as Excel reads them; <rowBreaks> is no row.
    prefixed = b'<x:sheetData><x:row r="2"><c/></x:row><x:row><c/></x:row></x:sheetData><rowBreaks/>'
    assert sheet_row_extent(io.BytesIO(prefixed)) == 3
    assert sheet_row_extent(io.BytesIO(b"<sheetData/><rowBreaks/>")) == 0


def test_rows_out_of_order_are_refused_not_skipped(workspace: Workspace, tmp_path: Path) -> None:
    path = lessors_workbook(tmp_path / "lessors.xlsx", rows=2)

    def swap(xml: bytes) -> bytes:
        rows = re.findall(rb"<row .*?</row>", xml)
        return xml.replace(rows[1] + rows[2], rows[2] + rows[1])

    rewrite_member(path, SHEET, swap)

    result = run(workspace, "import", "--lang", "en", str(path))

    # A streaming reader skips a row numbered below the one before it: the file must not load without it.
    assert result.exit_code == 1
    assert "row 2 comes after row 3 in the first sheet: rows out of order" in " ".join(result.output.split())
    assert stored(workspace, "select count(*) from lessors") == [(0,)]


def test_the_shipped_limits_are_the_readers_defaults() -> None:
    from leaseguard.ingest.reading import ReadLimits
    from leaseguard.workspace import shipped_defaults_text

    shipped = yaml.safe_load(shipped_defaults_text())["ingest"]["xlsx"]
    assert ReadLimits.from_settings(shipped) == ReadLimits()
    assert set(shipped) == {"max_part_mb", "max_compression_ratio", "max_cells", "max_cell_chars"}
    with pytest.raises(ValueError, match=r"ingest\.xlsx\.max_cells：应为大于 0 的整数") as refused:
        ReadLimits.from_settings({"max_cells": "many"})
    assert isinstance(refused.value, InvalidInputError)
    assert refused.value.text("en") == "ingest.xlsx.max_cells: expected a whole number above 0, got 'many'"


# --- 2. xlsx parts and cells are bounded before they are expanded -------------------------------------------


def test_a_sheet_that_decompresses_beyond_the_part_limit_is_refused(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = lessors_workbook(tmp_path / "lessors.xlsx")
    # 3 MB of XML whitespace packs into a few kilobytes: a small file that expands far beyond its size.
    rewrite_member(path, SHEET, lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + b" " * 3_000_000))
    assert path.stat().st_size < 50_000
    set_ingest_limits(workspace, max_part_mb=1, max_compression_ratio=100_000)

    result = run(workspace, "import", "--lang", "en", str(path))

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{path}: " in result.output
    assert f"{SHEET} unpacks to 3.0 MB, over the limit of 1 MB (ingest.xlsx.max_part_mb)" in result.output
    assert stored(workspace, "select count(*) from lessors") == [(0,)]


def test_a_workbook_packed_far_tighter_than_data_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    path = lessors_workbook(tmp_path / "lessors.xlsx")
    rewrite_member(path, SHEET, lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + b" " * 900_000))

    result = run(workspace, "import", "--lang", "en", str(path))

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert re.search(
        r"unpacks to \d+ times its packed size, over the limit of 100 \(ingest\.xlsx\.max_compression_ratio\)",
        result.output,
    ), result.output
    assert stored(workspace, "select count(*) from lessors") == [(0,)]


def test_a_sheet_of_vast_rows_is_refused_at_the_cell_limit(workspace: Workspace, tmp_path: Path) -> None:
    path = lessors_workbook(tmp_path / "lessors.xlsx", rows=300)
    # One cell in the last column of every row makes each row 16,384 cells wide once read.
    rewrite_member(
        path,
        SHEET,
        lambda xml: re.sub(
            rb'(<row r="(\d+)".*?)</row>', rb'\1<c r="XFD\2" t="n"><v>1</v></c></row>', xml
        ).replace(b'<dimension ref="A1:B301"/>', b""),
    )
    set_ingest_limits(workspace, max_cells=1_000_000)

    result = run(workspace, "import", "--lang", "en", str(path))

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "over the limit of 1,000,000 cells (ingest.xlsx.max_cells)" in result.output
    assert stored(workspace, "select count(*) from lessors") == [(0,)]


def test_an_over_long_cell_is_refused_naming_the_cell(tmp_path: Path, store_engine: Engine) -> None:
    from leaseguard.ingest.reading import ReadLimits

    path = tmp_path / "lessors.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["code", "name"])
    sheet.append(["L1", "甲" * 101])
    workbook.save(path)

    [report] = import_paths(store_engine, [path], limits=ReadLimits(max_cell_chars=100))

    assert report.failed_as_a_whole
    assert report.code == "cell_too_long"
    assert report.message == f"{path}：单元格 B2 有 101 个字符，超过上限 100（ingest.xlsx.max_cell_chars）"
    assert report.message_text("en") == (
        f"{path}: cell B2 holds 101 characters, over the limit of 100 (ingest.xlsx.max_cell_chars)"
    )


# --- 3. a lone CR ends a line --------------------------------------------------------------------------------


def test_a_lone_cr_ends_a_record_and_every_line_is_accounted_for(
    tmp_path: Path, store_engine: Engine
) -> None:
    path = tmp_path / "lessors.csv"
    # Line 2 ends in a lone CR (old Mac), line 4 has no name, lines 5 and 6 are CR-only too.
    path.write_bytes("code,name\r\nL1,甲\rL2,乙\r\nL3,\r\nL4,丁\rL5,戊\r".encode())

    [report] = import_paths(store_engine, [path])

    assert (report.rows_read, report.inserted, report.rejected) == (5, 4, 1)
    assert report.errors == [RowError(str(path), 4, "name", "missing")]
    assert report.errors[0].reason == "缺少必填值"
    with store_engine.connect() as connection:
        rows = connection.execute(text("select code, name from lessors order by code")).all()
    assert [tuple(row) for row in rows] == [("L1", "甲"), ("L2", "乙"), ("L4", "丁"), ("L5", "戊")]


def test_a_file_of_lone_cr_line_ends_loads_with_physical_line_numbers(
    tmp_path: Path, store_engine: Engine
) -> None:
    path = tmp_path / "lessors.csv"
    path.write_bytes(b'code,name\rL1,"one\rvalue"\rL2,\r\rL3,C\r')

    [report] = import_paths(store_engine, [path])

    assert report.errors == [RowError(str(path), 4, "name", "missing")]
    assert (report.rows_read, report.inserted) == (3, 2)
    with store_engine.connect() as connection:
        rows = connection.execute(text("select code, name from lessors order by code")).all()
    # The line break inside a quoted value stays part of the value.
    assert [tuple(row) for row in rows] == [("L1", "one\rvalue"), ("L3", "C")]


# --- 4. NUL bytes are row errors on every store -------------------------------------------------------------


def test_nul_bytes_past_the_first_8_kb_are_row_errors_and_the_rest_loads(
    tmp_path: Path, store_engine: Engine
) -> None:
    path = tmp_path / "lessors.csv"
    good = [f"L{number},出租人{number},north" for number in range(1, 401)]
    lines = ["code,name,region", *good, "N1,甲\x00乙,north", "N2,丙,so\x00uth", "L401,最后,west"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.read_bytes().index(b"\x00") > 8192

    [report] = import_paths(store_engine, [path])

    assert report.status == "partial"
    assert report.errors == [
        RowError(str(path), 402, "name", "nul"),
        RowError(str(path), 403, "region", "nul"),
    ]
    assert [error.reason for error in report.errors] == ["含有 NUL 字节"] * 2
    assert report.errors[0].text("en") == "contains a NUL byte"
    assert (report.rows_read, report.inserted, report.rejected) == (403, 401, 2)
    with store_engine.connect() as connection:
        count = connection.execute(text("select count(*) from lessors")).scalar_one()
        last = connection.execute(text("select name from lessors where code = 'L401'")).scalar_one()
    assert (count, last) == (401, "最后")


def test_a_nul_in_an_xlsx_cell_refuses_the_file_naming_the_cell(workspace: Workspace, tmp_path: Path) -> None:
    path = lessors_workbook(tmp_path / "lessors.xlsx", rows=2)
    # XML cannot hold a NUL, so the sheet cannot be parsed past it: the file is refused, naming the cell.
    rewrite_member(
        path,
        SHEET,
        lambda xml: re.sub(
            rb'(<c r="B3".*?</c>)', rb'\1<c r="C3" t="inlineStr"><is><t>a&#0;b</t></is></c>', xml
        ).replace(b'<dimension ref="A1:B3"/>', b""),
    )

    result = run(workspace, "import", "--lang", "en", str(path))

    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    flat = " ".join(result.output.split())
    assert f"{path}: not a readable XLSX workbook: {SHEET}, cell C3: " in flat, flat
    assert f"nothing of {path} was loaded" in flat
    assert stored(workspace, "select count(*) from lessors") == [(0,)]


# --- 5. a file refused whole says nothing of it was loaded ---------------------------------------------------


def test_a_refused_file_is_not_said_to_have_loaded_its_good_rows(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "lessors.csv"
    path.write_text("code,label\nL1,甲\n", encoding="utf-8")

    result = run(workspace, "import", "--lang", "en", str(path))

    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert "good rows were loaded" not in last
    assert f"nothing of {path} was loaded" in " ".join(result.output.split())


def test_rows_rejected_beside_a_refused_file_are_each_worded_truly(
    workspace: Workspace, tmp_path: Path
) -> None:
    good = tmp_path / "lessors.csv"
    good.write_text("code,name\nL1,甲\nbad code!,乙\n", encoding="utf-8")
    refused = tmp_path / "lessors-2.csv"
    refused.write_bytes(b"")

    result = run(workspace, "import", "--lang", "en", str(good), str(refused))

    assert result.exit_code == 1
    last = " ".join(result.output.split()).split("error: ")[-1]
    assert "1 row(s) rejected, the other rows of their file were loaded" in last
    assert f"nothing of {refused} was loaded" in last
    assert stored(workspace, "select code from lessors") == [("L1",)]


# --- 6. --out and --errors into a missing folder ------------------------------------------------------------


def test_balance_sheet_into_a_missing_folder_is_one_line(workspace: Workspace, tmp_path: Path) -> None:
    book = tmp_path / "book"
    generate_book(book, contracts=30, seed=5, lessors=1)
    engine = workspace.engine()
    reports: list[FileReport] = import_paths(engine, [book])
    engine.dispose()
    assert all(r.rejected == 0 for r in reports)
    assert run(workspace, "run", "daily", "--as-of", "2025-06-30").exit_code == 0
    out = tmp_path / "missing" / "dir" / "x.yaml"

    result = run(
        workspace, "report", "balance-sheet", "--as-of", "2025-06-30", "--lessor", "L001", "--out", str(out)
    )

    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(" ".join(lines).split("错误：")) == 2
    assert f"{out}：无法写出资产负债表" in " ".join(result.output.split())
    assert "No such file or directory" in result.output
    assert not out.exists()

    # The regulatory report's --out, in every format, fails the same way (and keeps no report row).
    sheet = workspace.root / "balance-sheets" / "2025-06-30.yaml"
    sheet.parent.mkdir()
    made = run(
        workspace, "report", "balance-sheet", "--as-of", "2025-06-30", "--lessor", "L001", "--out", str(sheet)
    )
    assert made.exit_code == 0, made.output
    for fmt in ("json", "html", "xlsx", "pdf"):
        target = tmp_path / "missing" / f"report.{fmt}"
        args = (
            "report",
            "regulatory",
            "--as-of",
            "2025-06-30",
            "--lessor",
            "L001",
            "--rules",
            "nfra-2024",
            "--format",
            fmt,
        )
        failed = run(workspace, *args, "--out", str(target), "--draft")
        assert failed.exit_code == 1, failed.output
        assert failed.exception is None or isinstance(failed.exception, SystemExit), fmt
        assert f"{target}：无法写出报告" in " ".join(failed.output.split())
    assert stored(workspace, "select count(*) from indicator_reports") == [(0,)]


def test_import_errors_into_a_missing_folder_is_refused_before_loading(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "lessors.csv"
    path.write_text("code,name\nL1,甲\nbad code!,乙\n", encoding="utf-8")
    errors = tmp_path / "nowhere" / "errors.csv"

    result = run(workspace, "import", "--lang", "en", str(path), "--errors", str(errors))

    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"--errors {errors}: the folder {errors.parent} does not exist" in " ".join(result.output.split())
    assert stored(workspace, "select count(*) from lessors") == [(0,)]
