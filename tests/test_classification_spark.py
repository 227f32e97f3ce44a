"""The classification is one Ibis expression. Run on tables loaded into DuckDB and on PySpark (local mode), it
gives exactly what the embedded runner `classify` gives (the frames registered in place, the rows in the
positions' order and types), row by row, with both shipped rule sets, and with every rule firing. The Spark
cases run when the extra leaseguard[spark] is installed (as `make setup` and CI install it)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from book_frames import positions
from book_reference import read_synth_book
from leaseguard.classification.classify import CLASSIFIED_COLUMNS, classify, collateral_on
from leaseguard.classification.columnar import classify_expr, collateral_expr
from leaseguard.classification.rules import SHIPPED, RuleSet, load_rule_set
from leaseguard.portfolio.positions import CONTRACT_COLUMNS, BookPositions
from leaseguard.synth import generate_book
from leaseguard.synth.parameters import SynthParameters

# The synthetic book's appraisals fall in 2026; one restructuring is on 2025-07-31, so its twelve-month
# observation ends on 2026-07-31 exactly.
DAYS = (dt.date(2026, 6, 30), dt.date(2026, 7, 31), dt.date(2026, 10, 31))
SCHEMA = {
    "contract_no": pl.String, "lessor": pl.String, "as_of": pl.Date, "status": pl.String, "dpd": pl.Int64,
    "outstanding_principal_fen": pl.Int64, "overdue_amount_fen": pl.Int64, "claim_balance_fen": pl.Int64,
    "class": pl.String, "deciding_rule": pl.String, "reasons": pl.String, "provision_fen": pl.Int64,
}  # fmt: skip
COLLATERAL = {
    "contract_no": pl.String, "disposal_value_fen": pl.Int64, "previous_disposal_value_fen": pl.Int64,
    "valued_on": pl.Date,
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Inputs:
    book: BookPositions
    lessee_types: pl.DataFrame
    valuations: pl.DataFrame
    restructured: pl.DataFrame


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    folder: Path = tmp_path_factory.mktemp("classify-spark") / "book"
    # The harsher book: every rule of both rule sets has contracts to decide on in 150 contracts.
    generate_book(folder, contracts=150, seed=31, parameters=SynthParameters.stressed())
    contracts, payments = read_synth_book(folder)
    book = BookPositions.from_frames(contracts.select(*CONTRACT_COLUMNS, "first_due_date"), payments)
    assets = pl.read_csv(folder / "assets.csv", infer_schema=False).select(
        "lessor", "asset_id", "contract_no"
    )
    appraised = (
        pl.read_csv(folder / "valuations.csv", infer_schema=False)
        .join(assets, on=["lessor", "asset_id"])
        .select(
            "contract_no",
            "asset_id",
            pl.col("valuation_date").str.to_date(),
            (pl.col("disposal_value").cast(pl.Decimal(18, 2)) * 100)
            .cast(pl.Int64)
            .alias("disposal_value_fen"),
        )
    )
    # Earlier appraisals of some assets, higher or lower, so that value falls and shortfalls occur too.
    earlier = appraised.with_row_index("i").select(
        "contract_no",
        "asset_id",
        pl.col("valuation_date") - dt.timedelta(days=200),
        (pl.col("disposal_value_fen") * (pl.col("i") % 3 + 1) // 2).alias("disposal_value_fen"),
    )
    tiny = appraised.gather_every(4).select(
        "contract_no",
        pl.lit("EXTRA").alias("asset_id"),
        "valuation_date",
        pl.lit(1, pl.Int64).alias("disposal_value_fen"),
    )
    valuations = pl.concat([appraised, earlier])
    shrunk = valuations.join(tiny.select("contract_no"), on="contract_no", how="semi").with_columns(
        pl.col("disposal_value_fen") // 100
    )
    valuations = pl.concat(
        [valuations.join(tiny.select("contract_no"), on="contract_no", how="anti"), shrunk]
    )
    return Inputs(
        book,
        contracts.select("contract_no", "lessee_type"),
        valuations,
        pl.read_csv(folder / "contracts.csv", infer_schema=False)
        .filter(pl.col("restructured_date").is_not_null())
        .select("contract_no", pl.col("restructured_date").str.to_date()),
    )


Loader = Callable[[str, pl.DataFrame], ir.Table]


def _duckdb() -> Loader:
    con = ibis.duckdb.connect()
    return lambda name, frame: con.create_table(name, frame.to_arrow(), overwrite=True)


def _pyspark(session: Any) -> Loader:
    con = ibis.pyspark.connect(session)

    def load(name: str, frame: pl.DataFrame) -> ir.Table:
        # From Arrow, so dates stay dates (pandas would turn them into timestamps).
        session.createDataFrame(frame.to_arrow()).createOrReplaceTempView(name)
        return con.table(name)

    return load


def _result(expr: ir.Table) -> pl.DataFrame:
    assert expr.columns == CLASSIFIED_COLUMNS
    return pl.from_arrow(expr.to_pyarrow()).cast(SCHEMA).sort("contract_no")  # type: ignore[union-attr]


def _run_days(rules: RuleSet, inputs: Inputs, load: Loader) -> list[pl.DataFrame]:
    """Each day classified by Polars and by the expression on `load`'s backend (the previous classes being
    the Polars run of the day before); returns the Polars frames after asserting equality."""
    lessee_types = load("lg_lessee_types", inputs.lessee_types)
    valuations = load("lg_valuations", inputs.valuations)
    restructured = load("lg_restructured", inputs.restructured)
    previous = pl.DataFrame(schema={"contract_no": pl.String, "from_class": pl.String})
    frames = []
    for day in DAYS:
        day_positions = inputs.book.at(day)
        expected = classify(
            day_positions,
            rules,
            lessee_types=inputs.lessee_types,
            collateral=collateral_on(inputs.valuations, day),
            previous=previous,
            restructured=inputs.restructured,
        )
        ours = classify_expr(
            load("lg_positions", day_positions),
            rules,
            lessee_types=lessee_types,
            collateral=collateral_expr(valuations, day),
            previous=load("lg_previous", previous),
            restructured=restructured,
        )
        assert_frame_equal(_result(ours), expected.sort("contract_no"))
        previous = expected.select("contract_no", pl.col("class").alias("from_class"))
        frames.append(expected)
    return frames


def _collateral_same(inputs: Inputs, load: Loader) -> None:
    valuations = load("lg_valuations", inputs.valuations)
    for day in (dt.date(2025, 12, 31), *DAYS):
        expected = collateral_on(inputs.valuations, day).sort("contract_no")
        ours = pl.from_arrow(collateral_expr(valuations, day).to_pyarrow())
        assert_frame_equal(ours.cast(COLLATERAL).sort("contract_no"), expected)  # type: ignore[union-attr,arg-type]


@pytest.mark.parametrize("rule_set", SHIPPED)
def test_classification_on_duckdb_equals_the_polars_engine(rule_set: str, inputs: Inputs) -> None:
    frames = _run_days(load_rule_set(rule_set), inputs, _duckdb())
    every = pl.concat(frames)
    # Not vacuous: the book has contracts in several classes and rules beyond the DPD bands fired.
    assert every["class"].n_unique() >= 3
    assert (every["deciding_rule"] == "not live").any()
    assert every["reasons"].str.contains("; ").any()


def test_collateral_on_duckdb_equals_the_polars_engine(inputs: Inputs) -> None:
    _collateral_same(inputs, _duckdb())


@pytest.mark.slow
@pytest.mark.parametrize("rule_set", SHIPPED)
def test_classification_on_pyspark_equals_the_polars_engine(
    rule_set: str, inputs: Inputs, spark: Any
) -> None:
    _run_days(load_rule_set(rule_set), inputs, _pyspark(spark))


@pytest.mark.slow
def test_collateral_on_pyspark_equals_the_polars_engine(inputs: Inputs, spark: Any) -> None:
    _collateral_same(inputs, _pyspark(spark))


# Every rule of both shipped rule sets in one: the collateral rules of the trial indicators, contagion,
# restructuring (a six-month observation, so that it ends on a clamped month end) and the upgrade conditions
# of cbirc-2023, and a special-mention rate whose rounding a division in floating point gets wrong.
TRIAL, CBIRC = load_rule_set("leasing-indicators-trial"), load_rule_set("cbirc-2023")
assert CBIRC.restructuring is not None
EVERY_RULE = dataclasses.replace(
    CBIRC,
    shortfall=TRIAL.shortfall,
    value_fall=TRIAL.value_fall,
    stale_after_days=TRIAL.stale_after_days,
    stale_after_days_high_risk=TRIAL.stale_after_days_high_risk,
    restructuring=dataclasses.replace(CBIRC.restructuring, observation_min_months=6),
    provision_rates={**CBIRC.provision_rates, "special_mention": 0.999999},
)
FORCED_DAY = dt.date(2026, 2, 28)


def _forced_inputs() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    day = FORCED_DAY
    frame = positions(
        day,
        {"contract_no": "E1", "lessee_id": "ENT", "dpd": 120, "outstanding_principal_fen": 110},
        {"contract_no": "E2", "lessee_id": "ENT", "outstanding_principal_fen": 890},
        {"contract_no": "P1", "lessee_id": "PERSON", "dpd": 120, "outstanding_principal_fen": 500},
        {"contract_no": "P2", "lessee_id": "PERSON", "outstanding_principal_fen": 500},
        {"contract_no": "LOW", "outstanding_principal_fen": 1_000_000},
        {"contract_no": "HALF", "outstanding_principal_fen": 1_000_000},
        {"contract_no": "FELL", "outstanding_principal_fen": 1_000_000},
        {"contract_no": "OLD", "outstanding_principal_fen": 1_000_000},
        {"contract_no": "RISKY", "dpd": 30, "overdue_amount_fen": 10, "outstanding_principal_fen": 1_000_000},
        {"contract_no": "NOVAL", "outstanding_principal_fen": 1_000_000},
        {"contract_no": "ONE", "on_time_streak": 1},
        {"contract_no": "TWO", "on_time_streak": 2},
        {"contract_no": "SIX", "on_time_streak": 6},
        {"contract_no": "P3", "lessee_id": "PERSON", "on_time_streak": 6},
        {"contract_no": "QUARTERLY", "on_time_streak": 2, "periods_per_year": 4},
        {"contract_no": "R_END", "on_time_streak": 3},
        {"contract_no": "R_ON", "on_time_streak": 3},
        {"contract_no": "R_NPL", "on_time_streak": 3},
        {"contract_no": "R_QUARTERLY", "on_time_streak": 3, "periods_per_year": 4},
        {
            "contract_no": "BIG",
            "dpd": 30,
            "overdue_amount_fen": 10,
            "outstanding_principal_fen": 9_000_000_500_001,
        },
        {"contract_no": "ODD", "dpd": 30, "overdue_amount_fen": 10, "outstanding_principal_fen": 1_000_001},
        {"contract_no": "SETTLED", "status": "settled", "outstanding_principal_fen": 0},
        {"contract_no": "NEW", "status": "not_started", "dpd": 400},
    )
    numbers = frame["contract_no"].to_list()
    lessee_types = pl.DataFrame(
        {
            "contract_no": numbers,
            "lessee_type": ["individual" if n.startswith("P") else "enterprise" for n in numbers],
        }
    )
    recent = day - dt.timedelta(days=30)
    rows = [
        (n, recent, 9_000_000_000_000)
        for n in numbers
        if n not in ("LOW", "HALF", "FELL", "OLD", "RISKY", "NOVAL")
    ]
    rows += [
        ("LOW", recent, 499_999), ("HALF", recent, 500_000),
        ("FELL", day - dt.timedelta(days=300), 2_000_000), ("FELL", recent, 1_600_000),
        ("OLD", day - dt.timedelta(days=366), 2_000_000),
        ("RISKY", day - dt.timedelta(days=183), 2_000_000),
    ]  # fmt: skip
    valuations = pl.DataFrame(
        [{"contract_no": n, "asset_id": "A-" + n, "valuation_date": d, "disposal_value_fen": v} for n, d, v in rows],
        schema={
            "contract_no": pl.String, "asset_id": pl.String, "valuation_date": pl.Date, "disposal_value_fen": pl.Int64,
        },
    )  # fmt: skip
    previous = pl.DataFrame(
        {"contract_no": ["ONE", "TWO", "SIX", "P3", "QUARTERLY", "R_NPL", "E2"],
         "from_class": ["substandard", "doubtful", "doubtful", "loss", "loss", "doubtful", "normal"]}
    )  # fmt: skip
    restructured = pl.DataFrame(
        {
            "contract_no": ["R_END", "R_ON", "R_NPL", "R_QUARTERLY"],
            # 2025-08-31 + 6 months is 2026-02-28 (clamped): observation over on the day itself.
            "restructured_date": [
                dt.date(2025, 8, 31),
                dt.date(2025, 9, 1),
                dt.date(2025, 12, 15),
                dt.date(2025, 3, 1),
            ],
        }
    )
    return frame, lessee_types, valuations, previous, restructured


def _forced(rules: RuleSet, load: Loader) -> pl.DataFrame:
    frame, lessee_types, valuations, previous, restructured = _forced_inputs()
    expected = classify(
        frame,
        rules,
        lessee_types=lessee_types,
        collateral=collateral_on(valuations, FORCED_DAY),
        previous=previous,
        restructured=restructured,
    )
    ours = classify_expr(
        load("lg_positions", frame),
        rules,
        lessee_types=load("lg_lessee_types", lessee_types),
        collateral=collateral_expr(load("lg_valuations", valuations), FORCED_DAY),
        previous=load("lg_previous", previous),
        restructured=load("lg_restructured", restructured),
    )
    assert_frame_equal(_result(ours), expected.sort("contract_no"))
    return expected


def _every_rule_fired(result: pl.DataFrame) -> None:
    rows = {r["contract_no"]: r for r in result.iter_rows(named=True)}
    decided = {n: r["deciding_rule"] for n, r in rows.items()}
    assert decided["E2"] == "lessee-npl-contagion" and decided["P2"] == "current"
    assert decided["LOW"] == "disposal-below-half-of-claim" and rows["LOW"]["provision_fen"] == 1_000_000
    assert decided["HALF"] == "current"
    assert decided["FELL"] == "asset-value-fall"
    assert "valuation-stale age=366 limit=365" in rows["OLD"]["reasons"]
    # Special mention on the day: revalued half-yearly, so 183 days is stale.
    assert "valuation-stale age=183 limit=182" in rows["RISKY"]["reasons"]
    assert "valuation-missing" in rows["NOVAL"]["reasons"]
    assert decided["ONE"] == "npl-upgrade-conditions" and rows["ONE"]["class"] == "substandard"
    # 按两者孰长: two monthly periods are shorter than six months; a quarterly contract meets both at once.
    assert rows["TWO"]["class"] == "substandard" and rows["SIX"]["class"] == "normal"
    assert rows["QUARTERLY"]["class"] == "normal"
    # Cured, but the same lessee's P1 is still non-performing at this lessor.
    assert decided["P3"] == "npl-upgrade-conditions"
    assert decided["R_END"] == "current" and decided["R_ON"] == "restructured-observation"
    assert (decided["R_NPL"], rows["R_NPL"]["class"]) == ("restructured-observation", "doubtful")
    assert decided["R_QUARTERLY"] == "current"  # six months since 2025-03-01 are long over
    # 9,000,000,500,001 fen at 99.9999 %: the exact quotient ends in .999999, which a double rounds up a fen.
    assert rows["BIG"]["provision_fen"] == (9_000_000_500_001 * 999_999 + 500_000) // 1_000_000
    assert rows["ODD"]["provision_fen"] == (1_000_001 * 999_999 + 500_000) // 1_000_000
    assert (rows["SETTLED"]["deciding_rule"], rows["NEW"]["provision_fen"]) == ("not live", 0)


def test_every_rule_fires_and_duckdb_equals_the_polars_engine() -> None:
    _every_rule_fired(_forced(EVERY_RULE, _duckdb()))
    for rules in (TRIAL, CBIRC):
        _forced(rules, _duckdb())


@pytest.mark.slow
def test_every_rule_fires_and_pyspark_equals_the_polars_engine(spark: Any) -> None:
    _every_rule_fired(_forced(EVERY_RULE, _pyspark(spark)))
    for rules in (TRIAL, CBIRC):
        _forced(rules, _pyspark(spark))


@pytest.mark.parametrize("rule_set", SHIPPED)
def test_without_the_optional_inputs_duckdb_equals_the_polars_engine(rule_set: str, inputs: Inputs) -> None:
    """No lessee types, appraisals, previous run or restructurings: only the DPD bands (and the
    restructuring hold without a previous class) apply, in both engines alike."""
    rules, load = load_rule_set(rule_set), _duckdb()
    day = DAYS[-1]
    frame = inputs.book.at(day)
    assert_frame_equal(
        _result(classify_expr(load("lg_positions", frame), rules)), classify(frame, rules).sort("contract_no")
    )
    ours = classify_expr(
        load("lg_positions", frame), rules, restructured=load("lg_restructured", inputs.restructured)
    )
    assert_frame_equal(
        _result(ours), classify(frame, rules, restructured=inputs.restructured).sort("contract_no")
    )


@pytest.fixture(scope="module")
def spark_job_positions(inputs: Inputs, spark: Any) -> Any:
    """The positions of the book on the last day computed on Spark from contracts and payments alone:
    instalments and the allocation pass (`portfolio.spark`), then positions per contract (`spark_positions`);
    computed once for both rule sets, as the positions do not depend on them."""
    from leaseguard.portfolio.spark import spark_book_tables, spark_positions

    book = inputs.book
    contracts, instalments, allocated = spark_book_tables(
        spark.createDataFrame(book.contracts.select(
            "contract", *CONTRACT_COLUMNS, "first_due_date", "deposit_fen"
        ).to_arrow()).repartition(2),
        spark.createDataFrame(book.payments.select("contract", "paid_date", "amount_fen").to_arrow()),
        book.allocation,
    )  # fmt: skip
    positions = spark_positions(contracts, instalments, allocated, DAYS[-1], book.allocation).cache()
    positions.createOrReplaceTempView("job_positions")
    return positions


@pytest.mark.slow
@pytest.mark.parametrize("rule_set", SHIPPED)
def test_the_whole_daily_job_on_pyspark_equals_the_embedded_run(
    rule_set: str, inputs: Inputs, spark: Any, spark_job_positions: Any
) -> None:
    """Contracts and payments in, classes out, all on Spark: the positions (`spark_job_positions`) and the
    classification (`classify_expr`) — against what the embedded engine's `run_day` computes (`book.at` then
    `classify`)."""
    rules = load_rule_set(rule_set)
    load = _pyspark(spark)
    day = DAYS[-1]
    positions = ibis.pyspark.connect(spark).table("job_positions")
    lessee_types, valuations = (
        load("job_lessee_types", inputs.lessee_types),
        load("job_valuations", inputs.valuations),
    )
    restructured = load("job_restructured", inputs.restructured)
    expected = classify(
        inputs.book.at(day), rules, lessee_types=inputs.lessee_types,
        collateral=collateral_on(inputs.valuations, day), restructured=inputs.restructured,
    )  # fmt: skip
    ours = classify_expr(
        positions, rules, lessee_types=lessee_types,
        collateral=collateral_expr(valuations, day), restructured=restructured,
    )  # fmt: skip
    assert_frame_equal(_result(ours), expected.sort("contract_no"))
    assert expected.filter(pl.col("class") != "normal").height > 10  # not a vacuous comparison
