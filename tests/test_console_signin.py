"""The console's sign-in over real HTTP (uvicorn, a SQLite store): sessions, CSRF, lockout, the sign-in record,
time limits, roles and lessors, HTML error pages beside the API's problem+json."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from console_world import PASSWORD, Console, alerts, csrf_of, served_console, signed_in
from leaseguard.console import auth
from leaseguard.store.db import session_factory
from leaseguard.store.models import ConsoleSession, SignInEvent, User
from leaseguard.usecases import people


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    with served_console(tmp_path) as served:
        yield served


def events(console: Console) -> list[tuple[str, str]]:
    with session_factory(console.engine)() as session:
        rows = session.scalars(select(SignInEvent).order_by(SignInEvent.id))
        return [(row.username, row.outcome) for row in rows]


def test_a_page_without_a_session_goes_to_login_and_comes_back_after(console: Console) -> None:
    client = console.browser()
    sent = client.get("/imports")
    assert sent.status_code == 303 and sent.headers["location"] == "/login?next=%2Fimports"
    form = client.get(sent.headers["location"])
    assert form.status_code == 200 and "请先登录。" in form.text
    assert 'name="next" value="/imports"' in form.text
    cookie = form.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    answer = client.post(
        "/login",
        data={"username": "CAI", "password": PASSWORD, "csrf_token": csrf_of(form), "next": "/imports"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/imports"
    page = client.get("/imports")
    assert page.status_code == 200 and "alpha-contracts.csv" in page.text
    assert "beta-contracts.csv" not in page.text  # a user sees only their lessor
    assert events(console) == [("cai", "signed_in")]


@pytest.mark.parametrize(
    "elsewhere", ["https://example.com/", "//example.com/x", "/\\example.com", "javascript:x"]
)
def test_next_is_only_ever_a_path_on_this_site(console: Console, elsewhere: str) -> None:
    client = console.browser()
    form = client.get("/login", params={"next": elsewhere})
    assert f'value="{elsewhere}"' not in form.text
    answer = client.post(
        "/login",
        data={"username": "ann", "password": PASSWORD, "csrf_token": csrf_of(form), "next": elsewhere},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_a_wrong_password_is_refused_on_the_page_in_either_language(console: Console) -> None:
    client = console.browser()
    form = client.get("/login")
    wrong = client.post("/login", data={"username": "ann", "password": "not it", "csrf_token": csrf_of(form)})
    assert wrong.status_code == 422
    assert alerts(wrong) == ["用户名或密码错误。"]
    assert 'value="ann"' in wrong.text and "not it" not in wrong.text  # the name is kept, the password never
    unknown = client.post(
        "/login", data={"username": "nobody", "password": "x" * 12, "csrf_token": csrf_of(form)}
    )
    assert alerts(unknown) == alerts(wrong)  # an unknown name reads the same: no probing for usernames
    switched = client.post("/lang", data={"lang": "en", "next": "/login", "csrf_token": csrf_of(form)})
    assert switched.status_code == 303
    english = client.post(
        "/login", data={"username": "ann", "password": "not it", "csrf_token": csrf_of(form)}
    )
    assert alerts(english) == ["The username or password is wrong."]
    empty = client.post("/login", data={"username": "", "password": "", "csrf_token": csrf_of(form)})
    assert empty.status_code == 422 and empty.text.count("Please fill this in.") == 2
    assert 'aria-invalid="true"' in empty.text
    assert events(console) == [("ann", "bad_password"), ("nobody", "unknown_user"), ("ann", "bad_password")]


def test_five_failures_lock_the_account_even_against_the_right_password(console: Console) -> None:
    client = console.browser()
    token = csrf_of(client.get("/login"))
    for _ in range(4):
        answer = client.post(
            "/login", data={"username": "ann", "password": "guess-guess", "csrf_token": token}
        )
        assert alerts(answer) == ["用户名或密码错误。"]
    fifth = client.post("/login", data={"username": "ann", "password": "guess-guess", "csrf_token": token})
    assert alerts(fifth)[0].startswith("登录失败次数过多，账户已锁定，请于 ")
    right = client.post("/login", data={"username": "ann", "password": PASSWORD, "csrf_token": token})
    assert right.status_code == 422 and alerts(right)[0].startswith("登录失败次数过多")
    assert client.get("/").status_code == 303  # still not signed in
    with session_factory(console.engine)() as session:
        user = session.scalar(select(User).where(User.username == "ann"))
        assert user is not None and user.locked_until is not None
        locked_for = user.locked_until.replace(tzinfo=dt.UTC) - dt.datetime.now(dt.UTC)
        assert dt.timedelta(minutes=14) < locked_for <= dt.timedelta(minutes=15)
        assert session.scalar(select(func.count()).select_from(ConsoleSession)) == 0
    assert events(console) == [("ann", "bad_password")] * 5 + [("ann", "locked")]
    # Other people are not locked out by ann's failures.
    signed_in(console, "cai")


def test_the_lock_lifts_after_its_time(console: Console) -> None:
    policy = people.PeoplePolicy(max_failed_sign_ins=5, lockout_minutes=15)
    start = dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.UTC)
    with session_factory(console.engine)() as session, session.begin():
        for minute in range(5):
            people.sign_in(session, "ann", "wrong", policy=policy, now=start + dt.timedelta(minutes=minute))
        during = people.sign_in(session, "ann", PASSWORD, policy=policy, now=start + dt.timedelta(minutes=18))
        assert during.outcome == people.LOCKED
        until = (start + dt.timedelta(minutes=19)).astimezone()
        assert during.message("en") == f"Too many failed sign-ins: the account is locked until {until:%H:%M}."
        after = people.sign_in(session, "ann", PASSWORD, policy=policy, now=start + dt.timedelta(minutes=20))
        assert after.succeeded
        assert people.get_user(session, "ann").failed_sign_ins == 0


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(console: Console) -> None:
    client = console.browser()
    form = client.get("/login")
    forged = client.post("/login", data={"username": "ann", "password": PASSWORD})
    assert forged.status_code == 403
    assert alerts(forged) == ["表单已过期或不是从本站提交的，未做任何更改。请刷新页面后重试。"]
    assert events(console) == []  # not even counted as an attempt
    wrong_token = client.post(
        "/login", data={"username": "ann", "password": PASSWORD, "csrf_token": "x" * 43}
    )
    assert wrong_token.status_code == 403 and events(console) == []
    client = signed_in(console, "ann")
    page = client.get("/")
    token = csrf_of(page)
    assert token != csrf_of(form)  # a new token once signed in
    # Sign-out and the language switch without the token: refused with the message, nothing changed.
    for path, data in (("/logout", {}), ("/lang", {"lang": "en", "next": "/"})):
        refused = client.post(path, data=data)
        assert refused.status_code == 403, path
        assert "表单已过期或不是从本站提交的" in refused.text
    with session_factory(console.engine)() as session:
        assert session.scalar(select(User.lang).where(User.username == "ann")) is None
        assert session.scalar(select(ConsoleSession.ended_at)) is None
    assert client.get("/").status_code == 200  # still signed in
    # The token from before signing in no longer works; htmx's header form of the token does.
    assert client.post("/lang", data={"lang": "en", "csrf_token": csrf_of(form)}).status_code == 403
    moved = client.post("/lang", data={"lang": "en", "next": "/"}, headers={"X-CSRF-Token": token})
    assert moved.status_code == 303
    assert '<html lang="en">' in client.get("/").text


def test_sign_out_ends_the_session_on_the_server(console: Console) -> None:
    client = signed_in(console, "ann")
    stolen = dict(client.cookies)
    token = csrf_of(client.get("/"))
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert "您已退出登录。" in client.get("/login").text
    assert client.get("/").status_code == 303
    # The cookie as it was before signing out opens nothing either.
    replay = console.browser()
    replay.cookies.update(stolen)
    assert replay.get("/").status_code == 303
    assert events(console) == [("ann", "signed_in"), ("ann", "signed_out")]


def test_an_idle_session_expires_back_to_login(console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    client = signed_in(console, "cai")
    assert client.get("/imports").status_code == 200
    real_clock = auth.now_seconds
    monkeypatch.setattr(auth, "now_seconds", lambda: real_clock() + 29 * 60)
    assert client.get("/imports").status_code == 200  # activity restarts the idle clock
    monkeypatch.setattr(auth, "now_seconds", lambda: real_clock() + 29 * 60 + 31 * 60)
    expired = client.get("/imports")
    assert expired.status_code == 303 and expired.headers["location"] == "/login?next=%2Fimports"
    login = client.get(expired.headers["location"])
    assert "会话已超时，请重新登录。" in login.text
    with session_factory(console.engine)() as session:
        assert session.scalar(select(ConsoleSession.ended_at)) is not None
    # An htmx request is sent to the sign-in page as a whole page.
    again = signed_in(console, "cai")
    monkeypatch.setattr(auth, "now_seconds", lambda: real_clock() + 13 * 3600)  # past the 12-hour limit
    partial = again.get("/imports", headers={"HX-Request": "true"})
    assert partial.headers.get("HX-Redirect", "").startswith("/login")


def test_disabling_a_user_ends_their_session(console: Console) -> None:
    client = signed_in(console, "ann")
    with session_factory(console.engine)() as session, session.begin():
        people.disable_user(session, "ann")
    assert client.get("/").status_code == 303


def test_a_role_without_the_action_neither_sees_nor_opens_the_page(console: Console) -> None:
    analyst = signed_in(console, "ann")
    overview = analyst.get("/")
    assert overview.status_code == 200 and 'href="/imports"' not in overview.text
    refused = analyst.get("/imports")
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    assert alerts(refused) == ["您的角色无权打开此页面或执行此操作。"]
    assert analyst.get(f"/imports/{console.alpha_run}").status_code == 403
    compliance = signed_in(console, "cai")
    assert 'href="/imports"' in compliance.get("/").text


def test_another_lessors_record_is_a_404_page_like_a_missing_one(console: Console) -> None:
    client = signed_in(console, "cai")
    own = client.get(f"/imports/{console.alpha_run}")
    assert own.status_code == 200 and "alpha-contracts.csv" in own.text
    foreign = client.get(f"/imports/{console.beta_run}")
    missing = client.get("/imports/999999")
    assert foreign.status_code == missing.status_code == 404
    assert "beta-contracts.csv" not in foreign.text
    assert alerts(foreign) == [f"没有导入记录 {console.beta_run}"]
    assert client.get("/imports/abc").status_code == 404
    nowhere = client.get("/no/such/page")
    assert nowhere.status_code == 404 and "text/html" in nowhere.headers["content-type"]
    assert alerts(nowhere) == ["没有这个页面，或它不属于您所在的出租人。"]
    assert 'href="/imports"' in nowhere.text  # the navigation of the user signed in
    beta = signed_in(console, "bea")
    assert "beta-contracts.csv" in beta.get(f"/imports/{console.beta_run}").text


def test_the_api_keeps_problem_json_and_api_keys(console: Console) -> None:
    client = signed_in(console, "ann")
    # A console session is not an API credential.
    assert client.get("/v1/me").status_code == 401
    assert client.get("/v1/me").headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/nowhere").headers["content-type"].startswith("application/problem+json")
    me = httpx.get(f"{console.base}/v1/me", headers={"Authorization": f"Bearer {console.api_key}"})
    assert me.status_code == 200 and me.json()["lessor"] == "ALPHA"
    assert "set-cookie" not in me.headers
    plain = httpx.get(f"{console.base}/no/such/page")  # not a browser: problem+json as before
    assert plain.status_code == 404 and plain.headers["content-type"].startswith("application/problem+json")
    schema = httpx.get(f"{console.base}/openapi.json").json()
    assert not any(path in schema["paths"] for path in ("/login", "/logout", "/", "/imports"))
