"""Engines for the store: SQLite in WAL mode by default, PostgreSQL when a URL says so."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from sqlalchemy import URL, Engine, TextClause, bindparam, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from leaseguard.vocabulary import Label

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# SQLite writes these beside the store; they hold the same rows as the store itself.
_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")
# For text that does not parse as a URL: everything from the user's colon to the last @ (masking too much
# is harmless, leaving a piece of a password that holds an @ is not).
_PASSWORD_IN_URL = re.compile(r"(://[^/:@]*:).*@")


def shown_url(url: str) -> str:
    """`url` as it may be printed or logged: its password, if any, replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _PASSWORD_IN_URL.sub(r"\1***@", url)


def without_password(text: str, url: str) -> str:
    """`text` (e.g. a driver's error message) with the password of `url` masked wherever it appears."""
    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        return _PASSWORD_IN_URL.sub(r"\1***@", text)
    if password:
        for form in {str(password), quote(str(password), safe="")}:
            text = text.replace(form, "***")
    return text


class StoreUrlError(ArgumentError):
    """A store URL SQLAlchemy cannot use; still an ArgumentError for whoever catches the store's errors, and
    said in both languages (`label`)."""

    def __init__(self, label: Label) -> None:
        super().__init__(label.en)
        self.label = label


def store_error_reason(error: BaseException, url: str) -> str | Label:
    """One line on why the store at `url` failed: the driver's own first line, never the password, nor the SQL
    and parameters SQLAlchemy appends (they may hold a lessee's data); ours in both languages."""
    if isinstance(error, StoreUrlError):
        return error.label
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return without_password(lines[0] if lines else type(cause).__name__, url)


def _sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite store, or None for an in-memory one."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:") or url.query.get("uri"):
        return None
    return Path(database)


def _create_private(path: Path) -> None:
    """Create the store's file owner-only before SQLite does, so it is never readable by others, not even empty."""
    if not path.parent.is_dir():
        return  # SQLite's own error says the folder is missing
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _keep_private(path: Path) -> None:
    """Owner-only modes on the store and the files SQLite keeps beside it (SQLite gives new -wal and -shm
    files the store's own mode); tightens stores made before this was enforced."""
    for suffix in _SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        try:
            if companion.stat().st_mode & 0o077:
                companion.chmod(0o600)
        except (FileNotFoundError, PermissionError):
            continue  # absent, or not ours to change (another user's store we may only read)


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while an import writes; NORMAL sync is durable across app crashes in WAL mode.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# Identifiers bound in one `in (…)`: well under SQLite's and PostgreSQL's limits on bound parameters.
IN_LIST_CHUNK = 500
_Item = TypeVar("_Item")


def chunks(items: Sequence[_Item], size: int = IN_LIST_CHUNK) -> Iterator[Sequence[_Item]]:
    """`items` in consecutive slices of at most `size`: the lists one `in (…)` query binds at a time."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def in_list(sql: str, name: str = "nos") -> TextClause:
    """`sql` whose `:name` is bound to a list (`where contract_no in :nos`), expanded into one parameter each."""
    return text(sql).bindparams(bindparam(name, expanding=True))


def as_date(value: object) -> dt.date:
    """A date column's value: PostgreSQL's driver gives a date, SQLite's gives ISO text (maybe with a time)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def create_store_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite connections get WAL, foreign keys and a busy timeout, and the store's files
    are readable by their owner only."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ValueError) as error:
        # SQLAlchemy's message may repeat the whole URL, password included.
        reason = without_password(str(error), url)
        raise StoreUrlError(
            Label("不是有效的数据库 URL {url}：{reason}", "not a valid store URL {url}: {reason}").filled(
                url=shown_url(url), reason=reason
            )
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _on_sqlite_connect)
        store_file = _sqlite_file(engine.url)
        if store_file is not None:

            def before_connect(*_args: Any) -> None:
                _create_private(store_file)

            def after_connect(*_args: Any) -> None:
                _keep_private(store_file)

            event.listen(engine, "do_connect", before_connect)
            event.listen(engine, "connect", after_connect, insert=True)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    # Alembic is imported here, by the commands that migrate: every other command opens the store without it.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to `revision` with Alembic, on SQLite and PostgreSQL alike."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
