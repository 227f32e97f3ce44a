"""Terminals, bindings and positions in the store (tracking.storage), on SQLite and PostgreSQL: reports of a
bound terminal are attached to its asset on the report's day, others held apart; the last position moves
forward only; a day's track is in fix-time order; pruning by day; a terminal registering again keeps its code;
one lessor never reads another's positions. And trackers.csv through the import pipeline."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from conftest import running
from leaseguard.api import create_app
from leaseguard.cli.main import app as cli
from leaseguard.ingest import import_paths
from leaseguard.store.db import session_factory, upgrade_schema
from leaseguard.tenancy import create_key
from leaseguard.tracking.jt808 import GMT8, Location, Registration
from leaseguard.tracking.ports import PositionReport
from leaseguard.tracking.storage import (
    StoreTerminalKeeper,
    asset_track,
    canonical_phone,
    last_positions,
    prune,
    trackers,
    unbound_reports,
)
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, init_workspace

PHONE = "13800138001"  # bound to L001's A-1 (wired) from 2026-09-01
WIRELESS = "13800138002"  # bound to L001's A-1 (wireless) from 2026-10-01
THEIRS = "13900139001"  # bound to L002's B-1
LOOSE = "15000150000"  # bound to nothing
DAY = dt.date(2026, 9, 30)


def registration(terminal_id: str = "T1") -> Registration:
    return Registration(31, 100, "LG", "M-808", terminal_id, 1, "沪A12345", "2019")


def location(
    at: dt.datetime | None, lat: float = 31.230416, lon: float = 121.473701, speed: float = 36.5
) -> Location:
    return Location(
        alarm=[],
        status=["positioned"],
        latitude=lat,
        longitude=lon,
        altitude=12,
        speed_kmh=speed,
        direction=90,
        time=None if at is None else at.astimezone(GMT8).isoformat(),
        extras={"mileage_km": 1.8},
        alarm_word=0,
        status_word=2,
    )


def report(
    phone: str, at: dt.datetime | None, *, received: dt.datetime | None = None, **fields: float
) -> PositionReport:
    received_at = received or (
        at + dt.timedelta(seconds=2) if at else dt.datetime(2026, 9, 30, 4, tzinfo=dt.UTC)
    )
    return PositionReport(
        phone=phone,
        msg_id=0x0200,
        serial=1,
        received_at=received_at.astimezone(dt.UTC),
        location=location(at, **fields),
        raw=b"\x7e\x02\x00" + phone.encode() + b"\x7e",
    )


def at8(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=GMT8)


@pytest.fixture
def store(store_engine: Engine) -> Iterator[Engine]:
    with store_engine.begin() as connection:
        connection.execute(
            text("insert into lessors (code, name) values ('L001', '甲租赁'), ('L002', '乙租赁')")
        )
        connection.execute(
            text(
                "insert into assets (lessor, asset_id, asset_type, lessee_id, lessee_name) values "
                "('L001', 'A-1', 'vehicle', 'P1', '张三'), ('L001', 'A-2', 'vehicle', 'P2', '李四'), "
                "('L002', 'B-1', 'vehicle', 'P9', '王五'), ('L002', 'A-1', 'vehicle', 'P8', '赵六')"
            )
        )
        connection.execute(
            text(
                "insert into trackers (lessor, asset_id, terminal_phone, terminal_id, installed_on, kind) values "
                f"('L001', 'A-1', '{PHONE}', 'T1', '2026-09-01', 'wired'), "
                f"('L001', 'A-1', '{WIRELESS}', 'T2', '2026-10-01', 'wireless'), "
                f"('L002', 'B-1', '{THEIRS}', 'T9', '2026-09-01', 'wired')"
            )
        )
    yield store_engine


def test_a_phone_is_kept_without_its_leading_zeros() -> None:
    assert canonical_phone("013800138001") == canonical_phone("00000000013800138001") == "13800138001"
    assert canonical_phone("000000") == "0"


def test_registering_again_keeps_the_code_and_another_terminal_gets_another(store: Engine) -> None:
    keeper = StoreTerminalKeeper(store)
    assert keeper.auth_code(PHONE) is None
    first = keeper.register("0" + PHONE, registration(), at8(DAY, 8))
    assert len(first) == 16
    # The same terminal as a 2019 header spells it, registering again with another terminal id.
    again = keeper.register("000000000" + PHONE, registration("T1-new"), at8(DAY, 9))
    assert again == first == keeper.auth_code(PHONE) == keeper.auth_code("0" + PHONE)
    assert keeper.register(LOOSE, registration(), at8(DAY, 8)) != first
    with store.connect() as connection:
        assert (
            connection.execute(
                text("select terminal_id from tracking_terminals where phone = :p"), {"p": PHONE}
            ).scalar_one()
            == "T1-new"
        )


def test_registrations_in_one_batch_keep_codes_and_spellings_of_one_terminal_share_one(store: Engine) -> None:
    keeper = StoreTerminalKeeper(store)
    first = keeper.register(PHONE, registration(), at8(DAY, 7))
    batch = keeper.register_many(
        [
            ("0" + PHONE, registration("T1-again"), at8(DAY, 8)),  # registered before: keeps its code
            ("0" + LOOSE, registration("T5"), at8(DAY, 8)),  # new, in its 2013 spelling ...
            ("000000000" + LOOSE, registration("T5-2019"), at8(DAY, 8, 1)),  # ... and its 2019 one
            (THEIRS, registration("T9"), at8(DAY, 8)),
        ]
    )
    assert batch[0] == first
    assert batch[1] == batch[2] != first and batch[3] not in (first, batch[1])
    assert keeper.register_many([]) == []
    codes = keeper.auth_codes(["0" + PHONE, LOOSE, THEIRS, WIRELESS])
    assert codes == {"0" + PHONE: first, LOOSE: batch[1], THEIRS: batch[3]}  # WIRELESS never registered
    with store.connect() as connection:
        details = dict(connection.execute(text("select phone, terminal_id from tracking_terminals")).all())
    assert details == {PHONE: "T1-again", LOOSE: "T5-2019", THEIRS: "T9"}


def test_keep_attaches_bound_reports_and_holds_unbound_ones_apart(store: Engine) -> None:
    keeper = StoreTerminalKeeper(store)
    keeper.register(PHONE, registration(), at8(DAY, 7))
    keeper.keep(
        [
            report("0" + PHONE, at8(DAY, 8)),  # bound (2013 spelling)
            report(WIRELESS, at8(DAY, 8)),  # bound only from 2026-10-01: unbound on this day
            report(LOOSE, at8(DAY, 8, 1)),
            report(THEIRS, at8(DAY, 8, 2)),
            report(PHONE, at8(dt.date(2026, 8, 31), 23, 59)),  # the day before its installation: unbound
        ]
    )
    with store.connect() as connection:
        mine = asset_track(connection, "L001", "A-1", DAY, limit=100)
        assert [(p.terminal_phone, p.kind) for p in mine] == [(PHONE, "wired")]
        assert (mine[0].latitude_e6, mine[0].longitude_e6, mine[0].speed_dkmh) == (
            31_230_416,
            121_473_701,
            365,
        )
        assert mine[0].fix_time == at8(DAY, 8)
        held = unbound_reports(connection)
        assert sorted((r.phone, r.fix_time) for r in held) == sorted(
            [(WIRELESS, at8(DAY, 8)), (LOOSE, at8(DAY, 8, 1)), (PHONE, at8(dt.date(2026, 8, 31), 23, 59))]
        )
        assert [r.phone for r in unbound_reports(connection, phone="0" + LOOSE)] == [LOOSE]
        assert held[0].raw.startswith(b"\x7e")
        theirs = asset_track(connection, "L002", "B-1", DAY, limit=100)
        assert [p.terminal_phone for p in theirs] == [THEIRS]
        seen = connection.execute(
            text("select last_seen_at from tracking_terminals where phone = :p"), {"p": PHONE}
        ).scalar_one()
        assert seen is not None


def test_a_report_without_a_fix_time_is_placed_at_its_reception(store: Engine) -> None:
    received = at8(DAY, 10)
    StoreTerminalKeeper(store).keep([report(PHONE, None, received=received)])
    with store.connect() as connection:
        (point,) = asset_track(connection, "L001", "A-1", DAY, limit=10)
    assert point.fix_time == point.received_at == received


def test_the_last_position_moves_forward_only(store: Engine) -> None:
    keeper = StoreTerminalKeeper(store)
    keeper.keep([report(PHONE, at8(DAY, 8), lat=31.0), report(PHONE, at8(DAY, 9), lat=31.1)])
    keeper.keep([report(PHONE, at8(DAY, 7), lat=30.0)])  # a late blind-area supplement
    with store.connect() as connection:
        (last,) = last_positions(connection, "L001", "A-1")
        assert (last.latitude_e6, last.fix_time) == (31_100_000, at8(DAY, 9))
        later = dt.date(2026, 10, 2)
        keeper.keep([report(PHONE, at8(later, 9), lat=32.0), report(WIRELESS, at8(later, 9, 30), lat=33.0)])
        both = last_positions(connection, "L001", "A-1")
        assert [(p.terminal_phone, p.kind, p.latitude_e6) for p in both] == [
            (WIRELESS, "wireless", 33_000_000),
            (PHONE, "wired", 32_000_000),
        ]
        assert last_positions(connection, "L001", "A-2") == []


def test_a_days_track_is_in_fix_time_order_and_pages_by_keyset(store: Engine) -> None:
    times = [
        at8(DAY, 0) + dt.timedelta(seconds=s) for s in range(0, 60 * 30, 30)
    ]  # 60 fixes 30 s apart, from midnight
    shuffled = times[:]
    random.Random(7).shuffle(shuffled)
    keeper = StoreTerminalKeeper(store)
    keeper.keep([report(PHONE, t) for t in shuffled[:40]])
    keeper.keep([report(PHONE, t) for t in shuffled[40:]])
    keeper.keep([report(PHONE, at8(DAY - dt.timedelta(days=1), 23, 59, 59))])  # the day before, in GMT+8
    with store.connect() as connection:
        whole = asset_track(connection, "L001", "A-1", DAY, limit=500)
        assert [p.fix_time for p in whole] == times
        pages, after = [], None
        while True:
            page = asset_track(connection, "L001", "A-1", DAY, limit=25, after_id=after)
            if not page:
                break
            pages.extend(page)
            after = page[-1].id
        assert [p.id for p in pages] == [p.id for p in whole]


def test_one_lessor_never_reads_anothers_positions(store: Engine) -> None:
    StoreTerminalKeeper(store).keep([report(PHONE, at8(DAY, 8)), report(THEIRS, at8(DAY, 8))])
    with store.connect() as connection:
        # L002 has an asset called A-1 too: it reads nothing of L001's A-1.
        assert last_positions(connection, "L002", "A-1") == []
        assert asset_track(connection, "L002", "A-1", DAY, limit=10) == []
        assert last_positions(connection, "L001", "B-1") == []
        mine = asset_track(connection, "L001", "A-1", DAY, limit=10)
        # Another lessor's position id as a cursor names nothing of the caller's.
        theirs = asset_track(connection, "L002", "B-1", DAY, limit=10)
        assert asset_track(connection, "L001", "A-1", DAY, limit=10, after_id=theirs[0].id) == []
        assert [t.asset_id for t in trackers(connection, "L001")] == ["A-1", "A-1"]
        assert [t.terminal_phone for t in trackers(connection, "L002", "B-1")] == [THEIRS]
        assert mine and all(p.lessor == "L001" for p in mine)


def test_prune_deletes_the_days_before_and_keeps_the_last_position(store: Engine) -> None:
    keeper = StoreTerminalKeeper(store)
    days = [DAY - dt.timedelta(days=n) for n in (2, 1, 0)]
    keeper.keep([report(PHONE, at8(day, 12)) for day in days] + [report(LOOSE, at8(days[0], 12))])
    keeper.keep([report(THEIRS, at8(days[0], 12))])
    done = prune(store, DAY)
    assert (done.days, done.positions, done.unbound) == (2, 3, 1)
    with store.connect() as connection:
        assert [p.fix_time for p in asset_track(connection, "L001", "A-1", DAY, limit=10)] == [at8(DAY, 12)]
        assert asset_track(connection, "L001", "A-1", days[0], limit=10) == []
        assert unbound_reports(connection) == []
        # B-1's only report went with its day; its last known position stays.
        assert [p.fix_time for p in last_positions(connection, "L002", "B-1")] == [at8(days[0], 12)]
    assert prune(store, DAY).positions == 0


def test_a_batch_that_fails_stores_nothing(store: Engine) -> None:
    bad = report(PHONE, at8(DAY, 9))
    broken = PositionReport(bad.phone, bad.msg_id, bad.serial, bad.received_at, bad.location, None)  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 (the store's own error: raw is NOT NULL)
        StoreTerminalKeeper(store).keep([report(PHONE, at8(DAY, 8)), broken, report(LOOSE, at8(DAY, 8))])
    with store.connect() as connection:
        assert asset_track(connection, "L001", "A-1", DAY, limit=10) == []
        assert unbound_reports(connection) == []
        assert last_positions(connection, "L001", "A-1") == []


# --- trackers.csv ---------------------------------------------------------------------------------------------


def _import(store: Engine, folder: Path, body: str, lessor: str | None = None) -> list:
    path = folder / "trackers.csv"
    path.write_text("lessor,asset_id,terminal_phone,terminal_id,installed_on,kind\n" + body, encoding="utf-8")
    return import_paths(store, [path], lessor=lessor)


def test_trackers_csv_binds_terminals_and_names_each_bad_value(store: Engine, tmp_path: Path) -> None:
    (loaded,) = _import(
        store,
        tmp_path,
        "L001,A-2,013600136001,T5,2026-09-15,wireless\n"  # line 2: good (kept without its leading zero)
        "L001,NO-SUCH,13600136002,T6,2026-09-15,wired\n"  # 3: unknown asset
        "L001,A-2,1360013600x,T7,2026-09-15,wired\n"  # 4: not digits
        "L001,A-2,1360013,T7,2026-09-15,wired\n"  # 5: too short
        "L001,A-2,13600136003,T8,2026-09-15,solar\n"  # 6: unknown kind
        f"L001,A-2,{PHONE},T1,2026-09-15,wired\n"  # 7: bound to A-1 already
        f"L001,A-2,{THEIRS},T9,2026-09-15,wired\n"  # 8: another lessor's terminal
        "L001,A-2,13600136004,T8,2026-13-01,wired\n"  # 9: impossible date
        "L002,A-2,13600136005,T8,2026-09-15,wired\n"  # 10: L002 has no A-2
        "L001,A-1,13600136001,T5,2026-09-15,wired\n",  # 11: the terminal of line 2 on another asset
    )
    assert loaded.status == "partial" and loaded.inserted == 1
    found = {(error.line, error.column, error.code): error for error in loaded.errors}
    assert sorted(found) == [
        (3, "asset_id", "asset_not_in_store"),
        (4, "terminal_phone", "not_a_terminal_phone"),
        (5, "terminal_phone", "not_a_terminal_phone"),
        (6, "kind", "unknown_choice"),
        (7, "terminal_phone", "terminal_bound_elsewhere"),
        (8, "terminal_phone", "terminal_of_another_lessor"),
        (9, "installed_on", "impossible_date"),
        (10, "asset_id", "asset_not_in_store"),
        (11, "terminal_phone", "terminal_bound_elsewhere"),
    ]
    assert "A-1" in found[(7, "terminal_phone", "terminal_bound_elsewhere")].line_text("zh")
    assert "A-2" in found[(11, "terminal_phone", "terminal_bound_elsewhere")].line_text("en")
    other = found[(8, "terminal_phone", "terminal_of_another_lessor")].line_text("en")
    assert "B-1" not in other and "L002" not in other
    assert "trackers.csv" in found[(3, "asset_id", "asset_not_in_store")].line_text("en")
    with store.connect() as connection:
        rows = trackers(connection, "L001", "A-2")
    assert [(t.terminal_phone, t.kind, t.installed_on) for t in rows] == [
        ("13600136001", "wireless", dt.date(2026, 9, 15))
    ]
    # Loading the same file again changes nothing, and the bound terminal's reports now attach to A-2.
    (again,) = _import(store, tmp_path, "L001,A-2,13600136001,T5,2026-09-15,wireless\n")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    StoreTerminalKeeper(store).keep([report("13600136001", at8(DAY, 8))])
    with store.connect() as connection:
        assert len(asset_track(connection, "L001", "A-2", DAY, limit=10)) == 1


def test_a_lessors_upload_cannot_bind_another_lessors_asset(store: Engine, tmp_path: Path) -> None:
    (loaded,) = _import(store, tmp_path, "L002,B-1,13600136009,T5,2026-09-15,wired\n", lessor="L001")
    assert loaded.inserted == 0
    assert [(e.column, e.code) for e in loaded.errors] == [("lessor", "unknown_lessor")]


def _import_with_removal(store: Engine, folder: Path, body: str) -> list:
    path = folder / "trackers.csv"
    header = "lessor,asset_id,terminal_phone,terminal_id,installed_on,kind,removed_on\n"
    path.write_text(header + body, encoding="utf-8")
    return import_paths(store, [path])


def test_a_terminal_moves_to_another_asset_once_removed_on_ends_its_binding(
    store: Engine, tmp_path: Path
) -> None:
    # A terminal bound to A-1 cannot go to A-2 while that binding lasts ...
    (refused,) = _import_with_removal(store, tmp_path, f"L001,A-2,{PHONE},T1,2026-10-01,wired,\n")
    assert [(e.line, e.column, e.code) for e in refused.errors] == [
        (2, "terminal_phone", "terminal_bound_elsewhere")
    ]
    assert "2026-09-01" in refused.errors[0].line_text("zh") and "removed_on" in refused.errors[0].text("zh")
    # ... and can once its binding to A-1 ends, from that day on (the same file: the end is written first).
    (moved,) = _import_with_removal(
        store,
        tmp_path,
        f"L001,A-1,{PHONE},T1,2026-09-01,wired,2026-10-01\n"  # line 2: A-1's binding ends (exclusive)
        f"L001,A-2,{PHONE},T1,2026-10-01,wired,\n",  # 3: A-2's starts that day
    )
    assert (moved.status, moved.inserted, moved.updated, moved.errors) == ("loaded", 1, 1, [])
    with store.connect() as connection:
        assert [(t.asset_id, t.installed_on, t.removed_on) for t in trackers(connection, "L001")] == [
            ("A-1", dt.date(2026, 9, 1), dt.date(2026, 10, 1)),
            ("A-1", dt.date(2026, 10, 1), None),  # the wireless terminal stays
            ("A-2", dt.date(2026, 10, 1), None),
        ]
    keeper = StoreTerminalKeeper(store)
    keeper.keep(
        [
            report(PHONE, at8(DAY, 23, 59, 59)),  # fixed the last day of A-1's binding
            report(PHONE, at8(dt.date(2026, 10, 1), 0, 0, 0)),  # the first day of A-2's
            report(PHONE, at8(DAY, 12), received=at8(dt.date(2026, 10, 3), 9)),  # a late supplement of A-1's
            report(PHONE, at8(dt.date(2026, 10, 2), 8)),
        ]
    )
    with store.connect() as connection:
        old = asset_track(connection, "L001", "A-1", DAY, limit=10)
        assert [p.fix_time for p in old] == [at8(DAY, 12), at8(DAY, 23, 59, 59)]
        assert asset_track(connection, "L001", "A-1", dt.date(2026, 10, 2), limit=10) == []
        new = [
            p.fix_time
            for d in (1, 2)
            for p in asset_track(connection, "L001", "A-2", dt.date(2026, 10, d), limit=10)
        ]
        assert new == [at8(dt.date(2026, 10, 1), 0), at8(dt.date(2026, 10, 2), 8)]
        (last,) = last_positions(connection, "L001", "A-2")
        assert last.fix_time == at8(dt.date(2026, 10, 2), 8)
        assert [
            p.fix_time for p in last_positions(connection, "L001", "A-1") if p.terminal_phone == PHONE
        ] == [at8(DAY, 23, 59, 59)]
    # Loading the file again changes nothing; a file without removed_on leaves the end where it is.
    (again,) = _import_with_removal(
        store,
        tmp_path,
        f"L001,A-1,{PHONE},T1,2026-09-01,wired,2026-10-01\nL001,A-2,{PHONE},T1,2026-10-01,wired,\n",
    )
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    (without,) = _import(store, tmp_path, f"L001,A-1,{PHONE},T1-new,2026-09-01,wired\n")
    assert (without.updated, without.errors) == (1, [])
    with store.connect() as connection:
        (ended,) = [t for t in trackers(connection, "L001", "A-1") if t.terminal_phone == PHONE]
    assert (ended.terminal_id, ended.removed_on) == ("T1-new", dt.date(2026, 10, 1))


def test_ending_one_binding_and_opening_another_loads_in_any_line_order(
    store: Engine, tmp_path: Path
) -> None:
    (moved,) = _import_with_removal(
        store,
        tmp_path,
        f"L001,A-2,{PHONE},T1,2026-10-01,wired,\n"  # the new binding first ...
        f"L001,A-1,{PHONE},T1,2026-09-01,wired,2026-10-01\n",  # ... then the end of the old one
    )
    assert (moved.status, moved.inserted, moved.updated) == ("loaded", 1, 1)
    # Back to A-1 from November: A-2's binding ends, A-1's (one row per lessor, asset and terminal) is restated
    # with its new period; the store's one-open-binding-per-terminal index is never crossed half-way.
    (back,) = _import_with_removal(
        store,
        tmp_path,
        f"L001,A-1,{PHONE},T1,2026-11-01,wired,\nL001,A-2,{PHONE},T1,2026-10-01,wired,2026-11-01\n",
    )
    assert (back.status, back.updated, back.errors) == ("loaded", 2, [])
    with store.connect() as connection:
        bound = sorted(
            (t.asset_id, t.installed_on, t.removed_on)
            for t in trackers(connection, "L001")
            if t.terminal_phone == PHONE
        )
    assert bound == [("A-1", dt.date(2026, 11, 1), None), ("A-2", dt.date(2026, 10, 1), dt.date(2026, 11, 1))]


def test_binding_periods_that_overlap_are_row_errors_naming_file_line_and_field(
    store: Engine, tmp_path: Path
) -> None:
    (ended,) = _import_with_removal(store, tmp_path, f"L001,A-1,{PHONE},T1,2026-09-01,wired,2026-10-01\n")
    assert ended.updated == 1 and ended.errors == []
    (loaded,) = _import_with_removal(
        store,
        tmp_path,
        f"L001,A-2,{PHONE},T1,2026-09-20,wired,\n"  # 2: starts before A-1's binding ended
        f"L001,A-2,{LOOSE},T5,2026-10-01,wired,2026-10-01\n"  # 3: ends the day it starts
        f"L001,A-2,{LOOSE},T5,2026-10-05,wired,2026-09-01\n"  # 4: ends before it starts
        "L001,A-2,13600136001,T6,2026-09-01,wired,2026-10-15\n"  # 5: good
        "L001,A-1,13600136001,T6,2026-10-10,wired,\n"  # 6: overlaps line 5
        "L001,A-1,13600136001,T6,2026-10-15,wired,\n"  # 7: line 6's binding from when line 5's ends: good
        f"L001,A-2,{THEIRS},T9,2026-12-01,wired,\n"  # 8: another lessor's terminal, still fitted there
        "L001,A-2,13600136002,T7,2026-09-01,wired,2026-1-5\n",  # 9: not a date
    )
    found = {(error.line, error.column): error for error in loaded.errors}
    assert {key: error.code for key, error in found.items()} == {
        (2, "terminal_phone"): "terminal_bound_then",
        (3, "removed_on"): "removed_not_after_installed",
        (4, "removed_on"): "removed_not_after_installed",
        (6, "terminal_phone"): "terminal_bound_then",
        (8, "terminal_phone"): "terminal_of_another_lessor",
        (9, "removed_on"): "not_a_date",
    }
    assert loaded.inserted == 2  # lines 5 and 7
    then = found[(2, "terminal_phone")]
    assert then.line_text("zh") == (
        f"{tmp_path / 'trackers.csv'}:2: terminal_phone: 终端 {PHONE} 在 2026-09-01 至 2026-10-01（不含）绑定租赁物 "
        "'A-1'，与本行的期间重叠（终端同一天只能绑定一项租赁物）"
    )
    assert "'A-2'" in found[(6, "terminal_phone")].text("zh")  # the earlier line's asset
    assert found[(3, "removed_on")].text("zh") == (
        "removed_on 2026-10-01 应晚于 installed_on 2026-10-01（绑定到 removed_on 的前一天为止）"
    )
    other = found[(8, "terminal_phone")].text("zh")
    assert "另一出租人" in other and "B-1" not in other and "L002" not in other


# --- the API ------------------------------------------------------------------------------------------------


def _keys(store: Engine) -> dict[str, str]:
    with session_factory(store)() as session, session.begin():
        keys = {role: create_key(session, lessor="L001", role=role).key for role in ("analyst", "compliance")}
        keys["theirs"] = create_key(session, lessor="L002", role="admin").key
    return keys


def test_the_api_gives_the_last_position_and_the_days_track_of_the_callers_asset_only(
    store: Engine, database_url: str
) -> None:
    keeper = StoreTerminalKeeper(store)
    later = dt.date(2026, 10, 2)
    keeper.keep([report(PHONE, at8(later, 8, 0, s), speed=40.0) for s in (30, 0, 45)])
    keeper.keep([report(WIRELESS, at8(later, 8, 0, 10), lat=-33.8688, lon=-151.2093)])
    keeper.keep([report(THEIRS, at8(later, 8))])
    keys = _keys(store)
    with running(create_app(database_url)) as base, httpx.Client(base_url=base, timeout=30) as client:

        def get(path: str, key: str = keys["analyst"], **params: object) -> httpx.Response:
            return client.get(path, params=params, headers={"Authorization": f"Bearer {key}"})

        body = get("/v1/assets/A-1/position").json()
        assert body["asset_id"] == "A-1"
        wired, wireless = (
            next(item for item in body["items"] if item["kind"] == kind) for kind in ("wired", "wireless")
        )
        assert (wired["terminal_phone"], wired["latitude"], wired["longitude"]) == (
            PHONE,
            "31.230416",
            "121.473701",
        )
        assert (wired["speed_kmh"], wired["speed_dkmh"], wired["time"]) == (
            "40.0",
            400,
            "2026-10-02T08:00:45+08:00",
        )
        assert (wireless["latitude"], wireless["longitude"]) == ("-33.868800", "-151.209300")
        assert wired["status"] == ["positioned"] and wired["alarm"] == []

        track = get("/v1/assets/A-1/track", date="2026-10-02", limit=2).json()
        assert [p["time"][11:19] for p in track["items"]] == ["08:00:00", "08:00:10"]
        rest = get("/v1/assets/A-1/track", date="2026-10-02", limit=2, cursor=track["next_cursor"]).json()
        assert [p["time"][11:19] for p in rest["items"]] == ["08:00:30", "08:00:45"]
        assert rest["next_cursor"] is None
        assert (
            get("/v1/assets/A-1/track", date="2026-10-02", limit=2, offset=2).json()["items"] == rest["items"]
        )
        assert get("/v1/assets/A-1/track", date="2026-10-03").json()["items"] == []

        # Another lessor's asset, one the caller has no position of, one that does not exist: 404 problems.
        for path in ("/v1/assets/B-1/position", "/v1/assets/B-1/track", "/v1/assets/NOPE/position"):
            missing = get(path, **({"date": "2026-10-02"} if path.endswith("track") else {}))
            assert (
                missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
            )
            assert missing.json()["detail"] in ("没有这项租赁物。", "No such asset.")
        no_fix = get("/v1/assets/A-2/position")
        assert no_fix.status_code == 404 and "A-2" in no_fix.json()["detail"]
        # L002 reads its own B-1, and nothing of L001's A-1 (it has an A-1 of its own, without terminals).
        assert get("/v1/assets/B-1/position", keys["theirs"]).json()["items"][0]["terminal_phone"] == THEIRS
        assert get("/v1/assets/A-1/track", keys["theirs"], date="2026-10-02").json()["items"] == []
        # Compliance reads the book's assets but not where they went.
        assert get("/v1/assets/A-1", keys["compliance"]).status_code == 200
        assert get("/v1/assets/A-1/position", keys["compliance"]).status_code == 403
        assert get("/v1/assets/A-1/track", keys["compliance"]).status_code == 403
        assert get("/v1/assets/A-1/track", date="2026-02-30").status_code == 422


# --- the command line ---------------------------------------------------------------------------------------


def test_bind_position_unbound_and_prune_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(HOME_ENV, raising=False)
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    workspace = init_workspace(tmp_path / "ws")
    ws = ["-w", str(workspace.root)]
    engine = workspace.engine()
    upgrade_schema(engine)
    with engine.begin() as connection:
        connection.execute(text("insert into lessors (code, name) values ('L001', '甲租赁')"))
        connection.execute(
            text(
                "insert into assets (lessor, asset_id, asset_type, lessee_id, lessee_name) "
                "values ('L001', 'A-1', 'vehicle', 'P1', '张三')"
            )
        )
    StoreTerminalKeeper(engine).keep([report(PHONE, at8(DAY, 7))])  # before the binding: stays unbound
    file = tmp_path / "trackers.csv"
    file.write_text(
        f"lessor,asset_id,terminal_phone,terminal_id,installed_on,kind\nL001,A-1,{PHONE},T1,2026-09-01,wired\n"
        "L001,A-9,13700137000,T2,2026-09-01,wired\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    bound = runner.invoke(cli, ["tracking", "bind", str(file), "--errors", str(tmp_path / "e.csv"), *ws])
    assert bound.exit_code == 1
    assert "trackers.csv" in bound.output and "3" in bound.output and "A-9" in bound.output
    StoreTerminalKeeper(engine).keep([report(PHONE, at8(DAY, 8)), report(PHONE, at8(DAY, 9))])
    engine.dispose()

    last = runner.invoke(cli, ["tracking", "position", "A-1", "--json", *ws])
    assert last.exit_code == 0, last.output
    (item,) = json.loads(last.output)["items"]
    assert (item["time"], item["latitude"], item["kind"]) == (
        "2026-09-30T09:00:00+08:00",
        "31.230416",
        "wired",
    )
    # One job, one answer: the command's JSON is the API's body for the same asset.
    with session_factory(workspace.engine())() as session, session.begin():
        key = create_key(session, lessor="L001", role="analyst").key
    with (
        running(create_app(workspace.database_url)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        answer = client.get("/v1/assets/A-1/position", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200 and answer.json() == json.loads(last.output)
    day_json = runner.invoke(cli, ["tracking", "position", "A-1", "--date", "2026-09-30", "--json", *ws])
    assert [p["time"] for p in json.loads(day_json.output)["items"]] == [
        "2026-09-30T08:00:00+08:00",
        "2026-09-30T09:00:00+08:00",
    ]
    shown = runner.invoke(cli, ["tracking", "position", "A-1", "--date", "2026-09-30", *ws])
    assert shown.exit_code == 0 and "2 个点" in shown.output and "有线" in shown.output
    assert "08:00:00" in shown.output and "121.473701" in shown.output
    missing = runner.invoke(cli, ["tracking", "position", "A-9", "--lang", "en", *ws])
    assert missing.exit_code == 1 and "No such asset" in missing.output
    held = runner.invoke(cli, ["tracking", "unbound", "--json", *ws])
    assert [r["time"] for r in json.loads(held.output)["items"]] == ["2026-09-30T07:00:00+08:00"]

    pruned = runner.invoke(cli, ["tracking", "prune", "--before", "2026-10-01", "--lang", "en", *ws])
    assert pruned.exit_code == 0 and "deleted 2 positions and 1 unbound reports of 1 day(s)" in pruned.output
    still = runner.invoke(cli, ["tracking", "position", "A-1", "--json", *ws])
    assert json.loads(still.output)["items"][0]["time"] == "2026-09-30T09:00:00+08:00"
    (workspace.root / "leaseguard.yaml").write_text("tracking:\n  retention_days: -3\n", encoding="utf-8")
    refused = runner.invoke(cli, ["tracking", "prune", "--lang", "en", *ws])
    assert refused.exit_code == 1 and "retention_days" in refused.output
