"""Open location alerts as early-warning signals: one boolean column per tracking signal, per contract, in the
shape of warning/signals.py's frame (contract_no and a column per signal), so the call list can join it."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from leaseguard.tracking.alerts import TrackingAlert
from leaseguard.vocabulary import TRACKING_SIGNALS


def tracking_signal_frame(alerts: Iterable[TrackingAlert]) -> pl.DataFrame:
    """contract_no and one boolean column per TRACKING_SIGNALS: true where an alert of that kind is open on one
    of the contract's assets. Cleared alerts and alerts of an asset under no contract raise nothing; a contract
    without an open alert has no row (join how="left" and fill_null(False))."""
    raised: dict[str, set[str]] = {}
    for alert in alerts:
        if alert.cleared_at is None and alert.contract_id is not None:
            raised.setdefault(alert.contract_id, set()).add(alert.signal)
    numbers = sorted(raised)
    return pl.DataFrame(
        {
            "contract_no": pl.Series(numbers, dtype=pl.String),
            **{
                signal: pl.Series([signal in raised[number] for number in numbers], dtype=pl.Boolean)
                for signal in TRACKING_SIGNALS
            },
        }
    )


def lessor_tracking_signal_frame(alerts: Iterable[TrackingAlert]) -> pl.DataFrame:
    """`tracking_signal_frame` keyed by lessor and contract_no: contract numbers are not unique across lessors,
    so the call list joins on both and one lessor's alert never reaches another's contract."""
    by_lessor: dict[str, list[TrackingAlert]] = {}
    for alert in alerts:
        by_lessor.setdefault(alert.lessor, []).append(alert)
    frames = [
        tracking_signal_frame(found).select(pl.lit(lessor, pl.String).alias("lessor"), pl.all())
        for lessor, found in sorted(by_lessor.items())
    ]
    empty = tracking_signal_frame(()).select(pl.lit(None, pl.String).alias("lessor"), pl.all())
    return pl.concat([empty, *frames]) if frames else empty
