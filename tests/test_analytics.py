"""Portfolio analytics on hand-built positions and classes whose answers are worked out by hand."""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError

from book_frames import positions
from leaseguard.analytics.calendar import month_ends
from leaseguard.analytics.classes import class_migration, npl_ratios
from leaseguard.analytics.dimensions import with_dimensions
from leaseguard.analytics.report import write_report
from leaseguard.analytics.roll_rates import RollRateTracker, roll_rate_matrix
from leaseguard.analytics.rules import AnalyticsRules, load_analytics_rules
from leaseguard.analytics.service import compute_analytics
from leaseguard.analytics.vintage import VintageTracker
from leaseguard.rulefiles import RuleFileError, read_rule_text

RULES = load_analytics_rules()
JAN, FEB, MAR, APR = dt.date(2025, 1, 31), dt.date(2025, 2, 28), dt.date(2025, 3, 31), dt.date(2025, 4, 30)


def test_month_ends_run_to_the_as_of_date_itself() -> None:
    assert month_ends(dt.date(2024, 11, 15), dt.date(2025, 1, 31)) == [
        dt.date(2024, 11, 30), dt.date(2024, 12, 31), dt.date(2025, 1, 31),
    ]  # fmt: skip
    assert month_ends(dt.date(2024, 12, 1), dt.date(2025, 1, 20))[-1] == dt.date(2025, 1, 20)


def _rules_with_buckets(buckets: list[dict[str, object]]) -> AnalyticsRules:
    data = RULES.model_dump(by_alias=True)
    data["dpd_buckets"] = buckets
    return AnalyticsRules.model_validate(data)


def test_dpd_buckets_with_an_overlap_or_a_missing_start_are_refused() -> None:
    with pytest.raises(ValidationError, match="严格递增") as refused:
        _rules_with_buckets([{"name": "a", "from": 0}, {"name": "b", "from": 30}, {"name": "c", "from": 30}])
    assert "lower bounds must strictly increase" in refused.value.errors()[0]["ctx"]["error"].text("en")
    with pytest.raises(ValidationError, match="必须从 0 天开始"):
        _rules_with_buckets([{"name": "a", "from": 1}, {"name": "b", "from": 30}])


def test_roll_rates_count_each_contract_between_consecutive_month_ends() -> None:
    tracker = RollRateTracker(RULES)
    tracker.add(positions(JAN, {"contract_no": "A", "dpd": 0}, {"contract_no": "B", "dpd": 15},
                          {"contract_no": "C", "dpd": 40}, {"contract_no": "D", "dpd": 0}))  # fmt: skip
    tracker.add(positions(FEB, {"contract_no": "A", "dpd": 10}, {"contract_no": "B", "dpd": 45},
                          {"contract_no": "C", "dpd": 0}, {"contract_no": "D", "status": "settled"},
                          {"contract_no": "E", "status": "not_started"}))  # fmt: skip
    tracker.add(positions(MAR, {"contract_no": "A", "dpd": 0}, {"contract_no": "B", "dpd": 75},
                          {"contract_no": "C", "dpd": 0}, {"contract_no": "D", "status": "settled"},
                          {"contract_no": "E", "dpd": 0}))  # fmt: skip
    moves = tracker.transitions()
    jan_feb = {(r["from_bucket"], r["to_bucket"]): r["contracts"] for r in moves.filter(
        pl.col("month_to") == FEB).iter_rows(named=True)}  # fmt: skip
    assert jan_feb == {
        ("current", "dpd_1_29"): 1, ("dpd_1_29", "dpd_30_59"): 1, ("dpd_30_59", "current"): 1,
        ("current", "settled"): 1,
    }  # fmt: skip
    feb_mar = {(r["from_bucket"], r["to_bucket"]): r["contracts"] for r in moves.filter(
        pl.col("month_to") == MAR).iter_rows(named=True)}  # fmt: skip
    # D was settled in February: absorbed, never an origin again; E had not started: no origin either.
    assert feb_mar == {("dpd_1_29", "current"): 1, ("dpd_30_59", "dpd_60_89"): 1, ("current", "current"): 1}
    matrix = roll_rate_matrix(moves, RULES, months=12)
    current = matrix.filter(pl.col("from_bucket") == "current").row(0, named=True)
    # current → current 1, → 1-29 1, → settled 1: three origins in all.
    assert current["contracts"] == 3
    assert current["current"] == pytest.approx(1 / 3)
    assert current["dpd_1_29"] == pytest.approx(1 / 3)
    assert current["settled"] == pytest.approx(1 / 3)
    assert matrix.filter(pl.col("from_bucket") == "dpd_30_59")["current"].item() == pytest.approx(0.5)
    only_last = roll_rate_matrix(moves, RULES, months=1)
    assert only_last.filter(pl.col("from_bucket") == "current")["contracts"].item() == 1


def test_roll_rate_principal_is_the_outstanding_principal_at_the_origin() -> None:
    tracker = RollRateTracker(RULES)
    tracker.add(positions(JAN, {"contract_no": "A", "outstanding_principal_fen": 700},
                          {"contract_no": "B", "outstanding_principal_fen": 300}))  # fmt: skip
    tracker.add(positions(FEB, {"contract_no": "A", "dpd": 3, "outstanding_principal_fen": 650},
                          {"contract_no": "B", "dpd": 2, "outstanding_principal_fen": 250}))  # fmt: skip
    moves = tracker.transitions()
    assert moves["principal_fen"].to_list() == [1000]
    assert moves["contracts"].to_list() == [2]


def test_vintage_shares_count_the_first_month_a_threshold_is_reached() -> None:
    contracts = pl.DataFrame({
        "contract_no": ["A", "B", "C", "D"],
        "start_date": [dt.date(2025, 1, 10), dt.date(2025, 1, 20), dt.date(2025, 2, 5), dt.date(2025, 3, 3)],
        "principal_fen": [100, 300, 600, 1000],
    })  # fmt: skip
    tracker = VintageTracker([30, 90])
    tracker.add(positions(JAN, {"contract_no": "A"}, {"contract_no": "B"}))
    tracker.add(positions(FEB, {"contract_no": "A", "dpd": 31}, {"contract_no": "B"}, {"contract_no": "C"}))
    tracker.add(positions(MAR, {"contract_no": "A", "dpd": 0}, {"contract_no": "B", "dpd": 30},
                          {"contract_no": "C", "dpd": 29}, {"contract_no": "D"}))  # fmt: skip
    tracker.add(positions(APR, {"contract_no": "A", "dpd": 95}, {"contract_no": "B", "dpd": 60},
                          {"contract_no": "C", "dpd": 59}, {"contract_no": "D"}))  # fmt: skip
    by_month = tracker.curves(contracts, "month")
    q = by_month.filter((pl.col("cohort") == "2025-01") & (pl.col("dpd_threshold") == 30)).sort(
        "months_on_book"
    )
    # Cohort 2025-01 = A (100) and B (300): A reaches 30+ in Feb (month 1, and stays counted after it cures),
    # B in March (month 2).
    assert q["months_on_book"].to_list() == [0, 1, 2, 3]
    assert q["contracts_exposed"].to_list() == [2, 2, 2, 2]
    assert q["contracts_reached"].to_list() == [0, 1, 2, 2]
    assert q["principal_reached_fen"].to_list() == [0, 100, 400, 400]
    assert q["share_principal"].to_list() == pytest.approx([0, 0.25, 1, 1])
    ninety = by_month.filter((pl.col("cohort") == "2025-01") & (pl.col("dpd_threshold") == 90))
    assert ninety.sort("months_on_book")["contracts_reached"].to_list() == [0, 0, 0, 1]
    # Cohort 2025-02 (C) reaches 30+ in April, its month 2 (29 days in March is not yet 30+).
    c = by_month.filter((pl.col("cohort") == "2025-02") & (pl.col("dpd_threshold") == 30))
    assert c.sort("months_on_book")["contracts_reached"].to_list() == [0, 0, 1]
    by_quarter = tracker.curves(contracts, "quarter").filter(pl.col("dpd_threshold") == 30)
    q1 = {
        r["months_on_book"]: r for r in by_quarter.filter(pl.col("cohort") == "2025Q1").iter_rows(named=True)
    }
    # D started in March and is observed for one month only: the quarter's curve stops at month 1, where
    # only A of the four has reached 30+.
    assert sorted(q1) == [0, 1]
    assert q1[1]["contracts_exposed"] == 4
    assert q1[1]["contracts_reached"] == 1
    assert q1[1]["principal_reached_fen"] == 100


def test_vintage_refuses_month_ends_out_of_order() -> None:
    tracker = VintageTracker([30])
    tracker.add(positions(FEB, {"contract_no": "A"}))
    with pytest.raises(ValueError, match="came after"):
        tracker.add(positions(JAN, {"contract_no": "A"}))


def test_npl_ratio_by_dimension_is_the_npl_claim_balance_over_all_claim_balance() -> None:
    book = pl.DataFrame({
        "contract_no": ["A", "B", "C", "D", "E"],
        "class": ["normal", "substandard", "special_mention", "loss", "doubtful"],
        "claim_balance_fen": [1000, 500, 300, 200, 0],
        "lessor": ["L1", "L1", "L2", "L2", "L2"],
        "industry": ["mining", "mining", "retail", None, "retail"],
        "region": ["31 上海"] * 5,
        "asset_type": ["vehicle", "vehicle", "machinery", "machinery", "vehicle"],
        "product": ["direct", "sale_leaseback", "direct", "direct", "direct"],
    })  # fmt: skip
    ratios = npl_ratios(book, RULES)

    def row(dimension: str, value: str) -> dict[str, object]:
        found = ratios.filter((pl.col("dimension") == dimension) & (pl.col("value") == value))
        return found.row(0, named=True)

    assert row("all", "all")["claim_balance_fen"] == 2000
    assert row("all", "all")["npl_claim_balance_fen"] == 700
    assert row("all", "all")["npl_ratio"] == pytest.approx(0.35)
    assert row("lessor", "L1")["npl_ratio"] == pytest.approx(500 / 1500)
    assert row("lessor", "L2")["npl_claim_balance_fen"] == 200
    assert row("lessor", "L2")["npl_contracts"] == 2  # E is doubtful with nothing left to claim
    assert row("industry", "unknown")["npl_ratio"] == pytest.approx(1.0)
    assert row("industry", "retail")["npl_ratio"] == pytest.approx(0.0)
    assert row("product", "direct")["npl_ratio"] == pytest.approx(200 / 1500)
    assert row("asset_type", "vehicle")["contracts"] == 3


def test_npl_ratio_refuses_a_class_outside_the_five() -> None:
    book = pl.DataFrame({"contract_no": ["A"], "class": ["watch"], "claim_balance_fen": [1]})
    with pytest.raises(ValueError, match="watch"):
        npl_ratios(book, RULES)


def test_class_migration_counts_moves_new_and_exited_contracts() -> None:
    before = pl.DataFrame({"contract_no": ["A", "B", "C", "D"],
                           "class": ["normal", "normal", "special_mention", "substandard"],
                           "claim_balance_fen": [10, 20, 30, 40]})  # fmt: skip
    after = pl.DataFrame({"contract_no": ["A", "B", "C", "E"],
                          "class": ["normal", "special_mention", "substandard", "normal"]})  # fmt: skip
    migration = class_migration(before, after, RULES)
    cells = {(r["from_class"], r["to_class"]): r for r in migration.iter_rows(named=True)}
    assert cells[("normal", "normal")]["contracts"] == 1
    assert cells[("normal", "special_mention")]["share"] == pytest.approx(0.5)
    assert cells[("special_mention", "substandard")]["claim_balance_fen"] == 30
    assert cells[("substandard", "exited")]["contracts"] == 1
    assert cells[("new", "normal")]["contracts"] == 1
    assert cells[("loss", "loss")]["contracts"] == 0
    assert migration["contracts"].sum() == 5


def _small_book() -> tuple[pl.DataFrame, dict[dt.date, pl.DataFrame], dict[dt.date, pl.DataFrame]]:
    contracts = pl.DataFrame({
        "contract_no": ["A", "B", "C"],
        "start_date": [dt.date(2024, 12, 15)] * 3,
        "principal_fen": [1000, 2000, 3000],
        "lessor": ["L1", "L1", "L2"], "industry": ["x", "y", "x"], "region": ["31 上海"] * 3,
        "asset_type": ["vehicle"] * 3, "product": ["direct"] * 3,
    })  # fmt: skip
    history = {
        dt.date(2024, 12, 31): positions(dt.date(2024, 12, 31), {"contract_no": "A"}, {"contract_no": "B"},
                                         {"contract_no": "C"}),
        JAN: positions(JAN, {"contract_no": "A"}, {"contract_no": "B", "dpd": 20}, {"contract_no": "C"}),
        FEB: positions(FEB, {"contract_no": "A"}, {"contract_no": "B", "dpd": 48}, {"contract_no": "C"}),
    }  # fmt: skip
    classes = {
        JAN: pl.DataFrame({"contract_no": ["A", "B", "C"], "class": ["normal", "special_mention", "normal"]}),
        FEB: pl.DataFrame({"contract_no": ["A", "B", "C"], "class": ["normal", "substandard", "normal"]}),
    }
    return contracts, history, classes


def test_compute_analytics_and_the_report_writes_real_charts_the_page_embeds(tmp_path: Path) -> None:
    contracts, history, classes = _small_book()
    result = compute_analytics(FEB, contracts, history.__getitem__, classes.get, RULES)
    assert result.npl is not None
    assert result.npl.filter(pl.col("dimension") == "all")["npl_ratio"].item() == pytest.approx(
        100_000 / 300_000
    )
    assert result.migration is not None
    assert result.migration_from == JAN
    written = write_report(result, RULES, tmp_path)
    assert {"vintage_curves", "roll_rates", "class_migration", "npl_by_lessor", "npl_by_region"} <= set(
        written.charts
    )
    page = written.html.read_text(encoding="utf-8")
    embedded = dict(
        re.findall(r'<a href="([^"]+\.png)"><img alt="[^"]+" src="data:image/png;base64,([^"]+)"', page)
    )
    for name, path in written.charts.items():
        content = path.read_bytes()
        assert content.startswith(b"\x89PNG\r\n\x1a\n"), name
        assert len(content) > 5000, f"{name} looks empty"
        assert base64.b64decode(embedded[path.name]) == content
    for name, path in written.tables.items():
        assert pl.read_csv(path).height > 0, name
    assert written.workbook.stat().st_size > 0


def test_without_stored_classes_the_report_says_so(tmp_path: Path) -> None:
    contracts, history, _ = _small_book()
    result = compute_analytics(FEB, contracts, history.__getitem__, lambda day: None, RULES)
    assert result.npl is None
    assert "No stored classes" in result.notes_in("en")[0]
    page = write_report(result, RULES, tmp_path).html.read_text(encoding="utf-8")
    assert "没有已保存的五级分类结果" in page
    english = write_report(result, RULES, tmp_path / "en", "en").html.read_text(encoding="utf-8")
    assert "No stored classes" in english


def test_region_comes_from_the_contract_else_from_the_lessees_identifier() -> None:
    contracts = pl.DataFrame({
        "contract_no": ["E", "I", "R", "X"],
        "lessee_id": ["913101043165569294", "440106199001011234", "913101043165569294", "ABC"],
        "lessee_type": ["enterprise", "individual", "enterprise", "enterprise"],
        "region": [None, None, "330106", None],
        "product": [None, "truck loan", None, None],
        "lease_type": ["direct", "sale_leaseback", "direct", None],
    })  # fmt: skip
    filled = {
        row["contract_no"]: row
        for row in with_dimensions(contracts, RULES.province_names()).iter_rows(named=True)
    }
    assert filled["E"]["region"] == "31 上海"  # USCC digits 3-8: 310104
    assert filled["I"]["region"] == "44 广东"  # resident ID digits 1-6: 440106
    assert filled["R"]["region"] == "33 浙江"  # the contract's own column wins
    assert filled["X"]["region"] is None
    assert [filled[n]["product"] for n in "EIRX"] == ["direct", "truck loan", "direct", None]


@pytest.mark.parametrize(
    ("dimension", "value", "zh", "en"),
    [
        ("industry", "unknown", "未填写", "not stated"),
        ("all", "all", "全部", "all"),
        ("asset_type", "machinery", "工程机械", "Machinery"),
        ("product", "sale_leaseback", "售后回租", "Sale and leaseback"),
        ("industry", "制造业", "制造业", "制造业"),
        ("region", "31 上海", "31 上海", "31 上海"),
    ],
)
def test_a_dimensions_value_is_said_in_words_not_codes(dimension: str, value: str, zh: str, en: str) -> None:
    from leaseguard.analytics.report import value_label

    assert (value_label(dimension, value, "zh"), value_label(dimension, value, "en")) == (zh, en)


def test_a_region_is_named_in_the_readers_language_by_the_rules_province_names() -> None:
    from leaseguard.analytics.report import value_label

    assert value_label("region", "31 上海", "en", RULES) == "31 Shanghai"
    assert value_label("region", "54 西藏", "en", RULES) == "54 Tibet"
    assert value_label("region", "31 上海", "zh", RULES) == "31 上海"
    # What is not a province of the rules stays as the book wrote it.
    assert value_label("region", "99 某地", "en", RULES) == "99 某地"
    assert value_label("region", "unknown", "en", RULES) == "not stated"
    assert len(RULES.provinces) == 34 and all(name.en for name in RULES.provinces.values())


def test_a_rules_file_may_name_a_province_in_chinese_only_and_english_readers_see_that_name(
    tmp_path: Path,
) -> None:
    shipped, _ = read_rule_text(None, "analytics.yaml")
    text = shipped.replace('"31": {zh: 上海, en: Shanghai}', '"31": 上海')
    text = text.replace('"33": {zh: 浙江, en: Zhejiang}', '"33": {zh: 浙江}')
    custom = tmp_path / "analytics.yaml"
    custom.write_text(text, encoding="utf-8")
    rules = load_analytics_rules(custom)
    assert rules.province_names("en")["31"] == "上海" and rules.province_names("en")["33"] == "浙江"
    assert rules.province_names("en")["32"] == "Jiangsu" and rules.province_names("zh")["32"] == "江苏"
    custom.write_text(text.replace('"32": {zh: 江苏, en: Jiangsu}', '"32": {en: Jiangsu}'), encoding="utf-8")
    with pytest.raises(RuleFileError, match="provinces"):
        load_analytics_rules(custom)


def test_the_english_report_names_regions_in_english(tmp_path: Path) -> None:
    contracts, history, classes = _small_book()
    result = compute_analytics(FEB, contracts, history.__getitem__, classes.get, RULES)
    english = write_report(result, RULES, tmp_path / "en", "en").html.read_text(encoding="utf-8")
    chinese = write_report(result, RULES, tmp_path / "zh").html.read_text(encoding="utf-8")
    assert "31 Shanghai" in english and "31 上海" not in english
    assert "31 上海" in chinese and "Shanghai" not in chinese
