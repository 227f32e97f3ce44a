"""Location alerts in the store (issue 20): the reads an evaluation needs (each lessor's tracked assets, their
positions of the lookback window and the alerts open before) and the writes it makes (the alerts raised, kept
and cleared, the evaluation itself), every read of a lessor's rows with its lessor in the WHERE clause.

The pure rules are `tracking.alerts`; the use case that runs them is `usecases.tracking_alerts`.

- An asset is tracked on a day when one of its terminals is bound to it then (trackers.csv): its contract is the
  asset's `contract_no` (assets.csv) when the lessor's own contracts hold that number, else none.
- Positions are read by (lessor, asset_id, fix_time), the positions table's index: those whose fix is inside
  the rules' lookback before as_of and that were received by as_of, a few hundred assets at a time, so memory
  holds one chunk's reports, not the whole fleet's.
- An alert row keeps the reports that raised, kept and cleared it as JSON beside their ids, so it is whole
  after its positions are pruned (`tracking prune`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, func, insert, or_, select, update

from leaseguard.store.db import chunks
from leaseguard.store.models import (
    Asset,
    Contract,
    Lessor,
    Tracker,
    TrackingAlertRow,
    TrackingAlertRun,
    TrackingLastPosition,
    TrackingPosition,
)
from leaseguard.tracking.alerts import (
    WIRELESS,
    AlertPoint,
    AssetTrack,
    Evaluation,
    Severity,
    TerminalKind,
    TrackingAlert,
    TrackPoint,
)
from leaseguard.tracking.jt808 import GMT8
from leaseguard.vocabulary import Reason

_trackers = cast(Table, Tracker.__table__)
_positions = cast(Table, TrackingPosition.__table__)
_last = cast(Table, TrackingLastPosition.__table__)
_alerts = cast(Table, TrackingAlertRow.__table__)
_runs = cast(Table, TrackingAlertRun.__table__)
_assets = cast(Table, Asset.__table__)
_contracts = cast(Table, Contract.__table__)

REPORT_REF_PREFIX = (
    "tracking-position:"  # as tracking.storage.StoredPosition.report_ref names a stored report
)


def report_ref(position_id: int) -> str:
    return f"{REPORT_REF_PREFIX}{position_id}"


def position_id(ref: str | None) -> int | None:
    """The tracking_positions id a report reference names, None for anything else."""
    if ref is None or not ref.startswith(REPORT_REF_PREFIX):
        return None
    number = ref.removeprefix(REPORT_REF_PREFIX)
    return int(number) if number.isdigit() else None


def utc(value: object) -> dt.datetime:
    """An instant as the store keeps it, aware in UTC (SQLite gives back the UTC wall clock, naive or as text)."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def gmt8(moment: dt.datetime) -> str:
    """ISO 8601 in GMT+8: the terminals' time (JT/T 808) and the one a person, or a court, reads."""
    return moment.astimezone(GMT8).isoformat()


def day_start(day: dt.date) -> dt.datetime:
    """Midnight GMT+8 (the terminals' and the book's day) starting `day`, in UTC."""
    return dt.datetime.combine(day, dt.time(), GMT8).astimezone(dt.UTC)


# ---------------------------------------------------------------------------------------------------- reads


@dataclass(frozen=True, slots=True)
class TrackedAsset:
    """An asset with a terminal bound to it on the evaluation's day."""

    lessor: str
    asset_id: str
    contract_no: str | None
    tracked_since: dt.datetime  # its earliest binding still in force, midnight GMT+8 of installed_on
    kinds: Mapping[str, TerminalKind]  # every terminal ever bound to it, by phone


def tracked_lessors(connection: Connection) -> list[str]:
    """The lessors with a terminal bound to an asset, or an alert, in order."""
    bound = set(connection.execute(select(_trackers.c.lessor).distinct()).scalars())
    alerted = set(connection.execute(select(_alerts.c.lessor).distinct()).scalars())
    return sorted(bound | alerted)


def _kind(value: str) -> TerminalKind:
    return "wireless" if value == WIRELESS else "wired"


def tracked_assets(connection: Connection, lessor: str, day: dt.date) -> list[TrackedAsset]:
    """The lessor's assets with a terminal bound on `day`, by asset_id."""
    rows = connection.execute(
        select(
            _trackers.c.asset_id,
            _trackers.c.terminal_phone,
            _trackers.c.kind,
            _trackers.c.installed_on,
            _trackers.c.removed_on,
        ).where(_trackers.c.lessor == lessor)
    ).all()
    kinds: dict[str, dict[str, TerminalKind]] = {}
    since: dict[str, dt.date] = {}
    for asset_id, phone, kind, installed_on, removed_on in rows:
        kinds.setdefault(asset_id, {})[phone] = _kind(kind)
        installed = _date(installed_on)
        removed = _date(removed_on) if removed_on is not None else None
        if installed <= day and (removed is None or day < removed):
            since[asset_id] = min(since.get(asset_id, installed), installed)
    asset_ids = sorted(since)
    contracts = asset_contracts(connection, lessor, asset_ids)
    return [
        TrackedAsset(lessor, asset_id, contracts.get(asset_id), day_start(since[asset_id]), kinds[asset_id])
        for asset_id in asset_ids
    ]


def _date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def asset_contracts(connection: Connection, lessor: str, asset_ids: Sequence[str]) -> dict[str, str]:
    """Each asset's contract number, where assets.csv names one of the lessor's own contracts."""
    found: dict[str, str] = {}
    for chunk in chunks(asset_ids):
        query = (
            select(_assets.c.asset_id, _assets.c.contract_no)
            .join(
                _contracts,
                and_(
                    _contracts.c.contract_no == _assets.c.contract_no,
                    _contracts.c.lessor == _assets.c.lessor,
                ),
            )
            .where(_assets.c.lessor == lessor, _assets.c.asset_id.in_(chunk))
        )
        found.update({asset_id: contract_no for asset_id, contract_no in connection.execute(query)})
    return found


_POINT_COLUMNS = (
    _positions.c.id,
    _positions.c.asset_id,
    _positions.c.terminal_phone,
    _positions.c.fix_time,
    _positions.c.received_at,
    _positions.c.latitude_e6,
    _positions.c.longitude_e6,
    _positions.c.speed_dkmh,
    _positions.c.alarm_word,
    _positions.c.status_word,
)


def _point(row: Sequence[Any], asset: TrackedAsset) -> TrackPoint:
    pid, asset_id, phone, fix_time, received_at, lat, lon, speed, alarm, status = row
    return TrackPoint(
        asset_id,
        phone,
        asset.kinds.get(phone, "wired"),
        utc(fix_time),
        utc(received_at),
        int(lat),
        int(lon),
        int(speed),
        int(alarm),
        int(status),
        report_ref(int(pid)),
        asset.contract_no,
    )


def asset_tracks(
    connection: Connection,
    assets: Sequence[TrackedAsset],
    as_of: dt.datetime,
    lookback: dt.timedelta,
) -> list[AssetTrack]:
    """The tracks of `assets` (one lessor's) for an evaluation at `as_of`: each asset's reports with a fix
    inside `lookback` before as_of and received by it, and, for an asset without any, its latest report
    received by as_of (silence counts from it)."""
    if not assets:
        return []
    as_of = utc(as_of)
    lessor = assets[0].lessor
    by_id = {asset.asset_id: asset for asset in assets}
    points: dict[str, list[TrackPoint]] = {asset.asset_id: [] for asset in assets}
    for chunk in chunks(list(by_id)):
        query = select(*_POINT_COLUMNS).where(
            _positions.c.lessor == lessor,
            _positions.c.asset_id.in_(chunk),
            _positions.c.fix_time > as_of - lookback,
            _positions.c.fix_time <= as_of + lookback,  # a clock far ahead is not read from the whole table
            _positions.c.received_at <= as_of,
        )
        for row in connection.execute(query):
            points[row[1]].append(_point(row, by_id[row[1]]))
    for asset_id, found in points.items():
        if found:
            continue
        latest = connection.execute(
            select(*_POINT_COLUMNS)
            .where(
                _positions.c.lessor == lessor,
                _positions.c.asset_id == asset_id,
                _positions.c.received_at <= as_of,
            )
            .order_by(_positions.c.fix_time.desc())
            .limit(1)
        ).first()
        if latest is not None:
            found.append(_point(latest, by_id[asset_id]))
    return [
        AssetTrack(
            lessor, asset.asset_id, asset.contract_no, tuple(points[asset.asset_id]), asset.tracked_since
        )
        for asset in assets
    ]


def last_evaluation(connection: Connection, lessor: str) -> dt.datetime | None:
    """The time the lessor's latest evaluation was made up to."""
    latest = connection.execute(select(func.max(_runs.c.as_of)).where(_runs.c.lessor == lessor)).scalar()
    return None if latest is None else utc(latest)


def lock_lessor(connection: Connection, lessor: str) -> None:
    """Hold the lessor's row until the transaction ends, so two evaluations of one lessor queue (on SQLite the
    write transaction serialises them already)."""
    connection.execute(select(Lessor.code).where(Lessor.code == lessor).with_for_update())


# ---------------------------------------------------------------------------------------------------- alerts


def point_json(point: AlertPoint | None) -> dict[str, Any] | None:
    if point is None:
        return None
    return {
        "at": gmt8(point.at),
        "received_at": gmt8(point.received_at),
        "terminal_phone": point.terminal_phone,
        "latitude_e6": point.latitude_e6,
        "longitude_e6": point.longitude_e6,
        "report_ref": point.report_ref,
        "partner": point_json(point.partner),
    }


def point_of(data: Mapping[str, Any] | None) -> AlertPoint | None:
    if data is None:
        return None
    return AlertPoint(
        utc(data["at"]),
        utc(data["received_at"]),
        str(data["terminal_phone"]),
        int(data["latitude_e6"]),
        int(data["longitude_e6"]),
        str(data["report_ref"]),
        point_of(data.get("partner")),
    )


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """An alert as the store keeps it: its row id and where it went in the evidence log."""

    id: int
    alert: TrackingAlert
    evidence_index: int | None


_ALERT_COLUMNS = (
    _alerts.c.id,
    _alerts.c.lessor,
    _alerts.c.asset_id,
    _alerts.c.contract_no,
    _alerts.c.code,
    _alerts.c.severity,
    _alerts.c.opened_at,
    _alerts.c.cleared_at,
    _alerts.c.reason_code,
    _alerts.c.reason_params,
    _alerts.c.points,
    _alerts.c.evidence_index,
)


def _stored(row: Sequence[Any]) -> StoredAlert:
    (
        aid,
        lessor,
        asset_id,
        contract_no,
        code,
        severity,
        opened_at,
        cleared_at,
        reason,
        params,
        points,
        index,
    ) = row
    alert = TrackingAlert(
        code,
        lessor,
        asset_id,
        contract_no,
        cast(Severity, severity),
        utc(opened_at),
        point_of(points.get("first")),
        point_of(points.get("last")),
        Reason(reason, dict(params or {})),
        utc(cleared_at) if cleared_at is not None else None,
        point_of(points.get("cleared_by")),
    )
    return StoredAlert(int(aid), alert, None if index is None else int(index))


def open_alerts(connection: Connection, lessor: str) -> list[StoredAlert]:
    """The lessor's alerts not cleared, by asset and kind."""
    query = (
        select(*_ALERT_COLUMNS)
        .where(_alerts.c.lessor == lessor, _alerts.c.cleared_at.is_(None))
        .order_by(_alerts.c.asset_id, _alerts.c.code)
    )
    return [_stored(row) for row in connection.execute(query)]


def alerts_open_at(connection: Connection, at: dt.datetime, lessor: str | None = None) -> list[StoredAlert]:
    """The alerts open at `at` (opened by then, not cleared by then) as the store knows them now, of `lessor`
    only when given; in (lessor, asset, kind) order."""
    at = utc(at)
    query = select(*_ALERT_COLUMNS).where(
        _alerts.c.opened_at <= at, or_(_alerts.c.cleared_at.is_(None), _alerts.c.cleared_at > at)
    )
    if lessor is not None:
        query = query.where(_alerts.c.lessor == lessor)
    query = query.order_by(_alerts.c.lessor, _alerts.c.asset_id, _alerts.c.code)
    return [_stored(row) for row in connection.execute(query)]


@dataclass(frozen=True, slots=True)
class LastPosition:
    """An asset's last known position: the newest fix of any of its terminals."""

    fix_time: dt.datetime
    latitude_e6: int
    longitude_e6: int
    terminal_phone: str


def last_known_positions(
    connection: Connection, lessor: str, asset_ids: Sequence[str]
) -> dict[str, LastPosition]:
    found: dict[str, LastPosition] = {}
    for chunk in chunks(sorted(set(asset_ids))):
        query = select(
            _last.c.asset_id,
            _last.c.fix_time,
            _last.c.latitude_e6,
            _last.c.longitude_e6,
            _last.c.terminal_phone,
        ).where(_last.c.lessor == lessor, _last.c.asset_id.in_(chunk))
        for asset_id, fix_time, lat, lon, phone in connection.execute(query):
            position = LastPosition(utc(fix_time), int(lat), int(lon), phone)
            if asset_id not in found or position.fix_time > found[asset_id].fix_time:
                found[asset_id] = position
    return found


@dataclass(frozen=True, slots=True)
class Frame:
    """A stored report's raw frame and what a court reads beside it."""

    position_id: int
    terminal_phone: str
    fix_time: dt.datetime
    received_at: dt.datetime
    msg_id: int
    serial: int
    raw: bytes

    def as_json(self) -> dict[str, Any]:
        return {
            "report_ref": report_ref(self.position_id),
            "terminal_phone": self.terminal_phone,
            "fix_time": gmt8(self.fix_time),
            "received_at": gmt8(self.received_at),
            "msg_id": f"0x{self.msg_id:04x}",
            "serial": self.serial,
            "raw_hex": self.raw.hex(),
        }


def raw_frames(connection: Connection, lessor: str, refs: Iterable[str]) -> dict[str, Frame]:
    """The raw frames of the lessor's stored reports named by `refs` (pruned ones are missing), by reference."""
    ids = sorted({pid for pid in (position_id(ref) for ref in refs) if pid is not None})
    found: dict[str, Frame] = {}
    for chunk in chunks(ids):
        query = select(
            _positions.c.id,
            _positions.c.terminal_phone,
            _positions.c.fix_time,
            _positions.c.received_at,
            _positions.c.msg_id,
            _positions.c.serial,
            _positions.c.raw,
        ).where(_positions.c.lessor == lessor, _positions.c.id.in_(chunk))
        for pid, phone, fix_time, received_at, msg_id, serial, raw in connection.execute(query):
            frame = Frame(
                int(pid), phone, utc(fix_time), utc(received_at), int(msg_id), int(serial), bytes(raw)
            )
            found[report_ref(frame.position_id)] = frame
    return found


# ---------------------------------------------------------------------------------------------------- writes


def _row_values(alert: TrackingAlert, now: dt.datetime) -> dict[str, Any]:
    last_seen = alert.last.at if alert.last is not None else alert.opened_at
    return {
        "contract_no": alert.contract_id,
        "severity": alert.severity,
        "last_seen_at": utc(max(last_seen, alert.opened_at)),
        "cleared_at": utc(alert.cleared_at) if alert.cleared_at is not None else None,
        "first_report_id": position_id(alert.first.report_ref) if alert.first else None,
        "last_report_id": position_id(alert.last.report_ref) if alert.last else None,
        "cleared_report_id": position_id(alert.cleared_by.report_ref) if alert.cleared_by else None,
        "reason_code": alert.reason.code,
        "reason_params": dict(alert.reason.params),
        "points": {
            "first": point_json(alert.first),
            "last": point_json(alert.last),
            "cleared_by": point_json(alert.cleared_by),
        },
        "updated_at": now,
    }


def _key(alert: TrackingAlert) -> tuple[str, str, str, dt.datetime]:
    return (alert.lessor, alert.asset_id, alert.code, utc(alert.opened_at))


def write_evaluation(connection: Connection, evaluation: Evaluation, now: dt.datetime) -> list[StoredAlert]:
    """Store what an evaluation changed: the alerts open before and still open, or cleared, updated in their
    open row; the alerts it raised inserted (some already cleared). The raised ones, with their row ids."""
    fresh = {_key(alert) for alert in evaluation.opened}

    def open_row(alert: TrackingAlert) -> Any:
        return and_(
            _alerts.c.lessor == alert.lessor,
            _alerts.c.asset_id == alert.asset_id,
            _alerts.c.code == alert.code,
            _alerts.c.cleared_at.is_(None),
        )

    # Clearing first: an alert that clears and opens again in one evaluation has its old row closed before the
    # new one is inserted (one open row per asset and kind).
    for alert in evaluation.cleared:
        if _key(alert) not in fresh:
            connection.execute(update(_alerts).where(open_row(alert)).values(**_row_values(alert, now)))
    for alert in evaluation.still_open:
        connection.execute(update(_alerts).where(open_row(alert)).values(**_row_values(alert, now)))
    raised = []
    for alert in evaluation.opened:
        values = {
            "lessor": alert.lessor,
            "asset_id": alert.asset_id,
            "code": alert.code,
            "opened_at": utc(alert.opened_at),
            **_row_values(alert, now),
        }
        row_id = connection.execute(insert(_alerts).values(**values).returning(_alerts.c.id)).scalar_one()
        raised.append(StoredAlert(int(row_id), alert, None))
    return raised


def set_evidence_index(connection: Connection, lessor: str, indexes: Mapping[int, int]) -> None:
    for row_id, index in indexes.items():
        connection.execute(
            update(_alerts)
            .where(_alerts.c.lessor == lessor, _alerts.c.id == row_id)
            .values(evidence_index=index)
        )


def record_run(
    connection: Connection,
    lessor: str,
    as_of: dt.datetime,
    *,
    rules_sha256: str,
    assets: int,
    evaluation: Evaluation,
    now: dt.datetime,
) -> None:
    connection.execute(
        insert(_runs).values(
            lessor=lessor,
            as_of=utc(as_of),
            rules_sha256=rules_sha256,
            assets=assets,
            opened=len(evaluation.opened),
            still_open=len(evaluation.still_open),
            cleared=len(evaluation.cleared),
            finished_at=now,
        )
    )


def untracked_cleared(
    open_before: Iterable[TrackingAlert], tracked: set[str], as_of: dt.datetime
) -> list[TrackingAlert]:
    """Open alerts of assets with no terminal bound any more: cleared at as_of, since nothing can clear them."""
    return [replace(alert, cleared_at=as_of) for alert in open_before if alert.asset_id not in tracked]
