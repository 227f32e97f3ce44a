"""The FastAPI application: one engine per app, problem+json errors, and the routers of each domain."""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import leaseguard
from leaseguard.api import assets, contracts, credit, evidence, imports, indicators, jobs, lookups, system
from leaseguard.api.deps import PrincipalCache
from leaseguard.api.problems import (
    PROBLEM_MEDIA_TYPE,
    accepted_lang,
    add_problem_schemas,
    install_problem_handlers,
    problem_document,
    refuse_unknown_query_parameters,
)
from leaseguard.console import UPLOAD_PATHS, install_console
from leaseguard.console.settings import ConsoleSettings
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.jobs import JobResources, JobRunner
from leaseguard.registry import views as registry_views
from leaseguard.registry.service import CheckRecorder, RegisterCache
from leaseguard.store.db import create_store_engine, session_factory
from leaseguard.vocabulary import Label
from leaseguard.workspace import Workspace, shipped_setting

ROUTERS = (
    system.router,
    contracts.router,
    registry_views.router,
    assets.router,
    imports.router,
    evidence.router,
    credit.router,
    indicators.router,
    lookups.lessees_router,
    lookups.cases_router,
    jobs.router,
)


def shipped_max_body_bytes() -> int:
    """The request-body limit of the shipped configuration (api.max_body_bytes)."""
    return int(shipped_setting("api", "max_body_bytes"))


_TOO_LARGE = Label(
    "请求体超过上限 {limit} 字节，未予处理。",
    "The request body is larger than the limit of {limit} bytes; nothing was done.",
)


class BodyLimit:
    """Refuses request bodies longer than `max_bytes` with a 413 problem, whatever the transfer encoding.

    A declared Content-Length over the limit is refused before a byte of the body is read; otherwise the bytes
    actually received are counted (a chunked body declares no length), and the moment they pass the limit the
    413 goes out with `Connection: close`, so the server stops reading instead of draining the rest.

    A POST to one of `own_limit_paths` is left to its route, which judges the size by a limit of its own (the
    console's upload of a funding file, console.max_upload_mb) and answers a person with a page."""

    def __init__(self, app: ASGIApp, max_bytes: int, own_limit_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.own_limit_paths = own_limit_paths

    async def _refuse(self, scope: Scope, send: Send) -> None:
        # A person's browser gets the console's page when the console is served (it sets
        # app.state.too_large_page: a page for a browser's request, None for any other caller).
        app = scope.get("app")
        page_for = getattr(getattr(app, "state", None), "too_large_page", None)
        if page_for is not None:
            page = await page_for(Request(scope), self.max_bytes)
            if page is not None:
                page.headers["connection"] = "close"

                async def nothing_more() -> Message:
                    return {"type": "http.disconnect"}

                await page(scope, nothing_more, send)
                return
        # Before any route: the caller's language read from the raw headers, as request_lang reads it.
        accept = b",".join(value for name, value in scope["headers"] if name == b"accept-language")
        lang = accepted_lang(accept.decode("latin-1"))
        document = problem_document(
            413,
            _TOO_LARGE.text(lang, limit=self.max_bytes),
            instance=scope.get("path", ""),
            kind="too-large",
            lang=lang,
        )
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode("ascii")),
                    (b"content-length", str(len(body)).encode("ascii")),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"] == "POST" and scope["path"] in self.own_limit_paths):
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, send)
                return
        received = 0
        started = False
        refused = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(scope, send)
                    # The route sees a client that went away, and its own answer is dropped below.
                    return {"type": "http.disconnect"}
            return message

        async def send_unless_refused(message: Message) -> None:
            nonlocal started
            if refused and message["type"].startswith("http.response"):
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted_receive, send_unless_refused)


DESCRIPTION = """Risk control for financial leasing: your lessor's contracts, payments, assets and valuations.

Every request except `GET /v1/health` needs an API key (`leaseguard keys create`), sent as
`Authorization: Bearer <key>` or `X-API-Key: <key>`. A key belongs to one lessor and has one role; you only
ever see your own lessor's rows. Money is yuan as a decimal string with two places, beside the exact
integer fen. Errors are RFC 9457 `application/problem+json`. A request body is at most the workspace's
`api.max_body_bytes` (1 MiB as shipped), chunked or not; a longer one gets 413. Timestamps are UTC with
their offset (`Z`). A query parameter a route does not take is refused with 422, never ignored.
"""


def create_app(
    database_url: str,
    *,
    evidence_signer: NoteSigner | None = None,
    warm_register: bool = False,
    preload_libraries: bool = False,
    key_cache_seconds: float = 2.0,
    credit_models: Path | None = None,
    credit_policy: Path | None = None,
    credit_lists: Path | None = None,
    credit_sharing: Any = None,
    max_body_bytes: int | None = None,
    console: ConsoleSettings | None = None,
) -> FastAPI:
    """The API over the store at `database_url` (SQLite or PostgreSQL); one engine for the app's life.

    With `evidence_signer` (the workspace's key), every asset check is also deposited in the evidence log;
    `warm_register` builds the ownership-check register at start-up instead of at the first check;
    `preload_libraries` loads the chart, PDF and workbook libraries at start-up, before the first request, and
    then freezes the objects alive out of the garbage collector's walks (`api.preload`);
    a key that authenticated is trusted for `key_cache_seconds` without reading the store again, so a
    revoked key stops working within that time. Credit decisions use the model artefacts in `credit_models`,
    the policy file `credit_policy` (default: the shipped one) and the lists `credit_lists`; `credit_sharing`
    is the workspace's credit.consortium_sharing (lessor code -> true/false; default: nobody shares). A request
    body longer than `max_body_bytes` (default: api.max_body_bytes of the shipped configuration) is refused
    with 413. The browser console (leaseguard.console) is served by the same app, with `console`'s
    settings (default: the shipped ones and a random cookie secret for this process).
    """
    # As many connections as the threads that serve synchronous routes, so a burst waits on work, not the pool.
    engine = create_store_engine(database_url, pool_pre_ping=True, pool_size=20, max_overflow=20)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if preload_libraries:
            from leaseguard.api.preload import preload

            preload()  # before the first request: none waits behind it
        if warm_register:
            app.state.registers.warm_up()
        yield
        app.state.jobs.close(timeout=5)
        app.state.check_recorder.close()
        engine.dispose()

    app = FastAPI(
        title="leaseguard",
        version=leaseguard.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by the console, with Swagger UI's files from the package (works offline)
        redoc_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(refuse_unknown_query_parameters)],
    )
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.registers = RegisterCache(engine)
    app.state.principals = PrincipalCache(key_cache_seconds)
    app.state.check_recorder = CheckRecorder(app.state.sessions, evidence_signer)
    app.state.evidence_signer = evidence_signer
    app.state.credit_desk = credit.CreditDesk(credit_models, credit_policy, credit_lists, credit_sharing)
    settings = console or ConsoleSettings()
    served = settings.workspace or Workspace(Path(tempfile.gettempdir()), {"database_url": database_url})
    app.state.workspace = served
    app.state.jobs = JobRunner(engine, JobResources(served, evidence_signer))
    install_problem_handlers(app)
    app.add_middleware(
        BodyLimit,
        max_bytes=max_body_bytes if max_body_bytes is not None else shipped_max_body_bytes(),
        own_limit_paths=UPLOAD_PATHS,
    )
    for router in ROUTERS:
        app.include_router(router)
    install_console(app, settings)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            app.openapi_schema = add_problem_schemas(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
