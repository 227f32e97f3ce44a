"""Following a case until the money is back: its stages in order, what each recovered, and recovery rates and
times by lessor, asset type, region and stage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from leaseguard.errors import InvalidInputError
from leaseguard.money import grouped_yuan
from leaseguard.vocabulary import DEFAULT_LANG, OPENED, STAGE_LABELS, STAGE_LABELS_EN, STAGES, Label, Lang

# A case moves forward through these steps; auction and settlement are alternatives at the same step.
STEP = {"demand_notice": 0, "filing": 1, "judgment": 2, "enforcement": 3, "seizure": 4, "auction": 5,
        "settlement": 5, "closure": 6}  # fmt: skip
DIMENSIONS = ("lessor", "asset_type", "region", "stage")


# A settlement the debtor does not keep: the lessor applies for enforcement of the settled (or adjudged) debt.
_AFTER_A_BROKEN_SETTLEMENT = frozenset({"enforcement", "seizure", "auction"})


class CaseEventError(InvalidInputError):
    """An event a case cannot take; the message names the case, the field and the reason.

    `reason` and `reason_params` are the why without the case, so a refused correction can say it again
    after its own words."""

    def __init__(self, case_id: int, reason: Label, /, **params: object) -> None:
        super().__init__(
            Label("案件 {case_id}：" + reason.zh, "case {case_id}: " + reason.en), case_id=case_id, **params
        )
        self.reason, self.reason_params = reason, params


def stage_named(code: str | None) -> Label:
    """A stage as a message names it: its Chinese name with the code one types (--stage), or the code."""
    if code is None:
        return Label("（无）", "(none)")
    return Label(f"{STAGE_LABELS.get(code, code)}（{code}）", code)


_STAGE_CHOICES = ", ".join(STAGES)
_NEGATIVE = Label("回收金额不能为负数", "recovered must not be negative")
_BAD_STAGE = Label("阶段 {stage!r} 无效，应为以下之一：{stages}", "stage {stage!r} is not one of {stages}")
_FUTURE = Label(
    "event_date {event_date} 晚于今天（{today}）",
    "event_date {event_date} is in the future (today is {today})",
)


@dataclass(frozen=True)
class PastEvent:
    stage: str
    event_date: dt.date
    recovered_fen: int


def check_event(
    case_id: int,
    opened_on: dt.date,
    current_stage: str,
    past: Sequence[PastEvent],
    stage: str,
    event_date: dt.date,
    recovered_fen: int,
    *,
    today: dt.date | None = None,
    claim_fen: int | None = None,
    over_claim_confirmed: bool = False,
) -> None:
    """Refuse an event that would go back a stage (but a settlement the debtor breaks goes on to enforcement),
    predate the case or its last event, lie in the future (after `today`), recover a negative amount, bring
    the recovery above the claim unless that is confirmed, or follow the case's closure."""
    if stage not in STEP:
        raise CaseEventError(case_id, _BAD_STAGE, stage=stage, stages=_STAGE_CHOICES)
    if current_stage == "closure":
        raise CaseEventError(
            case_id, Label("案件已结案，不再记录新的进展", "the case is closed; it takes no more events")
        )
    if today is not None and event_date > today:
        raise CaseEventError(case_id, _FUTURE, event_date=event_date, today=today)
    if event_date < opened_on:
        raise CaseEventError(
            case_id,
            Label(
                "event_date {event_date} 早于案件的立案准备日（{opened_on}）",
                "event_date {event_date} is before the case was opened ({opened_on})",
            ),
            event_date=event_date,
            opened_on=opened_on,
        )
    if past and event_date < past[-1].event_date:
        raise CaseEventError(
            case_id,
            Label(
                "event_date {event_date} 早于上一进展（{last_stage}，{last_date}）",
                "event_date {event_date} is before its last event ({last_stage}, {last_date})",
            ),
            event_date=event_date,
            last_stage=stage_named(past[-1].stage),
            last_date=past[-1].event_date,
        )
    broken_settlement = current_stage == "settlement" and stage in _AFTER_A_BROKEN_SETTLEMENT
    if current_stage != OPENED and STEP[stage] < STEP[current_stage] and not broken_settlement:
        raise CaseEventError(
            case_id,
            Label("阶段不能从{current}退回到{stage}", "stage {stage} would go back from {current}"),
            stage=stage_named(stage),
            current=stage_named(current_stage),
        )
    if recovered_fen < 0:
        raise CaseEventError(case_id, _NEGATIVE)
    recovered = sum(event.recovered_fen for event in past) + recovered_fen
    if claim_fen is not None and recovered > claim_fen and not over_claim_confirmed:
        raise CaseEventError(
            case_id,
            Label(
                "累计回收 {recovered} 元将超过诉请金额 {claim} 元；如确实如此，请确认（--confirm-over-claim）",
                "recovered in all {recovered} would exceed the claim {claim} yuan; confirm it if that is right "
                "(--confirm-over-claim)",
            ),
            recovered=grouped_yuan(recovered),
            claim=grouped_yuan(claim_fen),
        )


@dataclass(frozen=True)
class LedgerEntry:
    """One entry of a case's ledger as recorded, numbered 1, 2, … in the order it was recorded. A correction
    names the entry it corrects (`corrects`, an entry number) and why; with no stage it withdraws that step."""

    number: int
    stage: str | None
    event_date: dt.date
    recovered_fen: int
    note: str | None = None
    corrects: int | None = None
    reason: str | None = None
    evidence_index: int | None = None


@dataclass(frozen=True)
class CaseState:
    """Where a case stands by its ledger, corrected entries left out: its stage, what it recovered, the day it
    closed, the steps in effect in order, and which entry corrects which (corrected → correcting)."""

    stage: str
    recovered_fen: int
    closed_on: dt.date | None
    steps: tuple[LedgerEntry, ...]
    corrected_by: dict[int, int]


def _slot(entry: LedgerEntry, by_number: dict[int, LedgerEntry]) -> int:
    # A correction stands where the step it corrects stood, so a same-day settlement and closure keep their order.
    while entry.corrects is not None and entry.corrects in by_number:
        entry = by_number[entry.corrects]
    return entry.number


def case_state(entries: Sequence[LedgerEntry]) -> CaseState:
    """The case as its ledger says once every correction is applied: a corrected entry no longer counts, the
    entry correcting it counts in its place (unless it withdraws the step)."""
    by_number = {entry.number: entry for entry in entries}
    corrected_by = {entry.corrects: entry.number for entry in entries if entry.corrects is not None}
    steps = sorted(
        (e for e in entries if e.number not in corrected_by and e.stage is not None),
        key=lambda e: (e.event_date, _slot(e, by_number)),
    )
    stage = steps[-1].stage if steps else OPENED
    assert stage is not None
    closed_on = steps[-1].event_date if stage == "closure" else None
    recovered = sum(step.recovered_fen for step in steps)
    return CaseState(stage, recovered, closed_on, tuple(steps), corrected_by)


def check_steps(
    case_id: int,
    opened_on: dt.date,
    steps: Sequence[LedgerEntry],
    *,
    today: dt.date | None = None,
    claim_fen: int | None = None,
    over_claim_confirmed: bool = False,
) -> None:
    """Refuse a ledger whose steps in effect could not have been recorded one by one in this order (the rules of
    `check_event`): what a correction leaves must be a history the case could have had."""
    current = OPENED
    for done, step in enumerate(steps):
        assert step.stage is not None
        past = [PastEvent(s.stage or OPENED, s.event_date, s.recovered_fen) for s in steps[:done]]
        check_event(
            case_id, opened_on, current, past, step.stage, step.event_date, step.recovered_fen, today=today,
            claim_fen=claim_fen, over_claim_confirmed=over_claim_confirmed,
        )  # fmt: skip
        current = step.stage


def check_correction(
    case_id: int,
    opened_on: dt.date,
    entries: Sequence[LedgerEntry],
    correction: LedgerEntry,
    *,
    today: dt.date | None = None,
    claim_fen: int | None = None,
    over_claim_confirmed: bool = False,
) -> CaseState:
    """Refuse a correction of an entry the ledger does not have or that is already corrected, one that changes
    nothing, or one after which the steps in effect break a rule of `check_event`; else the case's state with
    it."""
    target = correction.corrects
    by_number = {entry.number: entry for entry in entries}
    if target is None or target not in by_number:
        raise CaseEventError(
            case_id,
            Label(
                "第 {entry} 条记录不存在（案件台账共有第 1 至 {count} 条）",
                "entry {entry} does not exist (the case has entries 1 to {count})",
            ),
            entry=target,
            count=len(entries),
        )
    state = case_state(entries)
    if target in state.corrected_by:
        raise CaseEventError(
            case_id,
            Label("第 {entry} 条已被第 {by} 条更正", "entry {entry} is already corrected by entry {by}"),
            entry=target,
            by=state.corrected_by[target],
        )
    original = by_number[target]
    if correction.stage is None and original.stage is None:
        raise CaseEventError(
            case_id,
            Label(
                "第 {entry} 条是一次撤销；更正它须给出步骤（--stage）",
                "entry {entry} withdraws a step; its correction needs the step (--stage)",
            ),
            entry=target,
        )
    if (correction.stage, correction.event_date, correction.recovered_fen, correction.note) == (
        original.stage, original.event_date, original.recovered_fen, original.note,
    ):  # fmt: skip
        raise CaseEventError(
            case_id,
            Label("对第 {entry} 条的更正没有改变任何内容", "the correction of entry {entry} changes nothing"),
            entry=target,
        )
    if correction.stage is not None and correction.stage not in STEP:
        raise CaseEventError(
            case_id,
            _BAD_STAGE,
            stage=correction.stage,
            stages=_STAGE_CHOICES,
        )
    if correction.recovered_fen < 0:
        raise CaseEventError(case_id, _NEGATIVE)
    if today is not None and correction.event_date > today:
        raise CaseEventError(
            case_id,
            _FUTURE,
            event_date=correction.event_date,
            today=today,
        )
    corrected = case_state([*entries, correction])
    try:
        check_steps(case_id, opened_on, corrected.steps, claim_fen=claim_fen,
                    over_claim_confirmed=over_claim_confirmed)  # fmt: skip
    except CaseEventError as error:
        # The rule broken, said after the entry whose correction breaks it.
        reason = error.reason
        raise CaseEventError(
            case_id,
            Label(
                "第 {corrected_entry} 条不能如此更正：" + reason.zh,
                "entry {corrected_entry} cannot be corrected so: " + reason.en,
            ),
            corrected_entry=target,
            **error.reason_params,
        ) from None
    return corrected


def recovery_by(
    cases: pl.DataFrame,
    events: pl.DataFrame,
    dimensions: pl.DataFrame,
    as_of: dt.date,
    lang: Lang = DEFAULT_LANG,
) -> dict[str, pl.DataFrame]:
    """Per dimension (lessor, asset_type, region, stage): cases, claimed, recovered, recovery rate, cases that
    recovered anything, median days from opening to the first recovery and to closure.

    `cases`: case_id, contract_no, lessor, opened_on, claim_fen, stage, closed_on; `events`: case_id, stage,
    event_date, recovered_fen; `dimensions`: contract_no, asset_type, region. Only what happened by `as_of`;
    each stage named in `lang` (stage_label)."""
    # Events of one day follow the order of the steps (a settlement, then the closure).
    known = events.filter(pl.col("event_date") <= as_of).with_columns(
        pl.col("stage").replace_strict(STEP, return_dtype=pl.Int64).alias("_step")
    )
    per_case = known.group_by("case_id").agg(
        pl.col("recovered_fen").sum().alias("recovered_fen"),
        pl.col("event_date").filter(pl.col("recovered_fen") > 0).min().alias("first_recovery"),
        pl.col("stage").sort_by("event_date", "_step").last().alias("stage_then"),
    )
    frame = (
        cases.filter(pl.col("opened_on") <= as_of)
        .join(per_case, on="case_id", how="left")
        .join(dimensions, on="contract_no", how="left")
        .with_columns(
            pl.col("recovered_fen").fill_null(0),
            pl.coalesce("stage_then", pl.lit(OPENED)).alias("stage"),
            pl.col("asset_type").fill_null("unknown"),
            pl.col("region").fill_null("unknown"),
            pl.when(pl.col("closed_on") <= as_of).then(pl.col("closed_on")).alias("closed_on"),
        )
    )
    tables = {}
    for dimension in DIMENSIONS:
        tables[dimension] = (
            frame.group_by(dimension)
            .agg(
                pl.len().alias("cases"),
                pl.col("claim_fen").sum().alias("claimed_fen"),
                pl.col("recovered_fen").sum().alias("recovered_fen"),
                (pl.col("recovered_fen") > 0).sum().alias("cases_recovering"),
                (pl.col("first_recovery") - pl.col("opened_on"))
                .dt.total_days()
                .median()
                .alias("median_days_to_first_recovery"),
                (pl.col("closed_on") - pl.col("opened_on"))
                .dt.total_days()
                .median()
                .alias("median_days_to_closure"),
            )
            .with_columns(
                pl.when(pl.col("claimed_fen") > 0)
                .then(
                    (pl.col("recovered_fen") * 20_000 + pl.col("claimed_fen"))
                    // (2 * pl.col("claimed_fen"))
                    / 100
                )
                .alias("recovery_rate_percent")
            )
            .sort(dimension)
        )
    tables["stage"] = tables["stage"].with_columns(
        pl.col("stage")
        .replace_strict(STAGE_LABELS if lang == "zh" else STAGE_LABELS_EN, default=pl.col("stage"))
        .alias("stage_label")
    )
    return tables
