"""Enforcement as jobs: the claim on a defaulted contract, and court-ready case files in batch.
`leaseguard cases claim`, `leaseguard cases generate` and (soon) the console's /cases pages end here, so a claim
is computed with the same rules and book settings, and a batch signs the same evidence log, however asked.

A filed document says only what the record supports: what the record lacks is a skip with its reason (in
summary.xlsx), never a guess in a complaint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from leaseguard.vocabulary import ACCELERATION, CLASSES, DEFAULT_LANG, NON_PERFORMING, Lang

NON_PERFORMING_CLASSES = tuple(c for c in CLASSES if c in NON_PERFORMING)  # in the classes' order

if TYPE_CHECKING:
    from leaseguard.enforcement.casefiles import CaseFilesSummary
    from leaseguard.enforcement.claims import Claim
    from leaseguard.enforcement.rules import ClaimRules
    from leaseguard.workspace import Workspace


def claim_rules(workspace: Workspace, path: Path | None = None) -> ClaimRules:
    """The claim rules (the shipped ones, or `path`) with the workspace's `book:` settings: the claim's overdue
    rent and penalty are the book's."""
    from leaseguard.enforcement.rules import load_claim_rules

    return load_claim_rules(path, workspace.setting("book", default={}))


def claim_on(
    workspace: Workspace, contract_no: str, day: dt.date, *, rules: ClaimRules, remedy: str = ACCELERATION
) -> Claim:
    """The claim on `day` under `remedy`, each figure with its arithmetic (NotDefaultedError when nothing is
    overdue, RemedyUnavailableError when the remedy cannot be claimed, UnknownContractError)."""
    from leaseguard.enforcement.service import claim_for_contract

    engine = workspace.engine()
    try:
        return claim_for_contract(engine, contract_no, day, rules, remedy=remedy)
    finally:
        engine.dispose()


def generate_case_files(
    workspace: Workspace,
    day: dt.date,
    out: Path,
    *,
    rules: ClaimRules,
    lessor: str | None = None,
    classes: Sequence[str] | None = NON_PERFORMING_CLASSES,
    contracts: Sequence[str] = (),
    templates: Path | None = None,
    workers: int | None = None,
    remedy: str = ACCELERATION,
    lang: Lang = DEFAULT_LANG,
    progress: Callable[[int, int], None] | None = None,
) -> CaseFilesSummary:
    """Case folders under `out` for the contracts of `classes` on `day` (default: the non-performing ones; None:
    every class) or the `contracts` named, and summary.xlsx/csv in `lang`; each case opened and deposited in the
    workspace's evidence log, signed with its key."""
    from leaseguard.enforcement import casefiles
    from leaseguard.evidence import log_settings

    signer = log_settings(workspace).signer
    engine = workspace.engine()
    try:
        return casefiles.generate_case_files(
            engine, day, out, rules, signer, lessor=lessor,
            classes=classes,
            contracts=tuple(contracts), templates=templates, progress=progress, workers=workers, remedy=remedy,
            lang=lang,
        )  # fmt: skip
    finally:
        engine.dispose()
