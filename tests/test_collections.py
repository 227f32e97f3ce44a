"""Collections (issue 19): recording calls and promises to pay on a contract, each deposited in the evidence log;
where a promise stands (kept by the payments since it was given, broken when its day passed without them, the
newest one standing); the call list with broken promises raised first within their tier. On SQLite and
PostgreSQL, over the look-up book (two lessors, real payments, two daily runs)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from leaseguard.enforcement.service import UnknownContractError
from leaseguard.evidence import NoteSigner
from leaseguard.store.db import session_factory
from leaseguard.store.models import CollectionCall, EvidenceRecord
from leaseguard.tenancy import add_lessor
from leaseguard.usecases.collections import (
    CallFormError,
    CallRequest,
    UnknownTierError,
    broken_promises,
    calls_on,
    collections_page,
    lessor_call_list,
    list_day,
    ordered_calls,
    record_call,
)
from leaseguard.usecases.early_warning import call_list_of
from leaseguard.usecases.funding_decisions import Person
from leaseguard.vocabulary import BROKEN_PROMISE
from lookup_book import FLEET_CONTRACTS, OVERDUE, RUN_DAYS, seed_lookup_book

ANN = Person("ann", "ALPHA", "analyst")
BEA = Person("bea", "BETA", "admin")
PAYER = "AL-2024-001"  # paid 5,318.47 on the 15th of every month up to 2026-02-15
CALLED = dt.date(2026, 1, 1)
PROMISE = {"outcome": "promise_to_pay", "promise_date": "2026-01-31"}


SIGNERS: dict[Engine, NoteSigner] = {}


@pytest.fixture(scope="module")
def engine(module_store_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    with session_factory(module_store_engine)() as session, session.begin():
        add_lessor(session, "ALPHA", "Alpha Leasing")
        add_lessor(session, "BETA", "Beta Leasing")
    SIGNERS[module_store_engine] = seed_lookup_book(
        module_store_engine, tmp_path_factory.mktemp("collections")
    )
    return module_store_engine


def record(
    engine: Engine, contract_no: str, *, person: Person = ANN, today: dt.date = CALLED, **fields: str
) -> object:
    with session_factory(engine)() as session, session.begin():
        return record_call(
            session,
            person,
            contract_no,
            CallRequest(**fields),
            signer=SIGNERS[engine],
            today=today,
            channel="api",
        )


def calls_recorded(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(CollectionCall)).scalar_one())


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"outcome": "shouted"}, "outcome", "未知的通话结果 'shouted'"),
        ({"outcome": "promise_to_pay", "promise_amount": "100"}, "promise_date", "须填写承诺日期"),
        (
            {"outcome": "promise_to_pay", "promise_date": "2025-12-31", "promise_amount": "100"},
            "promise_date",
            "承诺日期 2025-12-31 已经过去（今天是 2026-01-01）",
        ),
        ({"outcome": "promise_to_pay", "promise_date": "31/01/2026", "promise_amount": "1"}, "promise_date", "不是"),
        ({"outcome": "promise_to_pay", "promise_date": "2026-01-31"}, "promise_amount", "须填写承诺金额"),
        ({**PROMISE, "promise_amount": "0"}, "promise_amount", "应大于零"),
        (
            {**PROMISE, "promise_amount": "-5"},
            "promise_amount",
            "不能为负数",
        ),
        (
            {**PROMISE, "promise_amount": "12.345"},
            "promise_amount",
            "小数超过 2 位",
        ),
        ({**PROMISE, "promise_amount": "abc"}, "promise_amount", "不是以元为单位的金额"),
        ({"outcome": "no_answer", "promise_date": "2026-01-31"}, "promise_date", "只有“承诺还款”"),
        ({"outcome": "reached", "note": "长" * 2001}, "note", "最多 2000 个字符"),
    ],
)  # fmt: skip
def test_a_call_that_cannot_be_recorded_says_which_field_and_records_nothing(
    engine: Engine, fields: dict[str, str], field: str, words: str
) -> None:
    before = calls_recorded(engine)
    with pytest.raises(CallFormError) as refused:
        record(engine, OVERDUE, **fields)
    assert refused.value.field == field
    assert words in refused.value.text("zh")
    assert refused.value.text("en") != refused.value.text("zh")
    assert calls_recorded(engine) == before


def test_unknown_and_other_lessors_contracts_are_not_found_and_a_role_without_the_right_is_refused(
    engine: Engine,
) -> None:
    before = calls_recorded(engine)
    for contract_no in ("AL-NOPE", "BE-2024-002"):  # none, and BETA's
        with pytest.raises(UnknownContractError):
            record(engine, contract_no, outcome="reached")
        with session_factory(engine)() as session, pytest.raises(UnknownContractError):
            calls_on(session, "ALPHA", contract_no)
    with pytest.raises(CallFormError) as refused:
        record(engine, OVERDUE, person=Person("cai", "ALPHA", "compliance"), outcome="reached")
    assert refused.value.field == "" and "compliance" in refused.value.text("zh")
    assert calls_recorded(engine) == before


def test_a_call_is_recorded_and_deposited_in_the_evidence_log(engine: Engine) -> None:
    done = record(engine, "AL-2024-003", outcome="wrong_number", note="  号码已停机  ")
    with session_factory(engine)() as session:
        shown = calls_on(session, "ALPHA", "AL-2024-003", today=CALLED)
        deposit = session.get(EvidenceRecord, shown[0].evidence_index)
    assert [c.id for c in shown] == [done.id]  # type: ignore[attr-defined]
    call = shown[0]
    assert (call.outcome, call.note, call.called_on, call.recorded_by, call.channel) == (
        "wrong_number", "号码已停机", CALLED, "ann", "api",
    )  # fmt: skip
    assert call.promise_status is None and call.promise_amount is None
    assert deposit is not None and deposit.lessor == "ALPHA" and deposit.kind == "collection-call"
    assert deposit.ref == f"collection_call:{call.id}"
    facts = json.loads(deposit.content)
    assert facts["contract_no"] == "AL-2024-003" and facts["outcome"] == "wrong_number"
    with session_factory(engine)() as session:
        assert calls_on(session, "BETA", "BE-2024-001") == []  # BETA sees none of ALPHA's calls


def test_a_promise_is_kept_by_the_payments_since_it_was_given_and_broken_when_its_day_passed_without_them(
    engine: Engine,
) -> None:
    # Since 2026-01-01 the payer paid 5,318.47 twice (2026-01-15 and 2026-02-15).
    record(engine, PAYER, outcome="promise_to_pay", promise_date="2026-01-20", promise_amount="10,636.94")
    with session_factory(engine)() as session:
        (kept,) = calls_on(session, "ALPHA", PAYER, today=dt.date(2026, 3, 1))
    assert (kept.promise_amount_fen, kept.paid_since_fen, kept.promise_status) == (
        1_063_694,
        1_063_694,
        "kept",
    )
    assert kept.promise_amount == "10636.94" and kept.standing

    record(engine, PAYER, outcome="promise_to_pay", promise_date="2026-01-20", promise_amount="10636.95")
    with session_factory(engine)() as session:
        newest, older = calls_on(session, "ALPHA", PAYER, today=dt.date(2026, 1, 20))
        assert newest.promise_status == "pending" and newest.standing and not older.standing
        assert calls_on(session, "ALPHA", PAYER, today=dt.date(2026, 3, 1))[0].promise_status == "broken"
    with engine.connect() as connection:
        assert PAYER not in broken_promises(
            connection, "ALPHA", dt.date(2026, 1, 20)
        )  # its day has not passed
        broken = broken_promises(connection, "ALPHA", dt.date(2026, 3, 1))
        assert broken[PAYER].promise_amount_fen == 1_063_695 and broken[PAYER].paid_since_fen == 1_063_694
        assert broken_promises(connection, "BETA", dt.date(2026, 3, 1)) == {}


def test_a_newer_promise_replaces_a_broken_one(engine: Engine) -> None:
    fleet = f"AL-FLEET-{FLEET_CONTRACTS:04d}"
    record(engine, fleet, outcome="promise_to_pay", promise_date="2026-01-10", promise_amount="500")
    with engine.connect() as connection:
        assert fleet in broken_promises(connection, "ALPHA", dt.date(2026, 2, 1))
    record(
        engine, fleet, today=dt.date(2026, 2, 1), outcome="promise_to_pay", promise_date="2026-02-10",
        promise_amount="500",
    )  # fmt: skip
    with engine.connect() as connection:
        assert fleet not in broken_promises(connection, "ALPHA", dt.date(2026, 2, 5))
        assert fleet in broken_promises(connection, "ALPHA", dt.date(2026, 2, 11))


def test_the_call_list_is_book_warns_with_broken_promises_first_within_their_tier(engine: Engine) -> None:
    with engine.connect() as connection:
        day = list_day(connection, "ALPHA", dt.date(2026, 3, 1))
    assert day.as_of == RUN_DAYS[-1]
    calls = lessor_call_list(engine, "ALPHA", day)
    warned = call_list_of(engine, RUN_DAYS[-1], lessor="ALPHA").frame
    assert calls.frame["contract_no"].to_list() == warned["contract_no"].to_list()  # the one home's list
    assert set(warned["lessor"].to_list()) == {"ALPHA"}
    # The last contract of the largest tier, with a broken promise, goes to the top of that tier, not above it.
    tiers = warned.group_by("tier").len().sort("len", descending=True)
    tier = tiers["tier"][0]
    in_tier = warned.filter(warned["tier"] == tier)["contract_no"].to_list()
    last = in_tier[-1]
    record(engine, last, outcome="promise_to_pay", promise_date="2026-01-05", promise_amount="1")
    with engine.connect() as connection:
        broken = broken_promises(connection, "ALPHA", dt.date(2026, 3, 1))
    assert last in broken
    ordered = ordered_calls(calls, broken)
    now_in_tier = ordered.filter(ordered["tier"] == tier)
    assert now_in_tier["contract_no"][0] == last
    assert BROKEN_PROMISE in now_in_tier["signals"][0].split(";")
    assert ordered["tier"].to_list() == warned["tier"].to_list()  # no contract changed tier
    assert ordered["call_order"].to_list() == list(range(1, ordered.height + 1))

    page = collections_page(calls, broken, tier=tier, per_page=5)
    assert page.rows[0].contract_no == last and page.rows[0].broken_promise is not None
    assert page.total == len(in_tier) and len(page.rows) == min(5, len(in_tier))
    assert {t.tier: t.contracts for t in page.tiers}[tier] == len(in_tier)
    assert sum(t.contracts for t in page.tiers) == warned.height
    with pytest.raises(UnknownTierError):
        collections_page(calls, broken, tier="nope")


def test_a_lessor_without_contracts_has_an_empty_call_list(engine: Engine, tmp_path: Path) -> None:
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "GAMMA", "Gamma Leasing")
    with engine.connect() as connection:
        day = list_day(connection, "GAMMA", dt.date(2026, 3, 1))
    assert day.as_of == dt.date(2026, 3, 1) and day.finished_at is None  # GAMMA never ran: today's list
    page = collections_page(lessor_call_list(engine, "GAMMA", day), {})
    assert page.rows == [] and page.total == 0 and page.tiers == []
