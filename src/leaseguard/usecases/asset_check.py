"""Check one asset before funding: `leaseguard assets check` and POST /v1/assets/check both end here, and
both answer with `AssetCheckResponse` (the CLI's `--json` prints exactly the API's body)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, PrivateAttr
from sqlalchemy import Engine

from leaseguard.evidence.checkpoint import NoteSigner
from leaseguard.registry.check import AssetFacts, CheckOutcome, reason_codes, shown_why
from leaseguard.registry.reasons import reason_texts
from leaseguard.registry.register import Register
from leaseguard.registry.rules import load_rules
from leaseguard.registry.service import (
    CheckRecorder,
    CheckToRecord,
    RecordedCheck,
    RegisterCache,
    record_check,
    shared_view,
)
from leaseguard.store.db import session_factory
from leaseguard.tenancy.service import require_lessor
from leaseguard.timestamps import UtcDatetime
from leaseguard.vocabulary import Lang, Reason


class FindingOut(BaseModel):
    code: str
    verdict: str
    field: str | None
    reason: str


class AssetCheckResponse(BaseModel):
    check_id: int
    checked_at: UtcDatetime
    verdict: str = Field(description="clear, review or block")
    reasons: list[str]
    reason_codes: list[str] = Field(
        description="The codes behind the reasons, once each: finding codes (vin_invalid, price_out_of_range, …), "
        "each match's kind (vin_exact, invoice_reused, …) and different_lessee."
    )
    findings: list[FindingOut]
    matches: list[dict[str, Any]] = Field(
        description="Registrations that are, or may be, this asset. Another lessor's match shows only its lessor "
        "code, registration date, whether its financing is active and the kind of match."
    )
    register_size: int
    evidence_index: int | None = Field(
        description="Index of this check in the evidence log (null when the server runs without a signing key)."
    )
    # The reasons as codes and parameters, for an edge that shows them in the reader's language: the findings'
    # and, one list per match, each match's as the asker may see them.
    _finding_why: list[Reason] = PrivateAttr(default_factory=list)
    _match_why: list[list[Reason]] = PrivateAttr(default_factory=list)

    def reasons_in(self, lang: Lang) -> list[str]:
        """`reasons` in `lang` (as built, the body is in English, the language of the check's record)."""
        return self.finding_reasons_in(lang) + [r for m in self.match_reasons_in(lang) for r in m]

    def said_in(self, lang: Lang) -> AssetCheckResponse:
        """The answer with every reason (the list, each finding's, each match's) in `lang`: what the API
        returns in the caller's language and the CLI's `--json` in the chosen one."""
        said = self.model_copy(deep=True)
        said.reasons = self.reasons_in(lang)
        for finding, reason in zip(said.findings, self.finding_reasons_in(lang), strict=True):
            finding.reason = reason
        for view, reasons in zip(said.matches, self.match_reasons_in(lang), strict=True):
            view["reasons"] = reasons
        said._finding_why, said._match_why = self._finding_why, self._match_why
        return said

    def finding_reasons_in(self, lang: Lang) -> list[str]:
        return reason_texts(self._finding_why, lang)

    def match_reasons_in(self, lang: Lang) -> list[list[str]]:
        return [reason_texts(why, lang) for why in self._match_why]


def answer_of(
    outcome: CheckOutcome, recorded: RecordedCheck, lessor: str, register_size: int
) -> AssetCheckResponse:
    """The answer to `lessor` for a recorded check: another lessor's match shows only what it may see."""
    views = [shared_view(m, lessor) for m in outcome.matches]
    answer = AssetCheckResponse(
        check_id=recorded.check_id,
        checked_at=recorded.asked_at,
        verdict=outcome.verdict.value,
        reasons=[f.reason for f in outcome.findings] + [r for view in views for r in view["reasons"]],
        reason_codes=reason_codes(outcome, lessor),
        findings=[
            FindingOut(code=f.code, verdict=f.verdict.value, field=f.field, reason=f.reason)
            for f in outcome.findings
        ],
        matches=views,
        register_size=register_size,
        evidence_index=recorded.evidence_index,
    )
    answer._finding_why = [f.why for f in outcome.findings]
    answer._match_why = [list(shown_why(m, lessor)) for m in outcome.matches]
    return answer


def check_asset(
    engine: Engine, asked: AssetFacts, *, asked_by: str, channel: str, signer: NoteSigner | None = None
) -> AssetCheckResponse:
    """Check `asked` against every lessor's register and record the check (in the evidence log too, with a
    `signer`) in one transaction. UnknownLessorError when the asking lessor is not registered."""
    with session_factory(engine)() as session, session.begin():
        require_lessor(session, asked.lessor)
        register = Register.from_engine(engine, load_rules())
        outcome = register.check(asked)
        row = record_check(
            session, asked=asked, outcome=outcome, asked_by=asked_by, channel=channel,
            rules_version=register.rules.version, signer=signer,
        )  # fmt: skip
        recorded = RecordedCheck(row.id, row.asked_at, row.evidence_index)
    return answer_of(outcome, recorded, asked.lessor, len(register))


# An answer is given once its check is recorded; a store that cannot take the record in this time is overloaded.
RECORD_TIMEOUT_SECONDS = 30.0


def check_asset_served(
    registers: RegisterCache,
    recorder: CheckRecorder,
    asked: AssetFacts,
    *,
    asked_by: str,
    channel: str,
    timeout_seconds: float = RECORD_TIMEOUT_SECONDS,
) -> AssetCheckResponse:
    """`check_asset` as a server answers it: against the served register (rebuilt only when an import changed
    the assets) and recorded by the server's one writer (in the evidence log too when the server signs), so a
    check from the console costs what one through the API does. The asking lessor is a signed-in user's, so it
    exists. concurrent.futures.TimeoutError when the store cannot take the record in `timeout_seconds`."""
    register = registers.get()
    outcome = register.check(asked)
    submitted = recorder.submit(CheckToRecord(asked, outcome, asked_by, channel, register.rules.version))
    recorded = submitted.result(timeout=timeout_seconds)
    return answer_of(outcome, recorded, asked.lessor, len(register))
