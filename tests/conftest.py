"""Shared fixtures: a real app on a real SQLite file, migrated by Alembic.

The migrations run once per test session into a template file; each test
gets its own copy of that file, so every test still starts from exactly the
schema the migrations build, without paying for them each time.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings

from tests.people import Person
from workshop import clock as workshop_clock
from workshop import create_app
from workshop.extensions import db
from workshop.migrate import upgrade_database
from workshop.models import Base, Participant, Phase, User, UserRole, Workshop
from workshop.services import accounts, participants, rounds, workshops
from workshop.throttles import limiter

# Property tests check what is true, never how fast: a busy machine must not fail them.
hypothesis_settings.register_profile("workshop", deadline=None)
hypothesis_settings.load_profile("workshop")

PASSWORD = "correct horse battery"
# Tests hash passwords with one iteration: the slow production hash buys nothing here.
FAST_PASSWORD_HASH = "pbkdf2:sha256:1"


def app_config(tmp_path: Path, database: Path) -> dict[str, Any]:
    """The configuration every test app runs with."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_ENGINES": {"default": f"sqlite:///{database}"},
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "workshop.test",
        "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH,
        # Counters are published right after each change, so a test reads them at once;
        # tests/test_coalescing.py turns coalescing on to test it.
        "LIVE_COALESCE_SECONDS": 0,
    }


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file the real migrations built, once per test session."""
    folder = tmp_path_factory.mktemp("template")
    database = folder / "template.sqlite3"
    app = create_app(app_config(folder, database))
    upgrade_database(app)
    with app.app_context():
        with db.engine.connect() as connection:
            # Everything into the main file, so a plain copy is the whole database.
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
    return database


@pytest.fixture(scope="session")
def session_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app and one engine for the whole session: building the URL map and compiling
    SQL are the slow parts of a fresh app, and both are cached per app and per engine."""
    folder = tmp_path_factory.mktemp("app")
    app = create_app(app_config(folder, folder / "test.sqlite3"))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(migrated_template: Path, session_app: Flask) -> Flask:
    """The app on a fresh copy of the migrated template: every test starts from the schema
    the migrations build and sees nothing of any other test."""
    with session_app.app_context():
        db.engine.dispose()  # no connection may outlive the file it was opened on
        database = Path(db.engine.url.database or "")
    for leftover in (
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
    ):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(migrated_template, database)
    limiter.reset()  # throttles count per test
    return session_app


class MovableClock:
    """The services' clock, which a test moves forward instead of sleeping."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> MovableClock:
    """Time that moves when the test says so (``clock.advance(61)``)."""
    movable = MovableClock()
    monkeypatch.setattr(workshop_clock, "now", movable.now)
    return movable


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


@pytest.fixture
def room(app):
    """A facilitator and two participants (Amira, Joost), all connected to one workshop."""
    with app.app_context():
        owner = make_user("fran@example.org")
        workshop = make_workshop(owner)
        code, workshop_id = workshop.join_code, workshop.id
    fran = Person(app, workshop_id)
    assert (
        fran.http.post(
            "/login", data={"email": "fran@example.org", "password": PASSWORD}
        ).status_code
        == 302
    )
    amira, joost = Person(app, workshop_id), Person(app, workshop_id)
    for person, name, level in [(amira, "Amira", "Frontline"), (joost, "Joost", "Team lead")]:
        response = person.http.post(f"/j/{code}", data={"display_name": name, "level": level})
        assert response.status_code == 302
    for person in (fran, amira, joost):
        assert person.connect().is_connected()
    return fran, amira, joost
