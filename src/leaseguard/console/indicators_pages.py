"""/indicators: every indicator of the lessor's regime against its limit on a day — value, limit, headroom in
numbers and as a bar, breaches marked, the trend over the lessor's filed reports — the what-if of a new
contract, the filed reports with their HTML, XLSX and PDF to download, filing a report, and the balance-sheet
workbook (its template to download, the filled one to upload).

The pages parse, call usecases.regulatory_report and render: the day's report is `compute_regulatory_report`
on the balance sheet of the day (uploaded, else filed with the day's report: `balance_sheet_of`), the what-if
is `what_if`, filing is `file_regulatory_report` (one filing, every format, one evidence record). Reading is
`indicators:read`; filing and uploading the balance sheet are `indicators:file` (compliance, admin). Another
lessor's report is the 404 page, as one that does not exist."""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from sqlalchemy import func, select

from leaseguard.console import uploads
from leaseguard.console.auth import ConsoleUser, CsrfChecked, require_user, settings_of
from leaseguard.console.rendering import FormState, NavItem, add_nav, render
from leaseguard.errors import LeaseguardError, NotFoundError
from leaseguard.indicators.balance_sheet import BalanceSheet, BalanceSheetError, write_balance_sheet_template
from leaseguard.indicators.engine import IndicatorReport, IndicatorResult
from leaseguard.indicators.output import COMPARISON_SIGNS, STATUS_LABELS, Signature, SignOff, indicator_name
from leaseguard.indicators.output import show_value as shown
from leaseguard.indicators.rules import IndicatorRulesError, IndicatorRuleSet, load_rule_set
from leaseguard.money import grouped_yuan
from leaseguard.store.models import BIG_ID_MAX, BookRun, ImportRun
from leaseguard.tenancy import Action
from leaseguard.tenancy.service import lessor_name
from leaseguard.usecases import regulatory_report as reports
from leaseguard.vocabulary import Label, Lang

if TYPE_CHECKING:
    import polars as pl

router = APIRouter(include_in_schema=False)
TITLE = Label("监管指标", "Indicators")
add_nav(NavItem("/indicators", TITLE, Action.READ_INDICATORS, order=50))

CanRead = Annotated[ConsoleUser, Depends(require_user(Action.READ_INDICATORS))]
CanFile = Annotated[ConsoleUser, Depends(require_user(Action.FILE_INDICATORS))]
ReportId = Annotated[int, PathParam(ge=1, le=BIG_ID_MAX)]

PAGE = "/indicators"
UPLOAD_PATH = "/indicators/balance-sheet"
# What a filing from the console writes, and how each is served.
FILED_FORMATS = ("html", "xlsx", "pdf")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
FORMAT_LABELS = {
    "html": Label("网页（HTML）", "HTML"),
    "xlsx": Label("表格（XLSX）", "XLSX"),
    "pdf": Label("PDF", "PDF"),
}
STATUS_TONES = {"ok": "good", "warning": "warn", "breach": "bad", "missing_input": "bad"}
REPORTS_SHOWN = 50
TREND_REPORTS = 12

NO_REGIME = Label(
    "本出租人还没有监管类别，无法选定指标体系：{error}",
    "Your lessor has no regime yet, so no rule set applies: {error}",
)
NO_DAY = Label(
    "还没有资产负债表：请下载模板、填写后上传，或用 leaseguard report regulatory 报送一期报告。",
    "No balance sheet yet: download the template, fill it in and upload it, or file a report with "
    "leaseguard report regulatory.",
)
NO_SHEET_OF_DAY = Label(
    "{day} 还没有资产负债表：请下载模板，填写后在本页上传。",
    "There is no balance sheet of {day} yet: download the template, fill it in and upload it on this page.",
)
NOT_A_DAY = Label("请填写日期，格式为 YYYY-MM-DD。", "Enter a date as YYYY-MM-DD.")
NO_FILE = Label("请选择要上传的资产负债表（XLSX）。", "Choose the balance-sheet workbook (XLSX) to upload.")
NOT_XLSX = Label(
    "{name} 不是 XLSX 工作簿：请上传由模板填写的 .xlsx 文件，未保存任何内容。",
    "{name} is not an XLSX workbook: upload the template filled in, a .xlsx file; nothing was kept.",
)
TOO_LARGE = Label(
    "文件超过上限 {limit} MB，未读取也未保存（上限见 leaseguard.yaml 的 console.max_upload_mb）。",
    "The file is larger than the limit of {limit} MB; it was neither read nor kept (console.max_upload_mb in "
    "leaseguard.yaml).",
)
ACCEPTED = uploads.Accepted((".xlsx",), NOT_XLSX, NO_FILE, TOO_LARGE)
NOTHING_KEPT = Label("{error}。未保存任何内容。", "{error}. Nothing was kept.")
UPLOADED = Label(
    "已保存 {day} 的资产负债表（{name}），下方指标据此计算。",
    "The balance sheet of {day} ({name}) is kept; the indicators below are computed on it.",
)
FILED = Label(
    "报告 {id} 已报送：HTML、XLSX、PDF 已写出，报送记录已存证。",
    "Report {id} is filed: its HTML, XLSX and PDF are written and the filing is in the evidence log.",
)
NO_FILE_KEPT = Label(
    "报告 {id} 没有 {fmt} 文件可下载（不是从控制台报送的）。",
    "Report {id} has no {fmt} file to download (it was not filed from the console).",
)


# --- where the console keeps files ----------------------------------------------------------------------------

_TEMPORARY = threading.Lock()


def _kept(request: Request, kind: str) -> Path:
    """Under the workspace for `leaseguard serve`; without one (tests, `run_server`), a temporary folder made for
    the process (removed when the app is gone)."""
    settings = settings_of(request)
    chosen = settings.reports_dir if kind == "reports" else settings.balance_sheets_dir
    if chosen is not None:
        return chosen
    with _TEMPORARY:
        folder = getattr(request.app.state, "console_indicator_files", None)
        if folder is None:
            folder = tempfile.TemporaryDirectory(prefix="leaseguard-indicators-")
            request.app.state.console_indicator_files = folder
    return Path(folder.name) / kind


def _file_name(rule_set: str, lessor: str, day: dt.date, fmt: str) -> str:
    """A filed report's file, named as `leaseguard report regulatory` names it."""
    return f"regulatory-{rule_set}-{lessor}-{day.isoformat()}.{fmt}"


def _report_file(request: Request, summary: reports.ReportSummary, lessor: str, fmt: str) -> Path:
    return (
        _kept(request, "reports")
        / lessor
        / str(summary.id)
        / _file_name(summary.rule_set, lessor, summary.as_of, fmt)
    )


# --- what the page shows --------------------------------------------------------------------------------------


BAR_WIDTH, BAR_HEIGHT = 120, 14


def _bar(result: IndicatorResult, name: str, lang: Lang) -> Markup:
    """The indicator's value against its limit as a small SVG bar, the limit at its middle (a dark line), the
    bar's colour its status (the page's own status colours, which a <meter> would not take); its accessible name
    says value, limit and headroom in numbers, as the row's cells do."""
    if result.value is None or result.limit is None or result.limit <= 0:
        return Markup("")
    share = min(max(result.value / (2 * result.limit), Decimal(0)), Decimal(1))
    filled = round(float(share) * BAR_WIDTH, 1)
    middle = BAR_WIDTH // 2
    said = Label(
        "{name}：指标值 {value}，监管要求 {limit}，距限额 {headroom}",
        "{name}: value {value}, limit {limit}, headroom {headroom}",
    ).text(
        lang, name=name, value=shown(result, result.value), limit=_limit_text(result, lang),
        headroom=shown(result, result.headroom),
    )  # fmt: skip
    tone = STATUS_TONES.get(result.status, "none")
    return Markup(
        f'<svg class="bar" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" viewBox="0 0 {BAR_WIDTH} {BAR_HEIGHT}" '
        f'role="img" aria-label="{escape(said)}"><title>{escape(said)}</title>'
        f'<rect class="bar-track" x="0" y="0" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" rx="2"/>'
        f'<rect class="bar-fill bar-{tone}" x="0" y="0" width="{filled}" height="{BAR_HEIGHT}" rx="2"/>'
        f'<line class="bar-limit" x1="{middle}" x2="{middle}" y1="0" y2="{BAR_HEIGHT}"/></svg>'
    )


def _sparkline(points: list[reports.TrendPoint], result: IndicatorResult, lang: Lang) -> Markup:
    """The indicator over the filed reports as a small SVG (the limit dashed), with every value in its title and
    its accessible name."""
    values = [(p.as_of, p.value) for p in points if p.value is not None]
    if not values:
        return Markup("")
    width, height, pad = 120, 32, 3
    numbers = [float(v) for _, v in values]
    if result.limit is not None:
        numbers.append(float(result.limit))
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1.0

    def y(number: float) -> float:
        return round(height - pad - (number - low) / span * (height - 2 * pad), 1)

    step = (width - 2 * pad) / max(len(values) - 1, 1)
    coordinates = [(round(pad + i * step, 1), y(float(v))) for i, (_, v) in enumerate(values)]
    if len(values) == 1:
        coordinates = [(width / 2, coordinates[0][1])]  # one report: its value in the middle
    said = ("，" if lang == "zh" else ", ").join(f"{day.isoformat()} {shown(result, v)}" for day, v in values)
    name = Label("历次报送：{values}", "Filed reports: {values}").text(lang, values=said)
    parts = [
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(name)}"><title>{escape(name)}</title>'
    ]
    if result.limit is not None:
        limit_y = y(float(result.limit))
        parts.append(
            f'<line class="spark-limit" x1="{pad}" x2="{width - pad}" y1="{limit_y}" y2="{limit_y}"/>'
        )
    if len(coordinates) > 1:
        line = " ".join(f"{x},{y_}" for x, y_ in coordinates)
        parts.append(f'<polyline class="spark-line" points="{line}"/>')
    last_x, last_y = coordinates[-1]
    parts.append(f'<circle class="spark-dot" cx="{last_x}" cy="{last_y}" r="2.5"/></svg>')
    return Markup("".join(parts))


@dataclass(frozen=True)
class Row:
    """One indicator as the page shows it."""

    id: str
    name: str
    value: str
    limit: str
    headroom: str
    headroom_amount: str
    change: str
    status: str
    status_text: str
    tone: str
    bar: Markup
    trend: Markup


def _limit_text(result: IndicatorResult, lang: Lang) -> str:
    if result.limit is None:
        return "—"
    text = f"{COMPARISON_SIGNS.get(result.comparison, result.comparison)} {shown(result, result.limit)}"
    if result.buffered_limit is not None:
        text += Label("（含缓冲 {value}）", " (with buffer {value})").text(
            lang, value=shown(result, result.buffered_limit)
        )
    return text


def _status_text(code: str, lang: Lang) -> str:
    return STATUS_LABELS[code].text(lang) if code in STATUS_LABELS else code


def _yuan(fen: Decimal | None) -> str:
    return "—" if fen is None else grouped_yuan(int(fen.to_integral_value()))


def _row(r: IndicatorResult, trend: list[reports.TrendPoint], lang: Lang) -> Row:
    name = indicator_name(r.name, lang)
    return Row(
        r.id, name, shown(r, r.value), _limit_text(r, lang), shown(r, r.headroom), _yuan(r.headroom_amount_fen),
        shown(r, r.change), r.status, _status_text(r.status, lang), STATUS_TONES.get(r.status, ""),
        _bar(r, name, lang), _sparkline(trend, r, lang),
    )  # fmt: skip


def _rows(report: IndicatorReport, trends: dict[str, list[reports.TrendPoint]], lang: Lang) -> list[Row]:
    return [_row(r, trends.get(r.id, []), lang) for r in report.results]


@dataclass(frozen=True)
class Move:
    """One indicator of a what-if, before and after."""

    id: str
    name: str
    before: str
    after: str
    move: str
    status_before: str
    status_after: str
    tone_before: str
    tone_after: str
    moved: bool


def _move(m: reports.IndicatorMove, lang: Lang) -> Move:
    before, after = m.before, m.after
    return Move(
        before.id, indicator_name(before.name, lang), shown(before, before.value), shown(after, after.value),
        shown(after, m.move), _status_text(before.status, lang), _status_text(after.status, lang),
        STATUS_TONES.get(before.status, ""), STATUS_TONES.get(after.status, ""), m.moved,
    )  # fmt: skip


def _moves(outcome: reports.WhatIfOutcome, lang: Lang) -> list[Move]:
    return [_move(m, lang) for m in outcome.moves]


@dataclass(frozen=True)
class Filed:
    """A filed report in the list, with the formats the console kept files of."""

    summary: reports.ReportSummary
    formats: tuple[str, ...]


@dataclass
class Day:
    """The day the page is about, and what became of computing its report."""

    as_of: dt.date | None
    rule_set: str | None
    report: IndicatorReport | None = None
    problem: str = ""


def _parse_day(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _day_report(request: Request, user: ConsoleUser, asked: dt.date | None) -> tuple[Day, list[dt.date]]:
    """The rule set of the lessor's regime, the days it has a balance sheet of, and the report of the day asked
    (else the latest of those days)."""
    engine = request.app.state.engine
    try:
        rule_set = reports.regime_rule_set(engine, user.lessor)
    except IndicatorRulesError as error:
        return Day(None, None, problem=NO_REGIME.text(user.lang, error=error.text(user.lang))), []
    folder = _kept(request, "balance_sheets")
    filed_days = set(reports.filed_days(engine, user.lessor, rule_set=rule_set, limit=500))
    days = sorted(set(reports.uploaded_balance_sheet_days(folder, user.lessor)) | filed_days, reverse=True)
    day = asked or (days[0] if days else None)
    if day is None:
        return Day(None, rule_set, problem=NO_DAY.text(user.lang)), days
    try:
        sheet = _sheet_of(request, user, day)
        request_ = reports.ReportRequest(
            user.lessor, day, _rule_set(rule_set), sheet, draft=bool(sheet.problems)
        )
        return Day(day, rule_set, _report(request, request_)), days
    except LeaseguardError as error:
        return Day(day, rule_set, problem=error.text(user.lang)), days


@functools.lru_cache(maxsize=8)
def _rule_set(name: str) -> IndicatorRuleSet:
    """A rule set by the name a regime gives (a shipped one, or a workspace's file read once per process)."""
    return load_rule_set(name)


REPORTS_KEPT = 16
_reports_kept: OrderedDict[tuple[object, ...], IndicatorReport] = OrderedDict()
_reports_lock = threading.Lock()
# The lessor's book of a day as the indicators read it (a frame of its classified contracts): the what-if and a
# filing compute on it again, and reading it is most of their cost on a big book.
BOOKS_KEPT = 4
_books_kept: OrderedDict[tuple[object, ...], pl.DataFrame] = OrderedDict()


def _book_state(request: Request, lessor: str, day: dt.date) -> tuple[object, ...]:
    """What the lessor's book of a day depends on: when the day was last run for the lessor, and the newest
    import (the contracts' lessee, group and related-party columns come from the imports)."""
    with request.app.state.engine.connect() as connection:
        run = connection.execute(
            select(BookRun.finished_at).where(BookRun.as_of == day, BookRun.lessor == lessor)
        ).scalar_one_or_none()
        imported = connection.execute(select(func.max(ImportRun.id))).scalar_one_or_none()
    return (run, imported)


def _book(request: Request, lessor: str, day: dt.date) -> pl.DataFrame:
    """`read_book` of the lessor's day, kept while the day is not run again and nothing is imported."""
    engine = request.app.state.engine
    key = (id(request.app), lessor, day, *_book_state(request, lessor, day))
    with _reports_lock:
        kept = _books_kept.get(key)
        if kept is not None:
            _books_kept.move_to_end(key)
            return kept
    from leaseguard.indicators.service import read_book

    book = read_book(engine, lessor, day)
    with _reports_lock:
        _books_kept[key] = book
        while len(_books_kept) > BOOKS_KEPT:
            _books_kept.popitem(last=False)
    return book


def _report(request: Request, asked: reports.ReportRequest) -> IndicatorReport:
    """The day's report (`compute_regulatory_report`), kept in memory while the day's run, the imports, the
    lessor's filings of earlier days (its change), the balance sheet and the rule set stay as they were: computing
    it on a big book takes a quarter of a second, and a page is viewed again and again between runs; filing the
    day's report files the very report its page showed."""
    engine = request.app.state.engine
    key = (
        id(request.app), asked.lessor, asked.as_of, asked.rule_set.digest, asked.balance_sheet.digest,
        asked.draft, *reports.book_version(engine, asked.lessor, asked.as_of, rule_set=asked.rule_set.id),
        *_book_state(request, asked.lessor, asked.as_of),
    )  # fmt: skip
    with _reports_lock:
        kept = _reports_kept.get(key)
        if kept is not None:
            _reports_kept.move_to_end(key)
            return kept
    report = reports.compute_regulatory_report(engine, asked, book=_book(request, asked.lessor, asked.as_of))
    with _reports_lock:
        _reports_kept[key] = report
        while len(_reports_kept) > REPORTS_KEPT:
            _reports_kept.popitem(last=False)
    return report


def _sheet_of(request: Request, user: ConsoleUser, day: dt.date) -> BalanceSheet:
    """The balance sheet of the day (`balance_sheet_of`); without one, what to do about it, in the console's words."""
    engine = request.app.state.engine
    try:
        return reports.balance_sheet_of(engine, _kept(request, "balance_sheets"), user.lessor, day)
    except reports.NoBalanceSheetError:
        raise reports.NoBalanceSheetError(NO_SHEET_OF_DAY, day=day) from None


@dataclass(frozen=True)
class FiledPage:
    """A page of the filed reports, newest first: where it starts, and where the pages beside it start."""

    reports: list[Filed]
    start: int
    newer: int | None  # where the page of newer reports starts; None on the first page
    older: int | None  # where the page of older reports starts; None when there are no older ones


def _filed(request: Request, user: ConsoleUser, start: int) -> FiledPage:
    listed = reports.filed_reports(
        request.app.state.engine, user.lessor, limit=REPORTS_SHOWN + 1, offset=start
    )
    shown = [
        Filed(s, tuple(f for f in FILED_FORMATS if _report_file(request, s, user.lessor, f).is_file()))
        for s in listed[:REPORTS_SHOWN]
    ]
    newer = max(start - REPORTS_SHOWN, 0) if start > 0 else None
    return FiledPage(shown, start, newer, start + REPORTS_SHOWN if len(listed) > REPORTS_SHOWN else None)


def _page(
    request: Request, user: ConsoleUser, *, asked: dt.date | None = None, what_if_form: FormState | None = None,
    outcome: reports.WhatIfOutcome | None = None, file_form: FormState | None = None,
    upload_form: FormState | None = None, notice: str = "", status_code: int = 200,
    headers: dict[str, str] | None = None, reports_from: int = 0,
) -> HTMLResponse:  # fmt: skip
    lang = user.lang
    day, days = _day_report(request, user, asked)
    trends = (
        reports.indicator_trends(request.app.state.engine, user.lessor, day.rule_set, reports=TREND_REPORTS)
        if day.rule_set
        else {}
    )
    shown_day = day.as_of.isoformat() if day.as_of else ""
    if what_if_form is None:
        what_if_form = FormState(values={"as_of": shown_day, "lessee_type": "enterprise"})
    if file_form is None:
        file_form = FormState(values={"as_of": shown_day})
    return render(
        request,
        "indicators.html",
        {
            "title": TITLE.text(lang),
            "day": day,
            "days": days,
            "rows": _rows(day.report, trends, lang) if day.report else [],
            "lessor_label": lessor_name(request.app.state.engine, user.lessor) or user.lessor,
            "filed": _filed(request, user, reports_from),
            "format_label": lambda fmt: FORMAT_LABELS[fmt].text(lang),
            "what_if_form": what_if_form,
            "moves": _moves(outcome, lang) if outcome else [],
            "outcome": outcome,
            "file_form": file_form,
            "upload_form": upload_form or FormState(),
            "may_file": user.may(Action.FILE_INDICATORS),
            "notice": notice,
            "lessee_types": [(code, label.text(lang)) for code, label in reports.LESSEE_TYPE_LABELS.items()],
            "sizes": [(code, label.text(lang)) for code, label in reports.ENTERPRISE_SIZE_LABELS.items()],
            "max_upload_mb": settings_of(request).max_upload_mb,
        },
        status_code=status_code,
        headers=headers,
    )


@router.get(PAGE, response_class=HTMLResponse)
def indicators_page(
    request: Request,
    user: CanRead,
    as_of: Annotated[str | None, Query(max_length=10)] = None,
    filed: Annotated[int | None, Query(ge=1, le=BIG_ID_MAX)] = None,
    uploaded: Annotated[str | None, Query(max_length=255)] = None,
    reports_from: Annotated[int, Query(ge=0, le=BIG_ID_MAX)] = 0,
) -> HTMLResponse:
    """The indicators of a day (the latest with a balance sheet unless `as_of` names one), the forms, the list
    of filed reports (a page of them from the `reports_from` newest on)."""
    notice = ""
    day = _parse_day(as_of)
    if filed is not None:
        notice = FILED.text(user.lang, id=filed)
    elif uploaded and day is not None:
        notice = UPLOADED.text(user.lang, day=day, name=uploaded)
    return _page(request, user, asked=day, notice=notice, reports_from=reports_from)


# --- what if ---------------------------------------------------------------------------------------------------


@router.post(PAGE + "/what-if", response_class=HTMLResponse)
def what_if(
    request: Request,
    user: CanRead,
    _csrf: CsrfChecked,
    as_of: Annotated[str, Form(max_length=64)] = "",
    lessee_id: Annotated[str, Form(max_length=1000)] = "",
    lessee_name: Annotated[str, Form(max_length=1000)] = "",
    lessee_type: Annotated[str, Form(max_length=64)] = "enterprise",
    principal: Annotated[str, Form(max_length=64)] = "",
    group_id: Annotated[str, Form(max_length=1000)] = "",
    related_party: Annotated[str, Form(max_length=8)] = "",
    enterprise_size: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    """Which indicators a new contract moves: the day's report before and after (`what_if`); a field that
    cannot be used comes back with its message beside it and nothing is computed."""
    lang = user.lang
    form = FormState(
        values={
            "as_of": as_of, "lessee_id": lessee_id, "lessee_name": lessee_name, "lessee_type": lessee_type,
            "principal": principal, "group_id": group_id, "related_party": "on" if related_party else "",
            "enterprise_size": enterprise_size,
        }
    )  # fmt: skip
    day = _parse_day(as_of)
    if day is None:
        form.add("as_of", NOT_A_DAY, lang)
    try:
        contract = reports.new_contract(
            lessee_id=lessee_id, principal=principal, lessee_name=lessee_name, lessee_type=lessee_type,
            group_id=group_id or None, related_party=bool(related_party),
            enterprise_size=(enterprise_size or None) if lessee_type == "enterprise" else None,
        )  # fmt: skip
    except reports.WhatIfFieldError as error:
        form.add(error.field, error, lang)
    if form.failed or day is None:
        return _page(request, user, what_if_form=form, status_code=422)
    engine = request.app.state.engine
    try:
        rule_set = _rule_set(reports.regime_rule_set(engine, user.lessor))
        sheet = _sheet_of(request, user, day)
        report = reports.ReportRequest(user.lessor, day, rule_set, sheet, draft=bool(sheet.problems))
        outcome = reports.what_if(
            engine, reports.WhatIfRequest(report, contract), book=_book(request, user.lessor, day),
            before=_report(request, report),
        )  # fmt: skip
    except LeaseguardError as error:
        # What the day lacks (a balance sheet, a daily run, an item) is said beside the day.
        form.add("as_of", error, lang)
        return _page(request, user, what_if_form=form, status_code=422)
    return _page(request, user, asked=day, what_if_form=form, outcome=outcome)


# --- filing a report ------------------------------------------------------------------------------------------


@router.post(PAGE + "/reports", response_class=HTMLResponse)
def file_report(
    request: Request,
    user: CanFile,
    _csrf: CsrfChecked,
    as_of: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """File the day's report (`file_regulatory_report`: one filing, HTML, XLSX and PDF, one evidence record),
    prepared by the user; a day that cannot be filed says why beside the day, and nothing is kept."""
    lang = user.lang
    form = FormState(values={"as_of": as_of})
    day = _parse_day(as_of)
    if day is None:
        form.add("as_of", NOT_A_DAY, lang)
        return _page(request, user, file_form=form, status_code=422)
    engine = request.app.state.engine
    try:
        rule_set = _rule_set(reports.regime_rule_set(engine, user.lessor))
        sheet = _sheet_of(request, user, day)
        names = tuple((fmt, Path(_file_name(rule_set.id, user.lessor, day, fmt))) for fmt in FILED_FORMATS)
        filing = reports.FilingRequest(
            reports.ReportRequest(user.lessor, day, rule_set, sheet),
            names,
            lang,
            SignOff(prepared=Signature(user.username, dt.datetime.now(dt.UTC).date())),
            f"leaseguard console ({user.username})",
            into=_kept(request, "reports") / user.lessor,
        )
        # The day's report as its page showed it (kept while the store is as it was), not computed again.
        filed = reports.file_regulatory_report(
            engine, filing, signer=request.app.state.evidence_signer, report=_report(request, filing.report)
        )
    except LeaseguardError as error:
        form.add("as_of", error, lang)
        return _page(request, user, asked=day, file_form=form, status_code=422)
    return RedirectResponse(
        f"{PAGE}?as_of={day.isoformat()}&filed={filed.report_id}#reports", status_code=303
    )


@router.get(PAGE + "/reports/{report_id}/{fmt}")
def download_report(request: Request, user: CanRead, report_id: ReportId, fmt: str) -> Response:
    """A filed report's HTML, XLSX or PDF as the filing wrote it; another lessor's report is the 404 page."""
    record = reports.filed_report(request.app.state.engine, user.lessor, report_id)
    if fmt not in FILED_FORMATS:
        raise NotFoundError(NO_FILE_KEPT, id=report_id, fmt=fmt)
    path = _report_file(request, record.summary, user.lessor, fmt)
    if not path.is_file():
        raise NotFoundError(NO_FILE_KEPT, id=report_id, fmt=fmt.upper())
    return Response(
        path.read_bytes(),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{path.name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            # Should a browser show the HTML report in place after all, it runs nothing and loads nothing.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
        },
    )


# --- the balance-sheet workbook -------------------------------------------------------------------------------


@router.get(UPLOAD_PATH + "/template")
def balance_sheet_template(
    request: Request, user: CanRead, as_of: Annotated[str | None, Query(max_length=10)] = None
) -> Response:
    """The empty workbook a finance team fills (`report balance-sheet --template`), with the lessor filled in."""
    day = _parse_day(as_of)
    name = lessor_name(request.app.state.engine, user.lessor)
    with tempfile.TemporaryDirectory(prefix="leaseguard-template-") as folder:
        path = Path(folder) / "balance-sheet.xlsx"
        write_balance_sheet_template(path, lessor=user.lessor, lessor_name=name, as_of=day)
        data = path.read_bytes()
    file_name = f"balance-sheet-{user.lessor}{'-' + day.isoformat() if day else ''}.xlsx"
    return Response(
        data,
        media_type=MEDIA_TYPES["xlsx"],
        headers={"Content-Disposition": f'attachment; filename="{file_name}"', "Cache-Control": "no-store"},
    )


@router.post(UPLOAD_PATH, response_class=HTMLResponse)
async def upload_balance_sheet(request: Request, user: CanFile) -> Response:
    """Keep an uploaded balance sheet as the lessor's of its day (`keep_balance_sheet`). Its size is judged on
    the declared length before the body is read, the CSRF token after; a workbook that cannot be used is said
    beside the file field — the sheet and cell, and why — and nothing is kept."""
    settings = settings_of(request)
    lang = user.lang
    form = FormState()

    async def refused(status_code: int, headers: dict[str, str] | None = None) -> Response:
        page: HTMLResponse = await run_in_threadpool(
            lambda: _page(request, user, upload_form=form, status_code=status_code, headers=headers)
        )
        return page

    received = await uploads.receive(request, settings, form, lang, ACCEPTED, uploads.read_capped(settings))
    if isinstance(received, uploads.Refusal):
        return await refused(received.status, received.headers)
    data, name = received
    if len(data) > settings.max_upload_bytes:
        form.add("file", TOO_LARGE, lang, limit=settings.max_upload_mb)
        return await refused(413)
    folder = _kept(request, "balance_sheets")
    try:
        sheet = await run_in_threadpool(reports.keep_balance_sheet, folder, user.lessor, data, name=name)
    except BalanceSheetError as error:
        form.add("file", NOTHING_KEPT, lang, error=error.text(lang))
        return await refused(422)
    return RedirectResponse(
        f"{PAGE}?as_of={sheet.as_of.isoformat()}&uploaded={_quoted(name)}", status_code=303
    )


def _quoted(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
