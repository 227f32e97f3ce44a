"""`leaseguard serve`, `leaseguard keys …` and `leaseguard lessors …`: the API and who may call it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table

from leaseguard.cli.common import WorkspaceOption, console, error_console, fail, open_workspace
from leaseguard.vocabulary import ROLES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from leaseguard.workspace import Workspace


keys_app = typer.Typer(help="API keys: each belongs to one lessor and has one role.", no_args_is_help=True)
lessors_app = typer.Typer(help="Lessors: the tenants whose rows the API keeps apart.", no_args_is_help=True)

Result = TypeVar("Result")


@contextmanager
def _transaction(workspace: Workspace) -> Iterator[Session]:
    """A session in one transaction on the workspace's store; a bad request or store error is one line."""
    from sqlalchemy.exc import SQLAlchemyError

    from leaseguard.store.db import session_factory
    from leaseguard.tenancy import TenancyError

    engine = workspace.engine()
    try:
        with session_factory(engine)() as session, session.begin():
            yield session
    except TenancyError as error:
        fail(str(error))
    except SQLAlchemyError as error:
        fail(
            f"the store could not be used ({type(error).__name__}); is it migrated? try `leaseguard migrate`"
        )
    finally:
        engine.dispose()


def _in_store(workspace: WorkspaceOption, work: Callable[[Session], Result]) -> Result:
    with _transaction(open_workspace(workspace)) as session:
        return work(session)


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (default: api.host of the config).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: api.port of the config).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes, each with its own ownership register (default: api.workers of the config).",
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Serve the HTTP API over the workspace's store."""
    from sqlalchemy import make_url

    opened = open_workspace(workspace)
    api_host = host or str(opened.setting("api", "host", default="127.0.0.1"))
    api_port = port or int(opened.setting("api", "port", default=8000))
    api_workers = workers or opened.setting("api", "workers", default=1)
    if not isinstance(api_workers, int) or isinstance(api_workers, bool) or not 1 <= api_workers <= 64:
        fail(f"{opened.root / 'leaseguard.yaml'}: setting api.workers must be a whole number from 1 to 64")
    base = f"http://{api_host}:{api_port}"
    store = make_url(opened.database_url).render_as_string(hide_password=True)
    console.print(f"serving the API over {store} with {api_workers} worker process(es)")
    console.print(f"  docs     {base}/docs")
    console.print(f"  OpenAPI  {base}/openapi.json")
    console.print("  a key    leaseguard keys create --lessor CODE --role analyst")
    # Imported here so commands that never serve do not pay for importing FastAPI and uvicorn.
    from leaseguard.api import server
    from leaseguard.evidence import log_settings

    log_settings(opened)  # a missing or unreadable signing key stops here, not in every worker
    server.run_workspace_server(opened.root, host=api_host, port=api_port, workers=api_workers)


@keys_app.command("create")
def keys_create(
    lessor: Annotated[str, typer.Option(help="Code of the lessor (tenant) the key belongs to.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    label: Annotated[str | None, typer.Option(help="A note on who or what uses the key.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Issue an API key; it is printed once and only its hash is stored."""
    from leaseguard.tenancy import create_key

    issued = _in_store(workspace, lambda session: create_key(session, lessor=lessor, role=role, label=label))
    console.print(f"API key for lessor {issued.lessor}, role {issued.role} (prefix {issued.prefix}):")
    # Plain print: the key must come out on one line, unwrapped and unstyled, for copying.
    typer.echo(issued.key)
    error_console.print(
        "[bold yellow]warning:[/] store this key now; it will not be shown again (only its hash is kept).",
        highlight=False,
    )


@keys_app.command("list")
def keys_list(
    lessor: Annotated[str | None, typer.Option(help="Only this lessor's keys.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List API keys (prefixes only; secrets are never stored)."""
    from leaseguard.tenancy import list_keys

    keys = _in_store(workspace, lambda session: list_keys(session, lessor))
    table = Table("prefix", "lessor", "role", "label", "created (UTC)", "status")
    for key in keys:
        created = key.created_at.strftime("%Y-%m-%d %H:%M") if key.created_at else ""
        status = f"revoked {key.revoked_at:%Y-%m-%d %H:%M} UTC" if key.revoked_at else "active"
        table.add_row(key.prefix, key.lessor, key.role, key.label or "", created, status)
    console.print(table if keys else "no API keys")


@keys_app.command("revoke")
def keys_revoke(
    prefix: Annotated[str, typer.Argument(help="Prefix of the key, as `keys list` shows it.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Revoke an API key at once; requests with it answer 401 from now on."""
    from leaseguard.tenancy import revoke_key

    key = _in_store(workspace, lambda session: revoke_key(session, prefix))
    console.print(f"revoked key {key.prefix} (lessor {key.lessor}, role {key.role})")


@lessors_app.command("add")
def lessors_add(
    code: Annotated[
        str, typer.Argument(help="Short code of the lessor, as in the `lessor` column of files.")
    ],
    name: Annotated[str, typer.Option(help="Full name of the lessor.")],
    uscc: Annotated[
        str | None,
        typer.Option(help="Unified social credit code (18 characters), checked before it is kept."),
    ] = None,
    address: Annotated[str | None, typer.Option(help="Registered address, as a complaint names it.")] = None,
    legal_representative: Annotated[
        str | None, typer.Option(help="Name of the legal representative (法定代表人).")
    ] = None,
    regime: Annotated[
        str | None,
        typer.Option(
            help="Supervisory regime: financial_leasing (金融租赁公司, NFRA) or finance_leasing (融资租赁公司, "
            "local financial regulator); decides the default rule set of `report regulatory`."
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a lessor (tenant); adding it again with the same name records any details given, nothing else."""
    from leaseguard.tenancy import PARTY_KEYS, REGIMES, add_lessor

    if regime is not None and regime not in REGIMES:
        fail(f"--regime {regime!r}: use {' or '.join(REGIMES)}")
    added = _in_store(
        workspace,
        lambda session: add_lessor(
            session, code, name, uscc=uscc, address=address, legal_representative=legal_representative,
            regime=regime,
        ),
    )  # fmt: skip
    console.print(f"lessor {added.code}: {added.name}")
    extra = added.extra or {}
    for key in PARTY_KEYS:
        if extra.get(key):
            console.print(f"  {key.replace('_', ' ')}: {extra[key]}", highlight=False)
    if extra.get("regime") in REGIMES:
        console.print(f"  regime: {extra['regime']} ({REGIMES[extra['regime']]})", highlight=False)


@lessors_app.command("list")
def lessors_list(workspace: WorkspaceOption = None) -> None:
    """List lessors with their party details (unified social credit code, address, legal representative)."""
    from leaseguard.tenancy import PARTY_KEYS, list_lessors

    lessors = _in_store(workspace, list_lessors)
    table = Table("code")
    table.add_column("name", overflow="fold")
    table.add_column("uscc", no_wrap=True, min_width=18)  # a code is read whole, never wrapped or cut
    table.add_column("address", overflow="fold")
    table.add_column("legal representative", overflow="fold")
    for lessor in lessors:
        extra = lessor.extra or {}
        table.add_row(lessor.code, lessor.name, *(str(extra.get(key) or "") for key in PARTY_KEYS))
    console.print(table if lessors else "no lessors")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(keys_app, name="keys")
    app.add_typer(lessors_app, name="lessors")
