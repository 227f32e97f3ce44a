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

from leaseguard.errors import InvalidInputError
from leaseguard.vocabulary import ACCELERATION, CLASSES, DEFAULT_LANG, NON_PERFORMING, Label, Lang

NON_PERFORMING_CLASSES = tuple(c for c in CLASSES if c in NON_PERFORMING)  # in the classes' order

if TYPE_CHECKING:
    from leaseguard.enforcement.casefiles import CaseFilesSummary
    from leaseguard.enforcement.claims import Claim
    from leaseguard.enforcement.rules import ClaimRules
    from leaseguard.jobs import JobContext
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


# --- case files as a background job (the console's /cases) -----------------------------------------------------


class CaseFilesFormError(InvalidInputError):
    """A field of the case-files form that cannot be used: `field` names it."""

    def __init__(self, field: str, message: Label, /, **params: object) -> None:
        super().__init__(message, **params)
        self.field = field


CASE_FILES = "case-files"
# At most this many contracts named in one job; naming none takes the day's non-performing contracts.
MAX_NAMED_CONTRACTS = 500


def case_files_request(day: str, contracts: str) -> dict[str, object]:
    """The job's parameters from the form's text: the day (YYYY-MM-DD, not in the future) and the contract numbers
    (separated by spaces, commas or new lines; none: the non-performing contracts of the day). CaseFilesFormError
    names the field."""
    try:
        when = dt.date.fromisoformat(day.strip())
    except ValueError:
        raise CaseFilesFormError(
            "day", Label("请写 YYYY-MM-DD 格式的日期", "write the day as YYYY-MM-DD")
        ) from None
    if when > dt.date.today():
        raise CaseFilesFormError("day", Label("日期不能晚于今天", "the day cannot be after today"))
    named = sorted(set(contracts.replace(",", " ").replace("，", " ").split()))
    if len(named) > MAX_NAMED_CONTRACTS:
        raise CaseFilesFormError(
            "contracts",
            Label("一次最多 {most} 份合同", "at most {most} contracts at a time"),
            most=MAX_NAMED_CONTRACTS,
        )
    if any(len(number) > 64 for number in named):
        raise CaseFilesFormError("contracts", Label("合同编号过长", "a contract number is too long"))
    return {"day": when.isoformat(), "contracts": named}


def case_files_folder(workspace: Workspace, job_id: int) -> Path:
    """Where the case files of job `job_id` are written (and downloaded from)."""
    return workspace.root / "case-files" / f"job-{job_id}"


def run_case_files(context: JobContext) -> dict[str, object]:
    """The case-files job: `generate_case_files` for the job's lessor only, each case deposited in the evidence
    log with the server's key; its progress is the contracts done. The result counts what was generated and
    skipped (the reasons are in summary.xlsx, which the console serves)."""
    from leaseguard.enforcement import casefiles

    resources = context.resources
    if resources.signer is None:
        raise InvalidInputError(
            Label(
                "此服务器没有证据日志密钥，案件材料必须存证，无法生成",
                "this server has no evidence-log key, and case files must be deposited: none can be generated",
            )
        )
    day = dt.date.fromisoformat(str(context.params["day"]))
    named = tuple(str(number) for number in context.params.get("contracts") or ())
    out = case_files_folder(resources.workspace, context.job_id)
    engine = resources.workspace.engine()
    try:
        summary = casefiles.generate_case_files(
            engine, day, out, claim_rules(resources.workspace), resources.signer, lessor=context.lessor,
            classes=None if named else NON_PERFORMING_CLASSES, contracts=named,
            progress=lambda done, total: context.progress(done, total), workers=1,
        )  # fmt: skip
    finally:
        engine.dispose()
    return {"case_files": {"generated": summary.generated, "skipped": summary.skipped}}


def _register() -> None:
    from leaseguard.jobs import JobKind, register_kind

    register_kind(
        JobKind(CASE_FILES, Label("生成案件材料", "Generate case files"), run_case_files, exclusive=True)
    )


_register()
