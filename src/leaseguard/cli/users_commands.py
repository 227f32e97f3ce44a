"""`leaseguard users …`: the people who sign in to the console (create, list, disable, reset a password, and
the record of sign-ins). The jobs are usecases.people's, the ones the console's sign-in page uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table

from leaseguard.cli.common import LangOption, WorkspaceOption, chosen_lang, console, fail, open_workspace
from leaseguard.vocabulary import ROLES, Label, Lang

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from leaseguard.usecases.people import PeoplePolicy
    from leaseguard.workspace import Workspace

users_app = typer.Typer(
    name="users",
    help="People who sign in to the console: create, list, disable, enable, reset-password, sign-ins.",
    no_args_is_help=True,
)

Result = TypeVar("Result")

PasswordFileOption = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help="Read the password from the first line of this file instead of asking for it (for scripts).",
        show_default=False,
        exists=False,
    ),
]

_STORE_UNUSABLE = Label(
    "无法使用数据库（{kind}）；是否已迁移？请运行 `leaseguard migrate`",
    "the store could not be used ({kind}); is it migrated? try `leaseguard migrate`",
)


@contextmanager
def _transaction(workspace: Workspace) -> Iterator[Session]:
    """A session in one transaction on the workspace's store; a store error is one line."""
    from sqlalchemy.exc import SQLAlchemyError

    from leaseguard.store.db import session_factory

    engine = workspace.engine()
    try:
        with session_factory(engine)() as session, session.begin():
            yield session
    except SQLAlchemyError as error:
        fail(_STORE_UNUSABLE, kind=type(error).__name__)
    finally:
        engine.dispose()


def _in_store(workspace: Workspace, work: Callable[[Session], Result]) -> Result:
    with _transaction(workspace) as session:
        return work(session)


def _opened(workspace: WorkspaceOption, lang: str | None) -> tuple[Workspace, Lang, PeoplePolicy]:
    from leaseguard.usecases.people import people_policy

    opened = open_workspace(workspace)
    speaking = chosen_lang(lang, opened)
    return opened, speaking, people_policy(opened)


def _password(password_file: Path | None, policy: PeoplePolicy, lang: Lang) -> str:
    """The new password: the first line of --password-file, or typed twice without being shown."""
    from leaseguard.usecases.people import check_password

    if password_file is not None:
        try:
            text = password_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            fail(
                Label("无法读取密码文件 {path}：{reason}", "cannot read the password file {path}: {reason}"),
                path=password_file,
                reason=getattr(error, "strerror", None) or type(error).__name__,
            )
        lines = text.splitlines()
        password = lines[0] if lines else ""
    else:
        password = typer.prompt(
            Label("密码", "Password").text(lang),
            hide_input=True,
            confirmation_prompt=Label("再次输入密码", "Repeat the password").text(lang),
        )
    check_password(password, policy)  # before any store work, so a weak password changes nothing
    return password


def _when(moment: object) -> str:
    import datetime as dt

    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if isinstance(moment, dt.datetime) else ""


@users_app.command("create")
def users_create(
    username: Annotated[
        str, typer.Argument(help="The name the person signs in with (letters, digits, _ . @ -).")
    ],
    lessor: Annotated[str, typer.Option(help="Code of the lessor whose data the person sees.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    password_file: PasswordFileOption = None,
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """Add a console user; the password is asked twice without being shown (or read from --password-file)."""
    from leaseguard.tenancy.service import require_lessor
    from leaseguard.usecases.people import check_person_role, check_username, create_user

    opened, speaking, policy = _opened(workspace, lang)
    check_username(username)  # every mistake is said before the password is asked for
    check_person_role(role)
    _in_store(opened, lambda session: require_lessor(session, lessor))
    password = _password(password_file, policy, speaking)
    user = _in_store(
        opened,
        lambda session: create_user(
            session, username=username, lessor=lessor, role=role, password=password, policy=policy
        ),
    )
    console.print(
        Label(
            "已创建用户 {username}（出租人 {lessor}，角色 {role}）；可在控制台 /login 登录",
            "created user {username} (lessor {lessor}, role {role}); they sign in at the console's /login",
        ).text(speaking, username=user.username, lessor=user.lessor, role=user.role),
        highlight=False,
    )


@users_app.command("list")
def users_list(
    lessor: Annotated[str | None, typer.Option(help="Only this lessor's users.")] = None,
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """List console users with their lessor, role and state (passwords are never shown: only hashes are kept)."""
    import datetime as dt

    from leaseguard.usecases.people import list_users

    opened, speaking, _ = _opened(workspace, lang)
    users = _in_store(opened, lambda session: list_users(session, lessor))
    if not users:
        console.print(Label("没有用户", "no users").text(speaking))
        return
    headers = (
        ("用户名", "出租人", "角色", "状态", "创建时间", "最近登录")
        if speaking == "zh"
        else ("username", "lessor", "role", "state", "created", "last sign-in")
    )
    table = Table(*headers)
    now = dt.datetime.now(dt.UTC)
    for user in users:
        if user.disabled:
            state = Label("已停用", "disabled").text(speaking)
        elif user.locked(now):
            state = Label("锁定至 {until}", "locked until {until}").text(
                speaking, until=_when(user.locked_until)
            )
        else:
            state = Label("正常", "active").text(speaking)
        table.add_row(
            user.username, user.lessor, user.role, state, _when(user.created_at), _when(user.last_sign_in_at)
        )
    console.print(table)


@users_app.command("disable")
def users_disable(
    username: Annotated[str, typer.Argument(help="The user to stop.")],
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """Stop a user signing in; their open console sessions end at once."""
    from leaseguard.usecases.people import disable_user

    opened, speaking, _ = _opened(workspace, lang)
    user = _in_store(opened, lambda session: disable_user(session, username))
    console.print(
        Label(
            "已停用用户 {username}（出租人 {lessor}）；其已登录的会话均已结束",
            "disabled user {username} (lessor {lessor}); their open sessions have ended",
        ).text(speaking, username=user.username, lessor=user.lessor),
        highlight=False,
    )


@users_app.command("enable")
def users_enable(
    username: Annotated[str, typer.Argument(help="The disabled user to let in again.")],
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """Let a disabled user sign in again, with the password they had."""
    from leaseguard.usecases.people import enable_user

    opened, speaking, _ = _opened(workspace, lang)
    user = _in_store(opened, lambda session: enable_user(session, username))
    console.print(
        Label("已启用用户 {username}（出租人 {lessor}）", "enabled user {username} (lessor {lessor})").text(
            speaking, username=user.username, lessor=user.lessor
        ),
        highlight=False,
    )


@users_app.command("reset-password")
def users_reset_password(
    username: Annotated[str, typer.Argument(help="The user whose password to replace.")],
    password_file: PasswordFileOption = None,
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """Give a user a new password (asked twice, or from --password-file); unlocks the account and ends the
    sessions signed in with the old one."""
    from leaseguard.usecases.people import get_user, reset_password

    opened, speaking, policy = _opened(workspace, lang)
    _in_store(opened, lambda session: get_user(session, username))  # an unknown user before the prompt
    password = _password(password_file, policy, speaking)
    user = _in_store(opened, lambda session: reset_password(session, username, password, policy))
    console.print(
        Label(
            "已为用户 {username} 设置新密码；账户已解锁，旧会话均已结束",
            "new password set for {username}; the account is unlocked and old sessions have ended",
        ).text(speaking, username=user.username),
        highlight=False,
    )


@users_app.command("sign-ins")
def users_sign_ins(
    username: Annotated[str | None, typer.Argument(help="Only this user's records.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="How many of the newest records.")] = 50,
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """The newest sign-ins, failed sign-ins and sign-outs: when, who, outcome, from which address."""
    from leaseguard.usecases.people import OUTCOME_LABELS, sign_in_records

    opened, speaking, _ = _opened(workspace, lang)
    records = _in_store(opened, lambda session: sign_in_records(session, username=username, limit=limit))
    if not records:
        console.print(Label("没有登录记录", "no sign-in records").text(speaking))
        return
    headers = (
        ("时间", "用户名", "出租人", "结果", "客户端地址")
        if speaking == "zh"
        else ("time", "username", "lessor", "outcome", "client address")
    )
    table = Table(*headers)
    for record in records:
        outcome = OUTCOME_LABELS.get(record.outcome)
        table.add_row(
            record.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            record.username,
            record.lessor or "",
            outcome.text(speaking) if outcome else record.outcome,
            record.client or "",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
