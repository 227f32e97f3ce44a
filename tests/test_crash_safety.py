"""The real `leaseguard` CLI killed with SIGKILL part-way through an import, a daily run and an evidence
append, on SQLite and PostgreSQL: the store keeps each file, day and batch whole or not at all, the evidence log
still extends the checkpoint published before the kill, and running the killed command again gives exactly
what one clean run gives.

Kill points are fixed, not random: once 20 %, 50 % and 80 % of the same command's clean run on the same store
have passed (measured in the test; 50 % only on PostgreSQL, to keep the module near a minute), the command is
killed at the first moment it holds an open write transaction (SQLite: the store's write lock is taken;
PostgreSQL: its connection has a transaction id). Which file or day that is depends on the machine; what is
asserted holds wherever it lands. `pytest -s` prints where each kill landed."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from conftest import POSTGRES_URL, _reset_postgres
from leaseguard.cli.main import app
from leaseguard.ingest import import_paths
from leaseguard.store.db import create_store_engine
from leaseguard.synth import generate_book
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, init_workspace

LEASEGUARD = [sys.executable, "-m", "leaseguard.cli.main"]
CONTRACTS = 300  # about 6,500 rows in all, 5,500 of them payments: a second or more of work to interrupt
DAYS = ("2026-06-29", "2026-06-30")  # --from/--to: two days, each its own transaction
EVIDENCE_FILES = 600  # one batch of this many records
KILL_FRACTIONS = {"sqlite": (0.2, 0.5, 0.8), "postgresql": (0.5,)}
IMPORT_TABLES = ("lessors", "contracts", "assets", "payments", "valuations", "import_runs")
DAY_TABLES = ("contract_classes", "class_totals", "class_changes", "book_runs")
EVIDENCE_TABLES = ("evidence_records", "evidence_checkpoints")

APPLICATION_NAME = f"lg-crash-{uuid.uuid4().hex[:12]}"
SEEN: list[str] = []  # where each kill landed, printed at the end of the module (pytest -s)


@dataclass
class Store:
    """A workspace whose store is SQLite (a copy of a template folder) or the session's PostgreSQL schema
    (emptied and loaded again), brought to a stage before each command."""

    backend: str
    folder: Path
    book: Path
    url: str | None  # the PostgreSQL URL; None for SQLite
    templates: dict[str, Path]
    runs: int = 0

    @property
    def env(self) -> dict[str, str]:
        env = {**os.environ, "COLUMNS": "200"}
        env.pop(HOME_ENV, None)
        env.pop(DATABASE_URL_ENV, None)
        if self.url:
            env[DATABASE_URL_ENV] = self.url
        return env

    def fresh(self, stage: str) -> Path:
        """A workspace at `stage`: "empty" (migrated, nothing in it), "lessors" (the book's lessors only) or
        "book" (the whole book imported)."""
        self.runs += 1
        root = self.folder / f"ws-{self.runs}"
        if self.url is None:
            shutil.copytree(self.templates[stage], root)
            return root
        shutil.copytree(self.templates["empty"], root)  # the keys; the store is the schema
        engine = create_store_engine(self.url)
        try:
            assert _reset_postgres(engine), "the schema is at the migrations' head"
            _load(engine, self.book, stage)
        finally:
            engine.dispose()
        return root

    def engine(self, root: Path) -> Engine:
        return create_store_engine(self.url or f"sqlite:///{root / 'leaseguard.db'}")


def _load(engine: Engine, book: Path, stage: str) -> None:
    if stage == "lessors":
        assert all(r.rejected == 0 for r in import_paths(engine, [book / "lessors.csv"]))
    elif stage == "book":
        assert all(r.rejected == 0 for r in import_paths(engine, [book]))


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("crash") / "book"
    generate_book(folder, contracts=CONTRACTS, seed=31)
    for extra in ("ground_truth.csv", "contract_outcomes.csv"):  # labels, not data files
        (folder / extra).unlink()
    return folder


@pytest.fixture(scope="module")
def evidence_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("evidence")
    files = []
    for number in range(EVIDENCE_FILES):
        path = folder / f"record-{number:04d}.txt"
        path.write_text(f"催收记录 {number}：承租人已收到通知\n", encoding="utf-8")
        files.append(path)
    return files


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, book: Path
) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp(f"crash-{request.param}")
    url = request.getfixturevalue("postgres_schema_url") if request.param == "postgresql" else None
    if url:  # named, so the test can tell the command's connection among the server's
        url = f"{url}&application_name={APPLICATION_NAME}"
    templates: dict[str, Path] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(HOME_ENV, raising=False)
        if url:
            patch.setenv(DATABASE_URL_ENV, url)
            engine = create_store_engine(url)
            _reset_postgres(engine)
            engine.dispose()
        else:
            patch.delenv(DATABASE_URL_ENV, raising=False)
        templates["empty"] = init_workspace(folder / "template-empty").root
        if url is None:
            for stage in ("lessors", "book"):
                root = folder / f"template-{stage}"
                shutil.copytree(templates["empty"], root)
                engine = create_store_engine(f"sqlite:///{root / 'leaseguard.db'}")
                _load(engine, book, stage)
                engine.dispose()
                templates[stage] = root
    yield Store(request.param, folder, book, url, templates)
    print("\n" + "\n".join(SEEN))
    SEEN.clear()


def _clean(store: Store, stage: str, command: list[str]) -> tuple[Path, float]:
    """The command run to its end on a fresh store: the workspace and how long it took."""
    root = store.fresh(stage)
    started = time.monotonic()
    done = subprocess.run([*LEASEGUARD, *command, "-w", str(root)], env=store.env, cwd=root, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    return root, took


def _writing(store: Store, root: Path, watcher: Engine | None) -> bool:
    """Whether the command holds an open write transaction at this moment: on SQLite the store's write lock is
    taken (another BEGIN IMMEDIATE is refused at once), on PostgreSQL its connection (told by the
    application_name of the store URL) has a transaction id, which a transaction gets at its first write."""
    if watcher is None:
        probe = sqlite3.connect(root / "leaseguard.db", timeout=0, isolation_level=None)
        try:
            probe.execute("begin immediate")
            probe.execute("rollback")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    with watcher.connect() as connection:
        writers = connection.execute(
            text(
                "select count(*) from pg_stat_activity where application_name = :name and backend_xid is not null"
            ),
            {"name": APPLICATION_NAME},
        ).scalar_one()
    return bool(writers)


def _killed(store: Store, root: Path, command: list[str], after: float) -> str | None:
    """Start the command, wait `after` seconds, then SIGKILL it at the first moment it holds an open write
    transaction; None when it finished before that moment came."""
    process = subprocess.Popen([*LEASEGUARD, *command, "-w", str(root)], env=store.env, cwd=root,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    watcher = create_store_engine(POSTGRES_URL) if store.url else None
    try:
        try:
            process.wait(after)
        except subprocess.TimeoutExpired:
            while process.poll() is None:
                if _writing(store, root, watcher):
                    process.send_signal(signal.SIGKILL)
                    process.wait(30)
                    return "mid-transaction"
                time.sleep(0.002)
        _, stderr = process.communicate()
        assert process.returncode == 0, stderr
        return None
    finally:
        if watcher is not None:
            watcher.dispose()


def _rerun(store: Store, root: Path, command: list[str]) -> None:
    """The killed command again, to its end; in this process (the same code as the CLI's, without paying for
    another interpreter's start)."""
    result = CliRunner().invoke(app, [*command, "-w", str(root)], env=store.env)
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def _counts(engine: Engine, tables: tuple[str, ...]) -> dict[str, int]:
    with engine.connect() as connection:
        return {t: int(connection.execute(text(f"select count(*) from {t}")).scalar_one()) for t in tables}


def _day_counts(engine: Engine) -> dict[tuple[str, str], int]:
    """Rows of each daily-run table on each day."""
    counts = {}
    with engine.connect() as connection:
        for table in DAY_TABLES:
            for day, count in connection.execute(text(f"select as_of, count(*) from {table} group by as_of")):
                counts[(table, str(day)[:10])] = int(count)
    return counts


def _day_rows(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every contract_classes and class_totals row, as text, in key order."""
    keys = {"contract_classes": "as_of, contract_no", "class_totals": "as_of, lessor, class"}
    with engine.connect() as connection:
        return {
            table: [
                tuple(str(value)[:10] if column == 0 else str(value) for column, value in enumerate(row))
                for row in connection.execute(text(f"select * from {table} order by {order}"))
            ]
            for table, order in keys.items()
        }


def _audit(store: Store, root: Path, checkpoint: Path) -> None:
    result = CliRunner().invoke(
        app, ["evidence", "audit", str(checkpoint), "-w", str(root), "--lang", "en"], env=store.env
    )
    assert result.exit_code == 0, result.output
    assert "CONSISTENT" in result.output and "INCONSISTENT" not in result.output


def _checkpoint(store: Store, root: Path) -> Path:
    note = root / "before.note"
    result = CliRunner().invoke(app, ["evidence", "checkpoint", "--out", str(note), "-w", str(root)],
                                env=store.env)  # fmt: skip
    assert result.exit_code == 0, result.output
    return note


def _kill_points(
    store: Store, stage: str, command: list[str], check: Callable[[Path, Path], str], clean_took: float
) -> None:
    """At each kill point: a fresh store at `stage`, a checkpoint, the command killed, `check` (which says
    where the kill landed), the audit, the command again and `check` once more (which must say "clean")."""
    for fraction in KILL_FRACTIONS[store.backend]:
        root = store.fresh(stage)
        note = _checkpoint(store, root)
        interrupted = _killed(store, root, command, clean_took * fraction)
        landed = f"{check(root, note)}, {interrupted}"
        _audit(store, root, note)
        SEEN.append(f"{store.backend} {command[0]} {command[1]} killed at {fraction:.0%} of {clean_took:.1f} s: "
                    f"{landed if interrupted else 'had already finished'}")  # fmt: skip
        _rerun(store, root, command)
        assert check(root, note) == "clean"
        _audit(store, root, note)


def test_an_import_killed_part_way_leaves_each_file_whole_or_absent(store: Store, book: Path) -> None:
    command = ["import", str(book)]
    root, took = _clean(store, "empty", command)
    engine = store.engine(root)
    clean = _counts(engine, IMPORT_TABLES)
    engine.dispose()
    assert clean["payments"] > 5000 and clean["import_runs"] == 5

    killed_runs: list[int] = []

    def check(root: Path, _note: Path) -> str:
        engine = store.engine(root)
        try:
            counts = _counts(engine, IMPORT_TABLES)
        finally:
            engine.dispose()
        whole = [t for t in IMPORT_TABLES[:-1] if counts[t] == clean[t]]
        for table in IMPORT_TABLES[:-1]:
            assert counts[table] in (0, clean[table]), (table, counts, clean)
        # import_runs logs every run of a file, in the file's own transaction: one row per file loaded by the
        # killed run, then five more for the run again.
        if not killed_runs:
            assert counts["import_runs"] == len(whole), counts
            killed_runs.append(counts["import_runs"])
        else:
            assert counts["import_runs"] == killed_runs.pop() + clean["import_runs"], counts
        if len(whole) == len(IMPORT_TABLES) - 1:
            return "clean"
        return f"{len(whole)} of 5 files loaded" if whole else "nothing loaded"

    _kill_points(store, "empty", command, check, took)


def test_a_daily_run_killed_part_way_leaves_each_day_whole_or_absent(store: Store) -> None:
    command = ["run", "daily", "--from", DAYS[0], "--to", DAYS[1]]
    root, took = _clean(store, "book", command)
    engine = store.engine(root)
    clean_days, clean_rows = _day_counts(engine), _day_rows(engine)
    clean_evidence = _counts(engine, ("evidence_records",))
    engine.dispose()
    assert len({day for _, day in clean_days}) == 2 and clean_rows["contract_classes"]

    def check(root: Path, _note: Path) -> str:
        engine = store.engine(root)
        try:
            days, rows, evidence = (
                _day_counts(engine),
                _day_rows(engine),
                _counts(engine, ("evidence_records",)),
            )
        finally:
            engine.dispose()
        stored = sorted({day for _, day in days})
        for (table, day), count in days.items():
            assert count == clean_days[(table, day)], (table, day, count)  # a day is all there or absent
        for day in stored:  # every table of a stored day, not some of them
            assert all(
                days.get((t, day)) == clean_days[(t, day)] for t in DAY_TABLES if (t, day) in clean_days
            )
        if rows == clean_rows:
            assert evidence == clean_evidence
            return "clean"
        return f"{len(stored)} of 2 days stored"

    _kill_points(store, "book", command, check, took)


def test_an_evidence_append_killed_part_way_appends_the_batch_whole_or_not_at_all(
    store: Store, evidence_files: list[Path]
) -> None:
    command = ["evidence", "append", *map(str, evidence_files), "--lessor", "L001", "--producer", "crash-test",
               "--system", "leaseguard tests", "--kind", "notice", "--ref", "BATCH-1"]  # fmt: skip
    root, took = _clean(store, "lessors", command)
    engine = store.engine(root)
    clean = _counts(engine, EVIDENCE_TABLES)
    engine.dispose()
    assert clean["evidence_records"] == EVIDENCE_FILES

    def check(root: Path, _note: Path) -> str:
        engine = store.engine(root)
        try:
            counts = _counts(engine, EVIDENCE_TABLES)
        finally:
            engine.dispose()
        # Before: one checkpoint (published before the kill) over an empty log; after: the batch and its own.
        assert counts in ({"evidence_records": 0, "evidence_checkpoints": 1},
                          {"evidence_records": EVIDENCE_FILES, "evidence_checkpoints": 2}), counts  # fmt: skip
        return "clean" if counts["evidence_records"] else "nothing appended"

    _kill_points(store, "lessors", command, check, took)
