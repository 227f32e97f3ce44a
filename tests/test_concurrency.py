"""Two writers at once on one store, with real processes and a served API, on SQLite and PostgreSQL: two imports
of one book, an import while the API answers asset checks, two daily runs of one day. Each either succeeds or
(the daily run) refuses in one line; nothing is lost or doubled (the store holds what one run holds) and no
"database is locked" reaches anyone as a 500 or a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import polars as pl
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from conftest import _reset_postgres, running
from leaseguard.api import create_app
from leaseguard.cli.main import app
from leaseguard.evidence import log_settings
from leaseguard.ingest import import_paths
from leaseguard.store.db import create_store_engine, session_factory
from leaseguard.synth import generate_book
from leaseguard.tenancy import create_key
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, find_workspace, init_workspace

LEASEGUARD = [sys.executable, "-m", "leaseguard.cli.main"]
DAY = "2026-06-30"
DATA_TABLES = ("lessors", "contracts", "assets", "payments", "valuations")


@dataclass
class Store:
    backend: str
    folder: Path
    book: Path
    url: str | None
    template: Path  # a workspace with the book's lessors only
    serial: dict[str, int]  # the data tables after one import of the book
    made: int = 0

    @property
    def env(self) -> dict[str, str]:
        env = {**os.environ, "COLUMNS": "200"}
        env.pop(HOME_ENV, None)
        env.pop(DATABASE_URL_ENV, None)
        if self.url:
            env[DATABASE_URL_ENV] = self.url
        return env

    def fresh(self, *, with_book: bool) -> Workspace:
        """A workspace holding the book's lessors (and the whole book with `with_book`)."""
        self.made += 1
        root = self.folder / f"ws-{self.made}"
        shutil.copytree(self.template, root)
        engine = self.engine(root)
        try:
            if self.url:
                _reset_postgres(engine)
                assert all(r.rejected == 0 for r in import_paths(engine, [self.book / "lessors.csv"]))
            if with_book:
                assert all(r.rejected == 0 for r in import_paths(engine, [self.book]))
        finally:
            engine.dispose()
        return find_workspace(root)

    def engine(self, root: Path) -> Engine:
        return create_store_engine(self.url or f"sqlite:///{root / 'leaseguard.db'}")

    def start(self, root: Path, *command: str) -> subprocess.Popen[str]:
        return subprocess.Popen([*LEASEGUARD, *command, "-w", str(root), "--lang", "en"], env=self.env, cwd=root,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _counts(engine: Engine, tables: tuple[str, ...]) -> dict[str, int]:
    with engine.connect() as connection:
        return {t: int(connection.execute(text(f"select count(*) from {t}")).scalar_one()) for t in tables}


def _finished(process: subprocess.Popen[str]) -> tuple[int, str]:
    """The exit code, and what was written: stderr first (where a refusal is said), then stdout."""
    stdout, stderr = process.communicate(timeout=300)
    return process.returncode, stderr + "\n--- stdout ---\n" + stdout


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("concurrency") / "book"
    generate_book(folder, contracts=300, seed=37)
    for extra in ("ground_truth.csv", "contract_outcomes.csv"):
        (folder / extra).unlink()
    return folder


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, book: Path
) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp(f"concurrency-{request.param}")
    url = request.getfixturevalue("postgres_schema_url") if request.param == "postgresql" else None
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(HOME_ENV, raising=False)
        if url:
            patch.setenv(DATABASE_URL_ENV, url)
            engine = create_store_engine(url)
            _reset_postgres(engine)
            engine.dispose()
        else:
            patch.delenv(DATABASE_URL_ENV, raising=False)
        template = init_workspace(folder / "template").root
    # The serial reference: the book imported once, in this process, on a SQLite copy.
    reference = folder / "reference.db"
    engine = create_store_engine(f"sqlite:///{reference}")
    from leaseguard.store.db import upgrade_schema

    upgrade_schema(engine)
    assert all(r.rejected == 0 for r in import_paths(engine, [book]))
    serial = _counts(engine, DATA_TABLES)
    engine.dispose()
    if url is None:
        engine = create_store_engine(f"sqlite:///{template / 'leaseguard.db'}")
        assert all(r.rejected == 0 for r in import_paths(engine, [book / "lessors.csv"]))
        engine.dispose()
    yield Store(request.param, folder, book, url, template, serial)


def test_two_imports_at_once_both_load_and_the_store_holds_one_import(store: Store) -> None:
    workspace = store.fresh(with_book=False)
    first = store.start(workspace.root, "import", str(store.book))
    second = store.start(workspace.root, "import", str(store.book))
    for code, output in (_finished(first), _finished(second)):
        assert code == 0, output
        assert "Traceback" not in output and "locked" not in output, output
    engine = store.engine(workspace.root)
    try:
        assert _counts(engine, DATA_TABLES) == store.serial
        with engine.connect() as connection:
            runs = connection.execute(text("select status, count(*) from import_runs group by status")).all()
    finally:
        engine.dispose()
    # Every file of both runs loaded (the lessors file of the fixture too): none refused for a busy store.
    assert dict((str(s), int(n)) for s, n in runs) == {"loaded": 11}


def test_an_import_while_the_api_answers_asset_checks(store: Store) -> None:
    workspace = store.fresh(with_book=False)
    engine = store.engine(workspace.root)
    with session_factory(engine)() as session, session.begin():
        key = create_key(session, lessor="L001", role="analyst").key
    vins = pl.read_csv(store.book / "assets.csv", infer_schema=False).filter(pl.col("vin").is_not_null())
    vins = vins.get_column("vin").head(40).to_list()
    signer = log_settings(workspace).signer
    url = store.url or f"sqlite:///{workspace.root / 'leaseguard.db'}"
    answers: list[int] = []
    bodies: list[str] = []
    importing = store.start(workspace.root, "import", str(store.book))
    done = threading.Event()

    def check_until_done(base: str) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            n = 0
            while not done.is_set() or n < 10:
                response = client.post("/v1/assets/check", json={"vin": vins[n % len(vins)]},
                                       headers={"Authorization": f"Bearer {key}"})  # fmt: skip
                answers.append(response.status_code)
                if response.status_code != 200:
                    bodies.append(response.text)
                n += 1

    with running(create_app(url, evidence_signer=signer)) as base:
        checker = threading.Thread(target=check_until_done, args=(base,))
        checker.start()
        code, output = _finished(importing)
        done.set()
        checker.join(120)
    assert code == 0 and "Traceback" not in output and "locked" not in output, output
    assert answers and set(answers) == {200}, bodies[:3]
    try:
        assert _counts(engine, DATA_TABLES) == store.serial
        # Every answered check recorded once, and deposited once in the evidence log.
        checks = _counts(engine, ("asset_checks", "evidence_records"))
        assert checks == {"asset_checks": len(answers), "evidence_records": len(answers)}
    finally:
        engine.dispose()


def test_two_daily_runs_at_once_one_waits_or_is_refused_in_one_line(store: Store) -> None:
    workspace = store.fresh(with_book=True)
    first = store.start(workspace.root, "run", "daily", "--as-of", DAY)
    second = store.start(workspace.root, "run", "daily", "--as-of", DAY)
    results = [_finished(first), _finished(second)]
    assert 0 in [code for code, _ in results], results
    print(f"\n{store.backend}: two daily runs at once exited {[code for code, _ in results]}")
    for code, output in results:
        assert "Traceback" not in output and "locked" not in output, output
        if code != 0:  # refused: one line saying why, in the user's language
            said = [line for line in output.split("\n--- stdout ---\n")[0].splitlines() if line.strip()]
            assert code == 1 and len(said) == 1, output
            assert (
                said[0] == "error: another daily run holds the store's lock: try again when it has finished"
            )
    engine = store.engine(workspace.root)

    def day() -> tuple[list[tuple[str, ...]], dict[str, int]]:
        with engine.connect() as connection:
            query = "select contract_no, class, provision_fen, dpd from contract_classes order by contract_no"
            rows = [tuple(map(str, row)) for row in connection.execute(text(query))]
        return rows, _counts(engine, ("book_runs", "class_totals", "class_changes", "evidence_records"))

    try:
        concurrent = day()
        # The same day run once more, alone: it changes nothing (nothing was doubled or lost).
        result = CliRunner().invoke(app, ["run", "daily", "--as-of", DAY, "-w", str(workspace.root)],
                                    env=store.env)  # fmt: skip
        assert result.exit_code == 0, result.output
        assert day() == concurrent
        with engine.connect() as connection:
            lessors = connection.execute(
                text("select count(distinct lessor) from contract_classes")
            ).scalar_one()
        # The day run once: one run day of each lessor (book_runs is per lessor since migration 0026).
        assert len(concurrent[0]) == store.serial["contracts"] and concurrent[1]["book_runs"] == lessors
    finally:
        engine.dispose()
