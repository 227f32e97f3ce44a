"""The console's /analytics (issue 19): the user's lessor's vintage curves, roll rates, class migration and NPL
ratios — the figures of `usecases.book_analytics` (what `book analytics --lessor` computes), for the lessor's
book only — with each chart served as a PNG by the app and its table behind a <details>; a bad date is said
beside the field; the analytics are computed once per lessor, day and state of the store."""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics_world import AS_OF, EARLIER, LESSOR, OTHER, seed_analytics_book
from console_world import Console, csrf_of, served_console, signed_in
from leaseguard.analytics import book_data
from leaseguard.analytics.report import AnalyticsTables, npl_rows, value_label
from leaseguard.console import analytics_pages
from leaseguard.console.rendering import _percent
from leaseguard.console.settings import ConsoleSettings
from leaseguard.money import grouped_yuan
from leaseguard.portfolio.allocation import Allocation
from leaseguard.store.db import session_factory
from leaseguard.store.models import ImportRun
from leaseguard.usecases.book_analytics import analytics_of_store


@dataclass
class World:
    console: Console
    mine: AnalyticsTables  # L001's analytics of AS_OF, as the use case computes them
    theirs: AnalyticsTables  # L002's


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("console-analytics")
    # The pages wait for the analytics however long the shared machine takes (a test below shows the wait).
    with served_console(folder, settings=ConsoleSettings(first_view_wait_seconds=600)) as console:
        seed_analytics_book(console.engine, folder / "book")
        allocation = Allocation.from_settings({})
        mine = analytics_of_store(console.engine, AS_OF, allocation=allocation, lessor=LESSOR)
        theirs = analytics_of_store(console.engine, AS_OF, allocation=allocation, lessor=OTHER)
        yield World(console, mine, theirs)


def section(page: str, name: str) -> str:
    start = page.find(f'id="chart-{name}"')
    assert start > 0, f"no chart {name}"
    return page[start : page.find("</section>", start)]


def table_rows(part: str) -> list[list[str]]:
    body = part[part.find("<tbody>") : part.find("</tbody>")]
    return [
        [html.unescape(cell) for cell in re.findall(r"<td[^>]*>([^<]*)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]


def test_the_page_shows_the_use_cases_figures_for_the_users_lessor_only(world: World) -> None:
    with closing(signed_in(world.console, "lin")) as client:
        page = client.get("/analytics")
    assert page.status_code == 200, page.text[:500]
    text = page.text
    summary = world.mine.summary
    assert summary is not None and world.theirs.summary is not None
    # The newest run day is the default, compared with the month-end before it.
    assert 'value="2026-10-31"' in text and f"较 {EARLIER} 下调" in text
    assert f"<dt>合同数</dt><dd>{summary.contracts:,}</dd>" in text
    assert f"<dd>{grouped_yuan(summary.claim_balance_fen)}</dd>" in text
    assert f'<dd id="npl-ratio">{_percent(summary.npl_ratio)}</dd>' in text
    # Only L001's book: L002's figures differ and are not what the page shows.
    assert summary.contracts != world.theirs.summary.contracts
    assert f"<dt>合同数</dt><dd>{world.theirs.summary.contracts:,}</dd>" not in text
    # Every NPL row of a dimension is the use case's: value, claim balance and ratio.
    assert world.mine.npl is not None
    for dimension in ("industry", "region", "asset_type", "product"):
        shown = table_rows(section(text, f"npl_{dimension}"))
        expected = pl.concat([npl_rows(world.mine.npl, "all"), npl_rows(world.mine.npl, dimension)])
        assert len(shown) == expected.height
        for row, want in zip(shown, expected.iter_rows(named=True), strict=True):
            assert row[1] == value_label(want["dimension"], str(want["value"]), "zh")
            assert row[1] not in ("unknown", "all", "machinery", "vehicle", "sale_leaseback", "direct")
            assert grouped_yuan(want["claim_balance_fen"]) in row
            assert f"{want['npl_ratio']:.2%}" in row
    # The roll-rate matrix and the migration are there too, each chart with words and a table behind <details>.
    for name in ("vintage", "roll_rates", "migration"):
        part = section(text, name)
        assert "<details>" in part and "<summary>表格：" in part and table_rows(part)
        assert re.search(
            rf'<img src="/analytics/charts/{name}\.png\?as_of=2026-10-31" alt="[^"]+：[^"]+"', part
        )
        assert "<figcaption" in part
    migration = table_rows(section(text, "migration"))
    assert world.mine.migration_matrix is not None
    assert len(migration) == world.mine.migration_matrix.height


def test_charts_are_pngs_of_the_app_and_a_chart_it_has_not_is_404(world: World) -> None:
    with closing(signed_in(world.console, "lin")) as client:
        for name in ("vintage", "roll_rates", "migration", "npl_industry", "npl_region"):
            image = client.get(f"/analytics/charts/{name}.png", params={"as_of": AS_OF.isoformat()})
            assert image.status_code == 200, name
            assert image.headers["content-type"] == "image/png"
            assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
            assert "no-store" in image.headers["cache-control"]
        assert client.get("/analytics/charts/npl_lessor.png").status_code == 404
        assert client.get("/analytics/charts/secrets.png").status_code == 404
    with closing(world.console.browser()) as anonymous:
        answer = anonymous.get("/analytics/charts/vintage.png")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_a_bad_date_is_said_beside_the_field(world: World) -> None:
    with closing(signed_in(world.console, "lin")) as client:
        for value, message in (
            ("31/10/2026", "请按 YYYY-MM-DD 填写日期"),
            ("2999-01-31", "数据日期不能晚于今天"),
        ):
            page = client.get("/analytics", params={"as_of": value})
            assert page.status_code == 422
            assert 'aria-invalid="true"' in page.text
            error = re.search(r'<p class="field-error" id="f-as_of-error">([^<]*)</p>', page.text)
            assert error and message in error.group(1)
            assert 'id="chart-' not in page.text


def test_a_lessor_without_contracts_is_told_so(world: World) -> None:
    with closing(signed_in(world.console, "ann")) as client:  # ALPHA has no contract in this store
        page = client.get("/analytics")
    assert page.status_code == 200
    assert "本出租人还没有合同" in page.text and 'id="chart-' not in page.text


def test_analytics_are_computed_once_per_lessor_day_and_store_state(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str | None] = []
    compute = analytics_pages.analytics_of_store

    def counted(*args: object, **options: object) -> AnalyticsTables:
        calls.append(options.get("lessor"))  # type: ignore[arg-type]
        return compute(*args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(analytics_pages, "analytics_of_store", counted)
    day = {"as_of": EARLIER.isoformat()}  # a day no other test asked for
    with closing(signed_in(world.console, "lin")) as client:
        assert client.get("/analytics", params=day).status_code == 200
        assert client.get("/analytics", params=day).status_code == 200
        assert client.get("/analytics/charts/vintage.png", params=day).status_code == 200
        assert calls == [LESSOR]
        with session_factory(world.console.engine)() as session, session.begin():
            session.add(
                ImportRun(
                    file_name="payments.csv", file_sha256="0" * 64, kind="payments", status="loaded",
                    started_at=dt.datetime.now(dt.UTC), lessor=LESSOR,
                )
            )  # fmt: skip
        assert client.get("/analytics", params=day).status_code == 200
        assert calls == [LESSOR, LESSOR]  # an import may change the book: computed afresh
    with closing(signed_in(world.console, "leo")) as other:
        assert other.get("/analytics", params=day).status_code == 200
    assert calls == [LESSOR, LESSOR, OTHER]


def test_while_computed_the_page_says_so_and_htmx_loads_the_results(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    compute = analytics_pages.analytics_of_store

    def slow(*args: object, **options: object) -> AnalyticsTables:
        assert release.wait(600)
        return compute(*args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(analytics_pages, "analytics_of_store", slow)
    monkeypatch.setattr(analytics_pages, "_wait_seconds", lambda request: 0.0)
    day = {"as_of": "2026-08-31"}
    with closing(signed_in(world.console, "lin")) as client:
        page = client.get("/analytics", params=day)
        assert page.status_code == 200
        assert 'hx-get="/analytics/results?as_of=2026-08-31"' in page.text and "正在计算" in page.text
        assert 'id="chart-' not in page.text
        again = client.get("/analytics/results", params=day)
        assert "正在计算" in again.text and "hx-trigger" in again.text
        release.set()
        for _ in range(600):  # until the worker has finished (its charts drawn too): what htmx does every 2 s
            part = client.get("/analytics/results", params=day)
            if "正在计算" not in part.text:
                break
            time.sleep(0.1)
        assert part.status_code == 200
        assert 'id="chart-roll_rates"' in part.text and "hx-get" not in part.text
        assert "<html" not in part.text  # only the part htmx swaps in


def test_every_role_reads_analytics_and_finds_them_in_the_navigation(world: World) -> None:
    for username in ("cai", "ada"):
        with closing(signed_in(world.console, username)) as client:
            overview = client.get("/")
            assert '<a href="/analytics">资产组合分析</a>' in overview.text
            assert client.get("/analytics").status_code == 200


def test_a_lessors_positions_are_the_whole_books_rows_of_its_contracts(world: World) -> None:
    """One lessor's analytics build the positions of its own contracts only: the same rows as the whole book's."""
    engine = world.console.engine
    own = book_data.read_contracts(engine).filter(pl.col("lessor") == LESSOR).select("contract_no")
    for day in (EARLIER, AS_OF):
        whole = book_data.positions_source(engine)(day).join(own, on="contract_no", how="semi")
        mine = book_data.positions_source(engine, only=own)(day)
        assert mine.height == own.height
        assert_frame_equal(mine.sort("contract_no"), whole.sort("contract_no"))


def test_the_computation_draws_the_charts_and_a_chart_is_served_as_drawn(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The background computation draws every chart the page shows — the asking person's language before the
    analytics are shown, the other after — so the charts' requests draw nothing; each lessor's charts are its own."""
    from funding_world import add_users
    from leaseguard.analytics.rules import load_analytics_rules

    drawn: list[tuple[str, str, str]] = []
    real = analytics_pages._draw

    def counted(found: AnalyticsTables, rules: object, name: str, lang: str) -> bytes | None:
        drawn.append((threading.current_thread().name, name, lang))
        return real(found, rules, name, lang)  # type: ignore[arg-type]

    monkeypatch.setattr(analytics_pages, "_draw", counted)
    own_charts: dict[tuple[str, str], bytes | None] = {}

    def mine_drawn(name: str, lang: str) -> bytes | None:
        """One of L001's charts as the test draws it itself (each once: a chart takes a quarter second)."""
        if (name, lang) not in own_charts:
            own_charts[name, lang] = real(mine, rules, name, lang)  # type: ignore[arg-type]
        return own_charts[name, lang]

    rules = load_analytics_rules()
    add_users(world.console.engine, ("lex", LESSOR, "analyst"))
    with session_factory(world.console.engine)() as session, session.begin():  # computed afresh after it
        session.add(
            ImportRun(
                file_name="payments.csv", file_sha256="1" * 64, kind="payments", status="loaded",
                started_at=dt.datetime.now(dt.UTC), lessor=LESSOR,
            )
        )  # fmt: skip
    day = {"as_of": AS_OF.isoformat()}
    with closing(signed_in(world.console, "lin")) as client:
        page = client.get("/analytics", params=day)
        assert page.status_code == 200 and 'id="chart-vintage"' in page.text
        shown = re.findall(rf'<img src="/analytics/charts/([a-z_]+)\.png\?as_of={AS_OF}"', page.text)
        mine = analytics_of_store(
            world.console.engine, AS_OF, allocation=Allocation.from_settings({}), lessor=LESSOR
        )
        assert shown == analytics_pages.page_chart_names(mine, rules) and len(shown) >= 5
        # Drawn by the computation, in Chinese, before the page showed them.
        assert [(name, lang) for _, name, lang in drawn[: len(shown)]] == [(name, "zh") for name in shown]
        assert all(thread.startswith("leaseguard-analytics") for thread, _, _ in drawn)
        for name in shown:
            image = client.get(f"/analytics/charts/{name}.png", params=day)
            assert image.status_code == 200 and image.content == mine_drawn(name, "zh"), name
    # Then in English, in the background: an English reader's charts are drawn already too.
    for _ in range(600):
        if {(name, lang) for _, name, lang in drawn} >= {(name, "en") for name in shown}:
            break
        time.sleep(0.1)
    with closing(signed_in(world.console, "lex")) as english:
        switched = english.post("/lang", data={"csrf_token": csrf_of(english.get("/")), "lang": "en"})
        assert switched.status_code == 303
        # The regions in English: "32 Jiangsu", by the rules' province names, never the Chinese ones.
        regions = [
            row[1] for row in table_rows(section(english.get("/analytics", params=day).text, "npl_region"))
        ]
        assert mine.npl is not None
        want = [value_label("region", str(v), "en", rules) for v in npl_rows(mine.npl, "region")["value"]]
        assert regions[1:] == want and any(re.match(r"\d\d [A-Z][a-z]", region) for region in want)
        assert not any(name in " ".join(regions) for name in rules.province_names("zh").values())
        for name in shown:
            image = english.get(f"/analytics/charts/{name}.png", params=day)
            assert image.status_code == 200 and image.content == mine_drawn(name, "en"), name
            assert image.content != mine_drawn(name, "zh")
    assert all(thread.startswith("leaseguard-analytics") for thread, _, _ in drawn)
    assert len(drawn) == 2 * len(shown)  # each chart once in each language, none on request
    # Another lessor's charts are drawn of its own analytics, never served from L001's.
    with closing(signed_in(world.console, "leo")) as other:
        assert other.get("/analytics", params=day).status_code == 200
        theirs = analytics_of_store(
            world.console.engine, AS_OF, allocation=Allocation.from_settings({}), lessor=OTHER
        )
        image = other.get("/analytics/charts/vintage.png", params=day)
    assert image.content == real(theirs, rules, "vintage", "zh") != mine_drawn("vintage", "zh")
