"""/applications as an analyst uses it, in Debian's chromium (Playwright; skipped where chromium is missing): open
the page from the navigation, fill in an application, decide it, and read the decision, the score and the
reasons in Chinese; open the recorded decision; look at the score's drift and the policy in force. Each view
saves a screenshot under tests/screenshots/; no script error or blocked resource on the way, every field
labelled."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from applications_world import application_form, served_applications, valid_resident_id
from browser import chromium_page, shot
from console_world import PASSWORD, Console
from lookup_book import new_signer


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    with served_applications(tmp_path_factory.mktemp("console-applications-browser"), new_signer()) as served:
        yield served


def test_an_analyst_decides_an_application_and_reads_score_and_reasons(console: Console) -> None:
    form = application_form(valid_resident_id("11010519850615001"), application_id="APP-2026-0001")
    with chromium_page() as page:
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{console.base}/login")
        page.get_by_label("用户名").fill("ann")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{console.base}/")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="信用审批").click()
        page.wait_for_url(f"{console.base}/applications")
        unlabelled = page.evaluate(
            "[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
            ".filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).length"
        )
        assert unlabelled == 0
        shot(page, "applications_form")

        page.get_by_label("证件号码（身份证或统一社会信用代码）").fill(form["applicant_id"])
        page.get_by_label("申请编号").fill(form["application_id"])
        page.get_by_label("申报年龄（岁）").fill(form["stated_age"])
        page.get_by_label("月收入（元）").fill(form["monthly_income_yuan"])
        page.get_by_label("申请金额（元）").fill(form["requested_amount_yuan"])
        page.get_by_label("期限（月）").fill(form["term_months"])
        page.get_by_role("button", name="审批", exact=True).click()
        result = page.locator("#decision-result")
        result.wait_for()
        assert re.fullmatch(r"\d{3}", page.locator("#result-score").inner_text().strip())
        assert page.locator("#result-heading .badge").inner_text().strip() in ("批准", "转人工审核", "拒绝")
        reasons = page.locator("#result-reasons li").all_inner_texts()
        assert reasons and all(re.search(r"[\u4e00-\u9fff]", text) for text in reasons)
        assert any("比最优分箱少" in text or "违约对数几率上升" in text for text in reasons)
        shot(page, "applications_decided")

        result.get_by_role("link", name="打开这条记录").click()
        page.wait_for_url(re.compile(r".*/applications/decisions/\d+$"))
        page.get_by_role("heading", name="模型输入").wait_for()
        assert form["applicant_id"] in page.inner_text("main")
        shot(page, "applications_decision")

        page.get_by_role("link", name="评分稳定性").click()
        page.locator("#drift-table").wait_for()
        assert "稳定" in page.inner_text("main")
        shot(page, "applications_drift")

        page.get_by_role("link", name="信用政策").first.click()
        page.locator("#rules").wait_for()
        assert "近30天在3家以上机构申请。" in page.inner_text("#rules")
        shot(page, "applications_policy")
        assert not problems, problems
