"""The look-up book (lookup_book) with what the collections desk needs: lessees' phones on ALPHA's contracts and a
promise to pay, given weeks ago, that fell due unpaid — on the last contract of the largest tier of ALPHA's call
list, so raising it to the top of its tier shows. The lessors and users are console_world's (ann: ALPHA analyst,
cai: ALPHA compliance, bea: BETA compliance)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from leaseguard.evidence import NoteSigner
from leaseguard.store.db import session_factory
from leaseguard.store.models import Contract
from leaseguard.usecases.collections import CallRequest, record_call
from leaseguard.usecases.early_warning import call_list_of
from leaseguard.usecases.funding_decisions import Person
from lookup_book import RUN_DAYS, seed_lookup_book

PHONE = "13800138000"
PROMISED_AMOUNT = "8,800.00"


@dataclass(frozen=True)
class Desk:
    tier: str  # the largest tier of ALPHA's call list
    tier_size: int
    raised: str  # the last contract of that tier, whose promise is broken
    promised_on: dt.date  # the day that promise was given (and fell due a week later)


def seed_collections(engine: Engine, folder: Path, signer: NoteSigner) -> Desk:
    seed_lookup_book(engine, folder, signer)
    with session_factory(engine)() as session, session.begin():
        for contract in session.scalars(select(Contract).where(Contract.lessor == "ALPHA")):
            contract.extra = {**(contract.extra or {}), "lessee_phone": PHONE}
    warned = call_list_of(engine, RUN_DAYS[-1], lessor="ALPHA").frame
    tier = warned.group_by("tier").len().sort(["len", "tier"], descending=[True, False])["tier"][0]
    in_tier = warned.filter(warned["tier"] == tier)["contract_no"].to_list()
    promised_on = dt.date.today() - dt.timedelta(days=30)
    with session_factory(engine)() as session, session.begin():
        record_call(
            session, Person("ann", "ALPHA", "analyst"), in_tier[-1],
            CallRequest(
                outcome="promise_to_pay", promise_date=(promised_on + dt.timedelta(days=7)).isoformat(),
                promise_amount=PROMISED_AMOUNT, note="答应下周还款",
            ),
            signer=signer, today=promised_on,
        )  # fmt: skip
    return Desk(tier, len(in_tier), in_tier[-1], promised_on)
