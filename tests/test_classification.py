"""Five-category classification: every boundary of both shipped rule sets, collateral, contagion, provisions,
and rule-set files that are refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from book_frames import positions
from leaseguard.classification.classify import classify, collateral_on
from leaseguard.classification.reasons import render
from leaseguard.classification.rules import RuleSet, RuleSetError, load_rule_set

DAY = dt.date(2026, 6, 30)
TRIAL = load_rule_set("leasing-indicators-trial")
CBIRC = load_rule_set("cbirc-2023")


def _classes(rules_id: str, dpds: list[int]) -> list[str]:
    frame = positions(DAY, *({"contract_no": f"C{d}", "dpd": d} for d in dpds))
    result = classify(frame, load_rule_set(rules_id))
    return [result.filter(pl.col("contract_no") == f"C{d}")["class"].item() for d in dpds]


def test_trial_bands_count_the_day_itself() -> None:
    # "以上" includes the number: 90 days is substandard, 180 doubtful, 360 loss.
    assert _classes("leasing-indicators-trial", [0, 89, 90, 179, 180, 359, 360, 361]) == [
        "normal", "normal", "substandard", "substandard", "doubtful", "doubtful", "loss", "loss",
    ]  # fmt: skip


def test_cbirc_bands_exclude_the_day_itself() -> None:
    # "超过" excludes the number; any amount overdue is special mention.
    assert _classes("cbirc-2023", [0, 1, 90, 91, 270, 271, 360, 361]) == [
        "normal", "special_mention", "special_mention", "substandard", "substandard", "doubtful", "doubtful",
        "loss",
    ]  # fmt: skip


def test_provisions_by_class_exact_to_the_fen() -> None:
    frame = positions(
        DAY,
        {"contract_no": "A", "dpd": 30, "outstanding_principal_fen": 1_000_001},
        {"contract_no": "B", "dpd": 100, "outstanding_principal_fen": 1_000_001},
        {"contract_no": "C", "dpd": 0, "outstanding_principal_fen": 1_000_001},
    )
    result = {r["contract_no"]: r for r in classify(frame, CBIRC).iter_rows(named=True)}
    assert result["A"]["provision_fen"] == 20_000  # 2 % of 1,000,001 fen, rounded half up
    assert result["B"]["provision_fen"] == 250_000
    assert result["C"]["provision_fen"] == 0
    assert result["B"]["deciding_rule"] == "overdue-over-90"


def _valuations(*rows: tuple[str, dt.date, int]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"contract_no": c, "asset_id": "A-" + c, "valuation_date": d, "disposal_value_fen": v}
            for c, d, v in rows
        ],
        schema={
            "contract_no": pl.String,
            "asset_id": pl.String,
            "valuation_date": pl.Date,
            "disposal_value_fen": pl.Int64,
        },
    )


def test_collateral_below_half_of_the_claim_is_non_performing_with_full_provision() -> None:
    frame = positions(
        DAY,
        {"contract_no": "LOW", "outstanding_principal_fen": 1_000_000},
        {"contract_no": "HALF", "outstanding_principal_fen": 1_000_000},
        {"contract_no": "FELL", "outstanding_principal_fen": 1_000_000},
        {"contract_no": "OLD", "outstanding_principal_fen": 1_000_000},
    )
    collateral = collateral_on(
        _valuations(
            ("LOW", dt.date(2026, 3, 1), 499_999),
            ("HALF", dt.date(2026, 3, 1), 500_000),
            ("FELL", dt.date(2025, 9, 1), 2_000_000),
            ("FELL", dt.date(2026, 3, 1), 1_600_000),  # down 20 %
            ("OLD", dt.date(2025, 6, 29), 2_000_000),  # 366 days old
        ),
        DAY,
    )
    result = {
        r["contract_no"]: r for r in classify(frame, TRIAL, collateral=collateral).iter_rows(named=True)
    }
    assert result["LOW"]["class"] == "substandard"
    assert result["LOW"]["deciding_rule"] == "disposal-below-half-of-claim"
    assert result["LOW"]["provision_fen"] == 1_000_000  # 并计提全额准备: the whole claim balance
    assert result["HALF"]["class"] == "normal"
    assert result["FELL"]["class"] == "special_mention"
    assert result["FELL"]["deciding_rule"] == "asset-value-fall"
    assert result["OLD"]["class"] == "normal" and "valuation-stale age=366" in result["OLD"]["reasons"]


def test_contagion_makes_all_claims_of_an_enterprise_non_performing() -> None:
    frame = positions(
        DAY,
        {"contract_no": "E1", "lessee_id": "ENT", "dpd": 120, "outstanding_principal_fen": 110},
        {"contract_no": "E2", "lessee_id": "ENT", "outstanding_principal_fen": 890},
        {"contract_no": "F1", "lessee_id": "FIRM", "dpd": 120, "outstanding_principal_fen": 100},
        {
            "contract_no": "F2",
            "lessee_id": "FIRM",
            "outstanding_principal_fen": 900,
        },  # exactly 10 %: not more
        {"contract_no": "P1", "lessee_id": "PERSON", "dpd": 120, "outstanding_principal_fen": 500},
        {"contract_no": "P2", "lessee_id": "PERSON", "outstanding_principal_fen": 500},
    )
    types = pl.DataFrame(
        {"contract_no": ["E1", "E2", "F1", "F2", "P1", "P2"],
         "lessee_type": ["enterprise"] * 4 + ["individual"] * 2}
    )  # fmt: skip
    result = {r["contract_no"]: r for r in classify(frame, CBIRC, lessee_types=types).iter_rows(named=True)}
    assert result["E2"]["class"] == "substandard" and result["E2"]["deciding_rule"] == "lessee-npl-contagion"
    assert result["F2"]["class"] == "normal"
    assert result["P2"]["class"] == "normal"  # retail lessees are classified contract by contract


def test_settled_contracts_are_normal_without_provision() -> None:
    frame = positions(
        DAY, {"contract_no": "S", "status": "settled", "dpd": 0, "outstanding_principal_fen": 0}
    )
    row = classify(frame, CBIRC).row(0, named=True)
    assert (row["class"], row["provision_fen"]) == ("normal", 0)


BANDS = """id: broken
version: 1
dpd_bands:
{bands}
provision_rates: {{normal: 0, special_mention: 0.02, substandard: 0.25, doubtful: 0.5, loss: 1}}
general_reserve_rate: 0.015
"""


@pytest.mark.parametrize(
    ("bands", "chinese", "english"),
    [
        ("  - {rule: a, from: 0, to: 90, class: normal}\n  - {rule: b, from: 91, to: null, class: loss}",
         "rule b：逾期天数区间在 90 天到 91 天之间有空缺", "rule b: a gap in the DPD bands from 90 to 91 days"),
        ("  - {rule: a, from: 0, to: 90, class: normal}\n  - {rule: b, from: 80, to: null, class: loss}",
         "rule b：与规则 a 重叠（80 < 90 天）", "rule b: overlaps rule a (80 < 90 days)"),
        ("  - {rule: a, from: 5, to: null, class: normal}", "rule a：第一个逾期天数区间必须从 0 天开始",
         "rule a: the first band must start at 0"),
        ("  - {rule: a, from: 0, to: null, class: bad}", "rule a：class 'bad' 不是 normal",
         "rule a: class 'bad' is not one of"),
    ],
)  # fmt: skip
def test_a_rule_set_with_a_gap_an_overlap_or_an_unknown_class_is_refused(
    tmp_path: Path, bands: str, chinese: str, english: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BANDS.format(bands=bands), encoding="utf-8")
    with pytest.raises(RuleSetError) as error:
        load_rule_set(str(path))
    assert str(path) in str(error.value) and chinese in str(error.value)
    assert str(path) in error.value.text("en") and english in error.value.text("en")


def test_non_performing_contracts_upgrade_only_after_arrears_are_cleared_and_two_periods_paid() -> None:
    frame = positions(
        DAY,
        {"contract_no": "ONE", "on_time_streak": 1},
        {"contract_no": "TWO", "on_time_streak": 2},
        {"contract_no": "SIX", "on_time_streak": 6},
        {"contract_no": "QUARTERLY_ONE", "on_time_streak": 1, "periods_per_year": 4},
        {"contract_no": "OWES", "dpd": 10, "overdue_amount_fen": 500, "on_time_streak": 0},
        {"contract_no": "QUARTERLY", "on_time_streak": 2, "periods_per_year": 4},
        {"contract_no": "WAS_OK", "on_time_streak": 0},
    )
    previous = pl.DataFrame(
        {"contract_no": ["ONE", "TWO", "SIX", "OWES", "QUARTERLY", "QUARTERLY_ONE", "WAS_OK"],
         "from_class": ["substandard", "doubtful", "loss", "substandard", "loss", "loss", "special_mention"]}
    )  # fmt: skip
    result = {r["contract_no"]: r for r in classify(frame, CBIRC, previous=previous).iter_rows(named=True)}
    assert (result["ONE"]["class"], result["ONE"]["deciding_rule"]) == (
        "substandard",
        "npl-upgrade-conditions",
    )
    # Monthly: two periods are two months, six months are longer: 按两者孰长 asks for six on-time instalments.
    assert (result["TWO"]["class"], result["TWO"]["deciding_rule"]) == (
        "substandard",
        "npl-upgrade-conditions",
    )
    assert result["SIX"]["class"] == "normal"
    assert result["OWES"]["class"] == "substandard"
    # Quarterly: two periods are six months, both met at once.
    assert result["QUARTERLY"]["class"] == "normal"
    assert result["QUARTERLY_ONE"]["class"] == "substandard"
    assert result["WAS_OK"]["class"] == "normal"


def test_an_npl_is_not_upgraded_while_the_lessee_has_another_npl_at_the_same_lessor() -> None:
    frame = positions(
        DAY,
        {"contract_no": "CURED", "lessee_id": "ENT", "lessor": "L01", "on_time_streak": 6},
        {"contract_no": "STILL_BAD", "lessee_id": "ENT", "lessor": "L01", "dpd": 200,
         "overdue_amount_fen": 5_000, "outstanding_principal_fen": 10},
        {"contract_no": "CURED_L02", "lessee_id": "ENT", "lessor": "L02", "on_time_streak": 6},
        {"contract_no": "BOTH_A", "lessee_id": "TWO", "lessor": "L01", "on_time_streak": 6},
        {"contract_no": "BOTH_B", "lessee_id": "TWO", "lessor": "L01", "on_time_streak": 6},
    )  # fmt: skip
    previous = pl.DataFrame(
        {
            "contract_no": ["CURED", "STILL_BAD", "CURED_L02", "BOTH_A", "BOTH_B"],
            "from_class": ["substandard"] * 5,
        }
    )
    result = {r["contract_no"]: r for r in classify(frame, CBIRC, previous=previous).iter_rows(named=True)}
    assert (result["CURED"]["class"], result["CURED"]["deciding_rule"]) == (
        "substandard",
        "npl-upgrade-conditions",
    )
    assert result["CURED_L02"]["class"] == "normal"  # the arrears at L01 are not L02's to count
    assert (result["BOTH_A"]["class"], result["BOTH_B"]["class"]) == ("normal", "normal")


def _restructured(*rows: tuple[str, dt.date]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"contract_no": c, "restructured_date": d} for c, d in rows],
        schema={"contract_no": pl.String, "restructured_date": pl.Date},
    )


def test_a_restructured_contract_is_observed_for_two_periods_and_at_least_a_year() -> None:
    """cbirc-2023 on 30 Jun 2026. Monthly contracts: two periods are 2 months, so a year decides: restructured
    1 Jul 2025 is still observed (ends 1 Jul 2026), 30 Jun 2025 is not (ended that day). A quarterly contract
    restructured 1 Jul 2025 is observed too; one restructured tomorrow is not yet."""
    frame = positions(
        DAY,
        {"contract_no": "IN"},
        {"contract_no": "OUT"},
        {"contract_no": "QUARTERLY", "periods_per_year": 4},
        {"contract_no": "LATER"},
        {"contract_no": "NPL_BEFORE"},
        {"contract_no": "OVERDUE", "dpd": 100, "overdue_amount_fen": 900},
    )
    restructured = _restructured(
        ("IN", dt.date(2025, 7, 1)), ("OUT", dt.date(2025, 6, 30)), ("QUARTERLY", dt.date(2025, 7, 1)),
        ("LATER", dt.date(2026, 7, 1)), ("NPL_BEFORE", dt.date(2026, 1, 15)), ("OVERDUE", dt.date(2026, 1, 15)),
    )  # fmt: skip
    previous = pl.DataFrame({"contract_no": ["NPL_BEFORE"], "from_class": ["doubtful"]})
    result = {
        r["contract_no"]: (r["class"], r["deciding_rule"])
        for r in classify(frame, CBIRC, previous=previous, restructured=restructured).iter_rows(named=True)
    }
    observed = ("special_mention", "restructured-observation")
    assert result["IN"] == observed and result["QUARTERLY"] == observed
    assert result["OUT"] == result["LATER"] == ("normal", "current")
    # A non-performing contract is not upgraded while observed (its on-time payments notwithstanding).
    assert result["NPL_BEFORE"] == ("doubtful", "restructured-observation")
    # Arrears still decide when they are worse.
    assert result["OVERDUE"] == ("substandard", "overdue-over-90")
    # The trial rule set has no restructuring rule: the same book is normal there.
    trial = classify(frame, TRIAL, previous=previous, restructured=restructured)
    assert trial.filter(pl.col("contract_no") == "IN")["class"].item() == "normal"


def test_high_risk_assets_must_be_revalued_half_yearly() -> None:
    """Trial rule set: a valuation 200 days old is fine for a normal contract (limit 365) but stale for one
    classed special mention or worse (limit 182)."""
    frame = positions(
        DAY,
        {"contract_no": "NORMAL", "outstanding_principal_fen": 100_000},
        {"contract_no": "RISKY", "outstanding_principal_fen": 100_000, "dpd": 95, "overdue_amount_fen": 10},
        {"contract_no": "OLD", "outstanding_principal_fen": 100_000},
    )
    old = DAY - dt.timedelta(days=200)
    collateral = collateral_on(
        _valuations(
            ("NORMAL", old, 90_000), ("RISKY", old, 90_000), ("OLD", DAY - dt.timedelta(days=400), 90_000)
        ),
        DAY,
    )
    reasons = {
        r["contract_no"]: r["reasons"]
        for r in classify(frame, TRIAL, collateral=collateral).iter_rows(named=True)
    }
    assert "stale" not in reasons["NORMAL"]
    assert "valuation-stale age=200 limit=182" in reasons["RISKY"]
    assert "valuation-stale age=400 limit=365" in reasons["OLD"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("collateral: {stale_after_days: 365, stale_after_days_high_risk: 400}", "且不大于 stale_after_days"),
        ("collateral: {high_risk_from_class: risky}", "class 'risky' 不是 normal"),
        ("restructuring: {rule: r, class: special_mention, observation_min_periods: -1, observation_min_months: 12}",
         "rule r：observation_min_periods 应为不小于 0 的整数"),
    ],
)  # fmt: skip
def test_bad_revaluation_or_restructuring_settings_are_refused(
    tmp_path: Path, extra: str, message: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(
        BANDS.format(bands="  - {rule: a, from: 0, to: null, class: normal}") + extra + "\n", "utf-8"
    )
    with pytest.raises(RuleSetError, match=message):
        load_rule_set(str(path))


def _own_book_case() -> tuple[pl.DataFrame, pl.DataFrame]:
    """One enterprise lessee: defaulted at L01 (D1) and current at L02 (C2); a second enterprise with two
    contracts at L01, one defaulted (A1) and one current (A2)."""
    frame = positions(
        DAY,
        {"contract_no": "D1", "lessor": "L01", "lessee_id": "ENT", "dpd": 120},
        {"contract_no": "C2", "lessor": "L02", "lessee_id": "ENT"},
        {"contract_no": "A1", "lessor": "L01", "lessee_id": "FIRM", "dpd": 120},
        {"contract_no": "A2", "lessor": "L01", "lessee_id": "FIRM"},
    )
    types = pl.DataFrame({"contract_no": ["D1", "C2", "A1", "A2"], "lessee_type": ["enterprise"] * 4})
    return frame, types


def test_contagion_counts_only_the_lessee_s_claims_at_the_same_lessor() -> None:
    frame, types = _own_book_case()
    result = {r["contract_no"]: r for r in classify(frame, CBIRC, lessee_types=types).iter_rows(named=True)}
    assert (result["C2"]["class"], result["C2"]["deciding_rule"]) == ("normal", "current")
    assert "lessee-npl-contagion" not in result["C2"]["reasons"]
    assert (result["A2"]["class"], result["A2"]["deciding_rule"]) == ("substandard", "lessee-npl-contagion")
    # L02's figures are the same whether or not L01's book is in the store.
    alone = classify(frame.filter(pl.col("lessor") == "L02"), CBIRC, lessee_types=types)
    assert alone.row(0, named=True) == result["C2"]


def test_contagion_on_duckdb_counts_only_the_same_lessor() -> None:
    import ibis

    from leaseguard.classification.columnar import classify_expr

    frame, types = _own_book_case()
    con = ibis.duckdb.connect()
    expr = classify_expr(
        con.create_table("positions", frame.to_arrow()),
        CBIRC,
        lessee_types=con.create_table("types", types.to_arrow()),
    )
    ours = pl.from_arrow(expr.to_pyarrow())
    assert isinstance(ours, pl.DataFrame)
    classes = dict(zip(ours["contract_no"], ours["class"], strict=True))
    assert (classes["C2"], classes["A2"]) == ("normal", "substandard")


def test_the_uncovered_part_reading_of_full_provision_is_a_named_option(tmp_path: Path) -> None:
    text = resources_text("leasing-indicators-trial").replace(
        "full_provision: whole_claim", "full_provision: uncovered_part"
    )
    path = tmp_path / "trial-uncovered.yaml"
    path.write_text(text, encoding="utf-8")
    frame = positions(
        DAY,
        {"contract_no": "LOW", "outstanding_principal_fen": 1_000_000},
        {"contract_no": "COVERED", "outstanding_principal_fen": 1_000_000},
    )
    collateral = collateral_on(
        _valuations(("LOW", dt.date(2026, 3, 1), 499_999), ("COVERED", dt.date(2026, 3, 1), 100_000)), DAY
    )
    rows = {
        r["contract_no"]: r
        for r in classify(frame, load_rule_set(str(path)), collateral=collateral).iter_rows(named=True)
    }
    assert rows["LOW"]["provision_fen"] == 1_000_000 - 499_999  # the uncovered part, above the 25 % rate
    assert rows["COVERED"]["provision_fen"] == 900_000
    assert _on_duckdb(frame, load_rule_set(str(path)), collateral=collateral)["provision_fen"].to_list() == [
        rows[n]["provision_fen"] for n in sorted(rows)
    ]
    path.write_text(text.replace("uncovered_part", "half"), encoding="utf-8")
    with pytest.raises(
        RuleSetError, match="full_provision：必须是 whole_claim or uncovered_part（或 false）"
    ) as error:
        load_rule_set(str(path))
    assert "full_provision: must be whole_claim or uncovered_part" in error.value.text("en")


def resources_text(rule_set: str) -> str:
    from importlib import resources

    return (
        resources.files("leaseguard.defaults")
        .joinpath("classification", f"{rule_set}.yaml")
        .read_text("utf-8")
    )


def _on_duckdb(frame: pl.DataFrame, rules: RuleSet, **inputs: pl.DataFrame) -> pl.DataFrame:
    import ibis

    from leaseguard.classification.columnar import classify_expr

    con = ibis.duckdb.connect()
    expr = classify_expr(
        con.create_table("positions", frame.to_arrow()),
        rules,
        **{name: con.create_table(name, table.to_arrow()) for name, table in inputs.items()},  # type: ignore[arg-type]
    )
    result = pl.from_arrow(expr.to_pyarrow())
    assert isinstance(result, pl.DataFrame)
    return result.sort("contract_no")


def test_the_observation_counts_from_the_first_repayment_after_restructuring_and_restarts_on_a_miss() -> None:
    """cbirc-2023 on 30 Jun 2026, due on the 15th. Observation: from the first repayment date after the
    restructuring, at least two periods and at least a year; a missed instalment restarts it from the next
    repayment date."""
    monthly = {"next_due_date": dt.date(2026, 7, 15), "on_time_streak": 30}
    frame = positions(
        DAY,
        # Restructured 20 Jun 2025: first repayment 15 Jul 2025, observed until 15 Jul 2026.
        {"contract_no": "FIRST_DUE", **monthly},
        # Restructured 20 May 2025: first repayment 15 Jun 2025, observation over on 15 Jun 2026.
        {"contract_no": "ENDED", **monthly},
        # Restructured 10 Jan 2025: over on 15 Jan 2026 ...
        {"contract_no": "NO_MISS", **monthly},
        # ... unless an instalment was missed since: three on time since the miss, so the observation
        # restarted on 15 Apr 2026 and lasts until 15 Apr 2027.
        {"contract_no": "MISSED", **monthly, "on_time_streak": 3},
        # Quarterly, restructured 20 May 2025: first repayment 15 Aug 2025, observed until 15 Aug 2026.
        {"contract_no": "QUARTERLY", "next_due_date": dt.date(2026, 8, 15), "periods_per_year": 4,
         "on_time_streak": 10},
        # Due on the 31st: the first repayment after 20 Jun 2025 is 30 Jun 2025 (clamped), over on 30 Jun 2026.
        {"contract_no": "MONTH_END", "next_due_date": dt.date(2026, 7, 31), "on_time_streak": 30},
    )  # fmt: skip
    restructured = _restructured(
        ("FIRST_DUE", dt.date(2025, 6, 20)), ("ENDED", dt.date(2025, 5, 20)), ("NO_MISS", dt.date(2025, 1, 10)),
        ("MISSED", dt.date(2025, 1, 10)), ("QUARTERLY", dt.date(2025, 5, 20)), ("MONTH_END", dt.date(2025, 6, 20)),
    )  # fmt: skip
    result = classify(frame, CBIRC, restructured=restructured).sort("contract_no")
    decided = dict(zip(result["contract_no"], result["deciding_rule"], strict=True))
    observed = "restructured-observation"
    assert decided == {
        "FIRST_DUE": observed, "ENDED": "current", "NO_MISS": "current", "MISSED": observed,
        "QUARTERLY": observed, "MONTH_END": "current",
    }  # fmt: skip
    on_duckdb = _on_duckdb(frame, CBIRC, restructured=restructured)
    assert on_duckdb["deciding_rule"].to_list() == result["deciding_rule"].to_list()


def _switched_on(tmp_path: Path, lessors: str, klass: str = "special_mention") -> Path:
    text = resources_text("cbirc-2023").replace("  lessors: []", f"  lessors: {lessors}")
    text = text.replace(
        "rule: arrears-at-another-member\n  class: special_mention",
        f"rule: arrears-at-another-member\n  class: {klass}",
    )
    path = tmp_path / "cbirc-own.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_arrears_at_another_member_count_only_where_the_lessor_switched_the_rule_on(tmp_path: Path) -> None:
    frame = positions(
        DAY,
        {"contract_no": "L01-BAD", "lessor": "L01", "lessee_id": "ENT", "dpd": 400, "overdue_amount_fen": 987_654},
        {"contract_no": "L02-OK", "lessor": "L02", "lessee_id": "ENT"},
        {"contract_no": "L03-OK", "lessor": "L03", "lessee_id": "ENT"},
        {"contract_no": "L02-OTHER", "lessor": "L02", "lessee_id": "SOLE"},
        {"contract_no": "L02-OWN-LATE", "lessor": "L02", "lessee_id": "SELF", "dpd": 5, "overdue_amount_fen": 10},
        {"contract_no": "L02-SELF-OK", "lessor": "L02", "lessee_id": "SELF"},
    )  # fmt: skip
    shipped = classify(frame, CBIRC)
    assert shipped.filter(pl.col("contract_no") == "L02-OK")["class"].item() == "normal"  # off when shipped
    rules = load_rule_set(str(_switched_on(tmp_path, "[L02]")))
    result = classify(frame, rules).sort("contract_no")
    rows = {r["contract_no"]: r for r in result.iter_rows(named=True)}
    assert (rows["L02-OK"]["class"], rows["L02-OK"]["deciding_rule"]) == (
        "special_mention",
        "arrears-at-another-member",
    )
    assert rows["L02-OK"]["reasons"] == "arrears-at-another-member"  # no lessor, no amount
    assert rows["L03-OK"]["class"] == "normal"  # L03 did not switch it on
    assert rows["L02-OTHER"]["class"] == "normal"
    # Its own arrears at L02 are not "elsewhere".
    assert rows["L02-SELF-OK"]["class"] == "normal"
    assert rows["L01-BAD"]["class"] == "loss"
    assert _on_duckdb(frame, rules)["deciding_rule"].to_list() == result["deciding_rule"].to_list()


def test_the_cross_member_rule_may_not_go_above_special_mention(tmp_path: Path) -> None:
    path = _switched_on(tmp_path, "[L02]", klass="substandard")
    with pytest.raises(RuleSetError) as error:
        load_rule_set(str(path))
    assert str(path) in str(error.value) and "arrears_elsewhere.class" in str(error.value)


def test_stored_reasons_are_codes_read_in_either_language() -> None:
    """A classified contract's reasons are codes with parameters; people read them rendered (issue 16)."""
    frame = positions(DAY, {"contract_no": "LATE", "dpd": 120})
    stored = classify(frame, CBIRC).row(0, named=True)["reasons"]
    assert stored == "overdue-over-90 dpd=120"
    assert render(stored) == "逾期超过90天（逾期120天）"
    assert render(stored, "en") == "more than 90 days overdue: 120 days past due"
    both = "overdue-over-90 dpd=120; valuation-stale age=400 limit=365; my-own-rule"
    assert render(both) == "逾期超过90天（逾期120天）；租赁物评估已过期：400天（上限365天）；my-own-rule"


def test_classifications_at_once_in_threads_each_see_only_their_own_book() -> None:
    """Every call reads its frames through DuckDB views of its own cursor on the process's one database: two
    books classified at once from many threads, under the same view names, each get exactly their own classes
    (as classified alone), never the other's rows."""
    from concurrent.futures import ThreadPoolExecutor

    first = positions(DAY, *({"contract_no": f"A{d}", "lessor": "L001", "dpd": d} for d in range(0, 400, 7)))
    second = positions(
        DAY, *({"contract_no": f"B{d}", "lessor": "L002", "dpd": d} for d in range(3, 400, 11))
    )
    alone = {id(frame): classify(frame, CBIRC) for frame in (first, second)}
    books = [first, second] * 24
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda frame: classify(frame, CBIRC), books))
    for frame, result in zip(books, results, strict=True):
        assert result.equals(alone[id(frame)])
    assert alone[id(first)]["class"].n_unique() >= 4 and alone[id(second)]["class"].n_unique() >= 4
