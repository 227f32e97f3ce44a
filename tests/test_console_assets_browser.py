"""The asset pages as a person uses them, in Debian's chromium (Playwright; skipped where chromium is missing):
check an asset (clear, blocked, a malformed VIN said beside its field) with the form posted by htmx; upload the
synth fleet's funding file, see each asset's verdict and download the findings; a file that is not CSV refused;
a decision on the forged truck taken, refused to its own maker, approved by a second compliance user; a later
decision declined by a compliance user on the list of pending decisions, first without a reason and refused,
then with one, and the asset's page saying so.
Each step saves a screenshot under tests/screenshots/."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import chromium_page, shot
from console_world import PASSWORD, Console, served_console
from funding_world import (
    FORGED_ID,
    FORGER_ASSET,
    FORGER_LESSEE,
    add_users,
    alpha_fleet,
    funding_file,
    ground_truth,
    log_signer,
    register_forgery,
)
from leaseguard.registry.identifiers import vin_check_digit


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    with served_console(tmp_path, evidence_signer=log_signer()) as served:
        register_forgery(served.engine)
        add_users(served.engine, ("cao", "ALPHA", "compliance"))
        yield served


def sign_in(page: Any, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}{next_path}")


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state()


def watch_errors(page: Any) -> list[str]:
    """Script errors and resources the page could not load (the content security policy's refusals too)."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def unlabelled_fields(page: Any) -> int:
    count: int = page.evaluate(
        "[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
        ".filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')"
        " && !el.closest('fieldset')?.querySelector('legend')).length"
    )
    return count


def test_check_a_clear_and_a_blocked_asset_and_a_malformed_vin(console: Console) -> None:
    fleet = alpha_fleet()
    forged = fleet[int(FORGED_ID[1:]) - 1]
    with chromium_page() as page:
        problems = watch_errors(page)
        sign_in(page, console.base, "ann", "/assets/check")
        assert page.get_by_role("heading", name="资产核查", exact=True).is_visible()
        assert unlabelled_fields(page) == 0
        page.evaluate("window.stillThisPage = true")  # survives an htmx swap, not a page load

        page.get_by_label("VIN（车架号）").fill(fleet[0]["vin"])
        page.get_by_label("资产类型").select_option("vehicle")
        page.get_by_role("button", name="核查", exact=True).click()
        result = page.locator("#check-result")
        result.wait_for()
        assert "通过" in page.locator("#check-result-heading").inner_text()
        assert page.evaluate("window.stillThisPage") is True
        shot(page, "asset_check_clear")

        page.get_by_label("VIN（车架号）").fill(forged["vin"])
        page.get_by_label("发票金额（元）").fill("412000")
        page.get_by_role("button", name="核查", exact=True).click()
        page.locator("#check-result .badge.bad").first.wait_for()
        shown = result.inner_text()
        assert "拒绝" in shown and "BETA" in shown and "同一资产" in shown and "不公开" in shown
        assert FORGER_LESSEE not in page.content() and FORGER_ASSET not in page.content()
        shot(page, "asset_check_block")

        typo = fleet[-1]["vin"]
        vin = page.get_by_label("VIN（车架号）")
        vin.fill(typo)
        vin.press("Enter")  # the keyboard submits the form too
        message = page.locator("#f-vin-error")
        message.wait_for()
        assert (
            message.inner_text()
            == f"VIN {typo} 校验位错误：第 9 位为 {typo[8]}，应为 {vin_check_digit(typo)}"
        )
        # Beside the field and read with it: the input points at the message.
        assert page.get_by_label("VIN（车架号）").get_attribute("aria-describedby") == "f-vin-error"
        assert page.get_by_label("VIN（车架号）").input_value() == typo
        assert "复核" in page.locator("#check-result-heading").inner_text()
        assert page.evaluate("window.stillThisPage") is True
        shot(page, "asset_check_malformed_vin")
        assert problems == [], problems


def test_upload_screen_decide_and_approve_with_maker_checker(console: Console, tmp_path: Path) -> None:
    truth = ground_truth()
    with chromium_page() as page:
        problems = watch_errors(page)
        sign_in(page, console.base, "ann", "/assets/screen")
        text_file = tmp_path / "notes.txt"
        text_file.write_text("not a table", encoding="utf-8")
        page.get_by_label("放款文件", exact=True).set_input_files(str(text_file))
        page.get_by_role("button", name="上传并筛查").click()
        page.wait_for_load_state()
        refused = page.locator("#f-file-error")
        assert refused.inner_text().startswith("notes.txt 不是 CSV 或 XLSX 文件")
        assert "还没有筛查记录" in page.inner_text("main")
        shot(page, "funding_upload_refused")

        page.get_by_label("放款文件", exact=True).set_input_files(str(funding_file(tmp_path / "funding.csv")))
        page.get_by_role("button", name="上传并筛查").click()
        page.wait_for_url("**/assets/screen/*")
        screen_url = page.url
        assert page.get_by_role("heading", name="逐项结论").is_visible()
        rows = page.locator("#assets tbody tr")
        assert rows.count() == len(truth)
        verdicts = {
            rows.nth(i).locator("td").nth(1).inner_text(): rows.nth(i).locator(".badge").inner_text()
            for i in range(rows.count())
        }
        words = {"clear": "通过", "review": "复核", "block": "拒绝"}
        assert verdicts == {asset_id: words[verdict] for asset_id, (verdict, _) in truth.items()}
        assert "asset_type" in page.locator("#rejected-rows").inner_text()
        shot(page, "funding_screen")

        with page.expect_download() as downloading:
            page.get_by_role("link", name="逐项结论（CSV）").click()
        content = Path(downloading.value.path()).read_text(encoding="utf-8-sig")
        assert {r["asset_id"]: r["verdict"] for r in csv.DictReader(io.StringIO(content))} == {
            asset_id: verdict for asset_id, (verdict, _) in truth.items()
        }

        page.get_by_role("link", name=FORGED_ID, exact=True).click()
        page.wait_for_load_state()
        assert unlabelled_fields(page) == 0
        page.get_by_label("放款", exact=True).check()
        page.get_by_role("button", name="记录决定").click()
        page.wait_for_load_state()
        assert "放款需要填写意见" in page.locator("#f-comment-error").inner_text()
        page.get_by_label("放款", exact=True).check()
        page.get_by_label("决定意见").fill("车辆与发票已现场核验，BETA 的登记系伪造")
        page.get_by_role("button", name="记录决定").click()
        page.wait_for_url("**#decisions")
        assert "待复核" in page.locator("#decisions").inner_text()
        assert page.get_by_role("button", name="复核通过：放款").count() == 0  # an analyst may not approve
        shot(page, "funding_decision_pending")
        asset_url = page.url.split("#")[0]
        sign_out(page)

        # The compliance user's own decision: they may not approve it.
        sign_in(page, console.base, "cai", asset_url.removeprefix(console.base))
        page.get_by_label("暂缓").check()
        page.get_by_label("决定意见").fill("等待 BETA 回复")
        page.get_by_role("button", name="记录决定").click()
        page.wait_for_url("**#decisions")
        approval = page.locator("#approval")
        assert "您是此决定的制单人" in approval.inner_text()
        assert approval.get_by_role("button").count() == 0
        shot(page, "funding_maker_cannot_approve")
        sign_out(page)

        sign_in(page, console.base, "cao", asset_url.removeprefix(console.base))
        page.get_by_label("复核意见（可选）").fill("同意暂缓")
        page.get_by_role("button", name="复核通过：暂缓").click()
        page.wait_for_url("**#decisions")
        decisions = page.locator("#decisions").inner_text()
        assert "已复核" in decisions and "cao" in decisions and "同意暂缓" in decisions
        assert "已被后续决定取代" in decisions  # ann's decision, replaced by cai's
        shot(page, "funding_approved")
        page.goto(f"{console.base}/assets/decisions")
        assert "没有待复核的放款决定" in page.inner_text("main")
        page.goto(screen_url)
        assert "暂缓" in page.locator("#assets").inner_text()
        sign_out(page)

        # ann decides to fund after all; cai, from compliance, declines it on the list of pending decisions.
        sign_in(page, console.base, "ann", asset_url.removeprefix(console.base))
        page.get_by_label("放款", exact=True).check()
        page.get_by_label("决定意见").fill("BETA 已撤销其登记")
        page.get_by_role("button", name="记录决定").click()
        page.wait_for_url("**#decisions")
        sign_out(page)
        sign_in(page, console.base, "cai", "/assets/decisions")
        row = page.locator("table.pending-decisions tbody tr")
        assert row.count() == 1 and FORGED_ID in row.inner_text() and "BETA 已撤销其登记" in row.inner_text()
        assert row.get_by_role("button", name=f"复核通过 {FORGED_ID}：放款").is_visible()
        assert unlabelled_fields(page) == 0
        shot(page, "funding_pending_list")
        row.get_by_role("button", name=f"驳回 {FORGED_ID}").click()  # without a reason
        page.wait_for_load_state()
        reason = page.locator("table.pending-decisions tbody tr").get_by_label("驳回理由（必填）")
        error_id = reason.get_attribute("aria-describedby")
        assert error_id and page.locator(f"#{error_id}").inner_text() == "驳回须填写理由"
        shot(page, "funding_decline_needs_reason")
        reason.fill("BETA 的撤销尚未在登记系统中生效，不能放款")
        page.locator("table.pending-decisions tbody tr").get_by_role(
            "button", name=f"驳回 {FORGED_ID}"
        ).click()
        page.wait_for_url(f"{console.base}/assets/decisions")
        assert "没有待复核的放款决定" in page.inner_text("main")
        page.goto(asset_url)
        notice = page.locator("#declined-notice")
        said = notice.inner_text()
        assert "最新的决定（放款）已于" in said and "被 cai 驳回" in said
        assert "BETA 的撤销尚未在登记系统中生效，不能放款" in said and "请作出新的决定" in said
        verdict_card = page.locator("section[aria-labelledby=asset-verdict]").inner_text()
        assert "当前放款决定：放款 · 已驳回" in " ".join(verdict_card.split())
        assert page.locator("#approval").count() == 0  # nothing waits for a checker any more
        shot(page, "funding_declined")
        # The failures logged are the three refusals: the text file, the decision without a comment and the
        # decline without a reason.
        refusal = "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
        assert problems == [refusal, refusal, refusal], problems
