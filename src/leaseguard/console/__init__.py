"""The browser console: server-rendered pages (Jinja2, htmx shipped in static/) served by the API's own app.

People sign in with a username and password (`leaseguard users create`); machines keep using API keys on
/v1. `install_console(app, settings)` adds the session cookie, the error pages, the static files, /docs with
Swagger UI from the package, and every page's router. A page module holds an APIRouter and registers its
NavItem; see docs/console.md for how to add one."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from leaseguard.console.settings import SESSION_COOKIE, ConsoleSettings

STATIC_PREFIX = "/static"
# Pages that take a file and judge its size themselves (console.max_upload_mb), so the API's body limit
# (api.max_body_bytes) does not cut them off with a problem document a person cannot read.
UPLOAD_PATHS = frozenset(
    {"/assets/screen", "/evidence/verify", "/admin/imports", "/indicators/balance-sheet"}
)
SWAGGER = f"{STATIC_PREFIX}/vendor/swagger-ui"


def _docs_page(app: FastAPI) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} API",
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
    )


def install_console(app: FastAPI, settings: ConsoleSettings | None = None) -> None:
    """Serve the console from `app` (whose `docs_url` must be None: /docs is served here, offline)."""
    from importlib import resources

    from leaseguard.console import (
        admin_pages,
        analytics_pages,
        applications_pages,
        asset_check_page,
        book_pages,
        cases_pages,
        collections_pages,
        errors,
        evidence_pages,
        funding_pages,
        imports_pages,
        indicators_pages,
        lookups,
        overview,
        signin,
    )

    app.state.console = settings or ConsoleSettings()
    console = app.state.console
    app.add_middleware(
        SessionMiddleware,
        secret_key=console.secret,
        session_cookie=SESSION_COOKIE,
        # The browser drops the cookie at the session's longest life; the idle limit is checked on each request
        # (auth.resolve_user), so an expired session can say so on the sign-in page.
        max_age=console.max_seconds,
        same_site="lax",
        https_only=console.secure_cookie,
    )
    errors.install_error_pages(app)
    app.state.too_large_page = errors.too_large_page
    static = resources.files("leaseguard.console").joinpath("static")
    app.mount(STATIC_PREFIX, StaticFiles(directory=str(static)), name="console-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return _docs_page(app)

    for router in (
        signin.router,
        overview.router,
        book_pages.router,
        lookups.router,
        asset_check_page.router,
        funding_pages.router,
        imports_pages.router,
        cases_pages.router,
        collections_pages.router,
        applications_pages.router,
        evidence_pages.router,
        analytics_pages.router,
        admin_pages.router,
        indicators_pages.router,
    ):
        app.include_router(router)
