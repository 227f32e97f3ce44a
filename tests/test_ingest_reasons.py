"""The import's reasons as codes (issues 16 and 17): every code a check can give has a Chinese label and an
English twin naming the same values, and every kind's checks name only codes that have one."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest

from leaseguard.ingest.kinds import KINDS, KindSpec
from leaseguard.ingest.reading import read_table
from leaseguard.ingest.reasons import FILE_PROBLEMS, OUTCOMES, ROW_REASONS, param_names, reason_text
from leaseguard.ingest.reports import FileProblem, FileReport, RowError, write_error_report
from leaseguard.ingest.validation import References, validate
from leaseguard.vocabulary import Label

CJK = re.compile(r"[\u4e00-\u9fff]")
TABLES = {"row": ROW_REASONS, "file": FILE_PROBLEMS, "outcome": OUTCOMES}


@pytest.mark.parametrize(
    ("code", "label"),
    [(code, label) for table in TABLES.values() for code, label in table.items()],
    ids=[f"{name}-{code}" for name, table in TABLES.items() for code in table],
)
def test_every_reason_is_said_in_chinese_and_english_naming_the_same_values(code: str, label: Label) -> None:
    assert CJK.search(label.zh), f"{code}: no Chinese in {label.zh!r}"
    assert not CJK.search(label.en), f"{code}: Chinese in the English {label.en!r}"

    def fields(template: str) -> set[str]:
        return {name.split(":")[0].split("!")[0] for name in re.findall(r"\{([^{}]+)\}", template)}

    assert fields(label.zh) == fields(label.en), code
    # Chinese punctuation in the Chinese text: no ASCII colon or semicolon between words.
    assert not re.search(r"[\u4e00-\u9fff][:;,]", label.zh), label.zh


def test_a_reason_renders_its_values_and_lists_in_either_language() -> None:
    error = RowError("a.csv", 4, "asset_id", "duplicate_of", {"line": "2", "names": ("lessor", "asset_id")})
    assert error.reason == "与第 2 行重复（lessor、asset_id 相同）"
    assert error.text("en") == "duplicate of line 2 (same lessor and asset_id)"
    assert str(error) == "a.csv:4: asset_id: 与第 2 行重复（lessor、asset_id 相同）"
    assert error.line_text("en") == "a.csv:4: asset_id: duplicate of line 2 (same lessor and asset_id)"
    assert param_names(ROW_REASONS["duplicate_of"]) == {"line", "names"}
    # Text of a loader that gives no code yet is shown as it was written.
    assert reason_text("contract C9 is not in the store", {}, "zh") == "contract C9 is not in the store"


def test_a_file_problem_is_a_code_with_plain_values_said_in_either_language() -> None:
    problem = FileProblem("cannot_read", error=OSError("disk gone"))
    assert problem.code == "cannot_read" and problem.params == {"error": "disk gone"}
    assert str(problem) == "无法读取文件：disk gone"
    assert problem.text("en") == "cannot read the file: disk gone"
    report = FileReport(file="x.csv", kind="payments")
    report.say(problem.code, **problem.params)
    assert (report.message, report.message_text("en")) == (
        "x.csv：无法读取文件：disk gone",
        "x.csv: cannot read the file: disk gone",
    )
    # A loader that sets the message alone is shown as it wrote it.
    assert FileReport(file="y.csv", kind="notices", message="as written").message_text("en") == "as written"


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_every_kinds_checks_name_codes_with_labels(tmp_path: Path, kind: KindSpec) -> None:
    """A row of nothing but bad values: each kind's checks run, and every reason they give is labelled."""
    path = tmp_path / f"{kind.name}.csv"
    path.write_text(
        ",".join(kind.column_names) + "\n" + ",".join("-1.001x" for _ in kind.column_names) + ",9\n",
        encoding="utf-8",
    )
    contracts = pl.DataFrame(
        {
            "contract_no": ["C1"],
            "lessor": ["ALPHA"],
            "start_date": [dt.date(2024, 1, 15)],
            "principal_fen": [100],
        }
    )
    known = References(lessors=frozenset({"ALPHA"}), contracts=contracts)
    checked = validate(kind, read_table(path), known, file=str(path))
    assert checked.errors, kind.name
    for error in checked.errors:
        assert error.code in ROW_REASONS, error
        assert CJK.search(error.reason) and not CJK.search(error.text("en")), error
        assert set(error.params) == param_names(ROW_REASONS[error.code]), error


def test_the_error_report_gives_no_code_for_words_without_one(tmp_path: Path) -> None:
    """A loader that still gives words (notices, documents) has them shown, and an empty code, not its words."""
    report = FileReport(file="notices.csv", kind="notices", status="partial")
    report.errors = [
        RowError("notices.csv", 2, "contract_no", "contract C9 is not in the store"),
        RowError("notices.csv", 3, "sent_on", "not_a_date", {"value": "someday"}),
    ]
    out = tmp_path / "errors.csv"
    assert write_error_report([report], out, "en") == 2
    with out.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle))[1:] == [
            ["notices.csv", "2", "contract_no", "contract C9 is not in the store", ""],
            ["notices.csv", "3", "sent_on", "not a date in YYYY-MM-DD form: 'someday'", "not_a_date"],
        ]
