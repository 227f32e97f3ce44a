"""/indicators as a compliance officer uses it, in Debian's chromium (Playwright; skipped where chromium is
missing): upload the balance-sheet workbook, read the indicators with the breach marked, try a what-if, file
the report and download its PDF and HTML. Each view saves a screenshot under tests/screenshots/; no script error or
blocked resource on the way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from browser import chromium_page, shot
from console_world import DAY, PASSWORD, Console, balance_sheet_workbook, seed_indicators, served_console
from leaseguard.console.settings import ConsoleSettings
from lookup_book import new_signer


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, Path]]:
    folder = tmp_path_factory.mktemp("console-indicators-browser")
    settings = ConsoleSettings(reports_dir=folder / "reports", balance_sheets_dir=folder / "balance-sheets")
    with served_console(folder, evidence_signer=new_signer(), settings=settings) as served:
        seed_indicators(served.engine)
        yield served, folder


def test_upload_the_balance_sheet_file_the_report_and_download_it(
    world: tuple[Console, Path], tmp_path: Path
) -> None:
    console, _folder = world
    workbook = balance_sheet_workbook(console.engine, "ALPHA", DAY, tmp_path / f"资产负债表-{DAY}.xlsx")
    with chromium_page() as page:
        problems: list[str] = []
        page.on(
            "console",
            lambda message: (
                problems.append(f"{message.text} ({message.location['url']})")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{console.base}/login")
        page.get_by_label("用户名").fill("cai")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{console.base}/")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="监管指标").click()
        page.wait_for_url("**/indicators")
        assert "还没有资产负债表" in page.locator("#day").inner_text()

        page.get_by_label("填好的工作簿").set_input_files(str(workbook))
        page.get_by_role("button", name="上传", exact=True).click()
        page.wait_for_url("**/indicators?as_of=*")
        assert "已保存" in page.get_by_role("status").first.inner_text()
        breach = page.locator("#ind-interbank_borrowing")
        assert "超限" in breach.inner_text() and "同业拆入比例" in breach.inner_text()
        assert page.locator("svg.bar").count() >= 10
        shot(page, "indicators")

        what_if = page.locator("#what-if")
        what_if.get_by_label("承租人证件号").fill("NEW-LESSEE")
        what_if.get_by_label("投放金额（元）").fill("300,000.00")
        what_if.get_by_role("button", name="测算").click()
        page.locator("#wi-financial_leverage_multiple").wait_for()
        assert "项指标变动" in page.locator("#what-if").inner_text()
        shot(page, "indicators_what_if")

        page.locator("#reports").get_by_role("button", name="报送", exact=True).click()
        page.wait_for_url("**/indicators?as_of=*&filed=*")
        assert "已报送" in page.get_by_role("status").first.inner_text()
        row = page.locator("#reports tbody tr").first
        assert DAY.isoformat() in row.inner_text()
        shot(page, "indicators_filed")

        with page.expect_download() as downloading:
            row.get_by_role("link", name="PDF").click()
        download = downloading.value
        assert download.suggested_filename == f"regulatory-nfra-2024-ALPHA-{DAY.isoformat()}.pdf"
        saved = tmp_path / download.suggested_filename
        download.save_as(str(saved))
        assert saved.read_bytes().startswith(b"%PDF-")

        with page.expect_download() as downloading:
            row.get_by_role("link", name="网页（HTML）").click()
        report = tmp_path / downloading.value.suggested_filename
        downloading.value.save_as(str(report))
        # The filed report as its reader opens it.
        page.goto(report.resolve().as_uri())
        assert "同业拆入比例" in page.inner_text("body")
        shot(page, "indicators_filed_report")
    assert problems == [], problems
