"""The schema comes from Alembic on both engines, and SQLite runs in WAL mode with foreign keys on."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from leaseguard.store.db import alembic_config, create_store_engine, upgrade_schema

EXPECTED_TABLES = {
    "lessors",
    "api_keys",
    "assets",
    "contracts",
    "payments",
    "valuations",
    "import_runs",
    "alembic_version",
}


def test_migrations_create_every_table(store_engine: Engine) -> None:
    assert set(inspect(store_engine).get_table_names()) >= EXPECTED_TABLES


def test_upgrade_twice_is_harmless(store_engine: Engine) -> None:
    upgrade_schema(store_engine)
    with store_engine.connect() as connection:
        current = connection.execute(text("select version_num from alembic_version")).scalar_one()
    assert current == ScriptDirectory.from_config(alembic_config(store_engine)).get_current_head()


def test_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    upgrade_schema(engine)
    with engine.connect() as connection:
        assert connection.execute(text("pragma journal_mode")).scalar_one() == "wal"
        with pytest.raises(IntegrityError):
            connection.execute(
                text(
                    "insert into api_keys (prefix, secret_hash, lessor, role) values ('p', 'h', 'NOPE', 'admin')"
                )
            )
    engine.dispose()


def test_migrations_match_the_models(store_engine: Engine) -> None:
    """A model changed without a migration (or the reverse) fails here, on both engines."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from leaseguard.store.models import Base

    with store_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_lessor_extra_migration_goes_down_and_up_keeping_the_lessors(tmp_path: Path) -> None:
    """0010 adds lessors.extra; going back to 0009 drops it (batch mode on SQLite) and keeps every lessor."""
    from alembic import command

    engine = create_store_engine(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    upgrade_schema(engine)
    with engine.begin() as connection:
        connection.execute(
            text("""insert into lessors (code, name, extra) values ('A', 'Alpha', '{"uscc": "x"}')""")
        )
    command.downgrade(alembic_config(engine), "0009")
    assert "extra" not in {column["name"] for column in inspect(engine).get_columns("lessors")}
    with engine.connect() as connection:
        assert connection.execute(text("select code, name from lessors")).all() == [("A", "Alpha")]
    upgrade_schema(engine)
    assert "extra" in {column["name"] for column in inspect(engine).get_columns("lessors")}
    with engine.connect() as connection:
        assert connection.execute(text("select extra from lessors")).scalar_one() is None
    engine.dispose()
