"""The served API under a schema fuzzer (schemathesis, a fixed seed and example count): over every operation of
the OpenAPI, the examples, coverage, fuzzing and stateful phases (links between operations), no answer is a 5xx,
every status is one the OpenAPI declares and every body, content type and header matches what it declares.

The world is a workspace with a synthetic book: imported, classified on a day, a filed indicator report, an
open case, a trained credit model, so that the operations reach their real answers, not only 404s."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import running
from leaseguard.api import create_app
from leaseguard.cli.demo_commands import _file_indicators
from leaseguard.cli.main import app as cli
from leaseguard.credit.model import fingerprint, train
from leaseguard.evidence.service import log_settings
from leaseguard.store.db import session_factory
from leaseguard.synth import generate_book
from leaseguard.synth.applications import generate_applications
from leaseguard.tenancy import create_key
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, init_workspace

# Enough examples for every phase to reach each operation's answers, few enough for the CI budget.
SEED = 20261204
MAX_EXAMPLES = 15
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
    "response_headers_conformance"
)
DAY = "2024-06-30"


@dataclass(frozen=True)
class Served:
    base: str
    key: str
    contract_no: str
    asset_id: str
    lessee_id: str
    case_id: int
    report_id: int


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
    generate_book(root / "book", contracts=80, seed=11)
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
            "c.contract_no where c.lessor = 'L001' and k.class in ('substandard', 'doubtful', 'loss') "
            "order by k.dpd desc limit 1"
        ).one()
        asset_id = connection.exec_driver_sql(
            "select asset_id from assets where lessor = 'L001' order by asset_id limit 1"
        ).scalar_one()
    _cli("cases", "open", contract_no, "--as-of", DAY, "-w", ws)
    with engine.connect() as connection:
        case_id = connection.exec_driver_sql("select id from enforcement_cases limit 1").scalar_one()
        report_id = connection.exec_driver_sql("select id from indicator_reports limit 1").scalar_one()
    with session_factory(engine)() as session, session.begin():
        key = create_key(session, lessor="L001", role="admin").key
    engine.dispose()
    data = root / "applications.csv"
    generate_applications(seed=5, applicants=1500).applications.to_csv(data, index=False)
    trained = train(pd.read_csv(data), "bad", source=data.name, data_fingerprint=fingerprint(data))
    trained.model.save(root / "models")
    app = create_app(
        workspace.database_url, evidence_signer=log_settings(workspace).signer, credit_models=root / "models"
    )
    with running(app) as base:
        yield Served(base, key, contract_no, asset_id, lessee_id, case_id, report_id)
    mp.undo()


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
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, check=False)
    summary = done.stdout[done.stdout.rfind("SUMMARY") :]
    assert done.returncode == 0, done.stdout[-12000:]
    generated = re.search(r"(\d+) generated", summary)
    assert generated and int(generated.group(1)) > 500, summary
    assert "Tested: " in summary and "Stateful" in summary, summary
