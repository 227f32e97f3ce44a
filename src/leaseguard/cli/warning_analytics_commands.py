"""`leaseguard book warn`, `book warn-fit` and `book analytics`: early warning and portfolio analytics."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.table import Table

from leaseguard.cli.common import (
    LangOption,
    WorkspaceOption,
    chosen_lang,
    console,
    fail,
    open_workspace,
    progress_bar,
    speaking_lang,
)
from leaseguard.vocabulary import Label

if TYPE_CHECKING:
    import polars as pl
    from sqlalchemy import Engine


AsOfOption = Annotated[str, typer.Option("--as-of", help="Book date YYYY-MM-DD.")]
LessorOption = Annotated[
    str | None,
    typer.Option("--lessor", help="Only this lessor's contracts in the output.", show_default=False),
]


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(
            Label(
                "{option} {value!r} 不是日期（应为 YYYY-MM-DD）",
                "{option} {value!r} is not a date in YYYY-MM-DD form",
            ),
            option=option,
            value=value,
        )


def _refused(error: ValueError) -> NoReturn:
    """A computation that cannot be done on this book: its reason (in the run's language where it has one)."""
    from leaseguard.errors import LeaseguardError

    fail(error if isinstance(error, LeaseguardError) else str(error))


def _no_such_file(option: str, path: Path) -> NoReturn:
    fail(Label("{option} {path}：文件不存在", "{option} {path}: no such file"), option=option, path=path)


def _rules_file(path: Path | None, option: str, loader: Callable[[Path | None], Any]) -> Any:
    from pydantic import ValidationError

    from leaseguard.errors import LeaseguardError

    if path is not None and not path.is_file():
        _no_such_file(option, path)
    try:
        return loader(path)
    except (ValidationError, ValueError, OSError) as error:
        lang = speaking_lang()
        reason = (error.text(lang) if isinstance(error, LeaseguardError) else str(error)).splitlines()
        fail(
            Label("{option} {path}：{reason}", "{option} {path}: {reason}"),
            option=option,
            path=path or Label("（内置默认文件）", "(shipped default)").text(lang),
            reason=" ".join(line.strip() for line in reason[:3]),
        )


@contextmanager
def _progress(description: Label) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar named `description`, then by each stage the run reports (a code of the services'
    STAGES, shown in the run's language)."""
    from leaseguard.analytics.service import STAGES as ANALYTICS_STAGES
    from leaseguard.warning.service import STAGES as WARNING_STAGES

    lang = speaking_lang()
    stages = {**ANALYTICS_STAGES, **WARNING_STAGES}
    with progress_bar() as progress:
        task = progress.add_task(description.text(lang), total=None)

        def advance(stage: str, done: int, total: int) -> None:
            shown = stages[stage].text(lang) if stage in stages else stage
            progress.update(task, description=shown, completed=done, total=total)

        yield advance


def _open_book(workspace: Path | None) -> Engine:
    return open_workspace(workspace).engine()


def _positions(engine: Engine, workspace: Path | None) -> Callable[[dt.date], pl.DataFrame]:
    from leaseguard.analytics import book_data
    from leaseguard.portfolio.allocation import Allocation, AllocationError

    try:
        allocation = Allocation.from_settings(open_workspace(workspace).setting("book", default={}))
        return book_data.positions_source(engine, allocation)
    except (book_data.BookDataError, AllocationError) as error:
        fail(error)


def warn(
    as_of: AsOfOption,
    out: Annotated[Path, typer.Option("--out", help="CSV file for the call list.")],
    lessor: LessorOption = None,
    compare_with: Annotated[
        str | None,
        typer.Option(
            help="Date of the previous run for the worse-DPD-bucket signal (default: previous month-end)."
        ),
    ] = None,
    model_file: Annotated[
        Path | None, typer.Option("--model", help="Score model YAML (default: the shipped one).")
    ] = None,
    rules_file: Annotated[
        Path | None, typer.Option("--rules", help="Warning rules YAML (default: the shipped one).")
    ] = None,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Score every live contract, raise its signals and tier it: the call list, worst tier and score first.
    The CSV's columns are a contract; signals_text and class_label come after them in --lang."""
    from leaseguard.errors import LeaseguardError
    from leaseguard.usecases.early_warning import call_list, check_call_list_path, write_call_list

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    book_date = _date(as_of, "--as-of")
    assert book_date is not None
    earlier = _date(compare_with, "--compare-with")
    for path, option in ((model_file, "--model"), (rules_file, "--rules")):
        if path is not None and not path.is_file():
            _no_such_file(option, path)
    try:
        check_call_list_path(out)  # before any work: the file must be what its name says
        with _progress(Label("风险预警", "early warning")) as advance:
            calls = call_list(
                opened, book_date, lessor=lessor, compare_with=earlier, model_file=model_file,
                rules_file=rules_file, progress=advance,
            )  # fmt: skip
        write_call_list(calls, out, chosen)
    except LeaseguardError as error:
        fail(error)
    if chosen == "zh":
        summary = "，".join(
            f"{calls.tier_labels.get(tier, tier)} {count:,}" for tier, count in calls.tier_counts()
        )
        console.print(f"已为 {calls.frame.height:,} 份存续合同评分（{summary}）→ {out}")
    else:
        summary = ", ".join(f"{tier} {count:,}" for tier, count in calls.tier_counts())
        console.print(f"{calls.frame.height:,} live contracts scored ({summary}) → {out}")


def warn_fit(
    outcomes: Annotated[
        Path, typer.Option("--outcomes", help="contract_outcomes.csv from `leaseguard synth`.")
    ],
    as_of: AsOfOption,
    out: Annotated[Path, typer.Option("--out", help="YAML file for the fitted model.")],
    observations: Annotated[
        int, typer.Option(help="Observation dates, 6 months apart, back from as_of.")
    ] = 2,
    seed: Annotated[int, typer.Option(help="Seed of the held-out split.")] = 0,
    rules_file: Annotated[Path | None, typer.Option("--rules", help="Warning rules YAML.")] = None,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Refit the behaviour score on the stored book and its labelled outcomes; report AUC and KS held out."""
    import polars as pl

    from leaseguard.analytics import book_data
    from leaseguard.portfolio.schedule import add_months
    from leaseguard.warning.model import dump_model, fit_model
    from leaseguard.warning.rules import load_warning_rules
    from leaseguard.warning.service import training_set

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    book_date = _date(as_of, "--as-of")
    assert book_date is not None
    rules = _rules_file(rules_file, "--rules", load_warning_rules)
    if not outcomes.is_file():
        _no_such_file("--outcomes", outcomes)
    try:
        labels = pl.read_csv(
            outcomes,
            columns=["contract_no", "defaulted", "first_missed_due_date"],
            schema_overrides={"defaulted": pl.Boolean, "first_missed_due_date": pl.Date},
        )
    except (pl.exceptions.PolarsError, ValueError) as error:
        fail(
            Label("--outcomes {path}：{reason}", "--outcomes {path}: {reason}"),
            path=outcomes,
            reason=str(error).splitlines()[0],
        )
    horizon = 12
    dates = [add_months(book_date, -horizon - 6 * step) for step in range(observations)][::-1]
    engine = _open_book(workspace)
    try:
        contracts = book_data.read_contracts(engine)
        positions_at = _positions(engine, workspace)
        with _progress(Label("训练集", "training set")) as advance:
            training = training_set(dates, contracts, labels, positions_at, rules, horizon, advance)
    finally:
        engine.dispose()
    try:
        model = fit_model(
            training,
            horizon_months=horizon,
            seed=seed,
            trained_on={"outcomes": outcomes.name, "as_of": book_date.isoformat(),
                        "observation_dates": [day.isoformat() for day in dates]},
        )  # fmt: skip
    except ValueError as error:
        _refused(error)
    dump_model(model, out)
    rows, defaults, held = model.trained_on["rows"], model.trained_on["defaults"], model.holdout
    console.print(
        f"已在 {rows:,} 个观测上拟合（其中违约 {defaults:,} 个）；验证集 {held.rows:,} 个：AUC {held.auc:.3f}，"
        f"KS {held.ks:.3f} → {out}"
        if chosen == "zh"
        else f"fitted on {rows:,} observations ({defaults:,} defaults); held out {held.rows:,}: AUC {held.auc:.3f}, "
        f"KS {held.ks:.3f} → {out}"
    )


def warn_backtest(
    as_of: Annotated[str, typer.Option("--as-of", help="The day warned on (YYYY-MM-DD).")],
    months: Annotated[int, typer.Option(help="Months after as_of at which defaults are judged.")] = 6,
    lessor: LessorOption = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures as JSON.")] = None,
    model_file: Annotated[
        Path | None, typer.Option("--model", help="Score model YAML (default: the shipped one).")
    ] = None,
    rules_file: Annotated[
        Path | None, typer.Option("--rules", help="Warning rules YAML (default: the shipped one).")
    ] = None,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The score out of time: warn on a day, judge which contracts then under 90 days past due reached 90
    days past due MONTHS later, and compare the score's ranking (AUC, defaults in the first tenth) with
    ranking by days past due alone."""
    from leaseguard.analytics import book_data
    from leaseguard.analytics.rules import load_analytics_rules
    from leaseguard.warning.model import load_model
    from leaseguard.warning.rules import load_warning_rules
    from leaseguard.warning.service import backtest

    opened = open_workspace(workspace)
    zh = chosen_lang(lang, opened) == "zh"
    book_date = _date(as_of, "--as-of")
    assert book_date is not None
    if not 1 <= months <= 36:
        fail(
            Label("--months {months}：请给出 1 到 36 个月", "--months {months}: give 1 to 36 months"),
            months=months,
        )
    model = _rules_file(model_file, "--model", load_model)
    rules = _rules_file(rules_file, "--rules", load_warning_rules)
    engine = _open_book(workspace)
    try:
        contracts = book_data.read_contracts(engine)
        if lessor is not None and lessor not in set(contracts["lessor"].to_list()):
            fail(
                Label(
                    "--lessor {lessor}：库中没有该出租人的合同",
                    "--lessor {lessor}: the store holds no contract of that lessor",
                ),
                lessor=lessor,
            )
        positions_at = _positions(engine, workspace)
        with _progress(Label("预警评分回测", "early warning backtest")) as advance:
            try:
                measured = backtest(
                    book_date, months, contracts, positions_at, book_data.read_valuations(engine), model, rules,
                    load_analytics_rules(), lessor=lessor, progress=advance,
                )  # fmt: skip
            except ValueError as error:
                _refused(error)
    finally:
        engine.dispose()
    table = Table(
        title=f"预警评分回测 {measured.warned_on} → {measured.judged_on}"
        if zh
        else f"early warning backtest {measured.warned_on} → {measured.judged_on}"
    )
    for column in (
        ("排序依据", "AUC", "前 10% 捕获的违约") if zh else ("ranking", "AUC", "defaults in the first tenth")
    ):
        table.add_column(column)
    for name, quality in (
        ("评分" if zh else "score", measured.score),
        ("仅逾期天数" if zh else "days past due only", measured.dpd_only),
    ):
        table.add_row(name, f"{quality.auc:.3f}", f"{quality.top_decile_capture:.1%}")
    console.print(table)
    console.print(
        f"{measured.warned_on} 逾期不足 90 天的合同 {measured.contracts:,} 份，其中 {measured.defaults:,} 份在 "
        f"{measured.judged_on} 逾期 90 天以上；评分相对仅按逾期天数排序的 AUC 提升：{measured.auc_lift:+.3f}"
        if zh
        else f"{measured.contracts:,} contracts under 90 days past due on {measured.warned_on}, "
        f"{measured.defaults:,} of them 90+ days past due on {measured.judged_on}; "
        f"AUC lift over days past due only: {measured.auc_lift:+.3f}"
    )
    if json_out is not None:
        try:
            json_out.write_text(
                json.dumps(dataclasses.asdict(measured), default=str, indent=2) + "\n", "utf-8"
            )
        except OSError as error:
            fail(
                Label("--json {path}：{reason}", "--json {path}: {reason}"),
                path=json_out,
                reason=error.strerror or error,
            )


def analytics(
    as_of: AsOfOption,
    out: Annotated[Path, typer.Option("--out", help="Folder for the tables, charts and report.html.")],
    lessor: LessorOption = None,
    history_from: Annotated[
        str | None, typer.Option("--from", help="First month of history (default: the earliest start date).")
    ] = None,
    compare_with: Annotated[
        str | None, typer.Option(help="Earlier date of the class migration (default: previous month-end).")
    ] = None,
    cohort: Annotated[str | None, typer.Option(help="Vintage cohorts by 'month' or 'quarter'.")] = None,
    rules_file: Annotated[
        Path | None, typer.Option("--rules", help="Analytics rules YAML (default: the shipped one).")
    ] = None,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """A summary (NPL ratio, provision coverage, migration, the largest moves), then vintage curves, roll rates,
    class migration and NPL ratios as CSV/XLSX tables, PNG charts and report.html, in --lang."""
    from leaseguard.analytics.rules import load_analytics_rules
    from leaseguard.errors import LeaseguardError
    from leaseguard.usecases.book_analytics import check_cohort, portfolio_analytics, write_analytics

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    book_date = _date(as_of, "--as-of")
    assert book_date is not None
    first = _date(history_from, "--from")
    earlier = _date(compare_with, "--compare-with")
    try:
        check_cohort(cohort)
    except LeaseguardError as error:
        fail(error)
    rules = _rules_file(rules_file, "--rules", load_analytics_rules)
    try:
        with _progress(Label("组合分析", "analytics")) as advance:
            result = portfolio_analytics(
                opened, book_date, lessor=lessor, history_from=first, compare_with=earlier, cohort=cohort,
                rules=rules, progress=advance,
            )  # fmt: skip
        written = write_analytics(result, rules, out, chosen)
    except LeaseguardError as error:
        fail(error)
    zh = chosen == "zh"
    for note in result.notes_in(chosen):
        console.print(f"[yellow]{'提示：' if zh else 'note: '}[/]{note}", highlight=False)
    console.print(
        f"{len(written.tables)} 张表、{len(written.charts)} 张图 → {out}（请打开 {written.html.name}）"
        if zh
        else f"{len(written.tables)} tables, {len(written.charts)} charts → {out} (open {written.html.name})"
    )


def register(book_app: typer.Typer) -> None:
    book_app.command()(warn)
    book_app.command("warn-fit")(warn_fit)
    book_app.command("warn-backtest")(warn_backtest)
    book_app.command()(analytics)
