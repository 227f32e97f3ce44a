"""`leaseguard credit ...`: train, score, decide, rules test, monitor, and the synthetic applications."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from leaseguard.cli.common import LangOption, WorkspaceOption, chosen_lang, console, fail, open_workspace
from leaseguard.vocabulary import DECISION_LABELS, DECISION_LABELS_EN, label_of

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from leaseguard.credit.model import CreditModel
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


def _model(path: Path) -> CreditModel:
    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.model import load_model

    try:
        return load_model(path)
    except CreditError as error:
        fail(str(error))


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
) -> None:
    """Build a scorecard and a LightGBM model; report AUC, KS, Gini, IV, score distribution, calibration."""
    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.model import calibration_plot, fingerprint, read_table, train
    from leaseguard.workspace import WorkspaceError, find_workspace

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
        fail(str(error))
    except ValueError as error:
        fail(f"{data}: cannot train: {error}")
    model = result.model
    path = model.save(out)
    plot = calibration_plot(result, out / f"credit-calibration-{model.version}.png")
    report = out / f"credit-report-{model.version}.json"
    report.write_text(
        json.dumps({"version": model.version, "training": model.training, **model.metrics}, indent=2)
    )
    table = Table(title=f"held-out split: {model.metrics['holdout_rows']} rows")
    for column in ("model", "AUC", "KS", "Gini"):
        table.add_column(column)
    for name, key in (("scorecard", "scorecard"), ("LightGBM", "gbm")):
        m = model.metrics[key]
        table.add_row(name, f"{m['auc']:.4f}", f"{m['ks']:.4f}", f"{m['gini']:.4f}")
    console.print(table)
    iv = Table(title="information value per feature (* selected for the scorecard)")
    iv.add_column("feature")
    iv.add_column("IV", justify="right")
    selected = set(model.metrics["selected_features"])
    for name, value in model.metrics["iv"].items():
        iv.add_row(("* " if name in selected else "  ") + name, f"{value:.4f}")
    console.print(iv)
    distribution = ", ".join(
        f"{d['from']}-{d['to']}: {d['count']}" for d in model.metrics["score_distribution"]
    )
    console.print(f"score distribution (held out): {distribution}")
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
) -> None:
    """Score a file: its id column(s) with score, pd, decision added (decision from the policy's cut-offs)."""
    import numpy as np
    import pandas as pd

    from leaseguard.credit.decide import policy_schema
    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.model import frame_columns, read_table
    from leaseguard.credit.policy import load_policy

    model = _model(model_file)
    try:
        policy = load_policy(policy_file, policy_schema(model))
        frame = read_table(data)
        missing = [s.name for s in model.specs if s.name not in frame.columns]
        if missing:
            raise CreditError(f"{data}: column {missing[0]} is missing (model {model.version} needs it)")
        columns = frame_columns(frame, model.specs)
        _check_columns(model, columns, data)
    except CreditError as error:
        fail(str(error))
    result = score_frame(model, columns, policy.pd_from, policy.approve_max_pd, policy.decline_min_pd)
    ids = [c for c in model.id_columns if c in frame.columns]
    output = frame[ids].copy() if ids else pd.DataFrame({"row": np.arange(1, len(frame) + 1)})
    for name, values in result.items():
        output[name] = values
    output.to_csv(out, index=False, encoding="utf-8-sig")  # a CSV for people: Excel reads it as UTF-8
    counts = output["decision"].value_counts().to_dict()
    console.print(f"scored {len(output)} rows with model {model.version} into {out}: {counts}")


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
            check_value(spec, column[row], f"{source}: line {row + 2}")
            raise CreditError(f"{source}: line {row + 2}: field {spec.name}: value is not valid")


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
            raise CreditError(f"{path}: not valid JSON: {error}") from None
        rows = data if isinstance(data, list) else [data]
        if not all(isinstance(r, dict) for r in rows):
            raise CreditError(f"{path}: expected an application object or a list of them")
        return rows
    frame = read_table(path)
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


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
    from leaseguard.credit.policy import load_policy
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
        policy = load_policy(
            policy_file or (opened.root / str(configured_policy) if configured_policy else None),
            policy_schema(model),
        )
        lists = load_lists(lists_file or (opened.root / str(configured_lists) if configured_lists else None))
        decider = Decider(model, policy, lists)
        sharing = sharing_members(
            opened.setting("credit", "consortium_sharing"), f"{opened.root / CONFIG_FILE}: {SETTING}"
        )
        rows = _application_rows(file)
    except CreditError as error:
        fail(str(error))
    engine = opened.engine()
    signer = log_settings(opened).signer
    today = dt.date.today()
    answers = []
    try:
        with session_factory(engine)() as session, session.begin():
            for number, row in enumerate(rows, 1):
                applicant = str(row.get("applicant_id") or "")
                if not applicant:
                    raise CreditError(
                        f"{file}: item {number}: field applicant_id: is missing", field="applicant_id"
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
                        where=f"{file}: item {number}",
                    )
                )
    except (CreditError, EvidenceError) as error:
        fail(str(error))
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
) -> None:
    """Load the policy (syntax, CEL, every field it names) and run the test cases in it; non-zero on failure."""
    from leaseguard.credit.decide import policy_schema
    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.policy import load_policy, run_policy_tests

    model = _model(model_file) if model_file else None
    schema = policy_schema(model)
    if fields:
        console.print(", ".join(f"{name} ({kind.__name__})" for name, kind in schema.items()))
    try:
        policy = load_policy(policy_file, schema)
    except CreditError as error:
        fail(str(error))
    results = run_policy_tests(policy, schema)
    for name, passed, detail in results:
        console.print(f"{'[green]pass[/]' if passed else '[red]FAIL[/]'}  {name}: {detail}")
    failed = sum(1 for _, passed, _ in results if not passed)
    if failed:
        fail(f"{policy_file}: {failed} of {len(results)} policy tests failed")
    console.print(
        f"{policy_file}: policy v{policy.version}, {len(policy.rules)} rules, {len(results)} tests passed"
    )


@rules_app.command("deploy")
def rules_deploy(
    policy_file: Annotated[Path, typer.Argument(metavar="POLICY", help="Policy YAML to deploy.")],
    to: Annotated[Path, typer.Option("--to", help="The deployed policy file to replace.")],
    model_file: Annotated[
        Path | None, typer.Option("--model", help="Check fields against this model.")
    ] = None,
) -> None:
    """Replace the deployed policy only if the new one loads and passes its tests: a broken file never
    replaces a working one."""
    from leaseguard.credit.decide import policy_schema
    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.policy import load_policy, run_policy_tests

    model = _model(model_file) if model_file else None
    schema = policy_schema(model)
    try:
        policy = load_policy(policy_file, schema)
    except CreditError as error:
        fail(f"{error} (the deployed policy {to} is unchanged)")
    failed = [name for name, passed, _ in run_policy_tests(policy, schema) if not passed]
    if failed:
        fail(f"{policy_file}: policy test {failed[0]!r} fails (the deployed policy {to} is unchanged)")
    tmp = to.with_suffix(to.suffix + ".tmp")
    tmp.write_bytes(policy_file.read_bytes())
    tmp.replace(to)
    console.print(f"deployed policy v{policy.version} ({policy.sha256[:12]}) to {to}")


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
        raise CreditError(f"no decisions in the store in the last {days} days")
    console.print(f"{len(rows)} recent decisions from the store")
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
    workspace: WorkspaceOption = None,
) -> None:
    """Population stability (PSI) of the score and of each feature, training set vs recent applications."""
    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.model import frame_columns, read_table
    from leaseguard.credit.monitor import population_drift
    from leaseguard.credit.settings import monitor_settings

    model = _model(model_file)
    settings = monitor_settings()
    threshold = float(settings["psi_alert"])
    if (recent is None) == (days is None):
        fail("give either a RECENT file or --days N (the store's recent decisions), not both")
    try:
        frame = (
            read_table(recent) if recent is not None else _recent_decisions(workspace, lessor, int(days or 0))
        )
        present = [s for s in model.specs if s.name in frame.columns]
        columns = frame_columns(frame, present)
        if len(present) == len(model.specs):
            columns["score"] = model.scorecard.score_columns(columns)
    except CreditError as error:
        fail(str(error))
    drifts = population_drift(model.baselines, columns, threshold)
    table = Table(title=f"population stability vs training of {model.version} (alert above {threshold})")
    table.add_column("variable")
    table.add_column("PSI", justify="right")
    table.add_column("")
    for drift in drifts:
        table.add_row(drift.variable, f"{drift.psi:.4f}", "[bold red]ALERT[/]" if drift.alert else "ok")
    console.print(table)
    alerts = [d.variable for d in drifts if d.alert]
    if alerts:
        console.print(f"[bold red]alert:[/] PSI above {threshold} for {', '.join(alerts)}")
        raise typer.Exit(2)


@credit_app.command("applications")
def applications_command(
    out: Annotated[Path, typer.Argument(help="Folder for applications.csv and application_log.csv.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    applicants: Annotated[int, typer.Option(help="Number of applicants.")] = 5000,
) -> None:
    """Write the synthetic book's credit applications (with outcome `bad`) and the log across lessors."""
    from leaseguard.synth.applications import generate_applications, write_applications

    book = generate_applications(seed=seed, applicants=applicants)
    applications, log = write_applications(book, out)
    console.print(
        f"{len(book.applications)} applications ({book.applications['bad'].mean():.1%} bad) to {applications}; "
        f"log {log}"
    )


@credit_app.command("load-log")
def load_log_command(
    log: Annotated[Path, typer.Argument(help="CSV with lessor, applicant_id, applied_on, application_id.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Load an inquiry/application log into the store, for multi-head-lending features."""
    import numpy as np
    import pandas as pd

    from leaseguard.credit.errors import CreditError
    from leaseguard.credit.model import read_table
    from leaseguard.credit.service import load_application_log
    from leaseguard.store.db import session_factory, shown_url

    try:
        frame = read_table(log)
        for column in ("lessor", "applicant_id", "applied_on"):
            if column not in frame.columns:
                raise CreditError(f"{log}: column {column} is missing")
        days = pd.to_datetime(frame["applied_on"], format="%Y-%m-%d", errors="coerce")
        if days.isna().any():
            line = int(np.flatnonzero(days.isna().to_numpy())[0]) + 2
            raise CreditError(f"{log}: line {line}: column applied_on: not a date YYYY-MM-DD")
    except CreditError as error:
        fail(str(error))
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
    console.print(f"loaded {count} log entries into {shown_url(opened.database_url)}")


def register(app: typer.Typer) -> None:
    app.add_typer(credit_app, name="credit")
