"""Re-runs that leave the record as one uninterrupted, in-order run would: daily runs in any order, one at a
time, and facts deposited once however often a day or a case-file batch is run again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from leaseguard.classification.daily import DailyRunBusyError, daily_run_lock, run_days
from leaseguard.classification.rules import load_rule_set
from leaseguard.cli.main import app
from leaseguard.evidence import log_settings
from leaseguard.ingest import import_paths
from leaseguard.store.db import create_store_engine
from leaseguard.store.models import ClassChange, EvidenceRecord
from leaseguard.workspace import Workspace, init_workspace
from test_daily_run import book, sqlite_template, workspace  # noqa: F401  (the fixtures: a 600-contract book on each store)

DAYS = [dt.date(2024, 3, 31), dt.date(2024, 6, 30), dt.date(2024, 9, 30)]


def _history(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                ClassChange.as_of, ClassChange.contract_no, ClassChange.from_class, ClassChange.to_class,
                ClassChange.deciding_rule,
            ).order_by(ClassChange.as_of, ClassChange.contract_no)
        ).all()  # fmt: skip
    return [tuple(str(value) for value in row) for row in rows]


def _class_change_records(engine: Engine) -> list[tuple[str, bytes]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(EvidenceRecord.ref, EvidenceRecord.content)
            .where(EvidenceRecord.kind == "class-changes")
            .order_by(EvidenceRecord.leaf_index)
        ).all()
    return [(str(ref), bytes(content)) for ref, content in rows]


def _fresh(folder: Path, tmp_path: Path, name: str, database_url: str | None) -> tuple[Workspace, Engine]:
    opened = init_workspace(tmp_path / name)
    engine = create_store_engine(database_url) if database_url else opened.engine()
    assert all(r.rejected == 0 for r in import_paths(engine, [folder]))
    return opened, engine


def test_days_run_out_of_order_give_the_history_of_running_them_in_order(book: Path, tmp_path: Path) -> None:  # noqa: F811
    rules = load_rule_set("cbirc-2023")
    histories = []
    for name, order in (("in-order", DAYS), ("last-first", [DAYS[2], DAYS[0], DAYS[1]])):
        opened, engine = _fresh(book, tmp_path, name, None)
        signer = log_settings(opened).signer
        try:
            for day in order:
                results = run_days(engine, [day], rules, signer=signer)
            histories.append(_history(engine))
        finally:
            engine.dispose()
    in_order, shuffled = histories
    assert in_order and {row[0] for row in in_order} == {d.isoformat() for d in DAYS}
    assert shuffled == in_order
    # The last run (the middle day) ran the day stored after it again, and says so.
    assert [(r.as_of, r.rerun_after_earlier) for r in results] == [(DAYS[1], False), (DAYS[2], True)]


def test_a_day_run_six_times_deposits_its_changes_once(workspace: Workspace) -> None:  # noqa: F811
    signer = log_settings(workspace).signer
    engine = workspace.engine()
    try:
        run_days(engine, [DAYS[0]], load_rule_set("cbirc-2023"), signer=signer)
        once = _class_change_records(engine)
        for _ in range(5):
            run_days(engine, [DAYS[0]], load_rule_set("cbirc-2023"), signer=signer)
        assert once and _class_change_records(engine) == once
        with engine.connect() as connection:
            size = connection.execute(select(func.count()).select_from(EvidenceRecord)).scalar()
            assert size == len(once)
    finally:
        engine.dispose()


def test_a_second_daily_run_at_once_is_told_in_one_line(workspace: Workspace) -> None:  # noqa: F811
    engine = workspace.engine()
    try:
        with daily_run_lock(engine):
            with pytest.raises(DailyRunBusyError):
                run_days(engine, [DAYS[0]], load_rule_set("cbirc-2023"))
            result = CliRunner().invoke(
                app, ["run", "daily", "--as-of", DAYS[0].isoformat(), "-w", str(workspace.root)]
            )
        assert result.exit_code == 1
        assert "另一个日终批处理正在运行" in result.output
        assert "Traceback" not in result.output
        with engine.connect() as connection:
            assert connection.execute(text("select count(*) from book_runs")).scalar() == 0
        # Once the lock is free the run goes through.
        assert run_days(engine, [DAYS[0]], load_rule_set("cbirc-2023"))[0].contracts == 600
    finally:
        engine.dispose()


def test_the_daily_run_lock_is_the_stores_own_on_postgresql(postgres_schema_url: str) -> None:
    """Two stores (schemas) in one PostgreSQL database each run their own day; the same store, one at a time."""
    import uuid

    from sqlalchemy import create_engine

    from leaseguard.store.db import create_store_engine

    other_schema = f"lg_test_{uuid.uuid4().hex[:12]}"
    base = postgres_schema_url.split("?")[0]
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{other_schema}"'))
    ours = create_store_engine(postgres_schema_url)
    again = create_store_engine(postgres_schema_url)
    other = create_store_engine(f"{base}?options=-csearch_path%3D{other_schema}")
    try:
        with daily_run_lock(ours):
            with daily_run_lock(other):
                pass  # another store's run is not held up
            with pytest.raises(DailyRunBusyError), daily_run_lock(again):
                pass
        with daily_run_lock(again):
            pass  # free again once the first run ended
    finally:
        for engine in (ours, again, other):
            engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'drop schema "{other_schema}" cascade'))
        admin.dispose()
