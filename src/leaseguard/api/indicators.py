"""Regulatory indicators for the console: filed reports, the live report of a day, and the what-if.

The live report and the what-if use the balance sheet filed with the caller's latest report of that day
(`leaseguard report regulatory` files it), so the console and the filed report read the same figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from leaseguard.api.deps import require
from leaseguard.api.params import POSITIVE_YUAN_PATTERN, Fraction, RowIdPath
from leaseguard.api.problems import ProblemError, problem_responses, request_lang
from leaseguard.indicators.balance_sheet import BalanceSheet
from leaseguard.indicators.engine import IndicatorReport, MissingInputError
from leaseguard.indicators.rules import (
    SHIPPED,
    IndicatorRulesError,
    IndicatorRuleSet,
    load_shipped_rule_set,
)
from leaseguard.indicators.service import IndicatorInputError, report_json
from leaseguard.tenancy import Action, Principal
from leaseguard.timestamps import UtcDatetime
from leaseguard.usecases.regulatory_report import (
    NoBalanceSheetError,
    ReportRequest,
    UnknownReportError,
    WhatIfFieldError,
    WhatIfRequest,
    balance_sheet_of,
    compute_regulatory_report,
    filed_report,
    filed_reports,
    new_contract,
    regime_rule_set,
)
from leaseguard.usecases.regulatory_report import what_if as what_if_report
from leaseguard.vocabulary import Label

router = APIRouter(
    prefix="/v1/indicators", tags=["indicators"], responses=problem_responses(401, 403, 404, 422)
)
CanRead = Annotated[Principal, Depends(require(Action.READ_INDICATORS))]
T = TypeVar("T")


class ReportSummary(BaseModel):
    id: int
    as_of: dt.date
    rule_set: str
    rule_set_version: int
    draft: bool
    alerts: int
    evidence_index: int | None
    created_at: UtcDatetime


class WhatIf(BaseModel):
    as_of: dt.date
    lessee_id: Annotated[str, Field(min_length=1, max_length=32)]
    lessee_name: str = ""
    lessee_type: Literal["enterprise", "individual"] = "enterprise"
    principal: Annotated[
        str,
        Field(
            description="Amount financed, yuan with up to 2 decimals.",
            json_schema_extra={"pattern": POSITIVE_YUAN_PATTERN},
        ),
    ]
    group_id: str | None = None
    related_party: bool = False
    enterprise_size: str | None = None


def _balance_sheet(engine: Engine, lessor: str, day: dt.date) -> BalanceSheet:
    try:
        return balance_sheet_of(engine, None, lessor, day)
    except NoBalanceSheetError as error:
        raise ProblemError(404, error, kind="no-balance-sheet") from None


def _rule_set(name: str) -> IndicatorRuleSet:
    try:
        return load_shipped_rule_set(name)
    except IndicatorRulesError:
        # One answer for every name that is not a shipped rule set: the path is a name, never a file.
        raise ProblemError(
            404,
            Label("没有这套规则；API 提供：{shipped}。", "No such rule set; the API serves {shipped}."),
            kind="unknown-rule-set",
            shipped=", ".join(SHIPPED),
        ) from None


def _report_request(
    engine: Engine, lessor: str, rule_set_name: str, day: dt.date, margin: Decimal | None
) -> ReportRequest:
    """What `report regulatory` computes the day's report from, on the balance sheet filed with it."""
    rule_set = _rule_set(rule_set_name)
    sheet = _balance_sheet(engine, lessor, day)
    return ReportRequest(lessor, day, rule_set, sheet, margin, draft=bool(sheet.problems))


def _computed(work: Callable[[], T]) -> T:
    """The use case's answer, its errors as the API's problems."""
    try:
        return work()
    except IndicatorInputError as error:
        raise ProblemError(404, error, kind="no-daily-run") from None
    except MissingInputError as error:
        raise ProblemError(422, error, kind="missing-balance-sheet-item") from None


def _live(
    engine: Engine, lessor: str, rule_set_name: str, day: dt.date, margin: Decimal | None
) -> IndicatorReport:
    """The report of a day as `report regulatory` computes it (the same use case), on the filed balance sheet."""
    request = _report_request(engine, lessor, rule_set_name, day, margin)
    return _computed(lambda: compute_regulatory_report(engine, request))


@router.get("/reports", summary="The caller's filed indicator reports, newest first.")
def list_reports(
    request: Request, principal: CanRead, rule_set: Annotated[str | None, Query()] = None
) -> list[ReportSummary]:
    return [
        ReportSummary.model_validate(summary, from_attributes=True)
        for summary in filed_reports(request.app.state.engine, principal.lessor, rule_set=rule_set)
    ]


@router.get("/reports/{report_id}", summary="One filed report as it was filed.")
def get_report(request: Request, principal: CanRead, report_id: RowIdPath) -> dict[str, Any]:
    try:
        filed = filed_report(request.app.state.engine, principal.lessor, report_id)
    except UnknownReportError as error:
        raise ProblemError(404, error, kind="unknown-report") from None
    row = filed.summary
    return {
        "id": row.id, "as_of": row.as_of.isoformat(), "rule_set": row.rule_set, "indicators": filed.indicators,
        "draft": row.draft, "alerts": row.alerts, "evidence_index": row.evidence_index,
    }  # fmt: skip


@router.get(
    "",
    summary="Every indicator of your regime's rule set on a day, computed now from the book.",
    description="The rule set is the one of your lessor's regime (financial_leasing: nfra-2024, finance_leasing: "
    "cbirc-2020); 404 while your lessor has no regime on record.",
)
async def regime_report(
    request: Request,
    principal: CanRead,
    as_of: Annotated[dt.date, Query()],
    margin: Annotated[Fraction | None, Query(ge=0, le=1)] = None,
) -> dict[str, Any]:
    try:
        rule_set = regime_rule_set(request.app.state.engine, principal.lessor)
    except IndicatorRulesError as error:
        raise ProblemError(404, error, kind="no-regime") from None
    report = await run_in_threadpool(
        _live, request.app.state.engine, principal.lessor, rule_set, as_of, margin
    )
    return report_json(report, request_lang(request))


@router.get("/{rule_set}", summary="Every indicator of a rule set on a day, computed now from the book.")
async def live_report(
    request: Request,
    principal: CanRead,
    rule_set: str,
    as_of: Annotated[dt.date, Query()],
    margin: Annotated[Fraction | None, Query(ge=0, le=1)] = None,
) -> dict[str, Any]:
    report = await run_in_threadpool(
        _live, request.app.state.engine, principal.lessor, rule_set, as_of, margin
    )
    return report_json(report, request_lang(request))


@router.post(
    "/{rule_set}/what-if", summary="Which indicators move, and by how much, if this contract is funded."
)
async def what_if(request: Request, principal: CanRead, rule_set: str, body: WhatIf) -> dict[str, Any]:
    try:
        new = new_contract(
            lessee_id=body.lessee_id, principal=body.principal, lessee_name=body.lessee_name,
            lessee_type=body.lessee_type, group_id=body.group_id, related_party=body.related_party,
            enterprise_size=body.enterprise_size,
        )  # fmt: skip
    except WhatIfFieldError as error:
        words = Label("{field}：{error}", "{field}: {error}")
        kind = "invalid-amount" if error.field == "principal" else "invalid-input"
        raise ProblemError(
            422, words, kind=kind, field=error.field, error=Label(error.text("zh"), error.text("en"))
        ) from None
    engine = request.app.state.engine

    def work() -> dict[str, Any]:
        report = _report_request(engine, principal.lessor, rule_set, body.as_of, None)
        return _computed(lambda: what_if_report(engine, WhatIfRequest(report, new))).as_json()

    return await run_in_threadpool(work)
