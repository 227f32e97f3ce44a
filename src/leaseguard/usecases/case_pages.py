"""The lessor's enforcement cases as the console's /cases and /cases/{id} show them, and the two forms of a case
page: record a step, correct an entry.

Built on the use cases `leaseguard cases list/show/claim/event/correct` and GET /v1/cases end in: the list and
the ledger are usecases.lookup's (`list_cases`, `case_detail`), the claim is enforcement.service's
`claim_for_contract` (what `cases claim` prints), and a step or a correction goes through
`add_event` / `correct_event`, with their rules and evidence deposits. What is added here is what a form needs:
the text a person typed read into values, and each refusal tied to the field it is about, so the page can say
it beside that field. Every read has the asking lessor in its WHERE clause; another lessor's case is
UnknownCaseError, as one that does not exist."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, exists, func, select
from sqlalchemy.orm import Session, aliased

from leaseguard.enforcement.claims import Claim
from leaseguard.enforcement.rules import ClaimRules
from leaseguard.enforcement.service import (
    NO_SUCH_CASE,
    CaseError,
    UnknownCaseError,
    add_event,
    claim_for_contract,
    correct_event,
)
from leaseguard.enforcement.tracking import CaseEventError
from leaseguard.errors import InvalidInputError, LeaseguardError
from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.money import MoneyError, parse_fen
from leaseguard.store.models import CaseEvent, EnforcementCase, EvidenceRecord
from leaseguard.usecases.lookup import (
    CaseDetail,
    CaseSummary,
    DocumentOut,
    NoticeOut,
    case_detail,
    case_rows,
    contract_detail,
    list_cases,
)
from leaseguard.usecases.lookup_pages import Paged
from leaseguard.vocabulary import OPENED, STAGES, Label

CASES_PER_PAGE = 50
CASE_STAGES = (OPENED, *STAGES)  # the order a case moves through, as the list shows the stages
MAX_NOTE_CHARS = 2000
MAX_REASON_CHARS = 2000
# Far above any lease (a hundred billion yuan) and far below what the store's 64-bit integers hold, so a slip of
# the keyboard is a message beside the field, not a failed write.
MAX_AMOUNT_FEN = 10**13


# --- /cases ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageTotal:
    """The lessor's cases now at one stage: how many, what they claim, what their steps in effect recovered."""

    stage: str
    cases: int
    claim_fen: int
    recovered_fen: int


@dataclass(frozen=True)
class CasesPage:
    stages: list[StageTotal]  # every stage in CASE_STAGES order, those with no case included
    total: StageTotal  # over all stages (its stage is "")
    stage: str | None  # the stage the list is filtered to
    cases: Paged[CaseSummary]


class UnknownStageError(InvalidInputError):
    """A stage filter that is not a stage."""


BAD_STAGE = Label("阶段 {stage!r} 无效，应为以下之一：{stages}", "stage {stage!r} is not one of {stages}")


def checked_stage(stage: str | None) -> str | None:
    """The stage filter as given ("" or None: every stage); UnknownStageError for one that is not a stage."""
    if not stage:
        return None
    if stage not in CASE_STAGES:
        raise UnknownStageError(BAD_STAGE, stage=stage, stages=", ".join(CASE_STAGES))
    return stage


def stage_totals(session: Session, lessor: str) -> list[StageTotal]:
    """Count, claim and recovery of the lessor's cases by the stage they are at now, in two grouped reads.

    The stage is the case row's, which every step and correction keeps equal to its ledger's; the recovery
    sums the steps in effect (an entry no later entry corrects, and not a withdrawal), as `case_state` does."""
    claimed = {
        str(stage): (int(count), int(claim or 0))
        for stage, count, claim in session.execute(
            select(EnforcementCase.stage, func.count(), func.sum(EnforcementCase.claim_fen))
            .where(EnforcementCase.lessor == lessor)
            .group_by(EnforcementCase.stage)
        ).all()
    }
    later = aliased(CaseEvent)
    recovered = {
        str(stage): int(amount or 0)
        for stage, amount in session.execute(
            select(EnforcementCase.stage, func.sum(CaseEvent.recovered_fen))
            .join(CaseEvent, CaseEvent.case_id == EnforcementCase.id)
            .where(
                EnforcementCase.lessor == lessor,
                CaseEvent.stage.is_not(None),
                ~exists().where(later.corrects == CaseEvent.id),
            )
            .group_by(EnforcementCase.stage)
        ).all()
    }
    return [
        StageTotal(stage, *claimed.get(stage, (0, 0)), recovered.get(stage, 0))
        for stage in (*CASE_STAGES, *sorted(set(claimed) - set(CASE_STAGES)))
    ]


def cases_page(session: Session, lessor: str, *, stage: str | None = None, page: int = 1) -> CasesPage:
    """The lessor's cases by stage (count, claimed, recovered) and, a page at a time by case number, the cases
    (at `stage` only, when given; UnknownStageError for one that is not a stage). A page past the last shows
    the last."""
    chosen = checked_stage(stage)
    stages = stage_totals(session, lessor)
    total = StageTotal(
        "",
        sum(s.cases for s in stages),
        sum(s.claim_fen for s in stages),
        sum(s.recovered_fen for s in stages),
    )
    count = next((s.cases for s in stages if s.stage == chosen), 0) if chosen else total.cases
    pages = max(1, math.ceil(count / CASES_PER_PAGE))
    page = min(max(1, page), pages)
    found = list_cases(
        session, lessor, stage=chosen, limit=CASES_PER_PAGE, offset=(page - 1) * CASES_PER_PAGE
    )
    return CasesPage(stages, total, chosen, Paged(found.items, page, pages, count, CASES_PER_PAGE))


# --- /cases/{id} -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFileRecord:
    """A case file's facts as `cases generate` deposited them (evidence kind case-file, ref case:{id}:file)."""

    index: int
    appended_at: dt.datetime


@dataclass(frozen=True)
class CasePage:
    detail: CaseDetail
    claim: Claim | None  # the claim on the day the case was opened, with its arithmetic
    claim_problem: LeaseguardError | None  # why it could not be computed, when it could not
    notices: list[NoticeOut]
    documents: list[DocumentOut]
    case_files: list[CaseFileRecord]

    @property
    def open_entries(self) -> list[int]:
        """The entries a correction may name: those no later entry corrects."""
        return [e.entry for e in self.detail.entries if e.corrected_by_entry is None]


def case_file_ref(case_id: int) -> str:
    return f"case:{case_id}:file"


def case_files(session: Session, lessor: str, case_id: int) -> list[CaseFileRecord]:
    """The case's case-file records in the lessor's evidence log, newest first (a read of its (lessor, ref)
    index)."""
    rows = session.execute(
        select(EvidenceRecord.leaf_index, EvidenceRecord.appended_at)
        .where(
            EvidenceRecord.lessor == lessor,
            EvidenceRecord.ref == case_file_ref(case_id),
            EvidenceRecord.kind == "case-file",
        )
        .order_by(EvidenceRecord.leaf_index.desc())
    ).all()
    return [CaseFileRecord(int(index), appended) for index, appended in rows]


def case_page(engine: Engine, lessor: str, case_id: int, rules: ClaimRules) -> CasePage:
    """One of `lessor`'s cases with its ledger, its claim on the day it was opened (computed as `cases claim`
    computes it, under the rules given), the demands and documents on record for its contract, and the case
    files deposited for it. UnknownCaseError when `lessor` has no such case."""
    with Session(engine) as session:
        detail = case_detail(session, lessor, case_id)
        contract = contract_detail(session, lessor, detail.contract_no)
        files = case_files(session, lessor, case_id)
    claim: Claim | None = None
    problem: LeaseguardError | None = None
    try:
        claim = claim_for_contract(engine, detail.contract_no, detail.opened_on, rules, lessor=lessor)
    except LeaseguardError as error:  # nothing overdue on that day any more, or the contract's file is wrong
        problem = error
    return CasePage(detail, claim, problem, contract.notices, contract.documents, files)


def case_file_index(session: Session, lessor: str, case_id: int, index: int) -> int:
    """`index` when it is a case-file record of this case of the lessor's; else UnknownCaseError (the page's
    404), so the download serves no other record."""
    if not case_rows(session.connection(), lessor, case_ids=[case_id]):
        raise UnknownCaseError(NO_SUCH_CASE, case_id=case_id)
    if all(record.index != index for record in case_files(session, lessor, case_id)):
        raise UnknownCaseError(NO_SUCH_CASE, case_id=case_id)
    return index


# --- the forms ---------------------------------------------------------------------------------------------


class StepFormError(InvalidInputError):
    """A form refused: the message, and the field it is about ("" for the form as a whole)."""

    def __init__(self, field: str, error: LeaseguardError) -> None:
        if isinstance(error, CaseEventError):  # said beside the case's own form: the why, without "case N:"
            super().__init__(error.reason, **error.reason_params)
        else:
            super().__init__(error.label, **error.params)
        self.field = field


# Which field a refusal of the tracking rules is about, by the words of its reason (the rules say it in
# sentences, not codes); the first that matches wins, no match is about the whole form.
_FIELD_WORDS = (
    ("entry", ("entry {entry}", "withdraws a step")),
    ("event_date", ("event_date",)),
    ("recovered", ("recovered",)),
    ("stage", ("stage",)),
)


def _field_of(error: LeaseguardError) -> str:
    said = error.reason.en if isinstance(error, CaseEventError) else error.label.en
    for field, words in _FIELD_WORDS:
        if any(word in said for word in words):
            return field
    return ""


DATE_NEEDED = Label("请填写日期（YYYY-MM-DD）", "give the day (YYYY-MM-DD)")
NOT_A_DATE = Label("{value!r} 不是日期（YYYY-MM-DD）", "{value!r} is not a date (YYYY-MM-DD)")
STAGE_NEEDED = Label("请选择步骤", "choose the step")
TOO_LONG = Label("最多 {most} 个字", "at most {most} characters")
TOO_MUCH = Label("金额过大", "the amount is too large")
ENTRY_NEEDED = Label("请选择要更正的条目", "choose the entry to correct")
REASON_NEEDED = Label("请写明更正原因", "say why the entry is wrong")
WITHDRAW_ALONE = Label(
    "撤销步骤时不填写新的步骤、日期或金额", "a withdrawal takes no new step, day or amount"
)
NOTHING_CORRECTED = Label(
    "请填写更正后的步骤、日期、回收金额或备注（空着的保持不变），或勾选撤销该步骤",
    "give the step, day, amount or note as they should have been (those left empty are kept), or withdraw the step",
)
RECOVERED = Label("回收金额", "recovered")


def _refuse(field: str, label: Label, **params: object) -> StepFormError:
    return StepFormError(field, InvalidInputError(label, **params))


def _day(text: str, *, required: bool) -> dt.date | None:
    written = text.strip()
    if not written:
        if required:
            raise _refuse("event_date", DATE_NEEDED)
        return None
    try:
        return dt.date.fromisoformat(written)
    except ValueError:
        raise _refuse("event_date", NOT_A_DATE, value=written[:40]) from None


def _fen(text: str, *, required: bool) -> int | None:
    written = text.strip()
    if not written:
        return 0 if required else None
    try:
        fen = parse_fen(written, where=RECOVERED)
    except MoneyError as error:
        raise StepFormError("recovered", error) from None
    if fen > MAX_AMOUNT_FEN:
        raise _refuse("recovered", TOO_MUCH)
    return fen


def _words(text: str, field: str, most: int) -> str | None:
    written = text.strip()
    if len(written) > most:
        raise _refuse(field, TOO_LONG, most=most)
    return written or None


def _stage(text: str, *, required: bool) -> str | None:
    if not text:
        if required:
            raise _refuse("stage", STAGE_NEEDED)
        return None
    if text not in STAGES:
        raise _refuse("stage", BAD_STAGE, stage=text[:40], stages=", ".join(STAGES))
    return text


def _owned(engine: Engine, lessor: str, case_id: int) -> None:
    with engine.connect() as connection:
        if not case_rows(connection, lessor, case_ids=[case_id]):
            raise UnknownCaseError(NO_SUCH_CASE, case_id=case_id)


def record_step(
    engine: Engine,
    lessor: str,
    case_id: int,
    form: dict[str, Any],
    *,
    signer: NoteSigner | None,
    today: dt.date | None = None,
) -> None:
    """Record the step a form gives (stage, event_date, recovered in yuan, note, confirm_over_claim) on one of
    the lessor's cases, as `cases event` does; StepFormError naming the field when refused, nothing recorded."""
    _owned(engine, lessor, case_id)
    stage = _stage(str(form.get("stage", "")), required=True)
    day = _day(str(form.get("event_date", "")), required=True)
    recovered = _fen(str(form.get("recovered", "")), required=True)
    note = _words(str(form.get("note", "")), "note", MAX_NOTE_CHARS)
    assert stage is not None and day is not None and recovered is not None
    try:
        add_event(
            engine, case_id, stage, day, recovered, note, signer=signer, today=today,
            over_claim_confirmed=bool(form.get("confirm_over_claim")),
        )  # fmt: skip
    except (CaseEventError, CaseError) as error:
        raise StepFormError(_field_of(error), error) from None


def correct_step(
    engine: Engine,
    lessor: str,
    case_id: int,
    form: dict[str, Any],
    *,
    signer: NoteSigner | None,
    today: dt.date | None = None,
) -> None:
    """Correct an entry of one of the lessor's cases as a form gives it (entry, reason, and the step as it
    should have been — stage, event_date, recovered, note, each kept when empty — or withdraw), as
    `cases correct` does; StepFormError naming the field when refused, nothing recorded."""
    _owned(engine, lessor, case_id)
    entry_text = str(form.get("entry", "")).strip()
    if not entry_text.isdigit() or not 0 < int(entry_text) < 10**9:
        raise _refuse("entry", ENTRY_NEEDED)
    reason = _words(str(form.get("reason", "")), "reason", MAX_REASON_CHARS)
    if reason is None:
        raise _refuse("reason", REASON_NEEDED)
    stage = _stage(str(form.get("stage", "")), required=False)
    day = _day(str(form.get("event_date", "")), required=False)
    recovered = _fen(str(form.get("recovered", "")), required=False)
    note = _words(str(form.get("note", "")), "note", MAX_NOTE_CHARS)
    withdraw = bool(form.get("withdraw"))
    given = (stage, day, recovered, note)
    if withdraw and any(value is not None for value in given):
        raise _refuse("withdraw", WITHDRAW_ALONE)
    if not withdraw and all(value is None for value in given):
        raise _refuse("", NOTHING_CORRECTED)
    try:
        correct_event(
            engine, case_id, int(entry_text), reason, stage=stage, event_date=day, recovered_fen=recovered,
            note=note, withdraw=withdraw, signer=signer, today=today,
            over_claim_confirmed=bool(form.get("confirm_over_claim")),
        )  # fmt: skip
    except (CaseEventError, CaseError) as error:
        raise StepFormError(_field_of(error), error) from None
