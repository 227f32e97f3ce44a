"""Money on the wire: yuan as a decimal string with two places beside the exact integer fen, never a float."""

from __future__ import annotations

from decimal import Decimal


def yuan(fen: int) -> str:
    """'1234.50' for 123450 fen; exact, since Decimal scales by a power of ten without rounding."""
    return f"{Decimal(fen).scaleb(-2):.2f}"


def optional_yuan(fen: int | None) -> str | None:
    return None if fen is None else yuan(fen)


def rate(value: Decimal) -> str:
    """A rate with the store's six places, the same on SQLite and PostgreSQL."""
    return f"{Decimal(value):.6f}"
