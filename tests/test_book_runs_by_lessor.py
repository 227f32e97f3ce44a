"""A lessor's figures depend only on its own book (issue 19): a daily run of one lessor reads its own contracts and
deletes and rewrites its own rows of the day only (contract_classes, class_totals, its contracts' class_changes,
its book_runs row); another lessor's rows stay exactly as they were, and its days stay its own (no run of a day
it did not run). A whole-store run writes one book_runs row per lessor; a lessor's changes of class are against
its own previous run day; every reader of run days asks for the lessor's. Migration 0026 splits the store-wide
rows of the days run before it. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from book_world import RUN_DAYS, synth_files
from conftest import migrated_store, running
from console_world import PASSWORD, Console, csrf_of, ended_job, signed_in
from leaseguard import defaults
from leaseguard.api import create_app
from leaseguard.classification.daily import run_days, stored_day
from leaseguard.classification.rules import load_rule_set
from leaseguard.cli.main import app
from leaseguard.console.settings import ConsoleSettings
from leaseguard.enforcement.casefiles import select_contracts
from leaseguard.indicators.service import IndicatorInputError, read_book
from leaseguard.ingest import import_paths
from leaseguard.store.db import alembic_config, create_store_engine, session_factory, upgrade_schema
from leaseguard.store.models import BookRun
from leaseguard.tenancy import add_lessor, create_key
from leaseguard.usecases import people
from leaseguard.usecases.book_overview import book_overview
from leaseguard.usecases.book_page import BookFilterError, book_page, run_days_of
from leaseguard.usecases.collections import list_day
from leaseguard.usecases.lookup import classes_now
from leaseguard.usecases.regulatory_report import book_version
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, init_workspace

RULES = load_rule_set("cbirc-2023")
OTHER_RULES = load_rule_set("leasing-indicators-trial")
FIRST, LAST = RUN_DAYS  # 2026-09-30, 2026-10-31
MIDDLE = dt.date(2026, 10, 15)
LESSORS = ("ALPHA", "BETA")
runner = CliRunner()

# Every stored row of one lessor's days, in a fixed order: what another lessor's run must leave as it was.
_ROWS_OF_LESSOR = {
    "contract_classes": "select * from contract_classes where lessor = :lessor order by as_of, contract_no",
    "class_totals": 'select * from class_totals where lessor = :lessor order by as_of, "class"',
    "book_runs": "select * from book_runs where lessor = :lessor order by as_of",
    "class_changes": "select ch.* from class_changes ch join contracts c on c.contract_no = ch.contract_no "
    "where c.lessor = :lessor order by ch.as_of, ch.contract_no",
}


def rows_of(engine: Engine, lessor: str) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table: [tuple(row) for row in connection.execute(text(sql), {"lessor": lessor})]
            for table, sql in _ROWS_OF_LESSOR.items()
        }


def runs_of(engine: Engine) -> dict[tuple[dt.date, str], BookRun]:
    with session_factory(engine)() as session:
        return {(run.as_of, run.lessor): run for run in session.scalars(select(BookRun))}


def run_days_of_store(engine: Engine, lessor: str) -> list[dt.date]:
    return [run.as_of for run in run_days_of(engine, lessor)]


@pytest.fixture(scope="module")
def book_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The console world's synthetic book: 300 contracts of ALPHA and BETA."""
    return synth_files(tmp_path_factory.mktemp("by-lessor"))


def add_lessors(engine: Engine) -> None:
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "ALPHA", "Alpha Leasing")
        add_lessor(session, "BETA", "Beta Leasing")


def import_book(engine: Engine, files: Path) -> None:
    add_lessors(engine)
    assert all(r.rejected == 0 for r in import_paths(engine, [files]))


@pytest.fixture
def engine(store_engine: Engine, book_files: Path) -> Engine:
    """A store (SQLite or PostgreSQL) with the book imported, nothing run."""
    import_book(store_engine, book_files)
    return store_engine


# --- the daily run of one lessor ------------------------------------------------------------------------------


def test_a_lessors_run_leaves_every_row_of_another_lessor_as_it_was(engine: Engine) -> None:
    run_days(engine, [FIRST], RULES)  # the whole store: both lessors' first day
    beta = rows_of(engine, "BETA")
    assert run_days_of_store(engine, "BETA") == [FIRST]
    assert beta["contract_classes"] and beta["class_totals"] and beta["class_changes"]

    ran = run_days(engine, [MIDDLE, LAST], OTHER_RULES, lessor="ALPHA")
    assert [(r.as_of, r.lessors) for r in ran] == [(MIDDLE, ("ALPHA",)), (LAST, ("ALPHA",))]
    assert rows_of(engine, "BETA") == beta  # not a row of BETA's written, deleted or changed
    assert run_days_of_store(engine, "BETA") == [FIRST]  # no run of BETA on the days ALPHA ran
    assert run_days_of_store(engine, "ALPHA") == [LAST, MIDDLE, FIRST]
    with engine.connect() as connection:
        alpha_contracts = connection.execute(
            text("select count(*) from contracts where lessor = 'ALPHA'")
        ).scalar_one()
        classified = connection.execute(
            text("select lessor, count(*) from contract_classes where as_of = :day group by lessor"),
            {"day": LAST},
        ).all()
    assert dict(classified) == {"ALPHA": alpha_contracts}  # ALPHA's contracts only were read and classified
    assert ran[-1].contracts == alpha_contracts == runs_of(engine)[(LAST, "ALPHA")].contracts

    # ALPHA's first day again: its later days are run again after it, for ALPHA only; BETA's first day stays.
    again = run_days(engine, [FIRST], RULES, lessor="ALPHA")
    assert [(r.as_of, r.rerun_after_earlier, r.lessors) for r in again] == [
        (FIRST, False, ("ALPHA",)),
        (MIDDLE, True, ("ALPHA",)),
        (LAST, True, ("ALPHA",)),
    ]
    assert rows_of(engine, "BETA") == beta
    assert run_days_of_store(engine, "BETA") == [FIRST]


def test_a_lessors_figures_are_the_same_run_alone_or_with_the_whole_store(engine: Engine) -> None:
    run_days(engine, [FIRST], RULES)
    run_days(engine, [LAST], RULES, lessor="BETA")
    alone = rows_of(engine, "BETA")
    alone_runs = _plain_runs(engine, finished=False)
    run_days(engine, [LAST], RULES)  # the whole store: BETA's day written again among ALPHA's
    together = rows_of(engine, "BETA")
    # The same classes, totals and changes of BETA's; the same run days but for when they finished.
    assert {k: v for k, v in together.items() if k != "book_runs"} == {
        k: v for k, v in alone.items() if k != "book_runs"
    }
    assert [run for run in _plain_runs(engine, finished=False) if run[1] == "BETA"] == [
        run for run in alone_runs if run[1] == "BETA"
    ]


def test_a_lessor_with_the_consortium_rule_on_sees_arrears_elsewhere_in_its_own_run(
    engine: Engine, tmp_path: Path
) -> None:
    """arrears_elsewhere is the one fact of another lessor's book a lessor may use, when it switched it on: its
    own run classifies with the other lessors' arrears as the whole-store run does, and stores its rows only."""
    shipped = (Path(defaults.__file__).parent / "classification" / "cbirc-2023.yaml").read_text(
        encoding="utf-8"
    )
    assert "  lessors: []" in shipped
    path = tmp_path / "alpha-consortium.yaml"
    path.write_text(shipped.replace("  lessors: []", "  lessors: [ALPHA]"), encoding="utf-8")
    rules = load_rule_set(str(path))
    # A lessee with a contract at each lessor, in arrears at BETA: BETA's contract in arrears is moved to the
    # lessee of one of ALPHA's contracts that is not.
    run_days(engine, [FIRST], RULES)
    with engine.begin() as connection:
        arrears = "select contract_no from contract_classes where as_of = :day and lessor = :lessor and dpd {} 0 " \
            "and deciding_rule <> 'not live' order by contract_no limit 1"  # fmt: skip
        at_beta = connection.execute(text(arrears.format(">")), {"day": FIRST, "lessor": "BETA"}).scalar_one()
        at_alpha = connection.execute(
            text(arrears.format("=")), {"day": FIRST, "lessor": "ALPHA"}
        ).scalar_one()
        lessee = connection.execute(
            text("select lessee_id, lessee_type from contracts where contract_no = :no"), {"no": at_alpha}
        ).one()
        connection.execute(
            text("update contracts set lessee_id = :id, lessee_type = :type where contract_no = :no"),
            {"id": lessee.lessee_id, "type": lessee.lessee_type, "no": at_beta},
        )
    run_days(engine, [FIRST], rules)
    together, beta = rows_of(engine, "ALPHA"), rows_of(engine, "BETA")
    together_runs = [run for run in _plain_runs(engine, finished=False) if run[1] == "ALPHA"]
    with engine.connect() as connection:
        fired = (
            connection.execute(
                text(
                    "select contract_no from contract_classes where lessor = 'ALPHA' and reasons like :rule"
                ),
                {"rule": "%arrears-at-another-member%"},
            )
            .scalars()
            .all()
        )
    assert at_alpha in fired  # the lessee's arrears at BETA reached its contract at ALPHA
    run_days(engine, [FIRST], rules, lessor="ALPHA")
    alone = rows_of(engine, "ALPHA")
    assert {k: v for k, v in alone.items() if k != "book_runs"} == {
        k: v for k, v in together.items() if k != "book_runs"
    }
    assert [run for run in _plain_runs(engine, finished=False) if run[1] == "ALPHA"] == together_runs
    assert rows_of(engine, "BETA") == beta


def test_a_lessors_changes_of_class_are_against_its_own_previous_run_day(engine: Engine) -> None:
    run_days(engine, [FIRST], RULES)
    run_days(engine, [MIDDLE], RULES, lessor="BETA")  # a later day of BETA's only
    run_days(engine, [LAST], RULES, lessor="ALPHA")
    with engine.connect() as connection:
        before = dict(
            connection.execute(
                text(
                    "select contract_no, \"class\" from contract_classes where as_of = :day and lessor = 'ALPHA'"
                ),
                {"day": FIRST},
            ).all()
        )
        now = dict(
            connection.execute(
                text(
                    "select contract_no, \"class\" from contract_classes where as_of = :day and lessor = 'ALPHA'"
                ),
                {"day": LAST},
            ).all()
        )
        changes = {
            (no, from_class, to_class)
            for no, from_class, to_class in connection.execute(
                text("select contract_no, from_class, to_class from class_changes where as_of = :day"),
                {"day": LAST},
            )
        }
    expected = {
        (no, before.get(no), klass)
        for no, klass in now.items()
        if (no in before and before[no] != klass) or (no not in before and klass != "normal")
    }
    assert changes == expected
    assert any(
        from_class is not None for _, from_class, _ in changes
    )  # against ALPHA's first day, not BETA's
    assert runs_of(engine)[(LAST, "ALPHA")].changes == len(expected)


def test_a_whole_store_run_keeps_one_run_day_per_lessor_with_its_own_figures(engine: Engine) -> None:
    results = run_days(engine, [FIRST, LAST], RULES)
    assert [r.lessors for r in results] == [LESSORS, LESSORS]
    runs = runs_of(engine)
    assert set(runs) == {(day, lessor) for day in RUN_DAYS for lessor in LESSORS}
    rate = round(RULES.general_reserve_rate * 1_000_000)
    with engine.connect() as connection:
        for (day, lessor), run in runs.items():
            contracts, provisions, live = connection.execute(
                text(
                    "select count(*), sum(provision_fen), sum(case when deciding_rule <> 'not live' "
                    "then claim_balance_fen else 0 end) from contract_classes where as_of = :day and lessor = :lessor"
                ),
                {"day": day, "lessor": lessor},
            ).one()
            changes = connection.execute(
                text(
                    "select count(*) from class_changes ch join contract_classes cc on cc.as_of = ch.as_of "
                    "and cc.contract_no = ch.contract_no where ch.as_of = :day and cc.lessor = :lessor"
                ),
                {"day": day, "lessor": lessor},
            ).scalar_one()
            assert (run.contracts, run.changes, run.provisions_fen) == (contracts, changes, provisions)
            assert run.general_reserve_fen == (int(live) * rate + 500_000) // 1_000_000 > 0
            assert (run.rule_set, run.rule_set_sha256) == (RULES.id, RULES.digest)
    for result in results:
        assert result.contracts == sum(runs[(result.as_of, lessor)].contracts for lessor in LESSORS)
        assert result.general_reserve_fen == sum(
            runs[(result.as_of, lessor)].general_reserve_fen for lessor in LESSORS
        )


def test_every_reader_of_run_days_asks_for_the_lessors(engine: Engine) -> None:
    run_days(engine, [FIRST], RULES)
    run_days(engine, [LAST], RULES, lessor="ALPHA")  # a day ALPHA ran and BETA did not
    assert run_days_of_store(engine, "ALPHA") == [LAST, FIRST]
    assert run_days_of_store(engine, "BETA") == [FIRST]
    # /book: each lessor's latest day by default; BETA's LAST is not a run day, ALPHA's previous day is FIRST.
    alpha = book_page(engine, "ALPHA", {})
    assert (alpha.filter.day, alpha.previous_day) == (LAST, FIRST)
    assert book_page(engine, "BETA", {}).filter.day == FIRST
    with pytest.raises(BookFilterError) as refused:
        book_page(engine, "BETA", {"day": LAST.isoformat()})
    assert refused.value.field == "day"
    # The overview, the call list's day, the export's day, the indicators' book, the report's version.
    assert book_overview(engine, "BETA").last_run.as_of == FIRST  # type: ignore[union-attr]
    assert book_overview(engine, "ALPHA").last_run.as_of == LAST  # type: ignore[union-attr]
    with engine.connect() as connection:
        assert list_day(connection, "BETA", dt.date(2026, 12, 1)).as_of == FIRST
        assert list_day(connection, "ALPHA", dt.date(2026, 12, 1)).as_of == LAST
        beta_contract = connection.execute(
            text("select contract_no from contracts where lessor = 'BETA' order by contract_no limit 1")
        ).scalar_one()
        assert classes_now(connection, "BETA", [beta_contract])[beta_contract].as_of == FIRST
    assert stored_day(engine, LAST, lessor="BETA") is None
    assert stored_day(engine, LAST, lessor="ALPHA") is not None
    with pytest.raises(IndicatorInputError):
        read_book(engine, "BETA", LAST)
    assert read_book(engine, "ALPHA", LAST).height == runs_of(engine)[(LAST, "ALPHA")].contracts
    assert book_version(engine, "BETA", LAST)[0] is None
    assert book_version(engine, "ALPHA", LAST)[0] is not None
    # Case files: each lessor's contracts by its own latest run day on or before the day asked.
    with engine.connect() as connection:
        beta_first = set(
            connection.execute(
                text("select contract_no from contract_classes where as_of = :day and lessor = 'BETA'"),
                {"day": FIRST},
            ).scalars()
        )
        alpha_last = set(
            connection.execute(
                text("select contract_no from contract_classes where as_of = :day and lessor = 'ALPHA'"),
                {"day": LAST},
            ).scalars()
        )
    assert {no for no, _, _ in select_contracts(engine, LAST, lessor="BETA", classes=None)} == beta_first
    chosen = select_contracts(engine, LAST, classes=None)
    assert {no for no, _, _ in chosen} == beta_first | alpha_last
    assert [no for no, _, _ in chosen] == sorted(no for no, _, _ in chosen)


# --- the console and the API: an admin's run is its lessor's --------------------------------------------------


@contextmanager
def served(url: str, files: Path) -> Iterator[Console]:
    """The console over the store at `url` with the book imported and its first day run for both lessors: ada is
    ALPHA's admin, bea BETA's compliance officer; the keys are ALPHA's admin and BETA's admin."""
    engine = create_store_engine(url)
    import_book(engine, files)
    run_days(engine, [FIRST], RULES)
    policy = people.PeoplePolicy()
    with session_factory(engine)() as session, session.begin():
        for name, lessor, role in (("ada", "ALPHA", "admin"), ("bea", "BETA", "compliance")):
            people.create_user(
                session, username=name, lessor=lessor, role=role, password=PASSWORD, policy=policy
            )
        admin_key = create_key(session, lessor="ALPHA", role="admin").key
        beta_admin_key = create_key(session, lessor="BETA", role="admin").key
    application = create_app(url, console=ConsoleSettings(session_idle_minutes=30, session_max_hours=12))
    try:
        with running(application) as base:
            yield Console(base, engine, 0, 0, admin_key, admin_key, beta_admin_key)
    finally:
        engine.dispose()


def _day_error(page: httpx.Response) -> str:
    found = re.search(r'id="f-day-error"[^>]*>([^<]*)<', page.text)
    assert found, page.text[:3000]
    return html.unescape(found.group(1)).strip()


def test_an_admins_run_from_the_console_or_the_api_is_its_lessors_alone(
    database_url: str, book_files: Path
) -> None:
    with served(database_url, book_files) as world:
        beta = rows_of(world.engine, "BETA")
        ada = signed_in(world, "ada")
        book = ada.get("/book")
        started = ada.post("/book/runs", data={"csrf_token": csrf_of(book), "days": LAST.isoformat()})
        assert started.status_code == 303, book.text[:2000]
        job_id = int(started.headers["location"].rsplit("/", 1)[1])
        job = ended_job(world.base, world.admin_key, job_id)
        assert job["state"] == "succeeded", job
        assert rows_of(world.engine, "BETA") == beta  # BETA's rows exactly as they were: no run of LAST
        assert run_days_of_store(world.engine, "BETA") == [FIRST]

        shown = ada.get("/book", params={"day": LAST.isoformat()})
        assert shown.status_code == 200 and LAST.isoformat() in shown.text
        bea = signed_in(world, "bea")
        not_run = bea.get("/book", params={"day": LAST.isoformat()})
        assert not_run.status_code == 422
        assert _day_error(not_run) == f"{LAST.isoformat()} 没有日终批处理记录：请选择已运行的日期"
        latest = bea.get("/book")
        assert latest.status_code == 200 and FIRST.isoformat() in latest.text
        assert LAST.isoformat() not in latest.text  # not among BETA's run days

        # And the other way round over the API: BETA's admin runs a day; ALPHA's rows stay as they were.
        alpha = rows_of(world.engine, "ALPHA")
        answer = httpx.post(
            f"{world.base}/v1/jobs/daily-run",
            json={"day": MIDDLE.isoformat()},
            headers={"Authorization": f"Bearer {world.beta_admin_key}"},
            timeout=30,
        )
        assert answer.status_code == 202, answer.text
        done = ended_job(world.base, world.beta_admin_key, answer.json()["id"])
        assert done["state"] == "succeeded", done
        assert rows_of(world.engine, "ALPHA") == alpha
        assert run_days_of_store(world.engine, "ALPHA") == [LAST, FIRST]
        assert run_days_of_store(world.engine, "BETA") == [MIDDLE, FIRST]
        assert (
            sum(done["result"]["days"][0]["classes"].values())
            == runs_of(world.engine)[(MIDDLE, "BETA")].contracts
        )
        ada.close()
        bea.close()


# --- the command line -------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace_root(
    request: pytest.FixtureRequest, tmp_path: Path, book_files: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.delenv(HOME_ENV, raising=False)
    if request.param == "postgresql":
        monkeypatch.setenv(DATABASE_URL_ENV, migrated_store(request, tmp_path))
    else:
        monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    opened = init_workspace(tmp_path / "ws")
    engine = opened.engine()
    import_book(engine, book_files)
    engine.dispose()
    return opened.root


def _cli(root: Path, *args: str) -> Any:
    return runner.invoke(app, [*args, "-w", str(root)])


def test_run_daily_runs_every_lessor_or_the_one_given(workspace_root: Path) -> None:
    whole = _cli(workspace_root, "run", "daily", "--as-of", FIRST.isoformat())
    assert whole.exit_code == 0, whole.output
    one = _cli(workspace_root, "run", "daily", "--as-of", LAST.isoformat(), "--lessor", "BETA")
    assert one.exit_code == 0, one.output
    assert "出租人 BETA" in one.output
    unknown = _cli(workspace_root, "run", "daily", "--as-of", LAST.isoformat(), "--lessor", "NOPE")
    assert unknown.exit_code == 1
    said = [line for line in unknown.output.splitlines() if line.strip()]
    assert len(said) == 1 and "未知出租人 'NOPE'" in said[0], unknown.output
    from leaseguard.workspace import find_workspace

    engine = find_workspace(workspace_root).engine()
    try:
        assert set(runs_of(engine)) == {(FIRST, "ALPHA"), (FIRST, "BETA"), (LAST, "BETA")}
    finally:
        engine.dispose()


# --- migration 0026 -----------------------------------------------------------------------------------------------


def _plain_runs(engine: Engine, *, finished: bool = True) -> list[tuple[Any, ...]]:
    """Every book_runs row as plain values in order, with its finishing time (naive UTC) unless `finished` is
    False."""
    return sorted(
        (run.as_of, run.lessor, run.rule_set, run.rule_set_version, run.rule_set_sha256, run.contracts, run.changes,
         run.provisions_fen, run.general_reserve_fen)
        + ((run.finished_at.replace(tzinfo=None),) if finished else ())
        for run in runs_of(engine).values()
    )  # fmt: skip


def test_the_migration_splits_each_days_run_into_its_lessors_and_back(
    own_store: Engine, book_files: Path
) -> None:
    upgrade_schema(own_store)
    import_book(own_store, book_files)
    run_days(own_store, [FIRST, LAST], RULES)
    per_lessor = _plain_runs(own_store)
    command.downgrade(alembic_config(own_store), "0025")
    with own_store.connect() as connection:
        columns = set(connection.execute(text("select * from book_runs where 1 = 0")).keys())
        merged = connection.execute(
            text(
                "select as_of, contracts, changes, provisions_fen, general_reserve_fen from book_runs order by as_of"
            )
        ).all()
    assert "lessor" not in columns
    assert [tuple(int(v) for v in row[1:]) for row in merged] == [
        tuple(sum(run[i] for run in per_lessor if run[0] == day) for i in (5, 6, 7, 8)) for day in RUN_DAYS
    ]
    upgrade_schema(own_store)  # the store-wide days split again: the very rows the runs wrote
    assert _plain_runs(own_store) == per_lessor


def test_the_migration_splits_hand_kept_days_by_their_lessors_classes(own_store: Engine) -> None:
    command.upgrade(alembic_config(own_store), "0025")
    finished = "2026-02-01 08:00:00+00:00"
    classes = [
        # day, contract, lessor, deciding rule, claim balance, provision
        ("2026-01-31", "A-1", "A", "normal", 2_000_000, 20_000),
        ("2026-01-31", "A-2", "A", "not live", 333, 0),
        ("2026-01-31", "A-3", "A", "overdue", 333, 100),
        ("2026-01-31", "B-1", "B", "overdue", 3_000_777, 1_500_000),
        ("2026-02-28", "A-1", "A", "normal", 1_000_000, 10_000),
        ("2026-02-28", "B-1", "B", "overdue", 3_000_000, 1_500_000),
    ]
    with own_store.begin() as connection:
        for day, stored, changes, reserve in (
            ("2026-01-31", 4, 2, 61_738),  # reserve of 5,001,110 fen live at 12,345 millionths
            ("2026-02-28", 2, 0, 50),  # no rate gives it: shared out by live claim balance
            ("2026-03-31", 0, 0, 0),  # nothing classified that day
        ):
            connection.execute(
                text(
                    "insert into book_runs (as_of, rule_set, rule_set_version, rule_set_sha256, contracts, changes, "
                    "provisions_fen, general_reserve_fen, finished_at) values (:day, 'r', 1, 'x', :n, :changes, 0, "
                    ":reserve, :finished)"
                ),
                {"day": dt.date.fromisoformat(day), "n": stored, "changes": changes, "reserve": reserve,
                 "finished": dt.datetime.fromisoformat(finished)},
            )  # fmt: skip
        for day, no, lessor, rule, claim, provision in classes:
            connection.execute(
                text(
                    "insert into contract_classes (as_of, contract_no, lessor, dpd, outstanding_principal_fen, "
                    'overdue_amount_fen, claim_balance_fen, "class", deciding_rule, reasons, provision_fen) values '
                    "(:day, :no, :lessor, 0, 0, 0, :claim, 'normal', :rule, '', :provision)"
                ),
                {"day": dt.date.fromisoformat(day), "no": no, "lessor": lessor, "claim": claim, "rule": rule,
                 "provision": provision},
            )  # fmt: skip
        for no in ("A-3", "B-1"):
            connection.execute(
                text(
                    "insert into class_changes (as_of, contract_no, from_class, to_class, deciding_rule, reasons) "
                    "values (:day, :no, null, 'substandard', 'overdue', '')"
                ),
                {"day": dt.date(2026, 1, 31), "no": no},
            )
    upgrade_schema(own_store)
    split = {(day, lessor): run for (day, lessor), run in runs_of(own_store).items()}
    january, february = dt.date(2026, 1, 31), dt.date(2026, 2, 28)
    assert set(split) == {(january, "A"), (january, "B"), (february, "A"), (february, "B")}  # March dropped
    figures = {
        key: (run.contracts, run.changes, run.provisions_fen, run.general_reserve_fen)
        for key, run in split.items()
    }
    # January: the rate (12,345 millionths) recovered, each lessor's reserve on its own live claim balance.
    assert figures[(january, "A")] == (3, 1, 20_100, (2_000_333 * 12_345 + 500_000) // 1_000_000)
    assert figures[(january, "B")] == (1, 1, 1_500_000, (3_000_777 * 12_345 + 500_000) // 1_000_000)
    # February: 50 fen shared 1 : 3 by live claim balance, adding up to the stored reserve.
    assert (figures[(february, "A")][3], figures[(february, "B")][3]) == (13, 37)
    assert all(run.rule_set == "r" and run.finished_at.replace(tzinfo=None) == dt.datetime(2026, 2, 1, 8)
               for run in split.values())  # fmt: skip
