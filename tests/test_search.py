"""Search (usecases.search) and the look-up pages' use case (usecases.lookup_pages) over the small book of two
lessors (lookup_book): each kind finds the asking lessor's rows by the start of a value, in pages, and never
another lessor's; bad input is one message in either language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from leaseguard.store.db import session_factory
from leaseguard.tenancy import add_lessor
from leaseguard.usecases.lookup import UnknownContractError, UnknownLesseeError
from leaseguard.usecases.lookup_pages import SCHEDULE_ROWS, contract_page, lessee_page
from leaseguard.usecases.search import (
    AssetHit,
    ContractHit,
    LesseeHit,
    SearchKind,
    SearchTextError,
    prefix_bound,
    search,
    search_kind,
)
from lookup_book import (
    ALPHA_INVOICE,
    ALPHA_SERIAL,
    ALPHA_VIN,
    BETA_FIRM,
    BETA_SERIAL,
    BETA_VIN,
    FIRM,
    FLEET,
    FLEET_CONTRACTS,
    OVERDUE,
    PERSON,
    RUN_DAYS,
    seed_lookup_book,
)


@pytest.fixture(scope="module")
def book(module_store_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The lookup book, built once for the module: every test here only reads it."""
    with session_factory(module_store_engine)() as session, session.begin():
        add_lessor(session, "ALPHA", "Alpha Leasing")
        add_lessor(session, "BETA", "Beta Leasing")
    seed_lookup_book(module_store_engine, tmp_path_factory.mktemp("search") / "book")
    yield module_store_engine


def found(engine: Engine, lessor: str, text: str, **options: object) -> dict[SearchKind, list[object]]:
    with session_factory(engine)() as session:
        answer = search(session, lessor, text, **options)  # type: ignore[arg-type]
    return {group.kind: group.hits for group in answer.groups}


def test_each_kind_finds_the_lessors_own_rows_by_the_start_of_a_value(book: Engine) -> None:
    by_number = found(book, "ALPHA", "AL-2024")
    assert [hit.contract_no for hit in by_number[SearchKind.CONTRACT_NO]] == [  # type: ignore[attr-defined]
        "AL-2024-001", OVERDUE, "AL-2024-003",
    ]  # fmt: skip
    contract = by_number[SearchKind.CONTRACT_NO][1]
    assert isinstance(contract, ContractHit) and contract.lessee_id == FIRM and contract.klass is not None
    # Typed in small letters, or full width by an input method: the capitals are found too.
    assert SearchKind.CONTRACT_NO in found(book, "ALPHA", "al-2024-00")
    assert SearchKind.VIN in found(book, "ALPHA", "ｌｓｖａｕ２ａ３")

    by_name = found(book, "ALPHA", "华东物流")[SearchKind.LESSEE_NAME]
    assert by_name == [LesseeHit(lessee_id=FIRM, lessee_name="华东物流有限公司", contracts=2)]
    by_id = found(book, "ALPHA", PERSON[:8])[SearchKind.LESSEE_ID]
    assert by_id == [LesseeHit(lessee_id=PERSON, lessee_name="张伟", contracts=1)]

    for text, kind, wanted in (
        (ALPHA_VIN[:8], SearchKind.VIN, ALPHA_VIN),
        (ALPHA_SERIAL[:10], SearchKind.SERIAL_NO, ALPHA_SERIAL),
        (ALPHA_INVOICE[:5], SearchKind.INVOICE_NO, ALPHA_INVOICE),
    ):
        hits = found(book, "ALPHA", text)[kind]
        assert len(hits) == 1 and isinstance(hits[0], AssetHit), (text, hits)
        assert wanted in (hits[0].vin, hits[0].serial_no, hits[0].invoice_no)
        assert hits[0].contract_no is not None and hits[0].contract_no.startswith("AL-")


def test_a_search_never_returns_another_lessors_rows(book: Engine) -> None:
    # Every value BETA holds that shares its start with ALPHA's.
    for text in ("BE-2024", BETA_VIN, BETA_SERIAL, "18320599", BETA_FIRM):
        assert found(book, "ALPHA", text) == {}, text
    for text in ("LSVAU2A3", "ZLJ5550JQZ22080", "183205", "华东物流", PERSON, "AL-", "91310000MA1K"):
        for hits in found(book, "BETA", text).values():
            for hit in hits:
                shown = hit.model_dump()  # type: ignore[attr-defined]
                assert not str(shown.get("contract_no") or "").startswith("AL-"), (text, shown)
                assert shown.get("lessee_id") != FIRM and shown.get("vin") != ALPHA_VIN, (text, shown)
    beta_person = found(book, "BETA", PERSON)[SearchKind.LESSEE_ID]
    assert beta_person == [
        LesseeHit(lessee_id=PERSON, lessee_name="张伟", contracts=1)
    ]  # BETA's one contract


def test_one_kind_pages_through_every_hit_once(book: Engine) -> None:
    preview = found(book, "ALPHA", "AL-FLEET")[SearchKind.CONTRACT_NO]
    assert len(preview) == 10  # every kind: a first few, with a link to the rest
    seen: list[str] = []
    after = None
    with session_factory(book)() as session:
        while True:
            answer = search(session, "ALPHA", "AL-FLEET", kind=SearchKind.CONTRACT_NO, after=after, limit=25)
            [group] = answer.groups
            seen += [hit.contract_no for hit in group.hits]  # type: ignore[union-attr]
            if group.next_after is None:
                break
            after = group.next_after
    assert seen == [f"AL-FLEET-{n:04d}" for n in range(1, FLEET_CONTRACTS + 1)]
    name_pages = found(book, "ALPHA", "华南运输", kind=SearchKind.LESSEE_NAME, limit=1)
    assert name_pages[SearchKind.LESSEE_NAME] == [
        LesseeHit(lessee_id=FLEET, lessee_name="华南运输有限公司", contracts=FLEET_CONTRACTS)
    ]


@pytest.mark.parametrize(
    ("text", "options", "zh", "en"),
    [
        ("", {}, "请输入要查询的内容。", "Type something to search for."),
        ("  A ", {}, "请至少输入 2 个字符", "Type at least 2 characters"),
        ("X" * 65, {}, "查询内容最多 64 个字符。", "A search is at most 64 characters."),
        (
            "AL-2024",
            {"kind": SearchKind.VIN, "after": "not-a-cursor"},
            "翻页参数无效",
            "The page link is not valid",
        ),
        ("AL-2024", {"after": "eyJ4Ijoxfq"}, "翻页参数无效", "The page link is not valid"),
    ],
)
def test_bad_input_is_one_message(
    book: Engine, text: str, options: dict[str, object], zh: str, en: str
) -> None:
    with session_factory(book)() as session, pytest.raises(SearchTextError) as refused:
        search(session, "ALPHA", text, **options)  # type: ignore[arg-type]
    assert refused.value.text("zh").startswith(zh)
    assert refused.value.text("en").startswith(en)


def test_a_cursor_of_one_kind_is_refused_for_another(book: Engine) -> None:
    with session_factory(book)() as session:
        [group] = search(session, "ALPHA", "AL-FLEET", kind=SearchKind.CONTRACT_NO, limit=5).groups
        assert group.next_after is not None
        with pytest.raises(SearchTextError):
            search(session, "ALPHA", "AL-FLEET", kind=SearchKind.VIN, after=group.next_after)
    with pytest.raises(SearchTextError) as refused:
        search_kind("everything")
    assert refused.value.text("en") == "no such kind of search: everything"


def test_prefix_bounds_in_code_point_order() -> None:
    assert prefix_bound("ab") == "ac"
    assert prefix_bound("华东") == "华丝"  # U+4E1C → U+4E1D
    assert prefix_bound("a\U0010ffff") == "b"
    assert prefix_bound("\U0010ffff") is None
    assert prefix_bound("a\ud7ff") == "a\ue000"  # over the surrogates, which UTF-8 cannot hold


def test_the_contract_page_pages_its_schedule_and_payments(book: Engine) -> None:
    with session_factory(book)() as session:
        page = contract_page(session, "ALPHA", "AL-2024-001", schedule_page=2, payments_page=2)
    assert page.schedule.total == 24 and page.schedule.page == 2 and len(page.schedule.items) == SCHEDULE_ROWS
    assert page.schedule.items[0].number == SCHEDULE_ROWS + 1
    assert page.schedule_source == "terms"
    assert page.schedule.items[-1].outstanding_after_fen == 0
    assert page.payments.total == 25 and page.payments.page == 2 and len(page.payments.items) == 5
    assert page.payments.items[0].paid_date.isoformat() == "2024-06-15"  # newest first: 20 on page one
    assert [day.as_of for day in page.days.items] == sorted(RUN_DAYS, reverse=True)
    assert {day.klass for day in page.days.items} == {"normal"} and not page.changes  # paid on time
    assert [c.check_id for c in page.checks] == [1]
    assert [(line.kind, line.ref) for line in page.evidence] == [("asset-check", "asset_check:1")]
    assert page.case is None


def test_the_overdue_contract_shows_its_class_history_case_and_evidence(book: Engine) -> None:
    with session_factory(book)() as session:
        page = contract_page(session, "ALPHA", OVERDUE)
    assert page.days.items[0].dpd > 90 and page.days.items[0].klass != "normal"
    assert page.changes and page.changes[-1].to_class == page.days.items[0].klass
    assert page.case is not None and page.case.stage == "filing"
    assert [entry.stage for entry in page.case.entries] == ["filing"]
    [asset] = page.assets.items
    assert [v.disposal_value_fen for v in asset.valuations] == [52_000_000, 70_000_000]  # newest first
    assert [(line.kind, line.ref) for line in page.evidence] == [("case-event", "case:1:filing")]


def test_another_lessors_contract_or_lessee_is_not_there(book: Engine) -> None:
    with session_factory(book)() as session:
        with pytest.raises(UnknownContractError):
            contract_page(session, "BETA", OVERDUE)
        with pytest.raises(UnknownLesseeError):
            lessee_page(session, "BETA", FIRM)
        beta = lessee_page(session, "BETA", PERSON)
    assert [c.contract_no for c in beta.contracts.items] == ["BE-2024-001"]
    assert beta.checks.total == 0 and beta.decisions.total == 0  # ALPHA's check and decision stay ALPHA's


def test_the_lessee_page_pages_its_contracts_with_their_classes_over_time(book: Engine) -> None:
    with session_factory(book)() as session:
        fleet = lessee_page(session, "ALPHA", FLEET, contracts_page=3)
        person = lessee_page(session, "ALPHA", PERSON)
        firm = lessee_page(session, "ALPHA", FIRM)
    assert fleet.contract_count == FLEET_CONTRACTS and fleet.contracts.page == 3
    assert [c.contract_no for c in fleet.contracts.items] == [f"AL-FLEET-{n:04d}" for n in range(41, 61)]
    assert fleet.run_days == sorted(RUN_DAYS, reverse=True)
    assert all(len(c.over_time) == len(RUN_DAYS) for c in fleet.contracts.items)
    assert person.checks.total == 1 and person.decisions.items[0].decision == "approve"
    assert [a.asset_id for a in person.assets.items] == ["A-CAR-1"]
    assert [case.contract_no for case in firm.cases] == [OVERDUE]
    assert firm.changes.total >= 1 and firm.outstanding_principal_fen > 0


def test_an_imported_schedule_is_shown_as_imported(book: Engine) -> None:
    with session_factory(book)() as session:
        page = contract_page(session, "ALPHA", "AL-2024-003")
    assert page.schedule_source == "imported" and page.schedule.total == 3
    shown = [
        (line.due_date.isoformat(), line.amount_fen, line.outstanding_after_fen)
        for line in page.schedule.items
    ]
    assert shown == [
        ("2024-06-01", 1_090_000, 5_000_000), ("2024-09-01", 2_075_000, 3_000_000), ("2025-03-01", 3_045_000, 0),
    ]  # fmt: skip
