"""/cases and /cases/{id}: the lessor's enforcement cases by stage with what they claim and recovered, and one
case with its claim's arithmetic, its ledger, the demands and documents on record and the case files deposited
for it; with the forms to record a step and to correct an entry.

The pages parse, call the use cases (usecases.case_pages, on usecases.lookup and enforcement.service — what
`leaseguard cases list/show/claim/event/correct` and GET /v1/cases run) and render. Every role that reads the
book reads the cases; recording and correcting steps is `cases:track` (legal, admin). Another lessor's case
is the 404 page, as one that does not exist."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.console.auth import ConsoleUser, CsrfChecked, require_user, settings_of
from leaseguard.console.lookups import EVIDENCE_KIND_LABELS
from leaseguard.console.rendering import FormState, NavItem, add_nav, render
from leaseguard.enforcement.rules import ClaimRules, load_claim_rules
from leaseguard.enforcement.service import NO_SUCH_CASE, UnknownCaseError
from leaseguard.evidence.bundle import export_bundle
from leaseguard.evidence.service import EvidenceError
from leaseguard.jobs import (
    NO_SUCH_JOB,
    STATE_LABELS,
    SUCCEEDED,
    JobBusyError,
    JobRunner,
    UnknownJobError,
    job_of,
    recent_jobs,
)
from leaseguard.store.models import BIG_ID_MAX
from leaseguard.tenancy import Action
from leaseguard.usecases.case_files import (
    CASE_FILES,
    MAX_NAMED_CONTRACTS,
    CaseFilesFormError,
    case_files_folder,
    case_files_request,
)
from leaseguard.usecases.case_pages import (
    CASE_STAGES,
    MAX_NOTE_CHARS,
    MAX_REASON_CHARS,
    StepFormError,
    UnknownStageError,
    case_file_index,
    case_page,
    cases_page,
    correct_step,
    record_step,
)
from leaseguard.vocabulary import (
    CLAIM_ITEM_LABELS_EN,
    DOCUMENT_KIND_LABELS,
    METHOD_LABELS,
    METHOD_LABELS_EN,
    STAGE_LABELS,
    STAGE_LABELS_EN,
    STAGES,
    TERM_LABELS,
    TERM_LABELS_EN,
    Label,
    Lang,
    label_of,
)

router = APIRouter(include_in_schema=False)
TITLE = Label("执行案件", "Cases")
add_nav(NavItem("/cases", TITLE, Action.READ_CONTRACTS, order=30))

CanRead = Annotated[ConsoleUser, Depends(require_user(Action.READ_CONTRACTS))]
CanTrack = Annotated[ConsoleUser, Depends(require_user(Action.TRACK_CASES))]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]
# A case number in the address: the store's ids are 64-bit; a larger one is the 404 page, not a failed read.
MAX_CASE_ID = BIG_ID_MAX


def _sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _claim_rules(request: Request) -> ClaimRules:
    """The workspace's claim rules, or the shipped ones with the default book settings, read once."""
    rules = settings_of(request).claim_rules
    if rules is not None:
        return rules
    loaded: ClaimRules | None = getattr(request.app.state, "console_claim_rules", None)
    if loaded is None:
        loaded = request.app.state.console_claim_rules = load_claim_rules()
    return loaded


def _words(lang: Lang) -> dict[str, Callable[..., Any]]:
    def evidence_kind(code: str) -> str:
        label = EVIDENCE_KIND_LABELS.get(code)
        return label.text(lang) if label is not None else code

    return {
        "stage": lambda code: label_of(STAGE_LABELS, STAGE_LABELS_EN, code, lang) if code else "—",
        "term": lambda code: label_of(TERM_LABELS, TERM_LABELS_EN, code, lang) if code else "—",
        "method": lambda code: label_of(METHOD_LABELS, METHOD_LABELS_EN, code, lang),
        "document_kind": lambda code: (
            DOCUMENT_KIND_LABELS.get(code, code) if lang == "zh" else code.replace("_", " ")
        ),
        "claim_item": lambda line: (
            line.label if lang == "zh" else CLAIM_ITEM_LABELS_EN.get(line.item, line.label)
        ),
        "evidence_kind": evidence_kind,
    }


# --- /cases ------------------------------------------------------------------------------------------------


def _cases_page(
    request: Request,
    user: ConsoleUser,
    stage: str | None,
    page: int,
    *,
    generate_form: FormState | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    form = FormState(values={"stage": stage or ""})
    context: dict[str, Any] = {
        "title": TITLE.text(user.lang),
        "form": form,
        "stages": [(code, label_of(STAGE_LABELS, STAGE_LABELS_EN, code, user.lang)) for code in CASE_STAGES],
        "answer": None,
        "may_generate": user.may(Action.TRACK_CASES),
        "generate_form": generate_form or FormState(values={"day": dt.date.today().isoformat()}),
        "max_contracts": MAX_NAMED_CONTRACTS,
        "case_jobs": recent_jobs(_engine(request), user.lessor, kind=CASE_FILES, limit=5),
        "job_state": lambda state: STATE_LABELS[state].text(user.lang) if state in STATE_LABELS else state,
        **_words(user.lang),
    }
    try:
        with _sessions(request)() as session:
            context["answer"] = cases_page(session, user.lessor, stage=stage, page=page)
    except UnknownStageError as error:
        form.add("stage", error, user.lang)
        return render(request, "cases.html", context, status_code=422)
    return render(request, "cases.html", context, status_code=status_code)


@router.get("/cases", response_class=HTMLResponse)
def cases(
    request: Request,
    user: CanRead,
    stage: Annotated[str | None, Query(max_length=32)] = None,
    page: PageNumber = 1,
) -> HTMLResponse:
    """The lessor's cases by stage with their count, claim and recovery, and the cases (of one stage when
    chosen), 50 a page. A stage that is not one: the message beside the filter (422)."""
    return _cases_page(request, user, stage, page)


@router.post("/cases/generate", response_class=HTMLResponse)
def generate(
    request: Request,
    user: CanTrack,
    _csrf: CsrfChecked,
    day: Annotated[str, Form(max_length=40)] = "",
    contracts: Annotated[str, Form(max_length=40_000)] = "",
) -> Response:
    """Generate case files for the contracts named (none: the day's non-performing ones) as a background job
    (`usecases.case_files.run_case_files`), and go to its progress; refused, the form comes back with the
    message beside its field (422), or naming the job already running (409)."""
    form = FormState(values={"day": day, "contracts": contracts})
    try:
        params = case_files_request(day, contracts)
        runner: JobRunner = request.app.state.jobs
        job = runner.start(user.lessor, CASE_FILES, params, started_by=user.username)
    except CaseFilesFormError as error:
        form.add(error.field, error, user.lang)
        return _cases_page(request, user, None, 1, generate_form=form, status_code=422)
    except JobBusyError as error:
        form.add("", error, user.lang)
        form.values["running"] = str(error.running.id)
        return _cases_page(request, user, None, 1, generate_form=form, status_code=409)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/cases/generated/{job_id}/summary.xlsx")
def generated_summary(request: Request, user: CanRead, job_id: int) -> Response:
    """summary.xlsx of one of the lessor's finished case-file jobs: each contract generated or skipped, and why;
    another lessor's job, or one without files, is the 404 page."""
    job = job_of(_engine(request), user.lessor, job_id)
    runner: JobRunner = request.app.state.jobs
    summary = case_files_folder(runner.resources.workspace, job.id) / "summary.xlsx"
    if job.kind != CASE_FILES or job.state != SUCCEEDED or not summary.is_file():
        raise UnknownJobError(NO_SUCH_JOB, job_id=job_id)
    return FileResponse(
        summary,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"case-files-{job.id}-summary.xlsx",
    )


# --- /cases/{id} -------------------------------------------------------------------------------------------


def _case_id(case_id: int) -> int:
    if not 0 < case_id <= MAX_CASE_ID:
        raise UnknownCaseError(NO_SUCH_CASE, case_id=case_id)
    return case_id


def _case_page(
    request: Request,
    user: ConsoleUser,
    case_id: int,
    *,
    step_form: FormState | None = None,
    correct_form: FormState | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    found = case_page(_engine(request), user.lessor, _case_id(case_id), _claim_rules(request))
    return render(
        request,
        "case.html",
        {
            "title": Label("案件 {id} · 合同 {no}", "Case {id} · contract {no}").text(
                user.lang, id=case_id, no=found.detail.contract_no
            ),
            "c": found,
            "d": found.detail,
            "claim_problem": found.claim_problem.text(user.lang) if found.claim_problem else "",
            "may_track": user.may(Action.TRACK_CASES),
            "step_form": step_form or FormState(),
            "correct_form": correct_form or FormState(),
            "step_stages": [
                (code, label_of(STAGE_LABELS, STAGE_LABELS_EN, code, user.lang)) for code in STAGES
            ],
            "max_note": MAX_NOTE_CHARS,
            "max_reason": MAX_REASON_CHARS,
            **_words(user.lang),
        },
        status_code=status_code,
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case(request: Request, user: CanRead, case_id: int) -> HTMLResponse:
    """One of the lessor's cases; another lessor's, or none, is the 404 page."""
    return _case_page(request, user, case_id)


async def _form_values(request: Request) -> dict[str, str]:
    form = await request.form()  # parsed once already for the CSRF check; Starlette keeps it
    return {name: value for name, value in form.items() if isinstance(value, str) and name != "csrf_token"}


FormValues = Annotated[dict[str, str], Depends(_form_values)]


def _refused(form: FormState, error: StepFormError, lang: Lang) -> FormState:
    form.add(error.field, error, lang)
    return form


@router.post("/cases/{case_id}/steps", response_class=HTMLResponse)
def record(
    request: Request, user: CanTrack, _csrf: CsrfChecked, case_id: int, values: FormValues
) -> Response:
    """Record a step of the case (as `cases event`); refused, the form comes back with the message beside the
    field and nothing recorded."""
    _case_id(case_id)
    try:
        record_step(_engine(request), user.lessor, case_id, values, signer=request.app.state.evidence_signer)
    except StepFormError as error:
        form = _refused(FormState(values=values), error, user.lang)
        return _case_page(request, user, case_id, step_form=form, status_code=422)
    return RedirectResponse(f"/cases/{case_id}#ledger", status_code=303)


@router.post("/cases/{case_id}/corrections", response_class=HTMLResponse)
def correct(
    request: Request, user: CanTrack, _csrf: CsrfChecked, case_id: int, values: FormValues
) -> Response:
    """Correct an entry of the case's ledger (as `cases correct`); refused, the form comes back with the message
    beside the field and nothing recorded."""
    _case_id(case_id)
    try:
        correct_step(_engine(request), user.lessor, case_id, values, signer=request.app.state.evidence_signer)
    except StepFormError as error:
        form = _refused(FormState(values=values), error, user.lang)
        return _case_page(request, user, case_id, correct_form=form, status_code=422)
    return RedirectResponse(f"/cases/{case_id}#ledger", status_code=303)


@router.get("/cases/{case_id}/case-files/{index}")
def case_file(request: Request, user: CanRead, case_id: int, index: int) -> Response:
    """A case file's deposited facts as an evidence bundle (the record and its proof, `leaseguard evidence verify`
    checks it); a record that is not this case's case file is the 404 page."""
    with _sessions(request)() as session:
        wanted = case_file_index(session, user.lessor, _case_id(case_id), index)
    name = f"case-{case_id}-file-{wanted}.zip"
    try:
        body = export_bundle(_engine(request), [wanted], lessor=user.lessor, bundle_name=name)
    except EvidenceError as error:  # no checkpoint signed yet: nothing can be proven
        raise UnknownCaseError(error.label, **error.params) from None
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
