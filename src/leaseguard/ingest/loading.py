"""Writing validated rows into the store: a staging table, then an upsert of changed rows and an insert of new.

Only the bulk copy into staging differs by engine (executemany on SQLite, COPY on PostgreSQL); the SQL that
follows is the same on both: rows whose key exists and whose values differ go through `INSERT … ON CONFLICT
DO UPDATE`, rows whose key is new through a plain `INSERT … WHERE NOT EXISTS`, and the affected-row counts
are the report's updated and inserted. A second load of the same rows therefore writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Connection, insert, text

from leaseguard.ingest.kinds import ASSETS, CONTRACTS, PAYMENTS, SCHEDULES, TRACKERS, VALUATIONS, KindSpec
from leaseguard.ingest.reports import FileReport, Status
from leaseguard.ingest.validation import EXTRA, Named, References
from leaseguard.store.db import chunks, in_list
from leaseguard.store.models import ImportRun

STAGE_PREFIX = "lg_stage_"
CHUNK_ROWS = 100_000  # rows per bulk-copy call: big enough to be fast, small enough to report progress

RowsStaged = Callable[[int], None]
# A file naming more of a table's keys than this reads the whole table (one scan beats many key lookups).
NAMED_LOOKUP_LIMIT = 20_000
__all__ = [
    "Changes",
    "RowsStaged",
    "Status",
    "hold_import_lock",
    "read_references",
    "record_run",
    "upsert",
    "upsert_bindings",
]

# The PostgreSQL advisory lock that makes files load one at a time: this job's key and the store's schema (as
# the daily run's lock, classification/daily.py, under another key).
_IMPORT_LOCK_KEY = 0x6C67_696D  # "lgim"


def hold_import_lock(connection: Connection) -> None:
    """Wait for, then hold until the caller's transaction ends, the store's import lock (PostgreSQL).

    Two imports of one file at once then load one after the other, the second finding the first's rows (and
    leaving them unchanged), instead of the second failing on a key the first inserted meanwhile. SQLite needs
    none: its one writer at a time already does this (and the busy timeout makes the second wait)."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("select pg_advisory_xact_lock(:key, hashtext(current_schema()))"), {"key": _IMPORT_LOCK_KEY}
        )


@dataclass(frozen=True)
class Changes:
    inserted: int
    updated: int
    unchanged: int


def read_references(
    connection: Connection, kind: KindSpec, lessor: str | None = None, named: Named | None = None
) -> References:
    """What rows of `kind` may refer to, one query per table (never one per row). With `lessor`, that lessor
    and its contracts and assets only, so a row of another lessor is refused as one the store does not hold;
    contracts and assets still see every contract number, which is unique across the store: one of another
    lessor is refused as such, never taken over. With `named` (the names the file's rows give), only those
    rows when they are few (up to NAMED_LOOKUP_LIMIT of a table), by key: a payments file of twenty rows reads
    twenty contracts, not the lessor's whole book; what a check finds is the same either way."""
    mine = " where lessor = :lessor" if lessor is not None else ""
    bound = {"lessor": lessor} if lessor is not None else {}

    def rows(sql: str, params: dict[str, Any], column: str, names: frozenset[str] | None) -> list[Any]:
        if names is None or len(names) > NAMED_LOOKUP_LIMIT:
            return list(connection.execute(text(sql), params).all())
        by_name = in_list(sql + (" and " if " where " in sql else " where ") + f"{column} in :names", "names")
        found: list[Any] = []
        for chunk in chunks(sorted(names)):
            found.extend(connection.execute(by_name, {**params, "names": chunk}))
        return found

    contract_nos = named.contract_nos if named is not None else None
    lessors = frozenset(
        connection.execute(
            text("select code from lessors" + (" where code = :lessor" if lessor is not None else "")), bound
        ).scalars()
    )
    contracts = References().contracts
    assets = References().assets
    if kind in (CONTRACTS, ASSETS):
        contracts = pl.DataFrame(
            rows("select contract_no, lessor from contracts", {}, "contract_no", contract_nos),
            schema=contracts.schema,
            orient="row",
        )
    if kind is PAYMENTS:
        # Payments are also checked against the contract's start date.
        found = rows(
            "select contract_no, lessor, start_date from contracts" + mine, bound, "contract_no", contract_nos
        )
        contracts = pl.DataFrame(
            [(number, owner, str(start)) for number, owner, start in found],
            schema={"contract_no": pl.String, "lessor": pl.String, "start_date": pl.String},
            orient="row",
        ).with_columns(pl.col("start_date").str.slice(0, 10).str.to_date("%Y-%m-%d"))
    if kind is SCHEDULES:
        found = rows(
            "select contract_no, lessor, start_date, principal_fen from contracts" + mine,
            bound,
            "contract_no",
            contract_nos,
        )
        contracts = pl.DataFrame(
            [(number, owner, str(start), principal) for number, owner, start, principal in found],
            schema={
                "contract_no": pl.String,
                "lessor": pl.String,
                "start_date": pl.String,
                "principal_fen": pl.Int64,
            },
            orient="row",
        ).with_columns(pl.col("start_date").str.slice(0, 10).str.to_date("%Y-%m-%d"))
    if kind in (VALUATIONS, TRACKERS):
        asset_ids = named.asset_ids if named is not None else None
        assets = pl.DataFrame(
            rows("select lessor, asset_id from assets" + mine, bound, "asset_id", asset_ids),
            schema=assets.schema,
            orient="row",
        )
    terminals = References().terminals
    if kind is TRACKERS:
        # Every lessor's bindings, ended ones too: a row overlapping one is refused (another lessor's as such,
        # never moved); dates as text, since SQLite gives them so.
        phones = named.terminal_phones if named is not None else None
        bindings = rows(
            "select terminal_phone, lessor, asset_id, installed_on, removed_on from trackers",
            {},
            "terminal_phone",
            phones,
        )
        terminals = pl.DataFrame(
            [
                (phone, owner, asset, str(installed)[:10], None if removed is None else str(removed)[:10])
                for phone, owner, asset, installed, removed in bindings
            ],
            schema={name: pl.String for name in terminals.columns},
            orient="row",
        ).with_columns(pl.col("installed_on", "removed_on").str.to_date("%Y-%m-%d"))
    return References(lessors=lessors, contracts=contracts, assets=assets, terminals=terminals)


def trim_schedules(connection: Connection, rows: pl.DataFrame) -> int:
    """Drop stored instalments beyond the last one a re-imported schedule gives: the file's schedule replaces
    the stored one whole."""
    if rows.height == 0:
        return 0
    last = rows.group_by("contract_no").agg(pl.col("number").max().alias("last"))
    result = connection.execute(
        text("delete from schedule_lines where contract_no = :contract_no and number > :last"),
        last.to_dicts(),
    )
    return int(result.rowcount or 0)


def upsert(
    connection: Connection,
    kind: KindSpec,
    rows: pl.DataFrame,
    update_columns: tuple[str, ...],
    staged: RowsStaged | None = None,
) -> Changes:
    """Insert new rows and update changed ones (only `update_columns`), inside the caller's transaction."""
    if rows.height == 0:
        return Changes(0, 0, 0)
    table = kind.table.name
    stage = STAGE_PREFIX + table
    columns = rows.columns
    column_list = ", ".join(columns)
    connection.execute(text(f"drop table if exists {stage}"))
    # Created from the target itself, so the staged values get the target's types (and SQLite affinities).
    connection.execute(
        text(f"create temporary table {stage} as select {column_list} from {table} where 1 = 0")
    )
    _bulk_copy(connection, stage, _as_wire_values(rows), staged)

    key_match = " and ".join(f"t.{c} = s.{c}" for c in kind.key)
    stage_columns = ", ".join(f"s.{c}" for c in columns)
    updated = 0
    if update_columns:
        # Only rows whose stated values differ reach the upsert, so an unchanged reload writes nothing.
        # "… on conflict do update" is used as a portable UPDATE … FROM (which SQLite < 3.33 lacks).
        differs = " or ".join(f"not {_same(f't.{c}', f's.{c}', c)}" for c in update_columns)
        assignments = ", ".join(f"{c} = excluded.{c}" for c in update_columns)
        updated = connection.execute(
            text(
                f"insert into {table} ({column_list}) select {stage_columns} from {stage} s "
                f"join {table} t on {key_match} where {differs} "
                f"on conflict ({', '.join(kind.key)}) do update set {assignments}"
            )
        ).rowcount
    # New rows take a plain insert: PostgreSQL's speculative insertion for ON CONFLICT costs a third more
    # per row, which is most of a big first load. No other import inserts a key meanwhile: the caller holds
    # the import lock (hold_import_lock).
    inserted = connection.execute(
        text(
            f"insert into {table} ({column_list}) select {stage_columns} from {stage} s "
            f"where not exists (select 1 from {table} t where {key_match})"
        )
    ).rowcount
    connection.execute(text(f"drop table {stage}"))
    return Changes(inserted=inserted, updated=updated, unchanged=rows.height - inserted - updated)


def upsert_bindings(
    connection: Connection,
    rows: pl.DataFrame,
    update_columns: tuple[str, ...],
    staged: RowsStaged | None = None,
) -> Changes:
    """`upsert` of trackers.csv rows in two passes: the bindings with an end first, then the open ones. The store
    allows one open binding per terminal (a partial unique index, checked row by row), so a file that ends one
    binding of a terminal and opens another (validation allows it in any line order) must store the end first."""
    ended = rows.filter(pl.col("removed_on").is_not_null())

    def after_ended(done: int) -> None:
        if staged:
            staged(ended.height + done)

    first = upsert(connection, TRACKERS, ended, update_columns, staged)
    second = upsert(
        connection, TRACKERS, rows.filter(pl.col("removed_on").is_null()), update_columns, after_ended
    )
    return Changes(
        first.inserted + second.inserted, first.updated + second.updated, first.unchanged + second.unchanged
    )


def _same(left: str, right: str, column: str) -> str:
    """Null-safe equality that both engines understand; JSON compares as text (json has no = in PostgreSQL)."""
    if column == EXTRA:
        left, right = f"cast({left} as text)", f"cast({right} as text)"
    # Never null (unlike a plain `=` against a null), so NOT of it is a usable WHERE condition.
    return (
        f"(({left} = {right} and {left} is not null and {right} is not null) "
        f"or ({left} is null and {right} is null))"
    )


def _as_wire_values(rows: pl.DataFrame) -> pl.DataFrame:
    """Dates as ISO text, which SQLite stores and COPY parses; everything else already travels as is."""
    return rows.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))


def _bulk_copy(connection: Connection, stage: str, rows: pl.DataFrame, staged: RowsStaged | None) -> None:
    raw: Any = connection.connection.driver_connection
    column_list = ", ".join(rows.columns)
    done = 0
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor:
            with cursor.copy(f"copy {stage} ({column_list}) from stdin with (format csv)") as copy:
                for chunk in rows.iter_slices(CHUNK_ROWS):
                    # CSV COPY reads an unquoted empty field as NULL, which is how polars writes a null.
                    copy.write(chunk.write_csv(include_header=False))
                    done += chunk.height
                    if staged:
                        staged(done)
            # A temporary table is never auto-analysed; without statistics the planner guesses badly.
            cursor.execute(f"analyze {stage}")
        return
    placeholders = ", ".join("?" for _ in rows.columns)
    cursor = raw.cursor()
    try:
        for chunk in rows.iter_slices(CHUNK_ROWS):
            cursor.executemany(
                f"insert into {stage} ({column_list}) values ({placeholders})", chunk.iter_rows()
            )
            done += chunk.height
            if staged:
                staged(done)
    finally:
        cursor.close()


def record_run(
    connection: Connection, report: FileReport, sha256: str, started: dt.datetime, finished: dt.datetime
) -> None:
    """One import_runs row per file, loaded or refused."""
    connection.execute(
        insert(ImportRun).values(
            file_name=report.file,
            file_sha256=sha256,
            kind=report.kind,
            encoding=report.encoding,
            rows_read=report.rows_read,
            rows_inserted=report.inserted,
            rows_updated=report.updated,
            rows_unchanged=report.unchanged,
            rows_rejected=report.rejected,
            status=report.status,
            message=report.message or None,
            message_code=report.code or None,
            message_params=report.params if report.code else None,
            started_at=started,
            finished_at=finished,
            lessor=report.lessor,
        )
    )
