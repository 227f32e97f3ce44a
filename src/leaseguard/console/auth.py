"""Who is at the browser: the signed session cookie, the signed-in user behind it, CSRF tokens, permissions.

The cookie (Starlette's SessionMiddleware: itsdangerous-signed with the workspace's secret, HttpOnly,
SameSite=Lax) holds
  csrf     the per-session CSRF token every form and htmx request sends back,
  token    the console session's secret (the store keeps its SHA-256: usecases.people),
  started  when the person signed in, seen: their last request (epoch seconds), for the time limits,
  lang     the language chosen before signing in.
Pages take a `ConsoleUser` through `require_user(action)`; a POST also depends on `require_csrf`."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.console.settings import ConsoleSettings
from leaseguard.tenancy.permissions import Action, is_allowed
from leaseguard.usecases import people
from leaseguard.vocabulary import LANGS, Label, Lang

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """The person signed in: the one lessor whose rows they see, the role that says what they may do."""

    id: int
    username: str
    lessor: str
    role: str
    lang: Lang

    def may(self, action: Action | None) -> bool:
        return action is None or is_allowed(self.role, action)


class SignInRequired(Exception):
    """No valid session: the browser goes to /login and comes back to `next_path` after signing in."""

    def __init__(self, next_path: str, *, expired: bool = False) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.expired = expired


class ConsoleForbidden(Exception):
    """The user's role does not have the action the page needs: a 403 page."""

    def __init__(self, action: Action) -> None:
        super().__init__(action.value)
        self.action = action


class CsrfRefused(Exception):
    """A POST without the session's CSRF token: refused before anything is read or changed."""


# What the person reads when a form is refused for its CSRF token.
CSRF_REFUSED = Label(
    "表单已过期或不是从本站提交的，未做任何更改。请刷新页面后重试。",
    "The form has expired or was not sent from this site; nothing was changed. Reload the page and try again.",
)


def now_seconds() -> float:
    """The clock the session limits are read against (seconds since the epoch)."""
    return time.time()


def settings_of(request: Request) -> ConsoleSettings:
    settings: ConsoleSettings = request.app.state.console
    return settings


def local_path(value: str | None, default: str = "/") -> str:
    """`value` if it is a path on this site (so a sign-in never sends the browser elsewhere), else `default`."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ord(char) < 0x20 or char == "\\" for char in value) or len(value) > 2000:
        return default
    return value


def requested_path(request: Request) -> str:
    """The path and query of `request`, to come back to after signing in."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def has_session(request: Request) -> bool:
    """Whether the request came through the session middleware (a 500 page is answered outside it)."""
    return "session" in request.scope


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use; every form carries it in a hidden field."""
    if not has_session(request):
        return ""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_matches(request: Request, presented: object) -> bool:
    expected = request.session.get("csrf") if has_session(request) else None
    if not isinstance(expected, str) or not expected or not isinstance(presented, str) or not presented:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), presented.encode("utf-8"))


async def require_csrf(request: Request) -> None:
    """Refuse a request that does not carry the session's CSRF token (header for htmx, form field else)."""
    presented: Any = request.headers.get(CSRF_HEADER)
    if presented is None:
        form = await request.form()  # Starlette keeps the parsed form: the route reads the same one
        presented = form.get(CSRF_FIELD)
    if not csrf_matches(request, presented):
        raise CsrfRefused()


CsrfChecked = Annotated[None, Depends(require_csrf)]


def console_lang(request: Request) -> Lang:
    """The language of the page: the signed-in user's, else the one chosen before signing in, else the
    workspace's `lang` (Chinese as shipped)."""
    user = getattr(request.state, "console_user", None)
    if isinstance(user, ConsoleUser):
        return user.lang
    chosen = request.session.get("lang") if has_session(request) else None
    if chosen in LANGS:
        return chosen
    return settings_of(request).default_lang


def _forget_sign_in(request: Request) -> None:
    for key in ("token", "started", "seen"):
        request.session.pop(key, None)


def resolve_user(request: Request, *, touch: bool) -> ConsoleUser | None:
    """The user signed in on this browser, or None. With `touch`, the request counts as activity (the idle
    clock starts again) and a session past its time limits raises SignInRequired(expired=True); without, such
    a session is just None (for an error page's navigation)."""
    if not has_session(request):
        return None
    token = request.session.get("token")
    if not isinstance(token, str) or not token:
        return None
    settings = settings_of(request)
    now = now_seconds()
    seen, started = request.session.get("seen", 0), request.session.get("started", 0)
    if not isinstance(seen, int | float) or not isinstance(started, int | float):
        seen = started = 0
    if now - seen > settings.idle_seconds or now - started > settings.max_seconds:
        if not touch:
            return None
        sessions: sessionmaker[Session] = request.app.state.sessions
        with sessions() as session, session.begin():
            people.end_session(session, token)
        _forget_sign_in(request)
        raise SignInRequired(requested_path(request), expired=True)
    sessions = request.app.state.sessions
    with sessions() as session:
        info = people.session_user(session, token)
    if info is None:  # signed out elsewhere, disabled, or the password was reset
        _forget_sign_in(request)
        return None
    if touch:
        request.session["seen"] = int(now)
    chosen = request.session.get("lang")
    lang: Lang = info.lang or (chosen if chosen in LANGS else settings_of(request).default_lang)
    user = ConsoleUser(id=info.id, username=info.username, lessor=info.lessor, role=info.role, lang=lang)
    request.state.console_user = user
    return user


def require_user(action: Action | None = None) -> Callable[[Request], ConsoleUser]:
    """A dependency: the signed-in user, whose role must allow `action` (None: any signed-in user).

    No session, or one past its time limits: SignInRequired (the browser goes to /login?next=…); a role
    without `action`: ConsoleForbidden (a 403 page). Pages declare their action once, here and in their
    NavItem, so a page a role may not open is neither shown in the navigation nor answered."""

    def signed_in_user(request: Request) -> ConsoleUser:
        user = resolve_user(request, touch=True)
        if user is None:
            raise SignInRequired(requested_path(request))
        if not user.may(action):
            raise ConsoleForbidden(action)  # type: ignore[arg-type]
        return user

    return signed_in_user


def start_session(request: Request, sign_in: people.SignIn) -> None:
    """After a successful sign-in: a new cookie (new CSRF token, so one from before signing in is useless)."""
    chosen = request.session.get("lang")
    request.session.clear()
    now = int(now_seconds())
    request.session.update(
        {"token": sign_in.token, "csrf": secrets.token_urlsafe(32), "started": now, "seen": now}
    )
    if chosen in LANGS:
        request.session["lang"] = chosen
