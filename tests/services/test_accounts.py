import pytest

from tests.conftest import PASSWORD, make_user
from workshop.errors import NotAuthenticated, ValidationFailed
from workshop.models import UserRole
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
