"""The /cases pages as a lawyer uses them, in Debian's chromium (Playwright; skipped where chromium is missing):
open the cases from the navigation, filter by stage, open a case, record a step, correct it, and see a refused
step's message beside its field; an analyst sees the same case without the forms. Each view saves a
screenshot under tests/screenshots/; no script error or blocked resource on the way, every field labelled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from browser import chromium_page, shot
from cases_world import Cases, seed_cases
from console_world import PASSWORD, Console, served_console
from lookup_book import ODD, new_signer


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, Cases]]:
    folder = tmp_path_factory.mktemp("console-cases-browser")
    signer = new_signer()
    with served_console(folder, evidence_signer=signer) as served:
        yield served, seed_cases(served.engine, folder / "book", signer)


def sign_in(page: Any, console: Console, username: str) -> None:
    page.goto(f"{console.base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{console.base}/")


def watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def unlabelled_inputs(page: Any) -> int:
    count: int = page.evaluate(
        "[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
        ".filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).length"
    )
    return count


def test_a_lawyer_opens_a_case_records_a_step_and_corrects_it(world: tuple[Console, Cases]) -> None:
    console, cases = world
    with chromium_page() as page:
        problems = watch(page)
        sign_in(page, console, "lia")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="执行案件").click()
        page.wait_for_url("**/cases")
        stages = page.locator("#stages")
        assert stages.get_by_role("link", name="起诉立案").is_visible()
        shot(page, "cases_list")

        stages.get_by_role("link", name="已立案准备").click()
        page.wait_for_url("**/cases?stage=opened")
        listed = page.locator("#list")
        assert listed.get_by_role("link", name=ODD).is_visible()
        shot(page, "cases_list_opened")

        listed.get_by_role("link", name=str(cases.odd), exact=True).click()
        page.wait_for_url(f"**/cases/{cases.odd}")
        assert page.locator("#claim tbody tr").count() >= 2  # overdue rent, penalty and on
        assert unlabelled_inputs(page) == 0
        shot(page, "case")

        record = page.locator("#record-step")
        record.get_by_label("步骤", exact=True).select_option("demand_notice")
        record.get_by_label("日期", exact=True).fill("2025-01-06")
        record.get_by_label("本步骤回收金额（元）").fill("12,000")
        record.get_by_label("备注", exact=True).fill("催告函已寄出")
        record.get_by_role("button", name="记录").click()
        page.wait_for_url(f"**/cases/{cases.odd}#ledger")
        entry = page.locator("#ledger tbody tr").last
        assert "催告函已寄出" in entry.inner_text() and "12,000.00" in entry.inner_text()
        assert "12,000.00" in page.locator("#case-recovered").inner_text()
        shot(page, "case_step_recorded")

        correct = page.locator("#correct-entry")
        correct.get_by_label("要更正的条目").select_option(index=1)
        correct.get_by_label("更正后的回收金额（元）").fill("1200")
        correct.get_by_label("更正原因").fill("多输了一个零")
        correct.get_by_role("button", name="更正").click()
        page.wait_for_url(f"**/cases/{cases.odd}#ledger")
        assert "1,200.00" in page.locator("#case-recovered").inner_text()
        assert "更正第 1 条：多输了一个零" in page.locator("#ledger").inner_text()
        shot(page, "case_step_corrected")

        record = page.locator("#record-step")
        record.get_by_label("步骤", exact=True).select_option("filing")
        record.get_by_label("日期", exact=True).fill("2099-01-01")
        record.get_by_role("button", name="记录").click()
        page.locator("#s-date-error").wait_for()
        assert "晚于今天" in page.locator("#s-date-error").inner_text()
        assert page.locator("#ledger tbody tr").count() == 2  # nothing recorded
        shot(page, "case_step_refused")
        # The only failure logged is the refused step's answer.
        refusal = "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
        assert problems == [refusal], problems


def test_an_analyst_reads_the_case_without_the_forms(world: tuple[Console, Cases]) -> None:
    console, cases = world
    with chromium_page() as page:
        problems = watch(page)
        sign_in(page, console, "ann")
        page.goto(f"{console.base}/cases/{cases.overdue}")
        assert page.get_by_role("heading", name="案件台账").is_visible()
        assert page.locator("#record-step").count() == 0 and page.locator("#correct-entry").count() == 0
        assert page.locator("#case-files").get_by_role("link").count() == 1
        shot(page, "case_analyst")
        assert problems == []
