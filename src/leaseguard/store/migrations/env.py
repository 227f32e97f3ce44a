"""Alembic environment: runs against the engine handed in by `upgrade_schema`, or `sqlalchemy.url`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from leaseguard.store.db import create_store_engine
from leaseguard.store.models import Base

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    return create_store_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///leaseguard.db")


def run_migrations_online() -> None:
    with _engine().begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
