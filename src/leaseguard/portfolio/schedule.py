"""The rent schedule of one lease, exact to the fen: annuity or equal principal, monthly or quarterly.

Conventions (the synthetic book's columnar schedule agrees with them to the fen):
- the periodic rate is annual_rate × months per period / 12, kept as an exact fraction;
- interest of a period is the outstanding principal × periodic rate, rounded half up to the fen;
- an annuity instalment is the annuity formula, with the residual value as a balloon, rounded half up to the
  fen; equal principal repays (principal − residual) / periods, rounded half up, each period;
- the last instalment absorbs every rounding: it repays all that is still outstanding, the residual included;
- instalment k falls due k periods after the start date, on the same day of the month or the month's last day;
- a first-period stub (a first instalment due on `first_due_date` rather than one period after the start) moves
  every instalment: instalment k falls due k − 1 periods after `first_due_date`. The stub's interest is the
  outstanding principal × annual rate × its actual days / 360 (the CNY day count, 日利率 = 年利率 / 360), rounded
  half up; its principal part is what a regular first period would repay, so only the interest differs.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from leaseguard.errors import InvalidInputError
from leaseguard.vocabulary import Label

METHODS = ("annuity", "equal_principal")
MONTHS_PER_PERIOD = {"monthly": 1, "quarterly": 3}


@dataclass(frozen=True)
class Instalment:
    number: int  # 1-based
    due_date: dt.date
    principal_fen: int  # principal repaid, the residual value excluded
    interest_fen: int
    residual_fen: int  # the residual value, due with the last instalment only
    amount_fen: int  # principal + interest + residual
    outstanding_after_fen: int  # principal still owed after this instalment, residual included until paid


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for a non-negative numerator and a positive denominator."""
    return (2 * numerator + denominator) // (2 * denominator)


def add_months(start: dt.date, months: int) -> dt.date:
    """`start` moved by whole months; a day the target month lacks becomes its last day (31 Jan + 1 → 28/29 Feb)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return dt.date(year, month + 1, day)


def periodic_rate(annual_rate: Decimal | Fraction, frequency: str) -> Fraction:
    return Fraction(annual_rate) * MONTHS_PER_PERIOD[frequency] / 12


def annuity_payment_fen(principal_fen: int, rate: Fraction, periods: int, residual_value_fen: int = 0) -> int:
    """The level instalment that repays `principal_fen` down to `residual_value_fen` in `periods`, rounded."""
    if rate == 0:
        return round_half_up(principal_fen - residual_value_fen, periods)
    growth = (1 + rate) ** periods
    exact = (principal_fen * growth - residual_value_fen) * rate / (growth - 1)
    return round_half_up(exact.numerator, exact.denominator)


def build_schedule(
    principal_fen: int,
    annual_rate: Decimal,
    term_months: int,
    method: str,
    frequency: str,
    start_date: dt.date,
    residual_value_fen: int = 0,
    first_due_date: dt.date | None = None,
) -> list[Instalment]:
    """Every instalment of the lease, from the first to the last (which also brings the residual value)."""
    if frequency not in MONTHS_PER_PERIOD:
        raise InvalidInputError(
            Label(
                "frequency 必须是 {choices} 之一，不能是 {given!r}",
                "frequency must be one of {choices}, not {given!r}",
            ),
            choices=sorted(MONTHS_PER_PERIOD),
            given=frequency,
        )
    if method not in METHODS:
        raise InvalidInputError(
            Label(
                "method 必须是 {choices} 之一，不能是 {given!r}",
                "method must be one of {choices}, not {given!r}",
            ),
            choices=list(METHODS),
            given=method,
        )
    months = MONTHS_PER_PERIOD[frequency]
    if term_months <= 0 or term_months % months:
        raise InvalidInputError(
            Label(
                "term_months {term} 不是 {months} 的正整数倍",
                "term_months {term} is not a positive multiple of {months}",
            ),
            term=term_months,
            months=months,
        )
    if not 0 <= residual_value_fen <= principal_fen:
        raise InvalidInputError(
            Label(
                "留购价（残值）必须在 0 与本金之间", "the residual value must lie between 0 and the principal"
            )
        )
    if annual_rate < 0:
        raise InvalidInputError(Label("annual_rate 不能为负数", "annual_rate must not be negative"))
    if first_due_date is not None and first_due_date <= start_date:
        raise InvalidInputError(
            Label(
                "first_due_date {first} 不晚于 start_date {start}",
                "first_due_date {first} is not after start_date {start}",
            ),
            first=first_due_date,
            start=start_date,
        )
    periods = term_months // months
    rate = periodic_rate(annual_rate, frequency)
    level = annuity_payment_fen(principal_fen, rate, periods, residual_value_fen)
    equal_part = round_half_up(principal_fen - residual_value_fen, periods)
    outstanding = principal_fen
    schedule: list[Instalment] = []
    for number in range(1, periods + 1):
        owed = outstanding * rate
        interest = round_half_up(owed.numerator, owed.denominator)
        residual = 0
        if number == periods:
            principal, residual = outstanding - residual_value_fen, residual_value_fen
        elif method == "annuity":
            principal = level - interest
        else:
            principal = equal_part
        if number == 1 and first_due_date is not None:
            stub = outstanding * Fraction(annual_rate) * (first_due_date - start_date).days / 360
            interest = round_half_up(stub.numerator, stub.denominator)
        outstanding -= principal + residual
        schedule.append(
            Instalment(
                number=number,
                due_date=(
                    add_months(start_date, number * months)
                    if first_due_date is None
                    else add_months(first_due_date, (number - 1) * months)
                ),
                principal_fen=principal,
                interest_fen=interest,
                residual_fen=residual,
                amount_fen=principal + interest + residual,
                outstanding_after_fen=outstanding,
            )
        )
    return schedule


@dataclass(frozen=True)
class ReturnRate:
    """A lease's internal rate of return: per period, and per year (nominal and effective)."""

    periodic: Decimal
    nominal_annual: Decimal
    effective_annual: Decimal


def internal_rate_of_return(
    principal_fen: int,
    schedule: list[Instalment],
    frequency: str,
    *,
    deposit_fen: int = 0,
    tolerance: Decimal = Decimal("1e-12"),
) -> ReturnRate:
    """The rate at which the lessor's cash flows are worth nothing today: the funding (less a deposit it
    holds) out at the start, every instalment in on its period, the deposit given back with the last one.

    Found by bisection in Decimal arithmetic to `tolerance` per period; a schedule that does not repay its
    funding has no positive rate and is refused."""
    if not schedule:
        raise InvalidInputError(Label("租金计划为空，没有收益率", "an empty schedule has no rate of return"))
    flows = [Decimal(-(principal_fen - deposit_fen))] + [Decimal(i.amount_fen) for i in schedule]
    flows[-1] -= deposit_fen

    def value(rate: Decimal) -> Decimal:
        total, factor = Decimal(0), Decimal(1)
        for flow in flows:
            total += flow / factor
            factor *= 1 + rate
        return total

    low, high = Decimal(0), Decimal(1)
    if value(low) < 0:
        raise InvalidInputError(
            Label(
                "各期租金不足以收回投放资金：没有正的收益率",
                "the instalments do not repay the funding: no positive rate of return",
            )
        )
    while value(high) > 0:
        high *= 2
    while high - low > tolerance:
        middle = (low + high) / 2
        low, high = (middle, high) if value(middle) > 0 else (low, middle)
    periodic = (low + high) / 2
    periods_per_year = 12 // MONTHS_PER_PERIOD[frequency]
    return ReturnRate(periodic, periodic * periods_per_year, (1 + periodic) ** periods_per_year - 1)
