"""Collections as a job: the call list of a lessor's contracts by tier, and the calls its collectors make.

- The call list is the early warning's (`usecases.early_warning.call_list_of`, what `leaseguard book warn`
  writes) for the day of the last daily run, kept in memory until that day is run again (`CallListCache`).
- A collector records a call on a contract (`record_call`): what came of it (an outcome of
  `vocabulary.CALL_OUTCOMES`) and a note; a promise to pay also its day (not in the past) and amount (yuan,
  exactly). Each call is a row of `collection_calls` and is deposited in the evidence log in the same
  transaction (kind `collection-call`, ref `collection_call:<id>`), as funding decisions are.
- A contract's newest promise stands. It is kept once the payments made since the day it was given (paid on
  or after the call's day, read from `payments` as the book reads them) cover its amount, and broken when its
  day has passed without that. A broken promise adds the signal `broken_promise` (承诺未履行) to the contract
  on the call list and puts it first within its tier. It does not move the contract up a tier: the tiers are
  the warning rules' (warning.yaml: a score's cut-offs, signals' escalations, the collections tier by days past
  due or class), which `book warn` and every other reader of the call list share; a promise is the desk's own
  fact and says who to call first, not how likely the contract is to default.

The console's /collections and the contract page, `GET/POST /v1/contracts/{no}/collection-calls` and
`leaseguard book call` end here. Every read has the asking lessor in its WHERE clause; another lessor's
contract is answered like one that does not exist."""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from leaseguard.enforcement.service import NOT_IN_STORE, UnknownContractError
from leaseguard.errors import InvalidInputError
from leaseguard.evidence import NoteSigner, Provenance, append_event
from leaseguard.money import MoneyError, parse_fen, yuan_text
from leaseguard.store.db import as_date, chunks
from leaseguard.store.models import BookRun, CollectionCall, Contract, Payment
from leaseguard.tenancy.permissions import Action, is_allowed
from leaseguard.timestamps import UtcDatetime
from leaseguard.usecases.early_warning import CallList, NoSuchLessorError, call_list_of
from leaseguard.usecases.funding_decisions import Person
from leaseguard.vocabulary import (
    BROKEN_PROMISE,
    CALL_OUTCOME_LABELS,
    CALL_OUTCOME_LABELS_EN,
    CALL_OUTCOMES,
    PROMISE_TO_PAY,
    Label,
)

if TYPE_CHECKING:
    from leaseguard.portfolio.allocation import Allocation

MAX_NOTE_CHARS = 2000
PER_PAGE = 50  # rows of the call list a page
CALLS_SHOWN = 50  # a contract's newest calls on its page and in the API's answer
_CHUNK = 500  # contract numbers a query names at once


class CallFormError(InvalidInputError):
    """A call that cannot be recorded as asked: the message, and the field it is about ("" for the whole form).
    Nothing was recorded."""

    def __init__(self, field: str, label: Label, **params: object) -> None:
        super().__init__(label, **params)
        self.field = field


class UnknownTierError(InvalidInputError):
    """A tier the call list does not have."""


# --- the call as asked ----------------------------------------------------------------------------------------


class CallRequest(BaseModel):
    """A call to record, as the API's body and the console's form give it: text as typed, checked by
    `record_call` (each problem said beside its field)."""

    outcome: str = Field(description=f"One of {', '.join(CALL_OUTCOMES)}.")
    promise_date: str | None = Field(
        default=None, description="For promise_to_pay: the day promised, YYYY-MM-DD, not past."
    )
    promise_amount: str | None = Field(
        default=None, description="For promise_to_pay: yuan, at most two decimals, above zero."
    )
    note: str | None = Field(default=None, description=f"At most {MAX_NOTE_CHARS} characters.")


@dataclass(frozen=True)
class _Checked:
    outcome: str
    promise_date: dt.date | None
    promise_amount_fen: int | None
    note: str


def _outcome_choices() -> Label:
    return Label(
        "、".join(CALL_OUTCOME_LABELS[code] for code in CALL_OUTCOMES),
        ", ".join(f"{code} ({CALL_OUTCOME_LABELS_EN[code]})" for code in CALL_OUTCOMES),
    )


def check_call(request: CallRequest, today: dt.date) -> _Checked:
    """The call as it will be recorded, or CallFormError naming the first field that is wrong."""
    outcome = request.outcome.strip()
    if outcome not in CALL_OUTCOMES:
        raise CallFormError(
            "outcome",
            Label(
                "未知的通话结果 {value!r}；可选：{choices}",
                "unknown call outcome {value!r}; one of {choices}",
            ),
            value=outcome[:40],
            choices=_outcome_choices(),
        )
    written_date = (request.promise_date or "").strip()
    written_amount = (request.promise_amount or "").strip()
    promise_date: dt.date | None = None
    amount: int | None = None
    if outcome != PROMISE_TO_PAY:
        for field, written in (("promise_date", written_date), ("promise_amount", written_amount)):
            if written:
                raise CallFormError(
                    field,
                    Label(
                        "只有“承诺还款”的通话才填写承诺日期和金额",
                        "a promised day and amount go with the outcome “promise to pay” only",
                    ),
                )
    else:
        if not written_date:
            raise CallFormError(
                "promise_date", Label("承诺还款须填写承诺日期", "a promise to pay needs the day promised")
            )
        try:
            promise_date = dt.date.fromisoformat(written_date)
        except ValueError:
            raise CallFormError(
                "promise_date",
                Label("{value!r} 不是 YYYY-MM-DD 格式的日期", "{value!r} is not a date written YYYY-MM-DD"),
                value=written_date[:40],
            ) from None
        if promise_date < today:
            raise CallFormError(
                "promise_date",
                Label(
                    "承诺日期 {day} 已经过去（今天是 {today}）",
                    "the day promised, {day}, has passed (today is {today})",
                ),
                day=promise_date,
                today=today,
            )
        if not written_amount:
            raise CallFormError(
                "promise_amount",
                Label("承诺还款须填写承诺金额", "a promise to pay needs the amount promised"),
            )
        try:
            amount = parse_fen(written_amount[:40], where=Label("承诺金额", "amount promised"))
        except MoneyError as error:
            raise CallFormError("promise_amount", error.reason) from None
        if amount <= 0:
            raise CallFormError(
                "promise_amount",
                Label(
                    "承诺金额应大于零（现为 {value}）", "the amount promised must be above zero (not {value})"
                ),
                value=written_amount,
            )
    note = (request.note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise CallFormError(
            "note",
            Label(
                "备注最多 {limit} 个字符（现为 {chars} 个）",
                "a note is at most {limit} characters (not {chars})",
            ),
            limit=MAX_NOTE_CHARS,
            chars=len(note),
        )
    return _Checked(outcome, promise_date, amount, note)


# --- the call as recorded -------------------------------------------------------------------------------------


class CollectionCallOut(BaseModel):
    """A call recorded on a contract; for a promise to pay, where the promise stands on the day asked:
    `kept` (the payments since the call cover it), `broken` (its day passed without that) or `pending`."""

    id: int
    contract_no: str
    outcome: str
    called_on: dt.date
    note: str
    recorded_by: str
    recorded_role: str
    recorded_at: UtcDatetime
    channel: str
    evidence_index: int | None
    promise_date: dt.date | None = None
    promise_amount_fen: int | None = None
    promise_amount: str | None = None
    paid_since_fen: int | None = None
    paid_since: str | None = None
    promise_status: str | None = None
    # The contract's newest promise, the one that stands; an older one was replaced by it.
    standing: bool = False


def promise_status(promise_date: dt.date, amount_fen: int, paid_since_fen: int, today: dt.date) -> str:
    """kept, broken or pending: covered by the payments since it was given, or its day passed without that."""
    if paid_since_fen >= amount_fen:
        return "kept"
    return "broken" if promise_date < today else "pending"


def _out(row: Any, paid_since: int | None, today: dt.date, standing: bool) -> CollectionCallOut:
    promised = row.promise_date is not None and row.promise_amount_fen is not None
    status = (
        promise_status(as_date(row.promise_date), int(row.promise_amount_fen or 0), paid_since or 0, today)
        if promised
        else None
    )
    return CollectionCallOut(
        id=row.id, contract_no=row.contract_no, outcome=row.outcome, called_on=as_date(row.called_on),
        note=row.note, recorded_by=row.recorded_by, recorded_role=row.recorded_role, recorded_at=row.recorded_at,
        channel=row.channel, evidence_index=row.evidence_index,
        promise_date=as_date(row.promise_date) if row.promise_date is not None else None,
        promise_amount_fen=row.promise_amount_fen,
        promise_amount=yuan_text(row.promise_amount_fen) if row.promise_amount_fen is not None else None,
        paid_since_fen=paid_since if promised else None,
        paid_since=yuan_text(paid_since or 0) if promised else None,
        promise_status=status, standing=standing and promised,
    )  # fmt: skip


def _own_contract(session: Session, lessor: str, contract_no: str) -> None:
    """UnknownContractError unless `lessor` has `contract_no` (another lessor's is as absent as none)."""
    found = session.scalar(
        select(Contract.id).where(Contract.lessor == lessor, Contract.contract_no == contract_no)
    )
    if found is None:
        raise UnknownContractError(NOT_IN_STORE, contract_no=contract_no)


def contract_lessor(session: Session, contract_no: str) -> str:
    """The lessor whose contract `contract_no` is, for the store's operator (the CLI); UnknownContractError."""
    lessor = session.scalar(select(Contract.lessor).where(Contract.contract_no == contract_no))
    if lessor is None:
        raise UnknownContractError(NOT_IN_STORE, contract_no=contract_no)
    return lessor


def record_call(
    session: Session,
    person: Person,
    contract_no: str,
    request: CallRequest,
    *,
    signer: NoteSigner | None,
    today: dt.date | None = None,
    channel: str = "console",
) -> CollectionCallOut:
    """Record `person`'s call on their lessor's `contract_no` and deposit it in the evidence log with a `signer`
    (in the caller's transaction). UnknownContractError for a contract the lessor does not have; CallFormError
    for a call that cannot be recorded (a role without `collections:record` among them); nothing is changed
    then."""
    today = today or dt.date.today()
    if not is_allowed(person.role, Action.RECORD_COLLECTIONS):
        raise CallFormError(
            "",
            Label("角色 {role} 不能记录催收通话", "the role {role} may not record collection calls"),
            role=person.role,
        )
    _own_contract(session, person.lessor, contract_no)
    checked = check_call(request, today)
    now = dt.datetime.now(dt.UTC)
    row = CollectionCall(
        lessor=person.lessor, contract_no=contract_no, outcome=checked.outcome, called_on=today,
        promise_date=checked.promise_date, promise_amount_fen=checked.promise_amount_fen, note=checked.note,
        recorded_by=person.username, recorded_role=person.role, recorded_at=now, channel=channel,
    )  # fmt: skip
    session.add(row)
    session.flush()
    if signer is not None:
        event: dict[str, Any] = {
            "collection_call_id": row.id, "lessor": person.lessor, "contract_no": contract_no,
            "outcome": checked.outcome, "called_on": today.isoformat(), "note": checked.note,
            "recorded_by": person.username, "role": person.role, "recorded_at": now.isoformat(),
        }  # fmt: skip
        if checked.promise_date is not None:
            event["promise_date"] = checked.promise_date.isoformat()
            event["promise_amount_fen"] = checked.promise_amount_fen
        receipt = append_event(
            session, event, lessor=person.lessor, kind="collection-call",
            provenance=Provenance(
                producer=person.username, system=f"leaseguard collections ({channel})", produced_at=now
            ),
            signer=signer, ref=f"collection_call:{row.id}",
        )  # fmt: skip
        row.evidence_index = receipt.index
    paid = _paid_since(session.connection(), person.lessor, [(contract_no, today)])
    return _out(row, paid.get((contract_no, today), 0), today, standing=True)


# --- reading calls and promises -------------------------------------------------------------------------------


def _paid_since(
    connection: Connection, lessor: str, wanted: Iterable[tuple[str, dt.date]]
) -> dict[tuple[str, dt.date], int]:
    """For each (contract, day): the payments of the lessor's contract paid on or after the day, in fen (the
    `payments` rows the book reads: contract_no, paid_date, amount_fen)."""
    pairs = sorted(set(wanted))
    if not pairs:
        return {}
    earliest: dict[str, dt.date] = {}
    for contract_no, day in pairs:
        earliest[contract_no] = min(day, earliest.get(contract_no, day))
    paid: dict[str, list[tuple[dt.date, int]]] = {}
    for chunk in chunks(sorted(earliest), _CHUNK):
        rows = connection.execute(
            select(Payment.contract_no, Payment.paid_date, Payment.amount_fen).where(
                Payment.lessor == lessor,
                Payment.contract_no.in_(chunk),
                Payment.paid_date >= min(earliest[no] for no in chunk),
            )
        ).all()
        for contract_no, paid_date, amount in rows:
            paid.setdefault(contract_no, []).append((as_date(paid_date), int(amount)))
    return {
        (contract_no, day): sum(amount for paid_on, amount in paid.get(contract_no, []) if paid_on >= day)
        for contract_no, day in pairs
    }


def calls_on(
    session: Session, lessor: str, contract_no: str, *, today: dt.date | None = None, limit: int = CALLS_SHOWN
) -> list[CollectionCallOut]:
    """The newest `limit` calls on the lessor's contract, newest first, promises with where they stand `today`.
    UnknownContractError for a contract the lessor does not have."""
    today = today or dt.date.today()
    _own_contract(session, lessor, contract_no)
    rows = list(
        session.scalars(
            select(CollectionCall)
            .where(CollectionCall.lessor == lessor, CollectionCall.contract_no == contract_no)
            .order_by(CollectionCall.id.desc())
            .limit(limit)
        )
    )
    standing_id = session.scalar(
        select(func.max(CollectionCall.id)).where(
            CollectionCall.lessor == lessor,
            CollectionCall.contract_no == contract_no,
            CollectionCall.promise_date.is_not(None),
        )
    )
    paid = _paid_since(
        session.connection(),
        lessor,
        [(row.contract_no, as_date(row.called_on)) for row in rows if row.promise_date is not None],
    )
    return [
        _out(row, paid.get((row.contract_no, as_date(row.called_on))), today, standing=row.id == standing_id)
        for row in rows
    ]


def broken_promises(connection: Connection, lessor: str, today: dt.date) -> dict[str, CollectionCallOut]:
    """The lessor's contracts whose standing promise (the newest) is broken on `today`, each with that promise:
    its day passed and the payments since it was given do not cover it. Read by the index (lessor,
    promise_date): the promises that fell due, then the newest promise of each of their contracts."""
    due = (
        select(CollectionCall.contract_no)
        .where(CollectionCall.lessor == lessor, CollectionCall.promise_date < today)
        .distinct()
        .scalar_subquery()
    )
    newest = (
        select(func.max(CollectionCall.id))
        .where(
            CollectionCall.lessor == lessor,
            CollectionCall.promise_date.is_not(None),
            CollectionCall.contract_no.in_(due),
        )
        .group_by(CollectionCall.contract_no)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(CollectionCall.__table__).where(
            CollectionCall.id.in_(newest), CollectionCall.promise_date < today
        )
    ).all()
    paid = _paid_since(connection, lessor, [(row.contract_no, as_date(row.called_on)) for row in rows])
    found = {}
    for row in rows:
        out = _out(row, paid.get((row.contract_no, as_date(row.called_on)), 0), today, standing=True)
        if out.promise_status == "broken":
            found[row.contract_no] = out
    return found


# --- the call list ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListDay:
    """The day the call list is of: the lessor's last daily run's (and when it finished), or today when none
    ran."""

    as_of: dt.date
    finished_at: dt.datetime | None


def list_day(connection: Connection, lessor: str, today: dt.date) -> ListDay:
    """`lessor`'s ListDay: its own last run day, whatever day another lessor ran last."""
    row = connection.execute(
        select(BookRun.as_of, BookRun.finished_at)
        .where(BookRun.lessor == lessor)
        .order_by(BookRun.as_of.desc())
        .limit(1)
    ).first()
    if row is None:
        return ListDay(today, None)
    return ListDay(as_date(row.as_of), row.finished_at)


class CallListCache:
    """Each lessor's call list of a run day, kept while the day is not run again (the key holds the run's finishing
    time); at most `size` lists, the least recently used dropped first. A list of a store without a daily run is
    not kept.

    A list is computed by one worker thread in the background (scoring a book takes a core for seconds to a minute
    on a million contracts; two at once would only slow each other), each key once however many requests ask for
    it meanwhile: `get(..., wait=)` answers None when the list is not ready after `wait` seconds, and a later call
    finds it. Safe across request threads."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, dt.date, str], CallList] = OrderedDict()
        self._pending: dict[tuple[str, dt.date, str], Future[CallList]] = {}
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leaseguard-call-lists")

    def get(
        self, lessor: str, day: ListDay, compute: Callable[[], CallList], *, wait: float | None = None
    ) -> CallList | None:
        """The list, computed first if need be; None when `wait` seconds passed before it was ready (None: wait
        until it is)."""
        if day.finished_at is None:
            return compute()
        key = (lessor, day.as_of, day.finished_at.isoformat())
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            future = self._pending.get(key)
            if future is None:
                future = self._pending[key] = self._worker.submit(self._compute, key, compute)
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            return None

    def _compute(self, key: tuple[str, dt.date, str], compute: Callable[[], CallList]) -> CallList:
        try:
            value = compute()
        finally:
            with self._lock:
                self._pending.pop(key, None)
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value


def _empty_list(as_of: dt.date) -> CallList:
    import polars as pl

    from leaseguard.warning.rules import SIGNALS, load_warning_rules
    from leaseguard.warning.service import WARNING_COLUMNS

    schema: dict[str, Any] = dict.fromkeys(WARNING_COLUMNS, pl.String)
    schema.update(
        call_order=pl.Int64, as_of=pl.Date, score=pl.Float64, dpd=pl.Int32, overdue_amount_fen=pl.Int64,
        outstanding_principal_fen=pl.Int64, lessor_name=pl.String, **dict.fromkeys(SIGNALS, pl.Boolean),
    )  # fmt: skip
    return CallList(as_of, pl.DataFrame(schema=schema), load_warning_rules().tier_labels)


def _lessor_list(
    engine: Engine, lessor: str, day: ListDay, allocation: Allocation | None
) -> Callable[[], CallList]:
    def compute() -> CallList:
        try:
            return call_list_of(engine, day.as_of, allocation=allocation, lessor=lessor)
        except NoSuchLessorError:
            return _empty_list(day.as_of)

    return compute


def lessor_call_list(
    engine: Engine,
    lessor: str,
    day: ListDay,
    *,
    allocation: Allocation | None = None,
    cache: CallListCache | None = None,
) -> CallList:
    """The lessor's call list of `day` (early_warning's, of its own contracts), from `cache` when kept; empty for a
    lessor without contracts."""
    compute = _lessor_list(engine, lessor, day, allocation)
    found = compute() if cache is None else cache.get(lessor, day, compute)
    assert found is not None  # waited for
    return found


def call_list_soon(
    engine: Engine,
    lessor: str,
    day: ListDay,
    cache: CallListCache,
    *,
    wait: float,
    allocation: Allocation | None = None,
) -> CallList | None:
    """`lessor_call_list` for a page: computed in the cache's background worker, None while it is not ready after
    `wait` seconds (the page says it is coming, and asks again)."""  # fmt: skip
    return cache.get(lessor, day, _lessor_list(engine, lessor, day, allocation), wait=wait)


@dataclass(frozen=True)
class CallRow:
    """A contract on the call list as the desk reads it (money in fen; the page shows yuan), with its broken
    promise when it has one."""

    call_order: int
    contract_no: str
    lessee_name: str | None
    phone: str | None
    tier: str
    dpd: int
    overdue_amount_fen: int
    score: float
    signals: tuple[str, ...]
    broken_promise: CollectionCallOut | None


@dataclass(frozen=True)
class TierCount:
    tier: str
    label: str  # the rule file's (Chinese)
    contracts: int
    broken_promises: int


@dataclass(frozen=True)
class CollectionsPage:
    as_of: dt.date
    tiers: list[TierCount]
    tier: str | None  # the tier shown, None: all
    rows: list[CallRow]
    page: int
    pages: int
    total: int
    per_page: int
    broken_total: int

    @property
    def first_row(self) -> int:
        return 0 if not self.rows else (self.page - 1) * self.per_page + 1


def ordered_calls(calls: CallList, broken: Mapping[str, CollectionCallOut]) -> Any:
    """The call list with `broken_promise` (bool) and `signals` naming it, in the order the desk calls: tier by
    tier as the list has them, within a tier the broken promises first, then the list's own order; call_order
    numbered again."""
    import polars as pl

    frame = calls.frame.with_columns(
        pl.col("contract_no").is_in(list(broken)).alias(BROKEN_PROMISE),
        pl.col("call_order").min().over("tier").alias("_tier_order"),
    )
    frame = frame.with_columns(
        pl.when(pl.col(BROKEN_PROMISE))
        .then(
            pl.when(pl.col("signals") == "")
            .then(pl.lit(BROKEN_PROMISE))
            .otherwise(pl.lit(BROKEN_PROMISE + ";") + pl.col("signals"))
        )
        .otherwise(pl.col("signals"))
        .alias("signals")
    )
    return (
        frame.sort(["_tier_order", BROKEN_PROMISE, "call_order"], descending=[False, True, False])
        .drop("_tier_order")
        .with_columns(pl.int_range(1, pl.len() + 1).alias("call_order"))
    )


def _call_row(r: Mapping[str, Any], broken: Mapping[str, CollectionCallOut]) -> CallRow:
    return CallRow(
        call_order=int(r["call_order"]), contract_no=r["contract_no"], lessee_name=r["lessee_name"],
        phone=r["phone"], tier=r["tier"], dpd=int(r["dpd"]), overdue_amount_fen=int(r["overdue_amount_fen"]),
        score=float(r["score"]), signals=tuple(s for s in (r["signals"] or "").split(";") if s),
        broken_promise=broken.get(r["contract_no"]),
    )  # fmt: skip


def collections_page(
    calls: CallList,
    broken: Mapping[str, CollectionCallOut],
    *,
    tier: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> CollectionsPage:
    """A page of the call list (of one tier, or all) with each tier's count, broken promises raised."""
    import polars as pl

    ordered = ordered_calls(calls, broken)
    counts = ordered.group_by("tier").agg(
        pl.len().alias("n"), pl.col(BROKEN_PROMISE).sum().alias("b"), pl.col("call_order").min().alias("o")
    )
    by_tier = {name: (int(n), int(b), int(o)) for name, n, b, o in counts.iter_rows()}
    names = [name for name in calls.tier_labels if name in by_tier] + sorted(
        set(by_tier) - set(calls.tier_labels)
    )
    names.sort(key=lambda name: by_tier[name][2])
    if tier is not None and tier not in calls.tier_labels:
        raise UnknownTierError(
            Label("没有档位 {tier!r}；档位有 {tiers}", "there is no tier {tier!r}; the tiers are {tiers}"),
            tier=tier,
            tiers=", ".join(calls.tier_labels),
        )
    chosen = ordered if tier is None else ordered.filter(pl.col("tier") == tier)
    total = chosen.height
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    window = chosen.slice((page - 1) * per_page, per_page)
    rows = [_call_row(r, broken) for r in window.iter_rows(named=True)]
    return CollectionsPage(
        as_of=calls.as_of,
        tiers=[TierCount(n, calls.tier_labels.get(n) or n, by_tier[n][0], by_tier[n][1]) for n in names],
        tier=tier,
        rows=rows,
        page=page,
        pages=pages,
        total=total,
        per_page=per_page,
        broken_total=sum(b for _, b, _ in by_tier.values()),
    )
