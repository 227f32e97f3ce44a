"""Read-only queries on a SQLite store through ADBC, as Arrow tables: `export_queries` is the one way the
engines read a whole book from SQLite (the book's positions, the indicators' book).

ADBC hands SQLite rows over as Arrow columns, ten times faster than rows through Python's driver. It links
its own copy of SQLite, and two copies in one process break each other's file locks (closing one copy's
descriptor drops the other's locks), so the queries run in a reader process of their own (`python -m
leaseguard.portfolio.sqlite_export`, reading one JSON request a line on standard input and answering one line
on standard output; each result an Arrow file in the request's folder). Values are bound as parameters, never
spliced into the SQL.

A reader is kept and reused: starting one (Python, pyarrow, the driver) and answering a first query costs
about 0.12 s (0.4 s while pyarrow's conversion of the parameters imported pandas), more than reading a small
book, and a daily run reads four times. Idle readers wait in `_READERS`; a read takes one
or starts one, so reads from several threads run side by side, as before. A reader ends when its parent does
(its standard input closes), and a forked child never uses its parent's readers.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

from leaseguard.errors import StoreFaultError
from leaseguard.vocabulary import Label

if TYPE_CHECKING:
    import pyarrow as pa


class StoreReadError(StoreFaultError, RuntimeError):
    """The store could not be read; the message names the database and the driver's last line."""


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
# Idle readers kept for the next read; a burst of concurrent reads starts more, and the extra ones end.
IDLE_READERS_KEPT = 2


def qmark(sql: str, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """A query with named parameters (`:day`, as SQLAlchemy writes them) as ADBC's positional ones."""
    values: list[Any] = []

    def positional(found: re.Match[str]) -> str:
        values.append(params[found.group(1)])
        return "?"

    return _NAMED.sub(positional, sql), values


# What `_Reader.ask` answers when the reader process ended before it answered.
READER_ENDED = "\x00reader ended"


class _Reader:
    """One reader process and the pipes to it; used by one thread at a time."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "leaseguard.portfolio.sqlite_export"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        self.requests: IO[str] = self.process.stdin  # type: ignore[assignment]
        self.answers: IO[str] = self.process.stdout  # type: ignore[assignment]

    def ask(self, spec: dict[str, Any]) -> str | None:
        """Run the request; None when done, READER_ENDED when the process ended first, else the driver's reason."""
        try:
            self.requests.write(json.dumps(spec) + "\n")
            self.requests.flush()
            line = self.answers.readline()
        except (OSError, ValueError):  # a broken pipe, or a pipe already closed
            line = ""
        if not line:
            return READER_ENDED
        answer = json.loads(line)
        return None if answer.get("error") is None else str(answer["error"])

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self, wait: float = 2.0) -> None:
        with contextlib.suppress(OSError):  # a dead reader's pipe may refuse the flush
            self.requests.close()  # end of input: the reader's loop ends
        try:
            self.process.wait(wait)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.answers.close()

    def forget(self) -> None:
        """In a forked child: drop this process's copies of the pipes, leaving the parent's reader alone."""
        for pipe in (self.requests, self.answers):
            with contextlib.suppress(OSError, ValueError):
                os.close(pipe.fileno())


_READERS: list[_Reader] = []
_LOCK = threading.Lock()


def _take() -> _Reader:
    with _LOCK:
        while _READERS:
            reader = _READERS.pop()
            if reader.alive():
                return reader
            reader.close(0)
    return _Reader()


def _give_back(reader: _Reader) -> None:
    with _LOCK:
        if len(_READERS) < IDLE_READERS_KEPT:
            _READERS.append(reader)
            return
    reader.close()


def _close_all() -> None:
    with _LOCK:
        readers, _READERS[:] = list(_READERS), []
    for reader in readers:
        reader.close()


def _after_fork_in_child() -> None:
    global _LOCK
    _LOCK = threading.Lock()  # another thread of the parent may have held it at the fork
    for reader in _READERS:
        reader.forget()
    _READERS.clear()


atexit.register(_close_all)
os.register_at_fork(after_in_child=_after_fork_in_child)


def reader_pids() -> list[int]:
    """The process ids of the idle readers (for tests and diagnostics)."""
    with _LOCK:
        return [reader.process.pid for reader in _READERS]


def export_queries(
    database: str, queries: Mapping[str, tuple[str, Mapping[str, Any]]]
) -> dict[str, pa.Table]:
    """Run each named query (SQL with `:name` parameters, and their values) on the SQLite file `database`,
    read-only, in a reader process; each result as an Arrow table."""
    import pyarrow.feather as feather

    with tempfile.TemporaryDirectory(prefix="lg-read-") as folder:
        bound = []
        for name, (sql, params) in queries.items():
            text, values = qmark(sql, params)
            bound.append({"name": name, "sql": text, "params": [_plain(v) for v in values]})
        spec = {"database": database, "folder": folder, "queries": bound}
        reader = _take()
        reason = reader.ask(spec)
        if reason == READER_ENDED:
            # The reader may have died while it waited (killed, out of memory): the read runs once more on a new
            # one, which a read-only request allows.
            reader.close(0)
            reader = _Reader()
            reason = reader.ask(spec)
            if reason == READER_ENDED:
                code = reader.process.wait()
                reader.close(0)
                raise StoreReadError(
                    Label(
                        "{database}：读取数据库失败：读取进程意外退出（退出码 {code}）",
                        "{database}: reading the store failed: the reader process ended (exit code {code})",
                    ),
                    database=database,
                    code=code,
                )
        _give_back(reader)
        if reason is not None:
            raise StoreReadError(
                Label("{database}：读取数据库失败：{last}", "{database}: reading the store failed: {last}"),
                database=database,
                last=reason,
            )
        return {name: feather.read_table(f"{folder}/{name}.arrow", memory_map=False) for name in queries}


def _plain(value: Any) -> Any:
    """A parameter as JSON carries it: dates as ISO text, as the store keeps them in SQLite."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _export(spec: dict[str, Any]) -> None:
    # The driver manager's low-level handles, not its DB-API module: that one imports pandas and Polars,
    # which made every read of a small book cost half a second more in this process's start-up.
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite
    import pyarrow as pa
    import pyarrow.ipc as ipc

    with (
        adbc_driver_sqlite.connect(f"file:{spec['database']}?mode=ro") as database,
        adbc.AdbcConnection(database) as connection,
    ):
        connection.set_autocommit(False)  # one transaction: every query reads the same state of the file
        for query in spec["queries"]:
            with adbc.AdbcStatement(connection) as statement:
                statement.set_sql_query(query["sql"])
                if query["params"]:
                    statement.bind(_parameter_batch(query["params"]))
                stream, _ = statement.execute_query()
                table = pa.RecordBatchReader._import_from_c(stream.address).read_all()
            with ipc.new_file(f"{spec['folder']}/{query['name']}.arrow", table.schema) as writer:
                writer.write_table(table)


def _parameter_batch(values: list[Any]) -> pa.RecordBatch:
    """The values a request carries (JSON's: text, whole numbers, decimals, true/false, null) as one row of
    Arrow columns, built from their bytes. pyarrow's conversion of Python values (`pa.array`, `pa.scalar`,
    `from_pydict`) imports pandas first, to recognise its missing values: 0.2 s of every reader's start, for a
    row of a few parameters."""
    import struct

    import pyarrow as pa

    def column(value: Any) -> pa.Array:
        if value is None:
            return pa.nulls(1)
        if isinstance(value, bool):  # before int: a bool is an int to Python
            return pa.Array.from_buffers(pa.bool_(), 1, [None, pa.py_buffer(bytes([value]))])
        if isinstance(value, int):
            return pa.Array.from_buffers(pa.int64(), 1, [None, pa.py_buffer(struct.pack("<q", value))])
        if isinstance(value, float):
            return pa.Array.from_buffers(pa.float64(), 1, [None, pa.py_buffer(struct.pack("<d", value))])
        if isinstance(value, str):
            text = value.encode()
            offsets = pa.py_buffer(struct.pack("<ii", 0, len(text)))
            return pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(text)])
        raise TypeError(f"a query parameter of type {type(value).__name__} cannot be bound")

    return pa.RecordBatch.from_arrays(
        [column(value) for value in values], names=[str(i) for i in range(len(values))]
    )


def main() -> None:
    """Answer requests until standard input ends: `{"error": null}` when done, else the driver's reason."""
    import signal

    # Ctrl+C reaches the whole foreground group: the parent decides, and this process ends with its input.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for line in sys.stdin:
        try:
            _export(json.loads(line))
            answer: dict[str, str | None] = {"error": None}
        except Exception as error:  # the parent reports it: make it the driver's reason, whole, on one line
            answer = {"error": " ".join(str(error).split()) or type(error).__name__}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
