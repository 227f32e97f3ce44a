"""The look-up book (lookup_book) with more enforcement for the /cases pages: besides ALPHA's case on OVERDUE
(opened with a claim set by hand, one filing step), a case opened on ALPHA's ODD contract with its computed
claim, a case of BETA's, a case file deposited for the OVERDUE case, and a lawyer of each lessor (lia at ALPHA,
leo at BETA, role legal)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from console_world import PASSWORD
from leaseguard.enforcement.rules import load_claim_rules
from leaseguard.enforcement.service import open_case
from leaseguard.evidence import NewRecord, NoteSigner, Provenance, append_records
from leaseguard.store.db import session_factory
from leaseguard.store.models import EnforcementCase
from leaseguard.usecases import people
from lookup_book import ODD, OVERDUE, RUN_DAYS, seed_lookup_book

BETA_CONTRACT = "BE-2024-002"  # no payment at all: defaulted


@dataclass(frozen=True)
class Cases:
    overdue: int  # ALPHA, at filing
    odd: int  # ALPHA, just opened, its claim as computed
    beta: int  # BETA's
    case_file: int  # the evidence index of the OVERDUE case's case file
    other_record: int  # an evidence record of ALPHA's that is no case file


def seed_cases(engine: Engine, folder: Path, signer: NoteSigner) -> Cases:
    seed_lookup_book(engine, folder, signer)
    rules = load_claim_rules()
    odd, _ = open_case(engine, ODD, RUN_DAYS[-1], rules, signer=signer)
    beta, _ = open_case(engine, BETA_CONTRACT, RUN_DAYS[-1], rules, signer=signer)
    with engine.connect() as connection:
        overdue = connection.execute(
            select(EnforcementCase.id).where(EnforcementCase.contract_no == OVERDUE)
        ).scalar_one()
    facts = NewRecord(
        b'{"case_id":%d}' % overdue, Provenance("leaseguard cases generate", "leaseguard enforcement"),
        "case-file", "application/json", f"case:{overdue}:file", name="case-facts.json",
    )  # fmt: skip
    with engine.begin() as connection:
        case_file = append_records(connection, [facts], lessor="ALPHA", signer=signer).receipts[0].index
    with engine.connect() as connection:
        opened_record = connection.execute(
            select(EnforcementCase.evidence_index).where(EnforcementCase.id == odd)
        ).scalar_one()
    policy = people.PeoplePolicy()
    with session_factory(engine)() as session, session.begin():
        for name, lessor in (("lia", "ALPHA"), ("leo", "BETA")):
            people.create_user(
                session, username=name, lessor=lessor, role="legal", password=PASSWORD, policy=policy
            )
    return Cases(int(overdue), odd, beta, case_file, int(opened_record))
