"""`leaseguard run daily` and `leaseguard book export` on a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from conftest import migrated_store
from leaseguard.classification import daily
from leaseguard.classification.classify import classify, collateral_on
from leaseguard.classification.reasons import render
from leaseguard.classification.rules import load_rule_set
from leaseguard.cli.main import app
from leaseguard.ingest import import_paths
from leaseguard.portfolio.positions import BookPositions
from leaseguard.store.db import session_factory
from leaseguard.store.models import BookRun, ClassChange, ContractClass
from leaseguard.synth import generate_book
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, find_workspace, init_workspace

runner = CliRunner()
DAY = dt.date(2025, 6, 30)
EXPORT = ("contract_no", "as_of", "dpd", "outstanding_principal", "overdue_amount", "class", "deciding_rule",
          "provision")  # fmt: skip


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("daily") / "book"
    generate_book(folder, contracts=600, seed=23)
    return folder


def _imported(root: Path, book: Path) -> Workspace:
    opened = init_workspace(root)
    engine = opened.engine()
    assert all(r.rejected == 0 for r in import_paths(engine, [book]))
    engine.dispose()
    return opened


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, book: Path) -> Path:
    """The SQLite workspace with the book imported, built once per module; each test works on a copy."""
    root = tmp_path_factory.mktemp("daily-template") / "ws"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(HOME_ENV, raising=False)
        patch.delenv(DATABASE_URL_ENV, raising=False)
        _imported(root, book)
    return root


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace(
    request: pytest.FixtureRequest, tmp_path: Path, book: Path, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    monkeypatch.delenv(HOME_ENV, raising=False)
    if request.param == "postgresql":
        monkeypatch.setenv(DATABASE_URL_ENV, migrated_store(request, tmp_path))
        return _imported(tmp_path / "ws", book)
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    shutil.copytree(request.getfixturevalue("sqlite_template"), tmp_path / "ws")
    return find_workspace(tmp_path / "ws")


def _run(workspace: Workspace, *args: str) -> str:
    result = runner.invoke(app, [*args, "-w", str(workspace.root)])
    assert result.exit_code == 0, result.output
    return result.output


def test_run_daily_then_export_writes_what_the_classifier_says(workspace: Workspace, tmp_path: Path) -> None:
    _run(workspace, "run", "daily", "--as-of", DAY.isoformat(), "--rules", "leasing-indicators-trial")
    out = tmp_path / "book.csv"
    _run(workspace, "book", "export", "--as-of", DAY.isoformat(), "--out", str(out))
    exported = pl.read_csv(out, infer_schema=False)
    assert exported.columns[: len(EXPORT)] == list(EXPORT)
    engine = workspace.engine()
    book = BookPositions.from_engine(engine)
    lessee_types, valuations = daily.read_inputs(engine)
    expected = classify(
        book.at(DAY),
        load_rule_set("leasing-indicators-trial"),
        lessee_types=lessee_types,
        collateral=collateral_on(valuations, DAY),
    )
    engine.dispose()
    assert exported.height == expected.height == 600
    mine = {r["contract_no"]: r for r in exported.iter_rows(named=True)}
    for row in expected.iter_rows(named=True):
        got = mine[row["contract_no"]]
        assert got["class"] == row["class"] and got["deciding_rule"] == row["deciding_rule"]
        assert got["provision"] == f"{row['provision_fen'] // 100}.{row['provision_fen'] % 100:02d}"
        assert int(got["dpd"]) == row["dpd"]
        assert (got["reason_codes"] or "") == row["reasons"]
        assert (got["reasons"] or "") == render(row["reasons"])
    # The synthetic book has arrears, so the day is not all normal.
    assert exported.filter(pl.col("class") != "normal").height > 0
    assert set(exported["class"].unique()) <= {"normal", "special_mention", "substandard", "doubtful", "loss"}


def test_history_rebuild_records_changes_and_a_rerun_replaces_the_day(workspace: Workspace) -> None:
    _run(workspace, "run", "daily", "--from", "2024-01-01", "--to", "2024-12-31", "--month-ends")
    engine = workspace.engine()
    with session_factory(engine)() as session:
        # One run day per lessor: 12 month-ends, each with every lessor's own row (its contracts, not the store's).
        runs = session.execute(select(BookRun.as_of, BookRun.lessor, BookRun.contracts)).all()
        last = dt.date(2024, 12, 31)
        of_last = select(ContractClass.lessor, func.count()).where(ContractClass.as_of == last)
        by_lessor = dict(session.execute(of_last.group_by(ContractClass.lessor)).all())
        assert (
            len({day for day, _, _ in runs}) == 12 and len(runs) == 12 * len(by_lessor) and len(by_lessor) > 1
        )
        assert {lessor: n for day, lessor, n in runs if day == last} == by_lessor
        changes = session.scalar(select(func.count()).select_from(ClassChange))
        stored = session.scalar(select(func.count()).select_from(ContractClass))
    assert changes and changes > 0
    # Every change of class is in the evidence log, per lessor and day, and the log still verifies.
    with engine.connect() as connection:
        contents = connection.execute(
            text("select ref, content, leaf_index from evidence_records where kind = 'class-changes'")
        ).all()
    deposited = [change for _, content, _ in contents for change in json.loads(bytes(content))["changes"]]
    assert len(deposited) == changes
    assert {"contract_no", "from_class", "to_class", "deciding_rule", "reasons"} <= set(deposited[0])
    assert all(ref.startswith("class_changes:2024-") for ref, _, _ in contents)
    bundle = workspace.root / "changes.zip"
    _run(workspace, "evidence", "export", str(contents[0][2]), str(contents[-1][2]), "--out", str(bundle))
    verified = runner.invoke(app, ["evidence", "verify", str(bundle)])
    assert verified.exit_code == 0 and "VALID" in verified.output, verified.output
    _run(workspace, "run", "daily", "--as-of", "2024-12-31")
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(ContractClass)) == stored
    engine.dispose()


def test_a_failing_day_leaves_the_stored_day_untouched(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(workspace, "run", "daily", "--as-of", DAY.isoformat())
    engine = workspace.engine()
    before = daily.stored_day(engine, DAY)

    def broken_insert(connection: object, table: object, frame: pl.DataFrame) -> None:
        if table is ClassChange.__table__:
            raise RuntimeError("disk full")
        real_insert(connection, table, frame)  # type: ignore[arg-type]

    real_insert = daily._insert
    monkeypatch.setattr(daily, "_insert", broken_insert)
    with pytest.raises(RuntimeError):
        daily.run_days(engine, [DAY], load_rule_set("leasing-indicators-trial"))
    after = daily.stored_day(engine, DAY)
    engine.dispose()
    assert before is not None and after is not None
    assert before.equals(after)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "daily"], "请给出 --as-of DATE"),
        (["run", "daily", "--lang", "en"], "error: give --as-of DATE"),
        (["run", "daily", "--as-of", "2025-13-01"], "不是日期"),
        (["run", "daily", "--as-of", "2025-13-01", "--lang", "en"], "is not a date"),
        (["run", "daily", "--as-of", "2025-06-30", "--rules", "nope"], "nope：既不是内置规则集"),
        (
            ["run", "daily", "--as-of", "2025-06-30", "--rules", "nope", "--lang", "en"],
            "nope: neither a shipped rule set",
        ),
        (
            ["book", "export", "--as-of", "2020-01-01", "--out", "x.csv"],
            "库中没有 2020-01-01 的日终批处理",
        ),
    ],
)
def test_bad_arguments_give_one_line(workspace: Workspace, args: list[str], message: str) -> None:
    result = runner.invoke(app, [*args, "-w", str(workspace.root)])
    assert result.exit_code != 0
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_a_bad_allocation_setting_stops_the_run_with_one_line(workspace: Workspace) -> None:
    config = workspace.root / "leaseguard.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('penalty_daily_rate: "0"', 'penalty_daily_rate: "5%"'),
        "utf-8",
    )
    result = runner.invoke(app, ["run", "daily", "--as-of", DAY.isoformat(), "-w", str(workspace.root)])
    assert result.exit_code != 0
    assert "book.penalty_daily_rate '5%' 不是数字" in result.output
    assert len(result.output.strip().splitlines()) == 1
    config.write_text(config.read_text(encoding="utf-8").replace("lang: zh", "lang: en"), "utf-8")
    english = runner.invoke(app, ["run", "daily", "--as-of", DAY.isoformat(), "-w", str(workspace.root)])
    assert english.exit_code != 0 and "book.penalty_daily_rate '5%' is not a number" in english.output


def test_export_to_xlsx_is_a_workbook_with_yuan_as_numbers_and_chinese_headers(
    workspace: Workspace, tmp_path: Path
) -> None:
    """`book export --out x.xlsx` writes a real workbook (the first wave wrote CSV text under that name): a
    Chinese header above the CSV's column names, money as numbers in yuan formatted #,##0.00, the class in
    Chinese, the same figures as the CSV."""
    from decimal import Decimal

    from openpyxl import load_workbook

    _run(workspace, "run", "daily", "--as-of", DAY.isoformat())
    _run(workspace, "book", "export", "--as-of", DAY.isoformat(), "--out", str(tmp_path / "book.csv"))
    _run(workspace, "book", "export", "--as-of", DAY.isoformat(), "--out", str(tmp_path / "book.xlsx"))
    csv = {
        r["contract_no"]: r
        for r in pl.read_csv(tmp_path / "book.csv", infer_schema=False).iter_rows(named=True)
    }
    sheet = load_workbook(tmp_path / "book.xlsx").active
    assert sheet is not None
    labels, names, *rows = list(sheet.iter_rows(values_only=True))
    assert list(names[: len(EXPORT)]) == list(EXPORT) and not any(str(n).endswith("_fen") for n in names)
    assert labels[:3] == ("合同编号", "数据日期", "逾期天数") and "拨备（元）" in labels
    assert len(rows) == 600 and sheet.freeze_panes == "A3"
    provision = names.index("provision")
    chinese = {"正常类", "关注类", "次级类", "可疑类", "损失类"}
    for row in rows:
        expected = csv[row[0]]
        assert isinstance(row[provision], (int, float)) and Decimal(str(row[provision])) == Decimal(
            expected["provision"]
        )
        assert row[names.index("class")] in chinese
    assert sheet.cell(3, provision + 1).number_format == "#,##0.00"


def test_export_in_english_heads_classes_and_reasons_in_english(workspace: Workspace, tmp_path: Path) -> None:
    """--lang en: the XLSX's header row, classes and reasons in English; the CSV's names stay the contract."""
    from openpyxl import load_workbook

    _run(workspace, "run", "daily", "--as-of", DAY.isoformat())
    _run(
        workspace,
        "book",
        "export",
        "--as-of",
        DAY.isoformat(),
        "--out",
        str(tmp_path / "en.xlsx"),
        "--lang",
        "en",
    )
    _run(
        workspace,
        "book",
        "export",
        "--as-of",
        DAY.isoformat(),
        "--out",
        str(tmp_path / "en.csv"),
        "--lang",
        "en",
    )
    sheet = load_workbook(tmp_path / "en.xlsx").active
    assert sheet is not None
    labels, names, *rows = list(sheet.iter_rows(values_only=True))
    assert labels[:3] == ("Contract", "As of", "Days past due") and "reason_codes" in names
    name_column = names.index("lessor_name")
    assert all(row[name_column] for row in rows)  # the legal name beside the code
    classes = {row[names.index("class")] for row in rows}
    assert classes <= {"Normal", "Special mention", "Substandard", "Doubtful", "Loss"} and len(classes) > 1
    csv = pl.read_csv(tmp_path / "en.csv", infer_schema=False)
    assert csv.columns[: len(EXPORT)] == list(EXPORT)
    overdue = csv.filter(pl.col("reason_codes").str.contains(" dpd="))
    assert overdue.height > 0 and overdue["reasons"].str.contains("days past due").all()
    wrong = runner.invoke(app, ["book", "export", "--as-of", DAY.isoformat(), "--out", str(tmp_path / "x.csv"),
                                "--lang", "fr", "-w", str(workspace.root)])  # fmt: skip
    assert wrong.exit_code == 1 and "zh, en" in wrong.output and not (tmp_path / "x.csv").exists()


def test_export_refuses_a_file_that_would_not_be_what_its_name_says(
    workspace: Workspace, tmp_path: Path
) -> None:
    result = runner.invoke(
        app,
        [
            "book",
            "export",
            "--as-of",
            DAY.isoformat(),
            "--out",
            str(tmp_path / "x.xls"),
            "-w",
            str(workspace.root),
        ],
    )
    assert result.exit_code == 1 and "请写 .csv 或 .xlsx 文件名" in result.output
    assert not (tmp_path / "x.xls").exists()


def test_csv_for_people_opens_in_excel_as_chinese(workspace: Workspace, tmp_path: Path) -> None:
    """Every CSV a person opens starts with a UTF-8 byte-order mark (Excel reads Chinese reasons right)."""
    _run(workspace, "run", "daily", "--as-of", DAY.isoformat())
    _run(workspace, "book", "export", "--as-of", DAY.isoformat(), "--out", str(tmp_path / "book.csv"))
    _run(workspace, "book", "warn", "--as-of", DAY.isoformat(), "--out", str(tmp_path / "warnings.csv"))
    for name, first in (("book.csv", "contract_no"), ("warnings.csv", "call_order")):
        raw = (tmp_path / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name
        assert raw[3:].decode("utf-8").split(",", 1)[0] == first, name


def test_a_run_of_several_days_reports_progress_at_each_step_of_each_day(workspace: Workspace) -> None:
    """A background job shows what run_days tells it: reading the book, then each day's positions, classes and
    storing, so the bar moves within a day (a day of a million contracts takes a minute), never backwards."""
    from leaseguard.usecases.daily_book import daily_job

    days = [dt.date(2025, 3, 31), dt.date(2025, 4, 30)]
    told: list[tuple[int, int]] = []
    daily_job(workspace).run(days, lambda done, total: told.append((done, total)))
    total = 1 + daily.STEPS_PER_DAY * len(days)
    assert told == [(done, total) for done in range(total + 1)]
    # A day earlier than those stored runs the later ones again, each with its steps counted.
    told.clear()
    daily_job(workspace).run([dt.date(2025, 2, 28)], lambda done, total: told.append((done, total)))
    assert told[-1] == (1 + daily.STEPS_PER_DAY * 3, 1 + daily.STEPS_PER_DAY * 3)
