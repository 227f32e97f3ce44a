"""One decision: verification, features, scorecard, LightGBM, policy rules, limit and price band, reasons.

Pure: what the store knows about the applicant comes in as `StoreFacts`; nothing here reads a file or a
database, and the hot path touches no pandas."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from leaseguard.credit.consortium import ConsortiumBands, MemberFacts, member_reasons, shipped_bands
from leaseguard.credit.errors import CreditError
from leaseguard.credit.features import (
    MULTI_HEAD_FIELDS,
    WINDOWS_DAYS,
    check_value,
    clip_to_range,
    committed_share,
    multi_head_counts,
)
from leaseguard.credit.gbm import top_contributions
from leaseguard.credit.model import CreditModel
from leaseguard.credit.policy import Policy, combine, load_policy, run_rules
from leaseguard.credit.scorecard import reasons_from_points
from leaseguard.credit.verify import VERIFICATION_FIELDS, Lists, verify_application
from leaseguard.vocabulary import Label

TOP_REASONS = 3

# Fields of an application the decision reads besides the model's features.
APPLICATION_FIELDS: dict[str, type] = {
    "applicant_type": str,
    "stated_age": int,
    "enterprise_years": float,
    "monthly_income_yuan": float,
    "requested_amount_yuan": float,
    "term_months": int,
}
DECISION_FIELDS: dict[str, type] = {"score": float, "pd": float, "scorecard_pd": float, "gbm_pd": float}


def policy_schema(model: CreditModel | None = None) -> dict[str, type]:
    """Every field a policy rule may name: verification, multi-head features, application fields, the
    model's features and the model outputs."""
    schema: dict[str, type] = {**VERIFICATION_FIELDS, **MULTI_HEAD_FIELDS, **APPLICATION_FIELDS}
    if model is not None:
        for spec in model.specs:
            schema.setdefault(spec.name, float if spec.kind == "numeric" else str)
    schema.update(DECISION_FIELDS)
    return schema


@dataclass(frozen=True)
class StoreFacts:
    """What the store knows of an applicant at decision time. `prior`, `commitments_fen` and `in_arrears` are
    the deciding lessor's own book; `members` is other sharing members' facts, banded, or None when the
    decision may not read them (see consortium.py)."""

    prior: Sequence[tuple[str, dt.date]] = ()  # (lessor, day) of earlier applications and inquiries
    commitments_fen: Sequence[Decimal] = ()
    in_arrears: bool = False
    members: MemberFacts | None = None


@dataclass
class Decision:
    application_id: str | None
    model_version: str
    policy_version: int
    score: int
    pd: float
    scorecard_pd: float
    gbm_pd: float
    decision: str
    limit_yuan: Decimal | None
    price_band: str | None
    reasons: list[dict[str, Any]]
    rules_fired: list[dict[str, str]]
    verification: list[str]
    consortium: bool = False  # whether other members' (banded) facts were read
    features: dict[str, Any] = field(default_factory=dict)
    # The model's inputs as it read them: kept with the record (audit, drift monitoring), not answered.
    inputs: dict[str, Any] = field(default_factory=dict)
    # Every value the policy's rules could read, as they read it: kept with the record, so a new policy can be
    # tried on past decisions before it is deployed (usecases.credit_policy), not answered.
    rule_values: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "application_id": self.application_id,
            "model_version": self.model_version,
            "policy_version": self.policy_version,
            "score": self.score,
            "pd": round(self.pd, 6),
            "scorecard_pd": round(self.scorecard_pd, 6),
            "gbm_pd": round(self.gbm_pd, 6),
            "decision": self.decision,
            "limit": None if self.limit_yuan is None else f"{self.limit_yuan:.2f}",
            "price_band": self.price_band,
            "reasons": self.reasons,
            "rules_fired": self.rules_fired,
            "verification": self.verification,
            "consortium": self.consortium,
            "features": self.features,
        }


def _income_fen(application: Mapping[str, Any]) -> int | None:
    value = application.get("monthly_income_yuan")
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise CreditError(
            Label(
                "字段 monthly_income_yuan：{value!r} 不是以元计的金额",
                "field monthly_income_yuan: {value!r} is not an amount of yuan",
            ),
            value=value,
            field="monthly_income_yuan",
        ) from None
    if amount < 0 or not amount.is_finite():
        raise CreditError(
            Label(
                "字段 monthly_income_yuan：必须是不小于 0 的金额",
                "field monthly_income_yuan: must be a non-negative amount",
            ),
            field="monthly_income_yuan",
        )
    return int((amount * 100).to_integral_value())


def _kept(value: Any) -> Any:
    """A rule's value as JSON keeps it: a missing number (NaN) as null, an exact amount or a day as text."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class Decider:
    """A loaded model, policy and lists: decide one application in well under a millisecond or two."""

    def __init__(
        self, model: CreditModel, policy: Policy, lists: Lists, bands: ConsortiumBands | None = None
    ) -> None:
        self.model = model
        self.policy = policy
        self.lists = lists
        self.bands = bands or shipped_bands()
        self.schema = policy_schema(model)
        unknown = sorted(policy.fields - set(self.schema))
        if unknown:
            raise CreditError(
                Label(
                    "{source}：有规则引用字段 {name!r}，模型 {version} 中没有这个字段",
                    "{source}: a rule names field {name!r}, which model {version} does not know",
                ),
                source=policy.source,
                name=unknown[0],
                version=model.version,
                field=unknown[0],
                kind="invalid-policy",
            )

    @classmethod
    def shipped(cls, model: CreditModel, lists: Lists) -> Decider:
        return cls(model, load_policy(None, policy_schema(model)), lists)

    def decide(
        self,
        application: Mapping[str, Any],
        facts: StoreFacts,
        today: dt.date,
        where: str | Label = Label("申请", "application"),
    ) -> Decision:
        application_id = application.get("application_id")
        income_fen = _income_fen(application)
        members = facts.members
        verification = verify_application(
            application,
            lists=self.lists,
            in_arrears=facts.in_arrears,
            member_arrears=members is not None and members.arrears,
            today=today,
        )
        multi_head: dict[str, Any] = multi_head_counts(facts.prior, today)
        commitments = list(facts.commitments_fen)
        if members is not None:
            # Own counts are exact; another member's enter only as the floor of their band.
            for window in WINDOWS_DAYS:
                multi_head[f"mh_lenders_{window}d"] += members.lenders[window]
                multi_head[f"mh_applications_{window}d"] += members.applications[window]
            if members.commitment_fen:
                commitments.append(Decimal(members.commitment_fen))
        multi_head["mh_outstanding_elsewhere"] = members.contracts if members is not None else 0
        multi_head["income_committed_share"] = committed_share(commitments, income_fen)
        values: dict[str, Any] = {**application, **verification.fields, **multi_head}
        checked: dict[str, float | str | None] = {}
        for spec in self.model.specs:
            value = values.get(spec.name)
            if spec.name in multi_head:
                # The store's counts are not input to refuse: a busier applicant than any in training reads as
                # the busiest the model knows (the policy rules still see the true count).
                value = clip_to_range(spec, value)
            checked[spec.name] = check_value(spec, value, where)
        score, parts = self.model.scorecard.score_row(checked)
        scorecard_pd = self.model.scorecard.pd_of(score)
        row = self.model.gbm.row(checked)
        gbm_pd = float(self.model.gbm.predict(row)[0])
        pd_ = gbm_pd if self.policy.pd_from == "gbm" else scorecard_pd
        values.update({"score": score, "pd": pd_, "scorecard_pd": scorecard_pd, "gbm_pd": gbm_pd})
        fired = run_rules(self.policy, values)
        decision = combine(self.policy.cutoff_decision(pd_), fired)
        limit: Decimal | None = None
        price_band: str | None = None
        band = self.policy.band_for(pd_) if decision != "decline" else None
        if band is not None:
            price_band = band.price_band
            if band.months_of_income is not None and income_fen is not None:
                limit = Decimal(income_fen * band.months_of_income) / 100
                if band.limit_cap_yuan is not None:
                    limit = min(limit, band.limit_cap_yuan)
                limit = limit.quantize(Decimal("0.01"))
            elif band.limit_cap_yuan is not None:
                limit = band.limit_cap_yuan
        reasons = [
            {"source": "scorecard", **reason}
            for reason in reasons_from_points(self.model.scorecard, parts, checked, TOP_REASONS)
        ]
        reasons += [
            {"source": "model", **reason}
            for reason in top_contributions(self.model.gbm.contributions(row), checked, TOP_REASONS)
        ]
        if members is not None:
            reasons += [{"source": "consortium", **reason} for reason in member_reasons(members, self.bands)]
        return Decision(
            application_id=None if application_id is None else str(application_id),
            model_version=self.model.version,
            policy_version=self.policy.version,
            score=round(score),
            pd=pd_,
            scorecard_pd=scorecard_pd,
            gbm_pd=gbm_pd,
            decision=decision,
            limit_yuan=limit,
            price_band=price_band,
            reasons=reasons,
            rules_fired=[{"id": f.id, "action": f.action, "reason": f.reason} for f in fired],
            verification=verification.findings,
            consortium=members is not None,
            features={
                k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in multi_head.items()
            },
            inputs=dict(checked),
            rule_values={name: _kept(values[name]) for name in self.schema if name in values},
        )
