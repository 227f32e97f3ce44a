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
    FILE_INDICATORS = "indicators:file"


# Checking an asset before funding is everyday work for everyone who reads the book.
_BOOK = frozenset({Action.READ_CONTRACTS, Action.READ_ASSETS, Action.CHECK_ASSETS, Action.READ_INDICATORS})
# Credit decisions are taken by the people who underwrite, not by legal.
_UNDERWRITE = frozenset({Action.DECIDE_CREDIT})
# Evidence reads are the caller's own records plus checkpoints and proofs of the shared tree, so every role.
_EVIDENCE = frozenset({Action.READ_EVIDENCE})
# Whether a screened asset is funded is the business's call (analysts, compliance, admins), not legal's; a decision
# to fund or hold an asset whose check said `block` takes effect once a second person, from compliance, approves
# it (maker-checker: usecases.funding_decisions).
_FUND = frozenset({Action.DECIDE_FUNDING})
# Recording and correcting the steps of an enforcement case is the lawyers' work (and the tenant's admin's);
# everyone who reads the book may read the cases.
_TRACK = frozenset({Action.TRACK_CASES})
# Filing a regulatory report is a statement to the regulator, signed off and deposited in the evidence log, and
# the balance sheet it is computed on is the finance team's figures: compliance files them (and the tenant's
# admin); analysts and legal read the indicators and try a what-if, but neither file nor replace the figures.
_FILE = frozenset({Action.FILE_INDICATORS})

# Import runs: a tenant's admin and compliance see the runs of files of its own rows (tenancy.book).
PERMISSIONS: Mapping[str, frozenset[Action]] = MappingProxyType(
    {
        "analyst": _BOOK | _EVIDENCE | _UNDERWRITE | _FUND,
        "compliance": _BOOK | _EVIDENCE | _FUND | _FILE | {Action.READ_IMPORTS, Action.APPROVE_FUNDING},
        "legal": _BOOK | _EVIDENCE | _TRACK,
        "admin": _BOOK | _EVIDENCE | _UNDERWRITE | _FUND | _TRACK | _FILE | {Action.READ_IMPORTS},
    }
)


def is_allowed(role: str, action: Action) -> bool:
    """Whether `role` may perform `action`; an unknown role may do nothing."""
    return action in PERMISSIONS.get(role, frozenset())


def allowed_actions(role: str) -> list[str]:
    return sorted(action.value for action in PERMISSIONS.get(role, frozenset()))
