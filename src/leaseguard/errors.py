"""One family of errors for everything a user can cause: bad input, something not there, a conflict, a busy
store. Every such error is a `LeaseguardError` whose message is one readable line naming where and why; its
class says how the edges answer it — the API with a problem document (`status`, `kind`: see `PROBLEMS`), the
command line with that line and exit code 1. Anything else is a bug: a 500 without its text, a traceback."""

from __future__ import annotations

from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang


class LeaseguardError(Exception):
    """An error the user can fix; the message is one line naming the file, field or thing and the reason.

    Said in both languages: `raise NotFoundError(Label("没有合同 {no}", "no contract {no}"), no=number)`; the edge
    renders `text(lang)` in the reader's language (CLI: --lang or the workspace's `lang`; API: Accept-Language).
    `str(error)` is the shipped default language's text. A plain string is shown as given in every language
    (kept for text that is not words: a path, a value, a message of a library)."""

    def __init__(self, message: str | Label = "", /, **params: object) -> None:
        self.label = message if isinstance(message, Label) else Label(message, message)
        self.params = params
        super().__init__(self.text(DEFAULT_LANG))

    def text(self, lang: Lang = DEFAULT_LANG) -> str:
        """The message in `lang`, its parameters filled in (a parameter that is a Label is rendered too)."""
        params = {
            name: value.text(lang) if isinstance(value, Label) else value
            for name, value in self.params.items()
        }
        return self.label.text(lang, **params) if params else self.label.text(lang)


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


# The kind of each problem in words, for the API's `title` and a console's message.
PROBLEM_TITLES: dict[str, Label] = {
    "invalid-input": Label("输入无效", "Invalid input"),
    "not-found": Label("未找到", "Not found"),
    "conflict": Label("与已存数据冲突", "Conflict"),
    "busy": Label("系统繁忙，请稍后重试", "Busy"),
    "too-large": Label("超出上限", "Too large"),
    "store-fault": Label("数据库不可用", "Store fault"),
}


def problem_of(error: LeaseguardError) -> tuple[int, str]:
    """The (status, kind) of `error`: that of the first class in its method resolution order with one."""
    return next(PROBLEMS[klass] for klass in type(error).__mro__ if klass in PROBLEMS)
