"""`leaseguard report regulatory`, `report what-if`, `report balance-sheet` and the indicators API on a real
store (SQLite file and PostgreSQL), over a seeded synthetic book classified by `run daily`.

The expected figures are recomputed here with plain SQL over the stored classes and contracts, independently
of the Polars engine, so a wrong join or a wrong grouping in the engine fails these tests.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import yaml
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine, event, func, select, text
from typer.testing import CliRunner

from conftest import migrated_store, running
from leaseguard.api import create_app
from leaseguard.cli.main import app
from leaseguard.ingest import import_paths
from leaseguard.store.db import session_factory
from leaseguard.store.models import EvidenceRecord, IndicatorReport
from leaseguard.synth import generate_book
from leaseguard.tenancy import create_key
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, find_workspace, init_workspace

runner = CliRunner()
DAY, LATER = dt.date(2025, 6, 30), dt.date(2025, 7, 31)
LESSOR = "L001"
CONTRACT_KEYS = ["id", "name", "value", "limit", "status", "numerator", "denominator"]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("indicators") / "book"
    generate_book(folder, contracts=400, seed=31, lessors=2)
    return folder


def _build(root: Path, book: Path) -> Workspace:
    """A workspace with the book imported, run on DAY and LATER, and a balance sheet for each day."""
    opened = init_workspace(root)
    engine = opened.engine()
    assert all(r.rejected == 0 for r in import_paths(engine, [book]))
    engine.dispose()
    for day in (DAY, LATER):
        _run(opened, "run", "daily", "--as-of", day.isoformat())
        sheet = opened.root / "balance-sheets" / f"{day.isoformat()}.yaml"
        sheet.parent.mkdir(exist_ok=True)
        _run(
            opened,
            "report",
            "balance-sheet",
            "--as-of",
            day.isoformat(),
            "--lessor",
            LESSOR,
            "--out",
            str(sheet),
        )
    return opened


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, book: Path) -> Path:
    """The SQLite workspace built once per module; each test works on its own copy of it."""
    root = tmp_path_factory.mktemp("indicators-template") / "ws"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(HOME_ENV, raising=False)
        patch.delenv(DATABASE_URL_ENV, raising=False)
        _build(root, book)
    return root


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace(
    request: pytest.FixtureRequest, tmp_path: Path, book: Path, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    monkeypatch.delenv(HOME_ENV, raising=False)
    if request.param == "postgresql":
        monkeypatch.setenv(DATABASE_URL_ENV, migrated_store(request, tmp_path))
        return _build(tmp_path / "ws", book)
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    shutil.copytree(request.getfixturevalue("sqlite_template"), tmp_path / "ws")
    return find_workspace(tmp_path / "ws")


def _run(workspace: Workspace, *args: str) -> str:
    result = runner.invoke(app, [*args, "-w", str(workspace.root)])
    assert result.exit_code == 0, result.output
    return result.output


def _fail(workspace: Workspace, *args: str) -> str:
    result = runner.invoke(app, [*args, "-w", str(workspace.root)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    return result.output


def _sql(workspace: Workspace, query: str, **params: object) -> list[tuple[object, ...]]:
    engine = workspace.engine()
    with engine.connect() as connection:
        rows = [tuple(r) for r in connection.execute(text(query), params)]
    engine.dispose()
    return rows


def _report(workspace: Workspace, tmp_path: Path, rules: str, day: dt.date, *extra: str) -> dict:
    out = tmp_path / f"{rules}-{day}.json"
    _run(workspace, "report", "regulatory", "--as-of", day.isoformat(), "--lessor", LESSOR, "--rules", rules,
         "--format", "json", "--out", str(out), *extra)  # fmt: skip
    return json.loads(out.read_text("utf-8"))


def test_json_report_matches_the_stored_book_and_records_alerts(workspace: Workspace, tmp_path: Path) -> None:
    report = _report(workspace, tmp_path, "nfra-2024", DAY)
    assert report["as_of"] == DAY.isoformat() and report["rule_set"] == "nfra-2024"
    assert list(report)[:3] == ["as_of", "rule_set", "indicators"]
    rule_ids = [i["id"] for i in yaml.safe_load(
        (Path(__file__).parents[1] / "src/leaseguard/defaults/indicators/nfra-2024.yaml").read_text("utf-8")
    )["indicators"]]  # fmt: skip
    assert [i["id"] for i in report["indicators"]] == rule_ids
    for indicator in report["indicators"]:
        assert list(indicator)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    got = {i["id"]: i for i in report["indicators"]}

    (largest,) = _sql(workspace, "select max(s) from (select sum(c.claim_balance_fen) as s from contract_classes c "
                      "join contracts k on k.contract_no = c.contract_no where c.as_of = :d and c.lessor = :l "
                      "group by k.lessee_id) t", d=DAY, l=LESSOR)  # fmt: skip
    assert Decimal(str(got["single_customer_concentration"]["numerator"])) == Decimal(largest[0]) / 100
    (npl,) = _sql(workspace, 'select coalesce(sum(claim_balance_fen), 0) from contract_classes where as_of = :d '
                  "and lessor = :l and \"class\" in ('substandard', 'doubtful', 'loss')", d=DAY, l=LESSOR)  # fmt: skip
    assert Decimal(str(got["provision_coverage"]["denominator"])) == Decimal(npl[0]) / 100
    sheet = yaml.safe_load((workspace.root / "balance-sheets" / f"{DAY}.yaml").read_text("utf-8"))["items"]
    net_capital = sum(
        Decimal(sheet[k]) for k in ("cet1_capital", "additional_tier1_capital", "tier2_capital")
    )
    net_capital -= Decimal(sheet["capital_deductions"])
    assert Decimal(str(got["single_customer_concentration"]["denominator"])) == net_capital
    expected = round(Decimal(largest[0]) / 100 / net_capital, 6)
    assert Decimal(str(got["single_customer_concentration"]["value"])) == expected
    top = got["single_customer_concentration"]["top_contributors"]
    assert Decimal(str(top[0]["exposure"])) == Decimal(largest[0]) / 100
    assert got["liquidity_ratio"]["status"] == "no_limit" and got["liquidity_ratio"]["limit"] is None

    alerts = [i["id"] for i in report["indicators"] if i["status"] in ("warning", "breach")]
    assert report["alerts"] == alerts
    engine = workspace.engine()
    with session_factory(engine)() as session:
        row = session.scalars(select(IndicatorReport)).one()
        records = session.scalars(
            select(EvidenceRecord)
            .where(EvidenceRecord.kind == "indicator-alert")
            .order_by(EvidenceRecord.leaf_index)
        ).all()
    engine.dispose()
    assert row.alerts == len(alerts) and not row.draft
    assert [json.loads(r.content)["indicator"]["id"] for r in records] == alerts
    if alerts:
        assert row.evidence_index == records[0].leaf_index


def test_change_since_the_last_filed_report_ignores_drafts(workspace: Workspace, tmp_path: Path) -> None:
    first = {i["id"]: i for i in _report(workspace, tmp_path, "cbirc-2020", DAY)["indicators"]}
    later = _report(workspace, tmp_path, "cbirc-2020", LATER)
    assert later["previous_as_of"] == DAY.isoformat()
    for indicator in later["indicators"]:
        before = first[indicator["id"]]["value"]
        if before is not None and indicator["value"] is not None:
            assert indicator["change"] == pytest.approx(indicator["value"] - before, abs=2e-6)
    # A draft of the later day is no baseline for a report of a day after it.
    drafted = _report(workspace, tmp_path, "cbirc-2020", LATER, "--draft")
    assert drafted["previous_as_of"] == DAY.isoformat()


def test_missing_item_refuses_the_report_and_draft_marks_every_page(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = workspace.root / "balance-sheets" / f"{DAY}.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    del data["items"]["loan_loss_reserves"]
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data), "utf-8")
    out = tmp_path / "r.html"
    args = ("report", "regulatory", "--as-of", DAY.isoformat(), "--lessor", LESSOR, "--rules", "nfra-2024",
            "--balance-sheet", str(broken), "--out", str(out))  # fmt: skip
    message = _fail(workspace, *args)
    assert "item loan_loss_reserves is missing" in message and "provision_coverage" in message
    assert not out.exists()
    engine = workspace.engine()
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(IndicatorReport)) == 0
    engine.dispose()

    _run(workspace, *args, "--draft")
    page = out.read_text("utf-8")
    assert page.count("DRAFT") >= 2 and 'class="draft"' in page and "position: fixed" in page
    xlsx = tmp_path / "r.xlsx"
    _run(workspace, *args[:-1], str(xlsx), "--format", "xlsx", "--draft")
    workbook = load_workbook(xlsx)
    for sheet in workbook.worksheets:
        assert str(sheet["A1"].value).startswith("DRAFT") and "DRAFT" in (sheet.oddHeader.center.text or "")
    pdf = tmp_path / "r.pdf"
    # Chinese is the default (issue 17); the English draft line is asked for with --lang en.
    _run(workspace, *args[:-1], str(pdf), "--format", "pdf", "--draft", "--lang", "en")
    pages = [page.extract_text() for page in PdfReader(pdf).pages]
    assert pages and all("DRAFT — computed from incomplete" in page for page in pages)
    data["items"]["total_assets"] = str(Decimal(data["items"]["total_assets"]) + 1)
    broken.write_text(yaml.safe_dump(data), "utf-8")
    message = _fail(workspace, *args)
    assert "total_assets" in message and "not the sum of its parts" in message


def test_bad_options_fail_in_one_line(workspace: Workspace, tmp_path: Path) -> None:
    base = ("report", "regulatory", "--as-of", DAY.isoformat(), "--lessor", LESSOR)
    assert "unknown rule set 'nfra-2099'" in _fail(workspace, *base, "--rules", "nfra-2099")
    assert "--format 'docx': choose one of json, html, xlsx, pdf" in _fail(
        workspace, *base, "--rules", "nfra-2024", "--format", "docx"
    )
    assert "is not the reporting date 2025-05-31" in _fail(
        workspace, "report", "regulatory", "--as-of", "2025-05-31", "--lessor", LESSOR, "--rules", "nfra-2024",
        "--balance-sheet", str(workspace.root / "balance-sheets" / f"{DAY}.yaml"),
    )  # fmt: skip
    rules = tmp_path / "bad.yaml"
    shipped = (Path(__file__).parents[1] / "src/leaseguard/defaults/indicators/cbirc-2020.yaml").read_text(
        "utf-8"
    )
    rules.write_text(shipped.replace("numerator: lease_assets", "numerator: leasing_assets"), "utf-8")
    message = _fail(workspace, *base, "--rules", str(rules))
    assert "indicator leasing_assets_share" in message and "'leasing_assets'" in message
    assert len(message.strip().splitlines()) <= 3  # one logical line, wrapped by the terminal width at most


def test_what_if_shows_the_indicators_that_move(workspace: Workspace) -> None:
    output = _run(workspace, "report", "what-if", "--as-of", DAY.isoformat(), "--rules", "nfra-2024",
                  "--lessee-id", "NEW-LESSEE", "--principal", "900000000")  # fmt: skip
    # The terminal is 80 columns wide in the runner, so names may be cut short.
    assert "single_cu" in output and "financia" in output and "│ car" in output
    # Net capital and interbank borrowing do not change, so that indicator is not listed.
    assert "interbank" not in output


@pytest.fixture
def api(workspace: Workspace, tmp_path: Path) -> Iterator[tuple[httpx.Client, str, str]]:
    _report(workspace, tmp_path, "nfra-2024", DAY)
    engine = workspace.engine()
    with session_factory(engine)() as session, session.begin():
        mine = create_key(session, lessor=LESSOR, role="compliance").key
        other = create_key(session, lessor="L002", role="compliance").key
    engine.dispose()
    with (
        running(create_app(workspace.database_url)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        yield client, mine, other


def test_api_live_report_equals_the_filed_one_and_what_if_moves(
    api: tuple[httpx.Client, str, str], workspace: Workspace, tmp_path: Path
) -> None:
    client, mine, other = api
    auth = {"Authorization": f"Bearer {mine}"}
    live = client.get("/v1/indicators/nfra-2024", params={"as_of": DAY.isoformat()}, headers=auth)
    assert live.status_code == 200, live.text
    filed = client.get("/v1/indicators/reports", headers=auth).json()
    assert [r["rule_set"] for r in filed] == ["nfra-2024"]
    stored = client.get(f"/v1/indicators/reports/{filed[0]['id']}", headers=auth).json()
    live_values = {i["id"]: (i["value"], i["status"]) for i in live.json()["indicators"]}
    assert live_values == {i["id"]: (i["value"], i["status"]) for i in stored["indicators"]}

    moved = client.post("/v1/indicators/nfra-2024/what-if", headers=auth, json={
        "as_of": DAY.isoformat(), "lessee_id": "NEW-LESSEE", "principal": "900000000.00"})  # fmt: skip
    assert moved.status_code == 200, moved.text
    rows = {r["id"]: r for r in moved.json()["indicators"]}
    assert rows["financial_leverage_multiple"]["move"] > 0 and rows["car"]["move"] < 0
    assert rows["interbank_borrowing"]["moved"] is False

    # Another lessor sees neither the report nor a balance sheet of the day.
    theirs = {"Authorization": f"Bearer {other}"}
    assert client.get(f"/v1/indicators/reports/{filed[0]['id']}", headers=theirs).status_code == 404
    missing = client.get("/v1/indicators/nfra-2024", params={"as_of": DAY.isoformat()}, headers=theirs)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    unknown = client.get("/v1/indicators/nfra-2099", params={"as_of": DAY.isoformat()}, headers=auth)
    assert unknown.status_code == 404 and "nfra-2024" in unknown.json()["detail"]
    bad = client.post("/v1/indicators/nfra-2024/what-if", headers=auth, json={
        "as_of": DAY.isoformat(), "lessee_id": "X", "principal": "1.001"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["detail"] == "principal：'1.001' 的小数超过 2 位"
    bad = client.post("/v1/indicators/nfra-2024/what-if", headers={**auth, "Accept-Language": "en"}, json={
        "as_of": DAY.isoformat(), "lessee_id": "X", "principal": "1.001"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["detail"] == "principal: '1.001' has more than 2 decimals"


def test_the_pdf_report_carries_every_indicator_with_the_json_values(
    workspace: Workspace, tmp_path: Path
) -> None:
    report = _report(workspace, tmp_path, "leasing-indicators-trial", DAY)
    pdf = tmp_path / "trial.pdf"
    _run(workspace, "report", "regulatory", "--as-of", DAY.isoformat(), "--lessor", LESSOR,
         "--rules", "leasing-indicators-trial", "--format", "pdf", "--out", str(pdf))  # fmt: skip
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages).replace("\n", " ")
    assert "DRAFT" not in text and "资本充足率" in text
    for indicator in report["indicators"]:
        assert indicator["id"] in text
        if indicator["value"] is not None and indicator["unit"] == "ratio":
            assert f"{Decimal(str(indicator['value'])) * 100:.2f}%" in text, indicator["id"]


def test_the_rule_set_in_the_path_is_a_name_never_a_file(
    api: tuple[httpx.Client, str, str], tmp_path: Path
) -> None:
    """A file on the server, readable or binary, answers exactly like a name that does not exist."""
    client, mine, _ = api
    auth = {"Authorization": f"Bearer {mine}"}
    (tmp_path / "rules.yaml").write_text(
        (Path(__file__).parent.parent / "src/leaseguard/defaults/indicators/nfra-2024.yaml").read_text(
            encoding="utf-8"
        ),
        encoding="utf-8",
    )
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 64)
    answers = []
    for name in (
        "nfra-2099",
        "pyproject.toml",
        "README.md",
        str(tmp_path / "rules.yaml"),
        str(tmp_path / "blob.bin"),
        "/etc/passwd",
        "../../pyproject.toml",
    ):
        response = client.get(
            f"/v1/indicators/{quote(name, safe='')}", params={"as_of": DAY.isoformat()}, headers=auth
        )
        assert response.status_code == 404, (name, response.text)
        answers.append(response.json())
    bodies = [{k: v for k, v in a.items() if k != "instance"} for a in answers]
    # Names without a slash reach the route and get one answer; paths with one never reach it.
    assert bodies[0] == bodies[1] == bodies[2] and bodies[0]["type"].endswith("unknown-rule-set")
    assert bodies[3] == bodies[4] == bodies[5] == bodies[6]
    assert all(b["status"] == 404 and "rules.yaml" not in str(b) and "blob" not in str(b) for b in bodies)


def test_a_report_of_another_lessor_is_never_read(api: tuple[httpx.Client, str, str]) -> None:
    """The caller's lessor is in the query that reads a report by id, so another's costs what a missing one does."""
    client, mine, other = api
    filed = client.get("/v1/indicators/reports", headers={"Authorization": f"Bearer {mine}"}).json()
    theirs = {"Authorization": f"Bearer {other}"}
    foreign = client.get(f"/v1/indicators/reports/{filed[0]['id']}", headers=theirs)
    missing = client.get("/v1/indicators/reports/987654", headers=theirs)
    assert foreign.status_code == missing.status_code == 404
    assert {k: v for k, v in foreign.json().items() if k not in ("detail", "instance")} == {
        k: v for k, v in missing.json().items() if k not in ("detail", "instance")
    }
    statements = []

    def capture(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    # The server runs in a thread of this process (conftest.running), so its engine's statements pass here.
    event.listen(Engine, "before_cursor_execute", capture)
    try:
        client.get(f"/v1/indicators/reports/{filed[0]['id']}", headers=theirs)
    finally:
        event.remove(Engine, "before_cursor_execute", capture)
    by_id = [s for s in statements if "indicator_reports" in s and "indicator_reports.id =" in s]
    assert by_id and all("indicator_reports.lessor =" in s for s in by_id), statements


def test_the_api_reports_under_the_callers_regime(api: tuple[httpx.Client, str, str]) -> None:
    """L001 is a financial-leasing company: without a rule set in the path the API computes nfra-2024."""
    client, mine, _ = api
    auth = {"Authorization": f"Bearer {mine}"}
    by_regime = client.get("/v1/indicators", params={"as_of": DAY.isoformat()}, headers=auth)
    assert by_regime.status_code == 200, by_regime.text
    named = client.get("/v1/indicators/nfra-2024", params={"as_of": DAY.isoformat()}, headers=auth)
    assert by_regime.json()["rule_set"] == "nfra-2024"
    assert by_regime.json()["indicators"] == named.json()["indicators"]
