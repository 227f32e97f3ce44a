"""`assets screen FILE --findings`: one answer per asset of a funding file — a fleet of honest trucks is not a
set of duplicates, a forged copy of one of them at another lessor is blocked, and what a check of each asset
alone would say (an invalid VIN, an inflated invoice) is in the findings, in Chinese by default."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.money import parse_fen
from leaseguard.registry.check import AssetFacts
from leaseguard.registry.identifiers import is_valid_vin, vin_check_digit
from leaseguard.store.db import session_factory
from leaseguard.store.models import Asset
from leaseguard.synth.catalog import CATALOG
from leaseguard.synth.identifiers import engine_numbers, vins
from leaseguard.tenancy import add_lessor
from leaseguard.workspace import HOME_ENV, Workspace, init_workspace

runner = CliRunner(env={HOME_ENV: ""})

TRUCK = next(m for m in CATALOG if m.segment == "truck")
EXCAVATOR = next(m for m in CATALOG if m.segment == "machinery")
FLEET_LESSEE = ("91110000600037341L", "甲物流有限公司")
FLEET_SIZE = 30
FORGED = 7  # the truck of the fleet a forger registered again at another lessor
FILE_COLUMNS = (
    "asset_id", "lessor", "asset_type", "vin", "serial_no", "engine_no", "manufacturer", "model", "invoice_code",
    "invoice_no", "invoice_amount", "invoice_date", "purchase_contract_no", "lessee_id", "lessee_name",
)  # fmt: skip


def fleet_rows(count: int = FLEET_SIZE + 1) -> list[dict[str, str]]:
    """Trucks off one line for one lessee under one purchase contract, one invoice date and price; the last
    one's VIN carries a wrong check digit (a typing slip in the file)."""
    serials = np.arange(204_101, 204_101 + count)
    fleet_vins = vins(TRUCK.prefix, TRUCK.plant, np.array(["R"] * count), serials)
    engines = engine_numbers(TRUCK.engine_prefix or "MC13", np.arange(31_000_501, 31_000_501 + count))
    rows = [
        {
            "asset_id": f"T{i + 1:02d}",
            "lessor": "L001",
            "asset_type": "vehicle",
            "vin": str(vin),
            "engine_no": str(engine),
            "manufacturer": TRUCK.manufacturer,
            "model": TRUCK.model,
            "invoice_code": "011002400111",
            "invoice_no": f"{40_120_001 + i:08d}",
            "invoice_amount": "412000.00",
            "invoice_date": "2026-04-08",
            "purchase_contract_no": "GM-2026-0042",
            "lessee_id": FLEET_LESSEE[0],
            "lessee_name": FLEET_LESSEE[1],
        }
        for i, (vin, engine) in enumerate(zip(fleet_vins, engines, strict=True))
    ]
    bad = rows[-1]["vin"]
    wrong = "X" if bad[8] != "X" else "0"
    rows[-1]["vin"] = bad[:8] + wrong + bad[9:]
    return rows


def excavator_row(amount: str) -> dict[str, str]:
    return {
        "asset_id": "E01", "lessor": "L001", "asset_type": "machinery", "serial_no": "SY365H26000777",
        "manufacturer": EXCAVATOR.manufacturer, "model": EXCAVATOR.model, "invoice_code": "3100242130",
        "invoice_no": "00912345", "invoice_amount": amount, "invoice_date": "2026-04-10",
        "lessee_id": FLEET_LESSEE[0], "lessee_name": FLEET_LESSEE[1],
    }  # fmt: skip


def write_file(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FILE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def store_asset(row: dict[str, str], **changes: Any) -> Asset:
    values: dict[str, Any] = {k: v for k, v in row.items() if v}
    values["invoice_amount_fen"] = (
        parse_fen(values.pop("invoice_amount")) if "invoice_amount" in values else None
    )
    if "invoice_date" in values:
        values["invoice_date"] = dt.date.fromisoformat(values["invoice_date"])
    values.update(changes)
    return Asset(**values)


def forged_copy(truck: dict[str, str]) -> dict[str, Any]:
    """The truck as a forger registered it at L002: its VIN as a scanner misreads it (0 → O), its engine number,
    another lessee and an invoice of its own."""
    return {
        "lessor": "L002", "asset_id": "B-0091", "vin": truck["vin"].replace("0", "O"),
        "lessee_id": "91310000MA1FL0RL8D", "lessee_name": "乙运输有限公司", "invoice_code": "011002400222",
        "invoice_no": "50990001", "invoice_amount_fen": 39_800_000, "invoice_date": dt.date(2026, 3, 2),
        "purchase_contract_no": None, "registered_at": dt.date(2026, 3, 5),
    }  # fmt: skip


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A store with a forged copy of fleet truck #FORGED at L002 and six excavators of the model at fair prices."""
    opened = init_workspace(tmp_path / "ws")
    engine = opened.engine()
    fleet = fleet_rows()
    with session_factory(engine)() as session, session.begin():
        for code, name in (("L001", "甲租赁"), ("L002", "乙租赁"), ("L003", "丙租赁")):
            add_lessor(session, code, name)
        session.flush()
        session.add(store_asset(fleet[FORGED - 1], **forged_copy(fleet[FORGED - 1])))
        for i, price in enumerate((1_180_000, 1_220_000, 1_260_000, 1_300_000, 1_350_000, 1_400_000)):
            session.add(
                store_asset(
                    excavator_row(f"{price}.00"),
                    lessor=("L002", "L003")[i % 2],
                    asset_id=f"M{i}",
                    serial_no=f"SY365H25{100_200 + i * 37:06d}",
                    invoice_no=f"{7_100_000 + i:08d}",
                    lessee_id=f"LESSEE{i}",
                    lessee_name=f"承租人{i}",
                )
            )
    engine.dispose()
    return opened


def screen(workspace: Workspace, book: Path, out_dir: Path, *extra: str) -> tuple[Any, Path, Path]:
    matches, findings = out_dir / "matches.csv", out_dir / "findings.csv"
    result = runner.invoke(
        app,
        [
            *("assets", "screen", str(book), "--lessor", "L001", "--out", str(matches)),
            *("--findings", str(findings), *extra, "-w", str(workspace.root)),
        ],
    )
    return result, matches, findings


def test_the_fleet_is_clear_the_forged_truck_blocked_and_the_price_and_bad_vin_found(
    workspace: Workspace, tmp_path: Path
) -> None:
    fleet = fleet_rows()
    bad_vin = fleet[-1]["vin"]
    assert all(is_valid_vin(r["vin"]) for r in fleet[:-1]) and not is_valid_vin(bad_vin)
    book = write_file(tmp_path / "funding.csv", [*fleet, excavator_row("3600000.00")])
    summary = tmp_path / "screen.xlsx"
    result, matches_csv, findings_csv = screen(workspace, book, tmp_path, "--summary", str(summary))
    assert result.exit_code == 0, result.output

    assert findings_csv.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese as Chinese
    findings = pl.read_csv(findings_csv, infer_schema_length=0)
    assert {"lessor", "asset_id", "verdict", "reasons", "reason_codes"} <= set(findings.columns)
    assert not [c for c in findings.columns if c.endswith("_fen")]
    by_id = {r["asset_id"]: r for r in findings.iter_rows(named=True)}
    assert len(by_id) == FLEET_SIZE + 2 and set(findings["lessor"]) == {"L001"}

    forged = by_id[f"T{FORGED:02d}"]
    assert forged["verdict"] == "block"
    assert forged["reason_codes"].split(";") == ["vin_exact"]
    assert "L002" in forged["reasons"] and "同一资产" in forged["reasons"]
    assert "B-0091" not in forged["reasons"] and "乙运输" not in forged["reasons"]

    typo = by_id[f"T{FLEET_SIZE + 1:02d}"]
    assert typo["verdict"] == "review" and typo["reason_codes"] == "vin_invalid"
    expected = vin_check_digit(bad_vin)
    assert f"应为 {expected}" in typo["reasons"] and bad_vin in typo["reasons"]

    excavator = by_id["E01"]
    assert excavator["verdict"] == "review" and excavator["reason_codes"] == "price_out_of_range"
    assert "3,600,000.00" in excavator["reasons"] and "高于" in excavator["reasons"]

    honest = [
        r for i, r in by_id.items() if i.startswith("T") and i not in (forged["asset_id"], typo["asset_id"])
    ]
    assert len(honest) == FLEET_SIZE - 1
    assert {(r["verdict"], r["reasons"], r["reason_codes"]) for r in honest} == {("clear", "", "")}

    matches = pl.read_csv(matches_csv, infer_schema_length=0)
    for column in ("lessor_a", "asset_id_a", "lessor_b", "asset_id_b", "match_kind", "score", "verdict"):
        assert column in matches.columns
    assert matches.filter((pl.col("source_a") == "file") & (pl.col("source_b") == "file")).height == 0
    (pair,) = matches.iter_rows(named=True)
    assert (pair["lessor_a"], pair["asset_id_a"], pair["source_a"]) == ("L002", None, "store")  # masked
    assert (pair["asset_id_b"], pair["verdict"]) == (forged["asset_id"], "block")

    workbook = load_workbook(summary)
    assert workbook.sheetnames == ["summary", "pairs", "findings"]
    sheet = workbook["findings"]
    header, names = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert names[:4] == ["lessor", "asset_id", "verdict", "reasons"] and "结论" in header
    assert not [n for n in names if str(n).endswith("_fen")]
    amount = names.index("invoice_amount")
    excavator_line = next(r for r in sheet.iter_rows(min_row=3) if r[1].value == "E01")
    assert excavator_line[amount].value == 3_600_000 and excavator_line[amount].number_format == "#,##0.00"
    assert excavator_line[names.index("verdict")].value == "复核"
    pairs = workbook["pairs"]
    pair_names = [c.value for c in pairs[2]]
    (line,) = [[c.value for c in r] for r in pairs.iter_rows(min_row=3)]
    shown = dict(zip(pair_names, line, strict=True))
    assert shown["verdict"] == "拒绝" and shown["lessor_a"] == "L002" and shown["lessor_b"] == "L001"
    assert shown["vin_a"] == "（不公开）" and shown["vin_b"] == fleet[FORGED - 1]["vin"]
    assert shown["registered_at_a"] == dt.datetime(2026, 3, 5) and shown["invoice_amount_a"] is None
    assert shown["invoice_amount_b"] == 412_000 and "登记 A" in str([c.value for c in pairs[1]])


def test_a_forged_copy_within_the_file_is_a_pair_and_the_html_shows_both_side_by_side(
    workspace: Workspace, tmp_path: Path
) -> None:
    """The fleet with one truck twice (its VIN misread, another lessee and purchase contract): that pair is
    found, the fleet's neighbours still are not; the page is Chinese, with a CJK font stack."""
    fleet = fleet_rows(FLEET_SIZE)
    copy = {**fleet[11], "asset_id": "T99", "vin": fleet[11]["vin"].replace("0", "O"),
            "lessee_id": "91330000MA27U8PX2K", "lessee_name": "丙运输",
            "purchase_contract_no": "GM-2026-0999"}  # fmt: skip
    book = write_file(tmp_path / "funding.csv", [*fleet, copy])
    page = tmp_path / "screen.html"
    result, matches_csv, findings_csv = screen(workspace, book, tmp_path, "--summary", str(page))
    assert result.exit_code == 0, result.output
    matches = pl.read_csv(matches_csv, infer_schema_length=0)
    within = matches.filter((pl.col("source_a") == "file") & (pl.col("source_b") == "file"))
    assert set(zip(within["asset_id_a"], within["asset_id_b"], within["verdict"], strict=True)) == {
        ("T12", "T99", "block")
    }
    findings = {
        r["asset_id"]: r for r in pl.read_csv(findings_csv, infer_schema_length=0).iter_rows(named=True)
    }
    assert findings["T99"]["verdict"] == "block" and "file:vin_exact" in findings["T99"]["reason_codes"]
    assert "different_lessee" in findings["T99"]["reason_codes"] and "T12" in findings["T99"]["reasons"]
    text = page.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and "Noto Sans CJK SC" in text and "Microsoft YaHei" in text
    assert "登记 A" in text and "登记 B" in text and "本文件" in text and "逐项资产结论" in text
    assert fleet[11]["vin"] in text and copy["vin"] in text


def test_findings_in_english_on_request(workspace: Workspace, tmp_path: Path) -> None:
    fleet = fleet_rows(3)
    book = write_file(tmp_path / "funding.csv", [*fleet, excavator_row("3600000.00")])
    result, _, findings_csv = screen(workspace, book, tmp_path, "--lang", "en")
    assert result.exit_code == 0, result.output
    by_id = {r["asset_id"]: r for r in pl.read_csv(findings_csv, infer_schema_length=0).iter_rows(named=True)}
    assert f"expected {vin_check_digit(fleet[-1]['vin'])}" in by_id["T03"]["reasons"]
    assert "above the plausible range" in by_id["E01"]["reasons"]


def test_a_file_screened_for_one_lessor_may_hold_only_its_assets(
    workspace: Workspace, tmp_path: Path
) -> None:
    rows = fleet_rows(2)
    rows[1] = {**rows[1], "lessor": "L003"}
    result, matches_csv, _ = screen(workspace, write_file(tmp_path / "f.csv", rows), tmp_path)
    assert result.exit_code == 1 and "L003" in result.output and "Traceback" not in result.output
    assert not matches_csv.exists()
    unknown = runner.invoke(
        app,
        ["assets", "screen", str(tmp_path / "f.csv"), "--lessor", "NOPE", "--out", str(tmp_path / "m.csv"),
         "-w", str(workspace.root)],
    )  # fmt: skip
    assert unknown.exit_code == 1 and "未知出租人 'NOPE'" in unknown.output


def test_findings_default_beside_the_matches_and_not_for_the_whole_register(
    workspace: Workspace, tmp_path: Path
) -> None:
    book = write_file(tmp_path / "funding.csv", fleet_rows(3))
    out = tmp_path / "out" / "matches.csv"
    out.parent.mkdir()
    result = runner.invoke(app, ["assets", "screen", str(book), "--out", str(out), "-w", str(workspace.root)])
    assert result.exit_code == 0, result.output
    assert pl.read_csv(out.parent / "findings.csv").height == 3
    refused = runner.invoke(
        app, ["assets", "screen", "--all", "--findings", str(tmp_path / "f.csv"), "-w", str(workspace.root)]
    )
    assert refused.exit_code == 1 and "--findings" in refused.output


def _facts(row: dict[str, str]) -> AssetFacts:
    """An asset of the file as `assets check` is asked about it."""
    known = {k: v for k, v in row.items() if v}
    amount = known.pop("invoice_amount", None)
    date = known.pop("invoice_date", None)
    return AssetFacts(
        **known,
        invoice_amount_fen=parse_fen(amount) if amount else None,
        invoice_date=dt.date.fromisoformat(date) if date else None,
    )


def test_each_assets_findings_are_what_a_check_of_it_alone_says(workspace: Workspace, tmp_path: Path) -> None:
    """Every asset of the file: the screen's reason codes (what the file reveals aside) and its words for the
    store's matches are exactly those of `assets check` for that asset alone."""
    from leaseguard.registry.reasons import reason_texts
    from leaseguard.usecases.asset_check import check_asset
    from leaseguard.usecases.asset_screen import ScreenFileRequest, screen_assets_file

    fleet = fleet_rows(12)
    store_neighbour = {**fleet[4], "lessor": "L001", "asset_id": "OLD-5", "lessee_id": "91440300MA5FUTK25T",
                       "lessee_name": "丁物流"}  # fmt: skip
    engine = workspace.engine()
    with session_factory(engine)() as session, session.begin():
        # L001's own earlier registration of truck 5 for another lessee, and an invoice already used at L003.
        session.add(store_asset(store_neighbour, registered_at=dt.date(2025, 11, 2)))
        session.add(store_asset(excavator_row("1250000.00"), lessor="L003", asset_id="USED-INV",
                                serial_no="SY365H24999001", invoice_no="70000009", lessee_id="X1",
                                lessee_name="戊", purchase_contract_no="GM-2025-0007"))  # fmt: skip
    rows = [
        *fleet,
        excavator_row("3600000.00"),
        {**excavator_row("1250000.00"), "asset_id": "E02", "serial_no": "SY365H26000901", "invoice_no": "70000009"},
        {**fleet[2], "asset_id": "T03-TYPO", "vin": fleet[2]["vin"][:4] + "7" + fleet[2]["vin"][5:]},
        {**excavator_row("1250000.00"), "asset_id": "E03", "serial_no": "SY365H26000555", "invoice_no": "00912399",
         "purchase_contract_no": "GM-2025-0007"},
    ]  # fmt: skip
    rows = [{k: v for k, v in r.items() if v} for r in rows]
    book = write_file(tmp_path / "funding.csv", rows)
    from leaseguard.cli.registry_commands import _read_assets_file

    _, file_rows = _read_assets_file(book, None)
    screened = screen_assets_file(engine, ScreenFileRequest(rows=file_rows, lessor="L001", lang="en"))
    assert len(screened.findings) == len(rows)
    compared = 0
    for row, finding, detail in zip(rows, screened.findings, screened.screen.findings, strict=True):
        answer = check_asset(engine, _facts(row), asked_by="test", channel="cli")
        assert finding.asset_id == row["asset_id"]
        alone_codes = [c for c in finding.reason_codes if not c.startswith("file:")]
        assert alone_codes == answer.reason_codes, row["asset_id"]
        alone_words = reason_texts(
            [f.why for f in detail.alone.findings] + [r for m in detail.alone.matches for r in m.why], "en"
        )
        assert alone_words == answer.reasons, row["asset_id"]
        if not detail.in_file:
            assert finding.verdict == answer.verdict, row["asset_id"]
        compared += bool(answer.reason_codes)
    engine.dispose()
    # The case is not vacuous: the check itself finds something for several assets of the file.
    codes = {c for f in screened.findings for c in f.reason_codes}
    assert {"vin_exact", "vin_invalid", "price_out_of_range", "invoice_reused", "purchase_contract_reused",
            "different_lessee"} <= codes  # fmt: skip
    assert compared >= 5


def test_the_fleet_rule_needs_one_lessee_and_one_purchase() -> None:
    """The neighbours of a fleet are not pairs only under one lessor, one lessee and one purchase contract: the
    same neighbours for two lessees, or a purchase contract shown at another lessor, are still reviewed."""
    from leaseguard.registry.check import check_asset as check
    from leaseguard.registry.rules import load_rules

    rules = load_rules()
    first, second = (_facts(r) for r in fleet_rows(2))
    assert check(second, [first], rules).matches == ()
    other_lessee = dataclasses.replace(first, lessee_id="91310000MA1FL0RL8D")
    assert check(second, [other_lessee], rules).verdict.value == "review"
    elsewhere = dataclasses.replace(first, lessor="L002")
    assert check(second, [elsewhere], rules).verdict.value == "review"


def test_a_check_speaks_chinese_by_default_and_its_body_carries_the_reason_codes(
    workspace: Workspace,
) -> None:
    bad_vin = fleet_rows(3)[-1]["vin"]
    arguments = ["assets", "check", "--lessor", "L001", "--vin", bad_vin, "--asset-type", "vehicle"]
    spoken = runner.invoke(app, [*arguments, "-w", str(workspace.root)])
    assert spoken.exit_code == 0, spoken.output
    assert "结论" in spoken.output and "复核" in spoken.output
    assert f"应为 {vin_check_digit(bad_vin)}" in spoken.output
    english = runner.invoke(app, [*arguments, "--lang", "en", "-w", str(workspace.root)])
    assert f"expected {vin_check_digit(bad_vin)}" in english.output and "Review" in english.output
    forged = fleet_rows()[FORGED - 1]["vin"]
    body = runner.invoke(app, ["assets", "check", "--lessor", "L001", "--vin", forged, "--json",
                               "-w", str(workspace.root)])  # fmt: skip
    answer = json.loads(body.output)
    assert answer["verdict"] == "block" and answer["reason_codes"] == ["vin_exact"]
    assert all(isinstance(r, str) for r in answer["reasons"]) and "B-0091" not in body.output


def test_the_html_summary_renders_in_chromium_with_its_chinese_text(
    workspace: Workspace, tmp_path: Path
) -> None:
    from browser import seen_text

    book = write_file(tmp_path / "funding.csv", [*fleet_rows(), excavator_row("3600000.00")])
    page = tmp_path / "screen.html"
    result, _, _ = screen(workspace, book, tmp_path, "--summary", str(page))
    assert result.exit_code == 0, result.output
    seen = seen_text(page, "screen-findings")
    assert "逐项资产结论" in seen and "拒绝" in seen and "复核" in seen and "登记 A" in seen
    assert f"T{FORGED:02d}" in seen and "（不公开）" in seen and "本文件" in seen
    assert "3,600,000.00" in seen and "B-0091" not in seen and "乙运输" not in seen
    # What needs a person comes first: every block above every review, every review above every clear.
    findings = seen[seen.index("逐项资产结论") :]
    verdicts = [word for line in findings.splitlines() for word in line.split("\t")[2:3]]
    shown = [v for v in verdicts if v in ("拒绝", "复核", "通过")]
    assert shown == sorted(shown, key=("拒绝", "复核", "通过").index) and "通过" in shown


def test_a_slipped_check_digit_in_the_fleet_is_a_neighbour_unless_the_engine_is_the_same() -> None:
    """Truck 31's check digit slipped to truck 11's: the two VINs now differ in one serial digit only. Its own
    engine number (a neighbour's) says it is truck 31; truck 11's engine number would say it is a copy."""
    from leaseguard.registry.check import check_asset as check
    from leaseguard.registry.rules import load_rules

    rules = load_rules()
    fleet = fleet_rows(FLEET_SIZE + 1)
    eleventh, last = _facts(fleet[10]), _facts(fleet[-1])
    slipped = dataclasses.replace(last, vin=last.vin[:8] + eleventh.vin[8] + last.vin[9:])  # type: ignore[index]
    assert not is_valid_vin(slipped.vin or "")
    assert sum(a != b for a, b in zip(slipped.vin or "", eleventh.vin or "", strict=True)) == 1
    alone = check(slipped, [eleventh], rules)
    assert alone.matches == () and [f.code for f in alone.findings] == ["vin_invalid"]
    copy = dataclasses.replace(slipped, engine_no=eleventh.engine_no)
    assert check(copy, [eleventh], rules).verdict.value == "block"


def test_a_loaded_fleet_is_no_pair_in_the_whole_register_screen(workspace: Workspace, tmp_path: Path) -> None:
    """Once funded and loaded, the fleet stays a fleet: `--all` pairs only the forged copy with its truck."""
    fleet = fleet_rows(FLEET_SIZE)
    engine = workspace.engine()
    with session_factory(engine)() as session, session.begin():
        session.add_all(store_asset(row, registered_at=dt.date(2026, 4, 20)) for row in fleet)
    engine.dispose()
    out = tmp_path / "matches.csv"
    result = runner.invoke(app, ["assets", "screen", "--all", "--out", str(out), "-w", str(workspace.root)])
    assert result.exit_code == 0, result.output
    pairs = pl.read_csv(out, infer_schema_length=0)
    assert set(zip(pairs["asset_id_a"], pairs["asset_id_b"], pairs["verdict"], strict=True)) == {
        ("B-0091", f"T{FORGED:02d}", "block")
    }
