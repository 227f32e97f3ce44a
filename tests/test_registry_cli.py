"""`leaseguard assets check` and `assets screen` on a real workspace."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.registry.identifiers import vin_check_digit
from leaseguard.store.db import session_factory
from leaseguard.store.models import Asset, AssetCheck
from leaseguard.tenancy import add_lessor
from leaseguard.workspace import Workspace, init_workspace

runner = CliRunner()


def valid_vin(serial: int) -> str:
    draft = f"LZZ5BLSJ0P{serial:07d}"
    return draft[:8] + vin_check_digit(draft) + draft[9:]


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    opened = init_workspace(tmp_path / "ws")
    engine = opened.engine()
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "L001", "甲租赁")
        add_lessor(session, "L002", "乙租赁")
        session.flush()
        for serial in range(100, 110):  # a fleet of consecutive trucks: honest neighbours
            session.add(
                Asset(
                    lessor="L001",
                    asset_id=f"T{serial}",
                    asset_type="vehicle",
                    vin=valid_vin(serial),
                    lessee_id="91110000600037341L",
                    lessee_name="甲物流",
                    registered_at=dt.date(2026, 5, 1),
                )
            )
        dup = valid_vin(104)
        session.add(
            Asset(
                lessor="L002",
                asset_id="X1",
                asset_type="vehicle",
                vin=f"{dup[:4]}-{dup[4:]}".replace("5", "S"),
                lessee_id="91310000MA1FL0RL8D",
                lessee_name="乙物流",
            )
        )
    engine.dispose()
    return opened


def test_check_prints_the_verdict_and_records_it(workspace: Workspace) -> None:
    result = runner.invoke(
        app,
        ["assets", "check", "--lessor", "L002", "--vin", valid_vin(107), "--json", "-w", str(workspace.root)],
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["verdict"] == "block"
    assert [m["lessor"] for m in answer["matches"]] == ["L001"]
    assert "91110000600037341L" not in result.output
    engine = workspace.engine()
    with session_factory(engine)() as session:
        check = session.scalars(select(AssetCheck)).one()
        assert check.channel == "cli" and check.evidence_index is not None
    engine.dispose()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--lessor", "L002"], "请至少给出 --vin、--serial、--engine-no、--invoice-no 之一"),
        (["--lessor", "L002", "--lang", "en"], "give at least one of"),
        (["--lessor", "NOPE", "--vin", "LZZ5BLSJ0P0000001"], "未知出租人 'NOPE'"),
        (["--lessor", "NOPE", "--vin", "LZZ5BLSJ0P0000001", "--lang", "en"], "unknown lessor 'NOPE'"),
        (["--lessor", "L002", "--serial", "X", "--invoice-amount", "12.345"], "最多两位小数的元金额"),
        (["--lessor", "L002", "--serial", "X", "--invoice-amount", "12.345", "--lang", "en"], "at most 2 decimals"),
        (["--lessor", "L002", "--serial", "X", "--asset-type", "boat"], "--asset-type 'boat' 不是 vehicle"),
        (["--lessor", "L002", "--serial", "X", "--asset-type", "boat", "--lang", "en"], "not one of"),
    ],
)  # fmt: skip
def test_bad_check_arguments_exit_with_one_line(
    workspace: Workspace, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, ["assets", "check", *arguments, "-w", str(workspace.root)])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    engine = workspace.engine()
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(AssetCheck)) == 0
    engine.dispose()


def test_screen_finds_the_altered_duplicate_and_not_the_fleet(workspace: Workspace, tmp_path: Path) -> None:
    out, summary = tmp_path / "matches.csv", tmp_path / "screen.xlsx"
    result = runner.invoke(
        app,
        [
            "assets",
            "screen",
            "--all",
            "--out",
            str(out),
            "--summary",
            str(summary),
            "-w",
            str(workspace.root),
        ],
    )
    assert result.exit_code == 0, result.output
    matches = pl.read_csv(out)
    for column in ("lessor_a", "asset_id_a", "lessor_b", "asset_id_b", "match_kind", "score", "verdict"):
        assert column in matches.columns
    pairs = {
        tuple(sorted([(r["lessor_a"], r["asset_id_a"]), (r["lessor_b"], r["asset_id_b"])]))
        for r in matches.iter_rows(named=True)
    }
    assert pairs == {(("L001", "T104"), ("L002", "X1"))}
    assert matches["verdict"].to_list() == ["block"]
    sheets = load_workbook(summary, read_only=True).sheetnames
    assert sheets == ["summary", "pairs"]


def test_screen_file_finds_pairs_within_the_file_and_with_the_store_and_loads_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    t107 = valid_vin(107)
    book = tmp_path / "new_assets.csv"
    book.write_text(
        "asset_id,lessor,asset_type,vin,lessee_id,lessee_name\n"
        # the store's truck T107 again, its VIN read by a scanner (0 → O): a double financing
        f"N1,L003,vehicle,{t107.replace('0', 'O')},91330000MA27U8PX2K,丙运输\n"
        # one vehicle twice in the file, under two asset ids
        f"N2,L003,vehicle,{valid_vin(300)},91330000MA27U8PX2K,丙运输\n"
        f"N3,L003,vehicle,{valid_vin(300).lower()},91330000MA27U8PX2K,丙运输\n"
        # the next truck off the line after the store's fleet: an honest neighbour
        f"N4,L003,vehicle,{valid_vin(110)},91330000MA27U8PX2K,丙运输\n"
        # no lessee: refused, the rest still screened
        f"N5,L003,vehicle,{valid_vin(301)},,\n",
        encoding="utf-8",
    )
    out, summary, errors = tmp_path / "matches.csv", tmp_path / "screen.html", tmp_path / "errors.csv"
    result = runner.invoke(
        app,
        [
            *("assets", "screen", str(book), "--out", str(out), "--summary", str(summary)),
            *("--errors", str(errors), "-w", str(workspace.root)),
        ],
    )
    assert result.exit_code != 0
    assert "中有 1 行被拒" in result.output.splitlines()[-1] and "其余 4 行已筛查" in result.output
    matches = pl.read_csv(out)
    found = {
        (r["asset_id_a"], r["source_a"], r["asset_id_b"], r["source_b"], r["verdict"])
        for r in matches.iter_rows(named=True)
    }
    assert found == {
        ("T107", "store", "N1", "file", "block"),
        ("N2", "file", "N3", "file", "block"),
    }
    rejected = pl.read_csv(errors)
    assert rejected.height >= 1 and set(rejected["line"].to_list()) == {6}
    page = summary.read_text(encoding="utf-8")
    assert "<table>" in page and "N1" in page and "T107" in page
    engine = workspace.engine()
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Asset)) == 11
    engine.dispose()


def test_a_screen_with_no_good_row_says_nothing_was_screened(workspace: Workspace, tmp_path: Path) -> None:
    book = tmp_path / "new_assets.csv"
    book.write_text(
        f"asset_id,lessor,asset_type,vin,lessee_id,lessee_name\nN5,L003,vehicle,{valid_vin(301)},,\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "assets",
            "screen",
            str(book),
            "--out",
            str(tmp_path / "m.csv"),
            "--errors",
            str(tmp_path / "screen-errors.csv"),
            "-w",
            str(workspace.root),
        ],
    )
    assert result.exit_code != 0
    last = result.output.strip().splitlines()[-1]
    assert "没有合格的行，未做筛查" in last and "行已筛查" not in result.output
    english = runner.invoke(
        app,
        ["assets", "screen", str(book), "--out", str(tmp_path / "m.csv"), "--errors", str(tmp_path / "e.csv"),
         "-w", str(workspace.root), "--lang", "en"],
    )  # fmt: skip
    assert english.exit_code != 0 and "no row was good, nothing screened" in english.output.replace("\n", " ")


@pytest.mark.parametrize("arguments", [[], ["--all", "some.csv"], ["missing.csv"]])
def test_screen_needs_exactly_one_of_file_or_all(workspace: Workspace, arguments: list[str]) -> None:
    result = runner.invoke(app, ["assets", "screen", *arguments, "-w", str(workspace.root)])
    assert result.exit_code != 0
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_check_the_log_cannot_take_is_one_line_and_nothing_is_recorded(workspace: Workspace) -> None:
    """The workspace's signing origin changed after its log was started: the check is refused in one line, not
    answered without its record (the first wave printed a traceback)."""
    arguments = ["assets", "check", "--lessor", "L002", "--vin", valid_vin(107), "-w", str(workspace.root)]
    assert runner.invoke(app, arguments).exit_code == 0
    config = workspace.root / "leaseguard.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "\nevidence:\n  origin: elsewhere.example/log\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, arguments)
    assert result.exit_code == 1 and "启用时所用的密钥或来源与 'elsewhere.example/log' 不同" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) <= 3
    engine = workspace.engine()
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(AssetCheck)) == 1
    engine.dispose()


@pytest.mark.parametrize("store", ["empty", "no purchase contracts"])
def test_screening_a_file_works_whatever_the_store_holds(tmp_path: Path, store: str) -> None:
    """The first wave stopped with a Polars traceback on an empty store, or on one whose assets have no
    purchase-contract numbers (an untyped column): the file is screened within itself either way."""
    opened = init_workspace(tmp_path / "ws")
    engine = opened.engine()
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "L001", "甲租赁")
        if store != "empty":
            session.flush()
            session.add(Asset(lessor="L001", asset_id="S1", asset_type="vehicle", vin=valid_vin(500),
                              lessee_id="91110000600037341L", lessee_name="甲物流"))  # fmt: skip
    engine.dispose()
    book = tmp_path / "assets.csv"
    book.write_text(
        "asset_id,lessor,asset_type,vin,lessee_id,lessee_name\n"
        f"N1,L001,vehicle,{valid_vin(300)},91330000MA27U8PX2K,丙运输\n"
        f"N2,L001,vehicle,{valid_vin(300).lower()},91330000MA27U8PX2K,丙运输\n",
        encoding="utf-8",
    )
    out = tmp_path / "matches.csv"
    result = runner.invoke(app, ["assets", "screen", str(book), "--out", str(out), "-w", str(opened.root)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "的 2 行" in result.output and "匹配 1 对" in result.output
    assert pl.read_csv(out).height == 1  # the vehicle twice in the file
