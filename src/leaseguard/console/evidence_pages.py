"""/evidence: the user's lessor's evidence records — look one up by index or reference, read it, download its
bundle — the latest signed checkpoint, and /evidence/verify, where anyone signed in uploads a bundle and reads
the verdict in words. The pages parse, call usecases.evidence_lookup and render; another lessor's record is the
404 page, as one that does not exist. Verification reads only the uploaded file and the log's public key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.console import uploads
from leaseguard.console.auth import ConsoleUser, require_user, settings_of
from leaseguard.console.lookups import EVIDENCE_KIND_LABELS
from leaseguard.console.rendering import FormState, NavItem, add_nav, render
from leaseguard.evidence.service import UnknownRecordError
from leaseguard.tenancy import Action
from leaseguard.usecases import evidence_lookup as lookup
from leaseguard.vocabulary import Label, Lang

router = APIRouter(include_in_schema=False)
TITLE = Label("证据", "Evidence")
VERIFY_TITLE = Label("验证证据包", "Verify a bundle")
VERIFY_PATH = "/evidence/verify"
add_nav(NavItem("/evidence", TITLE, Action.READ_EVIDENCE, order=60))

CanRead = Annotated[ConsoleUser, Depends(require_user(Action.READ_EVIDENCE))]
# Checking a bundle reads nothing of any lessor's: every role may.
SignedIn = Annotated[ConsoleUser, Depends(require_user(None))]
RecordIndex = Annotated[int, Path(ge=0, lt=lookup.MAX_INDEX)]

NO_SUCH_RECORD = Label("本出租人没有证据记录 {index}。", "Your lessor has no evidence record {index}.")
NO_SUCH_REFERENCE = Label(
    "本出租人没有引用以 {prefixes} 开头的证据记录。",
    "None of your lessor's records has a reference starting {prefixes}.",
)
TOO_LARGE = Label(
    "文件超过上限 {limit} MB，未读取（上限见 leaseguard.yaml 的 console.max_upload_mb）。",
    "The file is larger than the limit of {limit} MB; it was not read (console.max_upload_mb in leaseguard.yaml).",
)
NO_FILE = Label("请选择要验证的证据包（.zip）。", "Choose a bundle (.zip) to verify.")
NOT_ZIP_NAME = Label(
    "{name} 不是 .zip 文件：请上传从证据日志导出的证据包。",
    "{name} is not a .zip file: upload a bundle exported from the evidence log.",
)
ACCEPTED = uploads.Accepted((".zip",), NOT_ZIP_NAME, NO_FILE, TOO_LARGE)


def _sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def _kind_text(lang: Lang) -> Any:
    def kind_text(code: str) -> str:
        label = EVIDENCE_KIND_LABELS.get(code)
        return label.text(lang) if label is not None else code

    return kind_text


# --- /evidence --------------------------------------------------------------------------------------------


@router.get("/evidence", response_class=HTMLResponse)
def evidence_home(
    request: Request,
    user: CanRead,
    q: Annotated[str | None, Query(max_length=1000)] = None,
    before: Annotated[int | None, Query(ge=0, lt=lookup.MAX_INDEX)] = None,
    after: Annotated[str | None, Query(max_length=400)] = None,
) -> Response:
    """The look-up form, the latest checkpoint and the lessor's newest records (or those whose reference
    starts with what was typed). An index goes straight to its record; text that cannot be looked up, or an
    index the lessor has no record at, is a message beside the box."""
    lang = user.lang
    form = FormState(values={"q": q or ""})
    context: dict[str, Any] = {
        "title": TITLE.text(lang),
        "form": form,
        "lookup": None,
        "found": None,
        "recent": None,
        "max_chars": lookup.MAX_LOOKUP_CHARS,
        "kind_text": _kind_text(lang),
    }
    status = 200
    with _sessions(request)() as session:
        context["checkpoint"] = lookup.latest_checkpoint(session)
        if q is not None:
            try:
                asked = lookup.parse_lookup(q)
            except lookup.LookupTextError as error:
                form.add("q", error, lang)
                status = 422
            else:
                if asked.index is not None:
                    try:
                        lookup.record_detail(session, user.lessor, asked.index)
                    except UnknownRecordError:
                        form.add("q", NO_SUCH_RECORD, lang, index=asked.index)
                        status = 404
                    else:
                        return RedirectResponse(f"/evidence/records/{asked.index}", status_code=303)
                else:
                    found = lookup.records_by_reference(session, user.lessor, asked.prefixes, after=after)
                    context["lookup"] = asked
                    context["found"] = found
                    if not found.items and after is None:
                        form.add("q", NO_SUCH_REFERENCE, lang, prefixes=" / ".join(asked.prefixes))
        if context["found"] is None:
            context["recent"] = lookup.recent_records(session, user.lessor, before=before)
    return render(request, "evidence.html", context, status_code=status)


# --- /evidence/records/{index} -----------------------------------------------------------------------------


@router.get("/evidence/records/{index}", response_class=HTMLResponse)
def evidence_record(request: Request, user: CanRead, index: RecordIndex) -> HTMLResponse:
    """One record of the lessor; another lessor's, or none, is the 404 page."""
    with _sessions(request)() as session:
        detail = lookup.record_detail(session, user.lessor, index)
    title = Label("证据记录 {index}", "Evidence record {index}").text(user.lang, index=index)
    return render(
        request,
        "evidence_record.html",
        {"title": title, "r": detail, "kind_text": _kind_text(user.lang)},
    )


@router.get("/evidence/records/{index}/bundle")
def evidence_bundle(request: Request, user: CanRead, index: RecordIndex) -> Response:
    """The record's verifiable bundle (zip), as `leaseguard evidence export` writes it."""
    with _sessions(request)() as session:
        data = lookup.record_bundle(session, user.lessor, index)
    name = lookup.bundle_file_name(index)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


# --- /evidence/verify ---------------------------------------------------------------------------------------


def _verify_page(
    request: Request, user: ConsoleUser, *, form: FormState | None = None, check: lookup.BundleCheck | None = None,
    file_name: str = "", status_code: int = 200, headers: dict[str, str] | None = None,
) -> HTMLResponse:  # fmt: skip
    return render(
        request,
        "evidence_verify.html",
        {
            "title": VERIFY_TITLE.text(user.lang),
            "form": form or FormState(),
            "check": check,
            "file_name": file_name,
            "max_upload_mb": settings_of(request).max_upload_mb,
            "kind_text": _kind_text(user.lang),
            "may_look_up": user.may(Action.READ_EVIDENCE),
        },
        status_code=status_code,
        headers=headers,
    )


@router.get(VERIFY_PATH, response_class=HTMLResponse)
def verify_form(request: Request, user: SignedIn) -> HTMLResponse:
    return _verify_page(request, user)


def _verify(request: Request, data: bytes, name: str) -> lookup.BundleCheck:
    with _sessions(request)() as session:
        return lookup.verify_uploaded_bundle(session, data, file_name=name)


@router.post(VERIFY_PATH, response_class=HTMLResponse)
async def verify_upload(request: Request, user: SignedIn) -> Response:
    """Verify an uploaded bundle with the log's public key and say the verdict. Its size is judged on the
    declared length before the body is read (console.max_upload_mb), the CSRF token after; nothing is kept."""
    settings = settings_of(request)
    lang = user.lang
    form = FormState()

    async def refused(status_code: int, **options: Any) -> Response:
        page: HTMLResponse = await run_in_threadpool(
            lambda: _verify_page(request, user, form=form, status_code=status_code, **options)
        )
        return page

    received = await uploads.receive(request, settings, form, lang, ACCEPTED, uploads.read_capped(settings))
    if isinstance(received, uploads.Refusal):
        return await refused(received.status, headers=received.headers)
    data, name = received
    if len(data) > settings.max_upload_bytes:
        form.add("file", TOO_LARGE, lang, limit=settings.max_upload_mb)
        return await refused(413)
    try:
        check = await run_in_threadpool(_verify, request, data, name)
    except lookup.BundleFileError as error:
        form.add("file", error, lang)
        return await refused(422)
    page: HTMLResponse = await run_in_threadpool(
        lambda: _verify_page(request, user, check=check, file_name=name)
    )
    return page
