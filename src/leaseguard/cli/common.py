"""What every command shares: the workspace option, one-line failures, the console."""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang

if TYPE_CHECKING:  # the store's modules take a second to import: only commands that open one pay for it
    from leaseguard.errors import LeaseguardError
    from leaseguard.workspace import Workspace

console = Console()
error_console = Console(stderr=True)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: $LEASEGUARD_HOME, else the nearest folder upwards with leaseguard.yaml).",
        show_default=False,
    ),
]


LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Language of labels, headers and reasons people read: zh or en (default: lang in leaseguard.yaml, zh).",
        show_default=False,
    ),
]


# The language this run speaks in, once known: the command's --lang (`chosen_lang`), else the workspace's
# `lang` (`open_workspace`); until then the shipped default. Failures are said in it.
speaking: Lang | None = None


def chosen_lang(given: str | None, workspace: Workspace | None = None) -> Lang:
    """The --lang given, else the workspace's `lang`, else Chinese; a bad value is one line and exit 1."""
    from leaseguard.vocabulary import lang_of

    global speaking
    value = (
        given
        if given is not None
        else (workspace.setting("lang", default=DEFAULT_LANG) if workspace else DEFAULT_LANG)
    )
    try:
        speaking = lang_of(value)
    except ValueError as error:
        fail(
            Label("--lang：{error}", "--lang: {error}")
            if given is not None
            else Label("leaseguard.yaml 的 lang：{error}", "leaseguard.yaml lang: {error}"),
            error=error,
        )
    return speaking


def speaking_lang() -> Lang:
    """The language of this run's messages (see `speaking`)."""
    return speaking or DEFAULT_LANG


_FAILED = Label("错误：", "error: ")


def said(message: object, lang: Lang, **params: object) -> str:
    """`message` in `lang`: a Label filled with `params` (each a Label or a domain error said in `lang` too), a
    domain error's text, anything else as it is."""
    from leaseguard.errors import LeaseguardError

    if isinstance(message, LeaseguardError):
        return message.text(lang)
    if isinstance(message, Label):
        rendered = {name: said(value, lang) if isinstance(value, Label | LeaseguardError) else value
                    for name, value in params.items()}  # fmt: skip
        return message.text(lang, **rendered)
    return str(message)


def say(message: str | Label, **params: object) -> None:
    """Print a line to the console in the run's language (`speaking_lang`): rich markup in the Label is kept,
    a text value is printed as it is (a path or a name with brackets is not taken for markup), and a long line
    is left whole for the terminal to wrap, so a path or a command is copied in one piece."""
    shown = {
        name: escape(str(value)) if isinstance(value, str | Path) else value for name, value in params.items()
    }
    console.print(said(message, speaking_lang(), **shown), soft_wrap=True)


def fail(message: str | Label | LeaseguardError, code: int = 1, **params: object) -> NoReturn:
    """Print one readable line to stderr, in the run's language, and exit non-zero.

    `message`: a domain error (its text in the run's language), a Label with its `params`, or text as is. A
    parameter that is itself a Label or a domain error is said in the same language."""
    lang = speaking_lang()
    text = said(message, lang, **params)
    error_console.print(f"[bold red]{_FAILED.text(lang)}[/]{escape(text)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def parse_day(value: str, option: str = "--as-of") -> dt.date:
    """A date option's value, or one readable line and exit 1."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(
            Label(
                "{option} {value!r} 不是日期（应为 YYYY-MM-DD）",
                "{option} {value!r} is not a date (YYYY-MM-DD)",
            ),
            option=option,
            value=value,
        )


# The workspace named before the command (`leaseguard -w DIR COMMAND`), set by the root command each run.
workspace_given_first: Path | None = None


def open_workspace(directory: Path | None) -> Workspace:
    """The workspace asked for; from here on the run speaks its `lang` unless --lang said otherwise."""
    from leaseguard.vocabulary import lang_of
    from leaseguard.workspace import WorkspaceError, find_workspace

    global speaking
    try:
        workspace = find_workspace(directory if directory is not None else workspace_given_first)
    except WorkspaceError as error:
        fail(error)
    if speaking is None:
        # A bad setting is said by the command's chosen_lang, which names it.
        with suppress(ValueError):
            speaking = lang_of(workspace.setting("lang", default=DEFAULT_LANG))
    return workspace


def progress_bar() -> Progress:
    """The progress bar every long command shows: what, a bar, done of total, time so far."""
    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
