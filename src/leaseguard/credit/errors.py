"""The one error every credit function raises for bad input: it names where, which field, and why."""

from __future__ import annotations

from leaseguard.errors import InvalidInputError


class CreditError(InvalidInputError):
    """Bad input to a credit function: a message naming the file or item, the field and the reason."""

    def __init__(self, message: str, *, field: str | None = None, kind: str = "invalid-input") -> None:
        super().__init__(message)
        self.field = field
        self.kind = kind
