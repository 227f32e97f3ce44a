"""One money type and one formatter: exact parsing of yuan, the same text from the scalar and the column
formatter, negatives signed on the whole figure (the first wave printed -5 fen as -1.95 in two places)."""

from __future__ import annotations

import random
from decimal import Decimal

import polars as pl
import pytest

from leaseguard.money import Money, MoneyError, grouped_yuan, parse_fen, yuan_column, yuan_decimal, yuan_text


@pytest.mark.parametrize(
    ("fen", "plain", "grouped"),
    [
        (0, "0.00", "0.00"),
        (5, "0.05", "0.05"),
        (-5, "-0.05", "-0.05"),
        (-195, "-1.95", "-1.95"),
        (123450, "1234.50", "1,234.50"),
        (-123456789, "-1234567.89", "-1,234,567.89"),
    ],
)
def test_fen_are_shown_as_yuan_with_the_sign_on_the_whole_figure(fen: int, plain: str, grouped: str) -> None:
    assert yuan_text(fen) == plain
    assert grouped_yuan(fen) == grouped
    assert str(Money(fen)) == plain


def test_the_column_formatter_writes_what_the_scalar_one_writes() -> None:
    rng = random.Random(7)
    values = [0, 1, -1, 99, -99, 100, -100, *(rng.randint(-(10**12), 10**12) for _ in range(500))]
    column = pl.DataFrame({"fen": values}).select(yuan_column(pl.col("fen"))).to_series().to_list()
    assert column == [yuan_text(v) for v in values]
    assert (
        pl.DataFrame({"fen": [None]}, schema={"fen": pl.Int64}).select(yuan_column(pl.col("fen"))).item()
        is None
    )


@pytest.mark.parametrize(
    ("written", "fen"),
    [("1234.5", 123450), ("1,234.50", 123450), ("¥12", 1200), (" 0.01 ", 1), (12, 1200), (0.1, 10),
     (Decimal("12.300"), 1230), ("1e2", 10000)],
)  # fmt: skip
def test_yuan_are_read_exactly(written: object, fen: int) -> None:
    assert parse_fen(written) == fen
    assert Money.of_yuan(written).fen == fen


@pytest.mark.parametrize(
    ("written", "chinese", "english"),
    [("12.345", "小数超过 2 位", "more than 2 decimals"), ("abc", "不是以元为单位的金额", "not an amount"),
     ("NaN", "不是以元为单位的金额", "not an amount"), ("-1", "不能为负数", "must not be negative"),
     (True, "不是以元为单位的金额", "not an amount"), (None, "不是以元为单位的金额", "not an amount")],
)  # fmt: skip
def test_what_is_not_an_exact_amount_is_refused_naming_where(
    written: object, chinese: str, english: str
) -> None:
    with pytest.raises(MoneyError, match=chinese) as caught:
        parse_fen(written, where="payments.csv line 3 amount")
    assert str(caught.value).startswith("payments.csv line 3 amount：")
    assert caught.value.text("en").startswith("payments.csv line 3 amount: ")
    assert english in caught.value.text("en")


def test_where_an_amount_was_read_may_itself_be_said_in_both_languages() -> None:
    from leaseguard.vocabulary import Label

    with pytest.raises(MoneyError) as caught:
        parse_fen("1.234", where=Label("第 3 行 金额", "line 3 amount"))
    assert str(caught.value) == "第 3 行 金额：'1.234' 的小数超过 2 位"
    assert caught.value.text("en") == "line 3 amount: '1.234' has more than 2 decimals"


def test_negative_amounts_where_they_are_allowed_and_averages_rounded_half_up() -> None:
    assert parse_fen("-0.05", negative=True) == -5
    assert yuan_decimal(Decimal("12.5")) == Decimal("0.13")
    assert yuan_decimal(Decimal("-12.5")) == Decimal("-0.13")
    assert yuan_text(Decimal("12.5")) == "0.13"
    assert yuan_decimal(None) is None and yuan_text(None, missing="—") == "—"
    assert Money(150) + Money(-200) == Money(-50) and -Money(5) == Money(-5)
    assert Money(12345).yuan == Decimal("123.45")
