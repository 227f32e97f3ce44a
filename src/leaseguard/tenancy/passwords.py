"""Passwords of console users: Argon2id, never stored or logged in the clear.

The parameters are OWASP's recommended Argon2id setting (19 MiB of memory, two passes, one lane): about a
tenth of a second per sign-in on one core, a cost that makes guessing a stolen hash slow without making the
sign-in page slow. A hash made with other parameters still verifies, and is replaced at the next sign-in."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)


def hash_password(password: str) -> str:
    """The Argon2id hash of `password` in PHC form; a fresh random salt each time."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether `password` is the one `stored_hash` was made from; a damaged hash matches nothing."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether `stored_hash` was made with other parameters than today's (so it is replaced at sign-in)."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@cache
def _decoy_hash() -> str:
    return _HASHER.hash("leaseguard: no such user")


def spend_a_verification(password: str) -> None:
    """Do the work of a verification for a name that has no user, so the answer takes as long as for one that
    has: the time of a failed sign-in does not tell which usernames exist."""
    verify_password(_decoy_hash(), password)
