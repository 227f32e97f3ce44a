"""The credit capability at the store's edge: what the store knows of an applicant (counts and sums only),
loading an inquiry/application log, and recording each decision, deposited in the evidence log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from leaseguard.credit.decide import Decision, StoreFacts
from leaseguard.credit.features import WINDOWS_DAYS, monthly_commitment_fen
from leaseguard.evidence import Provenance, append_event
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.store.models import Contract, ContractClass, CreditApplication


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def store_facts(session: Session, applicant_id: str, lessor: str, today: dt.date) -> StoreFacts:
    """Multi-head inputs across every lessor, and arrears anywhere in the store. Other lessors' rows are read
    here only to be counted: what leaves this function is counts, sums and one boolean."""
    since = today - dt.timedelta(days=max(WINDOWS_DAYS) - 1)
    prior = [
        (row.lessor, row.applied_on)
        for row in session.execute(
            select(CreditApplication.lessor, CreditApplication.applied_on).where(
                CreditApplication.applicant_id == applicant_id,
                CreditApplication.applied_on >= since,
                CreditApplication.applied_on <= today,
            )
        )
    ]
    contracts = session.execute(
        select(
            Contract.contract_no,
            Contract.lessor,
            Contract.start_date,
            Contract.term_months,
            Contract.principal_fen,
            Contract.annual_rate,
        ).where(Contract.lessee_id == applicant_id)
    ).all()
    active = [c for c in contracts if c.start_date <= today < _add_months(c.start_date, c.term_months)]
    commitments = [monthly_commitment_fen(c.principal_fen, c.annual_rate, c.term_months) for c in active]
    latest = session.execute(
        select(func.max(ContractClass.as_of)).where(ContractClass.as_of <= today)
    ).scalar()
    in_arrears = False
    if latest is not None and contracts:
        in_arrears = bool(
            session.execute(
                select(func.count())
                .select_from(ContractClass)
                .where(
                    ContractClass.as_of == latest,
                    ContractClass.contract_no.in_([c.contract_no for c in contracts]),
                    ContractClass.dpd > 0,
                )
            ).scalar()
        )
    return StoreFacts(
        prior=prior,
        outstanding_elsewhere=sum(1 for c in active if c.lessor != lessor),
        commitments_fen=commitments,
        in_arrears=in_arrears,
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
    """Keep the decision (it also enters the log other lessors' multi-head features count) and, with a
    signer, deposit it in the evidence log in the same transaction."""
    detail = decision.to_json()
    detail["policy_sha256"] = policy_sha256
    detail["inputs"] = decision.inputs
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
