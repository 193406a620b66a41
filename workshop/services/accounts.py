"""Staff accounts: facilitators and leadership."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import NotAuthenticated, ValidationFailed
from ..extensions import db
from ..models import User, UserRole

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively; store them one way."""
    return (email or "").strip().lower()


def create_user(*, email: str, display_name: str, password: str, role: UserRole | str) -> User:
    """Create a staff account with a hashed password."""
    email = normalise_email(email)
    display_name = (display_name or "").strip()
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValidationFailed(_("Enter a valid email address."), field="email")
    if not display_name or len(display_name) > 200:
        raise ValidationFailed(_("Enter a name of 1 to 200 characters."), field="display_name")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _("Use a password of at least %(n)s characters.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )
    try:
        role = UserRole(role)
    except ValueError:
        raise ValidationFailed(_("Role must be facilitator or leadership."), field="role") from None
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise ValidationFailed(_("An account with this email already exists."), field="email")
    user = User(
        email=email,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
    )
    db.session.add(user)
    db.session.commit()
    return user


def hash_password(password: str) -> str:
    """A salted, slow hash of a password (the method is configurable so tests can be fast)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def authenticate(email: str, password: str) -> User:
    """Return the active account these credentials belong to, or refuse."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active or not check_password_hash(user.password_hash, password):
        raise NotAuthenticated(_("Email or password is not right."))
    return user


def has_any_user() -> bool:
    """True once the first account exists (the first-run page closes then)."""
    return db.session.scalar(sa.select(User.id).limit(1)) is not None


def find_user(email: str) -> User | None:
    """The account with this email (any case), if there is one."""
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def get_user(user_id: int) -> User | None:
    """The account with this id, for the login manager."""
    return db.session.get(User, user_id)
