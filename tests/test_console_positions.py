"""The contract page's 租赁物位置 over real HTTP (issue 20): each asset's last position and an offline plot of its
last day's track, an inline SVG with a text alternative; nothing where no asset has a position; the section only
for roles that may read positions; another lessor's positions never, its contract still the 404 page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text

from console_world import Console, served_console, signed_in
from lookup_book import ALPHA_VIN, OVERDUE, seed_lookup_book
from test_console_lookups import raw_section, section
from tracking_world import IN_LAST_DAY, track_asset

PHONE, BETA_PHONE = "13800138001", "13900139001"
CAR_CONTRACT = "AL-2024-001"  # its asset A-CAR-1 has a terminal


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    folder = tmp_path_factory.mktemp("console-positions")
    with served_console(folder) as served:
        seed_lookup_book(served.engine, folder / "book")
        track_asset(served.engine, "ALPHA", "A-CAR-1", PHONE)
        # BETA has an asset of the same id, somewhere else and fixed later: never on ALPHA's page
        with served.engine.begin() as connection:
            connection.execute(
                text(
                    "insert into assets (lessor, asset_id, asset_type, lessee_id, lessee_name, contract_no) "
                    "values ('BETA', 'A-CAR-1', 'vehicle', 'X1', '某人', 'BE-2024-001')"
                )
            )
        track_asset(served.engine, "BETA", "A-CAR-1", BETA_PHONE, offset=(8.7, -5.1))
        yield served


@pytest.fixture(scope="module")
def ann(console: Console) -> Iterator[httpx.Client]:
    client = signed_in(console, "ann")  # analyst: may read positions
    yield client
    client.close()


def _points(svg: str) -> list[tuple[float, float]]:
    found = re.search(r'<polyline class="track-line" points="([^"]+)"', svg)
    assert found, svg
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in found.group(1).split())]


def test_the_contract_page_shows_where_its_asset_is(ann: httpx.Client) -> None:
    page = ann.get(f"/contracts/{CAR_CONTRACT}")
    assert page.status_code == 200
    words = section(page, "positions")
    assert "租赁物位置" in words and "A-CAR-1" in words
    assert "北纬31.230416°、东经121.473701°（2026-11-30 08:00:30，北京时间）" in words
    assert PHONE in words and BETA_PHONE not in page.text and "39.930416" not in page.text

    svg = re.search(r"<svg class=\"track\".*?</svg>", raw_section(page, "positions"), re.S)
    assert svg, words
    drawn = svg.group(0)
    assert 'role="img"' in drawn and "<title>" in drawn
    label = html.unescape(re.search(r'aria-label="([^"]+)"', drawn).group(1))  # type: ignore[union-attr]
    assert f"{IN_LAST_DAY} 个定位点" in label and "北纬31.230416°" in label

    width = float(re.search(r'viewBox="0 0 (\d+) (\d+)"', drawn).group(1))  # type: ignore[union-attr]
    height = float(re.search(r'viewBox="0 0 (\d+) (\d+)"', drawn).group(2))  # type: ignore[union-attr]
    points = _points(drawn)
    assert len(points) == IN_LAST_DAY  # the point 30 hours before is not in the last day's track
    assert all(0 < x < width and 0 < y < height for x, y in points)
    xs, ys = [x for x, _ in points], [y for _, y in points]
    assert points[-1] == (max(xs), min(ys))  # the drive goes north-east: the last point is right and up
    last = re.search(r'<circle class="track-last" cx="([\d.]+)" cy="([\d.]+)"', drawn)
    assert last and (float(last.group(1)), float(last.group(2))) == points[-1]
    corners = re.findall(r'<text class="track-corner"[^>]*>([^<]+)</text>', drawn)
    assert len(corners) == 4 and all("北纬" in c and "东经" in c for c in corners)


def test_no_position_no_section(ann: httpx.Client) -> None:
    page = ann.get(f"/contracts/{OVERDUE}")  # its digger has no terminal
    assert (
        page.status_code == 200
        and 'id="positions"' not in page.text
        and '<svg class="track"' not in page.text
    )


def test_a_role_that_may_not_read_positions_sees_none(console: Console) -> None:
    client = signed_in(console, "cai")  # compliance
    try:
        page = client.get(f"/contracts/{CAR_CONTRACT}")
        assert page.status_code == 200 and ALPHA_VIN in page.text and 'id="positions"' not in page.text
    finally:
        client.close()


def test_another_lessors_contract_stays_not_found(ann: httpx.Client) -> None:
    page = ann.get("/contracts/BE-2024-001")
    assert page.status_code == 404 and BETA_PHONE not in page.text and 'id="positions"' not in page.text


def test_the_plot_as_a_person_sees_it(console: Console) -> None:
    """In Debian's chromium (skipped where it is missing): the plot is drawn, found by its text alternative, with
    no script error or blocked resource; a screenshot of the section under tests/screenshots/."""
    from browser import chromium_page, screenshot
    from test_console_lookups_browser import sign_in, watch

    with chromium_page() as page:
        problems = watch(page)
        sign_in(page, console)
        page.goto(f"{console.base}/contracts/{CAR_CONTRACT}#positions")
        plot = page.get_by_role("img", name=re.compile("租赁物 A-CAR-1 最后定位前 24 小时的轨迹"))
        assert plot.count() == 1 and plot.is_visible()
        box = plot.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 180
        assert page.locator("svg.track .track-line").count() == 1
        screenshot(page.locator("#positions"), "console_contract_positions", full_page=None)
        assert not problems, problems
