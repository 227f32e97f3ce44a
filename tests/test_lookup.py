"""Looking things up (issue 17): `contract show`, `lessee show`, `cases list` / `cases show` and their API twins
answer from one use case at the caller's lessor only — the CLI's --json is the API's body; another lessor's
records are answered like missing ones; a name finds a lessee, several names ask for the id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from conftest import running
from leaseguard.api import create_app
from leaseguard.cli.common import console
from leaseguard.cli.main import app
from leaseguard.ingest import import_paths
from leaseguard.registry.check import AssetFacts
from leaseguard.store.db import session_factory
from leaseguard.tenancy import create_key
from leaseguard.usecases.asset_check import check_asset
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, init_workspace

CONTRACT_HEADER = (
    "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,annual_rate,method,"
    "frequency\n"
)
FILES = {
    "lessors.csv": "code,name\nL1,甲融资租赁有限公司\nL2,乙金融租赁股份有限公司\n",
    "contracts.csv": CONTRACT_HEADER
    + "K1,L1,P1,华东物流有限公司,enterprise,2024-01-10,12,120000.00,0.06,annuity,monthly\n"
    + "K2,L1,P1,华东物流有限公司,enterprise,2024-01-10,12,60000.00,0.06,annuity,monthly\n"
    + "K3,L1,P2,华东物流运输有限公司,enterprise,2024-01-10,12,80000.00,0.06,annuity,monthly\n"
    # The same lessee at another lessor, with a case of its own there.
    + "K9,L2,P1,华东物流有限公司,enterprise,2024-01-10,12,990000.00,0.06,annuity,monthly\n",
    "assets.csv": "asset_id,lessor,asset_type,serial_no,lessee_id,lessee_name,contract_no\n"
    "A1,L1,machinery,SN-1,P1,华东物流有限公司,K1\n"
    "A2,L1,machinery,SN-2,P1,华东物流有限公司,K2\n"
    "A9,L2,machinery,SN-9,P1,华东物流有限公司,K9\n",
    "payments.csv": "contract_no,paid_date,amount\n"
    + "".join(f"K2,2024-{month:02d}-10,5200.00\n" for month in range(2, 7)),
}


@dataclass(frozen=True)
class Book:
    root: Path
    env: dict[str, str]
    url: str
    l1_key: str
    l2_key: str


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "width", 220)  # tables unwrapped, so a cell's words can be found


@pytest.fixture(scope="module")
def book(module_store_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Book:
    """The book built once per module and database: the tests only read it (show, list, GET)."""
    store_engine, tmp_path = module_store_engine, tmp_path_factory.mktemp("lookup")
    paths = []
    for name, content in FILES.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        paths.append(tmp_path / name)
    assert all(r.rejected == 0 for r in import_paths(store_engine, paths))
    url = store_engine.url.render_as_string(hide_password=False)
    env = {HOME_ENV: "", DATABASE_URL_ENV: url}
    root = init_workspace(tmp_path / "ws").root
    for args in (
        ["run", "daily", "--as-of", "2024-03-31"],
        ["run", "daily", "--as-of", "2024-06-30"],
        ["cases", "open", "K1", "--as-of", "2024-06-30"],
        ["cases", "open", "K9", "--as-of", "2024-06-30"],
        ["cases", "event", "1", "--stage", "filing", "--on", "2024-07-15"],
        ["cases", "event", "1", "--stage", "settlement", "--on", "2024-08-01", "--recovered", "50,000"],
        ["cases", "correct", "1", "--entry", "2", "--recovered", "5000", "--reason", "多输了一个零"],
    ):
        result = CliRunner().invoke(app, [*args, "-w", str(root)], env=env)
        assert result.exit_code == 0, (args, result.output)
    check_asset(
        store_engine,
        AssetFacts(lessor="L1", asset_type="machinery", serial_no="SN-NEW-7", lessee_id="P1"),
        asked_by="risk officer",
        channel="cli",
    )
    with session_factory(store_engine)() as session, session.begin():
        l1_key = create_key(session, lessor="L1", role="legal").key
        l2_key = create_key(session, lessor="L2", role="analyst").key
    return Book(root, env, url, l1_key, l2_key)


@pytest.fixture
def api(book: Book) -> Iterator[httpx.Client]:
    with running(create_app(book.url)) as base, httpx.Client(base_url=base) as client:
        yield client


def cli(book: Book, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, [*args, "-w", str(book.root)], env=book.env)
    assert result.exit_code == code, result.output
    return result.output


def get(api: httpx.Client, path: str, key: str) -> Any:
    return api.get(path, headers={"Authorization": f"Bearer {key}"})


def test_the_cli_json_is_the_api_body_for_a_contract_a_lessee_and_a_case(
    book: Book, api: httpx.Client
) -> None:
    for words, path in (
        (["contract", "show", "K1"], "/v1/contracts/K1"),
        (["lessee", "show", "P1"], "/v1/lessees/P1"),
        (["cases", "show", "1"], "/v1/cases/1"),
    ):
        answer = get(api, path, book.l1_key)
        assert answer.status_code == 200, answer.text
        assert json.loads(cli(book, *words, "--lessor", "L1", "--json")) == answer.json(), path
    listed = get(api, "/v1/cases", book.l1_key).json()
    assert json.loads(cli(book, "cases", "list", "--lessor", "L1", "--json"))["items"] == listed["items"]


def test_a_contract_with_everything_on_file(book: Book, api: httpx.Client) -> None:
    body = get(api, "/v1/contracts/K1", book.l1_key).json()
    assert (body["lessor"], body["lessor_name"], body["principal"], body["principal_fen"]) == (
        "L1", "甲融资租赁有限公司", "120000.00", 12_000_000,
    )  # fmt: skip
    assert [a["asset_id"] for a in body["assets"]] == ["A1"]
    assert body["payments"] == {"count": 0, "total_paid": "0.00", "total_paid_fen": 0, "last_paid_date": None}
    # Unpaid since February: classified on both runs, worse on the later one.
    assert body["class_now"]["as_of"] == "2024-06-30" and body["class_now"]["class"] != "normal"
    assert [c["as_of"] for c in body["class_history"]][-1] == "2024-06-30"
    assert body["case"]["case_id"] == 1 and (body["case"]["stage"], body["case"]["recovered"]) == (
        "settlement", "5000.00",
    )  # fmt: skip
    paid = get(api, "/v1/contracts/K2", book.l1_key).json()["payments"]
    assert (paid["count"], paid["total_paid"], paid["last_paid_date"]) == (5, "26000.00", "2024-06-10")

    table = cli(book, "contract", "show", "K1", "--lessor", "L1")
    assert "甲融资租赁有限公司" in table and "120,000.00" in table and "融资本金（元）" in table
    assert "12000000" not in table  # fen never reach a person
    english = cli(book, "contract", "show", "K1", "--lessor", "L1", "--lang", "en")
    assert "Principal (yuan)" in english and "融资本金" not in english


def test_a_lessee_at_the_callers_lessor_only(book: Book, api: httpx.Client) -> None:
    body = get(api, "/v1/lessees/P1", book.l1_key).json()
    assert [c["contract_no"] for c in body["contracts"]] == ["K1", "K2"]
    assert [a["asset_id"] for a in body["assets"]] == ["A1", "A2"]
    assert [c["contract_no"] for c in body["cases"]] == ["K1"]
    assert [c["serial_no"] for c in body["checks"]] == ["SN-NEW-7"] and body["checks"][0][
        "verdict"
    ] == "clear"
    assert {c["contract_no"] for c in body["class_history"]} <= {"K1", "K2"}
    outstanding = sum(c["class_now"]["outstanding_principal_fen"] for c in body["contracts"])
    assert body["outstanding_principal_fen"] == outstanding > 0
    # The same lessee seen by the other lessor: its own contract and case, nothing of L1's.
    other = get(api, "/v1/lessees/P1", book.l2_key).json()
    assert [c["contract_no"] for c in other["contracts"]] == ["K9"] and other["checks"] == []
    assert "K1" not in json.dumps(other) and "甲融资" not in json.dumps(other)

    table = cli(book, "lessee", "show", "华东物流有限公司", "--lessor", "L1")
    assert "华东物流有限公司（P1）" in table and "K2" in table and "K3" not in table
    assert "P2" in cli(book, "lessee", "show", "物流运输", "--lessor", "L1")
    ambiguous = cli(book, "lessee", "show", "华东物流", "--lessor", "L1", code=1)
    assert "P1" in ambiguous and "P2" in ambiguous and "有 2 个承租人符合 '华东物流'" in ambiguous
    english = cli(book, "lessee", "show", "华东物流", "--lessor", "L1", "--lang", "en", code=1)
    assert "Several lessees answer to '华东物流'" in english and "2 lessees answer to '华东物流'" in english


def test_another_lessors_or_a_missing_record_is_one_line_and_a_404(book: Book, api: httpx.Client) -> None:
    for path in ("/v1/contracts/K9", "/v1/lessees/P9", "/v1/cases/2", "/v1/cases/99"):
        answer = get(api, path, book.l1_key)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "L2" not in answer.text and "乙金融" not in answer.text
    foreign, missing = (get(api, f"/v1/cases/{n}", book.l1_key).json() for n in (2, 99))
    assert foreign["detail"].replace("2", "N") == missing["detail"].replace("99", "N") == "案件 N 不存在"
    in_english = api.get("/v1/cases/99", headers={"Authorization": f"Bearer {book.l1_key}",
                                                  "Accept-Language": "en-US,en;q=0.9"}).json()  # fmt: skip
    assert in_english["detail"] == "case 99 does not exist"
    assert get(api, "/v1/cases/2", book.l2_key).json()["contract_no"] == "K9"
    assert [c["case_id"] for c in get(api, "/v1/cases", book.l1_key).json()["items"]] == [1]
    assert api.get("/v1/cases?stage=verdict", headers={"X-API-Key": book.l1_key}).status_code == 422
    assert (
        api.get("/v1/cases?stage=settlement", headers={"X-API-Key": book.l1_key}).json()["items"][0][
            "case_id"
        ]
        == 1
    )

    for words, message in (
        (["contract", "show", "K9", "--lessor", "L1"], "错误：库中没有合同 K9"),
        (["contract", "show", "K9", "--lessor", "L1", "--lang", "en"], "error: contract K9 is not in the store"),
        (["lessee", "show", "P9", "--lessor", "L1"], "库中没有承租人 P9"),
        (["lessee", "show", "P9", "--lessor", "L1", "--lang", "en"], "lessee P9 is not in the store"),
        (["cases", "show", "2", "--lessor", "L1"], "案件 2 不存在"),
        (["contract", "show", "K1"], "库中有 2 个出租人（L1, L2），请指定一个"),
        (["contract", "show", "K1", "--lang", "en"], "the store holds 2 lessors (L1, L2); name one"),
        (["contract", "show", "K1", "--lessor", "L7"], "--lessor 'L7'：库中没有该出租人"),
    ):  # fmt: skip
        output = cli(book, *words, code=1)
        assert message in output and len(output.strip().splitlines()) == 1, output


def test_cases_list_in_words_people_read(book: Book) -> None:
    table = cli(book, "cases", "list", "--lessor", "L1")
    assert "和解" in table and "5,000.00" in table and "50,000.00" not in table and "K9" not in table
    english = cli(book, "cases", "list", "--lessor", "L2", "--lang", "en", "--stage", "opened")
    assert "Opened" in english and "K9" in english and "990,000.00" not in english
    assert "K9" not in cli(book, "cases", "list", "--lessor", "L2", "--stage", "settlement")
