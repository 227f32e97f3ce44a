"""The daily positions step as one Ibis expression, so the same job runs on DuckDB and on Apache Spark.

`positions_expr` computes exactly what `BookPositions.at` computes, from the same three tables (contracts,
instalments with the day each was paid in full, payments), on whatever backend holds them. A test runs it on
DuckDB and on PySpark in local mode and compares both with the Polars engine row by row.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from leaseguard.portfolio.allocation import MICRO, Allocation
from leaseguard.portfolio.positions import BookPositions

CONTRACT_FIELDS = (
    "contract",
    "contract_no",
    "lessor",
    "lessee_id",
    "start_date",
    "principal_fen",
    "frequency",
)
INSTALMENT_FIELDS = (
    "contract", "number", "due_date", "principal_fen", "interest_fen", "amount_fen", "cumulative_due_fen",
    "paid_in_full_on",
)  # fmt: skip
PAYMENT_FIELDS = ("contract", "paid_date", "amount_fen", "rent_fen", "penalty_owed_micro", "seq")


# Wide enough for any int64 with six decimals; DuckDB and Spark multiply two of these exactly.
_EXACT = "decimal(26,6)"
_MILLIONTH = ibis.literal(Decimal("0.000001"), type=_EXACT)


def per_million(amount: ir.IntegerValue) -> ir.IntegerValue:
    """floor(amount / 1,000,000), exactly, for any int64: Ibis compiles `//` to a floating-point division on
    DuckDB and Spark, which is a fen off once amounts pass 2^53."""
    return (amount.cast(_EXACT) * _MILLIONTH).floor().cast("int64")


def book_tables(con: Any, book: BookPositions) -> tuple[ir.Table, ir.Table, ir.Table]:
    """The book's three tables created on the Ibis backend `con` (DuckDB, PySpark, …)."""
    return (
        con.create_table("lg_contracts", book.contracts.select(CONTRACT_FIELDS).to_arrow(), overwrite=True),
        con.create_table(
            "lg_instalments", book.instalments.select(INSTALMENT_FIELDS).to_arrow(), overwrite=True
        ),
        con.create_table("lg_payments", book.payments.select(PAYMENT_FIELDS).to_arrow(), overwrite=True),
    )


def positions_expr(
    contracts: ir.Table,
    instalments: ir.Table,
    payments: ir.Table,
    as_of: dt.date,
    allocation: Allocation | None = None,
) -> ir.Table:
    """Where every contract stands on `as_of`: the columns of `portfolio.positions.POSITION_COLUMNS`.

    `payments` carries the allocation pass's split (`BookPositions.payments`): the part of each payment that
    paid rent and the penalty still owed after it."""
    allocation = allocation or Allocation()
    day = ibis.literal(as_of, type="date")
    zero = ibis.literal(0, type="int64")
    paid = (
        payments.filter(payments.paid_date <= day)
        .group_by("contract")
        .aggregate(
            paid=lambda t: t.amount_fen.sum(),
            rent=lambda t: ibis.greatest(t.rent_fen.sum(), 0),
            last_paid_date=lambda t: ibis.ifelse(t.amount_fen > 0, t.paid_date, ibis.null("date")).max(),
            last_event=lambda t: t.paid_date.max(),
            penalty_owed=lambda t: t.penalty_owed_micro.argmax(t.seq),
        )
    )
    joined = instalments.left_join(paid, "contract")
    paid_so_far = joined.paid.fill_null(0)
    rent_so_far = joined.rent.fill_null(0)
    earlier_due = joined.cumulative_due_fen - joined.amount_fen
    covered = ibis.least(ibis.greatest(rent_so_far - earlier_due, 0), joined.amount_fen)
    if allocation.interest_first:
        interest_paid = ibis.least(covered, joined.interest_fen)
    else:
        interest_paid = ibis.greatest(covered - joined.principal_fen, 0)
    principal_paid = covered - interest_paid
    due = joined.due_date <= day
    unpaid = due & (joined.cumulative_due_fen > rent_so_far)
    late = due & (joined.paid_in_full_on.isnull() | (joined.paid_in_full_on > joined.due_date))
    since = ibis.greatest(joined.due_date, joined.last_event.fill_null(joined.due_date))
    accrued = ibis.ifelse(
        joined.due_date < day,
        (joined.amount_fen - covered)
        * day.delta(since.cast("date"), unit="day")
        * allocation.penalty_rate_micro,
        zero,
    )
    per_contract = (
        joined.mutate(
            _paid=paid_so_far,
            _rent=rent_so_far,
            _penalty_owed=joined.penalty_owed.fill_null(0),
            _accrued=accrued,
            _principal_paid=principal_paid,
            _due_amount=ibis.ifelse(due, joined.amount_fen, zero),
            _due=ibis.ifelse(due, 1, 0),
            _unpaid=ibis.ifelse(unpaid, 1, 0),
            _oldest_unpaid=ibis.ifelse(unpaid, joined.due_date, ibis.null("date")),
            _next_due=ibis.ifelse(due, ibis.null("date"), joined.due_date),
            _overdue_interest=ibis.ifelse(due, joined.interest_fen - interest_paid, zero),
            _overdue_principal=ibis.ifelse(due, joined.principal_fen - principal_paid, zero),
            _late_number=ibis.ifelse(late, joined.number, 0),
        )
        .group_by("contract")
        .aggregate(
            paid=lambda t: t._paid.max(),
            rent=lambda t: t._rent.max(),
            penalty_owed=lambda t: t._penalty_owed.max(),
            penalty_accrued=lambda t: t._accrued.sum(),
            last_paid_date=lambda t: t.last_paid_date.max(),
            total_due=lambda t: t.amount_fen.sum(),
            instalments=lambda t: t.count(),
            instalments_due=lambda t: t._due.sum(),
            instalments_overdue=lambda t: t._unpaid.sum(),
            due_amount=lambda t: t._due_amount.sum(),
            oldest_unpaid=lambda t: t._oldest_unpaid.min(),
            next_due_date=lambda t: t._next_due.min(),
            principal_repaid=lambda t: t._principal_paid.sum(),
            overdue_interest=lambda t: t._overdue_interest.sum(),
            overdue_principal=lambda t: t._overdue_principal.sum(),
            last_late=lambda t: t._late_number.max(),
        )
    )
    book = contracts.left_join(per_contract, "contract")
    paid_total = book.paid.fill_null(0)
    rent_total = book.rent.fill_null(0)
    penalty_due = per_million(book.penalty_owed.fill_null(0) + book.penalty_accrued.fill_null(0) + MICRO // 2)
    outstanding = book.principal_fen - book.principal_repaid.fill_null(0)
    overdue_interest = book.overdue_interest.fill_null(0)
    instalments_due = book.instalments_due.fill_null(0)
    total_due = book.total_due.fill_null(0)
    status = ibis.cases(
        (day < book.start_date, "not_started"),
        ((rent_total >= total_due) & (penalty_due == 0), "settled"),
        (instalments_due == book.instalments.fill_null(0), "matured_unpaid"),
        else_="active",
    )
    return book.select(
        contract_no=book.contract_no,
        lessor=book.lessor,
        lessee_id=book.lessee_id,
        as_of=day,
        status=status,
        dpd=day.delta(book.oldest_unpaid, unit="day").fill_null(0).cast("int32"),
        overdue_amount_fen=ibis.greatest(book.due_amount.fill_null(0) - rent_total, 0).cast("int64"),
        overdue_principal_fen=book.overdue_principal.fill_null(0).cast("int64"),
        overdue_interest_fen=overdue_interest.cast("int64"),
        penalty_due_fen=penalty_due.cast("int64"),
        outstanding_principal_fen=outstanding.cast("int64"),
        claim_balance_fen=(outstanding + overdue_interest).cast("int64"),
        paid_to_date_fen=paid_total.cast("int64"),
        overpaid_fen=ibis.greatest(rent_total - total_due, 0).cast("int64"),
        instalments_due=instalments_due.cast("int32"),
        instalments_overdue=book.instalments_overdue.fill_null(0).cast("int32"),
        on_time_streak=(instalments_due - book.last_late.fill_null(0)).cast("int32"),
        last_paid_date=book.last_paid_date,
        next_due_date=book.next_due_date,
        periods_per_year=ibis.ifelse(book.frequency == "monthly", 12, 4).cast("int32"),
    )
