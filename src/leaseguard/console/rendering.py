"""Pages as HTML: the templates (Jinja2, autoescaped), the navigation, and a form's state with its errors.

Every page extends templates/base.html and is rendered by `render(request, "page.html", {...})`, which gives the
template the user, the language, `t(zh, en, **params)` for words, `csrf_field()` for forms and the navigation
the user's role may see. A page adds itself to the navigation with `add_nav(NavItem(...))` at import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from leaseguard.console.auth import CSRF_FIELD, ConsoleUser, console_lang, csrf_token, has_session
from leaseguard.errors import LeaseguardError
from leaseguard.money import grouped_yuan
from leaseguard.tenancy.permissions import Action
from leaseguard.vocabulary import Label, Lang

_TEMPLATES = resources.files("leaseguard.console").joinpath("templates")
environment = Environment(
    loader=FileSystemLoader(str(_TEMPLATES)),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,  # a misspelt variable is an error in the tests, not an empty spot on a page
    trim_blocks=True,
    lstrip_blocks=True,
)


# Pages load scripts, styles and images from this server only and run no inline script (htmx reads its
# attributes, not code), so an injected <script> would not run; no other site may frame them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True, slots=True)
class NavItem:
    """A page in the navigation: shown to a user whose role has `action` (None: everyone signed in)."""

    path: str
    label: Label
    action: Action | None
    order: int = 100


NAVIGATION: list[NavItem] = []


def add_nav(item: NavItem) -> None:
    if all(existing.path != item.path for existing in NAVIGATION):
        NAVIGATION.append(item)
        NAVIGATION.sort(key=lambda entry: (entry.order, entry.path))


def nav_for(user: ConsoleUser | None) -> list[NavItem]:
    return [item for item in NAVIGATION if user is not None and user.may(item.action)]


@dataclass
class FormState:
    """What a form was sent with and what was wrong with it: a message per field (shown beside the field,
    and the field marked invalid) and one for the whole form ("" key), each in the page's language.

    A route that refuses a submit renders the form again with its FormState and changes nothing."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def add(
        self, field_name: str, message: Label | LeaseguardError | str, lang: Lang, **params: object
    ) -> None:
        if isinstance(message, LeaseguardError):
            text = message.text(lang)
        elif isinstance(message, Label):
            text = message.text(lang, **params)
        else:
            text = message
        self.errors[field_name] = text

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def error(self, name: str) -> str:
        return self.errors.get(name, "")


def _when(moment: object, lang: Lang) -> str:
    """A time as a person reads it, in the server's time zone."""
    if isinstance(moment, dt.datetime):
        local = moment.astimezone() if moment.tzinfo else moment.replace(tzinfo=dt.UTC).astimezone()
        return local.strftime("%Y-%m-%d %H:%M")
    if isinstance(moment, dt.date):
        return moment.isoformat()
    return ""


def _yuan(fen: object) -> str:
    return grouped_yuan(int(fen)) if isinstance(fen, int) else ""


def _percent(value: object, places: int = 2) -> str:
    try:
        return f"{float(value) * 100:.{places}f}%"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The page `template` for `request`, with everything base.html needs."""
    lang = console_lang(request)
    user = getattr(request.state, "console_user", None)
    user = user if isinstance(user, ConsoleUser) else None
    token = csrf_token(request) if has_session(request) else ""

    def words(zh: str, en: str, **params: object) -> str:
        return Label(zh, en).text(lang, **params)

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)

    values: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "user": user,
        "nav": nav_for(user),
        "current_path": request.url.path,
        "csrf": token,
        "csrf_field": csrf_field,
        "t": words,
        # What the record holds in Chinese whatever the page's language (a claim's arithmetic as it is filed):
        # marked as such on an English page, so that a screen reader reads it in Chinese (WCAG 3.1.2).
        "in_chinese": Markup("") if lang == "zh" else Markup(' lang="zh-CN"'),
        "label": lambda item: item.text(lang) if isinstance(item, Label) else str(item),
        "when": lambda moment: _when(moment, lang),
        "yuan": _yuan,
        "percent": _percent,
        "form": FormState(),
        "page_error": "",
        "title": "",
    }
    values.update(context or {})
    body = environment.get_template(template).render(values)
    response = HTMLResponse(body, status_code=status_code, headers=dict(headers or {}))
    # Pages hold a lessor's data: never kept by a shared cache or the browser's back-forward store for others.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response
