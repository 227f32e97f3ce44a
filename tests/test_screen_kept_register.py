"""A funding file screened against the register a server keeps for checks (the console's uploads) answers
exactly as when the store's registrations are read and indexed again together with the file (the CLI): the
same verdicts, reasons and pairs, for a synthetic book's assets at other lessors, their one-edit copies, the
next units off the line, a duplicate inside the file, and the forged fleet truck of tests/test_screen_findings."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from conftest import register_files
from leaseguard.ingest import import_paths
from leaseguard.registry.identifiers import vin_check_digit
from leaseguard.registry.register import Register, load_registrations
from leaseguard.registry.rules import load_rules
from leaseguard.registry.service import RegisterCache
from leaseguard.store.db import session_factory
from leaseguard.synth import generate_book
from leaseguard.usecases.asset_screen import ScreenFileRequest, read_assets_file, screen_assets_file
from leaseguard.workspace import init_workspace
from test_screen_findings import FORGED, fleet_rows, forged_copy, store_asset


def _one_edit(value: str) -> str:
    """The identifier with its sixth character misread (a scanner's 0/O, or another letter)."""
    replaced = "O" if value[5] == "0" else ("0" if value[5] == "O" else "X")
    return value[:5] + replaced + value[6:]


def _next_unit(vin: str) -> str:
    draft = vin[:11] + str((int(vin[11:]) + 1) % 1_000_000).zfill(6) if vin[11:].isdigit() else vin
    return draft[:8] + vin_check_digit(draft) + draft[9:]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    root = tmp_path_factory.mktemp("kept-register")
    generate_book(root / "book", contracts=1_500, seed=12)
    workspace = init_workspace(root / "ws")
    engine = workspace.engine()
    assert all(r.rejected == 0 for r in import_paths(engine, register_files(root / "book")))
    fleet = fleet_rows()
    with session_factory(engine)() as session, session.begin():
        session.add(store_asset(fleet[FORGED - 1], **forged_copy(fleet[FORGED - 1])))
    return engine, root


def _funding_file(root: Path) -> Path:
    """L001's file: every 40th asset of the book under a new id (many financed at another lessor), one-edit
    copies and next units of some of them, one row twice, and the fleet with its forged truck."""
    with (root / "book" / "assets.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        book = [row for i, row in enumerate(reader) if i % 40 == 0]
    rows: list[dict[str, str]] = []
    for i, row in enumerate(book):
        rows.append({**row, "asset_id": f"F{i:04d}"})
        if row["vin"] and i % 3 == 0:
            rows.append({**row, "asset_id": f"E{i:04d}", "vin": _one_edit(row["vin"]), "invoice_no": ""})
        if row["vin"] and i % 3 == 1:
            rows.append({**row, "asset_id": f"N{i:04d}", "vin": _next_unit(row["vin"]), "invoice_no": "",
                         "engine_no": "", "purchase_contract_no": ""})  # fmt: skip
    rows.append({**rows[0], "asset_id": "TWICE"})
    rows += [{**{k: "" for k in header}, **truck} for truck in fleet_rows()]
    path = root / "funding.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({**row, "lessor": "L001"} for row in rows)
    return path


def test_the_kept_register_gives_the_same_screen_as_reading_the_store_again(
    store: tuple[object, Path],
) -> None:
    engine, root = store
    report, rows = read_assets_file(_funding_file(root))
    assert report.rejected == 0 and rows.height > 80
    request = ScreenFileRequest(rows=rows, lessor="L001")
    read_again = screen_assets_file(engine, request)  # type: ignore[arg-type]
    kept = screen_assets_file(engine, request, registers=RegisterCache(engine))  # type: ignore[arg-type]
    assert kept.findings == read_again.findings
    assert_frame_equal(kept.pairs, read_again.pairs)
    assert_frame_equal(kept.findings_table("en"), read_again.findings_table("en"))
    verdicts = pl.Series([f.verdict for f in kept.findings]).value_counts()
    counts = dict(verdicts.iter_rows())
    assert counts.get("block", 0) > 20 and counts.get("review", 0) > 0 and counts.get("clear", 0) > 20, counts
    in_file = {f.asset_id for f in kept.findings if f.file_matches}
    assert "TWICE" in in_file
    # The same answer again from the screen of the frame against an explicit Register of the store.
    from leaseguard.registry.screen import screen_file

    registered = load_registrations(engine)  # type: ignore[arg-type]
    by_frame = screen_file(registered, rows, load_rules(), lessor="L001")
    by_register = screen_file(Register(registered, load_rules()), rows, load_rules(), lessor="L001")
    assert_frame_equal(by_register.matches, by_frame.matches)
    assert by_register.pair_rows == by_frame.pair_rows
    assert [s.verdict for s in by_register.findings] == [s.verdict for s in by_frame.findings]
