"""The quantities an indicator may name: what each means, where it comes from, and whether it may be absent.

A rule set's numerators and denominators are arithmetic over these names and nothing else, so a rule set that
refers to a quantity this module does not define is refused when it is loaded, not when a report is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Source = Literal["balance_sheet", "book", "derived"]


@dataclass(frozen=True)
class Quantity:
    name: str
    source: Source
    meaning: str
    # A balance-sheet item with a default may be left out of the file (it is then 0); one without may not,
    # when a rule set needs it.
    default_zero: bool = False


BALANCE_SHEET_ITEMS: tuple[Quantity, ...] = (
    Quantity("total_assets", "balance_sheet", "Total assets (资产总额)."),
    Quantity("lease_assets", "balance_sheet", "Finance-lease assets, net (融资租赁资产); part of total assets."),
    Quantity("cash_and_deposits", "balance_sheet", "Cash and bank deposits (现金及银行存款); part of total assets."),
    Quantity("interbank_lending", "balance_sheet", "Interbank lending (拆出资金); part of total assets."),
    Quantity("fixed_income_investments", "balance_sheet",
             "Fixed-income securities investment (固定收益类投资); part of total assets.", True),
    Quantity("other_assets", "balance_sheet", "Every other asset; part of total assets.", True),
    Quantity("government_bonds", "balance_sheet", "Government bonds held (国债), within other assets.", True),
    Quantity("entrusted_lease_assets", "balance_sheet", "Entrusted lease assets (委托租赁资产).", True),
    Quantity("total_liabilities", "balance_sheet", "Total liabilities (负债总额)."),
    Quantity("net_assets", "balance_sheet", "Net assets (净资产) = total assets − total liabilities."),
    Quantity("cet1_capital", "balance_sheet", "Core tier 1 capital before deductions (核心一级资本)."),
    Quantity("additional_tier1_capital", "balance_sheet", "Other tier 1 capital (其他一级资本).", True),
    Quantity("tier2_capital", "balance_sheet", "Tier 2 capital (二级资本).", True),
    Quantity("capital_deductions", "balance_sheet",
             "Regulatory deductions (资本扣除项), all taken from core tier 1 capital.", True),
    Quantity("market_risk_capital", "balance_sheet", "Market-risk capital requirement (市场风险资本).", True),
    Quantity("operational_risk_capital", "balance_sheet",
             "Operational-risk capital requirement (操作风险资本)."),
    Quantity("other_risk_weighted_assets", "balance_sheet",
             "Risk-weighted assets outside the lease book (cash, interbank, investments), already weighted.", True),
    Quantity("off_balance_exposure", "balance_sheet",
             "Off-balance exposures after credit conversion (表外项目); weighted by risk weight off_balance.", True),
    Quantity("loan_loss_reserves", "balance_sheet", "Loss reserves actually booked (实际计提的减值准备)."),
    Quantity("liquid_assets", "balance_sheet", "Liquid assets (流动性资产)."),
    Quantity("liquid_liabilities", "balance_sheet", "Liquid liabilities (流动性负债)."),
    Quantity("available_stable_funding", "balance_sheet", "Available stable funding (可用的稳定资金)."),
    Quantity("required_stable_funding", "balance_sheet", "Required stable funding (所需的稳定资金)."),
    Quantity("high_quality_liquid_assets", "balance_sheet", "High-quality liquid assets (合格优质流动性资产)."),
    Quantity("net_cash_outflows_30d", "balance_sheet", "Net cash outflows over the next 30 days (未来30天现金净流出)."),
    Quantity("interbank_borrowing", "balance_sheet", "Interbank borrowing (同业拆入资金).", True),
)  # fmt: skip

# When some of these parts are given, all must be, and they must add up to total_assets.
TOTAL_ASSETS_PARTS = (
    "lease_assets",
    "cash_and_deposits",
    "interbank_lending",
    "fixed_income_investments",
    "other_assets",
)

DERIVED: tuple[Quantity, ...] = (
    Quantity("total_capital", "derived", "cet1_capital + additional_tier1_capital + tier2_capital."),
    Quantity("tier1_capital", "derived", "cet1_capital + additional_tier1_capital."),
    Quantity("net_capital", "derived", "Net capital (资本净额) = total_capital − capital_deductions."),
)

BOOK: tuple[Quantity, ...] = (
    Quantity("lease_receivables", "book", "Claim balance of every contract of the lessor on the day."),
    Quantity("npl_balance", "book", "Claim balance of substandard, doubtful and loss contracts."),
    Quantity("required_provisions", "book", "Provisions the classification rule set requires (sum of provision)."),
    Quantity("credit_rwa", "book",
             "Credit risk-weighted assets: the book weighted by risk-weights.yaml, plus residual values, the "
             "weighted off-balance exposure and other_risk_weighted_assets."),
    Quantity("largest_customer_exposure", "book", "Claim balance of the lessee with the largest one."),
    Quantity("largest_group_exposure", "book", "Claim balance of the group (group_id) with the largest one."),
    Quantity("largest_related_party_exposure", "book", "Claim balance of the largest related-party lessee."),
    Quantity("related_party_exposure", "book", "Claim balance of all related-party lessees together."),
    Quantity("top_shareholder_exposure", "book",
             "Exposure to the shareholder with the highest exposure / paid-in contribution."),
    Quantity("top_shareholder_contribution", "book", "Paid-in contribution of that same shareholder."),
)  # fmt: skip

QUANTITIES: dict[str, Quantity] = {q.name: q for q in (*BALANCE_SHEET_ITEMS, *DERIVED, *BOOK)}
ITEMS: dict[str, Quantity] = {q.name: q for q in BALANCE_SHEET_ITEMS}

# Which balance-sheet items a derived quantity reads, so a missing input is reported under its own name.
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "total_capital": ("cet1_capital", "additional_tier1_capital", "tier2_capital"),
    "tier1_capital": ("cet1_capital", "additional_tier1_capital"),
    "net_capital": ("cet1_capital", "additional_tier1_capital", "tier2_capital", "capital_deductions"),
    "credit_rwa": ("other_risk_weighted_assets", "off_balance_exposure"),
}
