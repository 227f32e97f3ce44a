"""`leaseguard credit ...`: train, score, decide, rules test, monitor, and the synthetic applications."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from leaseguard.cli import common
from leaseguard.cli.common import (
    LangOption,
    WorkspaceOption,
    chosen_lang,
    console,
    fail,
    open_workspace,
    speaking_lang,
)
from leaseguard.vocabulary import DECISION_LABELS, DECISION_LABELS_EN, Label, Lang, label_of

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from leaseguard.credit.model import CreditModel
    from leaseguard.usecases.credit_policy import DeployedPolicy
    from leaseguard.workspace import Workspace


credit_app = typer.Typer(
    help="Pre-loan credit decisions: models, scores, decisions, policy rules.", no_args_is_help=True
)
rules_app = typer.Typer(help="The policy file analysts own: check and test it.", no_args_is_help=True)
credit_app.add_typer(rules_app, name="rules")

PolicyOption = Annotated[
    Path | None,
    typer.Option("--policy", help="Policy YAML (default: the shipped policy).", show_default=False),
]
ListsOption = Annotated[
    Path | None, typer.Option("--lists", help="Blacklist/watchlist YAML (default: the shipped lists).")
]


def _models_folder(workspace: Workspace) -> Path:
    return workspace.root / str(workspace.setting("credit", "models", default="credit/models"))


def _speak(lang: str | None, workspace: Path | None = None) -> Lang:
    """The run's language before any other work: --lang, else the `lang` of the workspace named or found from
    here (a command that needs no store still speaks its workspace's language), else Chinese."""
    if lang is None:
        from leaseguard.workspace import WorkspaceError, find_workspace

        with suppress(WorkspaceError):
            found = find_workspace(workspace if workspace is not None else common.workspace_given_first)
            return chosen_lang(None, found)
    return chosen_lang(lang)


def _reason(error: Exception) -> str:
    """An error's text in the run's language, to be said inside another message."""
    from leaseguard.errors import LeaseguardError

    return error.text(speaking_lang()) if isinstance(error, LeaseguardError) else str(error)


def _line(source: Path | str, line: int) -> Label:
    """A line of a file, as the `where` of a message: a value rendered whole (a path's braces stay braces)."""
    return Label(f"{source}：第 {line} 行", f"{source}: line {line}")


def _model(path: Path) -> CreditModel:
    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.model import load_model

    try:
        return load_model(path)
    except CreditError as error:
        fail(error)


@credit_app.command("train")
def train_command(
    data: Annotated[Path, typer.Argument(help="CSV/XLSX of past applications with an outcome column.")],
    target: Annotated[
        str, typer.Option("--target", help="The outcome column (bad = 1/bad/true/yes/default).")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for the model artefact and its report (default: the workspace's credit.models, "
            "else ./models).",
            show_default=False,
        ),
    ] = None,
    id_column: Annotated[
        list[str] | None,
        typer.Option("--id", help="Id column(s) to carry into scores (default: application_id)."),
    ] = None,
    lang: LangOption = None,
) -> None:
    """Build a scorecard and a LightGBM model; report AUC, KS, Gini, IV, score distribution, calibration."""
    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.model import calibration_plot, fingerprint, read_table, train
    from leaseguard.workspace import WorkspaceError, find_workspace

    chosen = _speak(lang)
    zh = chosen == "zh"
    if out is None:
        try:
            out = _models_folder(find_workspace(None))
        except WorkspaceError:
            out = Path("models")
    try:
        frame = read_table(data)
        result = train(
            frame, target, source=data.name, data_fingerprint=fingerprint(data), id_columns=id_column or []
        )
    except CreditError as error:
        fail(error)
    except ValueError as error:
        fail(
            Label("{data}：无法训练：{error}", "{data}: cannot train: {error}"),
            data=data,
            error=_reason(error),
        )
    model = result.model
    path = model.save(out)
    plot = calibration_plot(result, out / f"credit-calibration-{model.version}.png", chosen)
    report = out / f"credit-report-{model.version}.json"
    report.write_text(
        json.dumps({"version": model.version, "training": model.training, **model.metrics}, indent=2)
    )
    rows, bad_rate = model.metrics["holdout_rows"], model.metrics.get("holdout_bad_rate")
    bad = "" if bad_rate is None else (f"，坏账率 {bad_rate:.1%}" if zh else f", bad rate {bad_rate:.1%}")
    table = Table(
        title=f"验证集（留出）：样本数 {rows:,}{bad}" if zh else f"held-out split: {rows:,} rows{bad}"
    )
    for column in ("模型" if zh else "model", "AUC", "KS", "Gini"):
        table.add_column(column)
    for name, key in (("评分卡" if zh else "scorecard", "scorecard"), ("LightGBM", "gbm")):
        m = model.metrics[key]
        table.add_row(name, f"{m['auc']:.4f}", f"{m['ks']:.4f}", f"{m['gini']:.4f}")
    console.print(table)
    iv = Table(
        title="各特征的信息值 IV（* 为入选评分卡的特征）"
        if zh
        else "information value per feature (* selected for the scorecard)"
    )
    iv.add_column("特征" if zh else "feature")
    iv.add_column("IV", justify="right")
    selected = set(model.metrics["selected_features"])
    for name, value in model.metrics["iv"].items():
        iv.add_row(("* " if name in selected else "  ") + name, f"{value:.4f}")
    console.print(iv)
    bins = model.metrics["score_distribution"]
    if zh:
        shown = "，".join(f"{d['from']}-{d['to']}：{d['count']}" for d in bins)
        console.print(f"评分分布（验证集，分箱：样本数）：{shown}")
        console.print(f"模型 {model.version} 已保存到 {path}")
        console.print(f"训练数据 sha256 {model.training['sha256']}")
        console.print(f"报告 {report}，校准图 {plot}")
    else:
        shown = ", ".join(f"{d['from']}-{d['to']}: {d['count']}" for d in bins)
        console.print(f"score distribution (held out): {shown}")
        console.print(f"model {model.version} saved to {path}")
        console.print(f"training data sha256 {model.training['sha256']}")
        console.print(f"report {report}, calibration plot {plot}")


@credit_app.command("score")
def score_command(
    model_file: Annotated[
        Path, typer.Argument(metavar="MODEL", help="Model artefact (credit-model-*.json).")
    ],
    data: Annotated[Path, typer.Argument(help="CSV/XLSX of applications to score.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the scores (CSV).")] = Path("scores.csv"),
    policy_file: PolicyOption = None,
    lang: LangOption = None,
) -> None:
    """Score a file: its id column(s) with score, pd, decision added (decision from the policy's cut-offs)."""
    import numpy as np
    import pandas as pd

    from leaseguard.credit.decide import policy_schema
    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.model import frame_columns, read_table
    from leaseguard.credit.policy import load_policy

    chosen = _speak(lang)
    model = _model(model_file)
    try:
        policy = load_policy(policy_file, policy_schema(model))
        frame = read_table(data)
        missing = [s.name for s in model.specs if s.name not in frame.columns]
        if missing:
            raise CreditError(
                Label(
                    "{data}：缺少列 {column}（模型 {version} 需要它）",
                    "{data}: column {column} is missing (model {version} needs it)",
                ),
                data=data,
                column=missing[0],
                version=model.version,
            )
        columns = frame_columns(frame, model.specs)
        _check_columns(model, columns, data)
    except CreditError as error:
        fail(error)
    result = score_frame(model, columns, policy.pd_from, policy.approve_max_pd, policy.decline_min_pd)
    ids = [c for c in model.id_columns if c in frame.columns]
    output = frame[ids].copy() if ids else pd.DataFrame({"row": np.arange(1, len(frame) + 1)})
    for name, values in result.items():
        output[name] = values
    output.to_csv(out, index=False, encoding="utf-8-sig")  # a CSV for people: Excel reads it as UTF-8
    counts = output["decision"].value_counts().to_dict()
    by_decision = ("，" if chosen == "zh" else ", ").join(
        f"{label_of(DECISION_LABELS, DECISION_LABELS_EN, decision, chosen)} {counts[decision]:,}"
        for decision in ("approve", "refer", "decline")
        if decision in counts
    )
    console.print(
        f"已用模型 {model.version} 为 {len(output):,} 行评分，写入 {out}：{by_decision}"
        if chosen == "zh"
        else f"scored {len(output):,} rows with model {model.version} into {out}: {by_decision}"
    )


def _check_columns(model: CreditModel, columns: dict[str, np.ndarray], source: Path) -> None:
    """Every value of every column must be one the model accepts; the first bad one is the error."""
    import numpy as np

    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.features import check_value

    for spec in model.specs:
        column = columns[spec.name]
        if spec.kind == "numeric":
            values = column.astype(np.float64)
            bad = np.isnan(values) if not spec.nullable else np.zeros(len(values), dtype=bool)
            if spec.minimum is not None:
                bad |= values < spec.minimum
            if spec.maximum is not None:
                bad |= values > spec.maximum
        else:
            known = set(spec.categories)
            bad = np.array(
                [(v is None and not spec.nullable) or (v is not None and v not in known) for v in column]
            )
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            check_value(spec, column[row], _line(source, row + 2))
            raise CreditError(
                Label("{where}：字段 {name}：取值无效", "{where}: field {name}: value is not valid"),
                where=_line(source, row + 2),
                name=spec.name,
            )


def score_frame(
    model: CreditModel,
    columns: dict[str, np.ndarray],
    pd_from: str,
    approve_max: float,
    decline_min: float,
    threads: int = 0,
) -> dict[str, np.ndarray]:
    import numpy as np

    scores = model.scorecard.score_columns(columns)
    pd_ = (
        model.gbm.predict(model.gbm.matrix(columns), threads=threads)
        if pd_from == "gbm"
        else model.scorecard.pds(scores)
    )
    decision = np.where(pd_ >= decline_min, "decline", np.where(pd_ <= approve_max, "approve", "refer"))
    return {"score": np.rint(scores).astype(np.int64), "pd": np.round(pd_, 6), "decision": decision}


def _application_rows(path: Path) -> list[dict[str, Any]]:
    import numpy as np

    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.model import read_table

    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise CreditError(
                Label("{path}：不是有效的 JSON：{error}", "{path}: not valid JSON: {error}"),
                path=path,
                error=error,
            ) from None
        rows = data if isinstance(data, list) else [data]
        if not all(isinstance(r, dict) for r in rows):
            raise CreditError(
                Label(
                    "{path}：应为一个申请对象或申请对象的列表",
                    "{path}: expected an application object or a list of them",
                ),
                path=path,
            )
        return rows
    frame = read_table(path)
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _deployed_policy(opened: Workspace, lessor: str) -> DeployedPolicy | None:
    from leaseguard.store.db import session_factory
    from leaseguard.usecases.credit_policy import deployed_policy

    engine = opened.engine()
    try:
        with session_factory(engine)() as session:
            return deployed_policy(session, lessor)
    finally:
        engine.dispose()


@credit_app.command("decide")
def decide_command(
    file: Annotated[Path, typer.Argument(help="Applications: JSON (one object or a list) or CSV/XLSX.")],
    lessor: Annotated[str, typer.Option(help="Code of the lessor deciding.")],
    model_file: Annotated[
        Path | None,
        typer.Option(
            "--model", help="Model artefact (default: the newest in the workspace's credit.models)."
        ),
    ] = None,
    model_version: Annotated[
        str | None, typer.Option("--model-version", help="A version in the workspace's credit.models.")
    ] = None,
    policy_file: PolicyOption = None,
    lists_file: ListsOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the decisions as JSON here.")] = None,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Decide applications with the store's multi-head and arrears facts (the lessor's own book; other members'
    only under credit.consortium_sharing and the applicant's consent); every decision is recorded and
    deposited in the evidence log."""
    from leaseguard.credit.consortium import SETTING, sharing_members
    from leaseguard.credit.decide import Decider, policy_schema
    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.model import ModelShelf, load_model
    from leaseguard.credit.policy import load_policy, parse_policy
    from leaseguard.credit.verify import load_lists
    from leaseguard.evidence import EvidenceError, log_settings
    from leaseguard.store.db import session_factory
    from leaseguard.usecases.credit_decision import decide_application
    from leaseguard.workspace import CONFIG_FILE

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    try:
        model = (
            load_model(model_file) if model_file else ModelShelf(_models_folder(opened)).get(model_version)
        )
        configured_policy = opened.setting("credit", "policy")
        configured_lists = opened.setting("credit", "lists")
        # The lessor's deployed policy (the console's /applications/policy), unless --policy names one.
        deployed = None if policy_file else _deployed_policy(opened, lessor)
        policy = (
            parse_policy(deployed.text, deployed.source, policy_schema(model))
            if deployed is not None
            else load_policy(
                policy_file or (opened.root / str(configured_policy) if configured_policy else None),
                policy_schema(model),
            )
        )
        lists = load_lists(lists_file or (opened.root / str(configured_lists) if configured_lists else None))
        decider = Decider(model, policy, lists)
        sharing = sharing_members(
            opened.setting("credit", "consortium_sharing"), f"{opened.root / CONFIG_FILE}: {SETTING}"
        )
        rows = _application_rows(file)
    except CreditError as error:
        fail(error)
    engine = opened.engine()
    signer = log_settings(opened).signer
    today = dt.date.today()
    answers = []
    try:
        with session_factory(engine)() as session, session.begin():
            for number, row in enumerate(rows, 1):
                applicant = str(row.get("applicant_id") or "")
                item = Label(f"{file}：第 {number} 项", f"{file}: item {number}")
                if not applicant:
                    raise CreditError(
                        Label("{where}：字段 applicant_id：缺失", "{where}: field applicant_id: is missing"),
                        where=item,
                        field="applicant_id",
                    )
                answers.append(
                    decide_application(
                        session,
                        decider,
                        row,
                        lessor=lessor,
                        sharing=sharing,
                        asked_by="cli",
                        channel="cli",
                        signer=signer,
                        today=today,
                        where=item,
                    )
                )
    except (CreditError, EvidenceError) as error:
        fail(error)
    finally:
        engine.dispose()
    if out is not None:
        out.write_text(json.dumps(answers, ensure_ascii=False, indent=2), encoding="utf-8")
    zh = chosen == "zh"
    table = Table(
        title=f"审批结果（模型 {model.version}，策略 v{policy.version}）"
        if zh
        else f"decisions (model {model.version}, policy v{policy.version})"
    )
    headers = ("申请", "评分", "违约概率", "结论", "额度", "定价档", "触发规则", "主要原因") if zh else (
        "application", "score", "pd", "decision", "limit", "price band", "rules fired", "top reason")  # fmt: skip
    for column in headers:
        table.add_column(column)
    for answer in answers:
        top = answer["reasons"][0] if answer["reasons"] else None
        table.add_row(
            str(answer["application_id"]),
            str(answer["score"]),
            f"{answer['pd']:.3f}",
            label_of(DECISION_LABELS, DECISION_LABELS_EN, answer["decision"], chosen),
            answer["limit"] or "",
            answer["price_band"] or "",
            ", ".join(r["id"] for r in answer["rules_fired"]),
            "" if top is None else (top["text"] if zh else top.get("text_en", top["text"])),
        )
    console.print(table)


@rules_app.command("test")
def rules_test(
    policy_file: Annotated[Path, typer.Argument(metavar="POLICY", help="Policy YAML to check and test.")],
    model_file: Annotated[
        Path | None, typer.Option("--model", help="Also allow this model's features as fields.")
    ] = None,
    fields: Annotated[bool, typer.Option("--fields", help="List the fields rules may name.")] = False,
    lang: LangOption = None,
) -> None:
    """Load the policy (syntax, CEL, every field it names) and run the test cases in it; non-zero on failure."""
    from leaseguard.credit.decide import policy_schema
    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.policy import load_policy, run_policy_tests

    chosen = _speak(lang)
    zh = chosen == "zh"
    model = _model(model_file) if model_file else None
    schema = policy_schema(model)
    if fields:
        listed = ", ".join(f"{name} ({kind.__name__})" for name, kind in schema.items())
        console.print(f"规则可引用的字段：{listed}" if zh else f"fields rules may name: {listed}")
    try:
        policy = load_policy(policy_file, schema)
    except CreditError as error:
        fail(error)
    results = run_policy_tests(policy, schema)
    passed_word, failed_word = (
        ("[green]通过[/]", "[red]未通过[/]") if zh else ("[green]pass[/]", "[red]FAIL[/]")
    )
    for name, passed, detail in results:
        console.print(
            f"{passed_word if passed else failed_word}  {name}{'：' if zh else ': '}{detail.text(chosen)}"
        )
    failed = sum(1 for _, passed, _ in results if not passed)
    if failed:
        fail(
            Label(
                "{policy}：{total} 个策略测试中 {failed} 个未通过",
                "{policy}: {failed} of {total} policy tests failed",
            ),
            policy=policy_file,
            failed=failed,
            total=len(results),
        )
    console.print(
        f"{policy_file}：策略 v{policy.version}，{len(policy.rules)} 条规则，{len(results)} 个测试全部通过"
        if zh
        else f"{policy_file}: policy v{policy.version}, {len(policy.rules)} rules, {len(results)} tests passed"
    )


@rules_app.command("deploy")
def rules_deploy(
    policy_file: Annotated[Path, typer.Argument(metavar="POLICY", help="Policy YAML to deploy.")],
    to: Annotated[Path, typer.Option("--to", help="The deployed policy file to replace.")],
    model_file: Annotated[
        Path | None, typer.Option("--model", help="Check fields against this model.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Replace the deployed policy only if the new one loads and passes its tests: a broken file never
    replaces a working one."""
    from leaseguard.credit.decide import policy_schema
    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.policy import load_policy, run_policy_tests

    chosen = _speak(lang)
    model = _model(model_file) if model_file else None
    schema = policy_schema(model)
    try:
        policy = load_policy(policy_file, schema)
    except CreditError as error:
        fail(
            Label("{error}（已部署的策略 {to} 未改动）", "{error} (the deployed policy {to} is unchanged)"),
            error=_reason(error),
            to=to,
        )
    failed = [name for name, passed, _ in run_policy_tests(policy, schema) if not passed]
    if failed:
        fail(
            Label(
                "{policy}：策略测试 {test!r} 未通过（已部署的策略 {to} 未改动）",
                "{policy}: policy test {test!r} fails (the deployed policy {to} is unchanged)",
            ),
            policy=policy_file,
            test=failed[0],
            to=to,
        )
    tmp = to.with_suffix(to.suffix + ".tmp")
    tmp.write_bytes(policy_file.read_bytes())
    tmp.replace(to)
    console.print(
        f"已将策略 v{policy.version}（{policy.sha256[:12]}）部署到 {to}"
        if chosen == "zh"
        else f"deployed policy v{policy.version} ({policy.sha256[:12]}) to {to}"
    )


def _recent_decisions(workspace: Path | None, lessor: str | None, days: int) -> pd.DataFrame:
    import pandas as pd

    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.service import recent_inputs
    from leaseguard.store.db import session_factory

    opened = open_workspace(workspace)
    engine = opened.engine()
    try:
        with session_factory(engine)() as session:
            rows = recent_inputs(session, lessor, dt.date.today() - dt.timedelta(days=days - 1))
    finally:
        engine.dispose()
    if not rows:
        raise CreditError(
            Label("库中近 {days} 天没有审批记录", "no decisions in the store in the last {days} days"),
            days=days,
        )
    console.print(
        f"从库中读取近期审批记录 {len(rows):,} 条"
        if speaking_lang() == "zh"
        else f"{len(rows):,} recent decisions from the store"
    )
    return pd.DataFrame.from_records(rows)


@credit_app.command("monitor")
def monitor_command(
    model_file: Annotated[
        Path, typer.Argument(metavar="MODEL", help="Model artefact (its training baseline).")
    ],
    recent: Annotated[
        Path | None, typer.Argument(help="CSV/XLSX of recent applications (or use --days for the store's).")
    ] = None,
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, help="Use the decisions taken in the store in the last N days."),
    ] = None,
    lessor: Annotated[str | None, typer.Option(help="With --days: only this lessor's decisions.")] = None,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Population stability (PSI) of the score and of each feature, training set vs recent applications."""
    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.model import frame_columns, read_table
    from leaseguard.credit.monitor import population_drift
    from leaseguard.credit.settings import monitor_settings

    chosen = _speak(lang, workspace)
    zh = chosen == "zh"
    model = _model(model_file)
    settings = monitor_settings()
    threshold = float(settings["psi_alert"])
    if (recent is None) == (days is None):
        fail(
            Label(
                "请给出 RECENT 文件或 --days N（库中近期的审批记录），二者选一",
                "give either a RECENT file or --days N (the store's recent decisions), not both",
            )
        )
    try:
        frame = (
            read_table(recent) if recent is not None else _recent_decisions(workspace, lessor, int(days or 0))
        )
        present = [s for s in model.specs if s.name in frame.columns]
        columns = frame_columns(frame, present)
        if len(present) == len(model.specs):
            columns["score"] = model.scorecard.score_columns(columns)
    except CreditError as error:
        fail(error)
    drifts = population_drift(model.baselines, columns, threshold)
    table = Table(
        title=f"近期申请相对模型 {model.version} 训练样本的稳定性（PSI 高于 {threshold} 报警）"
        if zh
        else f"population stability vs training of {model.version} (alert above {threshold})"
    )
    table.add_column("变量" if zh else "variable")
    table.add_column("PSI", justify="right")
    table.add_column("稳定性" if zh else "")
    alert, steady = ("[bold red]报警[/]", "稳定") if zh else ("[bold red]ALERT[/]", "ok")

    def variable(name: str) -> str:
        # The model's features by their column names, as the files write them; the score in words.
        return ("评分" if zh else "score") if name == "score" else name

    for drift in drifts:
        table.add_row(variable(drift.variable), f"{drift.psi:.4f}", alert if drift.alert else steady)
    console.print(table)
    alerts = [variable(d.variable) for d in drifts if d.alert]
    if alerts:
        console.print(
            f"[bold red]报警：[/]PSI 高于 {threshold} 的变量：{'、'.join(alerts)}"
            if zh
            else f"[bold red]alert:[/] PSI above {threshold} for {', '.join(alerts)}"
        )
        raise typer.Exit(2)


@credit_app.command("applications")
def applications_command(
    out: Annotated[Path, typer.Argument(help="Folder for applications.csv and application_log.csv.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    applicants: Annotated[int, typer.Option(help="Number of applicants.")] = 5000,
    lang: LangOption = None,
) -> None:
    """Write the synthetic book's credit applications (with outcome `bad`) and the log across lessors."""
    from leaseguard.synth.applications import generate_applications, write_applications

    chosen = _speak(lang)
    book = generate_applications(seed=seed, applicants=applicants)
    applications, log = write_applications(book, out)
    count, bad = len(book.applications), book.applications["bad"].mean()
    console.print(
        f"已写入 {count:,} 笔授信申请（坏账率 {bad:.1%}）到 {applications}；申请日志 {log}"
        if chosen == "zh"
        else f"{count:,} applications ({bad:.1%} bad) to {applications}; log {log}"
    )


@credit_app.command("load-log")
def load_log_command(
    log: Annotated[Path, typer.Argument(help="CSV with lessor, applicant_id, applied_on, application_id.")],
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Load an inquiry/application log into the store, for multi-head-lending features."""
    import numpy as np
    import pandas as pd

    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.model import read_table
    from leaseguard.credit.service import load_application_log
    from leaseguard.store.db import session_factory, shown_url

    chosen = _speak(lang, workspace)
    try:
        frame = read_table(log)
        for column in ("lessor", "applicant_id", "applied_on"):
            if column not in frame.columns:
                raise CreditError(
                    Label("{log}：缺少列 {column}", "{log}: column {column} is missing"),
                    log=log,
                    column=column,
                )
        days = pd.to_datetime(frame["applied_on"], format="%Y-%m-%d", errors="coerce")
        if days.isna().any():
            line = int(np.flatnonzero(days.isna().to_numpy())[0]) + 2
            raise CreditError(
                Label(
                    "{where}：列 applied_on：不是日期（应为 YYYY-MM-DD）",
                    "{where}: column applied_on: not a date YYYY-MM-DD",
                ),
                where=_line(log, line),
            )
    except CreditError as error:
        fail(error)
    refs = frame["application_id"] if "application_id" in frame.columns else [None] * len(frame)
    rows = zip(
        frame["lessor"].astype(str), frame["applicant_id"].astype(str), days.dt.date, refs, strict=True
    )
    opened = open_workspace(workspace)
    engine = opened.engine()
    try:
        with session_factory(engine)() as session, session.begin():
            count = load_application_log(session, rows)
    finally:
        engine.dispose()
    console.print(
        f"已将 {count:,} 条申请日志载入 {shown_url(opened.database_url)}"
        if chosen == "zh"
        else f"loaded {count:,} log entries into {shown_url(opened.database_url)}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(credit_app, name="credit")
