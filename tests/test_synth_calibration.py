"""The synthetic book looks like a leasing company's (issue 14 item 7): each lessor's non-performing ratio on
the book date in the low single digits by default and harsher under stress, and a synthetic balance sheet
on which the shipped nfra-2024 indicators are mostly ok, measured with the real classification and engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text

from leaseguard.classification.daily import run_days
from leaseguard.classification.rules import load_rule_set
from leaseguard.indicators.engine import compute_report
from leaseguard.indicators.rules import load_risk_weights
from leaseguard.indicators.rules import load_rule_set as load_indicator_rules
from leaseguard.indicators.service import read_book
from leaseguard.ingest import import_paths
from leaseguard.store.db import create_store_engine, upgrade_schema
from leaseguard.synth import generate_book
from leaseguard.synth.balance_sheet import book_exposures, npl_balance, synthetic_balance_sheet
from leaseguard.synth.parameters import SynthParameters

AS_OF = dt.date(2026, 10, 31)
NON_PERFORMING = ("substandard", "doubtful", "loss")


@pytest.fixture(scope="module")
def classified(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[int, bool], Engine]]:
    """The store of a 20,000-contract book classified on the book date, by seed and by stress, each built
    once for the module's tests."""
    built: dict[tuple[int, bool], Engine] = {}

    def store(seed: int, stressed: bool = False) -> Engine:
        if (seed, stressed) not in built:
            folder = tmp_path_factory.mktemp(f"calibration-{seed}-{'stress' if stressed else 'default'}")
            parameters = SynthParameters.stressed() if stressed else None
            generate_book(folder / "book", contracts=20_000, seed=seed, as_of=AS_OF, parameters=parameters)
            engine = create_store_engine(f"sqlite:///{folder / 'store.db'}")
            upgrade_schema(engine)
            assert all(r.rejected == 0 for r in import_paths(engine, [folder / "book"]))
            run_days(engine, [AS_OF], load_rule_set("cbirc-2023"))
            built[seed, stressed] = engine
        return built[seed, stressed]

    yield store
    for engine in built.values():
        engine.dispose()


def _npl_ratios(engine: Engine) -> dict[str, float]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "select lessor, sum(claim_balance_fen), sum(case when class in ('substandard', 'doubtful', "
                "'loss') then claim_balance_fen else 0 end) from contract_classes where as_of = :day "
                "group by lessor"
            ),
            {"day": AS_OF},
        ).all()
    return {str(lessor): int(bad) / int(total) for lessor, total, bad in rows}


@pytest.mark.parametrize("seed", [3, 11])
def test_each_lessors_npl_ratio_is_in_the_low_single_digits_and_higher_under_stress(
    classified: Callable[[int, bool], Engine], seed: int
) -> None:
    engine = classified(seed, False)
    ratios = _npl_ratios(engine)
    defaulted = pl.read_csv(Path(engine.url.database or "").parent / "book" / "contract_outcomes.csv")[
        "defaulted"
    ].sum()
    assert len(ratios) == 5
    assert all(0.01 <= ratio <= 0.05 for ratio in ratios.values()), ratios
    # Defaults are still there to classify, warn on and take to court: most were worked out, not removed.
    assert defaulted > 0.04 * 20_000
    harsh = _npl_ratios(classified(seed, True))
    assert all(harsh[lessor] > ratios[lessor] for lessor in ratios), (ratios, harsh)
    assert sorted(harsh.values())[2] >= 0.08, harsh


def test_the_synthetic_balance_sheet_is_mostly_inside_the_nfra_2024_limits(
    classified: Callable[[int, bool], Engine],
) -> None:
    engine = classified(3, False)  # the first test's book, built once
    rules, weights = load_indicator_rules("nfra-2024"), load_risk_weights()
    for lessor in ("L001", "L002", "L003", "L004", "L005"):
        book = read_book(engine, lessor, AS_OF)
        top = book.group_by("lessee_id").agg(pl.col("claim_balance_fen").sum()).sort("claim_balance_fen")
        sheet = synthetic_balance_sheet(
            lessor, AS_OF, lease_receivables_fen=int(book["claim_balance_fen"].sum()),
            required_provisions_fen=int(book["provision_fen"].sum()),
            shareholder_ids=(*top.tail(1)["lessee_id"].to_list(), "SHAREHOLDER-2"),
            largest_exposures=book_exposures(book), npl_balance_fen=npl_balance(book),
        )  # fmt: skip
        report = compute_report(rules, sheet, book, weights, as_of=AS_OF)
        assert not report.problems, report.problems
        judged = [r for r in report.results if r.status != "no_limit"]
        off = [(r.id, r.status, r.value) for r in judged if r.status != "ok"]
        assert len(off) <= 2, (lessor, off)
        for r in judged:
            assert r.value is not None and r.limit is not None
            beyond = r.value / r.limit if r.comparison == "<=" else r.limit / r.value
            assert beyond <= 1.1, (lessor, r.id, r.value)
