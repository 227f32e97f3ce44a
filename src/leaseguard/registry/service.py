"""The ownership check as a service: keep the register fresh, check, record who asked what, and show each
lessor only what a consortium may share."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import asdict
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from leaseguard.evidence import Provenance, append_event
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.registry.check import AssetFacts, CheckOutcome, Match
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


def _match_record(match: Match) -> dict[str, Any]:
    return {
        "lessor": match.registration.lessor,
        "asset_id": match.registration.asset_id,
        "match_kind": match.match_kind,
        "verdict": match.verdict.value,
        "score": match.score,
        "reasons": list(match.reasons),
    }


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
    """Keep what was asked, when, by whom, and what the answer was; with a `signer`, also deposit it in the
    evidence log in the same transaction, so it can be proven later what was known at funding time."""
    request = {
        k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(asked).items() if v is not None
    }
    row = AssetCheck(
        asked_at=dt.datetime.now(dt.UTC),
        lessor=asked.lessor,
        asked_by=asked_by,
        channel=channel,
        request=request,
        verdict=outcome.verdict.value,
        reasons=outcome.reasons,
        matches=[_match_record(m) for m in outcome.matches],
        rules_version=rules_version,
    )
    session.add(row)
    session.flush()
    if signer is not None:
        event = {
            "check_id": row.id,
            "asked_at": row.asked_at.isoformat(),
            "asked_by": asked_by,
            "channel": channel,
            "request": request,
            "verdict": row.verdict,
            "reasons": row.reasons,
            "matches": row.matches,
            "rules_version": rules_version,
        }
        receipt = append_event(
            session,
            event,
            lessor=asked.lessor,
            kind="asset-check",
            provenance=Provenance(
                producer=asked_by, system=f"leaseguard registry ({channel})", produced_at=row.asked_at
            ),
            signer=signer,
            ref=f"asset_check:{row.id}",
        )
        row.evidence_index = receipt.index
    return row


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
        # Reasons name identifiers and differences, never the other lessor's lessee or contract.
        view["reasons"] = [r for r in match.reasons if "lessee" not in r or "different lessee" in r]
    return view
