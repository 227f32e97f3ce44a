"""Decide an application: `leaseguard credit decide` and POST /v1/applications/decide both end here, so a
decision reads the same store facts, is recorded the same way and answers with the same JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from leaseguard.credit.decide import Decider
from leaseguard.credit.service import application_facts, record_decision
from leaseguard.evidence.checkpoint import NoteSigner
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
