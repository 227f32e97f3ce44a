"""Court-ready case files in batch (`leaseguard cases generate`): the element-based complaint as DOCX and PDF,
read back; the exhibit list citing the evidence log; the bundle that proves it; and every case that cannot be
filed skipped with its reason while the others are written (real store, SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
import polars as pl
import pypdfium2
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.enforcement.claims import Claim, ClaimLine
from leaseguard.enforcement.complaint import (
    PROBLEM_LABELS,
    CaseFacts,
    GuarantorsError,
    LeasedAsset,
    Party,
    case_problems,
    parse_guarantors,
)
from leaseguard.enforcement.documents import Heading, PageBreak, Paragraph, TableBlock, Title, parse_markup
from leaseguard.evidence.verifier import verify_bundle
from leaseguard.ingest import import_paths
from leaseguard.money import grouped_yuan
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, init_workspace

LESSOR_USCC = "91310000MA1FL0L71J"  # check digit valid (stdnum.cn.uscc)
LESSEE_USCC = "91110108MA01BQ2W6A"
GUARANTOR_ID = "11010519491231002X"

CONTRACT_HEADER = (
    "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,annual_rate,method,"
    "frequency,deposit,lessee_address,lessee_legal_representative,guarantors,registration_no,lease_type,court"
)


def _contracts() -> str:
    guarantor = f"王保证|{GUARANTOR_ID}|北京市朝阳区建国路1号"
    rows = [
        # K1 defaults after three instalments; an enterprise with a guarantor
        f"K1,L1,{LESSEE_USCC},北京甲机械有限公司,enterprise,2024-01-10,12,120000.00,0.06,annuity,monthly,5000.00,"
        f"北京市海淀区中关村大街2号,李法人,{guarantor},012345678901234567890123,sale_leaseback,上海金融法院",
        # K2 defaults too, but the file has no address for its lessee
        f"K2,L1,{LESSEE_USCC},北京甲机械有限公司,enterprise,2024-01-10,12,60000.00,0.06,annuity,monthly,0,"
        ",李法人,,,direct,",
        # K3 is paid up: nothing to claim
        "K3,L1,110105194912310022,张三,individual,2024-01-10,12,12000.00,0.06,annuity,monthly,0,"
        "上海市黄浦区南京东路3号,,,,direct,",
        # K4 defaults; its asset's identifiers are erased in the store below
        "K4,L1,110105194912310022,张三,individual,2024-01-10,12,24000.00,0.06,annuity,monthly,0,"
        "上海市黄浦区南京东路3号,,,,direct,",
    ]
    return CONTRACT_HEADER + "\n" + "\n".join(rows) + "\n"


ASSETS = (
    "asset_id,lessor,asset_type,serial_no,manufacturer,model,invoice_code,invoice_no,invoice_amount,invoice_date,"
    "purchase_contract_no,lessee_id,lessee_name,contract_no,supplier,location\n"
    f"A1,L1,machinery,SN-2024-0001,三一重工,SY75C,1100234130,01234567,130000.00,2024-01-05,PC-001,{LESSEE_USCC},"
    "北京甲机械有限公司,K1,北京三一销售有限公司,河北省廊坊市广阳区工地\n"
    f"A2,L1,machinery,SN-2024-0002,三一重工,SY75C,,,,,PC-002,{LESSEE_USCC},北京甲机械有限公司,K2,,\n"
    "A3,L1,equipment,SN-2024-0003,,,,,,,,110105194912310022,张三,K3,,\n"
    "A4,L1,equipment,SN-2024-0004,,,,,,,,110105194912310022,张三,K4,,\n"
)


def _payments() -> str:
    lines = ["contract_no,paid_date,amount"]
    lines += [f"K1,2024-0{m}-10,10327.97" for m in (2, 3, 4)]  # three of twelve annuity instalments
    lines += [f"K2,2024-0{m}-10,5163.99" for m in (2, 3)]
    lines += [f"K3,{d},1032.80" for d in ("2024-02-10", "2024-03-10", "2024-04-10", "2024-05-10", "2024-06-10",
                                          "2024-07-10", "2024-08-10")]  # fmt: skip
    lines += ["K4,2024-02-10,2065.59"]
    return "\n".join(lines) + "\n"


DAY = dt.date(2024, 8, 20)


@pytest.fixture
def workspace(store_engine: Engine, tmp_path: Path) -> tuple[Workspace, dict[str, str]]:
    files = {
        "lessors.csv": "code,name,uscc,address,legal_representative,phone\n"
        f"L1,上海示例融资租赁有限公司,{LESSOR_USCC},上海市浦东新区世纪大道100号,赵董事,021-55550000\n",
        "contracts.csv": _contracts(),
        "assets.csv": ASSETS,
        "payments.csv": _payments(),
        "valuations.csv": "asset_id,lessor,valuation_date,disposal_value\nA1,L1,2024-07-01,80000.00\n",
    }
    paths = []
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        paths.append(tmp_path / name)
    # Each defaulted contract had a demand delivered, its 15 days over by the claim date.
    (tmp_path / "notices.csv").write_text(
        "contract_no,lessor,kind,sent_on,delivered_on,method,deadline_days\n"
        + "".join(f"{no},L1,demand,2024-07-01,2024-07-03,ems,15\n" for no in ("K1", "K2", "K3", "K4")),
        encoding="utf-8",
    )
    paths.append(tmp_path / "notices.csv")
    reports = import_paths(store_engine, paths)
    assert all(r.rejected == 0 for r in reports), [str(r) for r in reports]
    with store_engine.begin() as connection:
        connection.execute(text("update assets set serial_no = null where asset_id = 'A4'"))
    env = {HOME_ENV: "", DATABASE_URL_ENV: store_engine.url.render_as_string(hide_password=False)}
    return init_workspace(tmp_path / "ws"), env


def _cli(opened: Workspace, env: dict[str, str], *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, [*args, "-w", str(opened.root)], env=env)
    assert result.exit_code == code, result.output
    return result.output


def _generate(opened: Workspace, env: dict[str, str], out: Path, *more: str) -> str:
    contracts = [arg for no in ("K1", "K2", "K3", "K4") for arg in ("--contract", no)]
    return _cli(
        opened, env, "cases", "generate", "--as-of", DAY.isoformat(), "--out", str(out), *contracts, *more
    )


def _docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_case_files_for_the_defaulted_and_reasons_for_the_rest(
    workspace: tuple[Workspace, dict[str, str]], tmp_path: Path, store_engine: Engine
) -> None:
    opened, env = workspace
    out = tmp_path / "cases"
    printed = _generate(opened, env, out)
    assert (
        "已写出 1 个案件文件夹，3 个未生成" in printed and "未生成 1 个：合同在2024-08-20没有逾期" in printed
    )

    summary = pl.read_csv(out / "summary.csv", infer_schema=False).rows_by_key(
        "contract_no", named=True, unique=True
    )
    assert summary["K1"]["status"] == "generated" and summary["K1"]["folder"] == "K1"
    assert "被告北京甲机械有限公司没有地址（contracts.csv 的 lessee_address 列）" in summary["K2"]["reason"]
    assert summary["K2"]["reason_codes"] == "party-no-address"
    assert summary["K1"]["lessor_name"] == "上海示例融资租赁有限公司"  # the legal name beside the code
    assert summary["K3"]["reason"].startswith("合同在") and summary["K3"]["reason_codes"] == "no-default"
    assert "租赁物A4没有识别号" in summary["K4"]["reason"]
    assert sorted(p.name for p in out.iterdir()) == [
        "K1",
        "summary.csv",
        "summary.xlsx",
    ]  # nothing half-written
    import openpyxl

    sheet = openpyxl.load_workbook(out / "summary.xlsx").active
    assert sheet is not None and [c.value for c in sheet[1]][:5] == ["合同编号", "出租人", "承租人", "五级分类",
                                                                     "状态"]  # fmt: skip
    assert [c.value for c in sheet[2]][:5] == ["contract_no", "lessor", "lessee", "class", "status"]
    assert sheet.max_row == 6
    claim_column = [c.value for c in sheet[2]].index("claim") + 1
    generated = next(row for row in range(3, 7) if sheet.cell(row, 1).value == "K1")
    assert isinstance(sheet.cell(generated, claim_column).value, (int, float))
    assert sheet.cell(generated, claim_column).number_format == "#,##0.00"

    folder = out / "K1"
    assert sorted(p.name for p in folder.iterdir()) == [
        ".leaseguard-contract", "claim.json", "complaint.docx", "complaint.pdf", "evidence.zip", "exhibits.csv",
        "preservation.docx", "preservation.pdf",
    ]  # fmt: skip
    claim = json.loads((folder / "claim.json").read_text(encoding="utf-8"))
    claim_amount = claim["claim"]
    assert summary["K1"]["claim"] == claim_amount
    claim_fen = int(claim_amount.replace(",", "").replace(".", ""))
    shown_amount = grouped_yuan(claim_fen)

    words = _docx_text(folder / "complaint.docx")
    for expected in ("上海示例融资租赁有限公司", LESSOR_USCC, "赵董事", "北京甲机械有限公司", LESSEE_USCC,
                     "北京市海淀区中关村大街2号", "李法人", "王保证", GUARANTOR_ID, "SN-2024-0001", "PC-001",
                     "出卖人为被告北京甲机械有限公司", "01234567", "012345678901234567890123",
                     "售后回租", f"标的总额：人民币{shown_amount}元", "上海金融法院"):  # fmt: skip
        assert expected in words, expected
    preservation = _docx_text(folder / "preservation.docx")
    assert "河北省廊坊市广阳区工地" in preservation and "SN-2024-0001" in preservation

    pdf = pypdfium2.PdfDocument((folder / "complaint.pdf").read_bytes())
    for expected in ("上海示例融资租赁有限公司", "北京甲机械有限公司", "王保证", shown_amount):
        assert _inked_where_written(pdf[0], expected) > 0.08, expected
    pdf.close()
    fonts = {name for name in _pdf_font_names(folder / "complaint.pdf")}
    assert fonts and all(name.split("+")[0].isupper() and "+" in name for name in fonts)  # embedded subsets

    exhibits = pl.read_csv(folder / "exhibits.csv", infer_schema=False)
    verdict = verify_bundle(folder / "evidence.zip")
    assert verdict.ok, verdict.problems
    proven = {record.index: record for record in verdict.records}
    assert set(map(int, exhibits["evidence_index"])) == set(proven)
    first_exhibit = exhibits.row(-1, named=True)  # the lessor's ledger as this run deposited it comes last
    assert first_exhibit["kind"] == "case-file"
    with zipfile.ZipFile(folder / "evidence.zip") as bundle:
        manifest = json.loads(bundle.read("bundle.json"))
        leaf = {item["index"]: item["leaf_hash"] for item in manifest["records"]}
        import base64

        assert (
            base64.b64decode(leaf[int(first_exhibit["evidence_index"])]).hex()
            == first_exhibit["leaf_hash_sha256"]
        )
        deposited = json.loads(bundle.read(f"records/{first_exhibit['evidence_index']}/content.json"))
    assert deposited["contract_no"] == "K1" and deposited["claim"]["claim_fen"] == claim_fen
    assert str(first_exhibit["evidence_index"]) in words and first_exhibit["leaf_hash_sha256"] in words

    with store_engine.connect() as connection:
        cases = connection.execute(
            text("select contract_no, stage, evidence_index from enforcement_cases")
        ).all()
    assert [(no, stage) for no, stage, _ in cases] == [("K1", "opened")]

    again = _generate(opened, env, out, "--lang", "en")  # the same case: its folder replaced, no second case
    assert "1 case files written, 3 skipped" in again and "skipped 1: no default: nothing is overdue" in again
    with store_engine.connect() as connection:
        assert connection.execute(text("select count(*) from enforcement_cases")).scalar_one() == 1
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def _inked_where_written(page: pypdfium2.PdfPage, wanted: str) -> float:
    """Render the page and return the share of dark pixels in the box where the PDF says `wanted` is drawn: the
    text is on the page as pixels, not only in the text layer (0 if the text is not found)."""
    scale = 3
    image = page.render(scale=scale).to_pil().convert("L")
    text_page = page.get_textpage()
    found = text_page.search(wanted).get_next()
    if found is None:
        return 0.0
    index, count = found
    boxes = [text_page.get_charbox(i) for i in range(index, index + count)]
    left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
    bottom, top = min(b[1] for b in boxes), max(b[3] for b in boxes)
    height = page.get_height()
    crop = image.crop((int(left * scale), int((height - top) * scale), int(right * scale) + 1,
                       int((height - bottom) * scale) + 1))  # fmt: skip
    pixels = crop.width * crop.height
    return sum(crop.histogram()[:128]) / pixels if pixels else 0.0


def _pdf_font_names(path: Path) -> list[str]:
    from pypdf import PdfReader

    names = []
    for page in PdfReader(str(path)).pages:
        fonts = page["/Resources"].get("/Font", {})  # type: ignore[union-attr]
        names += [str(font.get_object()["/BaseFont"]).lstrip("/") for font in fonts.values()]  # type: ignore[union-attr]
    return names


def test_exhibits_are_the_documents_on_record_never_the_cases_own_steps(
    workspace: tuple[Workspace, dict[str, str]], tmp_path: Path
) -> None:
    opened, env = workspace
    scan = tmp_path / "lease-contract-K1.pdf"
    scan.write_bytes(b"%PDF-1.4 the signed contract, scanned")
    documents = tmp_path / "documents.csv"
    documents.write_text(
        "lessor,contract_no,kind,file,title,pages\nL1,K1,lease_contract,lease-contract-K1.pdf,融资租赁合同,8\n",
        encoding="utf-8",
    )
    _cli(opened, env, "import", str(documents))
    _cli(opened, env, "cases", "open", "K1", "--as-of", "2024-08-01")
    _cli(opened, env, "cases", "event", "1", "--stage", "demand_notice", "--on", "2024-08-05")
    out = tmp_path / "cases"
    _cli(opened, env, "cases", "generate", "--as-of", DAY.isoformat(), "--out", str(out), "--contract", "K1")
    exhibits = pl.read_csv(out / "K1" / "exhibits.csv", infer_schema=False)
    assert exhibits["title"].to_list() == ["融资租赁合同", "租金台账及支付记录（原告业务系统存证）"]
    assert exhibits["pages"].to_list()[0] == "8" and exhibits["kind"].to_list()[0] == "lease_contract"
    import hashlib

    assert exhibits["file_sha256"].to_list()[0] == hashlib.sha256(scan.read_bytes()).hexdigest()
    assert verify_bundle(out / "K1" / "evidence.zip").ok


def test_a_template_naming_a_missing_field_skips_only_the_cases_it_breaks(
    workspace: tuple[Workspace, dict[str, str]], tmp_path: Path
) -> None:
    opened, env = workspace
    templates = tmp_path / "templates"
    copied = CliRunner().invoke(app, ["cases", "templates", "--out", str(templates)])
    assert copied.exit_code == 0 and "已复制" in copied.output, copied.output
    again = CliRunner().invoke(app, ["cases", "templates", "--out", str(templates), "--lang", "en"])
    assert again.exit_code == 0 and "already has the templates; nothing was overwritten" in again.output
    template = templates / "complaint.md.j2"
    edited = template.read_text(encoding="utf-8").replace(
        "## 当事人信息", "## 当事人信息\n{% if case.guarantors %}{{ case.guarantors[0].nickname }}{% endif %}"
    )
    template.write_text(edited, encoding="utf-8")
    out = tmp_path / "cases"
    with_guarantor = _cli(opened, env, "cases", "generate", "--as-of", DAY.isoformat(), "--out", str(out),
                          "--contract", "K1", "--templates", str(templates))  # fmt: skip
    assert "已写出 0 个案件文件夹，1 个未生成" in with_guarantor
    reason = pl.read_csv(out / "summary.csv", infer_schema=False)["reason"].item()
    assert reason.startswith("模板 complaint.md.j2 第 ") and "nickname" in reason
    _cli(opened, env, "cases", "generate", "--as-of", DAY.isoformat(), "--out", str(out), "--contract", "K1",
         "--templates", str(templates), "--lang", "en")  # fmt: skip
    reason = pl.read_csv(out / "summary.csv", infer_schema=False)["reason"].item()
    assert reason.startswith("template complaint.md.j2 line ") and "nickname" in reason
    assert sorted(p.name for p in out.iterdir()) == ["summary.csv", "summary.xlsx"]

    template.write_text(
        "# 起诉状\n{% if case.lessee %}\n", encoding="utf-8"
    )  # does not parse: nothing starts
    refused = _cli(opened, env, "cases", "generate", "--as-of", DAY.isoformat(), "--out", str(tmp_path / "x"),
                   "--contract", "K1", "--templates", str(templates), code=1)  # fmt: skip
    assert "模板 complaint.md.j2 第 2 行" in refused and len(refused.strip().splitlines()) == 1


def test_cases_chosen_by_class_on_the_days_run(
    workspace: tuple[Workspace, dict[str, str]], tmp_path: Path
) -> None:
    opened, env = workspace
    out = tmp_path / "cases"
    refused = _cli(opened, env, "cases", "generate", "--as-of", DAY.isoformat(), "--out", str(out), code=1)
    assert "2024-08-20 及之前没有日终批处理" in refused
    english = _cli(opened, env, "cases", "generate", "--as-of", DAY.isoformat(), "--out", str(out), "--lang", "en",
                   code=1)  # fmt: skip
    assert "error: no daily run on or before 2024-08-20" in english
    _cli(opened, env, "run", "daily", "--as-of", DAY.isoformat())
    printed = _cli(opened, env, "cases", "generate", "--as-of", DAY.isoformat(), "--out", str(out),
                   "--class", "all", "--lessor", "L1")  # fmt: skip
    summary = pl.read_csv(out / "summary.csv", infer_schema=False)
    assert sorted(summary["contract_no"]) == ["K1", "K2", "K3", "K4"] and "已写出 1 个案件文件夹" in printed
    assert summary.filter(pl.col("contract_no") == "K3")["class"].item() == "normal"
    bad = _cli(opened, env, "cases", "generate", "--as-of", DAY.isoformat(), "--out", str(out), "--class", "bad",
               code=1)  # fmt: skip
    assert "--class 'bad'" in bad


def test_markup_blocks() -> None:
    blocks = parse_markup(
        "# 标题\n## 小标题\n正文 & <b>\n| a | b |\n|---|---|\n| 1 | 2 |\n\n>> 落款\n---\n| x |\n"
    )
    assert blocks == [
        Title("标题"), Heading("小标题"), Paragraph("正文 & <b>"), TableBlock((("a", "b"), ("1", "2"))),
        Paragraph("落款", right=True), PageBreak(), TableBlock((("x",),)),
    ]  # fmt: skip


def test_guarantors_and_problems() -> None:
    assert parse_guarantors("甲|110105194912310022|北京; 乙|91110108MA01BQ2W6A||一般|本金|2024-01-02|12", "K9") == (
        Party("guarantor", "甲", "110105194912310022", "北京", form="joint"),
        Party("guarantor", "乙", "91110108MA01BQ2W6A", None, form="general", scope="本金",
              contract_date=dt.date(2024, 1, 2), period_months=12),
    )  # fmt: skip
    with pytest.raises(
        GuarantorsError, match=r"合同 K9：第 1 个保证人 '甲' 不符合格式 name\|id_no\|address"
    ) as bad:
        parse_guarantors("甲", "K9")
    assert bad.value.text("en").startswith("contract K9: guarantor 1 '甲' is not name|id_no|address")
    with pytest.raises(GuarantorsError, match="保证方式 '共同' 应为 joint（连带）或 general（一般）") as form:
        parse_guarantors("甲|X|北京|共同", "K9")
    assert "form '共同' is not joint (连带) or general (一般)" in form.value.text("en")
    with pytest.raises(GuarantorsError, match="period_months '0' 不是正整数"):
        parse_guarantors("甲|X|北京|连带||2024-01-02|0", "K9")
    claim = Claim(
        "K9", DAY, (ClaimLine("overdue_rent", "逾期租金", 100, "1.00"),), 100, 0, 100, False, 1, DAY
    )
    facts = CaseFacts(
        contract_no="K9", claim_date=DAY, lessor=Party("plaintiff", "租赁公司", "bad"),
        lessee=Party("defendant", "某公司", LESSEE_USCC, "地址"), guarantors=parse_guarantors("乙|X|", "K9"),
        lease_type=None, start_date=DAY, term_months=12, principal_fen=1, annual_rate=Decimal("0.06"),
        deposit_fen=0, residual_value_fen=0, registration_no=None,
        instalments=(), payments=(), assets=(LeasedAsset("A9", "other"),), claim=claim,
    )  # fmt: skip
    assert [problem.text(PROBLEM_LABELS, "en") for problem in case_problems(facts)] == [
        "plaintiff 租赁公司 has no address (lessors.csv column address)",
        "defendant 某公司 has no legal representative (contracts.csv column lessee_legal_representative)",
        "plaintiff 租赁公司 has no valid unified social credit code (lessors.csv column uscc)",
        "guarantor 乙 has no address (contracts.csv column guarantors)",
        "plaintiff 租赁公司 has no phone (lessors.csv column phone)",
        "asset A9 has no identifier (assets.csv vin, serial_no or engine_no)",
    ]


def test_a_synthetic_book_in_parallel_skips_exactly_the_labelled_defects(tmp_path: Path) -> None:
    """Non-performing contracts in arrears of a seeded synthetic book, written by two worker processes: every
    contract whose lessee address the generator removed (labelled in ground_truth.csv) is skipped for that
    reason, every other one gets a complete folder whose bundle verifies."""
    from leaseguard.classification.daily import run_days
    from leaseguard.classification.rules import load_rule_set
    from leaseguard.enforcement.casefiles import generate_case_files, select_contracts
    from leaseguard.enforcement.records import record_notice
    from leaseguard.enforcement.rules import load_claim_rules
    from leaseguard.evidence import log_settings
    from leaseguard.synth import generate_book

    day = dt.date(2026, 10, 31)
    opened = init_workspace(tmp_path / "ws")
    engine = opened.engine()
    # 8,000 contracts of seed 11 put two contracts without a lessee address in arrears (20,000 of seed 5: three).
    generate_book(tmp_path / "book", contracts=8_000, seed=11, as_of=day)
    import_paths(engine, [tmp_path / "book"])
    run_days(engine, [day], load_rule_set("cbirc-2023"))
    truth = pl.read_csv(tmp_path / "book" / "ground_truth.csv", infer_schema=False)
    no_address = set(truth.filter(pl.col("kind") == "missing_lessee_address")["contract_no"])
    with engine.connect() as connection:
        in_arrears = set(
            connection.execute(text("select contract_no from contract_classes where dpd > 0")).scalars()
        )
    candidates = [no for no, _, _ in select_contracts(engine, day, classes=None) if no in in_arrears]
    labelled = [no for no in candidates if no in no_address]
    complete = [no for no in candidates if no not in no_address][:13]  # ten folders for the two workers
    chosen = complete + labelled
    assert len(labelled) >= 2, "the seed should put labelled contracts in arrears"
    undemanded = complete[-3:]  # no demand recorded for these three
    for contract_no in [*complete[:-3], *labelled]:
        record_notice(engine, None, contract_no=contract_no, lessor=None, sent_on=day - dt.timedelta(days=30),
                      delivered_on=day - dt.timedelta(days=28), method="ems", deadline_days=10)  # fmt: skip
    out = tmp_path / "cases"
    (out / ".K0.partial-1").mkdir(parents=True)  # what an interrupted run leaves behind
    summary = generate_case_files(
        engine, day, out, load_claim_rules(None), log_settings(opened).signer, contracts=chosen, workers=2
    )
    engine.dispose()
    skipped = {o.contract_no: o.reason for o in summary.outcomes if o.status == "skipped"}
    assert set(skipped) == {*labelled, *undemanded}, skipped
    assert all("没有地址（contracts.csv 的 lessee_address 列）" in skipped[no] for no in labelled)
    assert all(skipped[no] == "没有送达且期限已届满的催告记录" for no in undemanded)
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == sorted(o.folder.name for o in summary.outcomes if o.folder is not None)
    assert len(folders) == len(complete) - 3 and not any(name.startswith(".") for name in folders)
    for folder in folders[:3]:
        assert verify_bundle(out / folder / "evidence.zip").ok
        assert len([f for f in (out / folder).iterdir() if not f.name.startswith(".")]) == 7


def test_a_folder_that_fails_midway_leaves_nothing_and_keeps_the_older_one(tmp_path: Path) -> None:
    from leaseguard.enforcement.casefiles import write_folder

    out = tmp_path / "cases"
    write_folder(out, "K1", {"complaint.pdf": b"first"}, "K1")
    with pytest.raises(OSError):  # the second file cannot be written: its folder does not exist
        write_folder(out, "K1", {"complaint.pdf": b"second", "missing/claim.json": b"{}"}, "K1")
    assert sorted(p.name for p in out.iterdir()) == ["K1"]
    assert (out / "K1" / "complaint.pdf").read_bytes() == b"first"
    write_folder(out, "K1", {"complaint.pdf": b"third"}, "K1")
    assert (out / "K1" / "complaint.pdf").read_bytes() == b"third" and len(list(out.iterdir())) == 1
