"""/admin as a lessor's admin uses it, in Debian's chromium (Playwright; skipped where chromium is missing):
create a user from the navigation's 管理 page, then upload a contracts file with a bad row and read that row's
file, line, field and reason while the good rows load. Screenshots under tests/screenshots/; no script error or
blocked resource on the way, every field labelled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from browser import chromium_page, shot
from console_world import PASSWORD, Console, served_console
from leaseguard.store.db import session_factory
from leaseguard.store.models import Contract, User
from lookup_book import FIRM, PERSON

CONTRACTS = (
    "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,annual_rate,method,"
    "frequency\n"
    f"AW-1,ALPHA,{FIRM},华东物流有限公司,enterprise,2025-01-15,24,120000.00,0.06,annuity,monthly\n"
    f"AW-2,ALPHA,{PERSON},张伟,individual,2025-02-01,24,-5.00,0.06,annuity,monthly\n"
    f"AW-3,ALPHA,{PERSON},张伟,individual,2025-03-01,12,50000.00,0.06,annuity,monthly\n"
)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    with served_console(tmp_path_factory.mktemp("console-admin-browser")) as served:
        yield served


def unlabelled_inputs(page: Any) -> int:
    count: int = page.evaluate(
        "[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
        ".filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).length"
    )
    return count


def test_an_admin_creates_a_user_and_uploads_a_file_with_a_bad_row(console: Console) -> None:
    with chromium_page() as page:
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{console.base}/login")
        page.get_by_label("用户名").fill("ada")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{console.base}/")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="管理").click()
        page.wait_for_url("**/admin")
        assert unlabelled_inputs(page) == 0
        shot(page, "admin_users")

        form = page.locator("form[aria-labelledby=new-user-h]")
        form.get_by_label("用户名").fill("wen")
        form.get_by_label("角色").select_option("compliance")
        form.get_by_label("密码", exact=True).fill("short")
        form.get_by_label("再次输入密码").fill("short")
        form.get_by_role("button", name="创建用户").click()
        page.wait_for_load_state()
        assert "密码过短" in page.locator("#f-password-error").inner_text()  # beside the field
        shot(page, "admin_user_refused")
        assert problems == [
            "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
        ]
        problems.clear()  # the refused form is answered 422, as it should be
        form = page.locator("form[aria-labelledby=new-user-h]")
        form.get_by_label("密码", exact=True).fill("a long enough passphrase")
        form.get_by_label("再次输入密码").fill("a long enough passphrase")
        form.get_by_role("button", name="创建用户").click()
        page.wait_for_url("**/admin?done=created&name=wen")
        assert page.get_by_role("status").inner_text() == "已创建用户 wen。"
        assert page.get_by_role("link", name="wen", exact=True).is_visible()
        shot(page, "admin_user_created")

        page.get_by_role("navigation", name="管理各页").get_by_role("link", name="上传数据").click()
        page.wait_for_url("**/admin/imports")
        page.get_by_label("数据文件", exact=True).set_input_files(
            {"name": "contracts-2025.csv", "mimeType": "text/csv", "buffer": CONTRACTS.encode("utf-8")}
        )
        page.get_by_role("button", name="上传并导入").click()
        page.wait_for_load_state()
        assert page.locator("#import-status").inner_text() == "部分导入"
        rejected = page.locator("#row-errors tbody tr")
        assert rejected.count() == 1
        cells = rejected.first.locator("td").all_inner_texts()
        assert cells[:3] == ["contracts-2025.csv", "3", "principal"]
        assert cells[3]  # the reason in words
        shot(page, "admin_import_row_error")
        assert not problems, problems

    with session_factory(console.engine)() as session:
        wen = session.scalar(select(User).where(User.username == "wen"))
        assert wen is not None and (wen.lessor, wen.role) == ("ALPHA", "compliance")
        stored = set(session.scalars(select(Contract.contract_no).where(Contract.lessor == "ALPHA")))
    assert {"AW-1", "AW-3"} <= stored and "AW-2" not in stored
