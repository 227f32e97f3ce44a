"""The FastAPI application: one engine per app, problem+json errors, and the routers of each domain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

import leaseguard
from leaseguard.api import assets, contracts, credit, evidence, imports, indicators, system
from leaseguard.api.deps import PrincipalCache
from leaseguard.api.problems import add_problem_schemas, install_problem_handlers
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.registry import views as registry_views
from leaseguard.registry.service import CheckRecorder, RegisterCache
from leaseguard.store.db import create_store_engine, session_factory

ROUTERS = (
    system.router,
    contracts.router,
    registry_views.router,
    assets.router,
    imports.router,
    evidence.router,
    credit.router,
    indicators.router,
)

DESCRIPTION = """Risk control for financial leasing: your lessor's contracts, payments, assets and valuations.

Every request except `GET /v1/health` needs an API key (`leaseguard keys create`), sent as
`Authorization: Bearer <key>` or `X-API-Key: <key>`. A key belongs to one lessor and has one role; you only
ever see your own lessor's rows. Money is yuan as a decimal string with two places, beside the exact
integer fen. Errors are RFC 9457 `application/problem+json`.
"""


def create_app(
    database_url: str,
    *,
    evidence_signer: NoteSigner | None = None,
    warm_register: bool = False,
    key_cache_seconds: float = 2.0,
    credit_models: Path | None = None,
    credit_policy: Path | None = None,
    credit_lists: Path | None = None,
    credit_sharing: Any = None,
) -> FastAPI:
    """The API over the store at `database_url` (SQLite or PostgreSQL); one engine for the app's life.

    With `evidence_signer` (the workspace's key), every asset check is also deposited in the evidence log;
    `warm_register` builds the ownership-check register at start-up instead of at the first check;
    a key that authenticated is trusted for `key_cache_seconds` without reading the store again, so a
    revoked key stops working within that time. Credit decisions use the model artefacts in `credit_models`,
    the policy file `credit_policy` (default: the shipped one) and the lists `credit_lists`; `credit_sharing`
    is the workspace's credit.consortium_sharing (lessor code -> true/false; default: nobody shares).
    """
    # As many connections as the threads that serve synchronous routes, so a burst waits on work, not the pool.
    engine = create_store_engine(database_url, pool_pre_ping=True, pool_size=20, max_overflow=20)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm_register:
            app.state.registers.warm_up()
        yield
        app.state.check_recorder.close()
        engine.dispose()

    app = FastAPI(
        title="leaseguard",
        version=leaseguard.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.registers = RegisterCache(engine)
    app.state.principals = PrincipalCache(key_cache_seconds)
    app.state.check_recorder = CheckRecorder(app.state.sessions, evidence_signer)
    app.state.evidence_signer = evidence_signer
    app.state.credit_desk = credit.CreditDesk(credit_models, credit_policy, credit_lists, credit_sharing)
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            app.openapi_schema = add_problem_schemas(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
