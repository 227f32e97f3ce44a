"""The book as data-contract CSV files: UTF-8 with a header, yuan with two decimals, ISO dates, true/false."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

FILE_NAMES = ("lessors", "contracts", "assets", "payments", "valuations", "ground_truth", "contract_outcomes")
ASSET_COLUMNS = (
    "asset_id", "lessor", "asset_type", "vin", "serial_no", "engine_no", "manufacturer", "model", "invoice_no",
    "invoice_code", "invoice_amount", "invoice_date", "purchase_contract_no", "lessee_id", "lessee_name",
    "contract_no", "registered_at",
)  # fmt: skip
CONTRACT_COLUMNS = (
    "contract_no", "lessor", "lessee_id", "lessee_name", "lessee_type", "group_id", "related_party", "industry",
    "start_date", "term_months", "principal", "annual_rate", "method", "frequency", "residual_value", "deposit",
    "lease_type", "first_due_date", "restructured_date",
)  # fmt: skip
GROUND_TRUTH_COLUMNS = (
    "case_id", "kind", "lessor", "asset_id", "contract_no", "other_lessor", "other_asset_id", "field",
    "original_value", "altered_value", "alterations",
)  # fmt: skip


def yuan(fen: pl.Expr) -> pl.Expr:
    """Integer fen as yuan with two decimals: 12345670 -> "123456.70", -5 -> "-0.05"."""
    size = fen.abs()
    text = (size // 100).cast(pl.String) + "." + (size % 100).cast(pl.String).str.zfill(2)
    return pl.when(fen < 0).then("-" + text).otherwise(text)


def text(values: np.ndarray) -> pl.Series:
    """A string column in which the empty string means "no value" (written as an empty field)."""
    series = pl.Series(values.tolist() if values.dtype == object else values, dtype=pl.String)
    return series.replace("", None)


def write(frame: pl.DataFrame, path: Path) -> None:
    frame.write_csv(path, date_format="%Y-%m-%d", null_value="")


def file_paths(out_dir: Path) -> dict[str, Path]:
    return {name: out_dir / f"{name}.csv" for name in FILE_NAMES}
