"""Every encoded clause says whether its text was checked, and docs/clauses.md lists them as they are."""

from __future__ import annotations

from pathlib import Path

from leaseguard.defaults.clauses import clauses_markdown, shipped_clauses

DOC = Path(__file__).resolve().parent.parent / "docs" / "clauses.md"


def test_every_clause_says_whether_it_was_checked() -> None:
    clauses = shipped_clauses()
    assert {c.rule_set for c in clauses} >= {
        "cbirc-2023",
        "leasing-indicators-trial",
        "nfra-2024",
        "cbirc-2020",
    }
    unmarked = [f"{c.file}: {c.rule}" for c in clauses if c.verified is None]
    assert unmarked == []


def test_docs_list_every_unchecked_clause() -> None:
    clauses = shipped_clauses()
    text = DOC.read_text(encoding="utf-8")
    assert text == clauses_markdown(clauses), "docs/clauses.md is stale: run python tools/clauses.py"
    for clause in clauses:
        if clause.verified is False:
            assert f"| {clause.rule_set} | {clause.rule} |" in text
