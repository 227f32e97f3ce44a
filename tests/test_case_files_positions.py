"""Positions in case files (issue 20): the preservation application and the complaint's list of assets name each
asset's last position from its BeiDou/GPS terminal as the record stood on the case's date — read with the
lessor in the WHERE clause — and say nothing where there is none (real store, SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

from sqlalchemy import Engine, text

from leaseguard.enforcement.complaint import LastFix
from leaseguard.tracking.jt808 import GMT8
from leaseguard.tracking.storage import StoreTerminalKeeper
from leaseguard.workspace import Workspace
from test_case_files import DAY, _docx_text, _generate, workspace  # noqa: F401 (a fixture)
from test_tracking_store import at8, report

OURS = "13800138001"  # on L1's A1 (contract K1)
THEIRS = "13900139001"  # on L2's asset also called A1
SENTENCE = (
    "序号1租赁物（三一重工SY75C，出厂编号SN-2024-0001）：经租赁物上安装的北斗/GPS定位终端（终端号 13800138001）记录，"
    "该租赁物最后定位于北纬31.230416°、东经121.473701°（2024-08-19 08:00:30，北京时间；WGS-84坐标）。"
)


def _bind(store: Engine) -> None:
    with store.begin() as connection:
        connection.execute(text("insert into lessors (code, name) values ('L2', '乙租赁')"))
        connection.execute(
            text(
                "insert into assets (lessor, asset_id, asset_type, lessee_id, lessee_name) values "
                "('L2', 'A1', 'vehicle', 'P9', '王五')"
            )
        )
        connection.execute(
            text(
                "insert into trackers (lessor, asset_id, terminal_phone, terminal_id, installed_on, kind) values "
                f"('L1', 'A1', '{OURS}', 'T1', '2024-01-01', 'wired'), "
                f"('L2', 'A1', '{THEIRS}', 'T9', '2024-01-01', 'wired')"
            )
        )


def _theirs_later_than_ours(store: Engine) -> None:
    """L2's A1 reported on the case's day, later than any of L1's: never L1's fact."""
    StoreTerminalKeeper(store).keep([report(THEIRS, at8(DAY, 10), lat=39.904211, lon=116.407394)])


def _written(tmp_path: Path, opened: Workspace, env: dict[str, str]) -> tuple[str, str]:
    out = tmp_path / "cases"
    _generate(opened, env, out)
    return _docx_text(out / "K1" / "preservation.docx"), _docx_text(out / "K1" / "complaint.docx")


def test_the_last_position_by_the_case_date_is_named(
    workspace: tuple[Workspace, dict[str, str]],  # noqa: F811
    tmp_path: Path,
    store_engine: Engine,
) -> None:
    opened, env = workspace
    _bind(store_engine)
    day_before = DAY - dt.timedelta(days=1)
    StoreTerminalKeeper(store_engine).keep(
        [
            report(OURS, at8(day_before, 7), lat=31.2, lon=121.4),
            report(OURS, at8(day_before, 8, 0, 30)),  # 31.230416, 121.473701: the last one by the case's date
            # fixed before the end of the case's day but received after it: not on record that day
            report(OURS, at8(DAY, 23, 59, 50), received=at8(DAY + dt.timedelta(days=1), 0, 5), lat=30.0),
            # fixed the day after: its last position now, but not the case's fact
            report(OURS, at8(DAY + dt.timedelta(days=1), 9), lat=30.5, lon=120.1),
        ]
    )
    _theirs_later_than_ours(store_engine)

    preservation, complaint = _written(tmp_path, opened, env)
    assert SENTENCE in preservation
    assert SENTENCE in complaint  # the complaint's facts, beside its list of assets
    for never in ("30.000000", "30.500000", "120.100000", "39.904211", THEIRS, "WGS84 ", "latitude"):
        assert never not in preservation + complaint, never

    with zipfile.ZipFile(tmp_path / "cases" / "K1" / "evidence.zip") as bundle:
        deposited = [
            json.loads(bundle.read(name))
            for name in bundle.namelist()
            if name.startswith("records/") and name.endswith("/content.json")
        ]
    facts = [record for record in deposited if "claim_rules_sha256" in record]
    assert len(facts) == 1  # the case's facts as deposited carry the same position
    assert facts[0]["assets"][0]["last_fix"] == {
        "terminal_phone": OURS,
        "latitude_e6": 31230416,
        "longitude_e6": 121473701,
        "fix_time": "2024-08-19T08:00:30+08:00",
    }


def test_no_position_no_sentence_and_never_another_lessors(
    workspace: tuple[Workspace, dict[str, str]],  # noqa: F811
    tmp_path: Path,
    store_engine: Engine,
) -> None:
    opened, env = workspace
    _bind(store_engine)
    _theirs_later_than_ours(store_engine)  # same asset_id, another lessor

    preservation, complaint = _written(tmp_path, opened, env)
    for never in ("定位终端", "最后定位", "北纬", "39.904211", THEIRS):
        assert never not in preservation + complaint, never


def test_a_position_south_and_west_is_said_so() -> None:
    fix = LastFix(OURS, -33868820, -70649270, dt.datetime(2024, 8, 19, 8, 0, 30, tzinfo=GMT8))
    assert fix.place == "南纬33.868820°、西经70.649270°"
    assert fix.time_text == "2024-08-19 08:00:30"
