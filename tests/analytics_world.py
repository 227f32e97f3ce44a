"""A synthetic book (leaseguard.synth, seeded) loaded into a console's store and run on two month-ends, for the
/analytics page: two lessors of the synthetic book, L001 and L002, with an analyst each (lin, leo; PASSWORD)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine

from funding_world import add_users
from leaseguard.classification.daily import run_days
from leaseguard.classification.rules import load_rule_set
from leaseguard.portfolio.allocation import Allocation
from leaseguard.synth import generate_book
from leaseguard.usecases.data_import import load_files

AS_OF = dt.date(2026, 10, 31)
EARLIER = dt.date(2026, 9, 30)
LESSOR, OTHER = "L001", "L002"


def seed_analytics_book(engine: Engine, folder: Path, *, contracts: int = 160) -> None:
    """The synthetic book of `contracts` contracts (two lessors) imported and classified on EARLIER and AS_OF."""
    generate_book(folder, contracts=contracts, seed=19, lessors=2, as_of=AS_OF)
    outcome = load_files(engine, [folder])
    assert not outcome.problems(), outcome.problems()[:5]
    run_days(engine, [EARLIER, AS_OF], load_rule_set("cbirc-2023"), allocation=Allocation.from_settings({}))
    add_users(engine, ("lin", LESSOR, "analyst"), ("leo", OTHER, "analyst"))
