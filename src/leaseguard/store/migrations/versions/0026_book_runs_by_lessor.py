"""a run day per lessor (issue 19): book_runs is keyed by (as_of, lessor), so a lessor's daily run writes and
finds its own day only; each store-wide row of the days already run is split into one row per lessor that has
classes that day

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 09:00:00

The split, per day and lessor with contract_classes rows that day:
- rule_set, rule_set_version, rule_set_sha256, finished_at: the store-wide row's;
- contracts, provisions_fen: the lessor's contract_classes rows that day, counted and summed (what class_totals
  holds);
- changes: the day's class_changes of the lessor's contracts (joined to contract_classes by day and contract);
- general_reserve_fen: the daily run's formula on the lessor's own live claim balance (contract_classes rows
  not "not live"), (live × rate in millionths + 500,000) // 1,000,000, with the rate in millionths recovered
  from the stored day: the one that gives the store-wide reserve from the store-wide live claim balance. That
  rate is the one the day was run under when the day's live claim balance is at least 1,000,000 fen (10,000
  yuan), so each lessor's reserve is what a run of that lessor alone would have stored; the lessors' reserves
  may then differ from the store-wide figure by a few fen of rounding. (A day this migration's downgrade summed
  from lessors' rows is within a fen per lessor of its rate, and is split back into the same rows.) When no
  rate gives the stored reserve (no live claim, or rows changed since the run), the store-wide reserve is
  shared out by live claim balance (largest remainders), so the lessors' reserves add up to it exactly.
A store-wide row of a day with no contract_classes rows (no lessor had a contract classified) is dropped: no
lessor ran that day.

The downgrade merges a day's lessor rows back into one: counts, provisions and reserves summed, the rule set of
the row that finished last, the latest finishing time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_PPM = 1_000_000

_FIGURES = (
    sa.column("rule_set", sa.String(length=64)),
    sa.column("rule_set_version", sa.Integer()),
    sa.column("rule_set_sha256", sa.String(length=64)),
    sa.column("contracts", sa.Integer()),
    sa.column("changes", sa.Integer()),
    sa.column("provisions_fen", sa.BigInteger()),
    sa.column("general_reserve_fen", sa.BigInteger()),
    sa.column("finished_at", sa.DateTime(timezone=True)),
)


def _store_runs() -> sa.TableClause:
    return sa.table(
        "book_runs", sa.column("as_of", sa.Date()), *[sa.column(c.name, c.type) for c in _FIGURES]
    )


def _lessor_runs() -> sa.TableClause:
    return sa.table(
        "book_runs",
        sa.column("as_of", sa.Date()),
        sa.column("lessor", sa.String(length=32)),
        *[sa.column(c.name, c.type) for c in _FIGURES],
    )


def _rate_ppm(live: int, reserve: int, lessors: int) -> int | None:
    """The general reserve rate in millionths that the day was run under: the one that turns the day's live claim
    balance into its reserve as the daily run rounds it (the nearest to reserve / live when several do); or, for
    a day this migration's downgrade summed from `lessors` rows each rounded on its own, the only one within a
    fen per lessor of it. None when no rate is found."""
    if live <= 0:
        return None
    nearest = (reserve * _PPM * 2 + live) // (live * 2)
    for rate in (nearest, nearest - 1, nearest + 1):
        if rate >= 0 and (live * rate + _PPM // 2) // _PPM == reserve:
            return rate
    # Rates a millionth apart give reserves live / 1,000,000 fen apart: more than twice the tolerance, one fits.
    if live >= _PPM * (2 * lessors + 1) and abs((live * nearest + _PPM // 2) // _PPM - reserve) <= lessors:
        return nearest
    return None


def _shared_out(total: int, weights: dict[str, int]) -> dict[str, int]:
    """`total` shared by `weights` (negative weights as none; all none: equal), largest remainders first, so
    that the shares add up to `total`."""
    plain = {key: max(weight, 0) for key, weight in weights.items()}
    if not any(plain.values()):
        plain = {key: 1 for key in weights}
    whole = sum(plain.values())
    shares = {key: total * weight // whole for key, weight in plain.items()}
    left = total - sum(shares.values())
    by_remainder = sorted(plain, key=lambda key: (-(total * plain[key] % whole), key))
    for key in by_remainder[:left]:
        shares[key] += 1
    return shares


def _day(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def upgrade() -> None:
    bind = op.get_bind()
    runs = bind.execute(sa.select(_store_runs())).all()
    per_lessor = bind.execute(
        sa.text(
            "select as_of, lessor, count(*) as contracts, coalesce(sum(provision_fen), 0) as provisions, "
            "coalesce(sum(case when deciding_rule <> 'not live' then claim_balance_fen else 0 end), 0) as live "
            "from contract_classes where as_of in (select as_of from book_runs) group by as_of, lessor"
        ).columns(
            sa.column("as_of", sa.Date()),
            sa.column("lessor", sa.String()),
            sa.column("contracts", sa.BigInteger()),
            sa.column("provisions", sa.BigInteger()),
            sa.column("live", sa.BigInteger()),
        )
    ).all()
    changes = bind.execute(
        sa.text(
            "select ch.as_of, cc.lessor, count(*) as changes from class_changes ch join contract_classes cc "
            "on cc.as_of = ch.as_of and cc.contract_no = ch.contract_no "
            "where ch.as_of in (select as_of from book_runs) group by ch.as_of, cc.lessor"
        ).columns(
            sa.column("as_of", sa.Date()),
            sa.column("lessor", sa.String()),
            sa.column("changes", sa.BigInteger()),
        )
    ).all()
    lessors_of: dict[dt.date, dict[str, Any]] = defaultdict(dict)
    for row in per_lessor:
        lessors_of[_day(row.as_of)][str(row.lessor)] = row
    changed = {(_day(row.as_of), str(row.lessor)): int(row.changes) for row in changes}
    rows: list[dict[str, Any]] = []
    for run in runs:
        day = _day(run.as_of)
        lessors = lessors_of.get(day, {})
        if not lessors:
            continue
        live = {lessor: int(found.live) for lessor, found in lessors.items()}
        rate = _rate_ppm(sum(live.values()), int(run.general_reserve_fen), len(live))
        if rate is not None:
            reserves = {lessor: (amount * rate + _PPM // 2) // _PPM for lessor, amount in live.items()}
        else:
            reserves = _shared_out(int(run.general_reserve_fen), live)
        for lessor, found in sorted(lessors.items()):
            rows.append(
                {
                    "as_of": day,
                    "lessor": lessor,
                    "rule_set": run.rule_set,
                    "rule_set_version": run.rule_set_version,
                    "rule_set_sha256": run.rule_set_sha256,
                    "contracts": int(found.contracts),
                    "changes": changed.get((day, lessor), 0),
                    "provisions_fen": int(found.provisions),
                    "general_reserve_fen": reserves[lessor],
                    "finished_at": run.finished_at,
                }
            )
    op.execute(sa.delete(_store_runs()))
    with op.batch_alter_table("book_runs") as batch:
        batch.drop_constraint("pk_book_runs", type_="primary")
        batch.add_column(sa.Column("lessor", sa.String(length=32), nullable=False))
        batch.create_primary_key("pk_book_runs", ["as_of", "lessor"])
    op.create_index("ix_book_runs_lessor_as_of", "book_runs", ["lessor", "as_of"])
    if rows:
        op.bulk_insert(_lessor_runs(), rows)


def downgrade() -> None:
    bind = op.get_bind()
    runs = bind.execute(sa.select(_lessor_runs())).all()
    merged: dict[dt.date, dict[str, Any]] = {}
    for run in sorted(runs, key=lambda r: (_day(r.as_of), r.finished_at, r.lessor)):
        day = _day(run.as_of)
        kept = merged.get(day)
        if kept is None:
            merged[day] = {
                "as_of": day,
                **{name: getattr(run, name) for name in ("rule_set", "rule_set_version", "rule_set_sha256")},
                "contracts": 0,
                "changes": 0,
                "provisions_fen": 0,
                "general_reserve_fen": 0,
                "finished_at": run.finished_at,
            }
            kept = merged[day]
        # In finishing order: the last row's rule set and time stay.
        kept.update(
            {name: getattr(run, name) for name in ("rule_set", "rule_set_version", "rule_set_sha256")}
        )
        kept["finished_at"] = run.finished_at
        for name in ("contracts", "changes", "provisions_fen", "general_reserve_fen"):
            kept[name] += int(getattr(run, name))
    op.execute(sa.delete(_lessor_runs()))
    op.drop_index("ix_book_runs_lessor_as_of", table_name="book_runs")
    with op.batch_alter_table("book_runs") as batch:
        batch.drop_constraint("pk_book_runs", type_="primary")
        batch.drop_column("lessor")
        batch.create_primary_key("pk_book_runs", ["as_of"])
    if merged:
        op.bulk_insert(_store_runs(), list(merged.values()))
