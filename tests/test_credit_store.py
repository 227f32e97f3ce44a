"""The store's multi-head counting agrees with the training data's: the synthetic log, loaded into SQLite
and PostgreSQL a day at a time, gives every application the counts its training row carries when every
lessor's log is counted (as under consortium sharing, before banding); without sharing, a lessor's facts
come from its own entries only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from leaseguard.credit.features import MULTI_HEAD_FIELDS, multi_head_counts
from leaseguard.credit.service import load_application_log, log_entries, store_facts
from leaseguard.store.db import session_factory
from leaseguard.synth.applications import generate_applications

COUNTED = [name for name in MULTI_HEAD_FIELDS if name.startswith(("mh_lenders", "mh_applications"))]


def test_store_counts_match_the_training_rows(store_engine: Engine) -> None:
    apps = generate_applications(seed=21, applicants=250).applications
    apps = apps.assign(day=apps["application_date"].map(dt.date.fromisoformat))
    lessors = sorted(apps["lessor"].unique())
    # An applicant with two applications on one day: the training row of the second counts the first, the
    # store (which holds whole days here) would count both; such rows are loaded but not compared.
    alone = ~apps.duplicated(["applicant_id", "day"], keep=False)
    sessions = session_factory(store_engine)
    compared = busy = 0
    for day, rows in apps.groupby("day", sort=True):
        with sessions() as session:
            for _, row in rows[alone[rows.index]].iterrows():
                entries = log_entries(session, row["applicant_id"], lessors, day, shared_only=True)
                counts = multi_head_counts(entries, day)
                assert {n: counts[n] for n in COUNTED} == {n: row[n] for n in COUNTED}, row["application_id"]
                own = store_facts(session, row["applicant_id"], row["lessor"], day)
                assert own.members is None
                assert sorted(own.prior) == sorted(e for e in entries if e[0] == row["lessor"])
                compared += 1
                busy += row["mh_applications_180d"] > 0
        with sessions() as session, session.begin():
            load_application_log(
                session,
                zip(rows["lessor"], rows["applicant_id"], rows["day"], rows["application_id"], strict=True),
            )
    assert compared > 0.9 * len(apps) and busy > 50
