"""Credit decisions in the console for tests: a model trained once per test run on the seeded synthetic
applications (a few seconds), a served console deciding with it, and a lessor GAMMA whose decisions are written
by hand, so a policy's trial and the score's drift have a known answer."""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from console_world import PASSWORD, Console, served_console
from leaseguard.credit.model import ModelShelf, train
from leaseguard.evidence import NoteSigner
from leaseguard.store.db import session_factory
from leaseguard.store.models import CreditApplication
from leaseguard.synth.applications import generate_applications
from leaseguard.tenancy import add_lessor
from leaseguard.usecases import people

TODAY = dt.date.today()


@functools.cache
def trained_models() -> Path:
    """A folder holding one credit model, trained once per test run on seed 5's applications: under xdist the
    first worker to ask trains it into a folder of the run (named by its uid) while the others wait on the
    folder's lock, then read it (training is 2.5 s of CPU)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None:
        folder = Path(tempfile.mkdtemp(prefix="leaseguard-credit-models-"))
    else:
        folder = Path(tempfile.gettempdir()) / f"leaseguard-credit-models-{run}"
        folder.mkdir(mode=0o700, exist_ok=True)
    deployed = folder / "deployed"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not deployed.exists():
            frame = generate_applications(seed=5, applicants=2000).applications
            trained = folder / "training"
            shutil.rmtree(trained, ignore_errors=True)
            train(frame, "bad", source="applications.csv", data_fingerprint="0" * 64).model.save(trained)
            trained.rename(deployed)  # whole or absent for the next reader
    return deployed


def model_version() -> str:
    return ModelShelf(trained_models()).get(None).version


def valid_resident_id(body17: str) -> str:
    from stdnum.cn import ric

    return body17 + ric.calc_check_digit(body17 + "0")


def application_form(applicant: str, **more: str) -> dict[str, str]:
    """The console's decision form for an individual of the age the ID says, with income and amount in yuan."""
    return {
        "applicant_id": applicant,
        "applicant_type": "individual",
        "stated_age": str(TODAY.year - int(applicant[6:10])),
        "monthly_income_yuan": "9000.00",
        "requested_amount_yuan": "60000",
        "term_months": "24",
        **more,
    }


def hand_decision(
    lessor: str,
    applicant: str,
    decision: str,
    rule_values: dict[str, Any] | None,
    *,
    score: int,
    version: str,
) -> CreditApplication:
    """A decision as record_decision keeps it, with the rule values given (None: an older decision without)."""
    detail: dict[str, Any] = {"decision": decision, "score": score, "reasons": [], "rules_fired": []}
    if rule_values is not None:
        detail["rule_values"] = rule_values
    return CreditApplication(
        lessor=lessor, applicant_id=applicant, applied_on=TODAY, application_id=None, source="decision",
        decision=decision, score=score, pd=float((rule_values or {}).get("pd", 0.1)), model_version=version,
        policy_version=1, detail=detail, created_at=dt.datetime.now(dt.UTC),
    )  # fmt: skip


def add_people(engine: Engine) -> None:
    """bob: BETA analyst; GAMMA with gil (compliance) and gus (analyst)."""
    policy = people.PeoplePolicy()
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "GAMMA", "Gamma Leasing")
        for name, lessor, role in (("bob", "BETA", "analyst"), ("gil", "GAMMA", "compliance")):
            people.create_user(
                session, username=name, lessor=lessor, role=role, password=PASSWORD, policy=policy
            )


@contextmanager
def served_applications(folder: Path, signer: NoteSigner | None = None) -> Iterator[Console]:
    """The console deciding with the trained model, with bob, GAMMA and gil added."""
    with served_console(folder, evidence_signer=signer, credit_models=trained_models()) as console:
        add_people(console.engine)
        yield console
