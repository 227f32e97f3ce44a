"""/assets/screen and the funding decisions: a funding file (CSV or XLSX, the `assets` data contract) uploaded,
screened for the user's lessor (usecases.asset_screen) and kept with an id (usecases.funding_decisions); one
row per asset with its verdict and reasons, the findings and the summary to download, the file's rejected rows
with line, column and reason; and on each asset a decision — fund, hold or reject — with a comment, which for
an asset the screen blocked waits for a second person with the compliance role (maker–checker), who approves
it or declines it with a reason, on the asset's page or on the list of pending decisions.

An upload is refused, with a message on the page and nothing kept, when it is not a .csv or .xlsx file, when
it cannot be read as one, when it is larger than console.max_upload_mb (judged by its declared length before
a byte of it is read), or when none of its rows is good. Another lessor's screen, asset or decision is the
404 page, as one that does not exist."""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.console import uploads
from leaseguard.console.auth import ConsoleUser, CsrfChecked, require_user, settings_of
from leaseguard.console.rendering import FormState, NavItem, add_nav, render
from leaseguard.console.settings import ConsoleSettings
from leaseguard.errors import ConflictError, InvalidInputError, NotFoundError
from leaseguard.ingest.reports import FileProblem
from leaseguard.registry.reasons import verdict_label
from leaseguard.store.models import FundingScreenAsset
from leaseguard.tenancy import Action
from leaseguard.usecases import funding_decisions as funding
from leaseguard.usecases.asset_screen import (
    ForeignRowsError,
    ScreenFileRequest,
    read_assets_file,
    screen_assets_file,
)
from leaseguard.vocabulary import TERM_LABELS, TERM_LABELS_EN, Label, Lang, label_of

router = APIRouter(include_in_schema=False)
PENDING_PATH = "/assets/decisions"
TITLE = Label("放款筛查", "Funding screen")
PENDING_TITLE = Label("待复核的放款决定", "Decisions awaiting approval")
add_nav(NavItem("/assets/screen", TITLE, Action.CHECK_ASSETS, order=20))
add_nav(NavItem(PENDING_PATH, Label("放款复核", "Approvals"), Action.DECIDE_FUNDING, order=25))

CanScreen = Annotated[ConsoleUser, Depends(require_user(Action.CHECK_ASSETS))]
CanDecide = Annotated[ConsoleUser, Depends(require_user(Action.DECIDE_FUNDING))]
CanApprove = Annotated[ConsoleUser, Depends(require_user(Action.APPROVE_FUNDING))]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]

UPLOAD_PATH = "/assets/screen"
SUFFIXES = (".csv", ".xlsx")
ASSETS_PER_PAGE = 50
PROBLEMS_PER_PAGE = 50
SCREENS_PER_PAGE = 20
PENDING_PER_PAGE = 50
VERDICTS = ("block", "review", "clear")
VERDICT_TONES = {"clear": "good", "review": "warn", "block": "bad"}

NO_FILE = Label("请选择要上传的放款文件（CSV 或 XLSX）。", "Choose a funding file (CSV or XLSX) to upload.")
NOT_CSV_OR_XLSX = Label(
    "{name} 不是 CSV 或 XLSX 文件：只能上传 .csv 或 .xlsx 文件，未保存任何内容。",
    "{name} is not a CSV or XLSX file: upload a .csv or .xlsx file; nothing was kept.",
)
TOO_LARGE = Label(
    "文件超过上限 {limit} MB，未读取也未保存（上限见 leaseguard.yaml 的 console.max_upload_mb）。",
    "The file is larger than the limit of {limit} MB; it was neither read nor kept (console.max_upload_mb in "
    "leaseguard.yaml).",
)
ACCEPTED = uploads.Accepted(SUFFIXES, NOT_CSV_OR_XLSX, NO_FILE, TOO_LARGE)
UNREADABLE = Label(
    "{name} 无法读取：{problem}。未保存任何内容。", "{name} cannot be read: {problem}. Nothing was kept."
)
NO_GOOD_ROWS = Label(
    "{name} 中没有合格的行，未做筛查，未保存任何内容；被拒的行见下表。",
    "No row of {name} is good: nothing was screened or kept; the rejected rows are below.",
)
FOREIGN_ROWS = Label("{problem}。未保存任何内容。", "{problem}. Nothing was kept.")
FILE_KINDS: dict[str, Label] = {
    "findings": Label("逐项结论（CSV）", "Findings (CSV)"),
    "summary.xlsx": Label("摘要（XLSX）", "Summary (XLSX)"),
    "summary.html": Label("摘要（HTML）", "Summary (HTML)"),
    "rejected": Label("被拒的行（CSV）", "Rejected rows (CSV)"),
}
DOWNLOAD_NAMES = {
    "findings": "findings.csv",
    "summary.xlsx": "summary.xlsx",
    "summary.html": "summary.html",
    "rejected": "rejected-rows.csv",
}
SCREEN_NOT_FOUND = Label("没有筛查记录 {screen_id}", "no screen {screen_id}")


def _sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


_TEMPORARY_SCREENS = threading.Lock()


def screens_root(request: Request) -> Path:
    """Where screens' files are kept: under the workspace for `leaseguard serve`; without one (tests,
    `run_server`), a temporary folder made for the process."""
    settings = settings_of(request)
    if settings.screens_dir is not None:
        return settings.screens_dir
    with _TEMPORARY_SCREENS:
        folder = getattr(request.app.state, "console_screens", None)
        if folder is None:
            # Removed when the app is gone or the process ends.
            folder = tempfile.TemporaryDirectory(prefix="leaseguard-screens-")
            request.app.state.console_screens = folder
    return Path(folder.name)


def _verdict_words(lang: Lang) -> dict[str, str]:
    return {verdict: verdict_label(verdict, lang) for verdict in VERDICTS}


def _screen_id(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise NotFoundError(SCREEN_NOT_FOUND, screen_id=value)
    return int(value)


@dataclass
class Pages:
    """One page of a list the server pages: which page, how many, and the rows shown."""

    page: int
    size: int
    total: int
    items: list[Any] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        return (self.page - 1) * self.size + 1


def _page_of(requested: int, size: int, total: int) -> Pages:
    pages = max(1, -(-total // size))
    return Pages(page=min(requested, pages), size=size, total=total)


# --- the upload -----------------------------------------------------------------------------------------------


@dataclass
class Upload:
    """What became of an uploaded file: kept as a screen, or refused with a message (and the rejected rows
    when none was good)."""

    screen_id: int | None = None
    message: str = ""
    problems: list[dict[str, Any]] = field(default_factory=list)


def _upload_page(
    request: Request, user: ConsoleUser, *, form: FormState | None = None, problems: list[dict[str, Any]] | None = None,
    before: int | None = None, status_code: int = 200, headers: dict[str, str] | None = None,
) -> HTMLResponse:  # fmt: skip
    with _sessions(request)() as session:
        screens = funding.list_screens(session, user.lessor, limit=SCREENS_PER_PAGE + 1, before_id=before)
    more = len(screens) > SCREENS_PER_PAGE
    screens = screens[:SCREENS_PER_PAGE]
    return render(
        request,
        "funding_upload.html",
        {
            "title": TITLE.text(user.lang),
            "form": form or FormState(),
            "problems": problems or [],
            "screens": screens,
            "older": screens[-1].id if more and screens else None,
            "max_upload_mb": settings_of(request).max_upload_mb,
        },
        status_code=status_code,
        headers=headers,
    )


@router.get(UPLOAD_PATH, response_class=HTMLResponse)
def upload_form(
    request: Request, user: CanScreen, before: Annotated[int | None, Query(ge=1)] = None
) -> HTMLResponse:
    """The upload form and the lessor's screens, newest first."""
    return _upload_page(request, user, before=before)


def _screen_upload(
    request: Request, settings: ConsoleSettings, user: ConsoleUser, source: BinaryIO, name: str, suffix: str
) -> Upload:
    """Read, screen and keep an uploaded file (in a worker thread); what became of it."""
    lang = user.lang
    with tempfile.TemporaryDirectory(prefix="leaseguard-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        digest = hashlib.sha256()
        with path.open("wb") as copy:
            while chunk := source.read(1024 * 1024):
                digest.update(chunk)
                copy.write(chunk)
        try:
            report, rows = read_assets_file(
                path, name=name, max_amount_yuan=settings.max_amount_yuan, limits=settings.read_limits
            )
        except FileProblem as problem:
            return Upload(message=UNREADABLE.text(lang, name=name, problem=problem.text(lang)))
    problems = [
        {"line": error.line, "column": error.column, "reason": error.text(lang)}
        for error in report.errors[: funding.PROBLEMS_KEPT]
    ]
    if rows.height == 0:
        return Upload(message=NO_GOOD_ROWS.text(lang, name=name), problems=problems)
    engine = request.app.state.engine
    try:
        result = screen_assets_file(
            engine,
            ScreenFileRequest(rows=rows, lessor=user.lessor, lang=lang),
            registers=request.app.state.registers,
        )
    except ForeignRowsError as error:
        return Upload(message=FOREIGN_ROWS.text(lang, problem=error.text(lang)))
    screen_id = funding.keep_screen(
        engine,
        screens_root(request),
        person=funding.Person(user.username, user.lessor, user.role),
        file_name=name,
        file_sha256=digest.hexdigest(),
        report=report,
        result=result,
    )
    return Upload(screen_id=screen_id)


@router.post(UPLOAD_PATH, response_class=HTMLResponse)
async def upload(request: Request, user: CanScreen) -> Response:
    """Screen an uploaded funding file for the user's lessor and keep it: on to its page. The size is judged
    on the declared length before the body is read, and the CSRF token checked after (CsrfChecked would read
    the whole body first); a refused file leaves nothing behind."""
    settings = settings_of(request)
    lang = user.lang
    form = FormState()

    async def refused(status_code: int, **options: Any) -> Response:
        page: HTMLResponse = await run_in_threadpool(
            lambda: _upload_page(request, user, form=form, status_code=status_code, **options)
        )
        return page

    outcome = await uploads.receive(
        request, settings, form, lang, ACCEPTED,
        lambda file, name, suffix: _screen_upload(request, settings, user, file, name, suffix),
    )  # fmt: skip
    if isinstance(outcome, uploads.Refusal):
        return await refused(outcome.status, headers=outcome.headers)
    if outcome.screen_id is None:
        form.add("file", outcome.message, lang)
        return await refused(422, problems=outcome.problems)
    return RedirectResponse(f"{UPLOAD_PATH}/{outcome.screen_id}", status_code=303)


# --- a screen -------------------------------------------------------------------------------------------------


def _asset_words(lang: Lang) -> dict[str, Any]:
    def decision_text(code: str) -> str:
        label = funding.DECISION_LABELS.get(code)
        return label.text(lang) if label else code

    def status_text(code: str) -> str:
        label = funding.STATUS_LABELS.get(code)
        return label.text(lang) if label else code

    return {
        "verdict_text": lambda code: verdict_label(code, lang),
        "tone": lambda code: VERDICT_TONES.get(code, ""),
        "decision_text": decision_text,
        "status_text": status_text,
        "asset_type_text": lambda code: label_of(TERM_LABELS, TERM_LABELS_EN, code, lang) if code else "—",
        "reasons_of": lambda asset: asset.reasons_zh if lang == "zh" else asset.reasons_en,
    }


@router.get(UPLOAD_PATH + "/{screen_id}", response_class=HTMLResponse)
def screen_page(
    request: Request,
    user: CanScreen,
    screen_id: str,
    verdict: Annotated[str | None, Query(max_length=16)] = None,
    page: PageNumber = 1,
    problems_page: PageNumber = 1,
) -> HTMLResponse:
    """One screen of the user's lessor: its assets a page at a time (of one verdict, or all), the files to
    download, the rejected rows of the file."""
    shown_verdict = verdict if verdict in VERDICTS else None
    with _sessions(request)() as session:
        screen = funding.get_screen(session, user.lessor, _screen_id(screen_id))
        assets = _page_of(page, ASSETS_PER_PAGE, funding.verdict_count(screen, shown_verdict))
        assets.items = funding.screen_assets(
            session,
            screen,
            offset=(assets.page - 1) * ASSETS_PER_PAGE,
            limit=ASSETS_PER_PAGE,
            verdict=shown_verdict,
        )
        standing = funding.current_decisions(session, [asset.id for asset in assets.items])
        session.expunge_all()
    problems = _page_of(problems_page, PROBLEMS_PER_PAGE, len(screen.problems))
    start = (problems.page - 1) * PROBLEMS_PER_PAGE
    problems.items = [
        {"line": p["line"], "column": p["column"], "reason": p["zh"] if user.lang == "zh" else p["en"]}
        for p in screen.problems[start : start + PROBLEMS_PER_PAGE]
    ]
    files = [
        (kind, FILE_KINDS[kind].text(user.lang))
        for kind in FILE_KINDS
        if funding.screen_file(screens_root(request), screen, kind, user.lang) is not None
    ]
    counts = {v: funding.verdict_count(screen, v) for v in VERDICTS}
    base = f"{UPLOAD_PATH}/{screen.id}?" + (f"verdict={shown_verdict}&" if shown_verdict else "")
    return render(
        request,
        "funding_screen.html",
        {
            "title": Label("筛查 {id}：{file}", "Screen {id}: {file}").text(
                user.lang, id=screen.id, file=screen.file_name
            ),
            "screen": screen,
            "assets": assets,
            "standing": {
                asset_id: (d, funding.status_of(d, current=True)) for asset_id, d in standing.items()
            },
            "problems": problems,
            "files": files,
            "counts": counts,
            "verdict": shown_verdict,
            "verdicts": _verdict_words(user.lang),
            "assets_href": lambda number: f"{base}page={number}#assets",
            "problems_href": lambda number: f"{base}page={assets.page}&problems_page={number}#rejected-rows",
            **_asset_words(user.lang),
        },
    )


@router.get(UPLOAD_PATH + "/{screen_id}/files/{kind}")
def screen_download(request: Request, user: CanScreen, screen_id: str, kind: str) -> Response:
    """A kept file of the screen, in the user's language, as a download."""
    with _sessions(request)() as session:
        screen = funding.get_screen(session, user.lessor, _screen_id(screen_id))
    found = funding.screen_file(screens_root(request), screen, kind, user.lang)
    if found is None:
        raise NotFoundError(
            Label("筛查 {id} 没有文件 {kind}", "screen {id} has no file {kind}"), id=screen.id, kind=kind
        )
    path, media_type = found
    return FileResponse(
        path,
        media_type=media_type,
        filename=f"screen-{screen.id}-{DOWNLOAD_NAMES[kind]}",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


# --- an asset and its decisions -------------------------------------------------------------------------------


def _asset_page(
    request: Request,
    user: ConsoleUser,
    screen_id: str,
    position: int,
    *,
    decide_form: FormState | None = None,
    approve_form: FormState | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with _sessions(request)() as session:
        asset = funding.screened_asset(session, user.lessor, _screen_id(screen_id), position)
        screen = funding.get_screen(session, user.lessor, asset.screen_id)
        decisions = funding.decisions_on(session, asset)
        session.expunge_all()
    history = [(d, funding.status_of(d, current=number == 0)) for number, d in enumerate(decisions)]
    standing = history[0] if history else None
    return render(
        request,
        "funding_asset.html",
        {
            "title": Label("筛查 {id} · 第 {position} 项资产", "Screen {id} · asset {position}").text(
                user.lang, id=screen.id, position=asset.position
            ),
            "screen": screen,
            "asset": asset,
            "history": history,
            "standing": standing,
            "decide_form": decide_form or FormState(),
            "approve_form": approve_form or FormState(),
            "decisions": [
                (code, funding.DECISION_LABELS[code].text(user.lang)) for code in funding.DECISIONS
            ],
            "may_decide": user.may(Action.DECIDE_FUNDING),
            "may_approve": user.may(Action.APPROVE_FUNDING),
            "needs_checker": asset.verdict == "block",
            **_asset_words(user.lang),
        },
        status_code=status_code,
    )


@router.get(UPLOAD_PATH + "/{screen_id}/assets/{position}", response_class=HTMLResponse)
def asset_page(request: Request, user: CanScreen, screen_id: str, position: int) -> HTMLResponse:
    """One screened asset: what the file says of it, its verdict and reasons, the decisions taken on it, and
    the forms to decide and to approve."""
    return _asset_page(request, user, screen_id, position)


def _asset_url(screen_id: str, position: int) -> str:
    return f"{UPLOAD_PATH}/{screen_id}/assets/{position}"


Comment = Annotated[str, Form(max_length=funding.MAX_COMMENT_CHARS * 4)]


@router.post(UPLOAD_PATH + "/{screen_id}/assets/{position}/decisions", response_class=HTMLResponse)
def decide(
    request: Request,
    user: CanDecide,
    _csrf: CsrfChecked,
    screen_id: str,
    position: int,
    decision: Annotated[str, Form(max_length=16)] = "",
    comment: Comment = "",
) -> Response:
    """Record the user's decision on the asset; refused, the form comes back with the reason, nothing changed."""
    form = FormState(values={"decision": decision, "comment": comment})
    try:
        with _sessions(request)() as session, session.begin():
            asset = funding.screened_asset(session, user.lessor, _screen_id(screen_id), position)
            funding.decide(
                session, funding.Person(user.username, user.lessor, user.role), asset, decision, comment,
                signer=request.app.state.evidence_signer,
            )  # fmt: skip
    except InvalidInputError as error:
        form.add(
            "comment" if isinstance(error, funding.FundingCommentError) else "decision", error, user.lang
        )
        return _asset_page(request, user, screen_id, position, decide_form=form, status_code=422)
    return RedirectResponse(_asset_url(screen_id, position) + "#decisions", status_code=303)


# Where a checker's answer was given from: the asset's page (the default) or the list of pending decisions.
FROM_LIST = "list"


def _check(
    request: Request,
    user: ConsoleUser,
    decision_id: int,
    field: str,
    text: str,
    answer: Callable[..., object],
    back: str,
) -> Response:
    """A checker's answer (`funding.approve` or `funding.decline`) to a pending decision, given on the asset's
    page or on the list of pending decisions (`back`), and back to it. Refused — the maker, a decision no longer
    pending, a comment or reason missing or too long — the page comes back with the reason, beside `field` when
    it is the comment's or reason's (FundingCommentError), and nothing changed."""
    with _sessions(request)() as session:
        row = funding.get_decision(session, user.lessor, decision_id)
        asset = session.get(FundingScreenAsset, row.screen_asset_id)
        assert asset is not None  # a decision's asset is a foreign key
        screen_id, position = str(asset.screen_id), asset.position
    form = FormState(values={field: text})
    try:
        with _sessions(request)() as session, session.begin():
            answer(
                session, funding.Person(user.username, user.lessor, user.role), decision_id, text,
                signer=request.app.state.evidence_signer,
            )  # fmt: skip
    except (InvalidInputError, ConflictError) as error:
        form.add(field if isinstance(error, funding.FundingCommentError) else "", error, user.lang)
        status = 409 if isinstance(error, ConflictError) else 422
        if back == FROM_LIST:
            return _pending_page(request, user, refused=(decision_id, form), status_code=status)
        return _asset_page(request, user, screen_id, position, approve_form=form, status_code=status)
    if back == FROM_LIST:
        return RedirectResponse(PENDING_PATH, status_code=303)
    return RedirectResponse(_asset_url(screen_id, position) + "#decisions", status_code=303)


Back = Annotated[str, Form(max_length=16)]


@router.post("/assets/decisions/{decision_id}/approve", response_class=HTMLResponse)
def approve(
    request: Request,
    user: CanApprove,
    _csrf: CsrfChecked,
    decision_id: int,
    comment: Comment = "",
    back: Back = "",
) -> Response:
    """A checker approves a pending decision."""
    return _check(request, user, decision_id, "comment", comment, funding.approve, back)


@router.post("/assets/decisions/{decision_id}/decline", response_class=HTMLResponse)
def decline(
    request: Request,
    user: CanApprove,
    _csrf: CsrfChecked,
    decision_id: int,
    reason: Comment = "",
    back: Back = "",
) -> Response:
    """A checker declines (驳回) a pending decision, saying why: the asset is left without a decision in force."""
    return _check(request, user, decision_id, "reason", reason, funding.decline, back)


def _pending_page(
    request: Request,
    user: ConsoleUser,
    *,
    after: int | None = None,
    refused: tuple[int, FormState] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with _sessions(request)() as session:
        found = funding.pending_decisions(session, user.lessor, limit=PENDING_PER_PAGE + 1, after_id=after)
        session.expunge_all()
    more = len(found) > PENDING_PER_PAGE
    found = found[:PENDING_PER_PAGE]
    refused_id, refused_form = refused if refused is not None else (None, FormState())
    return render(
        request,
        "funding_pending.html",
        {
            "title": PENDING_TITLE.text(user.lang),
            "pending": found,
            "next_after": found[-1][0].id if more and found else None,
            "may_approve": user.may(Action.APPROVE_FUNDING),
            # A refused answer: its message at the top, or beside its row's field; the text typed kept there.
            "refused_id": refused_id,
            "refused_form": refused_form,
            "from_list": FROM_LIST,
            **_asset_words(user.lang),
        },
        status_code=status_code,
    )


@router.get(PENDING_PATH, response_class=HTMLResponse)
def pending(
    request: Request, user: CanDecide, after: Annotated[int | None, Query(ge=1)] = None
) -> HTMLResponse:
    """The lessor's decisions waiting for a checker, oldest first, a page at a time; a checker approves or
    declines each from here too."""
    return _pending_page(request, user, after=after)
