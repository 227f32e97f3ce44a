"""Location alerts of leased assets (issue 20): power cut, antenna cut, tamper, leaving the allowed region,
silence, standing still, and the wired and wireless terminals of one asset diverging.

Pure: points in, alerts out. The rules are data (`defaults/tracking/alerts.yaml`, a workspace's own copy) with a
lessor's and a contract's overrides in the same file; regions by administrative code need a boundaries file the
workspace supplies (`load_boundaries`), since no boundary data ships with leaseguard.

`evaluate` is a state machine over the alerts open before: one open alert per asset and kind until it clears,
a new one only when the condition starts again. The store keeps what it returns and hands the open ones back
the next time, with the time of that evaluation."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PrivateAttr, ValidationError, model_validator

from leaseguard.errors import InvalidInputError
from leaseguard.rulefiles import (
    Item,
    RuleFile,
    RuleFileError,
    RuleProblem,
    Text,
    decimal_between,
    exact_number,
    parse_yaml,
    read_rule_text,
    refuse,
    validated,
    whole_number,
)
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang, Reason

SHIPPED = "tracking/alerts.yaml"

# ------------------------------------------------------------------------------------------------ inputs

WIRED, WIRELESS = "wired", "wireless"
TerminalKind = Literal["wired", "wireless"]
POSITIONED = 1 << 1  # status bit 1 (JT/T 808-2019 表25): 1 = the fix is valid; 0 = latitude/longitude are not


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One stored position report of a terminal bound to an asset."""

    asset_id: str
    terminal_phone: str
    terminal_kind: TerminalKind
    fix_time: dt.datetime  # aware; the report's own time (a report without one: the store gives received_at)
    received_at: dt.datetime  # aware; when the gateway had it
    latitude_e6: int  # micro-degrees, negative south
    longitude_e6: int  # micro-degrees, negative west
    speed_dkmh: int  # 0.1 km/h, as the report carries it
    alarm_word: int
    status_word: int
    report_ref: str  # the stored report (and so its raw frame), for the evidence log
    contract_id: str | None = None

    @property
    def positioned(self) -> bool:
        return bool(self.status_word & POSITIONED)


@dataclass(frozen=True, slots=True)
class AssetTrack:
    """One asset's reports to evaluate: those of the last `AlertRules.lookback` before as_of, and its latest
    report whenever it came (silence needs it). `tracked_since` (its first terminal's binding) lets silence
    count for an asset that never reported."""

    lessor: str
    asset_id: str
    contract_id: str | None
    points: tuple[TrackPoint, ...] = ()
    tracked_since: dt.datetime | None = None


# ------------------------------------------------------------------------------------------------ rules

Severity = Literal["low", "medium", "high"]
SEVERITY_LABELS = {
    "low": Label("低", "low"),
    "medium": Label("中", "medium"),
    "high": Label("高", "high"),
}
MICRO = Decimal(1_000_000)


class _Rule(Item):
    enabled: bool
    severity: Severity
    cite: str | None = None
    verified: bool | None = None


class _PointRule(_Rule):
    min_reports: Annotated[int, whole_number(1)]
    clear_after_minutes: Annotated[int, whole_number(0)]

    @property
    def clear_after(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.clear_after_minutes)


def _bits(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise RuleProblem(
            Label("应为报警位（0–31）的非空列表", "must be a non-empty list of alarm bits (0–31)")
        )
    for bit in value:
        if isinstance(bit, bool) or not isinstance(bit, int) or not 0 <= bit <= 31:
            raise RuleProblem(
                Label(
                    "{bit!r} 不是报警位（0–31 的整数）", "{bit!r} is not an alarm bit (a whole number 0–31)"
                ),
                bit=bit,
            )
    return sorted(set(value))


class AlarmRule(_PointRule):
    """An alert raised by bits of the report's alarm word."""

    bits: Annotated[list[int], BeforeValidator(_bits)]

    @property
    def mask(self) -> int:
        return sum(1 << bit for bit in self.bits)


class RegionRule(_PointRule):
    """Leaving the allowed region (when the asset's policy has one)."""


class SilentRule(_Rule):
    days: Annotated[int, whole_number(1)]


class StillRule(_Rule):
    days: Annotated[int, whole_number(1)]
    radius_m: Annotated[int, whole_number(1)]
    max_speed_kmh: Annotated[Decimal, decimal_between(0, 1000)]


class DivergedRule(_PointRule):
    km: Annotated[Decimal, decimal_between("0.001", 20000)]
    max_gap_minutes: Annotated[int, whole_number(1)]


class Alerts(Item):
    power_cut: AlarmRule
    power_low: AlarmRule
    antenna_cut: AlarmRule
    tamper: AlarmRule
    left_region: RegionRule
    silent: SilentRule
    still: StillRule
    diverged: DivergedRule


ALARM_KINDS = ("power_cut", "power_low", "antenna_cut", "tamper")
ALERT_KINDS = (*ALARM_KINDS, "left_region", "silent", "still", "diverged")


Ring = tuple[tuple[int, int], ...]  # (longitude_e6, latitude_e6), open (the first vertex not repeated)


def _micro(value: Any, low: int, high: int) -> int:
    return int((exact_number(value, Decimal(low), Decimal(high)) * MICRO).to_integral_value())


def _ring(value: Any) -> Ring:
    """A ring of [longitude, latitude] pairs in degrees as micro-degrees, closed or not, at least 3 vertices."""
    if not isinstance(value, list):
        raise RuleProblem(Label("应为 [经度, 纬度] 的列表", "must be a list of [longitude, latitude]"))
    vertices: list[tuple[int, int]] = []
    for number, pair in enumerate(value, start=1):
        if not isinstance(pair, list) or len(pair) != 2:
            raise RuleProblem(
                Label("第 {n} 个顶点应为 [经度, 纬度]", "vertex {n} must be [longitude, latitude]"), n=number
            )
        vertex = (_micro(pair[0], -180, 180), _micro(pair[1], -90, 90))
        if not vertices or vertices[-1] != vertex:
            vertices.append(vertex)
    if len(vertices) > 1 and vertices[0] == vertices[-1]:
        vertices.pop()
    if len(set(vertices)) < 3:
        raise RuleProblem(
            Label("多边形至少需要 3 个不同的顶点", "a polygon needs at least 3 distinct vertices")
        )
    return tuple(vertices)


def _simple_polygon(value: Any) -> Ring:
    ring = _ring(value)
    if _self_intersecting(ring):
        raise RuleProblem(Label("多边形的边自相交", "the polygon's edges cross each other"))
    return ring


Polygon = Annotated[Ring, BeforeValidator(_simple_polygon)]


def _admin_code(value: Any) -> str:
    code = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(code, str) or len(code) != 6 or not code.isdigit():
        raise RuleProblem(
            Label(
                "{value!r} 不是 6 位行政区划代码", "{value!r} is not a 6-digit administrative division code"
            ),
            value=value,
        )
    return code


AdminCode = Annotated[str, BeforeValidator(_admin_code)]


class Region(Item):
    """Where a contract's asset may be: inside any of the polygons or administrative divisions (their edges
    included)."""

    name: Text  # what a person reads, Chinese first: 上海市
    name_en: str | None = None
    admin_codes: list[AdminCode] = Field(default_factory=list)
    polygons: list[Polygon] = Field(default_factory=list)

    @model_validator(mode="after")
    def _somewhere(self) -> Region:
        if not self.admin_codes and not self.polygons:
            raise RuleProblem(
                Label("区域应至少有 admin_codes 或 polygons 之一", "a region needs admin_codes or polygons")
            )
        return self


class ContractRules(Item):
    alerts: Alerts
    region: Region | None = None


class LessorRules(Item):
    alerts: Alerts
    region: Region | None = None
    contracts: dict[str, ContractRules] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Policy:
    """The rules one asset is evaluated by: its contract's, else its lessor's, else the file's."""

    alerts: Alerts
    region: Region | None


def _merged(base: Any, override: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        return {**base, **{key: _merged(base.get(key), value) for key, value in override.items()}}
    return override


def _inherit(section: Any, alerts: Any, region: Any) -> Any:
    """A lessor's or contract's section with what it does not say taken from the level above: alerts field by
    field, the region whole (a section's `region: null` lifts the limit)."""
    if not isinstance(section, Mapping):
        return section
    inherited = dict(section)
    inherited["alerts"] = _merged(alerts, section["alerts"]) if "alerts" in section else alerts
    if "region" not in section:
        inherited["region"] = region
    return inherited


class AlertRules(RuleFile):
    version: Literal[1]
    alerts: Alerts
    region: Region | None = None
    lessors: dict[str, LessorRules] = Field(default_factory=dict)
    # The administrative divisions its regions name (set by load_alert_rules, which checks every code is there).
    _boundaries: Boundaries | None = PrivateAttr(default=None)

    @property
    def boundaries(self) -> Boundaries | None:
        return self._boundaries

    @model_validator(mode="before")
    @classmethod
    def _overrides_inherit(cls, data: Any) -> Any:
        """A lessor or contract writes only what differs; the model checks each one complete."""
        if not isinstance(data, Mapping) or not isinstance(data.get("lessors"), Mapping):
            return data
        try:
            Alerts.model_validate(data.get("alerts"))
        except ValidationError:
            # The file's own alerts are wrong: said once, not again under every lessor that inherits them.
            return {key: value for key, value in data.items() if key != "lessors"}
        lessors = {}
        for code, section in data["lessors"].items():
            lessor = _inherit(section, data.get("alerts"), data.get("region"))
            if isinstance(lessor, dict) and isinstance(lessor.get("contracts"), Mapping):
                lessor["contracts"] = {
                    number: _inherit(contract, lessor["alerts"], lessor["region"])
                    for number, contract in lessor["contracts"].items()
                }
            lessors[code] = lessor
        return {**data, "lessors": lessors}

    @classmethod
    def rule_label(cls, path: tuple[str | int, ...], node: Any) -> str | Label | None:
        """Errors name where they are: "rule silent", "lessor L01", "lessor L01 contract C-1 rule still"."""
        parts, zh, en = list(path), [], []
        if parts[:1] == ["lessors"]:
            if len(parts) < 2:
                return None
            zh.append(f"出租人 {parts[1]}")
            en.append(f"lessor {parts[1]}")
            parts = parts[2:]
            if parts[:1] == ["contracts"]:
                if len(parts) < 2:
                    return None
                zh.append(f"合同 {parts[1]}")
                en.append(f"contract {parts[1]}")
                parts = parts[2:]
            if not parts:
                return Label(" ".join(zh), " ".join(en))
        if len(parts) == 2 and parts[0] == "alerts":
            zh.append(f"规则 {parts[1]}")
            en.append(f"rule {parts[1]}")
            return Label(" ".join(zh), " ".join(en))
        return None

    def policy(self, lessor: str, contract_id: str | None) -> Policy:
        own = self.lessors.get(lessor)
        if own is None:
            return Policy(self.alerts, self.region)
        contract = own.contracts.get(contract_id) if contract_id is not None else None
        if contract is not None:
            return Policy(contract.alerts, contract.region)
        return Policy(own.alerts, own.region)

    def _every(self) -> Iterable[tuple[str | Label | None, Alerts, Region | None]]:
        yield None, self.alerts, self.region
        for code, lessor in self.lessors.items():
            yield Label(f"出租人 {code}", f"lessor {code}"), lessor.alerts, lessor.region
            for number, contract in lessor.contracts.items():
                where = Label(f"出租人 {code} 合同 {number}", f"lessor {code} contract {number}")
                yield where, contract.alerts, contract.region

    @property
    def lookback(self) -> dt.timedelta:
        """How far back an evaluation needs each asset's reports (besides its latest): the longest standing
        still, the longest wait before an alarm clears, and a day to spare."""
        longest = dt.timedelta(days=1)
        for _, alerts, _ in self._every():
            longest = max(
                longest,
                dt.timedelta(days=alerts.still.days),
                *(getattr(alerts, kind).clear_after for kind in (*ALARM_KINDS, "left_region", "diverged")),
            )
        return longest + dt.timedelta(days=1)


class BoundariesError(RuleFileError):
    """A boundaries file that cannot be used: one line naming the file, the feature and why."""


@dataclass(frozen=True, slots=True)
class Area:
    """One polygon of an administrative division: its outer ring and its holes."""

    outer: Ring
    holes: tuple[Ring, ...] = ()


@dataclass(frozen=True, slots=True)
class Boundaries:
    """Administrative divisions by 6-digit code (GB/T 2260), from the workspace's GeoJSON file."""

    areas: Mapping[str, tuple[Area, ...]]
    names: Mapping[str, str] = field(default_factory=dict)
    source: str = ""

    def of(self, code: str) -> tuple[Area, ...]:
        """A division's areas: its own feature, else every feature under it (a province 310000 from its
        cities or districts 31xxxx, a city 310100 from its districts 3101xx)."""
        if code in self.areas:
            return self.areas[code]
        prefix = code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code
        return tuple(
            itertools.chain.from_iterable(
                areas for key, areas in self.areas.items() if key.startswith(prefix)
            )
        )


def load_alert_rules(path: Path | None = None, boundaries: Boundaries | None = None) -> AlertRules:
    """The rules at `path`, or the shipped ones; every administrative code they name must be in `boundaries`.
    A problem is one RuleFileError naming the file, the rule and the field."""
    text, source = read_rule_text(path, SHIPPED)
    rules = validated(AlertRules, parse_yaml(text, source), source)
    for where, _, region in rules._every():
        for code in region.admin_codes if region else ():
            if boundaries is None:
                raise refuse(
                    source,
                    Label(
                        "行政区划代码 {code} 需要边界文件（设置 tracking.boundaries），当前未设置",
                        "administrative code {code} needs a boundaries file (setting tracking.boundaries); none is set",
                    ),
                    rule=where,
                    field="region.admin_codes",
                    code=code,
                )
            if not boundaries.of(code):
                raise refuse(
                    source,
                    Label(
                        "行政区划代码 {code} 不在边界文件 {file} 中",
                        "administrative code {code} is not in {file}",
                    ),
                    rule=where,
                    field="region.admin_codes",
                    code=code,
                    file=boundaries.source,
                )
    rules._boundaries = boundaries
    return rules


def _geo_rings(coordinates: Any) -> Area:
    if not isinstance(coordinates, list) or not coordinates:
        raise RuleProblem(Label("多边形坐标应为环的列表", "polygon coordinates must be a list of rings"))
    outer, *holes = (_ring(ring) for ring in coordinates)
    return Area(outer, tuple(holes))


def load_boundaries(path: Path) -> Boundaries:
    """A GeoJSON FeatureCollection of administrative divisions: each feature's properties carry its 6-digit
    `adcode` (or `code`) and `name`, its geometry a Polygon or MultiPolygon in WGS-84 degrees."""
    text, source = read_rule_text(path, SHIPPED, BoundariesError)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as problem:
        raise refuse(
            source,
            Label("第 {line} 行：不是有效的 JSON（{why}）", "line {line}: not valid JSON ({why})"),
            error=BoundariesError,
            line=problem.lineno,
            why=problem.msg,
        ) from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise refuse(
            source,
            Label("应为含 features 列表的 GeoJSON FeatureCollection", "must be a GeoJSON FeatureCollection"),
            error=BoundariesError,
        )
    areas: dict[str, list[Area]] = {}
    names: dict[str, str] = {}
    for number, feature in enumerate(features, start=1):
        where = Label(f"第 {number} 个要素", f"feature {number}")
        at = "properties.adcode"
        try:
            properties = feature.get("properties") if isinstance(feature, dict) else None
            if not isinstance(properties, dict):
                raise RuleProblem(Label("缺少 properties", "properties missing"))
            code = _admin_code(properties.get("adcode", properties.get("code")))
            at = "geometry"
            geometry = feature.get("geometry")
            kind = geometry.get("type") if isinstance(geometry, dict) else None
            coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
            if kind == "Polygon":
                found = [_geo_rings(coordinates)]
            elif kind == "MultiPolygon" and isinstance(coordinates, list):
                found = [_geo_rings(polygon) for polygon in coordinates]
            else:
                raise RuleProblem(Label("应为 Polygon 或 MultiPolygon", "must be a Polygon or MultiPolygon"))
        except RuleProblem as problem:
            raise refuse(source, problem.reason, rule=where, field=at, error=BoundariesError) from None
        areas.setdefault(code, []).extend(found)
        if isinstance(properties.get("name"), str):
            names[code] = properties["name"]
    return Boundaries({code: tuple(found) for code, found in areas.items()}, names, source)


# ------------------------------------------------------------------------------------------------ geometry

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG); haversine on a sphere is within 0.5 % of the ellipsoid


def distance_m(lat1_e6: int, lon1_e6: int, lat2_e6: int, lon2_e6: int) -> float:
    """Great-circle distance in metres between two points in micro-degrees (haversine)."""
    phi1, phi2 = math.radians(lat1_e6 / 1e6), math.radians(lat2_e6 / 1e6)
    d_phi, d_lambda = phi2 - phi1, math.radians((lon2_e6 - lon1_e6) / 1e6)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _orientation(a: tuple[int, int], b: tuple[int, int], c: tuple[int, int]) -> int:
    cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (cross > 0) - (cross < 0)


def _on_segment(a: tuple[int, int], b: tuple[int, int], p: tuple[int, int]) -> bool:
    return (
        _orientation(a, b, p) == 0
        and min(a[0], b[0]) <= p[0] <= max(a[0], b[0])
        and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])
    )


def _edges(ring: Ring) -> Iterable[tuple[tuple[int, int], tuple[int, int]]]:
    return zip(ring, ring[1:] + ring[:1], strict=True)


def _self_intersecting(ring: Ring) -> bool:
    """Do two edges that are not neighbours touch or cross (or do neighbours fold back on each other)?"""
    edges = list(_edges(ring))
    count = len(edges)
    for i, j in itertools.combinations(range(count), 2):
        (a, b), (c, d) = edges[i], edges[j]
        if j == i + 1 or (i == 0 and j == count - 1):
            shared, other_i, other_j = (b, a, d) if j == i + 1 else (a, b, c)
            # Neighbours share one vertex; they overlap only when collinear and pointing back along each other.
            if _orientation(other_i, shared, other_j) == 0 and _on_segment(shared, other_j, other_i):
                return True
            if _orientation(other_i, shared, other_j) == 0 and _on_segment(shared, other_i, other_j):
                return True
            continue
        o1, o2, o3, o4 = (
            _orientation(a, b, c),
            _orientation(a, b, d),
            _orientation(c, d, a),
            _orientation(c, d, b),
        )
        if o1 != o2 and o3 != o4:
            return True
        if any(
            (o == 0 and _on_segment(s, e, p))
            for o, s, e, p in ((o1, a, b, c), (o2, a, b, d), (o3, c, d, a), (o4, c, d, b))
        ):
            return True
    return False


def in_ring(ring: Ring, point: tuple[int, int]) -> Literal["inside", "edge", "outside"]:
    """Where `point` lies against `ring`, exactly (integer micro-degrees, ray casting towards +longitude)."""
    x, y = point
    inside = False
    for a, b in _edges(ring):
        if _on_segment(a, b, point):
            return "edge"
        (x1, y1), (x2, y2) = a, b
        if (y1 > y) != (y2 > y):
            # The edge crosses the ray's latitude; is the crossing east of the point? (x < x1 + (y-y1)(x2-x1)/(y2-y1),
            # multiplied out by y2 - y1 with its sign, so no division and no rounding.)
            left = (x - x1) * (y2 - y1)
            right = (y - y1) * (x2 - x1)
            if (left < right) if y2 > y1 else (left > right):
                inside = not inside
    return "inside" if inside else "outside"


def in_area(area: Area, point: tuple[int, int]) -> bool:
    if in_ring(area.outer, point) == "outside":
        return False
    return all(in_ring(hole, point) != "inside" for hole in area.holes)


def in_region(region: Region, boundaries: Boundaries | None, latitude_e6: int, longitude_e6: int) -> bool:
    """Is the point inside the region (its edge counts as inside)?"""
    point = (longitude_e6, latitude_e6)
    if any(in_ring(ring, point) != "outside" for ring in region.polygons):
        return True
    if not region.admin_codes:
        return False
    if boundaries is None:
        # Never "outside" for want of the map: that would raise an alert for every asset.
        raise InvalidInputError(
            Label(
                "区域 {name} 按行政区划代码划定，需要边界文件",
                "region {name} is drawn by administrative codes and needs a boundaries file",
            ),
            name=region.name,
        )
    return any(in_area(area, point) for code in region.admin_codes for area in boundaries.of(code))


# ------------------------------------------------------------------------------------------------ alerts

# What a person reads of an alert, by its reason code; every parameter is a plain value (numbers as text).
ALERT_REASONS: dict[str, Label] = {
    "power_cut": Label("主电源断电（报警位 {bits}）", "main power cut (alarm bit {bits})"),
    "power_low": Label("主电源欠压（报警位 {bits}）", "main power low (alarm bit {bits})"),
    "antenna_cut": Label(
        "GNSS天线断路或短路（报警位 {bits}）", "GNSS antenna cut or shorted (alarm bit {bits})"
    ),
    "tamper": Label(
        "疑似被盗或非法移动（报警位 {bits}）", "suspected theft or illegal movement (alarm bit {bits})"
    ),
    "left_region": Label("驶出约定区域（约定：{region}）", "left the agreed region (agreed: {region_en})"),
    "silent": Label("已静默 {days} 天", "silent for {days} days"),
    "silent_never": Label("绑定后 {days} 天未收到任何报告", "no report in the {days} days since binding"),
    "still": Label(
        "静止 {days} 天（{radius_m} 米范围内）", "standing still for {days} days (within {radius_m} m)"
    ),
    "diverged": Label("有线与无线终端相距 {km} 千米", "wired and wireless terminals {km} km apart"),
}
ALERT_LABELS: dict[str, Label] = {
    "power_cut": Label("主电源断电", "power cut"),
    "power_low": Label("主电源欠压", "power low"),
    "antenna_cut": Label("GNSS天线断路", "GNSS antenna cut"),
    "tamper": Label("拆除或盗抢", "removal or theft"),
    "left_region": Label("驶出约定区域", "left the agreed region"),
    "silent": Label("终端静默", "terminal silent"),
    "still": Label("长时间静止", "standing still"),
    "diverged": Label("有线无线终端位置不一致", "wired and wireless terminals apart"),
}
# The early-warning signal each kind of alert raises (vocabulary.TRACKING_SIGNALS).
SIGNAL_OF = {kind: f"tracking_{kind}" for kind in ALERT_KINDS}


@dataclass(frozen=True, slots=True)
class AlertPoint:
    """A report that raised, kept or cleared an alert: when, where, from which terminal, and which stored
    report (its raw frame goes to the evidence log)."""

    at: dt.datetime  # the fix time
    received_at: dt.datetime
    terminal_phone: str
    latitude_e6: int
    longitude_e6: int
    report_ref: str
    partner: AlertPoint | None = None  # divergence: the other terminal's report nearest in time

    @classmethod
    def of(cls, point: TrackPoint, partner: TrackPoint | None = None) -> AlertPoint:
        return cls(
            point.fix_time,
            point.received_at,
            point.terminal_phone,
            point.latitude_e6,
            point.longitude_e6,
            point.report_ref,
            AlertPoint.of(partner) if partner is not None else None,
        )

    @property
    def report_refs(self) -> tuple[str, ...]:
        return (self.report_ref, *(self.partner.report_refs if self.partner else ()))


@dataclass(frozen=True, slots=True)
class TrackingAlert:
    """One alert of one asset: open from `opened_at` (when its condition was met) until `cleared_at`. At most one
    is open per (lessor, asset_id, code): the key the store keeps an open alert by."""

    code: str  # a kind of ALERT_KINDS
    lessor: str
    asset_id: str
    contract_id: str | None
    severity: Severity
    opened_at: dt.datetime
    first: AlertPoint | None  # the first report showing the condition (None: silent, never reported)
    last: AlertPoint | None  # the latest report showing it
    reason: Reason
    cleared_at: dt.datetime | None = None
    cleared_by: AlertPoint | None = None  # the report that cleared it

    @property
    def signal(self) -> str:
        return SIGNAL_OF[self.code]

    @property
    def report_refs(self) -> tuple[str, ...]:
        """The stored reports that raised it, kept and cleared it, in that order, each once."""
        refs = itertools.chain.from_iterable(
            point.report_refs for point in (self.first, self.last, self.cleared_by) if point is not None
        )
        return tuple(dict.fromkeys(refs))

    def text(self, lang: Lang = DEFAULT_LANG) -> str:
        return self.reason.text(ALERT_REASONS, lang)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What changed: `opened` were raised by this evaluation (some already cleared in it), `still_open` were open
    before and still are (their latest report and reason brought up to date), `cleared` closed in it."""

    opened: tuple[TrackingAlert, ...]
    still_open: tuple[TrackingAlert, ...]
    cleared: tuple[TrackingAlert, ...]

    @property
    def open(self) -> tuple[TrackingAlert, ...]:
        """Every alert open at as_of: hand these back to the next evaluation."""
        return (*(alert for alert in self.opened if alert.cleared_at is None), *self.still_open)


@dataclass(frozen=True, slots=True)
class _Seen:
    """One observation of a condition: a report (or a pair of reports), and whether it shows the condition."""

    at: dt.datetime
    received_at: dt.datetime
    point: AlertPoint
    shows: bool
    reason: Reason


@dataclass
class _Outcome:
    opened: list[TrackingAlert] = field(default_factory=list)
    still_open: list[TrackingAlert] = field(default_factory=list)
    cleared: list[TrackingAlert] = field(default_factory=list)

    def close(self, alert: TrackingAlert, carried: bool, fresh: bool) -> None:
        if carried:
            self.cleared.append(alert)
        elif fresh:
            self.opened.append(alert)
            self.cleared.append(alert)

    def end(self, alert: TrackingAlert | None, carried: bool) -> None:
        if alert is not None:
            (self.still_open if carried else self.opened).append(alert)


def _is_new(received_at: dt.datetime, previous_as_of: dt.datetime | None) -> bool:
    return previous_as_of is None or received_at > previous_as_of


def _replay(
    track: AssetTrack,
    code: str,
    rule: _PointRule,
    seen: Sequence[_Seen],
    carried: TrackingAlert | None,
    previous_as_of: dt.datetime | None,
    out: _Outcome,
) -> None:
    """Run the condition's observations in time order through open → clear, from the alert open before (if
    any). An alert opened and cleared between two evaluations is reported (opened and cleared) only when the
    report that opened it is new; one opened from reports seen before was reported then."""
    state, is_carried, fresh = carried, carried is not None, False
    run: list[_Seen] = []
    for observed in seen:
        if state is None:
            if not observed.shows:
                run = []
                continue
            run.append(observed)
            if len(run) >= rule.min_reports:
                state = TrackingAlert(
                    code,
                    track.lessor,
                    track.asset_id,
                    track.contract_id,
                    rule.severity,
                    observed.at,
                    run[0].point,
                    observed.point,
                    observed.reason,
                )
                is_carried, fresh, run = False, _is_new(observed.received_at, previous_as_of), []
        elif state.last is not None and observed.at <= state.last.at:
            continue  # counted when the alert was open before
        elif observed.shows:
            state = replace(state, last=observed.point, reason=observed.reason, severity=rule.severity)
        elif observed.at - (state.last.at if state.last else state.opened_at) >= rule.clear_after:
            out.close(replace(state, cleared_at=observed.at, cleared_by=observed.point), is_carried, fresh)
            state = None
    out.end(state, is_carried)


def _ordered(points: Iterable[TrackPoint], as_of: dt.datetime) -> list[TrackPoint]:
    return sorted(
        (point for point in points if point.received_at <= as_of),
        key=lambda point: (point.fix_time, point.received_at, point.report_ref),
    )


def _alarm_seen(points: Sequence[TrackPoint], rule: AlarmRule, code: str) -> list[_Seen]:
    seen = []
    for point in points:
        bits = [bit for bit in rule.bits if point.alarm_word >> bit & 1]
        # The reason names the bits the report carries; a report without them names the rule's.
        shown = ", ".join(str(bit) for bit in (bits or rule.bits))
        seen.append(
            _Seen(
                point.fix_time,
                point.received_at,
                AlertPoint.of(point),
                bool(bits),
                Reason(code, {"bits": shown}),
            )
        )
    return seen


def _region_seen(points: Sequence[TrackPoint], region: Region, boundaries: Boundaries | None) -> list[_Seen]:
    reason = Reason("left_region", {"region": region.name, "region_en": region.name_en or region.name})
    return [
        _Seen(
            point.fix_time,
            point.received_at,
            AlertPoint.of(point),
            not in_region(region, boundaries, point.latitude_e6, point.longitude_e6),
            reason,
        )
        for point in points
        if point.positioned
    ]


def _diverged_seen(points: Sequence[TrackPoint], rule: DivergedRule) -> list[_Seen]:
    """Each positioned report paired with the other kind's report nearest in time (within max_gap_minutes)."""
    by_kind = {
        kind: [point for point in points if point.positioned and point.terminal_kind == kind]
        for kind in (WIRED, WIRELESS)
    }
    if not by_kind[WIRED] or not by_kind[WIRELESS]:
        return []
    times = {kind: [point.fix_time for point in found] for kind, found in by_kind.items()}
    gap = dt.timedelta(minutes=rule.max_gap_minutes)
    seen = []
    for kind, other in ((WIRED, WIRELESS), (WIRELESS, WIRED)):
        for point in by_kind[kind]:
            at = bisect.bisect_left(times[other], point.fix_time)
            near = [by_kind[other][i] for i in (at - 1, at) if 0 <= i < len(by_kind[other])]
            partner = min(near, key=lambda candidate: abs(candidate.fix_time - point.fix_time))
            if abs(partner.fix_time - point.fix_time) > gap:
                continue
            metres = distance_m(
                point.latitude_e6, point.longitude_e6, partner.latitude_e6, partner.longitude_e6
            )
            seen.append(
                _Seen(
                    point.fix_time,
                    max(point.received_at, partner.received_at),
                    AlertPoint.of(point, partner),
                    Decimal(metres) > rule.km * 1000,
                    Reason("diverged", {"km": f"{metres / 1000:.1f}"}),
                )
            )
    seen.sort(key=lambda observed: (observed.at, observed.point.report_ref))
    return seen


def _still(
    track: AssetTrack,
    points: Sequence[TrackPoint],
    rule: StillRule,
    carried: TrackingAlert | None,
    previous_as_of: dt.datetime | None,
    out: _Outcome,
) -> None:
    """Standing still: every fix within radius_m of where the stop began and no faster than max_speed_kmh, for
    `days` days between the first and the latest of them."""
    max_speed = rule.max_speed_kmh * 10  # the report's unit is 0.1 km/h
    span = dt.timedelta(days=rule.days)

    def near(anchor: AlertPoint, point: TrackPoint) -> bool:
        metres = distance_m(anchor.latitude_e6, anchor.longitude_e6, point.latitude_e6, point.longitude_e6)
        return metres <= rule.radius_m

    def reason(first: AlertPoint, point: TrackPoint) -> Reason:
        return Reason("still", {"days": (point.fix_time - first.at).days, "radius_m": rule.radius_m})

    state, is_carried, fresh = carried, carried is not None, False
    run: list[TrackPoint] = []
    for point in (point for point in points if point.positioned):
        slow = point.speed_dkmh <= max_speed
        if state is not None and state.first is not None:
            if state.last is not None and point.fix_time <= state.last.at:
                continue
            if slow and near(state.first, point):
                state = replace(state, last=AlertPoint.of(point), reason=reason(state.first, point))
                continue
            out.close(
                replace(state, cleared_at=point.fix_time, cleared_by=AlertPoint.of(point)), is_carried, fresh
            )
            state, run = None, []
        if not slow:
            run = []
            continue
        if run and not near(AlertPoint.of(run[0]), point):
            run = []
        run.append(point)
        if point.fix_time - run[0].fix_time >= span:
            first = AlertPoint.of(run[0])
            state = TrackingAlert(
                "still",
                track.lessor,
                track.asset_id,
                track.contract_id,
                rule.severity,
                point.fix_time,
                first,
                AlertPoint.of(point),
                reason(first, point),
            )
            is_carried, fresh, run = False, _is_new(point.received_at, previous_as_of), []
    out.end(state, is_carried)


def _silence(
    track: AssetTrack,
    points: Sequence[TrackPoint],
    rule: SilentRule,
    as_of: dt.datetime,
    carried: TrackingAlert | None,
    out: _Outcome,
) -> None:
    """Silent: no report received for `days` days (counted from binding when the asset never reported)."""
    received = sorted(points, key=lambda point: (point.received_at, point.report_ref))
    latest = received[-1] if received else None
    since = latest.received_at if latest is not None else track.tracked_since
    if carried is not None:
        heard_since = carried.first.received_at if carried.first is not None else None
        woke = [point for point in received if heard_since is None or point.received_at > heard_since]
        if woke:
            first_heard = AlertPoint.of(woke[0])
            out.cleared.append(replace(carried, cleared_at=woke[0].received_at, cleared_by=first_heard))
            carried = None
    if since is None or as_of - since < dt.timedelta(days=rule.days):
        if carried is not None:
            out.still_open.append(carried)  # cannot happen unless the store lost reports; keep it open
        return
    days = (as_of - since).days
    reason = Reason("silent", {"days": days}) if latest else Reason("silent_never", {"days": days})
    if carried is not None:
        out.still_open.append(replace(carried, reason=reason, severity=rule.severity))
        return
    last = AlertPoint.of(latest) if latest is not None else None
    out.opened.append(
        TrackingAlert(
            "silent",
            track.lessor,
            track.asset_id,
            track.contract_id,
            rule.severity,
            since + dt.timedelta(days=rule.days),
            last,
            last,
            reason,
        )
    )


def evaluate(
    tracks: Iterable[AssetTrack],
    rules: AlertRules,
    as_of: dt.datetime,
    *,
    previous: Iterable[TrackingAlert] = (),
    previous_as_of: dt.datetime | None = None,
) -> Evaluation:
    """The alerts of each asset at `as_of` (reports received later are not looked at), given those `previous`
    evaluation left open (at `previous_as_of`). A kind switched off, or a region lifted, clears its open alert
    at as_of; an open alert of an asset not in `tracks` stays open as it was."""
    if as_of.tzinfo is None or (previous_as_of is not None and previous_as_of.tzinfo is None):
        raise InvalidInputError(Label("评估时间须带时区", "evaluation times must carry a time zone"))
    carried: dict[tuple[str, str, str], TrackingAlert] = {}
    for alert in previous:
        carried[(alert.lessor, alert.asset_id, alert.code)] = alert
    out = _Outcome()
    seen_assets: set[tuple[str, str]] = set()
    for track in tracks:
        seen_assets.add((track.lessor, track.asset_id))
        policy = rules.policy(track.lessor, track.contract_id)
        points = _ordered(track.points, as_of)

        def before(code: str, track: AssetTrack = track) -> TrackingAlert | None:
            return carried.get((track.lessor, track.asset_id, code))

        def switched_off(code: str) -> None:
            alert = before(code)
            if alert is not None:
                out.cleared.append(replace(alert, cleared_at=as_of))

        alerts = policy.alerts
        for code in ALARM_KINDS:
            alarm: AlarmRule = getattr(alerts, code)
            if not alarm.enabled:
                switched_off(code)
                continue
            _replay(track, code, alarm, _alarm_seen(points, alarm, code), before(code), previous_as_of, out)
        if alerts.left_region.enabled and policy.region is not None:
            seen = _region_seen(points, policy.region, rules.boundaries)
            _replay(
                track, "left_region", alerts.left_region, seen, before("left_region"), previous_as_of, out
            )
        else:
            switched_off("left_region")
        if alerts.diverged.enabled:
            seen = _diverged_seen(points, alerts.diverged)
            _replay(track, "diverged", alerts.diverged, seen, before("diverged"), previous_as_of, out)
        else:
            switched_off("diverged")
        if alerts.still.enabled:
            _still(track, points, alerts.still, before("still"), previous_as_of, out)
        else:
            switched_off("still")
        if alerts.silent.enabled:
            _silence(track, points, alerts.silent, as_of, before("silent"), out)
        else:
            switched_off("silent")
    for (lessor, asset_id, _), alert in carried.items():
        if (lessor, asset_id) not in seen_assets:
            out.still_open.append(alert)
    return Evaluation(tuple(out.opened), tuple(out.still_open), tuple(out.cleared))


def alert_label(code: str, lang: Lang = DEFAULT_LANG) -> str:
    """The name of a kind of alert, in `lang`."""
    return ALERT_LABELS[code].text(lang)
