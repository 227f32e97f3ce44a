"""A checker's decline (驳回) of a funding decision, as usecases.funding_decisions does it for every caller, on
SQLite and on PostgreSQL: the synth fleet's forged truck (tests/funding_world.py) screened for ALPHA and kept,
a decision to fund it made by an analyst and declined by a compliance user who is not its maker, with the reason
on the decision and in the evidence log; the maker cannot decline their own decision (they decide again);
another lessor's decision is as missing as one that never was; an approved or declined decision is not
answered again; and migration 0019's downgrade leaves no declined decision in effect under 0018."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, select, text

from funding_world import FORGED_ID, funding_file, log_signer, register_forgery
from leaseguard.errors import InvalidInputError, NotFoundError
from leaseguard.evidence import NoteSigner
from leaseguard.store.db import alembic_config, session_factory, upgrade_schema
from leaseguard.store.models import EvidenceRecord, FundingDecision, FundingScreenAsset
from leaseguard.tenancy import add_lessor
from leaseguard.usecases import funding_decisions as funding
from leaseguard.usecases.asset_screen import ScreenFileRequest, read_assets_file, screen_assets_file

ANN = funding.Person("ann", "ALPHA", "analyst")
CAI = funding.Person("cai", "ALPHA", "compliance")
CAO = funding.Person("cao", "ALPHA", "compliance")
BEA = funding.Person("bea", "BETA", "compliance")
REASON = "BETA 的登记未核实，不能放款"


@dataclass(frozen=True)
class Screened:
    """A store with ALPHA's funding file screened and kept: its blocked (forged) and a clear truck."""

    engine: Engine
    signer: NoteSigner
    screen_id: int
    blocked: int  # the forged truck's position in the file
    clear: int


def keep_fleet_screen(engine: Engine, folder: Path) -> Screened:
    """ALPHA and BETA, BETA's forged registration of a fleet truck, ALPHA's funding file screened and kept."""
    with session_factory(engine)() as session, session.begin():
        add_lessor(session, "ALPHA", "Alpha Leasing")
        add_lessor(session, "BETA", "Beta Leasing")
    register_forgery(engine)
    path = funding_file(folder / "funding.csv", bad_row=False)
    report, rows = read_assets_file(path, name="放款文件.csv")
    result = screen_assets_file(engine, ScreenFileRequest(rows=rows, lessor="ALPHA", lang="zh"))
    screen_id = funding.keep_screen(
        engine, folder / "screens", person=ANN, file_name="放款文件.csv", file_sha256="0" * 64,
        report=report, result=result,
    )  # fmt: skip
    with session_factory(engine)() as session:
        found = session.execute(
            select(FundingScreenAsset.asset_id, FundingScreenAsset.position).where(
                FundingScreenAsset.screen_id == screen_id
            )
        )
        positions = {asset_id: position for asset_id, position in found}
        verdict = session.scalar(
            select(FundingScreenAsset.verdict).where(
                FundingScreenAsset.screen_id == screen_id, FundingScreenAsset.asset_id == FORGED_ID
            )
        )
    assert verdict == "block"  # the screen's own finding, which makes funding the truck need a checker
    return Screened(engine, log_signer(), screen_id, positions[FORGED_ID], positions["T01"])


@pytest.fixture(scope="module")
def screened(module_store_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Screened:
    return keep_fleet_screen(module_store_engine, tmp_path_factory.mktemp("fleet"))


def decide(
    world: Screened, person: funding.Person, decision: str = "fund", comment: str = "车辆已现场核验"
) -> int:
    """`person`'s decision on the forged truck (pending: the screen blocked it); its id."""
    with session_factory(world.engine)() as session, session.begin():
        asset = funding.screened_asset(session, "ALPHA", world.screen_id, world.blocked)
        return funding.decide(session, person, asset, decision, comment, signer=world.signer).id


def decline(world: Screened, person: funding.Person, decision_id: int, reason: str | None = REASON) -> None:
    with session_factory(world.engine)() as session, session.begin():
        funding.decline(session, person, decision_id, reason, signer=world.signer)


def approve(world: Screened, person: funding.Person, decision_id: int) -> None:
    with session_factory(world.engine)() as session, session.begin():
        funding.approve(session, person, decision_id, "同意", signer=world.signer)


def decision(world: Screened, decision_id: int) -> FundingDecision:
    with session_factory(world.engine)() as session:
        row = session.get(FundingDecision, decision_id)
        assert row is not None
        session.expunge(row)
    return row


def records(world: Screened, kind: str, ref: str) -> list[dict[str, object]]:
    with session_factory(world.engine)() as session:
        found = session.scalars(
            select(EvidenceRecord).where(EvidenceRecord.kind == kind, EvidenceRecord.ref == ref)
        ).all()
        return [{"lessor": r.lessor, "leaf_index": r.leaf_index, **json.loads(r.content)} for r in found]


def standing(world: Screened) -> tuple[FundingDecision, str]:
    """The decision that stands on the forged truck, and where it stands."""
    with session_factory(world.engine)() as session:
        asset = funding.screened_asset(session, "ALPHA", world.screen_id, world.blocked)
        row = funding.current_decisions(session, [asset.id])[asset.id]
        session.expunge(row)
    return row, funding.status_of(row, current=True)


def pending_ids(world: Screened) -> list[int]:
    with session_factory(world.engine)() as session:
        return [d.id for d, _ in funding.pending_decisions(session, "ALPHA", limit=100)]


def test_a_checker_who_is_not_the_maker_declines_a_pending_decision(screened: Screened) -> None:
    made = decide(screened, ANN)
    assert made in pending_ids(screened)
    decline(screened, CAI, made, f"  {REASON}  ")

    declined = decision(screened, made)
    assert (declined.declined_by, declined.decline_reason, declined.pending) == ("cai", REASON, False)
    assert declined.declined_at is not None and declined.approved_by is None
    # Not in effect: the newest decision on the asset, declined, and off the checker's list.
    row, status = standing(screened)
    assert (row.id, status) == (made, "declined")
    assert made not in pending_ids(screened)

    # In the evidence log: who declined whose decision, why, pointing at the decision's own record.
    (record,) = records(screened, "funding-decline", f"funding_decline:{made}")
    assert record["lessor"] == "ALPHA" and record["leaf_index"] == declined.decline_evidence_index
    assert (record["declined_by"], record["role"], record["decided_by"], record["reason"]) == (
        "cai", "compliance", "ann", REASON,
    )  # fmt: skip
    assert record["decision"] == "fund" and record["verdict"] == "block"
    assert record["decision_evidence_index"] == declined.evidence_index is not None

    # The maker decides again: pending, and approved by a checker it stands in effect.
    again = decide(screened, ANN, "hold", "等待 BETA 回函")
    approve(screened, CAO, again)
    assert standing(screened)[1] == "approved"
    assert funding.status_of(decision(screened, made), current=False) == "declined"


@pytest.mark.parametrize("maker", [CAI, ANN], ids=["compliance", "analyst"])
def test_the_maker_cannot_decline_their_own_decision_and_is_told_to_decide_again(
    screened: Screened, maker: funding.Person
) -> None:
    made = decide(screened, maker)
    with pytest.raises(funding.FundingDecisionError) as refused:
        decline(screened, maker, made)
    assert str(refused.value) == "制单人不能驳回自己的决定：如需改变，请作出新的决定"
    assert refused.value.text("en") == (
        "the maker may not decline their own decision: to change course, make a new decision"
    )
    # Approving their own is refused as before, in its own words.
    with pytest.raises(funding.FundingDecisionError) as own:
        approve(screened, maker, made)
    assert str(own.value) == "制单人不能复核自己的决定：须由另一位合规人员复核"
    unchanged = decision(screened, made)
    assert unchanged.pending and unchanged.declined_by is None
    assert records(screened, "funding-decline", f"funding_decline:{made}") == []
    # What the maker does instead: a new decision, which replaces theirs.
    replaced_by = decide(screened, maker, "reject", "不放款")
    row, status = standing(screened)
    assert (row.id, status) == (replaced_by, "in_effect") and not decision(screened, made).pending


def test_only_the_compliance_role_declines_and_only_with_a_reason(screened: Screened) -> None:
    made = decide(screened, ANN)
    with pytest.raises(funding.FundingDecisionError) as analyst:
        decline(screened, funding.Person("amy", "ALPHA", "analyst"), made)
    assert str(analyst.value) == "只有合规角色的用户可以驳回放款决定（您的角色是 analyst）"
    for reason in (None, "", "   "):
        with pytest.raises(funding.FundingCommentError) as missing:
            decline(screened, CAI, made, reason)
        assert (str(missing.value), missing.value.text("en")) == ("驳回须填写理由", "a decline must say why")
    with pytest.raises(funding.FundingCommentError) as long_reason:
        decline(screened, CAI, made, "长" * (funding.MAX_COMMENT_CHARS + 1))
    assert str(long_reason.value) == (
        f"意见最多 {funding.MAX_COMMENT_CHARS} 个字符（现为 {funding.MAX_COMMENT_CHARS + 1} 个）"
    )
    # The comment's error is the domain's kind of bad input: the API answers it 422 like any other.
    assert isinstance(long_reason.value, InvalidInputError)
    unchanged = decision(screened, made)
    assert unchanged.pending and unchanged.declined_by is None and made in pending_ids(screened)
    assert records(screened, "funding-decline", f"funding_decline:{made}") == []


def test_another_lessors_decision_answers_as_missing(screened: Screened) -> None:
    made = decide(screened, ANN)
    with pytest.raises(NotFoundError) as foreign:
        decline(screened, BEA, made)
    with pytest.raises(NotFoundError) as missing:
        decline(screened, BEA, made + 1_000_000)
    assert str(foreign.value) == f"没有放款决定 {made}"
    assert str(foreign.value) == str(missing.value).replace(str(made + 1_000_000), str(made))
    assert decision(screened, made).pending
    assert records(screened, "funding-decline", f"funding_decline:{made}") == []


def test_an_approved_or_declined_decision_is_not_declined_again(screened: Screened) -> None:
    approved = decide(screened, ANN)
    approve(screened, CAI, approved)
    with pytest.raises(funding.FundingConflictError) as after_approval:
        decline(screened, CAO, approved)
    assert str(after_approval.value) == "此决定已由 cai 复核"
    assert decision(screened, approved).declined_by is None and standing(screened)[1] == "approved"

    declined = decide(screened, ANN)
    decline(screened, CAI, declined)
    with pytest.raises(funding.FundingConflictError) as twice:
        decline(screened, CAO, declined, "同上")
    assert (str(twice.value), twice.value.text("en")) == (
        "此决定已由 cai 驳回",
        "this decision was declined by cai already",
    )
    with pytest.raises(funding.FundingConflictError) as late_approval:
        approve(screened, CAO, declined)
    assert str(late_approval.value) == "此决定已由 cai 驳回"
    # Even its maker, who is told what happened to it before anything else.
    with pytest.raises(funding.FundingConflictError):
        decline(screened, ANN, declined)
    kept = decision(screened, declined)
    assert (kept.declined_by, kept.decline_reason, kept.approved_by) == ("cai", REASON, None)
    assert len(records(screened, "funding-decline", f"funding_decline:{declined}")) == 1

    # A decision that needed no checker (funding a clear truck) has nothing to decline.
    with session_factory(screened.engine)() as session, session.begin():
        asset = funding.screened_asset(session, "ALPHA", screened.screen_id, screened.clear)
        clear = funding.decide(session, ANN, asset, "fund", "", signer=screened.signer).id
    with pytest.raises(funding.FundingDecisionError) as no_checker:
        decline(screened, CAI, clear)
    assert str(no_checker.value) == "此决定无需复核"


# --- migration 0019's downgrade -----------------------------------------------------------------------------


def status_under_0018(engine: Engine, decision_id: int, newest: bool) -> str:
    """Where a decision stands as the code of revision 0018 read it (before declines): replaced by a newer
    one, pending, approved, or else in effect."""
    with engine.connect() as connection:
        pending, approved_by = connection.execute(
            text("select pending, approved_by from funding_decisions where id = :id"), {"id": decision_id}
        ).one()
    if not newest:
        return "superseded"
    if pending:
        return "pending"
    return "approved" if approved_by is not None else "in_effect"


def test_the_downgrade_puts_a_standing_declined_decision_back_to_its_checker(
    own_store: Engine, tmp_path: Path
) -> None:
    upgrade_schema(own_store)
    world = keep_fleet_screen(own_store, tmp_path)
    replaced = decide(world, ANN)
    decline(world, CAI, replaced)
    approved = decide(world, ANN, "hold", "等待 BETA 回函")  # the maker decided again, and it was approved
    approve(world, CAO, approved)
    # A newer decision, declined: the one that stands on the forged truck (an older declined one does not).
    standing_declined = decide(world, ANN, "fund", "BETA 已撤销登记")
    decline(world, CAI, standing_declined)
    assert (standing(world)[0].id, standing(world)[1]) == (standing_declined, "declined")

    command.downgrade(alembic_config(own_store), "0018")
    with own_store.connect() as connection:
        columns = set(connection.execute(text("select * from funding_decisions where 1 = 0")).keys())
        version = connection.execute(text("select version_num from alembic_version")).scalar_one()
    assert version == "0018" and "declined_by" not in columns and "decline_reason" not in columns
    # The declined decision that stood is pending again: under 0018 not in effect, and on the checker's list.
    assert status_under_0018(own_store, standing_declined, newest=True) == "pending"
    assert status_under_0018(own_store, approved, newest=False) == "superseded"
    assert status_under_0018(own_store, replaced, newest=False) == "superseded"
    with own_store.connect() as connection:
        pending = (
            connection.execute(
                text("select id from funding_decisions where pending = :yes order by id"), {"yes": True}
            )
            .scalars()
            .all()
        )
    assert pending == [standing_declined]  # the older declined one is not put back on the list

    # And up again: the schema is whole, the decision pending as the downgrade left it.
    upgrade_schema(own_store)
    back = decision(world, standing_declined)
    assert back.pending and back.declined_by is None
    assert standing(world)[1] == "pending"
