"""The register of the regulatory clauses the shipped rule sets encode, and whether each text was checked.

Every entry of a shipped rule set that carries a `clause` also says `verified: true` (the wording was checked
against the published text) or `verified: false` (a paraphrase nobody could check here). docs/clauses.md is
written from this register (`python tools/clauses.py`), so a compliance officer sees in one place which rules
rest on an unchecked paraphrase.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from leaseguard.yaml_text import load_yaml

# The shipped folders whose YAML files are rule sets with clauses.
RULE_FOLDERS = ("classification", "indicators")


@dataclass(frozen=True)
class Clause:
    file: str
    rule_set: str
    rule: str
    text: str
    verified: bool | None  # None: the entry does not say, which the register treats as an error


def shipped_clauses() -> list[Clause]:
    """Every clause of every shipped rule set, in file order."""
    found: list[Clause] = []
    root = resources.files("leaseguard.defaults")
    for folder in RULE_FOLDERS:
        for entry in sorted(root.joinpath(folder).iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".yaml"):
                continue
            document = load_yaml(entry.read_text(encoding="utf-8"))
            if not isinstance(document, dict):
                continue
            rule_set = str(document.get("id", entry.name.removesuffix(".yaml")))
            for rule, body in _clause_entries(document, ""):
                verified = body.get("verified")
                found.append(
                    Clause(
                        f"{folder}/{entry.name}",
                        rule_set,
                        rule,
                        str(body["clause"]),
                        verified if isinstance(verified, bool) else None,
                    )
                )
    return found


def _clause_entries(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if "clause" in node:
            yield str(node.get("rule") or node.get("id") or path), node
        for key, value in node.items():
            if key != "clause":
                yield from _clause_entries(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _clause_entries(item, f"{path}[{index}]")


def clauses_markdown(clauses: list[Clause]) -> str:
    """docs/clauses.md: the unchecked clauses first (the list a reviewer works through), then the checked."""
    lines = [
        "# 规则条文核对清单 (clauses of the shipped rule sets)",
        "",
        "Written by `python tools/clauses.py` from the shipped rule sets; a test keeps it equal to them.",
        "未核对 (`verified: false`): the clause text is a paraphrase that could not be checked against the",
        "published text on this project's machines; the rule's figures follow the paraphrase. Check these",
        "against the official text before relying on them, then set `verified: true` in the rule file.",
        "",
    ]
    for title, wanted in (("未核对 (verified: false)", False), ("已核对 (verified: true)", True)):
        chosen = [c for c in clauses if c.verified is wanted]
        lines += [f"## {title}: {len(chosen)}", ""]
        if chosen:
            lines += ["| 规则集 | 规则 | 文件 | 条文 (释义) |", "| --- | --- | --- | --- |"]
            lines += [f"| {c.rule_set} | {c.rule} | {c.file} | {c.text.replace('|', '/')} |" for c in chosen]
            lines.append("")
    return "\n".join(lines)
