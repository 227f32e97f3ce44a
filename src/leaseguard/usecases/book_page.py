"""The classified book of one lessor on a run day, as the console's /book shows it: the day's totals per class,
the moves of class since the run before, and the contracts a page at a time, filtered by class, DPD bucket,
industry, region and product; and the daily run as a background job (`DAILY_RUN`, run by leaseguard.jobs).

Paging is a keyset on the contract number (`after`/`before` the last number shown), read through the indexes
(as_of, lessor, contract_no) and (as_of, lessor, class, contract_no) of contract_classes (migration 0021), so the
first page and the ten-thousandth cost the same on a million contracts. The class and the day narrow the index
range; DPD, industry, region and product are checked on the rows read in order until a page is full, so a filter
that matches almost nothing reads far into the day (a count is shown only where the day's class_totals give it).
Region and product are the dimensions of the analytics (`analytics.dimensions`): a contract's own `region` and
`product` columns (kept in `extra`), else the province of the lessee's identifier and the lease type."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, case, func, select, text

from leaseguard.errors import InvalidInputError
from leaseguard.jobs import JobContext, JobKind, register_kind
from leaseguard.store.db import as_date
from leaseguard.store.models import ClassTotal, Contract, ContractClass
from leaseguard.usecases.book_overview import DayFigures, LastRun, RunDayCache, day_figures, run_days
from leaseguard.vocabulary import CLASSES, DEFAULT_LANG, LEASE_TYPE_LABELS, LEASE_TYPE_LABELS_EN, Label, Lang

if TYPE_CHECKING:
    from leaseguard.analytics.rules import AnalyticsRules

PAGE_SIZE = 50
RUN_DAYS_SHOWN = 60
MAX_TEXT = 100
MAX_RUN_DAYS = 31
DAILY_RUN = "daily-run"


@functools.cache
def analytics_rules() -> AnalyticsRules:
    """The shipped analytics rules: DPD buckets and the provinces (read once per process)."""
    from leaseguard.analytics.rules import load_analytics_rules

    return load_analytics_rules()


def dpd_buckets() -> list[tuple[str, int, int | None]]:
    """(name, lowest DPD, highest DPD or None) of each bucket, in order."""
    buckets = analytics_rules().dpd_buckets
    bounds = [bucket.lower_days for bucket in buckets]
    return [
        (bucket.name, bucket.lower_days, bounds[i + 1] - 1 if i + 1 < len(bounds) else None)
        for i, bucket in enumerate(buckets)
    ]


def bucket_label(name: str, lang: Lang) -> str:
    from leaseguard.analytics.report import bucket_label as label

    return label(name, analytics_rules(), lang)


def provinces() -> dict[str, str]:
    """Each province's code and its Chinese name."""
    return analytics_rules().province_names()


def province_label(code: str | None, lang: Lang = DEFAULT_LANG) -> str:
    """A province code as people read it in `lang` ("32 江苏", "32 Jiangsu"); "—" for none."""
    if not code:
        return "—"
    return analytics_rules().region_label(code, lang) or code


@dataclass(frozen=True)
class BookFilter:
    """What the page is narrowed to; None (or "") is every value."""

    day: dt.date
    klass: str | None = None
    dpd: str | None = None
    industry: str | None = None
    region: str | None = None
    product: str | None = None

    @property
    def narrowed_beyond_class(self) -> bool:
        return bool(self.dpd or self.industry or self.region or self.product)

    def query(self) -> dict[str, str]:
        """The filter as the page's query parameters (those set)."""
        values = {
            "day": self.day.isoformat(), "class": self.klass, "dpd": self.dpd, "industry": self.industry,
            "region": self.region, "product": self.product,
        }  # fmt: skip
        return {name: value for name, value in values.items() if value}


class BookFilterError(InvalidInputError):
    """A filter of the book that cannot be used: `field` names the form's field."""

    def __init__(self, field: str, message: Label, /, **params: object) -> None:
        super().__init__(message, **params)
        self.field = field


class NoRunDayError(InvalidInputError):
    """No daily run is stored at all."""


def parse_book_filter(values: Mapping[str, str], runs: Sequence[LastRun]) -> BookFilter:
    """The page's filter from its query; BookFilterError naming the first field that cannot be used. Without a
    day, the latest run day; a day that was not run is refused beside the day."""
    raw_day = (values.get("day") or "").strip()
    if raw_day:
        try:
            day = dt.date.fromisoformat(raw_day)
        except ValueError:
            raise BookFilterError(
                "day", Label("“{value}”不是日期（请写 YYYY-MM-DD）", "“{value}” is not a date (write YYYY-MM-DD)"),
                value=raw_day[:40],
            ) from None  # fmt: skip
    elif runs:
        day = runs[0].as_of
    else:
        raise NoRunDayError(
            Label(
                "库中还没有日终批处理：请先运行日终分类（leaseguard run daily 或本页的“运行日终批处理”）。",
                "no daily run is stored yet: run the daily book first (leaseguard run daily, or “Run the daily "
                "book” on this page).",
            )
        )
    klass = (values.get("class") or "").strip() or None
    if klass is not None and klass not in CLASSES:
        raise BookFilterError("class", Label("请选择五级分类中的一类", "choose one of the five classes"))
    dpd = (values.get("dpd") or "").strip() or None
    if dpd is not None and dpd not in [name for name, _, _ in dpd_buckets()]:
        raise BookFilterError(
            "dpd", Label("请选择列出的逾期档位之一", "choose one of the DPD buckets listed")
        )
    region = (values.get("region") or "").strip() or None
    if region is not None and region not in provinces():
        raise BookFilterError("region", Label("请选择列出的地区之一", "choose one of the regions listed"))
    texts: dict[str, str | None] = {}
    for name in ("industry", "product"):
        value = (values.get(name) or "").strip() or None
        if value is not None and len(value) > MAX_TEXT:
            raise BookFilterError(
                name, Label("最多 {most} 个字符", "at most {most} characters"), most=MAX_TEXT
            )
        texts[name] = value
    return BookFilter(day, klass, dpd, texts["industry"], region, texts["product"])


@dataclass(frozen=True)
class BookRow:
    contract_no: str
    lessee_name: str
    industry: str | None
    region: str | None
    product: str | None
    dpd: int
    klass: str
    outstanding_principal_fen: int
    overdue_amount_fen: int
    claim_balance_fen: int
    provision_fen: int


@dataclass(frozen=True)
class BookRows:
    """A page of the day's contracts in contract order, and the cursors of the pages beside it."""

    rows: tuple[BookRow, ...]
    after: str | None  # the next page starts after this contract (None: this is the last page)
    before: str | None  # the previous page ends before this contract (None: this is the first page)


@dataclass(frozen=True)
class Migration:
    """How many of the lessor's contracts moved from one class to another on the day against the run before
    (`from_class` None: new to the book below normal); contracts that kept their class are not counted."""

    from_class: str | None
    to_class: str
    contracts: int
    claim_balance_fen: int


@dataclass(frozen=True)
class BookPage:
    runs: tuple[LastRun, ...]
    filter: BookFilter
    figures: DayFigures
    previous_day: dt.date | None
    migrations: tuple[Migration, ...]
    page: BookRows
    matching: int | None  # contracts the filter matches, when class_totals tell it (no filter beyond class)


def region_code() -> ColumnElement[Any]:
    """The contract's two-digit province code as analytics.dimensions reads it."""
    given = func.trim(Contract.extra["region"].as_string())
    lessee = func.trim(Contract.lessee_id)
    return case(
        (and_(given.is_not(None), given != ""), func.substr(given, 1, 2)),
        (and_(func.length(lessee) == 18, Contract.lessee_type == "enterprise"), func.substr(lessee, 3, 2)),
        (func.length(lessee) == 18, func.substr(lessee, 1, 2)),
        else_=None,
    )


def product_of() -> ColumnElement[Any]:
    return func.coalesce(Contract.extra["product"].as_string(), Contract.extra["lease_type"].as_string())


def product_values(product: str) -> list[str]:
    """What a product typed in the filter matches: itself, and the lease type it names in words ("售后回租",
    "Sale and leaseback": sale_leaseback)."""
    named = {
        label.casefold(): code
        for labels in (LEASE_TYPE_LABELS, LEASE_TYPE_LABELS_EN)
        for code, label in labels.items()
    }
    return sorted({product, named.get(product.casefold(), product)})


def _conditions(lessor: str, wanted: BookFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [ContractClass.as_of == wanted.day, ContractClass.lessor == lessor]
    if wanted.klass:
        where.append(ContractClass.klass == wanted.klass)
    if wanted.dpd:
        low, high = next((low, high) for name, low, high in dpd_buckets() if name == wanted.dpd)
        where.append(ContractClass.dpd >= low)
        if high is not None:
            where.append(ContractClass.dpd <= high)
    if wanted.industry:
        where.append(Contract.industry == wanted.industry)
    if wanted.region:
        where.append(region_code() == wanted.region)
    if wanted.product:
        where.append(product_of().in_(product_values(wanted.product)))
    return where


def book_rows(
    connection: Connection,
    lessor: str,
    wanted: BookFilter,
    *,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> BookRows:
    """A page of `lessor`'s contracts on the filter's day: the first, the one after contract `after`, or the one
    before contract `before`. The contract is joined by number and lessor (a number of another lessor's book is
    never read)."""
    query = (
        select(
            ContractClass.contract_no, Contract.lessee_name, Contract.industry, region_code().label("region"),
            product_of().label("product"), ContractClass.dpd, ContractClass.klass.label("klass"),
            ContractClass.outstanding_principal_fen, ContractClass.overdue_amount_fen,
            ContractClass.claim_balance_fen, ContractClass.provision_fen,
        )
        .join(Contract, and_(Contract.contract_no == ContractClass.contract_no, Contract.lessor == lessor))
        .where(*_conditions(lessor, wanted))
    )  # fmt: skip
    if before is not None:
        query = query.where(ContractClass.contract_no < before).order_by(ContractClass.contract_no.desc())
    else:
        if after is not None:
            query = query.where(ContractClass.contract_no > after)
        query = query.order_by(ContractClass.contract_no)
    found = list(connection.execute(query.limit(size + 1)).all())
    more = len(found) > size
    found = found[:size]
    if before is not None:
        found.reverse()
    rows = tuple(
        BookRow(
            r.contract_no, r.lessee_name, r.industry, r.region, r.product, int(r.dpd), r.klass,
            int(r.outstanding_principal_fen), int(r.overdue_amount_fen), int(r.claim_balance_fen),
            int(r.provision_fen),
        )
        for r in found
    )  # fmt: skip
    if not rows:
        return BookRows((), None, None)
    if before is not None:
        return BookRows(rows, rows[-1].contract_no, rows[0].contract_no if more else None)
    return BookRows(
        rows, rows[-1].contract_no if more else None, rows[0].contract_no if after is not None else None
    )


_MIGRATION_SQL = """
select ch.from_class, ch.to_class, count(*) as contracts, coalesce(sum(cc.claim_balance_fen), 0) as claim
from class_changes ch {join} contract_classes cc on cc.as_of = ch.as_of and cc.contract_no = ch.contract_no
where ch.as_of = :day and cc.lessor = :lessor
group by ch.from_class, ch.to_class
"""


def migrations(connection: Connection, lessor: str, day: dt.date) -> tuple[Migration, ...]:
    """The lessor's moves of class on `day` against the run before, counted per (from, to), the classes in
    their order (new contracts first). Starts from the day's changes (a few thousand), as the overview does."""
    join = "cross join" if connection.dialect.name == "sqlite" else "join"
    rows = connection.execute(text(_MIGRATION_SQL.format(join=join)), {"day": day, "lessor": lessor}).all()
    rank = {klass: i for i, klass in enumerate(CLASSES)}
    moves = [Migration(r.from_class, r.to_class, int(r.contracts), int(r.claim)) for r in rows]
    moves.sort(
        key=lambda m: (-1 if m.from_class is None else rank.get(m.from_class, 99), rank.get(m.to_class, 99))
    )
    return tuple(moves)


def _previous_day(connection: Connection, lessor: str, day: dt.date) -> dt.date | None:
    """The lessor's run day before `day`, the one its changes of class on `day` are against."""
    from leaseguard.store.models import BookRun

    found = connection.execute(
        select(BookRun.as_of)
        .where(BookRun.lessor == lessor, BookRun.as_of < day)
        .order_by(BookRun.as_of.desc())
        .limit(1)
    ).scalar_one_or_none()
    return None if found is None else as_date(found)


def run_days_of(engine: Engine, lessor: str) -> tuple[LastRun, ...]:
    """The lessor's latest RUN_DAYS_SHOWN run days, newest first."""
    with engine.connect() as connection:
        return tuple(run_days(connection, lessor, RUN_DAYS_SHOWN))


def book_page(
    engine: Engine,
    lessor: str,
    values: Mapping[str, str],
    *,
    after: str | None = None,
    before: str | None = None,
    cache: RunDayCache | None = None,
) -> BookPage:
    """Everything /book shows of `lessor`'s classified day chosen by `values` (the page's query); BookFilterError
    for a filter that cannot be used, NoRunDayError when no day was ever run."""
    with engine.connect() as connection:
        runs = tuple(run_days(connection, lessor, RUN_DAYS_SHOWN))
        wanted = parse_book_filter(values, runs)
        run = next((r for r in runs if r.as_of == wanted.day), None)
        if run is None:
            from leaseguard.store.models import BookRun

            stored = connection.execute(select(BookRun.as_of, BookRun.rule_set, BookRun.finished_at).where(
                BookRun.as_of == wanted.day, BookRun.lessor == lessor)).first()  # fmt: skip
            if stored is None:
                raise BookFilterError(
                    "day",
                    Label(
                        "{day} 没有日终批处理记录：请选择已运行的日期",
                        "{day} was not run: choose a day that was run",
                    ),
                    day=wanted.day,
                )
            run = LastRun(wanted.day, stored.rule_set, stored.finished_at)
        if cache is None:
            figures = day_figures(connection, lessor, wanted.day)
            moves = migrations(connection, lessor, wanted.day)
        else:
            figures = cache.get("figures", lessor, run, lambda: day_figures(connection, lessor, wanted.day))
            moves = cache.get("migrations", lessor, run, lambda: migrations(connection, lessor, wanted.day))
        previous = _previous_day(connection, lessor, wanted.day)
        page = book_rows(connection, lessor, wanted, after=after, before=before)
    matching = None
    if not wanted.narrowed_beyond_class:
        matching = (
            figures.contracts
            if wanted.klass is None
            else next((c.contracts for c in figures.classes if c.klass == wanted.klass), 0)
        )
    return BookPage(runs, wanted, figures, previous, moves, page, matching)


def class_counts(engine: Engine, lessor: str, day: dt.date) -> dict[str, int]:
    """The lessor's contracts per class on `day` (class_totals)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(ClassTotal.klass, ClassTotal.contracts).where(
                ClassTotal.as_of == day, ClassTotal.lessor == lessor
            )
        ).all()
    return {str(klass): int(n) for klass, n in rows}


# --- the daily run as a background job ----------------------------------------------------------------------


def parse_run_days(raw: str | Sequence[str]) -> list[dt.date]:
    """The days of a daily run from the form's text (days separated by spaces, commas or new lines) or the API's
    list: at least one, at most MAX_RUN_DAYS, each a date; InvalidInputError naming the first that is not."""
    parts = (
        raw.replace(",", " ").replace("，", " ").split() if isinstance(raw, str) else [str(p) for p in raw]
    )
    if not parts:
        raise InvalidInputError(Label("请至少写一个日期（YYYY-MM-DD）", "give at least one day (YYYY-MM-DD)"))
    if len(parts) > MAX_RUN_DAYS:
        raise InvalidInputError(
            Label("一次最多运行 {most} 天", "at most {most} days in one run"), most=MAX_RUN_DAYS
        )
    days = []
    for part in parts:
        try:
            days.append(dt.date.fromisoformat(part.strip()))
        except ValueError:
            raise InvalidInputError(
                Label("“{value}”不是日期（请写 YYYY-MM-DD）", "“{value}” is not a date (write YYYY-MM-DD)"),
                value=part[:40],
            ) from None
    return sorted(set(days))


def run_daily(context: JobContext) -> dict[str, Any]:
    """The daily-run job: `usecases.daily_book.daily_job(...).run(days, lessor=)` of the job's lessor, with the
    job's progress, each day its own transaction: the lessor's own book is read and its own rows of each day
    replaced; another lessor's days are not touched (`leaseguard run daily` without --lessor runs every
    lessor's). Its result tells the lessor's figures."""
    from leaseguard.usecases.daily_book import daily_job

    resources = context.resources
    days = parse_run_days([str(day) for day in context.params.get("days", [])])
    job = daily_job(resources.workspace, signer=resources.signer)
    run = job.run(days, lambda done, total: context.progress(done, total), lessor=context.lessor)
    engine = resources.workspace.engine()
    try:
        by_day = [
            {"day": day.as_of.isoformat(), "classes": class_counts(engine, context.lessor, day.as_of)}
            for day in run.days
        ]
    finally:
        engine.dispose()
    return {"rule_set": run.rule_set.id, "days": by_day}


DAILY_RUN_KIND = register_kind(
    JobKind(DAILY_RUN, Label("日终批处理", "Daily run"), run_daily, exclusive=True)
)


# --- the day's export as a background job ----------------------------------------------------------------------

BOOK_EXPORT = "book-export"
EXPORT_FOLDER = "exports"


def export_file(workspace_root: Path, result: Mapping[str, Any] | None) -> Path | None:
    """The workbook an export job wrote, by its result (None: it wrote none)."""
    export = (result or {}).get("export")
    if not isinstance(export, dict):
        return None
    folder, name = str(export.get("folder", "")), str(export.get("file", ""))
    # Names the job wrote itself; anything else (a path, a parent) is not a file of this job.
    if (
        not folder
        or not name
        or any(part in ("", ".", "..") or "/" in part or "\\" in part for part in (folder, name))
    ):
        return None
    written = workspace_root / EXPORT_FOLDER / folder / name
    return written if written.is_file() else None


def run_book_export(context: JobContext) -> dict[str, Any]:
    """The export job: `leaseguard book export --lessor`'s workbook of the job's lessor and day (usecases.daily_book:
    the same columns and figures), written under the workspace's exports/job-<id>/ for /jobs/<id>/download (the
    workbook by a process of its own: `write_book_day_apart`). Its progress is the rows written (after the day
    and the lessor's book are read)."""
    from leaseguard.usecases.daily_book import book_day, write_book_day_apart
    from leaseguard.vocabulary import lang_of

    workspace = context.resources.workspace
    day = dt.date.fromisoformat(str(context.params["day"]))
    lang = lang_of(str(context.params.get("lang", "zh")))
    context.progress(0, None)
    found = book_day(workspace, day, lessor=context.lessor)
    context.progress(0, found.frame.height)
    # A folder of the job's own, unguessable: a server without a workspace writes under the system's temporary
    # folder, which other stores' servers (with their own job numbers) share.
    folder_name = f"job-{context.job_id}-{secrets.token_hex(8)}"
    folder = workspace.root / EXPORT_FOLDER / folder_name
    folder.mkdir(parents=True, exist_ok=True)
    name = f"book-{context.lessor}-{day.isoformat()}.xlsx"
    # Written in a folder of its own and moved whole: a download never finds half a workbook.
    writing = folder / "writing"
    writing.mkdir(exist_ok=True)
    rows = write_book_day_apart(found, writing / name, lang, progress=context.progress)
    (writing / name).rename(folder / name)
    writing.rmdir()
    return {"export": {"day": day.isoformat(), "rows": rows, "file": name, "folder": folder_name}}


BOOK_EXPORT_KIND = register_kind(
    JobKind(
        BOOK_EXPORT, Label("导出五级分类账簿", "Export the classified book"), run_book_export, exclusive=True
    )
)
