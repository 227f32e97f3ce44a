"""/ : the overview of the user's lessor — book size, NPL ratio and provision coverage against their limits,
today's alerts, the last daily run — and /overview/classes, the chart of classes over the last run days, which
the page loads with htmx after it is shown. Figures come from usecases.book_overview; a run day's figures are
kept in memory (they do not change until the day is run again)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from leaseguard.console.auth import ConsoleUser, require_user
from leaseguard.console.rendering import NavItem, add_nav, render
from leaseguard.indicators.output import indicator_name
from leaseguard.tenancy import Action
from leaseguard.usecases.book_overview import DayFigures, RunDayCache, book_overview, classes_over_time
from leaseguard.vocabulary import CLASS_LABELS, CLASS_LABELS_EN, CLASSES, Label, Lang, label_of

router = APIRouter(include_in_schema=False)
TITLE = Label("概览", "Overview")
add_nav(NavItem("/", TITLE, Action.READ_CONTRACTS, order=0))

CanReadBook = Annotated[ConsoleUser, Depends(require_user(Action.READ_CONTRACTS))]

STATUS_LABELS: dict[str, Label] = {
    "ok": Label("达标", "within the limit"),
    "warning": Label("接近限额", "near the limit"),
    "breach": Label("超出限额", "beyond the limit"),
    "no_limit": Label("仅报送，不设限额", "reported only, no limit"),
    "undefined": Label("无法计算", "cannot be computed"),
    "missing_input": Label("缺少数据", "input missing"),
    "absent": Label("规则集未设此指标", "not in the rule set"),
}
STATUS_TONES = {"ok": "good", "warning": "warn", "breach": "bad"}
# Best to worst, green to dark red; each keeps 4.5:1 against white for the legend's text beside it.
CLASS_COLOURS = {
    "normal": "#2f855a", "special_mention": "#b7791f", "substandard": "#c05621", "doubtful": "#c53030",
    "loss": "#742a2a",
}  # fmt: skip

CHART_WIDTH = 760
CHART_LABEL = 110
CHART_ROW = 30


def _cache(request: Request) -> RunDayCache:
    cache = getattr(request.app.state, "overview_figures", None)
    if cache is None:
        cache = request.app.state.overview_figures = RunDayCache()
    return cache


def class_label(klass: str | None, lang: Lang) -> str:
    if klass is None:
        return Label("新增", "new").text(lang)
    return label_of(CLASS_LABELS, CLASS_LABELS_EN, klass, lang)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, user: CanReadBook) -> HTMLResponse:
    """The user's lessor at a glance."""
    found = book_overview(request.app.state.engine, user.lessor, cache=_cache(request))
    return render(
        request,
        "overview.html",
        {
            "title": TITLE.text(user.lang),
            "o": found,
            "status_label": lambda status: STATUS_LABELS.get(status, Label(status, status)).text(user.lang),
            "tone": lambda status: STATUS_TONES.get(status, ""),
            "class_label": lambda klass: class_label(klass, user.lang),
            "indicator_label": lambda name: indicator_name(name, user.lang),
        },
    )


@dataclass(frozen=True, slots=True)
class Segment:
    klass: str
    x: float
    width: float
    colour: str
    share: Decimal


@dataclass(frozen=True, slots=True)
class Bar:
    figures: DayFigures
    y: int
    segments: tuple[Segment, ...]


def chart_bars(days: list[DayFigures]) -> list[Bar]:
    """Each day a bar across the chart, cut by the classes' shares of the claim balance."""
    span = CHART_WIDTH - CHART_LABEL
    bars = []
    for row, figures in enumerate(days):
        x = float(CHART_LABEL)
        segments = []
        for klass in CLASSES:
            share = figures.share(klass)
            width = float(share) * span
            if width > 0:
                segments.append(Segment(klass, x, width, CLASS_COLOURS[klass], share))
                x += width
        bars.append(Bar(figures, row * CHART_ROW, tuple(segments)))
    return bars


@router.get("/overview/classes", response_class=HTMLResponse)
def classes_chart(request: Request, user: CanReadBook) -> HTMLResponse:
    """The classes' shares of the claim balance on the last run days: a chart and the same figures as a table."""
    days = classes_over_time(request.app.state.engine, user.lessor, cache=_cache(request))
    return render(
        request,
        "overview_classes.html",
        {
            "days": days,
            "bars": chart_bars(days),
            "classes": CLASSES,
            "colours": CLASS_COLOURS,
            "class_label": lambda klass: class_label(klass, user.lang),
            "chart_width": CHART_WIDTH,
            "chart_label": CHART_LABEL,
            "chart_row": CHART_ROW,
        },
    )
