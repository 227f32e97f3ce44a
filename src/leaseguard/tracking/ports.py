"""What the JT/T 808 gateway needs from the rest of leaseguard, as a protocol: the gateway (`gateway.py`) speaks
to terminals and knows nothing of the store; `storage.py` keeps terminals, bindings and positions in the store.
Tests give the gateway an in-memory keeper."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from leaseguard.tracking.jt808 import Location, Registration


@dataclass(frozen=True, slots=True)
class PositionReport:
    """One position a terminal reported: from a 0x0200 report, or one item of a 0x0704 batch upload."""

    phone: str  # the terminal's phone number as its header carries it (BCD digits, leading zeros kept)
    msg_id: int  # 0x0200 or 0x0704
    serial: int  # the serial number of the message that carried it
    received_at: dt.datetime  # aware, UTC: when the gateway had the whole message
    location: Location
    raw: bytes  # the whole frame as received (escaped, with its flags), kept as evidence
    supplement: bool = False  # a blind-area supplement (0x0704 batch type 1): reported late, not live


class TerminalKeeper(Protocol):
    """The terminals the gateway has registered, and where their reports go. Called from a worker thread, never
    from the event loop: a keeper may block on its store."""

    def register(self, phone: str, registration: Registration, at: dt.datetime) -> str:
        """Record a terminal's registration (0x0100) and return the authentication code to send it in 0x8100
        (the code it already has when it registers again)."""
        ...

    def auth_code(self, phone: str) -> str | None:
        """The authentication code issued to this terminal, or None when it never registered."""
        ...

    def keep(self, reports: Sequence[PositionReport]) -> None:
        """Store these reports in one transaction: each attached to the asset its terminal is bound to on the
        report's day, or held apart when the terminal is bound to none. Raising means none was stored."""
        ...
