"""Errors as a person in a browser sees them: an HTML page with a clear message, never a stack trace, while
the API (/v1, /openapi.json, any caller that does not ask for HTML) keeps its problem+json answers.

The handlers wrap the API's (api.problems) rather than replace them: a request that is not a browser's is
handed to the handler that was there before."""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from urllib.parse import urlencode

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from leaseguard.api.problems import ProblemError
from leaseguard.console.auth import (
    CSRF_REFUSED,
    ConsoleForbidden,
    ConsoleUser,
    CsrfRefused,
    SignInRequired,
    console_lang,
    has_session,
    resolve_user,
)
from leaseguard.console.rendering import render
from leaseguard.errors import PROBLEM_TITLES, LeaseguardError, problem_of
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang

Handler = Callable[[Request, Exception], Awaitable[Response]]
log = logging.getLogger(__name__)

API_PREFIXES = ("/v1/", "/openapi.json")

STATUS_MESSAGES: dict[int, Label] = {
    403: Label("您的角色无权打开此页面或执行此操作。", "Your role may not open this page or do this."),
    404: Label(
        "没有这个页面，或它不属于您所在的出租人。", "There is no such page, or it is not your lessor's."
    ),
    405: Label("此地址不接受这种请求。", "This address does not take this kind of request."),
    413: Label(
        "提交的内容超过上限，未做任何更改。", "What was sent is larger than the limit; nothing was changed."
    ),
    422: Label("请求无效，未做任何更改。", "The request is not valid; nothing was changed."),
    500: Label(
        "出现意外错误，已记录在服务器日志中。请稍后重试。",
        "An unexpected error occurred and has been logged. Please try again later.",
    ),
    503: Label(
        "系统繁忙，未做任何更改，请稍后重试。", "The server is busy; nothing was changed. Try again shortly."
    ),
}
STATUS_HEADINGS: dict[int, Label] = {
    403: Label("无权访问", "Not allowed"),
    404: Label("未找到", "Not found"),
    405: Label("不支持的请求", "Not supported"),
    413: Label("内容过大", "Too large"),
    422: Label("请求无效", "Not valid"),
    500: Label("出错了", "Something went wrong"),
    503: Label("系统繁忙", "Busy"),
}


def wants_html(request: Request) -> bool:
    """A browser's request for a console page: not the API's paths, and HTML accepted."""
    path = request.url.path
    if path == "/v1" or path.startswith(API_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


async def _user_for_page(request: Request) -> ConsoleUser | None:
    """The signed-in user, for the error page's navigation; no user when that cannot be told."""
    user = getattr(request.state, "console_user", None)
    if isinstance(user, ConsoleUser) or not has_session(request):
        return user if isinstance(user, ConsoleUser) else None
    try:
        return await run_in_threadpool(resolve_user, request, touch=False)
    except Exception:  # an error page must not fail because the store is unwell
        log.debug("no user for the error page", exc_info=True)
        return None


def _lang(request: Request) -> Lang:
    try:
        return console_lang(request)
    except Exception:  # before the console's state exists (a 500 outside every middleware)
        return DEFAULT_LANG


async def error_page(
    request: Request, status: int, message: str | None = None, *, heading: str | None = None
) -> Response:
    """The error page for `status`: the heading and message in the page's language, the navigation of the user
    signed in (if any); the status is the answer's too."""
    await _user_for_page(request)
    lang = _lang(request)
    text = message or STATUS_MESSAGES.get(status, STATUS_MESSAGES[500]).text(lang)
    title = heading or (
        STATUS_HEADINGS[status].text(lang) if status in STATUS_HEADINGS else HTTPStatus(status).phrase
    )
    return render(
        request,
        "error.html",
        {"title": title, "heading": title, "message": text, "status": status},
        status_code=status,
    )


async def too_large_page(request: Request, limit: int) -> Response | None:
    """The page for a body over the API's limit (api.max_body_bytes) sent by a browser to a console address;
    None for the API's callers, who keep their problem+json."""
    if not wants_html(request):
        return None
    return await error_page(request, 413)


def _sign_in_redirect(request: Request, error: SignInRequired) -> Response:
    if has_session(request):
        request.session["flash"] = "expired" if error.expired else "required"
    target = "/login"
    if error.next_path and error.next_path != "/":
        target += "?" + urlencode({"next": error.next_path})
    if request.headers.get("HX-Request"):
        # An htmx request would swap the sign-in page into a part of the page: the whole page goes instead.
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


# The store could not be had in time (api.problems answers these 503 with Retry-After).
BUSY_ERRORS: tuple[type[Exception], ...] = (
    sqlalchemy.exc.TimeoutError,
    concurrent.futures.TimeoutError,
    TimeoutError,
)


def _busy_page(earlier: Handler) -> Handler:
    async def on_busy(request: Request, exc: Exception) -> Response:
        if not wants_html(request):
            return await earlier(request, exc)
        return await error_page(request, 503)

    return on_busy


def install_error_pages(app: FastAPI) -> None:
    """Browser requests get HTML error pages; everything else keeps the handlers already installed."""
    previous: dict[type[Exception], Handler] = {
        kind: app.exception_handlers[kind]  # type: ignore[misc]
        for kind in (StarletteHTTPException, LeaseguardError, ProblemError, RequestValidationError, Exception)
    }

    async def on_sign_in_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return _sign_in_redirect(request, exc)

    async def on_forbidden(request: Request, exc: Exception) -> Response:
        return await error_page(request, 403)

    async def on_csrf(request: Request, exc: Exception) -> Response:
        return await error_page(request, 403, CSRF_REFUSED.text(_lang(request)))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not wants_html(request):
            return await previous[StarletteHTTPException](request, exc)
        return await error_page(request, exc.status_code)

    async def on_domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LeaseguardError)
        if not wants_html(request):
            return await previous[LeaseguardError](request, exc)
        status, kind = problem_of(exc)
        lang = _lang(request)
        heading = PROBLEM_TITLES[kind].text(lang) if kind in PROBLEM_TITLES else None
        return await error_page(request, status, exc.text(lang), heading=heading)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        if not wants_html(request):
            return await previous[ProblemError](request, exc)
        return await error_page(request, exc.status)

    async def on_invalid(request: Request, exc: Exception) -> Response:
        if not wants_html(request):
            return await previous[RequestValidationError](request, exc)
        return await error_page(request, 422)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        if not wants_html(request):
            return await previous[Exception](request, exc)
        return await error_page(request, 500)

    for busy in BUSY_ERRORS:
        earlier = app.exception_handlers.get(busy)
        if earlier is not None:
            app.add_exception_handler(busy, _busy_page(earlier))  # type: ignore[arg-type]
    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_exception_handler(ConsoleForbidden, on_forbidden)
    app.add_exception_handler(CsrfRefused, on_csrf)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(LeaseguardError, on_domain)
    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(Exception, on_unexpected)
