"""Rates on the wire (money on the wire is `leaseguard.money.yuan_text`: yuan as a decimal string with two places
beside the exact integer fen, never a float)."""

from __future__ import annotations

from decimal import Decimal


def rate(value: Decimal) -> str:
    """A rate with the store's six places, the same on SQLite and PostgreSQL."""
    return f"{Decimal(value):.6f}"
