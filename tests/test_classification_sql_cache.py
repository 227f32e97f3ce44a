"""The classification's compiled SQL kept between processes (`classify.cache_folder()`): a process that finds it
classifies without importing Ibis and gets exactly what compiling gives; other rules, other inputs or other code
are other entries; a cache folder that cannot be written or read only means compiling again."""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from book_frames import positions
from leaseguard.classification import classify as classification
from leaseguard.classification.classify import CACHE_ENV, classify, collateral_on
from leaseguard.classification.rules import load_rule_set

DAY = dt.date(2026, 6, 30)
HERE = Path(__file__).parent

# In a new process: the book of `frames()` classified under each shipped rule set with its collateral, the
# classes and provisions printed as JSON, and whether Ibis was imported on the way.
CLASSIFY_IN_A_NEW_PROCESS = """
import json, sys
sys.path.insert(0, sys.argv[1])
from test_classification_sql_cache import classified
print(json.dumps({"rows": classified(), "ibis": "ibis" in sys.modules}))
"""


def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    book = positions(
        DAY,
        {"contract_no": "A", "dpd": 0, "outstanding_principal_fen": 1_000_000},
        {"contract_no": "B", "dpd": 95, "outstanding_principal_fen": 1_000_001},
        {"contract_no": "C", "dpd": 400, "outstanding_principal_fen": 5_000},
        {"contract_no": "D", "dpd": 20, "outstanding_principal_fen": 2_000_000},
    )
    valuations = pl.DataFrame(
        {
            "contract_no": ["D", "A"],
            "asset_id": ["A-D", "A-A"],
            "valuation_date": [dt.date(2026, 5, 1), dt.date(2026, 6, 1)],
            "disposal_value_fen": [500_000, 3_000_000],
        },
        schema={"contract_no": pl.String, "asset_id": pl.String, "valuation_date": pl.Date,
                "disposal_value_fen": pl.Int64},
    )  # fmt: skip
    return book, valuations


def classified() -> list[list[object]]:
    """Each shipped rule set's class, deciding rule and provision of every contract of `frames()`."""
    book, valuations = frames()
    rows = []
    for rule_set in ("leasing-indicators-trial", "cbirc-2023"):
        result = classify(book, load_rule_set(rule_set), collateral=collateral_on(valuations, DAY))
        rows += [
            [rule_set, *row]
            for row in result.select("contract_no", "class", "deciding_rule", "provision_fen").rows()
        ]
    return rows


def _in_a_new_process(cache: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CLASSIFY_IN_A_NEW_PROCESS, str(HERE)],
        env={**os.environ, CACHE_ENV: str(cache)}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def test_a_new_process_finds_the_sql_and_classifies_without_ibis(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _in_a_new_process(cache)
    assert first["ibis"] is True  # nothing cached: built and compiled
    entries = sorted(cache.iterdir())
    assert len(entries) == 3  # each rule set's classification, and the collateral (the same for both)
    assert all(
        entry.suffix == ".sql" and entry.read_text().lstrip().startswith(("WITH", "SELECT"))
        for entry in entries
    )
    second = _in_a_new_process(cache)
    assert second == {"rows": first["rows"], "ibis": False}
    assert sorted(cache.iterdir()) == entries
    assert first["rows"][1][:3] == ["leasing-indicators-trial", "B", "substandard"]  # type: ignore[index]


def test_other_rules_inputs_or_code_are_other_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    monkeypatch.setattr(classification, "_COMPILED", {})
    book, _ = frames()
    trial = load_rule_set("leasing-indicators-trial")
    expected = classify(book, trial)
    assert len(list(cache.iterdir())) == 1
    classify(book, load_rule_set("cbirc-2023"))  # other rules
    classify(
        book, trial, previous=pl.DataFrame({"contract_no": ["B"], "from_class": ["normal"]})
    )  # an input more
    classify(book.with_columns(pl.col("dpd").cast(pl.Int64)), trial)  # another column type
    assert len(list(cache.iterdir())) == 4
    # The code that builds the SQL changed (another version of Ibis, an edited module): compiled again.
    monkeypatch.setattr(classification, "_COMPILED", {})
    monkeypatch.setattr(classification, "_code_fingerprint", lambda: "another version of the code")
    assert classify(book, trial).equals(expected)
    assert len(list(cache.iterdir())) == 5


def test_the_digest_covers_every_module_of_ours_the_expression_is_built_from() -> None:
    """A module that shapes the SQL but is not in the digest would let an edited tree run yesterday's SQL."""
    package = Path(classification.__file__).parent.parent
    imported = {
        node.module
        for node in ast.walk(ast.parse((package / "classification" / "columnar.py").read_text()))
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("leaseguard.")
    }
    assert imported, "columnar.py imports modules of ours"
    files = {str(Path(*module.split(".")[1:])) + ".py" for module in imported}
    assert files | {"classification/columnar.py"} <= set(classification.SQL_SOURCES)
    assert all((package / name).is_file() for name in classification.SQL_SOURCES)


def test_a_cache_folder_that_cannot_be_used_means_compiling_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book, _ = frames()
    trial = load_rule_set("leasing-indicators-trial")
    monkeypatch.setattr(classification, "_COMPILED", {})
    expected = classify(book, trial)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv(CACHE_ENV, str(blocked / "cache"))
    monkeypatch.setattr(classification, "_COMPILED", {})
    assert classify(book, trial).equals(expected)
    assert blocked.read_text() == "not a folder"
