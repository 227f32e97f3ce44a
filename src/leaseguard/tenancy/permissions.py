"""Roles and what each may do, as data: the API checks an action against this table and nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Action(StrEnum):
    """Something a caller may be allowed to do; named `<resource>:<verb>`."""

    READ_CONTRACTS = "contracts:read"
    READ_ASSETS = "assets:read"
    READ_IMPORTS = "imports:read"
    READ_EVIDENCE = "evidence:read"
    CHECK_ASSETS = "assets:check"
    DECIDE_CREDIT = "credit:decide"
    READ_INDICATORS = "indicators:read"
    DECIDE_FUNDING = "funding:decide"
    APPROVE_FUNDING = "funding:approve"
    TRACK_CASES = "cases:track"
    RECORD_COLLECTIONS = "collections:record"
    RUN_BOOK = "book:run"
    READ_CREDIT = "credit:read"
    DEPLOY_CREDIT_POLICY = "credit:deploy-policy"
    ADMINISTER = "lessor:administer"
    FILE_INDICATORS = "indicators:file"
    READ_POSITIONS = "positions:read"


# Checking an asset before funding is everyday work for everyone who reads the book.
_BOOK = frozenset({Action.READ_CONTRACTS, Action.READ_ASSETS, Action.CHECK_ASSETS, Action.READ_INDICATORS})
# Credit decisions are taken by the people who underwrite, not by legal; they, and compliance, read the decisions,
# the policy in force and the score's drift.
_UNDERWRITE = frozenset({Action.DECIDE_CREDIT, Action.READ_CREDIT})
# A new credit policy is tried on the lessor's recent decisions and deployed by compliance alone: those who decide
# applications do not write the rules their decisions are held to.
_POLICY = frozenset({Action.READ_CREDIT, Action.DEPLOY_CREDIT_POLICY})
# Evidence reads are the caller's own records plus checkpoints and proofs of the shared tree, so every role.
_EVIDENCE = frozenset({Action.READ_EVIDENCE})
# Whether a screened asset is funded is the business's call (analysts, compliance, admins), not legal's; a decision
# to fund or hold an asset whose check said `block` takes effect once a second person, from compliance, approves
# it (maker-checker: usecases.funding_decisions).
_FUND = frozenset({Action.DECIDE_FUNDING})
# Recording and correcting the steps of an enforcement case is the lawyers' work (and the tenant's admin's);
# everyone who reads the book may read the cases.
_TRACK = frozenset({Action.TRACK_CASES})
# Calling lessees in arrears and recording what came of each call (a promise to pay among them) is the
# collectors' work: the analysts who work the book, and the tenant's admin. Not compliance: the calls and their
# evidence records are what compliance reviews (collection conduct, promises kept), so its reviewers do not write
# them; not legal: once a contract goes to the lawyers its steps are a case's (`cases:track`). Every role that
# reads the book reads the call list and the calls.
_COLLECT = frozenset({Action.RECORD_COLLECTIONS})
# Starting the daily run (classes and provisions of a day, as `leaseguard run daily`) from the console or the API
# rewrites a day of the book: the tenant's admin only.
_RUN = frozenset({Action.RUN_BOOK})
# Where a leased asset is, from its BeiDou/GPS terminals: a vehicle's track is where its driver went, which the
# PIPL counts as sensitive personal information (个人信息保护法 第二十八条, 行踪轨迹), so only those who act on it
# read it: the analysts who watch the book's assets, legal who has them seized, the tenant's admin. Not
# compliance, whose reviews need the alerts, not the tracks.
_LOCATE = frozenset({Action.READ_POSITIONS})

# A tenant's own administration — its users, API keys, settings and data uploads — is the admin's alone.
_ADMINISTER = frozenset({Action.ADMINISTER})
# Filing a regulatory report is a statement to the regulator, signed off and deposited in the evidence log, and
# the balance sheet it is computed on is the finance team's figures: compliance files them (and the tenant's
# admin); analysts and legal read the indicators and try a what-if, but neither file nor replace the figures.
_FILE = frozenset({Action.FILE_INDICATORS})

# Import runs: a tenant's admin and compliance see the runs of files of its own rows (tenancy.book).
PERMISSIONS: Mapping[str, frozenset[Action]] = MappingProxyType(
    {
        "analyst": _BOOK | _EVIDENCE | _UNDERWRITE | _FUND | _COLLECT | _LOCATE,
        "compliance": _BOOK
        | _EVIDENCE
        | _FUND
        | _POLICY
        | _FILE
        | {Action.READ_IMPORTS, Action.APPROVE_FUNDING},
        "legal": _BOOK | _EVIDENCE | _TRACK | _LOCATE,
        "admin": (
            _BOOK
            | _EVIDENCE
            | _UNDERWRITE
            | _FUND
            | _TRACK
            | _COLLECT
            | _RUN
            | _ADMINISTER
            | _FILE
            | _LOCATE
            | {Action.READ_IMPORTS}
        ),
    }
)


def is_allowed(role: str, action: Action) -> bool:
    """Whether `role` may perform `action`; an unknown role may do nothing."""
    return action in PERMISSIONS.get(role, frozenset())


def allowed_actions(role: str) -> list[str]:
    return sorted(action.value for action in PERMISSIONS.get(role, frozenset()))
