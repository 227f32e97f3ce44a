"""Funding decisions on screened assets, with maker–checker: the console's /assets/screen ends here, and the CLI
and API may call the same functions.

A funding file screened for a lessor (`usecases.asset_screen`) is kept (`keep_screen`): the screen and one row
per asset in the store, its findings and summary as files under the workspace. On each asset a person decides
to fund, hold or reject it (`decide`), with a comment; the newest decision on an asset is the one that stands.
A decision to fund or hold an asset the screen blocked is pending until a second person — not its maker, with
the compliance role (`Action.APPROVE_FUNDING`) — approves it (`approve`). Every decision and every approval
is recorded with who and when, and deposited in the evidence log when a signer is given, in the same
transaction, so it can be proven later who let a blocked asset through and who agreed."""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from leaseguard.errors import ConflictError, InvalidInputError, NotFoundError
from leaseguard.evidence import NoteSigner, Provenance, append_event
from leaseguard.ingest.reports import FileReport, write_error_report
from leaseguard.registry.screen import write_html_summary, write_summary
from leaseguard.sheets import write_csv
from leaseguard.store.db import session_factory
from leaseguard.store.models import FundingDecision, FundingScreen, FundingScreenAsset
from leaseguard.tenancy.permissions import Action, is_allowed
from leaseguard.usecases.asset_screen import ScreenFileResult
from leaseguard.vocabulary import LANGS, Label, Lang

DECISIONS = ("fund", "hold", "reject")
DECISION_LABELS: dict[str, Label] = {
    "fund": Label("放款", "Fund"),
    "hold": Label("暂缓", "Hold"),
    "reject": Label("拒绝", "Reject"),
}
Status = Literal["pending", "approved", "declined", "in_effect", "superseded"]
STATUS_LABELS: dict[str, Label] = {
    "pending": Label("待复核", "Awaiting approval"),
    "approved": Label("已复核", "Approved"),
    "declined": Label("已驳回", "Declined"),
    "in_effect": Label("已生效", "In effect"),
    "superseded": Label("已被后续决定取代", "Superseded"),
}
MAX_COMMENT_CHARS = 2000
# The rejected rows of a file kept with its screen for the page; the CSV of rejected rows has them all.
PROBLEMS_KEPT = 500


class FundingDecisionError(InvalidInputError):
    """A decision or approval that cannot be taken as asked; nothing was changed."""


class FundingCommentError(FundingDecisionError):
    """A comment or a decline's reason that cannot be taken: missing where one is needed, or too long. A form
    shows it beside its field; nothing was changed."""


class FundingConflictError(ConflictError):
    """An approval or decline of a decision that was approved or declined already, or replaced by a newer one."""


# What a checker does to a pending decision, as the messages name it.
APPROVING = Label("复核", "approve")
DECLINING = Label("驳回", "decline")
# The maker's own decision is not theirs to check: approving it would be no second pair of eyes, and a maker
# who no longer stands by it changes course by deciding again (the new decision replaces it).
MAKER_MAY_NOT: dict[Label, Label] = {
    APPROVING: Label(
        "制单人不能{verb}自己的决定：须由另一位合规人员{verb}",
        "the maker may not {verb} their own decision: another compliance user must",
    ),
    DECLINING: Label(
        "制单人不能{verb}自己的决定：如需改变，请作出新的决定",
        "the maker may not {verb} their own decision: to change course, make a new decision",
    ),
}


@dataclass(frozen=True, slots=True)
class Person:
    """Who decides or approves: a console user (or an API key's holder) of one lessor, with a role."""

    username: str
    lessor: str
    role: str


NO_SCREEN = Label("没有筛查记录 {screen_id}", "no screen {screen_id}")
NO_ASSET = Label("筛查 {screen_id} 中没有第 {position} 项资产", "screen {screen_id} has no asset {position}")
NO_DECISION = Label("没有放款决定 {decision_id}", "no funding decision {decision_id}")


# --- screens ------------------------------------------------------------------------------------------------

# The files kept with a screen, each in both languages: kind → (file name, media type).
SCREEN_FILES: dict[str, tuple[str, str]] = {
    "findings": ("findings-{lang}.csv", "text/csv; charset=utf-8"),
    "summary.xlsx": (
        "summary-{lang}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "summary.html": ("summary-{lang}.html", "text/html; charset=utf-8"),
    "rejected": ("rejected-rows-{lang}.csv", "text/csv; charset=utf-8"),
}
_SUMMARY_TITLE = Label("{file} 的权属筛查（{lessor}）", "Ownership screen of {file} for {lessor}")


def screen_directory(root: Path, lessor: str, screen_id: int) -> Path:
    """Where a screen's files are: one folder per lessor, one per screen."""
    return root / lessor / str(screen_id)


def screen_file(root: Path, screen: FundingScreen, kind: str, lang: Lang) -> tuple[Path, str] | None:
    """A kept file of `screen` (a kind of SCREEN_FILES) in `lang` and its media type; None when there is no
    such kind or file (the rejected rows of a file that had none)."""
    if kind not in SCREEN_FILES:
        return None
    name, media_type = SCREEN_FILES[kind]
    path = screen_directory(root, screen.lessor, screen.id) / name.format(lang=lang)
    return (path, media_type) if path.is_file() else None


def _write_screen_files(
    directory: Path, result: ScreenFileResult, report: FileReport, file_name: str, lessor: str
) -> None:
    directory.mkdir(parents=True)
    for lang in LANGS:
        write_csv(result.findings_table(lang), directory / SCREEN_FILES["findings"][0].format(lang=lang))
        write_summary(result.screen, directory / SCREEN_FILES["summary.xlsx"][0].format(lang=lang), lang=lang)
        write_html_summary(
            result.screen,
            directory / SCREEN_FILES["summary.html"][0].format(lang=lang),
            title=_SUMMARY_TITLE.text(lang, file=file_name, lessor=lessor),
            lang=lang,
        )
        if report.errors:
            write_error_report([report], directory / SCREEN_FILES["rejected"][0].format(lang=lang), lang)


def _asset_rows(result: ScreenFileResult) -> Iterator[dict[str, Any]]:
    chinese, english = result.reasons_in("zh"), result.reasons_in("en")
    for position, (found, zh, en) in enumerate(zip(result.screen.findings, chinese, english, strict=True), 1):
        facts = found.facts
        yield {
            "position": position, "asset_id": facts.asset_id, "asset_type": facts.asset_type, "vin": facts.vin,
            "serial_no": facts.serial_no, "engine_no": facts.engine_no, "manufacturer": facts.manufacturer,
            "model": facts.model, "invoice_code": facts.invoice_code, "invoice_no": facts.invoice_no,
            "invoice_amount_fen": facts.invoice_amount_fen, "lessee_id": facts.lessee_id,
            "lessee_name": facts.lessee_name, "verdict": found.verdict.value, "reason_codes": found.codes,
            "reasons_zh": zh, "reasons_en": en, "store_matches": len(found.alone.matches),
            "file_matches": len(found.in_file),
        }  # fmt: skip


def _clip(value: str | None, chars: int) -> str | None:
    """A file's free text cut to its column (the identifiers' own checks already refuse longer ones)."""
    return value[:chars] if isinstance(value, str) else value


@contextmanager
def _staged(root: Path, lessor: str) -> Iterator[Path]:
    """A folder for a screen's files until its id is known; removed if it is still there at the end."""
    staging = root / lessor / f".new-{secrets.token_hex(8)}"
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def keep_screen(
    engine: Engine,
    root: Path,
    *,
    person: Person,
    file_name: str,
    file_sha256: str,
    report: FileReport,
    result: ScreenFileResult,
) -> int:
    """Keep a screen of `person`'s lessor, done on `result` (a file's good rows) and `report` (its rejected
    rows): the screen and its assets in the store, and its files — findings CSV, summary XLSX and HTML, the
    rejected rows as CSV, each in Chinese and English — under `root`/<lessor>/<id>/. Returns the screen's id.

    All or nothing: the files are written first, moved into place once the rows have their id, and removed if
    the rows are not committed."""
    if not result.screen.findings:
        raise FundingDecisionError(Label("文件中没有可筛查的资产", "the file has no asset to screen"))
    verdicts = [found.verdict.value for found in result.screen.findings]
    problems = [
        {"line": error.line, "column": error.column, "zh": error.text("zh"), "en": error.text("en")}
        for error in report.errors[:PROBLEMS_KEPT]
    ]
    with _staged(root, person.lessor) as staging:
        _write_screen_files(staging, result, report, file_name, person.lessor)
        target: Path | None = None
        try:
            with session_factory(engine)() as session, session.begin():
                screen = FundingScreen(
                    lessor=person.lessor, screened_by=person.username, screened_at=dt.datetime.now(dt.UTC),
                    file_name=file_name[:255], file_sha256=file_sha256, rows_read=report.rows_read,
                    rows_rejected=report.rejected, assets=len(verdicts), blocks=verdicts.count("block"),
                    reviews=verdicts.count("review"), problems=problems,
                )  # fmt: skip
                session.add(screen)
                session.flush()
                for row in _asset_rows(result):
                    for name in ("asset_id", "vin", "serial_no", "engine_no", "invoice_code", "invoice_no"):
                        row[name] = _clip(row[name], 64)
                    for name in ("manufacturer", "model", "lessee_name"):
                        row[name] = _clip(row[name], 200)
                    row["lessee_id"] = _clip(row["lessee_id"], 64)
                    session.add(FundingScreenAsset(screen_id=screen.id, **row))
                target = screen_directory(root, person.lessor, screen.id)
                if target.exists():  # left by a screen whose rows were never committed: the id is free again
                    shutil.rmtree(target)
                staging.rename(target)
                screen_id = screen.id
        except BaseException:
            if target is not None:
                shutil.rmtree(target, ignore_errors=True)
            raise
    return screen_id


def list_screens(
    session: Session, lessor: str, *, limit: int, before_id: int | None = None
) -> list[FundingScreen]:
    """The lessor's screens, newest first, `limit` of them (keyset: those older than `before_id`)."""
    query = select(FundingScreen).where(FundingScreen.lessor == lessor)
    if before_id is not None:
        query = query.where(FundingScreen.id < before_id)
    return list(session.scalars(query.order_by(FundingScreen.id.desc()).limit(limit)))


def get_screen(session: Session, lessor: str, screen_id: int) -> FundingScreen:
    """The lessor's screen `screen_id`; another lessor's is as absent as one that never was (NotFoundError)."""
    screen = session.get(FundingScreen, screen_id)
    if screen is None or screen.lessor != lessor:
        raise NotFoundError(NO_SCREEN, screen_id=screen_id)
    return screen


def screen_assets(
    session: Session, screen: FundingScreen, *, offset: int, limit: int, verdict: str | None = None
) -> list[FundingScreenAsset]:
    """A page of the screen's assets in file order, of one verdict or all."""
    query = select(FundingScreenAsset).where(FundingScreenAsset.screen_id == screen.id)
    if verdict is not None:
        query = query.where(FundingScreenAsset.verdict == verdict)
    return list(session.scalars(query.order_by(FundingScreenAsset.position).offset(offset).limit(limit)))


def verdict_count(screen: FundingScreen, verdict: str | None) -> int:
    """How many of the screen's assets have `verdict` (all of them for None), without counting rows."""
    counts = {
        "block": screen.blocks,
        "review": screen.reviews,
        "clear": screen.assets - screen.blocks - screen.reviews,
    }
    return screen.assets if verdict is None else counts.get(verdict, 0)


def screened_asset(session: Session, lessor: str, screen_id: int, position: int) -> FundingScreenAsset:
    """Asset `position` of the lessor's screen `screen_id` (NotFoundError for another lessor's)."""
    screen = get_screen(session, lessor, screen_id)
    asset = session.scalar(
        select(FundingScreenAsset).where(
            FundingScreenAsset.screen_id == screen.id, FundingScreenAsset.position == position
        )
    )
    if asset is None:
        raise NotFoundError(NO_ASSET, screen_id=screen_id, position=position)
    return asset


# --- decisions ----------------------------------------------------------------------------------------------


def needs_approval(verdict: str, decision: str) -> bool:
    """A blocked asset funded or held needs a checker: holding it keeps it open for funding later."""
    return verdict == "block" and decision in ("fund", "hold")


def current_decisions(session: Session, asset_ids: Sequence[int]) -> dict[int, FundingDecision]:
    """The decision that stands (the newest) on each of `asset_ids` that has one."""
    if not asset_ids:
        return {}
    newest = (
        select(func.max(FundingDecision.id))
        .where(FundingDecision.screen_asset_id.in_(asset_ids))
        .group_by(FundingDecision.screen_asset_id)
    )
    rows = session.scalars(select(FundingDecision).where(FundingDecision.id.in_(newest)))
    return {row.screen_asset_id: row for row in rows}


def decisions_on(session: Session, asset: FundingScreenAsset) -> list[FundingDecision]:
    """Every decision taken on `asset`, newest (the one that stands) first."""
    query = select(FundingDecision).where(FundingDecision.screen_asset_id == asset.id)
    return list(session.scalars(query.order_by(FundingDecision.id.desc())))


def status_of(decision: FundingDecision, *, current: bool) -> Status:
    """Where a decision stands: declined by a checker, replaced by a newer one, waiting for its checker,
    approved, or in effect. A declined decision is in force no more, whether or not a newer one followed."""
    if decision.declined_by is not None:
        return "declined"
    if not current:
        return "superseded"
    if decision.pending:
        return "pending"
    return "approved" if decision.approved_by is not None else "in_effect"


def pending_decisions(
    session: Session, lessor: str, *, limit: int, after_id: int | None = None
) -> list[tuple[FundingDecision, FundingScreenAsset]]:
    """The lessor's decisions waiting for a checker, oldest first (keyset: those after `after_id`), each with
    its asset; read by the index (lessor, pending, id)."""
    query = (
        select(FundingDecision, FundingScreenAsset)
        .join(FundingScreenAsset, FundingScreenAsset.id == FundingDecision.screen_asset_id)
        .where(FundingDecision.lessor == lessor, FundingDecision.pending.is_(True))
    )
    if after_id is not None:
        query = query.where(FundingDecision.id > after_id)
    found = session.execute(query.order_by(FundingDecision.id).limit(limit))
    return [(decision, asset) for decision, asset in found]


def _comment(comment: str | None) -> str:
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT_CHARS:
        raise FundingCommentError(
            Label(
                "意见最多 {limit} 个字符（现为 {chars} 个）",
                "a comment is at most {limit} characters (not {chars})",
            ),
            limit=MAX_COMMENT_CHARS,
            chars=len(text),
        )
    return text


def _deposit(
    session: Session, signer: NoteSigner | None, event: dict[str, Any], *, person: Person, kind: str, ref: str,
    at: dt.datetime, channel: str,
) -> int | None:  # fmt: skip
    if signer is None:
        return None
    receipt = append_event(
        session,
        event,
        lessor=person.lessor,
        kind=kind,
        provenance=Provenance(
            producer=person.username, system=f"leaseguard funding ({channel})", produced_at=at
        ),
        signer=signer,
        ref=ref,
    )
    return receipt.index


def _asset_record(asset: FundingScreenAsset) -> dict[str, Any]:
    names = (
        "asset_id", "asset_type", "vin", "serial_no", "engine_no", "manufacturer", "model", "invoice_code",
        "invoice_no", "invoice_amount_fen", "lessee_id", "lessee_name",
    )  # fmt: skip
    return {name: getattr(asset, name) for name in names if getattr(asset, name) is not None}


def decide(
    session: Session,
    person: Person,
    asset: FundingScreenAsset,
    decision: str,
    comment: str | None,
    *,
    signer: NoteSigner | None,
    channel: str = "console",
) -> FundingDecision:
    """Record `person`'s decision on `asset` (fund, hold or reject) with a comment, deposit it in the evidence
    log with a `signer`, and make it the one that stands: a pending one before it on the asset is pending no
    more. A decision to fund or hold an asset the screen blocked needs a comment saying why, and is pending
    until approved (`approve`). FundingDecisionError when it cannot be taken; nothing is changed then."""
    if not is_allowed(person.role, Action.DECIDE_FUNDING):
        raise FundingDecisionError(
            Label("角色 {role} 不能作放款决定", "the role {role} may not take funding decisions"),
            role=person.role,
        )
    screen = session.get(FundingScreen, asset.screen_id)
    if screen is None or screen.lessor != person.lessor:
        raise NotFoundError(NO_ASSET, screen_id=asset.screen_id, position=asset.position)
    if decision not in DECISIONS:
        raise FundingDecisionError(
            Label("放款决定应为 {choices} 之一", "a funding decision is one of {choices}"),
            choices=Label("放款、暂缓、拒绝", "fund, hold, reject"),
        )
    text = _comment(comment)
    approval = needs_approval(asset.verdict, decision)
    if approval and not text:
        raise FundingCommentError(
            Label(
                "该资产的筛查结论为拒绝：{decision}需要填写意见，说明理由",
                "the screen blocked this asset: to {decision} it, say why in the comment",
            ),
            decision=Label(DECISION_LABELS[decision].zh, DECISION_LABELS[decision].en.lower()),
        )
    now = dt.datetime.now(dt.UTC)
    session.execute(
        update(FundingDecision)
        .where(FundingDecision.screen_asset_id == asset.id, FundingDecision.pending.is_(True))
        .values(pending=False)
    )
    row = FundingDecision(
        lessor=person.lessor, screen_asset_id=asset.id, decision=decision, verdict=asset.verdict, comment=text,
        decided_by=person.username, decided_role=person.role, decided_at=now, needs_approval=approval,
        pending=approval,
    )  # fmt: skip
    session.add(row)
    session.flush()
    event = {
        "funding_decision_id": row.id, "lessor": person.lessor, "screen_id": screen.id,
        "file_name": screen.file_name, "file_sha256": screen.file_sha256, "position": asset.position,
        "asset": _asset_record(asset), "verdict": asset.verdict, "reason_codes": asset.reason_codes,
        "reasons": {"zh": asset.reasons_zh, "en": asset.reasons_en}, "decision": decision, "comment": text,
        "decided_by": person.username, "role": person.role, "decided_at": now.isoformat(),
        "needs_approval": approval,
    }  # fmt: skip
    row.evidence_index = _deposit(
        session, signer, event, person=person, kind="funding-decision", ref=f"funding_decision:{row.id}", at=now,
        channel=channel,
    )  # fmt: skip
    return row


def get_decision(session: Session, lessor: str, decision_id: int) -> FundingDecision:
    row = session.get(FundingDecision, decision_id)
    if row is None or row.lessor != lessor:
        raise NotFoundError(NO_DECISION, decision_id=decision_id)
    return row


def _pending_for_checker(session: Session, person: Person, decision_id: int, verb: Label) -> FundingDecision:
    """Decision `decision_id` as a checker may approve or decline it (`verb` names which in the messages): the
    decision needs a checker and is still waiting for one, and the person is not its maker and has the
    compliance role (`Action.APPROVE_FUNDING`). FundingDecisionError / FundingConflictError otherwise.

    Where the decision stands is said first, then the maker's refusal, then the role's: a maker (of any role)
    who tries to decline their own decision is told to make a new one, the way to change course."""
    row = get_decision(session, person.lessor, decision_id)
    if not row.needs_approval:
        raise FundingDecisionError(Label("此决定无需复核", "this decision needs no approval"))
    if row.approved_by is not None:
        raise FundingConflictError(
            Label("此决定已由 {user} 复核", "this decision was approved by {user} already"),
            user=row.approved_by,
        )
    if row.declined_by is not None:
        raise FundingConflictError(
            Label("此决定已由 {user} 驳回", "this decision was declined by {user} already"),
            user=row.declined_by,
        )
    if not row.pending:
        raise FundingConflictError(
            Label(
                "此决定已被后续决定取代，无需复核",
                "a newer decision has replaced this one; it needs no approval",
            )
        )
    if row.decided_by == person.username:
        raise FundingDecisionError(MAKER_MAY_NOT[verb], verb=verb)
    if not is_allowed(person.role, Action.APPROVE_FUNDING):
        raise FundingDecisionError(
            Label(
                "只有合规角色的用户可以{verb}放款决定（您的角色是 {role}）",
                "only a user with the compliance role may {verb} a funding decision (your role is {role})",
            ),
            verb=verb,
            role=person.role,
        )
    return row


def _settle(session: Session, row: FundingDecision, **values: Any) -> None:
    """Set a checker's answer on a decision only while it is still pending: of two checkers answering at
    once, one does (FundingConflictError for the other)."""
    settled = session.execute(
        update(FundingDecision)
        .where(FundingDecision.id == row.id, FundingDecision.pending.is_(True))
        .values(pending=False, **values)
        .execution_options(synchronize_session=False)
    )
    if settled.rowcount != 1:  # type: ignore[attr-defined]
        raise FundingConflictError(
            Label("此决定已不再待复核", "this decision is no longer awaiting approval")
        )
    session.refresh(row)


def approve(
    session: Session,
    person: Person,
    decision_id: int,
    comment: str | None,
    *,
    signer: NoteSigner | None,
    channel: str = "console",
) -> FundingDecision:
    """`person` approves pending decision `decision_id` (maker–checker): they must have the compliance role
    (`Action.APPROVE_FUNDING`) and must not be its maker; the approval is recorded on the decision and deposited
    in the evidence log with a `signer`. FundingDecisionError / FundingConflictError when it cannot be
    approved; nothing is changed then."""
    row = _pending_for_checker(session, person, decision_id, APPROVING)
    text = _comment(comment)
    now = dt.datetime.now(dt.UTC)
    _settle(session, row, approved_by=person.username, approved_at=now, approval_comment=text)
    event = {
        "funding_decision_id": row.id, "lessor": person.lessor, "decision": row.decision, "verdict": row.verdict,
        "decided_by": row.decided_by, "decision_evidence_index": row.evidence_index,
        "approved_by": person.username, "role": person.role, "approved_at": now.isoformat(), "comment": text,
    }  # fmt: skip
    row.approval_evidence_index = _deposit(
        session, signer, event, person=person, kind="funding-approval", ref=f"funding_approval:{row.id}", at=now,
        channel=channel,
    )  # fmt: skip
    return row


def decline(
    session: Session,
    person: Person,
    decision_id: int,
    reason: str | None,
    *,
    signer: NoteSigner | None,
    channel: str = "console",
) -> FundingDecision:
    """`person` declines (驳回) pending decision `decision_id` with a `reason`: the same checker as `approve`
    (the compliance role, not the maker); the decision stands no more and the asset has no decision in force
    until a maker decides again. The decline is recorded on the decision and deposited in the evidence log
    (kind `funding-decline`). FundingDecisionError / FundingConflictError when it cannot be declined (no
    reason given among them); nothing is changed then."""
    row = _pending_for_checker(session, person, decision_id, DECLINING)
    text = _comment(reason)
    if not text:
        raise FundingCommentError(Label("驳回须填写理由", "a decline must say why"))
    now = dt.datetime.now(dt.UTC)
    _settle(session, row, declined_by=person.username, declined_at=now, decline_reason=text)
    event = {
        "funding_decision_id": row.id, "lessor": person.lessor, "decision": row.decision, "verdict": row.verdict,
        "decided_by": row.decided_by, "decision_evidence_index": row.evidence_index,
        "declined_by": person.username, "role": person.role, "declined_at": now.isoformat(), "reason": text,
    }  # fmt: skip
    row.decline_evidence_index = _deposit(
        session, signer, event, person=person, kind="funding-decline", ref=f"funding_decline:{row.id}", at=now,
        channel=channel,
    )  # fmt: skip
    return row
