"""/login, /logout and /lang: signing in and out, and the language switch. Every other console page needs a
session (auth.require_user); these three are open, and each POST still carries the session's CSRF token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.console.auth import (
    CSRF_FIELD,
    CSRF_REFUSED,
    CsrfChecked,
    client_address,
    console_lang,
    csrf_matches,
    local_path,
    resolve_user,
    settings_of,
    start_session,
)
from leaseguard.console.rendering import FormState, render
from leaseguard.usecases import people
from leaseguard.vocabulary import LANGS, Label

router = APIRouter(include_in_schema=False)

# Messages the sign-in page shows once, after a redirect (kept in the session under "flash").
FLASHES: dict[str, Label] = {
    "expired": Label("会话已超时，请重新登录。", "Your session has expired; please sign in again."),
    "signed_out": Label("您已退出登录。", "You have signed out."),
    "required": Label("请先登录。", "Please sign in first."),
}

FIELD_REQUIRED = Label("请填写此项。", "Please fill this in.")


def _login_page(
    request: Request, form: FormState, next_path: str, *, status_code: int = 200, notice: str = ""
) -> HTMLResponse:
    return render(
        request,
        "login.html",
        {
            "title": Label("登录", "Sign in").text(console_lang(request)),
            "form": form,
            "next_path": next_path,
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    """The sign-in form; someone already signed in goes on to `next` (or the overview)."""
    next_path = local_path(next)
    if resolve_user(request, touch=False) is not None:
        return RedirectResponse(next_path, status_code=303)
    flash = request.session.pop("flash", None)
    notice = FLASHES[flash].text(console_lang(request)) if flash in FLASHES else ""
    return _login_page(request, FormState(), next_path, notice=notice)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=people.MAX_PASSWORD_CHARS + 1)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
) -> Response:
    """Check the name and password: on success a new session and on to `next`; otherwise the form again,
    with the reason, and nothing but the failure's count and record changed."""
    lang = console_lang(request)
    next_path = local_path(next)
    form = FormState(values={"username": username})
    if not csrf_matches(request, csrf_token):
        form.add("", CSRF_REFUSED, lang)
        return _login_page(request, form, next_path, status_code=403)
    if not username.strip():
        form.add("username", FIELD_REQUIRED, lang)
    if not password:
        form.add("password", FIELD_REQUIRED, lang)
    if form.failed:
        return _login_page(request, form, next_path, status_code=422)
    sessions: sessionmaker[Session] = request.app.state.sessions
    with sessions() as session, session.begin():
        outcome = people.sign_in(
            session, username, password, policy=settings_of(request).policy, client=client_address(request)
        )
    if not outcome.succeeded:
        form.add("", outcome.message(lang), lang)
        return _login_page(request, form, next_path, status_code=422)
    start_session(request, outcome)
    return RedirectResponse(next_path, status_code=303)


@router.post("/logout")
def logout(request: Request, _csrf: CsrfChecked) -> Response:
    """End the session on the server and in the browser; back to the sign-in page."""
    token = request.session.get("token")
    if isinstance(token, str) and token:
        sessions: sessionmaker[Session] = request.app.state.sessions
        with sessions() as session, session.begin():
            people.sign_out(session, token, client=client_address(request))
    chosen = request.session.get("lang")
    request.session.clear()
    request.session["flash"] = "signed_out"
    if chosen in LANGS:
        request.session["lang"] = chosen
    return RedirectResponse("/login", status_code=303)


@router.post("/lang")
def switch_language(
    request: Request,
    _csrf: CsrfChecked,
    lang: Annotated[str, Form(max_length=8)] = "zh",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Read the console in `lang` from now on: kept for the user (every browser) and for this browser."""
    if lang in LANGS:
        request.session["lang"] = lang
        user = resolve_user(request, touch=True)
        if user is not None:
            sessions: sessionmaker[Session] = request.app.state.sessions
            with sessions() as session, session.begin():
                people.set_user_lang(session, user.id, lang)
    return RedirectResponse(local_path(next), status_code=303)
