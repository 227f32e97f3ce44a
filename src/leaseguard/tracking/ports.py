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


# One registration as the gateway hands it to the keeper: the phone its header carries, the 0x0100 body, when
# it was received (aware, UTC).
Registering = tuple[str, Registration, dt.datetime]


class TerminalKeeper(Protocol):
    """The terminals the gateway has registered, and where their reports go. Called from a worker thread, never
    from the event loop: a keeper may block on its store."""

    def register(self, phone: str, registration: Registration, at: dt.datetime) -> str:
        """Record a terminal's registration (0x0100) and return the authentication code to send it in 0x8100
        (the code it already has when it registers again)."""
        ...

    def register_many(self, registrations: Sequence[Registering]) -> list[str | None]:
        """Record these registrations in one transaction and return each one's code, in order (None: the keeper
        refuses that terminal, answered 0x8100 result 4). Raising means none was recorded. The gateway calls
        this, a few hundred at a time, so thousands of terminals registering at once are a few transactions."""
        ...

    def auth_code(self, phone: str) -> str | None:
        """The authentication code issued to this terminal, or None when it never registered."""
        ...

    def auth_codes(self, phones: Sequence[str]) -> dict[str, str]:
        """The codes issued to these terminals, by the phone as given; absent when it never registered."""
        ...

    def keep(self, reports: Sequence[PositionReport]) -> None:
        """Store these reports in one transaction: each attached to the asset its terminal is bound to on the
        report's day, or held apart when the terminal is bound to none. Raising means none was stored."""
        ...
