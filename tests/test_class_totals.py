"""The daily run keeps each day's totals per lessor and class (class_totals) beside its classes, so that a page
reads a book's size and ratios in a few rows; they are always the sums of the classes stored, after a run, a
re-run of the day under other rules and the migration that brought them to days run before it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text

from leaseguard.classification.daily import run_days
from leaseguard.classification.rules import load_rule_set
from leaseguard.ingest import import_paths
from leaseguard.store.db import alembic_config, create_store_engine, upgrade_schema
from leaseguard.synth import generate_book

DAYS = (dt.date(2025, 6, 30), dt.date(2025, 12, 31))
SUMMED = (
    "select as_of, lessor, class, count(*), sum(claim_balance_fen), sum(provision_fen) from contract_classes "
    "group by as_of, lessor, class order by 1, 2, 3"
)
KEPT = (
    "select as_of, lessor, class, contracts, claim_balance_fen, provision_fen from class_totals "
    "order by 1, 2, 3"
)


def _rows(engine: Engine, sql: str) -> list[tuple[str, str, str, int, int, int]]:
    with engine.connect() as connection:
        return [
            (str(day)[:10], lessor, klass, int(n), int(claim), int(provision))
            for day, lessor, klass, n, claim, provision in connection.execute(text(sql))
        ]


@pytest.fixture(scope="module")
def book_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("totals") / "book"
    generate_book(folder, contracts=200, seed=4, parameters=None)
    return folder


def test_the_totals_are_the_sums_of_the_classes_after_a_run_and_a_rerun(
    store_engine: Engine, book_folder: Path
) -> None:
    assert all(r.rejected == 0 for r in import_paths(store_engine, [book_folder]))
    run_days(store_engine, list(DAYS), load_rule_set("cbirc-2023"))
    summed = _rows(store_engine, SUMMED)
    assert {row[1] for row in summed} == {"L001", "L002", "L003", "L004", "L005"}
    assert any(row[2] != "normal" for row in summed)  # more than one class to sum
    assert _rows(store_engine, KEPT) == summed
    # The later day again under the other rule set: its totals replaced, not added to.
    run_days(store_engine, [DAYS[1]], load_rule_set("leasing-indicators-trial"))
    again = _rows(store_engine, SUMMED)
    assert _rows(store_engine, KEPT) == again
    assert sum(row[3] for row in again) == sum(row[3] for row in summed)


def test_the_migration_sums_the_days_run_before_it(tmp_path: Path, book_folder: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade_schema(engine)
    assert all(r.rejected == 0 for r in import_paths(engine, [book_folder]))
    run_days(engine, list(DAYS), load_rule_set("cbirc-2023"))
    summed = _rows(engine, SUMMED)
    command.downgrade(alembic_config(engine), "0017")
    with engine.connect() as connection:
        assert "class_totals" not in {
            name
            for (name,) in connection.execute(text("select name from sqlite_master where type = 'table'"))
        }
    upgrade_schema(engine)
    assert _rows(engine, KEPT) == summed
    engine.dispose()
