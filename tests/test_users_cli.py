"""`leaseguard users …` on a real workspace (SQLite store), through the Typer app: people are made, listed,
disabled, let in again and given new passwords; passwords are kept as Argon2id hashes, never in the clear."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from leaseguard.cli.main import app
from leaseguard.store.db import session_factory
from leaseguard.store.models import ConsoleSession, SignInEvent, User
from leaseguard.tenancy import add_lessor
from leaseguard.usecases import people
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, init_workspace

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a new and different passphrase"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv(HOME_ENV, raising=False)
    opened = init_workspace(tmp_path / "ws")
    engine = opened.engine()
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "ALPHA", "Alpha Leasing")
        add_lessor(session, "BETA", "Beta Leasing")
    engine.dispose()
    return opened


def run(workspace: Workspace, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, [*args, "-w", str(workspace.root)], input=input)


def password_file(folder: Path, password: str, name: str = "password.txt") -> Path:
    path = folder / name
    path.write_text(password + "\n", encoding="utf-8")
    return path


def stored_user(workspace: Workspace, username: str) -> User | None:
    engine = workspace.engine()
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(User).where(User.username == username))
    finally:
        engine.dispose()


def sign_in(workspace: Workspace, username: str, password: str) -> people.SignIn:
    engine = workspace.engine()
    try:
        with session_factory(engine)() as session, session.begin():
            return people.sign_in(session, username, password, policy=people.PeoplePolicy(), client="test")
    finally:
        engine.dispose()


def test_create_stores_an_argon2_hash_and_the_password_signs_in(workspace: Workspace, tmp_path: Path) -> None:
    created = run(
        workspace, "users", "create", "Wang.Li", "--lessor", "ALPHA", "--role", "analyst",
        "--password-file", str(password_file(tmp_path, PASSWORD)),
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "已创建用户 wang.li" in created.output  # Chinese by default; the name is kept in lower case
    user = stored_user(workspace, "wang.li")
    assert user is not None and (user.lessor, user.role, user.disabled) == ("ALPHA", "analyst", False)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert sign_in(workspace, "Wang.Li", PASSWORD).succeeded
    assert not sign_in(workspace, "wang.li", PASSWORD + "x").succeeded
    # Two users with the same password get different hashes (a salt each).
    run(
        workspace, "users", "create", "zhao", "--lessor", "BETA", "--role", "legal",
        "--password-file", str(password_file(tmp_path, PASSWORD)),
    )  # fmt: skip
    other = stored_user(workspace, "zhao")
    assert other is not None and other.password_hash != user.password_hash


def test_create_asks_for_the_password_twice_without_showing_it(workspace: Workspace) -> None:
    typed = run(
        workspace, "users", "create", "chen", "--lessor", "ALPHA", "--role", "compliance",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip
    assert typed.exit_code == 0, typed.output
    assert "密码" in typed.output and PASSWORD not in typed.output
    assert sign_in(workspace, "chen", PASSWORD).succeeded
    # Two different entries are asked again; the user is not made from either by mistake.
    mismatch = run(
        workspace, "users", "create", "liu", "--lessor", "ALPHA", "--role", "analyst",
        input=f"{PASSWORD}\n{PASSWORD}-other\n",
    )  # fmt: skip
    assert mismatch.exit_code != 0
    assert stored_user(workspace, "liu") is None


def test_create_refuses_bad_input_in_chinese_and_english_and_changes_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    good = str(password_file(tmp_path, PASSWORD))
    short = str(password_file(tmp_path, "short", "short.txt"))
    cases = [
        (["users", "create", "ann", "--lessor", "ALPHA", "--role", "boss", "--password-file", good],
         "未知角色 'boss'", "unknown role 'boss'"),
        (["users", "create", "ann", "--lessor", "NOPE", "--role", "admin", "--password-file", good],
         "未知出租人 'NOPE'", "unknown lessor 'NOPE'"),
        (["users", "create", "ann", "--lessor", "ALPHA", "--role", "admin", "--password-file", short],
         "密码过短：至少 10 个字符", "the password is too short: at least 10 characters"),
        (["users", "create", "an n", "--lessor", "ALPHA", "--role", "admin", "--password-file", good],
         "用户名 'an n' 无效", "username 'an n' is not valid"),
        (["users", "create", "ann", "--lessor", "ALPHA", "--role", "admin", "--password-file",
          str(tmp_path / "missing.txt")], "无法读取密码文件", "cannot read the password file"),
    ]  # fmt: skip
    for args, chinese, english in cases:
        zh = run(workspace, *args)
        assert zh.exit_code == 1 and f"错误：{chinese}" in zh.output, zh.output
        en = run(workspace, *args, "--lang", "en")
        assert en.exit_code == 1 and f"error: {english}" in en.output, en.output
        assert "Traceback" not in zh.output + en.output
    assert stored_user(workspace, "ann") is None
    assert (
        run(
            workspace,
            "users",
            "create",
            "ann",
            "--lessor",
            "ALPHA",
            "--role",
            "admin",
            "--password-file",
            good,
        ).exit_code
        == 0
    )
    again = run(
        workspace, "users", "create", "ANN", "--lessor", "BETA", "--role", "legal", "--password-file", good
    )
    assert again.exit_code == 1 and "用户 ann 已存在" in again.output
    kept = stored_user(workspace, "ann")
    assert kept is not None and (kept.lessor, kept.role) == ("ALPHA", "admin")


def test_list_shows_lessor_role_and_state_never_a_hash(workspace: Workspace, tmp_path: Path) -> None:
    assert "没有用户" in run(workspace, "users", "list").output
    good = str(password_file(tmp_path, PASSWORD))
    for name, lessor, role in (("ann", "ALPHA", "analyst"), ("bo", "BETA", "legal")):
        run(workspace, "users", "create", name, "--lessor", lessor, "--role", role, "--password-file", good)
    run(workspace, "users", "disable", "bo")
    listed = run(workspace, "users", "list")
    assert listed.exit_code == 0, listed.output
    assert "用户名" in listed.output and "ann" in listed.output and "bo" in listed.output
    assert "已停用" in listed.output and "正常" in listed.output
    assert "$argon2" not in listed.output
    english = run(workspace, "users", "list", "--lessor", "BETA", "--lang", "en")
    assert "username" in english.output and "disabled" in english.output
    assert "ann" not in english.output


def test_disable_ends_open_sessions_and_enable_lets_the_user_in_again(
    workspace: Workspace, tmp_path: Path
) -> None:
    good = str(password_file(tmp_path, PASSWORD))
    run(
        workspace, "users", "create", "ann", "--lessor", "ALPHA", "--role", "analyst", "--password-file", good
    )
    opened = sign_in(workspace, "ann", PASSWORD)
    assert opened.succeeded and opened.token
    disabled = run(workspace, "users", "disable", "ann")
    assert disabled.exit_code == 0 and "已停用用户 ann" in disabled.output
    engine = workspace.engine()
    with session_factory(engine)() as session:
        assert people.session_user(session, opened.token) is None
        assert all(row.ended_at is not None for row in session.scalars(select(ConsoleSession)))
    engine.dispose()
    refused = sign_in(workspace, "ann", PASSWORD)
    assert refused.outcome == people.DISABLED
    assert refused.message("zh") == "该账户已停用，请联系管理员。"
    # A wrong password does not reveal that the account is disabled.
    assert sign_in(workspace, "ann", "not the password").message("en") == "The username or password is wrong."
    assert run(workspace, "users", "enable", "ann", "--lang", "en").output.startswith("enabled user ann")
    assert sign_in(workspace, "ann", PASSWORD).succeeded
    unknown = run(workspace, "users", "disable", "nobody", "--lang", "en")
    assert unknown.exit_code == 1 and "error: no user nobody" in unknown.output


def test_reset_password_replaces_the_hash_unlocks_and_ends_sessions(
    workspace: Workspace, tmp_path: Path
) -> None:
    good = str(password_file(tmp_path, PASSWORD))
    run(
        workspace, "users", "create", "ann", "--lessor", "ALPHA", "--role", "analyst", "--password-file", good
    )
    opened = sign_in(workspace, "ann", PASSWORD)
    for _ in range(5):
        sign_in(workspace, "ann", "wrong password")
    assert sign_in(workspace, "ann", PASSWORD).outcome == people.LOCKED
    before = stored_user(workspace, "ann")
    assert before is not None and before.locked_until is not None
    reset = run(
        workspace, "users", "reset-password", "ann",
        "--password-file", str(password_file(tmp_path, NEW_PASSWORD, "new.txt")),
    )  # fmt: skip
    assert reset.exit_code == 0 and "已为用户 ann 设置新密码" in reset.output, reset.output
    after = stored_user(workspace, "ann")
    assert after is not None and after.locked_until is None and after.failed_sign_ins == 0
    assert after.password_hash != before.password_hash and after.password_hash.startswith("$argon2id$")
    engine = workspace.engine()
    with session_factory(engine)() as session:
        assert opened.token and people.session_user(session, opened.token) is None
    engine.dispose()
    assert not sign_in(workspace, "ann", PASSWORD).succeeded
    assert sign_in(workspace, "ann", NEW_PASSWORD).succeeded
    # Typed at the prompt, twice; a too-short one is refused and the password stays.
    weak = run(workspace, "users", "reset-password", "ann", "--lang", "en", input="tiny\ntiny\n")
    assert weak.exit_code == 1 and "the password is too short" in weak.output
    assert sign_in(workspace, "ann", NEW_PASSWORD).succeeded
    typed = run(workspace, "users", "reset-password", "ann", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert typed.exit_code == 0, typed.output
    assert sign_in(workspace, "ann", PASSWORD).succeeded
    missing = run(workspace, "users", "reset-password", "nobody", "--password-file", good)
    assert missing.exit_code == 1 and "错误：没有用户 nobody" in missing.output


def test_sign_ins_lists_every_attempt_with_its_outcome(workspace: Workspace, tmp_path: Path) -> None:
    good = str(password_file(tmp_path, PASSWORD))
    run(
        workspace, "users", "create", "ann", "--lessor", "ALPHA", "--role", "analyst", "--password-file", good
    )
    sign_in(workspace, "ann", "wrong password")
    sign_in(workspace, "ghost", PASSWORD)
    sign_in(workspace, "ann", PASSWORD)
    listed = run(workspace, "users", "sign-ins")
    assert listed.exit_code == 0, listed.output
    for words in ("密码错误", "无此用户", "登录成功", "ghost"):
        assert words in listed.output, words
    only_ann = run(workspace, "users", "sign-ins", "ann", "--lang", "en")
    assert "wrong password" in only_ann.output and "signed in" in only_ann.output
    assert "ghost" not in only_ann.output
    engine = workspace.engine()
    with session_factory(engine)() as session:
        events = list(session.scalars(select(SignInEvent).order_by(SignInEvent.id)))
    engine.dispose()
    assert [(e.username, e.outcome, e.lessor) for e in events] == [
        ("ann", "bad_password", "ALPHA"), ("ghost", "unknown_user", None), ("ann", "signed_in", "ALPHA"),
    ]  # fmt: skip
    assert all(e.client == "test" for e in events)
