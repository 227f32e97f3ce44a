"""`leaseguard serve`, `leaseguard keys …` and `leaseguard lessors …`: the API and who may call it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table

from leaseguard.cli.common import (
    LangOption,
    WorkspaceOption,
    chosen_lang,
    console,
    error_console,
    fail,
    open_workspace,
    say,
    speaking_lang,
)
from leaseguard.vocabulary import ROLES, Label

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
        fail(error)
    except SQLAlchemyError as error:
        fail(STORE_UNUSABLE, error=type(error).__name__)
    finally:
        engine.dispose()


STORE_UNUSABLE = Label(
    "无法使用数据库（{error}）；是否已迁移？请试试 `leaseguard migrate`",
    "the store could not be used ({error}); is it migrated? try `leaseguard migrate`",
)


def _in_store(workspace: WorkspaceOption, lang: str | None, work: Callable[[Session], Result]) -> Result:
    opened = open_workspace(workspace)
    chosen_lang(lang, opened)
    with _transaction(opened) as session:
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
    lang: LangOption = None,
) -> None:
    """Serve the HTTP API over the workspace's store."""
    from sqlalchemy import make_url

    from leaseguard.workspace import WorkspaceError

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    api_host = host or str(opened.setting("api", "host", default="127.0.0.1"))
    api_port = port or int(opened.setting("api", "port", default=8000))
    api_workers = workers or opened.setting("api", "workers", default=1)
    if not isinstance(api_workers, int) or isinstance(api_workers, bool) or not 1 <= api_workers <= 64:
        fail(
            Label(
                "{file}：设置 api.workers 应为 1 到 64 之间的整数",
                "{file}: setting api.workers must be a whole number from 1 to 64",
            ),
            file=opened.root / "leaseguard.yaml",
        )
    # Imported here so commands that never serve do not pay for importing FastAPI and uvicorn.
    from leaseguard.api import server
    from leaseguard.evidence import log_settings

    log_settings(opened)  # a missing or unreadable signing key stops here, not in every worker
    try:
        server.body_limit(opened)  # so is a bad api.max_body_bytes, said in the run's language
    except WorkspaceError as error:
        fail(error)
    base = f"http://{api_host}:{api_port}"
    store = make_url(opened.database_url).render_as_string(hide_password=True)
    say(
        Label(
            "API 服务启动：数据库 {store}，{workers} 个工作进程",
            "serving the API over {store} with {workers} worker process(es)",
        ),
        store=store,
        workers=api_workers,
    )
    say(Label("  接口文档  {base}/docs", "  docs     {base}/docs"), base=base)
    say(Label("  OpenAPI   {base}/openapi.json", "  OpenAPI  {base}/openapi.json"), base=base)
    say(Label("  控制台    {base}/login", "  console  {base}/login"), base=base)
    say(
        Label("  创建密钥  {command}", "  a key    {command}"),
        command="leaseguard keys create --lessor CODE --role analyst",
    )
    server.run_workspace_server(opened.root, host=api_host, port=api_port, workers=api_workers, lang=chosen)


@keys_app.command("create")
def keys_create(
    lessor: Annotated[str, typer.Option(help="Code of the lessor (tenant) the key belongs to.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    label: Annotated[str | None, typer.Option(help="A note on who or what uses the key.")] = None,
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """Issue an API key; it is printed once and only its hash is stored."""
    from leaseguard.tenancy import create_key

    issued = _in_store(
        workspace, lang, lambda session: create_key(session, lessor=lessor, role=role, label=label)
    )
    say(
        Label(
            "出租人 {lessor} 的 API 密钥，角色 {role}（前缀 {prefix}）：",
            "API key for lessor {lessor}, role {role} (prefix {prefix}):",
        ),
        lessor=issued.lessor,
        role=issued.role,
        prefix=issued.prefix,
    )
    # Plain print: the key must come out on one line, unwrapped and unstyled, for copying.
    typer.echo(issued.key)
    warning = Label(
        "[bold yellow]警告：[/]请立即保存此密钥；它不会再次显示（只保存其哈希值）。",
        "[bold yellow]warning:[/] store this key now; it will not be shown again (only its hash is kept).",
    )
    error_console.print(warning.text(speaking_lang()), highlight=False)


@keys_app.command("list")
def keys_list(
    lessor: Annotated[str | None, typer.Option(help="Only this lessor's keys.")] = None,
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """List API keys (prefixes only; secrets are never stored)."""
    from leaseguard.tenancy import list_keys

    keys = _in_store(workspace, lang, lambda session: list_keys(session, lessor))
    chosen = speaking_lang()
    if not keys:
        say(Label("没有 API 密钥", "no API keys"))
        return
    table = Table(*(header.text(chosen) for header in KEY_HEADERS))
    for key in keys:
        created = key.created_at.strftime("%Y-%m-%d %H:%M") if key.created_at else ""
        status = (
            REVOKED.text(chosen, at=f"{key.revoked_at:%Y-%m-%d %H:%M}")
            if key.revoked_at
            else ACTIVE.text(chosen)
        )
        table.add_row(key.prefix, key.lessor, key.role, key.label or "", created, status)
    console.print(table)


KEY_HEADERS = (
    Label("前缀", "prefix"),
    Label("出租人", "lessor"),
    Label("角色", "role"),
    Label("备注", "label"),
    Label("创建时间（UTC）", "created (UTC)"),
    Label("状态", "status"),
)
ACTIVE = Label("有效", "active")
REVOKED = Label("已于 {at} UTC 吊销", "revoked {at} UTC")


@keys_app.command("revoke")
def keys_revoke(
    prefix: Annotated[str, typer.Argument(help="Prefix of the key, as `keys list` shows it.")],
    workspace: WorkspaceOption = None,
    lang: LangOption = None,
) -> None:
    """Revoke an API key at once; requests with it answer 401 from now on."""
    from leaseguard.tenancy import revoke_key

    key = _in_store(workspace, lang, lambda session: revoke_key(session, prefix))
    say(
        Label(
            "已吊销密钥 {prefix}（出租人 {lessor}，角色 {role}）",
            "revoked key {prefix} (lessor {lessor}, role {role})",
        ),
        prefix=key.prefix,
        lessor=key.lessor,
        role=key.role,
    )


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
    lang: LangOption = None,
) -> None:
    """Add a lessor (tenant); adding it again with the same name records any details given, nothing else."""
    from leaseguard.tenancy import PARTY_KEY_LABELS, PARTY_KEYS, REGIMES, add_lessor

    opened = open_workspace(workspace)
    chosen = chosen_lang(lang, opened)
    if regime is not None and regime not in REGIMES:
        fail(
            Label("--regime {regime!r}：应为 {choices}", "--regime {regime!r}: use {choices}"),
            regime=regime,
            choices=Label(" 或 ".join(REGIMES), " or ".join(REGIMES)),
        )
    added = _in_store(
        opened.root,
        lang,
        lambda session: add_lessor(
            session, code, name, uscc=uscc, address=address, legal_representative=legal_representative,
            regime=regime,
        ),
    )  # fmt: skip
    colon = "：" if chosen == "zh" else ": "
    console.print(f"{LESSOR.text(chosen)} {added.code}{colon}{added.name}", highlight=False)
    extra = added.extra or {}
    for key in PARTY_KEYS:
        if extra.get(key):
            console.print(f"  {PARTY_KEY_LABELS[key].text(chosen)}{colon}{extra[key]}", highlight=False)
    if extra.get("regime") in REGIMES:
        console.print(
            f"  {REGIME.text(chosen)}{colon}{extra['regime']} ({REGIMES[extra['regime']]})", highlight=False
        )


LESSOR = Label("出租人", "lessor")
REGIME = Label("监管类别", "regime")


@lessors_app.command("list")
def lessors_list(workspace: WorkspaceOption = None, lang: LangOption = None) -> None:
    """List lessors with their party details (unified social credit code, address, legal representative)."""
    from leaseguard.tenancy import PARTY_KEY_LABELS, PARTY_KEYS, list_lessors

    lessors = _in_store(workspace, lang, list_lessors)
    chosen = speaking_lang()
    if not lessors:
        say(Label("没有出租人", "no lessors"))
        return
    table = Table(Label("代码", "code").text(chosen))
    table.add_column(Label("名称", "name").text(chosen), overflow="fold")
    # A code is read whole, never wrapped or cut.
    table.add_column(PARTY_KEY_LABELS["uscc"].text(chosen), no_wrap=True, min_width=18)
    table.add_column(PARTY_KEY_LABELS["address"].text(chosen), overflow="fold")
    table.add_column(PARTY_KEY_LABELS["legal_representative"].text(chosen), overflow="fold")
    for lessor in lessors:
        extra = lessor.extra or {}
        table.add_row(lessor.code, lessor.name, *(str(extra.get(key) or "") for key in PARTY_KEYS))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(keys_app, name="keys")
    app.add_typer(lessors_app, name="lessors")
