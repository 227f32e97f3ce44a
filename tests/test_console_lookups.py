"""/search, /lessees/{id} and /contracts/{no} over real HTTP on a SQLite store of two lessors (lookup_book): a
search finds each kind at the user's lessor only and pages through the rest; a lessee and a contract show
everything on file, their long lists a page at a time; another lessor's lessee or contract is the 404 page;
bad input is a message beside the search box. Chinese first, English with the user's switch."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest

from console_world import Console, alerts, csrf_of, served_console, signed_in
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
    ODD,
    OVERDUE,
    PERSON,
    seed_lookup_book,
)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    # One served store for the module: the pages only read it.
    folder = tmp_path_factory.mktemp("console-lookups")
    with served_console(folder) as served:
        seed_lookup_book(served.engine, folder / "book")
        yield served


@pytest.fixture(scope="module")
def ann(console: Console) -> Iterator[httpx.Client]:
    client = signed_in(console, "ann")
    yield client
    client.close()


@pytest.fixture(scope="module")
def bea(console: Console) -> Iterator[httpx.Client]:
    client = signed_in(console, "bea")
    yield client
    client.close()


def text_of(page: httpx.Response) -> str:
    """The page's words without tags, spaces collapsed."""
    main = page.text.split('<main id="main"', 1)[-1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def links(page: httpx.Response | str, prefix: str) -> list[str]:
    """The targets of the links that start with `prefix`, as the browser reads them (entities decoded)."""
    text = page if isinstance(page, str) else page.text
    return [
        html.unescape(found)
        for found in re.findall(rf'href="({re.escape(prefix)}[^"#]*)', html.unescape(text))
    ]


def raw_section(page: httpx.Response, anchor: str) -> str:
    found = re.search(rf'<section id="{anchor}".*?</section>', page.text, re.S)
    assert found, anchor
    return found.group(0)


def section(page: httpx.Response, anchor: str) -> str:
    """The words of the page's section `anchor`."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw_section(page, anchor))).split())


def test_search_finds_each_kind_at_the_users_lessor(ann: httpx.Client) -> None:
    for text, heading, wanted in (
        ("AL-2024-00", "合同（合同编号）", "/contracts/AL-2024-001"),
        ("华东物流", "承租人（名称）", f"/lessees/{FIRM}"),
        (PERSON[:10], "承租人（证件号码）", f"/lessees/{PERSON}"),
        (ALPHA_VIN[:9].lower(), "租赁物（车架号）", "/contracts/AL-2024-001"),
        (ALPHA_SERIAL[:12], "租赁物（出厂编号）", f"/contracts/{OVERDUE}"),
        (ALPHA_INVOICE, "租赁物（发票号码）", "/contracts/AL-2024-001"),
    ):
        page = ann.get("/search", params={"q": text})
        assert page.status_code == 200, (text, alerts(page))
        assert f">{heading}</h2>" in page.text, text
        assert wanted in links(page, wanted), (text, links(page, "/"))


def test_a_search_never_shows_another_lessors_rows(ann: httpx.Client, bea: httpx.Client) -> None:
    for text in ("LSVAU2A3", "ZLJ5550JQZ2208", "183205", "华东物流", PERSON, "91310000MA1K0000", "BE-2024"):
        page = ann.get("/search", params={"q": text})
        for foreign in (BETA_VIN, BETA_SERIAL, "18320599", BETA_FIRM, "BE-2024-001", "B-CAR-1"):
            assert foreign not in page.text, (text, foreign)
    page = ann.get("/search", params={"q": "BE-2024"})
    assert "没有以 BE-2024 开头的" in text_of(page)
    beta = bea.get("/search", params={"q": "AL-"})
    assert "AL-2024" not in beta.text and "没有以 AL- 开头的" in text_of(beta)
    beta_person = bea.get("/search", params={"q": PERSON})
    assert links(beta_person, "/lessees/") == [f"/lessees/{PERSON}"]
    assert "AL-2024-001" not in bea.get(f"/lessees/{PERSON}").text  # BETA's view of the same person


def test_one_kind_pages_through_its_hits_on_the_server(ann: httpx.Client) -> None:
    first = ann.get("/search", params={"q": "AL-FLEET"})
    assert len(links(first, "/contracts/AL-FLEET-")) == 10  # every kind: the first ten and a link to more
    [more] = links(first, "/search?q=AL-FLEET&kind=contract_no")
    page, seen = ann.get(more), []
    while True:
        assert page.status_code == 200
        seen += links(page, "/contracts/AL-FLEET-")
        following = [link for link in links(page, "/search?") if "after=" in link]
        if not following:
            break
        page = ann.get(following[0])
    assert seen == [f"/contracts/AL-FLEET-{n:04d}" for n in range(1, FLEET_CONTRACTS + 1)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"q": ""}, "请输入要查询的内容。"),
        ({"q": " 张 "}, "请至少输入 2 个字符"),
        ({"q": "AL-2024", "kind": "everything"}, "没有这种查询类别：everything"),
        ({"q": "AL-2024", "kind": "vin", "after": "garbage"}, "翻页参数无效，请重新查询。"),
    ],
)
def test_bad_input_is_a_message_beside_the_search_box(
    ann: httpx.Client, query: dict[str, str], message: str
) -> None:
    page = ann.get("/search", params=query)
    assert page.status_code == 422
    error = re.search(r'<p class="field-error" id="f-q-error" role="alert">([^<]*)</p>', page.text)
    assert error and html.unescape(error.group(1)).startswith(message), page.text[-3000:]
    assert 'aria-invalid="true"' in page.text and 'aria-describedby="f-q-error"' in page.text
    assert "<table" not in page.text.split('<main id="main"', 1)[-1]  # nothing searched


def test_the_search_form_and_the_header_box(ann: httpx.Client) -> None:
    page = ann.get("/search")
    assert page.status_code == 200 and "field-error" not in page.text
    assert '<form class="top-search" role="search" method="get" action="/search">' in page.text
    assert re.search(
        r'<nav aria-label="主导航">.*?<a href="/search" aria-current="page">查询</a>', page.text, re.S
    )
    overview = ann.get("/")
    assert 'action="/search"' in overview.text  # every page has the box


def test_the_lessee_page_shows_everything_on_file_a_page_at_a_time(ann: httpx.Client) -> None:
    page = ann.get(f"/lessees/{PERSON}")
    assert page.status_code == 200
    words = text_of(page)
    assert "<h1>张伟</h1>" in page.text and "个人" in words
    assert links(page, "/contracts/") == [
        "/contracts/AL-2024-001",
        "/contracts/AL-2024-001",
    ]  # contract, asset
    assert "LSVAU2A35MN201704" in section(page, "assets")
    assert "LSVAU2A35MN201704 复核 ann · console" in section(page, "checks")  # its own registration: review
    assert "批准" in section(page, "decisions") and "688" in section(page, "decisions")
    assert "2024-12-31" in section(page, "contracts") and "正常类" in section(page, "contracts")

    firm = ann.get(f"/lessees/{FIRM}")
    cases = section(firm, "cases")
    assert OVERDUE in cases and "起诉立案" in cases
    changes = section(firm, "changes")
    assert "次级类 → 可疑类" in changes and "逾期超过270天（逾期305天）" in changes

    fleet = ann.get(f"/lessees/{FLEET}", params={"contracts_page": 2})
    shown = links(raw_section(fleet, "contracts"), "/contracts/AL-FLEET-")
    assert shown == [f"/contracts/AL-FLEET-{n:04d}" for n in range(21, 41)]
    assert "第 21–40 条，共 60 条" in section(fleet, "contracts")
    assert f"/lessees/{FLEET}?contracts_page=3#contracts" in fleet.text


def test_the_contract_page_shows_terms_schedule_payments_classes_assets_case_and_evidence(
    ann: httpx.Client,
) -> None:
    page = ann.get(f"/contracts/{OVERDUE}")
    assert page.status_code == 200
    words = text_of(page)
    assert f"<h1>合同 {OVERDUE}</h1>" in page.text and "900,000.00 元" in words and "6.5000%" in words
    days = section(page, "days")
    assert "可疑类" in days and "305" in days and "逾期超过270天（逾期305天）" in days
    assert "2024-09-30" in days and "次级类" in days
    assert "首次分类" not in section(page, "changes") and "新分类 → 次级类" in section(page, "changes")
    schedule = section(page, "schedule")
    assert "第 1–12 条，共 36 条" in schedule and "按合同条款计算" in schedule
    assert "2024-03-01 25,000.00" in section(page, "payments")
    assets = section(page, "assets")
    assert (
        ALPHA_SERIAL in assets
        and "2024-12-31：520,000.00 元" in assets
        and "2024-06-30：700,000.00 元" in assets
    )
    case = section(page, "case")
    assert "起诉立案" in case and "880,000.00 元" in case and "邮政EMS" in case
    evidence = section(page, "evidence")
    assert "案件步骤" in evidence and "case:1:filing" in evidence

    last = ann.get(f"/contracts/{OVERDUE}", params={"schedule_page": 3})
    schedule = section(last, "schedule")
    assert "第 25–36 条，共 36 条" in schedule and "2027-01-01" in schedule  # the last instalment
    assert "2024-03-01" not in schedule


def test_payments_are_paged_newest_first(ann: httpx.Client) -> None:
    first = section(ann.get("/contracts/AL-2024-001"), "payments")
    second = section(ann.get("/contracts/AL-2024-001", params={"payments_page": 2}), "payments")
    assert "2026-02-15" in first and "2024-02-15" not in first and "第 1–20 条，共 25 条" in first
    assert "2024-02-15" in second and "第 21–25 条，共 25 条" in second
    evidence = section(ann.get("/contracts/AL-2024-001"), "evidence")
    assert "资产核查" in evidence and "asset_check:1" in evidence


def test_another_lessors_records_are_the_404_page(ann: httpx.Client, bea: httpx.Client) -> None:
    for client, path, hidden in (
        (ann, "/contracts/BE-2024-001", "880,000"),
        (ann, f"/lessees/{BETA_FIRM}", "BE-2024-002"),
        (bea, f"/contracts/{OVERDUE}", "900,000"),
        (bea, f"/lessees/{FIRM}", OVERDUE),
        (ann, "/contracts/NO-SUCH", "NO-SUCH-THING"),
    ):
        page = client.get(path)
        assert page.status_code == 404, path
        assert "<h1>未找到</h1>" in page.text or ">未找到<" in page.text, path
        assert hidden not in page.text, path


def test_english_for_a_user_who_switched(console: Console) -> None:
    client = signed_in(console, "cai")
    try:
        form = client.get("/search")
        assert (
            client.post(
                "/lang", data={"lang": "en", "next": "/search", "csrf_token": csrf_of(form)}
            ).status_code
            == 303
        )
        page = client.get("/search", params={"q": "x"})
        assert page.status_code == 422 and "Type at least 2 characters" in page.text
        found = client.get("/search", params={"q": "AL-2024-00"})
        assert ">Contracts (contract number)</h2>" in found.text
        contract = client.get(f"/contracts/{OVERDUE}")
        assert "<h1>Contract AL-2024-002</h1>" in contract.text
        assert "more than 270 days overdue: 305 days past due" in section(contract, "days")
        assert "1–12 of 36 Page 1 of 3 Next →" in section(contract, "schedule")
        missing = client.get("/lessees/NOBODY")
        assert missing.status_code == 404 and "Not found" in missing.text
    finally:
        client.close()


def test_a_contract_number_with_url_characters_links_and_pages(ann: httpx.Client) -> None:
    found = ann.get("/search", params={"q": "ALX/2024"})
    [link] = links(found, "/contracts/ALX")
    assert link == "/contracts/ALX/2024%231%3F"  # "/" kept (the route spans segments), "#" and "?" encoded
    page = ann.get(link)
    assert page.status_code == 200 and f"<h1>合同 {html.escape(ODD)}</h1>" in page.text
    [following] = [
        href for href in links(raw_section(page, "schedule"), "/contracts/") if "schedule_page=2" in href
    ]
    assert following == "/contracts/ALX/2024%231%3F?schedule_page=2"
    assert "第 13–24 条，共 24 条" in section(ann.get(following), "schedule")
