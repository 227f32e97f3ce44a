"""A console served for tests: a real uvicorn server over a SQLite store with two lessors (ALPHA, BETA), their
users (ann: ALPHA analyst, cai: ALPHA compliance, ada: ALPHA admin, bea: BETA compliance, all with PASSWORD),
an import run each and API keys (ALPHA analyst; ALPHA admin, BETA admin); and helpers to sign in over HTTP."""

from __future__ import annotations

import atexit
import datetime as dt
import re
import shutil
import ssl
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine

from conftest import copy_of_store, migrate_new_store, running
from leaseguard.api import create_app
from leaseguard.console.settings import ConsoleSettings
from leaseguard.evidence import NoteSigner
from leaseguard.store.db import create_store_engine, session_factory
from leaseguard.store.models import (
    AssetCheck,
    BookRun,
    ClassChange,
    Contract,
    ContractClass,
    ImportRun,
    IndicatorReport,
    Lessor,
)
from leaseguard.tenancy import add_lessor, create_key
from leaseguard.usecases import people

PASSWORD = "correct horse battery staple"
HTML = {"Accept": "text/html,application/xhtml+xml"}
# The console is served over plain HTTP here; one SSL context for every client, as a client's own would load
# the CA bundle again (~20 ms of CPU, and a test signs in many times).
_TLS = ssl.create_default_context()
ALERT = re.compile(r'role="alert">\s*(?:<h2>[^<]*</h2>\s*)?<p>([^<]*)</p>')


@dataclass
class Console:
    base: str
    engine: Engine
    alpha_run: int
    beta_run: int
    api_key: str
    admin_key: str = ""
    beta_admin_key: str = ""

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers=HTML, follow_redirects=False, timeout=30, verify=_TLS)


def _import_run(lessor: str, name: str) -> ImportRun:
    moment = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    return ImportRun(
        file_name=name, file_sha256="0" * 64, kind="contracts", encoding="utf-8", rows_read=3,
        rows_inserted=3, status="loaded", message="ok", started_at=moment, finished_at=moment, lessor=lessor,
    )  # fmt: skip


@dataclass(frozen=True)
class _SeededStore:
    store: Path
    alpha_run: int
    beta_run: int
    api_key: str
    admin_key: str
    beta_admin_key: str


_SEEDED: list[_SeededStore] = []


def _seeded_store() -> _SeededStore:
    """The lessors, users, import runs and API keys every console starts with, put in a SQLite store by the use
    cases once per test process; each console gets a copy of the file. Each user's Argon2id hash costs ~20 ms
    of CPU, and the suite serves about ninety consoles of four users."""
    if not _SEEDED:
        folder = Path(tempfile.mkdtemp(prefix="leaseguard-console-store-"))
        atexit.register(shutil.rmtree, folder, True)
        store = folder / "store.db"
        engine = create_store_engine(f"sqlite:///{store}")
        migrate_new_store(engine)
        policy = people.PeoplePolicy()
        with session_factory(engine)() as session, session.begin():
            add_lessor(session, "ALPHA", "Alpha Leasing")
            add_lessor(session, "BETA", "Beta Leasing")
            for name, lessor, role in (
                ("ann", "ALPHA", "analyst"), ("cai", "ALPHA", "compliance"), ("ada", "ALPHA", "admin"),
                ("bea", "BETA", "compliance"),
            ):  # fmt: skip
                people.create_user(
                    session, username=name, lessor=lessor, role=role, password=PASSWORD, policy=policy
                )
            alpha = _import_run("ALPHA", "alpha-contracts.csv")
            beta = _import_run("BETA", "beta-contracts.csv")
            session.add_all([alpha, beta])
            session.flush()
            keys = [
                create_key(session, lessor=lessor, role=role).key
                for lessor, role in (("ALPHA", "analyst"), ("ALPHA", "admin"), ("BETA", "admin"))
            ]
            seeded = _SeededStore(store, alpha.id, beta.id, *keys)
        engine.dispose()  # the last connection's close folds the write-ahead log into the file
        _SEEDED.append(seeded)
    return _SEEDED[0]


@contextmanager
def served_console(
    tmp_path: Path,
    *,
    evidence_signer: NoteSigner | None = None,
    settings: ConsoleSettings | None = None,
    credit_models: Path | None = None,
) -> Iterator[Console]:
    """The console over a new store; with `evidence_signer`, checks and decisions are deposited in the
    evidence log; `settings` replace the console's (default: the shipped ones); `credit_models` is the folder
    of credit models the server decides with (none by default)."""
    seeded = _seeded_store()
    store = tmp_path / "store.db"
    copy_of_store(seeded.store, store)
    url = f"sqlite:///{store}"
    engine = create_store_engine(url)
    app = create_app(
        url,
        evidence_signer=evidence_signer,
        console=settings or ConsoleSettings(session_idle_minutes=30, session_max_hours=12),
        credit_models=credit_models,
    )
    with running(app) as base:
        yield Console(
            base, engine, seeded.alpha_run, seeded.beta_run, seeded.api_key, seeded.admin_key,
            seeded.beta_admin_key,
        )  # fmt: skip
    engine.dispose()


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def alerts(page: httpx.Response) -> list[str]:
    return ALERT.findall(page.text)


def signed_in(console: Console, username: str, password: str = PASSWORD, *, next: str = "/") -> httpx.Client:
    client = console.browser()
    form = client.get("/login")
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf_of(form), "next": next}
    )
    assert answer.status_code == 303, alerts(answer)
    return client


# --- two lessors' classified days, for the overview ---------------------------------------------------------

EARLIER, DAY = dt.date(2026, 11, 30), dt.date(2026, 12, 1)
# contract: (lessor, class on DAY, claim balance, provision) — on EARLIER every contract was normal.
BOOK = {
    "A-1": ("ALPHA", "normal", 1_000_000, 10_000),
    "A-2": ("ALPHA", "special_mention", 500_000, 25_000),
    "A-3": ("ALPHA", "substandard", 300_000, 150_000),
    "A-4": ("ALPHA", "loss", 200_000, 200_000),
    "B-1": ("BETA", "loss", 9_000_000, 9_000_000),
}


def classified_row(
    day: dt.date, contract_no: str, lessor: str, klass: str, claim: int, provision: int
) -> ContractClass:
    return ContractClass(
        as_of=day, contract_no=contract_no, lessor=lessor, dpd=0, outstanding_principal_fen=claim,
        overdue_amount_fen=0, claim_balance_fen=claim, klass=klass, deciding_rule="test", reasons="",
        provision_fen=provision,
    )  # fmt: skip


def _contract(contract_no: str, lessor: str) -> Contract:
    return Contract(
        contract_no=contract_no, lessor=lessor, lessee_id=f"ID-{contract_no}", lessee_name=f"承租人{contract_no}",
        lessee_type="enterprise", related_party=False, start_date=dt.date(2025, 1, 1), term_months=36,
        principal_fen=1_000_000, annual_rate=Decimal("0.06"), method="annuity", frequency="monthly",
    )  # fmt: skip


def _check(lessor: str, verdict: str, asked_at: dt.datetime, vin: str) -> AssetCheck:
    return AssetCheck(
        asked_at=asked_at, lessor=lessor, asked_by="tester", channel="api", request={"vin": vin},
        verdict=verdict, reasons=[], matches=[], rules_version=1,
    )  # fmt: skip


def _report(lessor: str, results: list[dict[str, object]]) -> IndicatorReport:
    return IndicatorReport(
        lessor=lessor, as_of=DAY, rule_set="nfra-2024", rule_set_version=2, rule_set_sha256="0" * 64,
        draft=False, balance_sheet={}, results=results, alerts=1, created_at=dt.datetime.now(dt.UTC),
    )  # fmt: skip


def sum_classes(engine: Engine) -> None:
    """class_totals as the daily run keeps them, for classes written here by hand instead of by a run."""
    with engine.begin() as connection:
        connection.exec_driver_sql("delete from class_totals")
        connection.exec_driver_sql(
            "insert into class_totals (as_of, lessor, class, contracts, claim_balance_fen, provision_fen) "
            "select as_of, lessor, class, count(*), sum(claim_balance_fen), sum(provision_fen) "
            "from contract_classes group by as_of, lessor, class"
        )


def seed(engine: Engine) -> None:
    now = dt.datetime.now(dt.UTC)
    finished = dt.datetime(2026, 12, 1, 23, 0, tzinfo=dt.UTC)
    with session_factory(engine)() as session, session.begin():
        session.get(Lessor, "BETA").extra = {"regime": "financial_leasing"}  # type: ignore[union-attr]
        # One run day per lessor (book_runs since migration 0026), each with the lessor's own contracts.
        for day in (EARLIER, DAY):
            for lessor in sorted({owner for owner, *_ in BOOK.values()}):
                session.add(
                    BookRun(
                        as_of=day, lessor=lessor, rule_set="cbirc-2023", rule_set_version=1,
                        rule_set_sha256="0" * 64, contracts=sum(owner == lessor for owner, *_ in BOOK.values()),
                        changes=sum(owner == lessor and klass != "normal" for owner, klass, *_ in BOOK.values())
                        if day == DAY else 0,
                        provisions_fen=1, general_reserve_fen=0, finished_at=finished,
                    )
                )  # fmt: skip
        for contract_no, (lessor, klass, claim, provision) in BOOK.items():
            session.add(_contract(contract_no, lessor))
            session.add(classified_row(EARLIER, contract_no, lessor, "normal", claim, 0))
            session.add(classified_row(DAY, contract_no, lessor, klass, claim, provision))
            if klass != "normal":
                session.add(
                    ClassChange(
                        as_of=DAY, contract_no=contract_no, from_class="normal", to_class=klass,
                        deciding_rule="test", reasons="",
                    )
                )  # fmt: skip
        session.add_all(
            [
                _check("ALPHA", "block", now, "LSVAU2180N2183294"),
                _check("ALPHA", "block", now - dt.timedelta(days=2), "LSVOLDOLDOLD00001"),
                _check("ALPHA", "clear", now, "LSVCLEARCLEAR0001"),
                _check("BETA", "block", now, "LSVBETABETA00001X"),
                _report("ALPHA", [
                    {"id": "car", "name": "Capital adequacy ratio (资本充足率)", "status": "breach", "value": 0.071,
                     "limit": 0.08},
                    {"id": "leverage_ratio", "name": "杠杆率", "status": "ok", "value": 0.09, "limit": 0.06},
                ]),
                _report("BETA", [{"id": "car", "name": "BETA 资本", "status": "warning", "value": 0.1, "limit": 0.08}]),
            ]
        )  # fmt: skip
    sum_classes(engine)


# --- the regulatory indicators of ALPHA, for /indicators ---------------------------------------------------------


def seed_indicators(engine: Engine) -> None:
    """The overview's book (seed) with ALPHA reporting under the financial-leasing regime (nfra-2024), as BETA."""
    seed(engine)
    financial_leasing(engine, "ALPHA")


def financial_leasing(engine: Engine, lessor: str) -> None:
    """`lessor` reports under the financial-leasing regime (nfra-2024)."""
    with session_factory(engine)() as session, session.begin():
        row = session.get(Lessor, lessor)
        assert row is not None
        row.extra = {**(row.extra or {}), "regime": "financial_leasing"}


def balance_sheet_workbook(
    engine: Engine, lessor: str, day: dt.date, path: Path, *, breach: bool = True, **changes: int
) -> Path:
    """The balance-sheet template filled with a synthetic balance sheet sized on the lessor's book of `day`;
    with `breach`, its interbank borrowing twice its net assets (同业拆入比例 breached); `changes` set items (fen)."""
    from leaseguard.indicators.balance_sheet import write_balance_sheet
    from leaseguard.indicators.service import read_book
    from leaseguard.synth.balance_sheet import book_exposures, npl_balance, synthetic_balance_sheet

    book = read_book(engine, lessor, day)
    sheet = synthetic_balance_sheet(
        lessor, day, lease_receivables_fen=int(book["claim_balance_fen"].sum() or 0),
        required_provisions_fen=int(book["provision_fen"].sum() or 0), shareholder_ids=("SHAREHOLDER-1",),
        seed=7, largest_exposures=book_exposures(book), npl_balance_fen=npl_balance(book),
    )  # fmt: skip
    items = dict(sheet.items)
    if breach:
        items["interbank_borrowing"] = 2 * items["net_assets"]
    items.update(changes)
    from dataclasses import replace

    write_balance_sheet(replace(sheet, items=items), path)
    return path


ENDED = ("succeeded", "failed")


def ended_job(base: str, key: str, job_id: int, *, seconds: float = 180) -> dict[str, Any]:
    """Job `job_id` read over the API with `key` once it has ended (succeeded or failed), or as it stands after
    `seconds` (it runs in the server's thread)."""
    headers = {"Authorization": f"Bearer {key}", "Accept-Language": "zh"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        deadline = time.monotonic() + seconds
        while True:
            job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
            if job["state"] in ENDED or time.monotonic() > deadline:
                return job
            time.sleep(0.2)


def finished_daily_run(base: str, key: str, day: str, *, seconds: float = 120) -> int:
    """A daily run of `day` started over the API with `key` (an admin's), once it has ended: its job id."""
    started = httpx.post(
        f"{base}/v1/jobs/daily-run", json={"day": day}, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert started.status_code == 202, started.text
    job_id: int = started.json()["id"]
    assert ended_job(base, key, job_id, seconds=seconds)["state"] in ENDED
    return job_id
