"""Engines for the store: SQLite in WAL mode by default, PostgreSQL when a URL says so."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while an import writes; NORMAL sync is durable across app crashes in WAL mode.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def as_date(value: object) -> dt.date:
    """A date column's value: PostgreSQL's driver gives a date, SQLite's gives ISO text (maybe with a time)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def create_store_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite connections get WAL, foreign keys and a busy timeout."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _on_sqlite_connect)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to `revision` with Alembic, on SQLite and PostgreSQL alike."""
    command.upgrade(alembic_config(engine), revision)
