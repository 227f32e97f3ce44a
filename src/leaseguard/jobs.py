"""Background jobs: long work a person starts from the console or a machine from the API, run in a thread of the
serving process while the request answers at once, with its state and progress in the store's `jobs` table so
any page or worker process can show it.

A kind of job is a function registered under a name:

    def generate(context: JobContext) -> dict[str, Any]:
        for done, chunk in enumerate(chunks, start=1):
            ...                                   # the work, each step committed whole or not at all
            context.progress(done, len(chunks))
        return {"files": n}                       # the job's result (JSON), kept in jobs.result

    register_kind(JobKind("case-files", Label("生成案件材料", "Generate case files"), generate))

and started with `runner.start(lessor, "case-files", params, started_by=...)`. The runner writes the job's
progress and a heartbeat at least every HEARTBEAT_SECONDS; a LeaseguardError the work raises is the job's failure,
its message kept in Chinese and English; anything else fails the job with a generic message (the traceback goes to
the log, never to the page). A kind that is `exclusive` runs one job at a time per lessor: a second start while one
is queued or running is refused with JobBusyError naming the running job (the store's unique `jobs.exclusive`
decides, so two worker processes cannot both start one). A job whose process died (no heartbeat for
STALE_SECONDS) is marked failed when the next one of its kind is started."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from leaseguard.errors import BusyError, LeaseguardError, NotFoundError
from leaseguard.store.models import BIG_ID_MAX, Job
from leaseguard.vocabulary import Label

if TYPE_CHECKING:
    from leaseguard.evidence.checkpoint import NoteSigner
    from leaseguard.workspace import Workspace

log = logging.getLogger(__name__)

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
JOB_STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED)
STATE_LABELS: dict[str, Label] = {
    QUEUED: Label("排队中", "queued"),
    RUNNING: Label("运行中", "running"),
    SUCCEEDED: Label("已完成", "succeeded"),
    FAILED: Label("失败", "failed"),
}
HEARTBEAT_SECONDS = 1.0
STALE_SECONDS = 600.0
RECENT_JOBS = 10

UNEXPECTED = Label(
    "任务意外中止（内部错误，已记入服务日志）；已提交的部分保持完整，可重新运行",
    "the job stopped on an unexpected error (written to the server's log); what was committed is whole, and the "
    "job may be run again",
)
ABANDONED = Label(
    "任务所在的服务进程已停止，任务未完成；已提交的部分保持完整，可重新运行",
    "the server process running the job stopped before it finished; what was committed is whole, and the job may "
    "be run again",
)


@dataclass(frozen=True)
class JobResources:
    """What the serving app lends every job: its workspace (settings; the store's URL) and the key that signs the
    evidence log's records (None: nothing is signed)."""

    workspace: Workspace
    signer: NoteSigner | None = None


@dataclass(frozen=True)
class JobContext:
    """What a job's work is given: its lessor, parameters and starter, the resources the serving app lends its
    jobs (`JobRunner(resources=...)`: the engine, the workspace, the evidence signer), and `progress`."""

    job_id: int
    lessor: str
    params: Mapping[str, Any]
    started_by: str
    resources: JobResources
    _report: Callable[[int, int | None], None]

    def progress(self, done: int, total: int | None = None) -> None:
        """`done` steps of `total` are finished (cheap: written to the store by the runner's heartbeat)."""
        self._report(done, total)


Work = Callable[[JobContext], Mapping[str, Any]]


@dataclass(frozen=True)
class JobKind:
    name: str
    label: Label
    work: Work
    exclusive: bool = True


KINDS: dict[str, JobKind] = {}


def register_kind(kind: JobKind) -> JobKind:
    """Make `kind` startable by its name (registering a name again replaces it)."""
    KINDS[kind.name] = kind
    return kind


@dataclass(frozen=True)
class JobView:
    """A job as pages and the API show it."""

    id: int
    lessor: str
    kind: str
    state: str
    done: int
    total: int | None
    params: dict[str, Any]
    message: Label | None
    result: dict[str, Any] | None
    started_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    # When the runner last wrote the job's progress: every HEARTBEAT_SECONDS while it runs.
    heartbeat_at: dt.datetime | None = None

    @property
    def finished(self) -> bool:
        return self.state in (SUCCEEDED, FAILED)

    @property
    def label(self) -> Label:
        kind = KINDS.get(self.kind)
        return kind.label if kind is not None else Label(self.kind, self.kind)


class UnknownJobError(NotFoundError):
    """No job of that number for the asker's lessor."""


NO_SUCH_JOB = Label("没有编号为 {job_id} 的任务", "no job {job_id}")


class JobBusyError(BusyError):
    """A job of the same kind is queued or running for the lessor."""

    def __init__(self, running: JobView) -> None:
        super().__init__(
            Label(
                "{kind}任务 {job_id} 正在进行（{state}），同一出租人一次只能运行一个；请等它结束后再试",
                "{kind} job {job_id} is already {state}: one at a time per lessor; try again when it has finished",
            ),
            kind=running.label,
            job_id=running.id,
            state=STATE_LABELS[running.state],
        )
        self.running = running


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _view(row: Any) -> JobView:
    message = row.message if isinstance(row.message, dict) else None
    return JobView(
        id=int(row.id),
        lessor=row.lessor,
        kind=row.kind,
        state=row.state,
        done=int(row.done),
        total=None if row.total is None else int(row.total),
        params=dict(row.params or {}),
        message=Label(str(message.get("zh", "")), str(message.get("en", ""))) if message else None,
        result=dict(row.result) if isinstance(row.result, dict) else None,
        started_by=row.started_by,
        created_at=_utc(row.created_at) or dt.datetime.now(dt.UTC),
        started_at=_utc(row.started_at),
        finished_at=_utc(row.finished_at),
        heartbeat_at=_utc(row.heartbeat_at),
    )


def _in_both(message: Label | LeaseguardError) -> dict[str, str]:
    if isinstance(message, LeaseguardError):
        return {"zh": message.text("zh"), "en": message.text("en")}
    return {"zh": message.zh, "en": message.en}


def job_of(engine: Engine, lessor: str, job_id: int) -> JobView:
    """The lessor's job `job_id`; another lessor's, or none (an id no row can have included), is UnknownJobError."""
    if not 0 < job_id <= BIG_ID_MAX:
        raise UnknownJobError(NO_SUCH_JOB, job_id=job_id)
    with engine.connect() as connection:
        row = connection.execute(select(Job).where(Job.lessor == lessor, Job.id == job_id)).first()
    if row is None:
        raise UnknownJobError(NO_SUCH_JOB, job_id=job_id)
    return _view(row)


def recent_jobs(
    engine: Engine, lessor: str, *, kind: str | None = None, limit: int = RECENT_JOBS
) -> list[JobView]:
    """The lessor's newest jobs (of `kind`), newest first."""
    query = select(Job).where(Job.lessor == lessor)
    if kind is not None:
        query = query.where(Job.kind == kind)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(Job.id.desc()).limit(limit)).all()
    return [_view(row) for row in rows]


def _active(engine: Engine, key: str) -> JobView | None:
    with engine.connect() as connection:
        row = connection.execute(select(Job).where(Job.exclusive == key)).first()
    return None if row is None else _view(row)


def _abandon_stale(engine: Engine, key: str, now: dt.datetime, stale_seconds: float) -> None:
    """Fail the job holding `key` if its process stopped beating (it died before it could say so)."""
    with engine.begin() as connection:
        connection.execute(
            update(Job)
            .where(Job.exclusive == key, Job.heartbeat_at < now - dt.timedelta(seconds=stale_seconds))
            .values(state=FAILED, message=_in_both(ABANDONED), finished_at=now, exclusive=None)
        )


class JobRunner:
    """Runs registered kinds of jobs in threads of this process, over `engine`; `resources` is handed to every
    job's work (JobContext.resources). `close()` waits for the running jobs (the app's shutdown)."""

    def __init__(
        self,
        engine: Engine,
        resources: JobResources,
        *,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        stale_seconds: float = STALE_SECONDS,
    ) -> None:
        self.engine = engine
        self.resources = resources
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_seconds = stale_seconds
        self._threads: dict[int, threading.Thread] = {}
        self._lock = threading.Lock()
        # The running jobs' latest progress and heartbeat as their work told it, beside the store's copy: a store
        # that cannot take a write for a while (SQLite while a daily run writes a million rows in one
        # transaction) does not stop this process's pages from showing a job's progress (`view`).
        self._live: dict[int, tuple[int, int | None, dt.datetime]] = {}

    def start(self, lessor: str, kind: str, params: Mapping[str, Any], *, started_by: str) -> JobView:
        """Queue a job of `kind` for `lessor` and start it in a thread; JobBusyError when the kind is exclusive
        and one of the lessor's is queued or running. The job as queued (its number for /jobs/{id})."""
        registered = KINDS[kind]
        now = dt.datetime.now(dt.UTC)
        key = f"{lessor}:{kind}" if registered.exclusive else None
        if key is not None:
            _abandon_stale(self.engine, key, now, self.stale_seconds)
        try:
            with self.engine.begin() as connection:
                job_id = connection.execute(
                    insert(Job)
                    .values(
                        lessor=lessor, kind=kind, state=QUEUED, done=0, total=None, params=dict(params),
                        message=None, result=None, started_by=started_by, created_at=now, heartbeat_at=now,
                        exclusive=key,
                    )
                    .returning(Job.id)
                ).scalar_one()  # fmt: skip
        except IntegrityError:
            running = _active(self.engine, key) if key is not None else None
            if running is None:  # it ended between the insert and the read: try once more
                return self.start(lessor, kind, params, started_by=started_by)
            raise JobBusyError(running) from None
        thread = threading.Thread(
            target=self._run, args=(job_id, registered, lessor, dict(params), started_by), daemon=True,
            name=f"job-{job_id}-{kind}",
        )  # fmt: skip
        with self._lock:
            self._threads[job_id] = thread
        thread.start()
        return job_of(self.engine, lessor, job_id)

    def view(self, lessor: str, job_id: int) -> JobView:
        """The lessor's job as `job_of` reads it, with the progress and heartbeat its work last told when it runs in
        this process and the store has not taken them yet."""
        job = job_of(self.engine, lessor, job_id)
        with self._lock:
            live = self._live.get(job.id)
        if live is None or job.finished:
            return job
        done, total, beat = live
        if job.heartbeat_at is not None and beat <= job.heartbeat_at:
            return job
        return dataclasses.replace(job, done=done, total=total, heartbeat_at=beat)

    def _write(self, job_id: int, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id == job_id).values(**values))

    def _run(self, job_id: int, kind: JobKind, lessor: str, params: dict[str, Any], started_by: str) -> None:
        progress: dict[str, int | None] = {"done": 0, "total": None}
        stop = threading.Event()

        def report(done: int, total: int | None = None) -> None:
            progress["done"] = done
            if total is not None:
                progress["total"] = total

        writing = threading.Lock()  # held while a heartbeat's write to the store is under way

        def write(values: dict[str, Any]) -> None:
            try:
                self._write(job_id, **values)
            except OperationalError:  # the store is busy with the job's own write: beat again next time
                log.debug("job %s: heartbeat skipped", job_id)
            finally:
                writing.release()

        def beat() -> None:
            # Each beat is kept in memory at once and written to the store by a thread of its own, so a write
            # waiting for the store's lock never holds up the next beat (one write at a time; a beat that finds
            # one under way is kept in memory only).
            while not stop.wait(self.heartbeat_seconds):
                done, total, now = progress["done"] or 0, progress["total"], dt.datetime.now(dt.UTC)
                values: dict[str, Any] = {"done": done, "total": total, "heartbeat_at": now}
                with self._lock:
                    self._live[job_id] = (done, total, now)
                if writing.acquire(blocking=False):
                    threading.Thread(
                        target=write, args=(values,), daemon=True, name=f"job-{job_id}-write"
                    ).start()
            with writing:  # the last heartbeat's write has landed before the job's end is written
                pass

        heart = threading.Thread(target=beat, daemon=True, name=f"job-{job_id}-heartbeat")
        context = JobContext(job_id, lessor, params, started_by, self.resources, report)
        end: dict[str, Any]
        try:
            moment = dt.datetime.now(dt.UTC)
            self._write(job_id, state=RUNNING, started_at=moment, heartbeat_at=moment)
            heart.start()
            result = dict(kind.work(context))
            end = {"state": SUCCEEDED, "result": result, "message": None}
        except LeaseguardError as error:
            end = {"state": FAILED, "message": _in_both(error)}
        except Exception:
            log.exception("job %s (%s) failed", job_id, kind.name)
            end = {"state": FAILED, "message": _in_both(UNEXPECTED)}
        finally:
            stop.set()
            if heart.is_alive():
                heart.join()
        now = dt.datetime.now(dt.UTC)
        for attempt in range(30):
            try:
                self._write(
                    job_id, **end, done=progress["done"], total=progress["total"], finished_at=now, heartbeat_at=now,
                    exclusive=None,
                )  # fmt: skip
                break
            except OperationalError:
                log.warning("job %s: the store is busy, its end is written again (%s)", job_id, attempt + 1)
                threading.Event().wait(1.0)
        with self._lock:
            self._threads.pop(job_id, None)
            self._live.pop(job_id, None)

    def wait(self, job_id: int, timeout: float | None = None) -> None:
        """Until the job started here has ended (tests; the app's shutdown)."""
        with self._lock:
            thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)

    def close(self, timeout: float | None = None) -> None:
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)
