"""Indicators by the lessor's regime (issue 14 item 6): hand-worked nfra-2024 cases for the capital buffer,
the two interbank limits and a shareholder with its related parties; `report regulatory --lessor` choosing the
regime's rule set; and the bad input of regimes and lessors, each in one line with nothing written."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.ingest import import_paths
from leaseguard.workspace import Workspace
from test_indicators import BALANCE, BOOK_ROWS, by_id, report
from test_indicators_store import DAY, LESSOR, book, sqlite_template, workspace  # noqa: F401  (the fixtures)

runner = CliRunner()


def _capital(cet1: int, at1: int, tier2: int) -> str:
    return (
        BALANCE.replace("cet1_capital: 100000", f"cet1_capital: {cet1}")
        .replace("additional_tier1_capital: 5000", f"additional_tier1_capital: {at1}")
        .replace("tier2_capital: 15000", f"tier2_capital: {tier2}")
    )


def test_capital_ratios_show_the_minimum_and_the_buffered_level() -> None:
    """Risk-weighted assets 930,000 (as in the worked example), deductions 4,000.
    Core tier 1 (70,000 − 4,000)/930,000 = 7.10 %: above 5 %, below 7.5 % → warning.
    Tier 1 (75,000 − 4,000)/930,000 = 7.63 %: above 6 %, below 8.5 % → warning.
    Total (87,700 − 4,000)/930,000 = 9.00 %: above 8 %, below 10.5 % → warning."""
    got = by_id(report("nfra-2024", text=_capital(70_000, 5_000, 12_700)))
    for ident, minimum, buffered, value in (
        ("cet1_ratio", "0.05", "0.075", Decimal(66_000) / 930_000),
        ("tier1_ratio", "0.06", "0.085", Decimal(71_000) / 930_000),
        ("car", "0.08", "0.105", Decimal(83_700) / 930_000),
    ):
        result = got[ident]
        assert (result.limit, result.buffered_limit) == (Decimal(minimum), Decimal(buffered)), ident  # type: ignore[attr-defined]
        assert result.value == value and result.status == "warning", ident  # type: ignore[attr-defined]
    # Core tier 1 (40,000 − 4,000)/930,000 = 3.87 % is below the 5 % minimum itself: a breach.
    assert by_id(report("nfra-2024", text=_capital(40_000, 5_000, 12_700)))["cet1_ratio"].status == "breach"  # type: ignore[attr-defined]
    # The worked example's 10.32 % / 10.86 % / 12.47 % clear every buffered level.
    assert {by_id(report("nfra-2024"))[i].status for i in ("cet1_ratio", "tier1_ratio", "car")} == {"ok"}  # type: ignore[attr-defined]


def test_interbank_borrowing_and_lending_are_two_limits() -> None:
    """Net capital 116,000. Lending 130,000 (other assets 200,000 → 90,000 so the parts still add up) is
    112.1 % > 100 %: a breach; borrowing 50,000 (43.1 %) stays ok on its own."""
    text_ = BALANCE.replace("interbank_lending: 20000", "interbank_lending: 130000").replace(
        "other_assets: 200000", "other_assets: 90000"
    )
    got = by_id(report("nfra-2024", text=text_))
    lending, borrowing = got["interbank_lending"], got["interbank_borrowing"]
    assert lending.value == Decimal(130_000) / 116_000 and lending.status == "breach"  # type: ignore[attr-defined]
    assert borrowing.value == Decimal(50_000) / 116_000 and borrowing.status == "ok"  # type: ignore[attr-defined]


def test_a_shareholder_counts_with_all_its_related_parties() -> None:
    """Shareholder B holds contracts of 300,000 itself; E (40,000) is listed as its related party, so B's
    exposure is 340,000 against its 250,000 paid in: 136 %. Shareholder S2 (paid in 1,000,000, other exposure
    100,000) heads group S2, whose member H has 500,000 at this lessor: 600,000 = 60 %, below B's ratio."""
    text_ = BALANCE.replace(
        "{id: B, name: Shareholder B, paid_in_contribution: 250000}",
        "{id: B, name: Shareholder B, paid_in_contribution: 250000, related_parties: [E]}",
    )
    rows = [*BOOK_ROWS, ("C7", "H", "enterprise", None, "S2", False, "normal", 500_000, 0, 0)]
    result = by_id(report("nfra-2024", text=text_, rows=rows))["single_shareholder"]
    assert (result.numerator, result.denominator) == (Decimal(340_000_00), Decimal(250_000_00))  # type: ignore[attr-defined]
    exposures = {c.key: c.exposure_fen for c in result.contributors}  # type: ignore[attr-defined]
    assert exposures == {"B": 340_000_00, "S2": 600_000_00}


def _run(workspace: Workspace, *args: str, code: int = 0) -> str:  # noqa: F811
    result = runner.invoke(app, [*args, "-w", str(workspace.root)])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def _reports(workspace: Workspace) -> list[tuple[object, ...]]:  # noqa: F811
    engine = workspace.engine()
    try:
        with engine.connect() as connection:
            return [
                tuple(r) for r in connection.execute(text("select lessor, rule_set from indicator_reports"))
            ]
    finally:
        engine.dispose()


def test_the_lessors_regime_chooses_the_rule_set(workspace: Workspace, tmp_path: Path) -> None:  # noqa: F811
    """L001 (澜岳金融租赁) is a financial-leasing company: nfra-2024; L002 (恒舟国际融资租赁) a finance-leasing
    company: cbirc-2020, on its own balance sheet in balance-sheets/L002/."""
    out = tmp_path / "l001.json"
    _run(workspace, "report", "regulatory", "--as-of", DAY.isoformat(), "--lessor", LESSOR, "--format", "json",
         "--out", str(out))  # fmt: skip
    assert json.loads(out.read_text("utf-8"))["rule_set"] == "nfra-2024"
    sheet = workspace.root / "balance-sheets" / "L002" / f"{DAY.isoformat()}.yaml"
    sheet.parent.mkdir(parents=True)
    _run(
        workspace,
        "report",
        "balance-sheet",
        "--as-of",
        DAY.isoformat(),
        "--lessor",
        "L002",
        "--out",
        str(sheet),
    )
    out = tmp_path / "l002.json"
    _run(workspace, "report", "regulatory", "--as-of", DAY.isoformat(), "--lessor", "L002", "--format", "json",
         "--out", str(out))  # fmt: skip
    answer = json.loads(out.read_text("utf-8"))
    assert answer["rule_set"] == "cbirc-2020" and answer["lessor"] == "L002"
    assert sorted(_reports(workspace)) == [("L001", "nfra-2024"), ("L002", "cbirc-2020")]


def test_bad_lessors_and_regimes_fail_in_one_line_and_write_nothing(
    workspace: Workspace,  # noqa: F811
    tmp_path: Path,
) -> None:
    base = ("report", "regulatory", "--as-of", DAY.isoformat(), "--out", str(tmp_path / "r.html"))
    several = _run(workspace, *base, code=1)
    assert "--lessor" in several and "2 lessors" in several
    unknown = _run(workspace, *base, "--lessor", "L999", code=1)
    assert "--lessor 'L999': no such lessor" in unknown
    _run(workspace, "lessors", "add", "L777", "--name", "无监管类型租赁有限公司")
    no_regime = _run(workspace, *base, "--lessor", "L777", code=1)
    assert "lessor L777" in no_regime and "has no regime" in no_regime and "--regime" in no_regime
    bad = _run(workspace, "lessors", "add", "L778", "--name", "乙租赁有限公司", "--regime", "bank", code=1)
    assert "--regime 'bank'" in bad and "financial_leasing" in bad
    assert not (tmp_path / "r.html").exists() and _reports(workspace) == []
    lessors = tmp_path / "lessors.csv"
    lessors.write_text(
        "code,name,regime\nL780,丙租赁有限公司,bank\nL781,丁租赁有限公司,finance_leasing\n", "utf-8"
    )
    engine = workspace.engine()
    try:
        (report_,) = import_paths(engine, [lessors])
        with engine.connect() as connection:
            stored = dict(
                connection.execute(text("select code, extra from lessors where code like 'L78%'")).all()
            )
    finally:
        engine.dispose()
    assert [(e.line, e.column) for e in report_.errors] == [(2, "regime")]
    assert report_.errors[0].code == "unknown_choice"
    assert "未知取值 'bank'" in report_.errors[0].reason
    assert "unknown value 'bank'" in report_.errors[0].text("en")
    assert list(stored) == ["L781"]
    extra = stored["L781"]
    assert (json.loads(extra) if isinstance(extra, str) else extra) == {"regime": "finance_leasing"}


@pytest.mark.parametrize("regime", ["financial_leasing", "finance_leasing"])
def test_lessors_add_records_the_regime(workspace: Workspace, regime: str) -> None:  # noqa: F811
    shown = _run(workspace, "lessors", "add", "L790", "--name", "戊租赁有限公司", "--regime", regime)
    assert f"监管类别：{regime}" in shown
