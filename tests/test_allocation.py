"""Payment allocation: penalty interest, the configurable order, reversals and the deposit — the column-wise
positions against a slow day-by-day simulation, and small cases worked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from book_reference import read_synth_book
from leaseguard.portfolio.allocation import Allocation, AllocationError
from leaseguard.portfolio.positions import CONTRACT_COLUMNS, BookPositions
from leaseguard.synth import generate_book

MICRO = 1_000_000


def _simulate(
    instalments: list[tuple[dt.date, int, int]],  # due date, interest, principal
    payments: list[tuple[dt.date, int]],
    as_of: dt.date,
    allocation: Allocation,
) -> dict[str, int]:
    """One contract walked day by day: penalty accrues each day on every instalment already past due, then
    that day's payments are applied (a payment before a reversal)."""
    rate = allocation.penalty_rate_micro
    unpaid_interest = [i for _, i, _ in instalments]
    unpaid_principal = [p for _, _, p in instalments]
    penalty = 0  # millionths of a fen
    by_day: dict[dt.date, list[int]] = {}
    for day, amount in payments:
        by_day.setdefault(day, []).append(amount)
    first_day = min([instalments[0][0], *by_day]) - dt.timedelta(days=1)

    def pay_rent(amount: int, only_due_by: dt.date | None) -> int:
        used = 0
        for n, (due, _, _) in enumerate(instalments):
            if only_due_by is not None and due > only_due_by:
                break
            parts = ["interest", "principal"] if allocation.interest_first else ["principal", "interest"]
            for part in parts:
                owed = unpaid_interest[n] if part == "interest" else unpaid_principal[n]
                take = min(owed, amount - used)
                if part == "interest":
                    unpaid_interest[n] -= take
                else:
                    unpaid_principal[n] -= take
                used += take
        return used

    def unpay_rent(amount: int) -> None:
        # A reversal takes rent back from the newest paid instalment, the reverse of paying it.
        left = amount
        for n in reversed(range(len(instalments))):
            _, interest, principal = instalments[n]
            parts = ["principal", "interest"] if allocation.interest_first else ["interest", "principal"]
            for part in parts:
                if part == "interest":
                    back = min(interest - unpaid_interest[n], left)
                    unpaid_interest[n] += back
                else:
                    back = min(principal - unpaid_principal[n], left)
                    unpaid_principal[n] += back
                left -= back

    overpaid = 0
    day = first_day
    while day < as_of:
        day += dt.timedelta(days=1)
        for n, (due, _, _) in enumerate(instalments):
            if due < day:
                penalty += (unpaid_interest[n] + unpaid_principal[n]) * rate
        for amount in sorted(by_day.get(day, []), reverse=True):
            if amount < 0:
                from_overpaid = min(overpaid, -amount)
                overpaid -= from_overpaid
                unpay_rent(-amount - from_overpaid)
                continue
            owed_penalty = (penalty + MICRO // 2) // MICRO
            if allocation.penalty_first:
                to_penalty = min(amount, owed_penalty)
                rest = amount - to_penalty
                rest -= pay_rent(rest, None)
            else:
                rest = amount - pay_rent(amount, day)
                to_penalty = min(rest, owed_penalty)
                rest -= to_penalty
                rest -= pay_rent(rest, None)
            penalty = max(penalty - to_penalty * MICRO, 0)
            overpaid += rest
    due_now = [n for n, (due, _, _) in enumerate(instalments) if due <= as_of]
    unpaid_due = [n for n in due_now if unpaid_interest[n] + unpaid_principal[n] > 0]
    return {
        "dpd": (as_of - instalments[unpaid_due[0]][0]).days if unpaid_due else 0,
        "overdue_interest_fen": sum(unpaid_interest[n] for n in due_now),
        "overdue_principal_fen": sum(unpaid_principal[n] for n in due_now),
        "penalty_due_fen": (penalty + MICRO // 2) // MICRO,
        "outstanding_principal_fen": sum(unpaid_principal),
        "overpaid_fen": overpaid,
    }


ALLOCATIONS = {
    "penalty-interest-principal": Allocation(penalty_daily_rate=Decimal("0.0005")),
    "penalty-principal-interest": Allocation(("penalty", "principal", "interest"), Decimal("0.0003")),
    "interest-principal-penalty": Allocation(("interest", "principal", "penalty"), Decimal("0.001")),
}


@pytest.fixture(scope="module")
def synth_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, pl.DataFrame]:
    folder: Path = tmp_path_factory.mktemp("allocation") / "book"
    generate_book(folder, contracts=60, seed=5)
    contracts, payments = read_synth_book(folder)
    reversals = payments.gather_every(9).with_columns(
        pl.col("paid_date") + dt.timedelta(days=3), -pl.col("amount_fen")
    )
    return contracts.select(*CONTRACT_COLUMNS, "first_due_date"), pl.concat([payments, reversals])


@pytest.mark.parametrize("name", list(ALLOCATIONS))
def test_positions_equal_a_day_by_day_simulation(
    synth_book: tuple[pl.DataFrame, pl.DataFrame], name: str
) -> None:
    contracts, payments = synth_book
    allocation = ALLOCATIONS[name]
    book = BookPositions.from_frames(contracts, payments, None, allocation)
    fields = ["dpd", "overdue_interest_fen", "overdue_principal_fen", "penalty_due_fen",
              "outstanding_principal_fen", "overpaid_fen"]  # fmt: skip
    checked = charged = 0
    for as_of in (dt.date(2024, 3, 31), dt.date(2025, 9, 30)):
        positions = book.at(as_of)
        for contract in range(0, contracts.height, 2):
            number = contracts["contract_no"][contract]
            lines = book.instalments.filter(pl.col("contract") == contract).sort("number")
            own = payments.filter((pl.col("contract_no") == number) & (pl.col("paid_date") <= as_of))
            start = contracts["start_date"][contract]
            if as_of < start:
                continue
            expected = _simulate(
                list(zip(lines["due_date"], lines["interest_fen"], lines["principal_fen"], strict=True)),
                list(zip(own["paid_date"], own["amount_fen"], strict=True)),
                as_of,
                allocation,
            )
            got = positions.filter(pl.col("contract_no") == number).select(fields).row(0, named=True)
            assert got == expected, (name, number, as_of)
            checked += 1
            charged += expected["penalty_due_fen"] > 0
    assert checked > 20 and charged > 3  # the comparison covered contracts that really owe penalty


def _one_contract(payments: list[tuple[str, int]], allocation: Allocation, deposit: int = 0) -> BookPositions:
    contracts = pl.DataFrame(
        {
            "contract_no": ["K1"], "lessor": ["L1"], "lessee_id": ["P1"], "start_date": [dt.date(2024, 1, 1)],
            "term_months": [2], "principal_fen": [20_000_00], "annual_rate": ["0"], "method": ["annuity"],
            "frequency": ["monthly"], "residual_value_fen": [0], "deposit_fen": [deposit],
        }
    )  # fmt: skip
    paid = pl.DataFrame(
        {
            "contract_no": ["K1"] * len(payments),
            "paid_date": [dt.date.fromisoformat(day) for day, _ in payments],
            "amount_fen": [amount for _, amount in payments],
        },
        schema={"contract_no": pl.String, "paid_date": pl.Date, "amount_fen": pl.Int64},
    )
    return BookPositions.from_frames(contracts, paid, None, allocation)


def test_penalty_worked_by_hand() -> None:
    """Two instalments of 10,000.00 yuan (rate 0) due 1 Feb and 1 Mar 2024; 0.05 % a day on overdue rent.
    The first is paid in full 11 days late, on 12 Feb: 11 days × 1,000,000 fen × 0.0005 = 5,500 fen of
    penalty, which a penalty-first order takes out of the payment, leaving 55.00 yuan of rent overdue."""
    book = _one_contract([("2024-02-12", 10_000_00)], Allocation(penalty_daily_rate=Decimal("0.0005")))
    on_12 = book.at(dt.date(2024, 2, 12)).row(0, named=True)
    assert (on_12["penalty_due_fen"], on_12["overdue_amount_fen"], on_12["dpd"]) == (0, 55_00, 11)
    # By 22 Feb the 55.00 yuan still overdue has accrued 10 days × 5,500 × 0.0005 = 27.5 fen → 28 fen.
    on_22 = book.at(dt.date(2024, 2, 22)).row(0, named=True)
    assert (on_22["penalty_due_fen"], on_22["dpd"]) == (28, 21)
    # Rent first, penalty last: the same payment clears the instalment and leaves 55.00 yuan of penalty.
    last = _one_contract(
        [("2024-02-12", 10_000_00)], Allocation(("interest", "principal", "penalty"), Decimal("0.0005"))
    )
    row = last.at(dt.date(2024, 2, 12)).row(0, named=True)
    assert (row["penalty_due_fen"], row["overdue_amount_fen"], row["dpd"]) == (55_00, 0, 0)


def test_a_reversal_reopens_the_instalment_it_took_back() -> None:
    payments = [("2024-02-01", 10_000_00), ("2024-02-05", -10_000_00)]
    book = _one_contract(payments, Allocation())
    paid = book.at(dt.date(2024, 2, 3)).row(0, named=True)
    reversed_ = book.at(dt.date(2024, 2, 10)).row(0, named=True)
    assert (paid["dpd"], paid["overdue_amount_fen"]) == (0, 0)
    assert (reversed_["dpd"], reversed_["overdue_amount_fen"], reversed_["paid_to_date_fen"]) == (
        9,
        10_000_00,
        0,
    )
    # Paid again later: the instalment counts as paid late, not on time.
    again = _one_contract([*payments, ("2024-02-20", 10_000_00)], Allocation())
    row = again.at(dt.date(2024, 2, 25)).row(0, named=True)
    assert (row["dpd"], row["on_time_streak"]) == (0, 0)


def test_a_deposit_offset_at_maturity_pays_the_last_rent() -> None:
    held = _one_contract(
        [("2024-02-01", 10_000_00), ("2024-03-01", 7_000_00)], Allocation(), deposit=3_000_00
    )
    offset = _one_contract(
        [("2024-02-01", 10_000_00), ("2024-03-01", 7_000_00)],
        Allocation(deposit="offset_at_maturity"),
        3_000_00,
    )
    day = dt.date(2024, 3, 5)
    assert held.at(day).row(0, named=True)["overdue_amount_fen"] == 3_000_00
    row = offset.at(day).row(0, named=True)
    assert (row["overdue_amount_fen"], row["status"]) == (0, "settled")


@pytest.mark.parametrize(
    ("settings", "chinese", "english"),
    [
        ({"allocation": ["interest", "penalty", "principal"]}, "只能排在最前或最后", "penalty goes first or last"),
        ({"allocation": ["interest", "principal"]}, "各一次", "each once"),
        ({"penalty_daily_rate": "0.0000001"}, "最多 6 位小数", "at most 6 decimals"),
        ({"penalty_daily_rate": "5%"}, "不是数字", "is not a number"),
        ({"penalty_daily_rate": "0.5"}, "0 到 0.01 之间", "from 0 to 0.01"),
        ({"deposit": "kept"}, "应为 held, offset_at_maturity 之一", "one of held, offset_at_maturity"),
    ],
)  # fmt: skip
def test_bad_allocation_settings_are_refused_by_name(
    settings: dict[str, object], chinese: str, english: str
) -> None:
    with pytest.raises(AllocationError, match=chinese) as refused:
        Allocation.from_settings(settings)
    assert "book." in str(refused.value)
    assert english in refused.value.text("en") and "book." in refused.value.text("en")
