"""Read-only queries on a SQLite store through ADBC, as Arrow tables: `export_queries` is the one way the
engines read a whole book from SQLite (the book's positions, the indicators' book).

ADBC hands SQLite rows over as Arrow columns, ten times faster than rows through Python's driver. It links
its own copy of SQLite, and two copies in one process break each other's file locks (closing one copy's
descriptor drops the other's locks), so the queries run in a process of its own (`python -m
leaseguard.portfolio.sqlite_export`, reading its queries as JSON on standard input). Values are bound as
parameters, never spliced into the SQL.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from leaseguard.errors import StoreFaultError
from leaseguard.vocabulary import Label

if TYPE_CHECKING:
    import pyarrow as pa


class StoreReadError(StoreFaultError, RuntimeError):
    """The store could not be read; the message names the database and the driver's last line."""


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def qmark(sql: str, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """A query with named parameters (`:day`, as SQLAlchemy writes them) as ADBC's positional ones."""
    values: list[Any] = []

    def positional(found: re.Match[str]) -> str:
        values.append(params[found.group(1)])
        return "?"

    return _NAMED.sub(positional, sql), values


def export_queries(
    database: str, queries: Mapping[str, tuple[str, Mapping[str, Any]]]
) -> dict[str, pa.Table]:
    """Run each named query (SQL with `:name` parameters, and their values) on the SQLite file `database`,
    read-only, in a process of its own; each result as an Arrow table."""
    import pyarrow.feather as feather

    with tempfile.TemporaryDirectory(prefix="lg-read-") as folder:
        bound = []
        for name, (sql, params) in queries.items():
            text, values = qmark(sql, params)
            bound.append({"name": name, "sql": text, "params": [_plain(v) for v in values]})
        spec = {"database": database, "folder": folder, "queries": bound}
        done = subprocess.run(
            [sys.executable, "-m", "leaseguard.portfolio.sqlite_export"],
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise StoreReadError(
                Label("{database}：读取数据库失败：{last}", "{database}: reading the store failed: {last}"),
                database=database,
                last=last,
            )
        return {name: feather.read_table(f"{folder}/{name}.arrow", memory_map=False) for name in queries}


def _plain(value: Any) -> Any:
    """A parameter as JSON carries it: dates as ISO text, as the store keeps them in SQLite."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def main() -> None:
    # The driver manager's low-level handles, not its DB-API module: that one imports pandas and Polars,
    # which made every read of a small book cost half a second more in this process's start-up.
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite
    import pyarrow as pa
    import pyarrow.ipc as ipc

    spec = json.load(sys.stdin)
    with (
        adbc_driver_sqlite.connect(f"file:{spec['database']}?mode=ro") as database,
        adbc.AdbcConnection(database) as connection,
    ):
        connection.set_autocommit(False)  # one transaction: every query reads the same state of the file
        for query in spec["queries"]:
            with adbc.AdbcStatement(connection) as statement:
                statement.set_sql_query(query["sql"])
                if query["params"]:
                    statement.bind(
                        pa.RecordBatch.from_pydict({str(i): [v] for i, v in enumerate(query["params"])})
                    )
                stream, _ = statement.execute_query()
                table = pa.RecordBatchReader._import_from_c(stream.address).read_all()
            with ipc.new_file(f"{spec['folder']}/{query['name']}.arrow", table.schema) as writer:
                writer.write_table(table)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # the parent reports the last line: make it the driver's reason, whole
        reason = " ".join(str(error).split())
        sys.stderr.write(f"{reason}\n")
        sys.exit(1)
