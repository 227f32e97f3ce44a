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
