"""The page that opens the analytics: the book's size, NPL ratio and provision coverage on the day, how many
contracts moved class since the day compared with, and the largest of those moves. Pure: frames in, figures
out; amounts stay integer fen and ratios exact until they are shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl

from leaseguard.vocabulary import CLASSES


@dataclass(frozen=True)
class Mover:
    """A contract whose class changed between the two days, with its claim balance on the later one."""

    contract_no: str
    from_class: str
    to_class: str
    claim_balance_fen: int

    @property
    def downgraded(self) -> bool:
        return CLASSES.index(self.to_class) > CLASSES.index(self.from_class)


@dataclass(frozen=True)
class BookSummary:
    as_of: dt.date
    contracts: int
    claim_balance_fen: int
    npl_claim_balance_fen: int
    provision_fen: int | None  # None when the stored classes carry no provisions
    compared_with: dt.date | None = None
    downgrades: int = 0
    upgrades: int = 0
    downgraded_balance_fen: int = 0
    upgraded_balance_fen: int = 0
    movers: list[Mover] = field(default_factory=list)

    @property
    def npl_ratio(self) -> Decimal | None:
        """Non-performing claim balance over all claim balance (不良率)."""
        if not self.claim_balance_fen:
            return None
        return Decimal(self.npl_claim_balance_fen) / Decimal(self.claim_balance_fen)

    @property
    def provision_coverage(self) -> Decimal | None:
        """Provisions over the non-performing claim balance (拨备覆盖率); None without NPL or provisions."""
        if self.provision_fen is None or not self.npl_claim_balance_fen:
            return None
        return Decimal(self.provision_fen) / Decimal(self.npl_claim_balance_fen)


def book_summary(
    as_of: dt.date,
    book: pl.DataFrame,
    npl_classes: list[str],
    *,
    earlier: pl.DataFrame | None = None,
    compared_with: dt.date | None = None,
    top_movers: int = 10,
) -> BookSummary:
    """`book`: one row per contract classified on `as_of` with class, claim_balance_fen and, where stored,
    provision_fen; `earlier`: contract_no, class on `compared_with`."""
    npl = pl.col("class").is_in(npl_classes)
    totals = book.select(
        pl.len().alias("contracts"),
        pl.col("claim_balance_fen").sum().alias("claim"),
        pl.col("claim_balance_fen").filter(npl).sum().alias("npl"),
        *([pl.col("provision_fen").sum().alias("provision")] if "provision_fen" in book.columns else []),
    ).row(0, named=True)
    summary = BookSummary(
        as_of, int(totals["contracts"]), int(totals["claim"] or 0), int(totals["npl"] or 0),
        int(totals["provision"] or 0) if "provision" in totals else None,
    )  # fmt: skip
    if earlier is None:
        return summary
    rank = {name: index for index, name in enumerate(CLASSES)}
    moved = (
        book.select("contract_no", pl.col("class").alias("to_class"), "claim_balance_fen")
        .join(earlier.select("contract_no", pl.col("class").alias("from_class")), on="contract_no")
        .filter(pl.col("from_class") != pl.col("to_class"))
        .with_columns(
            (
                pl.col("to_class").replace_strict(rank, return_dtype=pl.Int32)
                - pl.col("from_class").replace_strict(rank, return_dtype=pl.Int32)
            ).alias("_step")
        )
    )
    down, up = moved.filter(pl.col("_step") > 0), moved.filter(pl.col("_step") < 0)
    largest = moved.sort(["claim_balance_fen", "contract_no"], descending=[True, False]).head(top_movers)
    return BookSummary(
        summary.as_of, summary.contracts, summary.claim_balance_fen, summary.npl_claim_balance_fen,
        summary.provision_fen, compared_with, down.height, up.height, int(down["claim_balance_fen"].sum()),
        int(up["claim_balance_fen"].sum()),
        [
            Mover(row["contract_no"], row["from_class"], row["to_class"], int(row["claim_balance_fen"]))
            for row in largest.iter_rows(named=True)
        ],
    )  # fmt: skip
