"""The data-contract file kinds: their columns, types, natural keys and the order they load in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import String, Table

from leaseguard.store.models import Asset, Contract, Lessor, Payment, ScheduleLine, Tracker, Valuation
from leaseguard.tenancy.service import REGIMES
from leaseguard.vocabulary import DATA_KINDS


class ValueType(StrEnum):
    TEXT = "text"
    CODE = "code"  # a lessor code in lessors.csv, shaped like tenancy's LESSOR_CODE
    DATE = "date"
    AMOUNT = "amount"  # yuan with at most 2 decimals, stored as integer fen
    SIGNED_AMOUNT = "signed_amount"  # an amount that may be negative: a payment reversed (冲正)
    MONTHS = "months"  # a positive whole number
    COUNT = "count"  # a positive whole number that is not a duration (an instalment's number)
    RATE = "rate"  # a decimal fraction below 1, at most 6 decimals (Numeric(10, 6))
    BOOLEAN = "boolean"
    ENUM = "enum"
    TERMINAL_PHONE = (
        "terminal_phone"  # a JT/T 808 terminal's phone: 11 to 20 digits, kept without leading zeros
    )


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a data-contract file and the store column it fills."""

    name: str
    type: ValueType = ValueType.TEXT
    required: bool = False
    store: str = ""  # the store column; defaults to `name`
    choices: tuple[str, ...] = ()
    default: object = None  # stored when the file lacks the column or the value is empty
    in_extra: bool = False  # checked like any column, kept in the row's `extra` JSON under its name

    @property
    def store_column(self) -> str:
        return self.store or self.name


@dataclass(frozen=True)
class KindSpec:
    """A file kind: its columns, the table it loads into and the natural key of that table."""

    name: str
    table: Table
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]  # store columns of the natural key (the table's unique constraint)
    duplicate_column: str  # the file column an in-file duplicate is reported on

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)

    def max_length(self, column: ColumnSpec) -> int | None:
        """The store's length limit of a text column, so an over-long value is a row error, not a DB error."""
        if column.in_extra:
            return None
        store_type = self.table.c[column.store_column].type
        return store_type.length if isinstance(store_type, String) else None


ASSET_TYPES = ("vehicle", "machinery", "medical", "equipment", "other")
LESSEE_TYPES = ("enterprise", "individual")
METHODS = ("annuity", "equal_principal")
FREQUENCIES = ("monthly", "quarterly")

T = ValueType

LESSORS = KindSpec(
    name="lessors",
    table=Lessor.__table__,  # type: ignore[arg-type]
    columns=(
        ColumnSpec("code", T.CODE, required=True),
        ColumnSpec("name", required=True),
        ColumnSpec("regime", T.ENUM, choices=tuple(REGIMES), in_extra=True),
    ),
    key=("code",),
    duplicate_column="code",
)

CONTRACTS = KindSpec(
    name="contracts",
    table=Contract.__table__,  # type: ignore[arg-type]
    columns=(
        ColumnSpec("contract_no", required=True),
        ColumnSpec("lessor", required=True),
        ColumnSpec("lessee_id", required=True),
        ColumnSpec("lessee_name", required=True),
        ColumnSpec("lessee_type", T.ENUM, required=True, choices=LESSEE_TYPES),
        ColumnSpec("group_id"),
        ColumnSpec("related_party", T.BOOLEAN, default=False),
        ColumnSpec("industry"),
        ColumnSpec("start_date", T.DATE, required=True),
        ColumnSpec("term_months", T.MONTHS, required=True),
        ColumnSpec("principal", T.AMOUNT, required=True, store="principal_fen"),
        ColumnSpec("annual_rate", T.RATE, required=True),
        ColumnSpec("method", T.ENUM, required=True, choices=METHODS),
        ColumnSpec("frequency", T.ENUM, required=True, choices=FREQUENCIES),
        ColumnSpec("residual_value", T.AMOUNT, store="residual_value_fen", default=0),
        ColumnSpec("deposit", T.AMOUNT, store="deposit_fen", default=0),
        ColumnSpec("first_due_date", T.DATE),
        ColumnSpec("restructured_date", T.DATE),
    ),
    key=("contract_no",),
    duplicate_column="contract_no",
)

ASSETS = KindSpec(
    name="assets",
    table=Asset.__table__,  # type: ignore[arg-type]
    columns=(
        ColumnSpec("asset_id", required=True),
        ColumnSpec("lessor", required=True),
        ColumnSpec("asset_type", T.ENUM, required=True, choices=ASSET_TYPES),
        ColumnSpec("vin"),
        ColumnSpec("serial_no"),
        ColumnSpec("engine_no"),
        ColumnSpec("manufacturer"),
        ColumnSpec("model"),
        ColumnSpec("invoice_no"),
        ColumnSpec("invoice_code"),
        ColumnSpec("invoice_amount", T.AMOUNT, store="invoice_amount_fen"),
        ColumnSpec("invoice_date", T.DATE),
        ColumnSpec("purchase_contract_no"),
        ColumnSpec("lessee_id", required=True),
        ColumnSpec("lessee_name", required=True),
        ColumnSpec("contract_no"),
        ColumnSpec("registered_at", T.DATE),
    ),
    key=("lessor", "asset_id"),
    duplicate_column="asset_id",
)

PAYMENTS = KindSpec(
    name="payments",
    table=Payment.__table__,  # type: ignore[arg-type]
    columns=(
        ColumnSpec("contract_no", required=True),
        ColumnSpec("paid_date", T.DATE, required=True),
        ColumnSpec("amount", T.SIGNED_AMOUNT, required=True, store="amount_fen"),
    ),
    key=("contract_no", "paid_date", "amount_fen", "seq"),
    duplicate_column="contract_no",  # never used: seq makes every payment row its own key
)

VALUATIONS = KindSpec(
    name="valuations",
    table=Valuation.__table__,  # type: ignore[arg-type]
    columns=(
        ColumnSpec("asset_id", required=True),
        ColumnSpec("lessor", required=True),
        ColumnSpec("valuation_date", T.DATE, required=True),
        ColumnSpec("disposal_value", T.AMOUNT, required=True, store="disposal_value_fen"),
    ),
    key=("lessor", "asset_id", "valuation_date"),
    duplicate_column="valuation_date",
)

SCHEDULES = KindSpec(
    name="schedules",
    table=ScheduleLine.__table__,  # type: ignore[arg-type]
    columns=(
        ColumnSpec("contract_no", required=True),
        ColumnSpec("number", T.COUNT, required=True),
        ColumnSpec("due_date", T.DATE, required=True),
        ColumnSpec("principal", T.AMOUNT, required=True, store="principal_fen"),
        ColumnSpec("interest", T.AMOUNT, required=True, store="interest_fen"),
    ),
    key=("contract_no", "number"),
    duplicate_column="number",
)

TERMINAL_KINDS = ("wired", "wireless")

# JT/T 808 terminals fitted to assets (docs/tracking.md): a terminal is bound to one asset on any day.
TRACKERS = KindSpec(
    name="trackers",
    table=Tracker.__table__,  # type: ignore[arg-type]
    columns=(
        ColumnSpec("lessor", required=True),
        ColumnSpec("asset_id", required=True),
        ColumnSpec("terminal_phone", T.TERMINAL_PHONE, required=True),
        ColumnSpec("terminal_id"),
        ColumnSpec("installed_on", T.DATE, required=True),
        ColumnSpec("kind", T.ENUM, required=True, choices=TERMINAL_KINDS),
        # The day the terminal was taken off (exclusive; GMT+8): its reports fixed from that day on no longer
        # reach the asset, and the terminal may be bound to another asset from that day.
        ColumnSpec("removed_on", T.DATE),
    ),
    key=("lessor", "asset_id", "terminal_phone"),
    duplicate_column="terminal_phone",
)

# Dependency order: a row may only refer to rows of kinds loaded before it.
KINDS: tuple[KindSpec, ...] = (LESSORS, CONTRACTS, ASSETS, SCHEDULES, PAYMENTS, VALUATIONS, TRACKERS)
KIND_BY_NAME = {kind.name: kind for kind in KINDS}
KIND_NAMES = DATA_KINDS


def kind_from_file_name(file_name: str) -> KindSpec | None:
    """lessors*, contracts*, assets*, schedules*, payments*, valuations*, trackers* (any case) name their kind."""
    stem = file_name.lower()
    return next((kind for kind in KINDS if stem.startswith(kind.name)), None)


def kind_from_header(header: Sequence[str]) -> KindSpec | None:
    """The kind whose required columns the header has; the most specific one when several fit."""
    present = {name.strip().lower() for name in header}
    fitting = [kind for kind in KINDS if set(kind.required) <= present]
    if not fitting:
        return None
    return max(fitting, key=lambda kind: len(kind.required))
