"""A `TerminalKeeper` that keeps everything in memory: for tests, benchmarks and `tracking serve --memory`
(a demonstration without a store). Thread-safe: the gateway calls it from its store thread while a test reads
it from another."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Sequence

from leaseguard.tracking.jt808 import Registration
from leaseguard.tracking.ports import PositionReport, Registering


class MemoryKeeper:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.codes: dict[str, str] = {}
        self.registrations: dict[str, Registration] = {}
        self.reports: list[PositionReport] = []
        self.batches = 0
        self.registration_batches = 0

    def register(self, phone: str, registration: Registration, at: dt.datetime) -> str:
        with self._lock:
            self.registrations[phone] = registration
            if phone not in self.codes:
                self.codes[phone] = secrets.token_hex(8)
            return self.codes[phone]

    def register_many(self, registrations: Sequence[Registering]) -> list[str | None]:
        with self._lock:
            self.registration_batches += 1
        return [self.register(phone, registration, at) for phone, registration, at in registrations]

    def auth_code(self, phone: str) -> str | None:
        with self._lock:
            return self.codes.get(phone)

    def auth_codes(self, phones: Sequence[str]) -> dict[str, str]:
        with self._lock:
            return {phone: self.codes[phone] for phone in phones if phone in self.codes}

    def keep(self, reports: Sequence[PositionReport]) -> None:
        with self._lock:
            self.reports.extend(reports)
            self.batches += 1

    def stored(self) -> list[PositionReport]:
        with self._lock:
            return list(self.reports)
