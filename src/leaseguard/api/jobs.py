"""Background jobs over the API: start a daily run for your lessor (`book:run`, the admin role) and follow any of
your lessor's jobs. The work is the console's (leaseguard.jobs and usecases.book_page.run_daily): a job started
here shows on /book too, and the other way round."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator

from leaseguard.api.deps import require
from leaseguard.api.params import RowIdPath
from leaseguard.api.problems import problem_responses, request_lang
from leaseguard.jobs import JobRunner, JobView
from leaseguard.tenancy import Action, Principal
from leaseguard.timestamps import UtcDatetime
from leaseguard.usecases.book_page import DAILY_RUN, MAX_RUN_DAYS, parse_run_days
from leaseguard.vocabulary import Lang

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=problem_responses(401, 403, 422))
CanRead = Annotated[Principal, Depends(require(Action.READ_CONTRACTS))]
CanRun = Annotated[Principal, Depends(require(Action.RUN_BOOK))]


class JobOut(BaseModel):
    id: int
    kind: str
    state: str = Field(description="queued, running, succeeded or failed")
    done: int = Field(
        description="Steps finished (a daily run: reading the book, then positions, classes and storing of each "
        "day; a book export: rows written; case files: contracts)."
    )
    total: int | None = Field(description="Steps in all, once known.")
    params: dict[str, Any]
    message: str | None = Field(description="Why it failed, in the Accept-Language language.")
    result: dict[str, Any] | None = Field(
        description="What it did, once succeeded (a daily run: your lessor's contracts per class on each day)."
    )
    started_by: str
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    heartbeat_at: UtcDatetime | None = Field(
        default=None,
        description="When the job's progress was last written: every second while it runs (the work tells its "
        "steps; a step of a big book may take longer than that, and `done` then stays while the heartbeat moves).",
    )

    @classmethod
    def of(cls, job: JobView, lang: Lang) -> JobOut:
        return cls(
            id=job.id, kind=job.kind, state=job.state, done=job.done, total=job.total, params=job.params,
            message=job.message.text(lang) if job.message is not None else None, result=job.result,
            started_by=job.started_by, created_at=job.created_at, started_at=job.started_at,
            finished_at=job.finished_at, heartbeat_at=job.heartbeat_at,
        )  # fmt: skip


class DailyRunIn(BaseModel):
    day: dt.date | None = Field(default=None, description="The day to run (or give `days`).")
    days: list[dt.date] | None = Field(
        default=None, max_length=MAX_RUN_DAYS, description=f"The days to run, at most {MAX_RUN_DAYS}."
    )

    @model_validator(mode="after")
    def _some_day(self) -> DailyRunIn:
        if self.day is None and not self.days:
            raise ValueError("give `day` or `days`")
        return self

    def wanted(self) -> list[dt.date]:
        return parse_run_days(
            [d.isoformat() for d in [*(self.days or []), *([self.day] if self.day else [])]]
        )


def _runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs
    return runner


@router.post(
    "/daily-run",
    status_code=202,
    response_model=JobOut,
    summary="Start a daily run of your lessor's book",
    description="Classifies and provisions your lessor's book on each day (as `leaseguard run daily --lessor`: "
    "your contracts only; another lessor's days are not touched), in the background: "
    "answers 202 with the job at once and its address in `Location`; follow it with `GET /v1/jobs/{id}`. Each "
    "day is one transaction. One daily run at a time per lessor: while one is queued or running, another "
    "start is refused with 409 (`busy`) naming it. Needs `book:run` (the admin role).",
    responses=problem_responses(409),
)
def start_daily_run(principal: CanRun, request: Request, body: DailyRunIn) -> JSONResponse:
    days = body.wanted()
    job = _runner(request).start(
        principal.lessor, DAILY_RUN, {"days": [d.isoformat() for d in days]},
        started_by=f"api:{principal.key_prefix}",
    )  # fmt: skip
    out = JobOut.of(job, request_lang(request))
    return JSONResponse(
        out.model_dump(mode="json"), status_code=202, headers={"Location": f"/v1/jobs/{job.id}"}
    )


@router.get(
    "/{job_id}",
    summary="One of your lessor's jobs: its state, progress and result",
    description="Another lessor's job is answered like one that does not exist (404).",
    responses=problem_responses(404),
)
def get_job(principal: CanRead, request: Request, job_id: RowIdPath) -> JobOut:
    runner: JobRunner = request.app.state.jobs
    return JobOut.of(runner.view(principal.lessor, job_id), request_lang(request))
