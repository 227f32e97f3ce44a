"""A new policy tried on the lessor's recent decisions (`usecases.credit_policy.try_policy`) reads only the values
the rules read out of each decision's detail, by the store (SQLite's json_extract, PostgreSQL's ->), and keeps each
rule's outcome by its inputs: the trial is the one deciding every decision again from its whole detail, rule by
rule, gives — on both stores, with values of every type, a field missing, decisions kept before the values were,
and another lessor's decisions never counted."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine, select

from leaseguard.credit.decide import policy_schema
from leaseguard.credit.policy import Policy, combine, parse_policy, run_rules
from leaseguard.store.db import session_factory
from leaseguard.store.models import CreditApplication
from leaseguard.tenancy import add_lessor
from leaseguard.usecases.credit_policy import try_policy

SCHEMA = policy_schema(None)
DAY = dt.date(2026, 11, 2)

POLICY = """\
version: 2
name: trial
pd_from: gbm
cutoffs: {approve_max_pd: 0.2, decline_min_pd: 0.45}
bands:
  - {name: A, max_pd: 1.0, price_band: "A", months_of_income: 12, limit_cap_yuan: "1000000.00"}
rules:
  - {id: id_invalid, when: "!id_valid", action: decline, reason: 证件号码无效。}
  - {id: lenders, when: "mh_lenders_30d > 1", action: decline, reason: 多头。}
  - {id: committed, when: "income_committed_share > 0.35", action: refer, reason: 负担重。}
  - {id: both, when: "mh_applications_30d >= 2 && income_committed_share > 0.2", action: refer, reason: 两者。}
  - {id: enterprise, when: "applicant_type == 'enterprise'", action: flag, reason: 企业。}
"""


def _values(rng: random.Random) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id_valid": rng.random() > 0.1,
        "mh_lenders_30d": rng.randrange(4),
        "mh_applications_30d": rng.randrange(4),
        "income_committed_share": round(rng.random() * 0.6, 4),
        "applicant_type": rng.choice(["individual", "enterprise"]),
        "gbm_pd": round(rng.random() * 0.6, 6),
        "pd": round(rng.random() * 0.6, 6),
    }
    if rng.random() < 0.15:
        del values["income_committed_share"]  # a field the decision did not have: its rules do not fire
    return values


def _decision(lessor: str, n: int, rng: random.Random) -> CreditApplication:
    kind = rng.random()
    detail: dict[str, Any] | None = {
        "decision": "x", "score": 600, "reasons": [{"code": "scorecard-points", "text": "长的说明" * 20}],
        "rules_fired": [], "verification": ["..."],
    }  # fmt: skip
    if kind < 0.85:
        assert detail is not None
        detail["rule_values"] = _values(rng)
    elif kind < 0.93:
        detail = None  # a row without a detail at all
    decision = rng.choice(["approve", "refer", "decline"])
    return CreditApplication(
        lessor=lessor, applicant_id=f"{lessor}-{n:05d}", applied_on=DAY, application_id=None, source="decision",
        decision=decision, score=600, pd=0.1, model_version="m", policy_version=1, detail=detail,
        created_at=dt.datetime.now(dt.UTC),
    )  # fmt: skip


def _by_hand(engine: Engine, lessor: str, policy: Policy, limit: int) -> tuple[int, int, int, dict[Any, int]]:
    """The trial as deciding each decision again from its whole detail, rule by rule, without a memo."""
    tried = not_tried = changed = 0
    moves: Counter[tuple[str, str]] = Counter()
    with session_factory(engine)() as session:
        rows = session.scalars(
            select(CreditApplication)
            .where(CreditApplication.lessor == lessor, CreditApplication.source == "decision")
            .order_by(CreditApplication.id.desc())
            .limit(limit)
        ).all()
        for row in rows:
            values = (row.detail or {}).get("rule_values")
            if not values or row.decision is None:
                not_tried += 1
                continue
            tried += 1
            pd_ = values.get("gbm_pd", values.get("pd", 0.0))
            would_be = combine(policy.cutoff_decision(float(pd_)), run_rules(policy, values))
            if would_be != row.decision:
                changed += 1
                moves[(row.decision, would_be)] += 1
    return tried, not_tried, changed, dict(sorted(moves.items()))


@pytest.mark.parametrize("limit", [150, 1000])
def test_the_trial_is_every_decision_decided_again_from_its_whole_detail(
    store_engine: Engine, limit: int
) -> None:
    rng = random.Random(7)
    with session_factory(store_engine)() as session, session.begin():
        add_lessor(session, "GAMMA", "Gamma Leasing")
        add_lessor(session, "DELTA", "Delta Leasing")
        session.add_all(_decision(rng.choice(["GAMMA", "GAMMA", "DELTA"]), n, rng) for n in range(400))
    policy = parse_policy(POLICY, "policy.yaml", SCHEMA)
    with session_factory(store_engine)() as session:
        trial = try_policy(session, "GAMMA", policy, SCHEMA, limit=limit)
    tried, not_tried, changed, moves = _by_hand(store_engine, "GAMMA", policy, limit)
    assert (trial.tried, trial.not_tried, trial.changed, trial.transitions) == (
        tried,
        not_tried,
        changed,
        moves,
    )
    assert trial.tried > 100 and trial.not_tried > 5 and trial.changed > 20  # the data exercise every branch
    assert all(c.applicant_id.startswith("GAMMA-") for c in trial.listed)  # another lessor's never tried


def test_a_rule_whose_field_is_missing_does_not_fire_and_the_memo_changes_no_outcome() -> None:
    policy = parse_policy(POLICY, "policy.yaml", SCHEMA)
    rng = random.Random(11)
    memo: dict[tuple[Any, ...], bool] = {}
    for _ in range(500):
        values = _values(rng)
        assert run_rules(policy, values, memo) == run_rules(policy, values)
    assert memo  # outcomes were kept
    fired = run_rules(policy, {"id_valid": True, "mh_applications_30d": 3, "mh_lenders_30d": 0}, memo)
    assert [f.id for f in fired] == []  # 'committed' and 'both' read a field the values lack
    # An outcome is kept by the value and its type: CEL compares an int and a float differently.
    assert [f.id for f in run_rules(policy, {"mh_lenders_30d": 2}, memo)] == ["lenders"]
    assert ("lenders", ("mh_lenders_30d", "int", 2)) in memo
