"""usecases.book_page on either store: the filters of /book give exactly the contracts an independent reading of the
stored day gives (Polars over `stored_day` and the analytics' dimensions), the keyset pages walk the whole day
forwards and backwards without a gap or a repeat, the moves of class count what the two run days say, and
nothing of the other lessor is ever read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from book_world import RUN_DAYS, seed_synth_book
from leaseguard.analytics.book_data import read_contracts
from leaseguard.analytics.dimensions import with_dimensions
from leaseguard.classification.daily import stored_day
from leaseguard.store.db import session_factory
from leaseguard.tenancy import add_lessor
from leaseguard.usecases.book_page import (
    BookFilter,
    BookFilterError,
    analytics_rules,
    book_page,
    book_rows,
    dpd_buckets,
    migrations,
    parse_book_filter,
    run_days_of,
)

DAY = RUN_DAYS[-1]


@pytest.fixture(scope="module")
def engine(module_store_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with session_factory(module_store_engine)() as session, session.begin():
        add_lessor(session, "ALPHA", "Alpha Leasing")
        add_lessor(session, "BETA", "Beta Leasing")
    seed_synth_book(module_store_engine, tmp_path_factory.mktemp("book-page"))
    yield module_store_engine


@pytest.fixture(scope="module")
def expected(engine: Engine) -> pl.DataFrame:
    """The day's contracts of both lessors with their dimensions, read without the use case."""
    day = stored_day(engine, DAY)
    assert day is not None
    dims = with_dimensions(read_contracts(engine), analytics_rules().province_names()).select(
        "contract_no", "industry", pl.col("region").str.slice(0, 2).alias("region_code"), "product"
    )
    return day.join(dims, on="contract_no", how="left")


def walk(engine: Engine, lessor: str, wanted: BookFilter, size: int) -> list[str]:
    """Every contract the filter gives, a page of `size` at a time, following the `after` cursors."""
    seen: list[str] = []
    after = None
    with engine.connect() as connection:
        while True:
            page = book_rows(connection, lessor, wanted, after=after, size=size)
            seen.extend(row.contract_no for row in page.rows)
            if page.after is None:
                return seen
            after = page.after


def bucket_bounds(name: str) -> tuple[int, int | None]:
    return next((low, high) for bucket, low, high in dpd_buckets() if bucket == name)


def test_the_filters_give_what_the_stored_day_says(engine: Engine, expected: pl.DataFrame) -> None:
    alpha = expected.filter(pl.col("lessor") == "ALPHA")
    industry = alpha["industry"].drop_nulls().mode().sort()[0]
    region = alpha["region_code"].drop_nulls().mode().sort()[0]
    low, high = bucket_bounds("dpd_1_29")
    # The worst bucket the lessor has a contract in (an open-ended or a closed one).
    worst, worst_low, worst_high = next(
        (name, lo, hi) for name, lo, hi in reversed(dpd_buckets()) if lo <= int(alpha["dpd"].max() or 0)
    )
    in_worst = (
        pl.col("dpd") >= worst_low if worst_high is None else pl.col("dpd").is_between(worst_low, worst_high)
    )
    cases: list[tuple[BookFilter, pl.Expr]] = [
        (BookFilter(DAY), pl.lit(True)),
        (BookFilter(DAY, klass="special_mention"), pl.col("class") == "special_mention"),
        (BookFilter(DAY, dpd="dpd_1_29"), pl.col("dpd").is_between(low, high)),
        (BookFilter(DAY, dpd=worst), in_worst),
        (BookFilter(DAY, industry=industry), pl.col("industry") == industry),
        (BookFilter(DAY, region=region), pl.col("region_code") == region),
        (BookFilter(DAY, product="sale_leaseback"), pl.col("product") == "sale_leaseback"),
        (BookFilter(DAY, product="售后回租"), pl.col("product") == "sale_leaseback"),
        (
            BookFilter(DAY, klass="normal", dpd="current", product="direct", region=region),
            (pl.col("class") == "normal") & (pl.col("dpd") == 0) & (pl.col("product") == "direct")
            & (pl.col("region_code") == region),
        ),
    ]  # fmt: skip
    answered = []
    for wanted, condition in cases:
        got = walk(engine, "ALPHA", wanted, size=17)
        want = alpha.filter(condition)["contract_no"].sort().to_list()
        assert got == want, wanted
        answered.append(len(got))
    # The filters are not vacuous: each narrows the book, none to nothing but the strictest.
    assert answered[0] == alpha.height and all(0 < n < alpha.height for n in answered[1:8]), answered


def test_pages_walk_the_day_both_ways_without_a_gap_or_a_repeat(
    engine: Engine, expected: pl.DataFrame
) -> None:
    want = expected.filter(pl.col("lessor") == "ALPHA")["contract_no"].sort().to_list()
    forward = walk(engine, "ALPHA", BookFilter(DAY), size=20)
    assert forward == want
    pages = []
    with engine.connect() as connection:
        page = book_rows(connection, "ALPHA", BookFilter(DAY), after=want[-2], size=20)
        assert [r.contract_no for r in page.rows] == want[-1:] and page.after is None
        before = page.before
        while before is not None:
            page = book_rows(connection, "ALPHA", BookFilter(DAY), before=before, size=20)
            pages.insert(0, [r.contract_no for r in page.rows])
            before = page.before
    assert [no for chunk in pages for no in chunk] == want[:-1]
    assert all(len(chunk) == 20 for chunk in pages[1:])


def test_another_lessors_contracts_are_never_read(engine: Engine, expected: pl.DataFrame) -> None:
    beta = set(expected.filter(pl.col("lessor") == "BETA")["contract_no"])
    alpha = walk(engine, "ALPHA", BookFilter(DAY), size=500)
    assert alpha and not beta & set(alpha)
    assert set(walk(engine, "BETA", BookFilter(DAY), size=500)) == beta
    assert walk(engine, "NOBODY", BookFilter(DAY), size=50) == []


def test_moves_of_class_count_what_the_two_run_days_say(engine: Engine) -> None:
    earlier, day = RUN_DAYS
    before, now = stored_day(engine, earlier, lessor="ALPHA"), stored_day(engine, day, lessor="ALPHA")
    assert before is not None and now is not None
    moved = (
        now.join(
            before.select("contract_no", pl.col("class").alias("from_class")), on="contract_no", how="left"
        )
        .filter(
            (pl.col("from_class").is_null() & (pl.col("class") != "normal"))
            | (pl.col("from_class").is_not_null() & (pl.col("from_class") != pl.col("class")))
        )
        .group_by("from_class", "class")
        .agg(pl.len().alias("n"), pl.col("claim_balance_fen").sum())
    )
    want = {
        (r["from_class"], r["class"]): (r["n"], r["claim_balance_fen"]) for r in moved.iter_rows(named=True)
    }
    with engine.connect() as connection:
        got = {
            (m.from_class, m.to_class): (m.contracts, m.claim_balance_fen)
            for m in migrations(connection, "ALPHA", day)
        }
    assert got == want and sum(n for n, _ in want.values()) > 0


def test_the_page_counts_a_class_from_the_totals_and_checks_each_filter(engine: Engine) -> None:
    page = book_page(engine, "ALPHA", {"class": "substandard"})
    assert page.filter.day == DAY and page.previous_day == RUN_DAYS[0]
    substandard = next(c.contracts for c in page.figures.classes if c.klass == "substandard")
    assert page.matching == substandard
    assert book_page(engine, "ALPHA", {"class": "substandard", "dpd": "current"}).matching is None
    runs = run_days_of(engine, "ALPHA")
    for values, field in (
        ({"day": "2026-13-01"}, "day"), ({"class": "bad"}, "class"), ({"dpd": "dpd_9_9"}, "dpd"),
        ({"region": "99"}, "region"), ({"industry": "x" * 101}, "industry"), ({"product": "y" * 101}, "product"),
    ):  # fmt: skip
        with pytest.raises(BookFilterError) as refused:
            parse_book_filter(values, runs)
        assert refused.value.field == field
    with pytest.raises(BookFilterError) as not_run:
        book_page(engine, "ALPHA", {"day": dt.date(2026, 10, 1).isoformat()})
    assert not_run.value.field == "day" and "没有日终批处理记录" in not_run.value.text("zh")


def test_an_empty_book_has_no_run_day(tmp_path: Path) -> None:
    from leaseguard.store.db import create_store_engine, upgrade_schema
    from leaseguard.usecases.book_page import NoRunDayError

    empty = create_store_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    upgrade_schema(empty)
    with pytest.raises(NoRunDayError):
        book_page(empty, "ALPHA", {})
    empty.dispose()


def test_the_job_runner_keeps_one_daily_run_a_lessor_and_runs_it_on_either_store(
    engine: Engine, tmp_path: Path
) -> None:
    """The runner's store work (insert returning, the unique `exclusive`, the end written) on SQLite and
    PostgreSQL, with the real daily-run kind: a run of a day already stored, its result the lessor's own."""
    from sqlalchemy import update

    from leaseguard.jobs import JobBusyError, JobResources, JobRunner, job_of
    from leaseguard.store.models import Job
    from leaseguard.usecases.book_page import DAILY_RUN, class_counts
    from leaseguard.workspace import Workspace

    url = engine.url.render_as_string(hide_password=False)
    runner = JobRunner(engine, JobResources(Workspace(tmp_path, {"database_url": url})))
    job = runner.start("BETA", DAILY_RUN, {"days": [DAY.isoformat()]}, started_by="tester")
    try:
        with pytest.raises(JobBusyError):
            runner.start("BETA", DAILY_RUN, {"days": [DAY.isoformat()]}, started_by="tester")
    finally:
        runner.wait(job.id, 300)
    done = job_of(engine, "BETA", job.id)
    assert done.state == "succeeded", done.message
    assert done.result == {
        "rule_set": "cbirc-2023",
        "days": [{"day": DAY.isoformat(), "classes": class_counts(engine, "BETA", DAY)}],
    }
    # Reading the book, then the day's positions, classes and storing.
    assert (done.done, done.total) == (4, 4)
    again = runner.start("BETA", DAILY_RUN, {"days": ["not a day"]}, started_by="tester")
    runner.wait(again.id, 60)
    failed = job_of(engine, "BETA", again.id)
    assert failed.state == "failed" and failed.message is not None and "不是日期" in failed.message.zh
    with pytest.raises(Exception, match="没有编号为"):
        job_of(engine, "ALPHA", job.id)
    with engine.begin() as connection:
        assert (
            connection.execute(update(Job).where(Job.exclusive.is_not(None)).values(exclusive=None)).rowcount
            == 0
        )
    runner.close()
