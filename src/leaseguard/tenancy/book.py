"""Reads of one tenant's book. Every query here takes the lessor and filters by it, so isolation is enforced
in one place; a row of another lessor is indistinguishable from a row that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from leaseguard.store.models import Asset, Contract, ImportRun, Payment, Valuation

Row = TypeVar("Row", Asset, Contract, ImportRun)


@dataclass(frozen=True, slots=True)
class Window:
    """Which slice of a list: `limit` rows after row id `after_id` (keyset), or after skipping `offset`."""

    limit: int
    offset: int = 0
    after_id: int | None = None


@dataclass(frozen=True, slots=True)
class Slice(Generic[Row]):
    rows: list[Row]
    # id of the last row when more rows follow, so the next slice can start after it
    last_id_if_more: int | None


def _window(
    session: Session, query: Select[Row], id_column: Any, window: Window, *, descending: bool = False
) -> Slice[Row]:
    if window.after_id is not None:
        query = query.where(id_column < window.after_id if descending else id_column > window.after_id)
    query = query.order_by(id_column.desc() if descending else id_column)
    # One row more than asked tells whether another page exists without a count(*).
    rows = list(session.scalars(query.offset(window.offset).limit(window.limit + 1)))
    more = len(rows) > window.limit
    rows = rows[: window.limit]
    return Slice(rows=rows, last_id_if_more=rows[-1].id if more and rows else None)


def list_contracts(
    session: Session, lessor: str, window: Window, *, lessee_id: str | None = None
) -> Slice[Contract]:
    query = select(Contract).where(Contract.lessor == lessor)
    if lessee_id is not None:
        query = query.where(Contract.lessee_id == lessee_id)
    return _window(session, query, Contract.id, window)


def get_contract(session: Session, lessor: str, contract_no: str) -> Contract | None:
    return session.scalar(
        select(Contract).where(Contract.lessor == lessor, Contract.contract_no == contract_no)
    )


def contract_payments(session: Session, lessor: str, contract_no: str) -> list[Payment] | None:
    """The payments of one of `lessor`'s contracts in date order, or None if it has no such contract."""
    if get_contract(session, lessor, contract_no) is None:
        return None
    query = (
        select(Payment)
        .where(Payment.lessor == lessor, Payment.contract_no == contract_no)
        .order_by(Payment.paid_date, Payment.seq, Payment.id)
    )
    return list(session.scalars(query))


def list_assets(
    session: Session,
    lessor: str,
    window: Window,
    *,
    vin: str | None = None,
    serial_no: str | None = None,
    contract_no: str | None = None,
) -> Slice[Asset]:
    query = select(Asset).where(Asset.lessor == lessor)
    if vin is not None:
        query = query.where(Asset.vin == vin)
    if serial_no is not None:
        query = query.where(Asset.serial_no == serial_no)
    if contract_no is not None:
        query = query.where(Asset.contract_no == contract_no)
    return _window(session, query, Asset.id, window)


def get_asset(session: Session, lessor: str, asset_id: str) -> Asset | None:
    return session.scalar(select(Asset).where(Asset.lessor == lessor, Asset.asset_id == asset_id))


def asset_valuations(session: Session, lessor: str, asset_id: str) -> list[Valuation] | None:
    """The valuations of one of `lessor`'s assets, oldest first, or None if it has no such asset."""
    if get_asset(session, lessor, asset_id) is None:
        return None
    query = (
        select(Valuation)
        .where(Valuation.lessor == lessor, Valuation.asset_id == asset_id)
        .order_by(Valuation.valuation_date, Valuation.id)
    )
    return list(session.scalars(query))


def list_import_runs(session: Session, lessor: str, window: Window) -> Slice[ImportRun]:
    """`lessor`'s import runs, newest first: the runs of files whose loaded rows were all its own. A file of
    several lessors' rows (or of none) names other members' business, so no tenant sees its run."""
    statement = select(ImportRun).where(ImportRun.lessor == lessor)
    return _window(session, statement, ImportRun.id, window, descending=True)


def get_import_run(session: Session, lessor: str, run_id: int) -> ImportRun | None:
    """One of `lessor`'s import runs (see list_import_runs for which are its own), or None."""
    return session.scalar(select(ImportRun).where(ImportRun.lessor == lessor, ImportRun.id == run_id))
