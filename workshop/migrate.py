"""Alembic, driven from the app: ``workshop db upgrade`` and the upgrade before serving."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from flask import Flask

from .extensions import db

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

UPGRADE_LOCK = 0x4D495353
"""PostgreSQL's advisory lock key for schema upgrades (any number no other lock uses)."""


def alembic_config() -> Config:
    """Alembic's config, pointing at the package's migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade_database(app: Flask, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (the newest by default)."""
    config = alembic_config()
    with app.app_context(), db.engine.begin() as connection:
        _wait_for_other_upgrades(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _wait_for_other_upgrades(connection: sa.Connection) -> None:
    """Let one process at a time upgrade, for the whole of its transaction: several
    ``workshop serve`` started at once (README's scale-out) each upgrade first, and on a fresh
    database every one found no tables, created them, and all but one failed. The next one
    now reads the schema only once the one before has committed, and finds it up to date.
    PostgreSQL: an advisory lock held until commit; SQLite: the database's write lock, taken
    before the first read (a wait is bounded by the connection's busy timeout)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({UPGRADE_LOCK})")
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_revision(app: Flask, message: str) -> None:
    """Write a new migration from the difference between models and database (developers)."""
    config = alembic_config()
    with app.app_context(), db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
