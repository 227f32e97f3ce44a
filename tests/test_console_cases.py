"""The console's /cases and /cases/{id} (issue 19): the lessor's cases by stage with what they claim and
recovered, one case with its claim's arithmetic (the claim use case's, line by line), its ledger, demands,
documents and case files; recording a step and correcting an entry as `cases event` / `cases correct` do, with
their evidence deposits; a refused form says why beside the field and changes nothing; another lessor's case
is the 404 page; only legal and admin record steps."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from cases_world import BETA_CONTRACT, Cases, seed_cases
from console_world import Console, csrf_of, served_console, signed_in
from leaseguard.enforcement.rules import load_claim_rules
from leaseguard.enforcement.service import UnknownCaseError, claim_for_contract
from leaseguard.money import grouped_yuan
from leaseguard.store.db import session_factory
from leaseguard.store.models import CaseEvent, EvidenceRecord
from leaseguard.tenancy import add_lessor
from leaseguard.usecases.case_pages import case_page, cases_page, correct_step, record_step
from leaseguard.usecases.lookup import case_detail, list_cases
from leaseguard.vocabulary import STAGE_LABELS
from lookup_book import ODD, new_signer


@dataclass
class World:
    console: Console
    cases: Cases


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("console-cases")
    signer = new_signer()
    with served_console(folder, evidence_signer=signer) as served:
        yield World(served, seed_cases(served.engine, folder / "book", signer))


@contextmanager
def as_user(console: Console, username: str) -> Iterator[httpx.Client]:
    client = signed_in(console, username)
    try:
        yield client
    finally:
        client.close()


def ledger_size(world: World) -> int:
    with world.console.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(CaseEvent)).scalar_one())


def evidence_size(world: World) -> int:
    with world.console.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(EvidenceRecord)).scalar_one())


def field_error(page: httpx.Response, field_id: str) -> str:
    found = re.search(rf'id="{field_id}-error"[^>]*>([^<]*)<', page.text)
    assert found, page.text[:3000]
    return html.unescape(found.group(1))


def text_of(page: httpx.Response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page.text))


def test_the_list_gives_each_stage_its_cases_claim_and_recovery_and_filters_by_stage(world: World) -> None:
    with as_user(world.console, "ann") as client:
        page = client.get("/cases")
        assert page.status_code == 200
        with session_factory(world.console.engine)() as session:
            mine = list_cases(session, "ALPHA").items
        for stage in {case.stage for case in mine}:
            at = [case for case in mine if case.stage == stage]
            row = re.search(rf'\?stage={stage}"[^>]*>[^<]*</a></th>(.*?)</tr>', page.text, re.S)
            assert row, stage
            cells = [html.unescape(c) for c in re.findall(r'<td class="num">([^<]*)</td>', row.group(1))]
            assert cells[:3] == [
                str(len(at)),
                grouped_yuan(sum(c.claim_fen for c in at)),
                grouped_yuan(sum(c.recovered_fen for c in at)),
            ]
        shown = text_of(page)
        assert all(case.contract_no in shown for case in mine) and BETA_CONTRACT not in shown
        assert f'href="/cases/{world.cases.overdue}"' in page.text
        assert f'href="/cases/{world.cases.beta}"' not in page.text

        filing = client.get("/cases", params={"stage": "filing"})
        assert filing.status_code == 200
        assert f'href="/cases/{world.cases.overdue}"' in filing.text
        assert f'href="/cases/{world.cases.odd}"' not in filing.text
        assert "处于起诉立案阶段的案件" in filing.text

        wrong = client.get("/cases", params={"stage": "appeal"})
        assert wrong.status_code == 422
        assert "'appeal'" in field_error(wrong, "f-stage") and "filing" in field_error(wrong, "f-stage")


def test_the_case_page_shows_the_claim_line_by_line_as_the_claim_use_case_computes_it(world: World) -> None:
    with session_factory(world.console.engine)() as session:
        case = case_detail(session, "ALPHA", world.cases.odd)
    claim = claim_for_contract(world.console.engine, ODD, case.opened_on, load_claim_rules(), lessor="ALPHA")
    assert claim.claim_fen == case.claim_fen  # opened by open_case with the same rules
    with as_user(world.console, "ann") as client:
        page = client.get(f"/cases/{world.cases.odd}")
    assert page.status_code == 200
    rows = re.findall(
        r'<tr data-item="([^"]+)"><th scope="row">([^<]*)</th><td class="num">([^<]*)</td><td>([^<]*)</td>',
        page.text,
    )
    assert [
        (item, html.unescape(label), amount, html.unescape(arithmetic))
        for item, label, amount, arithmetic in rows
    ] == [(line.item, line.label, grouped_yuan(line.amount_fen), line.arithmetic) for line in claim.lines]
    assert re.search(rf'id="claim-total">{re.escape(grouped_yuan(claim.claim_fen))}<', page.text)
    assert "立案时记录的诉请金额为" not in page.text  # the stored claim is the one computed


def test_a_case_page_shows_its_demands_documents_and_case_files_and_the_case_file_downloads(
    world: World,
) -> None:
    with as_user(world.console, "ann") as client:
        page = client.get(f"/cases/{world.cases.overdue}")
        assert page.status_code == 200
        shown = text_of(page)
        assert "邮政EMS" in shown  # the demand on record for OVERDUE
        assert "立案时记录的诉请金额为" in shown  # the case was opened with a claim set by hand
        link = f"/cases/{world.cases.overdue}/case-files/{world.cases.case_file}"
        assert f'href="{link}"' in page.text
        bundle = client.get(link)
        assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
        assert f"records/{world.cases.case_file}/entry.json" in names
        # Another record of the lessor's, or the case file through another case, is no download.
        for other in (
            f"/cases/{world.cases.overdue}/case-files/{world.cases.other_record}",
            f"/cases/{world.cases.odd}/case-files/{world.cases.case_file}",
        ):
            assert client.get(other).status_code == 404
        without = client.get(f"/cases/{world.cases.odd}")
        assert "还没有为这个案件生成起诉材料" in without.text


def test_a_lawyer_records_a_step_and_corrects_it_and_each_is_deposited(world: World) -> None:
    case_id = world.cases.odd
    with as_user(world.console, "lia") as client:
        page = client.get(f"/cases/{case_id}")
        assert 'id="record-step"' in page.text
        deposits = evidence_size(world)
        answer = client.post(
            f"/cases/{case_id}/steps",
            data={"csrf_token": csrf_of(page), "stage": "demand_notice", "event_date": "2025-01-06",
                  "recovered": "1,234.50", "note": "催告函已寄出"},
        )  # fmt: skip
        assert answer.status_code == 303 and answer.headers["location"] == f"/cases/{case_id}#ledger"
        with session_factory(world.console.engine)() as session:
            case = case_detail(session, "ALPHA", case_id)
        assert (case.stage, case.recovered_fen) == ("demand_notice", 123_450)
        recorded = case.entries[-1]
        assert (recorded.stage, str(recorded.event_date), recorded.note) == (
            "demand_notice",
            "2025-01-06",
            "催告函已寄出",
        )
        assert recorded.evidence_index is not None and evidence_size(world) == deposits + 1

        page = client.get(f"/cases/{case_id}")
        row = re.search(rf'<tr id="entry-{recorded.entry}">(.*?)</tr>', page.text, re.S)
        assert (
            row and "催告" in row.group(1) and "1,234.50" in row.group(1) and "催告函已寄出" in row.group(1)
        )
        assert re.search(r'id="case-recovered">1,234.50 ', page.text)

        corrected = client.post(
            f"/cases/{case_id}/corrections",
            data={"csrf_token": csrf_of(page), "entry": str(recorded.entry), "recovered": "1234.05",
                  "reason": "金额录错"},
        )  # fmt: skip
        assert corrected.status_code == 303
        with session_factory(world.console.engine)() as session:
            case = case_detail(session, "ALPHA", case_id)
        assert (case.stage, case.recovered_fen) == ("demand_notice", 123_405)
        first, fix = case.entries[-2], case.entries[-1]
        assert (first.in_effect, first.corrected_by_entry) == (False, fix.entry)
        assert (fix.corrects_entry, fix.reason, fix.stage, fix.event_date) == (
            first.entry, "金额录错", "demand_notice", first.event_date,
        )  # fmt: skip
        assert evidence_size(world) == deposits + 2
        page = client.get(f"/cases/{case_id}")
        assert re.search(rf'<tr id="entry-{first.entry}" class="muted">', page.text)
        assert f"更正第 {first.entry} 条：金额录错" in page.text
        # An entry already corrected is no longer offered for correction.
        assert f'<option value="{first.entry}"' not in page.text


@pytest.mark.parametrize(
    ("form", "field", "said"),
    [
        ({"event_date": "2025-01-20", "recovered": "0"}, "s-stage", "请选择步骤"),
        ({"stage": "appeal", "event_date": "2025-01-20"}, "s-stage", "'appeal'"),
        ({"stage": "demand_notice", "event_date": "20/01/2025"}, "s-date", "不是日期"),
        ({"stage": "demand_notice", "event_date": ""}, "s-date", "请填写日期"),
        ({"stage": "demand_notice", "event_date": "2099-01-01"}, "s-date", "晚于今天"),
        ({"stage": "demand_notice", "event_date": "2024-01-01"}, "s-date", "早于案件的立案准备日"),
        (
            {"stage": "demand_notice", "event_date": "2025-01-20", "recovered": "12.345"},
            "s-recovered",
            "小数超过 2 位",
        ),
        (
            {"stage": "demand_notice", "event_date": "2025-01-20", "recovered": "abc"},
            "s-recovered",
            "回收金额",
        ),
        (
            {"stage": "demand_notice", "event_date": "2025-01-20", "recovered": "9" * 20},
            "s-recovered",
            "金额过大",
        ),
        (
            {"stage": "judgment", "event_date": "2025-01-20", "recovered": "99999999"},
            "s-recovered",
            "将超过诉请金额",
        ),
        (
            {"stage": "demand_notice", "event_date": "2025-01-20", "note": "长" * 2001},
            "s-note",
            "最多 2000 个字",
        ),
    ],
)
def test_a_refused_step_says_why_beside_its_field_and_records_nothing(
    world: World, form: dict[str, str], field: str, said: str
) -> None:
    with as_user(world.console, "lia") as client:
        page = client.get(f"/cases/{world.cases.overdue}")
        before, deposits = ledger_size(world), evidence_size(world)
        answer = client.post(
            f"/cases/{world.cases.overdue}/steps", data={"csrf_token": csrf_of(page), **form}
        )
        assert answer.status_code == 422
        assert said in field_error(answer, field)
        assert (ledger_size(world), evidence_size(world)) == (before, deposits)
        # What was typed is kept in the form.
        if form.get("event_date"):
            assert f'value="{form["event_date"]}"' in answer.text


def test_a_step_that_goes_back_a_stage_is_refused_beside_the_stage(world: World) -> None:
    with as_user(world.console, "lia") as client:
        page = client.get(f"/cases/{world.cases.overdue}")
        before = ledger_size(world)
        answer = client.post(
            f"/cases/{world.cases.overdue}/steps",
            data={"csrf_token": csrf_of(page), "stage": "demand_notice", "event_date": "2025-02-01"},
        )
        assert answer.status_code == 422
        said = field_error(answer, "s-stage")
        # Beside the case's own form the rule is said without the case's number in front.
        assert said.startswith(f"阶段不能从{STAGE_LABELS['filing']}"), said
        assert ledger_size(world) == before


@pytest.mark.parametrize(
    ("form", "field", "said"),
    [
        ({"recovered": "1"}, "c-entry", "请选择要更正的条目"),
        ({"entry": "99", "recovered": "1", "reason": "x"}, "c-entry", "第 99 条记录不存在"),
        ({"entry": "1", "recovered": "1"}, "c-reason", "请写明更正原因"),
        ({"entry": "1", "recovered": "-5", "reason": "x"}, "c-recovered", "不能为负数"),
        ({"entry": "1", "withdraw": "1", "recovered": "5", "reason": "x"}, "c-withdraw", "撤销步骤时不填写"),
        ({"entry": "1", "stage": "filing", "reason": "x"}, "c-entry", "没有改变任何内容"),
    ],
)
def test_a_refused_correction_says_why_beside_its_field_and_records_nothing(
    world: World, form: dict[str, str], field: str, said: str
) -> None:
    with as_user(world.console, "lia") as client:
        page = client.get(f"/cases/{world.cases.overdue}")
        before, deposits = ledger_size(world), evidence_size(world)
        answer = client.post(
            f"/cases/{world.cases.overdue}/corrections", data={"csrf_token": csrf_of(page), **form}
        )
        assert answer.status_code == 422
        assert said in field_error(answer, field)
        assert (ledger_size(world), evidence_size(world)) == (before, deposits)


def test_a_correction_with_nothing_to_correct_says_so_for_the_form(world: World) -> None:
    with as_user(world.console, "lia") as client:
        page = client.get(f"/cases/{world.cases.overdue}")
        answer = client.post(
            f"/cases/{world.cases.overdue}/corrections",
            data={"csrf_token": csrf_of(page), "entry": "1", "reason": "x"},
        )
        assert answer.status_code == 422
        assert "请填写更正后的步骤、日期、回收金额或备注" in answer.text


def test_another_lessors_case_is_the_404_page_for_reading_and_for_recording(world: World) -> None:
    with as_user(world.console, "bea") as client:
        assert client.get(f"/cases/{world.cases.overdue}").status_code == 404
        listed = client.get("/cases")
        assert f'href="/cases/{world.cases.beta}"' in listed.text
        assert f'href="/cases/{world.cases.overdue}"' not in listed.text
        assert (
            client.get(f"/cases/{world.cases.overdue}/case-files/{world.cases.case_file}").status_code == 404
        )
    with as_user(world.console, "lia") as client:
        page = client.get(f"/cases/{world.cases.overdue}")
        before = ledger_size(world)
        for case_id in (world.cases.beta, 987_654, 2**70):
            assert client.get(f"/cases/{case_id}").status_code == 404
            answer = client.post(
                f"/cases/{case_id}/steps",
                data={"csrf_token": csrf_of(page), "stage": "closure", "event_date": "2025-01-20"},
            )
            assert answer.status_code == 404 and "不存在" in answer.text
        assert ledger_size(world) == before


@pytest.mark.parametrize("username", ["ann", "cai"])
def test_an_analyst_or_compliance_officer_reads_the_case_but_may_not_record(
    world: World, username: str
) -> None:
    with as_user(world.console, username) as client:
        page = client.get(f"/cases/{world.cases.overdue}")
        assert page.status_code == 200
        assert 'id="record-step"' not in page.text and 'id="correct-entry"' not in page.text
        before = ledger_size(world)
        for path, form in (
            ("steps", {"stage": "judgment", "event_date": "2025-01-20"}),
            ("corrections", {"entry": "1", "withdraw": "1", "reason": "x"}),
        ):
            answer = client.post(
                f"/cases/{world.cases.overdue}/{path}", data={"csrf_token": csrf_of(page), **form}
            )
            assert answer.status_code == 403
        assert ledger_size(world) == before
        assert 'href="/cases"' in client.get("/").text  # the list is in their navigation


def test_a_post_without_the_csrf_token_records_nothing(world: World) -> None:
    with as_user(world.console, "lia") as client:
        before = ledger_size(world)
        answer = client.post(
            f"/cases/{world.cases.overdue}/steps", data={"stage": "judgment", "event_date": "2025-01-20"}
        )
        assert answer.status_code == 403 and ledger_size(world) == before


def test_the_pages_speak_english_to_an_english_user(world: World) -> None:
    with as_user(world.console, "ann") as client:
        page = client.get("/cases")
        client.post("/lang", data={"csrf_token": csrf_of(page), "lang": "en"})
        listed = client.get("/cases")
        assert "Cases by stage" in listed.text and "Filing" in listed.text
        case = client.get(f"/cases/{world.cases.odd}")
        assert "The claim and its arithmetic" in case.text and "Overdue rent" in case.text
        overdue = client.get(f"/cases/{world.cases.overdue}")
    # The claim's own words stay as they are filed, in Chinese, and say so, for a screen reader too.
    with session_factory(world.console.engine)() as session:
        opened_on = case_detail(session, "ALPHA", world.cases.odd).opened_on
    claim = claim_for_contract(world.console.engine, ODD, opened_on, load_claim_rules(), lessor="ALPHA")
    cells = re.findall(
        r'<tr data-item="[^"]+"><th scope="row">[^<]*</th><td class="num">[^<]*</td><td( lang="zh-CN")?>([^<]*)</td>',
        case.text,
    )
    assert [(marked, html.unescape(text)) for marked, text in cells] == [
        (' lang="zh-CN"', line.arithmetic) for line in claim.lines
    ]
    chinese_parts = [
        html.unescape(part) for part in re.findall(r'<span lang="zh-CN">([^<]*)</span>', case.text)
    ]
    assert claim.running and claim.notes  # the case has both to show
    assert chinese_parts == [running.wording for running in claim.running] + list(claim.notes)
    assert "Arithmetic, as filed (in Chinese)" in case.text
    assert "Demand: sent 2024-12-05 by EMS, delivered 2024-12-07, 15 days given" in text_of(overdue)


def test_the_use_cases_agree_with_the_ledger_on_either_store(store_engine: Engine, tmp_path: Path) -> None:
    """The list's grouped figures (SQL) equal the ledgers' own state (case_state) after a step and a correction,
    on SQLite and PostgreSQL; the case page's claim is the claim use case's."""
    with session_factory(store_engine)() as session, session.begin():
        add_lessor(session, "ALPHA", "Alpha Leasing")
        add_lessor(session, "BETA", "Beta Leasing")
    signer = new_signer()
    cases = seed_cases(store_engine, tmp_path / "book", signer)
    today = dt.date(2025, 3, 1)
    record_step(store_engine, "ALPHA", cases.overdue, {"stage": "judgment", "event_date": "2025-02-01",
                "recovered": "500"}, signer=signer, today=today)  # fmt: skip
    record_step(store_engine, "ALPHA", cases.odd, {"stage": "settlement", "event_date": "2025-02-01",
                "recovered": "70.10"}, signer=signer, today=today)  # fmt: skip
    correct_step(store_engine, "ALPHA", cases.odd, {"entry": "1", "recovered": "7.01", "reason": "typo"},
                 signer=signer, today=today)  # fmt: skip
    with pytest.raises(UnknownCaseError):  # BETA's case, as ALPHA: as if there were none
        record_step(store_engine, "ALPHA", cases.beta, {"stage": "filing", "event_date": "2025-02-01"},
                    signer=signer, today=today)  # fmt: skip
    with session_factory(store_engine)() as session:
        listed = cases_page(session, "ALPHA")
        ledgers = {
            c.case_id: case_detail(session, "ALPHA", c.case_id) for c in list_cases(session, "ALPHA").items
        }
    assert {c.case_id for c in listed.cases.items} == set(ledgers)
    for total in listed.stages:
        at = [c for c in ledgers.values() if c.stage == total.stage]
        assert (total.cases, total.claim_fen, total.recovered_fen) == (
            len(at), sum(c.claim_fen for c in at), sum(c.recovered_fen for c in at),
        )  # fmt: skip
    assert ledgers[cases.odd].recovered_fen == 701 and ledgers[cases.overdue].recovered_fen == 50_000
    assert listed.total.recovered_fen == 50_701
    page = case_page(store_engine, "ALPHA", cases.odd, load_claim_rules())
    expected = claim_for_contract(
        store_engine, ODD, page.detail.opened_on, load_claim_rules(), lessor="ALPHA"
    )
    assert page.claim == expected and page.claim_problem is None
    with pytest.raises(UnknownCaseError):
        case_page(store_engine, "BETA", cases.odd, load_claim_rules())


# --- case files as a background job ------------------------------------------------------------------------


def _finished(client: httpx.Client, job_path: str) -> str:
    import time

    deadline = time.monotonic() + 180
    while True:
        page = client.get(job_path)
        assert page.status_code == 200, page.text[:500]
        state = re.search(r'id="job-state">([^<]+)<', page.text)
        if state and state.group(1) in ("已完成", "失败"):
            return page.text
        assert time.monotonic() < deadline, page.text[:2000]
        time.sleep(0.3)


def test_case_files_are_generated_in_the_background_for_the_lessors_non_performing_contracts(
    world: World, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from leaseguard.store.models import ContractClass
    from lookup_book import RUN_DAYS

    day = RUN_DAYS[-1]
    with world.console.engine.connect() as connection:
        non_performing = set(
            connection.execute(
                select(ContractClass.contract_no).where(
                    ContractClass.lessor == "ALPHA",
                    ContractClass.as_of == day,
                    ContractClass.klass.in_(("substandard", "doubtful", "loss")),
                )
            ).scalars()
        )
    assert non_performing
    with as_user(world.console, "lia") as client:
        page = client.get("/cases")
        assert 'action="/cases/generate"' in page.text
        started = client.post(
            "/cases/generate", data={"csrf_token": csrf_of(page), "day": day.isoformat(), "contracts": ""}
        )
        assert started.status_code == 303, started.text[:2000]
        job_path = started.headers["location"]
        shown = _finished(client, job_path)
        assert 'id="job-state">已完成<' in shown and "summary.xlsx" in shown, shown[shown.find("<main") :][
            :3000
        ]
        job_id = int(job_path.rsplit("/", 1)[1])
        summary = client.get(f"/cases/generated/{job_id}/summary.xlsx")
        assert summary.status_code == 200
        (tmp_path / "summary.xlsx").write_bytes(summary.content)
        sheet = load_workbook(tmp_path / "summary.xlsx").active
        assert sheet is not None
        listed = {
            str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value in non_performing
        }
        assert listed == non_performing
        assert f'href="/jobs/{job_id}"' in client.get("/cases").text
    with as_user(world.console, "leo") as other:
        assert other.get(f"/cases/generated/{job_id}/summary.xlsx").status_code == 404
        assert other.get(job_path).status_code == 404


@pytest.mark.parametrize(
    ("day", "contracts", "field"),
    [
        ("2024-13-01", "", "f-day"),
        ("2999-01-01", "", "f-day"),
        ("2024-12-31", " ".join(f"X{n}" for n in range(501)), "f-contracts"),
    ],
)
def test_a_case_files_form_that_cannot_be_used_says_why_beside_the_field(
    world: World, day: str, contracts: str, field: str
) -> None:
    with as_user(world.console, "lia") as client:
        page = client.get("/cases")
        refused = client.post(
            "/cases/generate", data={"csrf_token": csrf_of(page), "day": day, "contracts": contracts}
        )
        assert refused.status_code == 422
        assert field_error(refused, field)


def test_an_analyst_may_not_generate_case_files(world: World) -> None:
    with as_user(world.console, "ann") as client:
        page = client.get("/cases")
        assert 'action="/cases/generate"' not in page.text
        refused = client.post("/cases/generate", data={"csrf_token": csrf_of(page), "day": "2024-12-31"})
        assert refused.status_code == 403
