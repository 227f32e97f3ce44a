"""The asset pages over real HTTP (tests/console_world.py's server, a signing key for the evidence log):
/assets/check answers as the API does, in the user's language, recording the check; /assets/screen screens
leaseguard.synth's fleet with a forged truck (tests/funding_world.py) against its ground truth, keeps it for
downloads and decisions, and refuses what is not CSV or XLSX or is too large, keeping nothing; funding decisions
follow maker–checker and land in the evidence log; another lessor's screen is a 404."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from console_world import Console, alerts, csrf_of, served_console, signed_in
from funding_world import (
    FORGED_ID,
    FORGER_ASSET,
    FORGER_LESSEE,
    TYPO_ID,
    add_users,
    alpha_fleet,
    bad_row_line,
    funding_file,
    ground_truth,
    log_signer,
    register_forgery,
)
from leaseguard.console.settings import ConsoleSettings
from leaseguard.registry.identifiers import vin_check_digit
from leaseguard.store.db import session_factory
from leaseguard.store.models import (
    AssetCheck,
    EvidenceRecord,
    FundingDecision,
    FundingScreen,
    FundingScreenAsset,
)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    with served_console(tmp_path, evidence_signer=log_signer()) as served:
        register_forgery(served.engine)
        add_users(served.engine, ("cao", "ALPHA", "compliance"), ("lin", "ALPHA", "legal"))
        yield served


def text_of(page: httpx.Response) -> str:
    """The page's text without tags and extra spaces."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


def field_error(page: httpx.Response, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="f-{name}-error"[^>]*>([^<]*)</p>', page.text)
    return unescape(found.group(1)) if found else ""


def count(console: Console, model: type) -> int:
    with session_factory(console.engine)() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def check(client: httpx.Client, **fields: str) -> httpx.Response:
    form = client.get("/assets/check")
    return client.post("/assets/check", data={**fields, "csrf_token": csrf_of(form)})


def switch_to_english(client: httpx.Client) -> None:
    answer = client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_of(client.get("/"))})
    assert answer.status_code == 303


# --- /assets/check ---------------------------------------------------------------------------------------------


def test_a_clear_asset_and_a_blocked_one_as_the_api_answers_them(console: Console) -> None:
    fleet = alpha_fleet()
    ann = signed_in(console, "ann")
    clear = check(ann, vin=fleet[0]["vin"], engine_no=fleet[0]["engine_no"], asset_type="vehicle")
    assert clear.status_code == 200, alerts(clear)
    assert "核查结论： 通过" in text_of(clear) and "没有发现问题" in clear.text

    forged = alpha_fleet()[int(FORGED_ID[1:]) - 1]
    blocked = check(ann, vin=forged["vin"], lessee_id=forged["lessee_id"], invoice_amount="412,000.00")
    assert blocked.status_code == 200, alerts(blocked)
    shown = text_of(blocked)
    assert "核查结论： 拒绝" in shown
    # Another lessor's registration as the API shows it: its code, date and the kind of match; never its
    # lessee, asset id or contract.
    assert "BETA" in shown and "同一资产" in shown and "VIN 相同" in shown and "2026-03-05" in shown
    assert FORGER_LESSEE not in blocked.text and FORGER_ASSET not in blocked.text and "不公开" in shown
    api = httpx.post(
        f"{console.base}/v1/assets/check", headers={"X-API-Key": console.api_key}, json={"vin": forged["vin"]}
    ).json()
    for reason in api["reasons"]:
        assert reason in shown  # the same reasons, in Chinese
    with session_factory(console.engine)() as session:
        recorded = session.scalars(select(AssetCheck).where(AssetCheck.channel == "console")).all()
    assert [(row.asked_by, row.lessor, row.verdict) for row in recorded] == [
        ("ann", "ALPHA", "clear"),
        ("ann", "ALPHA", "block"),
    ]
    assert recorded[1].request["invoice_amount_fen"] == 41_200_000
    assert all(row.evidence_index is not None for row in recorded)
    assert f"证据日志第 {recorded[1].evidence_index} 条" in shown

    switch_to_english(ann)
    english = check(ann, vin=forged["vin"])
    assert "Verdict: Block" in text_of(english) and "the same asset as one registered by BETA" in english.text


def test_a_malformed_vin_is_said_beside_the_field_with_the_expected_check_digit(console: Console) -> None:
    vin = alpha_fleet()[-1]["vin"]  # the fleet's typo: a wrong check digit
    ann = signed_in(console, "ann")
    answer = check(ann, vin=vin, asset_type="vehicle")
    assert answer.status_code == 200
    expected = vin_check_digit(vin)
    assert field_error(answer, "vin") == f"VIN {vin} 校验位错误：第 9 位为 {vin[8]}，应为 {expected}"
    assert (
        'id="f-vin" name="vin" type="text" value="' + vin in answer.text
        and 'aria-invalid="true"' in answer.text
    )
    assert "核查结论： 复核" in text_of(answer)  # a finding of the check, recorded as asked
    short = check(ann, vin="LSVAU2A3")
    assert field_error(short, "vin") == "VIN LSVAU2A3 不是 17 位（8 位）"
    switch_to_english(ann)
    english = check(ann, vin=vin)
    assert (
        field_error(english, "vin")
        == f"VIN {vin} check digit fails: position 9 is {vin[8]}, expected {expected}"
    )


def test_a_form_that_cannot_be_checked_changes_nothing(console: Console) -> None:
    ann = signed_in(console, "ann")
    before = count(console, AssetCheck)
    nothing = check(ann, manufacturer="三一重工")
    assert nothing.status_code == 422
    assert alerts(nothing) == ["请至少填写 VIN、发动机号、出厂编号、发票号码之一"]
    assert 'value="三一重工"' in nothing.text  # what was typed is kept
    amount = check(ann, vin="LSVAU2180N2183294", invoice_amount="12.345")
    assert amount.status_code == 422 and field_error(amount, "invoice_amount") == "'12.345' 的小数超过 2 位"
    too_long = check(ann, engine_no="E" * 65)
    assert too_long.status_code == 422 and field_error(too_long, "engine_no") == "最多 64 个字符"
    kind = check(ann, vin="LSVAU2180N2183294", asset_type="spaceship")
    assert kind.status_code == 422 and field_error(kind, "asset_type") == "请从列表中选择资产类型"
    forged = ann.post("/assets/check", data={"vin": "LSVAU2180N2183294"})  # no CSRF token
    assert forged.status_code == 403 and "未做任何更改" in forged.text
    assert count(console, AssetCheck) == before
    switch_to_english(ann)
    english = check(ann, invoice_code="011002400111")
    assert alerts(english) == ["fill in at least one of VIN, engine no, serial no, invoice no"]


def test_htmx_posts_the_form_and_gets_the_section_to_swap(console: Console) -> None:
    ann = signed_in(console, "ann")
    token = csrf_of(ann.get("/assets/check"))
    answer = ann.post(
        "/assets/check",
        data={"vin": alpha_fleet()[0]["vin"]},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert answer.status_code == 200 and '<div id="asset-check">' in answer.text and "通过" in answer.text
    refused = ann.post(
        "/assets/check", data={"model": "X"}, headers={"HX-Request": "true", "X-CSRF-Token": token}
    )
    assert refused.status_code == 422 and '<div id="asset-check">' in refused.text  # base.html swaps a 422


# --- /assets/screen --------------------------------------------------------------------------------------------


def upload(client: httpx.Client, name: str, content: bytes, media_type: str = "text/csv") -> httpx.Response:
    token = csrf_of(client.get("/assets/screen"))
    return client.post(
        "/assets/screen", data={"csrf_token": token}, files={"file": (name, content, media_type)}
    )


def screened(console: Console, client: httpx.Client, tmp_path: Path) -> int:
    answer = upload(client, "放款文件.csv", funding_file(tmp_path / "funding.csv").read_bytes())
    assert answer.status_code == 303, alerts(answer) or text_of(answer)[:500]
    found = re.fullmatch(r"/assets/screen/(\d+)", answer.headers["location"])
    assert found
    return int(found.group(1))


def test_a_funding_file_is_screened_kept_and_its_findings_downloaded(
    console: Console, tmp_path: Path
) -> None:
    ann = signed_in(console, "ann")
    screen_id = screened(console, ann, tmp_path)
    truth = ground_truth()
    page = ann.get(f"/assets/screen/{screen_id}")
    assert page.status_code == 200
    shown = text_of(page)
    assert "放款文件.csv" in shown and f"资产 {len(truth)}" in shown and "被拒 1 行" in shown
    rows = re.findall(r'<tr>\s*<td class="num">(\d+)</td>\s*<td><a href="[^"]+">([^<]+)</a></td>.*?'
                      r'<span class="badge \w+">([^<]+)</span>', page.text, re.S)  # fmt: skip
    words = {"clear": "通过", "review": "复核", "block": "拒绝"}
    assert {asset_id: verdict for _, asset_id, verdict in rows} == {
        asset_id: words[verdict] for asset_id, (verdict, _) in truth.items()
    }
    assert FORGER_LESSEE not in page.text and FORGER_ASSET not in page.text
    # The bad row: its line, the column and why.
    rejected = re.search(r'<section id="rejected-rows".*?</section>', page.text, re.S)
    assert rejected is not None
    line = rf'<td class="num">{bad_row_line()}</td><td>asset_type</td><td>[^<]*spaceship'
    assert re.search(line, rejected.group(0))

    findings = ann.get(f"/assets/screen/{screen_id}/files/findings")
    assert findings.status_code == 200 and findings.headers["content-type"].startswith("text/csv")
    assert "attachment" in findings.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(findings.content.decode("utf-8-sig"))))
    assert {r["asset_id"]: (r["verdict"], r["reason_codes"]) for r in table} == truth
    forged = next(r for r in table if r["asset_id"] == FORGED_ID)
    assert "BETA" in forged["reasons"] and "同一资产" in forged["reasons"]
    summary = ann.get(f"/assets/screen/{screen_id}/files/summary.xlsx")
    workbook = load_workbook(io.BytesIO(summary.content))
    assert workbook.sheetnames == ["summary", "pairs", "findings"]
    html = ann.get(f"/assets/screen/{screen_id}/files/summary.html")
    assert '<html lang="zh-CN">' in html.text and "放款文件.csv 的权属筛查（ALPHA）" in html.text
    errors = ann.get(f"/assets/screen/{screen_id}/files/rejected")
    assert "spaceship" in errors.content.decode("utf-8-sig")
    assert ann.get(f"/assets/screen/{screen_id}/files/secrets").status_code == 404

    only_blocks = ann.get(f"/assets/screen/{screen_id}?verdict=block")
    assert re.findall(r'<a href="/assets/screen/\d+/assets/\d+">([^<]+)</a>', only_blocks.text) == [FORGED_ID]
    switch_to_english(ann)
    english = ann.get(f"/assets/screen/{screen_id}/files/findings").content.decode("utf-8-sig")
    assert f"expected {vin_check_digit(alpha_fleet()[-1]['vin'])}" in english
    assert "Rejected rows (1, not screened)" in text_of(ann.get(f"/assets/screen/{screen_id}"))
    listed = ann.get("/assets/screen")
    assert f'href="/assets/screen/{screen_id}"' in listed.text


def test_what_is_not_csv_or_xlsx_or_is_too_large_is_refused_and_nothing_kept(tmp_path: Path) -> None:
    settings = ConsoleSettings(max_upload_mb=2, screens_dir=tmp_path / "screens")
    with served_console(tmp_path, settings=settings) as console:
        ann = signed_in(console, "ann")
        pdf = upload(ann, "funding.pdf", b"%PDF-1.7 not a table", "application/pdf")
        assert pdf.status_code == 422
        assert field_error(pdf, "file") == (
            "funding.pdf 不是 CSV 或 XLSX 文件：只能上传 .csv 或 .xlsx 文件，未保存任何内容。"
        )
        binary = upload(ann, "funding.csv", bytes(range(256)) * 8)
        assert binary.status_code == 422 and field_error(binary, "file").startswith("funding.csv 无法读取：")
        huge = upload(ann, "funding.csv", b"asset_id,lessor\n" + b"x" * (3 * 1024 * 1024))
        assert huge.status_code == 413  # refused on its declared length, before a byte is read
        assert field_error(huge, "file").startswith("文件超过上限 2 MB，未读取也未保存")
        just_over = upload(ann, "funding.csv", b"asset_id,lessor\n" + b"x" * (2 * 1024 * 1024))
        assert just_over.status_code == 413  # the form's wrapping allowed for, the file itself is too large
        assert field_error(just_over, "file").startswith("文件超过上限 2 MB")
        # Over the API's body limit (1 MiB) but within the console's: read and screened (no good row here).
        padded = funding_file(tmp_path / "f.csv", bad_row=False).read_bytes().replace(b"\r\n", b"\n")
        header, _, rows = padded.partition(b"\n")
        foreign = (
            header + b"\n" + rows.replace(b",ALPHA,", b",BETA,") + b"\n" * (1024 * 1024 - len(padded) + 500)
        )
        assert 1024 * 1024 < len(foreign) < 1024 * 1024 + 64 * 1024
        others = upload(ann, "funding.csv", foreign)
        assert others.status_code == 422 and "BETA" in field_error(others, "file")
        no_file = upload(ann, "", b"")
        assert no_file.status_code == 422
        nothing = ann.post("/assets/screen", files={"file": ("f.csv", b"asset_id\n")})  # no CSRF token
        assert nothing.status_code == 403
        assert count(console, FundingScreen) == 0
        assert not (tmp_path / "screens").exists() or not any((tmp_path / "screens").rglob("*.csv"))
        switch_to_english(ann)
        english = upload(ann, "book.txt", b"a,b\n")
        assert field_error(english, "file") == (
            "book.txt is not a CSV or XLSX file: upload a .csv or .xlsx file; nothing was kept."
        )


def test_a_file_without_a_good_row_lists_its_rows_and_keeps_nothing(console: Console) -> None:
    ann = signed_in(console, "ann")
    header = "asset_id,lessor,asset_type,vin,lessee_id,lessee_name\n"
    content = (header + "Z1,ALPHA,spaceship,,L1,甲\nZ2,ALPHA,vehicle,,,乙\n").encode()
    answer = upload(ann, "bad.csv", content)
    assert answer.status_code == 422
    assert field_error(answer, "file").startswith("bad.csv 中没有合格的行")
    assert re.search(r'<td class="num">2</td><td>asset_type</td>', answer.text)
    assert count(console, FundingScreen) == 0


def test_another_lessors_screen_is_not_found(console: Console, tmp_path: Path) -> None:
    screen_id = screened(console, signed_in(console, "ann"), tmp_path)
    bea = signed_in(console, "bea")
    for path in (
        f"/assets/screen/{screen_id}",
        f"/assets/screen/{screen_id}/files/findings",
        f"/assets/screen/{screen_id}/assets/1",
        "/assets/screen/99999",
        "/assets/screen/abc",
    ):
        answer = bea.get(path)
        assert answer.status_code == 404, path
        assert "放款文件.csv" not in answer.text
    token = csrf_of(bea.get("/assets/screen"))
    decided = bea.post(
        f"/assets/screen/{screen_id}/assets/1/decisions", data={"decision": "fund", "csrf_token": token}
    )
    assert decided.status_code == 404 and count(console, FundingDecision) == 0
    assert f'href="/assets/screen/{screen_id}"' not in bea.get("/assets/screen").text


# --- funding decisions -----------------------------------------------------------------------------------------


def position_of(console: Console, screen_id: int, asset_id: str) -> int:
    with session_factory(console.engine)() as session:
        return int(
            session.scalar(
                select(FundingScreenAsset.position).where(
                    FundingScreenAsset.screen_id == screen_id, FundingScreenAsset.asset_id == asset_id
                )
            )
            or 0
        )


def decide(
    client: httpx.Client, screen_id: int, position: int, decision: str, comment: str = ""
) -> httpx.Response:
    page = client.get(f"/assets/screen/{screen_id}/assets/{position}")
    return client.post(
        f"/assets/screen/{screen_id}/assets/{position}/decisions",
        data={"decision": decision, "comment": comment, "csrf_token": csrf_of(page)},
    )


def approve(client: httpx.Client, decision_id: int, page_url: str, comment: str = "") -> httpx.Response:
    token = csrf_of(client.get(page_url))
    return client.post(
        f"/assets/decisions/{decision_id}/approve", data={"comment": comment, "csrf_token": token}
    )


def decisions(console: Console) -> list[FundingDecision]:
    with session_factory(console.engine)() as session:
        found = list(session.scalars(select(FundingDecision).order_by(FundingDecision.id)))
        session.expunge_all()
    return found


def evidence(console: Console, kind: str) -> list[dict[str, object]]:
    with session_factory(console.engine)() as session:
        rows = session.scalars(select(EvidenceRecord).where(EvidenceRecord.kind == kind)).all()
        return [{"lessor": r.lessor, "ref": r.ref, **json.loads(r.content)} for r in rows]


def test_decisions_and_maker_checker_on_a_blocked_asset(console: Console, tmp_path: Path) -> None:
    ann, cai, cao = (signed_in(console, name) for name in ("ann", "cai", "cao"))
    screen_id = screened(console, ann, tmp_path)
    clear, blocked = position_of(console, screen_id, "T01"), position_of(console, screen_id, FORGED_ID)
    blocked_url = f"/assets/screen/{screen_id}/assets/{blocked}"

    # A clear asset funded: in effect at once, recorded and deposited.
    assert decide(ann, screen_id, clear, "fund").status_code == 303
    (funded,) = decisions(console)
    assert (funded.decision, funded.verdict, funded.needs_approval, funded.pending) == (
        "fund",
        "clear",
        False,
        False,
    )
    assert funded.decided_by == "ann" and funded.evidence_index is not None

    # The blocked truck: funding it needs a reason, and without one nothing is recorded.
    refused = decide(ann, screen_id, blocked, "fund")
    assert refused.status_code == 422
    assert field_error(refused, "comment") == "该资产的筛查结论为拒绝：放款需要填写意见，说明理由"
    assert len(decisions(console)) == 1
    assert decide(ann, screen_id, blocked, "launch", "why not").status_code == 422
    assert len(decisions(console)) == 1

    assert (
        decide(ann, screen_id, blocked, "fund", "发票与车辆已现场核验，BETA 的登记系伪造").status_code == 303
    )
    made = decisions(console)[-1]
    assert (made.needs_approval, made.pending, made.approved_by) == (True, True, None)
    page = text_of(ann.get(blocked_url))
    assert "放款 · 待复核" in page and "等待合规人员复核" in page
    # An analyst may not approve (not even someone else's): the 403 page; the pending list shows it.
    assert approve(ann, made.id, blocked_url).status_code == 403
    assert FORGED_ID in ann.get("/assets/decisions").text

    # A compliance user's own decision replaces ann's, and they may not approve it themselves.
    assert decide(cai, screen_id, blocked, "hold", "待 BETA 回复").status_code == 303
    held = decisions(console)[-1]
    assert held.pending and not decisions(console)[-2].pending  # ann's is replaced
    own = approve(cai, held.id, blocked_url)
    assert own.status_code == 422 and alerts(own) == ["制单人不能复核自己的决定：须由另一位合规人员复核"]
    assert "您是此决定的制单人" in text_of(cai.get(blocked_url))
    replaced = approve(cao, made.id, blocked_url)
    assert replaced.status_code == 409 and alerts(replaced) == ["此决定已被后续决定取代，无需复核"]
    assert decisions(console)[-1].approved_by is None

    # Another compliance user approves: recorded with who and when, deposited.
    assert approve(cao, held.id, blocked_url, "同意暂缓").status_code == 303
    approved = decisions(console)[-1]
    assert (approved.approved_by, approved.pending, approved.approval_comment) == ("cao", False, "同意暂缓")
    assert approved.approved_at is not None and approved.approval_evidence_index is not None
    again = approve(cao, held.id, blocked_url)
    assert again.status_code == 409 and alerts(again) == ["此决定已由 cao 复核"]
    assert "暂缓 · 已复核" in text_of(cao.get(blocked_url))
    assert "没有待复核的放款决定" in cao.get("/assets/decisions").text

    made_records = evidence(console, "funding-decision")
    assert [(r["decision"], r["decided_by"], r["verdict"]) for r in made_records] == [
        ("fund", "ann", "clear"), ("fund", "ann", "block"), ("hold", "cai", "block"),
    ]  # fmt: skip
    assert all(r["lessor"] == "ALPHA" for r in made_records)
    last = made_records[-1]
    assert last["ref"] == f"funding_decision:{held.id}" and last["comment"] == "待 BETA 回复"
    assert last["asset"]["asset_id"] == FORGED_ID and last["reason_codes"] == ["vin_exact"]
    (approval,) = evidence(console, "funding-approval")
    assert approval["ref"] == f"funding_approval:{held.id}"
    assert (approval["approved_by"], approval["decided_by"], approval["comment"]) == (
        "cao",
        "cai",
        "同意暂缓",
    )
    assert approval["decision_evidence_index"] == held.evidence_index


def decline(client: httpx.Client, decision_id: int, page_url: str, reason: str = "") -> httpx.Response:
    token = csrf_of(client.get(page_url))
    return client.post(
        f"/assets/decisions/{decision_id}/decline", data={"reason": reason, "csrf_token": token}
    )


def test_a_checker_declines_with_a_reason_and_the_maker_decides_again(
    console: Console, tmp_path: Path
) -> None:
    ann, cai, cao = (signed_in(console, name) for name in ("ann", "cai", "cao"))
    screen_id = screened(console, ann, tmp_path)
    blocked = position_of(console, screen_id, FORGED_ID)
    blocked_url = f"/assets/screen/{screen_id}/assets/{blocked}"
    assert decide(ann, screen_id, blocked, "fund", "车辆已现场核验").status_code == 303
    (made,) = decisions(console)
    page = cai.get(blocked_url)
    assert f'action="/assets/decisions/{made.id}/decline"' in page.text and "驳回理由（必填）" in page.text

    # Without a reason: said beside the reason field, nothing changed; the maker and an analyst are refused.
    empty = decline(cai, made.id, blocked_url, "  ")
    assert empty.status_code == 422 and field_error(empty, "reason") == "驳回须填写理由"
    assert decisions(console)[0].pending and evidence(console, "funding-decline") == []
    assert decline(ann, made.id, blocked_url, "不同意").status_code == 403
    assert decisions(console)[0].pending

    # Declined: who, when and why on the decision and in the evidence log; nothing in force on the asset.
    assert decline(cai, made.id, blocked_url, "BETA 的登记未核实，不能放款").status_code == 303
    (declined,) = decisions(console)
    assert (declined.declined_by, declined.pending, declined.approved_by) == ("cai", False, None)
    assert declined.decline_reason == "BETA 的登记未核实，不能放款" and declined.declined_at is not None
    (record,) = evidence(console, "funding-decline")
    assert record["ref"] == f"funding_decline:{made.id}" and record["declined_by"] == "cai"
    assert (record["decided_by"], record["reason"]) == ("ann", "BETA 的登记未核实，不能放款")
    assert declined.decline_evidence_index is not None
    shown = text_of(ann.get(blocked_url))
    assert "放款 · 已驳回" in shown and "BETA 的登记未核实，不能放款" in shown
    assert "没有待复核的放款决定" in cao.get("/assets/decisions").text
    # Neither approved nor declined again.
    late = approve(cao, made.id, blocked_url)
    assert late.status_code == 409 and alerts(late) == ["此决定已由 cai 驳回"]
    twice = decline(cao, made.id, blocked_url, "同上")
    assert twice.status_code == 409 and decisions(console)[0].declined_by == "cai"

    # The maker decides again (to hold, with a reason): pending, and another checker may approve it.
    assert decide(ann, screen_id, blocked, "hold", "等待 BETA 回函").status_code == 303
    held = decisions(console)[-1]
    assert held.pending and decisions(console)[0].declined_by == "cai"
    assert approve(cao, held.id, blocked_url, "同意暂缓").status_code == 303
    assert "暂缓 · 已复核" in text_of(cao.get(blocked_url))
    switch_to_english(cao)
    english = text_of(cao.get(blocked_url))
    assert "Hold · Approved" in english and "Declined" in english and "cai declined" in english


def answer_from_list(client: httpx.Client, decision_id: int, verb: str, **fields: str) -> httpx.Response:
    """A checker's approval or decline sent from the list of pending decisions, as its forms send it."""
    token = csrf_of(client.get("/assets/decisions"))
    return client.post(
        f"/assets/decisions/{decision_id}/{verb}", data={**fields, "back": "list", "csrf_token": token}
    )


def test_the_checker_approves_or_declines_on_the_list_of_pending_decisions(
    console: Console, tmp_path: Path
) -> None:
    ann, cai, cao = (signed_in(console, name) for name in ("ann", "cai", "cao"))
    screen_id = screened(console, ann, tmp_path)
    blocked = position_of(console, screen_id, FORGED_ID)
    blocked_url = f"/assets/screen/{screen_id}/assets/{blocked}"
    assert decide(ann, screen_id, blocked, "fund", "车辆已现场核验").status_code == 303
    (made,) = decisions(console)

    # The checker has both forms on the decision's row; its maker's analyst colleague has neither.
    listed = cai.get("/assets/decisions")
    assert f'action="/assets/decisions/{made.id}/approve"' in listed.text
    assert f'action="/assets/decisions/{made.id}/decline"' in listed.text
    assert f'<label for="f-reason-{made.id}">驳回理由（必填）</label>' in listed.text
    seen_by_ann = ann.get("/assets/decisions")
    assert (
        FORGED_ID in seen_by_ann.text
        and "/decline" not in seen_by_ann.text
        and "复核通过" not in seen_by_ann.text
    )

    # Without a reason: the list again, the message beside that row's reason field; nothing changed.
    empty = answer_from_list(cai, made.id, "decline", reason=" ")
    assert empty.status_code == 422 and field_error(empty, f"reason-{made.id}") == "驳回须填写理由"
    assert f'aria-describedby="f-reason-{made.id}-error"' in empty.text and alerts(empty) == []
    assert decisions(console)[0].pending
    too_long = answer_from_list(cai, made.id, "decline", reason="长" * 2001)
    assert field_error(too_long, f"reason-{made.id}") == "意见最多 2000 个字符（现为 2001 个）"
    assert "长" * 2001 in too_long.text  # what was typed is kept in the field
    assert decisions(console)[0].pending and evidence(console, "funding-decline") == []

    # Declined from the list: back to it, the decision off it, declined with who and why.
    done = answer_from_list(cai, made.id, "decline", reason="BETA 的登记未核实")
    assert done.status_code == 303 and done.headers["location"] == "/assets/decisions"
    (declined,) = decisions(console)
    assert (declined.declined_by, declined.decline_reason, declined.pending) == (
        "cai",
        "BETA 的登记未核实",
        False,
    )
    assert "没有待复核的放款决定" in cai.get("/assets/decisions").text
    # Answering it again from the list: the reason at the top of the list, nothing changed.
    late = answer_from_list(cao, made.id, "approve")
    assert late.status_code == 409 and alerts(late) == ["此决定已由 cai 驳回"]
    assert decisions(console)[0].approved_by is None

    # The asset's page says its newest decision was declined: by whom, when and why, and what to do.
    notice = re.search(
        r'<div class="notice declined-notice" id="declined-notice">(.*?)</div>',
        ann.get(blocked_url).text,
        re.S,
    )
    assert notice, "no notice of the decline"
    said = " ".join(unescape(re.sub(r"<[^>]+>", " ", notice.group(1))).split())
    assert said.startswith("最新的决定（放款）已于 ") and "被 cai 驳回" in said
    assert "驳回理由：BETA 的登记未核实" in said and "请作出新的决定" in said
    switch_to_english(ann)
    english = text_of(ann.get(blocked_url))
    assert (
        "The newest decision (Fund) was declined by cai on " in english
        and "Reason: BETA 的登记未核实" in english
    )

    # The maker decides again; the checker approves from the list; the notice is gone.
    assert decide(ann, screen_id, blocked, "hold", "等待 BETA 回函").status_code == 303
    held = decisions(console)[-1]
    own = cai.get("/assets/decisions")  # cai may approve it; ann's own row would say she made it
    assert f'action="/assets/decisions/{held.id}/approve"' in own.text
    approved = answer_from_list(cai, held.id, "approve")
    assert approved.status_code == 303 and approved.headers["location"] == "/assets/decisions"
    assert decisions(console)[-1].approved_by == "cai"
    assert "declined-notice" not in ann.get(blocked_url).text


def test_the_maker_of_a_decision_has_no_forms_for_it_on_the_list(console: Console, tmp_path: Path) -> None:
    cai, cao = signed_in(console, "cai"), signed_in(console, "cao")
    screen_id = screened(console, cai, tmp_path)
    blocked = position_of(console, screen_id, FORGED_ID)
    assert decide(cai, screen_id, blocked, "fund", "车辆已现场核验").status_code == 303
    (made,) = decisions(console)
    listed = cai.get("/assets/decisions")
    assert "您是制单人：须由另一位合规人员复核或驳回。" in text_of(listed)
    assert f"/assets/decisions/{made.id}/decline" not in listed.text
    # Sent all the same: the maker is told to decide again, on the list; nothing changed.
    own = answer_from_list(cai, made.id, "decline", reason="改主意了")
    assert own.status_code == 422 and alerts(own) == ["制单人不能驳回自己的决定：如需改变，请作出新的决定"]
    assert decisions(console)[0].pending
    page = text_of(cai.get(f"/assets/screen/{screen_id}/assets/{blocked}"))
    assert "如需改变，请作出新的决定" in page
    # The approval comment too long, on the asset's page: said beside the comment field.
    long_comment = approve(cao, made.id, f"/assets/screen/{screen_id}/assets/{blocked}", "长" * 2001)
    assert long_comment.status_code == 422
    assert field_error(long_comment, "approval-comment") == "意见最多 2000 个字符（现为 2001 个）"
    assert alerts(long_comment) == [] and decisions(console)[0].approved_by is None


def test_who_may_decide_and_approve(console: Console, tmp_path: Path) -> None:
    screen_id = screened(console, signed_in(console, "ann"), tmp_path)
    lin = signed_in(console, "lin")  # legal: may read the screen, not decide
    page = lin.get(f"/assets/screen/{screen_id}/assets/1")
    assert page.status_code == 200 and "记录决定" not in page.text
    token = csrf_of(page)
    refused = lin.post(
        f"/assets/screen/{screen_id}/assets/1/decisions", data={"decision": "fund", "csrf_token": token}
    )
    assert refused.status_code == 403 and decisions(console) == []
    assert lin.get("/assets/decisions").status_code == 403
    bea = signed_in(console, "bea")  # another lessor's compliance user
    blocked = position_of(console, screen_id, FORGED_ID)
    assert decide(signed_in(console, "ann"), screen_id, blocked, "fund", "核验无误").status_code == 303
    (made,) = decisions(console)
    foreign = approve(bea, made.id, "/assets/screen")
    assert foreign.status_code == 404 and decisions(console)[0].pending
    reject = decide(signed_in(console, "cai"), screen_id, blocked, "reject")  # rejecting needs no checker
    assert reject.status_code == 303
    rejected = decisions(console)[-1]
    assert (rejected.decision, rejected.needs_approval, rejected.pending) == ("reject", False, False)
    assert not decisions(console)[0].pending


def test_decisions_in_english(console: Console, tmp_path: Path) -> None:
    ann = signed_in(console, "ann")
    screen_id = screened(console, ann, tmp_path)
    switch_to_english(ann)
    blocked = position_of(console, screen_id, FORGED_ID)
    refused = decide(ann, screen_id, blocked, "hold")
    assert (
        field_error(refused, "comment") == "the screen blocked this asset: to hold it, say why in the comment"
    )
    page = text_of(ann.get(f"/assets/screen/{screen_id}/assets/{blocked}"))
    assert "Verdict: Block" in page and "the same asset as one registered by BETA" in page
    assert TYPO_ID in ann.get(f"/assets/screen/{screen_id}?verdict=review").text


def test_the_use_case_holds_maker_checker_for_any_caller(console: Console, tmp_path: Path) -> None:
    """usecases.funding_decisions as the CLI or API would call it, without the console's own gates."""
    from leaseguard.errors import NotFoundError
    from leaseguard.usecases import funding_decisions as funding

    screen_id = screened(console, signed_in(console, "ann"), tmp_path)
    blocked = position_of(console, screen_id, FORGED_ID)
    ann, cai = funding.Person("ann", "ALPHA", "analyst"), funding.Person("cai", "ALPHA", "compliance")
    sessions = session_factory(console.engine)
    with sessions() as session, session.begin():
        asset = funding.screened_asset(session, "ALPHA", screen_id, blocked)
        made = funding.decide(session, ann, asset, "fund", "核验无误", signer=None, channel="api")
        made_id = made.id
    with sessions() as session, pytest.raises(funding.FundingDecisionError) as analyst:
        funding.approve(session, funding.Person("amy", "ALPHA", "analyst"), made_id, None, signer=None)
    assert analyst.value.text("en") == (
        "only a user with the compliance role may approve a funding decision (your role is analyst)"
    )
    with sessions() as session, pytest.raises(funding.FundingDecisionError) as legal:
        asset = funding.screened_asset(session, "ALPHA", screen_id, blocked)
        funding.decide(session, funding.Person("lin", "ALPHA", "legal"), asset, "reject", None, signer=None)
    assert str(legal.value) == "角色 legal 不能作放款决定"
    with sessions() as session, pytest.raises(NotFoundError):
        funding.approve(session, funding.Person("bea", "BETA", "compliance"), made_id, None, signer=None)
    with sessions() as session, pytest.raises(funding.FundingDecisionError) as long_comment:
        funding.approve(session, cai, made_id, "长" * (funding.MAX_COMMENT_CHARS + 1), signer=None)
    assert (
        str(long_comment.value)
        == f"意见最多 {funding.MAX_COMMENT_CHARS} 个字符（现为 {funding.MAX_COMMENT_CHARS + 1} 个）"
    )
    with sessions() as session, session.begin():
        approved = funding.approve(session, cai, made_id, "", signer=None)
        assert (approved.approved_by, approved.pending, approved.evidence_index) == ("cai", False, None)


def test_the_upload_limit_and_the_screens_folder_come_from_the_workspace(tmp_path: Path) -> None:
    import yaml

    from leaseguard.console.settings import console_settings
    from leaseguard.workspace import WorkspaceError, find_workspace, init_workspace

    workspace = init_workspace(tmp_path / "ws")
    shipped = console_settings(workspace)
    assert (shipped.max_upload_mb, shipped.screens_dir) == (20, workspace.root / "console" / "screens")
    config = workspace.root / "leaseguard.yaml"
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["console"]["max_upload_mb"] = 0
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    with pytest.raises(WorkspaceError) as refused:
        console_settings(find_workspace(workspace.root))
    assert "console.max_upload_mb 应为 1 到 2048 之间的整数（现为 0）" in str(refused.value)
