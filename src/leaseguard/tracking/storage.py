"""Terminals, bindings and positions in the store (issue 20): the gateway's `TerminalKeeper` over SQLite or
PostgreSQL, and the store's reads of them in one place (every read of a lessor's rows has its lessor in the
WHERE clause).

- A terminal is known by its phone without leading zeros (`canonical_phone`): a 2013 header carries 12 BCD
  digits, a 2019 one 20, trackers.csv the SIM's 11 to 13, and all of them name the same terminal.
- `keep` attaches each report to the asset its terminal is bound to (trackers.csv) on the report's day — the day
  of its fix time in GMT+8 — and holds the others apart in `unbound_reports`. Binding a terminal later does not
  move its earlier reports: they stay unbound, as they were received.
- One transaction per batch: the positions and the unbound reports are bulk inserts (one statement per few
  hundred rows, never an ORM object per row), the last positions one upsert that only moves forward in fix time.
- Positions are pruned by day (`prune`); the last known position of each terminal stays when its day goes.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Table,
    and_,
    bindparam,
    delete,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from leaseguard.store.db import chunks
from leaseguard.store.models import (
    Tracker,
    TrackingLastPosition,
    TrackingPosition,
    TrackingTerminal,
    UnboundReport,
)
from leaseguard.tracking.jt808 import GMT8, Location, Registration
from leaseguard.tracking.ports import PositionReport, Registering

if TYPE_CHECKING:
    from leaseguard.workspace import Workspace

__all__ = [
    "RETENTION_DAYS",
    "StoreTerminalKeeper",
    "StoredPosition",
    "StoredUnbound",
    "TrackerRow",
    "asset_positions_between",
    "asset_track",
    "canonical_phone",
    "keeper_for",
    "last_positions",
    "last_positions_known_by",
    "prune",
    "retention_days",
    "trackers",
    "unbound_reports",
]

_trackers = cast(Table, Tracker.__table__)
_terminals = cast(Table, TrackingTerminal.__table__)
_positions = cast(Table, TrackingPosition.__table__)
_last = cast(Table, TrackingLastPosition.__table__)
_unbound = cast(Table, UnboundReport.__table__)

AUTH_CODE_BYTES = 8  # 16 hex characters: guessing one is hopeless, and every terminal's firmware takes it
# How long positions are kept when the workspace does not say (`tracking.retention_days`): a year and a month,
# so a whole year of track stays for a court however late its case is filed in the month.
RETENTION_DAYS = 400
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def canonical_phone(phone: str) -> str:
    """The terminal's phone as the store keeps it: its digits without leading zeros."""
    return phone.lstrip("0") or "0"


def _utc(value: dt.datetime) -> dt.datetime:
    """An instant as the store keeps it: aware UTC (SQLite keeps the UTC wall clock, PostgreSQL the instant)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _read_utc(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return _utc(value)
    return _utc(dt.datetime.fromisoformat(str(value)))


def _read_date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _fix_time(location: Location, received_at: dt.datetime) -> dt.datetime:
    """The report's own time, or when it was received if the terminal had no fix time (it sent zeros)."""
    if location.time is None:
        return _utc(received_at)
    return _utc(dt.datetime.fromisoformat(location.time))


def _report_fields(location: Location) -> dict[str, int]:
    return {
        "latitude_e6": round(location.latitude * 1_000_000),
        "longitude_e6": round(location.longitude * 1_000_000),
        "altitude_m": location.altitude,
        "speed_dkmh": round(location.speed_kmh * 10),
        "direction": location.direction,
        "alarm_word": location.alarm_word,
        "status_word": location.status_word,
    }


def _insert_for(connection: Connection, table: Table) -> Any:
    """The dialect's INSERT, which has ON CONFLICT on both engines."""
    return (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(table)


@dataclass(frozen=True, slots=True)
class _Binding:
    lessor: str
    asset_id: str
    installed_on: dt.date
    removed_on: dt.date | None

    def holds_on(self, day: dt.date) -> bool:
        return self.installed_on <= day and (self.removed_on is None or day < self.removed_on)


def _bindings(connection: Connection, phones: Iterable[str]) -> dict[str, list[_Binding]]:
    found: dict[str, list[_Binding]] = {}
    query = select(
        _trackers.c.terminal_phone,
        _trackers.c.lessor,
        _trackers.c.asset_id,
        _trackers.c.installed_on,
        _trackers.c.removed_on,
    ).where(_trackers.c.terminal_phone.in_(sorted(set(phones))))
    for phone, lessor, asset_id, installed_on, removed_on in connection.execute(query):
        found.setdefault(phone, []).append(
            _Binding(
                lessor,
                asset_id,
                _read_date(installed_on),
                None if removed_on is None else _read_date(removed_on),
            )
        )
    for bindings in found.values():
        bindings.sort(key=lambda binding: binding.installed_on, reverse=True)  # the latest that holds wins
    return found


def _bound_asset(bindings: Sequence[_Binding], day: dt.date) -> _Binding | None:
    return next((binding for binding in bindings if binding.holds_on(day)), None)


_REGISTRATION_DETAILS = ("terminal_id", "manufacturer", "model", "plate", "version", "registered_at")


def _registration_details(registration: Registration, at: dt.datetime) -> dict[str, Any]:
    """What a registration says of its terminal, as `tracking_terminals` keeps it (`_REGISTRATION_DETAILS`)."""
    return {
        "terminal_id": registration.terminal_id[:30] or None,
        "manufacturer": registration.manufacturer[:30] or None,
        "model": registration.model[:30] or None,
        "plate": registration.plate[:32] or None,
        "version": registration.layout[:8],
        "registered_at": _utc(at),
    }


class StoreTerminalKeeper:
    """`ports.TerminalKeeper` over the store at `engine` (left open: its owner disposes of it)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def register(self, phone: str, registration: Registration, at: dt.datetime) -> str:
        """Record the registration; a terminal registering again keeps its code (its details are updated)."""
        (code,) = self.register_many([(phone, registration, at)])
        assert code is not None
        return code

    def register_many(self, registrations: Sequence[Registering]) -> list[str | None]:
        """Record many registrations in one transaction (one upsert statement, whatever their number) and give
        each its code, in order: a terminal new to the store gets a random one, a terminal registering again
        keeps its own (its details are updated). The same terminal twice in the batch (say as a 2013 and a 2019
        header spell it) is one row, its latest details, and the same code for both. Never None: this store
        knows every terminal that registers."""
        if not registrations:
            return []
        rows: dict[str, dict[str, Any]] = {}
        for phone, registration, at in registrations:
            key = canonical_phone(phone)
            rows[key] = {
                "phone": key,
                "auth_code": secrets.token_hex(AUTH_CODE_BYTES),
                **_registration_details(registration, at),
            }
        with self.engine.begin() as connection:
            upsert = _insert_for(connection, _terminals)
            # Two gateways registering the same terminal at once: the second updates the first's row and reads
            # back the first's code (the code is never in the SET clause). Keys in order, so two such
            # transactions lock rows in the same order.
            statement = upsert.on_conflict_do_update(
                index_elements=["phone"],
                set_={name: upsert.excluded[name] for name in _REGISTRATION_DETAILS},
            ).returning(_terminals.c.phone, _terminals.c.auth_code)
            codes = {
                str(phone): str(code)
                for phone, code in connection.execute(statement, [rows[key] for key in sorted(rows)])
            }
        return [codes[canonical_phone(phone)] for phone, _, _ in registrations]

    def auth_code(self, phone: str) -> str | None:
        return self.auth_codes([phone]).get(phone)

    def auth_codes(self, phones: Sequence[str]) -> dict[str, str]:
        """The codes issued to these terminals, by the phone as given; a terminal that never registered is
        absent. One query per 500 terminals."""
        keys = {phone: canonical_phone(phone) for phone in phones}
        found: dict[str, str] = {}
        with self.engine.connect() as connection:
            for chunk in chunks(sorted(set(keys.values()))):
                query = select(_terminals.c.phone, _terminals.c.auth_code).where(
                    _terminals.c.phone.in_(chunk)
                )
                found.update((str(key), str(code)) for key, code in connection.execute(query))
        return {phone: found[key] for phone, key in keys.items() if key in found}

    def keep(self, reports: Sequence[PositionReport]) -> None:
        """Store the batch in one transaction (see the module's docstring)."""
        if not reports:
            return
        with self.engine.begin() as connection:
            keep_reports(connection, reports)


def keep_reports(connection: Connection, reports: Sequence[PositionReport]) -> None:
    """`StoreTerminalKeeper.keep` inside the caller's transaction."""
    phones = [canonical_phone(report.phone) for report in reports]
    bindings = _bindings(connection, phones)
    bound: list[dict[str, Any]] = []
    unbound: list[dict[str, Any]] = []
    seen: dict[str, dt.datetime] = {}
    for report, phone in zip(reports, phones, strict=True):
        received = _utc(report.received_at)
        fix_time = _fix_time(report.location, received)
        day = fix_time.astimezone(GMT8).date()
        row = {
            "fix_time": fix_time,
            "received_at": received,
            "day": day,
            **_report_fields(report.location),
            "supplement": report.supplement,
            "msg_id": report.msg_id,
            "serial": report.serial,
            "raw": report.raw,
        }
        if phone not in seen or seen[phone] < received:
            seen[phone] = received
        binding = _bound_asset(bindings.get(phone, ()), day)
        if binding is None:
            unbound.append({"phone": phone, **row})
        else:
            extras = report.location.extras or None
            bound.append(
                {
                    "lessor": binding.lessor,
                    "asset_id": binding.asset_id,
                    "terminal_phone": phone,
                    **row,
                    "extras": extras,
                }
            )
    if bound:
        ids = _insert_rows(connection, _positions, bound, returning_ids=True)
        _move_last_positions(connection, bound, ids)
    if unbound:
        _insert_rows(connection, _unbound, unbound, returning_ids=False)
    seen_now = (
        update(_terminals)
        .where(
            _terminals.c.phone == bindparam("key"),
            or_(_terminals.c.last_seen_at.is_(None), _terminals.c.last_seen_at < bindparam("seen")),
        )
        .values(last_seen_at=bindparam("seen"))
    )
    connection.execute(seen_now, [{"key": phone, "seen": at} for phone, at in sorted(seen.items())])


def _insert_rows(
    connection: Connection, table: Table, rows: list[dict[str, Any]], *, returning_ids: bool
) -> list[int]:
    """Insert `rows` (dicts of the same keys) in bulk and give their ids, in order, when asked.

    SQLite: one multi-row INSERT … RETURNING per few hundred rows (SQLAlchemy's insertmanyvalues). PostgreSQL:
    ids drawn from the table's sequence in one query, then COPY — a thousand-row INSERT's text costs psycopg
    more to parse than the server to store, a third of the batch."""
    if connection.dialect.name != "postgresql":
        if not returning_ids:
            connection.execute(insert(table), rows)
            return []
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return [int(i) for i in connection.execute(statement, rows).scalars()]
    ids: list[int] = []
    columns = list(rows[0])
    if returning_ids:
        ids = [
            int(i)
            for i in connection.execute(
                text(
                    f"select nextval(pg_get_serial_sequence('{table.name}', 'id')) from generate_series(1, :n)"
                ),
                {"n": len(rows)},
            ).scalars()
        ]
        columns = ["id", *columns]
    json_columns = {name for name in columns if name in table.c and isinstance(table.c[name].type, JSON)}
    raw: Any = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"copy {table.name} ({', '.join(columns)}) from stdin") as copy:
        for number, row in enumerate(rows):
            values: list[Any] = [ids[number]] if returning_ids else []
            values.extend(
                json.dumps(row[name]) if name in json_columns and row[name] is not None else row[name]
                for name in row
            )
            copy.write_row(values)
    return ids


_LAST_FIELDS = (
    "fix_time",
    "received_at",
    "latitude_e6",
    "longitude_e6",
    "altitude_m",
    "speed_dkmh",
    "direction",
    "alarm_word",
    "status_word",
)


def _move_last_positions(connection: Connection, rows: Sequence[dict[str, Any]], ids: Sequence[int]) -> None:
    """Upsert the latest report of the batch per (lessor, asset, terminal), only over an older stored one."""
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row, position_id in zip(rows, ids, strict=True):
        key = (row["lessor"], row["asset_id"], row["terminal_phone"])
        held = latest.get(key)
        if held is None or (held["fix_time"], held["position_id"]) <= (row["fix_time"], position_id):
            latest[key] = {
                "lessor": row["lessor"],
                "asset_id": row["asset_id"],
                "terminal_phone": row["terminal_phone"],
                "position_id": position_id,
                **{name: row[name] for name in _LAST_FIELDS},
            }
    upsert = _insert_for(connection, _last)
    changed = {name: upsert.excluded[name] for name in ("position_id", *_LAST_FIELDS)}
    connection.execute(
        upsert.on_conflict_do_update(
            index_elements=["lessor", "asset_id", "terminal_phone"],
            set_=changed,
            # A late report (a blind-area supplement) does not replace a newer position.
            where=upsert.excluded.fix_time >= _last.c.fix_time,
        ),
        # In key order, so two batches upserting the same rows at once lock them in the same order (no deadlock).
        [latest[key] for key in sorted(latest)],
    )


def retention_days(workspace: Workspace) -> int:
    """The workspace's `tracking.retention_days` (default RETENTION_DAYS); a bad value names leaseguard.yaml."""
    from leaseguard.errors import InvalidInputError
    from leaseguard.vocabulary import Label
    from leaseguard.workspace import CONFIG_FILE

    value = workspace.setting("tracking", "retention_days", default=RETENTION_DAYS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(
            Label(
                "{file}：tracking.retention_days 应为正整数（天数），而不是 {value!r}",
                "{file}: tracking.retention_days must be a whole number of days above 0, not {value!r}",
            ),
            file=workspace.root / CONFIG_FILE,
            value=value,
        )
    return value


def keeper_for(workspace: Workspace) -> StoreTerminalKeeper:
    """The keeper of `workspace`'s store (the gateway's `leaseguard tracking serve`)."""
    return StoreTerminalKeeper(workspace.engine())


# ---------------------------------------------------------------------------------------------------- reads


@dataclass(frozen=True, slots=True)
class StoredPosition:
    """One stored position of an asset's terminal; `kind` is the terminal's binding (wired or wireless)."""

    id: int
    lessor: str
    asset_id: str
    terminal_phone: str
    kind: str | None
    fix_time: dt.datetime  # aware UTC
    received_at: dt.datetime  # aware UTC
    latitude_e6: int
    longitude_e6: int
    altitude_m: int
    speed_dkmh: int
    direction: int
    alarm_word: int
    status_word: int

    @property
    def report_ref(self) -> str:
        return f"tracking-position:{self.id}"


@dataclass(frozen=True, slots=True)
class StoredUnbound:
    id: int
    phone: str
    received_at: dt.datetime
    fix_time: dt.datetime
    latitude_e6: int
    longitude_e6: int
    speed_dkmh: int
    alarm_word: int
    status_word: int
    supplement: bool
    raw: bytes


@dataclass(frozen=True, slots=True)
class TrackerRow:
    lessor: str
    asset_id: str
    terminal_phone: str
    terminal_id: str | None
    installed_on: dt.date
    kind: str
    removed_on: dt.date | None


def _kind_of(table: Table) -> Any:
    """The kind of the binding of the row's terminal to the row's asset (a correlated scalar subquery)."""
    return (
        select(_trackers.c.kind)
        .where(
            _trackers.c.lessor == table.c.lessor,
            _trackers.c.asset_id == table.c.asset_id,
            _trackers.c.terminal_phone == table.c.terminal_phone,
        )
        .limit(1)
        .scalar_subquery()
    )


def _position_columns() -> tuple[Any, ...]:
    """What a stored position is read as (`_position`), from `tracking_positions`."""
    return (
        _positions.c.id,
        _positions.c.lessor,
        _positions.c.asset_id,
        _positions.c.terminal_phone,
        _kind_of(_positions),
        *(_positions.c[name] for name in _LAST_FIELDS),
    )


def last_positions(connection: Connection, lessor: str, asset_id: str) -> list[StoredPosition]:
    """The last known position of each terminal of one of `lessor`'s assets, newest first."""
    query = (
        select(
            _last.c.position_id,
            _last.c.lessor,
            _last.c.asset_id,
            _last.c.terminal_phone,
            _kind_of(_last),
            *(_last.c[name] for name in _LAST_FIELDS),
        )
        .where(_last.c.lessor == lessor, _last.c.asset_id == asset_id)
        .order_by(_last.c.fix_time.desc(), _last.c.terminal_phone)
    )
    return [_position(row) for row in connection.execute(query)]


def last_positions_known_by(
    connection: Connection, lessor: str, asset_ids: Sequence[str], by: dt.datetime | None = None
) -> dict[str, StoredPosition]:
    """The latest position of each of `lessor`'s assets `asset_ids` (any terminal) fixed and received before `by`:
    the record as it stood then, so a case file as of a day never names a position fixed or reported after it.
    `by` None: the latest on record. Assets without one are absent."""
    if not asset_ids:
        return {}
    by = _utc(by) if by is not None else None
    columns = (
        _last.c.lessor,
        _last.c.asset_id,
        _last.c.terminal_phone,
        _kind_of(_last),
        *(_last.c[name] for name in _LAST_FIELDS),
    )
    found: dict[str, StoredPosition] = {}
    moved_on: set[str] = set()  # a terminal of the asset fixed a position since `by`: its last says too much
    for chunk in chunks(sorted(set(asset_ids))):
        query = select(_last.c.position_id, *columns).where(
            _last.c.lessor == lessor, _last.c.asset_id.in_(chunk)
        )
        for row in connection.execute(query):
            position = _position(row)
            if by is not None and (position.fix_time >= by or position.received_at >= by):
                moved_on.add(position.asset_id)
            elif _later(position, found.get(position.asset_id)):
                found[position.asset_id] = position
    for asset_id in sorted(moved_on):
        assert by is not None
        # One backward range scan of the (lessor, asset_id, fix_time) index; the last-position row above stays a
        # candidate, since its day's positions may have been pruned.
        query = (
            select(*_position_columns())
            .where(
                _positions.c.lessor == lessor,
                _positions.c.asset_id == asset_id,
                _positions.c.fix_time < by,
                _positions.c.received_at < by,
            )
            .order_by(_positions.c.fix_time.desc(), _positions.c.id.desc())
            .limit(1)
        )
        latest = connection.execute(query).first()
        if latest is not None and _later(position := _position(latest), found.get(asset_id)):
            found[asset_id] = position
    return found


def asset_positions_between(
    connection: Connection, lessor: str, asset_id: str, start: dt.datetime, end: dt.datetime, *, limit: int
) -> list[StoredPosition]:
    """One of `lessor`'s assets' positions (every terminal) fixed from `start` to `end` inclusive, in fix-time
    order, the last `limit` of them."""
    query = (
        select(*_position_columns())
        .where(
            _positions.c.lessor == lessor,
            _positions.c.asset_id == asset_id,
            _positions.c.fix_time >= _utc(start),
            _positions.c.fix_time <= _utc(end),
        )
        .order_by(_positions.c.fix_time.desc(), _positions.c.id.desc())
        .limit(limit)
    )
    return [_position(row) for row in reversed(connection.execute(query).all())]


def _later(position: StoredPosition, than: StoredPosition | None) -> bool:
    return than is None or (position.fix_time, position.id) > (than.fix_time, than.id)


def _position(row: Sequence[Any]) -> StoredPosition:
    (pid, lessor, asset_id, phone, kind, fix_time, received_at, *numbers) = row
    return StoredPosition(
        pid,
        lessor,
        asset_id,
        phone,
        kind,
        _read_utc(fix_time),
        _read_utc(received_at),
        *(int(n) for n in numbers),
    )


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), GMT8).astimezone(dt.UTC)
    return start, start + dt.timedelta(days=1)


def asset_track(
    connection: Connection,
    lessor: str,
    asset_id: str,
    day: dt.date,
    *,
    limit: int,
    after_id: int | None = None,
    offset: int = 0,
) -> list[StoredPosition]:
    """One of `lessor`'s assets' positions fixed on `day` (GMT+8), every terminal, in fix-time order; `limit`
    of them after the position `after_id` (keyset on fix time then id, so a page never repeats nor skips), or
    after skipping `offset`."""
    if not FIRST_DAY <= day <= LAST_DAY:
        return []  # a JT/T 808 time is YYMMDD: no report is fixed outside 2000–2099
    start, end = _day_bounds(day)
    conditions = [
        _positions.c.lessor == lessor,
        _positions.c.asset_id == asset_id,
        _positions.c.fix_time >= start,
        _positions.c.fix_time < end,
    ]
    if after_id is not None:
        after_time = (
            select(_positions.c.fix_time)
            .where(
                _positions.c.id == after_id, _positions.c.lessor == lessor, _positions.c.asset_id == asset_id
            )
            .scalar_subquery()
        )
        conditions.append(
            or_(
                _positions.c.fix_time > after_time,
                and_(_positions.c.fix_time == after_time, _positions.c.id > after_id),
            )
        )
    query = (
        select(*_position_columns())
        .where(*conditions)
        .order_by(_positions.c.fix_time, _positions.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [_position(row) for row in connection.execute(query)]


def unbound_reports(
    connection: Connection, *, phone: str | None = None, limit: int = 100, after_id: int | None = None
) -> list[StoredUnbound]:
    """Reports of terminals bound to no asset, newest first (of one terminal with `phone`). They belong to no
    lessor: listed to the operator of the workspace, never through a lessor's API."""
    conditions = []
    if phone is not None:
        conditions.append(_unbound.c.phone == canonical_phone(phone))
    if after_id is not None:
        conditions.append(_unbound.c.id < after_id)
    query = (
        select(
            _unbound.c.id,
            _unbound.c.phone,
            _unbound.c.received_at,
            _unbound.c.fix_time,
            _unbound.c.latitude_e6,
            _unbound.c.longitude_e6,
            _unbound.c.speed_dkmh,
            _unbound.c.alarm_word,
            _unbound.c.status_word,
            _unbound.c.supplement,
            _unbound.c.raw,
        )
        .where(*conditions)
        .order_by(_unbound.c.id.desc())
        .limit(limit)
    )
    return [
        StoredUnbound(
            rid,
            phone_,
            _read_utc(received),
            _read_utc(fixed),
            lat,
            lon,
            speed,
            alarm,
            status,
            bool(supp),
            bytes(raw),
        )
        for rid, phone_, received, fixed, lat, lon, speed, alarm, status, supp, raw in connection.execute(
            query
        )
    ]


def trackers(connection: Connection, lessor: str, asset_id: str | None = None) -> list[TrackerRow]:
    """`lessor`'s terminal bindings (of one asset), by asset then installation."""
    conditions = [_trackers.c.lessor == lessor]
    if asset_id is not None:
        conditions.append(_trackers.c.asset_id == asset_id)
    query = (
        select(
            _trackers.c.lessor,
            _trackers.c.asset_id,
            _trackers.c.terminal_phone,
            _trackers.c.terminal_id,
            _trackers.c.installed_on,
            _trackers.c.kind,
            _trackers.c.removed_on,
        )
        .where(*conditions)
        .order_by(_trackers.c.asset_id, _trackers.c.installed_on, _trackers.c.terminal_phone)
    )
    return [
        TrackerRow(
            lessor_,
            asset,
            phone,
            terminal_id,
            _read_date(installed),
            kind,
            None if removed is None else _read_date(removed),
        )
        for lessor_, asset, phone, terminal_id, installed, kind, removed in connection.execute(query)
    ]


@dataclass(frozen=True, slots=True)
class Pruned:
    days: int
    positions: int
    unbound: int


def prune(engine: Engine, before: dt.date) -> Pruned:
    """Delete the positions and unbound reports of every day before `before`, one transaction per day, so a
    big store is never locked for the whole of it. The last known positions stay."""
    with engine.connect() as connection:
        days = sorted(
            {
                _read_date(day)
                for table in (_positions, _unbound)
                for day in connection.execute(
                    select(table.c.day).where(table.c.day < before).distinct()
                ).scalars()
            }
        )
    positions = unbound = 0
    for day in days:
        with engine.begin() as connection:
            positions += connection.execute(delete(_positions).where(_positions.c.day == day)).rowcount
            unbound += connection.execute(delete(_unbound).where(_unbound.c.day == day)).rowcount
    return Pruned(days=len(days), positions=positions, unbound=unbound)
