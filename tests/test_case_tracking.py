"""Enforcement cases: opened on a defaulted contract with its claim, moved forward stage by stage, and
recovery reported by lessor, asset type, region and stage (real store, SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from leaseguard.analytics.rules import load_analytics_rules
from leaseguard.cli.main import app
from leaseguard.enforcement.tracking import CaseEventError, PastEvent, check_event, recovery_by
from leaseguard.ingest import import_paths
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, init_workspace

D = dt.date


def test_a_case_only_moves_forward() -> None:
    past = [PastEvent("demand_notice", D(2025, 1, 10), 0), PastEvent("filing", D(2025, 2, 1), 0)]
    check_event(7, D(2025, 1, 5), "filing", past, "judgment", D(2025, 5, 1), 0)
    check_event(7, D(2025, 1, 5), "auction", past, "settlement", D(2025, 9, 1), 100)  # same step: fine
    for stage, day, amount, current, message, english in (
        ("demand_notice", D(2025, 3, 1), 0, "filing", "阶段不能从起诉立案（filing）退回到催告（demand_notice）",
         "stage demand_notice would go back from filing"),
        ("judgment", D(2025, 1, 20), 0, "filing", "早于上一进展（起诉立案（filing），2025-02-01）",
         "before its last event (filing, 2025-02-01)"),
        ("judgment", D(2025, 3, 1), -5, "filing", "回收金额不能为负数", "recovered must not be negative"),
        ("verdict", D(2025, 3, 1), 0, "filing", "阶段 'verdict' 无效", "stage 'verdict' is not one of"),
        ("judgment", D(2025, 3, 1), 0, "closure", "案件已结案", "the case is closed"),
    ):  # fmt: skip
        with pytest.raises(CaseEventError, match=re.escape(message)) as refused:
            check_event(7, D(2025, 1, 5), current, past, stage, day, amount)
        assert str(refused.value).startswith("案件 7：")
        assert refused.value.text("en").startswith("case 7: ") and english in refused.value.text("en")


def test_a_case_is_a_ledger_of_what_happened() -> None:
    """Issue 17: no step in the future; a settlement the debtor breaks goes on to enforcement; a recovery
    above the claim is refused unless confirmed (the case's events stay append-only)."""
    past = [PastEvent("filing", D(2025, 2, 1), 0), PastEvent("settlement", D(2025, 4, 1), 30_000)]
    with pytest.raises(CaseEventError, match="晚于今天（2025-06-01）"):
        check_event(7, D(2025, 1, 5), "filing", past[:1], "judgment", D(2025, 6, 2), 0, today=D(2025, 6, 1))
    check_event(7, D(2025, 1, 5), "settlement", past, "enforcement", D(2025, 5, 1), 0, today=D(2025, 6, 1))
    with pytest.raises(CaseEventError, match="阶段不能从和解（settlement）退回") as back:
        check_event(7, D(2025, 1, 5), "settlement", past, "filing", D(2025, 5, 1), 0)
    assert "would go back from settlement" in back.value.text("en")
    with pytest.raises(CaseEventError, match=r"累计回收 1,000\.01 元将超过诉请金额 1,000\.00 元") as over:
        check_event(7, D(2025, 1, 5), "settlement", past, "closure", D(2025, 5, 1), 70_001, claim_fen=100_000)
    assert "recovered in all 1,000.01 would exceed the claim 1,000.00 yuan" in over.value.text("en")
    check_event(7, D(2025, 1, 5), "settlement", past, "closure", D(2025, 5, 1), 70_000, claim_fen=100_000)
    check_event(7, D(2025, 1, 5), "settlement", past, "closure", D(2025, 5, 1), 70_001, claim_fen=100_000,
                over_claim_confirmed=True)  # fmt: skip


def test_recovery_worked_by_hand() -> None:
    """Two cases at lessor L1 (claims 100,000.00 and 50,000.00), one at L2 (20,000.00). Case 1 recovers
    30,000.00 at enforcement 60 days after opening and 10,000.00 at auction, closing after 200 days; case 2
    settles for 25,000.00 after 90 days; case 3 recovers nothing. By 31 Dec 2025: L1 recovered 65,000.00 of
    150,000.00 = 43.33 %, median days to first recovery (60, 90) = 75, to closure (200, 90) = 145; L2 0 %.
    Counted only to 30 Jun 2025, case 1's auction and closure (in August) are not yet known."""
    cases = pl.DataFrame(
        {"case_id": [1, 2, 3], "contract_no": ["K1", "K2", "K3"], "lessor": ["L1", "L1", "L2"],
         "opened_on": [D(2025, 1, 1)] * 3, "claim_fen": [10_000_000, 5_000_000, 2_000_000],
         "stage": ["closure", "closure", "filing"], "closed_on": [D(2025, 7, 20), D(2025, 4, 1), None]},
    )  # fmt: skip
    events = pl.DataFrame(
        {"case_id": [1, 1, 1, 2, 2, 3],
         "stage": ["enforcement", "auction", "closure", "settlement", "closure", "filing"],
         "event_date": [D(2025, 3, 2), D(2025, 7, 20), D(2025, 7, 20), D(2025, 4, 1), D(2025, 4, 1), D(2025, 2, 1)],
         "recovered_fen": [3_000_000, 1_000_000, 0, 2_500_000, 0, 0]},
    )  # fmt: skip
    dims = pl.DataFrame({"contract_no": ["K1", "K2", "K3"], "asset_type": ["vehicle", "vehicle", "medical"],
                         "region": ["上海", "北京", "上海"]})  # fmt: skip
    by_lessor = {
        r["lessor"]: r
        for r in recovery_by(cases, events, dims, D(2025, 12, 31))["lessor"].iter_rows(named=True)
    }
    assert (by_lessor["L1"]["recovered_fen"], by_lessor["L1"]["recovery_rate_percent"]) == (6_500_000, 43.33)
    assert (by_lessor["L1"]["median_days_to_first_recovery"], by_lessor["L1"]["median_days_to_closure"]) == (
        75,
        145,
    )
    assert (by_lessor["L2"]["recovery_rate_percent"], by_lessor["L2"]["cases_recovering"]) == (0.0, 0)
    mid_year = recovery_by(cases, events, dims, D(2025, 6, 30))
    stages = dict(mid_year["stage"].select("stage", "cases").iter_rows())
    assert stages == {"closure": 1, "enforcement": 1, "filing": 1}
    labels = dict(mid_year["stage"].select("stage", "stage_label").iter_rows())
    assert labels == {"closure": "结案", "enforcement": "申请执行", "filing": "起诉立案"}
    assert mid_year["lessor"].filter(pl.col("lessor") == "L1")["recovered_fen"].item() == 5_500_000


@pytest.fixture
def workspace(store_engine: Engine, tmp_path: Path) -> tuple[Workspace, dict[str, str]]:
    files = {
        "lessors.csv": "code,name\nL1,Lessor One\n",
        "contracts.csv": "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,"
        "annual_rate,method,frequency\n"
        "K1,L1,913101043165569294,Lessee One,enterprise,2024-01-10,12,120000.00,0.06,annuity,monthly\n",
        "assets.csv": "asset_id,lessor,asset_type,serial_no,lessee_id,lessee_name,contract_no\n"
        "A1,L1,machinery,SN-1,913101043165569294,Lessee One,K1\n",  # a Shanghai company's USCC
    }
    paths = []
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        paths.append(tmp_path / name)
    assert all(r.rejected == 0 for r in import_paths(store_engine, paths))
    env = {HOME_ENV: "", DATABASE_URL_ENV: store_engine.url.render_as_string(hide_password=False)}
    return init_workspace(tmp_path / "ws"), env


def test_a_case_from_opening_to_closure_with_evidence(workspace: tuple[Workspace, dict[str, str]], tmp_path: Path,
                                                     store_engine: Engine) -> None:  # fmt: skip
    opened, env = workspace
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, [*args, "-w", str(opened.root)], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    assert "案件 1 已立案准备：合同 K1，2024-06-01" in run("cases", "open", "K1", "--as-of", "2024-06-01")
    run("cases", "event", "1", "--stage", "filing", "--on", "2024-06-15")
    run("cases", "event", "1", "--stage", "settlement", "--on", "2024-09-01", "--recovered", "30000.50")
    run("cases", "event", "1", "--stage", "closure", "--on", "2024-09-02")
    for args, message in (
        (["cases", "event", "1", "--stage", "auction", "--on", "2024-10-01"], "错误：案件 1：案件已结案"),
        (["cases", "open", "K1", "--as-of", "2024-07-01"], "错误：合同 K1 已有案件 1"),
        (["cases", "event", "9", "--stage", "filing", "--on", "2024-10-01"], "错误：案件 9 不存在"),
        (["cases", "event", "9", "--stage", "filing", "--on", "2024-10-01", "--lang", "en"],
         "error: case 9 does not exist"),
        (["cases", "open", "K1", "--as-of", "2024-07-01", "--lang", "en"], "error: contract K1 already has case 1"),
        (
            ["cases", "event", "1", "--stage", "filing", "--on", "2024-10-01", "--recovered", "1.001"],
            "的小数超过 2 位",
        ),
    ):  # fmt: skip
        refused = runner.invoke(app, [*args, "-w", str(opened.root)], env=env)
        assert refused.exit_code == 1 and message in refused.output, refused.output
        assert len(refused.output.strip().splitlines()) == 1
    with store_engine.connect() as connection:
        kinds = connection.execute(
            text(
                "select kind, content from evidence_records where kind in ('case-opened', 'case-event') "
                "order by leaf_index"
            )
        ).all()
        stage, closed = connection.execute(text("select stage, closed_on from enforcement_cases")).one()
    assert [k for k, _ in kinds] == ["case-opened", "case-event", "case-event", "case-event"]
    assert json.loads(bytes(kinds[2][1]))["recovered_fen"] == 3_000_050
    assert stage == "closure" and str(closed)[:10] == "2024-09-02"
    report = tmp_path / "report"
    printed = run("cases", "report", "--as-of", "2024-12-31", "--out", str(report))
    assert "1 个案件" in printed and "已回收 30,000.50 元" in printed
    regions = pl.read_csv(report / "recovery_by_region.csv")["region"].to_list()
    english = run("cases", "report", "--as-of", "2024-12-31", "--out", str(report), "--lang", "en")
    assert "1 cases" in english and "recovered 30,000.50" in english
    # The region named in the reader's language: "31 上海", then "31 Shanghai".
    rules = load_analytics_rules()
    assert regions and all(region[:2] in rules.provinces for region in regions)
    assert (
        pl.read_csv(report / "recovery_by_region.csv")["region"].to_list()
        == [rules.region_in(region, "en") for region in regions]
        != regions
    )
    by_asset = pl.read_csv(report / "recovery_by_asset_type.csv")
    assert (
        by_asset["asset_type"].to_list() == ["machinery"] and by_asset["median_days_to_closure"].item() == 93
    )
    assert (report / "recovery_by_region.png").stat().st_size > 1000
