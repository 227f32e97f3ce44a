"""`leaseguard import` on a real workspace: summary, errors shown and written, exit codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from leaseguard.cli.main import app
from leaseguard.workspace import DATABASE_URL_ENV, HOME_ENV, Workspace, init_workspace

CONTRACT_HEADER = (
    "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,annual_rate,"
    "method,frequency"
)
CONTRACT_ROW = (
    "C1,ALPHA,91110000600037341L,甲物流有限公司,enterprise,2024-01-15,36,360000.00,0.0685,annuity,monthly"
)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv(HOME_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    return init_workspace(tmp_path / "ws")


@pytest.fixture
def book(tmp_path: Path) -> Path:
    folder = tmp_path / "book"
    folder.mkdir()
    (folder / "lessors.csv").write_text("code,name\nALPHA,Alpha Leasing\n", encoding="utf-8")
    (folder / "contracts.csv").write_text(f"{CONTRACT_HEADER}\n{CONTRACT_ROW}\n", encoding="utf-8")
    return folder


def run(workspace: Workspace, *args: str) -> Result:
    return CliRunner().invoke(app, ["import", "--lang", "en", *args, "-w", str(workspace.root)])


def test_a_clean_import_exits_zero_with_a_summary(workspace: Workspace, book: Path, tmp_path: Path) -> None:
    result = run(workspace, str(book))
    assert result.exit_code == 0, result.output
    assert "lessors.csv" in result.output and "contracts.csv" in result.output
    assert "all 2 rows of 2 file(s) loaded" in result.output
    assert not (tmp_path / "import-errors.csv").exists()
    again = run(workspace, str(book))
    assert again.exit_code == 0
    # The reload shows every row unchanged: read 1, inserted 0, updated 0, unchanged 1, rejected 0.
    assert ["contracts.csv", "loaded", "1", "0", "0", "1", "0"] in [
        line.split() for line in again.output.splitlines()
    ]


def test_rejected_rows_exit_one_after_the_good_rows_loaded(
    workspace: Workspace, book: Path, tmp_path: Path
) -> None:
    (book / "payments.csv").write_text(
        "contract_no,paid_date,amount\nC1,2024-02-15,100\nC1,2024-02-30,100\nC404,2024-02-15,1\n",
        encoding="utf-8",
    )
    result = run(workspace, str(book))
    assert result.exit_code == 1
    payments = book / "payments.csv"
    assert f"{payments}:3: paid_date: impossible date '2024-02-30'" in result.output
    assert f"{payments}:4: contract_no: contract_no 'C404' is not in the store" in result.output
    last_line = result.output.strip().splitlines()[-1]
    assert "2 row(s) rejected" in last_line and "import-errors.csv" in last_line
    with (tmp_path / "import-errors.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["file", "line", "column", "reason", "code"],
        [str(payments), "3", "paid_date", "impossible date '2024-02-30'", "impossible_date"],
        [
            str(payments),
            "4",
            "contract_no",
            "contract_no 'C404' is not in the store",
            "contract_not_in_store",
        ],
    ]
    reload = run(workspace, str(payments), "--errors", str(tmp_path / "again.csv"))
    assert reload.exit_code == 1
    assert (tmp_path / "again.csv").exists()


def test_only_the_configured_number_of_errors_is_printed(
    workspace: Workspace, book: Path, tmp_path: Path
) -> None:
    config = workspace.root / "leaseguard.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("errors_shown: 20", "errors_shown: 2"), "utf-8"
    )
    assert run(workspace, str(book)).exit_code == 0
    bad = "\n".join(f"C1,2024-02-{day:02d},1.001" for day in range(1, 6))
    (book / "payments.csv").write_text(f"contract_no,paid_date,amount\n{bad}\n", encoding="utf-8")
    result = run(workspace, str(book / "payments.csv"), "--errors", str(tmp_path / "e.csv"))
    assert result.exit_code == 1
    assert result.output.count("more than 2 decimals") == 2
    assert "… and 3 more" in result.output
    chinese = CliRunner().invoke(
        app,
        [
            "import",
            str(book / "payments.csv"),
            "--errors",
            str(tmp_path / "e.csv"),
            "-w",
            str(workspace.root),
        ],
    )
    assert chinese.output.count("小数超过 2 位") == 2
    assert "… 另有 3 条" in chinese.output
    assert len((tmp_path / "e.csv").read_text(encoding="utf-8-sig").splitlines()) == 6


def test_a_refused_file_exits_one_naming_it(workspace: Workspace, book: Path) -> None:
    (book / "payments.csv").write_text("contract_no,amount\nC1,1\n", encoding="utf-8")
    result = run(workspace, str(book / "payments.csv"))
    assert result.exit_code == 1
    assert "payments.csv: missing required column: paid_date" in result.output
    assert "1 file(s) not loaded" in result.output.strip().splitlines()[-1]


def test_a_missing_path_is_one_readable_line(workspace: Workspace, tmp_path: Path) -> None:
    result = run(workspace, str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {tmp_path / 'nowhere'}: no such file or directory"


def test_an_unknown_kind_option_is_refused(workspace: Workspace, book: Path) -> None:
    result = run(workspace, str(book), "--kind", "leases")
    assert result.exit_code == 1
    assert (
        "--kind 'leases' is not one of lessors, contracts, assets, schedules, payments, valuations"
        in result.output
    )


def test_the_summary_is_in_chinese_by_default(workspace: Workspace, book: Path, tmp_path: Path) -> None:
    """Chinese first: the import's table and its last line in Chinese unless --lang en (issue 17)."""
    with (book / "contracts.csv").open("a", encoding="utf-8") as contracts:
        contracts.write(CONTRACT_ROW.replace("C1,", "C2,").replace("360000.00", "not money") + "\n")
    errors = tmp_path / "e.csv"
    result = CliRunner().invoke(
        app, ["import", str(book), "--errors", str(errors), "-w", str(workspace.root)]
    )
    assert result.exit_code == 1
    assert "新增" in result.output and "部分导入" in result.output
    last = result.output.strip().splitlines()[-1]
    assert "1 行被拒绝，所在文件的其他行已导入" in last and "e.csv" in last


def test_a_bad_file_is_reported_in_chinese_by_default_and_in_english_when_asked(
    workspace: Workspace, book: Path, tmp_path: Path
) -> None:
    """Every reason a person reads has a Chinese label, and each carries its code (issues 16 and 17): the
    terminal and the error report speak Chinese unless --lang en; the codes are the same in both."""
    assert run(workspace, str(book)).exit_code == 0
    (book / "payments.csv").write_text(
        "contract_no,paid_date,amount\nC1,2024-02-15,100\nC1,2024/02/16,100\nC404,2024-02-15,1.005\n"
        "C1,2024-01-01,5\n",
        encoding="utf-8",
    )
    (book / "valuations.csv").write_text("asset_id,lessor\nA1,ALPHA\n", encoding="utf-8")
    payments, valuations = book / "payments.csv", book / "valuations.csv"
    answers: dict[str, list[list[str]]] = {}
    for lang in ("zh", "en"):
        errors = tmp_path / f"errors-{lang}.csv"
        given = ["--lang", "en"] if lang == "en" else []
        result = CliRunner().invoke(
            app,
            [
                "import",
                *given,
                str(payments),
                str(valuations),
                "--errors",
                str(errors),
                "-w",
                str(workspace.root),
            ],
        )
        assert result.exit_code == 1
        flat = " ".join(result.output.split())
        assert "Traceback" not in result.output
        if lang == "zh":
            for header in ("文件", "状态", "读取行数", "新增", "更新", "未变", "拒绝"):
                assert header in flat
            assert "部分导入" in flat and "未导入" in flat
            assert f"{payments}:3: paid_date: 不是 YYYY-MM-DD 格式的日期：'2024/02/16'" in flat
            assert f"{payments}:4: contract_no: contract_no 'C404' 不在库中" in flat
            assert f"{payments}:5: paid_date: 付款日早于合同起租日 2024-01-15" in flat
            assert f"{valuations}：缺少必填列：valuation_date、disposal_value" in flat
            assert "错误：3 行被拒绝，所在文件的其他行已导入；1 个文件未导入" in flat
        else:
            for header in ("file", "status", "read", "inserted", "updated", "unchanged", "rejected"):
                assert header in flat
            assert f"{payments}:3: paid_date: not a date in YYYY-MM-DD form: '2024/02/16'" in flat
            assert f"{valuations}: missing required columns: valuation_date, disposal_value" in flat
            assert "error: 3 row(s) rejected" in flat
        assert errors.read_bytes().startswith(b"\xef\xbb\xbf")
        with errors.open(encoding="utf-8-sig", newline="") as handle:
            answers[lang] = list(csv.reader(handle))
    zh, en = answers["zh"], answers["en"]
    assert zh[0] == en[0] == ["file", "line", "column", "reason", "code"]
    # Same rows and codes in both languages; only the words differ.
    assert [row[:3] + row[4:] for row in zh] == [row[:3] + row[4:] for row in en]
    assert [(row[1], row[2], row[4]) for row in zh[1:]] == [
        ("3", "paid_date", "not_a_date"),
        ("4", "contract_no", "contract_not_in_store"),
        ("4", "amount", "too_many_decimals"),
        ("5", "paid_date", "paid_before_start"),
        ("", "", "missing_columns"),
    ]
    assert [row[3] for row in zh[1:4]] == [
        "不是 YYYY-MM-DD 格式的日期：'2024/02/16'",
        "contract_no 'C404' 不在库中",
        "小数超过 2 位：1.005",
    ]
    assert [row[3] for row in en[1:4]] == [
        "not a date in YYYY-MM-DD form: '2024/02/16'",
        "contract_no 'C404' is not in the store",
        "more than 2 decimals: 1.005",
    ]
