"""The look-up pages as a person uses them, in Debian's chromium (Playwright; skipped where chromium is
missing): search from the header's box and from the search page (each kind), open a lessee and a contract,
page through a contract's schedule (htmx swaps the one section), open another lessor's contract (the 404
page), get a message beside the box for a search too short. Each view saves a screenshot under
tests/screenshots/; no script error or blocked resource on the way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from browser import chromium_page, shot
from console_world import PASSWORD, Console, served_console
from lookup_book import (
    ALPHA_INVOICE,
    ALPHA_SERIAL,
    ALPHA_VIN,
    BETA_VIN,
    FIRM,
    OVERDUE,
    PERSON,
    seed_lookup_book,
)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    folder = tmp_path_factory.mktemp("console-lookups-browser")
    with served_console(folder) as served:
        seed_lookup_book(served.engine, folder / "book")
        yield served


def sign_in(page: Any, console: Console, username: str = "ann") -> None:
    page.goto(f"{console.base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{console.base}/")


def watch(page: Any) -> list[str]:
    """Script errors and refused resources (the content security policy's included) the page logs."""
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


def test_search_from_the_header_then_a_lessee_then_a_contract(console: Console) -> None:
    with chromium_page() as page:
        problems = watch(page)
        sign_in(page, console)
        header = page.get_by_role("search").filter(has=page.locator("#top-search-q"))
        header.get_by_label("查询合同、承租人或租赁物").fill("华东物流")
        header.get_by_label("查询合同、承租人或租赁物").press("Enter")
        page.wait_for_url("**/search?q=*")
        assert page.get_by_role("heading", name="承租人（名称）").is_visible()
        assert page.get_by_role("link", name="华东物流有限公司").count() == 1  # BETA's namesake is not listed
        shot(page, "search_lessee_name")

        page.get_by_role("link", name="华东物流有限公司").click()
        page.wait_for_url(f"**/lessees/{FIRM}")
        assert page.get_by_role("heading", name="华东物流有限公司", level=1).is_visible()
        cases = page.locator("#cases")
        assert cases.get_by_role("link", name=OVERDUE).is_visible()
        assert "起诉立案" in cases.inner_text()
        assert unlabelled_inputs(page) == 0
        shot(page, "lessee")

        page.locator("#contracts").get_by_role("link", name=OVERDUE).click()
        page.wait_for_url(f"**/contracts/{OVERDUE}")
        assert page.get_by_role("heading", name=f"合同 {OVERDUE}").is_visible()
        assert "逾期超过270天（逾期305天）" in page.locator("#days").inner_text()
        assert "案件步骤" in page.locator("#evidence").inner_text()
        shot(page, "contract")

        schedule = page.locator("#schedule")
        assert "第 1–12 条，共 36 条" in schedule.inner_text()
        schedule.get_by_role("link", name="下一页 →").click()
        # Polled by selector: the page's content security policy forbids the evaluated script of wait_for_function.
        page.locator("#schedule").get_by_text("第 13–24 条").wait_for()
        assert page.url.endswith(f"/contracts/{OVERDUE}?schedule_page=2#schedule")  # htmx kept the address
        assert "2025-03-01" in page.locator("#schedule").inner_text()  # instalment 13
        assert page.locator("#schedule").count() == 1  # the section swapped, not nested
        assert unlabelled_inputs(page) == 0
        shot(page, "contract_schedule_page_2")
        assert problems == [], problems


@pytest.mark.parametrize(
    ("kind", "text", "heading", "link"),
    [
        ("contract_no", "al-2024-00", "合同（合同编号）", "AL-2024-001"),
        ("lessee_id", PERSON[:8], "承租人（证件号码）", "张伟"),
        ("vin", ALPHA_VIN[:8], "租赁物（车架号）", "AL-2024-001"),
        ("serial_no", ALPHA_SERIAL[:10], "租赁物（出厂编号）", OVERDUE),
        ("invoice_no", ALPHA_INVOICE[:6], "租赁物（发票号码）", "AL-2024-001"),
    ],
)
def test_search_each_kind_from_the_search_page(
    console: Console, kind: str, text: str, heading: str, link: str
) -> None:
    with chromium_page() as page:
        problems = watch(page)
        sign_in(page, console)
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="查询").click()
        page.wait_for_url("**/search")
        form = page.get_by_role("search", name="查询合同、承租人或租赁物").filter(has=page.locator("#f-q"))
        form.get_by_label("合同编号、承租人名称或证件号码、车架号、出厂编号、发票号码").fill(text)
        form.get_by_label("类别").select_option(kind)
        form.get_by_role("button", name="查询").click()
        page.wait_for_url("**/search?q=*")
        headings = page.locator("main h2").all_inner_texts()
        assert headings == [heading], headings
        assert page.locator("main table").get_by_role("link", name=link).first.is_visible()
        assert BETA_VIN not in page.inner_text("main")
        assert unlabelled_inputs(page) == 0
        shot(page, f"search_{kind}")
        assert problems == [], problems


def test_a_short_search_says_so_beside_the_box_and_a_foreign_contract_is_404(console: Console) -> None:
    with chromium_page() as page:
        sign_in(page, console)
        for _ in range(16):  # by keyboard: the skip link, the brand, the navigation, then the search box
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "top-search-q":
                break
        assert page.evaluate("document.activeElement.id") == "top-search-q"
        page.keyboard.type("张")
        page.keyboard.press("Enter")
        page.wait_for_url("**/search?q=*")
        box = page.locator("#f-q")
        assert box.get_attribute("aria-invalid") == "true"
        message = page.locator("#f-q-error")
        assert message.inner_text().startswith("请至少输入 2 个字符")
        assert box.get_attribute("aria-describedby") == "f-q-error"
        assert box.input_value() == "张"  # kept, to be completed
        shot(page, "search_too_short")

        answer = page.goto(f"{console.base}/contracts/BE-2024-001")
        assert answer is not None and answer.status == 404
        assert page.get_by_role("heading", name="未找到").is_visible()
        assert "880,000" not in page.inner_text("body")
        shot(page, "contract_foreign_404")
        answer = page.goto(f"{console.base}/lessees/{PERSON}")
        assert answer is not None and answer.status == 200
        assert "BE-2024-001" not in page.inner_text("body")  # ALPHA's view of a lessee both lessors have
