"""Throttles on what anyone can try over HTTP without an account: guessing passwords,
guessing join codes, and making participants.

Counters live in memory, or in Redis when the Socket.IO message queue is Redis (so that
every server process shares them). Only failures count towards the guessing limits, so
a room of forty people behind one address joining at once is never slowed down by them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user

from .services.accounts import normalise_email

limiter = Limiter(key_func=get_remote_address, default_limits=[])


def _setting(name: str) -> Callable[[], str]:
    return lambda: str(current_app.config[name])


def _too_many() -> str:
    return _("Too many tries from here. Wait a few minutes, then try again.")


def _login_failed(response: Any) -> bool:
    return request.method == "POST" and response.status_code == 200  # the form, shown again


def _account() -> str:
    return "account:" + normalise_email(request.form.get("email", ""))


def wrong_join_code() -> None:
    """Say that this request guessed a join code that opens nothing."""
    g.wrong_join_code = True


def _guessed_wrong(response: Any) -> bool:
    return bool(g.get("wrong_join_code")) or response.status_code == 404


def _joined(response: Any) -> bool:
    return request.method == "POST" and response.status_code == 302


# Password guessing, per account and per address: only failed logins count.
login_per_account = limiter.shared_limit(
    _setting("LOGIN_LIMIT_PER_ACCOUNT"),
    key_func=_account,
    methods=["POST"],
    deduct_when=_login_failed,
    error_message=_too_many,
    scope="login-account",
)
login_per_address = limiter.limit(
    _setting("LOGIN_LIMIT_PER_ADDRESS"),
    methods=["POST"],
    deduct_when=_login_failed,
    error_message=_too_many,
    scope="login-address",
)
# The current password, asked again to set a new one: guesses there count with the login's
# (someone with a live session left open must not guess it at full speed).
password_guesses = limiter.shared_limit(
    _setting("LOGIN_LIMIT_PER_ACCOUNT"),
    key_func=lambda: "account:" + normalise_email(getattr(current_user, "email", "") or ""),
    methods=["POST"],
    deduct_when=_login_failed,
    error_message=_too_many,
    scope="login-account",
)
# Join-code guessing, per address, shared by every page that takes a code.
join_code_guesses = limiter.shared_limit(
    _setting("JOIN_CODE_GUESS_LIMIT"),
    scope="join-code",
    deduct_when=_guessed_wrong,
    error_message=_too_many,
)
# New participants, per address: enough for a room behind one address, not for a flood.
new_participants = limiter.limit(
    _setting("JOIN_LIMIT_PER_ADDRESS"),
    methods=["POST"],
    deduct_when=_joined,
    error_message=_too_many,
    scope="join",
)
# Answers through the standing feedback link, per address: a whole office behind one
# address can answer, a script cannot fill the summary.
feedback_answers = limiter.limit(
    _setting("FEEDBACK_LIMIT_PER_ADDRESS"),
    methods=["POST"],
    error_message=_too_many,
    scope="feedback",
)
