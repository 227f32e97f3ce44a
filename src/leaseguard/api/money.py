"""Money on the wire: yuan as a decimal string with two places beside the exact integer fen, never a float."""

from __future__ import annotations

from decimal import Decimal

from leaseguard.money import yuan_text


def yuan(fen: int) -> str:
    """'1234.50' for 123450 fen (leaseguard.money's one formatter)."""
    return yuan_text(fen)


def optional_yuan(fen: int | None) -> str | None:
    return None if fen is None else yuan_text(fen)


def rate(value: Decimal) -> str:
    """A rate with the store's six places, the same on SQLite and PostgreSQL."""
    return f"{Decimal(value):.6f}"
