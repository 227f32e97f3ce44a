"""/analytics as a risk officer reads it, in Debian's chromium (Playwright; skipped where chromium is missing):
open it from the navigation, see every chart drawn by the server (each image loaded, with its text
alternative), open a chart's table and read the use case's figure in it. Screenshots under tests/screenshots/;
no script error or blocked resource on the way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from analytics_world import AS_OF, LESSOR, seed_analytics_book
from browser import chromium_page, shot
from console_world import PASSWORD, Console, served_console
from leaseguard.analytics.report import npl_rows
from leaseguard.portfolio.allocation import Allocation
from leaseguard.usecases.book_analytics import analytics_of_store


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    folder = tmp_path_factory.mktemp("console-analytics-browser")
    with served_console(folder) as served:
        seed_analytics_book(served.engine, folder / "book")
        yield served


def test_a_risk_officer_reads_the_charts_and_opens_a_table(console: Console) -> None:
    found = analytics_of_store(console.engine, AS_OF, allocation=Allocation.from_settings({}), lessor=LESSOR)
    assert found.npl is not None
    worst = npl_rows(found.npl, "industry").row(0, named=True)  # the largest claim balance first
    with chromium_page() as page:
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{console.base}/login")
        page.get_by_label("用户名").fill("lin")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{console.base}/")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="资产组合分析").click()
        page.wait_for_url("**/analytics")
        # Shown at once, or (computed for longer than the page waits) swapped in by htmx when ready.
        page.locator(".analytics-chart").first.wait_for(timeout=300_000)
        images = page.locator(".analytics-chart img")
        for index in range(
            images.count()
        ):  # each chart loaded (a promise per image: the page allows no eval)
            images.nth(index).evaluate(
                "img => img.complete ? true : new Promise(done => { img.onload = img.onerror = () => done(true); })"
            )
        assert images.count() == 7  # vintage, roll rates, migration, NPL by four dimensions
        for index in range(images.count()):
            image = images.nth(index)
            assert image.evaluate("img => img.complete && img.naturalWidth > 0"), image.get_attribute("src")
            assert "：" in (image.get_attribute("alt") or "")
        industry = page.locator("#chart-npl_industry")
        table = industry.locator("table")
        assert not table.is_visible()  # charts first; the table is behind its <details>
        shot(page, "analytics")
        industry.get_by_text("表格：按行业的不良率").click()
        assert table.is_visible()
        row = table.locator("tbody tr").nth(1)  # after the whole book's row
        assert row.locator("td").nth(1).inner_text() == str(worst["value"])
        assert f"{worst['npl_ratio']:.2%}" in row.inner_text()
        industry.scroll_into_view_if_needed()
        shot(page, "analytics_table")
        assert not problems, problems
