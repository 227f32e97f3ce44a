"""The book as data-contract CSV files: UTF-8 with a header, yuan with two decimals, ISO dates, true/false."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from leaseguard.ingest.kinds import ASSETS, CONTRACTS, LESSORS

FILE_NAMES = ("lessors", "contracts", "assets", "payments", "valuations", "ground_truth", "contract_outcomes")
# The data contracts' file columns, in their order; the synthetic book adds lease_type to contracts.csv, and
# the optional party columns an enforcement complaint reads (kept by the importer as extras) last.
LESSOR_PARTY_COLUMNS = ("uscc", "address", "legal_representative", "phone")
CONTRACT_PARTY_COLUMNS = (
    "lessee_address", "lessee_legal_representative", "lessee_phone", "guarantors", "registration_no",
    "penalty_daily_rate",
)  # fmt: skip
ASSET_PARTY_COLUMNS = ("supplier", "location")
LESSOR_COLUMNS = (*LESSORS.column_names, *LESSOR_PARTY_COLUMNS)
ASSET_COLUMNS = (*ASSETS.column_names, *ASSET_PARTY_COLUMNS)
CONTRACT_COLUMNS = (*CONTRACTS.column_names, "lease_type", *CONTRACT_PARTY_COLUMNS)
GROUND_TRUTH_COLUMNS = (
    "case_id", "kind", "lessor", "asset_id", "contract_no", "other_lessor", "other_asset_id", "field",
    "original_value", "altered_value", "alterations",
)  # fmt: skip


def text(values: np.ndarray) -> pl.Series:
    """A string column in which the empty string means "no value" (written as an empty field)."""
    series = pl.Series(values.tolist() if values.dtype == object else values, dtype=pl.String)
    return series.replace("", None)


def write(frame: pl.DataFrame, path: Path) -> None:
    frame.write_csv(path, date_format="%Y-%m-%d", null_value="")


def file_paths(out_dir: Path) -> dict[str, Path]:
    return {name: out_dir / f"{name}.csv" for name in FILE_NAMES}
