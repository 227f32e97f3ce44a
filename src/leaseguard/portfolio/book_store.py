"""The store's reads of the lease book, one place: the whole book (`read_book`, through the one ADBC reader on
SQLite files), some contracts (`read_contracts`, the batch a case-file chunk or a claim needs) or one. Each
gives contracts (CONTRACT_COLUMNS and OPTIONAL_CONTRACT_COLUMNS), payments and imported schedule lines in the
frames `portfolio.positions` computes on. Parameterised SQL only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
import pyarrow as pa
from sqlalchemy import Engine

from leaseguard.portfolio.allocation import Allocation
from leaseguard.portfolio.positions import (
    CONTRACT_COLUMNS,
    OPTIONAL_CONTRACT_COLUMNS,
    SCHEDULE_LINE_COLUMNS,
    BookPositions,
)
from leaseguard.portfolio.sqlite_export import export_queries
from leaseguard.store.db import as_date, in_list


def _dates(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    # SQLite hands dates back as ISO text, PostgreSQL as dates.
    return frame.with_columns(
        pl.col(c).str.to_date("%Y-%m-%d") if frame.schema[c] == pl.String else pl.col(c).cast(pl.Date)
        for c in columns
    )


_CONTRACTS_QUERY = (
    f"select {', '.join((*CONTRACT_COLUMNS, *OPTIONAL_CONTRACT_COLUMNS))}, cast(annual_rate as text) as rate_text "
    "from contracts{where} order by contract_no"
)
_PAYMENTS_QUERY = "select contract_no, paid_date, amount_fen from payments{where}"
_SCHEDULE_QUERY = f"select {', '.join(SCHEDULE_LINE_COLUMNS)} from schedule_lines{{where}}"
# One lessor's book: contracts and payments carry the lessor (indexed); schedule lines name their contract only.
_OF_LESSOR = " where lessor = :lessor"
_LINES_OF_LESSOR = " where contract_no in (select contract_no from contracts where lessor = :lessor)"


def _queries(lessor: str | None) -> dict[str, tuple[str, dict[str, str]]]:
    if lessor is None:
        return {
            "contracts": (_CONTRACTS_QUERY.format(where=""), {}),
            "payments": (_PAYMENTS_QUERY.format(where=""), {}),
            "schedule": (_SCHEDULE_QUERY.format(where=""), {}),
        }
    given = {"lessor": lessor}
    return {
        "contracts": (_CONTRACTS_QUERY.format(where=_OF_LESSOR), given),
        "payments": (_PAYMENTS_QUERY.format(where=_OF_LESSOR), given),
        "schedule": (_SCHEDULE_QUERY.format(where=_LINES_OF_LESSOR), given),
    }


def _read_sqlite(path: str, lessor: str | None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    tables = export_queries(path, _queries(lessor))
    frames = [pl.from_arrow(tables[name]) for name in ("contracts", "payments", "schedule")]
    contracts, payments, schedule = frames
    assert isinstance(contracts, pl.DataFrame) and isinstance(payments, pl.DataFrame)
    assert isinstance(schedule, pl.DataFrame)
    return contracts, payments, schedule


def read_book(
    engine: Engine, *, lessor: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The store's contracts (CONTRACT_COLUMNS and OPTIONAL_CONTRACT_COLUMNS), payments (contract_no,
    paid_date, amount_fen) and imported schedule lines (SCHEDULE_LINE_COLUMNS); of `lessor` only when given (its
    rows read by the lessor in the WHERE clause: a lessor's figures cost its own book's reading)."""
    database = engine.url.database
    queries = _queries(lessor)
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        contracts, payments, schedule = _read_sqlite(database, lessor)
    else:
        from sqlalchemy import text

        with engine.connect() as connection:
            sql, params = queries["contracts"]
            contracts = pl.read_database(
                text(sql), connection, execute_options={"parameters": params}, infer_schema_length=None
            )
            sql, params = queries["payments"]
            payments = pl.read_database(
                text(sql), connection, execute_options={"parameters": params},
                schema_overrides={"amount_fen": pl.Int64}, infer_schema_length=None,
            )  # fmt: skip
            sql, params = queries["schedule"]
            schedule = pl.read_database(
                text(sql), connection, execute_options={"parameters": params}, infer_schema_length=None
            )
    contracts = contracts.with_columns(pl.col("rate_text").alias("annual_rate")).drop("rate_text")
    if contracts.schema["first_due_date"] == pl.Null:
        contracts = contracts.with_columns(pl.col("first_due_date").cast(pl.String))
    contracts = _dates(contracts, "start_date", "first_due_date").with_columns(
        pl.col("residual_value_fen").fill_null(0).cast(pl.Int64),
        pl.col("deposit_fen").fill_null(0).cast(pl.Int64),
        pl.col("principal_fen").cast(pl.Int64),
        pl.col("term_months").cast(pl.Int64),
    )
    if payments.is_empty():  # an empty result carries no column types
        payments = pl.DataFrame(
            schema={"contract_no": pl.String, "paid_date": pl.String, "amount_fen": pl.Int64}
        )
    if schedule.is_empty():
        schedule = pl.DataFrame(schema=SCHEDULE_LINE_COLUMNS)
    schedule = _dates(schedule.with_columns(pl.col("due_date").cast(pl.String)), "due_date")
    return contracts, _dates(payments, "paid_date"), schedule.cast(SCHEDULE_LINE_COLUMNS)  # type: ignore[arg-type]


def read_contract(engine: Engine, contract_no: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame] | None:
    """One contract of the store as `read_book` gives the whole book (terms, payments, imported lines), or None."""
    contracts, payments, schedule = read_contracts(engine, [contract_no])
    return None if contracts.is_empty() else (contracts, payments, schedule)


def read_contracts(
    engine: Engine, contract_nos: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Some contracts of the store as `read_book` gives the whole book, in three queries: for a batch of case
    files or claims, where reading the whole book would be waste and one contract at a time too slow."""
    columns = ", ".join(c for c in (*CONTRACT_COLUMNS, *OPTIONAL_CONTRACT_COLUMNS) if c != "annual_rate")
    wanted = {"nos": list(dict.fromkeys(contract_nos))}
    with engine.connect() as connection:
        terms = connection.execute(
            in_list(f"select {columns}, cast(annual_rate as text) from contracts where contract_no in :nos "
                 "order by contract_no"),
            wanted,
        ).all()  # fmt: skip
        payments = connection.execute(
            in_list("select contract_no, paid_date, amount_fen from payments where contract_no in :nos"),
            wanted,
        ).all()
        lines = connection.execute(
            in_list(
                "select contract_no, number, due_date, principal_fen, interest_fen from schedule_lines "
                "where contract_no in :nos"
            ),
            wanted,
        ).all()
    names = [*columns.split(", "), "annual_rate"]
    rows = []
    for found in terms:
        row = dict(zip(names, found, strict=True))
        for column in ("start_date", "first_due_date"):
            if row[column] is not None:
                row[column] = as_date(row[column])
        row["annual_rate"] = str(row["annual_rate"])
        row["residual_value_fen"] = row["residual_value_fen"] or 0
        row["deposit_fen"] = row["deposit_fen"] or 0
        rows.append(row)
    contracts = pl.DataFrame(
        rows or None,
        schema=None if rows else dict.fromkeys(names, pl.String),
        schema_overrides={"first_due_date": pl.Date, "start_date": pl.Date},
        infer_schema_length=None,
    )
    paid = pl.DataFrame(
        [(no, as_date(day), int(amount)) for no, day, amount in payments],
        schema={"contract_no": pl.String, "paid_date": pl.Date, "amount_fen": pl.Int64},
        orient="row",
    )
    schedule = pl.DataFrame(
        [(no, n, as_date(day), p, i) for no, n, day, p, i in lines],
        schema=SCHEDULE_LINE_COLUMNS,
        orient="row",
    )
    return contracts, paid, schedule


def compute_positions(engine: Engine, as_of: dt.date, allocation: Allocation | None = None) -> pa.Table:
    """Where every contract of the store stands on `as_of` (POSITION_COLUMNS), as an Arrow table."""
    return BookPositions.from_engine(engine, allocation).at(as_of).to_arrow()
