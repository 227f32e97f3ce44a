"""The console's /admin (issue 19), for a lessor's admin only: its users (create with a role, disable and
enable, reset a password — usecases.people), its API keys (the secret shown once; revoke), its settings (the
regime, the party details) and data uploads (usecases.data_import.load_files for the admin's lessor: the good
rows load and each bad row is listed). Every form is checked on the server with the message beside the field;
another lessor's user or key is the 404 page; other roles get 403 and no navigation item."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from console_world import PASSWORD, Console, alerts, csrf_of, seed, served_console, signed_in
from leaseguard.store.db import session_factory
from leaseguard.store.models import ApiKey, Contract, ImportRun, Lessor, User
from leaseguard.tenancy import authenticate, create_key
from leaseguard.usecases import people
from lookup_book import FIRM, PERSON

NEW_PASSWORD = "another long passphrase"
ALPHA_USCC = "91310000MA1K000019"  # a valid unified social credit code
CONTRACTS_HEADER = (
    "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,annual_rate,method,"
    "frequency\n"
)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    with served_console(tmp_path_factory.mktemp("console-admin")) as served:
        seed(served.engine)  # A-1…A-4 at ALPHA, B-1 at BETA
        with session_factory(served.engine)() as session, session.begin():
            for name, lessor, role in (("dan", "ALPHA", "analyst"), ("bob", "BETA", "admin")):
                people.create_user(
                    session,
                    username=name,
                    lessor=lessor,
                    role=role,
                    password=PASSWORD,
                    policy=people.PeoplePolicy(),
                )
        yield served


@pytest.fixture(scope="module")
def ada(console: Console) -> Iterator[httpx.Client]:
    with closing(signed_in(console, "ada")) as client:
        yield client


def field_error(page: httpx.Response, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="f-{name}-error"[^>]*>([^<]*)</p>', page.text)
    return html.unescape(found.group(1)) if found else ""


def post(client: httpx.Client, path: str, form_page: str, **data: str) -> httpx.Response:
    return client.post(path, data={"csrf_token": csrf_of(client.get(form_page)), **data})


def user_row(console: Console, username: str) -> User | None:
    with session_factory(console.engine)() as session:
        return session.scalar(select(User).where(User.username == username))


# --- who may --------------------------------------------------------------------------------------------------


def test_only_admins_see_and_open_the_admin_pages(console: Console, ada: httpx.Client) -> None:
    assert '<a href="/admin">管理</a>' in ada.get("/").text
    for username in ("ann", "cai"):
        with closing(signed_in(console, username)) as client:
            assert '<a href="/admin"' not in client.get("/").text
            for path in ("/admin", "/admin/keys", "/admin/lessor", "/admin/imports", "/admin/users/ann"):
                assert client.get(path).status_code == 403, path
            token = csrf_of(client.get("/"))
            made = client.post(
                "/admin/users",
                data={"csrf_token": token, "username": "mallory", "role": "admin", "password": NEW_PASSWORD,
                      "password_again": NEW_PASSWORD},
            )  # fmt: skip
            assert made.status_code == 403
    assert user_row(console, "mallory") is None


# --- users ----------------------------------------------------------------------------------------------------


def test_the_admin_lists_the_users_of_its_lessor_only(ada: httpx.Client) -> None:
    page = ada.get("/admin")
    assert page.status_code == 200
    listed = re.findall(r'<a href="/admin/users/([^"]+)">', page.text)
    assert set(listed) == {"ann", "cai", "ada", "dan"} | ({"eva"} & set(listed))
    assert "bea" not in listed and "bob" not in listed


def test_creating_a_user_with_a_role(console: Console, ada: httpx.Client) -> None:
    made = post(ada, "/admin/users", "/admin", username="Eva", role="legal", password=NEW_PASSWORD,
                password_again=NEW_PASSWORD)  # fmt: skip
    assert made.status_code == 303, alerts(made)
    assert made.headers["location"].startswith("/admin?done=created")
    assert "已创建用户 eva" in ada.get(made.headers["location"]).text
    # The message names only a user the page lists: a link cannot make the page say anything else.
    assert "已创建用户" not in ada.get("/admin", params={"done": "created", "name": "转账到某账户"}).text
    row = user_row(console, "eva")
    assert row is not None and (row.lessor, row.role, row.disabled) == ("ALPHA", "legal", False)
    with closing(signed_in(console, "eva", NEW_PASSWORD)) as eva:
        assert eva.get("/cases").status_code == 200  # a lawyer of ALPHA


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"username": "", "role": "analyst"}, "username", "请填写此项"),
        ({"username": "-bad name", "role": "analyst"}, "username", "用户名 '-bad name' 无效"),
        (
            {"username": "bea", "role": "analyst"},
            "username",
            "用户 bea 已存在",
        ),  # names are unique everywhere
        ({"username": "fay", "role": "root"}, "role", "请选择角色"),
        ({"username": "fay", "role": "analyst", "password": "short"}, "password", "密码过短"),
        (
            {"username": "fay", "role": "analyst", "password_again": "something else"},
            "password_again",
            "不一致",
        ),
    ],
)
def test_a_refused_user_is_said_beside_its_field_and_nothing_is_made(
    console: Console, ada: httpx.Client, form: dict[str, str], field: str, message: str
) -> None:
    data = {"password": NEW_PASSWORD, "password_again": form.get("password", NEW_PASSWORD), **form}
    page = post(ada, "/admin/users", "/admin", **data)
    assert page.status_code == 422
    assert message in field_error(page, field)
    assert f'id="f-{field}"' in page.text and 'aria-invalid="true"' in page.text
    assert user_row(console, "fay") is None
    with session_factory(console.engine)() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.username == "bea")) == 1


def test_a_form_without_its_csrf_token_changes_nothing(console: Console, ada: httpx.Client) -> None:
    refused = ada.post(
        "/admin/users",
        data={"username": "gus", "role": "admin", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert refused.status_code == 403 and "表单已过期" in refused.text
    assert user_row(console, "gus") is None


def test_disabling_enabling_and_resetting_a_password(console: Console, ada: httpx.Client) -> None:
    dan = signed_in(console, "dan")
    try:
        disabled = post(ada, "/admin/users/dan/disable", "/admin/users/dan")
        assert disabled.status_code == 303
        assert "已停用用户 dan" in ada.get(disabled.headers["location"]).text
        assert dan.get("/").status_code == 303  # the session ended at once
        row = user_row(console, "dan")
        assert row is not None and row.disabled
        enabled = post(ada, "/admin/users/dan/enable", "/admin/users/dan")
        assert enabled.status_code == 303
        row = user_row(console, "dan")
        assert row is not None and not row.disabled
        differ = post(ada, "/admin/users/dan/password", "/admin/users/dan", password=NEW_PASSWORD,
                      password_again="not the same one")  # fmt: skip
        assert differ.status_code == 422 and "不一致" in field_error(differ, "password_again")
        reset = post(ada, "/admin/users/dan/password", "/admin/users/dan", password=NEW_PASSWORD,
                     password_again=NEW_PASSWORD)  # fmt: skip
        assert reset.status_code == 303
        with closing(signed_in(console, "dan", NEW_PASSWORD)):
            pass
    finally:
        dan.close()


def test_an_admin_cannot_disable_themself(console: Console, ada: httpx.Client) -> None:
    page = ada.get("/admin/users/ada")
    assert "停用此用户" not in page.text
    refused = post(ada, "/admin/users/ada/disable", "/admin/users/ada")
    assert refused.status_code == 422 and "不能停用自己的账户" in refused.text
    row = user_row(console, "ada")
    assert row is not None and not row.disabled
    assert ada.get("/admin").status_code == 200


def test_another_lessors_user_is_not_there(console: Console, ada: httpx.Client) -> None:
    token = csrf_of(ada.get("/admin"))
    assert ada.get("/admin/users/bea").status_code == 404
    assert ada.get("/admin/users/nobody").status_code == 404
    for action, extra in (("disable", {}), ("enable", {}), ("password", {"password": NEW_PASSWORD,
                                                                         "password_again": NEW_PASSWORD})):  # fmt: skip
        answer = ada.post(f"/admin/users/bea/{action}", data={"csrf_token": token, **extra})
        assert answer.status_code == 404, action
    row = user_row(console, "bea")
    assert row is not None and not row.disabled
    with closing(signed_in(console, "bea")):  # the password is unchanged
        pass


# --- API keys -------------------------------------------------------------------------------------------------


def test_a_key_is_shown_once_works_and_is_revoked(console: Console, ada: httpx.Client) -> None:
    made = post(ada, "/admin/keys", "/admin/keys", role="analyst", label="核心系统")
    assert made.status_code == 200
    secret = re.search(r'<code id="issued-secret">([^<]+)</code>', made.text)
    assert secret, made.text[:800]
    key = html.unescape(secret.group(1))
    prefix = key.split("_")[1]
    with session_factory(console.engine)() as session:
        principal = authenticate(session, key)
        assert principal is not None and (principal.lessor, principal.role) == ("ALPHA", "analyst")
        assert key not in {row.secret_hash for row in session.scalars(select(ApiKey))}
    with httpx.Client(base_url=console.base) as api:
        assert api.get("/v1/contracts/A-1", headers={"X-API-Key": key}).status_code == 200
    listing = ada.get("/admin/keys")
    assert prefix in listing.text and key not in listing.text and "核心系统" in listing.text
    revoked = post(ada, f"/admin/keys/{prefix}/revoke", "/admin/keys")
    assert revoked.status_code == 303
    assert "已吊销 " in ada.get("/admin/keys").text
    with session_factory(console.engine)() as session:
        assert authenticate(session, key) is None


def test_keys_of_another_lessor_are_neither_listed_nor_revoked(console: Console, ada: httpx.Client) -> None:
    with session_factory(console.engine)() as session, session.begin():
        beta = create_key(session, lessor="BETA", role="admin")
    assert beta.prefix not in ada.get("/admin/keys").text
    answer = post(ada, f"/admin/keys/{beta.prefix}/revoke", "/admin/keys")
    assert answer.status_code == 404
    with session_factory(console.engine)() as session:
        assert authenticate(session, beta.key) is not None


def test_a_refused_key_is_said_beside_its_field(console: Console, ada: httpx.Client) -> None:
    with session_factory(console.engine)() as session:
        before = session.scalar(select(func.count()).select_from(ApiKey))
    bad_role = post(ada, "/admin/keys", "/admin/keys", role="superuser")
    assert bad_role.status_code == 422 and "请选择角色" in field_error(bad_role, "role")
    long_label = post(ada, "/admin/keys", "/admin/keys", role="analyst", label="长" * 201)
    assert long_label.status_code == 422 and "200" in field_error(long_label, "label")
    with session_factory(console.engine)() as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == before


# --- the lessor's settings ------------------------------------------------------------------------------------


def test_the_lessors_settings(console: Console, ada: httpx.Client) -> None:
    page = ada.get("/admin/lessor")
    assert "ALPHA" in page.text and "Alpha Leasing" in page.text
    assert "未设置（指标用 leasing-indicators-trial 规则集）" in page.text
    bad = post(ada, "/admin/lessor", "/admin/lessor", regime="financial_leasing", uscc="12345")
    assert bad.status_code == 422 and "不是有效的统一社会信用代码" in field_error(bad, "uscc")
    no_regime = post(ada, "/admin/lessor", "/admin/lessor", regime="bank")
    assert no_regime.status_code == 422 and "请选择监管类别" in field_error(no_regime, "regime")
    with session_factory(console.engine)() as session:
        assert not (session.get(Lessor, "ALPHA").extra or {})  # type: ignore[union-attr]
    saved = post(ada, "/admin/lessor", "/admin/lessor", regime="financial_leasing", uscc=ALPHA_USCC,
                 address="上海市浦东新区世纪大道 1 号")  # fmt: skip
    assert saved.status_code == 303
    shown = ada.get(saved.headers["location"])
    assert "金融租赁公司（国家金融监督管理总局）" in shown.text and "已保存出租人设置" in shown.text
    with session_factory(console.engine)() as session:
        alpha, beta = session.get(Lessor, "ALPHA"), session.get(Lessor, "BETA")
        assert alpha is not None and alpha.extra == {
            "regime": "financial_leasing", "uscc": ALPHA_USCC, "address": "上海市浦东新区世纪大道 1 号"
        }  # fmt: skip
        assert beta is not None and beta.extra == {"regime": "financial_leasing"}  # BETA's own, untouched


# --- uploads --------------------------------------------------------------------------------------------------


def upload(client: httpx.Client, name: str, body: str) -> httpx.Response:
    token = csrf_of(client.get("/admin/imports"))
    return client.post(
        "/admin/imports",
        data={"csrf_token": token},
        files={"file": (name, body.encode("utf-8"), "text/csv")},
    )


def contract_lessors(console: Console) -> dict[str, str]:
    with session_factory(console.engine)() as session:
        return {
            number: lessor
            for number, lessor in session.execute(select(Contract.contract_no, Contract.lessor))
        }


def test_an_upload_loads_the_good_rows_and_lists_each_bad_one(console: Console, ada: httpx.Client) -> None:
    rows = [
        f"AU-1,ALPHA,{FIRM},华东物流有限公司,enterprise,2025-01-15,24,120000.00,0.06,annuity,monthly",
        f"AU-2,ALPHA,{PERSON},张伟,individual,2025-13-01,24,80000.00,0.06,annuity,monthly",  # no 13th month
        f"AU-3,ALPHA,{PERSON},张伟,individual,2025-02-01,12,50000.00,0.06,annuity,monthly",
        f"AU-4,BETA,{PERSON},张伟,individual,2025-02-01,12,50000.00,0.06,annuity,monthly",  # not the admin's
        f"B-1,ALPHA,{PERSON},张伟,individual,2025-02-01,12,50000.00,0.06,annuity,monthly",  # BETA's number
    ]
    page = upload(ada, "contracts-dec.csv", CONTRACTS_HEADER + "\n".join(rows) + "\n")
    assert page.status_code == 200, alerts(page)
    assert "部分导入" in page.text
    errors = re.findall(
        r"<tr><td>([^<]*)</td><td class=\"num\">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", page.text
    )
    by_line = {int(line): (file, column, html.unescape(reason)) for file, line, column, reason in errors}
    assert set(by_line) == {3, 5, 6}
    assert by_line[3][:2] == ("contracts-dec.csv", "start_date")
    assert by_line[5][1] == "lessor" and "未知出租人 'BETA'" in by_line[5][2]
    assert by_line[6][1] == "contract_no"
    stored = contract_lessors(console)
    assert stored["AU-1"] == stored["AU-3"] == "ALPHA"
    assert "AU-2" not in stored and "AU-4" not in stored
    assert stored["B-1"] == "BETA"  # never taken over
    with session_factory(console.engine)() as session:
        run = session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
        assert run is not None
        assert (run.file_name, run.lessor, run.status, run.rows_inserted, run.rows_rejected) == (
            "contracts-dec.csv", "ALPHA", "partial", 2, 3
        )  # fmt: skip
    assert "contracts-dec.csv" in ada.get("/imports").text


def test_payments_of_another_lessors_contract_are_rejected(console: Console, ada: httpx.Client) -> None:
    body = "contract_no,paid_date,amount\nA-1,2025-03-01,100.00\nB-1,2025-03-01,999.00\n"
    page = upload(ada, "payments.csv", body)
    assert page.status_code == 200
    assert "contract_no 'B-1' 不在库中" in html.unescape(page.text)
    with console.engine.connect() as connection:
        paid = dict(connection.exec_driver_sql("select contract_no, count(*) from payments group by 1").all())
    assert paid.get("A-1") == 1 and "B-1" not in paid


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("contracts.txt", CONTRACTS_HEADER, "不是 CSV 或 XLSX 文件"),
        ("lessors.csv", "code,name\nZED,Zed Leasing\n", "此处只导入本出租人的"),
        ("notes.csv", "a,b\n1,2\n", "无法判断 notes.csv 是哪类数据"),
    ],
)
def test_a_file_refused_whole_loads_nothing(
    console: Console, ada: httpx.Client, name: str, body: str, message: str
) -> None:
    with session_factory(console.engine)() as session:
        runs = session.scalar(select(func.count()).select_from(ImportRun))
    page = upload(ada, name, body)
    assert page.status_code == 422
    assert message in field_error(page, "file")
    with session_factory(console.engine)() as session:
        assert session.scalar(select(func.count()).select_from(ImportRun)) == runs
        assert session.get(Lessor, "ZED") is None


def test_an_upload_without_a_file_is_said_beside_the_field(ada: httpx.Client) -> None:
    token = csrf_of(ada.get("/admin/imports"))
    page = ada.post("/admin/imports", data={"csrf_token": token}, files={"other": ("x", b"", "text/plain")})
    assert page.status_code == 422 and "请选择要上传的数据文件" in field_error(page, "file")


def test_the_upload_takes_the_workspaces_term_limit(tmp_path: Path) -> None:
    """An admin's upload is checked against `import.max_term_months` of the workspace the server runs in."""
    import yaml

    from leaseguard.console.settings import console_settings
    from leaseguard.workspace import find_workspace, init_workspace

    workspace = init_workspace(tmp_path / "ws")
    assert console_settings(workspace).max_term_months == 240
    config = workspace.root / "leaseguard.yaml"
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["import"]["max_term_months"] = 12
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    limited = console_settings(find_workspace(workspace.root))
    assert limited.max_term_months == 12
    (tmp_path / "served").mkdir()
    with served_console(tmp_path / "served", settings=limited) as served:
        seed(served.engine)
        with closing(signed_in(served, "ada")) as client:
            rows = [
                f"AT-1,ALPHA,{FIRM},华东物流有限公司,enterprise,2025-01-15,12,120000.00,0.06,annuity,monthly",
                f"AT-2,ALPHA,{FIRM},华东物流有限公司,enterprise,2025-01-15,24,120000.00,0.06,annuity,monthly",
            ]
            page = upload(client, "contracts-term.csv", CONTRACTS_HEADER + "\n".join(rows) + "\n")
    assert page.status_code == 200, alerts(page)
    assert "期限 24 个月不合理（超过 12 个月" in html.unescape(page.text)
    stored = contract_lessors(served)
    assert "AT-1" in stored and "AT-2" not in stored
