"""What every command shares: the workspace option, one-line failures, the console."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:  # the store's modules take a second to import: only commands that open one pay for it
    from leaseguard.vocabulary import Lang
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


def chosen_lang(given: str | None, workspace: Workspace | None = None) -> Lang:
    """The --lang given, else the workspace's `lang`, else Chinese; a bad value is one line and exit 1."""
    from leaseguard.vocabulary import DEFAULT_LANG, lang_of

    value = (
        given
        if given is not None
        else (workspace.setting("lang", default=DEFAULT_LANG) if workspace else DEFAULT_LANG)
    )
    try:
        return lang_of(value)
    except ValueError as error:
        fail(f"--lang: {error}" if given is not None else f"leaseguard.yaml lang: {error}")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one readable line to stderr and exit non-zero."""
    error_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def parse_day(value: str, option: str = "--as-of") -> dt.date:
    """A date option's value, or one readable line and exit 1."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date (YYYY-MM-DD)")


# The workspace named before the command (`leaseguard -w DIR COMMAND`), set by the root command each run.
workspace_given_first: Path | None = None


def open_workspace(directory: Path | None) -> Workspace:
    from leaseguard.workspace import WorkspaceError, find_workspace

    try:
        return find_workspace(directory if directory is not None else workspace_given_first)
    except WorkspaceError as error:
        fail(str(error))


def progress_bar() -> Progress:
    """The progress bar every long command shows: what, a bar, done of total, time so far."""
    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
