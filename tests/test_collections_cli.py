"""`leaseguard book call` (issue 19): the collections use case from the command line — a call and a promise
recorded on a contract, deposited in the evidence log with the workspace's key; a call that cannot be recorded is
one line naming the option, and nothing is recorded."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import func, select, text
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.ingest import import_paths
from leaseguard.store.db import create_store_engine, upgrade_schema
from leaseguard.store.models import CollectionCall
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, init_workspace


def test_book_call_records_a_call_and_a_promise_and_refuses_a_bad_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = create_store_engine(url)
    upgrade_schema(engine)
    files = {
        "lessors.csv": "code,name\nL1,Lessor One\n",
        "contracts.csv": "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,"
        "annual_rate,method,frequency\nK1,L1,P1,Lessee One,enterprise,2024-01-10,12,120000.00,0.06,annuity,monthly\n",
    }
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    assert all(r.rejected == 0 for r in import_paths(engine, [tmp_path / n for n in files]))
    workspace = init_workspace(tmp_path / "ws")
    env = {HOME_ENV: "", DATABASE_URL_ENV: url}
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["book", "call", *args, "-w", str(workspace.root)], env=env)
        return result.exit_code, result.output

    promised = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    code, said = run("K1", "--outcome", "no_answer", "--by", "wang.li")
    assert code == 0 and "合同 K1：无人接听" in said, said
    code, said = run(
        "K1", "--outcome", "promise_to_pay", "--promise-date", promised, "--promise-amount", "12,000.5",
        "--note", "月底前还", "--lang", "en",
    )  # fmt: skip
    assert code == 0 and f"contract K1: Promise to pay, 12000.50 yuan by {promised}" in said, said
    for args, words in (
        (["K1", "--outcome", "promise_to_pay", "--promise-date", "2020-01-01", "--promise-amount", "1"],
         "错误：--promise-date：承诺日期 2020-01-01 已经过去"),
        (["K1", "--outcome", "promise_to_pay", "--promise-date", promised, "--promise-amount", "0"],
         "错误：--promise-amount：承诺金额应大于零"),
        (["K1", "--outcome", "hung_up"], "错误：--outcome：未知的通话结果 'hung_up'"),
        (["K9", "--outcome", "reached"], "错误：库中没有合同 K9"),
    ):  # fmt: skip
        code, said = run(*args)
        assert code == 1 and words in said and len(said.strip().splitlines()) == 1, said
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(CollectionCall)).scalar_one() == 2
        rows = connection.execute(
            text(
                "select kind, lessor, content from evidence_records where kind = 'collection-call' order by 1"
            )
        ).all()
    assert [(kind, lessor) for kind, lessor, _ in rows] == [("collection-call", "L1")] * 2
    facts = [json.loads(content) for _, _, content in rows]
    assert {f["recorded_by"] for f in facts} >= {"wang.li"} and {f["outcome"] for f in facts} == {
        "no_answer", "promise_to_pay",
    }  # fmt: skip
    engine.dispose()
