"""One family of errors for everything a user can cause: bad input, something not there, a conflict, a busy
store. Every such error is a `LeaseguardError` whose message is one readable line naming where and why; its
class says how the edges answer it — the API with a problem document (`status`, `kind`: see `PROBLEMS`), the
command line with that line and exit code 1. Anything else is a bug: a 500 without its text, a traceback."""

from __future__ import annotations


class LeaseguardError(Exception):
    """An error the user can fix; the message is one line naming the file, field or thing and the reason."""


class InvalidInputError(LeaseguardError, ValueError):
    """A file, a rule, an option or a request that cannot be used as given."""


class NotFoundError(LeaseguardError, LookupError):
    """Something named that is not in the store (or not the asker's)."""


class ConflictError(LeaseguardError):
    """The request contradicts what is stored (a key or origin, an existing record)."""


class BusyError(LeaseguardError):
    """Another job holds what this one needs; try again when it has finished."""


class TooLargeError(LeaseguardError):
    """More than a limit allows."""


class StoreFaultError(LeaseguardError):
    """The store cannot be read or is damaged; the operator must look."""


# How the API answers each kind of error: (HTTP status, problem kind). The most specific class wins.
PROBLEMS: dict[type[LeaseguardError], tuple[int, str]] = {
    InvalidInputError: (422, "invalid-input"),
    NotFoundError: (404, "not-found"),
    ConflictError: (409, "conflict"),
    BusyError: (409, "busy"),
    TooLargeError: (413, "too-large"),
    StoreFaultError: (503, "store-fault"),
    LeaseguardError: (422, "invalid-input"),
}


def problem_of(error: LeaseguardError) -> tuple[int, str]:
    """The (status, kind) of `error`: that of the first class in its method resolution order with one."""
    return next(PROBLEMS[klass] for klass in type(error).__mro__ if klass in PROBLEMS)
