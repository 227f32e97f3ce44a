"""Routes for one tenant's lease contracts and their payments."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from leaseguard.api.deps import SessionDep, require
from leaseguard.api.identifiers import names_the_sub_resource
from leaseguard.api.pagination import Page, encode_cursor, page_window
from leaseguard.api.problems import (
    FieldError,
    ProblemError,
    problem_response,
    problem_responses,
    request_lang,
)
from leaseguard.enforcement.service import UnknownContractError
from leaseguard.money import yuan_text
from leaseguard.store.models import Payment
from leaseguard.tenancy import Action, Principal, book
from leaseguard.tenancy.book import Window
from leaseguard.usecases.collections import (
    CALLS_SHOWN,
    CallFormError,
    CallRequest,
    CollectionCallOut,
    calls_on,
    record_call,
)
from leaseguard.usecases.funding_decisions import Person
from leaseguard.usecases.lookup import ContractDetail, ContractOut, contract_detail, json_body
from leaseguard.vocabulary import Label

router = APIRouter(prefix="/v1/contracts", tags=["contracts"], responses=problem_responses(401, 403, 422))
CanRead = Annotated[Principal, Depends(require(Action.READ_CONTRACTS))]


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
    return ProblemError(404, Label("没有这份合同。", "No such contract."), kind="not-found")


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
        return JSONResponse(json_body(contract))
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


CanRecordCalls = Annotated[Principal, Depends(require(Action.RECORD_COLLECTIONS))]


class CollectionCallsOut(BaseModel):
    contract_no: str
    items: list[CollectionCallOut]


@router.get(
    "/{contract_no:path}/collection-calls",
    summary="Collection calls on one of your contracts",
    description=f"The newest {CALLS_SHOWN} calls recorded on the contract, newest first; a promise to pay with "
    "where it stands today: `kept` (the payments since the call cover it), `broken` (its day passed without "
    "that) or `pending`. The newest promise is the one that stands (`standing`).",
    response_model=None,
    responses={200: {"model": CollectionCallsOut}, **problem_responses(404)},
)
def contract_calls(
    request: Request, principal: CanRead, session: SessionDep, contract_no: str
) -> CollectionCallsOut | Response:
    if not names_the_sub_resource(request, "collection-calls"):
        contract = get_contract(principal, session, f"{contract_no}/collection-calls")
        return JSONResponse(json_body(contract))
    try:
        return CollectionCallsOut(
            contract_no=contract_no, items=calls_on(session, principal.lessor, contract_no)
        )
    except UnknownContractError:
        raise _not_found() from None


@router.post(
    "/{contract_no:path}/collection-calls",
    summary="Record a collection call on one of your contracts",
    description="What came of a call to the lessee: an outcome (reached, promise_to_pay, no_answer, "
    "wrong_number, refused, disputed, left_message) and a note; a promise to pay also its day (YYYY-MM-DD, not "
    "past) and amount (yuan as a decimal string, above zero, at most two decimals). Recorded with the key's "
    "prefix as who, and deposited in the evidence log (kind `collection-call`). A call that cannot be recorded "
    "is a 422 naming the field; nothing is recorded then.",
    status_code=201,
    response_model=CollectionCallOut,
    responses=problem_responses(404),
)
def record_contract_call(
    request: Request, principal: CanRecordCalls, contract_no: str, body: CallRequest
) -> CollectionCallOut | Response:
    person = Person(f"api-key:{principal.key_prefix}", principal.lessor, principal.role)
    try:
        with request.app.state.sessions() as session, session.begin():
            return record_call(
                session, person, contract_no, body, signer=request.app.state.evidence_signer, channel="api"
            )
    except UnknownContractError:
        raise _not_found() from None
    except CallFormError as error:
        lang = request_lang(request)
        field = FieldError(location="body", field=error.field, message=error.text(lang), type="invalid")
        return problem_response(request, 422, error.text(lang), errors=[field] if error.field else None)


@router.get(
    "/{contract_no:path}",
    summary="One of your contracts, with everything on file about it",
    description="The contract's terms, its payments in sum, its assets, its class on the latest daily run and "
    "every change of class, its enforcement case (where it stands by its ledger), demands and documents on "
    "record. `leaseguard contract show NO --json` prints the same body. Percent-encode the contract number: "
    "/ as %2F, # as %23, ? as %3F, % as %25.",
    responses=problem_responses(404),
)
def get_contract(principal: CanRead, session: SessionDep, contract_no: str) -> ContractDetail:
    try:
        return contract_detail(session, principal.lessor, contract_no)
    except UnknownContractError:
        raise _not_found() from None
