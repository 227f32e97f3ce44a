"""The one error every credit function raises for bad input: it names where, which field, and why."""

from __future__ import annotations

from leaseguard.errors import InvalidInputError
from leaseguard.vocabulary import Label


class CreditError(InvalidInputError):
    """Bad input to a credit function: a message naming the file or item, the field and the reason, said in
    both languages (`CreditError(Label("{where}：…", "{where}: …"), where=…, field=…)`). `field` and `kind` are
    for the API's problem document, never words of the message."""

    def __init__(
        self,
        message: str | Label = "",
        /,
        *,
        field: str | None = None,
        kind: str = "invalid-input",
        **params: object,
    ) -> None:
        super().__init__(message, **params)
        self.field = field
        self.kind = kind
