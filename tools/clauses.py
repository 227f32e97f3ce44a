"""Write docs/clauses.md: every clause of the shipped rule sets and whether its text was checked."""

from __future__ import annotations

from pathlib import Path

from leaseguard.defaults.clauses import clauses_markdown, shipped_clauses

if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "docs" / "clauses.md"
    target.write_text(clauses_markdown(shipped_clauses()), encoding="utf-8")
    print(f"wrote {target}")
