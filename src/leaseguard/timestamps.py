"""Timestamps on the wire: always timezone-aware UTC, as the OpenAPI `date-time` format (RFC 3339) demands."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator


def _as_utc(value: object) -> object:
    # SQLite hands back the stored UTC instants without their offset; PostgreSQL gives them in the session's
    # zone. Both become the same UTC instant, written with Z.
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value


UtcDatetime = Annotated[AwareDatetime, BeforeValidator(_as_utc)]
"""A datetime field of a response model: naive values are read as UTC, aware ones converted to UTC."""
