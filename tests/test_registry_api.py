"""POST /v1/assets/check through a real server: verdicts, what another lessor's match reveals, bad input."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from conftest import migrated_store, running
from leaseguard.api import create_app
from leaseguard.evidence import NoteSigner
from leaseguard.registry.identifiers import vin_check_digit
from leaseguard.store.db import create_store_engine, session_factory
from leaseguard.store.models import Asset, AssetCheck, Contract
from leaseguard.tenancy import add_lessor, create_key


def valid_vin(serial: int) -> str:
    draft = f"LGBH52E0{0}A{serial:07d}"
    return draft[:8] + vin_check_digit(draft) + draft[9:]


REGISTERED_VIN = valid_vin(4001)
SECRET_LESSEE = "91110000600037341L"


@dataclass(frozen=True)
class CheckApi:
    client: httpx.Client
    database_url: str
    alpha: str
    beta: str

    def check(self, key: str, **body: object) -> httpx.Response:
        return self.client.post("/v1/assets/check", json=body, headers={"X-API-Key": key})


def _seed(url: str) -> tuple[str, str]:
    """Two lessors, ALPHA financing a registered truck; their analysts' API keys."""
    engine = create_store_engine(url)
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "ALPHA", "甲融资租赁有限公司")
        add_lessor(session, "BETA", "乙融资租赁有限公司")
        session.flush()
        session.add(
            Contract(
                contract_no="A-1",
                lessor="ALPHA",
                lessee_id=SECRET_LESSEE,
                lessee_name="秘密物流有限公司",
                lessee_type="enterprise",
                start_date=dt.date.today() - dt.timedelta(days=60),
                term_months=36,
                principal_fen=15_000_000,
                annual_rate="0.07",
                method="annuity",
                frequency="monthly",
            )
        )
        session.flush()
        session.add(
            Asset(
                lessor="ALPHA",
                asset_id="TRUCK-1",
                asset_type="vehicle",
                vin=REGISTERED_VIN,
                engine_no="WP10H400E5",
                manufacturer="东风日产",
                model="天籁",
                invoice_code="044001900111",
                invoice_no="12345678",
                invoice_amount_fen=18_000_000,
                lessee_id=SECRET_LESSEE,
                lessee_name="秘密物流有限公司",
                contract_no="A-1",
                registered_at=dt.date(2026, 9, 1),
            )
        )
        alpha = create_key(session, lessor="ALPHA", role="analyst").key
        beta = create_key(session, lessor="BETA", role="analyst").key
    engine.dispose()
    return alpha, beta


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CheckApi]:
    url = migrated_store(request, tmp_path_factory.mktemp("check"))
    alpha, beta = _seed(url)
    signer = NoteSigner("leaseguard.test/checks", Ed25519PrivateKey.generate())
    with (
        running(create_app(url, evidence_signer=signer)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        yield CheckApi(client, url, alpha, beta)


def test_another_lessors_active_financing_blocks_and_reveals_only_the_shared_facts(api: CheckApi) -> None:
    response = api.check(api.beta, asset_type="vehicle", vin=REGISTERED_VIN.lower())
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["verdict"] == "block"
    assert isinstance(answer["evidence_index"], int)
    (match,) = answer["matches"]
    assert match["lessor"] == "ALPHA" and match["financing_active"] is True
    assert match["registered_at"] == "2026-09-01" and match["match_kind"] == "vin_exact"
    assert (
        SECRET_LESSEE not in response.text
        and "秘密物流" not in response.text
        and "TRUCK-1" not in response.text
    )


def test_own_book_match_shows_full_details_and_the_asset_itself_is_not_a_duplicate(api: CheckApi) -> None:
    answer = api.check(api.alpha, vin=REGISTERED_VIN).json()
    assert answer["verdict"] == "block"
    (match,) = answer["matches"]
    assert (
        match["own_book"] is True and match["asset_id"] == "TRUCK-1" and match["lessee_id"] == SECRET_LESSEE
    )
    itself = api.check(api.alpha, vin=REGISTERED_VIN, asset_id="TRUCK-1").json()
    assert itself["verdict"] == "clear" and itself["matches"] == []


def test_reused_invoice_and_ocr_altered_engine_are_found(api: CheckApi) -> None:
    answer = api.check(
        api.beta, vin=valid_vin(9999), invoice_code="044001900111", invoice_no="12345678"
    ).json()
    assert answer["verdict"] == "block" and answer["matches"][0]["match_kind"] == "invoice_reused"
    engine = api.check(api.beta, engine_no="WPIOH4OOE5").json()
    assert engine["verdict"] == "block" and engine["matches"][0]["match_kind"] == "engine_no_exact"


def test_unknown_asset_is_clear_and_every_check_is_recorded(api: CheckApi) -> None:
    engine = create_store_engine(api.database_url)
    with session_factory(engine)() as session:
        before = session.scalar(select(func.count()).select_from(AssetCheck))
    answer = api.check(api.beta, vin=valid_vin(123456)).json()
    assert answer["verdict"] == "clear" and answer["matches"] == []
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(AssetCheck)) == (before or 0) + 1
        latest = session.scalars(select(AssetCheck).order_by(AssetCheck.id.desc())).first()
        assert latest is not None and latest.lessor == "BETA" and latest.verdict == "clear"
        assert session.scalar(select(func.count()).select_from(Asset)) == 1
    engine.dispose()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"asset_type": "vehicle"}, None),
        ({"vin": "X" * 65}, "vin"),
        ({"vin": REGISTERED_VIN, "invoice_amount": "-5"}, "invoice_amount"),
        ({"vin": REGISTERED_VIN, "asset_type": "spaceship"}, "asset_type"),
        ({"vin": REGISTERED_VIN, "colour": "red"}, "colour"),
    ],
)
def test_bad_requests_are_problem_422(api: CheckApi, body: dict[str, object], field: str | None) -> None:
    response = api.check(api.beta, **body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    if field:
        assert field in response.text
    else:  # the request's own rule, said in the caller's language
        assert (
            response.json()["errors"][0]["message"] == "至少给出 vin、serial_no、engine_no、invoice_no 之一"
        )
        english = api.client.post(
            "/v1/assets/check", json=body, headers={"X-API-Key": api.beta, "Accept-Language": "en"}
        )
        assert (
            english.json()["errors"][0]["message"]
            == "give at least one of vin, serial_no, engine_no, invoice_no"
        )


def test_oversized_request_is_413_and_no_key_is_401(api: CheckApi) -> None:
    response = api.client.post(
        "/v1/assets/check",
        content=b'{"vin": "' + b"A" * 20_000 + b'"}',
        headers={"X-API-Key": api.beta, "Content-Type": "application/json"},
    )
    assert response.status_code == 413 and response.json()["status"] == 413
    assert response.json()["detail"] == "一次查询请求最多 16384 字节。"
    assert response.json()["type"].endswith(":too-large")
    in_english = api.client.post(
        "/v1/assets/check",
        content=b'{"vin": "' + b"A" * 20_000 + b'"}',
        headers={"X-API-Key": api.beta, "Content-Type": "application/json", "Accept-Language": "en"},
    )
    assert (
        in_english.status_code == 413
        and in_english.json()["detail"] == "A check request is at most 16384 bytes."
    )
    assert api.client.post("/v1/assets/check", json={"vin": REGISTERED_VIN}).status_code == 401


def test_malformed_vin_is_a_finding(api: CheckApi, tmp_path: Path) -> None:
    answer = api.check(api.beta, asset_type="vehicle", vin="LGB-NOT-A-VIN").json()
    assert answer["verdict"] == "review"
    assert [f["code"] for f in answer["findings"]] == ["vin_invalid"]


def _comparable(answer: dict[str, object]) -> dict[str, object]:
    """An answer without what differs from one call to the next (its id, time and place in the log)."""
    return {k: v for k, v in answer.items() if k not in ("check_id", "checked_at", "evidence_index")}


@pytest.mark.parametrize(
    "vin",
    [REGISTERED_VIN, valid_vin(4002), REGISTERED_VIN[:4] + "X" + REGISTERED_VIN[5:]],
    ids=["same-vin", "neighbour-vin", "typo-vin"],
)
def test_a_guessed_lessee_learns_nothing_about_another_lessors_asset(api: CheckApi, vin: str) -> None:
    """Whether the guess names the other lessor's customer or not, the answer is the same, word for word."""
    answers = [
        api.check(api.beta, asset_type="vehicle", vin=vin, lessee_id=guess).json()
        for guess in (SECRET_LESSEE, "91350100M000100Y43", None)
    ]
    right, wrong, none = (_comparable(a) for a in answers)
    assert right == wrong == none
    for match in answers[0]["matches"]:
        assert match["same_lessee"] is None


def test_the_record_of_a_check_holds_only_what_the_asker_was_shown(api: CheckApi) -> None:
    answer = api.check(api.beta, asset_type="vehicle", vin=REGISTERED_VIN, lessee_id=SECRET_LESSEE).json()
    index = answer["evidence_index"]
    content = api.client.get(f"/v1/evidence/records/{index}/content", headers={"X-API-Key": api.beta})
    assert content.status_code == 200, content.text
    assert '"ALPHA"' in content.text  # the consortium's share: the match and its lessor
    assert "TRUCK-1" not in content.text and "A-1" not in content.text and "秘密物流" not in content.text
    # The asker's own request may hold the lessee it named; the other lessor's answer about it may not.
    assert "different lessee" not in content.text and "same lessee" not in content.text
    engine = create_store_engine(api.database_url)
    try:
        with session_factory(engine)() as session:
            row = session.scalars(select(AssetCheck).where(AssetCheck.id == answer["check_id"])).one()
    finally:
        engine.dispose()
    assert all("asset_id" not in match for match in row.matches)


def test_the_cli_prints_the_body_the_api_returns(tmp_path: Path) -> None:
    """One job, one answer: `leaseguard assets check --json` and POST /v1/assets/check give the same JSON for
    the same asset and lessor (only the check's own number, time and log index differ: each is a new check)."""
    import json

    from typer.testing import CliRunner

    from leaseguard.cli.main import app
    from leaseguard.evidence import log_settings
    from leaseguard.workspace import HOME_ENV, init_workspace

    opened = init_workspace(tmp_path / "ws")
    _, beta = _seed(opened.database_url)
    asked = {"vin": REGISTERED_VIN, "invoice_code": "044001900111", "invoice_no": "12345678",
             "invoice_amount": "180000.00"}  # fmt: skip
    with (
        running(create_app(opened.database_url, evidence_signer=log_settings(opened).signer)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        from_api = client.post("/v1/assets/check", json=asked, headers={"X-API-Key": beta})
    assert from_api.status_code == 200, from_api.text
    result = CliRunner().invoke(
        app,
        ["assets", "check", "--lessor", "BETA", "--vin", REGISTERED_VIN, "--invoice-code", "044001900111",
         "--invoice-no", "12345678", "--invoice-amount", "180000.00", "--json", "-w", str(opened.root)],
        env={HOME_ENV: ""},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    from_cli, answer = json.loads(result.output), from_api.json()
    assert sorted(from_cli) == sorted(answer)
    own = ("check_id", "checked_at", "evidence_index")
    assert {k: v for k, v in from_cli.items() if k not in own} == {
        k: v for k, v in answer.items() if k not in own
    }
    assert answer["verdict"] == "block" and answer["matches"] and SECRET_LESSEE not in result.output
    assert from_cli["check_id"] == answer["check_id"] + 1 and from_cli["checked_at"].endswith("Z")
    assert from_cli["evidence_index"] == answer["evidence_index"] + 1
    with (
        running(create_app(opened.database_url)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        headers = {"X-API-Key": beta, "Accept-Language": "en-GB,en;q=0.9"}
        in_english = client.post("/v1/assets/check", json=asked, headers=headers).json()
    # Every reason in the caller's language: Chinese by default, English when asked; the codes are the same.
    said = [*answer["reasons"], *(f["reason"] for f in answer["findings"]),
            *(r for m in answer["matches"] for r in m["reasons"])]  # fmt: skip
    english = [*in_english["reasons"], *(f["reason"] for f in in_english["findings"]),
               *(r for m in in_english["matches"] for r in m["reasons"])]  # fmt: skip
    assert len(said) == len(english) > 2 and in_english["reason_codes"] == answer["reason_codes"]
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in said)
    assert not any(re.search(r"[\u4e00-\u9fff]", text) for text in english)
