"""Tenancy: lessors (tenants), API keys with a role, and the permission table the API enforces."""

from leaseguard.tenancy.models import IssuedKey, KeyInfo, Principal
from leaseguard.tenancy.permissions import PERMISSIONS, Action, allowed_actions, is_allowed
from leaseguard.tenancy.service import (
    PARTY_KEY_LABELS,
    PARTY_KEYS,
    REGIMES,
    LessorConflictError,
    TenancyError,
    UnknownKeyError,
    UnknownLessorError,
    UnknownRoleError,
    add_lessor,
    authenticate,
    check_uscc,
    create_key,
    get_lessor,
    list_keys,
    list_lessors,
    revoke_key,
)
from leaseguard.vocabulary import ROLES

__all__ = [
    "PARTY_KEYS",
    "PARTY_KEY_LABELS",
    "PERMISSIONS",
    "REGIMES",
    "ROLES",
    "Action",
    "IssuedKey",
    "KeyInfo",
    "LessorConflictError",
    "Principal",
    "TenancyError",
    "UnknownKeyError",
    "UnknownLessorError",
    "UnknownRoleError",
    "add_lessor",
    "allowed_actions",
    "authenticate",
    "check_uscc",
    "create_key",
    "get_lessor",
    "is_allowed",
    "list_keys",
    "list_lessors",
    "revoke_key",
]
