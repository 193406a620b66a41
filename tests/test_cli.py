"""The `workshop` command, as an operator uses it."""

import re

import pytest

from workshop import queries
from workshop.models import Phase, UserRole
from workshop.services import accounts, agenda, editing


def test_create_user_hashes_the_password_and_refuses_duplicates(app):
    runner = app.test_cli_runner()
    args = ["create-user", "--role", "leadership", "--email", "Boss@Example.org", "--name", "Bo"]
    result = runner.invoke(args=args, input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    assert "Created leadership account boss@example.org" in result.output
    with app.app_context():
        user = accounts.authenticate("boss@example.org", "a long password")
        assert user.role == UserRole.LEADERSHIP and "a long password" not in user.password_hash
    again = runner.invoke(args=args, input="a long password\na long password\n")
    assert again.exit_code != 0 and "already exists" in again.output


def test_seed_demo_creates_a_running_workshop_to_try(app):
    from tests.conftest import make_user, make_workshop

    with app.app_context():
        make_workshop(make_user("other@example.org"))  # so that the demo is not workshop 1
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "join code" in result.output and "Log in as facilitator@example.org" in result.output
    code = re.search(r"join code (\w+)", result.output).group(1)
    with app.app_context():
        workshop_id = queries.find_open_workshop(code).id
        current = queries.current_round(workshop_id)
        assert current is not None and current.kind == "propose"
        assert len(queries.list_rounds(workshop_id)) == len(agenda.template_rounds())
        assert len(queries.list_proposals(workshop_id, include_hidden=False)) == 3
        assert queries.get_workshop(workshop_id).phase == Phase.PROPOSE


def test_db_upgrade_is_idempotent(app):
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output


def test_export_writes_the_latest_version_as_a_staff_member(app, tmp_path):
    from tests.conftest import make_user, make_workshop

    with app.app_context():
        make_workshop(make_user("other@example.org"))  # so that ours is not workshop 1
        fran = make_user("fran@example.org")
        workshop = make_workshop(fran)
        editing.paste_document(fran, workshop.id, "We help.\n\nWe listen.", based_on=None)
        make_user("nosy@example.org")  # another facilitator, not on this workshop
        workshop_id = workshop.id
    runner = app.test_cli_runner()
    target = tmp_path / "mission.md"
    args = ["export", "--workshop", str(workshop_id), "--format", "md", "-o", str(target)]
    result = runner.invoke(args=[*args, "--as", "fran@example.org"])
    assert result.exit_code == 0, result.output
    assert "We help." in target.read_text() and "We listen." in target.read_text()
    refused = runner.invoke(args=[*args, "--as", "nosy@example.org"])
    assert refused.exit_code != 0 and "does not exist" in refused.output
    unknown = runner.invoke(args=[*args, "--as", "nobody@example.org"])
    assert unknown.exit_code != 0 and "no active account" in unknown.output


def test_export_of_a_workshop_without_a_document_tells_only_its_staff_so(app, tmp_path):
    from tests.conftest import make_user, make_workshop

    with app.app_context():
        workshop_id = make_workshop(make_user("fran@example.org")).id
        make_user("nosy@example.org")  # a facilitator, not of this workshop
    runner = app.test_cli_runner()
    target = tmp_path / "mission.md"
    args = ["export", "--workshop", str(workshop_id), "--format", "md", "-o", str(target)]
    nothing = runner.invoke(args=[*args, "--as", "fran@example.org"])
    assert nothing.exit_code != 0 and "no document yet" in nothing.output
    # Someone else learns nothing about the workshop, not even that it has no document.
    refused = runner.invoke(args=[*args, "--as", "nosy@example.org"])
    assert refused.exit_code != 0 and "does not exist" in refused.output
    assert "document" not in refused.output and not target.exists()


@pytest.mark.parametrize("option", ["--workshop", "--version"])
@pytest.mark.parametrize("number", ["0", "-3", "3000000000", "seven"])
def test_export_refuses_numbers_no_workshop_or_version_can_have(app, tmp_path, option, number):
    """A mistyped id gets click's usage error, not a traceback (past 2^31 PostgreSQL's
    integer columns cannot even be compared with it), and no file is written."""
    from tests.conftest import make_user, make_workshop

    with app.app_context():
        workshop_id = make_workshop(make_user("fran@example.org")).id
    target = tmp_path / "mission.md"
    args = ["export", "--workshop", str(workshop_id), "--format", "md", "-o", str(target)]
    args += ["--as", "fran@example.org", option, number]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output and not target.exists()
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_create_user_works_on_a_brand_new_database(tmp_path):
    from tests.conftest import app_config
    from workshop import create_app

    fresh = create_app(app_config(tmp_path, tmp_path / "new.sqlite3"))
    args = ["create-user", "--role", "facilitator", "--email", "a@b.org", "--name", "Ann"]
    result = fresh.test_cli_runner().invoke(args=args, input="a long password\n" * 2)
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        assert accounts.authenticate("a@b.org", "a long password").display_name == "Ann"


@pytest.mark.parametrize("port", ["-1", "70000", "http"])
def test_serve_refuses_a_port_no_server_can_listen_on(app, port):
    """A mistyped port is a usage error before anything starts, not gevent's traceback."""
    result = app.test_cli_runner().invoke(args=["serve", "--port", port])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--port'" in result.output
