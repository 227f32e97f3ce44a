"""How payments are applied: the order of penalty, interest and principal, penalty interest, the deposit.

Settings (workspace `book:` section, all data):
- `allocation`: the order a payment pays penalty, interest and principal, e.g. [penalty, interest, principal]
  (the default, and the market's usual order). Instalments are always paid oldest first. Penalty is either
  first (every penalty accrued to the payment day is settled before any rent) or last (rent due by the payment
  day is settled first, then penalty, and only then is rent prepaid); interest and principal of one instalment
  go in the order they are listed.
- `penalty_daily_rate`: penalty interest per day on overdue rent (instalments past their due date and not yet
  paid), e.g. 0.0005 for 0.05 % a day; 0 charges none. At most 6 decimals.
- `deposit`: `held` (given back at the end, the default) or `offset_at_maturity` (the deposit pays the rent
  still owed when the last instalment falls due, counted as a payment on that day).

A reversed payment (a negative amount, 冲正) takes back rent paid; penalty already settled stays settled.

Penalty makes allocation depend on the path of payments, so it is computed contract by contract in one pass
over the payments (`allocate_payments`, compiled with numba in `compiled`), before the column-wise
positions. That pass splits every payment into the part that paid rent and the part that paid penalty and records
the penalty still owed after it; on any day the positions then add what accrued since the last payment,
column-wise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from leaseguard.errors import InvalidInputError
from leaseguard.vocabulary import Label

COMPONENTS = ("penalty", "interest", "principal")
DEPOSIT_MODES = ("held", "offset_at_maturity")
MICRO = 1_000_000  # penalty is carried in millionths of a fen, so a daily rate of 6 decimals stays exact


class AllocationError(InvalidInputError):
    """A `book:` allocation setting that cannot be used; the message names the setting and the reason."""


@dataclass(frozen=True)
class Allocation:
    order: tuple[str, ...] = COMPONENTS
    penalty_daily_rate: Decimal = Decimal(0)
    deposit: str = "held"

    @property
    def penalty_first(self) -> bool:
        return self.order[0] == "penalty"

    @property
    def interest_first(self) -> bool:
        return self.order.index("interest") < self.order.index("principal")

    @property
    def penalty_rate_micro(self) -> int:
        """Millionths of a fen of penalty per fen overdue per day."""
        return int(self.penalty_daily_rate * MICRO)

    @classmethod
    def from_settings(cls, book: Mapping[str, Any] | None) -> Allocation:
        book = book or {}
        order = tuple(str(part).strip().lower() for part in book.get("allocation", COMPONENTS))
        if sorted(order) != sorted(COMPONENTS):
            raise AllocationError(
                Label(
                    "book.allocation {order}：应列出 penalty、interest 和 principal，各一次",
                    "book.allocation {order}: list penalty, interest and principal, each once",
                ),
                order=list(order),
            )
        if order[1] == "penalty":
            raise AllocationError(
                Label(
                    "book.allocation {order}：违约金（penalty）只能排在最前或最后（付款按最早一期先冲抵，"
                    "无法在同一期的利息和本金之间冲抵违约金）",
                    "book.allocation {order}: penalty goes first or last (between interest and principal of one "
                    "instalment is not an order a payment can follow oldest instalment first)",
                ),
                order=list(order),
            )
        raw_rate = str(book.get("penalty_daily_rate", "0"))
        try:
            rate = Decimal(raw_rate)
        except InvalidOperation:
            raise AllocationError(
                Label(
                    "book.penalty_daily_rate {rate!r} 不是数字",
                    "book.penalty_daily_rate {rate!r} is not a number",
                ),
                rate=raw_rate,
            ) from None
        if not 0 <= rate <= Decimal("0.01") or rate * MICRO != int(rate * MICRO):
            raise AllocationError(
                Label(
                    "book.penalty_daily_rate {rate}：应为 0 到 0.01 之间的日利率，最多 6 位小数"
                    "（每日万分之五写作 0.0005）",
                    "book.penalty_daily_rate {rate}: a daily rate from 0 to 0.01 with at most 6 decimals "
                    "(0.05 % a day is 0.0005)",
                ),
                rate=raw_rate,
            )
        deposit = str(book.get("deposit", "held"))
        if deposit not in DEPOSIT_MODES:
            raise AllocationError(
                Label(
                    "book.deposit {deposit!r}：应为 {modes} 之一", "book.deposit {deposit!r}: one of {modes}"
                ),
                deposit=deposit,
                modes=", ".join(DEPOSIT_MODES),
            )
        return cls(order, rate, deposit)


NEVER = np.iinfo(np.int64).min  # an instalment not (yet) paid in full


@dataclass(frozen=True)
class Allocated:
    """Per payment: the part that paid rent, the part that paid penalty, the penalty still owed after it
    (millionths of a fen), rent paid so far and its place in the contract's order; per instalment: the day it
    was paid in full, NEVER if it was not."""

    rent: np.ndarray
    penalty_paid: np.ndarray
    penalty_owed_micro: np.ndarray
    cumulative_rent: np.ndarray
    seq: np.ndarray
    paid_in_full_day: np.ndarray


def allocate_payments(
    instalment_contract: np.ndarray,
    due_day: np.ndarray,
    amount: np.ndarray,
    cumulative_due: np.ndarray,
    payment_contract: np.ndarray,
    paid_day: np.ndarray,
    paid_amount: np.ndarray,
    allocation: Allocation,
) -> Allocated:
    """Instalments sorted by contract then number, payments by contract then day, a payment before a
    reversal (days as integers); contract ids need not be consecutive."""
    from leaseguard.portfolio.compiled import allocate_all

    boundaries = np.flatnonzero(np.diff(instalment_contract)) + 1
    starts = np.concatenate([[0], boundaries]).astype(np.int64)
    ids = instalment_contract[starts]

    def per_payment() -> np.ndarray:
        return np.zeros(paid_amount.size, dtype=np.int64)

    out = Allocated(
        rent=per_payment(),
        penalty_paid=per_payment(),
        penalty_owed_micro=per_payment(),
        cumulative_rent=per_payment(),
        seq=per_payment(),
        paid_in_full_day=np.zeros(due_day.size, dtype=np.int64),
    )
    allocate_all(
        starts,
        np.concatenate([boundaries, [instalment_contract.size]]).astype(np.int64),
        np.searchsorted(payment_contract, ids, "left").astype(np.int64),
        np.searchsorted(payment_contract, ids, "right").astype(np.int64),
        due_day.astype(np.int64),
        amount.astype(np.int64),
        cumulative_due.astype(np.int64),
        paid_day.astype(np.int64),
        paid_amount.astype(np.int64),
        allocation.penalty_rate_micro,
        allocation.penalty_first,
        out.rent,
        out.penalty_paid,
        out.penalty_owed_micro,
        out.cumulative_rent,
        out.seq,
        out.paid_in_full_day,
    )
    return out


@dataclass(frozen=True)
class ContractState:
    """One contract on a day, by the same pass as the book: per instalment (schedule order) the rent still
    unpaid if it is due by the day (fen; 0 for one not yet due) and the penalty accrued on it to the day
    (millionths of a fen, before any penalty paid); per payment applied (those by the day, in the book's
    order) its day, the part that paid rent and the rent paid so far; and the totals."""

    unpaid_fen: np.ndarray
    accrued_micro: np.ndarray
    payment_day: np.ndarray
    payment_rent_fen: np.ndarray
    cumulative_rent_fen: np.ndarray
    rent_paid_fen: int  # never below nothing: reversals beyond what was paid wait for later payments
    penalty_paid_fen: int
    penalty_owed_micro: int  # the penalty still owed on the day, exact
    overdue_rent_fen: int
    penalty_due_fen: int  # penalty_owed_micro rounded half up to the fen, as the book's penalty_due_fen


def contract_state(
    due_day: np.ndarray,
    amount: np.ndarray,
    cumulative_due: np.ndarray,
    paid_day: np.ndarray,
    paid_amount: np.ndarray,
    allocation: Allocation,
    day: int,
) -> ContractState:
    """One contract's instalments (by number) and payments (in the order the book applies them: by day, a
    payment before a reversal), days as integers, on `day`: the compiled pass the book runs, with each
    instalment's accrued penalty kept. A payment of nothing on `day`, after that day's payments, carries the
    penalty to the day exactly as `BookPositions.at` adds what accrued since the last payment."""
    from leaseguard.portfolio.compiled import allocate_contract

    taken = np.asarray(paid_day, dtype=np.int64) <= day
    days = np.append(np.asarray(paid_day, dtype=np.int64)[taken], day)
    values = np.append(np.asarray(paid_amount, dtype=np.int64)[taken], 0)
    due = np.asarray(due_day, dtype=np.int64)
    amounts = np.asarray(amount, dtype=np.int64)
    cumulative = np.asarray(cumulative_due, dtype=np.int64)
    rent, penalty_paid, balance_after, cumulative_rent, seq = (
        np.zeros(days.size, dtype=np.int64) for _ in range(5)
    )
    accrued = np.zeros(due.size, dtype=np.int64)
    allocate_contract(
        0, due.size, 0, days.size, due, amounts, cumulative, days, values, allocation.penalty_rate_micro,
        allocation.penalty_first, rent, penalty_paid, balance_after, cumulative_rent, seq, accrued,
    )  # fmt: skip
    rent_paid = max(int(cumulative_rent[-1]), 0)
    unpaid = np.where(due <= day, np.clip(np.minimum(cumulative - rent_paid, amounts), 0, None), 0)
    owed = int(balance_after[-1])
    return ContractState(
        unpaid_fen=unpaid,
        accrued_micro=accrued,
        payment_day=days[:-1],
        payment_rent_fen=rent[:-1],
        cumulative_rent_fen=cumulative_rent[:-1],
        rent_paid_fen=rent_paid,
        penalty_paid_fen=int(penalty_paid.sum()),
        penalty_owed_micro=owed,
        overdue_rent_fen=int(unpaid.sum()),
        penalty_due_fen=(owed + MICRO // 2) // MICRO,
    )
