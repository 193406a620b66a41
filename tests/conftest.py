"""Shared fixtures: a real app on a real database, migrated by Alembic.

By default the database is a SQLite file: the migrations run once per test session into a
template file, and each test gets its own copy of that file, so every test still starts from
exactly the schema the migrations build without paying for them each time.

With ``TEST_DATABASE_URL`` set to a PostgreSQL server (a role that may create databases, e.g.
``postgresql+pg8000://workshop:workshop@127.0.0.1/postgres``), each test worker gets its own
database, migrated once; each test starts from it emptied (every table truncated, the
identities restarted). Tests about SQLite's files skip themselves there.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio.test_client import SocketIOTestClient
from hypothesis import settings as hypothesis_settings

from tests.people import Person
from workshop import clock as workshop_clock
from workshop import create_app, realtime
from workshop.extensions import db, socketio
from workshop.migrate import upgrade_database
from workshop.models import Base, Participant, Phase, User, UserRole, Workshop
from workshop.services import accounts, participants, rounds, workshops
from workshop.throttles import limiter

# Property tests check what is true, never how fast: a busy machine must not fail them.
hypothesis_settings.register_profile("workshop", deadline=None)
hypothesis_settings.load_profile("workshop")


def _shares(count: int, workers: int) -> list[int]:
    """How many tests each parallel worker is first given, as pytest-xdist's work-stealing
    scheduler splits the collected list: consecutive shares, in order."""
    sizes = []
    for remaining_workers in range(workers, 0, -1):
        sizes.append(count // remaining_workers)
        count -= sizes[-1]
    return sizes


@pytest.hookimpl(trylast=True)  # after the deselection by -m and -k
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the tests for the parallel workers, each of which starts at the head of its own
    share of the list and, once done, takes from the end of another's:

    - tests marked ``long`` open the shares, dealt out in turn, so they start at once and no
      worker is left running them all while the others idle;
    - tests marked ``waits`` (servers, timers and sockets: mostly waiting, little CPU) open
      the first two shares, a module at a time in turn, so a module of them stays whole and
      its module-wide servers start once, and no one worker waits through all of them (about
      60 s together, the length of the whole run); while they wait the others keep the
      processors busy;
    - everything else keeps its order, so a module's own fixtures are made on one worker.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers < 2:
        return
    long = [item for item in items if item.get_closest_marker("long")]
    waits = [i for i in items if i.get_closest_marker("waits") and not i.get_closest_marker("long")]
    heads: list[list[pytest.Item]] = [long[first::workers] for first in range(workers)]
    modules: dict[Path, list[pytest.Item]] = {}
    for item in waits:
        modules.setdefault(item.path, []).append(item)
    waiting: list[list[pytest.Item]] = [[] for _ in range(min(2, workers))]
    for index, module in enumerate(modules.values()):
        waiting[index % len(waiting)] += module
    for worker, its_waits in enumerate(waiting):
        heads[worker] = its_waits + heads[worker]
    placed = set(long) | set(waits)
    rest = iter([item for item in items if item not in placed])
    ordered: list[pytest.Item] = []
    for head, size in zip(heads, _shares(len(items), workers), strict=True):
        ordered += head + list(itertools.islice(rest, max(size - len(head), 0)))
    items[:] = ordered + list(rest)


_FREEZE_EVERY = 25
# Young collections after 20,000 new objects rather than 700: the ORM makes and drops objects
# by the thousand per test, and each collection walked them again (6.3 s of collection per
# run before, 4.3 s after).
gc.set_threshold(20_000, 20, 20)
_finished_tests = 0


def pytest_runtest_logfinish() -> None:
    """Every few tests, collect the garbage and freeze what survives (the app, its caches and
    compiled statements, the fonts): the collector's full passes then walk only what the
    latest tests made, not the whole heap again, which cost about 9 s of a run's 145 s."""
    global _finished_tests
    _finished_tests += 1
    if _finished_tests % _FREEZE_EVERY == 0:
        gc.collect(1)
        gc.freeze()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Let each test process end at once: its heap (a million objects of caches, fonts and
    compiled statements by the end of a run) is frozen, so the interpreter's last full garbage
    collection skips it instead of walking it for seconds just before the process exits."""
    gc.freeze()


PASSWORD = "correct horse battery"
# Tests hash passwords with one iteration: the slow production hash buys nothing here.
FAST_PASSWORD_HASH = "pbkdf2:sha256:1"


# A PostgreSQL server to run the suite on instead of SQLite files (see the module's docstring).
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
on_postgresql = bool(TEST_DATABASE_URL) and TEST_DATABASE_URL.startswith("postgresql")
sqlite_only = pytest.mark.skipif(on_postgresql, reason="about SQLite's own files")


def app_config(tmp_path: Path, database: Path | str) -> dict[str, Any]:
    """The configuration every test app runs with (``database``: a SQLite file or a URL)."""
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_ENGINES": {"default": url},
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "workshop.test",
        "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH,
        # Counters are published right after each change, so a test reads them at once;
        # tests/test_coalescing.py turns coalescing on to test it.
        "LIVE_COALESCE_SECONDS": 0,
    }


def postgresql_admin() -> sa.Engine:
    """A connection to the server's maintenance database, outside transactions."""
    return sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)


def drop_postgresql_database(admin: sa.Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | str]:
    """A database the real migrations built, once per test session (per worker): a SQLite
    file to copy, or a PostgreSQL database's URL."""
    folder = tmp_path_factory.mktemp("template")
    if on_postgresql:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        name = f"workshop_test_{worker}_{os.getpid()}"
        admin = postgresql_admin()
        drop_postgresql_database(admin, name)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.engine.make_url(TEST_DATABASE_URL).set(database=name)
        app = create_app(app_config(folder, url.render_as_string(hide_password=False)))
        upgrade_database(app)
        with app.app_context():
            db.engine.dispose()
        yield url.render_as_string(hide_password=False)
        drop_postgresql_database(admin, name)
        return
    database = folder / "template.sqlite3"
    app = create_app(app_config(folder, database))
    upgrade_database(app)
    with app.app_context():
        with db.engine.connect() as connection:
            # Everything into the main file, so a plain copy is the whole database.
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
    yield database


@pytest.fixture(scope="session")
def session_app(
    tmp_path_factory: pytest.TempPathFactory, migrated_template: Path | str
) -> Iterator[Flask]:
    """One app and one engine for the whole session: building the URL map and compiling
    SQL are the slow parts of a fresh app, and both are cached per app and per engine."""
    folder = tmp_path_factory.mktemp("app")
    database = migrated_template if on_postgresql else folder / "test.sqlite3"
    app = create_app(app_config(folder, database))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(migrated_template: Path | str, session_app: Flask) -> Iterator[Flask]:
    """The app on a fresh copy of the migrated template: every test starts from the schema
    the migrations build and sees nothing of any other test."""
    with session_app.app_context():
        db.engine.dispose()  # no connection may outlive the file it was opened on
        if on_postgresql:
            _empty_postgresql(db.engine)
        else:
            _fresh_sqlite_copy(Path(db.engine.url.database or ""), Path(migrated_template))
    limiter.reset()  # throttles count per test
    yield session_app
    _forget_test_sockets()


def _forget_test_sockets() -> None:
    """The sockets a test opened leave with it. The Socket.IO server is the session's, so a
    test client left connected would stay in its rooms, and the next test's workshop has the
    same id (each database starts afresh): every later event in that room reached it too,
    two thirds of all the packets a run encoded and decoded."""
    SocketIOTestClient.clients.clear()
    manager = socketio.server.manager
    for state in (manager.rooms, manager.eio_to_sid, manager.callbacks):
        state.clear()
    socketio.server.environ.clear()


def _fresh_sqlite_copy(database: Path, template: Path) -> None:
    for leftover in (
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
    ):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(template, database)


def _empty_postgresql(engine: sa.Engine) -> None:
    """Every table of the test database emptied and its identities restarted, as the
    migrations left it (they add no rows); a server a test started may still hold a
    connection, which is ended first."""
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.connect() as connection:
        connection.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND usename = current_user"  # ours only: never the server's autovacuum
        )
        connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        connection.commit()


T = TypeVar("T")
_built: dict[str, tuple[Path, Any]] = {}


def built_once(key: str, build: Callable[[], T]) -> T:
    """What ``build`` makes (in the database, and what it returns: ids, not rows), made once
    per test process on SQLite: later tests asking for ``key`` get a copy of the database
    file as the first one left it, and the same return value. For long scenarios that
    several tests read; on PostgreSQL each test builds its own. Needs an app context."""
    if on_postgresql:
        return build()
    database = Path(db.engine.url.database or "")
    if key in _built:
        saved, result = _built[key]
        db.session.close()
        db.engine.dispose()
        _fresh_sqlite_copy(database, saved)
        return result
    result = build()
    db.session.close()
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.engine.dispose()
    saved = database.with_name(f"built-{len(_built)}.sqlite3")
    shutil.copyfile(database, saved)
    _built[key] = (saved, result)
    return result


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
    """Every row of every table, as the database driver returns it: equal before and after
    means nothing changed. Plain SQL: it runs a few hundred times per run over some thirty
    tables, and through the ORM it took 3.5 % of the suite's CPU samples. Rows are sorted:
    PostgreSQL returns a row that was rewritten unchanged (a workshop's lock) after the
    others."""
    db.session.expire_all()
    connection = db.session.connection()
    return [
        (
            name,
            sorted(
                (tuple(row) for row in connection.exec_driver_sql(f'SELECT * FROM "{name}"')),
                key=repr,
            ),
        )
        for name in _table_names()
    ]


@functools.cache
def _table_names() -> list[str]:
    return [table.name for table in Base.metadata.sorted_tables]


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


@pytest.fixture
def coalescing(app, monkeypatch):
    """Coalescing on (0.2 s), with the background publisher replaced by the test's hand."""
    monkeypatch.setitem(app.config, "LIVE_COALESCE_SECONDS", 0.2)  # the app outlives the test
    started = []
    monkeypatch.setattr(socketio, "start_background_task", lambda *a: started.append(a))
    monkeypatch.setattr(realtime.coalescer, "_running", False)
    monkeypatch.setattr(realtime.coalescer, "_not_before", {})  # ids repeat across tests
    monkeypatch.setattr(realtime.coalescer, "_room_due", {})
    yield started
    with app.app_context():
        realtime.coalescer.flush()


def facilitated_workshop(app: Flask) -> tuple[Person, str]:
    """A new workshop and its facilitator, logged in with her socket connected: (fran, code)."""
    with app.app_context():
        workshop = make_workshop(make_user("fran@example.org"))
        code, workshop_id = workshop.join_code, workshop.id
    fran = Person(app, workshop_id)
    fran.http.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    fran.connect()
    return fran, code


def arrive(app: Flask, workshop_id: int, code: str, name: str) -> Person:
    """A participant who joins with the code over HTTP, then connects their socket."""
    person = Person(app, workshop_id)
    person.http.post(f"/j/{code}", data={"display_name": name, "level": "Frontline"})
    person.connect()
    return person
