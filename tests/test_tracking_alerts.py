"""Location alerts (leaseguard.tracking.alerts): each kind opens and clears on built tracks, thresholds and regions
come from the rule file (a contract's over its lessor's), an alert is raised once per condition across
evaluations, and a broken rule or boundaries file is one line naming the file, the rule and the field."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from leaseguard.errors import InvalidInputError
from leaseguard.rulefiles import RuleFileError
from leaseguard.tracking.alerts import (
    ALERT_KINDS,
    ALERT_LABELS,
    POSITIONED,
    SEVERITY_LABELS,
    SIGNAL_OF,
    AlertRules,
    AssetTrack,
    BoundariesError,
    Evaluation,
    TrackingAlert,
    TrackPoint,
    distance_m,
    evaluate,
    in_ring,
    load_alert_rules,
    load_boundaries,
)
from leaseguard.tracking.jt808 import GMT8
from leaseguard.tracking.signals import tracking_signal_frame
from leaseguard.vocabulary import SIGNAL_LABELS, SIGNAL_LABELS_EN, TRACKING_SIGNALS

T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=GMT8)
PEOPLES_SQUARE = (31_230_000, 121_473_000)  # latitude, longitude in micro-degrees (Shanghai)
SUZHOU = (31_299_000, 120_585_000)
POWER_CUT, ANTENNA_OPEN, ANTENNA_SHORT, STOLEN, DISPLACED = 1 << 8, 1 << 5, 1 << 6, 1 << 26, 1 << 28


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def point(
    minutes: float,
    *,
    alarm: int = 0,
    where: tuple[int, int] = PEOPLES_SQUARE,
    speed_kmh: float = 0,
    kind: str = "wired",
    positioned: bool = True,
    asset: str = "A1",
    late_minutes: float = 0,
) -> TrackPoint:
    phone = "013800000001" if kind == "wired" else "013800000002"
    return TrackPoint(
        asset_id=asset,
        terminal_phone=phone,
        terminal_kind=kind,  # type: ignore[arg-type]
        fix_time=at(minutes),
        received_at=at(minutes + late_minutes),
        latitude_e6=where[0],
        longitude_e6=where[1],
        speed_dkmh=round(speed_kmh * 10),
        alarm_word=alarm,
        status_word=POSITIONED if positioned else 0,
        report_ref=f"{asset}/{kind}/{minutes}",
        contract_id="C1",
    )


def track(
    *points: TrackPoint, asset: str = "A1", contract: str | None = "C1", lessor: str = "L01"
) -> AssetTrack:
    return AssetTrack(lessor, asset, contract, tuple(points))


def rules_from(
    tmp_path: Path, extra: str = "", replace: tuple[str, str] | None = None, **kwargs: object
) -> AlertRules:
    text = resources.files("leaseguard.defaults").joinpath("tracking/alerts.yaml").read_text(encoding="utf-8")
    if replace is not None:
        assert replace[0] in text
        text = text.replace(*replace)
    path = tmp_path / "alerts.yaml"
    path.write_text(text.replace("lessors: {}\n", "") + extra, encoding="utf-8")
    return load_alert_rules(path, **kwargs)  # type: ignore[arg-type]


def only(evaluation: Evaluation, code: str) -> list[TrackingAlert]:
    return [alert for alert in (*evaluation.opened, *evaluation.still_open) if alert.code == code]


SHIPPED = load_alert_rules()


# ------------------------------------------------------------------------------------ alarm bits


def test_a_power_cut_opens_at_the_first_report_with_bit_8_and_clears_at_the_first_without() -> None:
    points = [point(0), point(10, alarm=POWER_CUT), point(20, alarm=POWER_CUT), point(30)]
    result = evaluate([track(*points)], SHIPPED, at(35))
    (alert,) = result.opened
    assert (alert.code, alert.severity, alert.asset_id, alert.contract_id) == (
        "power_cut",
        "high",
        "A1",
        "C1",
    )
    assert (
        alert.first is not None
        and alert.first.at == at(10)
        and alert.last is not None
        and alert.last.at == at(20)
    )
    assert alert.cleared_at == at(30) and result.cleared == (alert,) and result.open == ()
    assert alert.report_refs == ("A1/wired/10", "A1/wired/20", "A1/wired/30")
    assert alert.text() == "主电源断电（报警位 8）" and alert.text("en") == "main power cut (alarm bit 8)"
    assert (alert.first.latitude_e6, alert.first.longitude_e6) == PEOPLES_SQUARE


def test_an_antenna_cut_or_short_is_one_alert_naming_the_bits_the_report_carries() -> None:
    result = evaluate(
        [track(point(0, alarm=ANTENNA_OPEN), point(5, alarm=ANTENNA_SHORT | ANTENNA_OPEN))], SHIPPED, at(6)
    )
    (alert,) = result.open
    assert alert.code == "antenna_cut" and alert.text() == "GNSS天线断路或短路（报警位 5, 6）"
    assert alert.first is not None and alert.first.at == at(0)


def test_tamper_stays_open_until_a_day_of_reports_without_bits_26_or_28() -> None:
    """Bit 28 clears once the platform acknowledges it, so the next report no longer has it: not a clearing."""
    points = [
        point(0, alarm=DISPLACED),
        point(10),
        point(600, alarm=STOLEN),
        point(600 + 1439),
        point(600 + 1440),
    ]
    result = evaluate([track(*points[:4])], SHIPPED, at(600 + 1439))
    (alert,) = result.open
    assert alert.code == "tamper" and alert.last is not None and alert.last.at == at(600)
    result = evaluate([track(*points)], SHIPPED, at(600 + 1440))
    assert result.open == () and result.opened[0].cleared_at == at(600 + 1440)


def test_undervoltage_is_off_in_the_shipped_rules_and_a_lessor_switches_it_on(tmp_path: Path) -> None:
    low = [point(minute, alarm=1 << 7) for minute in (0, 10, 20)]
    assert evaluate([track(*low)], SHIPPED, at(30)).opened == ()
    rules = rules_from(tmp_path, "lessors:\n  L01:\n    alerts: {power_low: {enabled: true}}\n")
    (alert,) = evaluate([track(*low)], rules, at(30)).opened
    assert alert.code == "power_low" and alert.first is not None and alert.first.at == at(0)  # min_reports 3
    assert evaluate([track(*low[:2])], rules, at(30)).opened == ()  # two reports are not enough
    assert (
        evaluate([track(*low, lessor="L02")], rules, at(30)).opened == ()
    )  # another lessor: the file's rules


# ------------------------------------------------------------------------------------ de-duplication


def test_one_open_alert_per_asset_and_kind_across_evaluations() -> None:
    reports = [point(0), point(10, alarm=POWER_CUT), point(20, alarm=POWER_CUT)]
    first = evaluate([track(*reports)], SHIPPED, at(25))
    (opened,) = first.opened
    # The same reports again, with what the first evaluation left open: nothing new.
    again = evaluate([track(*reports)], SHIPPED, at(25), previous=first.open, previous_as_of=at(25))
    assert again.opened == () and again.cleared == () and again.still_open == (opened,)
    # More reports with the bit: still the one alert, its latest report brought up to date.
    reports += [point(30, alarm=POWER_CUT), point(40, alarm=POWER_CUT)]
    second = evaluate([track(*reports)], SHIPPED, at(45), previous=first.open, previous_as_of=at(25))
    (kept,) = second.still_open
    assert second.opened == () and kept.first == opened.first and kept.opened_at == opened.opened_at
    assert kept.last is not None and kept.last.at == at(40)
    # The power comes back, then goes again: the first clears, a second opens.
    reports += [point(50), point(60, alarm=POWER_CUT)]
    third = evaluate([track(*reports)], SHIPPED, at(65), previous=second.open, previous_as_of=at(45))
    assert [alert.cleared_at for alert in third.cleared] == [at(50)]
    assert third.cleared[0].first == opened.first
    (reopened,) = third.opened
    assert reopened.first is not None and reopened.first.at == at(60) and reopened.cleared_at is None


def test_an_alert_that_opened_and_cleared_between_evaluations_is_reported_once() -> None:
    reports = [point(0), point(10, alarm=POWER_CUT), point(20)]
    first = evaluate([track(*reports)], SHIPPED, at(25))
    assert len(first.opened) == 1 and first.open == ()
    later = evaluate(
        [track(*reports, point(30))], SHIPPED, at(35), previous=first.open, previous_as_of=at(25)
    )
    assert later.opened == later.cleared == later.still_open == ()


def test_a_late_report_received_after_the_last_evaluation_raises_its_alert() -> None:
    """A blind-area supplement: the fix is old, the report is new."""
    reports = [point(0), point(20)]
    first = evaluate([track(*reports)], SHIPPED, at(25))
    late = point(10, alarm=POWER_CUT, late_minutes=30)
    second = evaluate([track(*reports, late)], SHIPPED, at(45), previous=first.open, previous_as_of=at(25))
    (alert,) = second.opened
    assert alert.first is not None and alert.first.at == at(10) and alert.cleared_at == at(20)


def test_switching_a_kind_off_clears_its_open_alert(tmp_path: Path) -> None:
    first = evaluate([track(point(0, alarm=POWER_CUT))], SHIPPED, at(5))
    rules = rules_from(tmp_path, "lessors:\n  L01:\n    alerts: {power_cut: {enabled: false}}\n")
    later = evaluate(
        [track(point(0, alarm=POWER_CUT))], rules, at(10), previous=first.open, previous_as_of=at(5)
    )
    assert [alert.cleared_at for alert in later.cleared] == [at(10)] and later.open == ()


# ------------------------------------------------------------------------------------ regions


REGIONS = """lessors:
  L01:
    region:
      name: 上海中心城区
      name_en: central Shanghai
      polygons: [[[121.30, 31.10], [121.65, 31.10], [121.65, 31.40], [121.30, 31.40]]]
    contracts:
      C2:
        region:
          name: 苏州工业园
          name_en: Suzhou Industrial Park
          polygons: [[[120.50, 31.20], [120.80, 31.20], [120.80, 31.40], [120.50, 31.40], [120.50, 31.20]]]
"""


def test_leaving_the_lessors_region_takes_two_reports_outside(tmp_path: Path) -> None:
    rules = rules_from(tmp_path, REGIONS)
    one_outside = [point(0), point(10, where=SUZHOU), point(20)]
    assert only(evaluate([track(*one_outside)], rules, at(25)), "left_region") == []
    outside = [point(0), point(10, where=SUZHOU), point(20, where=SUZHOU), point(30, where=SUZHOU)]
    (alert,) = only(evaluate([track(*outside)], rules, at(35)), "left_region")
    assert alert.first is not None and alert.first.at == at(10) and alert.opened_at == at(20)
    assert alert.text() == "驶出约定区域（约定：上海中心城区）"
    assert alert.text("en") == "left the agreed region (agreed: central Shanghai)"
    back = evaluate([track(*outside, point(40))], rules, at(45))
    assert only(back, "left_region")[0].cleared_at == at(40)


def test_a_contracts_region_overrides_its_lessors(tmp_path: Path) -> None:
    rules = rules_from(tmp_path, REGIONS)
    in_suzhou = [point(minute, where=SUZHOU) for minute in (0, 10, 20)]
    assert only(evaluate([track(*in_suzhou, contract="C2")], rules, at(25)), "left_region") == []
    in_shanghai = [point(minute) for minute in (0, 10, 20)]
    (alert,) = only(evaluate([track(*in_shanghai, contract="C2")], rules, at(25)), "left_region")
    assert alert.text() == "驶出约定区域（约定：苏州工业园）"
    # The shipped rules name no region: no alert anywhere.
    assert only(evaluate([track(*in_suzhou)], SHIPPED, at(25)), "left_region") == []


def test_a_report_without_a_fix_is_neither_inside_nor_outside(tmp_path: Path) -> None:
    rules = rules_from(tmp_path, REGIONS)
    unpositioned = [point(minute, where=(0, 0), positioned=False) for minute in (0, 10, 20)]
    assert evaluate([track(*unpositioned)], rules, at(25)).opened == ()


SQUARE = ((0, 0), (10, 0), (10, 10), (0, 10))
# A concave "U": the notch between x 4..6 reaches down to y 4.
U_SHAPE = ((0, 0), (10, 0), (10, 10), (6, 10), (6, 4), (4, 4), (4, 10), (0, 10))


@pytest.mark.parametrize(
    ("ring", "where", "expected"),
    [
        (SQUARE, (5, 5), "inside"),
        (SQUARE, (10, 5), "edge"),  # on an edge
        (SQUARE, (10, 10), "edge"),  # on a vertex
        (SQUARE, (11, 5), "outside"),
        (SQUARE, (-1, 0), "outside"),  # on the line of an edge, beyond it
        (SQUARE, (5, 10), "edge"),
        (U_SHAPE, (5, 6), "outside"),  # in the notch
        (U_SHAPE, (5, 4), "edge"),  # on the notch's floor
        (U_SHAPE, (2, 4), "inside"),  # the ray runs along the notch's floor and through two vertices
        (U_SHAPE, (-2, 4), "outside"),
        (U_SHAPE, (2, 10), "edge"),
        (U_SHAPE, (-1, 10), "outside"),  # the ray runs along the top edges
    ],
)
def test_point_in_polygon_edge_cases(
    ring: tuple[tuple[int, int], ...], where: tuple[int, int], expected: str
) -> None:
    assert in_ring(ring, where) == expected


@pytest.mark.parametrize(
    ("polygon", "says"),
    [
        (
            "[[[121.0, 31.0], [122.0, 32.0], [122.0, 31.0], [121.0, 32.0]]]",
            "the polygon's edges cross each other",
        ),
        ("[[[121.0, 31.0], [122.0, 31.0], [121.0, 31.0]]]", "a polygon needs at least 3 distinct vertices"),
        (
            "[[[121.0, 31.0], [122.0, 31.0], [123.0, 31.0], [122.5, 31.0]]]",
            "the polygon's edges cross each other",
        ),
        ("[[[121.0, 31.0], [122.0], [122.0, 32.0]]]", "vertex 2 must be [longitude, latitude]"),
        ("[[[121.0, 91.0], [122.0, 31.0], [122.0, 32.0]]]", "91.0 must be a number from -90 to 90"),
    ],
)
def test_a_polygon_that_is_not_a_simple_ring_is_refused(tmp_path: Path, polygon: str, says: str) -> None:
    extra = (
        f"lessors:\n  L01:\n    contracts:\n      C9:\n        region: {{name: 仓库, polygons: {polygon}}}\n"
    )
    with pytest.raises(RuleFileError) as refused:
        rules_from(tmp_path, extra)
    message = refused.value.text("en")
    assert "\n" not in message and message.startswith(f"{tmp_path / 'alerts.yaml'}: ")
    assert "lessor L01 contract C9: region.polygons[1]" in message and says in message, message


def _boundaries_file(tmp_path: Path) -> Path:
    """Two districts of Shanghai (one with a hole, one a MultiPolygon) and Suzhou: made-up squares, not real
    boundaries."""

    def ring(west: float, south: float, east: float, north: float) -> list[list[float]]:
        return [[west, south], [east, south], [east, north], [west, north], [west, south]]

    features = [
        {
            "type": "Feature",
            "properties": {"adcode": "310101", "name": "黄浦区"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [ring(121.40, 31.20, 121.50, 31.30), ring(121.44, 31.24, 121.46, 31.26)],
            },
        },
        {
            "type": "Feature",
            "properties": {"adcode": 310115, "name": "浦东新区"},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [[ring(121.50, 31.10, 121.90, 31.40)], [ring(121.95, 31.0, 122.0, 31.05)]],
            },
        },
        {
            "type": "Feature",
            "properties": {"adcode": "320500", "name": "苏州市"},
            "geometry": {"type": "Polygon", "coordinates": [ring(120.40, 31.10, 120.90, 31.50)]},
        },
    ]
    path = tmp_path / "boundaries.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_a_region_by_administrative_code_uses_the_workspaces_boundaries(tmp_path: Path) -> None:
    boundaries = load_boundaries(_boundaries_file(tmp_path))
    extra = "region: {name: 上海市, name_en: Shanghai, admin_codes: ['310000']}\n"
    rules = rules_from(tmp_path, extra, replace=("region: null\n", ""), boundaries=boundaries)
    inside = [point(minute, where=(31_210_000, 121_420_000)) for minute in (0, 10)]  # 310101
    pudong = [point(minute, where=(31_020_000, 121_970_000)) for minute in (0, 10)]  # 310115's second polygon
    in_hole = [point(minute, where=(31_250_000, 121_450_000)) for minute in (0, 10)]
    on_edge = [point(minute, where=(31_300_000, 121_450_000)) for minute in (0, 10)]
    suzhou = [point(minute, where=SUZHOU) for minute in (0, 10)]
    for reports, left in (
        (inside, False),
        (pudong, False),
        (in_hole, True),
        (on_edge, False),
        (suzhou, True),
    ):
        alerts = only(evaluate([track(*reports)], rules, at(15)), "left_region")
        assert bool(alerts) is left, reports[0]
    (alert,) = only(evaluate([track(*suzhou)], rules, at(15)), "left_region")
    assert alert.text() == "驶出约定区域（约定：上海市）"


def test_an_administrative_code_needs_a_boundaries_file_that_has_it(tmp_path: Path) -> None:
    extra = "lessors:\n  L01:\n    region: {name: 北京市, admin_codes: ['110000']}\n"
    with pytest.raises(RuleFileError) as refused:
        rules_from(tmp_path, extra)
    assert refused.value.rule == "lessor L01" and refused.value.field == "region.admin_codes"
    assert "needs a boundaries file (setting tracking.boundaries)" in refused.value.text("en")
    with pytest.raises(RuleFileError) as refused:
        rules_from(tmp_path, extra, boundaries=load_boundaries(_boundaries_file(tmp_path)))
    assert "administrative code 110000 is not in" in refused.value.text("en")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{", "line 1: not valid JSON"),
        ('{"type": "Feature"}', "must be a GeoJSON FeatureCollection"),
        (
            '{"features": [{"properties": {"adcode": "31"}, "geometry": null}]}',
            "feature 1: properties.adcode: '31' is not a 6-digit",
        ),
        (
            '{"features": [{"properties": {"adcode": "310000"}, "geometry": {"type": "Point"}}]}',
            "feature 1: geometry: must be a Polygon",
        ),
    ],
)
def test_a_broken_boundaries_file_is_one_line(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "b.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BoundariesError) as refused:
        load_boundaries(path)
    message = refused.value.text("en")
    assert "\n" not in message and message.startswith(str(path)) and says in message, message


# ------------------------------------------------------------------------------------ silence, stillness


def test_silence_counts_days_since_the_last_report_received(tmp_path: Path) -> None:
    last = point(0)
    assert evaluate([track(last)], SHIPPED, at(3 * 1440 - 1)).opened == ()
    (alert,) = evaluate([track(last)], SHIPPED, at(12 * 1440 + 5)).opened
    assert alert.code == "silent" and alert.text() == "已静默 12 天" and alert.opened_at == at(3 * 1440)
    assert alert.first is not None and alert.first.report_ref == last.report_ref
    # A lessor that waits one day only.
    rules = rules_from(tmp_path, "lessors:\n  L01:\n    alerts: {silent: {days: 1}}\n")
    assert [alert.code for alert in evaluate([track(last)], rules, at(1440)).opened] == ["silent"]


def test_silence_clears_when_a_report_comes_and_keeps_counting_while_none_does() -> None:
    last = point(0)
    first = evaluate([track(last)], SHIPPED, at(4 * 1440))
    kept = evaluate([track(last)], SHIPPED, at(6 * 1440), previous=first.open, previous_as_of=at(4 * 1440))
    assert kept.opened == () and kept.still_open[0].text() == "已静默 6 天"
    woke = point(5 * 1440)
    cleared = evaluate(
        [track(last, woke)], SHIPPED, at(6 * 1440), previous=first.open, previous_as_of=at(4 * 1440)
    )
    assert cleared.opened == () and cleared.cleared[0].cleared_at == woke.received_at


def test_an_asset_without_reports_raises_silence_only_and_only_when_its_binding_is_known() -> None:
    never = AssetTrack("L01", "A9", "C9", (), tracked_since=T0)
    (alert,) = evaluate([never], SHIPPED, at(5 * 1440)).opened
    assert alert.code == "silent" and alert.first is None and alert.text() == "绑定后 5 天未收到任何报告"
    assert evaluate([AssetTrack("L01", "A9", "C9")], SHIPPED, at(50 * 1440)).opened == ()


def _parked(days: int, seed: int, every_hours: int = 6) -> list[TrackPoint]:
    """A parked machine: fixes jitter by up to about 30 m around one spot (seeded, as leaseguard.synth draws)."""
    rng = np.random.default_rng(seed)
    jitter = rng.integers(-250, 250, size=(days * 24 // every_hours + 1, 2))
    return [
        point(step * every_hours * 60, where=(PEOPLES_SQUARE[0] + int(dy), PEOPLES_SQUARE[1] + int(dx)))
        for step, (dy, dx) in enumerate(jitter)
    ]


def test_standing_still_for_the_rules_days_within_the_radius(tmp_path: Path) -> None:
    parked = _parked(9, seed=20)
    (alert,) = only(evaluate([track(*parked)], SHIPPED, parked[-1].received_at), "still")
    assert alert.text() == "静止 9 天（200 米范围内）" and alert.opened_at == at(7 * 1440)
    assert alert.first is not None and alert.first.at == T0
    assert only(evaluate([track(*parked[: 6 * 4])], SHIPPED, at(6 * 1440)), "still") == []
    rules = rules_from(tmp_path, "lessors:\n  L01:\n    alerts: {still: {days: 10}}\n")
    assert only(evaluate([track(*parked)], rules, parked[-1].received_at), "still") == []
    tight = rules_from(tmp_path, "lessors:\n  L01:\n    alerts: {still: {radius_m: 10}}\n")
    assert only(evaluate([track(*parked)], tight, parked[-1].received_at), "still") == []


def test_moving_clears_standing_still_and_a_fast_fix_is_movement_wherever_it_is() -> None:
    parked = _parked(8, seed=21)
    moved = point(8 * 1440 + 60, where=(PEOPLES_SQUARE[0] + 10_000, PEOPLES_SQUARE[1]))  # about 1.1 km north
    result = evaluate([track(*parked, moved)], SHIPPED, moved.received_at)
    (alert,) = only(result, "still")
    assert alert.cleared_at == moved.fix_time and alert.cleared_by is not None
    # Driven for a moment on day 2, back to the same spot: still for 6 days since, not 8.
    driving = [*parked[:9], point(2 * 1440 + 30, speed_kmh=40), *parked[9:]]
    assert only(evaluate([track(*driving)], SHIPPED, parked[-1].received_at), "still") == []


# ------------------------------------------------------------------------------------ divergence


ANTING = (31_380_000, 121_160_000)  # about 35 km from People's Square


def test_wired_and_wireless_terminals_apart_by_more_than_the_rules_km() -> None:
    assert 30_000 < distance_m(*PEOPLES_SQUARE, *ANTING) < 40_000
    reports = [
        point(0),
        point(3, kind="wireless", where=ANTING),
        point(30),
        point(31, kind="wireless", where=ANTING),
    ]
    (alert,) = evaluate([track(*reports)], SHIPPED, at(35)).opened
    assert (
        alert.code == "diverged"
        and alert.text() == f"有线与无线终端相距 {distance_m(*PEOPLES_SQUARE, *ANTING) / 1000:.1f} 千米"
    )
    assert alert.first is not None and alert.first.partner is not None
    assert (alert.first.report_ref, alert.first.partner.report_ref) == ("A1/wired/0", "A1/wireless/3")
    together = evaluate([track(*reports, point(60), point(61, kind="wireless"))], SHIPPED, at(65))
    assert only(together, "diverged")[0].cleared_at == at(60)


def test_divergence_pairs_each_report_with_the_other_terminals_nearest_in_time() -> None:
    """The wired report at 10 is paired with the wireless one at 11 (same place), not the one at 2 (far)."""
    reports = [point(2, kind="wireless", where=ANTING), point(10), point(11, kind="wireless"), point(20)]
    assert only(evaluate([track(*reports)], SHIPPED, at(25)), "diverged") == []
    # Too far apart in time to compare: nothing.
    apart = [
        point(0),
        point(11, kind="wireless", where=ANTING),
        point(22),
        point(33, kind="wireless", where=ANTING),
    ]
    assert only(evaluate([track(*apart)], SHIPPED, at(40)), "diverged") == []
    # The same reports within the rule's time gap.
    rules_far = SHIPPED.model_copy(
        update={
            "alerts": SHIPPED.alerts.model_copy(
                update={"diverged": SHIPPED.alerts.diverged.model_copy(update={"max_gap_minutes": 11})}
            )
        }
    )
    assert [alert.code for alert in only(evaluate([track(*apart)], rules_far, at(40)), "diverged")] == [
        "diverged"
    ]


def test_only_silence_for_an_asset_with_one_terminal_kind_or_no_fix() -> None:
    assert evaluate([track(point(0), point(10))], SHIPPED, at(20)).opened == ()


# ------------------------------------------------------------------------------------ rule files


@pytest.mark.parametrize(
    ("old", "new", "rule", "field", "says"),
    [
        ("    days: 3  #", "    days: 0  #", "rule silent", "days", "days must be a whole number ≥ 1"),
        (
            "severity: medium\n    days: 7",
            "severity: urgent\n    days: 7",
            "rule still",
            "severity",
            "'urgent' is not one of",
        ),
        ("bits: [26, 28]", "bitz: [26, 28]", "rule tamper", None, "unknown field"),
        ("bits: [8]", "bits: [32]", "rule power_cut", "bits", "32 is not an alarm bit"),
        ('km: "5"', 'km: "-5"', "rule diverged", "km", "'-5' must be a number from 0.001 to 20000"),
        ("version: 1", "version: 2", None, "version", "2 is not one of"),
    ],
)
def test_a_broken_rule_file_is_one_line_naming_file_rule_and_field(
    tmp_path: Path, old: str, new: str, rule: str | None, field: str | None, says: str
) -> None:
    with pytest.raises(RuleFileError) as refused:
        rules_from(tmp_path, replace=(old, new))
    error, message = refused.value, refused.value.text("en")
    assert "\n" not in message and says in message, message
    assert error.source == str(tmp_path / "alerts.yaml") and error.rule == rule
    if field is not None:
        assert error.field == field


def test_a_broken_override_names_the_lessor_and_contract(tmp_path: Path) -> None:
    extra = "lessors:\n  L01:\n    contracts:\n      C-7:\n        alerts: {still: {radius_m: -5}}\n"
    with pytest.raises(RuleFileError) as refused:
        rules_from(tmp_path, extra)
    assert refused.value.rule == "lessor L01 contract C-7 rule still" and refused.value.field == "radius_m"
    assert "出租人 L01 合同 C-7 规则 still" in refused.value.text("zh")


def test_an_override_changes_only_what_it_says(tmp_path: Path) -> None:
    rules = rules_from(
        tmp_path,
        "lessors:\n  L01:\n    alerts: {still: {days: 30}}\n"
        "    contracts:\n      C1: {alerts: {still: {radius_m: 50}}}\n",
    )
    contract = rules.policy("L01", "C1").alerts.still
    assert (contract.days, contract.radius_m) == (30, 50)
    assert (
        rules.policy("L01", "C2").alerts.still.radius_m == 200
        and rules.policy("L02", "C1").alerts.still.days == 7
    )
    assert rules.lookback == dt.timedelta(days=31)


def test_naive_times_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        evaluate([], SHIPPED, dt.datetime(2025, 3, 1))


# ------------------------------------------------------------------------------------ signals


def test_open_alerts_become_one_signal_column_each_per_contract() -> None:
    reports = [point(0, alarm=POWER_CUT), point(5, alarm=POWER_CUT | ANTENNA_OPEN)]
    other = [point(0, alarm=POWER_CUT, asset="A2"), point(5, asset="A2")]  # cleared: raises nothing
    loose = [point(0, alarm=POWER_CUT, asset="A3")]  # under no contract
    result = evaluate(
        [track(*reports), track(*other, asset="A2", contract="C2"), track(*loose, asset="A3", contract=None)],
        SHIPPED,
        at(10),
    )
    frame = tracking_signal_frame([*result.opened, *result.still_open])
    assert frame.columns == ["contract_no", *TRACKING_SIGNALS]
    assert frame["contract_no"].to_list() == ["C1"]
    row = frame.row(0, named=True)
    assert {name for name in TRACKING_SIGNALS if row[name]} == {"tracking_antenna_cut", "tracking_power_cut"}
    assert tracking_signal_frame([]).schema == pl.Schema(
        {"contract_no": pl.String} | dict.fromkeys(TRACKING_SIGNALS, pl.Boolean)
    )


def test_every_alert_kind_has_a_signal_with_words_in_both_languages() -> None:
    assert sorted(SIGNAL_OF.values()) == sorted(TRACKING_SIGNALS) and set(SIGNAL_OF) == set(ALERT_KINDS)
    assert set(ALERT_LABELS) == set(ALERT_KINDS) and set(SEVERITY_LABELS) == {"low", "medium", "high"}
    for signal in TRACKING_SIGNALS:
        assert (
            SIGNAL_LABELS[signal]
            and SIGNAL_LABELS_EN[signal]
            and SIGNAL_LABELS[signal] != SIGNAL_LABELS_EN[signal]
        )
