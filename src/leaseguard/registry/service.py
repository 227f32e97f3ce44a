"""The ownership check as a service: keep the register fresh, check, record who asked what, and show each
lessor only what a consortium may share."""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.evidence import NewRecord, Provenance, append_records
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.evidence.models import canonical_json
from leaseguard.registry.check import AssetFacts, CheckOutcome, Match, shown_why
from leaseguard.registry.reasons import reason_text
from leaseguard.registry.register import Register
from leaseguard.registry.rules import RegistryRules, load_rules
from leaseguard.store.models import Asset, AssetCheck, ImportRun


class RegisterCache:
    """One in-memory register per store, rebuilt when an import has changed the assets since it was built."""

    def __init__(
        self, engine: Engine, rules: RegistryRules | None = None, *, refresh_seconds: float = 1.0
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self.engine = engine
        self.rules = rules or load_rules()
        self._register: Register | None = None
        self._stamp: tuple[Any, ...] | None = None
        self._lock = threading.Lock()
        self._stamped_at = 0.0

    def _current_stamp(self) -> tuple[Any, ...]:
        with self.engine.connect() as connection:
            return (
                connection.execute(select(func.max(Asset.id))).scalar(),
                connection.execute(select(func.max(ImportRun.id))).scalar(),
                dt.date.today(),
            )

    def warm_up(self) -> threading.Thread:
        """Build the register in the background, so the first check after start-up does not pay for it."""
        thread = threading.Thread(target=self.get, name="register-warm-up", daemon=True)
        thread.start()
        return thread

    def fresh(self) -> Register | None:
        """The register, if the store was looked at within `refresh_seconds`; None when `get` must look."""
        if self._register is not None and time.monotonic() - self._stamped_at < self.refresh_seconds:
            return self._register
        return None

    def get(self) -> Register:
        now = time.monotonic()
        # Looking at the store once a second is enough: an import takes longer than that to commit anyway.
        if self._register is not None and now - self._stamped_at < self.refresh_seconds:
            return self._register
        stamp = self._current_stamp()
        self._stamped_at = now
        with self._lock:
            if self._register is None or stamp != self._stamp:
                self._register = Register.from_engine(self.engine, self.rules)
                self._stamp = stamp
            return self._register


def _match_record(match: Match, asking_lessor: str) -> dict[str, Any]:
    """A match as kept in the asking lessor's record: what the answer showed it, nothing more, since the
    record is read back by that lessor (API, evidence bundles)."""
    view = shared_view(match, asking_lessor)
    kept = {key: view[key] for key in ("lessor", "match_kind", "verdict", "score", "reasons")}
    if view["own_book"]:
        kept["asset_id"] = match.registration.asset_id
    return kept


LESSEE_ID_CHARS = 64  # asset_checks.lessee_id


@dataclass(frozen=True)
class CheckToRecord:
    """One answered check, as it is to be kept."""

    asked: AssetFacts
    outcome: CheckOutcome
    asked_by: str
    channel: str
    rules_version: int


def _lessee_column(asked: AssetFacts) -> str | None:
    """The lessee a check names, for the column a lessee's checks are found by; an id longer than any real one
    (a screened file's free text) stays in the request only."""
    return asked.lessee_id if asked.lessee_id and len(asked.lessee_id) <= LESSEE_ID_CHARS else None


def _request_record(asked: AssetFacts) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(asked).items() if v is not None
    }


def record_checks(
    session: Session, checks: Sequence[CheckToRecord], *, signer: NoteSigner | None = None
) -> list[AssetCheck]:
    """Keep what was asked, when, by whom, and what the answer was; with a `signer`, also deposit each check
    in the evidence log in the same transaction, so it can be proven later what was known at funding time.

    Many checks share one flush and, per lessor, one evidence append and one signed checkpoint."""
    now = dt.datetime.now(dt.UTC)
    rows = [
        AssetCheck(
            asked_at=now,
            lessor=check.asked.lessor,
            asked_by=check.asked_by,
            channel=check.channel,
            request=_request_record(check.asked),
            verdict=check.outcome.verdict.value,
            reasons=shown_reasons(check.outcome, check.asked.lessor),
            matches=[_match_record(m, check.asked.lessor) for m in check.outcome.matches],
            rules_version=check.rules_version,
            lessee_id=_lessee_column(check.asked),
        )
        for check in checks
    ]
    session.add_all(rows)
    session.flush()
    if signer is None:
        return rows
    by_lessor: dict[str, list[AssetCheck]] = {}
    for row in rows:
        by_lessor.setdefault(row.lessor, []).append(row)
    for lessor, lessor_rows in by_lessor.items():
        records = [
            NewRecord(
                canonical_json(
                    {
                        "check_id": row.id,
                        "asked_at": row.asked_at.isoformat(),
                        "asked_by": row.asked_by,
                        "channel": row.channel,
                        "request": row.request,
                        "verdict": row.verdict,
                        "reasons": row.reasons,
                        "matches": row.matches,
                        "rules_version": row.rules_version,
                    }
                ),
                Provenance(
                    producer=row.asked_by,
                    system=f"leaseguard registry ({row.channel})",
                    produced_at=row.asked_at,
                ),
                kind="asset-check",
                media_type="application/json",
                ref=f"asset_check:{row.id}",
            )
            for row in lessor_rows
        ]
        batch = append_records(session, records, lessor=lessor, signer=signer)
        for row, receipt in zip(lessor_rows, batch.receipts, strict=True):
            row.evidence_index = receipt.index
    return rows


def record_check(
    session: Session,
    *,
    asked: AssetFacts,
    outcome: CheckOutcome,
    asked_by: str,
    channel: str,
    rules_version: int,
    signer: NoteSigner | None = None,
) -> AssetCheck:
    """`record_checks` for a single check."""
    check = CheckToRecord(asked, outcome, asked_by, channel, rules_version)
    return record_checks(session, [check], signer=signer)[0]


@dataclass(frozen=True)
class RecordedCheck:
    check_id: int
    asked_at: dt.datetime
    evidence_index: int | None


class CheckRecorder:
    """Writes the server's checks from one thread, as many per transaction as are waiting.

    Checks are answered by many threads (and processes); if each wrote its own transaction they would queue on
    the store's write lock one by one, a thread that holds it waiting for the interpreter behind the others.
    One writer per process that commits whatever has piled up keeps the lock briefly held and the cost of a
    commit and a signed checkpoint shared, while every caller still gets its check id and evidence index."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        signer: NoteSigner | None,
        *,
        max_batch: int = 256,
        linger_seconds: float = 0.010,
    ) -> None:
        self._sessions = sessions
        self._signer = signer
        self._max_batch = max_batch
        # Waiting a few milliseconds for company costs each caller little and shares a transaction, an
        # evidence append and a signed checkpoint among several checks when many arrive.
        self._linger_seconds = linger_seconds
        self._pending: queue.SimpleQueue[tuple[CheckToRecord, Future[RecordedCheck]] | None] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, check: CheckToRecord) -> Future[RecordedCheck]:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="check-recorder", daemon=True)
                    self._thread.start()
        answer: Future[RecordedCheck] = Future()
        self._pending.put((check, answer))
        return answer

    def close(self) -> None:
        if self._thread is not None:
            self._pending.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while True:
            first = self._pending.get()
            if first is None:
                return
            batch = [first]
            stop = False
            deadline = time.monotonic() + self._linger_seconds
            while len(batch) < self._max_batch:
                try:
                    item = self._pending.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[tuple[CheckToRecord, Future[RecordedCheck]]]) -> None:
        try:
            with self._sessions() as session:
                rows = record_checks(session, [check for check, _ in batch], signer=self._signer)
                session.commit()
        except Exception as error:  # every waiting caller learns of the failure, none waits forever
            if len(batch) > 1:
                # One bad check must not sink the others: write them one by one.
                for item in batch:
                    self._write([item])
                return
            batch[0][1].set_exception(error)
            return
        for (_, answer), row in zip(batch, rows, strict=True):
            answer.set_result(RecordedCheck(row.id, row.asked_at, row.evidence_index))


def shown_reasons(outcome: CheckOutcome, asking_lessor: str) -> list[str]:
    """The reasons of a check as the asking lessor may read them."""
    views = [shared_view(m, asking_lessor) for m in outcome.matches]
    return [f.reason for f in outcome.findings] + [r for view in views for r in view["reasons"]]


def shared_view(match: Match, asking_lessor: str) -> dict[str, Any]:
    """A match as the asking lessor may see it: everything in its own book, the consortium's share elsewhere."""
    registration = match.registration
    view: dict[str, Any] = {
        "lessor": registration.lessor,
        "registered_at": registration.registered_at,
        "financing_active": registration.financing_active,
        "match_kind": match.match_kind,
        "verdict": match.verdict.value,
        "score": match.score,
        "same_lessee": match.same_lessee,
        "identifiers": [
            {"field": m.field, "edit": m.edit.value, "strength": m.strength.name.lower()}
            for m in match.identifiers
        ],
        "own_book": registration.lessor == asking_lessor,
    }
    if registration.lessor == asking_lessor:
        view.update(
            asset_id=registration.asset_id,
            asset_type=registration.asset_type,
            vin=registration.vin,
            serial_no=registration.serial_no,
            engine_no=registration.engine_no,
            manufacturer=registration.manufacturer,
            model=registration.model,
            invoice_code=registration.invoice_code,
            invoice_no=registration.invoice_no,
            lessee_id=registration.lessee_id,
            lessee_name=registration.lessee_name,
            contract_no=registration.contract_no,
            reasons=list(match.reasons),
        )
    else:
        # Reasons name identifiers and differences, never the other lessor's lessee, contract or asset.
        view["reasons"] = [reason_text(r, "en") for r in shown_why(match, asking_lessor)]
    return view
