"""The served API under a schema fuzzer (schemathesis, a fixed seed and example count): over every operation of
the OpenAPI, the examples, coverage, fuzzing and stateful phases (links between operations), no answer is a 5xx,
every status is one the OpenAPI declares and every body, content type and header matches what it declares.

The same world walks every operation of the OpenAPI twice more: with another lessor's identifiers (each answers
404 exactly as for a missing row, and a list filtered by one is empty), and with every role (an operation the
role may not use answers 403). Both walks fail when an operation is added without being listed here.

The world is a workspace with a synthetic book of several lessors: imported, classified on a day, a filed
indicator report, an open case, a trained credit model, so that the operations reach their real answers, not
only 404s."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from conftest import running
from console_world import finished_daily_run
from leaseguard.api import create_app
from leaseguard.cli.demo_commands import _file_indicators
from leaseguard.cli.main import app as cli
from leaseguard.credit.model import fingerprint, train
from leaseguard.evidence.service import log_settings
from leaseguard.store.db import session_factory
from leaseguard.synth import generate_book
from leaseguard.synth.applications import generate_applications
from leaseguard.tenancy import create_key
from leaseguard.tenancy.permissions import PERMISSIONS, Action
from leaseguard.tracking.jt808 import Location
from leaseguard.tracking.ports import PositionReport
from leaseguard.tracking.storage import StoreTerminalKeeper
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, init_workspace

# Enough examples for every phase to reach each operation's answers, few enough for the CI budget.
SEED = 20261204
MAX_EXAMPLES = 15
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
    "response_headers_conformance"
)
DAY = "2026-09-30"
ROLES = ("analyst", "compliance", "legal", "admin")


@dataclass(frozen=True)
class Identifiers:
    """One lessor's rows, by the identifiers the API takes."""

    contract_no: str
    asset_id: str
    lessee_id: str
    case_id: int
    report_id: int
    evidence_index: int
    job_id: int = 0


@dataclass(frozen=True)
class Served:
    base: str
    key: str  # L001's admin
    keys: dict[str, str]  # L001's key of each role
    contract_no: str
    asset_id: str
    lessee_id: str
    case_id: int
    report_id: int
    other: Identifiers  # L002's


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    mp = pytest.MonkeyPatch()
    mp.delenv(HOME_ENV, raising=False)
    mp.delenv(DATABASE_URL_ENV, raising=False)
    root = tmp_path_factory.mktemp("fuzz")
    generate_book(root / "book", contracts=150, seed=11, lessors=2)
    workspace = init_workspace(root / "ws")
    ws = str(workspace.root)
    _cli("import", str(root / "book"), "-w", ws)
    _cli("run", "daily", "--as-of", DAY, "-w", ws)
    engine = workspace.engine()
    # The report the demo files: nfra-2024 on a synthetic balance sheet sized on the book.
    assert _file_indicators(workspace, engine, dt.date.fromisoformat(DAY)) is not None
    with engine.connect() as connection:
        contract_no, lessee_id = connection.exec_driver_sql(
            "select c.contract_no, c.lessee_id from contracts c join contract_classes k on k.contract_no = "
            "c.contract_no where c.lessor = 'L001' order by k.dpd desc limit 1"
        ).one()
        asset_id = connection.exec_driver_sql(
            "select asset_id from assets where lessor = 'L001' order by asset_id limit 1"
        ).scalar_one()
    _cli("cases", "open", contract_no, "--as-of", DAY, "-w", ws)
    other = _other_lessors_rows(engine, ws)
    _track(engine, root, ws, {"L001": asset_id, "L002": other.asset_id})
    with engine.connect() as connection:
        case_id = connection.exec_driver_sql(
            "select id from enforcement_cases where lessor = 'L001' limit 1"
        ).scalar_one()
        report_id = connection.exec_driver_sql(
            "select id from indicator_reports where lessor = 'L001' limit 1"
        ).scalar_one()
    with session_factory(engine)() as session, session.begin():
        keys = {role: create_key(session, lessor="L001", role=role).key for role in ROLES}
        theirs = create_key(session, lessor="L002", role="admin").key
    engine.dispose()
    data = root / "applications.csv"
    generate_applications(seed=5, applicants=1500).applications.to_csv(data, index=False)
    trained = train(pd.read_csv(data), "bad", source=data.name, data_fingerprint=fingerprint(data))
    trained.model.save(root / "models")
    app = create_app(
        workspace.database_url, evidence_signer=log_settings(workspace).signer, credit_models=root / "models"
    )
    with running(app) as base:
        other = dataclasses.replace(other, job_id=finished_daily_run(base, theirs, DAY))
        yield Served(base, keys["admin"], keys, contract_no, asset_id, lessee_id, case_id, report_id, other)
    mp.undo()


def _track(engine: Engine, root: Path, ws: str, assets: dict[str, str]) -> None:
    """A terminal bound to each lessor's asset (`tracking bind`) and a few positions of each on DAY, so the
    position and track operations answer with rows, and the isolation walk has another lessor's to refuse."""
    trackers = root / "trackers.csv"
    trackers.write_text(
        "lessor,asset_id,terminal_phone,terminal_id,installed_on,kind\n"
        + "".join(
            f"{lessor},{asset_id},1380013800{n},T{n},2026-09-01,wired\n"
            for n, (lessor, asset_id) in enumerate(sorted(assets.items()), 1)
        ),
        encoding="utf-8",
    )
    _cli("tracking", "bind", str(trackers), "-w", ws)
    keeper = StoreTerminalKeeper(engine)
    fix = dt.datetime.fromisoformat(f"{DAY}T08:00:00+08:00")
    keeper.keep(
        [
            PositionReport(
                phone=f"1380013800{n}",
                msg_id=0x0200,
                serial=minute,
                received_at=(fix + dt.timedelta(minutes=minute, seconds=1)).astimezone(dt.UTC),
                location=Location(
                    alarm=[],
                    status=["positioned"],
                    latitude=31.2 + minute / 1000,
                    longitude=121.4,
                    altitude=5,
                    speed_kmh=30.0,
                    direction=90,
                    time=(fix + dt.timedelta(minutes=minute)).isoformat(),
                    extras={},
                    alarm_word=0,
                    status_word=2,
                ),
                raw=b"\x7e\x02\x00\x7e",
            )
            for n in (1, 2)
            for minute in range(3)
        ]
    )


def _other_lessors_rows(engine: Engine, ws: str) -> Identifiers:
    """L002's contract, asset, lessee, case, report and evidence record: rows L001's keys must never reach."""
    with engine.connect() as connection:
        contract_no, lessee_id = connection.exec_driver_sql(
            "select c.contract_no, c.lessee_id from contracts c join contract_classes k on k.contract_no = "
            "c.contract_no where c.lessor = 'L002' and "
            "c.lessee_id not in (select lessee_id from contracts where lessor = 'L001') order by k.dpd desc limit 1"
        ).one()
        asset_id = connection.exec_driver_sql(
            "select asset_id from assets where lessor = 'L002' and asset_id not in "
            "(select asset_id from assets where lessor = 'L001') order by asset_id limit 1"
        ).scalar_one()
    _cli("cases", "open", contract_no, "--as-of", DAY, "-w", ws)
    with engine.begin() as connection:
        case_id = connection.exec_driver_sql(
            "select id from enforcement_cases where lessor = 'L002'"
        ).scalar_one()
        # L002's filing: L001's report copied under L002 (only its id and lessor matter here).
        connection.exec_driver_sql(
            "insert into indicator_reports (lessor, as_of, rule_set, rule_set_version, rule_set_sha256, draft, "
            "balance_sheet, results, alerts, evidence_index, created_at) select 'L002', as_of, rule_set, "
            "rule_set_version, rule_set_sha256, draft, balance_sheet, results, alerts, null, created_at "
            "from indicator_reports where lessor = 'L001'"
        )
        report_id = connection.exec_driver_sql(
            "select id from indicator_reports where lessor = 'L002'"
        ).scalar_one()
        evidence_index = connection.exec_driver_sql(
            "select min(leaf_index) from evidence_records where lessor = 'L002'"
        ).scalar_one()
    assert evidence_index is not None
    return Identifiers(contract_no, asset_id, lessee_id, case_id, report_id, evidence_index)


def test_the_fuzzer_finds_no_server_error_and_no_answer_off_the_schema(
    served: Served, tmp_path: Path
) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        "[parameters]\n"
        f'contract_no = "{served.contract_no}"\n'
        f'asset_id = "{served.asset_id}"\n'
        f'lessee_id = "{served.lessee_id}"\n'
        f"case_id = {served.case_id}\n"
        f"report_id = {served.report_id}\n"
        'rule_set = "nfra-2024"\nas_of = "2024-06-30"\n',
        encoding="utf-8",
    )
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config), "--no-color",
        "run", f"{served.base}/openapi.json", "--header", f"Authorization: Bearer {served.key}",
        "--checks", CHECKS, "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES), "--workers", "1",
        "--continue-on-failure", "--suppress-health-check", "all",
        "--report", "junit", "--report-dir", str(tmp_path / "reports"),
    ]  # fmt: skip
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env=env, check=False, cwd=tmp_path
    )
    summary = done.stdout[done.stdout.rfind("SUMMARY") :]
    print(summary)  # the run's figures (docs/reliability.md), shown with `pytest -s`
    assert done.returncode == 0, done.stdout[-12000:]
    generated = re.search(r"(\d+) generated", summary)
    assert generated and int(generated.group(1)) > 500, summary
    assert "Tested: " in summary and "Stateful" in summary, summary


# --- another lessor's identifiers ----------------------------------------------------------------------------

# Every operation of the OpenAPI, as (method, path template) → what it answers when given L002's identifier:
# "404" (the row is not the caller's), "empty" (a list filtered by it holds nothing), or None (it takes no
# identifier of a row: the caller's own lessor is implied).
ISOLATION: dict[tuple[str, str], str | None] = {
    ("GET", "/v1/health"): None,
    ("GET", "/v1/me"): None,
    ("GET", "/v1/contracts"): "empty",
    ("GET", "/v1/contracts/{contract_no}"): "404",
    ("GET", "/v1/contracts/{contract_no}/payments"): "404",
    ("GET", "/v1/contracts/{contract_no}/collection-calls"): "404",
    ("POST", "/v1/contracts/{contract_no}/collection-calls"): "404",
    ("POST", "/v1/assets/check"): None,
    ("GET", "/v1/assets"): "empty",
    ("GET", "/v1/assets/{asset_id}"): "404",
    ("GET", "/v1/assets/{asset_id}/valuations"): "404",
    ("GET", "/v1/assets/{asset_id}/position"): "404",
    ("GET", "/v1/assets/{asset_id}/track"): "404",
    ("GET", "/v1/imports"): None,
    ("GET", "/v1/evidence/checkpoint"): None,
    ("GET", "/v1/evidence/checkpoint.txt"): None,
    ("GET", "/v1/evidence/records"): "empty",
    ("GET", "/v1/evidence/records/{index}"): "404",
    ("GET", "/v1/evidence/records/{index}/content"): "404",
    ("GET", "/v1/evidence/proofs/inclusion"): "404",
    ("GET", "/v1/evidence/proofs/consistency"): None,
    ("GET", "/v1/evidence/bundle"): "404",
    ("POST", "/v1/applications/decide"): None,
    ("GET", "/v1/indicators/reports"): None,
    ("GET", "/v1/indicators/reports/{report_id}"): "404",
    ("GET", "/v1/indicators"): None,
    ("GET", "/v1/indicators/{rule_set}"): None,
    ("POST", "/v1/indicators/{rule_set}/what-if"): None,
    ("GET", "/v1/lessees/{lessee_id}"): "404",
    ("GET", "/v1/cases"): None,
    ("GET", "/v1/cases/{case_id}"): "404",
    ("POST", "/v1/jobs/daily-run"): None,
    ("GET", "/v1/jobs/{job_id}"): "404",
}


def _operations(served: Served) -> set[tuple[str, str]]:
    openapi = httpx.get(f"{served.base}/openapi.json", timeout=30).json()
    return {(method.upper(), path) for path, ops in openapi["paths"].items() for method in ops}


def _request(served: Served, key: str, method: str, path: str, ids: Identifiers) -> httpx.Response:
    """The operation called with `ids` wherever it takes an identifier of a row."""
    url = path.format(
        contract_no=ids.contract_no, asset_id=ids.asset_id, lessee_id=ids.lessee_id, case_id=ids.case_id,
        report_id=ids.report_id, index=ids.evidence_index, rule_set="nfra-2024", job_id=ids.job_id,
    )  # fmt: skip
    params: dict[str, str | int] = {}
    if path == "/v1/contracts":
        params = {"lessee_id": ids.lessee_id}
    elif path == "/v1/assets":
        params = {"contract_no": ids.contract_no}
    elif path == "/v1/evidence/records":
        params = {"ref": ids.contract_no}
    elif path.endswith("/track"):
        params = {"date": DAY}
    elif path in ("/v1/evidence/proofs/inclusion", "/v1/evidence/bundle"):
        params = {"index": ids.evidence_index}
    elif (
        path.startswith("/v1/indicators")
        and method == "GET"
        and not path.startswith("/v1/indicators/reports")
    ):
        params = {"as_of": DAY}
    body = None
    if path == "/v1/assets/check":
        body = {"vin": "LSVAA4182E2184847"}
    elif path.endswith("/what-if"):
        body = {"as_of": DAY, "lessee_id": ids.lessee_id, "principal": "1000.00"}
    elif path.endswith("/collection-calls") and method == "POST":
        body = {"outcome": "no_answer", "note": "无人接听"}
    elif path == "/v1/jobs/daily-run":
        body = {"day": DAY}
    elif path == "/v1/applications/decide":
        body = {"application_id": "X-1", "applicant_id": ids.lessee_id}
    headers = {"Authorization": f"Bearer {key}"}
    return _client().request(method, served.base + url, params=params, json=body, headers=headers)


@functools.cache
def _client() -> httpx.Client:
    """One client for the module's requests: a client each costs an SSL context, ~20 ms of CPU."""
    return httpx.Client(timeout=60)


def test_every_operation_is_listed_for_the_isolation_walk(served: Served) -> None:
    assert _operations(served) == set(ISOLATION), "list each new operation in ISOLATION and ROLE_ACTIONS"


@pytest.mark.parametrize("operation", sorted(op for op, expected in ISOLATION.items() if expected))
def test_another_lessors_identifier_answers_like_a_missing_row(
    served: Served, operation: tuple[str, str]
) -> None:
    method, path = operation
    theirs = _request(served, served.key, method, path, served.other)
    if ISOLATION[operation] == "empty":
        assert theirs.status_code == 200, theirs.text
        assert theirs.json()["items"] == [], theirs.text
        return
    missing = Identifiers("NO-SUCH-CONTRACT", "NO-SUCH-ASSET", "NO-SUCH-LESSEE", 2**62, 2**62, 2**62, 2**62)
    absent = _request(served, served.key, method, path, missing)
    assert theirs.status_code == absent.status_code == 404, (theirs.text, absent.text)
    assert theirs.headers["content-type"] == absent.headers["content-type"] == "application/problem+json"
    mine, nobodys = theirs.json(), absent.json()
    assert (mine["type"], mine["title"]) == (nobodys["type"], nobodys["title"])
    assert _without_ids(mine["detail"], served.other) == _without_ids(nobodys["detail"], missing)
    assert "L002" not in _without_ids(mine["detail"], served.other)


def _without_ids(text: str, ids: Identifiers) -> str:
    for value in (
        ids.contract_no,
        ids.asset_id,
        ids.lessee_id,
        str(ids.case_id),
        str(ids.report_id),
        str(ids.job_id),
    ):
        text = text.replace(value, "{id}")
    return text.replace(str(ids.evidence_index), "{id}")


# --- roles ---------------------------------------------------------------------------------------------------

# The action each operation needs (tenancy.permissions), None for an operation every caller may use.
ROLE_ACTIONS: dict[tuple[str, str], Action | None] = {
    ("GET", "/v1/health"): None,
    ("GET", "/v1/me"): None,
    ("GET", "/v1/contracts"): Action.READ_CONTRACTS,
    ("GET", "/v1/contracts/{contract_no}"): Action.READ_CONTRACTS,
    ("GET", "/v1/contracts/{contract_no}/payments"): Action.READ_CONTRACTS,
    ("GET", "/v1/contracts/{contract_no}/collection-calls"): Action.READ_CONTRACTS,
    ("POST", "/v1/contracts/{contract_no}/collection-calls"): Action.RECORD_COLLECTIONS,
    ("POST", "/v1/assets/check"): Action.CHECK_ASSETS,
    ("GET", "/v1/assets"): Action.READ_ASSETS,
    ("GET", "/v1/assets/{asset_id}"): Action.READ_ASSETS,
    ("GET", "/v1/assets/{asset_id}/valuations"): Action.READ_ASSETS,
    ("GET", "/v1/assets/{asset_id}/position"): Action.READ_POSITIONS,
    ("GET", "/v1/assets/{asset_id}/track"): Action.READ_POSITIONS,
    ("GET", "/v1/imports"): Action.READ_IMPORTS,
    ("GET", "/v1/evidence/checkpoint"): Action.READ_EVIDENCE,
    ("GET", "/v1/evidence/checkpoint.txt"): Action.READ_EVIDENCE,
    ("GET", "/v1/evidence/records"): Action.READ_EVIDENCE,
    ("GET", "/v1/evidence/records/{index}"): Action.READ_EVIDENCE,
    ("GET", "/v1/evidence/records/{index}/content"): Action.READ_EVIDENCE,
    ("GET", "/v1/evidence/proofs/inclusion"): Action.READ_EVIDENCE,
    ("GET", "/v1/evidence/proofs/consistency"): Action.READ_EVIDENCE,
    ("GET", "/v1/evidence/bundle"): Action.READ_EVIDENCE,
    ("POST", "/v1/applications/decide"): Action.DECIDE_CREDIT,
    ("GET", "/v1/indicators/reports"): Action.READ_INDICATORS,
    ("GET", "/v1/indicators/reports/{report_id}"): Action.READ_INDICATORS,
    ("GET", "/v1/indicators"): Action.READ_INDICATORS,
    ("GET", "/v1/indicators/{rule_set}"): Action.READ_INDICATORS,
    ("POST", "/v1/indicators/{rule_set}/what-if"): Action.READ_INDICATORS,
    ("GET", "/v1/lessees/{lessee_id}"): Action.READ_CONTRACTS,
    ("GET", "/v1/cases"): Action.READ_CONTRACTS,
    ("GET", "/v1/cases/{case_id}"): Action.READ_CONTRACTS,
    ("POST", "/v1/jobs/daily-run"): Action.RUN_BOOK,
    ("GET", "/v1/jobs/{job_id}"): Action.READ_CONTRACTS,
}


def test_every_operation_is_listed_for_the_role_walk(served: Served) -> None:
    assert _operations(served) == set(ROLE_ACTIONS), "list each new operation in ISOLATION and ROLE_ACTIONS"


@pytest.mark.parametrize("role", ROLES)
def test_a_role_is_refused_every_operation_it_may_not_use_and_reaches_the_others(
    served: Served, role: str
) -> None:
    mine = Identifiers(
        served.contract_no, served.asset_id, served.lessee_id, served.case_id, served.report_id, 0
    )
    for (method, path), action in ROLE_ACTIONS.items():
        response = _request(served, served.keys[role], method, path, mine)
        if action is not None and action not in PERMISSIONS[role]:
            assert response.status_code == 403, (role, method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        else:
            assert response.status_code not in (401, 403), (role, method, path, response.text)
