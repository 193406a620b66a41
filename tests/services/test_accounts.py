import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, make_user
from tests.races import Race
from workshop.errors import InvalidState, NotAuthenticated, ValidationFailed
from workshop.extensions import db
from workshop.models import User, UserRole
from workshop.services import accounts


def test_passwords_are_stored_hashed_and_checked(ctx):
    user = make_user("Fran@Example.org")
    assert user.email == "fran@example.org"
    assert PASSWORD not in user.password_hash
    assert accounts.authenticate("FRAN@example.org", PASSWORD).id == user.id


def test_wrong_password_is_refused(ctx):
    make_user("fran@example.org")
    with pytest.raises(NotAuthenticated):
        accounts.authenticate("fran@example.org", "not the password")


@pytest.mark.parametrize(
    ("email", "password", "role", "field"),
    [
        ("not-an-email", PASSWORD, "facilitator", "email"),
        ("a@example.org", "short", "facilitator", "password"),
        ("a@example.org", PASSWORD, "admin", "role"),
    ],
)
def test_invalid_accounts_are_refused(ctx, email, password, role, field):
    with pytest.raises(ValidationFailed) as refused:
        accounts.create_user(email=email, display_name="A", password=password, role=role)
    assert refused.value.details["field"] == field
    assert not accounts.has_any_user()


def test_an_email_can_have_only_one_account(ctx):
    make_user("fran@example.org")
    with pytest.raises(ValidationFailed, match="already exists"):
        make_user("FRAN@example.org", role=UserRole.LEADERSHIP)


def test_the_first_run_page_makes_a_facilitator_and_only_while_there_is_no_account(ctx):
    first = accounts.create_first_facilitator(
        email="Owner@Example.org", display_name="Owner", password=PASSWORD
    )
    assert first.role == UserRole.FACILITATOR and first.email == "owner@example.org"
    with pytest.raises(InvalidState, match="already has its first account"):
        accounts.create_first_facilitator(
            email="late@example.org", display_name="Late", password=PASSWORD
        )
    assert db.session.scalars(sa.select(User.email)).all() == ["owner@example.org"]


def test_two_people_submitting_the_first_run_page_at_once_make_one_account(app, ctx, monkeypatch):
    """The first-run page is open until the first account exists. Two people submit it at
    the same moment (two tabs, or someone racing the owner): the first is held between its
    check and its new account (while its password is hashed) and the second comes meanwhile.
    The second waits for the first, then finds it and is refused: one account, not two."""
    race = Race(app)
    monkeypatch.setattr(accounts, "hash_password", race.holding(accounts.hash_password))

    def submit(email: str):
        return lambda: (
            accounts.create_first_facilitator(
                email=email, display_name="Someone", password=PASSWORD
            ).email
        )

    first, second = race.run(submit("first@example.org"), submit("second@example.org"))
    assert first == "first@example.org"
    assert isinstance(second, InvalidState)
    assert db.session.scalars(sa.select(User.email)).all() == ["first@example.org"]
