"""Shared fixtures: a real app on a real SQLite file, migrated by Alembic."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from workshop import create_app
from workshop.extensions import db
from workshop.migrate import upgrade_database
from workshop.models import Base, Participant, Phase, User, UserRole, Workshop
from workshop.services import accounts, participants, rounds, workshops

PASSWORD = "correct horse battery"


@pytest.fixture
def app(tmp_path) -> Iterator[Flask]:
    """An app on its own SQLite file, schema built by the real migrations."""
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_ENGINES": {"default": f"sqlite:///{tmp_path / 'test.sqlite3'}"},
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "workshop.test",
        }
    )
    upgrade_database(app)
    yield app


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An application context, as the CLI and socket handlers have."""
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def make_user(email: str, role: UserRole = UserRole.FACILITATOR, name: str | None = None) -> User:
    return accounts.create_user(
        email=email, display_name=name or email.split("@")[0].title(), password=PASSWORD, role=role
    )


def make_workshop(owner: User, **overrides: Any) -> Workshop:
    settings = workshops.WorkshopSettings(
        title=overrides.pop("title", "Rewriting our mission"),
        organisation=overrides.pop("organisation", "Harbour Health"),
        brief_md=overrides.pop("brief_md", "Why we are here"),
        values=overrides.pop("values", ["Care", "Integrity"]),
        departments=overrides.pop("departments", []),
        dots_per_participant=overrides.pop("dots_per_participant", 3),
    )
    assert not overrides, overrides
    return workshops.create_workshop(owner, settings)


def join(
    workshop: Workshop, name: str = "Amira", level: str = "Frontline", department: str | None = None
) -> Participant:
    if department is None:
        department = workshop.departments[0] if workshop.departments else ""
    return participants.join_workshop(
        workshop.join_code, display_name=name, level=level, department=department
    )


def in_phase(owner: User, workshop: Workshop, phase: Phase) -> Workshop:
    return rounds.set_phase(owner, workshop.id, phase)


def db_fingerprint() -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every row of every table: equal before and after means nothing changed."""
    db.session.expire_all()
    return [
        (table.name, [tuple(row) for row in db.session.execute(sa.select(table)).all()])
        for table in Base.metadata.sorted_tables
    ]


@pytest.fixture
def facilitator(ctx: None) -> User:
    return make_user("fran@example.org", name="Fran Facilitator")


@pytest.fixture
def workshop(facilitator: User) -> Workshop:
    return make_workshop(facilitator)
