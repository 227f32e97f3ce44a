"""The console as a person uses it, in Debian's chromium (Playwright; skipped where chromium is missing): sign
in, fail to with a wrong password, open another lessor's record (a 404 page), switch to English, sign out.
Each step saves a screenshot under tests/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import chromium_page, shot
from console_world import PASSWORD, Console, seed, served_console


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    with served_console(tmp_path) as served:
        yield served


def sign_in(page: Any, username: str, password: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_sign_in_fail_foreign_record_and_sign_out(console: Console) -> None:
    with chromium_page() as page:
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("response", lambda answer: failed.append(answer.url) if answer.status >= 400 else None)
        failed: list[str] = []
        page.goto(f"{console.base}/imports")
        assert page.url.endswith("/login?next=%2Fimports")
        assert page.get_by_role("heading", name="登录").is_visible()
        sign_in(page, "cai", "not the password")
        alert = page.get_by_role("alert")
        assert alert.inner_text().strip() == "用户名或密码错误。"
        assert page.get_by_label("用户名").input_value() == "cai"
        assert page.get_by_label("密码").input_value() == ""
        shot(page, "login_wrong_password")

        sign_in(page, "cai", PASSWORD)
        assert page.url == f"{console.base}/imports"
        assert page.get_by_role("heading", name="导入记录").is_visible()
        assert (
            page.get_by_role("link", name="alpha-contracts.csv").count() == 0
        )  # the file is text, the id a link
        assert "alpha-contracts.csv" in page.inner_text("main")
        navigation = page.get_by_role("navigation", name="主导航")
        assert navigation.get_by_role("link", name="导入记录").is_visible()
        shot(page, "imports")

        page.goto(f"{console.base}/imports/{console.beta_run}")
        assert page.get_by_role("heading", name="未找到").is_visible()
        assert "beta-contracts.csv" not in page.inner_text("body")
        assert f"没有导入记录 {console.beta_run}" in page.get_by_role("alert").inner_text()
        shot(page, "foreign_record_404")

        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Not found").is_visible()
        assert page.locator("html").get_attribute("lang") == "en"
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
        assert page.url == f"{console.base}/login"
        assert page.get_by_role("status").inner_text().strip() == "You have signed out."
        shot(page, "signed_out")
        page.goto(f"{console.base}/imports")
        assert "/login" in page.url  # signed out: the page needs a session again
        # No script errors, nothing blocked by the content security policy, no missing file: the only failures
        # logged are the error pages themselves: the login refusing the wrong password, the 404 page in Chinese
        # and again in English after the switch.
        foreign = f"{console.base}/imports/{console.beta_run}"
        assert failed == [f"{console.base}/login", foreign, foreign], failed
        assert all("Failed to load resource" in problem for problem in problems), problems
        assert len(problems) == len(failed)


def test_the_navigation_follows_the_role_and_is_usable_by_keyboard(console: Console) -> None:
    with chromium_page() as page:
        page.goto(f"{console.base}/login")
        page.keyboard.press("Tab")  # the skip link comes first
        assert page.evaluate("document.activeElement.textContent") == "跳到正文"
        page.get_by_label("用户名").focus()
        page.keyboard.type("ann")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{console.base}/")
        navigation = page.get_by_role("navigation", name="主导航")
        assert navigation.get_by_role("link", name="概览").is_visible()
        assert navigation.get_by_role("link", name="导入记录").count() == 0  # an analyst's role lacks it
        shot(page, "overview_analyst")
        answer = page.goto(f"{console.base}/imports")
        assert answer is not None and answer.status == 403
        assert page.get_by_role("heading", name="无权访问").is_visible()
        shot(page, "forbidden_403")
        # Every form field has a label a screen reader reads (checked on the sign-in form and this page).
        unlabelled = page.evaluate(
            "[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
            ".filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).length"
        )
        assert unlabelled == 0


def test_the_overview_loads_its_chart_with_htmx(console: Console) -> None:
    seed(console.engine)
    with chromium_page() as page:
        page.goto(f"{console.base}/login")
        sign_in(page, "ann", PASSWORD)
        page.wait_for_selector("#classes-chart svg", timeout=15_000)  # swapped in by htmx after the page
        assert page.get_by_role("img", name="最近 2 个日终运行日各类资产占租赁资产余额的比例").is_visible()
        assert "77.00%" in page.inner_text("main") and "超出限额" in page.inner_text("main")
        shot(page, "overview")
