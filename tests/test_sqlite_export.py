"""The one ADBC reader: values are bound as parameters (a lessor code with a quote is a value, not SQL; text,
whole numbers, decimals, true/false and null, without pandas in the reader), and a query that fails is one
readable error naming the database. Its reader process is kept between reads, replaced
when it died, shared safely by threads, never used by a forked child, and ends with its parent."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from leaseguard.portfolio import sqlite_export
from leaseguard.portfolio.sqlite_export import StoreReadError, export_queries, qmark


def test_named_parameters_become_positional_in_order() -> None:
    assert qmark("select * from t where a = :a and b = :b or a = :a", {"a": 1, "b": "x"}) == (
        "select * from t where a = ? and b = ? or a = ?", [1, "x", 1]
    )  # fmt: skip


def test_values_are_bound_not_spliced(tmp_path: Path) -> None:
    database = tmp_path / "store.db"
    with sqlite3.connect(database) as connection:
        connection.execute("create table book (lessor text, as_of date, amount integer)")
        connection.executemany(
            "insert into book values (?, ?, ?)",
            [("O'Brien", "2026-10-31", 5), ("L1", "2026-10-31", 7), ("x' or '1'='1", "2026-10-31", 9)],
        )
    query = "select lessor, amount from book where lessor = :lessor and as_of = :day"
    tables = export_queries(str(database), {
        "quoted": (query, {"lessor": "O'Brien", "day": dt.date(2026, 10, 31)}),
        "injected": (query, {"lessor": "L1' or '1'='1", "day": dt.date(2026, 10, 31)}),
    })  # fmt: skip
    assert tables["quoted"].to_pylist() == [{"lessor": "O'Brien", "amount": 5}]
    assert tables["injected"].num_rows == 0


def test_every_kind_of_parameter_is_bound_and_the_reader_never_loads_pandas(tmp_path: Path) -> None:
    database = tmp_path / "store.db"
    with sqlite3.connect(database) as connection:
        connection.execute(
            "create table book (lessor text, as_of date, amount integer, rate real, open integer)"
        )
        connection.executemany(
            "insert into book values (?, ?, ?, ?, ?)",
            [
                ("江苏租赁", "2026-10-31", -5, 0.5, 1),
                ("L1", "2026-10-31", 2**40, 0.25, 0),
                ("L2", None, 7, 0.5, 1),
            ],
        )
    query = (
        "select lessor, amount from book where (lessor = :lessor or amount = :amount) and rate = :rate"
        " and open = :open and (as_of = :day or :none is null) order by lessor"
    )
    tables = export_queries(str(database), {
        "chinese": (query, {"lessor": "江苏租赁", "amount": 0, "rate": 0.5, "open": True,
                            "day": dt.date(2026, 10, 31), "none": None}),
        "big": (query, {"lessor": "", "amount": 2**40, "rate": 0.25, "open": False, "day": "2026-10-31", "none": 1}),
        "none_day": (query, {"lessor": "L2", "amount": 0, "rate": 0.5, "open": 1, "day": None, "none": None}),
    })  # fmt: skip
    assert tables["chinese"].to_pylist() == [{"lessor": "江苏租赁", "amount": -5}]
    assert tables["big"].to_pylist() == [{"lessor": "L1", "amount": 2**40}]
    assert tables["none_day"].to_pylist() == [{"lessor": "L2", "amount": 7}]
    # pyarrow's conversion of Python values would import pandas, a fifth of a second of every reader's start.
    for pid in sqlite_export.reader_pids():
        assert "pandas/_libs" not in Path(f"/proc/{pid}/maps").read_text()


def test_a_failing_query_is_one_line_naming_the_database(tmp_path: Path) -> None:
    database = tmp_path / "store.db"
    sqlite3.connect(database).close()
    with pytest.raises(StoreReadError, match=r"store\.db：读取数据库失败：.*no such table") as refused:
        export_queries(str(database), {"x": ("select * from missing", {})})
    assert "store.db: reading the store failed: " in refused.value.text("en")


def _store(tmp_path: Path, rows: int = 3) -> str:
    database = tmp_path / "store.db"
    with sqlite3.connect(database) as connection:
        connection.execute("create table book (n integer)")
        connection.executemany("insert into book values (?)", [(n,) for n in range(rows)])
    return str(database)


def _count(database: str, below: int) -> int:
    table = export_queries(
        database, {"c": ("select count(*) as c from book where n < :below", {"below": below})}
    )
    return int(table["c"].to_pylist()[0]["c"])


def test_a_reader_is_kept_for_the_next_read_and_a_dead_one_is_replaced(tmp_path: Path) -> None:
    database = _store(tmp_path)
    assert _count(database, 2) == 2
    kept = sqlite_export.reader_pids()
    assert kept
    assert _count(database, 3) == 3
    assert set(sqlite_export.reader_pids()) & set(kept)  # the same process answered
    for pid in kept:
        os.kill(pid, signal.SIGKILL)
    assert _count(database, 1) == 1  # on a new reader, the dead one's request run again
    assert not set(sqlite_export.reader_pids()) & set(kept)


def test_a_reader_that_cannot_answer_is_one_line_naming_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = _store(tmp_path)
    sqlite_export._close_all()
    monkeypatch.setattr(sys, "executable", "/bin/false")  # every reader started ends at once, with code 1
    with pytest.raises(StoreReadError, match=r"store\.db：读取数据库失败：读取进程意外退出（退出码 1）"):
        _count(database, 1)
    monkeypatch.undo()
    assert _count(database, 2) == 2  # the next read starts a working reader


def test_reads_from_many_threads_at_once_each_get_their_own_answer(tmp_path: Path) -> None:
    database = _store(tmp_path, rows=50)
    with ThreadPoolExecutor(max_workers=6) as pool:
        counts = list(pool.map(lambda below: _count(database, below), range(50)))
    assert counts == list(range(50))
    assert len(sqlite_export.reader_pids()) <= sqlite_export.IDLE_READERS_KEPT


def _count_in_child(database: str, below: int, answers: Any) -> None:
    answers.put(_count(database, below))


def test_a_forked_child_reads_through_readers_of_its_own(tmp_path: Path) -> None:
    database = _store(tmp_path, rows=10)
    assert _count(database, 4) == 4
    parents = sqlite_export.reader_pids()
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    child = context.Process(target=_count_in_child, args=(database, 7, answers))
    child.start()
    assert answers.get(timeout=30) == 7
    child.join(30)
    assert child.exitcode == 0
    assert (
        sqlite_export.reader_pids() == parents
    )  # the parent's reader was neither used nor closed by the child
    assert _count(database, 9) == 9


def test_a_reader_ends_with_the_process_that_started_it(tmp_path: Path) -> None:
    database = _store(tmp_path)
    script = (
        "from leaseguard.portfolio import sqlite_export as e;"
        f"e.export_queries({database!r}, {{'c': ('select 1', {{}})}});"
        "print(*e.reader_pids())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    pids = [int(pid) for pid in done.stdout.split()]
    assert pids
    for pid in pids:
        _wait_gone(pid)


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
        except (FileNotFoundError, IndexError):
            return
        if state == "Z":
            return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} still runs")
