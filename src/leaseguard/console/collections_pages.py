"""/collections: the lessor's call list by tier — early warning's list of the last run day (`book warn`'s), with
lessee, phone, overdue amount and signals in words, broken promises to pay first within their tier — and the form
on a contract's page to record a call or a promise (POST /contracts/{no}/calls).

The pages parse, call usecases.collections and render. Every role that reads the book reads the list and the
calls; recording one is `collections:record` (analyst, admin). Another lessor's contract is the 404 page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.console.auth import ConsoleUser, CsrfChecked, require_user, settings_of
from leaseguard.console.rendering import FormState, NavItem, add_nav, render
from leaseguard.portfolio.allocation import Allocation
from leaseguard.tenancy import Action
from leaseguard.usecases.collections import (
    CallFormError,
    CallListCache,
    CallRequest,
    UnknownTierError,
    broken_promises,
    call_list_soon,
    collections_page,
    list_day,
    record_call,
)
from leaseguard.usecases.funding_decisions import Person
from leaseguard.vocabulary import (
    CALL_OUTCOME_LABELS,
    CALL_OUTCOME_LABELS_EN,
    CALL_OUTCOMES,
    PROMISE_STATUS_LABELS,
    PROMISE_STATUS_LABELS_EN,
    SIGNAL_LABELS,
    SIGNAL_LABELS_EN,
    Label,
    Lang,
    label_of,
)

router = APIRouter(include_in_schema=False)
TITLE = Label("催收", "Collections")
add_nav(NavItem("/collections", TITLE, Action.READ_CONTRACTS, order=25))

CanRead = Annotated[ConsoleUser, Depends(require_user(Action.READ_CONTRACTS))]
CanRecord = Annotated[ConsoleUser, Depends(require_user(Action.RECORD_COLLECTIONS))]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]
CALL_FIELDS = ("outcome", "promise_date", "promise_amount", "note")


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def _cache(request: Request) -> CallListCache:
    cache = getattr(request.app.state, "collections_lists", None)
    if cache is None:
        cache = request.app.state.collections_lists = CallListCache()
    return cache


def _allocation(request: Request) -> Allocation:
    """The workspace's book settings (payment allocation, penalty), as the claims the console shows use them."""
    rules = settings_of(request).claim_rules
    return rules.allocation if rules is not None else Allocation()


def words(lang: Lang) -> dict[str, Any]:
    """The collections' code-to-words helpers, for this page and the contract page's calls."""
    return {
        "outcome": lambda code: label_of(CALL_OUTCOME_LABELS, CALL_OUTCOME_LABELS_EN, code, lang),
        "signal": lambda code: label_of(SIGNAL_LABELS, SIGNAL_LABELS_EN, code, lang),
        "promise_status": lambda code: label_of(PROMISE_STATUS_LABELS, PROMISE_STATUS_LABELS_EN, code, lang),
        "outcomes": [
            (code, label_of(CALL_OUTCOME_LABELS, CALL_OUTCOME_LABELS_EN, code, lang))
            for code in CALL_OUTCOMES
        ],
    }


@router.get("/collections", response_class=HTMLResponse)
def collections(
    request: Request,
    user: CanRead,
    tier: Annotated[str | None, Query(max_length=64)] = None,
    page: PageNumber = 1,
) -> HTMLResponse:
    """The call list of the lessor's live contracts on the last run day, by tier (one tier when chosen), 50 a
    page. A tier the list does not have: the message beside the filter (422). The list is computed in the
    background once per run day (`book warn`'s, kept until the day is run again): while it is, the page says it is
    coming and htmx asks for it again every two seconds."""
    form = FormState(values={"tier": tier or ""})
    today = dt.date.today()
    engine = _engine(request)
    with engine.connect() as connection:
        day = list_day(connection, user.lessor, today)
    calls = call_list_soon(
        engine, user.lessor, day, _cache(request), wait=settings_of(request).first_view_wait_seconds,
        allocation=_allocation(request),
    )  # fmt: skip
    tier_labels = calls.tier_labels if calls is not None else {}

    def tier_label(name: str) -> str:
        return tier_labels.get(name, name) if user.lang == "zh" else name

    query = urlencode({"tier": tier or "", "page": page})
    context: dict[str, Any] = {
        "title": TITLE.text(user.lang),
        "form": form,
        "answer": None,
        "pending": calls is None,
        "day": day.as_of,
        "again": f"/collections?{query}",
        "today": today,
        "ran": day.finished_at is not None,
        "tier_choices": [(name, tier_label(name)) for name in tier_labels],
        "tier_label": tier_label,
        "may_record": user.may(Action.RECORD_COLLECTIONS),
        **words(user.lang),
    }
    if calls is None:
        return render(request, "collections.html", context)
    with engine.connect() as connection:
        broken = broken_promises(connection, user.lessor, today)
    try:
        context["answer"] = collections_page(calls, broken, tier=tier or None, page=page)
    except UnknownTierError as error:
        form.add("tier", error, user.lang)
        context["answer"] = collections_page(calls, broken, page=page)
        return render(request, "collections.html", context, status_code=422)
    return render(request, "collections.html", context)


async def _call_values(request: Request) -> dict[str, str]:
    form = await request.form()  # parsed once already for the CSRF check; Starlette keeps it
    return {name: value for name in CALL_FIELDS if isinstance(value := form.get(name), str)}


CallValues = Annotated[dict[str, str], Depends(_call_values)]


def contract_anchor(contract_no: str, anchor: str = "") -> str:
    return f"/contracts/{quote(contract_no, safe='/')}" + (f"#{anchor}" if anchor else "")


# The contract page is `/contracts/{no:path}` (GET); a POST to its /calls is this route, whatever the number holds.
@router.post("/contracts/{contract_no:path}/calls", response_class=HTMLResponse)
def record(
    request: Request, user: CanRecord, _csrf: CsrfChecked, contract_no: str, values: CallValues
) -> Response:
    """Record a call on the lessor's contract; refused, the contract page comes back (422) with the message
    beside the field and nothing recorded; another lessor's contract is the 404 page."""
    from leaseguard.console.lookups import contract_view

    request_values = {name: values.get(name, "") for name in CALL_FIELDS}
    try:
        with _sessions(request)() as session, session.begin():
            record_call(
                session, Person(user.username, user.lessor, user.role), contract_no,
                CallRequest.model_validate(request_values), signer=request.app.state.evidence_signer,
            )  # fmt: skip
    except CallFormError as error:
        form = FormState(values=request_values)
        form.add(error.field, error, user.lang)
        return contract_view(request, user, contract_no, call_form=form, status_code=422)
    return RedirectResponse(contract_anchor(contract_no, "calls"), status_code=303)
