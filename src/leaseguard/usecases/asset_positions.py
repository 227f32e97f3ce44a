"""Where a lessor's leased asset is: the last known position of each of its terminals, and its track on a day,
from the JT/T 808 reports the gateway stored (tracking.storage). `GET /v1/assets/{asset_id}/position|track` and
`leaseguard tracking position` end here, so both read the same way.

Always for one lessor: another lessor's asset is NotFoundError exactly as a missing one. Positions are given in
decimal degrees as exact text (from the stored micro-degrees), speeds in km/h with one decimal, times in GMT+8
(the day a track is asked for is a day in China)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from pydantic import AwareDatetime, BaseModel, Field
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


class PositionOut(BaseModel):
    """One position of one terminal of the asset. Degrees and km/h are exact decimal text (as yuan are), beside
    the integers the terminal sent (micro-degrees, 0.1 km/h); times in GMT+8, as the terminals report them."""

    terminal_phone: str
    kind: str | None = Field(description="The terminal's binding: wired or wireless (trackers.csv).")
    time: AwareDatetime = Field(description="When the terminal fixed the position (GMT+8).")
    received_at: AwareDatetime
    latitude: str = Field(description="Decimal degrees, negative south, e.g. 31.230416.")
    longitude: str = Field(description="Decimal degrees, negative west, e.g. 121.473701.")
    latitude_e6: int
    longitude_e6: int
    altitude_m: int
    speed_kmh: str
    speed_dkmh: int
    direction: int = Field(description="Degrees from north, 0-359.")
    alarm: list[str] = Field(description="Alarm flags set (JT/T 808 table 24), e.g. main_power_off.")
    status: list[str] = Field(description="Status flags set (JT/T 808 table 25), e.g. positioned.")

    @classmethod
    def of(cls, position: Position) -> PositionOut:
        """The answer for one stored position, field by field from `Position`."""
        return cls.model_validate(position, from_attributes=True)


class AssetPositionOut(BaseModel):
    asset_id: str
    items: list[PositionOut] = Field(description="The last known position of each terminal, newest first.")


# --- the contract page's map: each asset's last position and a plot of its track before it --------------------

TRACK_HOURS = 24  # the track plotted: the positions of this many hours up to the asset's last fix
MAX_TRACK_READ = 6_000  # two terminals every 30 s for a day, with room
MAX_TRACK_POINTS = 400  # drawn; a longer track is thinned evenly, its last point always kept
MAX_ASSETS_PLOTTED = 20
PLOT_WIDTH, PLOT_HEIGHT, PLOT_MARGIN, PLOT_PADDING = 420, 260, 30, 10
MIN_SPAN_E6 = 1_000  # 0.001°, about 100 m: a track standing still is drawn in a box this wide, not a point


def place_text(latitude_e6: int, longitude_e6: int, separator: str = "、") -> str:
    """北纬31.230416°、东经121.473701° (南纬/西经 when negative)."""
    north = "北纬" if latitude_e6 >= 0 else "南纬"
    east = "东经" if longitude_e6 >= 0 else "西经"
    return f"{north}{degrees_text(abs(latitude_e6))}°{separator}{east}{degrees_text(abs(longitude_e6))}°"


@dataclass(frozen=True, slots=True)
class CornerLabel:
    x: float
    y: float
    anchor: str  # SVG text-anchor: start | end
    text: str


@dataclass(frozen=True, slots=True)
class TrackPlot:
    """A track scaled into a `width` × `height` box, north up and the same metres per pixel across and down (the
    longitude scaled by the cosine of the latitude): no map tiles, so it draws offline and in tests."""

    width: int
    height: int
    margin: int  # the drawing area is the box less this on each side
    points: list[tuple[float, float]]
    corners: list[CornerLabel]  # the box's corners in degrees

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)

    @property
    def last(self) -> tuple[float, float]:
        return self.points[-1]


@dataclass(frozen=True, slots=True)
class AssetWhere:
    asset_id: str
    last: Position  # the newest position of any of its terminals
    track_from: dt.datetime  # GMT+8: the plot's window is track_from to last.time
    track_points: int  # positions fixed in that window (drawn: at most MAX_TRACK_POINTS)
    plot: TrackPlot


def _thinned(points: list[tuple[int, int]], most: int) -> list[tuple[int, int]]:
    if len(points) <= most:
        return points
    step = len(points) / (most - 1)
    return [points[int(i * step)] for i in range(most - 1)] + [points[-1]]


def track_plot(
    points: list[tuple[int, int]],
    *,
    width: int = PLOT_WIDTH,
    height: int = PLOT_HEIGHT,
    margin: int = PLOT_MARGIN,
    padding: int = PLOT_PADDING,
) -> TrackPlot:
    """(latitude_e6, longitude_e6) points, oldest first, scaled into the box less `margin` on each side (the
    frame drawn there, its corners labelled in degrees), less `padding` more."""
    if not points:
        raise ValueError("a track plot needs a point")
    lats = [lat for lat, _ in points]
    lons = [lon for _, lon in points]
    centre_lat = (min(lats) + max(lats)) / 2
    centre_lon = (min(lons) + max(lons)) / 2
    shrink = max(
        math.cos(math.radians(centre_lat / 1e6)), 0.01
    )  # a degree of longitude is this many of latitude
    inner_w, inner_h = width - 2 * margin, height - 2 * margin
    span_x = max((max(lons) - min(lons)) * shrink, MIN_SPAN_E6)
    span_y = max(max(lats) - min(lats), MIN_SPAN_E6)
    # the track's extremes kept `padding` inside the drawn box, so no point sits on its frame
    pixels_per_e6 = min((inner_w - 2 * padding) / span_x, (inner_h - 2 * padding) / span_y)
    west = centre_lon - inner_w / pixels_per_e6 / shrink / 2
    north = centre_lat + inner_h / pixels_per_e6 / 2
    east, south = 2 * centre_lon - west, 2 * centre_lat - north

    def at(lat: float, lon: float) -> tuple[float, float]:
        return margin + (lon - west) * shrink * pixels_per_e6, margin + (north - lat) * pixels_per_e6

    def corner(lat: float, lon: float) -> str:
        return place_text(round(lat), round(lon), " ")

    above, below = margin - 10, height - margin + 18
    corners = [
        CornerLabel(margin, above, "start", corner(north, west)),
        CornerLabel(width - margin, above, "end", corner(north, east)),
        CornerLabel(margin, below, "start", corner(south, west)),
        CornerLabel(width - margin, below, "end", corner(south, east)),
    ]
    return TrackPlot(width, height, margin, [at(lat, lon) for lat, lon in points], corners)


def contract_positions(connection: Connection, lessor: str, asset_ids: list[str]) -> list[AssetWhere]:
    """Where the assets `asset_ids` of `lessor` (a contract's, the caller checked) are: each one's last position
    and its track in the TRACK_HOURS before it, by asset; assets without any position are left out."""
    found = storage.last_positions_known_by(connection, lessor, asset_ids)
    shown = []
    for asset_id in sorted(found)[:MAX_ASSETS_PLOTTED]:
        last = Position.of(found[asset_id])
        start = last.time - dt.timedelta(hours=TRACK_HOURS)
        track = storage.asset_positions_between(
            connection, lessor, asset_id, start, last.time, limit=MAX_TRACK_READ
        )
        points = [(p.latitude_e6, p.longitude_e6) for p in track]
        if not points or points[-1] != (last.latitude_e6, last.longitude_e6):
            points.append((last.latitude_e6, last.longitude_e6))  # its day pruned: the last position stays
        plot = track_plot(_thinned(points, MAX_TRACK_POINTS))
        shown.append(AssetWhere(asset_id, last, start, max(len(track), 1), plot))
    return shown
