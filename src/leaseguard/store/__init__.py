"""The store: SQLAlchemy models, engines and Alembic migrations (SQLite by default, PostgreSQL in production)."""

from leaseguard.store.db import create_store_engine, session_factory, upgrade_schema
from leaseguard.store.models import (
    ApiKey,
    Asset,
    Base,
    Contract,
    ImportRun,
    Lessor,
    Payment,
    Valuation,
)

__all__ = [
    "ApiKey",
    "Asset",
    "Base",
    "Contract",
    "ImportRun",
    "Lessor",
    "Payment",
    "Valuation",
    "create_store_engine",
    "session_factory",
    "upgrade_schema",
]
