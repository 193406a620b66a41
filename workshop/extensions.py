"""Extensions, created unbound and attached to an app in ``create_app``."""

from typing import cast

from flask import Flask, current_app
from flask_babel import Babel
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf import CSRFProtect
from werkzeug.local import LocalProxy

from .database import Database

db = Database()
socketio = SocketIO()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def app_itself() -> Flask:
    """The current app, not its context-local proxy: for work that outlives the context (a
    background task, a command that hands the app on)."""
    return cast("LocalProxy[Flask]", current_app)._get_current_object()
