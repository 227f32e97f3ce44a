"""The console's pages on a big book: p50/p95 of the overview, /book (filters, keyset pages), /search (each kind),
/lessees/{id}, /contracts/{no}, /cases and /cases/{id}, /collections and recording a call, the asset pages,
/applications, /indicators (the page, a what-if, a filing, a download), /analytics (its first view computes the
lessor's analytics, shown apart; then kept) and its charts, the /admin pages and a data upload, over real HTTP against
`leaseguard serve`, signed in as a person (issues 18 and 19: every page under 300 ms at p95 on the 1,000,000-contract
store).

Builds a book of --contracts contracts (synth, import, one daily run; about 5 minutes for a million) in
--workdir, or reuses the workspace found there: its schema is brought to the head, a user `bench` is made (or
given its password again) and an API key and one asset check are recorded; up to --cases enforcement cases are
opened on the lessor's non-performing contracts (as `cases open` opens them) for the case pages; the asset
pages write more (below).
--copy-from DIR copies DIR/ws into --workdir first, to measure on a copy of a store that must stay as it is.
The asset pages write what a person's use writes: each measured check is recorded, each funding file screened
is kept (a few dozen of 20 assets each, under asset ids BENCH-…). /applications decides with a model trained on
the synthetic applications into the workspace's credit.models when it has none; each measured decision is
recorded, and --credit-decisions decisions (copies of one, under applicants BENCH…) fill twelve weeks for the
list and the drift. /indicators sets the lessor's regime (financial
leasing, unless it has one), uploads a synthetic balance sheet of the run day and files a few reports.

The server builds its ownership register in the background after starting, both cores busy for about 25 s a
million assets; that one asset check waits for it, so the pages are measured in the steady state. Each page
is asked --requests times, one after another (one person at the browser), each time for another contract,
lessee or value picked at random from the lessor's book, after a few unmeasured requests; the overview's
first view after the run is shown apart (it computes the day's figures once)."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import itertools
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import Engine, func, select

from benchmarks.report import publish
from benchmarks.serving import serve
from leaseguard.classification.daily import run_days
from leaseguard.classification.rules import load_rule_set
from leaseguard.evidence import log_settings
from leaseguard.ingest import import_paths
from leaseguard.store.db import session_factory, upgrade_schema
from leaseguard.store.models import Asset, Contract, ContractClass, EnforcementCase, User
from leaseguard.synth import generate_book
from leaseguard.tenancy import create_key
from leaseguard.usecases import people
from leaseguard.workspace import find_workspace, init_workspace

USERNAME = "bench"
PASSWORD = "bench-console-password"
WARM_UP = 5


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _build(workdir: Path, contracts: int, as_of: dt.date) -> float:
    started = time.perf_counter()
    workspace = init_workspace(workdir / "ws")
    generate_book(workdir / "book", contracts=contracts, seed=1)
    engine = workspace.engine()
    kinds = ("lessors", "contracts", "assets", "payments", "valuations")
    import_paths(engine, [workdir / "book" / f"{n}.csv" for n in kinds])
    run_days(engine, [as_of], load_rule_set("cbirc-2023"), signer=log_settings(workspace).signer)
    engine.dispose()
    return time.perf_counter() - started


def _user(engine: Engine) -> str:
    """The lessor of the user `bench` (the first lessor's admin), made or given the password again."""
    policy = people.PeoplePolicy()
    with session_factory(engine)() as session, session.begin():
        existing = session.scalar(select(User).where(User.username == USERNAME))
        if existing is not None:
            people.reset_password(session, USERNAME, PASSWORD, policy)
            return existing.lessor
        lessor = session.scalar(select(Contract.lessor).order_by(Contract.id).limit(1))
        assert lessor is not None, "the store holds no contract"
        people.create_user(
            session, username=USERNAME, lessor=lessor, role="admin", password=PASSWORD, policy=policy
        )
        return lessor


def _cases(workspace: Any, engine: Engine, lessor: str, as_of: dt.date, count: int) -> list[int]:
    """The ids of the lessor's cases, up to `count` of them opened first on its contracts classified
    non-performing on `as_of` (their claims computed and deposited, as `cases open` does)."""
    from leaseguard.enforcement.claims import NotDefaultedError
    from leaseguard.enforcement.service import CaseError, open_case
    from leaseguard.usecases.case_files import NON_PERFORMING_CLASSES, claim_rules

    def existing() -> list[int]:
        with engine.connect() as connection:
            return [int(i) for i in connection.execute(
                select(EnforcementCase.id).where(EnforcementCase.lessor == lessor).order_by(EnforcementCase.id)
            ).scalars()]  # fmt: skip

    have = existing()
    if len(have) >= count:
        return have
    with engine.connect() as connection:
        defaulted = connection.execute(
            select(ContractClass.contract_no)
            .where(ContractClass.as_of == as_of, ContractClass.lessor == lessor,
                   ContractClass.klass.in_(NON_PERFORMING_CLASSES))
            .limit(count * 2)
        ).scalars().all()  # fmt: skip
    rules, signer = claim_rules(workspace), log_settings(workspace).signer
    for contract_no in defaulted:
        if len(have) >= count:
            break
        try:
            have.append(open_case(engine, contract_no, as_of, rules, signer=signer)[0])
        except (NotDefaultedError, CaseError):
            continue
    return existing()


def _samples(engine: Engine, lessor: str, count: int) -> dict[str, list[str]]:
    """Values of the lessor's book picked at random (by row id, so the picking itself is cheap)."""
    rng = random.Random(18)
    with engine.connect() as connection:
        top = int(connection.execute(select(func.max(Contract.id))).scalar_one())
        ids = rng.sample(range(1, top + 1), min(top, count * 20))
        contracts = connection.execute(
            select(Contract.contract_no, Contract.lessee_id, Contract.lessee_name)
            .where(Contract.id.in_(ids), Contract.lessor == lessor)
            .limit(count)
        ).all()
        assets = connection.execute(
            select(Asset.vin, Asset.serial_no, Asset.invoice_no)
            .where(Asset.id.in_(ids), Asset.lessor == lessor)
            .limit(count * 2)
        ).all()
    vins = [vin for vin, _, _ in assets if vin]
    serials = [serial for _, serial, _ in assets if serial]
    invoices = [invoice for _, _, invoice in assets if invoice]
    return {
        "contract_no": [row.contract_no for row in contracts],
        "contract_prefix": [row.contract_no[:-2] for row in contracts],
        "lessee_id": [row.lessee_id for row in contracts],
        "lessee_id_prefix": [row.lessee_id[:6] for row in contracts],
        "lessee_name_prefix": [row.lessee_name[:2] for row in contracts],
        "vin_prefix": [vin[:8] for vin in vins],
        "serial_prefix": [serial[:8] for serial in serials],
        "invoice_no": invoices,
    }


def _serve(root: Path, port: int) -> subprocess.Popen[bytes]:
    """`leaseguard serve` (one worker), ready when /login answers (the ownership register is built first:
    about 25 s a million assets)."""
    return serve(root, port, 1, ready_path="/login", wait_seconds=900, poll=0.5)


def _register_built(base: str, key: str) -> float:
    """Seconds until one ownership check answers: the server builds its register in the background after
    starting (about 25 s a million assets, both cores busy), and the pages are measured once it has."""
    started = time.perf_counter()
    answer = httpx.post(
        f"{base}/v1/assets/check",
        headers={"X-API-Key": key},
        json={"asset_type": "vehicle", "vin": "LSVAU2A3XMN999999"},
        timeout=900,
    )
    assert answer.status_code == 200, f"the warm-up check failed: {answer.status_code} {answer.text[:200]}"
    return time.perf_counter() - started


def _signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, headers={"Accept": "text/html"}, timeout=60)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, "no CSRF token on the sign-in form"
    answer = client.post(
        "/login", data={"username": USERNAME, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"}
    )
    assert answer.status_code == 303, f"sign-in refused: {answer.status_code}"
    return client


def _measure(client: httpx.Client, paths: list[str], warm_up: int = WARM_UP) -> list[float]:
    for path in paths[:warm_up]:
        client.get(path)
    timings = []
    for path in paths:
        started = time.perf_counter()
        answer = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        assert answer.status_code == 200, f"{path}: {answer.status_code}"
        timings.append(elapsed)
    return timings


def _csrf(client: httpx.Client, path: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert token, f"no CSRF token on {path}"
    return token.group(1)


def _measure_posts(client: httpx.Client, send: Callable[[int], httpx.Response], count: int) -> list[float]:
    """`count` submissions, after a few unmeasured ones; `send(i)` posts the i-th (a 200 page or a 303 on)."""
    for i in range(WARM_UP):
        send(count + i)
    timings = []
    for i in range(count):
        started = time.perf_counter()
        answer = send(i)
        elapsed = (time.perf_counter() - started) * 1000
        said = " ".join(re.sub(r"<[^>]+>", " ", answer.text).split())[:1200]
        assert answer.status_code in (200, 303), f"{answer.request.url}: {answer.status_code} {said}"
        timings.append(elapsed)
    return timings


def _funding_files(workdir: Path, lessor: str, files: int, rows: int) -> list[bytes]:
    """Funding files of `rows` assets each for `lessor`, as a lessor would upload them: assets of the
    synthetic book (of every lessor, so some are financed elsewhere) under new asset ids. Empty when the book's
    CSV files are not in the workdir (a store copied with --copy-from)."""
    source = workdir / "book" / "assets.csv"
    if not source.exists():
        return []
    with source.open("rb") as handle:
        step = max(1, (sum(1 for _ in handle) - 1) // (files * rows))  # spread over the whole book
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        picked = [row for i, row in enumerate(reader) if i % step == 0][: files * rows]
    if len(picked) < files * rows:
        return []
    made = []
    for number in range(files):
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        for i, row in enumerate(picked[number * rows : (number + 1) * rows]):
            writer.writerow({**row, "lessor": lessor, "asset_id": f"BENCH-{number:04d}-{i:03d}"})
        made.append(out.getvalue().encode("utf-8"))
    return made


def _row(page: str, timings: list[float]) -> dict[str, Any]:
    row = {
        "page": page,
        "requests": len(timings),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(_percentile(timings, 0.95), 1),
        "max_ms": round(max(timings), 1),
    }
    # Each row as it is measured, so a run that stops part-way has told what it measured.
    print(
        f"{page}: p50 {row['p50_ms']}, p95 {row['p95_ms']}, max {row['max_ms']} ms ({len(timings)})",
        flush=True,
    )
    return row


def _asset_pages(
    client: httpx.Client, workdir: Path, lessor: str, samples: dict[str, list[str]], requests: int
) -> list[dict[str, Any]]:
    """The asset pages: the check form and a check of one asset (recorded, as every check is), the upload
    form, a funding file of 20 assets screened against the whole register and its page, the decisions list."""
    rows = [
        _row("/assets/check (form)", _measure(client, ["/assets/check"] * requests)),
        _row("/assets/screen (upload form)", _measure(client, ["/assets/screen"] * requests)),
        _row("/assets/decisions", _measure(client, ["/assets/decisions"] * requests)),
    ]
    token = _csrf(client, "/assets/check")
    vins = samples["vin_prefix"]
    rng = random.Random(7)

    def check(i: int) -> httpx.Response:
        # Half of the VINs unknown to the register, half the start of one on file with another ending.
        vin = (vins[i % len(vins)] if i % 2 else "LFV2A21K") + "".join(rng.choices("0123456789", k=9))
        return client.post("/assets/check", data={"csrf_token": token, "asset_type": "vehicle", "vin": vin})

    rows.append(_row("POST /assets/check (one vehicle, recorded)", _measure_posts(client, check, requests)))
    uploads = max(10, requests // 10)
    files = _funding_files(workdir, lessor, uploads + WARM_UP, 20)
    if files:
        screens: list[str] = []

        def upload(i: int) -> httpx.Response:
            answer = client.post(
                "/assets/screen",
                data={"csrf_token": token},
                files={"file": (f"funding-{i}.csv", files[i], "text/csv")},
            )
            screens.append(answer.headers.get("location", ""))
            return answer

        rows.append(_row("POST /assets/screen (20 assets, kept)", _measure_posts(client, upload, uploads)))
        shown = [path for path in screens if path.startswith("/assets/screen/")]
        if shown:
            rows.append(
                _row(
                    "/assets/screen/{id} (a screen's page)",
                    _measure(client, [shown[i % len(shown)] for i in range(requests)]),
                )
            )
    return rows


def _collections_pages(
    client: httpx.Client, samples: dict[str, list[str]], requests: int
) -> list[dict[str, Any]]:
    """/collections: its first view starts computing the call list of the run day in the background (`book warn`'s,
    kept until the day is run again) and says it is coming, shown apart with the time until the list is shown; then
    the list and a tier's second page; recording calls and promises on contracts (each a row and an evidence
    deposit), and the contract page with its calls."""
    rows = [
        _row("/collections, first view after the run (the list coming)", [_timed(client, "/collections")])
    ]
    started = time.perf_counter()
    while _still_computing(client, "/collections"):
        time.sleep(1)
    shown = (time.perf_counter() - started) * 1000
    rows.append(_row("/collections, until the call list is shown (background)", [shown]))
    rows.append(_row("/collections (by tier, 50 a page)", _measure(client, ["/collections"] * requests)))
    rows.append(_row("/collections?tier=collections&page=2",
                     _measure(client, ["/collections?tier=collections&page=2"] * requests)))  # fmt: skip
    contracts = samples["contract_no"]
    token = _csrf(client, "/collections")
    promised = (dt.date.today() + dt.timedelta(days=7)).isoformat()

    def call(i: int) -> httpx.Response:
        contract_no = quote(contracts[i % len(contracts)], safe="")
        data = {"csrf_token": token, "outcome": "promise_to_pay", "promise_date": promised,
                "promise_amount": "1000.00", "note": "bench"} if i % 2 else {"csrf_token": token,
                "outcome": "no_answer"}  # fmt: skip
        return client.post(f"/contracts/{contract_no}/calls", data=data)

    rows.append(_row("POST /contracts/{no}/calls (a call or a promise recorded and deposited)",
                     _measure_posts(client, call, requests)))  # fmt: skip
    rows.append(_row("/collections with those promises (broken promises read)",
                     _measure(client, ["/collections"] * requests)))  # fmt: skip
    rows.append(_row("/contracts/{no} with its calls",
                     _measure(client, [f"/contracts/{quote(contracts[i % len(contracts)], safe='')}"
                                       for i in range(requests)])))  # fmt: skip
    return rows


def _follow_job(
    client: httpx.Client, api: httpx.Client, job_id: int
) -> tuple[dict[str, Any], dict[str, float]]:
    """Job `job_id` followed to its end as a person's page and a machine do: GET /jobs/{id} as htmx asks for its
    progress (timed) and GET /v1/jobs/{id}, every quarter of a second. The job as it ended, and: its duration (from
    its start to its end, by its own times), the longest time between two heartbeats (the runner's writes of its
    progress, by the job's own heartbeat times) and between two changes of its steps as seen by the poller."""
    pages: list[float] = []
    beats: list[dt.datetime] = []
    changes: list[float] = []
    last: tuple[int, int | None] | None = None
    dropped = 0
    while True:
        try:
            job: dict[str, Any] = api.get(f"/v1/jobs/{job_id}").json()
        except httpx.TransportError:  # a kept-alive connection dropped by a busy server: ask again
            dropped += 1
            continue
        now = time.perf_counter()
        if job.get("heartbeat_at"):
            beat = dt.datetime.fromisoformat(job["heartbeat_at"])
            if not beats or beat != beats[-1]:
                beats.append(beat)
        if (job["done"], job["total"]) != last:
            last = (job["done"], job["total"])
            changes.append(now)
        if job["state"] in ("succeeded", "failed"):
            break
        started = time.perf_counter()
        try:
            answer = client.get(f"/jobs/{job_id}", headers={"HX-Request": "true"})
        except httpx.TransportError:
            dropped += 1
            continue
        assert answer.status_code == 200, f"/jobs/{job_id}: {answer.status_code}"
        pages.append((time.perf_counter() - started) * 1000)
        time.sleep(0.25)
    begun = dt.datetime.fromisoformat(job["started_at"] or job["created_at"])
    ended = dt.datetime.fromisoformat(job["finished_at"])
    beat_gaps = [(b - a).total_seconds() for a, b in zip([begun, *beats], [*beats, ended], strict=False)]
    step_gaps = [b - a for a, b in itertools.pairwise(changes)]
    return job, {
        "seconds": (ended - begun).total_seconds(),
        "heartbeat_gap": max((g for g in beat_gaps if g >= 0), default=0.0),
        "step_gap": max(step_gaps, default=0.0),
        "pages": pages,  # type: ignore[dict-item]
        "dropped": dropped,
    }


def _job_rows(name: str, job: dict[str, Any], followed: dict[str, Any]) -> list[dict[str, Any]]:
    assert job["state"] == "succeeded", f"{name}: {job.get('message')}"
    rows = [
        _row(f"{name}: the job, start to end ({job['total']:,} steps)", [followed["seconds"] * 1000]),
        _row(f"{name}: longest time between two heartbeats (progress written)", [followed["heartbeat_gap"] * 1000]),
        _row(f"{name}: longest time between two changes of its steps", [followed["step_gap"] * 1000]),
    ]  # fmt: skip
    if followed["pages"]:
        dropped = f", {followed['dropped']} dropped connections asked again" if followed["dropped"] else ""
        rows.append(_row(f"/jobs/{{id}} while {name} runs (htmx's progress{dropped})", followed["pages"]))
    return rows


def _export_job(client: httpx.Client, api: httpx.Client, as_of: dt.date) -> list[dict[str, Any]]:
    """/book/export.xlsx of the lessor's run day: started as a background job (a day bigger than
    console.export_inline_contracts), followed to its end, the workbook downloaded."""
    started = time.perf_counter()
    answer = client.get(f"/book/export.xlsx?day={as_of.isoformat()}")
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code == 200:  # a small book: answered at once
        return [_row("/book/export.xlsx (answered at once)", [elapsed])]
    assert answer.status_code == 303, f"/book/export.xlsx: {answer.status_code}"
    rows = [_row("/book/export.xlsx (the export job started, 303 to its page)", [elapsed])]
    job_id = int(answer.headers["location"].rsplit("/", 1)[1])
    job, followed = _follow_job(client, api, job_id)
    rows += _job_rows("book export", job, followed)
    started = time.perf_counter()
    download = client.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200, f"/jobs/{job_id}/download: {download.status_code}"
    size = len(download.content) / 1e6
    rows.append(
        _row(f"/jobs/{{id}}/download ({size:.1f} MB workbook)", [(time.perf_counter() - started) * 1000])
    )
    rows.append(_row("/jobs/{id} (the ended export's page)", _measure(client, [f"/jobs/{job_id}"] * 20)))
    return rows


def _daily_run_job(client: httpx.Client, api: httpx.Client, as_of: dt.date) -> list[dict[str, Any]]:
    """The daily run of the run day again, started from /book by the admin (a background job), followed to its end."""
    token = _csrf(client, "/book")
    answer = client.post("/book/runs", data={"csrf_token": token, "days": as_of.isoformat()})
    assert answer.status_code == 303, f"/book/runs: {answer.status_code}"
    job_id = int(answer.headers["location"].rsplit("/", 1)[1])
    return _job_rows("daily run", *_follow_job(client, api, job_id))


def _evidence_pages(client: httpx.Client, requests: int) -> list[dict[str, Any]]:
    """/evidence: the look-up page (latest checkpoint, the lessor's newest records), a look-up by reference, a
    record's page, its bundle (proof, checkpoint, verifier) and that bundle verified when uploaded."""
    home = client.get("/evidence").text
    indexes = sorted({int(i) for i in re.findall(r'href="/evidence/records/(\d+)"', home)})
    assert indexes, "the lessor has no evidence record"
    rows = [
        _row("/evidence (checkpoint, newest records)", _measure(client, ["/evidence"] * requests)),
        _row("/evidence?q= (records by reference prefix)",
             _measure(client, ["/evidence?q=collection_call%3A"] * requests)),
        _row("/evidence/records/{index}",
             _measure(client, [f"/evidence/records/{indexes[i % len(indexes)]}" for i in range(requests)])),
    ]  # fmt: skip
    bundles = [
        f"/evidence/records/{indexes[i % len(indexes)]}/bundle" for i in range(max(10, requests // 10))
    ]
    rows.append(
        _row("/evidence/records/{index}/bundle (a .zip with proof and verifier)", _measure(client, bundles))
    )
    bundle = client.get(bundles[0]).content
    token = _csrf(client, "/evidence/verify")

    def verify(i: int) -> httpx.Response:
        files = {"file": (f"bundle-{i}.zip", bundle, "application/zip")}
        return client.post("/evidence/verify", data={"csrf_token": token}, files=files)

    checks = _measure_posts(client, verify, max(10, requests // 10))
    rows.append(_row("POST /evidence/verify (a bundle checked)", checks))
    return rows


COMPLIANCE = "bench_compliance"


def _credit_models(workspace: Any) -> None:
    """A credit model in the workspace's credit.models when it has none (trained on leaseguard.synth's
    applications, seed 5, a few seconds): the server decides with the models it finds there at start-up."""
    from leaseguard.credit.model import train
    from leaseguard.synth.applications import generate_applications

    folder = workspace.root / str(workspace.setting("credit", "models", default="credit/models"))
    if any(folder.glob("credit-model-*.json")):
        return
    frame = generate_applications(seed=5, applicants=2000).applications
    train(frame, "bad", source="synth applications (seed 5)", data_fingerprint="0" * 64).model.save(folder)


def _compliance_user(engine: Engine, lessor: str) -> None:
    """The user `bench_compliance` of the lessor (only compliance tries and deploys a credit policy)."""
    policy = people.PeoplePolicy()
    with session_factory(engine)() as session, session.begin():
        if session.scalar(select(User).where(User.username == COMPLIANCE)) is not None:
            people.reset_password(session, COMPLIANCE, PASSWORD, policy)
            return
        people.create_user(
            session, username=COMPLIANCE, lessor=lessor, role="compliance", password=PASSWORD, policy=policy
        )


def _credit_decisions(engine: Engine, lessor: str, count: int) -> list[int]:
    """At least `count` credit decisions of the lessor, over the last twelve weeks: copies of its newest one
    (taken through the console, so each carries the rule values a policy trial reads) under other applicants and
    scores, added in batches; the ids of the lessor's decisions."""
    from sqlalchemy import insert

    from leaseguard.store.models import CreditApplication

    def ids() -> list[int]:
        with engine.connect() as connection:
            return [int(i) for i in connection.execute(
                select(CreditApplication.id).where(
                    CreditApplication.lessor == lessor, CreditApplication.source == "decision"
                ).order_by(CreditApplication.id)
            ).scalars()]  # fmt: skip

    have = ids()
    if len(have) >= count:
        return have
    with engine.connect() as connection:
        model = connection.execute(
            select(CreditApplication).where(CreditApplication.id == have[-1])
        ).one()._mapping  # fmt: skip
    rng = random.Random(19)
    today = dt.date.today()
    columns = (
        "application_id",
        "decision",
        "pd",
        "model_version",
        "policy_version",
        "detail",
        "evidence_index",
    )
    missing = count - len(have)
    with engine.begin() as connection:
        for start in range(0, missing, 10_000):
            batch = []
            for n in range(start, min(missing, start + 10_000)):
                batch.append({
                    **{name: model[name] for name in columns}, "lessor": lessor, "applicant_id": f"BENCH{n:013d}",
                    "applied_on": today - dt.timedelta(days=rng.randrange(84)), "source": "decision",
                    "score": int(model["score"]) + rng.randint(-60, 60), "created_at": dt.datetime.now(dt.UTC),
                })  # fmt: skip
            connection.execute(insert(CreditApplication), batch)
    return ids()


def _credit_pages(
    base: str, client: httpx.Client, workspace: Any, lessor: str, samples: dict[str, list[str]], args: Any
) -> list[dict[str, Any]]:
    """/applications: a decision posted from the form (the store's facts, scorecard, LightGBM, policy; recorded
    and deposited), the newest decisions and an older page, one decision, the drift (PSI by week over twelve
    weeks of decisions) and the policy in force; a new policy tried on the 1,000 newest decisions (compliance)."""
    token = _csrf(client, "/applications")
    applicants = samples["lessee_id"]

    def decide(i: int) -> httpx.Response:
        applicant = applicants[i % len(applicants)]
        person = len(applicant) == 18 and applicant[:17].isdigit()
        form = {
            "csrf_token": token, "applicant_id": applicant, "applicant_type": "individual" if person else "enterprise",
            "stated_age": "40" if person else "", "enterprise_years": "" if person else "5",
            "monthly_income_yuan": "30000.00", "requested_amount_yuan": "300000", "term_months": "36",
        }  # fmt: skip
        return client.post("/applications", data=form)

    rows = [
        _row("POST /applications (one decision, recorded)", _measure_posts(client, decide, args.requests))
    ]
    engine = workspace.engine()
    _compliance_user(engine, lessor)
    decisions = _credit_decisions(engine, lessor, args.credit_decisions)
    engine.dispose()
    middle = decisions[len(decisions) // 2]
    rng = random.Random(23)
    picked = [decisions[rng.randrange(len(decisions))] for _ in range(args.requests)]
    newest, older = ["/applications"] * args.requests, [f"/applications?before={middle}"] * args.requests
    rows += [
        _row(f"/applications ({len(decisions):,} decisions, newest 20)", _measure(client, newest)),
        _row("/applications?before= (an older page)", _measure(client, older)),
        _row("/applications/decisions/{id}", _measure(client, [f"/applications/decisions/{i}" for i in picked])),
        _row("/applications/drift (PSI, 12 weeks)", _measure(client, ["/applications/drift"] * args.requests)),
        _row("/applications/policy (rules in force)", _measure(client, ["/applications/policy"] * args.requests)),
    ]  # fmt: skip
    officer = httpx.Client(base_url=base, headers={"Accept": "text/html"}, timeout=120)
    form = officer.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found, "no CSRF token on the sign-in form"
    officer.post(
        "/login",
        data={"username": COMPLIANCE, "password": PASSWORD, "csrf_token": found.group(1), "next": "/"},
    )
    officer_token = _csrf(officer, "/applications/policy")
    from leaseguard.credit.policy import shipped_policy_text

    text = shipped_policy_text().replace('"mh_lenders_30d > 3"', '"mh_lenders_30d > 2"')

    def trial(i: int) -> httpx.Response:
        return officer.post(
            "/applications/policy/test", data={"csrf_token": officer_token, "policy_text": text}
        )

    tries = max(10, args.requests // 10)
    rows.append(
        _row(
            "POST /applications/policy/test (1,000 newest decisions tried)",
            _measure_posts(officer, trial, tries),
        )
    )
    officer.close()
    return rows


def _still_computing(client: httpx.Client, path: str) -> bool:
    """Whether the page still says 正在计算 (as htmx asks again while a background computation runs). A dropped
    connection is asked again: with a core busy computing, the server may close an idle kept-alive connection just
    as the next request is sent on it."""
    try:
        return "正在计算" in client.get(path).text
    except httpx.TransportError:
        return True


def _timed(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    answer = client.get(path)
    assert answer.status_code == 200, f"{path}: {answer.status_code}"
    return (time.perf_counter() - started) * 1000


def _analytics_pages(client: httpx.Client, as_of: dt.date, requests: int) -> list[dict[str, Any]]:
    """/analytics of the run day. The first view starts the lessor's analytics in the background (month-end
    positions over its history) and shows them if ready within console.analytics_wait_seconds, else says they
    are coming; the time until /analytics/results (what htmx asks every 2 s) has them is shown apart. The charts
    the page shows are drawn once each on their first request; then the page and the charts as kept."""
    day = as_of.isoformat()
    started = time.perf_counter()
    rows = [_row("/analytics, first view after the run", [_timed(client, f"/analytics?as_of={day}")])]
    while _still_computing(client, f"/analytics/results?as_of={day}"):
        time.sleep(1)
    rows.append(_row("/analytics, until computed (background)", [(time.perf_counter() - started) * 1000]))
    page = client.get(f"/analytics?as_of={day}").text
    charts = sorted(set(re.findall(r'<img src="(/analytics/charts/[a-z_]+\.png\?as_of=[0-9-]+)"', page)))
    assert charts, "the analytics page shows no chart"
    rows.append(
        _row("/analytics/charts/*.png, first drawing of each", [_timed(client, path) for path in charts])
    )
    rows.append(_row("/analytics (kept)", _measure(client, [f"/analytics?as_of={day}"] * requests)))
    rows.append(
        _row(
            "/analytics/charts/*.png (kept)",
            _measure(client, [charts[i % len(charts)] for i in range(requests)]),
        )
    )
    return rows


def _admin_pages(
    client: httpx.Client, samples: dict[str, list[str]], as_of: dt.date, requests: int
) -> list[dict[str, Any]]:
    """The admin's pages (users, one user, keys, the lessor's settings, the upload form) and uploads of a
    payments file of 20 of the lessor's contracts, one bad row each (loaded for the lessor, the row listed).
    Run after the analytics: an import changes the store, so the analytics are computed afresh after it."""
    rows = [
        _row("/admin (users)", _measure(client, ["/admin"] * requests)),
        _row("/admin/users/{name}", _measure(client, [f"/admin/users/{USERNAME}"] * requests)),
        _row("/admin/keys", _measure(client, ["/admin/keys"] * requests)),
        _row("/admin/lessor", _measure(client, ["/admin/lessor"] * requests)),
        _row("/admin/imports (upload form)", _measure(client, ["/admin/imports"] * requests)),
    ]
    token = _csrf(client, "/admin/imports")
    contracts = samples["contract_no"][:20]

    def upload(i: int) -> httpx.Response:
        paid = as_of + dt.timedelta(days=1 + i)  # a new day each file: payments add up, as a person's would
        lines = [f"{number},{paid.isoformat()},1.00" for number in contracts] + [
            "NO-SUCH-CONTRACT,2025-01-01,1.00"
        ]
        body = "contract_no,paid_date,amount\n" + "\n".join(lines) + "\n"
        return client.post(
            "/admin/imports", data={"csrf_token": token},
            files={"file": (f"payments-bench-{i}.csv", body.encode("utf-8"), "text/csv")},
        )  # fmt: skip

    uploads = max(10, requests // 10)
    rows.append(
        _row("POST /admin/imports (21 payments, one bad row)", _measure_posts(client, upload, uploads))
    )
    return rows


def _balance_sheet(workdir: Path, engine: Engine, lessor: str, as_of: dt.date) -> bytes:
    """The lessor reporting under the financial-leasing regime, and the balance-sheet workbook of `as_of` a finance
    team would upload: the template filled with a synthetic balance sheet sized on the book (as
    `report balance-sheet` writes one)."""
    from leaseguard.indicators.balance_sheet import write_balance_sheet
    from leaseguard.indicators.service import read_book
    from leaseguard.store.models import Lessor
    from leaseguard.synth.balance_sheet import book_exposures, npl_balance, synthetic_balance_sheet

    with session_factory(engine)() as session, session.begin():
        row = session.get(Lessor, lessor)
        assert row is not None
        row.extra = {**(row.extra or {}), "regime": (row.extra or {}).get("regime", "financial_leasing")}
    book = read_book(engine, lessor, as_of)
    sheet = synthetic_balance_sheet(
        lessor, as_of, lease_receivables_fen=int(book["claim_balance_fen"].sum() or 0),
        required_provisions_fen=int(book["provision_fen"].sum() or 0), largest_exposures=book_exposures(book),
        npl_balance_fen=npl_balance(book), shareholder_ids=("SHAREHOLDER-1", "SHAREHOLDER-2"),
    )  # fmt: skip
    path = workdir / f"balance-sheet-{lessor}-{as_of.isoformat()}.xlsx"
    write_balance_sheet(sheet, path)
    return path.read_bytes()


def _indicator_pages(
    client: httpx.Client, workbook: bytes, as_of: dt.date, requests: int
) -> list[dict[str, Any]]:
    """/indicators: the balance sheet uploaded, the page (the day's report computed on the lessor's whole book,
    the trend, the filed reports), a what-if, a filing (HTML, XLSX and PDF written, deposited) and a download."""
    day = as_of.isoformat()
    token = _csrf(client, "/indicators")
    sends = max(5, requests // 20)

    def upload(i: int) -> httpx.Response:
        files = {"file": (f"balance-sheet-{i}.xlsx", workbook, "application/octet-stream")}
        return client.post("/indicators/balance-sheet", data={"csrf_token": token}, files=files)

    rows = [
        _row("POST /indicators/balance-sheet (the workbook, kept)", _measure_posts(client, upload, sends))
    ]
    rows.append(
        _row(
            "/indicators?as_of= (every indicator on the book)",
            _measure(client, [f"/indicators?as_of={day}"] * requests),
        )
    )

    def what_if(i: int) -> httpx.Response:
        data = {"csrf_token": token, "as_of": day, "lessee_id": f"BENCH-{i}", "principal": "5000000"}
        return client.post("/indicators/what-if", data=data)

    rows.append(_row("POST /indicators/what-if (before and after)", _measure_posts(client, what_if, sends)))
    filed: list[str] = []

    def file_report(i: int) -> httpx.Response:
        answer = client.post("/indicators/reports", data={"csrf_token": token, "as_of": day})
        filed.append(answer.headers.get("location", ""))
        return answer

    rows.append(
        _row("POST /indicators/reports (filed: HTML, XLSX, PDF)", _measure_posts(client, file_report, sends))
    )
    ids = [found.group(1) for path in filed if (found := re.search(r"filed=(\d+)", path))]
    if ids:
        downloads = [f"/indicators/reports/{ids[i % len(ids)]}/pdf" for i in range(requests)]
        rows.append(_row("/indicators/reports/{id}/pdf (download)", _measure(client, downloads)))
    return rows


def _abandon_jobs(engine: Engine) -> None:
    """Jobs a server stopped by an earlier run left queued or running (no server runs while this sets up): failed
    as abandoned, as the runner itself marks them once they are STALE_SECONDS old, so a new one may start."""
    from sqlalchemy import update

    from leaseguard.jobs import ABANDONED, FAILED, QUEUED, RUNNING
    from leaseguard.store.models import Job

    with engine.begin() as connection:
        connection.execute(
            update(Job).where(Job.state.in_((QUEUED, RUNNING))).values(
                state=FAILED, message={"zh": ABANDONED.zh, "en": ABANDONED.en}, exclusive=None,
                finished_at=dt.datetime.now(dt.UTC),
            )
        )  # fmt: skip


def _jobs_only(root: Path, key: str, lessor: str, book: int, args: Any) -> None:
    port = _free_port()
    server = _serve(root, port)
    rows: list[dict[str, Any]] = []
    try:
        base = f"http://127.0.0.1:{port}"
        print(f"the server's ownership register answered after {_register_built(base, key):.0f} s")
        client = _signed_in(base)
        api = httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60)
        rows += _export_job(client, api, args.as_of)
        if args.daily_run:
            rows += _daily_run_job(client, api, args.as_of)
        api.close()
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    publish(
        "console_jobs", f"Console jobs over HTTP on {book:,} contracts (lessor {lessor}; one worker)", rows
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_console")
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="reuse the workspace (ws/) of an earlier run"
    )
    parser.add_argument("--copy-from", type=Path, default=None, help="copy DIR/ws into --workdir first")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2025, 6, 30))
    parser.add_argument("--cases", type=int, default=300, help="enforcement cases to have for the case pages")
    parser.add_argument(
        "--credit-decisions", type=int, default=100_000, help="credit decisions to have for /applications"
    )
    parser.add_argument(
        "--daily-run", action=argparse.BooleanOptionalAction, default=True,
        help="run the day again from /book at the end, as a background job (the store's whole day: minutes)",
    )  # fmt: skip
    parser.add_argument(
        "--jobs-only",
        action="store_true",
        help="only the background jobs: the export and (--daily-run) a daily run",
    )
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lg-bench-console-"))
    rows: list[dict[str, Any]] = []
    if args.copy_from is not None and not (workdir / "ws").exists():
        workdir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(args.copy_from / "ws", workdir / "ws")
    if not (workdir / "ws" / "leaseguard.yaml").exists():
        built = _build(workdir, args.contracts, args.as_of)
        print(f"built the book in {workdir}: synth, import and a daily run in {built:.0f} s")
    workspace = find_workspace(workdir / "ws")
    engine = workspace.engine()
    upgrade_schema(engine)
    _abandon_jobs(engine)
    lessor = _user(engine)
    with session_factory(engine)() as session, session.begin():
        key = create_key(session, lessor=lessor, role="analyst", label="bench_console warm-up").key
    with engine.connect() as connection:
        book = int(connection.execute(select(func.count()).select_from(Contract)).scalar_one())
    if args.jobs_only:
        engine.dispose()
        _jobs_only(workspace.root, key, lessor, book, args)
        return
    samples = _samples(engine, lessor, args.requests + WARM_UP)
    case_ids = _cases(workspace, engine, lessor, args.as_of, args.cases)
    workbook = _balance_sheet(workdir, engine, lessor, args.as_of)
    engine.dispose()
    _credit_models(workspace)

    def paths(template: str, key: str) -> list[str]:
        values = samples[key]
        return [template.format(quote(values[i % len(values)], safe="")) for i in range(args.requests)]

    pages: list[tuple[str, Callable[[], list[str]]]] = [
        ("/search?q= contract number prefix", lambda: paths("/search?q={}", "contract_prefix")),
        ("/search?q= lessee name, 2 characters", lambda: paths("/search?q={}", "lessee_name_prefix")),
        ("/search?q= lessee ID prefix, 6 digits", lambda: paths("/search?q={}", "lessee_id_prefix")),
        ("/search?q= VIN prefix, 8 characters", lambda: paths("/search?q={}", "vin_prefix")),
        ("/search?q= serial prefix, 8 characters", lambda: paths("/search?q={}", "serial_prefix")),
        ("/search?q= invoice number", lambda: paths("/search?q={}", "invoice_no")),
        ("/search?q=&kind=lessee_name (one kind, 50)", lambda: paths("/search?kind=lessee_name&q={}",
                                                                      "lessee_name_prefix")),
        ("/lessees/{id}", lambda: paths("/lessees/{}", "lessee_id")),
        ("/contracts/{no}", lambda: paths("/contracts/{}", "contract_no")),
        ("/contracts/{no}?payments_page=2&schedule_page=2", lambda: paths(
            "/contracts/{}?payments_page=2&schedule_page=2", "contract_no")),
        ("/book (latest run day, first page of 50)", lambda: ["/book"] * args.requests),
        ("/book?after= (a page deep in the book, keyset)", lambda: paths("/book?after={}", "contract_no")),
        ("/book?class=special_mention", lambda: ["/book?class=special_mention"] * args.requests),
        ("/book?class=normal&after= (one class, deep)", lambda: paths("/book?class=normal&after={}", "contract_no")),
        ("/book?dpd=dpd_30_59 (checked on the rows read)", lambda: ["/book?dpd=dpd_30_59"] * args.requests),
        ("/book?region=31&product=direct", lambda: ["/book?region=31&product=direct"] * args.requests),
        (f"/cases ({len(case_ids):,} cases, by stage, 50 a page)", lambda: ["/cases"] * args.requests),
        ("/cases?stage=opened&page=2", lambda: ["/cases?stage=opened&page=2"] * args.requests),
        ("/cases/{id} (claim computed, ledger, records)", lambda: [
            f"/cases/{case_ids[i % len(case_ids)]}" for i in range(args.requests)]),
    ]  # fmt: skip
    port = _free_port()
    server = _serve(workspace.root, port)
    try:
        base = f"http://127.0.0.1:{port}"
        print(f"the server's ownership register answered after {_register_built(base, key):.0f} s")
        client = _signed_in(base)
        started = time.perf_counter()
        assert client.get("/").status_code == 200
        rows.append(_row("/ (overview), first view after the run", [(time.perf_counter() - started) * 1000]))
        rows.append(_row("/ (overview)", _measure(client, ["/"] * args.requests)))
        for name, make in pages:
            rows.append(_row(name, _measure(client, make())))
        rows += _asset_pages(client, workdir, lessor, samples, args.requests)
        rows += _collections_pages(client, samples, args.requests)
        rows += _credit_pages(base, client, workspace, lessor, samples, args)

        rows += _evidence_pages(client, args.requests)
        rows += _analytics_pages(client, args.as_of, args.requests)
        rows += _admin_pages(client, samples, args.as_of, args.requests)
        rows += _indicator_pages(client, workbook, args.as_of, args.requests)
        api = httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60)
        rows += _export_job(client, api, args.as_of)
        if args.daily_run:
            rows += _daily_run_job(client, api, args.as_of)
        api.close()
        client.close()
    except httpx.TransportError:
        print(f"the server stopped answering; its exit status: {server.poll()}", flush=True)
        raise
    finally:
        server.terminate()
        server.wait(timeout=60)
    publish(
        "console",
        f"Console pages over HTTP, signed in, on {book:,} contracts (lessor {lessor}; one worker)",
        rows,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
