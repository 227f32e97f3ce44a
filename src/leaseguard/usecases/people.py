"""People who use the console, as jobs: create, list, disable a user, reset a password; sign in and out.

`leaseguard users …` and the console's /login and /logout call these, so a user made on the command line
signs in in the browser under the same rules. A user belongs to one lessor and has one role, the roles of API
keys (tenancy.permissions says what each may do). Passwords are kept as Argon2id hashes only
(tenancy.passwords). Every sign-in, failed sign-in and sign-out is recorded in `sign_in_events`; failed
sign-ins in a row lock the account for a while. The thresholds are the workspace's `console:` settings.

Session functions flush but never commit: the caller decides the transaction (`with session.begin(): …`);
a failed sign-in must be committed too, or its count and its record are lost."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leaseguard.errors import ConflictError, InvalidInputError, NotFoundError
from leaseguard.store.models import ConsoleSession, SignInEvent, User
from leaseguard.tenancy.passwords import hash_password, needs_rehash, spend_a_verification, verify_password
from leaseguard.tenancy.service import require_lessor
from leaseguard.vocabulary import LANGS, ROLES, Label, Lang

if TYPE_CHECKING:
    from leaseguard.workspace import Workspace

USERNAME = re.compile(r"[a-z0-9][a-z0-9_.@-]{0,63}")
MAX_PASSWORD_CHARS = 1024  # long enough for any passphrase, short enough that hashing one is cheap
TOKEN_BYTES = 32

# What became of a sign-in, as recorded in sign_in_events.outcome.
SIGNED_IN = "signed_in"
BAD_PASSWORD = "bad_password"
UNKNOWN_USER = "unknown_user"
LOCKED = "locked"
DISABLED = "disabled"
SIGNED_OUT = "signed_out"
OUTCOMES = (SIGNED_IN, BAD_PASSWORD, UNKNOWN_USER, LOCKED, DISABLED, SIGNED_OUT)
OUTCOME_LABELS: dict[str, Label] = {
    SIGNED_IN: Label("登录成功", "signed in"),
    BAD_PASSWORD: Label("密码错误", "wrong password"),
    UNKNOWN_USER: Label("无此用户", "no such user"),
    LOCKED: Label("账户已锁定", "account locked"),
    DISABLED: Label("账户已停用", "account disabled"),
    SIGNED_OUT: Label("退出登录", "signed out"),
}

# What the person at the sign-in form reads. A wrong password and an unknown name read the same, so the form
# does not tell which usernames exist; a locked or disabled account says so only to someone who knows
# (locked: after failures in a row; disabled: only with the right password).
REFUSED_LABELS: dict[str, Label] = {
    BAD_PASSWORD: Label("用户名或密码错误。", "The username or password is wrong."),
    UNKNOWN_USER: Label("用户名或密码错误。", "The username or password is wrong."),
    LOCKED: Label(
        "登录失败次数过多，账户已锁定，请于 {until} 后重试。",
        "Too many failed sign-ins: the account is locked until {until}.",
    ),
    DISABLED: Label("该账户已停用，请联系管理员。", "This account is disabled; ask your administrator."),
}


class PeopleError(InvalidInputError):
    """A request about users that cannot be honoured as given."""


class UnknownUserError(NotFoundError):
    pass


class UserExistsError(ConflictError):
    pass


@dataclass(frozen=True, slots=True)
class PeoplePolicy:
    """The workspace's rules for passwords and sign-in (`console:` in leaseguard.yaml)."""

    max_failed_sign_ins: int = 5
    lockout_minutes: int = 15
    min_password_length: int = 10

    @property
    def lockout(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.lockout_minutes)


def whole_console_setting(workspace: Workspace, name: str, default: int, *, least: int, most: int) -> int:
    from leaseguard.workspace import CONFIG_FILE, WorkspaceError

    value = workspace.setting("console", name, default=default)
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= most:
        raise WorkspaceError(
            Label(
                "{file}：设置 console.{name} 应为 {least} 到 {most} 之间的整数（现为 {value!r}）",
                "{file}: setting console.{name} must be a whole number from {least} to {most} (not {value!r})",
            ),
            file=workspace.root / CONFIG_FILE,
            name=name,
            least=least,
            most=most,
            value=value,
        )
    return value


def people_policy(workspace: Workspace) -> PeoplePolicy:
    """The workspace's sign-in rules, each checked; a bad value is a WorkspaceError naming the setting."""
    shipped = PeoplePolicy()
    return PeoplePolicy(
        max_failed_sign_ins=whole_console_setting(
            workspace, "max_failed_sign_ins", shipped.max_failed_sign_ins, least=1, most=100
        ),
        lockout_minutes=whole_console_setting(
            workspace, "lockout_minutes", shipped.lockout_minutes, least=1, most=10080
        ),
        min_password_length=whole_console_setting(
            workspace, "min_password_length", shipped.min_password_length, least=8, most=256
        ),
    )


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as the store knows it: everything but the password hash."""

    id: int
    username: str
    lessor: str
    role: str
    disabled: bool
    failed_sign_ins: int
    locked_until: dt.datetime | None
    lang: Lang | None
    created_at: dt.datetime
    last_sign_in_at: dt.datetime | None

    def locked(self, now: dt.datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


@dataclass(frozen=True, slots=True)
class SignIn:
    """The outcome of one sign-in. `token` (signed in only) is the new session's secret: the one copy, for the
    cookie; `refusal` is what to tell the person when it failed."""

    outcome: str
    user: UserInfo | None = None
    token: str | None = None
    refusal: Label | None = None
    locked_until: dt.datetime | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome == SIGNED_IN

    def message(self, lang: Lang) -> str:
        if self.refusal is None:
            return ""
        until = self.locked_until.astimezone().strftime("%H:%M") if self.locked_until else ""
        return self.refusal.text(lang, until=until)


# --- pure ------------------------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite gives naive datetimes back; everything stored here is UTC, so say so on both engines.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_username(username: str) -> str:
    """The username as stored (trimmed, lower case), or a PeopleError saying what a username may hold."""
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise PeopleError(
            Label(
                "用户名 {username!r} 无效：1–64 个字母、数字或 _ . @ -，以字母或数字开头",
                "username {username!r} is not valid: 1-64 letters, digits, '_', '.', '@' or '-', starting with a "
                "letter or digit",
            ),
            username=username,
        )
    return name


def check_person_role(role: str) -> str:
    """`role` if it is one of the roles (those of API keys), else a PeopleError naming them."""
    if role not in ROLES:
        raise PeopleError(
            Label("未知角色 {role!r}；可选：{roles}", "unknown role {role!r}; choose one of {roles}"),
            role=role,
            roles=", ".join(ROLES),
        )
    return role


def check_password(password: str, policy: PeoplePolicy) -> str:
    """`password` if the policy accepts it, else a PeopleError that never repeats the password."""
    if len(password) < policy.min_password_length:
        raise PeopleError(
            Label("密码过短：至少 {least} 个字符", "the password is too short: at least {least} characters"),
            least=policy.min_password_length,
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise PeopleError(
            Label("密码过长：至多 {most} 个字符", "the password is too long: at most {most} characters"),
            most=MAX_PASSWORD_CHARS,
        )
    if not password.strip() or password != password.strip():
        raise PeopleError(
            Label("密码不能以空白开头或结尾", "the password may not begin or end with white space")
        )
    return password


def _info(row: User) -> UserInfo:
    return UserInfo(
        id=row.id,
        username=row.username,
        lessor=row.lessor,
        role=row.role,
        disabled=row.disabled,
        failed_sign_ins=row.failed_sign_ins,
        locked_until=_utc(row.locked_until),
        lang=row.lang if row.lang in LANGS else None,
        created_at=_utc(row.created_at) or _now(),
        last_sign_in_at=_utc(row.last_sign_in_at),
    )


# --- users -----------------------------------------------------------------------------------------------


def _user_row(session: Session, username: str, lessor: str | None = None) -> User:
    """The user named `username` (of `lessor` only, when given: another lessor's user is as absent as none)."""
    query = select(User).where(User.username == username.strip().lower())
    if lessor is not None:
        query = query.where(User.lessor == lessor)
    row = session.scalar(query)
    if row is None:
        raise UnknownUserError(Label("没有用户 {username}", "no user {username}"), username=username)
    return row


def get_user(session: Session, username: str, lessor: str | None = None) -> UserInfo:
    return _info(_user_row(session, username, lessor))


def create_user(
    session: Session,
    *,
    username: str,
    lessor: str,
    role: str,
    password: str,
    policy: PeoplePolicy,
    now: dt.datetime | None = None,
) -> UserInfo:
    """Add a user of `lessor` with `role`; the password is kept as its Argon2id hash only."""
    name = check_username(username)
    check_person_role(role)
    require_lessor(session, lessor)
    check_password(password, policy)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise UserExistsError(
            Label("用户 {username} 已存在", "user {username} already exists"), username=name
        )
    moment = now or _now()
    row = User(
        username=name,
        lessor=lessor,
        role=role,
        password_hash=hash_password(password),
        disabled=False,
        failed_sign_ins=0,
        created_at=moment,
        password_changed_at=moment,
    )
    session.add(row)
    session.flush()
    return _info(row)


def list_users(session: Session, lessor: str | None = None) -> list[UserInfo]:
    """Every user (or one lessor's), by lessor and name."""
    query = select(User).order_by(User.lessor, User.username)
    if lessor is not None:
        require_lessor(session, lessor)
        query = query.where(User.lessor == lessor)
    return [_info(row) for row in session.scalars(query)]


def _end_sessions(session: Session, user_id: int, moment: dt.datetime) -> int:
    ended = session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.user_id == user_id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=moment)
    )
    return int(getattr(ended, "rowcount", 0) or 0)


def disable_user(
    session: Session, username: str, now: dt.datetime | None = None, *, lessor: str | None = None
) -> UserInfo:
    """Stop `username` signing in; the sessions open in any browser end at once. Disabling twice is harmless.
    With `lessor`, a user of that lessor only (else UnknownUserError), as for enabling and resetting."""
    row = _user_row(session, username, lessor)
    row.disabled = True
    _end_sessions(session, row.id, now or _now())
    session.flush()
    return _info(row)


def enable_user(session: Session, username: str, *, lessor: str | None = None) -> UserInfo:
    """Let a disabled user sign in again (with the password they had); enabling twice is harmless."""
    row = _user_row(session, username, lessor)
    row.disabled = False
    session.flush()
    return _info(row)


def reset_password(
    session: Session,
    username: str,
    password: str,
    policy: PeoplePolicy,
    now: dt.datetime | None = None,
    *,
    lessor: str | None = None,
) -> UserInfo:
    """Give `username` a new password: the lock and the count of failures are cleared, and every session
    signed in with the old password ends."""
    row = _user_row(session, username, lessor)
    check_password(password, policy)
    moment = now or _now()
    row.password_hash = hash_password(password)
    row.password_changed_at = moment
    row.failed_sign_ins = 0
    row.locked_until = None
    _end_sessions(session, row.id, moment)
    session.flush()
    return _info(row)


def set_user_lang(session: Session, user_id: int, lang: Lang) -> None:
    """Remember the language `user_id` reads the console in."""
    session.execute(update(User).where(User.id == user_id).values(lang=lang))


# --- signing in and out -----------------------------------------------------------------------------------


def _record(
    session: Session,
    moment: dt.datetime,
    username: str,
    outcome: str,
    client: str | None,
    user: User | None = None,
) -> None:
    session.add(
        SignInEvent(
            at=moment,
            username=username[:64],
            user_id=user.id if user is not None else None,
            lessor=user.lessor if user is not None else None,
            outcome=outcome,
            client=client[:64] if client else None,
        )
    )


def sign_in(
    session: Session,
    username: str,
    password: str,
    *,
    policy: PeoplePolicy,
    client: str | None = None,
    now: dt.datetime | None = None,
) -> SignIn:
    """Check `username` and `password` and, when they match an enabled, unlocked user, open a session.

    Every attempt is recorded with its outcome. A wrong password counts against the user; at
    policy.max_failed_sign_ins in a row the account is locked for policy.lockout (the count starts again after).
    While locked, even the right password is refused and attempts do not extend the lock."""
    moment = now or _now()
    typed = username.strip().lower()  # as the name is stored, so one user's records are found together
    row = session.scalar(select(User).where(User.username == typed)) if typed else None
    if row is None:
        spend_a_verification(password)
        _record(session, moment, typed, UNKNOWN_USER, client)
        session.flush()
        return SignIn(UNKNOWN_USER, refusal=REFUSED_LABELS[UNKNOWN_USER])
    locked_until = _utc(row.locked_until)
    if locked_until is not None and locked_until > moment:
        spend_a_verification(password)
        _record(session, moment, typed, LOCKED, client, row)
        session.flush()
        return SignIn(LOCKED, _info(row), refusal=REFUSED_LABELS[LOCKED], locked_until=locked_until)
    if not verify_password(row.password_hash, password):
        # One statement adds the failure, so two wrong passwords at once both count.
        session.execute(
            update(User).where(User.id == row.id).values(failed_sign_ins=User.failed_sign_ins + 1)
        )
        session.refresh(row)
        outcome, refusal, until = BAD_PASSWORD, REFUSED_LABELS[BAD_PASSWORD], None
        if row.failed_sign_ins >= policy.max_failed_sign_ins:
            until = moment + policy.lockout
            row.locked_until = until
            row.failed_sign_ins = 0
            refusal = REFUSED_LABELS[LOCKED]
        _record(session, moment, typed, outcome, client, row)
        session.flush()
        return SignIn(outcome, _info(row), refusal=refusal, locked_until=until)
    if row.disabled:
        _record(session, moment, typed, DISABLED, client, row)
        session.flush()
        return SignIn(DISABLED, _info(row), refusal=REFUSED_LABELS[DISABLED])
    if needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)
    row.failed_sign_ins = 0
    row.locked_until = None
    row.last_sign_in_at = moment
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        ConsoleSession(
            token_sha256=token_digest(token),
            user_id=row.id,
            created_at=moment,
            client=client[:64] if client else None,
        )
    )
    _record(session, moment, typed, SIGNED_IN, client, row)
    session.flush()
    return SignIn(SIGNED_IN, _info(row), token=token)


def session_user(session: Session, token: str) -> UserInfo | None:
    """The user of the open session `token`, or None when it is unknown, ended, or its user is disabled."""
    row = session.execute(
        select(User)
        .join(ConsoleSession, ConsoleSession.user_id == User.id)
        .where(ConsoleSession.token_sha256 == token_digest(token), ConsoleSession.ended_at.is_(None))
    ).scalar_one_or_none()
    if row is None or row.disabled or row.role not in ROLES:
        return None
    return _info(row)


def end_session(session: Session, token: str, now: dt.datetime | None = None) -> None:
    """End the session `token` (it timed out); ending it again, or an unknown one, does nothing."""
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.token_sha256 == token_digest(token), ConsoleSession.ended_at.is_(None))
        .values(ended_at=now or _now())
    )


def sign_out(
    session: Session, token: str, *, client: str | None = None, now: dt.datetime | None = None
) -> None:
    """End the session `token` and record the sign-out under its user."""
    moment = now or _now()
    found = session.execute(
        select(ConsoleSession, User)
        .join(User, ConsoleSession.user_id == User.id)
        .where(ConsoleSession.token_sha256 == token_digest(token))
    ).first()
    if found is None:
        return
    console_session, user = found
    if console_session.ended_at is None:
        console_session.ended_at = moment
        _record(session, moment, user.username, SIGNED_OUT, client, user)
    session.flush()


@dataclass(frozen=True, slots=True)
class SignInRecord:
    at: dt.datetime
    username: str
    lessor: str | None
    outcome: str
    client: str | None


def sign_in_records(session: Session, *, username: str | None = None, limit: int = 50) -> list[SignInRecord]:
    """The latest sign-in records, newest first (one user's, when `username` is given)."""
    query = select(SignInEvent).order_by(SignInEvent.id.desc()).limit(limit)
    if username is not None:
        query = query.where(SignInEvent.username == username.strip().lower())
    return [
        SignInRecord(
            at=_utc(row.at) or row.at,
            username=row.username,
            lessor=row.lessor,
            outcome=row.outcome,
            client=row.client,
        )
        for row in session.scalars(query)
    ]
