"""The HTTP API through a real uvicorn server, once over a SQLite file and once over PostgreSQL: tenant
isolation, authentication, roles, money on the wire, and problem+json errors."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from conftest import migrated_store, running
from leaseguard.api import create_app
from leaseguard.store.db import MIGRATIONS_DIR, create_store_engine, session_factory
from leaseguard.store.models import Asset, Contract, ImportRun, Payment, Valuation
from leaseguard.tenancy import add_lessor, create_key, revoke_key

LEAK_MARKER = "sensitive-detail-7f3a"


# --- the book of two lessors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    alpha_analyst: str
    alpha_compliance: str
    alpha_admin: str
    alpha_legal: str
    beta_analyst: str
    revoked: str


ALPHA_CONTRACTS = [f"A-{n:03d}" for n in range(1, 8)]
BETA_CONTRACTS = ["B-001", "B-002"]
SHARED_LESSEE = "91310000MA1FL00011"  # a lessee financed by both lessors


def _contract(contract_no: str, lessor: str, lessee_id: str, principal_fen: int) -> Contract:
    return Contract(
        contract_no=contract_no,
        lessor=lessor,
        lessee_id=lessee_id,
        lessee_name=f"Lessee of {contract_no}",
        lessee_type="enterprise",
        related_party=False,
        start_date=dt.date(2024, 1, 15),
        term_months=36,
        principal_fen=principal_fen,
        annual_rate=Decimal("0.0575"),
        method="annuity",
        frequency="monthly",
        residual_value_fen=100,
        deposit_fen=5_000_000,
        extra={"branch": "Shanghai"},
    )


def _asset(lessor: str, asset_id: str, **fields: Any) -> Asset:
    return Asset(
        lessor=lessor,
        asset_id=asset_id,
        asset_type=fields.pop("asset_type", "vehicle"),
        lessee_id=fields.pop("lessee_id", SHARED_LESSEE),
        lessee_name="Shared Lessee Co.",
        **fields,
    )


def _seed(url: str) -> Keys:
    engine = create_store_engine(url)
    try:
        with session_factory(engine)() as session, session.begin():
            add_lessor(session, "ALPHA", "Alpha Financial Leasing")
            add_lessor(session, "BETA", "Beta Leasing")
            session.flush()
            for index, contract_no in enumerate(ALPHA_CONTRACTS):
                lessee = SHARED_LESSEE if index % 2 == 0 else f"9131000000000000{index:02d}"
                session.add(_contract(contract_no, "ALPHA", lessee, 123_450 + index))
            session.add(_contract("B-001", "BETA", SHARED_LESSEE, 99_999_900))
            session.add(_contract("B-002", "BETA", SHARED_LESSEE, 1))
            session.flush()
            session.add_all(
                [
                    Payment(
                        contract_no="A-001", lessor="ALPHA", paid_date=dt.date(2024, 2, 15), amount_fen=10_050
                    ),
                    Payment(
                        contract_no="A-001", lessor="ALPHA", paid_date=dt.date(2024, 3, 15), amount_fen=10_000
                    ),
                    Payment(
                        contract_no="B-001", lessor="BETA", paid_date=dt.date(2024, 2, 15), amount_fen=777
                    ),
                    # the same asset_id at both lessors: ids are only unique per lessor
                    _asset(
                        "ALPHA",
                        "AS-1",
                        vin="LSVAA000000000001",
                        contract_no="A-001",
                        invoice_amount_fen=20_000_005,
                    ),
                    _asset("ALPHA", "AS-2", asset_type="machinery", serial_no="SN-A2", contract_no="A-002"),
                    _asset("ALPHA", "AS-3", asset_type="machinery", serial_no="SN-SHARED"),
                    _asset("BETA", "AS-1", vin="LSVBB000000000001", contract_no="B-001"),
                    _asset(
                        "BETA", "BS-9", asset_type="machinery", serial_no="SN-SHARED", contract_no="B-002"
                    ),
                    Valuation(
                        lessor="ALPHA",
                        asset_id="AS-1",
                        valuation_date=dt.date(2024, 6, 30),
                        disposal_value_fen=5_000_000,
                    ),
                    Valuation(
                        lessor="BETA",
                        asset_id="AS-1",
                        valuation_date=dt.date(2024, 6, 30),
                        disposal_value_fen=1,
                    ),
                    Valuation(
                        lessor="BETA",
                        asset_id="BS-9",
                        valuation_date=dt.date(2024, 6, 30),
                        disposal_value_fen=2,
                    ),
                    ImportRun(
                        file_name="contracts.csv",
                        file_sha256="0" * 64,
                        kind="contracts",
                        encoding="utf-8",
                        rows_read=9,
                        rows_inserted=9,
                        status="ok",
                        message="读取 9 行：新增 9，更新 0，未变 0，拒绝 0",
                        message_code="summary",
                        message_params={
                            "read": 9,
                            "inserted": 9,
                            "updated": 0,
                            "unchanged": 0,
                            "rejected": 0,
                        },
                        started_at=dt.datetime(2024, 7, 1, 8, 0, tzinfo=dt.UTC),
                        lessor="ALPHA",
                    ),
                    # Another member's file, and a file of several members' rows: no tenant's to see.
                    *(
                        ImportRun(
                            file_name=name,
                            file_sha256="1" * 64,
                            kind="contracts",
                            encoding="utf-8",
                            rows_read=3,
                            rows_inserted=3,
                            status="ok",
                            started_at=dt.datetime(2024, 7, 2, 8, 0, tzinfo=dt.UTC),
                            lessor=lessor,
                        )
                        for name, lessor in (("beta-contracts.csv", "BETA"), ("consortium.csv", None))
                    ),
                ]
            )
            revoked = create_key(session, lessor="ALPHA", role="admin", label="left the company")
            keys = Keys(
                alpha_analyst=create_key(session, lessor="ALPHA", role="analyst").key,
                alpha_compliance=create_key(session, lessor="ALPHA", role="compliance").key,
                alpha_admin=create_key(session, lessor="ALPHA", role="admin").key,
                alpha_legal=create_key(session, lessor="ALPHA", role="legal").key,
                beta_analyst=create_key(session, lessor="BETA", role="analyst").key,
                revoked=revoked.key,
            )
            revoke_key(session, revoked.prefix)
    finally:
        engine.dispose()
    return keys


@dataclass(frozen=True)
class Api:
    url: str
    database_url: str
    keys: Keys
    client: httpx.Client

    def get(self, path: str, key: str | None = None, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return self.client.get(path, headers=headers, params=params)


def _raise_unexpected() -> None:
    raise RuntimeError(f"{LEAK_MARKER}: connection to db.internal:5432 as user admin failed")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    url = migrated_store(request, tmp_path_factory.mktemp("api"))
    keys = _seed(url)
    app = create_app(url)
    # A route that fails the way a bug would, to prove the 500 answer says nothing about the failure.
    app.add_api_route("/v1/boom", _raise_unexpected)
    with running(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        yield Api(url=base, database_url=url, keys=keys, client=client)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def assert_no_floats(value: Any) -> None:
    assert not isinstance(value, float), value
    if isinstance(value, dict):
        for item in value.values():
            assert_no_floats(item)
    elif isinstance(value, list):
        for item in value:
            assert_no_floats(item)


def _all_items(api: Api, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list endpoint, following next_cursor page by page."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        extra = {"cursor": cursor} if cursor else {}
        page = api.get(path, key, **params, **extra)
        assert page.status_code == 200, page.text
        body = page.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


# --- service -----------------------------------------------------------------------------------------------


def test_health_needs_no_key_and_reports_the_schema(api: Api) -> None:
    response = api.get("/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["schema_version"] == ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def test_openapi_and_docs_are_served(api: Api) -> None:
    spec = api.get("/openapi.json").json()
    for path in (
        "/v1/health",
        "/v1/me",
        "/v1/contracts",
        "/v1/contracts/{contract_no}",
        "/v1/contracts/{contract_no}/payments",
        "/v1/assets",
        "/v1/assets/{asset_id}",
        "/v1/assets/{asset_id}/valuations",
        "/v1/imports",
    ):
        assert path in spec["paths"], path
    assert set(spec["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    contracts = spec["paths"]["/v1/contracts"]["get"]
    assert {"bearer": []} in contracts["security"]
    problem = contracts["responses"]["401"]["content"]["application/problem+json"]["schema"]["$ref"]
    assert problem.rsplit("/", 1)[1] in spec["components"]["schemas"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    docs = api.get("/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]


def test_me_names_the_lessor_and_role_with_either_header(api: Api) -> None:
    bearer = api.get("/v1/me", api.keys.alpha_compliance)
    header = api.client.get("/v1/me", headers={"X-API-Key": api.keys.beta_analyst})
    assert bearer.status_code == 200 and header.status_code == 200
    assert (bearer.json()["lessor"], bearer.json()["role"]) == ("ALPHA", "compliance")
    assert "imports:read" in bearer.json()["permissions"]
    assert (header.json()["lessor"], header.json()["role"]) == ("BETA", "analyst")
    assert "imports:read" not in header.json()["permissions"]


# --- tenant isolation --------------------------------------------------------------------------------------


def test_contract_lists_hold_only_the_callers_rows(api: Api) -> None:
    alpha = _all_items(api, "/v1/contracts", api.keys.alpha_analyst)
    beta = _all_items(api, "/v1/contracts", api.keys.beta_analyst)
    assert [row["contract_no"] for row in alpha] == ALPHA_CONTRACTS
    assert [row["contract_no"] for row in beta] == BETA_CONTRACTS
    assert {row["lessor"] for row in alpha} == {"ALPHA"}
    shared = _all_items(api, "/v1/contracts", api.keys.alpha_analyst, lessee_id=SHARED_LESSEE)
    assert [row["contract_no"] for row in shared] == ["A-001", "A-003", "A-005", "A-007"]
    assert _all_items(api, "/v1/contracts", api.keys.beta_analyst, lessee_id="9131000000000000" + "01") == []


def test_a_filter_the_route_does_not_take_is_refused_not_ignored(api: Api) -> None:
    """`?lessee_name=` used to be silently ignored and return every contract (issue 17)."""
    answer = api.get("/v1/contracts", api.keys.alpha_analyst, lessee_name="秘密物流有限公司")
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    detail = answer.json()["detail"]
    assert "lessee_name" in detail and "lessee_id" in detail and "limit" in detail
    assert (
        api.get("/v1/contracts", api.keys.alpha_analyst, lessee_id=SHARED_LESSEE, limit=2).status_code == 200
    )
    assert api.get("/v1/assets", api.keys.alpha_analyst, colour="red").status_code == 422


def test_another_tenants_contract_is_answered_like_a_missing_one(api: Api) -> None:
    own = api.get("/v1/contracts/B-001", api.keys.beta_analyst)
    assert own.status_code == 200 and own.json()["lessor"] == "BETA"
    for suffix in ("", "/payments"):
        foreign = api.get(f"/v1/contracts/B-001{suffix}", api.keys.alpha_admin)
        missing = api.get(f"/v1/contracts/NO-SUCH{suffix}", api.keys.alpha_admin)
        foreign_body = assert_problem(foreign, 404)
        missing_body = assert_problem(missing, 404)
        assert foreign_body.pop("instance") != missing_body.pop("instance")
        assert foreign_body == missing_body
        assert "BETA" not in foreign.text and "Beta" not in foreign.text
        assert dict(foreign.headers) | {"date": "", "content-length": ""} == dict(missing.headers) | {
            "date": "",
            "content-length": "",
        }


def test_contract_detail_and_payments_with_exact_money(api: Api) -> None:
    contract = api.get("/v1/contracts/A-001", api.keys.alpha_legal)
    assert contract.status_code == 200
    body = contract.json()
    assert (body["principal"], body["principal_fen"]) == ("1234.50", 123_450)
    assert (body["residual_value"], body["residual_value_fen"]) == ("1.00", 100)
    assert (body["deposit"], body["deposit_fen"]) == ("50000.00", 5_000_000)
    assert body["annual_rate"] == "0.057500"
    assert body["extra"] == {"branch": "Shanghai"}
    assert_no_floats(body)
    payments = api.get("/v1/contracts/A-001/payments", api.keys.alpha_analyst).json()
    assert [(p["paid_date"], p["amount"], p["amount_fen"]) for p in payments["items"]] == [
        ("2024-02-15", "100.50", 10_050),
        ("2024-03-15", "100.00", 10_000),
    ]
    assert (payments["count"], payments["total_paid"], payments["total_paid_fen"]) == (2, "200.50", 20_050)
    assert_no_floats(payments)
    beta = api.get("/v1/contracts/B-001/payments", api.keys.beta_analyst).json()
    assert [p["amount"] for p in beta["items"]] == ["7.77"]


def test_asset_lists_details_and_valuations_are_per_tenant(api: Api) -> None:
    alpha = _all_items(api, "/v1/assets", api.keys.alpha_analyst)
    beta = _all_items(api, "/v1/assets", api.keys.beta_analyst)
    assert sorted(row["asset_id"] for row in alpha) == ["AS-1", "AS-2", "AS-3"]
    assert sorted(row["asset_id"] for row in beta) == ["AS-1", "BS-9"]
    assert_no_floats(alpha)

    assert api.get("/v1/assets", api.keys.alpha_analyst, vin="LSVBB000000000001").json()["items"] == []
    assert [
        row["asset_id"]
        for row in _all_items(api, "/v1/assets", api.keys.alpha_analyst, serial_no="SN-SHARED")
    ] == ["AS-3"]
    by_contract = _all_items(api, "/v1/assets", api.keys.beta_analyst, contract_no="B-002")
    assert [row["asset_id"] for row in by_contract] == ["BS-9"]
    assert _all_items(api, "/v1/assets", api.keys.alpha_analyst, contract_no="B-002") == []

    alpha_as1 = api.get("/v1/assets/AS-1", api.keys.alpha_analyst).json()
    beta_as1 = api.get("/v1/assets/AS-1", api.keys.beta_analyst).json()
    assert (alpha_as1["lessor"], alpha_as1["vin"]) == ("ALPHA", "LSVAA000000000001")
    assert (alpha_as1["invoice_amount"], alpha_as1["invoice_amount_fen"]) == ("200000.05", 20_000_005)
    assert (beta_as1["lessor"], beta_as1["vin"]) == ("BETA", "LSVBB000000000001")

    alpha_values = api.get("/v1/assets/AS-1/valuations", api.keys.alpha_analyst).json()["items"]
    assert [(v["disposal_value"], v["disposal_value_fen"]) for v in alpha_values] == [("50000.00", 5_000_000)]
    beta_values = api.get("/v1/assets/AS-1/valuations", api.keys.beta_analyst).json()["items"]
    assert [v["disposal_value"] for v in beta_values] == ["0.01"]

    for suffix in ("", "/valuations"):
        foreign = assert_problem(api.get(f"/v1/assets/BS-9{suffix}", api.keys.alpha_analyst), 404)
        missing = assert_problem(api.get(f"/v1/assets/NO-SUCH{suffix}", api.keys.alpha_analyst), 404)
        foreign.pop("instance"), missing.pop("instance")
        assert foreign == missing


# --- pagination --------------------------------------------------------------------------------------------


def test_offset_and_cursor_pages_agree_and_cover_everything_once(api: Api) -> None:
    first = api.get("/v1/contracts", api.keys.alpha_analyst, limit=3).json()
    assert [row["contract_no"] for row in first["items"]] == ALPHA_CONTRACTS[:3]
    assert first["next_cursor"]
    by_cursor = api.get("/v1/contracts", api.keys.alpha_analyst, limit=3, cursor=first["next_cursor"]).json()
    by_offset = api.get("/v1/contracts", api.keys.alpha_analyst, limit=3, offset=3).json()
    assert by_cursor["items"] == by_offset["items"]
    assert [row["contract_no"] for row in by_offset["items"]] == ALPHA_CONTRACTS[3:6]
    walked = _all_items(api, "/v1/contracts", api.keys.alpha_analyst, limit=2)
    assert [row["contract_no"] for row in walked] == ALPHA_CONTRACTS
    last = api.get("/v1/contracts", api.keys.alpha_analyst, limit=3, offset=6).json()
    assert [row["contract_no"] for row in last["items"]] == ["A-007"] and last["next_cursor"] is None


def test_a_cursor_cannot_reach_another_tenant(api: Api) -> None:
    # A cursor is only a position; the lessor filter still applies to whoever presents it.
    cursor = api.get("/v1/contracts", api.keys.beta_analyst, limit=1).json()["next_cursor"]
    items = api.get("/v1/contracts", api.keys.alpha_analyst, cursor=cursor).json()["items"]
    assert {row["lessor"] for row in items} <= {"ALPHA"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "1", "offset": 2}, "offset"),
        ({"cursor": str(2**64)}, "cursor"),
    ],
)
def test_invalid_paging_is_a_422_listing_the_field(api: Api, params: dict[str, Any], field: str) -> None:
    body = assert_problem(api.get("/v1/contracts", api.keys.alpha_analyst, **params), 422)
    assert [(error["location"], error["field"]) for error in body["errors"]] == [("query", field)]
    assert all(error["message"] and error["type"] for error in body["errors"])


# --- authentication and roles ------------------------------------------------------------------------------


def _unknown_key(api: Api) -> str:
    secret = api.keys.alpha_admin.split("_", 2)[2]
    return f"lg_{'0' * 12}_{secret}"


def _wrong_secret(api: Api) -> str:
    prefix, secret = api.keys.alpha_admin.split("_", 2)[1:]
    return f"lg_{prefix}_{'A' * len(secret)}"


@pytest.mark.parametrize(
    ("case", "headers"),
    [
        ("missing", lambda api: {}),
        ("bare scheme", lambda api: {"Authorization": "Bearer"}),
        ("not bearer", lambda api: {"Authorization": f"Basic {api.keys.alpha_admin}"}),
        ("malformed", lambda api: {"Authorization": "Bearer lg_garbage"}),
        ("malformed x-api-key", lambda api: {"X-API-Key": "hunter2"}),
        ("unknown", lambda api: {"Authorization": f"Bearer {_unknown_key(api)}"}),
        ("wrong secret", lambda api: {"X-API-Key": _wrong_secret(api)}),
        ("revoked", lambda api: {"Authorization": f"Bearer {api.keys.revoked}"}),
    ],
)
def test_requests_without_a_valid_key_are_401(api: Api, case: str, headers: Any) -> None:
    for path in ("/v1/me", "/v1/contracts", "/v1/assets/AS-1", "/v1/imports"):
        response = api.client.get(path, headers=headers(api))
        body = assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith('Bearer realm="leaseguard"'), case
        assert "items" not in body


def test_revoked_and_unknown_keys_get_the_same_answer(api: Api) -> None:
    revoked = api.get("/v1/me", api.keys.revoked)
    unknown = api.get("/v1/me", _unknown_key(api))
    assert revoked.json() == unknown.json()


@pytest.mark.parametrize(
    ("role", "status"), [("analyst", 403), ("legal", 403), ("compliance", 200), ("admin", 200)]
)
def test_only_admin_and_compliance_see_import_runs(api: Api, role: str, status: int) -> None:
    response = api.get("/v1/imports", getattr(api.keys, f"alpha_{role}"))
    if status == 403:
        body = assert_problem(response, 403)
        assert role in body["detail"]
    else:
        assert response.status_code == 200
        assert [run["file_name"] for run in response.json()["items"]] == ["contracts.csv"]


def test_an_import_run_is_told_in_the_callers_language(api: Api) -> None:
    """An import run's message is said in the Accept-Language language (Chinese unless asked), its code the same
    in both (issue 16)."""
    chinese = api.get("/v1/imports", api.keys.alpha_admin)
    english = api.client.get(
        "/v1/imports",
        headers={"Authorization": f"Bearer {api.keys.alpha_admin}", "Accept-Language": "en-GB,en;q=0.9"},
    )
    [run_zh], [run_en] = chinese.json()["items"], english.json()["items"]
    assert run_zh["code"] == run_en["code"] == "summary"
    assert run_zh["message"] == "读取 9 行：新增 9，更新 0，未变 0，拒绝 0"
    assert run_en["message"] == "9 rows read: 9 inserted, 0 updated, 0 unchanged, 0 rejected"


def test_api_keys_are_stored_hashed(api: Api) -> None:
    secrets = [key.split("_", 2)[2] for key in vars(api.keys).values()]
    engine = create_store_engine(api.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("select * from api_keys")).all()
    finally:
        engine.dispose()
    assert len(rows) == len(secrets)
    stored = " ".join(str(value) for row in rows for value in row)
    assert not [secret for secret in secrets if secret in stored]
    if api.database_url.startswith("sqlite:///"):
        database = Path(api.database_url.removeprefix("sqlite:///"))
        raw = b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
        assert not [secret for secret in secrets if secret.encode() in raw]


# --- errors ------------------------------------------------------------------------------------------------


def test_unknown_routes_are_problem_404(api: Api) -> None:
    assert_problem(api.get("/v1/nowhere"), 404)
    assert_problem(api.get("/v1/nowhere", api.keys.alpha_admin), 404)


def test_a_problem_is_said_in_chinese_unless_the_caller_reads_english(api: Api) -> None:
    """Issue 17: detail and title follow Accept-Language (zh by default, en on request)."""
    bearer = {"Authorization": f"Bearer {api.keys.alpha_admin}"}
    chinese = api.client.get("/v1/contracts/NO-SUCH", headers=bearer)
    english = api.client.get("/v1/contracts/NO-SUCH", headers={**bearer, "Accept-Language": "en-GB,en;q=0.9"})
    assert assert_problem(chinese, 404)["detail"] == "没有这份合同。"
    assert (chinese.json()["title"], english.json()["title"]) == ("未找到", "Not found")
    assert assert_problem(english, 404)["detail"] == "No such contract."
    preferred = api.client.get(
        "/v1/contracts/NO-SUCH", headers={**bearer, "Accept-Language": "en;q=0.5, zh-CN"}
    )
    assert preferred.json()["detail"] == "没有这份合同。"
    # The fixed answers too: a bad key, a route that is not there, an invalid field, an unexpected error.
    unknown = api.client.get("/v1/me", headers={"X-API-Key": _unknown_key(api)})
    assert unknown.json()["detail"].startswith("API 密钥无效")
    unknown_en = api.client.get("/v1/me", headers={"X-API-Key": _unknown_key(api), "Accept-Language": "en"})
    assert unknown_en.json()["detail"] == "The API key is not valid: it is malformed, unknown or revoked."
    assert api.get("/v1/nowhere").json()["detail"] == "此地址下没有内容。"
    invalid = api.client.get("/v1/contracts", headers=bearer, params={"limit": 0})
    assert invalid.json()["detail"] == "请求中有无效字段：query.limit。"
    assert invalid.json()["errors"][0]["message"] == "应不小于 1"
    cursor = api.client.get(
        "/v1/contracts", headers={**bearer, "Accept-Language": "en"}, params={"cursor": "x"}
    )
    assert cursor.json()["detail"] == "The request has invalid fields: query.cursor."
    assert cursor.json()["errors"][0]["message"] == "not a cursor returned by this API"
    forbidden = api.get("/v1/imports", api.keys.alpha_analyst)
    assert forbidden.json()["detail"] == "角色 'analyst' 无权执行 imports:read。"
    # On a connection of its own: the server closes the connection after a 500.
    boom = httpx.get(f"{api.url}/v1/boom", headers={**bearer, "Accept-Language": "en"}, timeout=10)
    assert boom.json()["detail"] == "An unexpected error occurred; it has been logged."


def test_wrong_method_is_problem_405_with_allow(api: Api) -> None:
    response = api.client.post("/v1/contracts", headers={"Authorization": f"Bearer {api.keys.alpha_admin}"})
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET"


def test_an_unexpected_error_is_a_generic_500(api: Api) -> None:
    # A connection of its own: uvicorn closes the connection of a request that raised, and the shared client
    # could otherwise send the next test's request down it at that moment (a reset connection, seen in CI).
    with httpx.Client(base_url=api.url, timeout=10) as client:
        response = client.get("/v1/boom", headers={"Authorization": f"Bearer {api.keys.alpha_admin}"})
    body = assert_problem(response, 500)
    for leak in (LEAK_MARKER, "RuntimeError", "Traceback", "db.internal", "admin failed"):
        assert leak not in response.text
    assert body["type"] == "about:blank"


def test_a_store_without_schema_leaks_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with running(create_app(url)) as base, httpx.Client(base_url=base) as client:
        health = client.get("/v1/health")
        me = client.get("/v1/me", headers={"X-API-Key": f"lg_{'a' * 12}_{'b' * 43}"})
    assert_problem(health, 503)
    assert_problem(me, 500)
    for response in (health, me):
        assert "api_keys" not in response.text and "alembic" not in response.text
        assert "OperationalError" not in response.text


def test_a_revoked_key_stops_working_once_the_key_cache_expires(database_url: str) -> None:
    engine = create_store_engine(database_url)
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "GAMMA", "Gamma Leasing")
        issued = create_key(session, lessor="GAMMA", role="analyst")
    with (
        running(create_app(database_url, key_cache_seconds=0.5)) as url,
        httpx.Client(base_url=url) as client,
    ):
        headers = {"Authorization": f"Bearer {issued.key}"}
        assert client.get("/v1/me", headers=headers).status_code == 200
        with session_factory(engine)() as session, session.begin():
            revoke_key(session, issued.prefix)
        # Trusted from the cache for at most key_cache_seconds, then read again and refused.
        assert client.get("/v1/me", headers=headers).status_code == 200
        time.sleep(0.6)
        assert client.get("/v1/me", headers=headers).status_code == 401
    engine.dispose()


# --- integers beyond what the store holds ------------------------------------------------------------------


def _integer_parameters(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, parameter name, schema) of every integer path or query parameter of every GET operation."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    for path, operations in openapi["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            schema = parameter["schema"]
            options = schema.get("anyOf", [schema])
            for option in options:
                item = option.get("items", option) if option.get("type") == "array" else option
                if item.get("type") == "integer":
                    found.append((path, parameter["name"], item))
    return found


def test_every_integer_parameter_is_bounded_and_a_huge_one_is_a_422(api: Api) -> None:
    # A number beyond 64 bits used to reach the database driver and answer 500 (found by a schema fuzzer).
    openapi = api.get("/openapi.json").json()
    parameters = _integer_parameters(openapi)
    assert {name for _, name, _ in parameters} >= {"offset", "index", "after", "report_id", "case_id"}
    for path, name, schema in parameters:
        assert schema.get("maximum", 2**64) <= 2**63 - 1, (path, name)
        for huge in (2**64, -(2**64), 10**25):
            url = path.replace("{" + name + "}", str(huge))
            params = {} if "{" + name + "}" in path else {name: huge}
            url = re.sub(r"\{[^}]+\}", "X-001", url)
            response = api.get(url, api.keys.alpha_admin, **params)
            assert_problem(response, 422)


def test_a_cursor_past_every_row_is_an_empty_last_page(api: Api) -> None:
    page = api.get("/v1/contracts", api.keys.alpha_analyst, cursor=str(2**63 + 5))
    assert page.status_code == 200, page.text
    assert page.json()["items"] == [] and page.json()["next_cursor"] is None


def test_a_body_that_is_not_utf8_is_a_422_problem_not_an_undeclared_400(api: Api) -> None:
    response = api.client.post(
        "/v1/assets/check",
        content=b"\xc9\xb4=(\x14\xff<}",
        headers={"Authorization": f"Bearer {api.keys.alpha_analyst}", "Content-Type": "application/json"},
    )
    body = assert_problem(response, 422)
    assert [(error["location"], error["type"]) for error in body["errors"]] == [("body", "json_invalid")]
