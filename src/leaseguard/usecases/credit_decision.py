"""Decide an application: `leaseguard credit decide`, POST /v1/applications/decide and the console's
/applications all end here, so a decision reads the same store facts, is recorded the same way and answers with
the same JSON; and the lessor's recorded decisions, a page at a time and one by one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.credit.decide import Decider
from leaseguard.credit.service import application_facts, record_decision
from leaseguard.errors import NotFoundError
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.store.models import CreditApplication
from leaseguard.usecases.credit_policy import DeployedPolicy, deployed_policy
from leaseguard.vocabulary import Label


def decide_application(
    session: Session, decider: Decider, application: Mapping[str, Any], *, lessor: str, sharing: frozenset[str],
    asked_by: str, channel: str, signer: NoteSigner | None, today: dt.date, where: str | Label,
) -> dict[str, Any]:  # fmt: skip
    """Decide one application of `lessor` with the store's facts (other members' only under `sharing` and the
    applicant's consent), record it (and deposit it in the evidence log, with a `signer`) in `session`'s
    transaction: the decision's JSON with its `decision_id` and `evidence_index`. CreditError names `where`."""
    facts = application_facts(session, application, lessor, today, sharing, where)
    decision = decider.decide(application, facts, today, where=where)
    row = record_decision(
        session, decision, lessor=lessor, applicant_id=str(application.get("applicant_id") or ""), today=today,
        asked_by=asked_by, channel=channel, policy_sha256=decider.policy.sha256, signer=signer,
    )  # fmt: skip
    return {**decision.to_json(), "decision_id": row.id, "evidence_index": row.evidence_index}


class DeciderSource(Protocol):
    """What a server keeps to decide with (api.credit.CreditDesk): the deciders of its models under a policy,
    and the lessors that share consortium data."""

    sharing: frozenset[str]

    def decider(self, version: str | None, deployed: DeployedPolicy | None = None) -> Decider: ...


def decide_served(
    sessions: sessionmaker[Session], desk: DeciderSource, application: Mapping[str, Any], *, lessor: str,
    asked_by: str, channel: str, signer: NoteSigner | None, model_version: str | None, where: str | Label,
) -> dict[str, Any]:  # fmt: skip
    """Decide one application on a server (POST /v1/applications/decide and the console's /applications): the
    lessor's deployed policy, read in the decision's own transaction (else the workspace's), and
    `decide_application`. The decision's JSON, as the API answers it."""
    with sessions() as session, session.begin():
        decider = desk.decider(model_version, deployed_policy(session, lessor))
        return decide_application(
            session, decider, application, lessor=lessor, sharing=desk.sharing, asked_by=asked_by,
            channel=channel, signer=signer, today=dt.date.today(), where=where,
        )  # fmt: skip


@dataclass(frozen=True)
class DecisionSummary:
    """One decision in the lessor's list."""

    id: int
    applicant_id: str
    application_id: str | None
    applied_on: dt.date
    created_at: dt.datetime
    decision: str | None
    score: int | None
    pd: float | None
    model_version: str | None
    policy_version: int | None


@dataclass(frozen=True)
class DecisionPage:
    decisions: list[DecisionSummary]
    next_before: int | None  # the keyset of the next (older) page, None on the last


def _summary(row: Any) -> DecisionSummary:
    return DecisionSummary(
        row.id, row.applicant_id, row.application_id, row.applied_on, row.created_at, row.decision, row.score,
        row.pd, row.model_version, row.policy_version,
    )  # fmt: skip


def recent_decisions(
    session: Session, lessor: str, *, before: int | None = None, limit: int = 20
) -> DecisionPage:
    """The lessor's credit decisions, newest first, `limit` a page; `before` is the id the page starts below
    (keyset on `credit_applications (lessor, source, id)`)."""
    query = select(
        CreditApplication.id, CreditApplication.applicant_id, CreditApplication.application_id,
        CreditApplication.applied_on, CreditApplication.created_at, CreditApplication.decision,
        CreditApplication.score, CreditApplication.pd, CreditApplication.model_version,
        CreditApplication.policy_version,
    ).where(CreditApplication.lessor == lessor, CreditApplication.source == "decision")  # fmt: skip
    if before is not None:
        query = query.where(CreditApplication.id < before)
    rows = session.execute(query.order_by(CreditApplication.id.desc()).limit(limit + 1)).all()
    shown = [_summary(row) for row in rows[:limit]]
    return DecisionPage(shown, shown[-1].id if len(rows) > limit else None)


NO_DECISION = Label("没有审批记录 {decision_id}", "no credit decision {decision_id}")


class UnknownDecisionError(NotFoundError):
    """A decision that is not the lessor's, or none: the same answer either way."""


@dataclass(frozen=True)
class DecisionRecord:
    summary: DecisionSummary
    detail: dict[str, Any]
    evidence_index: int | None


def decision_record(session: Session, lessor: str, decision_id: int) -> DecisionRecord:
    """One of the lessor's decisions as recorded; another lessor's, or none, is UnknownDecisionError."""
    row = session.execute(
        select(CreditApplication).where(
            CreditApplication.id == decision_id,
            CreditApplication.lessor == lessor,
            CreditApplication.source == "decision",
        )
    ).scalar_one_or_none()
    if row is None:
        raise UnknownDecisionError(NO_DECISION, decision_id=decision_id)
    return DecisionRecord(_summary(row), dict(row.detail or {}), row.evidence_index)
