"""Issue 22, limits and secrets: request bodies are bounded whatever the transfer encoding, the store's
password is never printed, the workspace is its owner's only, timestamps carry their offset, and every
identifier the importer accepts can be read back through the API."""

from __future__ import annotations

import datetime as dt
import json
import os
import select
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import make_url
from sqlalchemy import select as sql_select
from typer.testing import CliRunner

from conftest import migrated_store, running
from leaseguard.api import create_app
from leaseguard.api.server import body_limit
from leaseguard.cli.main import app as cli
from leaseguard.evidence import service as evidence
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.ingest import import_paths
from leaseguard.store.db import create_store_engine, session_factory, shown_url, upgrade_schema
from leaseguard.store.models import Contract, ImportRun
from leaseguard.store.models import IndicatorReport as ReportRow
from leaseguard.tenancy import add_lessor, create_key
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, WorkspaceError, find_workspace, init_workspace

LEASEGUARD = [sys.executable, "-m", "leaseguard.cli.main"]
PASSWORD = "s3cretPW"
runner = CliRunner()


def _store_with_admin(url: str) -> str:
    """Lessor ALPHA in the store at `url`, and an admin key of it (admin may do everything)."""
    engine = create_store_engine(url)
    try:
        with session_factory(engine)() as session, session.begin():
            add_lessor(session, "ALPHA", "甲融资租赁有限公司")
            session.flush()
            return create_key(session, lessor="ALPHA", role="admin").key
    finally:
        engine.dispose()


# --- 1. request bodies are bounded ---------------------------------------------------------------------------

LIMIT = 64 * 1024


@dataclass(frozen=True)
class Server:
    base: str
    port: int
    key: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path_factory.mktemp('limits') / 'store.db'}"
    engine = create_store_engine(url)
    upgrade_schema(engine)
    engine.dispose()
    key = _store_with_admin(url)
    with running(create_app(url, max_body_bytes=LIMIT)) as base:
        yield Server(base, int(base.rsplit(":", 1)[1]), key)


def _request_head(server: Server, path: str, *headers: str) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        f"Authorization: Bearer {server.key}",
        "Content-Type: application/json",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def _read_response(sock: socket.socket, timeout: float) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one HTTP/1.1 response with a Content-Length."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in header_lines)}
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the response body"
        body += chunk
    return int(status_line.split()[1]), headers, body


def _assert_too_large(status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    assert status == 413, body
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    problem: dict[str, Any] = json.loads(body)
    assert problem["status"] == 413
    assert problem["type"] == "urn:leaseguard:problem:too-large"
    assert problem["instance"] == "/v1/applications/decide"
    assert problem["detail"].startswith("请求体超过上限") and str(LIMIT) in problem["detail"]
    return problem


def test_a_chunked_body_over_the_limit_gets_413_before_it_is_read(server: Server) -> None:
    """300 MB announced by nobody: the server counts what arrives and answers once the limit is passed."""
    attempt = 300 * 1024 * 1024
    piece = b"x" * 65536
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(_request_head(server, "/v1/applications/decide", "Transfer-Encoding: chunked"))
        sock.setblocking(False)
        deadline = time.monotonic() + 60
        while sent < attempt and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], 5)
            if readable:
                break  # the server has answered while the body was still coming
            if writable:
                try:
                    sent += max(sock.send(chunk) - 8, 0)
                except (BrokenPipeError, ConnectionResetError):
                    break
        sock.setblocking(True)
        status, headers, body = _read_response(sock, timeout=10)
    _assert_too_large(status, headers, body)
    # What was sent before the answer came is the limit plus what sockets buffer, not the 300 MB.
    assert sent < 16 * 1024 * 1024, f"{sent:,} bytes were sent before the server answered"


def test_a_declared_length_over_the_limit_is_refused_at_once(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        # Headers only: an answer that waited for the 300 MB body would never come.
        sock.sendall(_request_head(server, "/v1/applications/decide", f"Content-Length: {300 * 1024 * 1024}"))
        started = time.monotonic()
        status, headers, body = _read_response(sock, timeout=5)
    assert time.monotonic() - started < 5
    _assert_too_large(status, headers, body)


def test_normal_bodies_chunked_or_not_still_work(server: Server) -> None:
    auth = {"Authorization": f"Bearer {server.key}"}
    with httpx.Client(base_url=server.base, headers=auth, timeout=10) as client:
        checked = client.post("/v1/assets/check", json={"vin": "LSVAA000000000001"})
        assert checked.status_code == 200, checked.text
        # A generator body goes out chunked: no Content-Length to trust, and it is still read in full.
        parts = [b'{"vin": ', b'"LSVAA000000000002"', b"}"]
        chunked = client.post(
            "/v1/assets/check", content=iter(parts), headers={"Content-Type": "application/json"}
        )
        assert chunked.request.headers.get("transfer-encoding") == "chunked"
        assert chunked.status_code == 200, chunked.text
        # Just under the limit reaches the route: here it answers that no credit model is deployed.
        padding = "x" * (LIMIT - 200)
        decided = client.post("/v1/applications/decide", json={"applicant_id": "A1", "note": padding})
        assert decided.status_code == 503, decided.text
        assert decided.json()["type"] == "urn:leaseguard:problem:no-credit-model"
        # Just over it, chunked, from an ordinary client: the same 413 problem.
        over = client.post(
            "/v1/applications/decide",
            content=iter([b'{"applicant_id": "A1", "note": "', b"x" * LIMIT, b'"}']),
            headers={"Content-Type": "application/json"},
        )
        assert over.status_code == 413, over.text
        assert over.json()["type"] == "urn:leaseguard:problem:too-large"


def test_the_body_limit_is_a_workspace_setting(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "ws")
    assert body_limit(workspace) == 1024 * 1024  # the shipped api.max_body_bytes
    config = workspace.root / "leaseguard.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("max_body_bytes: 1048576", "max_body_bytes: 2048"),
        encoding="utf-8",
    )
    assert body_limit(find_workspace(workspace.root)) == 2048
    config.write_text(
        config.read_text(encoding="utf-8").replace("max_body_bytes: 2048", "max_body_bytes: lots"),
        encoding="utf-8",
    )
    with pytest.raises(WorkspaceError, match=r"leaseguard.yaml：设置 api.max_body_bytes 应为") as caught:
        body_limit(find_workspace(workspace.root))
    assert "leaseguard.yaml: setting api.max_body_bytes must be" in caught.value.text("en")


# --- 2. the store's password is never printed ---------------------------------------------------------------


def _with_password(url: str) -> str:
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def _invoke(env_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args), env={DATABASE_URL_ENV: env_url, HOME_ENV: None})
    return result.exit_code, result.output  # stdout and stderr, as a person sees them


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_init_migrate_and_credit_never_print_the_password(database_url: str, tmp_path: Path) -> None:
    url = _with_password(database_url)
    assert PASSWORD in url
    code, output = _invoke(url, "init", str(tmp_path / "ws"))
    assert code == 0, output
    assert PASSWORD not in output
    assert "postgres:***@127.0.0.1" in output  # the store is still named, only its password is hidden
    code, output = _invoke(url, "migrate", "-w", str(tmp_path / "ws"))
    assert code == 0, output
    assert PASSWORD not in output and "***" in output
    engine = create_store_engine(url)
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "L01", "甲租赁")
    engine.dispose()
    log = tmp_path / "log.csv"
    log.write_text("lessor,applicant_id,applied_on,application_id\nL01,91110000600037341L,2026-01-05,X1\n")
    code, output = _invoke(url, "credit", "load-log", str(log), "-w", str(tmp_path / "ws"))
    assert code == 0, output
    assert "已将 1 条申请日志载入" in output and PASSWORD not in output


def test_a_store_that_cannot_be_reached_is_one_line_without_the_password(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens there once the probe is closed
    url = f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{closed_port}/test"
    code, output = _invoke(url, "init", str(tmp_path / "ws"))
    assert code == 1
    assert PASSWORD not in output and "Traceback" not in output
    assert "无法建立" in output and "postgres:***@" in output
    code, output = _invoke(url, "init", str(tmp_path / "ws"), "--lang", "en")
    assert code == 1 and PASSWORD not in output and "could not be set up" in output
    code, output = _invoke(url, "migrate", "-w", str(tmp_path / "ws"))
    assert code == 1
    assert PASSWORD not in output and "Traceback" not in output and "无法迁移" in output
    code, output = _invoke(url, "migrate", "-w", str(tmp_path / "ws"), "--lang", "en")
    assert code == 1 and PASSWORD not in output and "could not be migrated" in output
    # A URL that does not even parse: SQLAlchemy's own message would repeat it whole.
    code, output = _invoke(
        f"postgresql://postgres:{PASSWORD}@127.0.0.1:port/test", "migrate", "-w", str(tmp_path / "ws")
    )
    assert code == 1
    assert PASSWORD not in output and "Traceback" not in output


def test_shown_url_hides_passwords_even_in_urls_that_do_not_parse() -> None:
    assert shown_url(f"postgresql://u:{PASSWORD}@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert PASSWORD not in shown_url(f"postgresql://u:{PASSWORD}@h:notaport/d")
    assert "w@" not in shown_url("postgresql://u:p@w@h:notaport/d").split("***")[0]
    assert shown_url("sqlite:////tmp/leaseguard.db") == "sqlite:////tmp/leaseguard.db"


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_demo_never_prints_the_password(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, DATABASE_URL_ENV: _with_password(database_url), "COLUMNS": "200"}
    done = subprocess.run(
        [*LEASEGUARD, "demo", str(tmp_path / "ws"), "--contracts", "20", "--no-serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "工作区" in done.stdout and "postgres:***@" in done.stdout
    assert PASSWORD not in done.stdout + done.stderr


# --- 3. the workspace is its owner's only --------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _write_something(workspace_root: Path) -> None:
    engine = find_workspace(workspace_root).engine()
    try:
        with session_factory(engine)() as session, session.begin():
            add_lessor(session, "ALPHA", "甲融资租赁有限公司")
        # A reader that stays open keeps the -wal and -shm files in place (the last one to close removes them).
        with engine.connect() as connection:
            connection.exec_driver_sql("select count(*) from lessors").scalar()
            root = workspace_root
            assert (root / "leaseguard.db-wal").exists() and (root / "leaseguard.db-shm").exists()
            assert _mode(root / "leaseguard.db-wal") == 0o600
            assert _mode(root / "leaseguard.db-shm") == 0o600
    finally:
        engine.dispose()


def _assert_private(root: Path) -> None:
    assert _mode(root) == 0o700
    assert _mode(root / "leaseguard.yaml") == 0o600
    assert _mode(root / "leaseguard.db") == 0o600
    assert _mode(root / "keys") == 0o700
    assert {_mode(key) for key in (root / "keys").iterdir()} == {0o600}


def test_init_makes_the_workspace_owner_only(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in (DATABASE_URL_ENV, HOME_ENV)}
    root = tmp_path / "ws"
    done = subprocess.run(
        [*LEASEGUARD, "init", str(root)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    _assert_private(root)
    _write_something(root)
    # A file a command writes inside the workspace (here the synthetic book) is its owner's only too.
    done = subprocess.run(
        [*LEASEGUARD, "synth", "--out", str(root / "synth"), "--contracts", "10"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    written = sorted((root / "synth").iterdir())
    assert written and _mode(root / "synth") == 0o700
    assert {_mode(path) for path in written} == {0o600}


def test_init_in_process_and_on_an_older_workspace_tightens_the_modes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    root = tmp_path / "ws"
    # The usual umask, not the CLI's: the modes must be set, not inherited (a CLI test may have set 077).
    previous = os.umask(0o022)
    try:
        init_workspace(root)
        _assert_private(root)
        _write_something(root)
    finally:
        os.umask(previous)
    # A workspace from before: everything readable by all.
    for path in (root, root / "keys"):
        path.chmod(0o755)
    for path in (root / "leaseguard.yaml", root / "leaseguard.db", *(root / "keys").iterdir()):
        path.chmod(0o644)
    init_workspace(root)
    _assert_private(root)


# --- 4. timestamps carry their offset ------------------------------------------------------------------------


def _is_utc(value: Any) -> bool:
    return isinstance(value, str) and (value.endswith("Z") or value.endswith("+00:00"))


@pytest.fixture(params=["sqlite", "postgresql"])
def stamped(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[httpx.Client, str, NoteSigner]]:
    """A server over a store holding an import run, a filed indicator report and signed evidence."""
    url = migrated_store(request, tmp_path)
    key = _store_with_admin(url)
    signer = NoteSigner("leaseguard.test/limits", Ed25519PrivateKey.generate())
    engine = create_store_engine(url)
    with session_factory(engine)() as session, session.begin():
        at = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC)
        session.add(
            ImportRun(file_name="contracts.csv", file_sha256="0" * 64, kind="contracts", encoding="utf-8",
                      rows_read=1, rows_inserted=1, status="ok", started_at=at, finished_at=at, lessor="ALPHA")
        )  # fmt: skip
        session.add(
            ReportRow(lessor="ALPHA", as_of=dt.date(2026, 2, 28), rule_set="nfra-2024", rule_set_version=1,
                      rule_set_sha256="0" * 64, draft=False, balance_sheet={}, results=[], alerts=0, created_at=at)
        )  # fmt: skip
    engine.dispose()
    with (
        running(create_app(url, evidence_signer=signer)) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client,
    ):
        yield client, url, signer


def test_every_timestamp_in_an_answer_is_utc_with_its_offset(
    stamped: tuple[httpx.Client, str, NoteSigner],
) -> None:
    client, url, signer = stamped
    checked = client.post("/v1/assets/check", json={"vin": "LSVAA000000000001"})
    assert checked.status_code == 200, checked.text
    engine = create_store_engine(url)
    evidence.publish_checkpoint(engine, signer)
    engine.dispose()
    runs = client.get("/v1/imports").json()["items"]
    reports = client.get("/v1/indicators/reports").json()
    records = client.get("/v1/evidence/records").json()["items"]
    record = client.get(f"/v1/evidence/records/{records[0]['index']}").json()
    checkpoint = client.get("/v1/evidence/checkpoint").json()
    stamps = {
        "checked_at": checked.json()["checked_at"],
        "started_at": runs[0]["started_at"],
        "finished_at": runs[0]["finished_at"],
        "report created_at": reports[0]["created_at"],
        "record appended_at": records[0]["appended_at"],
        "one record appended_at": record["appended_at"],
        "checkpoint created_at": checkpoint["created_at"],
    }
    assert {name: value for name, value in stamps.items() if not _is_utc(value)} == {}
    # The stored instant, not a relabelled local time.
    assert dt.datetime.fromisoformat(runs[0]["started_at"]) == dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC)


def test_the_openapi_schema_says_date_time_for_those_fields(
    stamped: tuple[httpx.Client, str, NoteSigner],
) -> None:
    client, _, _ = stamped
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    fields = {
        "AssetCheckResponse": ["checked_at"],
        "ImportRunOut": ["started_at", "finished_at"],
        "ReportSummary": ["created_at"],
        "RecordOut": ["appended_at"],
        "CheckpointOut": ["created_at"],
    }
    for model, names in fields.items():
        for name in names:
            field = schemas[model]["properties"][name]
            formats = [field.get("format")] + [option.get("format") for option in field.get("anyOf", [])]
            assert "date-time" in formats, (model, name, field)


# --- 5. every identifier the importer accepts can be read back ----------------------------------------------

ODD_NUMBERS = [
    "HT/2024/001",
    "HT:2024:001",
    "HT 2024#001",
    "HT%2F",
    "融资租赁合同〔2024〕第001号",
    "HT?a=1&b=2",
    "HT/payments",
]
ODD_ASSETS = ["AS/1", "AS 2#3", "AS%2F", "设备/甲-1", "AS/valuations"]
CONTRACT_HEADER = (
    "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,annual_rate,"
    "method,frequency"
)


def _contract_row(number: str, lessor: str) -> str:
    terms = "enterprise,2024-01-15,36,360000.00,0.0685,annuity,monthly"
    return f"{number},{lessor},91110000600037341L,甲物流有限公司,{terms}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def odd_book(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("odd")
    url = migrated_store(request, folder)
    book = folder / "book"
    book.mkdir()
    (book / "lessors.csv").write_text("code,name\nALPHA,Alpha Leasing\nBETA,Beta Leasing\n", encoding="utf-8")
    rows = [_contract_row(number, "ALPHA") for number in ODD_NUMBERS] + [_contract_row("BETA/9", "BETA")]
    (book / "contracts.csv").write_text("\n".join([CONTRACT_HEADER, *rows]) + "\n", encoding="utf-8")
    payments = [f"{number},2024-02-15,1000.00" for number in ODD_NUMBERS]
    (book / "payments.csv").write_text("\n".join(["contract_no,paid_date,amount", *payments]) + "\n")
    assets = [f"{asset},ALPHA,machinery,,SN-{n},91110000600037341L,甲物流有限公司,{ODD_NUMBERS[0]},1.00"
              for n, asset in enumerate(ODD_ASSETS)]  # fmt: skip
    header = "asset_id,lessor,asset_type,vin,serial_no,lessee_id,lessee_name,contract_no,invoice_amount"
    (book / "assets.csv").write_text("\n".join([header, *assets]) + "\n", encoding="utf-8")
    valuations = [f"{asset},ALPHA,2024-06-30,2.00" for asset in ODD_ASSETS]
    (book / "valuations.csv").write_text(
        "\n".join(["asset_id,lessor,valuation_date,disposal_value", *valuations]) + "\n"
    )
    engine = create_store_engine(url)
    try:
        reports = import_paths(engine, [book])
        # Accepted on import: every row of every file went in.
        assert sorted((Path(r.file).name, r.rows_read, r.rejected) for r in reports) == [
            ("assets.csv", 5, 0),
            ("contracts.csv", 8, 0),
            ("lessors.csv", 2, 0),
            ("payments.csv", 7, 0),
            ("valuations.csv", 5, 0),
        ], reports
        with session_factory(engine)() as session, session.begin():
            key = create_key(session, lessor="ALPHA", role="analyst").key
    finally:
        engine.dispose()
    app = create_app(url)
    with running(app) as base:
        yield Server(base, int(base.rsplit(":", 1)[1]), key)


def _path(template: str, identifier: str) -> str:
    return template.format(quote(identifier, safe=""))


@pytest.mark.parametrize("number", ODD_NUMBERS)
def test_each_contract_number_the_importer_accepts_is_reachable(odd_book: Server, number: str) -> None:
    with httpx.Client(base_url=odd_book.base, headers={"Authorization": f"Bearer {odd_book.key}"}) as client:
        contract = client.get(_path("/v1/contracts/{}", number))
        assert contract.status_code == 200, contract.text
        assert contract.json()["contract_no"] == number
        payments = client.get(_path("/v1/contracts/{}/payments", number))
        assert payments.status_code == 200, payments.text
        assert payments.json()["contract_no"] == number and payments.json()["total_paid"] == "1000.00"


@pytest.mark.parametrize("asset_id", ODD_ASSETS)
def test_each_asset_id_the_importer_accepts_is_reachable(odd_book: Server, asset_id: str) -> None:
    with httpx.Client(base_url=odd_book.base, headers={"Authorization": f"Bearer {odd_book.key}"}) as client:
        asset = client.get(_path("/v1/assets/{}", asset_id))
        assert asset.status_code == 200, asset.text
        assert asset.json()["asset_id"] == asset_id
        valuations = client.get(_path("/v1/assets/{}/valuations", asset_id))
        assert valuations.status_code == 200, valuations.text
        assert [v["disposal_value"] for v in valuations.json()["items"]] == ["2.00"]


def test_another_lessors_slashed_number_is_still_a_plain_404(odd_book: Server) -> None:
    with httpx.Client(base_url=odd_book.base, headers={"Authorization": f"Bearer {odd_book.key}"}) as client:
        for path in ("/v1/contracts/BETA%2F9", "/v1/contracts/BETA%2F9/payments", "/v1/contracts/HT%2F2024"):
            answer = client.get(path)
            assert answer.status_code == 404, (path, answer.text)
            assert answer.json()["detail"] == "没有这份合同。"
        # The list and the OpenAPI document are where they were.
        assert client.get("/v1/contracts").status_code == 200
        paths = client.get("/openapi.json").json()["paths"]
        assert "/v1/contracts/{contract_no}" in paths and "/v1/contracts/{contract_no}/payments" in paths
        assert "/v1/assets/{asset_id}" in paths and "/v1/assets/{asset_id}/valuations" in paths


def test_a_broken_config_is_reported_without_quoting_its_lines(tmp_path: Path) -> None:
    config = tmp_path / "leaseguard.yaml"
    config.write_text(
        f"version: 1\ndatabase_url: [postgresql://postgres:{PASSWORD}@db/leases\n", encoding="utf-8"
    )
    with pytest.raises(WorkspaceError) as raised:
        find_workspace(tmp_path)
    message = str(raised.value)
    assert PASSWORD not in message and "\n" not in message
    assert message == (
        f"{config}：不是有效的 YAML：第 3 行第 1 列：expected ',' or ']', but got '<stream end>'"
        "（while parsing a flow sequence，始于第 2 行第 15 列）"
    )
    assert raised.value.text("en") == (
        f"{config}: not valid YAML: line 3, column 1: expected ',' or ']', but got '<stream end>' "
        "(while parsing a flow sequence from line 2, column 15)"
    )


def test_an_identifier_no_url_can_carry_is_a_row_error(tmp_path: Path) -> None:
    """A contract number with a line break or tab could never be read back by URL: refused by line and field."""
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade_schema(engine)
    book = tmp_path / "book"
    book.mkdir()
    (book / "lessors.csv").write_text("code,name\nALPHA,Alpha Leasing\n", encoding="utf-8")
    rows = [
        _contract_row('"HT\n2"', "ALPHA"),
        _contract_row('"HT\t3"', "ALPHA"),
        _contract_row("HT-4", "ALPHA"),
    ]
    (book / "contracts.csv").write_text("\n".join([CONTRACT_HEADER, *rows]) + "\n", encoding="utf-8")
    try:
        reports = {Path(r.file).name: r for r in import_paths(engine, [book])}
        contracts = reports["contracts.csv"]
        assert (contracts.rows_read, contracts.rejected) == (3, 2)
        assert [(e.line, e.column) for e in contracts.errors] == [(2, "contract_no"), (4, "contract_no")]
        assert all(e.code == "control" and "控制字符" in e.reason for e in contracts.errors)
        assert all("control character" in e.text("en") for e in contracts.errors)
        with session_factory(engine)() as session:
            stored = session.scalars(sql_select(Contract.contract_no)).all()
        assert stored == ["HT-4"]
    finally:
        engine.dispose()


def test_an_import_run_belongs_to_a_lessor_only_when_every_loaded_row_is_its_own(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade_schema(engine)
    book = tmp_path / "book"
    book.mkdir()
    (book / "lessors.csv").write_text("code,name\nALPHA,Alpha Leasing\nBETA,Beta Leasing\n", encoding="utf-8")
    rows = [_contract_row("A-1", "ALPHA"), _contract_row("A-2", "ALPHA")]
    (book / "contracts.csv").write_text("\n".join([CONTRACT_HEADER, *rows]) + "\n", encoding="utf-8")
    mixed = book / "more"
    mixed.mkdir()
    rows = [_contract_row("A-3", "ALPHA"), _contract_row("B-1", "BETA")]
    (mixed / "contracts.csv").write_text("\n".join([CONTRACT_HEADER, *rows]) + "\n", encoding="utf-8")
    try:
        import_paths(engine, [book])
        import_paths(engine, [mixed])
        with session_factory(engine)() as session:
            runs = session.execute(
                sql_select(ImportRun.file_name, ImportRun.lessor).order_by(ImportRun.id)
            ).all()
    finally:
        engine.dispose()
    assert [(Path(name).parent.name, Path(name).name, lessor) for name, lessor in runs] == [
        ("book", "lessors.csv", None),
        ("book", "contracts.csv", "ALPHA"),
        ("more", "contracts.csv", None),
    ]


def test_a_browser_sending_too_much_to_a_console_page_gets_the_page_and_the_api_its_problem(
    server: Server,
) -> None:
    """The same limit, answered in each caller's terms: a browser posting to a console address (here the sign-in
    form) gets the console's 413 page; the API, or anyone not asking for HTML, problem+json."""
    over = b"x" * (LIMIT + 1)
    browser = httpx.post(
        f"{server.base}/login",
        content=over,
        headers={"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert browser.status_code == 413 and browser.headers["content-type"].startswith("text/html")
    assert "内容过大" in browser.text and "提交的内容超过上限，未做任何更改。" in browser.text
    assert browser.headers["connection"] == "close"
    api = httpx.post(
        f"{server.base}/v1/applications/decide",
        content=over,
        headers={"Accept": "text/html", "Authorization": f"Bearer {server.key}"},
        timeout=10,
    )
    assert api.status_code == 413 and api.headers["content-type"] == "application/problem+json"
    script = httpx.post(f"{server.base}/login", content=over, timeout=10)
    assert script.status_code == 413 and script.headers["content-type"] == "application/problem+json"
