"""The console's /indicators (issue 19): every indicator of the lessor's regime against its limit with the
use case's numbers, breaches marked, the trend over filed reports; the what-if with its fields validated beside
each; filing a report (one report, one filing record, its HTML, XLSX and PDF to download); the balance-sheet
workbook (the template, an upload refused with the cell named and nothing kept); who may do what; another
lessor's report is the 404 page."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from console_world import (
    DAY,
    EARLIER,
    Console,
    balance_sheet_workbook,
    csrf_of,
    seed_indicators,
    served_console,
    signed_in,
)
from leaseguard.console.settings import ConsoleSettings
from leaseguard.indicators.output import indicator_name, show_value
from leaseguard.indicators.rules import load_rule_set
from leaseguard.store.models import EvidenceRecord, IndicatorReport
from leaseguard.usecases import regulatory_report as reports
from lookup_book import new_signer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class World:
    console: Console
    folder: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("console-indicators")
    settings = ConsoleSettings(reports_dir=folder / "reports", balance_sheets_dir=folder / "balance-sheets")
    with served_console(folder, evidence_signer=new_signer(), settings=settings) as served:
        seed_indicators(served.engine)
        yield World(served, folder)


def sheets_of(world: World) -> Path:
    return world.folder / "balance-sheets"


@contextmanager
def as_user(console: Console, username: str) -> Iterator[httpx.Client]:
    client = signed_in(console, username)
    try:
        yield client
    finally:
        client.close()


def text_of(page: httpx.Response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text)))


def field_error(page: httpx.Response, field_id: str) -> str:
    found = re.search(rf'id="{field_id}-error"[^>]*>([^<]*)<', page.text)
    assert found, page.text[:3000]
    return html.unescape(found.group(1))


def file_reports(client: httpx.Client, days: tuple[dt.date, ...]) -> httpx.Response:
    """File the report of each day from the page's form, in order; the last filing's answer."""
    page = client.get("/indicators")
    answers = [
        client.post("/indicators/reports", data={"csrf_token": csrf_of(page), "as_of": day.isoformat()})
        for day in days
    ]
    for answer in answers:
        assert answer.status_code == 303, text_of(answer)[:2000]
    return answers[-1]


def filed_report_id(answer: httpx.Response) -> int:
    """The id of the report a filing made, from where the filing's answer sends the browser."""
    found = re.search(r"filed=(\d+)", answer.headers["location"])
    assert found, answer.headers["location"]
    return int(found.group(1))


def row_of(page: httpx.Response, indicator: str) -> str:
    found = re.search(rf'<tr id="ind-{indicator}" class="status-(\w+)">(.*?)</tr>', page.text, re.S)
    assert found, indicator
    return found.group(1) + " " + html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(2))))


def upload(client: httpx.Client, page: httpx.Response, name: str, data: bytes) -> httpx.Response:
    return client.post(
        "/indicators/balance-sheet",
        data={"csrf_token": csrf_of(page)},
        files={"file": (name, data, XLSX)},
    )


def count(world: World, model: type) -> int:
    with world.console.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.fixture(scope="module")
def uploaded(world: World) -> World:
    """ALPHA's balance sheets of EARLIER and DAY uploaded by its compliance officer (DAY's breaches 同业拆入比例)."""
    with as_user(world.console, "cai") as client:
        for day, breach in ((EARLIER, False), (DAY, True)):
            path = balance_sheet_workbook(
                world.console.engine, "ALPHA", day, world.folder / f"alpha-{day}.xlsx", breach=breach
            )
            answer = upload(client, client.get("/indicators"), path.name, path.read_bytes())
            assert answer.status_code == 303, text_of(answer)[:2000]
            assert answer.headers["location"].startswith(f"/indicators?as_of={day.isoformat()}")
    return world


def day_report(world: World, day: dt.date) -> reports.IndicatorReport:
    """The report of the day as the use case computes it on the uploaded balance sheet."""
    sheet = reports.uploaded_balance_sheet(sheets_of(world), "ALPHA", day)
    assert sheet is not None
    request = reports.ReportRequest("ALPHA", day, load_rule_set("nfra-2024"), sheet)
    return reports.compute_regulatory_report(world.console.engine, request)


def test_every_indicator_shows_the_use_case_numbers_and_the_breach_is_marked(uploaded: World) -> None:
    world = uploaded
    expected = day_report(world, DAY)
    with as_user(world.console, "ann") as client:
        page = client.get("/indicators", params={"as_of": DAY.isoformat()})
    assert page.status_code == 200, text_of(page)[:2000]
    assert "<h1>监管指标 · Alpha Leasing</h1>" in page.text
    for result in expected.results:
        row = row_of(page, result.id)
        status, words = row.split(" ", 1)
        assert status == result.status
        assert indicator_name(result.name, "zh") in words
        assert show_value(result, result.value) in words
        assert show_value(result, result.headroom) in words
    breached = [r.id for r in expected.results if r.status == "breach"]
    assert "interbank_borrowing" in breached
    row = row_of(page, "interbank_borrowing")
    assert row.startswith("breach") and "同业拆入比例" in row and "超限" in row and "≤ 100.00%" in row
    assert f"{len(breached)} 项超限" in text_of(page)
    # An accessible bar with the numbers in its name, for each indicator with a limit.
    assert re.search(
        r'<svg class="bar"[^>]*aria-label="同业拆入比例：指标值 [0-9.]+%，监管要求 ≤ 100.00%，距限额 -',
        page.text,
    )


def test_the_trend_follows_the_filed_reports_and_filing_writes_three_real_files(uploaded: World) -> None:
    world = uploaded
    before_reports, before_records = count(world, IndicatorReport), count(world, EvidenceRecord)
    with as_user(world.console, "cai") as client:
        answer = file_reports(client, (EARLIER, DAY))
        filed_id = filed_report_id(answer)
        page = client.get(answer.headers["location"])
        assert f"报告 {filed_id} 已报送" in text_of(page)
        # One report per filing; its alerts and one filing record naming every file in the evidence log.
        assert count(world, IndicatorReport) == before_reports + 2
        with world.console.engine.connect() as connection:
            filing = connection.execute(
                select(EvidenceRecord).where(EvidenceRecord.ref == f"indicator_report:{filed_id}")
            ).all()
        assert len(filing) == 1
        assert count(world, EvidenceRecord) > before_records
        files = {}
        for fmt in ("html", "xlsx", "pdf"):
            got = client.get(f"/indicators/reports/{filed_id}/{fmt}")
            assert got.status_code == 200, (fmt, got.text[:500])
            assert f"regulatory-nfra-2024-ALPHA-{DAY.isoformat()}.{fmt}" in got.headers["content-disposition"]
            files[fmt] = got.content
        assert (
            files["html"].lstrip().lower().startswith(b"<!doctype html")
            and "同业拆入比例".encode() in files["html"]
        )
        workbook = load_workbook(io.BytesIO(files["xlsx"]))
        assert "监管指标" in workbook.sheetnames
        assert zipfile.is_zipfile(io.BytesIO(files["xlsx"]))
        assert files["pdf"].startswith(b"%PDF-") and b"%%EOF" in files["pdf"][-1024:]
        # The trend now has DAY after EARLIER: the sparkline names both values.
        page = client.get("/indicators", params={"as_of": DAY.isoformat()})
    # The trend shows the values as filed (each report keeps them to 6 places).
    engine = world.console.engine
    filed = {
        r.summary.as_of: r for r in (reports.filed_report(engine, "ALPHA", filed_id - i) for i in (0, 1))
    }
    assert set(filed) == {EARLIER, DAY}
    result = next(r for r in day_report(world, DAY).results if r.id == "interbank_borrowing")

    def filed_value(day: dt.date) -> str:
        value = next(i["value"] for i in filed[day].indicators if i["id"] == "interbank_borrowing")
        return show_value(result, Decimal(str(value)))

    row = row_of(page, "interbank_borrowing")
    assert (
        f"历次报送：{EARLIER.isoformat()} {filed_value(EARLIER)}，{DAY.isoformat()} {filed_value(DAY)}" in row
    )
    assert '<svg class="spark"' in page.text
    assert f'href="/indicators/reports/{filed_id}/pdf"' in page.text
    assert row.startswith("breach")


def test_an_analyst_reads_and_tries_a_what_if_but_cannot_file_or_upload(uploaded: World) -> None:
    world = uploaded
    reports_before = count(world, IndicatorReport)
    with as_user(world.console, "ann") as client:
        page = client.get("/indicators")
        assert (
            'action="/indicators/reports"' not in page.text
            and 'action="/indicators/balance-sheet"' not in page.text
        )
        token = csrf_of(page)
        refused = client.post("/indicators/reports", data={"csrf_token": token, "as_of": DAY.isoformat()})
        assert refused.status_code == 403
        path = balance_sheet_workbook(world.console.engine, "ALPHA", DAY, world.folder / "ann.xlsx")
        assert upload(client, page, "ann.xlsx", path.read_bytes()).status_code == 403
        # The what-if: the use case's before and after, per indicator.
        answer = client.post("/indicators/what-if", data={
            "csrf_token": token, "as_of": DAY.isoformat(), "lessee_id": "NEW-LESSEE", "principal": "900000000",
            "lessee_type": "enterprise"})  # fmt: skip
    assert answer.status_code == 200, text_of(answer)[:2000]
    assert count(world, IndicatorReport) == reports_before
    sheet = reports.balance_sheet_of(world.console.engine, sheets_of(world), "ALPHA", DAY)
    outcome = reports.what_if(
        world.console.engine,
        reports.WhatIfRequest(
            reports.ReportRequest("ALPHA", DAY, load_rule_set("nfra-2024"), sheet),
            reports.new_contract(lessee_id="NEW-LESSEE", principal="900000000"),
        ),
    )
    moved = [m for m in outcome.moves if m.moved]
    assert moved and f"投放后 {len(moved)} 项指标变动" in text_of(answer)
    leverage = next(m for m in outcome.moves if m.before.id == "financial_leverage_multiple")
    found = re.search(r'<tr id="wi-financial_leverage_multiple">(.*?)</tr>', answer.text, re.S)
    assert found
    words = html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))
    assert (
        show_value(leverage.after, leverage.after.value) in words
        and show_value(leverage.after, leverage.move) in words
    )


@pytest.mark.parametrize(
    ("field", "values", "message"),
    [
        ("principal", {"principal": "12.345"}, "小数超过 2 位"),
        ("principal", {"principal": "-5"}, "应大于零"),
        ("principal", {"principal": ""}, "请填写投放金额"),
        ("lessee_id", {"lessee_id": ""}, "请填写承租人证件号"),
        ("lessee_id", {"lessee_id": "X" * 40}, "最多 32 个字符"),
        ("lessee_type", {"lessee_type": "robot"}, "应为 企业 或 个人"),
        ("as_of", {"as_of": "2026-13-01"}, "YYYY-MM-DD"),
        ("as_of", {"as_of": "2020-01-01"}, "还没有资产负债表"),
    ],
)
def test_a_what_if_field_that_cannot_be_used_is_said_beside_it(
    uploaded: World, field: str, values: dict[str, str], message: str
) -> None:
    with as_user(uploaded.console, "ann") as client:
        page = client.get("/indicators")
        data = {"csrf_token": csrf_of(page), "as_of": DAY.isoformat(), "lessee_id": "NEW", "principal": "1000",
                "lessee_type": "enterprise", **values}  # fmt: skip
        answer = client.post("/indicators/what-if", data=data)
    assert answer.status_code == 422
    assert message in field_error(answer, f"w-{field}")
    assert f'id="w-{field}"' in answer.text and 'aria-invalid="true"' in answer.text
    assert 'id="wi-' not in answer.text  # nothing was worked out


def test_a_bad_workbook_names_the_cell_and_nothing_is_kept(uploaded: World) -> None:
    world = uploaded
    day = dt.date(2026, 11, 15)
    path = balance_sheet_workbook(
        world.console.engine, "ALPHA", EARLIER, world.folder / "bad.xlsx", breach=False
    )
    workbook = load_workbook(path)
    tab = workbook["资产负债表"]
    cells = {row[1].value: row[2] for row in tab.iter_rows(min_col=1, max_col=3)}
    cells["as_of"].value = day
    cell = cells["cash_and_deposits"]
    cell.value = "十万"
    workbook.save(path)
    with as_user(world.console, "cai") as client:
        page = client.get("/indicators")
        answer = upload(client, page, "bad.xlsx", path.read_bytes())
        assert answer.status_code == 422
        said = field_error(answer, "u-file")
        assert "bad.xlsx" in said and f"单元格 {cell.coordinate}" in said and "cash_and_deposits" in said
        assert "未保存任何内容" in said
        assert reports.uploaded_balance_sheet(sheets_of(world), "ALPHA", day) is None
        assert not [p for p in (sheets_of(world) / "ALPHA").iterdir() if p.name.startswith(".")]
        # Another lessor's workbook, and a file that is not a workbook, are refused too.
        theirs = balance_sheet_workbook(world.console.engine, "BETA", DAY, world.folder / "beta.xlsx")
        answer = upload(client, page, "beta.xlsx", theirs.read_bytes())
        assert answer.status_code == 422 and "'BETA'" in field_error(answer, "u-file")
        answer = upload(client, page, "notes.xlsx", b"not a workbook")
        assert answer.status_code == 422 and "不是 XLSX 工作簿" in field_error(answer, "u-file")
        answer = upload(client, page, "sheet.csv", b"a,b\n")
        assert answer.status_code == 422 and "不是 XLSX 工作簿" in field_error(answer, "u-file")
        # The template to fill: the lessor filled in, the item codes in column B.
        template = client.get("/indicators/balance-sheet/template", params={"as_of": DAY.isoformat()})
    assert template.status_code == 200 and template.headers["content-type"].startswith(XLSX)
    tab = load_workbook(io.BytesIO(template.content))["资产负债表"]
    codes = {row[1].value: row[2].value for row in tab.iter_rows(min_col=1, max_col=3)}
    assert codes["lessor"] == "ALPHA" and "cash_and_deposits" in codes


def test_another_lessors_report_is_the_404_page(uploaded: World) -> None:
    world = uploaded
    with world.console.engine.connect() as connection:
        alpha_report = (
            connection.execute(
                select(IndicatorReport.id)
                .where(IndicatorReport.lessor == "ALPHA")
                .order_by(IndicatorReport.id.desc())
            )
            .scalars()
            .first()
        )
    assert alpha_report is not None
    with as_user(world.console, "bea") as client:
        for fmt in ("html", "xlsx", "pdf"):
            answer = client.get(f"/indicators/reports/{alpha_report}/{fmt}")
            assert answer.status_code == 404
            assert "没有指标报告" in text_of(answer)
        assert client.get("/indicators/reports/999999/pdf").status_code == 404
        page = client.get("/indicators")
    assert page.status_code == 200 and f"/indicators/reports/{alpha_report}/" not in page.text


def test_a_kept_workbook_is_read_through_its_parse_only_while_the_bytes_are_the_same(
    uploaded: World, tmp_path: Path
) -> None:
    engine = uploaded.console.engine
    folder = tmp_path / "sheets"
    quiet = balance_sheet_workbook(engine, "ALPHA", DAY, tmp_path / "quiet.xlsx", breach=False)
    kept = reports.keep_balance_sheet(folder, "ALPHA", quiet.read_bytes(), name="quiet.xlsx")
    assert (folder / "ALPHA" / f"{DAY.isoformat()}.parsed.json").is_file()
    assert reports.uploaded_balance_sheet(folder, "ALPHA", DAY) == kept
    # The workbook replaced behind the console's back (as a person may, in the folder the CLI reads): its parse
    # no longer names these bytes, so the workbook itself is read.
    loud = balance_sheet_workbook(engine, "ALPHA", DAY, tmp_path / "loud.xlsx", breach=True)
    reports.balance_sheet_path(folder, "ALPHA", DAY).write_bytes(loud.read_bytes())
    read = reports.uploaded_balance_sheet(folder, "ALPHA", DAY)
    assert read is not None and read.items["interbank_borrowing"] == 2 * read.items["net_assets"]
    assert read.items["interbank_borrowing"] != kept.items["interbank_borrowing"]


def test_the_page_the_what_if_and_a_filing_read_the_lessors_book_once_until_the_day_is_run_again(
    uploaded: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the lessor's book is most of a report's cost on a big book: the server keeps it while the day is not
    run again and nothing is imported, and the what-if and a filing compute on it (the same figures as reading it)."""
    import leaseguard.console.indicators_pages as pages
    from leaseguard.indicators import service

    world = uploaded
    reads: list[tuple[str, dt.date]] = []
    real = service.read_book

    def counted(engine: object, lessor: str, day: dt.date) -> object:
        reads.append((lessor, day))
        return real(engine, lessor, day)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "read_book", counted)
    monkeypatch.setattr(reports, "read_book", counted)  # the use case's own reading, were it to read again
    pages._books_kept.clear()
    pages._reports_kept.clear()
    with as_user(world.console, "ada") as client:
        page = client.get("/indicators", params={"as_of": DAY.isoformat()})
        assert page.status_code == 200
        token = csrf_of(page)
        data = {
            "csrf_token": token,
            "as_of": DAY.isoformat(),
            "lessee_id": "NEW-LESSEE",
            "principal": "900000000",
        }
        first = client.post("/indicators/what-if", data=data)
        again = client.post("/indicators/what-if", data=data)
        assert first.status_code == again.status_code == 200
        assert reads == [("ALPHA", DAY)]
        # Another lessor's book is its own entry, never ALPHA's.
        with as_user(world.console, "bea") as other:
            other.get("/indicators", params={"as_of": DAY.isoformat()})
        assert reads[0] == ("ALPHA", DAY) and all(lessor != "ALPHA" for lessor, _ in reads[1:])
    sheet = reports.balance_sheet_of(world.console.engine, sheets_of(world), "ALPHA", DAY)
    outcome = reports.what_if(
        world.console.engine,
        reports.WhatIfRequest(
            reports.ReportRequest("ALPHA", DAY, load_rule_set("nfra-2024"), sheet),
            reports.new_contract(lessee_id="NEW-LESSEE", principal="900000000"),
        ),
    )
    moved = [m for m in outcome.moves if m.moved]
    assert f"投放后 {len(moved)} 项指标变动" in text_of(again)


def _pdf_without_dates(data: bytes) -> bytes:
    """A PDF with its creation and modification dates and its file identifier blanked (all else compared)."""
    data = re.sub(rb"/(CreationDate|ModDate) \(D:[^)]*\)", rb"/\1 ()", data)
    return re.sub(rb"/ID\s*\[[^\]]*\]", b"/ID []", data)


def test_a_filing_files_the_report_its_page_showed_and_each_lessor_keeps_its_own(
    uploaded: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Filing from the page files the day's report the page computed (not computed again; the same documents as
    a report computed afresh); filing the day's report keeps it, a filing of an earlier day (its change) computes
    it again; another lessor's page computes its own."""
    import leaseguard.console.indicators_pages as pages
    from leaseguard.indicators.output import ReportPaper, Signature, SignOff, render
    from leaseguard.indicators.service import result_json

    world, engine = uploaded, uploaded.console.engine
    computed: list[tuple[str, dt.date]] = []
    real = reports.compute_report

    def counted(*args: object, **options: object) -> reports.IndicatorReport:
        report = real(*args, **options)  # type: ignore[arg-type]
        computed.append((report.lessor, report.as_of))
        return report

    monkeypatch.setattr(reports, "compute_report", counted)
    pages._reports_kept.clear()
    with as_user(world.console, "cai") as client:
        page = client.get("/indicators", params={"as_of": DAY.isoformat()})
        assert page.status_code == 200 and computed == [("ALPHA", DAY)]
        answer = client.post(
            "/indicators/reports", data={"csrf_token": csrf_of(page), "as_of": DAY.isoformat()}
        )
        assert answer.status_code == 303, text_of(answer)[:2000]
        filed_id = filed_report_id(answer)
        shown = client.get(answer.headers["location"])
        assert f"报告 {filed_id} 已报送" in text_of(shown)
        assert computed == [("ALPHA", DAY)]  # neither the filing nor the page after it computed it again
        files = {
            fmt: client.get(f"/indicators/reports/{filed_id}/{fmt}").content
            for fmt in ("html", "xlsx", "pdf")
        }

        # The same report and the same documents as a report computed afresh on the store as it is now.
        monkeypatch.setattr(reports, "compute_report", real)
        sheet = reports.balance_sheet_of(engine, sheets_of(world), "ALPHA", DAY)
        fresh = reports.compute_regulatory_report(
            engine, reports.ReportRequest("ALPHA", DAY, load_rule_set("nfra-2024"), sheet)
        )
        record = reports.filed_report(engine, "ALPHA", filed_id)
        listed = reports.filed_reports(engine, "ALPHA", rule_set="nfra-2024")
        assert listed[0] == record.summary and record.summary.created_at.tzinfo is not None
        # The page's days come from the days alone, not from reading the reports.
        assert reports.filed_days(engine, "ALPHA", rule_set="nfra-2024") == list(
            dict.fromkeys(s.as_of for s in listed)
        )
        assert record.indicators == [result_json(r) for r in fresh.results]
        paper = ReportPaper(
            fresh, lessor_name=reports.lessor_name(engine, "ALPHA"), lang="zh", report_id=filed_id,
            sign_off=SignOff(prepared=Signature("cai", dt.datetime.now(dt.UTC).date())),
        )  # fmt: skip
        assert files["html"] == render(paper, "html")
        assert _pdf_without_dates(files["pdf"]) == _pdf_without_dates(render(paper, "pdf"))
        again = load_workbook(io.BytesIO(render(paper, "xlsx")))
        filed_book = load_workbook(io.BytesIO(files["xlsx"]))
        assert filed_book.sheetnames == again.sheetnames
        for name in again.sheetnames:
            cells = [[c.value for c in row] for row in again[name].iter_rows()]
            assert [[c.value for c in row] for row in filed_book[name].iter_rows()] == cells
        monkeypatch.setattr(reports, "compute_report", counted)

        # A filing of an earlier day may change the day's change since the last report: computed again.
        answer = client.post(
            "/indicators/reports", data={"csrf_token": csrf_of(page), "as_of": EARLIER.isoformat()}
        )
        assert answer.status_code == 303
        assert computed[-1] == ("ALPHA", EARLIER)
        client.get("/indicators", params={"as_of": DAY.isoformat()})
        assert computed[-1] == ("ALPHA", DAY) and len(computed) == 3

    # Another lessor's page computes its own report; ALPHA's kept one is never its answer.
    path = balance_sheet_workbook(engine, "BETA", DAY, world.folder / "beta.xlsx", breach=False)
    with as_user(world.console, "bea") as client:
        kept = upload(client, client.get("/indicators"), path.name, path.read_bytes())
        assert kept.status_code == 303, text_of(kept)[:2000]
        beta_page = client.get("/indicators", params={"as_of": DAY.isoformat()})
    assert computed[-1] == ("BETA", DAY)
    beta = reports.compute_regulatory_report(
        engine,
        reports.ReportRequest(
            "BETA",
            DAY,
            load_rule_set("nfra-2024"),
            reports.balance_sheet_of(engine, sheets_of(world), "BETA", DAY),
        ),
    )
    interbank = next(r for r in beta.results if r.id == "interbank_borrowing")
    assert f" {show_value(interbank, interbank.value)} " in row_of(beta_page, "interbank_borrowing")
    assert row_of(beta_page, "interbank_borrowing").startswith("ok")


def test_the_filed_reports_are_paged_newest_first_down_to_the_oldest(
    uploaded: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every filed report of the lessor can be reached from the page, a page at a time, newest first: the page
    shows the use case's list, each page the next stretch of it, with links to the newer and the older pages."""
    from leaseguard.console import indicators_pages

    world = uploaded
    with as_user(world.console, "cai") as client:
        file_reports(client, (EARLIER, DAY))
        expected = [s.id for s in reports.filed_reports(world.console.engine, "ALPHA")]
        assert len(expected) >= 2
        monkeypatch.setattr(indicators_pages, "REPORTS_SHOWN", 1)
        seen: list[int] = []
        start = 0
        while True:
            page = client.get("/indicators", params={"as_of": DAY.isoformat(), "reports_from": start})
            assert page.status_code == 200, text_of(page)[:2000]
            seen += [int(n) for n in re.findall(r'<tr id="report-(\d+)">', page.text)]
            newer = f"/indicators?as_of={DAY.isoformat()}&amp;reports_from={max(start - 1, 0)}#reports"
            assert (newer in page.text) == (start > 0)
            assert f"第 {start + 1}–{start + 1} 份" in text_of(page)
            older = f"/indicators?as_of={DAY.isoformat()}&amp;reports_from={start + 1}#reports"
            if older not in page.text:
                break
            start += 1
        assert seen == expected  # all of them, each once, in the use case's order
        beyond = client.get("/indicators", params={"reports_from": len(expected) + 5})
        assert "这一页没有报告" in text_of(beyond) and 'href="/indicators#reports"' in beyond.text
