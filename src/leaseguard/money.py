"""Money: integer fen everywhere, one way to read yuan and one way to show it.

Amounts are stored and computed as integer fen (分). Yuan appear only at the edges: read exactly from text
(`parse_fen`, never through a float) and shown with two places (`yuan_text`, or `yuan_column` for a Polars
column) — a negative amount keeps its sign on the whole figure: -5 fen is "-0.05", never "-1.95".
Averages and shares of money (an indicator's numerator) may be fractional fen: `yuan_decimal` rounds those
half-up to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from leaseguard.errors import InvalidInputError
from leaseguard.vocabulary import Label

if TYPE_CHECKING:
    import polars as pl

_CENT = Decimal("0.01")


class MoneyError(InvalidInputError):
    """A value that is not an exact amount of yuan (it names where it was read and why)."""

    @property
    def reason(self) -> Label:
        """Why, without where: for a caller that names the place itself."""
        reason = self.params.get("reason")
        return reason if isinstance(reason, Label) else Label(self.text("zh"), self.text("en"))


AMOUNT = Label("金额", "amount")  # where an amount was read, when the caller does not say
_NOT_YUAN = Label("{value!r} 不是以元为单位的金额", "{value!r} is not an amount in yuan")


def _refused(where: str | Label, value: Any, reason: Label) -> MoneyError:
    return MoneyError(
        Label("{where}：{reason}", "{where}: {reason}"), where=where, reason=reason.filled(value=value)
    )


def parse_fen(value: Any, *, where: str | Label = AMOUNT, negative: bool = False) -> int:
    """Yuan as written ("1,234.50", "1234.5", 1234, Decimal("12.30")) → integer fen, exactly. A float is read
    through its shortest decimal form. More than two decimals, a negative amount (unless `negative`), NaN
    or infinity are refused with a MoneyError naming `where`."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _refused(where, value, _NOT_YUAN)
    written = str(value).strip().replace(",", "").removeprefix("¥").removeprefix("￥")
    try:
        amount = Decimal(written)
    except InvalidOperation:
        raise _refused(where, value, _NOT_YUAN) from None
    if not amount.is_finite():
        raise _refused(where, value, _NOT_YUAN)
    if amount < 0 and not negative:
        raise _refused(where, value, Label("{value!r} 不能为负数", "{value!r} must not be negative"))
    fen = amount.scaleb(2)
    if fen != fen.to_integral_value():
        raise _refused(where, value, Label("{value!r} 的小数超过 2 位", "{value!r} has more than 2 decimals"))
    return int(fen)


def yuan_text(fen: int | Decimal | None, *, grouped: bool = False, missing: str = "") -> str:
    """Integer fen as yuan with two places: 123450 → "1234.50" ("1,234.50" when `grouped`), -5 → "-0.05";
    None → `missing`."""
    if fen is None:
        return missing
    if not isinstance(fen, int):  # a fractional fen (an average): to the nearest fen, half away from zero
        fen = int(Decimal(fen).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    whole, cents = divmod(abs(fen), 100)
    sign = "-" if fen < 0 else ""
    return f"{sign}{whole:,}.{cents:02d}" if grouped else f"{sign}{whole}.{cents:02d}"


def grouped_yuan(fen: int | Decimal | None) -> str:
    """Thousands-separated yuan, as Chinese court documents and reports write amounts: "1,234.50"."""
    return yuan_text(fen, grouped=True)


def yuan_decimal(fen: int | Decimal | None) -> Decimal | None:
    """Fen (possibly fractional, an average) as a Decimal of yuan with two places, rounded half-up."""
    if fen is None:
        return None
    return (Decimal(fen) / 100).quantize(_CENT, rounding=ROUND_HALF_UP)


def yuan_column(fen: pl.Expr) -> pl.Expr:
    """`yuan_text` for a Polars column of integer fen: 12345670 → "123456.70", -5 → "-0.05", null stays null."""
    import polars as pl

    size = fen.abs()
    text = (size // 100).cast(pl.String) + "." + (size % 100).cast(pl.String).str.zfill(2)
    return pl.when(fen < 0).then("-" + text).otherwise(text)


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """An amount of money in integer fen, for code that passes amounts around rather than columns of them."""

    fen: int

    @classmethod
    def of_yuan(cls, value: Any, *, where: str | Label = AMOUNT, negative: bool = False) -> Money:
        return cls(parse_fen(value, where=where, negative=negative))

    @property
    def yuan(self) -> Decimal:
        return Decimal(self.fen).scaleb(-2)

    def text(self, *, grouped: bool = False) -> str:
        return yuan_text(self.fen, grouped=grouped)

    def __str__(self) -> str:
        return yuan_text(self.fen)

    def __add__(self, other: Money) -> Money:
        return Money(self.fen + other.fen)

    def __sub__(self, other: Money) -> Money:
        return Money(self.fen - other.fen)

    def __neg__(self) -> Money:
        return Money(-self.fen)
