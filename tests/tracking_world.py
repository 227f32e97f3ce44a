"""A terminal bound to an asset and a day of its positions in the store, for the pages that show where an asset
is (the contract page's 租赁物位置)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from leaseguard.tracking.jt808 import GMT8, Location
from leaseguard.tracking.ports import PositionReport
from leaseguard.tracking.storage import StoreTerminalKeeper

LAST_FIX = dt.datetime(2026, 11, 30, 8, 0, 30, tzinfo=GMT8)
LAST_LAT, LAST_LON = 31.230416, 121.473701
# (hours before the last fix, latitude, longitude): a drive north-east into Shanghai, the last point the newest
TRACK = [(30.0, 30.9, 121.0), (20.0, 31.0, 121.1), (12.0, 31.1, 121.2), (6.0, 31.15, 121.3),
         (1.0, 31.2, 121.4), (0.0, LAST_LAT, LAST_LON)]  # fmt: skip
IN_LAST_DAY = sum(1 for hours, _, _ in TRACK if hours <= 24)


def _report(phone: str, at: dt.datetime, lat: float, lon: float) -> PositionReport:
    location = Location(
        alarm=[], status=["positioned"], latitude=lat, longitude=lon, altitude=12, speed_kmh=42.5, direction=45,
        time=at.isoformat(), extras={}, alarm_word=0, status_word=2,
    )  # fmt: skip
    return PositionReport(
        phone=phone, msg_id=0x0200, serial=1, received_at=(at + dt.timedelta(seconds=2)).astimezone(dt.UTC),
        location=location, raw=b"\x7e\x02\x00\x7e",
    )  # fmt: skip


def track_asset(
    engine: Engine, lessor: str, asset_id: str, phone: str, *, offset: tuple[float, float] = (0.0, 0.0)
) -> None:
    """Bind terminal `phone` (wired) to `lessor`'s `asset_id` and store TRACK's positions of it, moved by
    `offset` degrees (another lessor's asset elsewhere)."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into trackers (lessor, asset_id, terminal_phone, terminal_id, installed_on, kind) "
                "values (:lessor, :asset, :phone, 'T1', '2026-01-01', 'wired')"
            ),
            {"lessor": lessor, "asset": asset_id, "phone": phone},
        )
    StoreTerminalKeeper(engine).keep(
        [
            _report(phone, LAST_FIX - dt.timedelta(hours=hours), lat + offset[0], lon + offset[1])
            for hours, lat, lon in TRACK
        ]
    )
