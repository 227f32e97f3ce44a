"""/search, /lessees/{id} and /contracts/{no}: finding a contract, a lessee or an asset of the user's lessor and
reading everything on file about it. The pages parse, call the use cases (usecases.search, usecases.lookup_pages
on usecases.lookup, the answers of `contract show` and GET /v1/contracts/{no}) and render; every list is read a
page at a time, and another lessor's contract or lessee is the 404 page, as one that does not exist."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.classification import reasons as class_reasons
from leaseguard.console.auth import ConsoleUser, require_user
from leaseguard.console.rendering import FormState, NavItem, add_nav, render
from leaseguard.tenancy import Action
from leaseguard.usecases.asset_positions import TRACK_HOURS, contract_positions, place_text
from leaseguard.usecases.collections import MAX_NOTE_CHARS, calls_on
from leaseguard.usecases.lookup_pages import contract_page, lessee_page
from leaseguard.usecases.search import (
    KIND_LABELS,
    MAX_CHARS,
    SearchKind,
    SearchTextError,
    search,
    search_kind,
)
from leaseguard.vocabulary import (
    CLASS_LABELS,
    CLASS_LABELS_EN,
    DECISION_LABELS,
    DECISION_LABELS_EN,
    DOCUMENT_KIND_LABELS,
    METHOD_LABELS,
    METHOD_LABELS_EN,
    STAGE_LABELS,
    STAGE_LABELS_EN,
    TERM_LABELS,
    TERM_LABELS_EN,
    VERDICT_LABELS,
    VERDICT_LABELS_EN,
    Label,
    Lang,
    label_of,
)

router = APIRouter(include_in_schema=False)
TITLE = Label("查询", "Search")
add_nav(NavItem("/search", TITLE, Action.READ_CONTRACTS, order=5))

CanRead = Annotated[ConsoleUser, Depends(require_user(Action.READ_CONTRACTS))]
# A page number in a link; a number past the last page shows the last.
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]

EVIDENCE_KIND_LABELS: dict[str, Label] = {
    "case-opened": Label("立案（债权金额）", "Case opened (the claim)"),
    "case-event": Label("案件步骤", "Case step"),
    "case-correction": Label("案件更正", "Case correction"),
    "case-file": Label("起诉材料", "Case file"),
    "document": Label("文件", "Document"),
    "asset-check": Label("资产核查", "Asset check"),
    "credit-decision": Label("授信决策", "Credit decision"),
    "class-changes": Label("分类变动", "Class changes"),
    "collection-call": Label("催收记录", "Collection call"),
}
SCHEDULE_SOURCES = {
    "imported": Label("按导入的租金计划（schedules.csv）", "As imported (schedules.csv)"),
    "terms": Label("按合同条款计算（与日终运行一致）", "Computed from the terms (as the daily run does)"),
}


def _sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def _words(lang: Lang) -> dict[str, Callable[..., str]]:
    """The page's code-to-words helpers, in the user's language."""

    def deciding_rule(code: str) -> str:
        label = class_reasons.RULE_LABELS.get(code)
        return label.text(lang) if label is not None else code

    def evidence_kind(code: str) -> str:
        label = EVIDENCE_KIND_LABELS.get(code)
        return label.text(lang) if label is not None else code

    def document_kind(code: str) -> str:
        return DOCUMENT_KIND_LABELS.get(code, code) if lang == "zh" else code.replace("_", " ")

    def class_label(code: str | None) -> str:
        if code is None:
            return Label("新分类", "first classified").text(lang)
        return label_of(CLASS_LABELS, CLASS_LABELS_EN, code, lang)

    return {
        "class_label": class_label,
        "term": lambda code: label_of(TERM_LABELS, TERM_LABELS_EN, code, lang) if code else "—",
        "stage": lambda code: label_of(STAGE_LABELS, STAGE_LABELS_EN, code, lang) if code else "—",
        "verdict": lambda code: label_of(VERDICT_LABELS, VERDICT_LABELS_EN, code, lang),
        "decision": lambda code: label_of(DECISION_LABELS, DECISION_LABELS_EN, code, lang) if code else "—",
        "method": lambda code: label_of(METHOD_LABELS, METHOD_LABELS_EN, code, lang),
        "reasons": lambda stored: class_reasons.render(stored, lang) if stored else "—",
        "deciding_rule": deciding_rule,
        "evidence_kind": evidence_kind,
        "document_kind": document_kind,
    }


def _page_url(request: Request) -> Callable[[str, int, str], str]:
    """Links to another page of one list of the page: the same address and query, that list's page changed,
    and the list's anchor, so the browser lands on it."""

    def url(parameter: str, page: int, anchor: str = "") -> str:
        query = request.query_params.multi_items()
        kept = [(name, value) for name, value in query if name != parameter]
        if page > 1:
            kept.append((parameter, str(page)))
        encoded = urlencode(kept)
        return request.url.path + (f"?{encoded}" if encoded else "") + (f"#{anchor}" if anchor else "")

    return url


# --- /search -----------------------------------------------------------------------------------------------


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    user: CanRead,
    q: Annotated[str | None, Query(max_length=1000)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    after: Annotated[str | None, Query(max_length=1000)] = None,
) -> HTMLResponse:
    """The search form and, for a query, the lessor's hits grouped by kind; one kind pages through all of its
    hits. An empty or too short query: the message beside the box (422), nothing searched."""
    form = FormState(values={"q": q or "", "kind": kind or ""})
    context: dict[str, Any] = {
        "title": TITLE.text(user.lang),
        "form": form,
        "answer": None,
        "kinds": [(each.value, KIND_LABELS[each].text(user.lang)) for each in SearchKind],
        "kind_label": lambda each: KIND_LABELS[each].text(user.lang),
        "max_chars": MAX_CHARS,
        "after": after,
        **_words(user.lang),
    }
    if q is None:
        return render(request, "search.html", context)
    try:
        chosen = search_kind(kind)
        with _sessions(request)() as session:
            context["answer"] = search(session, user.lessor, q, kind=chosen, after=after or None)
    except SearchTextError as error:
        form.add("q", error, user.lang)
        return render(request, "search.html", context, status_code=422)
    return render(request, "search.html", context)


# --- /lessees/{id} -----------------------------------------------------------------------------------------


@router.get("/lessees/{lessee_id}", response_class=HTMLResponse)
def lessee(
    request: Request,
    user: CanRead,
    lessee_id: str,
    contracts_page: PageNumber = 1,
    changes_page: PageNumber = 1,
    assets_page: PageNumber = 1,
    checks_page: PageNumber = 1,
    decisions_page: PageNumber = 1,
) -> HTMLResponse:
    """Everything the lessor has on one lessee; another lessor's lessee is the 404 page."""
    with _sessions(request)() as session:
        found = lessee_page(
            session, user.lessor, lessee_id, contracts_page=contracts_page, changes_page=changes_page,
            assets_page=assets_page, checks_page=checks_page, decisions_page=decisions_page,
        )  # fmt: skip
    title = found.lessee_name or lessee_id
    return render(
        request,
        "lessee.html",
        {"title": title, "l": found, "page_url": _page_url(request), **_words(user.lang)},
    )


# --- /contracts/{no} ---------------------------------------------------------------------------------------


def contract_view(
    request: Request,
    user: ConsoleUser,
    contract_no: str,
    *,
    schedule_page: int = 1,
    payments_page: int = 1,
    days_page: int = 1,
    assets_page: int = 1,
    call_form: FormState | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The contract page, with the form to record a call as `call_form` left it (a refused call: 422)."""
    from leaseguard.console.collections_pages import contract_anchor
    from leaseguard.console.collections_pages import words as collections_words

    with _sessions(request)() as session:
        calls = calls_on(session, user.lessor, contract_no)
        found = contract_page(
            session, user.lessor, contract_no, schedule_page=schedule_page, payments_page=payments_page,
            days_page=days_page, assets_page=assets_page,
            more_evidence=[call.evidence_index for call in calls if call.evidence_index is not None],
        )  # fmt: skip
        # Where a vehicle went is its driver's whereabouts (PIPL Art. 28): only roles that may read positions.
        positions = (
            contract_positions(session.connection(), user.lessor, [a.asset_id for a in found.detail.assets])
            if user.may(Action.READ_POSITIONS)
            else []
        )
    title = Label("合同 {no}", "Contract {no}").text(user.lang, no=contract_no)
    return render(
        request,
        "contract.html",
        {
            "title": title,
            "c": found,
            "d": found.detail,
            "positions": positions,
            "track_hours": TRACK_HOURS,
            "place": place_text,
            "schedule_source": SCHEDULE_SOURCES[found.schedule_source].text(user.lang),
            "page_url": _page_url(request),
            "calls": calls,
            "call_form": call_form or FormState(),
            "may_record": user.may(Action.RECORD_COLLECTIONS),
            "calls_action": contract_anchor(contract_no) + "/calls",
            "max_note": MAX_NOTE_CHARS,
            "today": dt.date.today(),
            **collections_words(user.lang),
            **_words(user.lang),
        },
        status_code=status_code,
    )


# A contract number may hold "/", which arrives decoded: `:path` lets the number span segments.
@router.get("/contracts/{contract_no:path}", response_class=HTMLResponse)
def contract(
    request: Request,
    user: CanRead,
    contract_no: str,
    schedule_page: PageNumber = 1,
    payments_page: PageNumber = 1,
    days_page: PageNumber = 1,
    assets_page: PageNumber = 1,
) -> HTMLResponse:
    """One contract of the lessor with everything on file, its collection calls among them; another lessor's
    contract is the 404 page."""
    return contract_view(
        request, user, contract_no, schedule_page=schedule_page, payments_page=payments_page,
        days_page=days_page, assets_page=assets_page,
    )  # fmt: skip
