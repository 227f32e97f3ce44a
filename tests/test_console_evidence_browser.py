"""The evidence pages as a person uses them, in Debian's chromium (Playwright; skipped where chromium is
missing): look up a record from /evidence, read it, download its bundle, upload that bundle to verify (有效),
upload a tampered copy (无效, with the reason), and upload a file that is not a bundle (a message beside the
field). Each view saves a screenshot under tests/screenshots/; no script error or blocked resource on the way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import chromium_page, shot
from console_world import PASSWORD, Console, served_console
from evidence_book import EvidenceBook, make_signer, seed_evidence, tampered


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, EvidenceBook]]:
    folder = tmp_path_factory.mktemp("console-evidence-browser")
    signer = make_signer()
    with served_console(folder, evidence_signer=signer) as served:
        yield served, seed_evidence(served.engine, signer)


def sign_in(page: Any, console: Console, username: str = "ann") -> None:
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


def verify(page: Any, file: Path) -> None:
    page.get_by_label("证据包", exact=True).set_input_files(str(file))
    page.get_by_role("button", name="验证", exact=True).click()
    page.wait_for_load_state()


def test_look_up_download_and_verify_a_bundle_then_a_tampered_one(
    world: tuple[Console, EvidenceBook], tmp_path: Path
) -> None:
    console, book = world
    index = book.contract_index["AL-2024-012"]
    with chromium_page() as page:
        problems = watch(page)
        sign_in(page, console)
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="证据").click()
        page.wait_for_url("**/evidence")
        assert "最新签名检查点" in page.locator("#checkpoint").inner_text()
        assert page.locator("#recent tbody tr").count() == 20
        assert unlabelled_inputs(page) == 0
        shot(page, "evidence")

        page.get_by_label("记录编号或引用").fill("contract:AL-2024-01")
        page.get_by_role("button", name="查找").click()
        page.wait_for_url("**/evidence?q=*")
        assert page.locator("#found tbody tr").count() == 10
        shot(page, "evidence_reference")

        page.locator("#found").get_by_role("link", name=str(index), exact=True).click()
        page.wait_for_url(f"**/evidence/records/{index}")
        assert page.get_by_role("heading", name=f"证据记录 {index}").is_visible()
        assert "已包含" in page.locator("#inclusion").inner_text()
        assert "华东物流有限公司" in page.locator("#payload").inner_text()
        shot(page, "evidence_record")

        with page.expect_download() as downloading:
            page.get_by_role("link", name="下载证据包（.zip）").click()
        assert downloading.value.suggested_filename == f"evidence-{index}.zip"
        bundle = tmp_path / downloading.value.suggested_filename
        downloading.value.save_as(str(bundle))

        page.goto(f"{console.base}/evidence")
        page.get_by_role("link", name="验证证据包 →").click()
        page.wait_for_url("**/evidence/verify")
        assert unlabelled_inputs(page) == 0
        verify(page, bundle)
        verdict = page.locator("#verdict")
        assert verdict.get_by_text("有效", exact=True).is_visible()
        assert "contract:AL-2024-012" in verdict.inner_text()
        shot(page, "evidence_verify_valid")

        altered = tmp_path / "altered.zip"
        altered.write_bytes(tampered(bundle.read_bytes()))
        verify(page, altered)
        verdict = page.locator("#verdict")
        assert verdict.get_by_text("无效", exact=True).is_visible()
        assert "内容已被改动" in verdict.inner_text()
        shot(page, "evidence_verify_invalid")
        assert problems == [], problems  # the refusal below is a 422, which chromium logs as a failed load

        not_zip = tmp_path / "notes.zip"
        not_zip.write_text("not a bundle", encoding="utf-8")
        verify(page, not_zip)
        assert "notes.zip 不是 zip 文件" in page.locator("#f-file-error").inner_text()
        assert page.locator("#verdict").count() == 0
        shot(page, "evidence_verify_refused")


def test_another_lessors_record_is_the_404_page(world: tuple[Console, EvidenceBook]) -> None:
    console, book = world
    with chromium_page() as page:
        sign_in(page, console)
        answer = page.goto(f"{console.base}/evidence/records/{book.beta_index}")
        assert answer is not None and answer.status == 404
        assert "BETA-ONLY" not in page.inner_text("body")
        shot(page, "evidence_foreign_404")
