"""Regulatory indicators for the console: filed reports, the live report of a day, and the what-if.

The live report and the what-if use the balance sheet filed with the caller's latest report of that day
(`leaseguard report regulatory` files it), so the console and the filed report read the same figures.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

from leaseguard.api.deps import require
from leaseguard.api.params import POSITIVE_YUAN_PATTERN, Fraction, RowIdPath
from leaseguard.api.problems import ProblemError, problem_responses, request_lang
from leaseguard.indicators.balance_sheet import BalanceSheet
from leaseguard.indicators.engine import (
    IndicatorReport,
    MissingInputError,
    NewContract,
    compute_report,
    with_contract,
)
from leaseguard.indicators.rules import (
    SHIPPED,
    IndicatorRulesError,
    default_rule_set_for,
    load_risk_weights,
    load_shipped_rule_set,
)
from leaseguard.indicators.service import IndicatorInputError, read_book, report_json
from leaseguard.money import MoneyError, parse_fen
from leaseguard.store.models import IndicatorReport as ReportRow
from leaseguard.store.models import Lessor
from leaseguard.tenancy import Action, Principal
from leaseguard.timestamps import UtcDatetime
from leaseguard.usecases.regulatory_report import ReportRequest, compute_regulatory_report
from leaseguard.vocabulary import Label

router = APIRouter(
    prefix="/v1/indicators", tags=["indicators"], responses=problem_responses(401, 403, 404, 422)
)
CanRead = Annotated[Principal, Depends(require(Action.READ_INDICATORS))]


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
    with engine.connect() as connection:
        row = connection.execute(
            select(ReportRow.balance_sheet)
            .where(ReportRow.lessor == lessor, ReportRow.as_of == day)
            .order_by(ReportRow.id.desc())
            .limit(1)
        ).first()
    if row is None:
        raise ProblemError(
            404,
            Label(
                "{day} 没有已报送的资产负债表：请用 `leaseguard report regulatory --as-of {day}` 报送。",
                "No balance sheet is filed for {day}: file one with `leaseguard report regulatory --as-of {day}`.",
            ),
            kind="no-balance-sheet",
            day=day,
        )
    return BalanceSheet.from_json(row[0])


def _live(
    engine: Engine, lessor: str, rule_set_name: str, day: dt.date, margin: Decimal | None
) -> IndicatorReport:
    """The report of a day as `report regulatory` computes it (the same use case), on the filed balance sheet."""
    try:
        rule_set = load_shipped_rule_set(rule_set_name)
        sheet = _balance_sheet(engine, lessor, day)
        request = ReportRequest(lessor, day, rule_set, sheet, margin, draft=bool(sheet.problems))
        return compute_regulatory_report(engine, request)
    except IndicatorRulesError:
        # One answer for every name that is not a shipped rule set: the path is a name, never a file.
        raise ProblemError(
            404,
            Label("没有这套规则；API 提供：{shipped}。", "No such rule set; the API serves {shipped}."),
            kind="unknown-rule-set",
            shipped=", ".join(SHIPPED),
        ) from None
    except IndicatorInputError as error:
        raise ProblemError(404, error, kind="no-daily-run") from None
    except MissingInputError as error:
        raise ProblemError(422, error, kind="missing-balance-sheet-item") from None


@router.get("/reports", summary="The caller's filed indicator reports, newest first.")
def list_reports(
    request: Request, principal: CanRead, rule_set: Annotated[str | None, Query()] = None
) -> list[ReportSummary]:
    statement = select(ReportRow).where(ReportRow.lessor == principal.lessor)
    if rule_set:
        statement = statement.where(ReportRow.rule_set == rule_set)
    with request.app.state.sessions() as session:
        rows = session.scalars(
            statement.order_by(ReportRow.as_of.desc(), ReportRow.id.desc()).limit(200)
        ).all()
        return [
            ReportSummary(
                id=r.id,
                as_of=r.as_of,
                rule_set=r.rule_set,
                rule_set_version=r.rule_set_version,
                draft=r.draft,
                alerts=r.alerts,
                evidence_index=r.evidence_index,
                created_at=r.created_at,
            )
            for r in rows
        ]


@router.get("/reports/{report_id}", summary="One filed report as it was filed.")
def get_report(request: Request, principal: CanRead, report_id: RowIdPath) -> dict[str, Any]:
    with request.app.state.sessions() as session:
        # The lessor is in the query: another lessor's report is not even read, so it looks like a missing one.
        row = session.scalars(
            select(ReportRow).where(ReportRow.id == report_id, ReportRow.lessor == principal.lessor)
        ).one_or_none()
        if row is None:
            raise ProblemError(
                404,
                Label("没有指标报告 {id}。", "No indicator report {id}."),
                kind="unknown-report",
                id=report_id,
            )
        return {
            "id": row.id, "as_of": row.as_of.isoformat(), "rule_set": row.rule_set, "indicators": row.results,
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
    with request.app.state.sessions() as session:
        lessor = session.scalars(select(Lessor).where(Lessor.code == principal.lessor)).one_or_none()
        regime = (lessor.extra or {}).get("regime") if lessor is not None else None
    try:
        rule_set = default_rule_set_for(regime)
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
        principal_fen = parse_fen(body.principal, where="principal", negative=True)
    except MoneyError as error:
        raise ProblemError(422, error, kind="invalid-amount") from None
    if principal_fen <= 0:
        raise ProblemError(
            422, Label("principal：应大于零", "principal: must be above zero"), kind="invalid-amount"
        )
    engine = request.app.state.engine

    def work() -> dict[str, Any]:
        before = _live(engine, principal.lessor, rule_set, body.as_of, None)
        sheet = _balance_sheet(engine, principal.lessor, body.as_of)
        book = read_book(engine, principal.lessor, body.as_of)
        new = NewContract(
            body.lessee_id, body.lessee_name, body.lessee_type, principal_fen, body.group_id, body.related_party,
            body.enterprise_size,
        )  # fmt: skip
        book_after, sheet_after = with_contract(book, sheet, new)
        after = compute_report(
            before.rule_set, sheet_after, book_after, load_risk_weights(), as_of=body.as_of
        )
        rows = []
        for b, a in zip(before.results, after.results, strict=True):
            move = None if a.value is None or b.value is None else a.value - b.value
            rows.append({
                "id": b.id, "name": b.name, "before": None if b.value is None else float(round(b.value, 6)),
                "after": None if a.value is None else float(round(a.value, 6)),
                "move": None if move is None else float(round(move, 6)), "status_before": b.status,
                "status_after": a.status, "moved": move != 0 or a.status != b.status,
            })  # fmt: skip
        return {"as_of": body.as_of.isoformat(), "rule_set": before.rule_set.id, "indicators": rows}

    return await run_in_threadpool(work)
