"""/book and the background jobs over HTTP, on the console world with a synthetic book of ALPHA and BETA: the day's
classes, filters checked beside their fields, keyset pages, the XLSX download (a real workbook with numbers), the
daily run started from the page and the API and followed to its end, a second run refused, a failing run that
says why in Chinese and leaves the day as it was, roles (only an admin starts a run) and tenants (another
lessor's job is a 404); and the generic runner with kinds registered by a test."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from book_world import RUN_DAYS, seed_synth_book
from console_world import Console, csrf_of, ended_job, served_console, signed_in
from leaseguard.classification import daily
from leaseguard.console.settings import ConsoleSettings
from leaseguard.errors import InvalidInputError
from leaseguard.jobs import (
    ABANDONED,
    KINDS,
    UNEXPECTED,
    JobBusyError,
    JobKind,
    JobResources,
    JobRunner,
    job_of,
    register_kind,
)
from leaseguard.store.models import BookRun, ClassTotal, Job
from leaseguard.usecases.book_page import BookFilter, book_rows
from leaseguard.vocabulary import Label
from leaseguard.workspace import Workspace

DAY = RUN_DAYS[-1]
CONTRACT_LINK = re.compile(r'href="/contracts/([^"]+)"')


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    folder = tmp_path_factory.mktemp("console-book")
    with served_console(folder) as served:
        seed_synth_book(served.engine, folder)
        yield served


@contextmanager
def as_user(console: Console, username: str) -> Iterator[httpx.Client]:
    client = signed_in(console, username)
    try:
        yield client
    finally:
        client.close()


def api(console: Console, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=console.base, headers={"Authorization": f"Bearer {key}", "Accept-Language": "zh"}, timeout=30
    )


def field_error(page: httpx.Response, field_id: str) -> str:
    found = re.search(rf'id="{field_id}-error"[^>]*>([^<]*)<', page.text)
    assert found, page.text[:3000]
    return html.unescape(found.group(1)).strip()


def contracts_on(page: httpx.Response) -> list[str]:
    section = page.text[page.text.index('id="contracts"') :]
    return [html.unescape(no) for no in CONTRACT_LINK.findall(section)]


def wait_for(console: Console, job_id: int, key: str) -> dict[str, Any]:
    """The job once it has ended, read over the API (it runs in the server's thread)."""
    return ended_job(console.base, key, job_id)


def alpha_rows(console: Console, wanted: BookFilter) -> list[str]:
    seen: list[str] = []
    with console.engine.connect() as connection:
        after = None
        while True:
            page = book_rows(connection, "ALPHA", wanted, after=after, size=500)
            seen.extend(row.contract_no for row in page.rows)
            if page.after is None:
                return seen
            after = page.after


# --- the book --------------------------------------------------------------------------------------------------


def test_the_book_shows_the_lessors_day_by_class_and_links_each_contract(world: Console) -> None:
    with as_user(world, "ann") as client:
        page = client.get("/book")
    assert page.status_code == 200
    with world.engine.connect() as connection:
        totals = dict(
            connection.execute(
                select(ClassTotal.klass, ClassTotal.contracts).where(
                    ClassTotal.as_of == DAY, ClassTotal.lessor == "ALPHA"
                )
            ).all()
        )
    text = html.unescape(re.sub(r"<[^>]+>", " ", page.text))
    assert "五级分类账簿" in page.text and f'value="{DAY}" selected' in page.text
    for klass, label in (("normal", "正常类"), ("special_mention", "关注类")):
        assert re.search(rf"{label}\s+{totals[klass]}\s", text), klass
    shown = contracts_on(page)
    assert shown == alpha_rows(world, BookFilter(DAY))[:50]
    assert all(no.startswith("L001-") for no in shown)
    assert "L002-" not in page.text  # BETA's contracts (the synth's second lessor) never show
    assert f"/book/export.xlsx?day={DAY}" in page.text
    assert 'action="/book/runs"' not in page.text  # an analyst does not start runs


def test_filters_narrow_the_contracts_and_the_pages_follow_them(world: Console) -> None:
    with as_user(world, "ann") as client:
        first = client.get("/book", params={"class": "normal", "product": "direct"})
        assert first.status_code == 200
        want = alpha_rows(world, BookFilter(DAY, klass="normal", product="direct"))
        assert len(want) > 50 and contracts_on(first) == want[:50]
        after = re.search(r'href="(/book\?[^"]*after=[^"]*)"', first.text)
        assert after and "before=" not in first.text
        second = client.get(html.unescape(after.group(1)))
        assert contracts_on(second) == want[50:100]
        back = re.search(r'href="(/book\?[^"]*before=[^"]*)"', second.text)
        assert back
        assert contracts_on(client.get(html.unescape(back.group(1)))) == want[:50]
        sub = client.get("/book", params={"class": "substandard", "dpd": "current"})
        assert contracts_on(sub) == alpha_rows(world, BookFilter(DAY, klass="substandard", dpd="current"))


def test_an_english_reader_sees_the_regions_in_english(world: Console) -> None:
    with as_user(world, "ann") as client:
        chinese = client.get("/book", params={"region": "31"})
        client.post("/lang", data={"csrf_token": csrf_of(chinese), "lang": "en"})
        try:
            english = client.get("/book", params={"region": "31"})
        finally:  # the choice is kept with the user: the module's other tests read ann's pages in Chinese
            client.post("/lang", data={"csrf_token": csrf_of(chinese), "lang": "zh"})
    want = alpha_rows(world, BookFilter(DAY, region="31"))
    assert want and contracts_on(english) == contracts_on(chinese) == want[:50]
    assert '<option value="32">32 江苏</option>' in chinese.text
    assert '<option value="32">32 Jiangsu</option>' in english.text and "江苏" not in english.text
    assert '<td class="nowrap">31 Shanghai</td>' in english.text and "31 上海" not in english.text
    assert '<td class="nowrap">31 上海</td>' in chinese.text


def test_moves_of_class_are_counted_from_the_run_before(world: Console) -> None:
    with as_user(world, "ann") as client:
        page = client.get("/book", params={"day": DAY.isoformat()})
    section = page.text[page.text.index('id="migration"') : page.text.index('id="contracts"')]
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td class=\"num\">(\d+)</td>", section)
    earlier = daily.stored_day(world.engine, RUN_DAYS[0], lessor="ALPHA")
    now = daily.stored_day(world.engine, DAY, lessor="ALPHA")
    assert earlier is not None and now is not None
    moved = now.join(
        earlier.select("contract_no", pl.col("class").alias("was")), on="contract_no", how="left"
    )
    changed = moved.filter(
        pl.col("was").is_null() & (pl.col("class") != "normal") | (pl.col("was") != pl.col("class"))
    )
    assert rows and sum(int(n) for _, _, n in rows) == changed.height


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"class": "bad"}, "f-class", "请选择五级分类中的一类"),
        ({"dpd": "dpd_1_2"}, "f-dpd", "请选择列出的逾期档位之一"),
        ({"region": "99"}, "f-region", "请选择列出的地区之一"),
        ({"industry": "行" * 101}, "f-industry", "最多 100 个字符"),
        ({"day": "2026-13-01"}, "f-day", "“2026-13-01”不是日期"),
        ({"day": "2026-10-01"}, "f-day", "2026-10-01 没有日终批处理记录"),
    ],
)
def test_a_filter_that_cannot_be_used_is_refused_beside_its_field(
    world: Console, params: dict[str, str], field: str, message: str
) -> None:
    with as_user(world, "ann") as client:
        page = client.get("/book", params=params)
    assert page.status_code == 422
    assert message in field_error(page, field)
    assert 'aria-invalid="true"' in page.text
    assert contracts_on(page)  # the day's book is still shown, without the filters


def test_the_download_is_the_lessors_export_as_a_workbook_with_numbers(world: Console) -> None:
    with as_user(world, "ann") as client:
        answer = client.get("/book/export.xlsx", params={"day": DAY.isoformat()})
        not_run = client.get("/book/export.xlsx", params={"day": "2026-10-01"})
        bad = client.get("/book/export.xlsx", params={"day": "tomorrow"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="book-ALPHA-2026-10-31.xlsx"' in answer.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:3] == ["合同编号", "数据日期", "逾期天数"]
    assert rows[1][0] == "contract_no"  # the machine names under the words
    body = rows[2:]
    stored = daily.stored_day(world.engine, DAY, lessor="ALPHA")
    assert stored is not None and len(body) == stored.height
    lessor, claim = header.index("出租人"), header.index("债权余额（元）")
    assert {row[lessor] for row in body} == {"ALPHA"}
    first = stored.row(0, named=True)
    assert body[0][0] == first["contract_no"]
    assert (
        isinstance(body[0][claim], int | float) and round(body[0][claim] * 100) == first["claim_balance_fen"]
    )
    assert not_run.status_code == 404 and "没有 2026-10-01 的日终批处理" in html.unescape(not_run.text)
    assert bad.status_code == 422


@pytest.fixture(scope="module")
def big_export_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The same book on a console where any day of more than 10 contracts is exported by a background job."""
    folder = tmp_path_factory.mktemp("console-book-export")
    with served_console(folder, settings=ConsoleSettings(export_inline_contracts=10)) as served:
        seed_synth_book(served.engine, folder)
        yield served


def test_a_big_days_download_is_written_by_a_job_whose_workbook_is_the_same(
    world: Console, big_export_world: Console
) -> None:
    with as_user(world, "ann") as client:
        inline = client.get("/book/export.xlsx", params={"day": DAY.isoformat()})
    assert inline.status_code == 200
    with as_user(big_export_world, "ann") as client:
        started = client.get("/book/export.xlsx", params={"day": DAY.isoformat()})
        assert started.status_code == 303 and started.headers["location"].startswith("/jobs/")
        job_id = int(started.headers["location"].rsplit("/", 1)[1])
        job = ended_job(big_export_world.base, big_export_world.api_key, job_id)
        assert job["state"] == "succeeded", job
        stored = daily.stored_day(big_export_world.engine, DAY, lessor="ALPHA")
        assert stored is not None
        # Its progress was the rows written, and it ended at all of them.
        assert job["done"] == job["total"] == stored.height == job["result"]["export"]["rows"]
        page = client.get(f"/jobs/{job_id}")
        assert (
            f'href="/jobs/{job_id}/download"' in page.text and "下载 book-ALPHA-2026-10-31.xlsx" in page.text
        )
        download = client.get(f"/jobs/{job_id}/download")
        assert download.status_code == 200
        assert 'filename="book-ALPHA-2026-10-31.xlsx"' in download.headers["content-disposition"]
        not_run = client.get("/book/export.xlsx", params={"day": "2026-10-01"})
        assert not_run.status_code == 404  # no contract on a day not run: answered at once, as before
    # The same workbook as the one answered at once (the same use case, the same lessor and day).
    rows = [list(load_workbook(io.BytesIO(body), read_only=True).worksheets[0].iter_rows(values_only=True))
            for body in (inline.content, download.content)]  # fmt: skip
    assert rows[0] == rows[1] and len(rows[1]) == stored.height + 2
    with as_user(big_export_world, "bea") as other:  # BETA's user: ALPHA's job is no job of hers
        assert other.get(f"/jobs/{job_id}/download").status_code == 404
    with as_user(big_export_world, "ann") as client:
        assert client.get(f"/jobs/{job_id + 1000}/download").status_code == 404


def test_an_export_job_reports_its_progress_every_few_thousand_rows(
    world: Console, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from leaseguard.usecases import daily_book

    monkeypatch.setattr(daily_book, "EXPORT_PROGRESS_ROWS", 7)
    found = daily_book.BookDay(DAY, daily.stored_day(world.engine, DAY, lessor="ALPHA"), 0)  # type: ignore[arg-type]
    found = daily_book.BookDay(
        DAY,
        found.frame.with_columns(
            overdue_rent_fen=pl.col("overdue_amount_fen"), penalty_due_fen=pl.lit(0), lessor_name=pl.lit("")
        ),
        0,
    )
    told: list[tuple[int, int]] = []
    rows = daily_book.write_book_day(
        found, tmp_path / "day.xlsx", progress=lambda done, total: told.append((done, total))
    )
    assert rows == found.frame.height > 14
    assert [done for done, _ in told[:-1]] == list(range(7, rows + 1, 7))
    assert told[-1] == (rows, rows) and {total for _, total in told} == {rows}


# --- daily runs as jobs ------------------------------------------------------------------------------------


def test_an_admin_starts_a_daily_run_on_the_page_and_follows_its_progress(world: Console) -> None:
    new_day = dt.date(2026, 10, 15)
    with as_user(world, "ada") as client:
        book = client.get("/book")
        assert 'action="/book/runs"' in book.text
        started = client.post("/book/runs", data={"csrf_token": csrf_of(book), "days": new_day.isoformat()})
        assert started.status_code == 303
        target = started.headers["location"]
        job_id = int(target.rsplit("/", 1)[1])
        page = client.get(target)
        assert page.status_code == 200 and "<progress" in page.text and "日终批处理" in page.text
        wait_for(world, job_id, world.admin_key)
        fragment = client.get(target, headers={"HX-Request": "true"})
        listed = client.get("/book")
    assert "<html" not in fragment.text and "<progress" in fragment.text
    assert "hx-trigger" not in fragment.text  # ended: the page stops asking
    # Its steps: reading the book, then positions, classes and storing of the new day and of 2026-10-31 again.
    steps = 1 + daily.STEPS_PER_DAY * 2
    assert "已完成" in fragment.text and f'max="{steps}" value="{steps}"' in fragment.text
    assert f'href="/jobs/{job_id}"' in listed.text
    with world.engine.connect() as connection:
        days = set(connection.execute(select(BookRun.as_of)).scalars())
    assert {str(d)[:10] for d in days} >= {"2026-10-15", "2026-10-31"}


def test_the_api_starts_a_run_with_202_and_tells_only_the_lessors_figures(world: Console) -> None:
    with api(world, world.admin_key) as client:
        answer = client.post("/v1/jobs/daily-run", json={"day": "2026-10-20"})
    assert answer.status_code == 202
    body = answer.json()
    assert answer.headers["location"] == f"/v1/jobs/{body['id']}"
    assert body["kind"] == "daily-run" and body["state"] in ("queued", "running")
    assert body["params"] == {"days": ["2026-10-20"]}
    job = wait_for(world, body["id"], world.admin_key)
    assert job["state"] == "succeeded", job
    # When its progress was last written: at its end, the job's last heartbeat.
    assert job["heartbeat_at"] is not None and job["heartbeat_at"] >= job["started_at"]
    with world.engine.connect() as connection:
        alpha = dict(
            connection.execute(
                select(ClassTotal.klass, ClassTotal.contracts).where(
                    ClassTotal.as_of == dt.date(2026, 10, 20), ClassTotal.lessor == "ALPHA"
                )
            ).all()
        )
    assert job["result"]["days"][0] == {"day": "2026-10-20", "classes": alpha}
    assert sum(alpha.values()) == 156  # ALPHA's contracts, not the store's 300


@pytest.mark.parametrize(
    ("body", "status"), [({}, 422), ({"days": ["2026-02-30"]}, 422), ({"days": ["2026-10-01"] * 40}, 422)]
)
def test_the_api_refuses_a_run_without_good_days(world: Console, body: dict[str, Any], status: int) -> None:
    with api(world, world.admin_key) as client:
        answer = client.post("/v1/jobs/daily-run", json=body)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/problem+json")


@contextmanager
def held_run(console: Console, lessor: str = "ALPHA") -> Iterator[int]:
    """A daily run of `lessor` queued and beating (as another worker's would be) for the block."""
    now = dt.datetime.now(dt.UTC)
    with console.engine.begin() as connection:
        job_id = connection.execute(
            Job.__table__.insert()
            .values(
                lessor=lessor, kind="daily-run", state="running", done=0, total=1, params={"days": ["2026-10-31"]},
                started_by="elsewhere", created_at=now, heartbeat_at=now, exclusive=f"{lessor}:daily-run",
            )
            .returning(Job.id)
        ).scalar_one()  # fmt: skip
    try:
        yield int(job_id)
    finally:
        with console.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id == job_id).values(state="failed", exclusive=None))


def test_a_second_run_of_the_lessor_is_refused_and_names_the_running_one(world: Console) -> None:
    with held_run(world) as running:
        with api(world, world.admin_key) as client:
            refused = client.post("/v1/jobs/daily-run", json={"day": "2026-10-31"})
        with as_user(world, "ada") as client:
            book = client.get("/book")
            page = client.post("/book/runs", data={"csrf_token": csrf_of(book), "days": "2026-10-31"})
        # Another lessor's run is not held up by ALPHA's.
        with api(world, world.beta_admin_key) as client:
            beta = client.post("/v1/jobs/daily-run", json={"day": "2026-10-31"})
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert f"任务 {running} 正在进行" in refused.json()["detail"]
    assert page.status_code == 409
    assert f"任务 {running} 正在进行（运行中）" in field_error(page, "f-days")
    assert f'href="/jobs/{running}"' in page.text
    assert beta.status_code == 202
    assert wait_for(world, beta.json()["id"], world.beta_admin_key)["state"] == "succeeded"


def test_a_run_that_cannot_start_fails_saying_why_in_chinese(world: Console) -> None:
    # Another process (a `leaseguard run daily` at the command line) holds the store's daily-run lock.
    with daily.daily_run_lock(world.engine):
        with api(world, world.admin_key) as client:
            started = client.post("/v1/jobs/daily-run", json={"day": "2026-10-31"}).json()
        job = wait_for(world, started["id"], world.admin_key)
    assert job["state"] == "failed"
    assert job["message"] == "另一个日终批处理正在运行（它持有库的锁），请等它结束后再试"
    with as_user(world, "ada") as client:
        page = client.get(f"/jobs/{job['id']}")
    assert "失败原因：另一个日终批处理正在运行" in html.unescape(page.text)
    with api(world, world.admin_key) as client:
        english = client.get(f"/v1/jobs/{job['id']}", headers={"Accept-Language": "en"}).json()
    assert english["message"].startswith("another daily run holds the store's lock")


def test_a_run_that_breaks_mid_day_leaves_the_day_as_it_was(
    world: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = daily.stored_day(world.engine, DAY)
    real_insert = daily._insert

    def broken_insert(connection: Any, table: Any, frame: pl.DataFrame) -> None:
        if table.name == "class_changes":
            raise OSError("disk full")
        real_insert(connection, table, frame)

    monkeypatch.setattr(daily, "_insert", broken_insert)
    with api(world, world.admin_key) as client:
        started = client.post("/v1/jobs/daily-run", json={"days": [DAY.isoformat()]}).json()
    job = wait_for(world, started["id"], world.admin_key)
    assert job["state"] == "failed" and job["message"] == UNEXPECTED.zh
    after = daily.stored_day(world.engine, DAY)
    assert before is not None and after is not None and before.equals(after)
    # The lessor may run again at once: the failed job let go of its place.
    monkeypatch.setattr(daily, "_insert", real_insert)
    with api(world, world.admin_key) as client:
        again = client.post("/v1/jobs/daily-run", json={"days": [DAY.isoformat()]})
    assert again.status_code == 202
    assert wait_for(world, again.json()["id"], world.admin_key)["state"] == "succeeded"


@pytest.mark.parametrize("username", ["ann", "cai"])
def test_only_an_admin_starts_a_run(world: Console, username: str) -> None:
    with as_user(world, username) as client:
        book = client.get("/book")
        assert book.status_code == 200 and 'action="/book/runs"' not in book.text
        refused = client.post("/book/runs", data={"csrf_token": csrf_of(book), "days": "2026-10-31"})
    assert refused.status_code == 403
    with api(world, world.api_key) as client:  # ALPHA's analyst key
        answer = client.post("/v1/jobs/daily-run", json={"day": "2026-10-31"})
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_another_lessors_job_is_a_404_on_the_page_and_over_the_api(world: Console) -> None:
    with api(world, world.beta_admin_key) as client:
        beta = client.post("/v1/jobs/daily-run", json={"day": "2026-10-31"})
    assert beta.status_code == 202
    beta_id = beta.json()["id"]
    wait_for(world, beta_id, world.beta_admin_key)
    with as_user(world, "ann") as client:
        page = client.get(f"/jobs/{beta_id}")
        missing = client.get("/jobs/999999")
        book = client.get("/book")
    assert page.status_code == 404 == missing.status_code
    assert f'href="/jobs/{beta_id}"' not in book.text
    with api(world, world.api_key) as client:
        answer = client.get(f"/v1/jobs/{beta_id}")
        absent = client.get("/v1/jobs/999999")
    assert answer.status_code == 404 == absent.status_code
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["detail"] == absent.json()["detail"].replace("999999", str(beta_id))


# --- the runner itself ------------------------------------------------------------------------------------


@pytest.fixture
def runner(world: Console, tmp_path: Path) -> Iterator[JobRunner]:
    workspace = Workspace(tmp_path, {"database_url": str(world.engine.url)})
    runner = JobRunner(world.engine, JobResources(workspace), heartbeat_seconds=0.05)
    yield runner
    runner.close(timeout=10)
    for name in [name for name in KINDS if name.startswith("test-")]:
        KINDS.pop(name)


def test_a_registered_kind_reports_progress_while_it_runs_and_its_result_at_the_end(
    world: Console, runner: JobRunner
) -> None:
    release = threading.Event()

    def steps(context: Any) -> dict[str, Any]:
        context.progress(2, 5)
        release.wait(30)
        context.progress(5, 5)
        return {"lessor": context.lessor, "asked": context.params["n"]}

    register_kind(JobKind("test-steps", Label("测试步骤", "test steps"), steps))
    job = runner.start("ALPHA", "test-steps", {"n": 3}, started_by="tester")
    deadline = time.monotonic() + 30
    while (seen := job_of(world.engine, "ALPHA", job.id)).done < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (seen.state, seen.done, seen.total) == ("running", 2, 5)  # written while the work still runs
    with pytest.raises(JobBusyError) as refused:
        runner.start("ALPHA", "test-steps", {"n": 4}, started_by="tester")
    assert refused.value.running.id == job.id
    release.set()
    runner.wait(job.id, 30)
    done = job_of(world.engine, "ALPHA", job.id)
    assert (done.state, done.done, done.result) == ("succeeded", 5, {"lessor": "ALPHA", "asked": 3})


def test_a_jobs_progress_is_shown_while_the_store_cannot_take_its_heartbeat(
    world: Console, runner: JobRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite takes one writer at a time: while a daily run writes its day, the job's heartbeat cannot be stored.
    The runner keeps what the work told in memory and the pages of this process show it; the store gets the end."""
    from sqlalchemy.exc import OperationalError

    release = threading.Event()

    def steps(context: Any) -> dict[str, Any]:
        context.progress(2, 5)
        release.wait(30)
        context.progress(5, 5)
        return {}

    stored_writes = runner._write

    def locked(job_id: int, **values: Any) -> None:
        if set(values) == {"done", "total", "heartbeat_at"}:  # a heartbeat: the store is busy
            raise OperationalError("update jobs", {}, Exception("database is locked"))
        stored_writes(job_id, **values)

    monkeypatch.setattr(runner, "_write", locked)
    register_kind(JobKind("test-locked", Label("测试", "test"), steps))
    job = runner.start("ALPHA", "test-locked", {}, started_by="tester")
    deadline = time.monotonic() + 30
    while (seen := runner.view("ALPHA", job.id)).done < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    stored = job_of(world.engine, "ALPHA", job.id)
    assert (seen.state, seen.done, seen.total) == ("running", 2, 5) and seen.heartbeat_at is not None
    assert (stored.done, stored.total) == (0, None)  # the store has not had a heartbeat
    later = seen.heartbeat_at
    while (again := runner.view("ALPHA", job.id)).heartbeat_at == later and time.monotonic() < deadline:
        time.sleep(0.02)
    assert again.heartbeat_at is not None and again.heartbeat_at > later  # it keeps beating
    with pytest.raises(Exception, match="没有编号为"):
        runner.view("BETA", job.id)  # another lessor's job is no job of theirs, live or not
    release.set()
    runner.wait(job.id, 30)
    done = job_of(world.engine, "ALPHA", job.id)
    assert (
        (done.state, done.done, done.total)
        == ("succeeded", 5, 5)
        == (runner.view("ALPHA", job.id).state, 5, 5)
    )


def test_a_kind_that_raises_fails_with_its_message_in_both_languages(
    world: Console, runner: JobRunner
) -> None:
    def refuse(context: Any) -> dict[str, Any]:
        raise InvalidInputError(Label("没有可用的数据：{what}", "no data to use: {what}"), what="x")

    register_kind(JobKind("test-refuse", Label("测试", "test"), refuse))
    job = runner.start("ALPHA", "test-refuse", {}, started_by="tester")
    runner.wait(job.id, 30)
    failed = job_of(world.engine, "ALPHA", job.id)
    assert failed.state == "failed" and failed.message is not None
    assert (failed.message.zh, failed.message.en) == ("没有可用的数据：x", "no data to use: x")
    with world.engine.connect() as connection:
        assert connection.execute(select(Job.exclusive).where(Job.id == job.id)).scalar_one() is None


def test_a_job_whose_process_died_is_failed_when_the_next_one_starts(
    world: Console, runner: JobRunner
) -> None:
    register_kind(JobKind("test-quick", Label("测试", "test"), lambda context: {}))
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with world.engine.begin() as connection:
        dead = connection.execute(
            Job.__table__.insert()
            .values(
                lessor="ALPHA", kind="test-quick", state="running", done=0, params={}, started_by="gone",
                created_at=long_ago, heartbeat_at=long_ago, exclusive="ALPHA:test-quick",
            )
            .returning(Job.id)
        ).scalar_one()  # fmt: skip
    job = runner.start("ALPHA", "test-quick", {}, started_by="tester")
    runner.wait(job.id, 30)
    abandoned = job_of(world.engine, "ALPHA", dead)
    assert (
        abandoned.state == "failed" and abandoned.message is not None and abandoned.message.zh == ABANDONED.zh
    )
    assert job_of(world.engine, "ALPHA", job.id).state == "succeeded"


def test_a_workbook_written_apart_is_the_same_and_a_failure_there_says_why(
    world: Console, tmp_path: Path
) -> None:
    from leaseguard.usecases import daily_book

    stored = daily.stored_day(world.engine, DAY, lessor="ALPHA")
    assert stored is not None
    found = daily_book.BookDay(
        DAY,
        stored.with_columns(
            overdue_rent_fen=pl.col("overdue_amount_fen"),
            penalty_due_fen=pl.lit(0),
            lessor_name=pl.lit("阿尔法"),
        ),
        0,
    )
    told: list[tuple[int, int]] = []
    rows = daily_book.write_book_day_apart(
        found, tmp_path / "apart.xlsx", "en", progress=lambda *p: told.append(p)
    )
    assert rows == daily_book.write_book_day(found, tmp_path / "here.xlsx", "en") == stored.height
    assert told[-1] == (rows, rows)
    sheets = [list(load_workbook(tmp_path / name, read_only=True).worksheets[0].iter_rows(values_only=True))
              for name in ("apart.xlsx", "here.xlsx")]  # fmt: skip
    assert sheets[0] == sheets[1] and sheets[0][0][0] == "Contract"
    with pytest.raises(daily_book.ExportWriteError) as refused:
        daily_book.write_book_day_apart(found, tmp_path / "no-such-folder" / "day.xlsx")
    assert "写出导出文件失败" in refused.value.text("zh") and "no-such-folder" in refused.value.text("en")
