"""Staff accounts: facilitators and leadership."""

from __future__ import annotations

import functools
import re
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from .. import realtime
from ..errors import InvalidState, NotAuthenticated, ValidationFailed
from ..extensions import db
from ..models import User, UserRole
from ..text import clean_name

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively; store them one way."""
    return (email or "").strip().lower()


def checked_email(email: str) -> str:
    """The address as stored (trimmed, lower case), or refused when it is not one."""
    email = normalise_email(email)
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValidationFailed(_("Enter a valid email address."), field="email")
    return email


def create_user(*, email: str, display_name: str, password: str, role: UserRole | str) -> User:
    """Create a staff account with a hashed password."""
    user = new_user(email=email, display_name=display_name, password=password, role=role)
    db.session.commit()
    return user


def new_user(*, email: str, display_name: str, password: str, role: UserRole | str) -> User:
    """A checked new account, added to the current transaction (the caller commits): for
    operations that create an account as one step of something larger (accepting an invite).
    The accounts' write lock is held from the email check to the commit, so two operations
    making an account for one email at once (two invites accepted together) never both pass
    the check: the second waits, then finds the first's account."""
    _lock_accounts()
    email = checked_email(email)
    display_name = clean_name(display_name)
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
    db.session.flush()
    return user


def hash_password(password: str) -> str:
    """A salted, slow hash of a password (the method is configurable so tests can be fast)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def authenticate(email: str, password: str) -> User:
    """Return the active account these credentials belong to, or refuse. An unknown email
    costs the same hash as a known one, so the time of the answer does not tell them apart."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    stored = user.password_hash if user is not None else _decoy_hash()
    matches = check_password_hash(stored, password or "")
    if user is None or not user.is_active or not matches:
        raise NotAuthenticated(_("Email or password is not right."))
    if _method_of(stored) != _method_of(_decoy_hash()):
        # Made before PASSWORD_HASH_METHOD changed: hashed again the way the decoy is, or
        # the time an unknown email takes would tell it from an account's.
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def _method_of(password_hash: str) -> str:
    return password_hash.partition("$")[0]  # "scrypt:32768:8:1", "pbkdf2:sha256:600000"


@functools.cache
def _hash_of_nothing(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def _decoy_hash() -> str:
    """A hash made like real ones, checked when nobody has the email given."""
    return _hash_of_nothing(current_app.config["PASSWORD_HASH_METHOD"])


def user_for_session(session_id: str) -> User | None:
    """The account a login cookie or remember-me token names, if it still may: the token in
    it must be the account's current one (a logout or a new password changes it)."""
    user_id, _, token = (session_id or "").partition(":")
    if not user_id.isdigit() or not token or len(user_id) > 18:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def end_every_session(user: User) -> None:
    """Make every login cookie and remember-me token of this account worthless, and drop the
    live screens those logins hold (a screen still in a workshop's rooms would go on
    receiving staff news)."""
    user.session_token = secrets.token_hex(16)
    db.session.commit()
    realtime.disconnect_account(user.id)


def change_password(user: User, current: str, new: str) -> User:
    """A new password, after the current one; every other session of the account ends."""
    if not check_password_hash(user.password_hash, current or ""):
        raise NotAuthenticated(_("Your current password is not right."), field="current")
    if len(new or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _("Use a password of at least %(n)s characters.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )
    user.password_hash = hash_password(new)
    end_every_session(user)
    return user


def has_any_user() -> bool:
    """True once the first account exists (the first-run page closes then)."""
    return db.session.scalar(sa.select(User.id).limit(1)) is not None


def create_first_facilitator(*, email: str, display_name: str, password: str) -> User:
    """The first account of a new installation (the first-run page): a facilitator. Refused
    once any account exists, also when two people submit the page at the same moment: the
    check and the new account are made under the accounts' write lock, so the second waits
    for the first and then finds it."""
    _lock_accounts()  # before the check (new_user takes it again, which changes nothing)
    try:
        if has_any_user():
            raise InvalidState(
                _("This installation already has its first account: log in instead.")
            )
        user = new_user(
            email=email, display_name=display_name, password=password, role=UserRole.FACILITATOR
        )
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return user


def _lock_accounts() -> None:
    """Take the write lock for new accounts until the transaction ends: the table's own lock
    on PostgreSQL (other sessions still read it); on SQLite a no-op write takes the
    database's write lock (readers carry on, as WAL lets them)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"))
    else:
        db.session.execute(sa.update(User).where(sa.false()).values(id=User.id))


def find_user(email: str) -> User | None:
    """The account with this email (any case), if there is one."""
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
