"""Immutable records of tenancy: an issued key (secret shown once), a listed key, an authenticated caller."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A freshly created API key; `key` is the full secret and exists only here, never in the store."""

    # Kept out of repr so a key printed in a log or a traceback does not leak the secret.
    key: str = field(repr=False)
    prefix: str
    lessor: str
    role: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """An API key as the store knows it: everything but the secret."""

    prefix: str
    lessor: str
    role: str
    label: str | None
    created_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the tenant whose rows they may read, and the role that says what they may do."""

    lessor: str
    role: str
    key_prefix: str
