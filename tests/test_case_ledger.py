"""A case is a ledger (issue 17): a step recorded by mistake is corrected by a new entry naming it; nothing
recorded changes, and the case's stage and recovery are computed without the corrected entry."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from leaseguard.cli.common import console
from leaseguard.cli.main import app
from leaseguard.enforcement.tracking import CaseEventError, LedgerEntry, case_state, check_correction
from leaseguard.ingest import import_paths
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, init_workspace

D = dt.date
OPENED_ON = D(2025, 1, 5)
LEDGER = [
    LedgerEntry(1, "filing", D(2025, 2, 1), 0),
    LedgerEntry(2, "judgment", D(2025, 5, 1), 0),
    LedgerEntry(3, "settlement", D(2025, 7, 1), 3_000_000),  # 30,000.00: it was 3,000.00
    LedgerEntry(4, "closure", D(2025, 7, 1), 0),
]


def test_a_corrected_entry_stops_counting_and_its_correction_counts_in_its_place() -> None:
    fixed = LedgerEntry(5, "settlement", D(2025, 7, 1), 300_000, corrects=3, reason="typed a zero too many")
    state = check_correction(7, OPENED_ON, LEDGER, fixed, today=D(2025, 8, 1), claim_fen=10_000_000)
    assert (state.stage, state.recovered_fen, state.closed_on) == ("closure", 300_000, D(2025, 7, 1))
    # The correction stands where the settlement stood: before the same day's closure, not after it.
    assert [step.number for step in state.steps] == [1, 2, 5, 4]
    assert state.corrected_by == {3: 5}
    assert case_state(LEDGER).recovered_fen == 3_000_000  # the ledger as it was is untouched


def test_a_withdrawn_step_leaves_the_case_where_the_steps_before_it_put_it() -> None:
    closure_by_mistake = LedgerEntry(5, None, D(2025, 7, 1), 0, corrects=4, reason="wrong case")
    state = check_correction(7, OPENED_ON, LEDGER, closure_by_mistake, today=D(2025, 8, 1))
    assert (state.stage, state.recovered_fen, state.closed_on) == ("settlement", 3_000_000, None)
    judgment_withdrawn = [*LEDGER[:2], LedgerEntry(3, None, D(2025, 5, 1), 0, corrects=2, reason="not yet")]
    assert case_state(judgment_withdrawn).stage == "filing"


@pytest.mark.parametrize(
    ("correction", "message", "english"),
    [
        (
            LedgerEntry(5, "filing", D(2025, 2, 2), 0, corrects=9),
            "第 9 条记录不存在（案件台账共有第 1 至 4 条）",
            "entry 9 does not exist (the case has entries 1 to 4)",
        ),
        (
            LedgerEntry(5, "filing", D(2025, 2, 1), 0, corrects=1),
            "对第 1 条的更正没有改变任何内容",
            "the correction of entry 1 changes nothing",
        ),
        (
            LedgerEntry(5, "demand_notice", D(2025, 5, 1), 0, corrects=2),
            "第 2 条不能如此更正：阶段不能从起诉立案（filing）退回到催告（demand_notice）",
            "entry 2 cannot be corrected so: stage demand_notice would go back from filing",
        ),
        (
            LedgerEntry(5, "settlement", D(2025, 7, 1), -1, corrects=3),
            "回收金额不能为负数",
            "recovered must not be negative",
        ),
        (
            LedgerEntry(5, "judgment", D(2025, 9, 1), 0, corrects=2),
            "晚于今天（2025-08-01）",
            "in the future (today is 2025-08-01)",
        ),
        (
            LedgerEntry(5, "settlement", D(2025, 7, 1), 20_000_000, corrects=3),
            "将超过诉请金额",
            "would exceed the claim",
        ),
    ],
)
def test_a_correction_that_names_no_entry_or_breaks_the_case_is_refused(
    correction: LedgerEntry, message: str, english: str
) -> None:
    with pytest.raises(CaseEventError, match=re.escape(message)) as refused:
        check_correction(7, OPENED_ON, LEDGER, correction, today=D(2025, 8, 1), claim_fen=10_000_000)
    assert str(refused.value).startswith("案件 7：") and "\n" not in str(refused.value)
    assert refused.value.text("en").startswith("case 7: ") and english in refused.value.text("en")


def test_an_entry_is_corrected_once_and_a_wrong_correction_is_corrected_in_turn() -> None:
    first = LedgerEntry(5, "settlement", D(2025, 7, 1), 30_000, corrects=3, reason="typo")
    ledger = [*LEDGER, first]
    with pytest.raises(CaseEventError, match="第 3 条已被第 5 条更正"):
        check_correction(7, OPENED_ON, ledger, LedgerEntry(6, "settlement", D(2025, 7, 1), 1, corrects=3))
    again = LedgerEntry(6, "settlement", D(2025, 7, 1), 300_000, corrects=5, reason="typo in the typo fix")
    state = check_correction(7, OPENED_ON, ledger, again)
    assert state.recovered_fen == 300_000 and state.corrected_by == {3: 5, 5: 6}
    assert [step.number for step in state.steps] == [1, 2, 6, 4]


@pytest.fixture
def workspace(store_engine: Engine, tmp_path: Path) -> tuple[Workspace, dict[str, str]]:
    files = {
        "lessors.csv": "code,name\nL1,甲融资租赁有限公司\n",
        "contracts.csv": "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,"
        "annual_rate,method,frequency\nK1,L1,P1,Lessee One,enterprise,2024-01-10,12,120000.00,0.06,annuity,monthly\n",
        "assets.csv": "asset_id,lessor,asset_type,serial_no,lessee_id,lessee_name,contract_no\n"
        "A1,L1,machinery,SN-1,P1,Lessee One,K1\n",
    }
    paths = []
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        paths.append(tmp_path / name)
    assert all(r.rejected == 0 for r in import_paths(store_engine, paths))
    env = {HOME_ENV: "", DATABASE_URL_ENV: store_engine.url.render_as_string(hide_password=False)}
    return init_workspace(tmp_path / "ws"), env


def test_a_mistaken_step_corrected_through_the_command_line(
    workspace: tuple[Workspace, dict[str, str]],
    store_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened, env = workspace
    monkeypatch.setattr(console, "width", 200)  # tables unwrapped, so a cell's words can be found
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, [*args, "-w", str(opened.root)], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    def refused(*args: str) -> str:
        result = runner.invoke(app, [*args, "-w", str(opened.root)], env=env)
        assert result.exit_code == 1, result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
        return result.output

    def shown() -> dict[str, Any]:
        return json.loads(run("cases", "show", "1", "--json"))

    run("cases", "open", "K1", "--as-of", "2024-06-01")
    run("cases", "event", "1", "--stage", "filing", "--on", "2024-06-15")
    run("cases", "event", "1", "--stage", "settlement", "--on", "2024-09-01", "--recovered", "30,000")
    run("cases", "event", "1", "--stage", "closure", "--on", "2024-09-01")
    before = shown()
    assert (before["stage"], before["recovered"]) == ("closure", "30000.00")

    printed = run(
        "cases", "correct", "1", "--entry", "2", "--recovered", "3,000.50", "--reason", "多输了一个零"
    )
    assert "第 4 条更正第 2 条" in printed and "3,000.50" in printed
    after = shown()
    assert (after["stage"], after["recovered"], after["recovered_fen"]) == ("closure", "3000.50", 300_050)
    entries = {e["entry"]: e for e in after["entries"]}
    assert entries[2]["recovered_fen"] == 3_000_000 and entries[2]["in_effect"] is False
    assert entries[2]["corrected_by_entry"] == 4
    assert (entries[4]["corrects_entry"], entries[4]["reason"], entries[4]["stage"]) == (
        2,
        "多输了一个零",
        "settlement",
    )
    assert entries[4]["event_date"] == "2024-09-01" and entries[4]["in_effect"] is True
    table = run("cases", "show", "1")
    assert "已被第 4 条更正，不计入" in table and "更正第 2 条：多输了一个零" in table
    assert "corrected by no. 4; not counted" in run("cases", "show", "1", "--lang", "en")

    assert "案件 1：第 2 条已被第 4 条更正" in refused(
        "cases", "correct", "1", "--entry", "2", "--recovered", "1", "--reason", "again"
    )
    assert "error: case 1: entry 2 is already corrected by entry 4" in refused(
        "cases", "correct", "1", "--entry", "2", "--recovered", "1", "--reason", "again", "--lang", "en"
    )
    assert "第 9 条记录不存在" in refused(
        "cases", "correct", "1", "--entry", "9", "--withdraw", "--reason", "x"
    )
    assert "案件 5 不存在" in refused("cases", "correct", "5", "--entry", "1", "--withdraw", "--reason", "x")
    assert "请给出更正后的值" in refused("cases", "correct", "1", "--entry", "1", "--reason", "x")
    assert "give the corrected values" in refused(
        "cases", "correct", "1", "--entry", "1", "--reason", "x", "--lang", "en"
    )

    # The closure was recorded on the wrong case: withdrawn, the case is open at its settlement and moves on.
    withdrawn = run(
        "cases", "correct", "1", "--entry", "3", "--withdraw", "--reason", "录错案件", "--lang", "en"
    )
    assert (
        "case 1: entry 5 withdraws entry 3; now at Settlement (settlement), recovered 3,000.50 yuan"
        in withdrawn
    )
    reopened = shown()
    assert (reopened["stage"], reopened["closed_on"]) == ("settlement", None)
    moved = run("cases", "event", "1", "--stage", "enforcement", "--on", "2024-10-01", "--recovered", "1000")
    assert "案件 1：申请执行（enforcement） 2024-10-01，回收 1,000.00 元" in moved
    final = shown()
    assert (final["stage"], final["recovered_fen"]) == ("enforcement", 400_050)

    with store_engine.connect() as connection:
        rows = connection.execute(
            text("select stage, recovered_fen, corrects is not null from case_events order by id")
        ).all()
        stage, closed = connection.execute(text("select stage, closed_on from enforcement_cases")).one()
        kinds = connection.execute(
            text(
                "select kind, content from evidence_records where kind = 'case-correction' order by leaf_index"
            )
        ).all()
    # Append-only: the three mistaken or corrected entries are still there, as recorded.
    assert [(s, int(r), bool(c)) for s, r, c in rows] == [
        ("filing", 0, False), ("settlement", 3_000_000, False), ("closure", 0, False),
        ("settlement", 300_050, True), (None, 0, True), ("enforcement", 100_000, False),
    ]  # fmt: skip
    assert (stage, closed) == ("enforcement", None)
    assert [json.loads(bytes(content))["corrects"] for _, content in kinds] == [2, 3]

    report = tmp_path / "report"
    assert "已回收 4,000.50 元" in run("cases", "report", "--as-of", "2024-12-31", "--out", str(report))
    by_stage = pl.read_csv(report / "recovery_by_stage.csv", schema_overrides={"recovered": pl.String})
    assert by_stage["stage"].to_list() == ["enforcement"] and by_stage["recovered"].to_list() == ["4000.50"]
    assert not [name for name in by_stage.columns if name.endswith("_fen")]
