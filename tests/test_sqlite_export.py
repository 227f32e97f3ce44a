"""The one ADBC reader: values are bound as parameters (a lessor code with a quote is a value, not SQL), and a
query that fails is one readable error naming the database."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

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


def test_a_failing_query_is_one_line_naming_the_database(tmp_path: Path) -> None:
    database = tmp_path / "store.db"
    sqlite3.connect(database).close()
    with pytest.raises(StoreReadError, match=r"store\.db：读取数据库失败：.*no such table") as refused:
        export_queries(str(database), {"x": ("select * from missing", {})})
    assert "store.db: reading the store failed: " in refused.value.text("en")
