"""The pages a person opens: first run, login, creating and joining, documents, exports."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD, make_user, make_workshop, on_postgresql
from workshop import create_app, queries
from workshop.errors import InvalidState
from workshop.extensions import db
from workshop.migrate import upgrade_database
from workshop.models import Anonymity, Phase, StaffRole, User, UserRole
from workshop.services import participants, proposals, rounds, versions, workshops

# How a difference says in words what changed (templates/_diff.html, as the live client).
REMOVED = '<span class="visually-hidden">removed: </span>'
ADDED = '<span class="visually-hidden">added: </span>'


def login(client, email="fran@example.org", password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    dialect = "postgresql" if on_postgresql else "sqlite"
    assert response.json == {"status": "ok", "database": "ok", "dialect": dialect}


def test_first_run_creates_the_facilitator_then_closes(client):
    home = client.get("/")
    assert b'href="/setup"' in home.data  # the first person to open the app is shown the way
    assert client.get("/login").headers["Location"].endswith("/setup")
    response = client.post(
        "/setup",
        data={
            "display_name": "Fran",
            "email": "fran@example.org",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert client.get("/workshops/").status_code == 200  # logged in straight away
    assert client.get("/setup").status_code == 404
    assert b'href="/setup"' not in client.get("/").data


def test_the_browser_gets_an_icon_where_it_looks_for_one(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.data.startswith(b"<svg")


def test_staff_pages_need_a_login(app, client):
    with app.app_context():
        make_user("fran@example.org")
    response = client.get("/workshops/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert login(client, password="wrong password!").status_code == 200
    assert login(client).status_code == 302


def test_a_facilitator_creates_a_workshop_with_code_link_and_qr(app, client):
    with app.app_context():
        make_user("fran@example.org")
    login(client)
    page = client.get("/workshops/")
    assert b"No workshops yet" in page.data
    response = client.post(
        "/workshops/new",
        data={
            "title": "Mission 2027",
            "organisation": "Harbour Health",
            "brief_md": "Why **now**",
            "values": "Care\nIntegrity",
            "levels": "Frontline\nManager",
            "departments": "",
            "dots_per_participant": "3",
        },
    )
    assert response.status_code == 302
    console = client.get(response.headers["Location"])
    assert console.status_code == 200
    code = re.search(rb'class="join-code"[^>]*>([A-Z0-9-]{9})<', console.data).group(1).decode()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert f"/j/{code.replace('-', '')}".encode() in console.data
    workshop_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    qr = client.get(f"/workshops/{workshop_id}/qr.svg")
    assert qr.mimetype == "image/svg+xml" and b"<svg" in qr.data


def test_an_invalid_workshop_form_says_what_is_wrong(app, client):
    with app.app_context():
        make_user("fran@example.org")
    login(client)
    response = client.post(
        "/workshops/new",
        data={
            "title": "T",
            "organisation": "O",
            "levels": "",
            "dots_per_participant": "3",
        },
    )
    assert response.status_code == 200
    assert b"List at least one organisational level." in response.data


@pytest.fixture
def open_workshop(app):
    with app.app_context():
        owner = make_user("fran@example.org")
        workshop = make_workshop(owner)
        return workshop.id, workshop.join_code


def test_joining_by_code_lands_in_the_room_and_survives_reloads(client, open_workshop):
    workshop_id, code = open_workshop
    response = client.post("/", data={"code": code.lower()})
    assert response.headers["Location"].endswith(f"/j/{code}")
    join_page = client.get(f"/j/{code}")
    assert b"Frontline" in join_page.data
    response = client.post(f"/j/{code}", data={"display_name": "Amira", "level": "Frontline"})
    assert response.headers["Location"].endswith(f"/w/{workshop_id}")
    assert b"You are Amira (Frontline)" in client.get(f"/w/{workshop_id}").data
    # A second tab, or a reload: the same person, not a new participant.
    assert client.get(f"/j/{code}").headers["Location"].endswith(f"/w/{workshop_id}")


def test_a_double_tapped_join_makes_one_person(app, open_workshop):
    """Both taps' requests leave before the first answer comes, so neither carries the
    participant's cookie; they carry the same form (its hidden key) and make one person, and
    whichever answer the browser keeps, it is that person."""
    workshop_id, code = open_workshop
    page = app.test_client().get(f"/j/{code}").data.decode()
    key = re.search(r'name="join_key" type="hidden" value="([^"]+)"', page).group(1)
    form = {"display_name": "Amira", "level": "Frontline", "join_key": key}
    for tap in (app.test_client(), app.test_client()):  # neither has the other's cookie
        assert tap.post(f"/j/{code}", data=form).headers["Location"].endswith(f"/w/{workshop_id}")
        assert b"You are Amira (Frontline)" in tap.get(f"/w/{workshop_id}").data
    with app.app_context():
        assert queries.presence_counts(workshop_id)["joined"] == 1
    fresh = app.test_client().get(f"/j/{code}").data.decode()
    assert key not in fresh  # every form its own key


def test_a_wrong_code_is_explained_on_the_form(client, open_workshop):
    response = client.post("/", data={"code": "ZZZZ-ZZZZ"})
    assert response.status_code == 200
    assert b"No open workshop has that join code" in response.data
    assert client.get("/j/ZZZZZZZZ").status_code == 404


def test_join_form_errors_keep_the_person_on_the_form(client, open_workshop):
    _, code = open_workshop
    response = client.post(f"/j/{code}", data={"display_name": "Amira", "level": "CEO of all"})
    assert response.status_code == 200
    assert b'aria-invalid="true"' in response.data


def test_a_room_without_joining_sends_people_to_the_front_door(client, open_workshop):
    workshop_id, _ = open_workshop
    assert client.get(f"/w/{workshop_id}").headers["Location"].endswith("/")


def test_participants_cannot_open_staff_pages(client, open_workshop):
    workshop_id, code = open_workshop
    client.post(f"/j/{code}", data={"display_name": "Amira", "level": "Frontline"})
    assert client.get(f"/workshops/{workshop_id}").status_code == 302  # to login


def test_another_facilitator_gets_not_found(app, client, open_workshop):
    workshop_id, _ = open_workshop
    with app.app_context():
        make_user("other@example.org")
    login(client, "other@example.org")
    assert client.get(f"/workshops/{workshop_id}").status_code == 404
    response = client.get(f"/workshops/{workshop_id}", headers={"Accept": "application/json"})
    assert response.json["error"]["code"] == "not_found"


def test_leadership_follows_exports_and_cannot_edit(app, client, open_workshop):
    workshop_id, code = open_workshop
    with app.app_context():
        from workshop.extensions import db
        from workshop.models import User

        owner = db.session.query(User).filter_by(email="fran@example.org").one()
        make_user("boss@example.org", role=UserRole.LEADERSHIP, name="Bo Boss")
        workshops.add_staff(owner, workshop_id, "boss@example.org", StaffRole.LEADERSHIP)
        rounds.set_phase(owner, workshop_id, Phase.PROPOSE)
        amira = participants.join_workshop(code, display_name="Amira", level="Frontline")
        proposal = proposals.submit_proposal(amira, workshop_id, "We help people feel known.")
        versions.start_draft_from_proposals(owner, workshop_id, [proposal.id], based_on=None)
    login(client, "boss@example.org")
    console = client.get(f"/workshops/{workshop_id}")
    assert b"Leadership view" in console.data and b"data-set-phase" not in console.data
    assert client.get(f"/workshops/{workshop_id}/edit").status_code == 403
    assert client.get(f"/workshops/{workshop_id}/document").status_code == 403
    assert b"Amira" in client.get(f"/workshops/{workshop_id}/participants").data
    download = client.get(f"/workshops/{workshop_id}/document/versions/1/export.md")
    assert download.status_code == 200
    assert 'filename="harbour-health-mission-v1.md"' in download.headers["Content-Disposition"]
    assert b"We help people feel known." in download.data
    printable = client.get(f"/workshops/{workshop_id}/document/versions/1/export.html")
    assert printable.data.startswith(b"<!doctype html>")


def test_the_draft_editor_hands_back_a_stale_save_with_both_texts(app, client, open_workshop):
    workshop_id, code = open_workshop
    login(client)
    client.post(
        f"/workshops/{workshop_id}/document",
        data={"body_md": "Version one", "based_on": "", "note": ""},
    )
    client.post(
        f"/workshops/{workshop_id}/document",
        data={"body_md": "Version two", "based_on": "1", "note": ""},
    )
    stale = client.post(
        f"/workshops/{workshop_id}/document",
        data={"body_md": "My version", "based_on": "1", "note": ""},
    )
    assert stale.status_code == 200
    assert b"Someone saved first" in stale.data
    assert b"My version" in stale.data and b"Version two" in stale.data
    # The difference says in words what was removed and added, as on every screen.
    conflict = stale.data.decode()
    assert f"<del>{REMOVED}" in conflict and f"<ins>{ADDED}" in conflict
    history = client.get(f"/workshops/{workshop_id}/document/versions")
    assert history.data.count(b"export.md") == 2
    diff = client.get(f"/workshops/{workshop_id}/document/diff?from=1&to=2")
    assert f"<del>{REMOVED}one</del>" in diff.data.decode()
    assert f"<ins>{ADDED}two</ins>" in diff.data.decode()


def test_forms_are_protected_against_cross_site_requests(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "i"),
            "SECRET_KEY": "k",
            "SQLALCHEMY_ENGINES": {"default": f"sqlite:///{tmp_path / 'csrf.sqlite3'}"},
        }
    )
    upgrade_database(app)
    response = app.test_client().post(
        "/setup",
        data={
            "display_name": "Mallory",
            "email": "m@example.org",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 400
    with app.app_context():
        from workshop.services.accounts import has_any_user

        assert not has_any_user()


def test_the_audit_log_and_projector_are_for_staff_only(app, client, open_workshop):
    workshop_id, code = open_workshop
    login(client)
    client.get(f"/workshops/{workshop_id}")
    with app.app_context():
        from workshop.extensions import db
        from workshop.models import User

        owner = db.session.query(User).filter_by(email="fran@example.org").one()
        rounds.set_phase(owner, workshop_id, Phase.PROPOSE)
    log = client.get(f"/workshops/{workshop_id}/audit")
    assert log.status_code == 200 and b"Started round 1" in log.data
    projector = client.get(f"/workshops/{workshop_id}/projector")
    assert projector.status_code == 200
    assert b'data-role="projector"' in projector.data and b"round-controls" not in projector.data
    participant = client.application.test_client()
    participant.post(f"/j/{code}", data={"display_name": "Amira", "level": "Frontline"})
    assert participant.get(f"/workshops/{workshop_id}/audit").status_code == 302
    assert participant.get(f"/workshops/{workshop_id}/projector").status_code == 302


def test_the_front_door_brings_a_participant_back_to_their_workshop(client, open_workshop):
    workshop_id, code = open_workshop
    assert b"Continue in" not in client.get("/").data
    client.post(f"/j/{code}", data={"display_name": "Amira", "level": "Frontline"})
    page = client.get("/")
    assert b"Continue in" in page.data and f"/w/{workshop_id}".encode() in page.data


def test_versions_are_named_restored_locked_and_signed_off_through_forms(
    app, client, open_workshop
):
    workshop_id, code = open_workshop
    with app.app_context():
        from workshop.extensions import db
        from workshop.models import User

        make_user("boss@example.org", role=UserRole.LEADERSHIP, name="Bo Boss")
        owner = db.session.query(User).filter_by(email="fran@example.org").one()
        workshops.add_staff(owner, workshop_id, "boss@example.org", StaffRole.LEADERSHIP)
        versions.save_version(owner, workshop_id, "Version one text", based_on=None)
        versions.save_version(owner, workshop_id, "Version two text", based_on=1)
    login(client)
    base = f"/workshops/{workshop_id}/document/versions"
    client.post(f"{base}/1/name", data={"name": "First try"})
    client.post(f"{base}/1/restore", data={"based_on": "2"})
    client.post(f"{base}/3/final", data={})
    side = client.get(f"/workshops/{workshop_id}/document/diff?from=2&to=3").data.decode()
    assert "First try" not in side and "##" not in side  # no raw markup
    assert f"<del>{REMOVED}two</del>" in side and f"<ins>{ADDED}one</ins>" in side
    page = client.get(f"{base}/1").data.decode()
    assert "Restore this text as a new version" in page
    assert "Lock as the final mission" not in page  # only the latest version locks
    assert "Where each sentence came from" in page and "Version one text" in page
    boss = client.application.test_client()
    login(boss, "boss@example.org")
    final_page = boss.get(f"{base}/3").data.decode()
    assert "Sign off this mission" in final_page and "Lock as the final mission" not in final_page
    assert boss.post(f"{base}/3/signoff", data={"comment": "Signed."}).status_code == 302
    assert "Bo Boss" in boss.get(f"{base}/3").data.decode()
    history = boss.get(base).data.decode()
    assert "1 sign-off" in history
    assert "Restored" in history and "restore" not in history.replace("Restored", "")
    with app.app_context():
        from workshop.extensions import db
        from workshop.models import User

        owner = db.session.query(User).filter_by(email="fran@example.org").one()
        saved = {v.number: v for v in versions.list_versions(owner, workshop_id)}
        assert saved[1].name == "First try"
        assert saved[3].body_md == "Version one text" and saved[3].final_at is not None
        assert [(s.signer_name, s.comment) for s in saved[3].signoffs] == [("Bo Boss", "Signed.")]


WORKSHOP_FORM = {
    "title": "Mission 2027",
    "organisation": "Harbour Health",
    "levels": "Frontline\nManager",
    "dots_per_participant": "3",
    "amendment_method": "consent",
}


def test_anonymity_is_set_on_the_form_and_an_unrelated_save_keeps_it(app, client):
    with app.app_context():
        make_user("fran@example.org")
    login(client)
    created = client.post("/workshops/new", data={**WORKSHOP_FORM, "anonymity": "full"})
    workshop_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    form = client.get(f"/workshops/{workshop_id}/edit").data
    assert re.search(rb'<input[^>]*checked[^>]*value="full"|value="full"[^>]*checked', form)
    # Saving the title again (the form sends the setting it shows) keeps it.
    client.post(f"/workshops/{workshop_id}/edit", data={**WORKSHOP_FORM, "anonymity": "full"})
    with app.app_context():
        assert queries.get_workshop(workshop_id).anonymity == Anonymity.FULL
    # Before anyone writes, it can still change.
    client.post(f"/workshops/{workshop_id}/edit", data={**WORKSHOP_FORM, "anonymity": "peers"})
    with app.app_context():
        workshop = queries.get_workshop(workshop_id)
        assert workshop.anonymity == Anonymity.PEERS
        owner = db.session.query(User).filter_by(email="fran@example.org").one()
        rounds.set_phase(owner, workshop_id, "propose")
        amira = participants.join_workshop(
            workshop.join_code, display_name="Amira", level="Frontline"
        )
        proposals.submit_proposal(amira, workshop_id, "We care")
    # Once someone wrote under it, the form shows it fixed, and a save (which no longer
    # sends it, or sends another) leaves it as it was.
    form = client.get(f"/workshops/{workshop_id}/edit").data.decode()
    assert "stays as it is" in form and re.search(
        r'value="peers"[^>]*disabled|disabled[^>]*value="peers"', form
    )
    client.post(f"/workshops/{workshop_id}/edit", data={**WORKSHOP_FORM, "title": "New title"})
    client.post(f"/workshops/{workshop_id}/edit", data={**WORKSHOP_FORM, "anonymity": "named"})
    with app.app_context():
        workshop = queries.get_workshop(workshop_id)
        assert workshop.anonymity == Anonymity.PEERS and workshop.title == "Mission 2027"
        owner = db.session.query(User).filter_by(email="fran@example.org").one()
        with pytest.raises(InvalidState) as refused:
            workshops.update_workshop(
                owner,
                workshop_id,
                workshops.WorkshopSettings(
                    title="T", organisation="O", levels=["Frontline"], anonymity="named"
                ),
            )
        assert refused.value.code == "anonymity_fixed"


def test_a_workshop_set_to_dutch_greets_an_english_browser_in_dutch(app, client):
    with app.app_context():
        make_user("fran@example.org")
    login(client)
    created = client.post("/workshops/new", data={**WORKSHOP_FORM, "language": "nl"})
    workshop_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    with app.app_context():
        workshop = queries.get_workshop(workshop_id)
        assert workshop.language == "nl"
        code = workshop.join_code
    page = app.test_client().get(f"/j/{code}", headers={"Accept-Language": "en"})
    assert 'lang="nl"' in page.get_data(as_text=True)
    # An unknown language is refused and the setting stays.
    refused = client.post(
        f"/workshops/{workshop_id}/edit", data={**WORKSHOP_FORM, "language": "klingon"}
    )
    assert refused.status_code == 200  # the form again, with the error
    with app.app_context():
        assert queries.get_workshop(workshop_id).language == "nl"
    # Back to "each person's browser decides".
    client.post(f"/workshops/{workshop_id}/edit", data={**WORKSHOP_FORM, "language": ""})
    with app.app_context():
        assert queries.get_workshop(workshop_id).language == ""
