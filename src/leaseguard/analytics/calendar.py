"""Month-ends and months on book: the time grid of vintage curves and roll rates."""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month-end from `first`'s month up to `last`; `last` itself closes the list when it is not a
    month-end, so the newest snapshot is always the as_of date asked for."""
    if last < first:
        return []
    dates: list[dt.date] = []
    year, month = first.year, first.month
    while True:
        end = month_end(dt.date(year, month, 1))
        if end > last:
            break
        dates.append(end)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if not dates or dates[-1] != last:
        dates.append(last)
    return dates


def previous_month_end(day: dt.date) -> dt.date:
    return day.replace(day=1) - dt.timedelta(days=1)


def months_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """Whole calendar months from `start`'s month to `end`'s month: 0 in the start month itself."""
    return (end.dt.year().cast(pl.Int32) * 12 + end.dt.month().cast(pl.Int32)) - (
        start.dt.year().cast(pl.Int32) * 12 + start.dt.month().cast(pl.Int32)
    )


def cohort_label(start: pl.Expr, cohort: str) -> pl.Expr:
    """The origination cohort of a start date: "2024-03" by month, "2024Q1" by quarter."""
    year = start.dt.year().cast(pl.String)
    if cohort == "month":
        return year + "-" + start.dt.month().cast(pl.String).str.zfill(2)
    return year + "Q" + start.dt.quarter().cast(pl.String)
