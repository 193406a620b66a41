"""One SQLAlchemy engine per app and one session per application context.

Flask-SQLAlchemy-Lite did this for us but also registers an ``async``
teardown on every request; under gevent all requests share one OS thread,
and the event loop that teardown starts collides between concurrent
requests (500s on parallel static files). The app has no async engine, so
this small synchronous holder is all it needs.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy import orm


class Database:
    """Created unbound in extensions.py; ``init_app`` builds the engine from config."""

    def init_app(self, app: Flask) -> None:
        """Create the engine from ``SQLALCHEMY_ENGINES["default"]``; close sessions on teardown."""
        url = sa.engine.make_url(app.config["SQLALCHEMY_ENGINES"]["default"])
        options: dict[str, Any] = {}
        if url.get_backend_name() != "sqlite":
            options["pool_pre_ping"] = True  # survive database restarts and idle timeouts
        engine = sa.create_engine(url, **options)
        app.extensions["workshop.db"] = orm.sessionmaker(bind=engine)
        app.teardown_appcontext(self._close_session)

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
        return g._workshop_session  # type: ignore[no-any-return]

    @staticmethod
    def _sessionmaker() -> orm.sessionmaker[orm.Session]:
        return current_app.extensions["workshop.db"]  # type: ignore[no-any-return]

    @staticmethod
    def _close_session(_error: BaseException | None) -> None:
        session = g.pop("_workshop_session", None)
        if session is not None:
            session.close()
