"""The lease's internal rate of return from its schedule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from leaseguard.errors import InvalidInputError
from leaseguard.portfolio.schedule import build_schedule, internal_rate_of_return

START = dt.date(2025, 1, 31)


@pytest.mark.parametrize(("method", "frequency"), [("annuity", "monthly"), ("equal_principal", "quarterly")])
def test_without_a_deposit_the_return_is_the_contract_rate(method: str, frequency: str) -> None:
    schedule = build_schedule(100_000_000, Decimal("0.0655"), 36, method, frequency, START)
    rate = internal_rate_of_return(100_000_000, schedule, frequency)
    # Rounding each instalment to the fen moves the rate by far less than a thousandth of a basis point.
    assert abs(rate.nominal_annual - Decimal("0.0655")) < Decimal("1e-7")
    assert rate.effective_annual > rate.nominal_annual


def test_a_deposit_held_to_the_end_raises_the_return_and_a_residual_counts() -> None:
    schedule = build_schedule(100_000_000, Decimal("0.06"), 24, "annuity", "monthly", START, 10_000_000)
    plain = internal_rate_of_return(100_000_000, schedule, "monthly")
    with_deposit = internal_rate_of_return(100_000_000, schedule, "monthly", deposit_fen=5_000_000)
    assert abs(plain.nominal_annual - Decimal("0.06")) < Decimal("1e-7")
    assert with_deposit.nominal_annual > plain.nominal_annual + Decimal("0.001")


def test_a_schedule_that_does_not_repay_is_refused() -> None:
    schedule = build_schedule(1_000_000, Decimal("0"), 12, "annuity", "monthly", START)
    with pytest.raises(ValueError, match="不足以收回投放资金") as refused:
        internal_rate_of_return(2_000_000, schedule, "monthly")
    assert isinstance(refused.value, InvalidInputError) and "do not repay" in refused.value.text("en")
