"""Entry point of the `leaseguard` command; each capability registers its own commands.

A capability's commands are imported only when one of them runs (LightGBM, reportlab, Spark and the rest
take seconds to import): `leaseguard --help` lists them from the short help below without importing them.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from leaseguard.cli import common
from leaseguard.cli.common import LangOption, WorkspaceOption, chosen_lang, fail, open_workspace, say
from leaseguard.errors import LeaseguardError
from leaseguard.vocabulary import Label


def _register(module: str, *extra: str) -> Callable[[typer.Typer], None]:
    def load(target: typer.Typer) -> None:
        importlib.import_module(f"leaseguard.cli.{module}").register(target, *(typer.Typer() for _ in extra))

    return load


def _book(target: typer.Typer) -> None:
    from leaseguard.cli import (
        classification_commands,
        collections_commands,
        schedule_commands,
        warning_analytics_commands,
    )
    from leaseguard.cli.book_app import book_app

    warning_analytics_commands.register(book_app)
    collections_commands.register(book_app)
    classification_commands.register(typer.Typer(), book_app)
    schedule_commands.register(book_app)
    target.add_typer(book_app)


# name → (how to register it, its short help in `leaseguard --help`)
LAZY_COMMANDS: dict[str, tuple[Callable[[typer.Typer], None], str]] = {
    "synth": (_register("synth_commands"), "Write a synthetic book with labelled fraud and defaults."),
    "import": (_register("import_commands"), "Load data-contract files (CSV/XLSX) into the store."),
    "serve": (_register("api_commands"), "Serve the HTTP API."),
    "keys": (_register("api_commands"), "API keys: create, list, revoke."),
    "users": (_register("users_commands"), "Console users: create, list, disable, reset passwords."),
    "lessors": (_register("api_commands"), "The consortium's lessors (tenants) and their regimes."),
    "assets": (
        _register("registry_commands"),
        "Check an asset before funding; screen a file or the register.",
    ),
    "evidence": (_register("evidence_commands"), "The append-only evidence log: append, export, verify."),
    "credit": (_register("credit_commands"), "Pre-loan credit: train, score, decide, rules, monitor."),
    "demo": (_register("demo_commands"), "A workspace with a synthetic book, loaded, keyed and served."),
    "report": (_register("report_commands"), "Regulatory indicator reports by the lessor's regime."),
    "run": (_register("classification_commands", "book"), "The daily run: positions, classes, provisions."),
    "book": (_book, "The book: export, schedule, early warning, collection calls, analytics."),
    "cases": (_register("cases_commands"), "Enforcement: claims, demands, case files, case tracking."),
    "contract": (_register("lookup_commands"), "Look up a contract: terms, payments, assets, class, case."),
    "lessee": (_register("lookup_commands"), "Look up a lessee: contracts, assets, classes, checks, cases."),
    "tracking": (
        _register("tracking_commands"),
        "Vehicle and machine terminals (JT/T 808, BeiDou/GPS): decode a frame.",
    ),
}


@cache
def _loaded(name: str) -> Any:
    register, _ = LAZY_COMMANDS[name]
    holder = typer.Typer()
    holder.callback()(lambda: None)  # a group, even when the capability registers a single command
    register(holder)
    return typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]


class _LazyGroup(TyperGroup):
    """Lists every command at once; imports a capability's commands only when one of them is asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """For listing (help, completion): a stand-in with the short help; running goes by resolve_command."""
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in LAZY_COMMANDS:
            return found
        return TyperCommand(cmd_name, help=LAZY_COMMANDS[cmd_name][1])

    def invoke(self, ctx: Any) -> Any:
        """Any domain error a command lets through is its one line and exit 1 (leaseguard.errors), never a
        traceback."""
        try:
            return super().invoke(ctx)
        except LeaseguardError as error:
            fail(error)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[Any, Any, list[str]]:
        if args and args[0] in LAZY_COMMANDS:
            return args[0], _loaded(args[0]), args[1:]
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="leaseguard",
    cls=_LazyGroup,
    help="Risk control for financial leasing: asset checks, credit, the daily book, evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _before_every_command(workspace: WorkspaceOption = None) -> None:
    # Whatever a command writes (workspace files, exports, case files) holds lessees' personal data: new
    # files and folders are their owner's only; share one on purpose with chmod.
    os.umask(0o077)
    # `leaseguard -w DIR COMMAND …` as well as `leaseguard COMMAND … -w DIR` (the command's own wins).
    common.workspace_given_first = workspace
    common.speaking = None  # each run finds its language anew (tests run many in one process)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the workspace.")] = Path("."),
    lang: LangOption = None,
) -> None:
    """Create a workspace: config with the shipped defaults, signing keys, and a migrated store."""
    from leaseguard.store.db import shown_url
    from leaseguard.workspace import WorkspaceError, init_workspace

    chosen_lang(lang)  # a failure to create it is said in the language asked for
    try:
        workspace = init_workspace(directory)
    except WorkspaceError as error:
        fail(error)
    chosen_lang(lang, workspace)
    say(Label("工作区已就绪：[bold]{root}[/]", "workspace ready at [bold]{root}[/]"), root=workspace.root)
    say(Label("  配置文件  {path}", "  config   {path}"), path=workspace.root / "leaseguard.yaml")
    say(Label("  数据库    {url}", "  store    {url}"), url=shown_url(workspace.database_url))
    say(
        Label("  密钥      {path}", "  keys     {path}"),
        path=workspace.path("keys", "evidence_signing_key").parent,
    )


@app.command()
def migrate(workspace: WorkspaceOption = None, lang: LangOption = None) -> None:
    """Upgrade the store's schema to the newest version (SQLite or PostgreSQL)."""
    from sqlalchemy.exc import SQLAlchemyError

    from leaseguard.store.db import shown_url, store_error_reason, upgrade_schema

    opened = open_workspace(workspace)
    chosen_lang(lang, opened)
    url = opened.database_url
    try:
        engine = opened.engine()
        try:
            upgrade_schema(engine)
        finally:
            engine.dispose()
    except SQLAlchemyError as error:
        fail(
            Label("无法迁移 {url} 的数据库：{reason}", "the store at {url} could not be migrated: {reason}"),
            url=shown_url(url),
            reason=store_error_reason(error, url),
        )
    say(Label("数据库结构已是最新：{url}", "schema up to date at {url}"), url=shown_url(url))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
