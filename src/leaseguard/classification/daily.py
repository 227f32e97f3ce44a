"""The daily run: positions, classes and provisions of every contract on a day (of one lessor's book only, when
a lessor is given), written as one transaction.

A day is committed whole or not at all; running a day again replaces what was stored for it — for the lessors
it ran only: a run of lessor A deletes and rewrites A's classes, totals, changes of class and run day
(book_runs: one row per lessor and day), and never reads or touches another lessor's. A change of class
against the lessor's latest earlier run is recorded with the rule that decided it, and deposited in the
evidence log in the same transaction (per lessor, up to CHANGES_PER_RECORD changes a record), so a contract's
class history can be proven later.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, delete, func, insert, select, text

from leaseguard.classification.classify import classify, collateral_on
from leaseguard.classification.reasons import VALUATION_MISSING, VALUATION_STALE
from leaseguard.classification.rules import RuleSet
from leaseguard.errors import BusyError, ConflictError
from leaseguard.evidence import NewRecord, Provenance, append_records
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.evidence.models import canonical_json
from leaseguard.portfolio.allocation import Allocation
from leaseguard.portfolio.positions import BookPositions
from leaseguard.store.db import as_date
from leaseguard.store.models import BookRun, ClassChange, ClassTotal, Contract, ContractClass
from leaseguard.tenancy.service import require_lessor
from leaseguard.vocabulary import Label

_CHUNK = 50_000
CHANGES_PER_RECORD = 1_000
STEPS_PER_DAY = 3  # positions, classes, stored: what a daily run's progress counts for each day


@dataclass(frozen=True)
class DayResult:
    as_of: dt.date
    contracts: int
    changes: int
    by_class: dict[str, int]
    provisions_fen: int
    general_reserve_fen: int
    overpaid_contracts: int = 0
    overpaid_fen: int = 0
    reversals: int = 0
    # Contracts whose reversals took back more than had been paid: (contract_no, first day, excess in fen).
    over_reversed: tuple[tuple[str, dt.date, int], ...] = ()
    missing_valuations: int = 0
    stale_valuations: int = 0
    # Run again because an earlier day was (re)run after it: its changes of class follow that day's classes.
    rerun_after_earlier: bool = False
    # The lessors whose day this run wrote (one book_runs row each), in order.
    lessors: tuple[str, ...] = ()


class DailyRunBusyError(BusyError):
    """Another daily run holds the store's daily-run lock."""


class EmptyBookError(ConflictError):
    """The store (or the lessor's book, when the run is of one lessor) holds no contracts: nothing to classify."""

    def __init__(self, lessor: str | None = None) -> None:
        if lessor is None:
            super().__init__(
                Label(
                    "库中还没有合同，无法运行日终分类：请先导入 contracts.csv（leaseguard import）。",
                    "the store holds no contracts yet, so there is no book to classify: import contracts.csv "
                    "first (leaseguard import).",
                )
            )
            return
        super().__init__(
            Label(
                "出租人 {lessor} 还没有合同，无法运行日终分类：请先导入其 contracts.csv（leaseguard import）。",
                "lessor {lessor} has no contracts yet, so there is no book to classify: import its contracts.csv "
                "first (leaseguard import).",
            ),
            lessor=lessor,
        )


# The PostgreSQL advisory lock that serialises daily runs: this job's key and the store's schema, so that two
# stores (schemas) in one database each run their own day.
_ADVISORY_KEY = 0x6C67_6461  # "lgda"
_LOCK = "pg_try_advisory_lock(:key, hashtext(current_schema()))"
_UNLOCK = "pg_advisory_unlock(:key, hashtext(current_schema()))"


@contextmanager
def daily_run_lock(engine: Engine) -> Iterator[None]:
    """Hold the store's daily-run lock for the block, or raise DailyRunBusyError at once.

    Two runs at once would each compute changes of class against a previous day the other is rewriting;
    one at a time, whatever order days are run in, the history is the one of running them in order."""
    busy = DailyRunBusyError(
        Label(
            "另一个日终批处理正在运行（它持有库的锁），请等它结束后再试",
            "another daily run holds the store's lock: try again when it has finished",
        )
    )
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            if not connection.execute(text(f"select {_LOCK}"), {"key": _ADVISORY_KEY}).scalar():
                raise busy
            try:
                yield
            finally:
                connection.execute(text(f"select {_UNLOCK}"), {"key": _ADVISORY_KEY})
                connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(f"{database}.daily-run.lock")
    with open(lock_path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read(
    engine: Engine,
    query: str,
    schema: dict[str, pl.DataType | type[pl.DataType]],
    params: dict[str, Any] | None = None,
) -> pl.DataFrame:
    given = params or {}
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        # Through ADBC in a reader process (`export_queries`, as the book itself is read): a million rows fetched
        # through Python's driver held a server's interpreter lock for about 2 s, stopping its pages and a
        # daily-run job's heartbeat meanwhile.
        from leaseguard.portfolio.sqlite_export import export_queries

        read = pl.from_arrow(export_queries(database, {"rows": (query, given)})["rows"])
        assert isinstance(read, pl.DataFrame)
        frame = read
    else:
        with engine.connect() as connection:
            frame = pl.read_database(
                text(query), connection, execute_options={"parameters": given}, infer_schema_length=None
            )
    if frame.is_empty():
        return pl.DataFrame(schema=schema)
    for column, dtype in schema.items():
        if dtype == pl.Date and frame.schema[column] == pl.String:
            frame = frame.with_columns(pl.col(column).str.to_date("%Y-%m-%d"))
    return frame.cast(schema)  # type: ignore[arg-type]


def _of_lessor(lessor: str | None) -> dict[str, Any]:
    return {} if lessor is None else {"lessor": lessor}


def read_inputs(engine: Engine, *, lessor: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(contract_no, lessee_type) of every contract, and every appraisal of a financed asset (of `lessor`'s book
    only, when given: the lessor in the WHERE clause)."""
    lessee_types = _read(
        engine,
        "select contract_no, lessee_type from contracts"
        + ("" if lessor is None else " where lessor = :lessor"),
        {"contract_no": pl.String, "lessee_type": pl.String},
        _of_lessor(lessor),
    )
    valuations = _read(
        engine,
        "select a.contract_no, a.asset_id, v.valuation_date, v.disposal_value_fen from valuations v "
        "join assets a on a.lessor = v.lessor and a.asset_id = v.asset_id where a.contract_no is not null"
        + ("" if lessor is None else " and a.lessor = :lessor"),
        {
            "contract_no": pl.String,
            "asset_id": pl.String,
            "valuation_date": pl.Date,
            "disposal_value_fen": pl.Int64,
        },
        _of_lessor(lessor),
    )
    return lessee_types, valuations


def read_restructured(engine: Engine, *, lessor: str | None = None) -> pl.DataFrame:
    """(contract_no, restructured_date) of every restructured contract (of `lessor` only, when given)."""
    return _read(
        engine,
        "select contract_no, restructured_date from contracts where restructured_date is not null"
        + ("" if lessor is None else " and lessor = :lessor"),
        {"contract_no": pl.String, "restructured_date": pl.Date},
        _of_lessor(lessor),
    )


def _class_change_records(changes: pl.DataFrame, rules: RuleSet, day: dt.date) -> dict[str, list[NewRecord]]:
    """Per lessor, the day's changes of class as JSON evidence records."""
    provenance = Provenance(producer="leaseguard run daily", system="leaseguard classification")
    by_lessor: dict[str, list[NewRecord]] = {}
    for (lessor,), part in changes.sort("contract_no").group_by("lessor", maintain_order=True):
        rows = part.drop("lessor", "as_of").to_dicts()
        for start in range(0, len(rows), CHANGES_PER_RECORD):
            content = canonical_json(
                {
                    "as_of": day.isoformat(),
                    "rule_set": rules.id,
                    "rule_set_version": rules.version,
                    "rule_set_sha256": rules.digest,
                    "changes": rows[start : start + CHANGES_PER_RECORD],
                }
            )
            ref = f"class_changes:{day.isoformat()}:{lessor}:{start // CHANGES_PER_RECORD + 1}"
            record = NewRecord(content, provenance, "class-changes", "application/json", ref)
            by_lessor.setdefault(str(lessor), []).append(record)
    return by_lessor


def _previous_classes(connection: Connection, day: dt.date, lessors: frozenset[str] | None) -> pl.DataFrame:
    """Each contract's class on its lessor's latest run day before `day` (of `lessors` only, when given): a
    lessor's changes of class are against its own previous run, whatever day another lessor last ran."""
    latest = (
        select(BookRun.lessor, func.max(BookRun.as_of)).where(BookRun.as_of < day).group_by(BookRun.lessor)
    )
    if lessors is not None:
        latest = latest.where(BookRun.lessor.in_(sorted(lessors)))
    by_day: dict[dt.date, list[str]] = {}
    for lessor, last in connection.execute(latest).all():
        by_day.setdefault(as_date(last), []).append(str(lessor))
    rows: list[Any] = []
    for last, names in sorted(by_day.items()):
        rows.extend(
            connection.execute(
                select(ContractClass.contract_no, ContractClass.klass).where(
                    ContractClass.as_of == last, ContractClass.lessor.in_(sorted(names))
                )
            ).all()
        )
    return pl.DataFrame(rows, schema={"contract_no": pl.String, "from_class": pl.String}, orient="row")


def _insert(connection: Connection, table: Any, frame: pl.DataFrame) -> None:
    """The frame's rows in one executemany of plain tuples per chunk, straight to the driver: SQLAlchemy's
    per-row parameter processing cost more than the insert itself (20 s of a million-contract day)."""
    if frame.is_empty():
        return
    if connection.dialect.name == "sqlite":
        # What SQLAlchemy's Date stores on SQLite: the ISO text.
        frame = frame.with_columns(pl.col(pl.Date).dt.strftime("%Y-%m-%d"))
    quote = connection.dialect.identifier_preparer.quote
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in frame.columns)}) "
        f"VALUES ({', '.join([mark] * frame.width)})"
    )
    for start in range(0, frame.height, _CHUNK):
        connection.exec_driver_sql(statement, frame.slice(start, _CHUNK).rows())


def class_totals(classified: pl.DataFrame) -> pl.DataFrame:
    """The day's classes summed per lessor and class, as class_totals keeps them."""
    return (
        classified.group_by("as_of", "lessor", "class")
        .agg(
            pl.len().cast(pl.Int64).alias("contracts"),
            pl.col("claim_balance_fen").sum(),
            pl.col("provision_fen").sum(),
        )
        .sort("lessor", "class")
    )


def run_day(
    engine: Engine,
    book: BookPositions,
    day: dt.date,
    rules: RuleSet,
    lessee_types: pl.DataFrame,
    valuations: pl.DataFrame,
    restructured: pl.DataFrame | None = None,
    signer: NoteSigner | None = None,
    step: Callable[[], None] | None = None,
    *,
    lessors: frozenset[str] | None = None,
) -> DayResult:
    """Classify and provision every contract of `book` on `day` (of `lessors` only, when given) and store it,
    all in one transaction: the day's rows of those lessors (every lessor's, when None) are replaced, one
    book_runs row per lessor classified; another lessor's rows are not touched. With a `signer`, the day's
    changes of class go into the evidence log in that same transaction. `step()` is called as each of its
    STEPS_PER_DAY steps ends (positions, classes, stored)."""
    told = step or (lambda: None)
    with engine.connect() as connection:
        before = _previous_classes(connection, day, lessors)
    positions = book.at(day)
    told()
    classified = classify(
        positions,
        rules,
        lessee_types=lessee_types,
        collateral=collateral_on(valuations, day),
        previous=before,
        restructured=restructured,
    )
    if lessors is not None:
        # The book may hold other lessors' contracts (a whole-store run's day run again for some lessors, or a
        # lessor with arrears_elsewhere switched on): classified with them, only `lessors`' rows are kept.
        keep = pl.col("lessor").is_in(sorted(lessors))
        positions, classified = positions.filter(keep), classified.filter(keep)
    overpaid = positions.filter(pl.col("overpaid_fen") > 0)
    told()
    provisions = int(classified["provision_fen"].sum())
    with engine.begin() as connection:
        previous = _previous_classes(connection, day, lessors)
        changes = (
            classified.join(previous, on="contract_no", how="left")
            .filter(
                (pl.col("from_class").is_null() & (pl.col("class") != "normal"))
                | (pl.col("from_class").is_not_null() & (pl.col("from_class") != pl.col("class")))
            )
            .select(
                "as_of",
                "contract_no",
                "lessor",
                "from_class",
                pl.col("class").alias("to_class"),
                "deciding_rule",
                "reasons",
            )
        )
        _delete_day(connection, day, lessors)
        stored = classified.drop("status")
        _insert(connection, ContractClass.__table__, stored)
        _insert(connection, ClassTotal.__table__, class_totals(stored))
        _insert(connection, ClassChange.__table__, changes.drop("lessor"))
        if signer is not None and changes.height:
            for lessor, records in _class_change_records(changes, rules, day).items():
                append_records(connection, records, lessor=lessor, signer=signer)
        runs = _lessor_runs(classified, changes, rules, day)
        if runs:
            connection.execute(insert(BookRun), runs)
    told()
    counts = dict(classified.group_by("class").len().iter_rows())
    return DayResult(
        day,
        classified.height,
        changes.height,
        counts,
        provisions,
        sum(int(run["general_reserve_fen"]) for run in runs),
        overpaid.height,
        int(overpaid["overpaid_fen"].sum()),
        reversals=_reversals(book, day, lessors),
        over_reversed=tuple(
            book.over_reversed(day)
            .filter(pl.col("contract_no").is_in(classified["contract_no"].implode()))
            .iter_rows()
        ),
        missing_valuations=int(classified["reasons"].str.contains(VALUATION_MISSING, literal=True).sum()),
        stale_valuations=int(classified["reasons"].str.contains(VALUATION_STALE, literal=True).sum()),
        lessors=tuple(str(run["lessor"]) for run in runs),
    )


def _reversals(book: BookPositions, day: dt.date, lessors: frozenset[str] | None) -> int:
    """Payments reversed (negative) by `day` on the book's contracts (of `lessors` only, when given)."""
    reversed_ = book.payments.filter((pl.col("paid_date") <= day) & (pl.col("amount_fen") < 0))
    if lessors is None:
        return reversed_.height
    theirs = book.contracts.filter(pl.col("lessor").is_in(sorted(lessors))).select("contract")
    return reversed_.join(theirs, on="contract", how="semi").height


def _delete_day(connection: Connection, day: dt.date, lessors: frozenset[str] | None) -> None:
    """The stored rows of `day` (of `lessors` only, when given: their classes, totals, run days and the changes
    of class of their contracts that day), before the day is written again."""
    if lessors is None:
        for table in (ClassChange, ContractClass, ClassTotal, BookRun):
            connection.execute(delete(table).where(table.as_of == day))
        return
    names = sorted(lessors)
    # class_changes names the contract only: the lessor's are those its classes of the day name (written with
    # them in one transaction), so they go first.
    of_lessors = select(ContractClass.contract_no).where(
        ContractClass.as_of == day, ContractClass.lessor.in_(names)
    )
    connection.execute(
        delete(ClassChange).where(ClassChange.as_of == day, ClassChange.contract_no.in_(of_lessors))
    )
    for table in (ContractClass, ClassTotal, BookRun):
        connection.execute(delete(table).where(table.as_of == day, table.lessor.in_(names)))


def _lessor_runs(
    classified: pl.DataFrame, changes: pl.DataFrame, rules: RuleSet, day: dt.date
) -> list[dict[str, Any]]:
    """The day's book_runs rows, one per lessor classified: its contracts, changes of class, provisions and
    general reserve (its own live claim balance at the rule set's rate, rounded as the provisions are)."""
    rate = round(rules.general_reserve_rate * 1_000_000)
    finished = dt.datetime.now(dt.UTC)
    moved = dict(changes.group_by("lessor").len().iter_rows())
    figures = (
        classified.group_by("lessor")
        .agg(
            pl.len().alias("contracts"),
            pl.col("provision_fen").sum().alias("provisions"),
            pl.col("claim_balance_fen").filter(pl.col("deciding_rule") != "not live").sum().alias("live"),
        )
        .sort("lessor")
    )
    return [
        {
            "as_of": day,
            "lessor": str(row["lessor"]),
            "rule_set": rules.id,
            "rule_set_version": rules.version,
            "rule_set_sha256": rules.digest,
            "contracts": int(row["contracts"]),
            "changes": int(moved.get(row["lessor"], 0)),
            "provisions_fen": int(row["provisions"]),
            "general_reserve_fen": (int(row["live"] or 0) * rate + 500_000) // 1_000_000,
            "finished_at": finished,
        }
        for row in figures.iter_rows(named=True)
    ]


def run_days(
    engine: Engine,
    days: Sequence[dt.date],
    rules: RuleSet,
    progress: Callable[[int, int], None] | None = None,
    allocation: Allocation | None = None,
    signer: NoteSigner | None = None,
    *,
    lessor: str | None = None,
) -> list[DayResult]:
    """`run_day` for each of `days` in order (each its own transaction), reading the book once, under the
    daily-run lock: every lessor's book (one book_runs row per lessor and day), or `lessor`'s only — its own
    contracts read, its own rows of each day replaced, another lessor's day untouched. A lessor's days already
    stored after the earliest of `days` are run again after them (for that lessor), so every day's changes of
    class are against the lessor's day before it on record, as if the days had been run in order.

    `progress(done, total)` counts steps: reading the book, then STEPS_PER_DAY for each day run (a progress bar
    moves within a day, not only between days: a day of a million contracts takes a minute)."""
    wanted = sorted(set(days))
    scope = None if lessor is None else frozenset({lessor})
    with daily_run_lock(engine):
        with engine.connect() as connection:
            any_contract = select(Contract.contract_no).limit(1)
            if lessor is not None:
                require_lessor(connection, lessor)
                any_contract = any_contract.where(Contract.lessor == lessor)
            if connection.execute(any_contract).first() is None:
                raise EmptyBookError(lessor)
            later = select(BookRun.as_of, BookRun.lessor).where(BookRun.as_of > wanted[0])
            if lessor is not None:
                later = later.where(BookRun.lessor == lessor)
            following: dict[dt.date, set[str]] = {}
            for day, name in connection.execute(later).all():
                if as_date(day) not in wanted:
                    following.setdefault(as_date(day), set()).add(str(name))
        # A day run again after an earlier one is run for the lessors that had run it only.
        plan = sorted(
            [(day, False, scope) for day in wanted]
            + [(day, True, frozenset(names)) for day, names in following.items()],
            key=lambda planned: planned[0],
        )
        total = 1 + STEPS_PER_DAY * len(plan)
        done = 0

        def step() -> None:
            nonlocal done
            done += 1
            if progress:
                progress(done, total)

        if progress:
            progress(0, total)
        # A lessor that switched the consortium rule on (arrears_elsewhere) learns from the other lessors'
        # positions whether its lessee is in arrears there, as in a whole-store run: their contracts are read and
        # classified with its own, and only its own rows are stored.
        elsewhere = rules.arrears_elsewhere
        others_needed = lessor is not None and elsewhere is not None and lessor in elsewhere.lessors
        book = BookPositions.from_engine(engine, allocation, lessor=None if others_needed else lessor)
        lessee_types, valuations = read_inputs(engine, lessor=lessor)
        restructured = read_restructured(engine, lessor=lessor)
        step()
        results = []
        for day, again, lessors in plan:
            result = run_day(
                engine,
                book,
                day,
                rules,
                lessee_types,
                valuations,
                restructured,
                signer,
                step,
                lessors=lessors,
            )
            results.append(dataclasses.replace(result, rerun_after_earlier=again))
    return results


def stored_day(engine: Engine, day: dt.date, *, lessor: str | None = None) -> pl.DataFrame | None:
    """The stored classes of `day` (of `lessor` only, when given) in export order, or None when no run stored
    that day (no run of `lessor` that day, when given)."""
    ran = select(BookRun.as_of).where(BookRun.as_of == day)
    if lessor is not None:
        ran = ran.where(BookRun.lessor == lessor)
    with engine.connect() as connection:
        if connection.execute(ran.limit(1)).first() is None:
            return None
        rows = connection.execute(
            text(
                "select contract_no, lessor, dpd, outstanding_principal_fen, overdue_amount_fen, "
                'claim_balance_fen, "class", deciding_rule, provision_fen, reasons from contract_classes '
                "where as_of = :day"
                + (" and lessor = :lessor" if lessor is not None else "")
                + " order by contract_no"
            ),
            {"day": day, "lessor": lessor},
        ).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={
            "contract_no": pl.String, "lessor": pl.String, "dpd": pl.Int64,
            "outstanding_principal_fen": pl.Int64, "overdue_amount_fen": pl.Int64, "claim_balance_fen": pl.Int64,
            "class": pl.String, "deciding_rule": pl.String, "provision_fen": pl.Int64, "reasons": pl.String,
        },
        orient="row",
    ).with_columns(as_of=pl.lit(day)).select(
        "contract_no", "lessor", "as_of", "dpd", "outstanding_principal_fen", "overdue_amount_fen",
        "claim_balance_fen", "class", "deciding_rule", "provision_fen", "reasons",
    )  # fmt: skip
