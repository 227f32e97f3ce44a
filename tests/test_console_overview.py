"""The overview (/) over real HTTP on a SQLite store holding two lessors' classified days: the figures are the
user's lessor's only, judged against the limits of its rule set; today's alerts and the chart of classes over
the run days, loaded by htmx, likewise."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from console_world import DAY, Console, classified_row, seed, served_console, signed_in, sum_classes
from leaseguard.store.db import session_factory
from leaseguard.store.models import (
    BookRun,
    ClassChange,
    ContractClass,
)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    with served_console(tmp_path) as served:
        yield served


def cards(page: str) -> dict[str, str]:
    """Each figure card's heading and its text without tags and extra spaces."""
    found = re.findall(
        r'<section class="card" aria-labelledby="[^"]+">\s*<h2[^>]*>([^<]+)</h2>(.*?)</section>', page, re.S
    )
    return {heading: " ".join(re.sub(r"<[^>]+>", " ", body).split()) for heading, body in found}


def test_before_any_run_the_overview_says_so(console: Console) -> None:
    page = signed_in(console, "ann").get("/")
    assert page.status_code == 200
    assert "还没有日终分类" in page.text and "Alpha Leasing" in page.text
    assert "今日没有被拒绝的核查。" in page.text


def test_the_overview_shows_the_lessors_own_figures_against_its_limits(console: Console) -> None:
    seed(console.engine)
    page = signed_in(console, "ann").get("/")
    assert page.status_code == 200
    shown = cards(page.text)
    assert shown["资产规模"] == "20,000.00 元 4 笔合同"  # A-1..A-4: 2,000,000 fen; BETA's 9,000,000 left out
    # No regime: the trial rule set's limits. NPL 500,000 / 2,000,000; provisions 385,000 / 500,000.
    assert shown["不良率"].startswith("25.00% 仅报送，不设限额")
    assert shown["拨备覆盖率"].startswith("77.00% 限额 ≥ 150.00% · 超出限额")
    assert "leasing-indicators-trial" in shown["拨备覆盖率"]
    assert shown["本日分类变动"] == "3 笔下调 · 0 笔上调"
    assert "截至 2026-12-01，规则集 cbirc-2023" in page.text
    movers = re.findall(r'<a href="/contracts/([^"]+)">', page.text)
    assert movers == ["A-2", "A-3", "A-4"]  # downgrades, largest balance first; B-1 is BETA's
    assert "承租人A-2" in page.text and "正常类 → 关注类" in page.text
    assert "LSVAU2180N2183294" in page.text  # blocked today
    for elsewhere in ("LSVOLDOLDOLD00001", "LSVCLEARCLEAR0001", "LSVBETABETA00001X", "B-1", "BETA 资本"):
        assert elsewhere not in page.text, elsewhere
    assert "资本充足率：7.10%（限额 8.00%）" in page.text and "杠杆率" not in page.text
    assert "Capital adequacy" not in page.text  # the rule set's "English (中文)" name, said in Chinese
    assert 'hx-get="/overview/classes"' in page.text


def test_another_lessors_regime_gives_its_rule_set_and_english(console: Console) -> None:
    seed(console.engine)
    client = signed_in(console, "bea")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert token is not None
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token.group(1)})
    shown = cards(client.get("/").text)
    assert shown["Book size"] == "90,000.00 yuan 1 contracts"
    # BETA is a financial-leasing company: nfra-2024, which sets coverage >= 100 % and no NPL ratio.
    assert shown["NPL ratio"].startswith("100.00% not in the rule set")
    assert shown["Provision coverage"].startswith("100.00% limit ≥ 100.00% · near the limit")


def test_the_chart_of_classes_over_time_is_loaded_as_a_fragment(console: Console) -> None:
    seed(console.engine)
    client = signed_in(console, "ann")
    fragment = client.get("/overview/classes", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="classes-chart"' in fragment.text
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', fragment.text)
    table = {day: re.findall(r'<td class="num">([^<]+)</td>', cells) for day, cells in rows}
    assert table == {
        "2026-11-30": ["100.00%", "0.00%", "0.00%", "0.00%", "0.00%", "0.00%"],
        "2026-12-01": ["50.00%", "25.00%", "15.00%", "0.00%", "10.00%", "25.00%"],
    }
    assert fragment.text.count("<rect") == 1 + 4 + 5  # a bar of one class, a bar of four, five legend keys
    # Signed out, the fragment sends the browser to the sign-in page as a whole page.
    stranger = console.browser().get("/overview/classes", headers={"HX-Request": "true"})
    assert stranger.headers.get("HX-Redirect", "").startswith("/login")


def test_moves_both_ways_and_a_rerun_day_is_read_anew(console: Console) -> None:
    from leaseguard.usecases.book_overview import RunDayCache, book_overview

    seed(console.engine)
    later = dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC)
    with session_factory(console.engine)() as session, session.begin():
        # A-1 improves from special mention; a new contract A-5 starts out substandard (no class before).
        session.add(classified_row(DAY, "A-5", "ALPHA", "substandard", 50_000, 10_000))
        session.add(ClassChange(as_of=DAY, contract_no="A-5", from_class=None, to_class="substandard",
                                deciding_rule="test", reasons=""))  # fmt: skip
        session.add(ClassChange(as_of=DAY, contract_no="A-1", from_class="special_mention", to_class="normal",
                                deciding_rule="test", reasons=""))  # fmt: skip
    sum_classes(console.engine)
    cache = RunDayCache()
    first = book_overview(console.engine, "ALPHA", cache=cache)
    assert (first.downgrades, first.upgrades) == (4, 1)
    assert [m.contract_no for m in first.movers] == ["A-2", "A-3", "A-4", "A-5", "A-1"]
    assert first.movers[-1].downgraded is False and first.movers[3].from_class is None
    assert first.figures is not None and first.figures.contracts == 5
    with session_factory(console.engine)() as session, session.begin():
        session.execute(ContractClass.__table__.delete().where(ContractClass.contract_no == "A-5"))
        assert session.get(BookRun, (DAY, "ALPHA")) is not None
        session.get(BookRun, (DAY, "ALPHA")).finished_at = later  # type: ignore[union-attr]
    sum_classes(console.engine)
    again = book_overview(console.engine, "ALPHA", cache=cache)
    assert again.figures is not None and again.figures.contracts == 4  # the re-run day, not the kept one
    assert again.downgrades == 3
