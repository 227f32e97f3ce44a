"""The credit capability at the store's edge: what the store knows of an applicant for one lessor (its own
book, and other sharing members' facts as bands only under consortium sharing), loading an
inquiry/application log, and recording each decision, deposited in the evidence log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from leaseguard.credit.consortium import (
    ConsortiumBands,
    MemberFacts,
    consortium_members,
    member_facts,
    shipped_bands,
)
from leaseguard.credit.decide import Decision, StoreFacts
from leaseguard.credit.features import WINDOWS_DAYS, monthly_commitment_fen
from leaseguard.evidence import Provenance, append_event
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.store.models import Contract, ContractClass, CreditApplication
from leaseguard.vocabulary import Label


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def log_entries(
    session: Session, applicant_id: str, lessors: Collection[str], today: dt.date, *, shared_only: bool
) -> list[tuple[str, dt.date]]:
    """(lessor, day) of the applicant's log entries at `lessors` in the longest window ending today. With
    `shared_only`, only what a member shares: loaded log rows and decisions taken with the applicant's consent
    under sharing; a probe (a decision without consent) stays its own lessor's."""
    if not lessors:
        return []
    since = today - dt.timedelta(days=max(WINDOWS_DAYS) - 1)
    query = select(CreditApplication.lessor, CreditApplication.applied_on).where(
        CreditApplication.applicant_id == applicant_id,
        CreditApplication.lessor.in_(sorted(lessors)),
        CreditApplication.applied_on >= since,
        CreditApplication.applied_on <= today,
    )
    if shared_only:
        query = query.where(
            or_(
                CreditApplication.source == "log",
                CreditApplication.detail["consortium"].as_boolean().is_(True),
            )
        )
    return [(row.lessor, row.applied_on) for row in session.execute(query)]


def _in_arrears(session: Session, contracts: Sequence[Any], today: dt.date) -> set[str]:
    """Lessors at which one of `contracts` has dpd > 0 on that lessor's own newest classification day on or
    before today (another lessor's later run must not hide or reveal anything)."""
    if not contracts:
        return set()
    lessors = sorted({c.lessor for c in contracts})
    latest: dict[str, dt.date] = {
        row.lessor: row.as_of
        for row in session.execute(
            select(ContractClass.lessor, func.max(ContractClass.as_of).label("as_of"))
            .where(ContractClass.lessor.in_(lessors), ContractClass.as_of <= today)
            .group_by(ContractClass.lessor)
        )
    }
    if not latest:
        return set()
    overdue = session.execute(
        select(ContractClass.lessor, ContractClass.as_of).where(
            ContractClass.contract_no.in_([c.contract_no for c in contracts]),
            ContractClass.lessor.in_(lessors),
            ContractClass.as_of.in_(sorted(set(latest.values()))),
            ContractClass.dpd > 0,
        )
    )
    return {row.lessor for row in overdue if latest.get(row.lessor) == row.as_of}


def store_facts(
    session: Session,
    applicant_id: str,
    lessor: str,
    today: dt.date,
    members: Collection[str] | None = None,
    bands: ConsortiumBands | None = None,
) -> StoreFacts:
    """What the store knows of an applicant for `lessor`: its own log entries, commitments and arrears, and,
    when the decision is under sharing (`members`: the other sharing members, see
    consortium.consortium_members; None when not under sharing), their shared facts as bands. No other
    lessor's row is read unless it is such a member; what leaves is counts and bands."""
    others = frozenset(members or ()) - {lessor}
    prior = log_entries(session, applicant_id, [lessor], today, shared_only=False)
    contracts = session.execute(
        select(
            Contract.contract_no,
            Contract.lessor,
            Contract.start_date,
            Contract.term_months,
            Contract.principal_fen,
            Contract.annual_rate,
        ).where(Contract.lessee_id == applicant_id, Contract.lessor.in_(sorted(others | {lessor})))
    ).all()
    active = [c for c in contracts if c.start_date <= today < _add_months(c.start_date, c.term_months)]

    def commitments(of: Iterable[Any]) -> list[Decimal]:
        return [monthly_commitment_fen(c.principal_fen, c.annual_rate, c.term_months) for c in of]

    overdue = _in_arrears(session, contracts, today)
    member: MemberFacts | None = None
    if members is not None:
        elsewhere = [c for c in active if c.lessor != lessor]
        member = member_facts(
            log_entries(session, applicant_id, others, today, shared_only=True),
            len(elsewhere),
            sum(commitments(elsewhere), Decimal(0)),
            bool(overdue - {lessor}),
            today,
            bands or shipped_bands(),
        )
    return StoreFacts(
        prior=prior,
        commitments_fen=commitments(c for c in active if c.lessor == lessor),
        in_arrears=lessor in overdue,
        members=member,
    )


def application_facts(
    session: Session,
    application: Mapping[str, Any],
    lessor: str,
    today: dt.date,
    sharing: frozenset[str],
    where: str | Label,
    bands: ConsortiumBands | None = None,
) -> StoreFacts:
    """The store's facts for one application: consortium facts only under sharing, consent and a valid ID."""
    members = consortium_members(lessor, sharing, application, where)
    return store_facts(
        session, str(application.get("applicant_id") or ""), lessor, today, members=members, bands=bands
    )


def load_application_log(session: Session, rows: Iterable[tuple[str, str, dt.date, str | None]]) -> int:
    """Append (lessor, applicant_id, day, application_id) rows to the log; returns how many."""
    now = dt.datetime.now(dt.UTC)
    batch = [
        {
            "lessor": lessor,
            "applicant_id": applicant,
            "applied_on": day,
            "application_id": ref,
            "source": "log",
            "created_at": now,
        }
        for lessor, applicant, day, ref in rows
    ]
    if batch:
        session.execute(insert(CreditApplication), batch)
    return len(batch)


def record_decision(
    session: Session,
    decision: Decision,
    *,
    lessor: str,
    applicant_id: str,
    today: dt.date,
    asked_by: str,
    channel: str,
    policy_sha256: str,
    signer: NoteSigner | None,
) -> CreditApplication:
    """Keep the decision (it enters the deciding lessor's own log; other sharing members count it only when
    it was taken under sharing with the applicant's consent, `detail.consortium`) and, with a signer, deposit
    it in the evidence log in the same transaction."""
    detail = decision.to_json()
    detail["policy_sha256"] = policy_sha256
    detail["inputs"] = decision.inputs
    detail["rule_values"] = decision.rule_values
    row = CreditApplication(
        lessor=lessor,
        applicant_id=applicant_id,
        applied_on=today,
        application_id=decision.application_id,
        source="decision",
        decision=decision.decision,
        score=decision.score,
        pd=round(decision.pd, 6),
        model_version=decision.model_version,
        policy_version=decision.policy_version,
        detail=detail,
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(row)
    session.flush()
    if signer is not None:
        receipt = append_event(
            session,
            {"credit_decision_id": row.id, "lessor": lessor, "applicant_id": applicant_id, **detail},
            lessor=lessor,
            kind="credit-decision",
            provenance=Provenance(
                producer=asked_by, system=f"leaseguard credit ({channel})", produced_at=row.created_at
            ),
            signer=signer,
            ref=f"credit_decision:{row.id}",
        )
        row.evidence_index = receipt.index
    return row


def recent_inputs(session: Session, lessor: str | None, since: dt.date) -> list[dict[str, object]]:
    """The model inputs of the decisions taken here since `since` (one lessor's, or all), for drift monitoring."""
    query = select(CreditApplication.detail).where(
        CreditApplication.source == "decision", CreditApplication.applied_on >= since
    )
    if lessor is not None:
        query = query.where(CreditApplication.lessor == lessor)
    return [
        dict(detail["inputs"]) for detail in session.execute(query).scalars() if detail and "inputs" in detail
    ]
