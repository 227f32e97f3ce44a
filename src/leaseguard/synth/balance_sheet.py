"""A synthetic balance sheet consistent with a lessor's synthetic book on a day.

The lease assets are the book's claim balance; the other assets, the liabilities, the capital and the
liquidity items are drawn around it with the shape of a mid-sized leasing company (about 8× leverage), so
that the demo and the benchmark have every item a shipped rule set needs, and the parts add up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import polars as pl

from leaseguard.indicators.balance_sheet import BalanceSheet, Shareholder


def _share(rng: np.random.Generator, amount: int, low: float, high: float) -> int:
    return int(amount * rng.uniform(low, high))


# The concentration limits a synthetic lessor's capital is sized to stay inside (nfra-2024's, of net capital):
# the largest customer 30 %, group 50 %, related party 30 %, all related parties 50 %.
CONCENTRATION_LIMITS = {"customer": 0.30, "group": 0.50, "related_party": 0.30, "related_parties": 0.50}
# How much of a limit the largest exposure uses, drawn per lessor: inside, a warning now and then.
LIMIT_USE = (0.45, 0.95)


def book_exposures(book: pl.DataFrame) -> dict[str, int]:
    """The largest exposures of a lessor's book (as indicators.service.read_book gives it), in fen."""

    def largest(frame: pl.DataFrame, key: str) -> int:
        if frame.is_empty():
            return 0
        totals = frame.group_by(key).agg(pl.col("claim_balance_fen").sum())["claim_balance_fen"]
        return int(totals.cast(pl.Int64).max() or 0)  # type: ignore[arg-type]

    # As the indicators count them: a lessee with any related-party contract is a related party, all its
    # contracts count.
    related_ids = book.filter(pl.col("related_party")).select("lessee_id").unique()
    related = book.join(related_ids, on="lessee_id", how="semi")
    return {
        "customer": largest(book, "lessee_id"),
        "group": largest(book.filter(pl.col("group_id").is_not_null()), "group_id"),
        "related_party": largest(related, "lessee_id"),
        "related_parties": int(related["claim_balance_fen"].sum() or 0),
    }


def npl_balance(book: pl.DataFrame) -> int:
    """The claim balance of the book's non-performing contracts, in fen."""
    bad = book.filter(pl.col("class").is_in(["substandard", "doubtful", "loss"]))
    return int(bad["claim_balance_fen"].sum() or 0)


def synthetic_balance_sheet(
    lessor: str,
    as_of: dt.date,
    *,
    lease_receivables_fen: int,
    required_provisions_fen: int,
    shareholder_ids: tuple[str, ...] = (),
    seed: int = 42,
    largest_exposures: Mapping[str, int] | None = None,
    npl_balance_fen: int = 0,
) -> BalanceSheet:
    """A consistent balance sheet: total_assets is the sum of its parts, net_assets = assets − liabilities.

    With `largest_exposures` (book_exposures of the book), the capital is large enough that each largest
    exposure uses part of its concentration limit, as a licensed lessor's would; never more than half the
    assets, so a book too concentrated for any capital still shows its breach."""
    rng = np.random.default_rng(seed)
    lease = max(lease_receivables_fen, 100_000_000)
    cash = _share(rng, lease, 0.04, 0.08)
    interbank = _share(rng, lease, 0.01, 0.03)
    fixed_income = _share(rng, lease, 0.01, 0.02)
    other = _share(rng, lease, 0.02, 0.04)
    total_assets = lease + cash + interbank + fixed_income + other
    net_assets = _share(rng, total_assets, 0.11, 0.15)
    for kind, exposure in (largest_exposures or {}).items():
        use = rng.uniform(*LIMIT_USE)
        # Net capital is about 97 % of net assets here (tier 2 in, deductions out); aim at net assets.
        needed = int(exposure / (CONCENTRATION_LIMITS[kind] * use) / 0.97)
        net_assets = min(max(net_assets, needed), total_assets // 2)
    liabilities = total_assets - net_assets
    cet1 = _share(rng, net_assets, 0.92, 0.97)
    tier2 = _share(rng, net_assets, 0.05, 0.10)
    items = {
        "total_assets": total_assets,
        "lease_assets": lease,
        "cash_and_deposits": cash,
        "interbank_lending": interbank,
        "fixed_income_investments": fixed_income,
        "other_assets": other,
        "government_bonds": min(fixed_income, _share(rng, fixed_income, 0.3, 0.6)),
        "entrusted_lease_assets": 0,
        "total_liabilities": liabilities,
        "net_assets": net_assets,
        "cet1_capital": cet1,
        "additional_tier1_capital": 0,
        "tier2_capital": tier2,
        "capital_deductions": _share(rng, net_assets, 0.005, 0.02),
        "market_risk_capital": _share(rng, net_assets, 0.001, 0.005),
        "operational_risk_capital": _share(rng, net_assets, 0.02, 0.04),
        "other_risk_weighted_assets": _share(rng, interbank + fixed_income + other, 0.3, 0.6),
        "off_balance_exposure": _share(rng, lease, 0.0, 0.02),
        # Reserves above what the rules require and covering the non-performing claims 1.3-2.2 times over,
        # as licensed lessors report them.
        "loan_loss_reserves": max(
            int(required_provisions_fen * rng.uniform(1.1, 1.6)), _share(rng, lease, 0.026, 0.04),
            int(npl_balance_fen * rng.uniform(1.3, 2.2)),
        ),
        "liquid_assets": cash + interbank + _share(rng, lease, 0.05, 0.10),
        "liquid_liabilities": _share(rng, liabilities, 0.25, 0.40),
        "available_stable_funding": _share(rng, liabilities, 0.70, 0.85) + net_assets,
        "required_stable_funding": _share(rng, lease, 0.70, 0.85),
        "high_quality_liquid_assets": cash + _share(rng, fixed_income, 0.5, 0.9),
        "net_cash_outflows_30d": _share(rng, cash, 0.4, 0.8),
        "interbank_borrowing": _share(rng, net_assets, 0.3, 0.7),
    }  # fmt: skip
    holders = [
        Shareholder(sid, f"股东{n}", _share(rng, net_assets, 0.3, 0.5))
        for n, sid in enumerate(shareholder_ids, 1)
    ]
    return BalanceSheet(lessor, as_of, items, tuple(holders), source=f"synthetic balance sheet (seed {seed})")
