"""Credit applications across lessors, seeded: applicants with resident IDs or unified social credit codes,
stated income, age and enterprise years, an inquiry/application log with multi-head borrowers, and an
outcome label driven by a latent risk that no single column shows.

The multi-head features of each application are computed from the log with the same function the decision
uses at decision time, so a model trained here reads the same numbers the store gives it later."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from leaseguard.credit.features import multi_head_counts
from leaseguard.synth.catalog import COMPANY_REGIONS
from leaseguard.synth.identifiers import usccs
from leaseguard.synth.lessees import _unique_resident_ids

LESSORS = ("L01", "L02", "L03", "L04", "L05", "L06")


@dataclass(frozen=True)
class ApplicationBook:
    applications: pd.DataFrame  # one row per application, with features and the `bad` outcome
    log: pd.DataFrame  # lessor, applicant_id, applied_on, application_id: what the store's log holds


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def generate_applications(
    seed: int = 7, applicants: int = 5000, start: dt.date = dt.date(2025, 1, 1), days: int = 690
) -> ApplicationBook:
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=applicants)
    enterprise = rng.random(applicants) < 0.25
    # Riskier applicants shop around: more applications, close together, at more lenders.
    count = 1 + rng.poisson(np.exp(-0.2 + 0.7 * risk))
    owner = np.repeat(np.arange(applicants), count)
    n = len(owner)
    burst_centre = rng.integers(0, days, applicants)
    spread = np.where(risk > 1.0, 20, 120)
    offsets = (
        burst_centre[owner] + rng.integers(0, 1, n) * 0 + (rng.normal(size=n) * spread[owner]).astype(int)
    )
    day_index = np.clip(offsets, 0, days - 1)
    applied = np.array([start + dt.timedelta(days=int(d)) for d in day_index])
    lessor = np.array(LESSORS)[rng.integers(0, len(LESSORS), n)]

    ids = np.empty(applicants, dtype="U18")
    people = np.flatnonzero(~enterprise)
    companies = np.flatnonzero(enterprise)
    birth_days = rng.integers(-365 * 60, -365 * 20, len(people))
    births = np.array(
        [np.datetime64(start) + np.timedelta64(int(b), "D") for b in birth_days], dtype="datetime64[D]"
    )
    ids[people] = _unique_resident_ids(rng, births)
    regions = np.array([code for code, _ in COMPANY_REGIONS])[
        rng.integers(0, len(COMPANY_REGIONS), len(companies))
    ]
    ids[companies] = usccs(
        np.full(len(companies), "91"), regions, rng.choice(90_000_000, len(companies), replace=False)
    )
    birth = np.full(applicants, np.datetime64("NaT"), dtype="datetime64[D]")
    birth[people] = births
    registered_years = np.where(enterprise, rng.integers(1, 25, applicants), 0)
    registered_on = np.array([start - dt.timedelta(days=int(365.25 * y) + 30) for y in registered_years])

    income = np.round(np.exp(rng.normal(9.0 - 0.25 * risk, 0.5)) * np.where(enterprise, 8, 1), 2)
    outstanding = rng.poisson(np.exp(-0.8 + 0.5 * risk))
    rows = []
    order = np.lexsort((np.arange(n), day_index, owner))
    previous: dict[int, list[tuple[str, dt.date]]] = {}
    for position, i in enumerate(order):
        who = int(owner[i])
        today = applied[i]
        prior = previous.setdefault(who, [])
        counts = multi_head_counts(prior, today)
        prior.append((str(lessor[i]), today))
        age = None
        if not enterprise[who]:
            b = birth[who].astype(dt.date)
            age = today.year - b.year - ((today.month, today.day) < (b.month, b.day))
        rows.append((i, position, who, today, age, counts))
    records = []
    for i, _position, who, today, age, counts in rows:
        lie = rng.random() < (0.04 if risk[who] > 1 else 0.01)
        monthly = float(income[who])
        term = int(rng.choice([12, 24, 36, 48]))
        requested = float(np.round(monthly * rng.uniform(2, 20) * (1.5 if enterprise[who] else 1), -2))
        commitment = float(outstanding[who]) * monthly * rng.uniform(0.05, 0.25)
        years = float(registered_years[who] + (rng.integers(3, 8) if lie and enterprise[who] else 0))
        records.append(
            {
                "application_id": f"APP{i + 1:07d}",
                "lessor": str(lessor[i]),
                "applicant_id": str(ids[who]),
                "application_date": today.isoformat(),
                "applicant_type": "enterprise" if enterprise[who] else "individual",
                "stated_age": None if age is None else int(age + (rng.integers(4, 9) if lie else 0)),
                "enterprise_years": years if enterprise[who] else None,
                "registered_on": registered_on[who].isoformat() if enterprise[who] else None,
                "monthly_income_yuan": round(monthly, 2),
                "requested_amount_yuan": requested,
                "term_months": term,
                **counts,
                "mh_outstanding_elsewhere": int(outstanding[who]),
                "income_committed_share": round(commitment / monthly, 4),
                "age_mismatch": bool(lie and not enterprise[who]),
                "trading_before_registration": bool(lie and enterprise[who]),
                "_risk": float(risk[who]),
            }
        )
    frame = pd.DataFrame.from_records(records).sort_values("application_id", ignore_index=True)
    logit = (
        -2.0
        + 0.9 * frame["_risk"]
        + 0.15 * np.minimum(frame["mh_applications_30d"], 6)
        + 1.2 * (frame["age_mismatch"] | frame["trading_before_registration"])
        + 0.8 * frame["income_committed_share"]
        + 0.2 * np.log(frame["requested_amount_yuan"] / frame["monthly_income_yuan"] / 6)
    )
    frame["bad"] = (rng.random(len(frame)) < _sigmoid(logit.to_numpy())).astype(int)
    frame = frame.drop(columns=["_risk"])
    log = frame[["lessor", "applicant_id", "application_date", "application_id"]].rename(
        columns={"application_date": "applied_on"}
    )
    return ApplicationBook(frame, log)


def write_applications(book: ApplicationBook, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    applications = folder / "applications.csv"
    log = folder / "application_log.csv"
    book.applications.to_csv(applications, index=False)
    book.log.to_csv(log, index=False)
    return applications, log
