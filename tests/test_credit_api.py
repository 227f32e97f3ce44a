"""POST /v1/applications/decide through a real server on SQLite and PostgreSQL: multi-head features and
arrears from the store across sharing lessors (with the applicant's consent, as bands only; the default of no
sharing is tests/test_credit_consent.py), decisions recorded and deposited, bad input, policy reload that never
lets a broken file replace a working one."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from applications_world import trained_models
from conftest import migrated_store, running
from leaseguard.api import create_app
from leaseguard.credit.policy import shipped_policy_text
from leaseguard.evidence import NoteSigner
from leaseguard.store.db import create_store_engine, session_factory
from leaseguard.store.models import Contract, ContractClass, CreditApplication
from leaseguard.tenancy import add_lessor, create_key

TODAY = dt.date.today()
CLEAN = "110101199001011237"  # on the shipped watchlist
MULTI = "110105198506150016"
ARREARS = "440305198811110011"
COMMITTED = "310104197703030035"
SECRET_CONTRACT = "BETA-SECRET-77"


def _valid(body17: str) -> str:
    from stdnum.cn import ric

    # calc_check_digit reads a whole number and ignores its last character.
    return body17 + ric.calc_check_digit(body17 + "0")


MULTI, ARREARS, COMMITTED = (_valid(x[:17]) for x in (MULTI, ARREARS, COMMITTED))


@dataclass(frozen=True)
class DecideApi:
    client: httpx.Client
    url: str
    alpha: str
    beta: str
    legal: str
    policy: Path

    def decide(self, key: str | None, **body: object) -> httpx.Response:
        headers = {"X-API-Key": key} if key else {}
        return self.client.post("/v1/applications/decide", json=body, headers=headers)


def application(applicant: str, **more: object) -> dict[str, object]:
    return {
        "applicant_id": applicant,
        "applicant_type": "individual",
        "stated_age": dt.date.today().year - int(applicant[6:10]),
        "monthly_income_yuan": "9000.00",
        "requested_amount_yuan": "60000",
        "term_months": 24,
        **more,
    }


@pytest.fixture(scope="module")
def models() -> Path:
    """The run's credit model (seed 5's applications), trained once for every module that asks."""
    return trained_models()


def _contract(no: str, lessor: str, lessee: str, start: dt.date) -> Contract:
    return Contract(
        contract_no=no,
        lessor=lessor,
        lessee_id=lessee,
        lessee_name="某某",
        lessee_type="individual",
        start_date=start,
        term_months=36,
        principal_fen=36_000_000,
        annual_rate="0.06",
        method="annuity",
        frequency="monthly",
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, models: Path
) -> Iterator[DecideApi]:
    folder = tmp_path_factory.mktemp("decide")
    url = migrated_store(request, folder)
    engine = create_store_engine(url)
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "ALPHA", "甲融资租赁有限公司")
        add_lessor(session, "BETA", "乙融资租赁有限公司")
        session.flush()
        # Three within 7 days, five within 30, none within a day of either edge: the server's day is its own
        # clock's, which may have turned past midnight since TODAY was read.
        for days_ago, lessor in zip(
            (0, 2, 4, 11, 15), ("BETA", "GAMMA", "DELTA", "EPSILON", "ZETA"), strict=True
        ):
            session.add(
                CreditApplication(
                    lessor=lessor,
                    applicant_id=MULTI,
                    applied_on=TODAY - dt.timedelta(days=days_ago),
                    source="log",
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
        session.add(_contract(SECRET_CONTRACT, "BETA", ARREARS, TODAY - dt.timedelta(days=200)))
        session.add(_contract("BETA-2", "BETA", COMMITTED, TODAY - dt.timedelta(days=100)))
        session.add(_contract("BETA-OLD", "BETA", COMMITTED, TODAY - dt.timedelta(days=2000)))
        session.flush()
        session.add(
            ContractClass(
                as_of=TODAY - dt.timedelta(days=1),
                contract_no=SECRET_CONTRACT,
                lessor="BETA",
                dpd=45,
                outstanding_principal_fen=1,
                overdue_amount_fen=1,
                claim_balance_fen=1,
                klass="special",
                deciding_rule="dpd",
                reasons="",
                provision_fen=0,
            )
        )
        alpha = create_key(session, lessor="ALPHA", role="analyst").key
        beta = create_key(session, lessor="BETA", role="analyst").key
        legal = create_key(session, lessor="ALPHA", role="legal").key
    engine.dispose()
    policy = folder / "policy.yaml"
    policy.write_text(shipped_policy_text(), encoding="utf-8")
    signer = NoteSigner("leaseguard.test/credit", Ed25519PrivateKey.generate())
    # Every lessor here shares consortium data; the cross-lessor tests send the applicant's consent.
    sharing = {code: True for code in ("ALPHA", "BETA", "GAMMA", "DELTA", "EPSILON", "ZETA")}
    app = create_app(
        url, evidence_signer=signer, credit_models=models, credit_policy=policy, credit_sharing=sharing
    )
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield DecideApi(client, url, alpha, beta, legal, policy)


def test_a_decision_has_score_pd_decision_reasons_and_is_recorded(api: DecideApi) -> None:
    response = api.decide(api.alpha, **application(CLEAN, application_id="A-001"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["decision"] in ("approve", "refer", "decline")
    assert 0 < answer["pd"] < 1 and isinstance(answer["score"], int)
    assert [r["id"] for r in answer["rules_fired"]] == ["watchlisted"]  # the shipped watchlist holds CLEAN
    assert answer["decision"] in ("refer", "decline")
    assert answer["reasons"] and all(r["text"] for r in answer["reasons"])
    # Reasons carry codes and parameters; the words are Chinese first, English beside them (issues 16, 17).
    scored = [r for r in answer["reasons"] if r["source"] in ("scorecard", "model")]
    assert scored and all(r["code"] in ("scorecard-points", "model-log-odds") for r in scored)
    assert all(r["params"]["feature"] == r["feature"] for r in scored)
    assert all(re.search(r"[\u4e00-\u9fff]", r["text"]) and r["text_en"].isascii() for r in scored)
    assert isinstance(answer["evidence_index"], int)
    engine = create_store_engine(api.url)
    with session_factory(engine)() as session:
        row = session.execute(
            select(CreditApplication).where(CreditApplication.id == answer["decision_id"])
        ).scalar_one()
        assert (row.lessor, row.source, row.decision, row.application_id) == (
            "ALPHA",
            "decision",
            answer["decision"],
            "A-001",
        )
        assert row.evidence_index == answer["evidence_index"]
    engine.dispose()


def test_multi_head_borrower_is_counted_across_lessors_without_naming_them(api: DecideApi) -> None:
    response = api.decide(api.alpha, **application(MULTI, consent=True))
    assert response.status_code == 200, response.text
    answer = response.json()
    features = answer["features"]
    # Other members' counts enter as the floors of their bands (consortium.yaml): 3 lenders -> 2 (2-3家),
    # 3 applications -> 3 (3-6次), 5 lenders -> 4 (4家及以上), 5 applications -> 3.
    assert features["mh_lenders_7d"] == 2 and features["mh_applications_7d"] == 3
    assert features["mh_lenders_30d"] == 4 and features["mh_applications_30d"] == 3
    assert answer["decision"] == "decline" and answer["consortium"] is True
    assert "many_lenders_30d" in [r["id"] for r in answer["rules_fired"]]
    consortium = [r["text"] for r in answer["reasons"] if r["source"] == "consortium"]
    assert consortium == ["近30天在其他成员有申请记录（4家及以上）"]
    for secret in ("BETA", "GAMMA", "DELTA", "EPSILON", "ZETA"):
        assert secret not in response.text


def test_arrears_at_a_sharing_member_declines_without_revealing_the_contract(api: DecideApi) -> None:
    response = api.decide(api.alpha, **application(ARREARS, consent=True))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["decision"] == "decline"
    fired = [r["id"] for r in answer["rules_fired"]]
    assert "member_arrears" in fired and "in_arrears" not in fired  # not in arrears at ALPHA itself
    assert "其他成员有逾期记录" in answer["verification"]
    assert SECRET_CONTRACT not in response.text and "BETA" not in response.text
    # At BETA, whose contract it is, it is its own book: the in_arrears rule.
    at_beta = api.decide(api.beta, **application(ARREARS)).json()
    assert "in_arrears" in [r["id"] for r in at_beta["rules_fired"]] and at_beta["consortium"] is False


def test_outstanding_contracts_elsewhere_and_committed_income(api: DecideApi) -> None:
    at_alpha = api.decide(api.alpha, **application(COMMITTED, consent=True)).json()["features"]
    assert at_alpha["mh_outstanding_elsewhere"] == 1  # the ended contract does not count
    # 360,000 yuan over 36 months at 6%: about 10,952 yuan a month; at another member it enters as its band's
    # floor, 10,000 yuan, against 9,000 of income; at BETA, its own contract, exactly.
    assert at_alpha["income_committed_share"] == pytest.approx(10000 / 9000, abs=1e-3)
    at_beta = api.decide(api.beta, **application(COMMITTED, consent=True)).json()["features"]
    assert at_beta["mh_outstanding_elsewhere"] == 0  # BETA's own contract is not "elsewhere"
    assert at_beta["income_committed_share"] == pytest.approx(1.2169, abs=1e-3)


def test_each_consented_decision_enters_the_log_sharing_members_count(api: DecideApi) -> None:
    applicant = _valid("32010219920202001")
    first = api.decide(api.beta, **application(applicant, consent=True)).json()["features"]
    api.decide(api.alpha, **application(applicant, consent=True))
    second = api.decide(api.beta, **application(applicant, consent=True)).json()["features"]
    assert second["mh_applications_7d"] == first["mh_applications_7d"] + 2
    assert second["mh_lenders_7d"] == 2


def test_bad_input_is_a_problem_naming_the_field(api: DecideApi) -> None:
    missing = api.decide(
        api.alpha, **{k: v for k, v in application(CLEAN).items() if k != "monthly_income_yuan"}
    )
    assert missing.status_code == 422 and missing.headers["content-type"] == "application/problem+json"
    assert "monthly_income_yuan" in missing.json()["detail"]
    huge = api.decide(api.alpha, **application(CLEAN, requested_amount_yuan="999999999999"))
    assert huge.status_code == 422 and "请求正文：字段 requested_amount_yuan" in huge.json()["detail"]
    assert "超出范围" in huge.json()["detail"]
    in_english = api.client.post(
        "/v1/applications/decide",
        json=application(CLEAN, requested_amount_yuan="999999999999"),
        headers={"X-API-Key": api.alpha, "Accept-Language": "en"},
    )
    assert in_english.status_code == 422
    assert "request body: field requested_amount_yuan" in in_english.json()["detail"]
    assert "out of range" in in_english.json()["detail"]
    assert huge.json()["type"].endswith("out-of-range")
    mistyped = api.decide(api.alpha, **application(CLEAN, term_months="two years"))
    assert mistyped.status_code == 422 and mistyped.json()["errors"][0]["field"] == "term_months"
    nested = api.decide(api.alpha, **application(CLEAN, extra={"a": 1}))
    assert nested.status_code == 422
    unknown = api.decide(api.alpha, **application(CLEAN, model_version="19990101T000000-deadbeef"))
    assert unknown.status_code == 404 and "19990101T000000-deadbeef" in unknown.json()["detail"]
    assert "Traceback" not in unknown.text


def test_keys_and_roles(api: DecideApi) -> None:
    assert api.decide(None, **application(CLEAN)).status_code == 401
    forbidden = api.decide(api.legal, **application(CLEAN))
    assert forbidden.status_code == 403 and "credit:decide" in forbidden.json()["detail"]


def test_a_broken_policy_never_replaces_the_working_one(api: DecideApi) -> None:
    def bump(text: str) -> None:
        api.policy.write_text(text, encoding="utf-8")
        stamp = api.policy.stat().st_mtime + 5
        os.utime(api.policy, (stamp, stamp))

    working = shipped_policy_text()
    try:
        bump(working.replace("version: 1", "version: 7", 1))
        assert api.decide(api.alpha, **application(CLEAN)).json()["policy_version"] == 7
        bump(
            working.replace("version: 1", "version: 8", 1).replace("mh_lenders_30d > 3", "mh_lendrs_30d > 3")
        )
        still = api.decide(api.alpha, **application(CLEAN))
        assert still.status_code == 200 and still.json()["policy_version"] == 7
        bump(working.replace("version: 1", "version: 9", 1))
        assert api.decide(api.alpha, **application(CLEAN)).json()["policy_version"] == 9
    finally:
        bump(working)


def test_a_server_does_not_start_with_a_broken_policy(models: Path, tmp_path: Path) -> None:
    from leaseguard.credit.errors import CreditError

    broken = tmp_path / "policy.yaml"
    broken.write_text(
        shipped_policy_text().replace('when: "in_arrears"', 'when: "in_arears"'), encoding="utf-8"
    )
    with pytest.raises(CreditError, match="in_arears"):
        create_app(f"sqlite:///{tmp_path / 'x.db'}", credit_models=models, credit_policy=broken)


def test_no_model_deployed_is_a_503(api: DecideApi) -> None:
    app = create_app(api.url)
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        response = client.post(
            "/v1/applications/decide", json=application(CLEAN), headers={"X-API-Key": api.alpha}
        )
    assert response.status_code == 503 and response.json()["type"].endswith("no-credit-model")


def test_the_cli_decides_what_the_api_decides(models: Path, tmp_path: Path) -> None:
    """One job, one answer: the same application of the same lessor, decided on two identical stores, by
    `leaseguard credit decide --out` and by POST /v1/applications/decide, gives the same JSON (only the
    decision's own number and log index belong to its store)."""
    import json

    from typer.testing import CliRunner

    from leaseguard.cli.main import app
    from leaseguard.evidence import log_settings
    from leaseguard.workspace import HOME_ENV, Workspace, init_workspace

    def seeded(name: str) -> tuple[Workspace, str]:
        opened = init_workspace(tmp_path / name)
        engine = create_store_engine(opened.database_url)
        with session_factory(engine)() as session, session.begin():
            add_lessor(session, "ALPHA", "甲融资租赁有限公司")
            session.flush()
            session.add(_contract("ALPHA-1", "ALPHA", COMMITTED, TODAY - dt.timedelta(days=100)))
            session.add(CreditApplication(lessor="ALPHA", applicant_id=COMMITTED, applied_on=TODAY - dt.timedelta(
                days=3), source="log", created_at=dt.datetime.now(dt.UTC)))  # fmt: skip
            key = create_key(session, lessor="ALPHA", role="analyst").key
        engine.dispose()
        return opened, key

    asked = application(COMMITTED, application_id="SAME-1")
    for_api, key = seeded("api")
    served = create_app(
        for_api.database_url, evidence_signer=log_settings(for_api).signer, credit_models=models
    )
    with running(served) as base, httpx.Client(base_url=base, timeout=30) as client:
        response = client.post("/v1/applications/decide", json=asked, headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    for_cli, _ = seeded("cli")
    (tmp_path / "asked.json").write_text(json.dumps(asked), encoding="utf-8")
    artefact = next(models.glob("*.json"))
    result = CliRunner().invoke(
        app,
        ["credit", "decide", str(tmp_path / "asked.json"), "--lessor", "ALPHA", "--model", str(artefact),
         "--out", str(tmp_path / "decided.json"), "-w", str(for_cli.root)],
        env={HOME_ENV: ""},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (from_cli,) = json.loads((tmp_path / "decided.json").read_text(encoding="utf-8"))
    from_api = response.json()
    own = ("decision_id", "evidence_index")
    assert sorted(from_cli) == sorted(from_api)
    assert {k: v for k, v in from_cli.items() if k not in own} == {
        k: v for k, v in from_api.items() if k not in own
    }
    assert from_api["features"] and from_api["application_id"] == "SAME-1"
