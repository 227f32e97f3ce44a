"""What routes depend on: a database session, the authenticated principal, and a permission check."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.api.problems import ProblemError
from leaseguard.tenancy import Action, Principal, authenticate, is_allowed

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


def _unauthorized(detail: str, *, invalid: bool) -> ProblemError:
    challenge = f'Bearer realm="{REALM}"' + (', error="invalid_token"' if invalid else "")
    return ProblemError(
        401,
        detail,
        kind="invalid-api-key" if invalid else "api-key-required",
        headers={"WWW-Authenticate": challenge},
    )


def current_principal(
    request: Request,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Principal:
    """The caller behind the request's API key; any failure is a 401 that does not say which check failed."""
    presented = bearer.credentials if bearer is not None else api_key
    if presented is None:
        if request.headers.get("Authorization"):
            raise _unauthorized("The Authorization header must be 'Bearer <API key>'.", invalid=True)
        raise _unauthorized(
            "An API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.", invalid=False
        )
    principal = authenticate(session, presented)
    if principal is None:
        # Unknown, mistyped and revoked keys get the same answer, so a caller cannot probe which keys exist.
        raise _unauthorized("The API key is not valid: it is malformed, unknown or revoked.", invalid=True)
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(action: Action) -> Callable[[Principal], Principal]:
    """A dependency that lets the request through only if the caller's role allows `action`."""

    def check(principal: PrincipalDep) -> Principal:
        if not is_allowed(principal.role, action):
            raise ProblemError(403, f"The role {principal.role!r} may not {action.value}.", kind="forbidden")
        return principal

    return check
