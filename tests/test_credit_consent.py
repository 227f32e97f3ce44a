"""Issue 22: a lessor's credit decision depends only on its own book unless consortium sharing says otherwise.

Through a real server on SQLite and PostgreSQL, and through `leaseguard credit decide`:
1. with sharing off (the default), a person known only to another lessor (arrears, applications, a contract
   there) gets exactly the answer a never-seen person gets;
2. with sharing on, other members' facts count only for members that share too, only with the applicant's
   recorded consent, and only as bands, never naming the member, a contract, an exact count or an amount;
3. decide calls by one lessor (probes) never change what another lessor's decision for that person is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy.orm import Session
from stdnum.cn import ric
from typer.testing import CliRunner

from applications_world import trained_models
from conftest import migrated_store, running
from leaseguard.api import create_app
from leaseguard.cli.main import app as cli_app
from leaseguard.credit.errors import CreditError
from leaseguard.store.db import create_store_engine, session_factory
from leaseguard.store.models import Contract, ContractClass, CreditApplication
from leaseguard.tenancy import add_lessor, create_key
from leaseguard.vocabulary import Label
from leaseguard.workspace import init_workspace

TODAY = dt.date.today()
# Everyone here is born on the same day in the same district, so two people differ only in what the store
# holds about them: their model inputs from the application and the ID number are the same.
BODY = "11010819880312"
PRINCIPAL_FEN = 36_000_000  # 360,000 yuan over 36 months at 6%: about 10,952 yuan a month
SECRETS = ("L02", "L03", "乙租赁", "丙租赁", "360000", "10952")


def person(sequence: int) -> str:
    body17 = f"{BODY}{sequence:03d}"
    return body17 + ric.calc_check_digit(body17 + "0")


def application(applicant: str, **more: object) -> dict[str, object]:
    return {
        "applicant_id": applicant,
        "applicant_type": "individual",
        "stated_age": TODAY.year - 1988,
        "monthly_income_yuan": "9000.00",
        "requested_amount_yuan": "60000",
        "term_months": 24,
        **more,
    }


def known_at_other_lessors(session: Session, applicant: str) -> None:
    """At L02: five applications in the last 30 days, an active contract, 45 days in arrears yesterday.
    At L03: two applications."""
    for days in (0, 2, 4, 6, 8):
        session.add(_log("L02", applicant, days))
    for days in (1, 3):
        session.add(_log("L03", applicant, days))
    number = f"L02-SECRET-{applicant[-4:]}"
    session.add(
        Contract(
            contract_no=number,
            lessor="L02",
            lessee_id=applicant,
            lessee_name="某某",
            lessee_type="individual",
            start_date=TODAY - dt.timedelta(days=200),
            term_months=36,
            principal_fen=PRINCIPAL_FEN,
            annual_rate="0.06",
            method="annuity",
            frequency="monthly",
        )
    )
    session.flush()
    session.add(
        ContractClass(
            as_of=TODAY - dt.timedelta(days=1),
            contract_no=number,
            lessor="L02",
            dpd=45,
            outstanding_principal_fen=PRINCIPAL_FEN // 2,
            overdue_amount_fen=2_190_000,
            claim_balance_fen=PRINCIPAL_FEN // 2,
            klass="special",
            deciding_rule="dpd",
            reasons="",
            provision_fen=0,
        )
    )


def _log(lessor: str, applicant: str, days_ago: int) -> CreditApplication:
    return CreditApplication(
        lessor=lessor,
        applicant_id=applicant,
        applied_on=TODAY - dt.timedelta(days=days_ago),
        source="log",
        created_at=dt.datetime.now(dt.UTC),
    )


# Persons known at L02 and L03 (the first of each pair) and their never-seen twins.
K1, N1 = person(11), person(12)  # sharing off
K2, N2 = person(21), person(22)  # sharing L01 + L02
K3, N3 = person(31), person(32)  # sharing L01 only / L01 + L03
P1, Q1 = person(41), person(42)  # probes, sharing off
P2, Q2 = person(51), person(52)  # probes, sharing L01 + L02
P3, Q3 = person(61), person(62)  # a consented application, sharing L01 + L02
KNOWN = (K1, K2, K3)


@pytest.fixture(scope="module")
def models() -> Path:
    """The run's credit model (seed 5's applications), trained once for every module that asks."""
    return trained_models()


@dataclass(frozen=True)
class Store:
    url: str
    models: Path
    keys: dict[str, str]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, models: Path) -> Store:
    url = migrated_store(request, tmp_path_factory.mktemp("consent"))
    engine = create_store_engine(url)
    with session_factory(engine)() as session, session.begin():
        for code, name in (("L01", "甲租赁"), ("L02", "乙租赁"), ("L03", "丙租赁")):
            add_lessor(session, code, name)
        session.flush()
        for applicant in KNOWN:
            known_at_other_lessors(session, applicant)
        keys = {code: create_key(session, lessor=code, role="analyst").key for code in ("L01", "L02")}
    engine.dispose()
    return Store(url, models, keys)


@dataclass(frozen=True)
class Server:
    client: httpx.Client
    keys: dict[str, str]

    def decide(self, lessor: str, **body: object) -> httpx.Response:
        return self.client.post(
            "/v1/applications/decide", json=body, headers={"X-API-Key": self.keys[lessor]}
        )

    def answer(self, lessor: str, **body: object) -> dict[str, Any]:
        """The answer without the store-wide sequence numbers of the record (decision id, evidence index)."""
        response = self.decide(lessor, **body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        del data["decision_id"], data["evidence_index"]
        return data


@contextmanager
def serve(store: Store, **app_options: Any) -> Iterator[Server]:
    app = create_app(store.url, credit_models=store.models, **app_options)
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield Server(client, store.keys)


def consortium_texts(answer: dict[str, Any]) -> list[str]:
    return [r["text"] for r in answer["reasons"] if r["source"] == "consortium"]


# --- 1. sharing off: another lessor's book changes nothing ------------------------------------------------


def test_without_sharing_a_person_known_only_elsewhere_gets_the_answer_of_a_stranger(store: Store) -> None:
    with serve(store) as server:  # the default: no credit_sharing at all
        known = server.answer("L01", **application(K1))
        stranger = server.answer("L01", **application(N1))
        assert known == stranger
        fired = [r["id"] for r in known["rules_fired"]]
        assert "in_arrears" not in fired and "member_arrears" not in fired and not known["consortium"]
        assert known["features"]["mh_applications_30d"] == 0 and known["features"]["mh_lenders_30d"] == 0
        assert known["features"]["mh_outstanding_elsewhere"] == 0
        assert known["features"]["income_committed_share"] == 0
        # The applicant's consent changes nothing while the lessor does not share.
        assert server.answer("L01", **application(K1, consent=True)) == server.answer(
            "L01", **application(N1, consent=True)
        )


def test_sharing_needs_the_other_member_to_share_too(store: Store) -> None:
    with serve(store, credit_sharing={"L01": True, "L02": False}) as server:
        known = server.answer("L01", **application(K3, consent=True))
        stranger = server.answer("L01", **application(N3, consent=True))
        assert known == stranger and known["consortium"] is True
    with serve(store, credit_sharing={"L01": True, "L03": True}) as server:
        known = server.answer("L01", **application(K3, consent=True))
        stranger = server.answer("L01", **application(N3, consent=True))
    # L03's two applications count (one member, the 1-2 band's floor); L02's arrears, applications and
    # contract do not: L02 does not share.
    assert known["features"]["mh_lenders_30d"] == stranger["features"]["mh_lenders_30d"] + 1
    assert known["features"]["mh_applications_30d"] == stranger["features"]["mh_applications_30d"] + 1
    assert known["features"]["mh_outstanding_elsewhere"] == 0
    assert "member_arrears" not in [r["id"] for r in known["rules_fired"]]
    assert consortium_texts(known) == ["近30天在其他成员有申请记录（1家）"]


# --- 2. sharing on: consent, bands, nothing identifying -------------------------------------------------


def test_with_sharing_and_consent_other_members_facts_count_as_bands_only(store: Store) -> None:
    with serve(store, credit_sharing={"L01": True, "L02": True}) as server:
        # Without the applicant's consent recorded, nothing of L02's book is read.
        assert server.answer("L01", **application(K2)) == server.answer("L01", **application(N2))
        response = server.decide("L01", **application(K2, consent=True))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["consortium"] is True and answer["decision"] == "decline"
    fired = [r["id"] for r in answer["rules_fired"]]
    assert "member_arrears" in fired and "in_arrears" not in fired
    features = answer["features"]
    # Own (L01's earlier decision for K2 above): 1 lender, 1 application. L02 (L03 does not share): 1 lender,
    # 5 applications -> the floor of 3-6, an active contract, 10,952 yuan a month -> the floor 10,000 yuan.
    assert features["mh_lenders_30d"] == 1 + 1 and features["mh_applications_30d"] == 1 + 3
    assert features["mh_outstanding_elsewhere"] == 1
    assert features["income_committed_share"] == pytest.approx(10000 / 9000, abs=1e-4)
    assert consortium_texts(answer) == [
        "其他成员有逾期记录",
        "近30天在其他成员有申请记录（1家）",
        "在其他成员有未结清的租赁合同（1笔）",
    ]
    assert "其他成员有逾期记录" in answer["verification"]
    for secret in (*SECRETS, f"L02-SECRET-{K2[-4:]}"):
        assert secret not in response.text


def test_consent_must_be_a_yes_or_no(store: Store) -> None:
    from leaseguard.credit.consortium import consent_given, sharing_members

    with serve(store, credit_sharing={"L01": True, "L02": True}) as server:
        response = server.decide("L01", **application(N2, consent="maybe"))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "consent"
    with pytest.raises(
        CreditError, match=r"apps\.csv：第 3 项：字段 consent：'maybe' 既不是 true 也不是 false"
    ) as caught:
        consent_given({"consent": "maybe"}, Label("apps.csv：第 3 项", "apps.csv: item 3"))
    assert caught.value.text("en") == "apps.csv: item 3: field consent: 'maybe' is neither true nor false"
    assert consent_given({"consent": "是"}, "x") and not consent_given({"consent": float("nan")}, "x")
    with pytest.raises(CreditError, match=r"consortium_sharing：L02：'yes' 既不是 true 也不是 false"):
        sharing_members({"L01": True, "L02": "yes"})
    with pytest.raises(CreditError, match="consortium_sharing"):
        create_app(store.url, credit_models=store.models, credit_sharing=["L01"])


# --- 3. probes never reach another lessor's figures -----------------------------------------------------


def _probes_leave_l02_unchanged(server: Server, probed: str, twin: str, **l02: object) -> None:
    before = server.answer("L02", **application(probed, **l02))
    assert before == server.answer("L02", **application(twin, **l02))
    probes = [server.decide("L01", **application(probed)).status_code for _ in range(10)]
    after = server.answer("L02", **application(probed, **l02))
    # The twin has the same history at L02 (one earlier decision there) and was never probed by L01.
    assert after == server.answer("L02", **application(twin, **l02))
    assert after["features"]["mh_applications_30d"] == before["features"]["mh_applications_30d"] + 1
    # Each probe was answered (and recorded as L01's): a busy applicant is no reason to refuse a decision.
    assert probes == [200] * 10


def test_probes_by_one_lessor_do_not_change_another_lessors_answer(store: Store) -> None:
    with serve(store) as server:
        _probes_leave_l02_unchanged(server, P1, Q1)
    # Both share and L02's applicant consented: L01's probes (no consent) still are L01's alone.
    with serve(store, credit_sharing={"L01": True, "L02": True}) as server:
        _probes_leave_l02_unchanged(server, P2, Q2, consent=True)


def test_a_consented_application_under_sharing_is_counted_by_sharing_members(store: Store) -> None:
    with serve(store, credit_sharing={"L01": True, "L02": True}) as server:
        server.answer("L01", **application(P3, consent=True))
        applied = server.answer("L02", **application(P3, consent=True))
        twin = server.answer("L02", **application(Q3, consent=True))
    assert applied["features"]["mh_lenders_30d"] == twin["features"]["mh_lenders_30d"] + 1
    assert consortium_texts(applied) == ["近30天在其他成员有申请记录（1家）"] and not consortium_texts(twin)


# --- the CLI reads the same setting from the workspace ----------------------------------------------------


def test_cli_decide_follows_the_workspace_setting(models: Path, tmp_path: Path) -> None:
    (model,) = models.glob("credit-model-*.json")
    workspace = init_workspace(tmp_path / "ws")
    engine = workspace.engine()
    with session_factory(engine)() as session, session.begin():
        for code, name in (("L01", "甲租赁"), ("L02", "乙租赁"), ("L03", "丙租赁")):
            add_lessor(session, code, name)
        session.flush()
        known_at_other_lessors(session, K1)
    engine.dispose()
    items = tmp_path / "apps.json"
    runner = CliRunner()

    def decide(*people: str) -> list[dict[str, Any]]:
        items.write_text(json.dumps([application(p, consent=True) for p in people]), encoding="utf-8")
        out = tmp_path / "out.json"
        args = ["credit", "decide", str(items), "--lessor", "L01", "--model", str(model)]
        result = runner.invoke(cli_app, [*args, "--out", str(out), "-w", str(workspace.root)])
        assert result.exit_code == 0, result.output
        answers: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
        for answer in answers:
            del answer["decision_id"], answer["evidence_index"]
        return answers

    known, stranger = decide(K1, N1)
    assert known == stranger and not known["consortium"]

    config_file = workspace.root / "leaseguard.yaml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    config["credit"]["consortium_sharing"] = {"L01": True, "L02": True}
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (shared,) = decide(K1)
    assert shared["consortium"] and "member_arrears" in [r["id"] for r in shared["rules_fired"]]

    config["credit"]["consortium_sharing"] = {"L01": "yes"}
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(
        cli_app,
        ["credit", "decide", str(items), "--lessor", "L01", "--model", str(model), "-w", str(workspace.root)],
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "leaseguard.yaml: credit.consortium_sharing：L01：'yes' 既不是 true 也不是 false" in result.output
    english = runner.invoke(
        cli_app,
        ["credit", "decide", str(items), "--lessor", "L01", "--model", str(model), "-w", str(workspace.root),
         "--lang", "en"],
    )  # fmt: skip
    assert english.exit_code == 1
    assert (
        "leaseguard.yaml: credit.consortium_sharing: L01: 'yes' is neither true nor false" in english.output
    )
