"""/collections as a collector uses it, in Debian's chromium (Playwright; skipped where chromium is missing): open
the call list from the navigation, filter a tier and find the contract whose promise to pay was broken at its
top, open it, record a call's outcome, see a promise of nothing refused beside its field, record a new promise,
and read both in the contract's 催收记录. Each view saves a screenshot under tests/screenshots/; no script error or
blocked resource on the way, every field labelled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from browser import chromium_page
from collections_world import Desk, seed_collections
from console_world import Console, served_console
from lookup_book import new_signer
from test_console_cases_browser import shot, sign_in, unlabelled_inputs, watch


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, Desk]]:
    folder = tmp_path_factory.mktemp("console-collections-browser")
    signer = new_signer()
    with served_console(folder, evidence_signer=signer) as served:
        yield served, seed_collections(served.engine, folder / "book", signer)


def test_a_collector_finds_a_broken_promise_first_and_records_a_call_and_a_new_promise(
    world: tuple[Console, Desk],
) -> None:
    console, desk = world
    promised = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    with chromium_page() as page:
        problems = watch(page)
        sign_in(page, console, "ann")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="催收").click()
        page.wait_for_url("**/collections")
        # Shown at once, or (computed in the background for longer than the page waits) put in by htmx when ready.
        page.locator("#list tbody tr").first.wait_for(timeout=120_000)
        assert page.locator("#list tbody tr").count() == 50
        assert unlabelled_inputs(page) == 0
        shot(page, "collections")

        page.get_by_label("档位", exact=True).select_option(desk.tier)
        page.get_by_role("button", name="筛选").click()
        page.wait_for_url("**/collections?tier=*")
        first = page.locator("#list tbody tr").first
        assert first.get_attribute("data-contract") == desk.raised
        assert "承诺未履行" in first.inner_text() and "8,800.00" in first.inner_text()
        shot(page, "collections_tier")

        first.get_by_role("link", name=desk.raised).click()
        page.wait_for_url("**#calls")
        calls = page.locator("#calls")
        assert "未履行" in calls.locator("tbody tr").first.inner_text()
        assert unlabelled_inputs(page) == 0

        form = page.locator("#record-call")
        form.get_by_label("通话结果").select_option("no_answer")
        form.get_by_label("备注", exact=True).fill("上午十点拨打，无人接听")
        form.get_by_role("button", name="记录").click()
        page.wait_for_url("**#calls")
        newest = page.locator("#calls tbody tr").first
        assert "无人接听" in newest.inner_text() and "上午十点拨打" in newest.inner_text()

        form = page.locator("#record-call")
        form.get_by_label("通话结果").select_option("promise_to_pay")
        form.get_by_label("承诺还款日期").fill(promised)
        form.get_by_label("承诺还款金额（元）").fill("0")
        form.get_by_role("button", name="记录").click()
        page.locator("#k-promise-amount-error").wait_for()
        assert "承诺金额应大于零" in page.locator("#k-promise-amount-error").inner_text()
        assert page.locator("#calls tbody tr").count() == 2  # nothing recorded
        page.locator("#record-call").scroll_into_view_if_needed()
        shot(page, "contract_call_refused")

        form = page.locator("#record-call")
        assert form.get_by_label("承诺还款日期").input_value() == promised  # what was typed is kept
        form.get_by_label("承诺还款金额（元）").fill("12,000.50")
        form.get_by_label("备注", exact=True).fill("下午回电，承诺月中还款")
        form.get_by_role("button", name="记录").click()
        page.wait_for_url("**#calls")
        rows = page.locator("#calls tbody tr")
        assert rows.count() == 3
        newest = rows.first.inner_text()
        assert "承诺还款" in newest and f"{promised} 前还 12,000.50 元" in newest and "待履行" in newest
        assert "已被新的承诺取代" in rows.nth(2).inner_text()  # the broken promise stands no more
        page.locator("#calls").scroll_into_view_if_needed()
        shot(page, "contract_calls")

        page.goto(f"{console.base}/collections?tier={desk.tier}")
        assert page.locator("#list tbody tr").first.get_attribute("data-contract") != desk.raised
        assert page.locator("#list .raised").count() == 0
        # The only failure logged is the refused promise's answer.
        refusal = "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
        assert problems == [refusal], problems
