"""Shared fixtures: every store test runs on a real SQLite file and on the real PostgreSQL server."""

from __future__ import annotations

import gc
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text

import browser
import scheduling
from leaseguard.classification.classify import CACHE_ENV
from leaseguard.store.db import create_store_engine, upgrade_schema

# Property tests draw the same examples on every run, so a red CI run is the code's, never the dice's; a new
# search is one `--hypothesis-seed=N` away.
hypothesis_settings.register_profile("leaseguard", derandomize=True, deadline=None)
hypothesis_settings.load_profile("leaseguard")

POSTGRES_URL = os.environ.get(
    "LEASEGUARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_unavailable_reason() -> str | None:
    try:
        probe = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with probe.connect() as connection:
            connection.execute(text("select 1"))
        probe.dispose()
    except Exception as error:  # any failure to connect means "absent" for the suite
        return f"PostgreSQL is absent at {POSTGRES_URL} ({type(error).__name__}); PostgreSQL tests skipped"
    return None


_POSTGRES_ABSENT = _postgres_unavailable_reason()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--store-durations",
        action="store_true",
        help="write each test file's seconds to tests/durations.json (the order `make test` hands files out)",
    )
    parser.addoption(
        "--screenshots",
        action="store_true",
        help="save each page the browser tests see as tests/screenshots/<name>.png (`make screenshots`)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        # The compiled classification SQL of this run, shared by its workers and the commands they start (they
        # inherit the environment), and by no other run: nothing of the user's cache is read or written.
        os.environ[CACHE_ENV] = tempfile.mkdtemp(prefix="leaseguard-test-sql-")
    browser.screenshots_wanted = bool(config.getoption("--screenshots"))
    if config.getoption("--store-durations") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(scheduling.DurationRecorder(), "leaseguard-durations")


def pytest_collection_finish() -> None:
    """Python's cyclic garbage collector took about 8 % of a test worker's CPU, most of it scanning again and
    again what the imports and the collected tests hold for the whole session. Those are set aside for good
    (gc.freeze), and the youngest generation is collected after 50,000 allocations instead of 700: on the 2-core
    machine the workers' collections went from 19.4 s of CPU to 6.6 s. Only when garbage with cycles is freed
    changes; what a test asserts does not depend on it."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def pytest_sessionfinish() -> None:
    browser.close_shared_chromium()


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        shutil.rmtree(os.environ.pop(CACHE_ENV, ""), ignore_errors=True)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, absent under -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist") == "loadfile":
        return scheduling.SlowestFirstScheduling(config, log)
    return None


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the cores this process may use. About a tenth of a worker's time is spent
    waiting (for chromium, a served page, a command it started), and the extra worker runs its tests then: on
    the 2-core machine `make test` took 349 s with two workers, 329 and 340 s with three, 345 s with four."""
    return len(os.sched_getaffinity(0)) + 1


def pytest_report_header(config: pytest.Config) -> str:
    return _POSTGRES_ABSENT or f"PostgreSQL: {POSTGRES_URL}"


@pytest.fixture(scope="session", autouse=True)
def _work_in_a_scratch_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Run each worker in a folder of its own: a command that writes its default output (findings.csv,
    import-errors.csv) into the current folder must not leave files in the checkout."""
    before = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    try:
        yield
    finally:
        os.chdir(before)


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, so concurrent test runs never meet."""
    if _POSTGRES_ABSENT:
        pytest.skip(_POSTGRES_ABSENT)
    schema = f"lg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'drop schema "{schema}" cascade'))
    admin.dispose()


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from leaseguard.store.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(create_engine("sqlite://"))).get_current_head()
    assert head is not None
    return head


_HEAD = _head_revision()


def _reset_postgres(engine: Engine) -> bool:
    """Empty the session's schema for the next test: when it is at the migrations' head, every row is deleted
    and every used sequence restarted (the migrated schema kept, as a template is copied, instead of migrated
    again); otherwise (a test moved it to another revision) every table is dropped. True when the schema is
    ready as it is.

    Rows go by DELETE, children first, not by TRUNCATE: a test leaves a handful of rows, and TRUNCATE gives
    every table new files, which cost a test ~60 ms and far more when the workers crowd the disk."""
    from leaseguard.store.models import Base

    with engine.begin() as connection:
        tables = set(
            connection.execute(text("select tablename from pg_tables where schemaname = current_schema()"))
            .scalars()
            .all()
        )
        if not tables:
            return False
        at_head = "alembic_version" in tables and connection.execute(
            text("select version_num from alembic_version")
        ).scalars().all() == [_HEAD]
        if not at_head:
            connection.execute(text("drop table " + ", ".join(f'"{t}"' for t in sorted(tables)) + " cascade"))
            return False
        modelled = [table.name for table in reversed(Base.metadata.sorted_tables) if table.name in tables]
        unmodelled = tables - set(modelled) - {"alembic_version"}
        if unmodelled:
            connection.execute(
                text("truncate " + ", ".join(f'"{t}"' for t in sorted(unmodelled)) + " cascade")
            )
        for table in modelled:
            connection.execute(text(f'delete from "{table}"'))
        used = connection.execute(
            text(
                "select sequencename from pg_sequences where schemaname = current_schema() and last_value is not null"
            )
        ).scalars()
        for sequence in used:
            connection.execute(text(f'alter sequence "{sequence}" restart'))
        return True


_SQLITE_TEMPLATE: list[Path] = []


def _sqlite_template(request: pytest.FixtureRequest) -> Path:
    """A SQLite store migrated to head once per worker; each test gets a copy of the file."""
    if not _SQLITE_TEMPLATE:
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        template = factory.mktemp("template") / "store.db"
        engine = create_store_engine(f"sqlite:///{template}")
        upgrade_schema(engine)
        engine.dispose()  # the last connection's close folds the write-ahead log into the file
        _SQLITE_TEMPLATE.append(template)
    return _SQLITE_TEMPLATE[0]


def migrated_sqlite(engine: Engine, template: Path) -> bool:
    """Give `engine`'s SQLite store a copy of the migrated `template` if the store has no file yet (or an empty
    one, as a first connection leaves): what migrating a new store gives, without running the 27 migrations
    again (0.1–0.2 s of CPU each time, about 30 s over the suite). False where there is nothing to do so
    (another database, an existing store, a store in memory): the caller migrates."""
    store = engine.url.database if engine.dialect.name == "sqlite" else None
    if not store or store == ":memory:" or (Path(store).exists() and Path(store).stat().st_size > 0):
        return False
    engine.dispose()
    copy_of_store(template, Path(store))
    return True


def copy_of_store(template: Path, store: Path) -> None:
    """`store` made a copy of the migrated `template`, readable by its owner only (as a store is)."""
    descriptor = os.open(store, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as copy:
        copy.write(template.read_bytes())


def migrate_new_store(engine: Engine) -> None:
    """Migrate `engine`'s store to head: a new SQLite store gets a copy of the worker's template."""
    if not (_SQLITE_TEMPLATE and migrated_sqlite(engine, _SQLITE_TEMPLATE[0])):
        upgrade_schema(engine)


@pytest.fixture(scope="session", autouse=True)
def _new_workspaces_copy_the_migrated_template(request: pytest.FixtureRequest) -> Iterator[None]:
    """`init_workspace` in a test process copies the template for a new SQLite store (the migrations are
    tested on their own, and `leaseguard init` run as a command still migrates)."""
    import leaseguard.workspace

    _sqlite_template(request)

    def upgrade(engine: Engine, revision: str = "head") -> None:
        if revision == "head":
            migrate_new_store(engine)
        else:
            upgrade_schema(engine, revision)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(leaseguard.workspace, "upgrade_schema", upgrade)
        yield


def migrated_store(request: pytest.FixtureRequest, folder: Path) -> str:
    """The URL of an empty, migrated store for `request.param`: a SQLite file in `folder` copied from one
    migrated once, or the session's PostgreSQL schema, migrated once and emptied for each test."""
    if request.param == "sqlite":
        store = folder / "store.db"
        copy_of_store(_sqlite_template(request), store)
        return f"sqlite:///{store}"
    url = request.getfixturevalue("postgres_schema_url")
    engine = create_store_engine(url)
    if not _reset_postgres(engine):
        upgrade_schema(engine)
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated store: a SQLite file under tmp_path, or a fresh PostgreSQL schema."""
    yield migrated_store(request, tmp_path)


@pytest.fixture
def store_engine(database_url: str) -> Iterator[Engine]:
    engine = create_store_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def own_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A store of the test's own, to move between revisions: a SQLite file, or a new PostgreSQL schema (not the
    session's, which the module's other tests share)."""
    if request.param == "sqlite":
        engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
        yield engine
        engine.dispose()
        return
    base = request.getfixturevalue("postgres_schema_url").split("?")[0]
    schema = f"lg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    engine = create_store_engine(f"{base}?options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_store_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """An empty, migrated store kept for all of a module's tests, for modules whose tests only read what a
    module fixture wrote (building that book once, not once a test)."""
    engine = create_store_engine(migrated_store(request, tmp_path_factory.mktemp("store")))
    yield engine
    engine.dispose()


def register_files(book: Path) -> list[Path]:
    """The files of a synthetic book in `book` that make the asset register (assets and their contracts, and the
    lessors they name): what a test of asset checks imports, without the book's payments and appraisals."""
    return [book / f"{name}.csv" for name in ("lessors", "contracts", "assets")]


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn on a free port in a background thread; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Accepted connections inherit this; without it Nagle's algorithm adds ~40 ms to every response.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))  # binding here, not in uvicorn, means no race for the free port
    port = sock.getsockname()[1]
    # A kept-alive connection outlives a slow moment of a loaded test machine: uvicorn closing it after its
    # default 5 s idle, just as the client reuses it, reads as "connection reset" to the test.
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="on", timeout_keep_alive=120))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A PySpark session in local mode for the tests that run a job on Spark (skipped without pyspark), one
    per test process. The tests' tables are tiny, so the JVM's optimising compiler, code generation (whole
    stages and single expressions: Spark's interpreted evaluation instead) and adaptive planning cost far more
    than they save: off, the Spark tests take about half the CPU. What is computed is the same."""
    pyspark_sql = pytest.importorskip("pyspark.sql")
    os.environ["PYSPARK_PYTHON"] = sys.executable  # workers import leaseguard from this environment
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .appName("leaseguard-test")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        .getOrCreate()
    )
    yield session
    session.stop()
