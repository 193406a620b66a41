"""Inviting co-facilitators and leadership with a single-use link.

A facilitator of a workshop invites an email address as facilitator or leadership. The link
carries a random token; the database keeps only its SHA-256, so neither the database nor a
backup of it holds a working link. The link works once, for seven days, until the
facilitators revoke it. Whoever opens it sets a name and password when the email has no
account yet; an existing account must be logged in to accept. Either way the account gets
the invite's role in that one workshop, and only in it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import clock, permissions
from ..database import rows_changed
from ..errors import Forbidden, InvalidState, NotAuthenticated, NotFound, ValidationFailed
from ..extensions import db
from ..guards import workshop_for_staff
from ..models import AuditAction, StaffInvite, StaffRole, User, UserRole, WorkshopStaff
from ..realtime import workshop_change
from . import accounts, audit

INVITE_LIFETIME = dt.timedelta(days=7)
# What an invite to a workshop makes a new account across the installation.
ACCOUNT_ROLE = {
    StaffRole.FACILITATOR: UserRole.FACILITATOR,
    StaffRole.LEADERSHIP: UserRole.LEADERSHIP,
}


@dataclass(frozen=True)
class NewInvite:
    """An invite just made, with the one copy of its token there will ever be."""

    invite: StaffInvite
    token: str

    @property
    def path(self) -> str:
        """The link's path on this site (the view puts the site's address in front)."""
        return f"/invite/{self.token}"


def hash_token(token: str) -> str:
    """What the database keeps of a link's token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_pending(invite: StaffInvite) -> bool:
    """Not used, not revoked and not expired."""
    return (
        invite.accepted_at is None and invite.revoked_at is None and clock.now() < invite.expires_at
    )


def _role(role: StaffRole | str) -> StaffRole:
    try:
        return StaffRole(role)
    except ValueError:
        raise ValidationFailed(_("Role must be facilitator or leadership."), field="role") from None


def create_invite(actor: User, workshop_id: int, email: str, role: StaffRole | str) -> NewInvite:
    """Invite an email address into this workshop as facilitator or leadership. Only the
    workshop's facilitators may; an earlier pending invite of the same address is replaced."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    role = _role(role)
    email = accounts.checked_email(email)
    existing = accounts.find_user(email)
    if existing is not None:
        if not existing.is_active:
            raise ValidationFailed(_("The account with this email is switched off."), field="email")
        if permissions.staff_role(existing, workshop) is not None:
            raise ValidationFailed(
                _("%(name)s can already open this workshop.", name=existing.display_name),
                field="email",
            )
        if role == StaffRole.FACILITATOR and not permissions.can_create_workshop(existing):
            raise ValidationFailed(
                _("Leadership accounts can only follow a workshop."), field="role"
            )
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with workshop_change(workshop.id):
        for earlier in _pending_for(workshop.id, email):
            earlier.revoked_at = now
        invite = StaffInvite(
            workshop_id=workshop.id,
            email=email,
            role=role,
            token_hash=hash_token(token),
            created_by_id=actor.id,
            created_at=now,
            expires_at=now + INVITE_LIFETIME,
        )
        db.session.add(invite)
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.INVITE_CREATE,
            audit.N_("Invited %(email)s as %(role)s"),
            email=email,
            role=role,
        )
    return NewInvite(invite=invite, token=token)


def _pending_for(workshop_id: int, email: str) -> list[StaffInvite]:
    return [
        invite
        for invite in db.session.scalars(
            sa.select(StaffInvite).where(
                StaffInvite.workshop_id == workshop_id,
                StaffInvite.email == email,
                StaffInvite.accepted_at.is_(None),
                StaffInvite.revoked_at.is_(None),
            )
        )
        if is_pending(invite)
    ]


def list_pending(actor: User, workshop_id: int) -> list[StaffInvite]:
    """The workshop's invites that can still be used, newest first: for its facilitators."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    invites = db.session.scalars(
        sa.select(StaffInvite)
        .where(
            StaffInvite.workshop_id == workshop.id,
            StaffInvite.accepted_at.is_(None),
            StaffInvite.revoked_at.is_(None),
            StaffInvite.expires_at > clock.now(),
        )
        .order_by(StaffInvite.id.desc())
    )
    return list(invites)


def revoke_invite(actor: User, workshop_id: int, invite_id: int) -> StaffInvite:
    """Make a pending invite's link worthless. Only the workshop's facilitators may."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    invite = db.session.get(StaffInvite, invite_id)
    if invite is None or invite.workshop_id != workshop.id:
        raise NotFound(_("This invite does not exist."))
    if not is_pending(invite):
        raise InvalidState(_("This invite was already used, revoked or has expired."))
    with workshop_change(workshop.id):
        invite.revoked_at = clock.now()
        audit.record(
            actor,
            workshop.id,
            AuditAction.INVITE_REVOKE,
            audit.N_("Revoked the invite of %(email)s as %(role)s"),
            email=invite.email,
            role=invite.role,
        )
    return invite


def find_invite(token: str) -> StaffInvite:
    """The pending invite a link's token opens. An unknown token is not found; a used, revoked
    or expired one is refused with ``details["reason"]`` saying which (the page answers 410)."""
    if not token or len(token) > 200:
        raise NotFound(_("This invite link is not valid. Ask for a new one."))
    invite = db.session.scalar(
        sa.select(StaffInvite).where(StaffInvite.token_hash == hash_token(token))
    )
    if invite is None:
        raise NotFound(_("This invite link is not valid. Ask for a new one."))
    if invite.accepted_at is not None:
        raise InvalidState(
            _("This invite link has already been used. Each link works once."), reason="used"
        )
    if invite.revoked_at is not None:
        raise InvalidState(
            _("This invite link was withdrawn. Ask the facilitator for a new one."),
            reason="revoked",
        )
    if clock.now() >= invite.expires_at:
        raise InvalidState(
            _("This invite link has expired. Invite links work for 7 days; ask for a new one."),
            reason="expired",
        )
    return invite


def accept_invite(
    token: str, *, actor: User | None = None, display_name: str = "", password: str = ""
) -> User:
    """Use an invite: the email's account (created now, with this name and password, when it
    has none; otherwise it must be the logged-in ``actor``) gets the invite's role in the
    workshop. The link is spent in the same transaction, and only if nobody spent it first."""
    invite = find_invite(token)
    existing = accounts.find_user(invite.email)
    if existing is not None:
        if actor is None:
            raise NotAuthenticated(
                _(
                    "An account with this email exists: log in as %(email)s to accept.",
                    email=invite.email,
                )
            )
        if actor.id != existing.id:
            raise Forbidden(
                _(
                    "This invite is for %(email)s. Log in as that account to accept it.",
                    email=invite.email,
                )
            )
        if invite.role == StaffRole.FACILITATOR and not permissions.can_create_workshop(actor):
            raise ValidationFailed(
                _("Leadership accounts can only follow a workshop."), field="role"
            )
    elif actor is not None:
        raise Forbidden(
            _(
                "This invite is for %(email)s. Log out first to accept it as a new account.",
                email=invite.email,
            )
        )
    with workshop_change(invite.workshop_id):
        user = existing or accounts.new_user(
            email=invite.email,
            display_name=display_name,
            password=password,
            role=ACCOUNT_ROLE[invite.role],
        )
        now = clock.now()
        # Spent only if still unspent: of two people opening the link at once, one wins.
        spent = db.session.execute(
            sa.update(StaffInvite)
            .where(
                StaffInvite.id == invite.id,
                StaffInvite.accepted_at.is_(None),
                StaffInvite.revoked_at.is_(None),
                StaffInvite.expires_at > now,
            )
            .values(accepted_at=now, accepted_by_id=user.id)
            .execution_options(synchronize_session=False)
        )
        if rows_changed(spent) != 1:
            raise InvalidState(
                _("This invite link has already been used. Each link works once."), reason="used"
            )
        if db.session.get(WorkshopStaff, (invite.workshop_id, user.id)) is None:
            db.session.add(
                WorkshopStaff(workshop_id=invite.workshop_id, user_id=user.id, role=invite.role)
            )
        audit.record(
            user,
            invite.workshop_id,
            AuditAction.INVITE_ACCEPT,
            audit.N_("%(name)s (%(email)s) accepted the invite as %(role)s"),
            name=user.display_name,
            email=invite.email,
            role=invite.role,
        )
    return user
