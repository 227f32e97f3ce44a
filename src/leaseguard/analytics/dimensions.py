"""The dimensions NPL ratios are cut by: lessor, industry, region, asset type and product.

region: a contract's own `region` (province code, or a 6-digit division code whose first two digits are the
province), else the province of the lessee's identifier: digits 3-8 of a unified social credit code and
digits 1-6 of a resident ID are the administrative division (GB/T 2260) where it was issued.
product: a contract's own `product`, else its lease type (direct, sale_leaseback).
"""

from __future__ import annotations

import polars as pl


def province_of_lessee(lessee_id: pl.Expr, lessee_type: pl.Expr) -> pl.Expr:
    """Two-digit province code from the identifier, or null when the identifier gives none."""
    identifier = lessee_id.str.strip_chars()
    enterprise = identifier.str.slice(2, 2)
    individual = identifier.str.slice(0, 2)
    code = pl.when(lessee_type == "enterprise").then(enterprise).otherwise(individual)
    return pl.when((identifier.str.len_chars() == 18) & code.str.contains(r"^[1-8][0-9]$")).then(code)


def region_name(code: pl.Expr, provinces: dict[str, str]) -> pl.Expr:
    """'31 Shanghai' for a known province code, the code itself for any other."""
    return code.replace({province: f"{province} {name}" for province, name in provinces.items()})


def with_dimensions(contracts: pl.DataFrame, provinces: dict[str, str]) -> pl.DataFrame:
    """`contracts` (contract_no, lessor, lessee_id, lessee_type, industry, and where known region, product,
    lease_type, asset_type) with region, product and asset_type filled in as far as the data allows."""
    frame = contracts
    for column in ("region", "product", "lease_type", "asset_type", "industry"):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(column))
    given_region = pl.col("region").cast(pl.String).str.strip_chars().str.slice(0, 2)
    region_code = (
        pl.when(pl.col("region").is_not_null() & (pl.col("region").cast(pl.String).str.strip_chars() != ""))
        .then(given_region)
        .otherwise(province_of_lessee(pl.col("lessee_id"), pl.col("lessee_type")))
    )
    return frame.with_columns(
        region_name(region_code, provinces).alias("region"),
        pl.coalesce(pl.col("product").cast(pl.String), pl.col("lease_type").cast(pl.String)).alias("product"),
    )
