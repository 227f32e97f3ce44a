"""Worked examples of every indicator of every shipped rule set, computed by hand from a six-contract book.

The book (yuan; claim = claim balance on the day):

    contract lessee type        size   group related class        claim     provision residual
    C1       A      enterprise  —      G1    no      normal       300,000        0     10,000
    C2       B      enterprise  sme    G1    yes     normal       200,000        0          0
    C3       B      enterprise  sme    G1    no      substandard  100,000   25,000          0
    C4       D      individual  —      —     no      normal        50,000        0          0
    C5       E      enterprise  small  —     no      loss          40,000   40,000      5,000
    C6       F      enterprise  —      —     no      normal             0        0      8,000  (paid off)

Book quantities:
    lease_receivables   = 300,000 + 200,000 + 100,000 + 50,000 + 40,000 + 0 = 690,000
    npl_balance         = C3 + C5 = 100,000 + 40,000 = 140,000
    required_provisions = 25,000 + 40,000 = 65,000
    credit_rwa          = C1 300,000×1.00 + C2 200,000×0.85 + C3 100,000×1.50 (defaulted) + C4 50,000×0.75
                          + C5 40,000×1.50 (defaulted beats small-micro) + residual (C1 10,000 + C5 5,000; C6 is
                          paid off) ×1.00 + off_balance_exposure 20,000×1.00 + other_risk_weighted_assets 52,500
                        = 300,000 + 170,000 + 150,000 + 37,500 + 60,000 + 15,000 + 20,000 + 52,500 = 805,000
    customers: A 300,000; B 200,000 + 100,000 = 300,000 (B is in group G1 AND a related party); D 50,000; E 40,000
    largest_customer_exposure = 300,000 (A and B tie)
    largest_group_exposure    = G1 = A + B = 600,000
    related parties: B (C2 is flagged, so all of B's contracts count) → largest = all = 300,000
    shareholders: B paid in 250,000 (exposure 300,000, ratio 1.2); S2 paid in 1,000,000 with 100,000 other
                  exposure (ratio 0.1) → top_shareholder_exposure 300,000, contribution 250,000

Balance sheet (BALANCE below): total assets 1,000,000 = 690,000 + 60,000 + 20,000 + 30,000 + 200,000;
liabilities 880,000; net assets 120,000; CET1 100,000, AT1 5,000, T2 15,000 → total capital 120,000,
tier 1 105,000; deductions 4,000 → net capital 116,000. CAR denominator = 805,000 + 12.5×2,000 + 12.5×8,000
= 930,000. Warning margin 10% of the limit throughout.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from leaseguard.indicators.balance_sheet import BalanceSheetError, parse_balance_sheet
from leaseguard.indicators.engine import (
    BOOK_SCHEMA,
    IndicatorReport,
    MissingInputError,
    NewContract,
    compute_report,
    with_contract,
)
from leaseguard.indicators.rules import (
    SHIPPED,
    IndicatorRulesError,
    load_risk_weights,
    load_rule_set,
    parse_rule_set,
)

DAY = dt.date(2026, 10, 31)
BOOK_ROWS = [
    ("C1", "A", "enterprise", None, "G1", False, "normal", 300_000, 0, 10_000),
    ("C2", "B", "enterprise", "sme", "G1", True, "normal", 200_000, 0, 0),
    ("C3", "B", "enterprise", "sme", "G1", False, "substandard", 100_000, 25_000, 0),
    ("C4", "D", "individual", None, None, False, "normal", 50_000, 0, 0),
    ("C5", "E", "enterprise", "small", None, False, "loss", 40_000, 40_000, 5_000),
    ("C6", "F", "enterprise", None, None, False, "normal", 0, 0, 8_000),
]
BALANCE = """
lessor: L001
as_of: 2026-10-31
items:
  total_assets: 1000000.00
  lease_assets: 690000
  cash_and_deposits: 60000
  interbank_lending: 20000
  fixed_income_investments: 30000
  other_assets: 200000
  government_bonds: 10000
  total_liabilities: 880000
  net_assets: 120000
  cet1_capital: 100000
  additional_tier1_capital: 5000
  tier2_capital: 15000
  capital_deductions: 4000
  market_risk_capital: 2000
  operational_risk_capital: 8000
  other_risk_weighted_assets: 52500
  off_balance_exposure: 20000
  loan_loss_reserves: 150000
  liquid_assets: 81000
  liquid_liabilities: 300000
  available_stable_funding: 800000
  required_stable_funding: 700000
  high_quality_liquid_assets: 70000
  net_cash_outflows_30d: 60000
  interbank_borrowing: 50000
shareholders:
  - {id: B, name: Shareholder B, paid_in_contribution: 250000}
  - {id: S2, name: Shareholder 2, paid_in_contribution: 1000000, other_exposure: 100000}
"""


def book(rows: list[tuple[object, ...]] = BOOK_ROWS) -> pl.DataFrame:
    columns = ["contract_no", "lessee_id", "lessee_type", "enterprise_size", "group_id", "related_party", "class",
               "claim_balance_fen", "provision_fen", "residual_value_fen"]  # fmt: skip
    frame = pl.DataFrame(rows, schema=columns, orient="row").with_columns(
        *(pl.col(c) * 100 for c in ("claim_balance_fen", "provision_fen", "residual_value_fen")),
        lessee_name=pl.concat_str(pl.lit("Lessee "), pl.col("lessee_id")),
    )
    return frame.select(list(BOOK_SCHEMA)).cast(BOOK_SCHEMA)


def report(
    rules: str, text: str = BALANCE, rows: list[tuple[object, ...]] = BOOK_ROWS, **kw: object
) -> IndicatorReport:
    sheet = parse_balance_sheet(text, "bs.yaml", draft=bool(kw.get("draft", False)))
    return compute_report(load_rule_set(rules), sheet, book(rows), load_risk_weights(), as_of=DAY, **kw)  # type: ignore[arg-type]


def by_id(result: IndicatorReport) -> dict[str, object]:
    return {r.id: r for r in result.results}


def check(result: IndicatorReport, expected: dict[str, tuple[int | None, int | None, str]]) -> None:
    """Every indicator of the rule set is in `expected` as (numerator yuan, denominator yuan, status)."""
    got = by_id(result)
    assert set(got) == set(expected)
    for ident, (num, den, status) in expected.items():
        r = got[ident]
        assert r.status == status, (ident, r.status, r.value)  # type: ignore[attr-defined]
        if num is not None and den is not None:
            assert r.numerator == Decimal(num) * 100 and r.denominator == Decimal(den) * 100, ident  # type: ignore[attr-defined]
            assert r.value == Decimal(num) / Decimal(den), ident  # type: ignore[attr-defined]


def test_every_shipped_rule_set_loads_with_clauses_marked_unverified() -> None:
    for name in SHIPPED:
        rule_set = load_rule_set(name)
        assert rule_set.indicators and all(i.spec.clause for i in rule_set.indicators)
        # The regulations are not on this machine: nothing may claim to have been checked.
        assert not any(i.spec.verified for i in rule_set.indicators)


def test_leasing_indicators_trial_worked_example() -> None:
    """cet1 (100,000 − 4,000)/930,000 = 10.32% ≥ 5% ok; tier 1 (105,000 − 4,000)/930,000 = 10.86% ok;
    CAR (120,000 − 4,000)/930,000 = 12.47% ok; CET1 share 100,000/120,000 = 83.3% ≥ 75% (headroom 8.3 points
    ≥ 7.5) ok; NPL 140,000/690,000 = 20.3% reported without limit; coverage 150,000/140,000 = 107.1% < 150%
    breach; adequacy 150,000/65,000 = 230.8% ok; liquidity 81,000/300,000 = 27% ≥ 25% but headroom 2 points
    < 2.5 → warning; NSFR 800,000/700,000 = 114.3% ok; LCR 70,000/60,000 = 116.7% ok."""
    result = report("leasing-indicators-trial")
    check(result, {
        "cet1_ratio": (96_000, 930_000, "ok"), "tier1_ratio": (101_000, 930_000, "ok"),
        "car": (116_000, 930_000, "ok"), "cet1_share_of_capital": (100_000, 120_000, "ok"),
        "npl_ratio": (140_000, 690_000, "no_limit"), "provision_coverage": (150_000, 140_000, "breach"),
        "provision_adequacy": (150_000, 65_000, "ok"), "liquidity_ratio": (81_000, 300_000, "warning"),
        "nsfr": (800_000, 700_000, "ok"), "lcr": (70_000, 60_000, "ok"),
    })  # fmt: skip
    got = by_id(result)
    # Headroom in money: coverage needs 1.5 × 140,000 = 210,000 of reserves, 60,000 more than booked.
    assert got["provision_coverage"].headroom_amount_fen == Decimal(-60_000_00)  # type: ignore[attr-defined]
    assert got["liquidity_ratio"].headroom == Decimal("0.02")  # type: ignore[attr-defined]
    assert [a.id for a in result.alerts()] == ["provision_coverage", "liquidity_ratio"]
    assert result.quantities["credit_rwa"] == Decimal(805_000_00)


def test_nfra_2024_worked_example() -> None:
    """CAR 116,000/930,000 ok; leverage (105,000 − 4,000)/(1,000,000 + 20,000) = 9.9% ≥ 6% ok; multiple
    1,000,000/120,000 = 8.33 ≤ 10 (headroom 1.67 ≥ 1.0) ok; coverage 107.1% ≥ 100% but headroom 7.1 < 10 points
    → warning; provision rate 150,000/690,000 = 21.7% ok; single customer 300,000/116,000 = 258.6% breach; group
    G1 600,000/116,000 breach; single related (B) 300,000/116,000 breach; all related the same; shareholder B
    300,000/250,000 = 120% breach; interbank borrowing 50,000/116,000 = 43.1% ok and lending 20,000/116,000 =
    17.2% ok; core tier 1 96,000/930,000 = 10.3% and tier 1 101,000/930,000 = 10.9%, both above their
    minimum plus the 2.5 % buffer (7.5 %, 8.5 %), ok; fixed income 30,000/116,000 = 25.9% > 20%
    breach; liquidity ratio and LCR have no limit yet."""
    result = report("nfra-2024")
    check(result, {
        "cet1_ratio": (96_000, 930_000, "ok"), "tier1_ratio": (101_000, 930_000, "ok"),
        "interbank_lending": (20_000, 116_000, "ok"),
        "car": (116_000, 930_000, "ok"), "leverage_ratio": (101_000, 1_020_000, "ok"),
        "financial_leverage_multiple": (1_000_000, 120_000, "ok"),
        "provision_coverage": (150_000, 140_000, "warning"), "lease_provision_rate": (150_000, 690_000, "ok"),
        "single_customer_concentration": (300_000, 116_000, "breach"),
        "single_group_concentration": (600_000, 116_000, "breach"),
        "single_related_party": (300_000, 116_000, "breach"), "all_related_parties": (300_000, 116_000, "breach"),
        "single_shareholder": (300_000, 250_000, "breach"), "interbank_borrowing": (50_000, 116_000, "ok"),
        "fixed_income_investment": (30_000, 116_000, "breach"),
        "liquidity_ratio": (81_000, 300_000, "no_limit"), "lcr": (70_000, 60_000, "no_limit"),
    })  # fmt: skip
    got = by_id(result)
    customers = got["single_customer_concentration"].contributors  # type: ignore[attr-defined]
    assert [(c.key, c.exposure_fen) for c in customers] == [
        ("A", 300_000_00),
        ("B", 300_000_00),
        ("D", 50_000_00),
        ("E", 40_000_00),
    ]
    assert [c.key for c in got["single_group_concentration"].contributors] == ["G1"]  # type: ignore[attr-defined]
    assert [c.key for c in got["single_related_party"].contributors] == ["B"]  # type: ignore[attr-defined]
    assert [(c.key, c.exposure_fen) for c in got["single_shareholder"].contributors] == [  # type: ignore[attr-defined]
        ("B", 300_000_00),
        ("S2", 100_000_00),
    ]


def test_cbirc_2020_worked_example() -> None:
    """Leasing share 690,000/1,000,000 = 69% ≥ 60% (headroom 9 ≥ 6 points) ok; risk assets (1,000,000 − 60,000
    cash − 10,000 government bonds − 0 entrusted)/120,000 = 7.75 ≤ 8, headroom 0.25 < 0.8 → warning; fixed income
    30,000/120,000 = 25% breach; customer 300,000/120,000, group 600,000/120,000, related 300,000/120,000 (single
    and all), shareholder 300,000/250,000: breaches (limits against net assets, not net capital)."""
    check(report("cbirc-2020"), {
        "leasing_assets_share": (690_000, 1_000_000, "ok"), "risk_assets_multiple": (930_000, 120_000, "warning"),
        "fixed_income_investment": (30_000, 120_000, "breach"),
        "single_customer_concentration": (300_000, 120_000, "breach"),
        "single_group_concentration": (600_000, 120_000, "breach"),
        "single_related_party": (300_000, 120_000, "breach"), "all_related_parties": (300_000, 120_000, "breach"),
        "single_shareholder": (300_000, 250_000, "breach"),
    })  # fmt: skip


def test_a_wider_margin_turns_an_ok_into_a_warning() -> None:
    """Leverage headroom 9.90% − 6% = 3.90 points: ok at a 10% margin (0.6 points), a warning at 70% (4.2
    points). A ratio with a buffer is judged by its buffer instead: CAR stays ok at any margin."""
    assert by_id(report("nfra-2024"))["leverage_ratio"].status == "ok"  # type: ignore[attr-defined]
    wide = by_id(report("nfra-2024", margin=Decimal("0.7")))
    assert wide["leverage_ratio"].status == "warning" and wide["car"].status == "ok"  # type: ignore[attr-defined]


def test_zero_denominators() -> None:
    """No non-performing contract: coverage has no value and is ok (nothing to cover). Net assets 0: the
    leverage multiple is a breach. No risk-weighted assets at all: CAR is undefined, not a pass."""
    performing = [(*row[:6], "normal", *row[7:]) for row in BOOK_ROWS]
    got = by_id(report("nfra-2024", rows=performing))
    assert got["provision_coverage"].value is None and got["provision_coverage"].status == "ok"  # type: ignore[attr-defined]
    zero_net = BALANCE.replace("total_liabilities: 880000", "total_liabilities: 1000000").replace(
        "net_assets: 120000", "net_assets: 0"
    )
    got = by_id(report("nfra-2024", text=zero_net))
    assert got["financial_leverage_multiple"].status == "breach"  # type: ignore[attr-defined]
    assert "zero" in (got["financial_leverage_multiple"].note or "")  # type: ignore[attr-defined]
    no_rwa = (
        BALANCE.replace("other_risk_weighted_assets: 52500", "other_risk_weighted_assets: 0")
        .replace("off_balance_exposure: 20000", "off_balance_exposure: 0")
        .replace("market_risk_capital: 2000", "market_risk_capital: 0")
        .replace("operational_risk_capital: 8000", "operational_risk_capital: 0")
    )
    got = by_id(report("nfra-2024", text=no_rwa, rows=[BOOK_ROWS[-1]]))
    assert got["car"].status == "undefined" and got["car"].value is None  # type: ignore[attr-defined]


def test_negative_capital_is_a_breach_everywhere_it_counts() -> None:
    """CET1 −150,000: total capital −150,000 + 5,000 + 15,000 = −130,000, net capital −134,000. CAR
    −134,000/930,000 < 8%: breach. Every limit against net capital has a negative denominator: breach."""
    text = BALANCE.replace("cet1_capital: 100000", "cet1_capital: -150000")
    got = by_id(report("nfra-2024", text=text))
    assert got["car"].value == Decimal(-134_000) / Decimal(930_000) and got["car"].status == "breach"  # type: ignore[attr-defined]
    for ident in ("single_customer_concentration", "interbank_borrowing", "fixed_income_investment"):
        assert got[ident].status == "breach" and got[ident].value is None, ident  # type: ignore[attr-defined]


def test_change_since_the_last_report() -> None:
    previous = {"car": Decimal("0.1"), "lcr": None}
    got = by_id(report("nfra-2024", previous=previous, previous_as_of=dt.date(2026, 9, 30)))
    assert got["car"].change == Decimal(116_000) / Decimal(930_000) - Decimal("0.1")  # type: ignore[attr-defined]
    assert got["lcr"].change is None  # type: ignore[attr-defined]


def test_what_if_moves_the_customer_and_the_balance_sheet() -> None:
    """Funding 100,000 to A (group G1) with borrowed money: A's exposure 400,000, G1 700,000, total assets
    1,100,000 and liabilities 980,000, net assets unchanged: multiple 1,100,000/120,000 = 9.17."""
    sheet = parse_balance_sheet(BALANCE, "bs.yaml")
    new = NewContract("A", "Lessee A", "enterprise", 100_000_00, group_id="G1")
    after_book, after_sheet = with_contract(book(), sheet, new)
    got = by_id(
        compute_report(load_rule_set("nfra-2024"), after_sheet, after_book, load_risk_weights(), as_of=DAY)
    )
    assert got["single_customer_concentration"].numerator == Decimal(400_000_00)  # type: ignore[attr-defined]
    assert got["single_group_concentration"].numerator == Decimal(700_000_00)  # type: ignore[attr-defined]
    assert got["financial_leverage_multiple"].value == Decimal(1_100_000) / Decimal(120_000)  # type: ignore[attr-defined]
    # CAR's RWA grows by 100,000 × 100% (corporate): 116,000 / 1,030,000.
    assert got["car"].value == Decimal(116_000) / Decimal(1_030_000)  # type: ignore[attr-defined]


def test_a_missing_item_is_named_with_the_indicators_that_need_it() -> None:
    text = BALANCE.replace("  loan_loss_reserves: 150000\n", "")
    with pytest.raises(MissingInputError, match=r"item loan_loss_reserves is missing.*provision_coverage"):
        report("nfra-2024", text=text)
    drafted = report("nfra-2024", text=text, draft=True)
    got = by_id(drafted)
    assert drafted.draft and got["provision_coverage"].status == "missing_input"  # type: ignore[attr-defined]
    assert got["car"].status == "ok"  # type: ignore[attr-defined]
    # cbirc-2020 does not need it, so the same file is complete for it.
    assert not report("cbirc-2020", text=text).draft


def test_a_balance_sheet_without_shareholders_cannot_pass_the_shareholder_limit() -> None:
    text = BALANCE.split("shareholders:")[0]
    with pytest.raises(MissingInputError, match=r"item shareholders is missing.*single_shareholder"):
        report("cbirc-2020", text=text)
    assert by_id(report("cbirc-2020", text=text, draft=True))["single_shareholder"].status == "missing_input"  # type: ignore[attr-defined]


def test_inconsistent_totals_are_refused_unless_drafted() -> None:
    text = BALANCE.replace("other_assets: 200000", "other_assets: 200000.01")
    with pytest.raises(
        BalanceSheetError, match=r"bs.yaml: total_assets 1,000,000.00 is not the sum of its parts"
    ):
        parse_balance_sheet(text, "bs.yaml")
    assert parse_balance_sheet(text, "bs.yaml", draft=True).problems
    with pytest.raises(
        BalanceSheetError, match=r"net_assets 120,001.00 is not total_assets − total_liabilities = 120,000.00"
    ):
        parse_balance_sheet(BALANCE.replace("net_assets: 120000", "net_assets: 120001"), "bs.yaml")
    with pytest.raises(BalanceSheetError, match=r"part.s. cash_and_deposits are missing"):
        parse_balance_sheet(BALANCE.replace("  cash_and_deposits: 60000\n", ""), "bs.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("cet1_capital: 100000", "cet1_capital: 100000.001"),
            "item cet1_capital：'?100000.001'? 的小数超过 2 位",
        ),
        (("cet1_capital: 100000", "cet1_capital: lots"), "item cet1_capital：'lots' 不是以元为单位的金额"),
        (("cet1_capital: 100000", "cet1_capitel: 100000"), "item cet1_capitel: unknown item"),
        (("lessor: L001\n", ""), "lessor: missing"),
    ],
)
def test_bad_balance_sheet_items_are_named(change: tuple[str, str], message: str) -> None:
    with pytest.raises(BalanceSheetError, match=message):
        parse_balance_sheet(BALANCE.replace(*change), "bs.yaml")


def test_amounts_are_parsed_to_the_fen_exactly() -> None:
    sheet = parse_balance_sheet(BALANCE.replace("tier2_capital: 15000", "tier2_capital: '14999.99'").replace(
        "other_assets: 200000", "other_assets: 199999.99").replace(
        "cash_and_deposits: 60000", "cash_and_deposits: 60000.01"), "bs.yaml")  # fmt: skip
    assert sheet.items["tier2_capital"] == 1_499_999 and sheet.items["other_assets"] == 19_999_999
    assert sheet.items["cash_and_deposits"] == 6_000_001


def test_rule_set_errors_name_the_file_indicator_and_reason(tmp_path: Path) -> None:
    shipped = (Path(__file__).parents[1] / "src/leaseguard/defaults/indicators/nfra-2024.yaml").read_text(
        "utf-8"
    )
    with pytest.raises(IndicatorRulesError) as caught:
        parse_rule_set(
            shipped.replace("numerator: total_capital - capital_deductions", "numerator: total_capitel"),
            "x.yaml",
        )
    assert "x.yaml: indicator car: numerator: refers to the quantity 'total_capitel'" in caught.value.text(
        "en"
    )
    with pytest.raises(IndicatorRulesError) as caught:
        parse_rule_set(shipped.replace('comparison: ">="', 'comparison: ">"', 1), "x.yaml")
    assert "indicator cet1_ratio: comparison" in caught.value.text("en")
    with pytest.raises(IndicatorRulesError, match="only \\+ − × are allowed"):
        parse_rule_set(
            shipped.replace("numerator: total_assets\n", "numerator: total_assets / 2\n"), "x.yaml"
        )
    with pytest.raises(IndicatorRulesError, match="unknown rule set 'nfra-2025'"):
        load_rule_set("nfra-2025")
    # A user's own rule set loads from a file without touching code.
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        shipped.replace("id: nfra-2024", "id: my-rules").replace("threshold: 0.08", "threshold: 0.13"),
        "utf-8",
    )
    got = by_id(
        compute_report(
            load_rule_set(str(mine)),
            parse_balance_sheet(BALANCE, "b"),
            book(),
            load_risk_weights(),
            as_of=DAY,
        )
    )
    assert got["car"].status == "breach"  # type: ignore[attr-defined]


def test_risk_weights_are_data(tmp_path: Path) -> None:
    """Retail at 100% instead of 75%: RWA grows by 50,000 × 0.25 = 12,500 to 817,500."""
    shipped = (Path(__file__).parents[1] / "src/leaseguard/defaults/indicators/risk-weights.yaml").read_text(
        "utf-8"
    )
    path = tmp_path / "w.yaml"
    path.write_text(shipped.replace("regulatory_retail: 0.75", "regulatory_retail: 1.00"), "utf-8")
    sheet = parse_balance_sheet(BALANCE, "b")
    result = compute_report(load_rule_set("nfra-2024"), sheet, book(), load_risk_weights(path), as_of=DAY)
    assert result.quantities["credit_rwa"] == Decimal(817_500_00)
    path.write_text(shipped.replace("  residual_value: 1.00", ""), "utf-8")
    with pytest.raises(IndicatorRulesError, match="residual_value"):
        load_risk_weights(path)


def test_draft_report_carries_its_problems() -> None:
    text = BALANCE.replace("other_assets: 200000", "other_assets: 1")
    result = report("cbirc-2020", text=text, draft=True)
    assert result.draft and any("total_assets" in p for p in result.problems)
    # The indicators are still computed from what the file says.
    assert by_id(result)["leasing_assets_share"].denominator == Decimal(1_000_000_00)  # type: ignore[attr-defined]
