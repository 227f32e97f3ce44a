"""/book as an admin uses it, in Debian's chromium (Playwright; skipped where chromium is missing): open the book
from the navigation, filter it by class, start a daily run and watch its progress bar fill to the end (htmx polls
the job's fragment), then find the run among the lessor's jobs on /book. Each view saves a screenshot under
tests/screenshots/; no script error or blocked resource on the way, every field labelled."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from book_world import seed_synth_book
from browser import chromium_page, shot
from console_world import PASSWORD, Console, served_console


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    folder = tmp_path_factory.mktemp("console-book-browser")
    with served_console(folder) as served:
        seed_synth_book(served.engine, folder)
        yield served


def test_an_admin_filters_the_book_and_watches_a_daily_run_finish(world: Console) -> None:
    with chromium_page() as page:
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{world.base}/login")
        page.get_by_label("用户名").fill("ada")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{world.base}/")

        page.get_by_role("navigation", name="主导航").get_by_role("link", name="账簿").click()
        page.wait_for_url(f"{world.base}/book")
        page.get_by_role("heading", name="五级分类账簿").wait_for()
        shot(page, "book")

        filters = page.get_by_role("form", name="筛选账簿")
        filters.get_by_label("五级分类").select_option("special_mention")
        filters.get_by_role("button", name="筛选").click()
        page.wait_for_url(re.compile(r".*/book\?.*class=special_mention"))
        classes = page.locator("#contracts tbody tr td:nth-child(7)").all_inner_texts()
        assert classes and set(classes) == {"关注类"}
        unlabelled = page.evaluate(
            "[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
            ".filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).length"
        )
        assert unlabelled == 0
        shot(page, "book_filtered")

        run = page.get_by_role("form", name="运行日终批处理")
        run.get_by_label("运行日期").fill("2026-10-15")
        run.get_by_role("button", name="运行日终批处理").click()
        page.wait_for_url(re.compile(r".*/jobs/\d+$"))
        job_url = page.url
        bar = page.locator("progress#job-bar")
        bar.wait_for()
        shot(page, "job_running")
        # htmx swaps the fragment every second until the job has ended.
        page.locator("#job-state", has_text="已完成").wait_for(timeout=180_000)
        # Reading the book, then positions, classes and storing of the day and of 2026-10-31 again.
        assert bar.get_attribute("value") == bar.get_attribute("max") == "7"
        assert page.locator("#job-progress[hx-trigger]").count() == 0
        shot(page, "job_done")

        page.get_by_role("link", name="返回五级分类账簿").click()
        page.wait_for_url(re.compile(r".*/book#jobs$"))
        job_link = page.locator("#jobs").get_by_role("link", name=job_url.rsplit("/", 1)[1], exact=True)
        assert job_link.count() == 1
        assert "2026-10-15" in page.locator("#f-day").inner_text()
        shot(page, "book_after_run")
        assert problems == []
