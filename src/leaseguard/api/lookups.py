"""Routes that look things up at the caller's lessor: a lessee with everything of theirs, and enforcement cases
with their ledgers. The bodies are the use case's answers (`leaseguard.usecases.lookup`), the same the CLI's
`lessee show --json`, `cases list --json` and `cases show --json` print."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from leaseguard.api.deps import SessionDep, require
from leaseguard.api.pagination import Page, encode_cursor, page_window
from leaseguard.api.params import RowIdPath
from leaseguard.api.problems import problem_responses
from leaseguard.errors import InvalidInputError
from leaseguard.tenancy import Action, Principal
from leaseguard.tenancy.book import Window
from leaseguard.usecases.lookup import (
    CaseDetail,
    CaseSummary,
    LesseeDetail,
    case_detail,
    lessee_detail,
    list_cases,
)
from leaseguard.vocabulary import OPENED, STAGES, Label

# A lessee's and a case's facts are the contracts' facts: whoever reads the contracts reads them.
CanRead = Annotated[Principal, Depends(require(Action.READ_CONTRACTS))]

lessees_router = APIRouter(prefix="/v1/lessees", tags=["lessees"], responses=problem_responses(401, 403, 422))
cases_router = APIRouter(prefix="/v1/cases", tags=["cases"], responses=problem_responses(401, 403, 422))


@lessees_router.get(
    "/{lessee_id}",
    summary="One of your lessees, with everything on file about them",
    description="Every contract (with its class on the latest daily run and its case), asset, change of class, "
    "ownership check, credit decision and enforcement case of the lessee at your lessor. Another lessor's "
    "lessee is answered like one that does not exist.",
    responses=problem_responses(404),
)
def get_lessee(
    principal: CanRead, session: SessionDep, lessee_id: Annotated[str, Path(max_length=32)]
) -> LesseeDetail:
    return lessee_detail(session, principal.lessor, lessee_id)


@cases_router.get("", summary="List your enforcement cases")
def get_cases(
    principal: CanRead,
    session: SessionDep,
    window: Annotated[Window, Depends(page_window)],
    stage: Annotated[
        str | None,
        Query(max_length=16, description=f"Only cases now at this stage: {OPENED}, {', '.join(STAGES)}."),
    ] = None,
) -> Page[CaseSummary]:
    if stage is not None and stage not in (OPENED, *STAGES):
        raise InvalidInputError(
            Label("阶段 {stage!r} 不在可选范围内（{stages}）", "stage {stage!r} is not one of {stages}"),
            stage=stage,
            stages=", ".join((OPENED, *STAGES)),
        )
    found = list_cases(
        session,
        principal.lessor,
        limit=window.limit,
        offset=window.offset,
        after_id=window.after_id,
        stage=stage,
    )
    return Page[CaseSummary](
        items=found.items,
        limit=window.limit,
        offset=window.offset,
        next_cursor=encode_cursor(found.last_id_if_more),
    )


@cases_router.get(
    "/{case_id}",
    summary="One of your enforcement cases and its ledger",
    description="Where the case stands (stage, recovered) computed from its ledger, and every entry as "
    "recorded: a correction names the entry it corrects, and a corrected entry stays, marked corrected.",
    responses=problem_responses(404),
)
def get_case(principal: CanRead, session: SessionDep, case_id: RowIdPath) -> CaseDetail:
    return case_detail(session, principal.lessor, case_id)
