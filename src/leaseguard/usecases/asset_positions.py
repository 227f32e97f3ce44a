"""Where a lessor's leased asset is: the last known position of each of its terminals, and its track on a day,
from the JT/T 808 reports the gateway stored (tracking.storage). `GET /v1/assets/{asset_id}/position|track` and
`leaseguard tracking position` end here, so both read the same way.

Always for one lessor: another lessor's asset is NotFoundError exactly as a missing one. Positions are given in
decimal degrees as exact text (from the stored micro-degrees), speeds in km/h with one decimal, times in GMT+8
(the day a track is asked for is a day in China)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, select

from leaseguard.errors import NotFoundError
from leaseguard.store.models import Asset
from leaseguard.tracking import storage
from leaseguard.tracking.jt808 import GMT8, alarm_names, status_names
from leaseguard.vocabulary import Label

NO_SUCH_ASSET = Label("没有这项租赁物。", "No such asset.")
NO_POSITION = Label(
    "租赁物 {asset_id} 没有已知位置（未绑定定位终端，或终端尚未上报）。",
    "Asset {asset_id} has no known position (no terminal bound, or none has reported yet).",
)


class NoPositionError(NotFoundError):
    """The asset is the caller's but no terminal of it has a stored position."""


def degrees_text(micro: int) -> str:
    """Micro-degrees as exact decimal degrees: 31230416 → "31.230416"."""
    sign = "-" if micro < 0 else ""
    whole, fraction = divmod(abs(micro), 1_000_000)
    return f"{sign}{whole}.{fraction:06d}"


def kmh_text(dkmh: int) -> str:
    """0.1 km/h as km/h with one decimal: 365 → "36.5"."""
    whole, tenth = divmod(dkmh, 10)
    return f"{whole}.{tenth}"


@dataclass(frozen=True, slots=True)
class Position:
    """One position of one terminal of an asset, as people and the API read it."""

    id: int
    terminal_phone: str
    kind: str | None  # the terminal's binding: wired or wireless
    time: dt.datetime  # the fix time, GMT+8
    received_at: dt.datetime  # GMT+8
    latitude: str
    longitude: str
    latitude_e6: int
    longitude_e6: int
    altitude_m: int
    speed_kmh: str
    speed_dkmh: int
    direction: int
    alarm: list[str]
    status: list[str]

    @classmethod
    def of(cls, stored: storage.StoredPosition) -> Position:
        return cls(
            id=stored.id,
            terminal_phone=stored.terminal_phone,
            kind=stored.kind,
            time=stored.fix_time.astimezone(GMT8),
            received_at=stored.received_at.astimezone(GMT8),
            latitude=degrees_text(stored.latitude_e6),
            longitude=degrees_text(stored.longitude_e6),
            latitude_e6=stored.latitude_e6,
            longitude_e6=stored.longitude_e6,
            altitude_m=stored.altitude_m,
            speed_kmh=kmh_text(stored.speed_dkmh),
            speed_dkmh=stored.speed_dkmh,
            direction=stored.direction,
            alarm=alarm_names(stored.alarm_word),
            status=status_names(stored.status_word),
        )


@dataclass(frozen=True, slots=True)
class Track:
    asset_id: str
    day: dt.date
    points: list[Position]
    last_id_if_more: int | None  # the keyset cursor of the next page, None on the last


def _check_asset(connection: Connection, lessor: str, asset_id: str) -> None:
    found = connection.execute(
        select(Asset.id).where(Asset.lessor == lessor, Asset.asset_id == asset_id)
    ).first()
    if found is None:
        # The same answer whether the asset is another lessor's or does not exist at all.
        raise NotFoundError(NO_SUCH_ASSET)


def last_known(connection: Connection, lessor: str, asset_id: str) -> list[Position]:
    """The last known position of each terminal of one of `lessor`'s assets, newest first; NotFoundError when
    the asset is not the lessor's, NoPositionError when none of its terminals has one."""
    _check_asset(connection, lessor, asset_id)
    positions = [Position.of(stored) for stored in storage.last_positions(connection, lessor, asset_id)]
    if not positions:
        raise NoPositionError(NO_POSITION, asset_id=asset_id)
    return positions


def day_track(
    connection: Connection,
    lessor: str,
    asset_id: str,
    day: dt.date,
    *,
    limit: int,
    after_id: int | None = None,
    offset: int = 0,
) -> Track:
    """One of `lessor`'s assets' positions fixed on `day` (GMT+8), every terminal, in fix-time order: `limit`
    of them after the position `after_id` (or after skipping `offset`). An asset without any is an empty track."""
    _check_asset(connection, lessor, asset_id)
    stored = storage.asset_track(
        connection, lessor, asset_id, day, limit=limit + 1, after_id=after_id, offset=offset
    )
    more = len(stored) > limit
    points = [Position.of(row) for row in stored[:limit]]
    return Track(asset_id, day, points, points[-1].id if more and points else None)


def today_in_china() -> dt.date:
    return dt.datetime.now(GMT8).date()


def position_json(position: Position) -> dict[str, object]:
    """A position as the API's JSON body says it (`GET /v1/assets/{asset_id}/position`)."""
    return {
        "terminal_phone": position.terminal_phone,
        "kind": position.kind,
        "time": position.time.isoformat(),
        "received_at": position.received_at.isoformat(),
        "latitude": position.latitude,
        "longitude": position.longitude,
        "latitude_e6": position.latitude_e6,
        "longitude_e6": position.longitude_e6,
        "altitude_m": position.altitude_m,
        "speed_kmh": position.speed_kmh,
        "speed_dkmh": position.speed_dkmh,
        "direction": position.direction,
        "alarm": position.alarm,
        "status": position.status,
    }
