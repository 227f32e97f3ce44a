"""Complaints a court accepts (issue 15), on a hand-made book read back from the DOCX and the PDF: one remedy
per complaint, the demand on record, the charge for late rent the record supports, the right court (agreed,
arbitration, asset location), guarantors still bound, the parties as the element-based template asks, the
real evidence list and a separate preservation application (real store, SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import docx
import polars as pl
import pypdfium2
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, init_workspace

LESSOR_USCC = "91310000MA1FL0L71J"
LESSEE_USCC = "91110108MA01BQ2W6A"
PERSON_ID = "110105198506151009"  # born 1985-06-15; 17th digit 0: a woman
GUARANTOR_ID = "11010519491231002X"
DAY = dt.date(2024, 8, 20)

HEADER = (
    "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,annual_rate,method,"
    "frequency,deposit,lessee_address,lessee_legal_representative,lessee_phone,guarantors,registration_no,"
    "lease_type,court,arbitration,penalty_daily_rate,purchase_price"
)
ENTERPRISE = f"{LESSEE_USCC},北京甲机械有限公司,enterprise"
PERSON = f"{PERSON_ID},张三,individual"
E_ADDRESS = "北京市海淀区中关村大街2号"
P_ADDRESS = "上海市黄浦区南京东路3号"
CONTRACTS = "\n".join([
    HEADER,
    # E1: an enterprise, the contract's own penalty rate, an agreed court, a guarantor bound for two years
    f"E1,L1,{ENTERPRISE},2024-01-10,12,120000.00,0.06,annuity,monthly,0,{E_ADDRESS},李法人,010-66660000,"
    f"王保证|{GUARANTOR_ID}|北京市朝阳区建国路1号|连带|全部债务|2024-01-10|24,REG-E1,sale_leaseback,"
    "北京市海淀区人民法院,,0.0005,100.00",
    # P1: a person, no penalty rate on file, no agreed court: the court of the place the asset is used
    f"P1,L1,{PERSON},2024-01-10,12,24000.00,0.06,annuity,monthly,0,{P_ADDRESS},,13800000000,,,direct,,,,",
    # G1: matured; of its two guarantors (no period agreed: six months from 2024-01-10), one was asked in time
    f"G1,L1,{ENTERPRISE},2023-01-10,12,12000.00,0.06,annuity,monthly,0,{E_ADDRESS},李法人,,"
    f"甲保证|{GUARANTOR_ID}|北京市朝阳区建国路1号;乙保证|{PERSON_ID}|上海市黄浦区南京东路3号,,direct,"
    "北京市海淀区人民法院,,0.0005,",
    # N1: no demand on record; N2: a demand whose period runs past the claim date
    f"N1,L1,{ENTERPRISE},2024-01-10,12,12000.00,0.06,annuity,monthly,0,{E_ADDRESS},李法人,,,,direct,"
    "北京市海淀区人民法院,,0.0005,",
    f"N2,L1,{ENTERPRISE},2024-01-10,12,12000.00,0.06,annuity,monthly,0,{E_ADDRESS},李法人,,,,direct,"
    "北京市海淀区人民法院,,0.0005,",
    # R1: an arbitration clause: no complaint
    f"R1,L1,{ENTERPRISE},2024-01-10,12,12000.00,0.06,annuity,monthly,0,{E_ADDRESS},李法人,,,,direct,,"
    "上海国际仲裁中心,0.0005,",
]) + "\n"  # fmt: skip
ASSETS = (
    "asset_id,lessor,asset_type,serial_no,manufacturer,model,lessee_id,lessee_name,contract_no,supplier,location\n"
    f"AE1,L1,machinery,SN-E1,三一重工,SY75C,{LESSEE_USCC},北京甲机械有限公司,E1,北京三一销售有限公司,"
    "河北省廊坊市广阳区新华路1号\n"
    f"AP1,L1,equipment,SN-P1,徐工,XE60,{PERSON_ID},张三,P1,苏州徐工销售有限公司,江苏省苏州市吴中区东吴北路1号\n"
    f"AG1,L1,machinery,SN-G1,三一重工,SY35,{LESSEE_USCC},北京甲机械有限公司,G1,,\n"
    f"AN1,L1,machinery,SN-N1,三一重工,SY35,{LESSEE_USCC},北京甲机械有限公司,N1,,\n"
    f"AN2,L1,machinery,SN-N2,三一重工,SY35,{LESSEE_USCC},北京甲机械有限公司,N2,,\n"
    f"AR1,L1,machinery,SN-R1,三一重工,SY35,{LESSEE_USCC},北京甲机械有限公司,R1,,\n"
)
PAYMENTS = "\n".join(
    ["contract_no,paid_date,amount"]
    + [f"E1,2024-0{m}-10,10327.97" for m in (2, 3, 4)]  # three of twelve, then nothing
    + ["P1,2024-02-10,2065.59"]
    + [f"G1,2023-0{m}-10,1032.80" for m in (2, 3, 4, 5, 6, 7, 8, 9)]
) + "\n"  # fmt: skip
NOTICES = (
    "contract_no,lessor,kind,addressee,sent_on,delivered_on,method,deadline_days,document\n"
    "E1,L1,demand,,2024-07-01,2024-07-03,ems,15,demand-E1.pdf\n"
    "P1,L1,demand,,2024-07-01,2024-07-02,courier,10,\n"
    "G1,L1,demand,,2024-03-01,2024-03-03,notary,15,\n"
    f"G1,L1,guarantee_demand,{GUARANTOR_ID},2024-06-01,2024-06-03,ems,15,\n"
    "N2,L1,demand,,2024-08-14,2024-08-15,ems,15,\n"
    "R1,L1,demand,,2024-07-01,2024-07-03,ems,15,\n"
)
DOCUMENTS = (
    "lessor,contract_no,asset_id,kind,file,title,pages,source\n"
    "L1,E1,,lease_contract,lease-E1.pdf,融资租赁合同（E1）,12,原告提供\n"
    "L1,E1,,payment_proof,bank-E1.pdf,银行回单,3,\n"
    "L1,,AE1,invoice,invoice-AE1.pdf,增值税发票,1,\n"
    "L1,P1,,lease_contract,lease-P1.pdf,融资租赁合同（P1）,10,\n"
)


@pytest.fixture
def book(store_engine: Engine, tmp_path: Path) -> tuple[Workspace, dict[str, str]]:
    files = {
        "lessors.csv": "code,name,uscc,address,legal_representative,phone,agent,electronic_service\n"
        f"L1,上海示例融资租赁有限公司,{LESSOR_USCC},上海市浦东新区世纪大道100号,赵董事,021-55550000,钱律师,"
        "电子邮箱 legal@example.cn\n",
        "contracts.csv": CONTRACTS,
        "assets.csv": ASSETS,
        "payments.csv": PAYMENTS,
        "valuations.csv": "asset_id,lessor,valuation_date,disposal_value\nAE1,L1,2024-07-01,80000.00\n",
        "notices.csv": NOTICES,
        "documents.csv": DOCUMENTS,
    }
    for name in ("demand-E1.pdf", "lease-E1.pdf", "bank-E1.pdf", "invoice-AE1.pdf", "lease-P1.pdf"):
        (tmp_path / name).write_bytes(f"%PDF-1.4 {name}".encode())
    paths = []
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        paths.append(tmp_path / name)
    opened = init_workspace(tmp_path / "ws")
    env = {HOME_ENV: "", DATABASE_URL_ENV: store_engine.url.render_as_string(hide_password=False)}
    result = CliRunner().invoke(app, ["import", *map(str, paths), "-w", str(opened.root)], env=env)
    assert result.exit_code == 0, result.output
    return opened, env


def _generate(opened: Workspace, env: dict[str, str], out: Path, *more: str) -> str:
    contracts = [arg for no in ("E1", "P1", "G1", "N1", "N2", "R1") for arg in ("--contract", no)]
    result = CliRunner().invoke(
        app,
        ["cases", "generate", "--as-of", DAY.isoformat(), "--out", str(out), *contracts, *more, "-w",
         str(opened.root)],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output


def _docx_paragraphs(path: Path) -> list[str]:
    document = docx.Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return [p.text for p in document.paragraphs] + cells


def _pdf_text(path: Path) -> str:
    pdf = pypdfium2.PdfDocument(path.read_bytes())
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def _no_english_prose(text: str) -> None:
    """A filed document has no English words (identifiers, numbers and units aside)."""
    import re

    text = re.sub(r"[0-9a-f]{64}", "", re.sub(r"\s+", "", text))  # hashes are identifiers
    text = text.replace("evidence.zip", "")  # the bundle's file name
    words = re.findall(r"[A-Za-z]{4,}", text)
    allowed = {"legal", "example"}  # the e-service address on file
    assert not [w for w in words if w.lower() not in allowed], words


def test_the_batch_files_what_the_record_supports_and_skips_the_rest(
    book: tuple[Workspace, dict[str, str]], tmp_path: Path
) -> None:
    opened, env = book
    out = tmp_path / "cases"
    printed = _generate(opened, env, out)
    summary = pl.read_csv(out / "summary.csv", infer_schema=False).rows_by_key(
        "contract_no", named=True, unique=True
    )
    assert {no for no, row in summary.items() if row["status"] == "generated"} == {"E1", "P1", "G1"}, printed
    assert (
        summary["N1"]["reason"] == "没有送达且期限已届满的催告记录"
        and summary["N1"]["reason_codes"] == "no-demand"
    )
    assert summary["N2"]["reason_codes"] == "no-demand"  # its period ends after the claim date
    assert "上海国际仲裁中心" in summary["R1"]["reason"] and "仲裁" in summary["R1"]["reason"]
    assert not (out / "N1").exists() and not (out / "R1").exists()

    # E1: acceleration only, the contract's penalty running on, the agreed court, the demand in the facts
    e1 = out / "E1"
    assert {"complaint.docx", "complaint.pdf", "preservation.docx", "preservation.pdf", "claim.json",
            "exhibits.csv", "evidence.zip"} <= {p.name for p in e1.iterdir()}  # fmt: skip
    paragraphs = _docx_paragraphs(e1 / "complaint.docx")
    words = "\n".join(paragraphs)
    assert "备选" not in words and "解除合同：" not in words and "加速到期" in words
    assert (
        "以全部未付租金人民币" in words
        and "按日0.05%（合同约定），自2024年8月21日起计算至实际清偿之日止" in words
    )
    assert "北京市海淀区人民法院" in words and "约定由北京市海淀区人民法院管辖" in words
    assert "2024年7月1日以邮政EMS方式" in words and "2024年7月3日收到" in words and "15日" in words
    assert "出卖人为被告北京甲机械有限公司（售后回租）" in words
    assert "王保证" in words and "连带清偿责任" in words and "全部债务" in words
    assert "委托诉讼代理人" in words and "钱律师" in words and "021-55550000" in words
    assert "是，电子邮箱 legal@example.cn" in words and "010-66660000" in words
    claim = json.loads((e1 / "claim.json").read_text(encoding="utf-8"))
    assert claim["remedy"] == "acceleration" and claim["penalty_basis"] == "contract"
    price = claim["purchase_price"]
    assert f"留购价款人民币{price}元" in words and f"支付留购价款人民币{price}元" in words  # one figure
    assert any("备选（解除合同" in note for note in claim["notes"])  # the alternative: for the lawyer only
    # one paragraph per element of the facts
    for number in range(1, 15):
        if number == 3:
            continue
        assert sum(p.startswith(f"{number}. ") for p in paragraphs) >= 1, number
    pdf_words = _pdf_text(e1 / "complaint.pdf")
    _no_english_prose(words)
    _no_english_prose(pdf_words)
    assert "第 1 页 共" in pdf_words.replace("\n", " ").replace("  ", " ") or "第" in pdf_words

    exhibits = pl.read_csv(e1 / "exhibits.csv", infer_schema=False)
    titles = exhibits["title"].to_list()
    assert (
        "融资租赁合同（E1）" in titles
        and "银行回单" in titles
        and "增值税发票" in titles
        and "催告函" in titles
    )
    assert exhibits.filter(pl.col("title") == "融资租赁合同（E1）")["pages"].item() == "12"
    assert all(kind not in ("case-event", "asset-check") for kind in exhibits["kind"])
    assert not summary["E1"]["missing"]
    preservation = "\n".join(_docx_paragraphs(e1 / "preservation.docx"))
    assert (
        "财产保全申请书" in preservation
        and "SN-E1" in preservation
        and "河北省廊坊市广阳区新华路1号" in preservation
    )

    # P1: a person's particulars from the ID, loss of use of funds at the LPR, the court of the asset's place
    p1 = "\n".join(_docx_paragraphs(out / "P1" / "complaint.docx"))
    assert "性别：女" in p1 and "出生日期：1985年6月15日" in p1 and "13800000000" in p1
    assert "资金占用损失" in p1 and "一年期贷款市场报价利率" in p1 and "的逾期违约金人民币" not in p1
    p1_claim = json.loads((out / "P1" / "claim.json").read_text(encoding="utf-8"))
    assert "苏州" in p1_claim["court"] and p1_claim["court"].endswith("人民法院")
    assert p1_claim["court"] in p1
    assert "租金支付凭证" in summary["P1"]["missing"] and "待补" in summary["P1"]["missing"]

    # G1: the guarantor asked within its period stays; the other is left out and named in the summary
    g1 = "\n".join(_docx_paragraphs(out / "G1" / "complaint.docx"))
    assert "甲保证" in g1 and "乙保证" not in g1
    assert "乙保证" in summary["G1"]["notes"] and "保证期间" in summary["G1"]["notes"]


def test_the_termination_complaint_claims_the_loss_worked_by_hand(
    book: tuple[Workspace, dict[str, str]], tmp_path: Path
) -> None:
    """E1 terminated on 20 August 2024: 12 instalments of 10,327.97 (the last 10,327.99: the annuity's cents
    settle there), 3 paid; unpaid rent 9 instalments = 92,951.75; the contract's 0.05 % a day on May's
    instalment for 102 days, June's 71, July's 41 and August's 10: 10,327.97 × 224 days × 0.05 % = 1,156.73;
    less the asset's appraisal 80,000.00: loss 14,108.48."""
    opened, env = book
    out = tmp_path / "cases"
    _generate(opened, env, out, "--remedy", "termination")
    claim = json.loads((out / "E1" / "claim.json").read_text(encoding="utf-8"))
    lines = {line["item"]: line for line in claim["lines"]}
    assert (
        claim["remedy"] == "termination" and "accelerated_rent" not in lines and "overdue_rent" not in lines
    )
    assert lines["termination_loss"]["amount"] == "14,108.48", lines["termination_loss"]["arithmetic"]
    words = "\n".join(_docx_paragraphs(out / "E1" / "complaint.docx"))
    assert "解除合同：请求判令解除原告与被告北京甲机械有限公司" in words and "返还租赁物" in words
    assert "赔偿原告损失人民币14,108.48元" in words and "加速到期" not in words
    summary = pl.read_csv(out / "summary.csv", infer_schema=False)
    # P1 has no appraisal: its loss on termination cannot be stated from the record
    p1 = summary.filter(pl.col("contract_no") == "P1").row(0, named=True)
    assert p1["status"] == "skipped" and "无评估价值" in p1["reason"]
    _generate(opened, env, out, "--remedy", "termination", "--lang", "en")  # the summary in English
    english = pl.read_csv(out / "summary.csv", infer_schema=False)
    p1 = english.filter(pl.col("contract_no") == "P1").row(0, named=True)
    assert p1["reason"].startswith("the leased assets have no appraised value on record (valuations.csv)")


def test_a_bad_remedy_is_one_line(book: tuple[Workspace, dict[str, str]], tmp_path: Path) -> None:
    opened, env = book
    result = CliRunner().invoke(
        app, ["cases", "generate", "--as-of", DAY.isoformat(), "--out", str(tmp_path / "x"), "--remedy", "both",
              "-w", str(opened.root)], env=env,
    )  # fmt: skip
    assert result.exit_code != 0 and "--remedy 'both'" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_amounts_are_never_broken_across_lines_and_lines_never_start_with_closing_punctuation() -> None:
    from leaseguard.enforcement.documents import _break_lines

    amounts = [f"{n * 7919 % 1_000_000:,}.{n % 100:02d}" for n in range(1, 40)]
    text = "".join(f"第{n}期欠付租金人民币{amount}元，" for n, amount in enumerate(amounts, start=1))
    for width in (180.0, 233.0, 310.0, 451.0):
        lines = _break_lines(text, 10.5, width)
        assert "".join(lines) == text  # nothing lost or added
        assert len(lines) > 3
        for amount in amounts:
            assert any(amount in line for line in lines), (width, amount)
        assert not any(line.startswith(("，", "。", "）", "、")) for line in lines)


def test_the_batch_reader_gives_each_contract_what_reading_it_alone_gives(
    book: tuple[Workspace, dict[str, str]], store_engine: Engine
) -> None:
    """Case files read a chunk's contracts in a few queries: each record (or the reason it cannot be filed) is
    exactly the one read for that contract alone, with its own documents and its assets' documents only."""
    from leaseguard.enforcement.casefiles import (
        NotFileableError,
        read_case_facts,
        read_cases_facts,
        read_lessors,
    )
    from leaseguard.enforcement.rules import load_claim_rules
    from leaseguard.enforcement.service import UnknownContractError

    rules, plaintiffs = load_claim_rules(None), read_lessors(store_engine)
    numbers = ["E1", "P1", "G1", "N1", "N2", "R1"]
    together = read_cases_facts(store_engine, [*numbers, "NOPE"], DAY, rules, plaintiffs)
    assert sorted(together) == sorted(numbers)
    for contract_no in numbers:
        try:
            alone: object = read_case_facts(store_engine, contract_no, DAY, rules, plaintiffs)
        except ValueError as error:
            alone = error
        batched = together[contract_no]
        if isinstance(alone, Exception):
            assert type(batched) is type(alone) and str(batched) == str(alone), contract_no
        else:
            assert batched == alone, contract_no
    e1 = together["E1"]
    assert not isinstance(e1, Exception)
    assert sorted((d.kind, d.asset_id or "") for d in e1.documents) == [
        ("invoice", "AE1"), ("lease_contract", ""), ("payment_proof", "")
    ]  # fmt: skip
    p1 = together["P1"]
    assert not isinstance(p1, Exception) and [d.kind for d in p1.documents] == ["lease_contract"]
    assert isinstance(together["N1"], NotFileableError) and "催告" in str(together["N1"])
    with pytest.raises(UnknownContractError):
        read_case_facts(store_engine, "NOPE", DAY, rules, plaintiffs)
