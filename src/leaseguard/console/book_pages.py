"""/book: the lessor's classified book on a run day — totals per class, the moves of class since the run before,
the contracts a page at a time filtered by class, DPD bucket, industry, region and product, the day's export as
XLSX (`usecases.daily_book.book_day` and `write_book_day`, the file `leaseguard book export` writes, of the
user's lessor only; a big day's written by a background job, `BOOK_EXPORT`, and downloaded from
/jobs/{id}/download) — and the daily run as a background job: an admin (`book:run`) starts it from the page, and
/jobs/{id} shows its progress (a fragment htmx polls every second until the job has ended).

The pages parse, call the use cases (usecases.book_page, leaseguard.jobs) and render. Another lessor's job is the
404 page, as one that does not exist."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from leaseguard.console.auth import ConsoleUser, CsrfChecked, require_user, settings_of
from leaseguard.console.overview import class_label
from leaseguard.console.rendering import FormState, NavItem, add_nav, render
from leaseguard.errors import InvalidInputError, NotFoundError
from leaseguard.jobs import STATE_LABELS, SUCCEEDED, JobBusyError, JobRunner, job_of, recent_jobs
from leaseguard.tenancy import Action
from leaseguard.usecases.book_overview import RunDayCache
from leaseguard.usecases.book_page import (
    BOOK_EXPORT,
    DAILY_RUN,
    MAX_RUN_DAYS,
    MAX_TEXT,
    BookFilterError,
    NoRunDayError,
    book_page,
    bucket_label,
    class_counts,
    dpd_buckets,
    export_file,
    parse_run_days,
    province_label,
    provinces,
    run_days_of,
)
from leaseguard.usecases.daily_book import book_day, write_book_day
from leaseguard.vocabulary import CLASSES, LEASE_TYPE_LABELS, LEASE_TYPE_LABELS_EN, Label, Lang, label_of

router = APIRouter(include_in_schema=False)
TITLE = Label("五级分类账簿", "Classified book")
add_nav(NavItem("/book", Label("账簿", "Book"), Action.READ_CONTRACTS, order=5))

CanRead = Annotated[ConsoleUser, Depends(require_user(Action.READ_CONTRACTS))]
CanRun = Annotated[ConsoleUser, Depends(require_user(Action.RUN_BOOK))]
Text = Annotated[str | None, Query(max_length=400)]
Cursor = Annotated[str | None, Query(max_length=64)]
JOBS_SHOWN = 5
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_DOWNLOAD = Label("任务 {job_id} 没有可下载的文件", "job {job_id} has no file to download")


def _cache(request: Request) -> RunDayCache:
    cache = getattr(request.app.state, "overview_figures", None)
    if cache is None:
        cache = request.app.state.overview_figures = RunDayCache()
    return cache


def _runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs
    return runner


def _job_words(lang: Lang) -> dict[str, Any]:
    return {
        "state_label": lambda state: STATE_LABELS.get(state, Label(state, state)).text(lang),
        "job_label": lambda job: job.label.text(lang),
        "job_message": lambda job: job.message.text(lang) if job.message is not None else "",
        "class_label": lambda klass: class_label(klass, lang),
        "product_label": lambda code: (
            label_of(LEASE_TYPE_LABELS, LEASE_TYPE_LABELS_EN, code, lang) if code else "—"
        ),
    }


def _book(
    request: Request,
    user: ConsoleUser,
    values: dict[str, str],
    *,
    after: str | None = None,
    before: str | None = None,
    run_form: FormState | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    engine = request.app.state.engine
    form = FormState(values=values)
    page = None
    no_run = ""
    status = status_code
    try:
        page = book_page(engine, user.lessor, values, after=after, before=before, cache=_cache(request))
    except BookFilterError as error:
        form.add(error.field, error, user.lang)
        status = 422
        # The page still shows the day's book (the latest day's, if the day was the trouble), unfiltered.
        try:
            kept = {"day": values.get("day", "")} if error.field != "day" else {}
            page = book_page(engine, user.lessor, kept, cache=_cache(request))
        except (BookFilterError, NoRunDayError):
            page = None
    except NoRunDayError as error:
        no_run = error.text(user.lang)
    runs = page.runs if page is not None else run_days_of(engine, user.lessor)
    may_run = user.may(Action.RUN_BOOK)
    latest = runs[0].as_of.isoformat() if runs else ""
    return render(
        request,
        "book.html",
        {
            "title": TITLE.text(user.lang),
            "form": form,
            "p": page,
            "no_run": no_run,
            "runs": runs,
            "classes": [(code, class_label(code, user.lang)) for code in CLASSES],
            "buckets": [(name, bucket_label(name, user.lang)) for name, _, _ in dpd_buckets()],
            "bucket_label": lambda name: bucket_label(name, user.lang),
            "provinces": [(code, province_label(code, user.lang)) for code in sorted(provinces())],
            "province": lambda code: province_label(code, user.lang),
            "max_text": MAX_TEXT,
            "max_days": MAX_RUN_DAYS,
            "may_run": may_run,
            "run_form": run_form or FormState(values={"days": latest}),
            "jobs": recent_jobs(engine, user.lessor, limit=JOBS_SHOWN),
            "query": page.filter.query() if page is not None else {},
            **_job_words(user.lang),
        },
        status_code=status,
    )


@router.get("/book", response_class=HTMLResponse)
def book(
    request: Request,
    user: CanRead,
    day: Text = None,
    klass: Annotated[str | None, Query(alias="class", max_length=400)] = None,
    dpd: Text = None,
    industry: Text = None,
    region: Text = None,
    product: Text = None,
    after: Cursor = None,
    before: Cursor = None,
) -> HTMLResponse:
    """The lessor's classified day (the latest run day unless `day`), filtered; a filter that cannot be used is
    the message beside its field (422) and the day's book without it."""
    values = {
        "day": day or "", "class": klass or "", "dpd": dpd or "", "industry": industry or "",
        "region": region or "", "product": product or "",
    }  # fmt: skip
    return _book(request, user, values, after=after, before=before)


@router.get("/book/export.xlsx")
def export(request: Request, user: CanRead, day: Annotated[str, Query(max_length=10)]) -> Response:
    """The day's export of the user's lessor as XLSX: `leaseguard book export`'s columns and workbook (money as
    numbers in yuan, headers and classes in the user's language). A day that was not run is the 404 page. A day of
    more than console.export_inline_contracts of the lessor's contracts is written by a background job: the answer
    is its progress page (/jobs/{id}, 303), which offers the download when it is written; while the lessor's
    export job is running, the link goes to that job."""
    import datetime as dt

    try:
        wanted = dt.date.fromisoformat(day)
    except ValueError:
        raise InvalidInputError(
            Label("“{value}”不是日期（请写 YYYY-MM-DD）", "“{value}” is not a date (write YYYY-MM-DD)"),
            value=day,
        ) from None
    engine = request.app.state.engine
    if sum(class_counts(engine, user.lessor, wanted).values()) > settings_of(request).export_inline_contracts:
        try:
            job = _runner(request).start(
                user.lessor,
                BOOK_EXPORT,
                {"day": wanted.isoformat(), "lang": user.lang},
                started_by=user.username,
            )
        except JobBusyError as error:
            job = error.running
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)
    found = book_day(request.app.state.workspace, wanted, lessor=user.lessor)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"book-{wanted.isoformat()}.xlsx"
        write_book_day(found, out, user.lang)
        body = out.read_bytes()
    return Response(
        body, media_type=XLSX, headers=_attachment(f"book-{user.lessor}-{wanted.isoformat()}.xlsx")
    )


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


@router.get("/jobs/{job_id}/download")
def job_download(request: Request, user: CanRead, job_id: int) -> Response:
    """The workbook an export job of the lessor wrote; the 404 page for another lessor's job, a job that wrote
    none, or one not finished yet."""
    job = job_of(request.app.state.engine, user.lessor, job_id)
    written = export_file(request.app.state.workspace.root, job.result) if job.state == SUCCEEDED else None
    if job.kind != BOOK_EXPORT or written is None:
        raise NotFoundError(NO_DOWNLOAD, job_id=job.id)
    return FileResponse(written, media_type=XLSX, headers=_attachment(written.name))


@router.post("/book/runs", response_class=HTMLResponse)
def start_run(
    request: Request, user: CanRun, _csrf: CsrfChecked, days: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    """Start a daily run of the days in the form, as a background job, and go to its progress; refused (bad days,
    or one already running for the lessor), the form comes back with the message beside the days."""
    run_form = FormState(values={"days": days})
    try:
        wanted = parse_run_days(days)
        job = _runner(request).start(
            user.lessor, DAILY_RUN, {"days": [d.isoformat() for d in wanted]}, started_by=user.username
        )
    except JobBusyError as error:
        run_form.add("days", error, user.lang)
        run_form.values["running"] = str(error.running.id)
        return _book(request, user, {}, run_form=run_form, status_code=409)
    except InvalidInputError as error:
        run_form.add("days", error, user.lang)
        return _book(request, user, {}, run_form=run_form, status_code=422)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, user: CanRead, job_id: int) -> HTMLResponse:
    """A job of the lessor with its progress bar; with htmx (its own polling) only the progress fragment."""
    job = _runner(request).view(user.lessor, job_id)
    context = {
        "title": Label("任务 {id} · {kind}", "Job {id} · {kind}").text(
            user.lang, id=job.id, kind=job.label.text(user.lang)
        ),
        "job": job,
        **_job_words(user.lang),
    }
    if request.headers.get("HX-Request"):
        return render(request, "job_progress.html", context)
    return render(request, "job.html", context)
