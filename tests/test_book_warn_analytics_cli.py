"""`leaseguard book warn`, `warn-fit` and `analytics` end to end on a small synthetic book, on SQLite and
PostgreSQL. Positions come from the book engine (portfolio.positions) when it is present, else from the
tests' reference positions function over the same store."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import json
import re
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from book_reference import reference_positions
from leaseguard.analytics import book_data
from leaseguard.cli.main import app
from leaseguard.synth import generate_book
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, init_workspace

AS_OF = "2026-10-31"


def _store_reference(engine: Engine) -> Callable[[dt.date], pl.DataFrame]:
    return reference_positions(book_data.read_contracts(engine), book_data.read_payments(engine))


@pytest.fixture(scope="module")
def synthetic_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("book")
    generate_book(folder, contracts=160, seed=5, lessors=3)
    return folder


@pytest.fixture
def workspace(
    database_url: str, synthetic_book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    monkeypatch.delenv(HOME_ENV, raising=False)
    monkeypatch.setenv(DATABASE_URL_ENV, database_url)
    monkeypatch.chdir(tmp_path)
    if importlib.util.find_spec("leaseguard.portfolio.positions") is None:
        monkeypatch.setattr(book_data, "positions_source", _store_reference)
    opened = init_workspace(tmp_path / "ws")
    loaded = CliRunner().invoke(app, ["import", str(synthetic_book), "-w", str(opened.root)])
    assert loaded.exit_code == 0, loaded.output
    return opened


def book(workspace: Workspace, *args: str) -> Result:
    return CliRunner().invoke(app, ["book", *args, "-w", str(workspace.root)])


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as handle:  # a CSV for people starts with a byte-order mark
        return list(csv.DictReader(handle))


def test_warn_writes_the_call_list_and_a_lessor_sees_only_its_own(
    workspace: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "warnings.csv"
    result = book(workspace, "warn", "--as-of", AS_OF, "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert {"contract_no", "lessor", "as_of", "score", "tier", "signals"} <= set(rows[0])
    assert {row["as_of"] for row in rows} == {AS_OF}
    ranks = {"collections": 0, "critical": 1, "high": 2, "elevated": 3, "low": 4}
    keys = [(ranks[row["tier"]], -float(row["score"])) for row in rows]
    assert keys == sorted(keys)
    # A contract 90+ days past due is never in a scored tier, let alone "low".
    assert all(row["tier"] == "collections" for row in rows if int(row["dpd"]) >= 90)
    assert any(row["tier"] == "collections" for row in rows)
    assert {"lessee_name", "phone", "tier_label", "class"} <= set(rows[0])
    assert all(row["lessee_name"] for row in rows)
    assert [int(row["call_order"]) for row in rows] == list(range(1, len(rows) + 1))
    assert len({row["lessor"] for row in rows}) == 3
    assert any(row["signals"] for row in rows)

    own = tmp_path / "L002.csv"
    result = book(workspace, "warn", "--as-of", AS_OF, "--out", str(own), "--lessor", "L002")
    assert result.exit_code == 0, result.output
    mine = _rows(own)
    assert mine and {row["lessor"] for row in mine} == {"L002"}
    others = {row["contract_no"] for row in rows if row["lessor"] != "L002"}
    text = own.read_text(encoding="utf-8")
    assert not [number for number in others if number in text]
    assert not re.search(r"\bL00[13]\b", text)
    # The same contracts score the same whether or not the other lessors' rows are written.
    everyone = {row["contract_no"]: (row["score"], row["tier"], row["signals"]) for row in rows}
    assert all(everyone[row["contract_no"]] == (row["score"], row["tier"], row["signals"]) for row in mine)


def test_the_call_list_says_its_signals_tier_and_class_in_the_language_asked(
    workspace: Workspace, tmp_path: Path
) -> None:
    """signals stays the codes (a contract); signals_text, tier_label and class_label are words in --lang."""
    from leaseguard.vocabulary import CLASS_LABELS, CLASS_LABELS_EN, SIGNAL_LABELS, SIGNAL_LABELS_EN

    ran = CliRunner().invoke(app, ["run", "daily", "--as-of", AS_OF, "-w", str(workspace.root)])
    assert ran.exit_code == 0, ran.output
    for lang, signal_words, class_words in (
        ("zh", SIGNAL_LABELS, CLASS_LABELS),
        ("en", SIGNAL_LABELS_EN, CLASS_LABELS_EN),
    ):
        out = tmp_path / f"calls-{lang}.csv"
        assert book(workspace, "warn", "--as-of", AS_OF, "--out", str(out), "--lang", lang).exit_code == 0
        rows = _rows(out)
        signalled = [row for row in rows if row["signals"]]
        assert signalled
        for row in signalled:
            expected = [signal_words[code] for code in row["signals"].split(";")]
            assert row["signals_text"] == ("、" if lang == "zh" else "; ").join(expected)
        classed = [row for row in rows if row["class"]]
        assert classed and all(row["class_label"] == class_words[row["class"]] for row in classed)
        assert all(row["lessor_name"] and row["lessor_name"] != row["lessor"] for row in rows)
        tiers = {row["tier_label"] for row in rows if row["tier"] == "collections"}
        assert tiers == ({"催收"} if lang == "zh" else {"collections"})


def test_warn_refuses_bad_arguments_with_one_line(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "w.csv"
    for args, message in (
        (["--as-of", "2026-13-01"], "--as-of '2026-13-01' 不是日期"),
        (["--as-of", "2026-13-01", "--lang", "en"], "--as-of '2026-13-01' is not a date"),
        (["--as-of", AS_OF, "--lessor", "NOPE"], "no contract of that lessor"),
        (["--as-of", AS_OF, "--compare-with", "2026-11-30"], "对比日期 2026-11-30 不早于 as_of"),
        (["--as-of", AS_OF, "--compare-with", "2026-11-30", "--lang", "en"], "is not before as_of"),
    ):
        result = book(workspace, "warn", *args, "--out", str(out))
        assert result.exit_code != 0
        assert message in result.output
    assert not out.exists()


def test_warn_fit_refits_the_score_and_reports_held_out_auc(workspace: Workspace, synthetic_book: Path,
                                                           tmp_path: Path) -> None:  # fmt: skip
    model = tmp_path / "model.yaml"
    result = book(workspace, "warn-fit", "--outcomes", str(synthetic_book / "contract_outcomes.csv"),
                  "--as-of", AS_OF, "--out", str(model), "--observations", "3")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "AUC" in result.output and "KS" in result.output and "验证集" in result.output
    out = tmp_path / "w.csv"
    assert book(workspace, "warn", "--as-of", AS_OF, "--out", str(out), "--model", str(model)).exit_code == 0
    assert _rows(out)


def test_analytics_writes_tables_charts_and_a_report(workspace: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "analytics"
    result = book(workspace, "analytics", "--as-of", AS_OF, "--out", str(out))
    assert result.exit_code == 0, result.output
    vintage = pl.read_csv(out / "vintage.csv")
    assert set(vintage["dpd_threshold"].to_list()) == {30, 90}
    assert vintage["share_contracts"].is_between(0, 1).all()
    # Every origin bucket's row of the roll-rate matrix shares out all its contracts.
    matrix = pl.read_csv(out / "roll_rate_matrix.csv")
    shares = matrix.drop("from_bucket", "contracts")
    assert all(abs(total - 1) < 1e-9 for total, count in zip(shares.sum_horizontal(), matrix["contracts"],
                                                              strict=True) if count)  # fmt: skip
    page = (out / "report.html").read_text(encoding="utf-8")
    for chart in ("vintage_curves.png", "roll_rates.png"):
        assert (out / chart).read_bytes().startswith(b"\x89PNG")
        assert f'href="{chart}"' in page
    assert (out / "analytics.xlsx").stat().st_size > 0
    if not (out / "npl_ratio.csv").exists():
        assert "没有已保存的五级分类结果" in result.output


def test_analytics_open_with_a_summary_in_yuan_and_chinese_that_chromium_shows(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Issue 17: a one-page summary (NPL ratio, provision coverage, migration, largest moves) before the
    tables; no fen in any file; XLSX numbers with formats; the page read in a real browser."""
    from decimal import Decimal

    from openpyxl import load_workbook

    from browser import seen_text

    for day in ("2026-09-30", AS_OF):
        ran = CliRunner().invoke(app, ["run", "daily", "--as-of", day, "-w", str(workspace.root)])
        assert ran.exit_code == 0, ran.output
    out = tmp_path / "analytics"
    result = book(workspace, "analytics", "--as-of", AS_OF, "--out", str(out), "--lessor", "L002")
    assert result.exit_code == 0, result.output
    engine = workspace.engine()
    try:
        stored = pl.read_database(
            "select class, claim_balance_fen, provision_fen from contract_classes"
            " where as_of = :day and lessor = 'L002'",
            engine,
            execute_options={"parameters": {"day": AS_OF}},
        )
    finally:
        engine.dispose()
    npl = stored.filter(pl.col("class").is_in(["substandard", "doubtful", "loss"]))["claim_balance_fen"].sum()
    ratio = (Decimal(npl) / Decimal(stored["claim_balance_fen"].sum()) * 100).quantize(Decimal("0.01"))
    coverage = (Decimal(stored["provision_fen"].sum()) / Decimal(npl) * 100).quantize(Decimal("0.01"))
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.index("概览") < page.index("账龄分析") and "Droid Sans Fallback" in page
    shown = seen_text(out / "report.html", "analytics-summary")
    assert f"不良率\t{ratio}%" in shown and f"拨备覆盖率\t{coverage}%" in shown
    assert "较 2026-09-30 下调" in shown and "分类变动最大的合同" in shown
    for csv_file in out.glob("*.csv"):
        header = csv_file.read_text(encoding="utf-8-sig").splitlines()[0]
        assert "_fen" not in header, csv_file.name
    npl_rows = pl.read_csv(out / "npl_ratio.csv", infer_schema=False)
    assert set(npl_rows["dimension"]) >= {"全部", "出租人"} and "claim_balance" in npl_rows.columns
    sheets = load_workbook(out / "analytics.xlsx")
    npl_sheet = sheets["不良率"]
    labels, names, first, *_ = list(npl_sheet.iter_rows(values_only=True))
    assert (
        "债权余额（元）" in labels and "claim_balance" in names and not any("_fen" in str(n) for n in names)
    )
    money = names.index("claim_balance") + 1
    assert isinstance(first[money - 1], (int, float)) and npl_sheet.cell(3, money).number_format == "#,##0.00"
    assert npl_sheet.cell(3, names.index("npl_ratio") + 1).number_format == "0.00%"
    assert "张表" in result.output and "张图" in result.output
    english = book(workspace, "analytics", "--as-of", AS_OF, "--out", str(tmp_path / "en"), "--lang", "en")
    assert english.exit_code == 0, english.output
    assert "tables" in english.output and "charts" in english.output
    assert "Provision coverage" in seen_text(tmp_path / "en" / "report.html", "analytics-summary-en")


def test_warn_backtest_measures_the_score_out_of_time_against_days_past_due(
    workspace: Workspace, tmp_path: Path
) -> None:
    warned_on, judged_on = "2026-04-30", "2026-10-31"
    figures = tmp_path / "backtest.json"
    result = book(workspace, "warn-backtest", "--as-of", warned_on, "--months", "6", "--json", str(figures))
    assert result.exit_code == 0, result.output
    measured = json.loads(figures.read_text(encoding="utf-8"))
    # The label recomputed from the positions themselves: live and under 90 days then, 90+ six months later.
    engine = workspace.engine()
    try:
        positions_at = book_data.positions_source(engine)
        then = positions_at(dt.date.fromisoformat(warned_on))
        later = positions_at(dt.date.fromisoformat(judged_on))
    finally:
        engine.dispose()
    judged = then.filter(pl.col("status").is_in(["active", "matured_unpaid"]) & (pl.col("dpd") < 90)).join(
        later.select("contract_no", pl.col("dpd").alias("dpd_later")), on="contract_no", how="left"
    )
    assert measured["contracts"] == judged.height
    assert measured["defaults"] == judged.filter(pl.col("dpd_later") >= 90).height > 0
    assert 0.5 < measured["score"]["auc"] <= 1 and 0 < measured["dpd_only"]["auc"] <= 1
    assert "AUC 提升" in result.output and "排序依据" in result.output and "仅逾期天数" in result.output
    english = book(workspace, "warn-backtest", "--as-of", warned_on, "--months", "6", "--lang", "en")
    assert english.exit_code == 0 and "AUC lift over days past due only" in english.output.replace("\n", " ")
    bad = book(workspace, "warn-backtest", "--as-of", warned_on, "--months", "0")
    assert (
        bad.exit_code != 0
        and "--months 0：请给出 1 到 36 个月" in bad.output
        and "Traceback" not in bad.output
    )
