"""The register in memory: every lessor's assets as one columnar frame with an index per identifier.

Built once from the store (a million assets in seconds) and then asked many times; a check reads only the
handful of rows the indexes return, so it answers in milliseconds however large the consortium's book is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
from sqlalchemy import Engine

from leaseguard.ingest.kinds import ASSETS, ValueType
from leaseguard.registry.check import (
    AssetFacts,
    CheckOutcome,
    PriceRange,
    check_asset,
    invoice_key,
    purchase_terms_key,
    trailing_counter_start,
)
from leaseguard.registry.identifiers import is_valid_vin
from leaseguard.registry.index import (
    DeletionIndex,
    fold_column,
    name_column,
    trailing_digits_counter,
    vin_counter,
)
from leaseguard.registry.normalize import normalize_identifier, normalize_name, ocr_fold
from leaseguard.registry.rules import RegistryRules

# The assets data contract's columns as the store names them (invoice_amount_fen, …).
ASSET_COLUMNS = tuple(spec.store_column for spec in ASSETS.columns)

_ASSETS_QUERY = (
    f"select {', '.join('a.' + column for column in ASSET_COLUMNS)}, c.start_date as contract_start, "
    "c.term_months as contract_term_months "
    "from assets a left join contracts c on c.contract_no = a.contract_no order by a.id"
)


def with_financing_state(frame: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Add `financing_active`: the financing contract has started and its term has not run out by `as_of`."""
    # SQLite hands dates back as ISO text, PostgreSQL as dates.
    if frame.schema["contract_start"] == pl.String:
        frame = frame.with_columns(pl.col("contract_start").str.to_date("%Y-%m-%d", strict=False))
    start = pl.col("contract_start").cast(pl.Date)
    end = start.dt.offset_by(pl.format("{}mo", pl.col("contract_term_months")))
    return frame.with_columns(
        pl.when(start.is_null())
        .then(None)
        .otherwise((start <= as_of) & (end > as_of))
        .alias("financing_active")
    ).drop("contract_start", "contract_term_months")


def load_registrations(engine: Engine, *, as_of: dt.date | None = None) -> pl.DataFrame:
    """Every asset in the store, in ASSET_COLUMNS plus `financing_active` on `as_of` (default today)."""
    with engine.connect() as connection:
        frame = pl.read_database(_ASSETS_QUERY, connection, infer_schema_length=None)
    return with_financing_state(_typed(frame, engine.dialect.name), as_of or dt.date.today())


def _typed(frame: pl.DataFrame, dialect: str) -> pl.DataFrame:
    """A column the store holds no value of (an empty register, no purchase-contract numbers anywhere) comes
    back untyped; give it the type its values have when there are some, so the register and a file screened
    against it line up."""
    by_type = {ValueType.AMOUNT: pl.Int64, ValueType.DATE: pl.String if dialect == "sqlite" else pl.Date}
    expected: dict[str, Any] = {c.store_column: by_type.get(c.type, pl.String) for c in ASSETS.columns}
    expected |= {"contract_start": by_type[ValueType.DATE], "contract_term_months": pl.Int64}
    untyped = [name for name, dtype in frame.schema.items() if dtype == pl.Null and name in expected]
    return frame.with_columns(pl.col(name).cast(expected[name]) for name in untyped)


class PriceBook:
    """The invoice prices registered for each manufacturer and model: the median and how many there are."""

    def __init__(self, assets: pl.DataFrame) -> None:
        prices = (
            assets.filter(pl.col("invoice_amount_fen").is_not_null())
            .with_columns(
                (name_column(pl.col("manufacturer")) + "|" + name_column(pl.col("model"))).alias("_key")
            )
            .group_by("_key")
            .agg(pl.col("invoice_amount_fen").median().alias("median"), pl.len().alias("peers"))
        )
        self._prices = {
            row["_key"]: PriceRange(int(row["median"]), int(row["peers"]))
            for row in prices.iter_rows(named=True)
        }

    def reference(self, asked: AssetFacts) -> PriceRange | None:
        if not asked.manufacturer and not asked.model:
            return None
        return self._prices.get(f"{normalize_name(asked.manufacturer)}|{normalize_name(asked.model)}")


class Register:
    """All registered assets with indexes on VIN, engine number, serial number and invoice."""

    def __init__(self, assets: pl.DataFrame, rules: RegistryRules) -> None:
        self.rules = rules
        missing = [c for c in ASSET_COLUMNS if c not in assets.columns]
        if missing:
            raise ValueError(f"asset frame lacks columns: {', '.join(missing)}")
        if "financing_active" not in assets.columns:
            assets = assets.with_columns(pl.lit(None, dtype=pl.Boolean).alias("financing_active"))
        self.assets = assets
        folded = assets.select(
            fold_column(pl.col("vin")).alias("vin"),
            fold_column(pl.col("engine_no")).alias("engine_no"),
            fold_column(pl.col("serial_no")).alias("serial_no"),
            (fold_column(pl.col("invoice_code")) + "/" + fold_column(pl.col("invoice_no"))).alias("invoice"),
            fold_column(pl.col("purchase_contract_no")).alias("purchase_contract"),
        ).with_columns(
            pl.when(pl.col("invoice").str.ends_with("/"))
            .then(pl.lit(""))
            .otherwise(pl.col("invoice"))
            .alias("invoice")
        )
        purchase_terms = assets.select(
            pl.when(pl.col("invoice_date").is_not_null() & pl.col("invoice_amount_fen").is_not_null())
            .then(
                pl.concat_str(
                    name_column(pl.col("manufacturer")),
                    name_column(pl.col("model")),
                    pl.col("invoice_date").cast(pl.String),
                    pl.col("invoice_amount_fen").cast(pl.String),
                    separator="|",
                )
            )
            .otherwise(pl.lit(""))
            .alias("terms")
        )["terms"]
        counters = assets.select(
            trailing_digits_counter(pl.col("engine_no")).alias("engine_no"),
            trailing_digits_counter(pl.col("serial_no")).alias("serial_no"),
        )
        self.indexes = {
            "vin": DeletionIndex(folded["vin"], counter=vin_counter(rules.vin_serial_positions)),
            "engine_no": DeletionIndex(folded["engine_no"], counter_starts=counters["engine_no"]),
            "serial_no": DeletionIndex(folded["serial_no"], counter_starts=counters["serial_no"]),
            "invoice": DeletionIndex(folded["invoice"], exact_only=True),
            "purchase_terms": DeletionIndex(purchase_terms, exact_only=True),
            "purchase_contract": DeletionIndex(folded["purchase_contract"], exact_only=True),
        }
        self.indexes["lessee"] = DeletionIndex(
            assets.select(fold_column(pl.col("lessee_id")))["lessee_id"], exact_only=True
        )
        self._vin_counter_positions = frozenset(p - 1 for p in rules.vin_serial_positions)
        # Rows whose VIN fails its check digit: a typo or a forgery, so their counter neighbours are screened too.
        vins = assets["vin"].to_list()
        self.invalid_vin_rows = pl.Series(
            [row for row, vin in enumerate(vins) if vin and not is_valid_vin(normalize_identifier(vin))],
            dtype=pl.UInt32,
        )
        self._invalid_vin_set = set(self.invalid_vin_rows.to_list())
        self.prices = PriceBook(assets)

    @classmethod
    def from_engine(cls, engine: Engine, rules: RegistryRules, *, as_of: dt.date | None = None) -> Register:
        return cls(load_registrations(engine, as_of=as_of), rules)

    def __len__(self) -> int:
        return self.assets.height

    def facts(self, row: int) -> AssetFacts:
        return self._facts_of(self.assets.row(row, named=True))

    def facts_of_rows(self, rows: list[int]) -> list[AssetFacts]:
        """The registrations at `rows`, gathered in one step (a check looks at dozens at once)."""
        if not rows:
            return []
        return [self._facts_of(values) for values in self.assets[rows].iter_rows(named=True)]

    @staticmethod
    def _facts_of(values: dict[str, Any]) -> AssetFacts:
        registered_at = values.get("registered_at")
        if isinstance(registered_at, str):
            registered_at = dt.date.fromisoformat(registered_at)
        invoice_date = values.get("invoice_date")
        if isinstance(invoice_date, str):
            invoice_date = dt.date.fromisoformat(invoice_date)
        fields: dict[str, Any] = {name: values.get(name) for name in ASSET_COLUMNS}
        fields.update(
            registered_at=registered_at,
            invoice_date=invoice_date,
            financing_active=values.get("financing_active"),
        )
        return AssetFacts(**fields)

    def candidate_rows(self, asked: AssetFacts, *, prune_neighbours: bool = True) -> set[int]:
        """Rows that may be the asked-about asset. With `prune_neighbours`, rows related only as production
        neighbours (a counter digit apart, both VINs valid) are left out unless they could still matter: the
        same lessee, a registered VIN whose check digit fails, or another identifier, the invoice or the
        purchase agreeing (those rows come from their own indexes). `compare` would call every row left out
        a different asset, so the verdict is the same either way, only cheaper."""
        rows: set[int] = set()
        neighbours: set[int] = set()
        for name, value in (
            ("vin", asked.vin),
            ("engine_no", asked.engine_no),
            ("serial_no", asked.serial_no),
        ):
            if not value:
                continue
            counter = self._query_counter(name, value) if prune_neighbours else None
            found, near = self.indexes[name].candidates_and_neighbours(
                ocr_fold(value), counter, swaps_are_neighbours=name != "vin"
            )
            rows.update(found.tolist())
            neighbours.update(near.tolist())
        if neighbours:
            lessee = ocr_fold(asked.lessee_id or "")
            kept = self._invalid_vin_set | (
                set(self.indexes["lessee"].candidates(lessee).tolist()) if lessee else set()
            )
            rows.update(neighbours & kept)
        for name, key in (
            ("invoice", invoice_key(asked)),
            ("purchase_terms", purchase_terms_key(asked)),
            ("purchase_contract", ocr_fold(asked.purchase_contract_no or "")),
        ):
            if key:
                rows.update(self.indexes[name].candidates(key).tolist())
        return rows

    def _query_counter(self, name: str, value: str) -> Callable[[int], bool] | None:
        """Which positions of the asked identifier are its production counter, as `compare` reads them."""
        normalized = normalize_identifier(value)
        if name == "vin":
            # An invalid asked VIN makes every one-edit match likely, never a neighbour's.
            if not is_valid_vin(normalized):
                return None
            positions = self._vin_counter_positions
            return positions.__contains__
        start = trailing_counter_start(normalized)
        return lambda position: position >= start

    def price_reference(self, asked: AssetFacts) -> PriceRange | None:
        return self.prices.reference(asked)

    def check(self, asked: AssetFacts, *, prune_neighbours: bool = True) -> CheckOutcome:
        candidates = self.facts_of_rows(sorted(self.candidate_rows(asked, prune_neighbours=prune_neighbours)))
        return check_asset(asked, candidates, self.rules, self.price_reference(asked))
