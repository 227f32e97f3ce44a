"""/applications over HTTP, signed in: a decision from the console is the API's decision for the same input (and
recorded and deposited the same way), a form that cannot be decided comes back with the message beside its
field and nothing recorded, the lessor's decisions listed and opened (another lessor's is the 404 page), the
policy in force as a table, a new policy tried on hand-written decisions with a known answer, a policy with
errors refused with the rule file's error, deployed by compliance only (an analyst: 403 and no form), and a
deployed policy deciding the lessor's later decisions and no other lessor's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from applications_world import (
    application_form,
    hand_decision,
    model_version,
    served_applications,
    valid_resident_id,
)
from console_world import Console, csrf_of, signed_in
from leaseguard.credit.policy import shipped_policy_text
from leaseguard.store.db import session_factory
from leaseguard.store.models import CreditApplication, CreditPolicy, EvidenceRecord
from leaseguard.tenancy import create_key
from lookup_book import new_signer


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    with served_applications(tmp_path_factory.mktemp("console-applications"), new_signer()) as served:
        yield served


def _decide(client: httpx.Client, form: dict[str, str]) -> httpx.Response:
    page = client.get("/applications")
    return client.post("/applications", data={**form, "csrf_token": csrf_of(page)})


def _decisions(console: Console, lessor: str) -> int:
    with session_factory(console.engine)() as session:
        return (
            session.scalar(
                select(func.count()).where(
                    CreditApplication.lessor == lessor, CreditApplication.source == "decision"
                )
            )
            or 0
        )


def _newest(console: Console, lessor: str) -> CreditApplication:
    with session_factory(console.engine)() as session:
        row = session.scalars(
            select(CreditApplication)
            .where(CreditApplication.lessor == lessor, CreditApplication.source == "decision")
            .order_by(CreditApplication.id.desc())
        ).first()
        assert row is not None
        return row


def _api_key(console: Console, lessor: str) -> str:
    with session_factory(console.engine)() as session, session.begin():
        return create_key(session, lessor=lessor, role="analyst").key


def _text(page: httpx.Response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))


def test_a_decision_from_the_console_is_the_apis_for_the_same_input(console: Console) -> None:
    applicant = valid_resident_id("11010519850615001")
    form = application_form(applicant, application_id="APP-CONSOLE-1")
    ann = signed_in(console, "ann")
    page = _decide(ann, form)
    assert page.status_code == 200, _text(page)[:800]
    kept = _newest(console, "ALPHA")
    assert kept.applicant_id == applicant and kept.evidence_index is not None  # recorded and deposited
    detail = kept.detail or {}
    # BETA decides the same application through the API: BETA's own book knows nothing of ALPHA's decision.
    with httpx.Client(base_url=console.base) as api:
        body = {**form, "stated_age": int(form["stated_age"]), "term_months": 24}
        answer = api.post(
            "/v1/applications/decide", json=body, headers={"X-API-Key": _api_key(console, "BETA")}
        )
    assert answer.status_code == 200, answer.text
    said = answer.json()
    for name in ("decision", "score", "pd", "limit", "price_band", "rules_fired", "verification", "features"):
        assert detail[name] == said[name], name
    assert [(r["code"], r["params"]) for r in detail["reasons"]] == [
        (r["code"], r["params"]) for r in said["reasons"]
    ]
    # The page shows the score and the reasons in Chinese, rendered from their codes.
    shown = _text(page)
    assert f"评分 {said['score']}" in shown
    first = said["reasons"][0]
    assert first["text"] in shown
    assert "比最优分箱少" in shown or "违约对数几率上升" in shown
    assert f'href="/applications/decisions/{kept.id}"' in page.text


def test_a_form_that_cannot_be_decided_says_why_beside_the_field(console: Console) -> None:
    ann = signed_in(console, "ann")
    before = _decisions(console, "ALPHA")
    cases = {
        "applicant_id": ({"applicant_id": ""}, "必填"),
        "stated_age": ({"stated_age": "三十"}, "请填写整数"),
        "monthly_income_yuan": ({"monthly_income_yuan": "12.345"}, "小数超过 2 位"),
        "term_months": ({"term_months": "0"}, "不能小于 1"),
        "registered_on": ({"registered_on": "2020-13-01", "enterprise_years": "3"}, "YYYY-MM-DD"),
    }
    for name, (change, message) in cases.items():
        form = {**application_form(valid_resident_id("11010519850615001")), **change}
        page = _decide(ann, form)
        assert page.status_code == 422, name
        beside = re.search(rf'id="f-{name}-error">([^<]*)<', page.text)
        assert beside and message in beside.group(1), (name, _text(page)[:600])
        assert f'id="f-{name}"' in page.text and 'aria-invalid="true"' in page.text
    assert _decisions(console, "ALPHA") == before  # nothing recorded


def test_decisions_are_listed_and_opened_by_their_lessor_only(console: Console) -> None:
    ann = signed_in(console, "ann")
    applicant = valid_resident_id("31010419770303003")
    assert _decide(ann, application_form(applicant)).status_code == 200
    kept = _newest(console, "ALPHA")
    listed = ann.get("/applications")
    assert f'href="/applications/decisions/{kept.id}"' in listed.text and applicant in listed.text
    opened = ann.get(f"/applications/decisions/{kept.id}")
    assert opened.status_code == 200 and applicant in opened.text and "模型输入" in opened.text
    bob = signed_in(console, "bob")  # BETA's analyst
    assert applicant not in bob.get("/applications").text
    other = bob.get(f"/applications/decisions/{kept.id}")
    missing = bob.get("/applications/decisions/999999")
    assert other.status_code == missing.status_code == 404
    assert _text(other).replace(str(kept.id), "") == _text(missing).replace("999999", "")
    assert bob.get(f"/applications/decisions/{2**64}").status_code in (404, 422)
    # Paged: 20 a page, keyset on the id.
    for n in range(20):
        assert (
            _decide(ann, application_form(valid_resident_id(f"4403051988111{n:02d}1"[:17]))).status_code
            == 200
        )
    first = ann.get("/applications")
    older = re.search(r'href="/applications\?before=(\d+)#recent"', first.text)
    assert older, "a link to older decisions"
    second = ann.get(f"/applications?before={older.group(1)}")
    assert second.status_code == 200 and f'href="/applications/decisions/{kept.id}"' in second.text


def test_the_policy_in_force_is_a_table_of_rules(console: Console) -> None:
    page = signed_in(console, "ann").get("/applications/policy")
    assert page.status_code == 200
    rules = page.text[page.text.index('id="rules"') :]
    assert "<code>many_lenders_30d</code>" in rules and "近30天在3家以上机构申请。" in rules
    assert "mh_lenders_30d &gt; 3" in rules and "拒绝" in rules and "转人工审核" in rules
    assert "工作区的政策文件" in page.text


def _policy(*, lenders: int = 3, extra_rule: str = "") -> str:
    text = shipped_policy_text().replace('"mh_lenders_30d > 3"', f'"mh_lenders_30d > {lenders}"')
    return (
        text.replace("\n# Cases `leaseguard", f"\n{extra_rule}\n# Cases `leaseguard", 1)
        if extra_rule
        else text
    )


def _try(client: httpx.Client, text: str, **files: tuple[str, bytes]) -> httpx.Response:
    page = client.get("/applications/policy")
    return client.post(
        "/applications/policy/test",
        data={"policy_text": text, "csrf_token": csrf_of(page)},
        files=files or None,
    )


def test_a_new_policy_is_tried_on_the_recent_decisions(console: Console) -> None:
    version = model_version()
    clean = {"id_valid": True, "blacklisted": False, "mh_lenders_30d": 0, "pd": 0.05, "gbm_pd": 0.05}
    with session_factory(console.engine)() as session, session.begin():
        session.add_all(
            [
                hand_decision("GAMMA", "A-STAYS", "approve", clean, score=600, version=version),
                hand_decision("GAMMA", "B-TO-DECLINE", "approve", {**clean, "mh_lenders_30d": 2}, score=590,
                              version=version),
                hand_decision("GAMMA", "C-TO-DECLINE", "refer", {**clean, "mh_lenders_30d": 2, "gbm_pd": 0.3},
                              score=520, version=version),
                hand_decision("GAMMA", "D-OLD", "approve", None, score=610, version=version),
            ]
        )  # fmt: skip
    gil = signed_in(console, "gil")
    tried = _try(gil, _policy(lenders=1))
    assert tried.status_code == 200, _text(tried)[:800]
    summary = _text(tried)
    assert "按新政策重算了近期 3 笔审批，其中 2 笔结论会改变" in summary
    assert "另有 1 笔较早的审批" in summary
    changed = tried.text[tried.text.index('id="changed"') :]
    assert "B-TO-DECLINE" in changed and "C-TO-DECLINE" in changed and "A-STAYS" not in changed
    assert re.search(r"批准 → 拒绝", _text(tried)) and re.search(r"转人工审核 → 拒绝", _text(tried))
    transitions = _text(tried)[_text(tried).index("原结论 新结论 笔数") :]
    assert transitions.startswith("原结论 新结论 笔数 批准 拒绝 1 转人工审核 拒绝 1")
    # Uploaded as a file, the same answer; nothing is deployed by a trial.
    uploaded = _try(gil, "", policy_file=("policy.yaml", _policy(lenders=1).encode()))
    assert "其中 2 笔结论会改变" in _text(uploaded)
    with session_factory(console.engine)() as session:
        assert session.scalar(select(func.count()).select_from(CreditPolicy)) == 0
    # The drift page: this week's three decisions with a PSI in a band said in Chinese, a table and a chart.
    drift = gil.get("/applications/drift")
    assert drift.status_code == 200 and "<svg" in drift.text
    rows = re.findall(
        r'<tr>\s*<th scope="row">(\d{4}-\d{2}-\d{2})</th>\s*<td class="num">(\d+)</td>', drift.text
    )
    assert len(rows) == 12 and rows[-1][1] == "4" and all(count == "0" for _, count in rows[:-1])
    assert re.search(r"(稳定|关注|需处置)</span> <span class=\"muted\">（样本少于 30 笔", drift.text)
    for band in ("稳定", "关注", "需处置"):
        assert band in drift.text


def test_a_policy_with_errors_is_refused_with_the_rule_file_error(console: Console) -> None:
    cai = signed_in(console, "cai")
    unknown = _try(cai, shipped_policy_text().replace('"mh_lenders_30d > 3"', '"mh_lenders_30dd > 3"'))
    assert unknown.status_code == 422
    beside = unknown.text[unknown.text.index('id="f-policy_text-error"') :]
    assert "mh_lenders_30dd" in beside and "不在特征清单中" in beside
    facts = _text(unknown)[_text(unknown).index("文件 ") :]
    assert facts.startswith("文件 policy.yaml 规则 rule many_lenders_30d (rules[8]) 字段 mh_lenders_30dd")
    bad_cel = _try(cai, shipped_policy_text().replace('"mh_lenders_30d > 3"', '"mh_lenders_30d >> 3"'))
    assert bad_cel.status_code == 422 and "CEL 语法错误" in bad_cel.text
    assert "字段 when" in _text(bad_cel)
    empty = _try(cai, "")
    assert empty.status_code == 422 and "请粘贴或上传一份信用政策" in empty.text
    with session_factory(console.engine)() as session:
        assert session.scalar(select(func.count()).select_from(CreditPolicy)) == 0


def test_an_analyst_may_not_try_or_deploy_a_policy(console: Console) -> None:
    ann = signed_in(console, "ann")
    page = ann.get("/applications/policy")
    assert page.status_code == 200 and "/applications/policy/test" not in page.text
    assert "/applications/policy/deploy" not in page.text
    token = csrf_of(page)
    text = _policy(lenders=1)
    sha = "0" * 64
    assert ann.post("/applications/policy/deploy", data={"policy_text": text, "tested_sha256": sha,
                                                         "csrf_token": token}).status_code == 403  # fmt: skip
    assert (
        ann.post("/applications/policy/test", data={"policy_text": text, "csrf_token": token}).status_code
        == 403
    )
    # Compliance reads the decisions and the policy but does not decide.
    cai = signed_in(console, "cai")
    listed = cai.get("/applications")
    assert listed.status_code == 200 and 'action="/applications"' not in listed.text
    assert (
        cai.post(
            "/applications",
            data={**application_form(valid_resident_id("11010519850615001")), "csrf_token": csrf_of(listed)},
        ).status_code
        == 403
    )
    assert 'href="/applications"' in listed.text  # in the navigation


ALWAYS_REFER = """  - id: long_term_referred
    when: "term_months > 12"
    action: refer
    reason: 期限超过12个月的申请转人工审核。"""


def test_a_policy_deployed_by_compliance_decides_the_lessors_later_decisions(console: Console) -> None:
    ann, cai = signed_in(console, "ann"), signed_in(console, "cai")
    applicant = valid_resident_id("11010119900101123")
    before = _decide(ann, application_form(applicant))
    assert "long_term_referred" not in before.text
    text = _policy(extra_rule=ALWAYS_REFER).replace("version: 1\n", "version: 7\n", 1)
    # Pasted in a browser's textarea, its lines come ended by CRLF; the deploy form sends them back ended by LF.
    tried = _try(cai, text.replace("\n", "\r\n"))
    assert tried.status_code == 200 and 'action="/applications/policy/deploy"' in tried.text
    token = csrf_of(tried)
    sha = re.search(r'name="tested_sha256" value="([0-9a-f]{64})"', tried.text)
    assert sha
    # The text must be the one tried.
    edited = {"policy_text": text + "\n# edited", "tested_sha256": sha.group(1), "csrf_token": token}
    changed = cai.post("/applications/policy/deploy", data=edited)
    assert changed.status_code == 422 and "重新试算" in changed.text
    deployed = cai.post(
        "/applications/policy/deploy",
        data={"policy_text": text, "tested_sha256": sha.group(1), "csrf_token": token},
    )
    assert deployed.status_code == 303, _text(deployed)[:600]
    with session_factory(console.engine)() as session:
        row = session.scalars(select(CreditPolicy)).one()
        assert (row.lessor, row.version, row.deployed_by, row.deployed_role) == (
            "ALPHA",
            7,
            "cai",
            "compliance",
        )
        record = session.scalars(
            select(EvidenceRecord).where(EvidenceRecord.ref == f"credit_policy:{row.id}")
        ).one()
        assert (record.lessor, record.kind) == ("ALPHA", "credit-policy")
    shown = cai.get(deployed.headers["location"])
    assert "新政策已部署" in shown.text and "<code>long_term_referred</code>" in shown.text
    # ALPHA's next decision, from the console and through the API, follows the new policy ...
    after = _decide(ann, application_form(valid_resident_id("11010119900101124")))
    assert "long_term_referred" in after.text and "期限超过12个月的申请转人工审核。" in after.text
    assert _newest(console, "ALPHA").policy_version == 7
    form = application_form(valid_resident_id("11010119900101125"))
    body = {**form, "stated_age": int(form["stated_age"]), "term_months": 24}
    with httpx.Client(base_url=console.base) as api:
        alpha = api.post(
            "/v1/applications/decide", json=body, headers={"X-API-Key": _api_key(console, "ALPHA")}
        )
        beta = api.post(
            "/v1/applications/decide", json=body, headers={"X-API-Key": _api_key(console, "BETA")}
        )
    assert alpha.status_code == beta.status_code == 200
    assert alpha.json()["policy_version"] == 7 and "long_term_referred" in [
        r["id"] for r in alpha.json()["rules_fired"]
    ]
    # ... and BETA's does not.
    assert beta.json()["policy_version"] == 1 and "long_term_referred" not in [
        r["id"] for r in beta.json()["rules_fired"]
    ]
    assert "工作区的政策文件" in signed_in(console, "bob").get("/applications/policy").text


def test_without_a_model_the_page_says_so(tmp_path: Path) -> None:
    from console_world import served_console

    with served_console(tmp_path) as bare:
        page = signed_in(bare, "ann").get("/applications")
        assert page.status_code == 200 and "未部署信用模型" in page.text
        drift = signed_in(bare, "ann").get("/applications/drift")
        assert drift.status_code == 200 and "未部署信用模型" in drift.text


def test_the_drift_counts_each_weeks_scores_as_the_decisions_give_them(tmp_path: Path) -> None:
    """The store counts each day's scores (so the page reads as many rows as days and scores, not decisions): the
    PSI of each week is the one of its decisions' scores, repeated scores counted as often as they were given."""
    import datetime as dt

    import numpy as np

    from applications_world import trained_models
    from leaseguard.credit.model import ModelShelf
    from leaseguard.usecases.credit_monitoring import score_drift

    model = ModelShelf(trained_models()).get(None)
    today = dt.date(2026, 12, 4)  # a Friday
    rng = np.random.default_rng(7)
    given: dict[dt.date, list[int]] = {}
    with served_applications(tmp_path, new_signer()) as console:
        with session_factory(console.engine)() as session, session.begin():
            for n in range(400):
                day = today - dt.timedelta(days=int(rng.integers(0, 30)))
                score = int(rng.choice([480, 520, 560, 600, 640, 700]))  # few scores, each given many times
                session.add(CreditApplication(
                    lessor="ALPHA", applicant_id=f"DRIFT{n:05d}", applied_on=day, source="decision",
                    decision="approve", score=score, model_version=model.version, created_at=dt.datetime.now(dt.UTC),
                ))  # fmt: skip
                monday = day - dt.timedelta(days=day.weekday())
                given.setdefault(monday, []).append(score)
            session.add(CreditApplication(  # another lessor's decision is never counted
                lessor="BETA", applicant_id="DRIFT-BETA", applied_on=today, source="decision", decision="approve",
                score=300, model_version=model.version, created_at=dt.datetime.now(dt.UTC),
            ))  # fmt: skip
        with session_factory(console.engine)() as session:
            drift = score_drift(session, "ALPHA", model, today=today)
    baseline = model.baselines["score"]
    for week in drift.weeks:
        scores = given.get(week.week, [])
        assert week.decisions == len(scores)
        if scores:
            assert week.psi == round(baseline.psi_of(np.asarray(scores, dtype=np.float64)), 4)
    assert sum(week.decisions for week in drift.weeks) == 400
