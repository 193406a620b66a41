"""One SQLAlchemy engine per app and one session per application context.

Flask-SQLAlchemy-Lite did this for us but also registers an ``async``
teardown on every request; under gevent all requests share one OS thread,
and the event loop that teardown starts collides between concurrent
requests (500s on parallel static files). The app has no async engine, so
this small synchronous holder is all it needs.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy import orm


def make_engine(url: str | sa.URL) -> sa.Engine:
    """An engine for ``url``, tuned for how this app uses its database.

    SQLite gets WAL, a busy timeout and enforced foreign keys on every
    connection: WAL lets readers (every live screen) carry on while one
    writer commits; the busy timeout turns a brief lock into a short wait
    instead of an error. Other databases get pre-ping, to survive restarts
    and idle timeouts.
    """
    url = sa.engine.make_url(url)
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(url)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted content is overwritten, not left in free pages (see voters.py).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    return engine


def rows_changed(result: sa.Result[Any]) -> int:
    """How many rows an UPDATE or DELETE sent through ``Session.execute`` changed: its result
    is a cursor result, which SQLAlchemy's types for that method do not say."""
    return cast(sa.CursorResult[Any], result).rowcount


class Database:
    """Created unbound in extensions.py; ``init_app`` builds the engine from config."""

    def init_app(self, app: Flask) -> None:
        """Create the engine from ``SQLALCHEMY_ENGINES["default"]``; close sessions on teardown."""
        self.bind(app, make_engine(app.config["SQLALCHEMY_ENGINES"]["default"]))
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def bind(app: Flask, engine: sa.Engine) -> None:
        """Point the app's sessions at ``engine`` (the one from config, or another database)."""
        app.extensions["workshop.db"] = orm.sessionmaker(bind=engine)

    @property
    def engine(self) -> sa.Engine:
        """The current app's engine."""
        bind = self._sessionmaker().kw["bind"]
        assert isinstance(bind, sa.Engine)
        return bind

    @property
    def session(self) -> orm.Session:
        """The session of the current application context, created on first use."""
        if "_workshop_session" not in g:
            g._workshop_session = self._sessionmaker()()
        return g._workshop_session

    @staticmethod
    def _sessionmaker() -> orm.sessionmaker[orm.Session]:
        return current_app.extensions["workshop.db"]

    @staticmethod
    def _close_session(_error: BaseException | None) -> None:
        session = g.pop("_workshop_session", None)
        if session is not None:
            session.close()
