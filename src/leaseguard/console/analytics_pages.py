"""/analytics: the user's lessor's portfolio analytics — vintage curves, roll rates, class migration and NPL
ratios by industry, region, asset type and product — charts first, each with its table behind a <details>.

The figures are `usecases.book_analytics` (`analytics_of_store`, what `leaseguard book analytics --lessor`
computes) and the charts are analytics/report.py's PNGs (the packaged CJK font), served by this app at
/analytics/charts/<name>.png. Computing walks the book month-end by month-end (seconds on a book of thousands,
minutes on a million), so it runs in the background, one computation at a time: the page waits for it a fifth
of a second (console.first_view_wait_ms) and else says it is computing and loads the results with htmx when they
are ready. The same background work then draws the page's charts (a tenth to a third of a second each), in the
language of the person who asked first before the analytics are shown, in the other language after, so a chart's
first request finds it drawn. A lessor's analytics of a day and their charts are then kept in memory
(`AnalyticsCache`) until the next daily run or import changes the store."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine, func, select

from leaseguard.analytics.report import (
    AnalyticsTables,
    PeopleTable,
    dimension_label,
    migration_chart,
    npl_chart,
    npl_rows,
    npl_table,
    people_table,
    roll_chart,
    vintage_chart,
    vintage_table,
)
from leaseguard.analytics.rules import AnalyticsRules, load_analytics_rules
from leaseguard.console.auth import ConsoleUser, require_user, settings_of
from leaseguard.console.rendering import FormState, NavItem, add_nav, render
from leaseguard.errors import LeaseguardError, NotFoundError
from leaseguard.portfolio.allocation import Allocation
from leaseguard.store.models import BookRun, ClassTotal, ImportRun
from leaseguard.tenancy import Action
from leaseguard.usecases.book_analytics import analytics_of_store
from leaseguard.vocabulary import DEFAULT_LANG, LANGS, Label, Lang

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
TITLE = Label("资产组合分析", "Portfolio analytics")
add_nav(NavItem("/analytics", TITLE, Action.READ_CONTRACTS, order=8))

CanReadBook = Annotated[ConsoleUser, Depends(require_user(Action.READ_CONTRACTS))]
AsOf = Annotated[str | None, Query(max_length=32)]

TABLE_ROWS = 200
# The dimensions the page breaks the NPL ratio down by: a lessor's page has one lessor, so not that one.
PAGE_DIMENSIONS = ("industry", "region", "asset_type", "product")
BAD_DATE = Label(
    "请按 YYYY-MM-DD 填写日期，例如 2026-10-31。", "Give the date as YYYY-MM-DD, e.g. 2026-10-31."
)
FUTURE_DATE = Label("数据日期不能晚于今天。", "The date may not be after today.")
NO_BOOK = Label("本出租人还没有合同：请先导入合同。", "This lessor has no contracts yet: import them first.")
CHART_NOT_FOUND = Label("没有图表 {name}", "no chart {name}")
# A chart is asked for by a page that showed the analytics, so they are kept already; this is only a bound.
CHART_WAIT_SECONDS = 600.0


# --- the kept analytics ---------------------------------------------------------------------------------------


@dataclass
class Kept:
    """A lessor's analytics of one day (or why there are none), and the charts drawn of them so far (by name
    and language)."""

    tables: AnalyticsTables | None = None
    error: LeaseguardError | None = None
    charts: dict[tuple[str, Lang], bytes] = field(default_factory=dict)


# The charts of a lessor's analytics in one language, by name (what the page shows).
ChartDrawer = Callable[[AnalyticsTables, Lang], dict[str, bytes]]


class AnalyticsCache:
    """Analytics by (lessor, day, state of the store): the state is the newest daily run and import, so a run
    or an import computes them afresh; at most `size` entries, the least recently used dropped first.

    Computed in the background by one worker thread (a computation takes a core for seconds to minutes; two at
    once would only slow each other), each key once however many requests ask for it meanwhile. With `draw`,
    the worker draws the charts too: in the asking language before the entry is kept, so the page that shows
    the analytics finds its charts drawn, then in the other languages."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[object, ...], Kept] = OrderedDict()
        self._pending: dict[tuple[object, ...], Future[Kept]] = {}
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leaseguard-analytics")

    def get(
        self,
        key: tuple[object, ...],
        compute: Callable[[], AnalyticsTables],
        wait: float,
        *,
        draw: ChartDrawer | None = None,
        lang: Lang = DEFAULT_LANG,
    ) -> Kept | None:
        """The entry of `key`, computed first if need be (its charts drawn by `draw`, `lang` first); None when it
        is not ready after `wait` seconds (it goes on being computed, and a later call finds it)."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            future = self._pending.get(key)
            if future is None:
                future = self._pending[key] = self._worker.submit(self._compute, key, compute, draw, lang)
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            return None

    def _compute(
        self,
        key: tuple[object, ...],
        compute: Callable[[], AnalyticsTables],
        draw: ChartDrawer | None,
        lang: Lang,
    ) -> Kept:
        try:
            kept = Kept(tables=compute())
        except LeaseguardError as error:  # no book, a bad date: an answer too, kept like one
            kept = Kept(error=error)
        except BaseException:
            with self._lock:
                self._pending.pop(key, None)
            raise
        tables = kept.tables
        if draw is not None and tables is not None:
            self._draw_all(kept, tables, draw, lang)
        with self._lock:
            self._pending.pop(key, None)
            self._entries[key] = kept
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        if draw is not None and tables is not None:
            for other in LANGS:
                if other != lang:
                    self._draw_all(kept, tables, draw, other)
        return kept

    def _draw_all(self, kept: Kept, tables: AnalyticsTables, draw: ChartDrawer, lang: Lang) -> None:
        """Every chart of `tables` in `lang` kept in `kept`; when drawing fails, the charts are left to be drawn
        when asked for (where the error is the request's, as before)."""
        try:
            drawn = draw(tables, lang)
        except Exception:
            log.warning("analytics charts not drawn in the background (%s)", lang, exc_info=True)
            return
        with self._lock:
            for name, image in drawn.items():
                kept.charts.setdefault((name, lang), image)

    def chart(self, kept: Kept, name: str, lang: Lang, draw: Callable[[], bytes]) -> bytes:
        with self._lock:
            found = kept.charts.get((name, lang))
        if found is None:
            found = draw()
            with self._lock:
                kept.charts[(name, lang)] = found
        return found


def _cache(request: Request) -> AnalyticsCache:
    cache = getattr(request.app.state, "console_analytics", None)
    if cache is None:
        cache = request.app.state.console_analytics = AnalyticsCache()
    return cache


def _rules(request: Request) -> AnalyticsRules:
    rules = getattr(request.app.state, "console_analytics_rules", None)
    if rules is None:
        rules = request.app.state.console_analytics_rules = load_analytics_rules()
    return rules


def _store_state(engine: Engine, lessor: str) -> tuple[object, ...]:
    """What the analytics of the lessor depend on in the store: its newest run day, its newest run (and how many
    it has) and the newest import anywhere (a run or an import changes positions and classes). Another lessor's
    run changes none of them."""
    with engine.connect() as connection:
        last_day = connection.scalar(select(func.max(ClassTotal.as_of)).where(ClassTotal.lessor == lessor))
        run = connection.execute(
            select(func.max(BookRun.finished_at), func.count()).where(BookRun.lessor == lessor)
        ).one()
        last_import = connection.scalar(select(func.max(ImportRun.id)))
    return (last_day, *run, last_import)


def _default_day(state: tuple[object, ...]) -> dt.date:
    """The lessor's newest run day, else today."""
    last_day = state[0]
    return last_day if isinstance(last_day, dt.date) else dt.date.today()


def _wait_seconds(request: Request) -> float:
    return settings_of(request).first_view_wait_seconds


def _analytics(
    request: Request, user: ConsoleUser, day: dt.date, state: tuple[object, ...], wait: float
) -> Kept | None:
    """The lessor's analytics of `day`, or None while they are still being computed after `wait` seconds; the
    computation draws the page's charts too (the user's language first)."""
    engine = request.app.state.engine
    allocation = Allocation.from_settings(settings_of(request).book)
    rules = _rules(request)
    return _cache(request).get(
        (user.lessor, day, state),
        lambda: analytics_of_store(engine, day, allocation=allocation, lessor=user.lessor, rules=rules),
        wait,
        draw=lambda found, lang: _draw_page_charts(found, rules, lang),
        lang=user.lang,
    )


def _day_of(value: str | None, form: FormState, lang: Lang) -> dt.date | None:
    if value is None or not value.strip():
        return None
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        form.add("as_of", BAD_DATE, lang)
        return None
    if day > dt.date.today():
        form.add("as_of", FUTURE_DATE, lang)
        return None
    return day


# --- the page -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """A chart as the page shows it: its title, what it shows in words (the image's text alternative), and the
    table of its figures."""

    name: str
    title: str
    description: str
    table: PeopleTable


def _say(zh: str, en: str, lang: Lang, **params: object) -> str:
    return Label(zh, en).text(lang, **params)


def _charts(found: AnalyticsTables, rules: AnalyticsRules, lang: Lang) -> list[Chart]:
    charts = [
        Chart(
            "vintage",
            _say("账龄分析（Vintage）", "Vintage curves", lang),
            _say(
                "折线图：按起租批次，逾期达到 {thresholds} 天的合同累计占比随账龄（月）的变化；每半年的数据见下表。",
                "Line chart: by cohort, the cumulative share of contracts reaching {thresholds} days past due by "
                "months on book; every sixth month in the table below.",
                lang,
                thresholds=" / ".join(str(value) for value in rules.vintage.dpd_thresholds),
            ),
            people_table(vintage_table(found.vintage), rules, lang, TABLE_ROWS),
        ),
        Chart(
            "roll_rates",
            _say("滚动率矩阵", "Roll-rate matrix", lang),
            _say(
                "热力图：近 {months} 个月，各逾期档位的合同在下一个月末所处档位的占比；行是原档位，列是现档位。",
                "Heat map: over the last {months} months, where the contracts of each DPD bucket stood a month "
                "later, as shares; rows are the origin, columns the destination.",
                lang,
                months=rules.roll_rates.months,
            ),
            people_table(found.roll_matrix, rules, lang, TABLE_ROWS),
        ),
    ]
    if found.migration_matrix is not None and found.migration_from is not None:
        charts.append(
            Chart(
                "migration",
                _say("五级分类迁徙", "Class migration", lang),
                _say(
                    "热力图：{earlier} 与 {day} 之间，各分类的合同数迁往的分类；行是原分类，列是现分类。",
                    "Heat map: contracts by their class on {earlier} (rows) and on {day} (columns).",
                    lang,
                    earlier=found.migration_from,
                    day=found.as_of,
                ),
                people_table(found.migration_matrix, rules, lang, TABLE_ROWS),
            )
        )
    if found.npl is not None:
        for dimension in PAGE_DIMENSIONS:
            if dimension not in rules.npl_dimensions:
                continue
            rows = npl_rows(found.npl, dimension)
            worst = rows.sort(["npl_ratio", "value"], descending=[True, False]).head(1)
            name_zh, name_en = dimension_label(dimension, "zh"), dimension_label(dimension, "en")
            highest = ""
            if worst.height and worst["npl_ratio"][0] is not None:
                highest = _say(
                    "不良率最高的是 {value}（{ratio:.2%}）。",
                    "The highest is {value} ({ratio:.2%}).",
                    lang,
                    value=worst["value"][0],
                    ratio=float(worst["npl_ratio"][0]),
                )
            charts.append(
                Chart(
                    f"npl_{dimension}",
                    _say(
                        "按{name}的不良率",
                        "NPL ratio by {name}",
                        lang,
                        name=name_zh if lang == "zh" else name_en,
                    ),
                    _say(
                        "条形图：按{name}，不良债权余额占债权余额的比例（债权余额最大的前 25 项）。",
                        "Bar chart: by {name}, the NPL claim balance as a share of the claim balance (the 25 "
                        "largest by claim balance). ",
                        lang,
                        name=name_zh if lang == "zh" else name_en,
                    )
                    + highest,
                    people_table(npl_table(found.npl, dimension), rules, lang, TABLE_ROWS),
                )
            )
    return charts


def _results(request: Request, user: ConsoleUser, day: dt.date, kept: Kept | None) -> dict[str, Any]:
    """What the results part of the page shows: the analytics, why there are none, or that they are coming."""
    lang = user.lang
    if kept is None:
        return {"pending": True, "found": None, "charts": []}
    if kept.tables is None:
        error = kept.error
        message = (
            NO_BOOK.text(lang) if isinstance(error, NotFoundError) or error is None else error.text(lang)
        )
        return {"pending": False, "found": None, "charts": [], "results_error": message}
    found = kept.tables
    return {
        "pending": False,
        "found": found,
        "summary": found.summary,
        "notes": found.notes_in(lang),
        "charts": _charts(found, _rules(request), lang),
    }


@router.get("/analytics", response_class=HTMLResponse)
def analytics_page(request: Request, user: CanReadBook, as_of: AsOf = None) -> HTMLResponse:
    """The lessor's analytics of `as_of` (default: its newest run day): a summary, each chart with a text
    alternative, and each chart's table behind a <details>; while they are computed, a note that loads them."""
    lang = user.lang
    form = FormState(values={"as_of": as_of or ""})
    asked = _day_of(as_of, form, lang)
    state = _store_state(request.app.state.engine, user.lessor)
    day = asked or _default_day(state)
    context: dict[str, Any] = {
        "title": TITLE.text(lang), "form": form, "day": day, "found": None, "charts": [], "pending": False,
    }  # fmt: skip
    if form.failed:
        return render(request, "analytics.html", context, status_code=422)
    form.values["as_of"] = day.isoformat()
    context.update(
        _results(request, user, day, _analytics(request, user, day, state, _wait_seconds(request)))
    )
    return render(request, "analytics.html", context)


@router.get("/analytics/results", response_class=HTMLResponse)
def analytics_results(request: Request, user: CanReadBook, as_of: AsOf = None) -> HTMLResponse:
    """The results part of /analytics (htmx asks for it while they are computed): the analytics once ready,
    else the note again, which asks again a little later."""
    form = FormState()
    state = _store_state(request.app.state.engine, user.lessor)
    day = _day_of(as_of, form, user.lang) or _default_day(state)
    kept = _analytics(request, user, day, state, min(1.0, _wait_seconds(request)))
    context = {"day": day, **_results(request, user, day, kept)}
    return render(request, "analytics_results.html", context)


def page_chart_names(found: AnalyticsTables, rules: AnalyticsRules) -> list[str]:
    """The charts the page shows for these analytics, by name (as `_charts` lists them)."""
    names = ["vintage", "roll_rates"]
    if found.migration_matrix is not None and found.migration_from is not None:
        names.append("migration")
    if found.npl is not None:
        names += [f"npl_{d}" for d in PAGE_DIMENSIONS if d in rules.npl_dimensions]
    return names


def _draw_page_charts(found: AnalyticsTables, rules: AnalyticsRules, lang: Lang) -> dict[str, bytes]:
    """Every chart the page shows, drawn in `lang` (the background computation's last step)."""
    drawn = {}
    for name in page_chart_names(found, rules):
        image = _draw(found, rules, name, lang)
        if image is not None:
            drawn[name] = image
    return drawn


def _draw(found: AnalyticsTables, rules: AnalyticsRules, name: str, lang: Lang) -> bytes | None:
    if name == "vintage":
        return vintage_chart(found.vintage, lang)
    if name == "roll_rates":
        return roll_chart(found.roll_matrix, rules, lang)
    if name == "migration" and found.migration_matrix is not None:
        return migration_chart(found.migration_matrix, lang)
    dimension = name.removeprefix("npl_")
    if found.npl is not None and name.startswith("npl_") and dimension in PAGE_DIMENSIONS:
        return npl_chart(found.npl, dimension, lang, rules)
    return None


@router.get("/analytics/charts/{name}.png")
def analytics_chart(request: Request, user: CanReadBook, name: str, as_of: AsOf = None) -> Response:
    """One chart of the page as a PNG, drawn once per lessor, day, store state and language (by the background
    computation, unless it is asked for before that has drawn it)."""
    lang = user.lang
    form = FormState()
    state = _store_state(request.app.state.engine, user.lessor)
    day = _day_of(as_of, form, lang) or _default_day(state)
    if form.failed:
        raise NotFoundError(CHART_NOT_FOUND, name=name)
    kept = _analytics(request, user, day, state, CHART_WAIT_SECONDS)
    found = kept.tables if kept is not None else None
    if found is None or not _draw_known(found, name):
        raise NotFoundError(CHART_NOT_FOUND, name=name)
    rules = _rules(request)
    image = _cache(request).chart(kept, name, lang, lambda: _draw(found, rules, name, lang) or b"")  # type: ignore[arg-type]
    return Response(
        image,
        media_type="image/png",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


def _draw_known(found: AnalyticsTables, name: str) -> bool:
    """Whether the page has a chart called `name` for these analytics."""
    if name in ("vintage", "roll_rates"):
        return True
    if name == "migration":
        return found.migration_matrix is not None
    return name.startswith("npl_") and name.removeprefix("npl_") in PAGE_DIMENSIONS and found.npl is not None
