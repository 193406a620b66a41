"""The application factory: wires configuration, extensions, blueprints, sockets and CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import format_date, format_decimal, get_locale
from markupsafe import Markup

from .config import load_config
from .extensions import babel, csrf, db, login_manager, socketio
from .https import serve_over_https
from .identity import SocketAwareSessionInterface
from .locales import LANGUAGE_NAMES, live_catalogue, live_value_names, select_locale
from .message_queue import InOrderRedisManager
from .server import ShallowJSON, UncompressedWebSockets, cap_websocket_messages
from .static_files import modules_imported_by, serve_static_files
from .text import markdown_literal, render_markdown, safe_markdown
from .throttles import limiter

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, sockets, CLI."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    instance_path = Path(app.instance_path)
    if test_config and "INSTANCE_PATH" in test_config:
        instance_path = Path(test_config["INSTANCE_PATH"])
    instance_path.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(load_config(instance_path))
    if test_config:
        app.config.from_mapping(test_config)

    app.session_interface = SocketAwareSessionInterface()
    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    limiter.init_app(app)
    queue = app.config["SOCKETIO_MESSAGE_QUEUE"]
    ordered: dict[str, Any] = {}
    if queue and queue.startswith(("redis://", "rediss://")):
        # Several processes: each room's events reach its sockets in number order.
        ordered["client_manager"] = InOrderRedisManager(queue, channel="flask-socketio")
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=queue,
        **ordered,
        cors_allowed_origins=app.config["SOCKETIO_ALLOWED_ORIGINS"] or None,
        # Commands are small; Engine.IO's 1 MB default only helps abuse.
        max_http_buffer_size=64 * 1024,
        manage_session=True,
        json=ShallowJSON,
    )
    cap_websocket_messages(socketio.server.eio)
    serve_static_files(app, instance_path / "static-gzip")
    if not app.config["WEBSOCKET_COMPRESSION"]:
        app.wsgi_app = UncompressedWebSockets(app.wsgi_app)

    from . import sockets, views
    from .cli import register_commands
    from .forms import fields_in_error, first_in_error
    from .services.servers import new_process_id

    new_process_id(app)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["fields_in_error"] = fields_in_error
    app.jinja_env.globals["first_in_error"] = first_in_error
    app.jinja_env.globals["language_names"] = LANGUAGE_NAMES
    app.jinja_env.globals["live_catalogue"] = live_catalogue
    app.jinja_env.globals["live_value_names"] = live_value_names
    app.jinja_env.globals["live_modules"] = modules_imported_by(
        Path(app.static_folder or ""), "js/live/main.js"
    )
    app.jinja_env.filters["markdown"] = lambda source: Markup(render_markdown(source))
    app.jinja_env.filters["safe_markdown"] = safe_markdown
    app.jinja_env.filters["markdown_literal"] = markdown_literal
    # A number as the reader writes it: "2,92" in Dutch, "3" rather than "3.0".
    app.jinja_env.filters["decimal"] = lambda number: format_decimal(number, format="#,##0.##")
    # An ISO date as the reader writes one: "1 March 2027", "1 maart 2027".
    app.jinja_env.filters["long_date"] = lambda iso: format_date(
        dt.date.fromisoformat(str(iso)), format="d MMMM y"
    )
    views.register(app)
    sockets.register(socketio)
    register_commands(app)
    serve_over_https(app)  # last: its proxy fix wraps the socket middleware too
    return app
