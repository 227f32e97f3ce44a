"""`leaseguard book call`: a collector's call on a contract and what came of it, a promise to pay among them —
the use case of the console's contract page and POST /v1/contracts/{no}/collection-calls (usecases.collections)."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from leaseguard.cli.common import LangOption, WorkspaceOption, chosen_lang, console, fail, open_workspace
from leaseguard.vocabulary import CALL_OUTCOME_LABELS, CALL_OUTCOME_LABELS_EN, CALL_OUTCOMES, Label, label_of


def _operator() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in this environment (a container without USER)
        return "cli"


def call(
    contract_no: Annotated[str, typer.Argument(help="The contract called about.")],
    outcome: Annotated[str, typer.Option(help=f"What came of the call: one of {', '.join(CALL_OUTCOMES)}.")],
    promise_date: Annotated[
        str | None, typer.Option(help="For promise_to_pay: the day promised (YYYY-MM-DD, today or later).")
    ] = None,
    promise_amount: Annotated[
        str | None, typer.Option(help="For promise_to_pay: the yuan promised (12000, 12,000 or 12000.00).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="What was said, in a few words.")] = None,
    by: Annotated[
        str | None,
        typer.Option(help="Who called (default: the user running the command).", show_default=False),
    ] = None,
    lang: LangOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Record a call on a contract — its outcome and a note, a promise's day and amount — and deposit it in the
    evidence log. A broken promise puts the contract first in its tier on the console's /collections."""
    from leaseguard.errors import LeaseguardError
    from leaseguard.evidence import EvidenceError, log_settings
    from leaseguard.store.db import session_factory
    from leaseguard.usecases.collections import CallFormError, CallRequest, contract_lessor, record_call
    from leaseguard.usecases.funding_decisions import Person

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    try:
        signer = log_settings(opened).signer
    except EvidenceError as error:
        fail(error)
    request = CallRequest(
        outcome=outcome, promise_date=promise_date, promise_amount=promise_amount, note=note
    )
    engine = opened.engine()
    try:
        with session_factory(engine)() as session, session.begin():
            lessor = contract_lessor(session, contract_no)
            # The store's operator records for the contract's lessor, as its admin would.
            person = Person(by or _operator(), lessor, "admin")
            done = record_call(session, person, contract_no, request, signer=signer, channel="cli")
    except CallFormError as error:
        option = {"outcome": "--outcome", "promise_date": "--promise-date", "promise_amount": "--promise-amount",
                  "note": "--note"}.get(error.field)  # fmt: skip
        fail(Label("{option}：{problem}", "{option}: {problem}"), option=option or contract_no,
             problem=Label(error.text("zh"), error.text("en")))  # fmt: skip
    except LeaseguardError as error:
        fail(error)
    finally:
        engine.dispose()
    said = label_of(CALL_OUTCOME_LABELS, CALL_OUTCOME_LABELS_EN, done.outcome, chosen)
    if done.promise_date is not None:
        console.print(
            Label(
                "合同 {no}：{outcome}，{day} 前还 {amount} 元（记录 {id}，存证 {index}）",
                "contract {no}: {outcome}, {amount} yuan by {day} (call {id}, evidence {index})",
            ).text(
                chosen,
                no=contract_no,
                outcome=said,
                day=done.promise_date,
                amount=done.promise_amount,
                id=done.id,
                index=done.evidence_index,
            )
        )
    else:
        console.print(
            Label(
                "合同 {no}：{outcome}（记录 {id}，存证 {index}）",
                "contract {no}: {outcome} (call {id}, evidence {index})",
            ).text(chosen, no=contract_no, outcome=said, id=done.id, index=done.evidence_index)
        )


def register(book_app: typer.Typer) -> None:
    book_app.command()(call)
