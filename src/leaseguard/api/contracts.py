"""Routes for one tenant's lease contracts and their payments."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from leaseguard.api.deps import SessionDep, require
from leaseguard.api.identifiers import names_the_sub_resource
from leaseguard.api.money import rate
from leaseguard.api.pagination import Page, encode_cursor, page_window
from leaseguard.api.problems import ProblemError, problem_responses
from leaseguard.money import yuan_text
from leaseguard.store.models import Contract, Payment
from leaseguard.tenancy import Action, Principal, book
from leaseguard.tenancy.book import Window

router = APIRouter(prefix="/v1/contracts", tags=["contracts"], responses=problem_responses(401, 403, 422))
CanRead = Annotated[Principal, Depends(require(Action.READ_CONTRACTS))]


class ContractOut(BaseModel):
    contract_no: str
    lessor: str
    lessee_id: str
    lessee_name: str
    lessee_type: str
    group_id: str | None
    related_party: bool
    industry: str | None
    start_date: dt.date
    term_months: int
    principal: str
    principal_fen: int
    annual_rate: str
    method: str
    frequency: str
    residual_value: str
    residual_value_fen: int
    deposit: str
    deposit_fen: int
    extra: dict[str, Any] | None

    @classmethod
    def of(cls, row: Contract) -> ContractOut:
        return cls(
            contract_no=row.contract_no,
            lessor=row.lessor,
            lessee_id=row.lessee_id,
            lessee_name=row.lessee_name,
            lessee_type=row.lessee_type,
            group_id=row.group_id,
            related_party=row.related_party,
            industry=row.industry,
            start_date=row.start_date,
            term_months=row.term_months,
            principal=yuan_text(row.principal_fen),
            principal_fen=row.principal_fen,
            annual_rate=rate(row.annual_rate),
            method=row.method,
            frequency=row.frequency,
            residual_value=yuan_text(row.residual_value_fen),
            residual_value_fen=row.residual_value_fen,
            deposit=yuan_text(row.deposit_fen),
            deposit_fen=row.deposit_fen,
            extra=row.extra,
        )


class PaymentOut(BaseModel):
    paid_date: dt.date
    amount: str
    amount_fen: int
    seq: int

    @classmethod
    def of(cls, row: Payment) -> PaymentOut:
        return cls(
            paid_date=row.paid_date, amount=yuan_text(row.amount_fen), amount_fen=row.amount_fen, seq=row.seq
        )


class PaymentsOut(BaseModel):
    contract_no: str
    count: int
    total_paid: str
    total_paid_fen: int
    items: list[PaymentOut]


def _not_found() -> ProblemError:
    # The same answer whether the contract is another lessor's or does not exist at all.
    return ProblemError(404, "No such contract.", kind="not-found")


@router.get("", summary="List your contracts")
def list_contracts(
    principal: CanRead,
    session: SessionDep,
    window: Annotated[Window, Depends(page_window)],
    lessee_id: Annotated[
        str | None, Query(max_length=32, description="Only this lessee's contracts.")
    ] = None,
) -> Page[ContractOut]:
    found = book.list_contracts(session, principal.lessor, window, lessee_id=lessee_id)
    return Page[ContractOut](
        items=[ContractOut.of(row) for row in found.rows],
        limit=window.limit,
        offset=window.offset,
        next_cursor=encode_cursor(found.last_id_if_more),
    )


# A contract number may hold any character the importer takes, "/" included, and the server decodes %2F
# before routing: `:path` lets the number span segments. The payments route comes first; a number that itself
# ends in "/payments" was sent as "%2Fpayments", which the undecoded path tells apart.
@router.get(
    "/{contract_no:path}/payments",
    summary="Payments of one of your contracts",
    response_model=None,
    responses={200: {"model": PaymentsOut}, **problem_responses(404)},
)
def contract_payments(
    request: Request, principal: CanRead, session: SessionDep, contract_no: str
) -> PaymentsOut | Response:
    if not names_the_sub_resource(request, "payments"):
        contract = get_contract(principal, session, f"{contract_no}/payments")
        return Response(contract.model_dump_json(), media_type="application/json")
    rows = book.contract_payments(session, principal.lessor, contract_no)
    if rows is None:
        raise _not_found()
    total = sum(row.amount_fen for row in rows)
    return PaymentsOut(
        contract_no=contract_no,
        count=len(rows),
        total_paid=yuan_text(total),
        total_paid_fen=total,
        items=[PaymentOut.of(row) for row in rows],
    )


@router.get(
    "/{contract_no:path}",
    summary="One of your contracts",
    description="Percent-encode the contract number: / as %2F, # as %23, ? as %3F, % as %25.",
    responses=problem_responses(404),
)
def get_contract(principal: CanRead, session: SessionDep, contract_no: str) -> ContractOut:
    row = book.get_contract(session, principal.lessor, contract_no)
    if row is None:
        raise _not_found()
    return ContractOut.of(row)
