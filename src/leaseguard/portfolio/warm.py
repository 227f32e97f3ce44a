"""`python -m leaseguard.portfolio.warm`: the book engine's compiled loops written to numba's cache (beside
`compiled.py`), so that the first book a process computes does not compile them: about 2.5 s of CPU, paid by
every process (a daily run, a server worker, a test worker) until one of them has written the cache. `make
setup` runs it after compiling the modules; a process that finds no cache still compiles, as before."""

from __future__ import annotations

import datetime as dt

import polars as pl

from leaseguard.portfolio.positions import BookPositions


def warm_compiled_loops() -> None:
    """A two-contract book on a day, whole and one contract alone: each compiled loop runs once."""
    contracts = pl.DataFrame(
        {
            "contract_no": ["WARM-1", "WARM-2"],
            "lessor": ["WARM", "WARM"],
            "lessee_id": ["L-1", "L-2"],
            "start_date": [dt.date(2024, 1, 15), dt.date(2024, 3, 1)],
            "term_months": [12, 24],
            "principal_fen": [12_000_000, 36_000_000],
            "annual_rate": ["0.06", "0.08"],
            "method": ["annuity", "equal_principal"],
            "frequency": ["monthly", "quarterly"],
            "residual_value_fen": [0, 100_000],
        },
        schema_overrides={"term_months": pl.Int32},
    )
    payments = pl.DataFrame(
        {
            "contract_no": ["WARM-1", "WARM-1", "WARM-2"],
            "paid_date": [dt.date(2024, 2, 15), dt.date(2024, 3, 20), dt.date(2024, 6, 1)],
            "amount_fen": [1_032_800, 1_000_000, 4_700_000],
        }
    )
    book = BookPositions.from_frames(contracts, payments)
    day = dt.date(2024, 9, 30)
    book.at(day)
    book.contract_state("WARM-1", day)


if __name__ == "__main__":
    warm_compiled_loops()
