"""Routes about the service itself: health (no key needed) and who the caller is."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

import leaseguard
from leaseguard.api.deps import PrincipalDep, SessionDep
from leaseguard.api.problems import ProblemError, problem_responses
from leaseguard.tenancy import allowed_actions, get_lessor
from leaseguard.vocabulary import Label

router = APIRouter(prefix="/v1", tags=["system"])


class HealthOut(BaseModel):
    status: str
    version: str
    schema_version: str


class MeOut(BaseModel):
    lessor: str
    lessor_name: str
    role: str
    key_prefix: str
    permissions: list[str]


_STORE_UNAVAILABLE = Label("数据库无法连接或尚未迁移。", "The store is unreachable or not migrated.")


@router.get(
    "/health",
    summary="Is the service up, and which schema does its store have",
    responses=problem_responses(503),
)
def health(session: SessionDep) -> HealthOut:
    try:
        schema_version = session.scalar(text("select version_num from alembic_version"))
    except SQLAlchemyError:
        # No detail: the health check is public, and a driver's message can name hosts and users.
        raise ProblemError(503, _STORE_UNAVAILABLE, kind="store-unavailable") from None
    if schema_version is None:
        raise ProblemError(503, _STORE_UNAVAILABLE, kind="store-unavailable")
    return HealthOut(status="ok", version=leaseguard.__version__, schema_version=str(schema_version))


@router.get("/me", summary="The lessor and role of your API key", responses=problem_responses(401))
def me(principal: PrincipalDep, session: SessionDep) -> MeOut:
    lessor = get_lessor(session, principal.lessor)
    return MeOut(
        lessor=principal.lessor,
        lessor_name=lessor.name,
        role=principal.role,
        key_prefix=principal.key_prefix,
        permissions=allowed_actions(principal.role),
    )
