"""Reading the book for analytics and early warning: contracts with their dimensions, valuations by contract,
stored classes, and positions from the book engine. The only module of these packages that touches the store.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from sqlalchemy import Engine, MetaData, Table, func, inspect, select

from leaseguard.analytics.service import ClassesAt, PositionsAt
from leaseguard.errors import InvalidInputError
from leaseguard.store.db import as_date
from leaseguard.store.models import Asset, Contract, Payment, Valuation
from leaseguard.vocabulary import Label

# Engineer B's stored daily results (migration 0005_book_classes): one row per contract per as_of.
CLASSES_TABLE = "contract_classes"


class BookDataError(InvalidInputError):
    """The store cannot give what was asked (no positions engine, nothing stored for the date)."""


def _frame(engine: Engine, statement: Any, schema: dict[str, Any]) -> pl.DataFrame:
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return pl.DataFrame(rows, schema=schema, orient="row")


def read_contracts(engine: Engine, *, lessor: str | None = None) -> pl.DataFrame:
    """Every contract (of `lessor` only, when given) with the columns analytics and warning use; region, product
    and lease_type come from the optional columns of contracts.csv (kept in `extra`), asset_type from the
    contract's first asset."""
    contracts_query = select(
            Contract.contract_no, Contract.lessor, Contract.lessee_id, Contract.lessee_type, Contract.industry,
            Contract.start_date, Contract.term_months, Contract.principal_fen, Contract.annual_rate,
            Contract.method, Contract.frequency, Contract.residual_value_fen,
            Contract.extra["region"].as_string(), Contract.extra["product"].as_string(),
            Contract.extra["lease_type"].as_string(), Contract.lessee_name,
            func.coalesce(Contract.extra["lessee_phone"].as_string(), Contract.extra["phone"].as_string()),
    )  # fmt: skip
    assets_query = select(Asset.contract_no, Asset.asset_type, Asset.lessor).where(
        Asset.contract_no.is_not(None)
    )
    if lessor is not None:
        contracts_query = contracts_query.where(Contract.lessor == lessor)
        assets_query = assets_query.where(Asset.lessor == lessor)
    contracts = _frame(
        engine,
        contracts_query,
        {
            "contract_no": pl.String, "lessor": pl.String, "lessee_id": pl.String, "lessee_type": pl.String,
            "industry": pl.String, "start_date": pl.Date, "term_months": pl.Int32, "principal_fen": pl.Int64,
            "annual_rate": pl.String, "method": pl.String, "frequency": pl.String,
            "residual_value_fen": pl.Int64, "region": pl.String, "product": pl.String, "lease_type": pl.String,
            "lessee_name": pl.String, "phone": pl.String,
        },
    )  # fmt: skip
    assets = _frame(
        engine,
        assets_query,
        {"contract_no": pl.String, "asset_type": pl.String, "lessor": pl.String},
    )
    # An asset names its contract by number; only the contract's own lessor's assets count.
    first_asset = (
        assets.join(contracts.select("contract_no", "lessor"), on=["contract_no", "lessor"], how="semi")
        .group_by("contract_no")
        .agg(pl.col("asset_type").sort().first())
    )
    return contracts.join(first_asset, on="contract_no", how="left")


def read_valuations(engine: Engine) -> pl.DataFrame:
    """Disposal valuations by contract: contract_no, asset_id, valuation_date, disposal_value_fen."""
    statement = (
        select(Asset.contract_no, Asset.asset_id, Valuation.valuation_date, Valuation.disposal_value_fen)
        .join(Valuation, (Valuation.lessor == Asset.lessor) & (Valuation.asset_id == Asset.asset_id))
        .join(Contract, (Contract.contract_no == Asset.contract_no) & (Contract.lessor == Asset.lessor))
    )
    return _frame(
        engine,
        statement,
        {
            "contract_no": pl.String,
            "asset_id": pl.String,
            "valuation_date": pl.Date,
            "disposal_value_fen": pl.Int64,
        },
    )


def read_payments(engine: Engine) -> pl.DataFrame:
    return _frame(
        engine,
        select(Payment.contract_no, Payment.paid_date, Payment.amount_fen),
        {"contract_no": pl.String, "paid_date": pl.Date, "amount_fen": pl.Int64},
    )


def classes_source(engine: Engine, *, lessor: str | None = None) -> ClassesAt:
    """classes_at(day): contract_no, class, provision_fen of the stored daily results for `day` (of `lessor`'s
    contracts only, when given), or None when the store has none for it (the table does not exist yet, or
    `leaseguard run daily` was not run for that date)."""
    if not inspect(engine).has_table(CLASSES_TABLE):
        return lambda day: None
    table = Table(CLASSES_TABLE, MetaData(), autoload_with=engine)

    def classes_at(day: dt.date) -> pl.DataFrame | None:
        query = select(table.c.contract_no, table.c["class"], table.c.provision_fen).where(
            table.c.as_of == day
        )
        if lessor is not None:
            query = query.where(table.c.lessor == lessor)
        frame = _frame(
            engine,
            query,
            {"contract_no": pl.String, "class": pl.String, "provision_fen": pl.Int64},
        )
        return None if frame.is_empty() else frame

    return classes_at


def latest_classes(engine: Engine, day: dt.date) -> pl.DataFrame | None:
    """contract_no, class of the latest daily run on or before `day`, or None when there is none."""
    if not inspect(engine).has_table(CLASSES_TABLE):
        return None
    table = Table(CLASSES_TABLE, MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        latest = connection.execute(select(func.max(table.c.as_of)).where(table.c.as_of <= day)).scalar()
    return None if latest is None else classes_source(engine)(as_date(latest))


def positions_source(
    engine: Engine, allocation: Any = None, *, only: pl.DataFrame | None = None, lessor: str | None = None
) -> PositionsAt:
    """positions_at(day) from the book engine: the book is read and its instalments built once, on the first
    day asked, and every day after is a column operation over them. `allocation`: the workspace's
    `portfolio.allocation.Allocation` (penalty, order, deposit); the default when None. `only` (a frame with
    contract_no): the positions of those contracts only, the others' instalments never built; `lessor`: only that
    lessor's book is read (one lessor's analytics cost its own book's reading and work)."""
    try:
        from leaseguard.portfolio.positions import BookPositions
    except ImportError as error:
        raise BookDataError(
            Label(
                "计算头寸需要组合引擎（leaseguard.portfolio.positions），当前安装中没有它",
                "positions need the book engine (leaseguard.portfolio.positions), which this build lacks",
            )
        ) from error
    built: list[BookPositions] = []

    def positions_at(day: dt.date) -> pl.DataFrame:
        if not built:
            if only is None:
                built.append(BookPositions.from_engine(engine, allocation, lessor=lessor))
            else:
                from leaseguard.portfolio.book_store import read_book

                wanted = only.select("contract_no")
                contracts, payments, schedule = (
                    frame.join(wanted, on="contract_no", how="semi")
                    for frame in read_book(engine, lessor=lessor)
                )
                built.append(BookPositions.from_frames(contracts, payments, schedule, allocation))
        return built[0].at(day)

    return positions_at
