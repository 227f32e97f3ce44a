"""The demands and documents a complaint rests on: `notices.csv`, `documents.csv` and `cases notice` — good rows
recorded with their files deposited once in the evidence log, bad rows reported by file, line, field and
reason with nothing of them stored (real store, SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.enforcement.records import documents_on_record, notices_on_record
from leaseguard.evidence import log_settings
from leaseguard.ingest import import_paths
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, init_workspace

BOOK = {
    "lessors.csv": "code,name\nL1,甲租赁\nL2,乙租赁\n",
    "contracts.csv": "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,"
    "annual_rate,method,frequency\n"
    "C1,L1,P1,张三,individual,2024-01-10,12,12000.00,0.06,annuity,monthly\n"
    "C2,L2,P2,李四,individual,2024-01-10,12,12000.00,0.06,annuity,monthly\n",
    "assets.csv": "asset_id,lessor,asset_type,serial_no,lessee_id,lessee_name,contract_no\n"
    "A1,L1,equipment,SN-1,P1,张三,C1\n",
}


@pytest.fixture
def store(store_engine: Engine, tmp_path: Path) -> tuple[Workspace, dict[str, str], Path]:
    folder = tmp_path / "book"
    folder.mkdir()
    for name, content in BOOK.items():
        (folder / name).write_text(content, encoding="utf-8")
    assert all(r.rejected == 0 for r in import_paths(store_engine, [folder / n for n in BOOK]))
    (folder / "letter.pdf").write_bytes(b"%PDF-1.4 demand letter")
    (folder / "lease.pdf").write_bytes(b"%PDF-1.4 lease contract")
    env = {HOME_ENV: "", DATABASE_URL_ENV: store_engine.url.render_as_string(hide_password=False)}
    return init_workspace(tmp_path / "ws"), env, folder


def _evidence_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("select count(*) from evidence_records")).scalar_one())


def test_notices_load_the_good_rows_and_name_every_bad_one(
    store: tuple[Workspace, dict[str, str], Path], store_engine: Engine
) -> None:
    opened, _, folder = store
    notices = folder / "notices.csv"
    notices.write_text(
        "contract_no,lessor,kind,addressee,sent_on,delivered_on,method,deadline_days,document\n"
        "C1,L1,demand,,2024-07-01,2024-07-03,ems,15,letter.pdf\n"  # line 2: good
        "C9,L1,demand,,2024-07-01,2024-07-03,ems,15,\n"  # 3: unknown contract
        "C2,L1,demand,,2024-07-01,2024-07-03,ems,15,\n"  # 4: another lessor's contract
        "C1,L1,demand,,2023-12-01,2023-12-03,ems,15,\n"  # 5: before the contract
        "C1,L1,demand,,2024-07-05,2024-07-03,ems,15,\n"  # 6: delivered before sent
        "C1,L1,letter,,2024-07-06,2024-07-08,pigeon,15,\n"  # 7: unknown kind and method
        "C1,L1,demand,,2024-07-09,2024-07-10,ems,15,missing.pdf\n"  # 8: missing file
        "C1,L1,guarantee_demand,,2024-07-09,2024-07-10,ems,15,\n",  # 9: a guarantor demand names no one
        encoding="utf-8",
    )
    signer = log_settings(opened).signer
    [report] = import_paths(store_engine, [notices], signer=signer)
    assert (report.status, report.rows_read, report.rejected) == ("partial", 8, 7)
    found = {(e.line, e.column): e.reason for e in report.errors}
    assert found[(3, "contract_no")] == "contract_no 'C9' 不在库中"
    assert found[(4, "contract_no")] == "contract_no 'C2' 不在库中"
    assert "2023-12-01 早于合同起租日 2024-01-10" in found[(5, "sent_on")]
    assert "2024-07-03 早于发出日 sent_on 2024-07-05" in found[(6, "delivered_on")]
    assert "未知取值 'letter'" in found[(7, "kind")] and "未知取值 'pigeon'" in found[(7, "method")]
    assert "missing.pdf：文件不存在" in found[(8, "document")]
    assert (9, "addressee") in found
    english = {(e.line, e.column): e.text("en") for e in report.errors}
    assert english[(3, "contract_no")] == "contract_no 'C9' is not in the store"
    assert "before the contract's start date 2024-01-10" in english[(5, "sent_on")]
    assert english[(9, "addressee")] == "a guarantee_demand names the guarantor (name or ID number)"
    assert {e.code for e in report.errors} >= {"contract_not_in_store", "unknown_choice", "no_such_file"}
    assert report.message_text("en") == "8 rows read: 1 inserted, 0 updated, 0 unchanged, 7 rejected"
    assert all(e.file == str(notices) for e in report.errors)
    with store_engine.connect() as connection:
        on_record = notices_on_record(connection, "L1", ["C1"])["C1"]
    assert len(on_record) == 1
    [notice] = on_record
    assert (notice.sent_on, notice.delivered_on, notice.deadline) == (
        dt.date(2024, 7, 1), dt.date(2024, 7, 3), dt.date(2024, 7, 18),
    )  # fmt: skip
    assert notice.sha256 == hashlib.sha256(b"%PDF-1.4 demand letter").hexdigest()
    assert notice.evidence_index is not None and notice.leaf_hash and len(notice.leaf_hash) == 64
    deposits = _evidence_count(store_engine)
    [again] = import_paths(store_engine, [notices], signer=signer)  # the same file again
    assert again.rejected == 7 and _evidence_count(store_engine) == deposits  # the letter deposited once
    with store_engine.connect() as connection:
        assert len(notices_on_record(connection, "L1", ["C1"])["C1"]) == 1
        assert notices_on_record(connection, "L2", ["C1"]) == {}  # another lessor sees nothing of it


def test_documents_are_deposited_with_their_hash_and_bad_rows_reported(
    store: tuple[Workspace, dict[str, str], Path], store_engine: Engine
) -> None:
    opened, _, folder = store
    documents = folder / "documents.csv"
    documents.write_text(
        "lessor,contract_no,asset_id,kind,file,title,pages,source\n"
        "L1,C1,,lease_contract,lease.pdf,,12,原告提供\n"  # 2: good, the title from the kind
        "L1,,A1,photo,lease.pdf,租赁物现场照片,,\n"  # 3: good, of the asset
        "L1,C2,,invoice,lease.pdf,,,\n"  # 4: another lessor's contract
        "L1,,,invoice,lease.pdf,,,\n"  # 5: neither contract nor asset
        "L1,C1,,memo,lease.pdf,,,\n"  # 6: unknown kind
        "L1,C1,,invoice,nothing.pdf,,,\n"  # 7: missing file
        "L1,C1,,invoice,lease.pdf,,0,\n",  # 8: pages 0
        encoding="utf-8",
    )
    [report] = import_paths(store_engine, [documents], signer=log_settings(opened).signer)
    assert (report.rows_read, report.rejected) == (7, 5)
    found = {(e.line, e.column) for e in report.errors}
    assert {(4, "contract_no"), (5, "contract_no"), (6, "kind"), (7, "file"), (8, "pages")} <= found
    with store_engine.connect() as connection:
        on_record = documents_on_record(connection, "L1", "C1", ["A1"])
    assert [(d.kind, d.title, d.pages, d.asset_id) for d in on_record] == [
        ("lease_contract", "融资租赁合同", 12, None), ("photo", "租赁物现场照片", None, "A1"),
    ]  # fmt: skip
    assert all(d.sha256 == hashlib.sha256(b"%PDF-1.4 lease contract").hexdigest() for d in on_record)
    # the same bytes under two references are two facts (a contract's and an asset's), each deposited once
    assert len({d.evidence_index for d in on_record}) == 2


def test_cases_notice_records_a_demand_or_says_why_not_in_one_line(
    store: tuple[Workspace, dict[str, str], Path], store_engine: Engine
) -> None:
    opened, env, folder = store
    runner = CliRunner()
    done = runner.invoke(
        app, ["cases", "notice", "C1", "--sent-on", "2024-07-01", "--delivered-on", "2024-07-02", "--method",
              "notary", "--deadline-days", "10", "--file", str(folder / "letter.pdf"), "-w", str(opened.root)],
        env=env,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "公证送达" in done.output and "2024-07-12" in done.output and "存证索引" in done.output
    again = runner.invoke(
        app, ["cases", "notice", "C1", "--sent-on", "2024-07-01", "--delivered-on", "2024-07-02", "--method",
              "notary", "--deadline-days", "10", "--lang", "en", "-w", str(opened.root)],
        env=env,
    )  # fmt: skip
    assert "C1: demand recorded (sent 2024-07-01 by Notary, delivered 2024-07-02, to pay by 2024-07-12)" in (
        again.output
    ), again.output
    for args, message in (
        (["--sent-on", "2024-07-01", "--method", "fax"], "错误：C1：method：未知取值 'fax'；应为以下之一"),
        (["--sent-on", "2024-07-01", "--method", "fax", "--lang", "en"], "error: C1: method: unknown value 'fax'"),
        (["--sent-on", "2024-13-01", "--method", "ems"], "--sent-on '2024-13-01' 不是日期"),
        (["--sent-on", "2024-13-01", "--method", "ems", "--lang", "en"], "--sent-on '2024-13-01' is not a date"),
        (["--sent-on", "2023-07-01", "--method", "ems"], "sent_on：2023-07-01 早于合同起租日 2024-01-10"),
        (["--sent-on", "2023-07-01", "--method", "ems", "--lang", "en"], "before the contract's start date"),
    ):  # fmt: skip
        refused = runner.invoke(app, ["cases", "notice", "C1", *args, "-w", str(opened.root)], env=env)
        assert refused.exit_code != 0 and message in refused.output, refused.output
        assert len(refused.output.strip().splitlines()) == 1
    with store_engine.connect() as connection:
        assert len(notices_on_record(connection, "L1", ["C1"])["C1"]) == 1
