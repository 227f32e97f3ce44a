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
import os
import threading
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
# Compiled SQL by expression: Ibis takes a few hundred milliseconds to compile the classification, DuckDB a
# few to run it over a handful of rows (tests, small books, a day re-run). Keys are the expressions over
# named, unbound tables, equal when the rules, the inputs given and their column types are.
_COMPILED: dict[Any, str] = {}
_COMPILED_KEPT = 64
# The classification's expressions by rule set and inputs' schemas (building one takes Ibis about 0.3 s).
_EXPRESSIONS: dict[Any, ir.Table] = {}


def _ppm(rate: float) -> int:
    return round(rate * _PPM)


class _Inputs:
    """Frames handed to DuckDB as registered Arrow views (scanned in place, not copied into DuckDB storage:
    loading a million positions into tables took seconds), each with an unbound Ibis table of its name and
    column types for the expression to be built over."""

    def __init__(self) -> None:
        self.arrow: dict[str, Any] = {}

    def table(self, name: str, frame: pl.DataFrame) -> ir.Table:
        import ibis

        data = frame.to_arrow()
        self.arrow[name] = data
        return ibis.table(ibis.Schema.from_pyarrow(data.schema), name=name)

    def optional(self, name: str, frame: pl.DataFrame | None) -> ir.Table | None:
        return None if frame is None else self.table(name, frame)

    def run(self, expr: ir.Table) -> pl.DataFrame:
        import ibis

        key = expr.op()
        sql = _COMPILED.get(key)
        if sql is None:
            sql = ibis.to_sql(expr, dialect="duckdb")
            if len(_COMPILED) >= _COMPILED_KEPT:
                _COMPILED.clear()
            _COMPILED[key] = sql
        # A cursor of its own per call (DuckDB's connection for one thread, with its own registered views) on
        # the process's one in-memory database: opening a new database each time cost ~9 ms of CPU a call.
        rows = max((data.num_rows for data in self.arrow.values()), default=0)
        with _new_cursor(parallel=rows >= _PARALLEL_FROM_ROWS) as con:
            for name, data in self.arrow.items():
                con.register(name, data)
            result = pl.from_arrow(con.sql(sql).fetch_arrow_table())
        assert isinstance(result, pl.DataFrame)
        return result


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
    from leaseguard.classification.columnar import collateral_expr

    inputs = _Inputs()
    valuations_table = inputs.table("lg_valuations", valuations)
    day = inputs.table("lg_day", pl.DataFrame({"as_of": [as_of]}, schema={"as_of": pl.Date}))
    # The day is an input, not a literal of the expression: built and compiled once, it serves every day.
    key = ("collateral", valuations_table.schema())
    expr = _EXPRESSIONS.get(key)
    if expr is None:
        expr = collateral_expr(valuations_table, day.as_of.max().as_scalar()).order_by("contract_no")
        _keep(key, expr)
    return inputs.run(expr).cast(COLLATERAL_SCHEMA)  # type: ignore[arg-type]


def _keep(key: Any, expr: ir.Table) -> None:
    if len(_EXPRESSIONS) >= _COMPILED_KEPT:
        _EXPRESSIONS.clear()
    _EXPRESSIONS[key] = expr


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
    from leaseguard.classification.columnar import classify_expr

    inputs = _Inputs()
    tables = {
        "positions": inputs.table("lg_positions", positions.with_row_index(_ROW)),
        "lessee_types": inputs.optional("lg_lessee_types", lessee_types),
        "collateral": inputs.optional("lg_collateral", collateral),
        "previous": inputs.optional("lg_previous", previous),
        "restructured": inputs.optional("lg_restructured", restructured),
    }
    # The expression does not depend on the day (it is a column of the positions), only on the rules and the
    # tables' names and column types: built once, it serves every day of a run.
    key = (repr(rules), tuple((name, None if t is None else t.schema()) for name, t in tables.items()))
    expr = _EXPRESSIONS.get(key)
    if expr is None:
        expr = classify_expr(
            tables["positions"],
            rules,
            lessee_types=tables["lessee_types"],
            collateral=tables["collateral"],
            previous=tables["previous"],
            restructured=tables["restructured"],
            carry=(_ROW,),
        ).order_by(_ROW)
        _keep(key, expr)
    schema = {name: _COMPUTED.get(name) or positions.schema[name] for name in CLASSIFIED_COLUMNS}
    return inputs.run(expr).drop(_ROW).cast(schema)  # type: ignore[arg-type]


def non_performing(frame: pl.DataFrame) -> pl.Series:
    return frame["class"].is_in(list(NON_PERFORMING))
