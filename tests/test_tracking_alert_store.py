"""Location alerts in the store (issue 20): evaluated from stored positions, kept once however often a day is
run, cleared later, deposited in the evidence log with the raw frames that raised them, and on the call list
of the contract's own lessor only — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, Row, delete, func, insert, select
from typer.testing import CliRunner

from leaseguard.evidence import NoteSigner
from leaseguard.evidence.models import StoredRecord
from leaseguard.store.models import (
    Asset,
    Contract,
    EvidenceRecord,
    Lessor,
    Tracker,
    TrackingAlertRow,
    TrackingLastPosition,
    TrackingPosition,
)
from leaseguard.tracking.jt808 import GMT8, Location, decode_hex, frame
from leaseguard.usecases.early_warning import call_list_of, signals_in_words
from leaseguard.usecases.tracking_alerts import day_end, evaluate_tracking_alerts, open_alert_rows

DAY = dt.date(2025, 3, 10)
POWER_CUT = 1 << 8
POSITIONED = 1 << 1
SHANGHAI = (31_230_416, 121_473_701)  # micro-degrees
PHONES = {"L01": "13912345678", "L02": "13987654321"}


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner("leaseguard.test/tracking-alerts", Ed25519PrivateKey.generate())


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), GMT8)


def _location_frame(phone: str, serial: int, when: dt.datetime, alarm: int, lat: int, lon: int) -> bytes:
    """A JT/T 808-2013 0x0200 location report as a terminal sends it."""
    body = (
        alarm.to_bytes(4, "big")
        + POSITIONED.to_bytes(4, "big")
        + lat.to_bytes(4, "big")
        + lon.to_bytes(4, "big")
        + (4).to_bytes(2, "big")
        + (0).to_bytes(2, "big")
        + (90).to_bytes(2, "big")
        + bytes.fromhex(when.astimezone(GMT8).strftime("%y%m%d%H%M%S"))
    )
    attributes = len(body)
    header = (0x0200).to_bytes(2, "big") + attributes.to_bytes(2, "big") + bytes.fromhex(phone.rjust(12, "0"))
    return frame(header + serial.to_bytes(2, "big") + body)


def _seed_book(engine: Engine) -> None:
    """Two lessors; L01 holds contract C-1 with asset A-1, L02 holds C-2 with asset B-1 — whose assets.csv row
    names C-1 too (a number L02 also uses in its own books, not a contract of L02's in the store)."""
    with engine.begin() as connection:
        connection.execute(
            insert(Lessor), [{"code": "L01", "name": "甲租赁"}, {"code": "L02", "name": "乙租赁"}]
        )
        contract = {
            "lessee_type": "company", "industry": "transport", "start_date": dt.date(2024, 6, 1),
            "term_months": 36, "principal_fen": 36_000_000, "annual_rate": Decimal("0.06"),
            "method": "annuity", "frequency": "monthly", "residual_value_fen": 0, "deposit_fen": 0,
            "related_party": False,
        }  # fmt: skip
        connection.execute(
            insert(Contract),
            [
                {
                    **contract,
                    "contract_no": "C-1",
                    "lessor": "L01",
                    "lessee_id": "91310000A",
                    "lessee_name": "甲物流",
                },
                {
                    **contract,
                    "contract_no": "C-2",
                    "lessor": "L02",
                    "lessee_id": "91310000B",
                    "lessee_name": "乙运输",
                },
            ],
        )
        asset = {"asset_type": "vehicle", "lessee_name": "承租人"}
        connection.execute(
            insert(Asset),
            [
                {**asset, "lessor": "L01", "asset_id": "A-1", "lessee_id": "91310000A", "contract_no": "C-1"},
                {**asset, "lessor": "L02", "asset_id": "B-1", "lessee_id": "91310000B", "contract_no": "C-1"},
            ],
        )
        connection.execute(
            insert(Tracker),
            [
                {
                    "lessor": lessor,
                    "asset_id": asset_id,
                    "terminal_phone": PHONES[lessor],
                    "kind": "wired",
                    "installed_on": dt.date(2025, 1, 1),
                }
                for lessor, asset_id in (("L01", "A-1"), ("L02", "B-1"))
            ],
        )


_serials: dict[str, int] = {}


def _report(engine: Engine, lessor: str, asset_id: str, when: dt.datetime, alarm: int = 0) -> int:
    """Store one report of the asset's terminal, as the gateway keeps it; its id."""
    phone = PHONES[lessor]
    serial = _serials[phone] = _serials.get(phone, 0) + 1
    lat, lon = SHANGHAI
    raw = _location_frame(phone, serial, when, alarm, lat, lon)
    fields = {
        "latitude_e6": lat, "longitude_e6": lon, "altitude_m": 4, "speed_dkmh": 0, "direction": 90,
        "alarm_word": alarm, "status_word": POSITIONED,
    }  # fmt: skip
    utc = when.astimezone(dt.UTC)
    with engine.begin() as connection:
        position_id = connection.execute(
            insert(TrackingPosition)
            .values(
                lessor=lessor, asset_id=asset_id, terminal_phone=phone, fix_time=utc,
                received_at=utc + dt.timedelta(seconds=2), day=when.astimezone(GMT8).date(), extras=None,
                supplement=False, msg_id=0x0200, serial=serial, raw=raw, **fields,
            )
            .returning(TrackingPosition.id)
        ).scalar_one()  # fmt: skip
        connection.execute(
            delete(TrackingLastPosition).where(
                TrackingLastPosition.lessor == lessor, TrackingLastPosition.asset_id == asset_id
            )
        )
        connection.execute(
            insert(TrackingLastPosition).values(
                lessor=lessor, asset_id=asset_id, terminal_phone=phone, position_id=position_id, fix_time=utc,
                received_at=utc + dt.timedelta(seconds=2), **fields,
            )
        )  # fmt: skip
    return int(position_id)


def _alert_rows(engine: Engine) -> list[Row[Any]]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(
                    TrackingAlertRow.lessor,
                    TrackingAlertRow.asset_id,
                    TrackingAlertRow.contract_no,
                    TrackingAlertRow.code,
                    TrackingAlertRow.cleared_at,
                    TrackingAlertRow.first_report_id,
                    TrackingAlertRow.evidence_index,
                ).order_by(TrackingAlertRow.id)
            ).all()
        )


def _records(engine: Engine, lessor: str) -> list[StoredRecord]:
    from leaseguard.evidence import get_record

    with engine.connect() as connection:
        indexes = connection.execute(
            select(EvidenceRecord.leaf_index).where(
                EvidenceRecord.lessor == lessor, EvidenceRecord.kind == "tracking-alert"
            )
        ).scalars()
        return [get_record(engine, index, lessor=lessor) for index in indexes]


def test_a_power_cut_is_raised_once_with_its_frames_in_the_evidence_log_and_cleared_later(
    store_engine: Engine, signer: NoteSigner
) -> None:
    _seed_book(store_engine)
    _report(store_engine, "L01", "A-1", _at(DAY, 8))
    cut = _report(store_engine, "L01", "A-1", _at(DAY, 8, 10), POWER_CUT)
    _report(store_engine, "L01", "A-1", _at(DAY, 8, 20), POWER_CUT)

    run = evaluate_tracking_alerts(store_engine, day_end(DAY), "L01", signer=signer)
    [lessor] = run.lessors
    assert (lessor.evaluated, lessor.assets, run.opened, run.cleared) == (True, 1, 1, 0)
    [row] = _alert_rows(store_engine)
    assert (row.lessor, row.asset_id, row.contract_no, row.code) == ("L01", "A-1", "C-1", "power_cut")
    assert row.cleared_at is None and row.first_report_id == cut and row.evidence_index is not None

    [record] = _records(store_engine, "L01")
    assert record.index == row.evidence_index
    assert record.content is not None
    event = json.loads(record.content)
    assert (event["asset_id"], event["contract_no"], event["code"]) == ("A-1", "C-1", "power_cut")
    assert event["text"] == "主电源断电（报警位 8）"
    with store_engine.connect() as connection:
        raw = connection.execute(select(TrackingPosition.raw).where(TrackingPosition.id == cut)).scalar_one()
    frames = {item["report_ref"]: item["raw_hex"] for item in event["frames"]}
    assert frames[f"tracking-position:{cut}"] == bytes(raw).hex()
    decoded = decode_hex(frames[f"tracking-position:{cut}"])
    assert isinstance(decoded.body, Location) and decoded.body.alarm == ["main_power_off"]
    assert event["opened_at"] == "2025-03-10T08:10:00+08:00" == decoded.body.time

    # The same day again, and an earlier one: nothing raised twice, nothing deposited twice.
    again = evaluate_tracking_alerts(store_engine, day_end(DAY), "L01", signer=signer)
    earlier = evaluate_tracking_alerts(
        store_engine, day_end(DAY - dt.timedelta(days=1)), "L01", signer=signer
    )
    assert [one.evaluated for one in (*again.lessors, *earlier.lessors)] == [False, False]
    assert len(_alert_rows(store_engine)) == 1 and len(_records(store_engine, "L01")) == 1

    # Power back the next morning: the alert clears, and stays the one row.
    later = DAY + dt.timedelta(days=1)
    _report(store_engine, "L01", "A-1", _at(later, 9))
    cleared = evaluate_tracking_alerts(store_engine, day_end(later), "L01", signer=signer)
    assert (cleared.opened, cleared.cleared) == (0, 1)
    [row] = _alert_rows(store_engine)
    assert row.cleared_at is not None
    assert row.cleared_at.replace(tzinfo=row.cleared_at.tzinfo or dt.UTC) == _at(later, 9)
    assert open_alert_rows(store_engine, day_end(later), "L01") == []
    # As the store knew it at the end of the first day, it was open.
    [shown] = open_alert_rows(store_engine, day_end(DAY), "L01")
    assert (shown.asset_id, shown.contract_no, shown.reason) == ("A-1", "C-1", "主电源断电（报警位 8）")


def test_silence_is_counted_without_a_signer_and_an_unbound_assets_alert_clears(store_engine: Engine) -> None:
    _seed_book(store_engine)
    _report(store_engine, "L01", "A-1", _at(DAY, 8))
    quiet = DAY + dt.timedelta(days=4)
    run = evaluate_tracking_alerts(store_engine, day_end(quiet), "L01")
    assert [(s.alert.code, s.evidence_index) for s in run.lessors[0].opened] == [("silent", None)]
    assert _records(store_engine, "L01") == []
    with store_engine.begin() as connection:
        connection.execute(Tracker.__table__.update().where(Tracker.lessor == "L01").values(removed_on=quiet))
    after = evaluate_tracking_alerts(store_engine, day_end(quiet + dt.timedelta(days=1)), "L01")
    assert [alert.code for alert in after.lessors[0].cleared] == ["silent"]
    assert open_alert_rows(store_engine, day_end(quiet + dt.timedelta(days=1))) == []


def test_one_lessors_alert_never_reaches_another_lessors_contract_on_the_call_list(
    store_engine: Engine, signer: NoteSigner
) -> None:
    _seed_book(store_engine)
    # L02's asset, which its assets.csv row ties to "C-1", loses power: C-1 is L01's contract, not L02's.
    _report(store_engine, "L02", "B-1", _at(DAY, 8), POWER_CUT)
    _report(store_engine, "L01", "A-1", _at(DAY, 8))
    evaluate_tracking_alerts(store_engine, day_end(DAY), signer=signer)
    rows = _alert_rows(store_engine)
    assert [(row.lessor, row.asset_id, row.contract_no, row.code) for row in rows] == [
        ("L02", "B-1", None, "power_cut")
    ]
    assert _records(store_engine, "L01") == [] and len(_records(store_engine, "L02")) == 1

    listed = call_list_of(store_engine, DAY).frame
    assert not listed.filter(listed["contract_no"] == "C-1")["tracking_power_cut"].item()
    assert "tracking_power_cut" not in listed.filter(listed["contract_no"] == "C-1")["signals"].item()

    # Now L01's own asset loses power: its contract's row shows it, in words, and L02's contract does not.
    day = DAY + dt.timedelta(days=1)
    _report(store_engine, "L01", "A-1", _at(day, 7), POWER_CUT)
    evaluate_tracking_alerts(store_engine, day_end(day), signer=signer)
    for lessor, shown in (("L01", True), ("L02", False)):
        listed = call_list_of(store_engine, day, lessor=lessor).frame
        [row] = listed.to_dicts()
        assert row["tracking_power_cut"] is shown, lessor
        assert ("终端主电源断电" in signals_in_words(row["signals"])) is shown, lessor
    [l01] = call_list_of(store_engine, day, lessor="L01").frame.to_dicts()
    assert l01["contract_no"] == "C-1"
    assert signals_in_words(l01["signals"], "en").count("terminal power cut") == 1


def test_the_command_evaluates_and_lists_open_alerts_in_chinese_and_as_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leaseguard.cli.common import console
    from leaseguard.cli.main import app
    from leaseguard.workspace import init_workspace

    monkeypatch.delenv("LEASEGUARD_DATABASE_URL", raising=False)
    # The console is made once per process, before this test: its width is set, not read from COLUMNS.
    monkeypatch.setattr(console, "width", 220)
    workspace = init_workspace(tmp_path / "ws")
    engine = workspace.engine()
    try:
        _seed_book(engine)
        _report(engine, "L01", "A-1", _at(DAY, 8, 10), POWER_CUT)
    finally:
        engine.dispose()
    runner = CliRunner()
    shown = runner.invoke(app, ["tracking", "alerts", "--as-of", DAY.isoformat(), "-w", str(workspace.root)])
    assert shown.exit_code == 0, shown.output
    # A-1 lost power; B-1's terminal never reported in the months since it was fitted.
    assert "新增 2，持续 0，解除 0" in shown.output
    lines = {line.split("│")[2].strip(): line for line in shown.output.splitlines() if line.count("│") > 3}
    assert (
        "主电源断电（报警位 8）" in lines["A-1"]
        and "C-1" in lines["A-1"]
        and "31.230416, 121.473701" in lines["A-1"]
    )
    assert "绑定后 69 天未收到任何报告" in lines["B-1"] and "中" in lines["B-1"]
    as_json = runner.invoke(
        app,
        [
            "tracking",
            "alerts",
            "--as-of",
            DAY.isoformat(),
            "--json",
            "--lang",
            "en",
            "-w",
            str(workspace.root),
        ],
    )
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.output)
    assert [(one["lessor"], one["evaluated"]) for one in document["lessors"]] == [
        ("L01", False),
        ("L02", False),
    ]
    alert = next(found for found in document["open"] if found["asset_id"] == "A-1")
    assert (alert["contract_no"], alert["label"], alert["severity_label"]) == ("C-1", "power cut", "high")
    assert alert["evidence_index"] is not None
    unknown = runner.invoke(app, ["tracking", "alerts", "--lessor", "NOPE", "-w", str(workspace.root)])
    assert unknown.exit_code == 1 and "NOPE" in unknown.output and "Traceback" not in unknown.output
    engine = workspace.engine()
    try:
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(TrackingAlertRow)).scalar_one() == 2
    finally:
        engine.dispose()


def test_the_daily_run_evaluates_each_day_under_the_workspaces_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from leaseguard.rulefiles import read_rule_text
    from leaseguard.usecases.daily_book import daily_job
    from leaseguard.workspace import init_workspace

    monkeypatch.delenv("LEASEGUARD_DATABASE_URL", raising=False)
    folder = tmp_path / "ws"
    workspace = init_workspace(folder)
    # The workspace's own rules: silence switched off, so only the power cut is raised.
    shipped = yaml.safe_load(read_rule_text(None, "tracking/alerts.yaml")[0])
    shipped["alerts"]["silent"]["enabled"] = False
    (folder / "tracking").mkdir()
    (folder / "tracking" / "alerts.yaml").write_text(yaml.safe_dump(shipped, allow_unicode=True), "utf-8")
    config = folder / "leaseguard.yaml"
    config.write_text(
        config.read_text("utf-8").replace(
            "  # alerts: tracking/alerts.yaml", "  alerts: tracking/alerts.yaml"
        )
    )
    workspace = init_workspace(folder)
    engine = workspace.engine()
    try:
        _seed_book(engine)
        _report(engine, "L01", "A-1", _at(DAY, 8, 10), POWER_CUT)
        days = [DAY - dt.timedelta(days=1), DAY]
        run = daily_job(workspace).run(days)
        assert [(one.as_of, one.opened) for one in run.tracking] == [(day_end(days[0]), 0), (day_end(DAY), 1)]
        assert [row.code for row in _alert_rows(engine)] == ["power_cut"]
        assert len(_records(engine, "L01")) == 1
        rerun = daily_job(workspace).run([DAY])
        assert [one.evaluated for one in rerun.tracking[0].lessors] == [False, False]
        [row] = call_list_of(engine, DAY, lessor="L01").frame.to_dicts()
        assert row["tracking_power_cut"] and not row["tracking_silent"]
        from leaseguard.cli.main import app

        said = CliRunner().invoke(app, ["run", "daily", "--as-of", "2025-03-11", "-w", str(folder)])
        assert said.exit_code == 0, said.output
        assert "位置报警（评估至 2025-03-12 00:00）：新增 0，解除 0" in said.output
    finally:
        engine.dispose()
