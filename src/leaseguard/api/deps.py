"""What routes depend on: a database session, the authenticated principal, and a permission check."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.api.problems import ProblemError
from leaseguard.tenancy import Action, Principal, authenticate, is_allowed
from leaseguard.vocabulary import Label

REALM = "leaseguard"

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="lg_<prefix>_<secret>",
    description="An API key as a bearer token.",
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="apiKey",
    description="An API key in the X-API-Key header.",
)


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, shared by every dependency of that request; reads only, never committed."""
    sessions: sessionmaker[Session] = request.app.state.sessions
    with sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _unauthorized(detail: Label, *, invalid: bool) -> ProblemError:
    challenge = f'Bearer realm="{REALM}"' + (', error="invalid_token"' if invalid else "")
    return ProblemError(
        401,
        detail,
        kind="invalid-api-key" if invalid else "api-key-required",
        headers={"WWW-Authenticate": challenge},
    )


class PrincipalCache:
    """Keys that authenticated recently, so a busy client's every request does not read the key table.

    Only successes are kept, under the key's SHA-256; a revoked key stops working within `ttl_seconds`."""

    def __init__(self, ttl_seconds: float = 2.0, max_entries: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Principal]] = {}

    @staticmethod
    def _digest(presented: str) -> str:
        return hashlib.sha256(presented.encode("utf-8")).hexdigest()

    def lookup(self, presented: str) -> Principal | None:
        entry = self._entries.get(self._digest(presented))
        if entry is None or time.monotonic() - entry[0] > self.ttl_seconds:
            return None
        return entry[1]

    def remember(self, presented: str, principal: Principal) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[self._digest(presented)] = (time.monotonic(), principal)


def _authenticate_in_store(sessions: sessionmaker[Session], presented: str) -> Principal | None:
    with sessions() as session:
        return authenticate(session, presented)


async def current_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Principal:
    """The caller behind the request's API key; any failure is a 401 that does not say which check failed."""
    presented = bearer.credentials if bearer is not None else api_key
    if presented is None:
        if request.headers.get("Authorization"):
            raise _unauthorized(
                Label(
                    "Authorization 请求头应为 'Bearer <API 密钥>'。",
                    "The Authorization header must be 'Bearer <API key>'.",
                ),
                invalid=True,
            )
        raise _unauthorized(
            Label(
                "需要 API 密钥：请发送 'Authorization: Bearer <密钥>' 或 'X-API-Key: <密钥>'。",
                "An API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
            ),
            invalid=False,
        )
    cache: PrincipalCache = request.app.state.principals
    principal = cache.lookup(presented)
    if principal is None:
        principal = await run_in_threadpool(_authenticate_in_store, request.app.state.sessions, presented)
        if principal is None:
            # Unknown, mistyped and revoked keys get the same answer, so a caller cannot probe which keys exist.
            raise _unauthorized(
                Label(
                    "API 密钥无效：格式有误、不存在或已吊销。",
                    "The API key is not valid: it is malformed, unknown or revoked.",
                ),
                invalid=True,
            )
        cache.remember(presented, principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(action: Action) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets the request through only if the caller's role allows `action`."""

    async def check(principal: PrincipalDep) -> Principal:
        if not is_allowed(principal.role, action):
            raise ProblemError(
                403,
                Label("角色 {role!r} 无权执行 {action}。", "The role {role!r} may not {action}."),
                kind="forbidden",
                role=principal.role,
                action=action.value,
            )
        return principal

    return check
