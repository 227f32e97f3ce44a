"""Entry point of the `leaseguard` command; each capability registers its own commands."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from leaseguard.cli import (
    api_commands,
    cases_commands,
    classification_commands,
    credit_commands,
    demo_commands,
    evidence_commands,
    import_commands,
    registry_commands,
    report_commands,
    schedule_commands,
    synth_commands,
    warning_analytics_commands,
)
from leaseguard.cli.book_app import book_app
from leaseguard.cli.common import WorkspaceOption, console, fail, open_workspace
from leaseguard.store.db import shown_url, store_error_reason, upgrade_schema
from leaseguard.workspace import WorkspaceError, init_workspace

app = typer.Typer(
    name="leaseguard",
    help="Risk control for financial leasing: asset checks, credit, the daily book, evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _before_every_command() -> None:
    # Whatever a command writes (workspace files, exports, case files) holds lessees' personal data: new
    # files and folders are their owner's only; share one on purpose with chmod.
    os.umask(0o077)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the workspace.")] = Path("."),
) -> None:
    """Create a workspace: config with the shipped defaults, signing keys, and a migrated store."""
    try:
        workspace = init_workspace(directory)
    except WorkspaceError as error:
        fail(str(error))
    console.print(f"workspace ready at [bold]{workspace.root}[/]")
    console.print(f"  config   {workspace.root / 'leaseguard.yaml'}")
    console.print(f"  store    {shown_url(workspace.database_url)}")
    console.print(f"  keys     {workspace.path('keys', 'evidence_signing_key').parent}")


@app.command()
def migrate(workspace: WorkspaceOption = None) -> None:
    """Upgrade the store's schema to the newest version (SQLite or PostgreSQL)."""
    opened = open_workspace(workspace)
    url = opened.database_url
    try:
        engine = opened.engine()
        try:
            upgrade_schema(engine)
        finally:
            engine.dispose()
    except SQLAlchemyError as error:
        fail(f"the store at {shown_url(url)} could not be migrated: {store_error_reason(error, url)}")
    console.print(f"schema up to date at {shown_url(url)}")


synth_commands.register(app)
import_commands.register(app)
api_commands.register(app)
registry_commands.register(app)
evidence_commands.register(app)
credit_commands.register(app)
demo_commands.register(app)
report_commands.register(app)
warning_analytics_commands.register(book_app)
classification_commands.register(app, book_app)
schedule_commands.register(book_app)
cases_commands.register(app)
app.add_typer(book_app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
