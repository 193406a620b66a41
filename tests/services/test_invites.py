"""Invite links: made by a workshop's facilitators only, stored as a hash, single use, seven
days long, revocable; accepting one gives a role in that workshop and no other."""

import hashlib

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, db_fingerprint, join, make_user, make_workshop
from tests.races import Race
from workshop import permissions, queries
from workshop.errors import (
    Forbidden,
    InvalidState,
    NotAuthenticated,
    NotFound,
    ValidationFailed,
)
from workshop.extensions import db
from workshop.models import AuditAction, AuditEntry, StaffInvite, StaffRole, User, UserRole
from workshop.services import accounts, invites, workshops

DAY = 24 * 60 * 60


def audit_actions(workshop_id: int) -> list[AuditAction]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.workshop_id == workshop_id)
            .order_by(AuditEntry.id)
        )
    )


def test_a_facilitator_invites_and_only_the_hash_of_the_token_is_stored(facilitator, workshop):
    new = invites.create_invite(facilitator, workshop.id, " Lena@Example.org ", "leadership")
    assert len(new.token) >= 43  # token_urlsafe(32): 256 random bits
    assert new.path == f"/invite/{new.token}"
    stored = db.session.scalars(sa.select(StaffInvite)).one()
    assert stored.email == "lena@example.org"
    assert stored.role == StaffRole.LEADERSHIP
    assert stored.token_hash == hashlib.sha256(new.token.encode()).hexdigest()
    assert new.token not in str(db_fingerprint())
    assert (stored.expires_at - stored.created_at).days == 7
    assert audit_actions(workshop.id)[-1] == AuditAction.INVITE_CREATE
    assert invites.list_pending(facilitator, workshop.id) == [stored]


def test_a_new_leadership_account_sees_only_the_workshop_it_was_invited_to(facilitator, workshop):
    other = make_workshop(facilitator, title="Another workshop")
    new = invites.create_invite(facilitator, workshop.id, "lena@example.org", "leadership")
    lena = invites.accept_invite(new.token, display_name="Lena Lead", password=PASSWORD)
    assert lena.email == "lena@example.org"
    assert lena.role == UserRole.LEADERSHIP
    assert accounts.authenticate("lena@example.org", PASSWORD).id == lena.id
    assert [w.id for w in queries.list_workshops_for(lena)] == [workshop.id]
    assert permissions.staff_role(lena, workshop) == StaffRole.LEADERSHIP
    assert permissions.can_follow(lena, workshop) and not permissions.can_moderate(lena, workshop)
    assert not permissions.can_follow(lena, other)
    assert not permissions.can_create_workshop(lena)
    assert audit_actions(workshop.id)[-1] == AuditAction.INVITE_ACCEPT
    assert invites.list_pending(facilitator, workshop.id) == []


def test_a_co_facilitator_invite_makes_a_facilitator_of_this_workshop(facilitator, workshop):
    new = invites.create_invite(facilitator, workshop.id, "cora@example.org", "facilitator")
    cora = invites.accept_invite(new.token, display_name="Cora", password=PASSWORD)
    assert cora.role == UserRole.FACILITATOR
    assert permissions.can_moderate(cora, workshop)


def test_an_invite_link_works_once(facilitator, workshop):
    new = invites.create_invite(facilitator, workshop.id, "lena@example.org", "leadership")
    lena = invites.accept_invite(new.token, display_name="Lena", password=PASSWORD)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        invites.accept_invite(new.token, actor=lena)
    assert refused.value.details["reason"] == "used"
    with pytest.raises(InvalidState):
        invites.accept_invite(new.token, display_name="Mallory", password=PASSWORD)
    assert db_fingerprint() == before


def test_an_invite_link_expires_after_seven_days(facilitator, workshop, clock):
    new = invites.create_invite(facilitator, workshop.id, "lena@example.org", "leadership")
    clock.advance(7 * DAY - 60)
    assert invites.find_invite(new.token).email == "lena@example.org"
    clock.advance(61)
    before = db_fingerprint()
    with pytest.raises(InvalidState) as refused:
        invites.accept_invite(new.token, display_name="Lena", password=PASSWORD)
    assert refused.value.details["reason"] == "expired"
    assert db_fingerprint() == before
    assert invites.list_pending(facilitator, workshop.id) == []
    assert accounts.find_user("lena@example.org") is None


def test_a_revoked_invite_no_longer_works(facilitator, workshop):
    new = invites.create_invite(facilitator, workshop.id, "lena@example.org", "leadership")
    invites.revoke_invite(facilitator, workshop.id, new.invite.id)
    assert audit_actions(workshop.id)[-1] == AuditAction.INVITE_REVOKE
    with pytest.raises(InvalidState) as refused:
        invites.accept_invite(new.token, display_name="Lena", password=PASSWORD)
    assert refused.value.details["reason"] == "revoked"
    with pytest.raises(InvalidState):
        invites.revoke_invite(facilitator, workshop.id, new.invite.id)


def test_a_new_invite_of_the_same_address_replaces_the_pending_one(facilitator, workshop):
    first = invites.create_invite(facilitator, workshop.id, "lena@example.org", "leadership")
    second = invites.create_invite(facilitator, workshop.id, "lena@example.org", "facilitator")
    with pytest.raises(InvalidState):
        invites.find_invite(first.token)
    assert invites.find_invite(second.token).role == StaffRole.FACILITATOR
    assert [i.id for i in invites.list_pending(facilitator, workshop.id)] == [second.invite.id]


def test_an_unknown_token_is_not_found(ctx):
    for token in ("", "nope", "x" * 500):
        with pytest.raises(NotFound):
            invites.find_invite(token)


def test_only_this_workshops_facilitators_invite_and_revoke(facilitator, workshop):
    lena = make_user("lena@example.org", role=UserRole.LEADERSHIP)
    workshops.add_staff(facilitator, workshop.id, "lena@example.org", StaffRole.LEADERSHIP)
    fred = make_user("fred@example.org")
    make_workshop(fred, title="Fred's")
    amira = join(workshop)
    new = invites.create_invite(facilitator, workshop.id, "cora@example.org", "facilitator")
    before = db_fingerprint()
    for actor, error in ((lena, Forbidden), (fred, NotFound), (amira, Forbidden)):
        with pytest.raises(error):
            invites.create_invite(actor, workshop.id, "mallory@example.org", "facilitator")
        with pytest.raises(error):
            invites.revoke_invite(actor, workshop.id, new.invite.id)
        with pytest.raises(error):
            invites.list_pending(actor, workshop.id)
    fred_workshop = queries.list_workshops_for(fred)[0]
    with pytest.raises(NotFound):  # an invite id of another workshop is not there
        invites.revoke_invite(fred, fred_workshop.id, new.invite.id)
    assert db_fingerprint() == before


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [("not-an-email", "leadership", "email"), ("a@example.org", "admin", "role")],
)
def test_malformed_invites_are_refused(facilitator, workshop, email, role, field):
    before = db_fingerprint()
    with pytest.raises(ValidationFailed) as refused:
        invites.create_invite(facilitator, workshop.id, email, role)
    assert refused.value.details["field"] == field
    assert db_fingerprint() == before


def test_people_already_on_the_staff_and_leadership_as_facilitator_are_refused(
    facilitator, workshop
):
    make_user("lena@example.org", role=UserRole.LEADERSHIP)
    with pytest.raises(ValidationFailed, match="can already open"):
        invites.create_invite(facilitator, workshop.id, facilitator.email, "leadership")
    with pytest.raises(ValidationFailed, match="only follow"):
        invites.create_invite(facilitator, workshop.id, "lena@example.org", "facilitator")


def test_an_existing_account_accepts_only_when_logged_in_as_itself(facilitator, workshop):
    lena = make_user("lena@example.org", role=UserRole.LEADERSHIP)
    fred = make_user("fred@example.org")
    new = invites.create_invite(facilitator, workshop.id, "lena@example.org", "leadership")
    before = db_fingerprint()
    with pytest.raises(NotAuthenticated):
        invites.accept_invite(new.token, display_name="Not Lena", password="a new password")
    with pytest.raises(Forbidden):
        invites.accept_invite(new.token, actor=fred)
    assert db_fingerprint() == before
    assert invites.accept_invite(new.token, actor=lena).id == lena.id
    assert permissions.staff_role(lena, workshop) == StaffRole.LEADERSHIP
    assert accounts.authenticate("lena@example.org", PASSWORD).id == lena.id  # password kept


def test_a_logged_in_account_cannot_take_an_invite_for_a_new_address(facilitator, workshop):
    fred = make_user("fred@example.org")
    new = invites.create_invite(facilitator, workshop.id, "lena@example.org", "leadership")
    with pytest.raises(Forbidden):
        invites.accept_invite(new.token, actor=fred)
    assert not permissions.can_follow(fred, workshop)


def test_a_weak_password_leaves_the_invite_usable(facilitator, workshop):
    new = invites.create_invite(facilitator, workshop.id, "lena@example.org", "leadership")
    before = db_fingerprint()
    with pytest.raises(ValidationFailed) as refused:
        invites.accept_invite(new.token, display_name="Lena", password="short")
    assert refused.value.details["field"] == "password"
    with pytest.raises(ValidationFailed):
        invites.accept_invite(new.token, display_name="  ", password=PASSWORD)
    assert db_fingerprint() == before
    assert invites.accept_invite(new.token, display_name="Lena", password=PASSWORD)


def test_the_database_keeps_roles_to_facilitator_and_leadership(facilitator, workshop):
    new = invites.create_invite(facilitator, workshop.id, "lena@example.org", "leadership")
    db.session.commit()
    with pytest.raises(sa.exc.DBAPIError), db.session.begin_nested():
        db.session.execute(
            sa.update(StaffInvite).where(StaffInvite.id == new.invite.id).values(role="owner")
        )
    db.session.rollback()


def test_two_invites_for_one_email_accepted_at_once_make_one_account(
    app, facilitator, workshop, monkeypatch
):
    """Lena is invited to two workshops and opens both links at once. The first acceptance is
    held while her password is hashed and the second comes meanwhile: it waits for the first
    (the accounts' write lock, which on PostgreSQL the two workshops' own locks do not give),
    then finds her new account and asks her to log in. One account, no server error."""
    other = make_workshop(facilitator, title="Another workshop")
    first = invites.create_invite(facilitator, workshop.id, "lena@example.org", "leadership")
    second = invites.create_invite(facilitator, other.id, "lena@example.org", "leadership")
    race = Race(app)
    monkeypatch.setattr(accounts, "hash_password", race.holding(accounts.hash_password))

    def accept(token: str):
        return lambda: invites.accept_invite(token, display_name="Lena", password=PASSWORD).email

    in_first_tab, in_second_tab = race.run(accept(first.token), accept(second.token))
    assert in_first_tab == "lena@example.org"
    assert isinstance(in_second_tab, ValidationFailed)
    assert db.session.scalars(sa.select(User.email).where(User.email.like("lena%"))).all() == [
        "lena@example.org"
    ]
    assert invites.list_pending(facilitator, other.id) != []  # her second link still works
