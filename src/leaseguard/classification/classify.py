"""The classification on the embedded engine: Polars frames in, the one classification expression
(`columnar.classify_expr`) run by DuckDB in this process, a Polars frame out.

The rules live in one place, the Ibis expression in `columnar.py`, so the daily run and a book on Spark get
the same classes from the same code. This module only hands the frames to DuckDB without copying them
(registered Arrow views, nearly free where loading them into DuckDB tables took seconds) and gives the result
back in the shape the callers have always had: CLASSIFIED_COLUMNS, in the order of the positions' rows, with
the positions' own column types.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from leaseguard.vocabulary import CLASSES, NON_PERFORMING

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from leaseguard.classification.rules import RuleSet

RANK = {name: rank for rank, name in enumerate(CLASSES)}
_PPM = 1_000_000

CLASSIFIED_COLUMNS = (
    "contract_no",
    "lessor",
    "as_of",
    "status",
    "dpd",
    "outstanding_principal_fen",
    "overdue_amount_fen",
    "claim_balance_fen",
    "class",
    "deciding_rule",
    "reasons",
    "provision_fen",
)
# Columns the classification computes; the others are the positions' own, passed through with their types.
_COMPUTED: dict[str, pl.DataType] = {
    "dpd": pl.Int64(),
    "class": pl.String(),
    "deciding_rule": pl.String(),
    "reasons": pl.String(),
    "provision_fen": pl.Int64(),
}
COLLATERAL_SCHEMA: dict[str, pl.DataType] = {
    "contract_no": pl.String(),
    "disposal_value_fen": pl.Int64(),
    "previous_disposal_value_fen": pl.Int64(),
    "valued_on": pl.Date(),
}
_ROW = "_lg_row"
# The SQL of each expression, by a digest of what it is built from (the rules, the inputs' names and column types,
# the code that builds and compiles it): building the classification's expression takes Ibis about 0.3 s and
# compiling it 0.1-0.2 s, importing Ibis 0.3 s more, where DuckDB runs it over a small book in a few
# milliseconds. Kept in this process, and in the cache folder for the next process (a daily run from the CLI
# finds its SQL there and never imports Ibis).
_COMPILED: dict[str, str] = {}
_COMPILED_KEPT = 64
# The modules whose code decides the SQL (under src/leaseguard: the expression's module and every one of ours
# it imports, which a test checks), besides Ibis and sqlglot, whose versions are in the digest too.
SQL_SOURCES = (
    "classification/classify.py",
    "classification/columnar.py",
    "classification/reasons.py",
    "classification/rules.py",
    "vocabulary.py",
)
CACHE_ENV = "LEASEGUARD_CACHE_DIR"


def _ppm(rate: float) -> int:
    return round(rate * _PPM)


class _Inputs:
    """Frames handed to DuckDB as registered Arrow views (scanned in place, not copied into DuckDB storage:
    loading a million positions into tables took seconds); for the expression, an unbound Ibis table of each
    one's name and column types."""

    def __init__(self) -> None:
        self.arrow: dict[str, Any] = {}

    def add(self, name: str, frame: pl.DataFrame | None) -> None:
        if frame is not None:
            self.arrow[name] = frame.to_arrow()

    def table(self, name: str) -> ir.Table:
        import ibis

        return ibis.table(ibis.Schema.from_pyarrow(self.arrow[name].schema), name=name)

    def optional(self, name: str) -> ir.Table | None:
        return self.table(name) if name in self.arrow else None

    def sql(self, what: str, build: Callable[[], ir.Table]) -> str:
        """The SQL of the expression that `build` makes over these inputs for `what` (the rules, the kind of
        job): from this process, from the cache folder, else built and compiled, and kept in both."""
        shapes = "\n".join(
            f"{name}: {data.schema.to_string(show_schema_metadata=False)}"
            for name, data in self.arrow.items()
        )
        digest = hashlib.sha256(f"{_code_fingerprint()}\n{what}\n{shapes}".encode()).hexdigest()
        sql = _COMPILED.get(digest)
        if sql is not None:
            return sql
        sql = _cached_sql(digest)
        if sql is None:
            import ibis

            sql = ibis.to_sql(build(), dialect="duckdb")
            _keep_in_cache(digest, sql)
        if len(_COMPILED) >= _COMPILED_KEPT:
            _COMPILED.clear()
        _COMPILED[digest] = sql
        return sql

    def run(self, sql: str) -> pl.DataFrame:
        # A cursor of its own per call (DuckDB's connection for one thread, with its own registered views) on
        # the process's one in-memory database: opening a new database each time cost ~9 ms of CPU a call.
        rows = max((data.num_rows for data in self.arrow.values()), default=0)
        with _new_cursor(parallel=rows >= _PARALLEL_FROM_ROWS) as con:
            for name, data in self.arrow.items():
                con.register(name, data)
            result = pl.from_arrow(con.sql(sql).fetch_arrow_table())
        assert isinstance(result, pl.DataFrame)
        return result


@functools.cache
def _code_fingerprint() -> str:
    """The code the SQL comes from: this package's modules that build it, and Ibis's and sqlglot's versions."""
    from importlib.metadata import version

    package = Path(__file__).parent.parent
    sources = hashlib.sha256()
    for name in SQL_SOURCES:
        sources.update((package / name).read_bytes())
    return f"{sources.hexdigest()} ibis {version('ibis-framework')} sqlglot {version('sqlglot')}"


def cache_folder() -> Path:
    """Where compiled SQL is kept between processes: $LEASEGUARD_CACHE_DIR, else the user's cache folder."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return Path(chosen)
    return (
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "leaseguard" / "classification-sql"
    )


def _cached_sql(digest: str) -> str | None:
    try:
        return (cache_folder() / f"{digest}.sql").read_text(encoding="utf-8")
    except OSError:  # not cached yet, or a folder this process may not read: compiled instead
        return None


def _keep_in_cache(digest: str, sql: str) -> None:
    folder = cache_folder()
    part = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then renamed: a process reading at the same time finds all or none.
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=folder, suffix=".part", delete=False
        ) as part:
            part.write(sql)
        os.replace(part.name, folder / f"{digest}.sql")
    except OSError:  # a folder this process may not write (or a full disk): the next process compiles again
        if part is not None:
            Path(part.name).unlink(missing_ok=True)


# The process's in-memory DuckDB databases, opened at first use (nothing is stored in them): one running a query
# on one thread, one on all the cores. A query over inputs of fewer rows than this runs on one thread: measured
# on the 2-core machine (classification and collateral of the first shipped rule set), one thread took 26-44 %
# less CPU than two at 300 to 300,000 positions and no more time up to 30,000 (26 → 23 ms at 300, 89 → 76 ms at
# 30,000; 517 → 544 ms at 300,000). A million positions still use every core.
_PARALLEL_FROM_ROWS = 100_000
_databases: dict[bool, Any] = {}
_database_lock = threading.Lock()


def _forget_in_child() -> None:
    # A forked child starts its own databases (the parent's threads, which DuckDB's needs, are not in it) and
    # lock (another thread of the parent may have held it at the fork).
    global _databases, _database_lock
    _databases, _database_lock = {}, threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)


def _new_cursor(*, parallel: bool) -> Any:
    """A new cursor on the process's database (the one on every core if `parallel`, else the one-thread one):
    its own connection, whose registered views no other sees."""
    import duckdb

    with _database_lock:
        database = _databases.get(parallel)
        if database is None:
            database = _databases[parallel] = duckdb.connect(config={} if parallel else {"threads": 1})
        return database.cursor()


def collateral_on(valuations: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Per contract, from appraisals on or before `as_of`: the latest disposal value of its assets (summed),
    the one before it where every asset has one, and the date of the oldest latest appraisal
    (`columnar.collateral_expr` on the embedded engine; rows by contract_no).

    `valuations`: contract_no, asset_id, valuation_date, disposal_value_fen."""
    inputs = _Inputs()
    inputs.add("lg_valuations", valuations)
    inputs.add("lg_day", pl.DataFrame({"as_of": [as_of]}, schema={"as_of": pl.Date}))

    def build() -> ir.Table:
        from leaseguard.classification.columnar import collateral_expr

        # The day is an input, not a literal of the expression: built and compiled once, it serves every day.
        day = inputs.table("lg_day").as_of.max().as_scalar()
        return collateral_expr(inputs.table("lg_valuations"), day).order_by("contract_no")

    sql = inputs.sql("collateral", build)
    return inputs.run(sql).cast(COLLATERAL_SCHEMA)  # type: ignore[arg-type]


def classify(
    positions: pl.DataFrame,
    rules: RuleSet,
    *,
    lessee_types: pl.DataFrame | None = None,
    collateral: pl.DataFrame | None = None,
    previous: pl.DataFrame | None = None,
    restructured: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """CLASSIFIED_COLUMNS for every row of `positions` (the book engine's columns), in its order
    (`columnar.classify_expr` on the embedded engine).

    `lessee_types`: contract_no, lessee_type (for contagion, which applies to non-retail lessees);
    `collateral`: `collateral_on`'s columns (for the collateral rules); `previous`: contract_no, from_class of
    the latest earlier run (for the upgrade conditions and the restructuring hold); `restructured`:
    contract_no, restructured_date (for the restructuring observation)."""
    inputs = _Inputs()
    inputs.add("lg_positions", positions.with_row_index(_ROW))
    inputs.add("lg_lessee_types", lessee_types)
    inputs.add("lg_collateral", collateral)
    inputs.add("lg_previous", previous)
    inputs.add("lg_restructured", restructured)

    def build() -> ir.Table:
        from leaseguard.classification.columnar import classify_expr

        return classify_expr(
            inputs.table("lg_positions"),
            rules,
            lessee_types=inputs.optional("lg_lessee_types"),
            collateral=inputs.optional("lg_collateral"),
            previous=inputs.optional("lg_previous"),
            restructured=inputs.optional("lg_restructured"),
            carry=(_ROW,),
        ).order_by(_ROW)

    # The expression does not depend on the day (it is a column of the positions), only on the rules and the
    # tables' names and column types: compiled once, it serves every day of a run.
    sql = inputs.sql(f"classify {rules!r}", build)
    schema = {name: _COMPUTED.get(name) or positions.schema[name] for name in CLASSIFIED_COLUMNS}
    return inputs.run(sql).drop(_ROW).cast(schema)  # type: ignore[arg-type]


def non_performing(frame: pl.DataFrame) -> pl.Series:
    return frame["class"].is_in(list(NON_PERFORMING))
