"""Early warning on hand-built positions: each signal firing and not, tiers, the call list, the consortium
rule, and the shipped score model."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import polars as pl
import pytest
from pydantic import ValidationError

from book_frames import positions
from leaseguard.analytics.rules import load_analytics_rules
from leaseguard.warning.features import FEATURES, behaviour_features, history_dates
from leaseguard.warning.model import fit_model, load_model
from leaseguard.warning.rules import SIGNALS, WarningRules, load_warning_rules
from leaseguard.warning.service import WARNING_COLUMNS, compute_warnings
from leaseguard.warning.signals import warning_signals
from leaseguard.warning.tiers import assign_tiers, call_list

RULES = load_warning_rules()
# LX and LY switched on the consortium signal "in arrears at another member".
CONSORTIUM = RULES.model_copy(
    update={"signals": RULES.signals.model_copy(update={"arrears_elsewhere_lessors": ["LX", "LY"]})}
)
BUCKETS = load_analytics_rules()
AS_OF = dt.date(2025, 6, 30)
MAY = dt.date(2025, 5, 31)
NO_VALUATIONS = pl.DataFrame(
    schema={"contract_no": pl.String, "valuation_date": pl.Date, "disposal_value_fen": pl.Int64}
)


def _contracts(*numbers: str, industry: str = "retail") -> pl.DataFrame:
    return pl.DataFrame({
        "contract_no": list(numbers), "lessee_type": ["enterprise"] * len(numbers),
        "industry": [industry] * len(numbers), "annual_rate": ["0.06"] * len(numbers),
    })  # fmt: skip


def _signals(
    current: pl.DataFrame,
    history: pl.DataFrame | None = None,
    compared: pl.DataFrame | None = None,
    contracts: pl.DataFrame | None = None,
    valuations: pl.DataFrame = NO_VALUATIONS,
    rules: WarningRules = RULES,
) -> dict[str, dict[str, bool]]:
    numbers = current["contract_no"].to_list()
    empty = pl.DataFrame(schema={"contract_no": pl.String, "dpd": pl.Int32})
    frame = warning_signals(
        current,
        empty if history is None else history.select("contract_no", "dpd"),
        empty if compared is None else compared.select("contract_no", "dpd"),
        _contracts(*numbers) if contracts is None else contracts,
        valuations,
        rules,
        BUCKETS,
    )
    return {row.pop("contract_no"): row for row in frame.iter_rows(named=True)}


def test_first_missed_payment_fires_only_without_earlier_arrears() -> None:
    today = positions(AS_OF, {"contract_no": "NEW", "dpd": 5}, {"contract_no": "OLD", "dpd": 5},
                      {"contract_no": "OK"})  # fmt: skip
    history = positions(MAY, {"contract_no": "NEW"}, {"contract_no": "OLD", "dpd": 20}, {"contract_no": "OK"})
    fired = _signals(today, history)
    assert fired["NEW"]["first_missed_payment"]
    assert not fired["OLD"]["first_missed_payment"]
    assert not fired["OK"]["first_missed_payment"]


def test_worse_dpd_bucket_compares_buckets_not_days() -> None:
    today = positions(AS_OF, {"contract_no": "ROLL", "dpd": 31}, {"contract_no": "SAME", "dpd": 29},
                      {"contract_no": "BETTER", "dpd": 0}, {"contract_no": "NEW", "dpd": 40})  # fmt: skip
    before = positions(MAY, {"contract_no": "ROLL", "dpd": 25}, {"contract_no": "SAME", "dpd": 3},
                       {"contract_no": "BETTER", "dpd": 60})  # fmt: skip
    fired = _signals(today, compared=before)
    assert fired["ROLL"]["worse_dpd_bucket"]
    assert not fired["SAME"]["worse_dpd_bucket"]  # 3 → 29 days stays in 1-29
    assert not fired["BETTER"]["worse_dpd_bucket"]
    assert not fired["NEW"]["worse_dpd_bucket"]  # nothing to compare with


def test_collateral_drop_fires_at_the_configured_fall_between_the_two_latest_valuations() -> None:
    today = positions(AS_OF, {"contract_no": "FELL"}, {"contract_no": "EDGE"}, {"contract_no": "SLIGHT"},
                      {"contract_no": "ONCE"})  # fmt: skip
    valuations = pl.DataFrame({
        "contract_no": ["FELL", "FELL", "FELL", "EDGE", "EDGE", "SLIGHT", "SLIGHT", "ONCE"],
        "valuation_date": [dt.date(2024, 1, 1), dt.date(2024, 12, 1), dt.date(2025, 6, 1), dt.date(2024, 6, 1),
                           dt.date(2025, 6, 1), dt.date(2024, 6, 1), dt.date(2025, 6, 1), dt.date(2025, 6, 1)],
        "disposal_value_fen": [100, 1000, 700, 1000, 800, 1000, 801, 5],
    })  # fmt: skip
    fired = _signals(today, valuations=valuations)
    assert RULES.signals.collateral_drop_min_fall == Decimal("0.20")
    assert fired["FELL"]["collateral_drop"]  # 1000 → 700 (the 2024-01 value is older than both)
    assert fired["EDGE"]["collateral_drop"]  # exactly 20 %
    assert not fired["SLIGHT"]["collateral_drop"]  # 19.9 %
    assert not fired["ONCE"]["collateral_drop"]


def test_arrears_elsewhere_looks_at_other_lessors_only() -> None:
    today = positions(
        AS_OF,
        {"contract_no": "X1", "lessor": "LX", "lessee_id": "P1"},
        {"contract_no": "Y1", "lessor": "LY", "lessee_id": "P1", "dpd": 12},
        {"contract_no": "X2", "lessor": "LX", "lessee_id": "P2"},
        {"contract_no": "X3", "lessor": "LX", "lessee_id": "P2", "dpd": 40},
        {"contract_no": "X4", "lessor": "LX", "lessee_id": "P3", "dpd": 40},
    )
    assert not any(row["arrears_elsewhere"] for row in _signals(today).values())  # off unless switched on
    fired = _signals(today, rules=CONSORTIUM)
    assert fired["X1"]["arrears_elsewhere"]  # P1 is behind at LY
    assert not fired["Y1"]["arrears_elsewhere"]  # its own arrears are not "elsewhere"
    assert not fired["X2"]["arrears_elsewhere"]  # P2's arrears are at the same lessor
    assert not fired["X4"]["arrears_elsewhere"]


def test_industry_concentration_fires_above_the_share_of_the_lessors_live_principal() -> None:
    today = positions(
        AS_OF,
        *({"contract_no": f"M{i}", "outstanding_principal_fen": 100} for i in range(3)),
        *({"contract_no": f"R{i}", "outstanding_principal_fen": 100} for i in range(9)),
        {"contract_no": "S0", "outstanding_principal_fen": 0},
    )
    contracts = pl.concat([
        _contracts("M0", "M1", "M2", industry="mining"),
        _contracts(*(f"R{i}" for i in range(9)), industry="retail"),
        _contracts("S0", industry="shipping"),
    ])  # fmt: skip
    fired = _signals(today, contracts=contracts)
    assert not fired["M0"]["industry_concentration"]  # 300 of 1200 is 25 %, not above it
    assert fired["R0"]["industry_concentration"]
    assert not fired["S0"]["industry_concentration"]
    stricter = RULES.model_copy(
        update={
            "signals": RULES.signals.model_copy(update={"industry_concentration_max_share": Decimal("0.2")})
        }
    )
    assert _signals(today, contracts=contracts, rules=stricter)["M0"]["industry_concentration"]


def test_settled_and_not_started_contracts_are_not_scored() -> None:
    today = positions(
        AS_OF,
        {"contract_no": "A"},
        {"contract_no": "S", "status": "settled"},
        {"contract_no": "N", "status": "not_started"},
        {"contract_no": "M", "status": "matured_unpaid"},
    )
    assert set(_signals(today)) == {"A", "M"}


def test_tiers_follow_the_cut_offs_and_signals_lift_them() -> None:
    scored = pl.DataFrame({
        "contract_no": ["a", "b", "c", "d", "e"], "score": [0.9, 0.2, 0.1, 0.01, 0.01], "dpd": [0] * 5,
        **{signal: [False] * 5 for signal in SIGNALS},
    }).with_columns(
        pl.Series("arrears_elsewhere", [False, False, False, True, False]),
        pl.Series("first_missed_payment", [True, False, False, False, True]),
    )  # fmt: skip
    tiers = dict(assign_tiers(scored, RULES).select("contract_no", "tier").iter_rows())
    assert tiers == {"a": "critical", "b": "high", "c": "elevated", "d": "high", "e": "elevated"}
    ordered = call_list(assign_tiers(scored, RULES))
    assert ordered["contract_no"].to_list() == ["a", "b", "d", "c", "e"]
    assert ordered["call_order"].to_list() == [1, 2, 3, 4, 5]


def test_a_contract_in_default_is_in_the_collections_tier_whatever_its_score() -> None:
    scored = pl.DataFrame({
        "contract_no": ["late90", "late89", "npl", "sm", "scored"],
        "score": [0.001, 0.001, 0.002, 0.001, 0.6],
        "dpd": [90, 89, 0, 30, 0],
        "class": ["substandard", "special_mention", "doubtful", "special_mention", None],
        **{signal: [False] * 5 for signal in SIGNALS},
    })  # fmt: skip
    ordered = call_list(assign_tiers(scored, RULES))
    tiers = dict(ordered.select("contract_no", "tier").iter_rows())
    assert tiers == {
        "late90": "collections",
        "npl": "collections",
        "late89": "low",
        "sm": "low",
        "scored": "critical",
    }
    # Collections first; inside it the score orders.
    assert ordered["contract_no"].to_list()[:3] == ["npl", "late90", "scored"]
    labels = dict(ordered.select("tier", "tier_label").unique().iter_rows())
    assert labels["collections"] == "催收" and labels["low"] == "低"


def test_a_collections_tier_named_like_a_scored_tier_is_refused() -> None:
    data = RULES.model_dump()
    assert data["collections"] is not None
    data["collections"]["tier"] = "low"
    with pytest.raises(ValidationError, match="与某个评分档位重名") as refused:
        WarningRules.model_validate(data)
    reason = refused.value.errors()[0]["ctx"]["error"]
    assert reason.text("en") == "collections.tier 'low' is also a scored tier's name"
    data["collections"]["tier"] = "collections"
    data["collections"]["classes"] = ["bad"]
    with pytest.raises(ValidationError, match="未知分类"):
        WarningRules.model_validate(data)


def test_tier_cut_offs_must_decrease_and_end_at_zero() -> None:
    data = RULES.model_dump()
    data["tiers"] = [{"name": "a", "min_score": "0.1"}, {"name": "b", "min_score": "0.3"},
                     {"name": "c", "min_score": "0"}]  # fmt: skip
    with pytest.raises(ValidationError, match="严格递减"):
        WarningRules.model_validate(data)
    data["tiers"] = [{"name": "a", "min_score": "0.1"}]
    with pytest.raises(ValidationError, match="最后一档必须从 0 开始"):
        WarningRules.model_validate(data)


def test_features_of_the_lessees_other_contracts_at_the_same_lessor() -> None:
    today = positions(
        AS_OF,
        {"contract_no": "A", "lessee_id": "P", "dpd": 10},
        {"contract_no": "B", "lessee_id": "P", "dpd": 50, "lessor": "L2"},
        {"contract_no": "C", "lessee_id": "P"},
        {"contract_no": "D", "lessee_id": "Q", "dpd": 7},
    )
    frame = behaviour_features(today, today.head(0), _contracts("A", "B", "C", "D"))
    rows = {row["contract_no"]: row for row in frame.iter_rows(named=True)}
    # B is the same lessee at another lessor: it moves none of A's or C's features, nor they B's.
    assert rows["A"]["lessee_other_max_dpd_log"] == pytest.approx(np.log(1))
    assert rows["C"]["lessee_other_max_dpd_log"] == pytest.approx(np.log(11))
    assert rows["C"]["lessee_other_in_arrears"] == 1.0
    assert rows["A"]["lessee_other_in_arrears"] == 0.0
    assert rows["A"]["lessee_other_contracts_log"] == pytest.approx(np.log(2))
    assert rows["B"]["lessee_other_contracts_log"] == 0.0
    assert rows["B"]["lessee_other_max_dpd_log"] == 0.0
    assert rows["D"]["lessee_other_in_arrears"] == 0.0
    without_b = behaviour_features(
        today.filter(pl.col("lessor") != "L2"), today.head(0), _contracts("A", "B", "C", "D")
    )
    assert without_b.sort("contract_no").equals(frame.filter(pl.col("lessor") != "L2").sort("contract_no"))
    assert set(FEATURES) <= set(frame.columns)


def test_history_dates_are_the_month_ends_before_as_of() -> None:
    assert history_dates(dt.date(2025, 3, 15), 3) == [
        dt.date(2024, 12, 31),
        dt.date(2025, 1, 31),
        dt.date(2025, 2, 28),
    ]
    assert history_dates(dt.date(2025, 3, 31), 1) == [dt.date(2025, 2, 28)]


def test_the_shipped_model_scores_arrears_higher_and_was_fitted_with_a_holdout() -> None:
    model = load_model()
    assert {weight.name for weight in model.features} == set(FEATURES)
    assert 0.5 < model.holdout.auc <= 1 and 0 < model.holdout.ks <= 1
    today = positions(AS_OF, {"contract_no": "GOOD", "instalments_due": 12, "on_time_streak": 12,
                              "paid_to_date_fen": 120_000},
                      {"contract_no": "BAD", "dpd": 75, "instalments_due": 12, "instalments_overdue": 3,
                       "on_time_streak": 0, "overdue_amount_fen": 30_000, "paid_to_date_fen": 90_000})  # fmt: skip
    history = positions(MAY, {"contract_no": "GOOD"}, {"contract_no": "BAD", "dpd": 45})
    scores = dict(
        behaviour_features(today, history, _contracts("GOOD", "BAD"))
        .select("contract_no", model.probability().alias("score"))
        .iter_rows()
    )
    assert scores["BAD"] > scores["GOOD"]


def test_fit_model_separates_a_feature_that_decides_the_label() -> None:
    rng = np.random.default_rng(3)
    n = 600
    frame = pl.DataFrame({name: rng.normal(size=n) for name in FEATURES}).with_columns(
        pl.Series("lessee_id", [f"P{i}" for i in range(n)]),
    )
    frame = frame.with_columns((pl.col("dpd_log") > 0.8).cast(pl.Int8).alias("defaulted"))
    model = fit_model(frame, horizon_months=12, trained_on={"book": "test"})
    weights = {weight.name: weight.coefficient for weight in model.features}
    assert weights["dpd_log"] == max(weights.values())
    assert model.holdout.auc > 0.95
    assert model.holdout.rows + model.trained_on["rows"] == n
    with pytest.raises(ValueError, match="违约合同和正常履约合同都要有"):
        fit_model(frame.with_columns(pl.lit(0).alias("defaulted")), horizon_months=12, trained_on={})


def _consortium() -> dict[dt.date, pl.DataFrame]:
    def day(as_of: dt.date, dpd_y: int) -> pl.DataFrame:
        return positions(
            as_of,
            {"contract_no": "X-1", "lessor": "LX", "lessee_id": "P1", "outstanding_principal_fen": 111_111},
            {"contract_no": "Y-SECRET", "lessor": "LY", "lessee_id": "P1", "dpd": dpd_y,
             "overdue_amount_fen": 987_654, "outstanding_principal_fen": 7_777_777},
            {"contract_no": "X-2", "lessor": "LX", "lessee_id": "P2"},
        )  # fmt: skip

    return {d: day(d, 0) for d in history_dates(AS_OF, RULES.history_months)} | {AS_OF: day(AS_OF, 45)}


def test_a_lessors_call_list_flags_arrears_elsewhere_without_showing_the_other_lessors_contract() -> None:
    book = _consortium()
    contracts = _contracts("X-1", "Y-SECRET", "X-2")
    own_book_only = compute_warnings(
        AS_OF, contracts, book.__getitem__, NO_VALUATIONS, load_model(), RULES, BUCKETS, lessor="LX"
    )
    # Not switched on: LX's call list is what its own book alone gives, whatever LY's contract does.
    alone = {d: frame.filter(pl.col("lessor") == "LX") for d, frame in book.items()}
    assert own_book_only.equals(
        compute_warnings(
            AS_OF, contracts, alone.__getitem__, NO_VALUATIONS, load_model(), RULES, BUCKETS, lessor="LX"
        )
    )
    warnings = compute_warnings(
        AS_OF, contracts, book.__getitem__, NO_VALUATIONS, load_model(), CONSORTIUM, BUCKETS, lessor="LX"
    )
    assert warnings["contract_no"].to_list()[0] == "X-1"
    assert set(warnings["lessor"]) == {"LX"}
    x1 = warnings.filter(pl.col("contract_no") == "X-1").row(0, named=True)
    assert "arrears_elsewhere" in x1["signals"].split(";")
    assert x1["tier"] in ("critical", "high")
    text = warnings.write_csv()
    for secret in ("Y-SECRET", "LY", "987654", "9876.54", "7777777", "77777.77"):
        assert secret not in text
    assert list(warnings.columns[: len(WARNING_COLUMNS)]) == list(WARNING_COLUMNS)
