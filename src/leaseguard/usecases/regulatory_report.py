"""Compute and file a regulatory indicator report: `leaseguard report regulatory` and the console's
/indicators file it, the indicators API and the console compute the live report of a day through the same
function, so all read the same book the same way. The what-if (`report what-if`, the API's and the console's),
the filed reports and their trend, the balance sheet of a day and the one a finance team uploads are here too,
one function each, for every edge to call.

Filing is once for every format asked for: one stored report, its alerts and one evidence record naming every
file written with its SHA-256, in one transaction. The files are written beside their final names first and
put in place only when all of them are, and removed again if the transaction fails: a filing leaves either
the report and all its files, or nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, Select, func, select

from leaseguard.errors import InvalidInputError, NotFoundError
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.indicators.balance_sheet import BalanceSheet
from leaseguard.indicators.engine import (
    IndicatorReport,
    IndicatorResult,
    NewContract,
    compute_report,
    with_contract,
)
from leaseguard.indicators.output import FORMATS, ReportPaper, SignOff, render
from leaseguard.indicators.rules import IndicatorRuleSet, load_risk_weights
from leaseguard.indicators.service import (
    FiledFile,
    deposit_filing,
    previous_values,
    read_book,
    store_report,
)
from leaseguard.money import MoneyError, parse_fen
from leaseguard.store.db import session_factory
from leaseguard.store.models import IndicatorReport as ReportRow
from leaseguard.store.models import Lessor
from leaseguard.tenancy.service import lessor_name
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang


class ReportFileError(InvalidInputError):
    """A report file that cannot be written (its folder is missing or not writable); nothing was filed."""


_CANNOT_WRITE = Label("{path}：无法写出报告（{reason}）", "{path}: cannot write the report ({reason})")


@dataclass(frozen=True)
class ReportRequest:
    """What a report is computed from: the lessor's book of `as_of` under `rule_set`, with its balance sheet."""

    lessor: str
    as_of: dt.date
    rule_set: IndicatorRuleSet
    balance_sheet: BalanceSheet
    margin: Decimal | None = None
    draft: bool = False


@dataclass(frozen=True)
class FilingRequest:
    """A report to file and the files to write, one per format (`FORMATS`), in the reader's language."""

    report: ReportRequest
    outputs: tuple[tuple[str, Path], ...]
    lang: Lang = DEFAULT_LANG
    sign_off: SignOff = field(default_factory=SignOff)
    produced_by: str = "leaseguard"
    # With a folder, each output's path is taken inside `into/<report id>/` (the folder made for the filing), so
    # whoever keeps the files finds them again by the report's id (the console's downloads).
    into: Path | None = None


@dataclass(frozen=True)
class FiledReport:
    report: IndicatorReport
    report_id: int
    lessor_name: str
    files: tuple[tuple[Path, FiledFile], ...]
    evidence_index: int | None  # the first record of the filing in the evidence log (its alerts, then itself)


def compute_regulatory_report(
    engine: Engine, request: ReportRequest, *, book: pl.DataFrame | None = None
) -> IndicatorReport:
    """Every indicator of the rule set on the lessor's book of the day, with the change since its last filed
    report. IndicatorInputError (no such lessor, no daily run) and MissingInputError (an item the rule set
    needs) name what is missing. `book`: the lessor's book of the day as `read_book` gave it already (a server
    keeps it between requests); else it is read."""
    if book is None:
        book = read_book(engine, request.lessor, request.as_of)
    return _report_on(engine, request, book)


def _report_on(engine: Engine, request: ReportRequest, book: pl.DataFrame) -> IndicatorReport:
    """The report of `request` on `book` (read_book of its lessor and day)."""
    before_day, before = previous_values(engine, request.lessor, request.rule_set.id, request.as_of)
    return compute_report(
        request.rule_set, request.balance_sheet, book, load_risk_weights(), as_of=request.as_of,
        margin=request.margin, draft=request.draft, previous=before, previous_as_of=before_day,
    )  # fmt: skip


def file_regulatory_report(
    engine: Engine,
    request: FilingRequest,
    *,
    signer: NoteSigner | None,
    book: pl.DataFrame | None = None,
    report: IndicatorReport | None = None,
) -> FiledReport:
    """Compute the report, keep it with its balance sheet, write every file asked for and deposit its alerts
    and the filing (with a `signer`) in the evidence log — all or nothing. `report`: the report of
    `request.report` as `compute_regulatory_report` gave it while the store was as it is (a server keeps the
    day's report between its page and the filing); else it is computed here, on `book` if given."""
    unknown = [fmt for fmt, _ in request.outputs if fmt not in FORMATS]
    if unknown or not request.outputs:
        raise InvalidInputError(
            Label("formats：请从 {formats} 中选择", "formats: choose among {formats}"),
            formats=", ".join(FORMATS),
        )
    if report is None:
        report = compute_regulatory_report(engine, request.report, book=book)
    elif not _report_of(report, request.report):
        raise ValueError("the report given is not the report of the filing's request")
    name = lessor_name(engine, report.lessor)
    placed: list[Path] = []
    made: Path | None = None
    try:
        with session_factory(engine)() as session, session.begin():
            row = store_report(session, report, request.report.balance_sheet.as_json())
            paper = ReportPaper(
                report, lessor_name=name, lang=request.lang, sign_off=request.sign_off, report_id=row.id
            )
            outputs = request.outputs
            if request.into is not None:
                folder = request.into / str(row.id)
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise ReportFileError(
                        _CANNOT_WRITE, path=folder, reason=error.strerror or error
                    ) from None
                made = folder
                outputs = tuple((fmt, folder / path.name) for fmt, path in outputs)
            contents = [(fmt, path, render(paper, fmt)) for fmt, path in outputs]
            files = tuple(
                (path, FiledFile(fmt, path.name, hashlib.sha256(data).hexdigest(), len(data)))
                for fmt, path, data in contents
            )
            deposit_filing(
                session,
                row,
                report,
                signer=signer,
                produced_by=request.produced_by,
                files=[f for _, f in files],
            )
            _write_all([(path, data) for _, path, data in contents], placed)
            report_id, evidence_index = row.id, row.evidence_index
    except BaseException:
        for path in placed:
            with contextlib.suppress(OSError):
                path.unlink()
        if made is not None:
            with contextlib.suppress(OSError):
                made.rmdir()  # the report's id is not kept: its folder goes too (only if empty)
        raise
    return FiledReport(report, report_id, name, files, evidence_index)


def _report_of(report: IndicatorReport, request: ReportRequest) -> bool:
    """Whether `report` was computed for `request` (its lessor, day, rule set and draft flag)."""
    return (
        report.lessor == request.lessor
        and report.as_of == request.as_of
        and report.rule_set.digest == request.rule_set.digest
        and report.draft == request.draft
    )


def _write_all(contents: list[tuple[Path, bytes]], placed: list[Path]) -> None:
    """Write every file beside its name, then put them all in place; `placed` lists those put in place."""
    partials: list[tuple[Path, Path]] = []
    try:
        for path, data in contents:
            partial = path.with_name(f".{path.name}.partial")
            try:
                partial.write_bytes(data)
            except OSError as error:
                raise ReportFileError(_CANNOT_WRITE, path=path, reason=error.strerror or error) from None
            partials.append((partial, path))
        for partial, path in partials:
            try:
                os.replace(partial, path)
            except OSError as error:
                raise ReportFileError(_CANNOT_WRITE, path=path, reason=error.strerror or error) from None
            placed.append(path)
    finally:
        for partial, _ in partials:
            with contextlib.suppress(OSError):
                partial.unlink()


# --- the rule set, the balance sheet of a day, the filed reports and their trend ------------------------------

NO_REGIME_RULES = Label("出租人 {lessor} 的监管类别：{error}", "lessor {lessor}'s regime: {error}")


class NoBalanceSheetError(NotFoundError):
    """No balance sheet of the day: neither filed with a report nor uploaded."""


class UnknownReportError(NotFoundError):
    """No filed report of that id at the caller's lessor (another lessor's answers the same)."""


NO_BALANCE_SHEET = Label(
    "{day} 没有已报送的资产负债表：请用 `leaseguard report regulatory --as-of {day}` 报送。",
    "No balance sheet is filed for {day}: file one with `leaseguard report regulatory --as-of {day}`.",
)
NO_SUCH_REPORT = Label("没有指标报告 {id}。", "No indicator report {id}.")


def regime_rule_set(engine: Engine, lessor: str, overrides: object = None) -> str:
    """The rule set of the lessor's regime (`lessors.extra.regime`); IndicatorRulesError while it has none."""
    from leaseguard.indicators.rules import default_rule_set_for

    with engine.connect() as connection:
        extra = connection.execute(select(Lessor.extra).where(Lessor.code == lessor)).scalar_one_or_none()
    return default_rule_set_for((extra or {}).get("regime"), overrides)


def filed_balance_sheet(engine: Engine, lessor: str, day: dt.date) -> BalanceSheet | None:
    """The balance sheet filed with the lessor's latest report of `day`, if any."""
    with engine.connect() as connection:
        row = connection.execute(
            select(ReportRow.balance_sheet)
            .where(ReportRow.lessor == lessor, ReportRow.as_of == day)
            .order_by(ReportRow.id.desc())
            .limit(1)
        ).first()
    if row is None or not row[0]:
        return None
    return BalanceSheet.from_json(row[0])


def book_version(
    engine: Engine, lessor: str, day: dt.date, *, rule_set: str | None = None
) -> tuple[object, ...]:
    """What a day's report depends on in the store besides its balance sheet and rule set: when the lessor's day
    was last run (its classes) and the newest filing its change since the last report can come from — the
    lessor's newest filed (non-draft) report of an earlier day (of `rule_set`, else of any). Equal versions,
    equal reports — for an edge that keeps a computed report while neither changes. Filing the day's own report
    (or a later day's) leaves the day's version as it was: the change is computed from earlier days only."""
    from leaseguard.store.models import BookRun

    earlier = select(func.max(ReportRow.id)).where(
        ReportRow.lessor == lessor, ReportRow.as_of < day, ReportRow.draft.is_(False)
    )
    if rule_set is not None:
        earlier = earlier.where(ReportRow.rule_set == rule_set)
    with engine.connect() as connection:
        run = connection.execute(
            select(BookRun.finished_at).where(BookRun.as_of == day, BookRun.lessor == lessor)
        ).scalar_one_or_none()
        filed = connection.execute(earlier).scalar_one_or_none()
    return (run, filed)


@dataclass(frozen=True)
class ReportSummary:
    """One filed report as a list shows it."""

    id: int
    as_of: dt.date
    rule_set: str
    rule_set_version: int
    draft: bool
    alerts: int
    evidence_index: int | None
    created_at: dt.datetime


# What a list of filed reports reads of each: not its results and balance sheet (JSON of some kilobytes each).
_SUMMARY_COLUMNS = (
    ReportRow.id, ReportRow.as_of, ReportRow.rule_set, ReportRow.rule_set_version, ReportRow.draft,
    ReportRow.alerts, ReportRow.evidence_index, ReportRow.created_at,
)  # fmt: skip


def _summary(row: Any) -> ReportSummary:
    """A ReportRow, or a row of its `_SUMMARY_COLUMNS`, as a list shows it."""
    # SQLite gives back the UTC time it was given without its zone.
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
    return ReportSummary(
        row.id,
        row.as_of,
        row.rule_set,
        row.rule_set_version,
        row.draft,
        row.alerts,
        row.evidence_index,
        created,
    )


def _newest_filed(
    columns: Any, lessor: str, rule_set: str | None, limit: int, offset: int = 0
) -> Select[Any]:
    """`columns` of the lessor's `limit` newest filed reports (of `rule_set`), newest day first, after skipping
    the `offset` newest."""
    statement = select(*columns).where(ReportRow.lessor == lessor)
    if rule_set:
        statement = statement.where(ReportRow.rule_set == rule_set)
    return statement.order_by(ReportRow.as_of.desc(), ReportRow.id.desc()).offset(offset).limit(limit)


def filed_reports(
    engine: Engine, lessor: str, *, rule_set: str | None = None, limit: int = 200, offset: int = 0
) -> list[ReportSummary]:
    """The lessor's filed reports, newest day first: `limit` of them after the `offset` newest."""
    with engine.connect() as connection:
        rows = connection.execute(_newest_filed(_SUMMARY_COLUMNS, lessor, rule_set, limit, offset)).all()
    return [_summary(r) for r in rows]


def filed_days(
    engine: Engine, lessor: str, *, rule_set: str | None = None, limit: int = 200
) -> list[dt.date]:
    """The days of the lessor's `limit` newest filed reports (of `rule_set`), newest first, each once: the days
    of `filed_reports`, without reading the reports."""
    with engine.connect() as connection:
        days = connection.execute(_newest_filed((ReportRow.as_of,), lessor, rule_set, limit)).scalars()
        return list(dict.fromkeys(days))


@dataclass(frozen=True)
class FiledReportRecord:
    """One filed report as it was filed: each indicator's result as the JSON report writes it."""

    summary: ReportSummary
    indicators: list[dict[str, Any]]


def filed_report(engine: Engine, lessor: str, report_id: int) -> FiledReportRecord:
    """The lessor's report `report_id`; UnknownReportError for none and for another lessor's (the lessor is in
    the query, so another lessor's report is not even read)."""
    with session_factory(engine)() as session:
        row = session.scalars(
            select(ReportRow).where(ReportRow.id == report_id, ReportRow.lessor == lessor)
        ).one_or_none()
        if row is None:
            raise UnknownReportError(NO_SUCH_REPORT, id=report_id)
        return FiledReportRecord(_summary(row), list(row.results or []))


@dataclass(frozen=True)
class TrendPoint:
    as_of: dt.date
    value: Decimal | None
    status: str


def indicator_trends(
    engine: Engine, lessor: str, rule_set: str, *, reports: int = 12
) -> dict[str, list[TrendPoint]]:
    """Each indicator's value on the lessor's last `reports` filed (non-draft) reports of `rule_set`, oldest
    first; a day filed more than once counts its latest filing."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(ReportRow.as_of, ReportRow.results)
            .where(ReportRow.lessor == lessor, ReportRow.rule_set == rule_set, ReportRow.draft.is_(False))
            .order_by(ReportRow.as_of.desc(), ReportRow.id.desc())
            .limit(reports * 4)
        ).all()
    latest: dict[dt.date, list[dict[str, Any]]] = {}
    for day, results in rows:
        latest.setdefault(day, results or [])
    days = sorted(latest)[-reports:]
    trends: dict[str, list[TrendPoint]] = {}
    for day in days:
        for result in latest[day]:
            value = result.get("value")
            trends.setdefault(str(result.get("id")), []).append(
                TrendPoint(day, None if value is None else Decimal(str(value)), str(result.get("status", "")))
            )
    return trends


# --- what if a contract is funded ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIfRequest:
    """The report of the day (as `compute_regulatory_report` takes it) and the contract considered."""

    report: ReportRequest
    contract: NewContract


@dataclass(frozen=True)
class IndicatorMove:
    before: IndicatorResult
    after: IndicatorResult

    @property
    def move(self) -> Decimal | None:
        if self.after.value is None or self.before.value is None:
            return None
        return self.after.value - self.before.value

    @property
    def moved(self) -> bool:
        return self.move != 0 or self.after.status != self.before.status


@dataclass(frozen=True)
class WhatIfOutcome:
    before: IndicatorReport
    after: IndicatorReport
    moves: tuple[IndicatorMove, ...]

    def as_json(self) -> dict[str, Any]:
        """The answer the API gives: every indicator before and after, numbers rounded once, here."""

        def number(value: Decimal | None) -> float | None:
            return None if value is None else float(round(value, 6))

        def row(m: IndicatorMove) -> dict[str, Any]:
            return {
                "id": m.before.id, "name": m.before.name, "before": number(m.before.value),
                "after": number(m.after.value), "move": number(m.move), "status_before": m.before.status,
                "status_after": m.after.status, "moved": m.moved,
            }  # fmt: skip

        return {
            "as_of": self.before.as_of.isoformat(),
            "rule_set": self.before.rule_set.id,
            "indicators": [row(m) for m in self.moves],
        }


class WhatIfFieldError(InvalidInputError):
    """A field of a what-if contract that cannot be used; `field` names it, for a form to show the message
    beside it."""

    def __init__(self, field_name: str, label: Label, /, **params: object) -> None:
        super().__init__(label, **params)
        self.field = field_name


LESSEE_TYPES = ("enterprise", "individual")
LESSEE_TYPE_LABELS = {"enterprise": Label("企业", "Enterprise"), "individual": Label("个人", "Individual")}
# The sizes a form offers; the risk weights' `enterprise_sizes` say which weight each takes (and name a few more).
ENTERPRISE_SIZES = ("large", "medium", "small", "micro")
ENTERPRISE_SIZE_LABELS = {
    "large": Label("大型企业", "Large"),
    "medium": Label("中型企业", "Medium"),
    "small": Label("小型企业", "Small"),
    "micro": Label("微型企业", "Micro"),
}
MAX_ID = 32
MAX_NAME = 200


def new_contract(
    *, lessee_id: str, principal: str, lessee_name: str = "", lessee_type: str = "enterprise",
    group_id: str | None = None, related_party: bool = False, enterprise_size: str | None = None,
) -> NewContract:  # fmt: skip
    """The contract a what-if considers, from what a person typed; WhatIfFieldError names the first field
    that cannot be used (the principal in yuan, above zero, at most 2 decimals)."""
    lessee_id = lessee_id.strip()
    if not lessee_id:
        raise WhatIfFieldError("lessee_id", Label("请填写承租人证件号。", "Enter the lessee's ID."))
    if len(lessee_id) > MAX_ID:
        raise WhatIfFieldError("lessee_id", Label("最多 {n} 个字符。", "At most {n} characters."), n=MAX_ID)
    if len(lessee_name) > MAX_NAME:
        raise WhatIfFieldError(
            "lessee_name", Label("最多 {n} 个字符。", "At most {n} characters."), n=MAX_NAME
        )
    if lessee_type not in LESSEE_TYPES:
        raise WhatIfFieldError(
            "lessee_type", Label("应为 企业 或 个人。", "Choose enterprise or individual.")
        )
    if group_id is not None and len(group_id) > MAX_ID:
        raise WhatIfFieldError("group_id", Label("最多 {n} 个字符。", "At most {n} characters."), n=MAX_ID)
    known_sizes = load_risk_weights().enterprise_sizes
    if enterprise_size is not None and enterprise_size not in known_sizes:
        raise WhatIfFieldError(
            "enterprise_size",
            Label("应为 {sizes} 之一。", "Choose one of {sizes}."),
            sizes=", ".join(known_sizes),
        )
    if not principal.strip():
        raise WhatIfFieldError(
            "principal", Label("请填写投放金额（元）。", "Enter the amount financed (yuan).")
        )
    try:
        fen = parse_fen(principal, where="\0", negative=True)
    except MoneyError as error:
        reason = Label(*(error.text(lang).removeprefix("\0").lstrip(":：").strip() for lang in ("zh", "en")))
        raise WhatIfFieldError("principal", Label("{reason}", "{reason}"), reason=reason) from None
    if fen <= 0:
        raise WhatIfFieldError("principal", Label("应大于零。", "Must be above zero."))
    return NewContract(
        lessee_id, lessee_name.strip(), lessee_type, fen, (group_id or "").strip() or None, related_party,
        enterprise_size,
    )  # fmt: skip


def what_if(
    engine: Engine,
    request: WhatIfRequest,
    *,
    book: pl.DataFrame | None = None,
    before: IndicatorReport | None = None,
) -> WhatIfOutcome:
    """Every indicator of the day's report before and after funding the contract with borrowed money
    (`indicators.engine.with_contract`). `book`: as for `compute_regulatory_report`; `before`: the day's report of
    `request.report` on that book, when the caller has it already (a server keeps it)."""
    if book is None:
        book = read_book(engine, request.report.lessor, request.report.as_of)  # once: it is the costly part
    if before is None:
        before = _report_on(engine, request.report, book)
    book_after, sheet_after = with_contract(book, request.report.balance_sheet, request.contract)
    after = compute_report(
        before.rule_set, sheet_after, book_after, load_risk_weights(), as_of=request.report.as_of,
        margin=request.report.margin, draft=request.report.draft,
    )  # fmt: skip
    moves = tuple(IndicatorMove(b, a) for b, a in zip(before.results, after.results, strict=True))
    return WhatIfOutcome(before, after, moves)


# --- the balance-sheet workbook a finance team uploads ---------------------------------------------------------

WRONG_LESSOR = Label(
    "{name}：工作表 资产负债表 的出租人代码为 {found!r}，不是您的出租人 {lessor!r}；未保存任何内容。",
    "{name}: the workbook's lessor is {found!r}, not your lessor {lessor!r}; nothing was kept.",
)
BALANCE_SHEET_SUFFIX = ".xlsx"
# Beside each kept workbook, its parse (BalanceSheet.as_json), so a page does not read the workbook again.
PARSED_SUFFIX = ".parsed.json"


def balance_sheet_path(folder: Path, lessor: str, day: dt.date) -> Path:
    """Where a lessor's balance sheet of `day` is kept: `<folder>/<LESSOR>/<DAY>.xlsx`, the place
    `leaseguard report regulatory --lessor LESSOR --as-of DAY` reads by default under the workspace."""
    return folder / lessor / f"{day.isoformat()}{BALANCE_SHEET_SUFFIX}"


def keep_balance_sheet(folder: Path, lessor: str, data: bytes, *, name: str) -> BalanceSheet:
    """Read an uploaded balance-sheet workbook (the template filled in) and keep it as the lessor's balance
    sheet of its day, replacing one uploaded before. A workbook that cannot be used — not a workbook, a bad
    cell (named by sheet and cell), totals that disagree, another lessor's — is BalanceSheetError and nothing
    is kept."""
    import tempfile

    from leaseguard.indicators.balance_sheet import BalanceSheetError, read_balance_sheet_xlsx

    place = folder / lessor
    place.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=place, prefix=".upload-", suffix=".xlsx", delete=False) as copy:
        copy.write(data)
        partial = Path(copy.name)
    try:
        sheet = read_balance_sheet_xlsx(partial, name=name)
        if sheet.lessor != lessor:
            raise BalanceSheetError(WRONG_LESSOR, name=name, found=sheet.lessor, lessor=lessor)
        target = balance_sheet_path(folder, lessor, sheet.as_of)
        parsed = target.with_suffix(PARSED_SUFFIX)
        parsed.unlink(missing_ok=True)  # never the parse of an older workbook beside the new one
        os.replace(partial, target)
        with contextlib.suppress(OSError):
            _write_parsed(parsed, sheet)
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
    return sheet


def _write_parsed(path: Path, sheet: BalanceSheet) -> None:
    import json

    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(sheet.as_json(), ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


def uploaded_balance_sheet(folder: Path, lessor: str, day: dt.date) -> BalanceSheet | None:
    """The balance sheet kept for the lessor's `day` (None without one): its parse kept beside it when that is
    the parse of these very bytes (the SHA-256 it names), else the workbook read again (half a second)."""
    import json

    from leaseguard.indicators.balance_sheet import read_balance_sheet_xlsx

    path = balance_sheet_path(folder, lessor, day)
    if not path.is_file():
        return None
    parsed = path.with_suffix(PARSED_SUFFIX)
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        kept = json.loads(parsed.read_text(encoding="utf-8"))
        if kept.get("sha256") == hashlib.sha256(path.read_bytes()).hexdigest():
            return BalanceSheet.from_json(kept)
    return read_balance_sheet_xlsx(path, name=path.name)


def uploaded_balance_sheet_days(folder: Path, lessor: str) -> list[dt.date]:
    """The days the lessor has a balance sheet kept for, newest first."""
    days = []
    for path in (folder / lessor).glob(f"*{BALANCE_SHEET_SUFFIX}"):
        with contextlib.suppress(ValueError):
            days.append(dt.date.fromisoformat(path.stem))
    return sorted(days, reverse=True)


def balance_sheet_of(engine: Engine, folder: Path | None, lessor: str, day: dt.date) -> BalanceSheet:
    """The balance sheet a report of `day` is computed on: the one uploaded for the day, else the one filed
    with the lessor's latest report of the day; NoBalanceSheetError with neither."""
    sheet = uploaded_balance_sheet(folder, lessor, day) if folder is not None else None
    sheet = sheet or filed_balance_sheet(engine, lessor, day)
    if sheet is None:
        raise NoBalanceSheetError(NO_BALANCE_SHEET, day=day)
    return sheet
