"""One lessor's book at a glance, as a job: the console's overview (/) reads it; nothing here ships the book.

What it reads, each a bounded query with the lessor in its WHERE clause:
- the lessor's last daily run (its book_runs row: the day, rule set and finishing time);
- the lessor's classes on that day, as the daily run summed them per class (class_totals): contracts, claim
  balance and provisions per class, hence book size, NPL ratio, provision coverage;
- those two ratios against the limits of the lessor's indicator rule set (its regime's default), judged by the
  indicator engine itself (indicators.engine.evaluate: the same limits, warning margin and status as a report);
- the classes on the last few run days (the same aggregate per day), for the chart;
- today's alerts: the day's changes of class (class_changes of that day joined to the lessor's rows), today's
  blocked asset checks, and the warnings and breaches of the lessor's latest indicator report.
A run day's aggregate and changes do not change once the day is run, so `RunDayCache` keeps them, keyed by the
run's finishing time (a re-run of the day is a new key)."""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection, Engine, select, text

from leaseguard.store.models import (
    AssetCheck,
    BookRun,
    ClassTotal,
    Contract,
    IndicatorReport,
    Lessor,
)
from leaseguard.vocabulary import CLASSES, NON_PERFORMING

if TYPE_CHECKING:
    from leaseguard.indicators.rules import IndicatorRuleSet

Kept = TypeVar("Kept")

# The rule set whose limits the overview shows for a lessor without a regime: it sets both ratios.
FALLBACK_RULES = "leasing-indicators-trial"
TRACKED_INDICATORS = ("npl_ratio", "provision_coverage")
MOVERS_SHOWN = 10
BLOCKS_SHOWN = 10
CHART_DAYS = 6


@dataclass(frozen=True, slots=True)
class LastRun:
    as_of: dt.date
    rule_set: str
    finished_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ClassTotals:
    klass: str
    contracts: int
    claim_balance_fen: int
    provision_fen: int


@dataclass(frozen=True, slots=True)
class DayFigures:
    """The lessor's classified book on one day, per class in the order of CLASSES (absent classes as zero)."""

    as_of: dt.date
    classes: tuple[ClassTotals, ...]

    @property
    def contracts(self) -> int:
        return sum(c.contracts for c in self.classes)

    @property
    def claim_balance_fen(self) -> int:
        return sum(c.claim_balance_fen for c in self.classes)

    @property
    def npl_balance_fen(self) -> int:
        return sum(c.claim_balance_fen for c in self.classes if c.klass in NON_PERFORMING)

    @property
    def provision_fen(self) -> int:
        return sum(c.provision_fen for c in self.classes)

    @property
    def npl_ratio(self) -> Decimal | None:
        return Decimal(self.npl_balance_fen) / self.claim_balance_fen if self.claim_balance_fen else None

    @property
    def provision_coverage(self) -> Decimal | None:
        return Decimal(self.provision_fen) / self.npl_balance_fen if self.npl_balance_fen else None

    def share(self, klass: str) -> Decimal:
        """The class's part of the claim balance (0 for an empty book)."""
        total = self.claim_balance_fen
        found = next((c.claim_balance_fen for c in self.classes if c.klass == klass), 0)
        return Decimal(found) / total if total else Decimal(0)


@dataclass(frozen=True, slots=True)
class LimitCheck:
    """A ratio of the book against its limit in a rule set; `status` as the indicator engine says it (ok,
    warning, breach, no_limit, undefined), or `absent` when the rule set has no such indicator."""

    indicator: str
    name: str
    value: Decimal | None
    limit: Decimal | None
    comparison: str
    status: str
    rule_set: str
    note: str | None


@dataclass(frozen=True, slots=True)
class Mover:
    contract_no: str
    lessee_name: str
    from_class: str | None
    to_class: str
    claim_balance_fen: int

    @property
    def downgraded(self) -> bool:
        return self.from_class is None or CLASSES.index(self.to_class) > CLASSES.index(self.from_class)


@dataclass(frozen=True, slots=True)
class BlockedCheck:
    asked_at: dt.datetime
    asked_by: str
    asset: str  # the identifier asked about: VIN, serial number or asset id


@dataclass(frozen=True, slots=True)
class IndicatorAlert:
    indicator: str
    name: str
    status: str
    value: float | None
    limit: float | None


@dataclass(frozen=True, slots=True)
class BookOverview:
    lessor: str
    lessor_name: str
    last_run: LastRun | None
    figures: DayFigures | None
    limits: tuple[LimitCheck, ...]
    downgrades: int
    upgrades: int
    movers: tuple[Mover, ...]
    blocks_today: tuple[BlockedCheck, ...]
    more_blocks_today: bool
    report_as_of: dt.date | None
    report_rule_set: str | None
    indicator_alerts: tuple[IndicatorAlert, ...]


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _day(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


class RunDayCache:
    """What was read of a run day per lessor (its figures, its class changes), kept while the day is not run
    again (the key holds the run's finishing time); at most `size` entries, the least recently used dropped
    first. Safe across request threads: two threads may compute the same entry once each, never a wrong one."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str, dt.date, str], object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, kind: str, lessor: str, run: LastRun, compute: Callable[[], Kept]) -> Kept:
        key = (kind, lessor, run.as_of, run.finished_at.isoformat())
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value


def _figures_of(connection: Connection, lessor: str, run: LastRun, cache: RunDayCache | None) -> DayFigures:
    if cache is None:
        return day_figures(connection, lessor, run.as_of)
    return cache.get("figures", lessor, run, lambda: day_figures(connection, lessor, run.as_of))


def run_days(connection: Connection, lessor: str, count: int) -> list[LastRun]:
    """The latest `count` run days of `lessor`, newest first (a day another lessor alone ran is not one)."""
    rows = connection.execute(
        select(BookRun.as_of, BookRun.rule_set, BookRun.finished_at)
        .where(BookRun.lessor == lessor)
        .order_by(BookRun.as_of.desc())
        .limit(count)
    ).all()
    return [LastRun(_day(row.as_of), row.rule_set, _utc(row.finished_at)) for row in rows]


def day_figures(connection: Connection, lessor: str, as_of: dt.date) -> DayFigures:
    """Contracts, claim balance and provisions per class of `lessor`'s book classified on `as_of` (the
    daily run's class_totals: a few rows, whatever the size of the book)."""
    rows = connection.execute(
        select(
            ClassTotal.klass, ClassTotal.contracts, ClassTotal.claim_balance_fen, ClassTotal.provision_fen
        ).where(ClassTotal.as_of == as_of, ClassTotal.lessor == lessor)
    ).all()
    found = {str(klass): (int(n), int(claim), int(provision)) for klass, n, claim, provision in rows}
    known = [k for k in CLASSES] + sorted(set(found) - set(CLASSES))
    return DayFigures(
        as_of,
        tuple(ClassTotals(k, *found.get(k, (0, 0, 0))) for k in known),
    )


def classes_over_time(
    engine: Engine, lessor: str, *, days: int = CHART_DAYS, cache: RunDayCache | None = None
) -> list[DayFigures]:
    """`lessor`'s classes on the latest `days` run days, oldest first (the chart reads left to right)."""
    with engine.connect() as connection:
        runs = run_days(connection, lessor, days)
        return [_figures_of(connection, lessor, run, cache) for run in reversed(runs)]


def _regime_rules(connection: Connection, lessor: str) -> str:
    from leaseguard.indicators.rules import DEFAULT_RULES_BY_REGIME

    extra = connection.execute(select(Lessor.extra).where(Lessor.code == lessor)).scalar_one_or_none()
    regime = (extra or {}).get("regime") if isinstance(extra, dict) else None
    return DEFAULT_RULES_BY_REGIME.get(str(regime), FALLBACK_RULES)


@functools.cache
def _shipped_rules(rule_set_id: str) -> IndicatorRuleSet:
    """A shipped rule set, read once per process (the package's files do not change under it)."""
    from leaseguard.indicators.rules import load_shipped_rule_set

    return load_shipped_rule_set(rule_set_id)


def limit_checks(figures: DayFigures, rule_set_id: str) -> tuple[LimitCheck, ...]:
    """The NPL ratio and provision coverage of `figures` judged by `rule_set_id`'s indicators of those ids."""
    from leaseguard.indicators.engine import evaluate

    rule_set = _shipped_rules(rule_set_id)
    by_id = {indicator.id: indicator for indicator in rule_set.indicators}
    # The quantities the two indicators read, taken from the classified book (fen).
    values = {
        "npl_balance": Decimal(figures.npl_balance_fen),
        "lease_receivables": Decimal(figures.claim_balance_fen),
        "loan_loss_reserves": Decimal(figures.provision_fen),
    }
    checks = []
    for wanted in TRACKED_INDICATORS:
        indicator = by_id.get(wanted)
        value = figures.npl_ratio if wanted == "npl_ratio" else figures.provision_coverage
        if indicator is None or not {*indicator.numerator.names, *indicator.denominator.names} <= set(values):
            checks.append(LimitCheck(wanted, wanted, value, None, "", "absent", rule_set.id, None))
            continue
        result = evaluate(indicator, values, rule_set.warning_margin, {})
        checks.append(
            LimitCheck(
                wanted, result.name, result.value, result.limit, result.comparison, result.status, rule_set.id,
                result.note,
            )
        )  # fmt: skip
    return tuple(checks)


Moves = tuple[int, int, tuple[Mover, ...]]
_RANK = (
    "case {column} " + " ".join(f"when '{klass}' then {rank}" for rank, klass in enumerate(CLASSES)) + " end"
)
# The day's changes of one lessor, the worst first: downgrades (and new contracts classified below normal)
# before upgrades, each by claim balance. {join}: SQLite reads the tables in the order written only with a
# CROSS JOIN, and must start from the day's changes (a few thousand) rather than the day's book (a million).
_MOVES_SQL = f"""
select ch.contract_no, ch.from_class, ch.to_class, cc.claim_balance_fen,
       case when ch.from_class is null or {_RANK.format(column="ch.to_class")} >
                 {_RANK.format(column="ch.from_class")} then 1 else 0 end as down
from class_changes ch {{join}} contract_classes cc on cc.as_of = ch.as_of and cc.contract_no = ch.contract_no
where ch.as_of = :day and cc.lessor = :lessor
"""


def _movers(connection: Connection, lessor: str, as_of: dt.date) -> Moves:
    join = "cross join" if connection.dialect.name == "sqlite" else "join"
    moves = f"({_MOVES_SQL.format(join=join)}) moves"
    params = {"day": as_of, "lessor": lessor}
    down, total = connection.execute(
        text(f"select coalesce(sum(down), 0), count(*) from {moves}"), params
    ).one()
    largest = connection.execute(
        text(f"select * from {moves} order by down desc, claim_balance_fen desc, contract_no limit :shown"),
        {**params, "shown": MOVERS_SHOWN},
    ).all()
    names = dict(
        connection.execute(
            select(Contract.contract_no, Contract.lessee_name).where(
                Contract.lessor == lessor, Contract.contract_no.in_([row.contract_no for row in largest])
            )
        ).all()
    )
    shown = tuple(
        Mover(
            row.contract_no,
            str(names.get(row.contract_no, "")),
            row.from_class,
            row.to_class,
            int(row.claim_balance_fen),
        )
        for row in largest
    )
    return int(down), int(total) - int(down), shown


def _blocks_since(
    connection: Connection, lessor: str, since: dt.datetime
) -> tuple[tuple[BlockedCheck, ...], bool]:
    rows = connection.execute(
        select(AssetCheck.asked_at, AssetCheck.asked_by, AssetCheck.request)
        .where(AssetCheck.lessor == lessor, AssetCheck.asked_at >= since, AssetCheck.verdict == "block")
        .order_by(AssetCheck.id.desc())
        .limit(BLOCKS_SHOWN + 1)
    ).all()
    blocks = []
    for row in rows[:BLOCKS_SHOWN]:
        asked = row.request if isinstance(row.request, dict) else {}
        asset = next((str(asked[k]) for k in ("vin", "serial_no", "asset_id") if asked.get(k)), "")
        blocks.append(BlockedCheck(_utc(row.asked_at), row.asked_by, asset))
    return tuple(blocks), len(rows) > BLOCKS_SHOWN


def _latest_report(
    connection: Connection, lessor: str
) -> tuple[dt.date | None, str | None, tuple[IndicatorAlert, ...]]:
    row = connection.execute(
        select(IndicatorReport.as_of, IndicatorReport.rule_set, IndicatorReport.results)
        .where(IndicatorReport.lessor == lessor, IndicatorReport.draft.is_(False))
        .order_by(IndicatorReport.as_of.desc(), IndicatorReport.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None, None, ()
    alerts = tuple(
        IndicatorAlert(
            str(result.get("id", "")),
            str(result.get("name", "")),
            str(result.get("status")),
            result.get("value"),
            result.get("limit"),
        )
        for result in (row.results or [])
        if isinstance(result, dict) and result.get("status") in ("warning", "breach")
    )
    return _day(row.as_of), row.rule_set, alerts


def book_overview(
    engine: Engine, lessor: str, *, now: dt.datetime | None = None, cache: RunDayCache | None = None
) -> BookOverview:
    """Everything the overview shows of `lessor`'s book; `now` decides what "today" is (server's time zone)."""
    moment = now or dt.datetime.now(dt.UTC)
    start_of_today = moment.astimezone().replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
    with engine.connect() as connection:
        name = connection.execute(select(Lessor.name).where(Lessor.code == lessor)).scalar_one_or_none()
        runs = run_days(connection, lessor, 1)
        last = runs[0] if runs else None
        figures = None
        limits: tuple[LimitCheck, ...] = ()
        downgrades = upgrades = 0
        movers: tuple[Mover, ...] = ()
        if last is not None:
            run = last
            figures = _figures_of(connection, lessor, run, cache)
            limits = limit_checks(figures, _regime_rules(connection, lessor))
            if cache is None:
                downgrades, upgrades, movers = _movers(connection, lessor, run.as_of)
            else:
                downgrades, upgrades, movers = cache.get(
                    "moves", lessor, run, lambda: _movers(connection, lessor, run.as_of)
                )
        blocks, more_blocks = _blocks_since(connection, lessor, start_of_today)
        report_as_of, report_rules, alerts = _latest_report(connection, lessor)
    return BookOverview(
        lessor=lessor,
        lessor_name=str(name or ""),
        last_run=last,
        figures=figures,
        limits=limits,
        downgrades=downgrades,
        upgrades=upgrades,
        movers=movers,
        blocks_today=blocks,
        more_blocks_today=more_blocks,
        report_as_of=report_as_of,
        report_rule_set=report_rules,
        indicator_alerts=alerts,
    )
