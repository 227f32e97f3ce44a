"""/collections and the calls on a contract's page (issue 19) over real HTTP on a SQLite store of two lessors: the
call list is `book warn`'s for the user's lessor, by tier, with lessee, phone, overdue yuan and signals in words,
a broken promise first within its tier; a call and a promise are recorded from the contract page (and the API),
deposited in the evidence log and shown there; a refused call says why beside the field and records nothing;
another lessor's contract is the 404 page; only analysts and admins record. The list is computed in the background
once per run day: a first view that does not find it ready says it is coming and asks again (htmx), and then
shows the same list."""

from __future__ import annotations

import datetime as dt
import html
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select

from collections_world import PHONE, Desk, seed_collections
from console_world import Console, csrf_of, served_console, signed_in
from leaseguard.console.settings import ConsoleSettings
from leaseguard.money import grouped_yuan
from leaseguard.store.models import CollectionCall, EvidenceRecord
from leaseguard.usecases.collections import broken_promises, ordered_calls
from leaseguard.usecases.early_warning import call_list_of
from lookup_book import ODD, OVERDUE, RUN_DAYS, new_signer

PROMISE = {"outcome": "promise_to_pay", "promise_date": "2099-01-01"}


@dataclass
class World:
    console: Console
    desk: Desk


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("console-collections")
    signer = new_signer()
    # The pages wait for the list here (the first view's background computing is tested on its own below).
    settings = ConsoleSettings(first_view_wait_seconds=600)
    with served_console(folder, evidence_signer=signer, settings=settings) as served:
        yield World(served, seed_collections(served.engine, folder / "book", signer))


@pytest.fixture(scope="module")
def ann(world: World) -> Iterator[httpx.Client]:
    client = signed_in(world.console, "ann")
    yield client
    client.close()


def text_of(page: httpx.Response) -> str:
    main = page.text.split('<main id="main"', 1)[-1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def listed(page: httpx.Response) -> list[str]:
    return [html.unescape(no) for no in re.findall(r'<tr data-contract="([^"]+)"', page.text)]


def field_error(page: httpx.Response, field_id: str) -> str:
    found = re.search(rf'id="{field_id}-error"[^>]*>([^<]*)<', page.text)
    assert found, page.text[-3000:]
    return html.unescape(found.group(1))


def calls_recorded(world: World) -> int:
    with world.console.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(CollectionCall)).scalar_one())


def test_the_list_is_book_warns_for_the_lessor_by_tier_with_lessee_phone_overdue_and_signals(
    world: World, ann: httpx.Client
) -> None:
    calls = call_list_of(world.console.engine, RUN_DAYS[-1], lessor="ALPHA")
    warned = calls.frame
    with world.console.engine.connect() as connection:
        broken = broken_promises(connection, "ALPHA", dt.date.today())
    page = ann.get("/collections")
    assert page.status_code == 200
    shown = listed(page)
    assert warned.height > 50 and "第 1 / 2 页" in page.text
    rest = listed(ann.get("/collections", params={"page": 2}))
    assert shown + rest == ordered_calls(calls, broken)["contract_no"].to_list()
    assert len(shown) == 50 and not any(no.startswith("BE-") for no in shown + rest)
    counts = dict(re.findall(r'<tr data-tier="([^"]+)">.*?<td class="num">(\d+)</td>', page.text, re.S))
    assert {tier: int(n) for tier, n in counts.items()} == dict(warned.group_by("tier").len().iter_rows())
    row = warned.filter(warned["contract_no"] == OVERDUE).row(0, named=True)
    found = re.search(rf'<tr data-contract="{OVERDUE}"[^>]*>(.*?)</tr>', page.text, re.S)
    assert found, "the overdue contract is on the first page"
    cells = html.unescape(re.sub(r"<[^>]+>", "|", found.group(1)))
    assert "华东物流有限公司" in cells and PHONE in cells and grouped_yuan(row["overdue_amount_fen"]) in cells
    assert "催收" in cells  # the collections tier in its Chinese label
    signals = [s for s in row["signals"].split(";") if s]
    words = {
        "first_missed_payment": "首次逾期",
        "worse_dpd_bucket": "逾期档位恶化",
        "collateral_drop": "租赁物价值下降",
    }
    assert all(words[s] in cells for s in signals if s in words)


def test_a_broken_promise_puts_its_contract_first_in_its_tier(world: World, ann: httpx.Client) -> None:
    desk = world.desk
    page = ann.get("/collections", params={"tier": desk.tier})
    assert page.status_code == 200
    shown = listed(page)
    assert shown[0] == desk.raised and len(shown) == min(50, desk.tier_size)
    first = re.search(
        rf'<tr data-contract="{re.escape(desk.raised)}" class="raised">(.*?)</tr>', page.text, re.S
    )
    assert first and "承诺未履行" in html.unescape(first.group(1)) and "8,800.00" in first.group(1)
    tiers = re.search(
        rf'<tr data-tier="{desk.tier}">.*?<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>',
        page.text,
        re.S,
    )
    assert tiers and tiers.groups() == (str(desk.tier_size), "1")
    english = ann.get("/collections", params={"tier": desk.tier}, headers={"Accept-Language": "en"})
    assert english.status_code == 200


def test_an_unknown_tier_is_said_beside_the_filter(ann: httpx.Client) -> None:
    page = ann.get("/collections", params={"tier": "urgent"})
    assert page.status_code == 422
    assert "'urgent'" in field_error(page, "f-tier") and "collections" in field_error(page, "f-tier")


def test_a_call_and_a_promise_are_recorded_from_the_contract_page_and_deposited(
    world: World, ann: httpx.Client
) -> None:
    contract = ann.get(f"/contracts/{OVERDUE}")
    assert contract.status_code == 200 and "催收记录" in contract.text and 'id="record-call"' in contract.text
    token = csrf_of(contract)
    before = calls_recorded(world)
    answer = ann.post(
        f"/contracts/{OVERDUE}/calls",
        data={"csrf_token": token, "outcome": "promise_to_pay", "promise_date": "2099-12-31",
              "promise_amount": "12,345.67", "note": "财务负责人接听"},
    )  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == f"/contracts/{OVERDUE}#calls"
    assert calls_recorded(world) == before + 1
    page = text_of(ann.get(f"/contracts/{OVERDUE}"))
    assert "承诺还款" in page and "2099-12-31 前还 12,345.67 元" in page and "待履行" in page
    assert "财务负责人接听" in page
    with world.console.engine.connect() as connection:
        kinds = connection.execute(
            select(EvidenceRecord.kind, EvidenceRecord.lessor)
            .order_by(EvidenceRecord.leaf_index.desc())
            .limit(1)
        ).one()
    assert tuple(kinds) == ("collection-call", "ALPHA")

    odd = ann.post(
        f"/contracts/{quote(ODD, safe='')}/calls", data={"csrf_token": token, "outcome": "no_answer"}
    )
    assert odd.status_code == 303 and odd.headers["location"] == f"/contracts/{quote(ODD, safe='/')}#calls"
    assert "无人接听" in text_of(ann.get(odd.headers["location"].split("#")[0]))


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({**PROMISE, "promise_date": "2020-01-01", "promise_amount": "100"}, "k-promise-date", "已经过去"),
        ({**PROMISE, "promise_amount": "0"}, "k-promise-amount", "应大于零"),
        ({**PROMISE, "promise_amount": "1.234"}, "k-promise-amount", "小数超过 2 位"),
        ({**PROMISE, "promise_amount": ""}, "k-promise-amount", "须填写承诺金额"),
        ({"outcome": "shouting"}, "k-outcome", "未知的通话结果"),
    ],
)  # fmt: skip
def test_a_refused_call_says_why_beside_the_field_and_records_nothing(
    world: World, ann: httpx.Client, data: dict[str, str], field: str, words: str
) -> None:
    token = csrf_of(ann.get(f"/contracts/{OVERDUE}"))
    before = calls_recorded(world)
    page = ann.post(f"/contracts/{OVERDUE}/calls", data={"csrf_token": token, **data})
    assert page.status_code == 422
    assert words in field_error(page, field)
    assert f'value="{data.get("promise_amount", "")}"' in page.text  # what was typed is kept
    assert calls_recorded(world) == before


def test_another_lessors_contract_is_not_found_and_only_collectors_record(
    world: World, ann: httpx.Client
) -> None:
    token = csrf_of(ann.get("/collections"))
    before = calls_recorded(world)
    for contract_no in ("BE-2024-002", "AL-NOPE"):
        answer = ann.post(f"/contracts/{contract_no}/calls", data={"csrf_token": token, "outcome": "reached"})
        assert answer.status_code == 404
    cai = signed_in(world.console, "cai")
    try:
        page = cai.get(f"/contracts/{OVERDUE}")
        assert page.status_code == 200 and "催收记录" in page.text and 'id="record-call"' not in page.text
        assert cai.get("/collections").status_code == 200
        refused = cai.post(
            f"/contracts/{OVERDUE}/calls", data={"csrf_token": csrf_of(page), "outcome": "reached"}
        )
        assert refused.status_code == 403
    finally:
        cai.close()
    bea = signed_in(world.console, "bea")
    try:
        theirs = bea.get("/collections")
        assert theirs.status_code == 200 and not any(no.startswith("AL") for no in listed(theirs))
        assert 'class="raised"' not in theirs.text
    finally:
        bea.close()
    assert calls_recorded(world) == before


def test_the_api_records_and_lists_calls_with_problems_naming_the_field(world: World) -> None:
    key = {"X-API-Key": world.console.api_key}
    url = f"{world.console.base}/v1/contracts/{OVERDUE}/collection-calls"
    made = httpx.post(url, headers=key, json={"outcome": "refused", "note": "拒绝沟通"})
    assert made.status_code == 201, made.text
    assert made.json()["outcome"] == "refused" and made.json()["recorded_by"].startswith("api-key:")
    listed_calls = httpx.get(url, headers=key).json()
    assert listed_calls["contract_no"] == OVERDUE and listed_calls["items"][0]["id"] == made.json()["id"]
    bad = httpx.post(
        url,
        headers=key,
        json={"outcome": "promise_to_pay", "promise_date": "2099-01-01", "promise_amount": "-1"},
    )
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "promise_amount"
    theirs = f"{world.console.base}/v1/contracts/BE-2024-002/collection-calls"
    assert httpx.get(theirs, headers=key).status_code == 404
    assert httpx.post(theirs, headers=key, json={"outcome": "reached"}).status_code == 404


def test_the_first_view_says_the_list_is_coming_and_asks_again_until_it_shows_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("console-collections-first-view")
    signer = new_signer()
    with served_console(
        folder, evidence_signer=signer, settings=ConsoleSettings(first_view_wait_seconds=0)
    ) as served:
        seed_collections(served.engine, folder / "book", signer)
        client = signed_in(served, "ann")
        try:
            first = client.get("/collections", params={"page": 2})
            assert first.status_code == 200
            assert "正在计算" in text_of(first) and listed(first) == []
            again = re.search(
                r'id="collections-body" hx-get="([^"]+)" hx-trigger="load delay:2s"', first.text
            )
            assert again, first.text[-2000:]
            assert html.unescape(again.group(1)) == "/collections?tier=&page=2"
            # The list is being computed meanwhile (one worker, in the background); htmx's next asks find it.
            for _ in range(600):
                later = client.get(html.unescape(again.group(1)), headers={"HX-Request": "true"})
                if "正在计算" not in text_of(later):
                    break
                time.sleep(0.1)
            assert listed(later) and 'id="collections-body">' in later.text
            expected = call_list_of(served.engine, RUN_DAYS[-1], lessor="ALPHA").frame
            assert set(listed(later)) <= set(expected["contract_no"].to_list())
        finally:
            client.close()
