"""Invite links over HTTP: a facilitator makes, copies and revokes them on the workshop's
invites page; whoever holds one opens /invite/<token> once, within seven days. An invited
leadership account sees only the workshop it was invited to and changes nothing in it."""

from __future__ import annotations

import html
import re

import pytest

from tests import test_authorisation as authorisation
from tests.conftest import PASSWORD, db_fingerprint, make_user, make_workshop
from tests.people import Person
from workshop import sockets
from workshop.models import StaffRole, UserRole
from workshop.services import workshops

# The workshops of the authorisation matrix: A (Fran, leadership Lena, participant Amira) with
# something of every kind, and B (Fred, participant Bob).
two_workshops = authorisation.two_workshops

DAY = 24 * 60 * 60
LINK = re.compile(r'value="(https?://[^"]+/invite/[A-Za-z0-9_-]+)"')


def login(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def invite(client, workshop_id: int, email: str, role: str = "leadership") -> str:
    """Make an invite as the logged-in facilitator; the link's path, as the page offers it."""
    made = client.post(f"/workshops/{workshop_id}/invites", data={"email": email, "role": role})
    assert made.status_code == 302, made.data
    page = client.get(f"/workshops/{workshop_id}/invites").get_data(as_text=True)
    links = LINK.findall(page)
    assert links, page
    return "/invite/" + links[0].rsplit("/invite/", 1)[1]


@pytest.fixture
def setup(app):
    """Fran runs workshop A, Fred workshop B; Lena is A's leadership, added the old way."""
    with app.app_context():
        fran = make_user("fran@example.org", name="Fran")
        fred = make_user("fred@example.org", name="Fred")
        make_user("lena@example.org", role=UserRole.LEADERSHIP, name="Lena")
        a = make_workshop(fran, title="Harbour mission")
        b = make_workshop(fred, title="Quayside strategy")
        workshops.add_staff(fran, a.id, "lena@example.org", StaffRole.LEADERSHIP)
        ids = {"a": a.id, "b": b.id, "code_a": a.join_code}
    fran_client = app.test_client()
    assert login(fran_client, "fran@example.org").status_code == 302
    return fran_client, ids


def test_the_console_and_the_settings_page_lead_to_the_invites_page(app, setup):
    fran, ids = setup
    link = f'href="/workshops/{ids["a"]}/invites"'
    assert link in fran.get(f"/workshops/{ids['a']}/edit").get_data(as_text=True)
    assert link in fran.get(f"/workshops/{ids['a']}").get_data(as_text=True)
    lena = app.test_client()
    assert login(lena, "lena@example.org").status_code == 302
    assert link not in lena.get(f"/workshops/{ids['a']}").get_data(as_text=True)


def test_a_facilitator_makes_an_invite_and_sees_it_pending_with_its_link(app, setup):
    fran, ids = setup
    page = fran.get(f"/workshops/{ids['a']}/invites")
    assert page.status_code == 200 and b"No pending invites" in page.data
    path = invite(fran, ids["a"], "ivy@example.org")
    page = fran.get(f"/workshops/{ids['a']}/invites").get_data(as_text=True)
    assert "ivy@example.org" in page and "Copy link" in page and "Revoke" in page
    assert 'src="/static/js/copy.js"' in page
    audit = fran.get(f"/workshops/{ids['a']}/audit").get_data(as_text=True)
    assert "Invited ivy@example.org as leadership" in audit
    # Another browser of the same facilitator cannot copy it (the database has only a hash).
    elsewhere = app.test_client()
    login(elsewhere, "fran@example.org")
    other_page = elsewhere.get(f"/workshops/{ids['a']}/invites").get_data(as_text=True)
    assert "ivy@example.org" in other_page and path not in other_page


def test_a_malformed_invite_is_shown_again_with_the_reason(setup):
    fran, ids = setup
    response = fran.post(
        f"/workshops/{ids['a']}/invites", data={"email": "fran@example.org", "role": "leadership"}
    )
    assert response.status_code == 200
    assert "can already open this workshop" in html.unescape(response.get_data(as_text=True))


def test_leadership_participants_and_other_facilitators_cannot_invite(app, setup):
    fran, ids = setup
    invite(fran, ids["a"], "ivy@example.org")
    lena, fred, amira, nobody = (app.test_client() for _ in range(4))
    login(lena, "lena@example.org")
    login(fred, "fred@example.org")
    assert (
        amira.post(
            f"/j/{ids['code_a']}", data={"display_name": "Amira", "level": "Frontline"}
        ).status_code
        == 302
    )
    with app.app_context():
        before = db_fingerprint()
    for client, status in ((lena, 403), (fred, 404), (amira, 302), (nobody, 302)):
        assert client.get(f"/workshops/{ids['a']}/invites").status_code == status
        made = client.post(
            f"/workshops/{ids['a']}/invites",
            data={"email": "mal@example.org", "role": "facilitator"},
        )
        assert made.status_code == status
        revoked = client.post(f"/workshops/{ids['a']}/invites/1/revoke")
        assert revoked.status_code == status
        if status == 302:
            assert "/login" in made.headers["Location"]
    with app.app_context():
        assert db_fingerprint() == before


def test_accepting_an_invite_creates_the_account_and_its_place_in_the_workshop(app, setup):
    fran, ids = setup
    path = invite(fran, ids["a"], "ivy@example.org")
    ivy = app.test_client()
    page = ivy.get(path)
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    assert "Harbour mission" in text and "ivy@example.org" in text and "change nothing" in text
    assert ivy.post(path, data={"display_name": "Ivy", "password": "short"}).status_code == 200
    accepted = ivy.post(path, data={"display_name": "Ivy", "password": PASSWORD})
    assert accepted.status_code == 302
    assert accepted.headers["Location"].endswith(f"/workshops/{ids['a']}")
    assert ivy.get(f"/workshops/{ids['a']}").status_code == 200  # logged in straight away
    fresh = app.test_client()
    assert login(fresh, "ivy@example.org").status_code == 302
    audit = fran.get(f"/workshops/{ids['a']}/audit").get_data(as_text=True)
    assert "Ivy (ivy@example.org) accepted the invite as leadership" in audit
    assert "ivy@example.org" not in fran.get(f"/workshops/{ids['a']}/invites").get_data(
        as_text=True
    )


def test_a_co_facilitator_invite_lets_them_run_the_workshop(app, setup):
    fran, ids = setup
    path = invite(fran, ids["a"], "cora@example.org", role="facilitator")
    cora = app.test_client()
    assert cora.post(path, data={"display_name": "Cora", "password": PASSWORD}).status_code == 302
    assert cora.get(f"/workshops/{ids['a']}/invites").status_code == 200
    assert cora.get(f"/workshops/{ids['b']}").status_code == 404


def test_an_invite_link_works_once(app, setup):
    fran, ids = setup
    path = invite(fran, ids["a"], "ivy@example.org")
    first = app.test_client()
    assert first.post(path, data={"display_name": "Ivy", "password": PASSWORD}).status_code == 302
    second = app.test_client()
    for response in (
        second.get(path),
        second.post(path, data={"display_name": "Mallory", "password": PASSWORD}),
        first.get(path),
    ):
        assert response.status_code == 410
        assert b"already been used" in response.data
    assert login(app.test_client(), "ivy@example.org", PASSWORD).status_code == 302


def test_an_invite_link_expires_after_seven_days(app, setup, clock):
    fran, ids = setup
    path = invite(fran, ids["a"], "ivy@example.org")
    clock.advance(7 * DAY + 1)
    visitor = app.test_client()
    with app.app_context():
        before = db_fingerprint()
    for response in (
        visitor.get(path),
        visitor.post(path, data={"display_name": "Ivy", "password": PASSWORD}),
    ):
        assert response.status_code == 410
        assert b"expired" in response.data
    with app.app_context():
        assert db_fingerprint() == before
    assert b"No pending invites" in fran.get(f"/workshops/{ids['a']}/invites").data


def test_a_revoked_invite_link_no_longer_works(app, setup):
    fran, ids = setup
    path = invite(fran, ids["a"], "ivy@example.org")
    revoked = fran.post(f"/workshops/{ids['a']}/invites/1/revoke")
    assert revoked.status_code == 302
    assert b"No pending invites" in fran.get(f"/workshops/{ids['a']}/invites").data
    response = app.test_client().post(path, data={"display_name": "Ivy", "password": PASSWORD})
    assert response.status_code == 410 and b"withdrawn" in response.data


def test_an_unknown_invite_link_is_not_found(client):
    assert client.get("/invite/not-a-real-token").status_code == 404


def test_an_existing_account_logs_in_as_itself_to_accept(app, setup):
    fran, ids = setup
    with app.app_context():
        make_user("gina@example.org", role=UserRole.LEADERSHIP, name="Gina")
    path = invite(fran, ids["a"], "gina@example.org")
    gina = app.test_client()
    page = gina.get(path).get_data(as_text=True)
    assert "Log in to accept" in page and 'name="password"' not in page
    assert gina.post(path, data={"display_name": "X", "password": PASSWORD}).status_code == 401
    # Fred, logged in, is told the invite is not his; nothing changes.
    fred = app.test_client()
    login(fred, "fred@example.org")
    assert "this invite is for gina@example.org" in html.unescape(
        fred.get(path).get_data(as_text=True)
    )
    assert fred.post(path).status_code == 403
    assert fred.get(f"/workshops/{ids['a']}").status_code == 404
    # Gina logs in, comes back to the link and accepts.
    logged_in = login(gina, "gina@example.org")
    assert logged_in.status_code == 302
    assert "Accept and open the workshop" in gina.get(path).get_data(as_text=True)
    assert gina.post(path).status_code == 302
    assert gina.get(f"/workshops/{ids['a']}").status_code == 200


# ---- an invited leadership account: only the workshops it was invited to, and no changes


@pytest.fixture
def ivy(app, two_workshops):
    """Ivy, invited by link as leadership of workshop A, logged in and connected to it."""
    people, ids, a_id, b_id = two_workshops
    path = invite(people["fran"].http, a_id, "ivy@example.org")
    ivy = Person(app, a_id)
    accepted = ivy.http.post(path, data={"display_name": "Ivy", "password": PASSWORD})
    assert accepted.status_code == 302
    assert ivy.connect().is_connected()
    return ivy, people, ids, a_id, b_id


def test_invited_leadership_sees_only_the_workshop_it_was_invited_to(app, ivy):
    ivy, people, ids, a_id, b_id = ivy
    dashboard = ivy.http.get("/workshops/").get_data(as_text=True)
    assert f"/workshops/{a_id}" in dashboard
    assert f"/workshops/{b_id}" not in dashboard and "Another organisation" not in dashboard
    for page in (
        "",
        "/projector",
        "/participants",
        "/audit",
        "/document/versions",
        f"/document/versions/{ids['version']}",
        "/qr.svg",
    ):
        assert ivy.http.get(f"/workshops/{a_id}{page}").status_code == 200, page
        assert ivy.http.get(f"/workshops/{b_id}{page}").status_code == 404, page
    assert ivy.http.get(f"/workshops/{a_id}/invites").status_code == 403
    assert ivy.http.get(f"/workshops/{a_id}/edit").status_code == 403
    elsewhere = Person(app, b_id)
    elsewhere.http = ivy.http
    assert not elsewhere.connect().is_connected()


def test_invited_leadership_is_refused_every_socket_command(app, ivy):
    ivy, people, ids, a_id, _b_id = ivy
    for name in sorted(set(sockets.COMMANDS) - {"state.sync"}):
        with app.app_context():
            before = db_fingerprint()
        ack = ivy.send(name, authorisation.payloads(ids)[name])
        assert authorisation.refusal(ack) in authorisation.REFUSALS, (name, ack)
        with app.app_context():
            assert db_fingerprint() == before, name


def test_invited_leadership_is_refused_every_changing_form(app, ivy):
    ivy, people, ids, a_id, _b_id = ivy
    routes = [r for r in authorisation.state_changing_routes(app) if "<int:workshop_id>" in r]
    assert any("/invites" in route for route in routes)
    data = {"body_md": "X", "headings": "X", "text": "X", "name": "X", "comment": "X"}
    data |= {"email": "mal@example.org", "role": "facilitator"}
    for route in routes:
        if route.endswith("/signoff"):
            continue  # signing off is leadership's own (refused here for the state)
        path = route.replace("<int:workshop_id>", str(a_id))
        path = path.replace("<int:number>", str(ids["version"]))
        path = re.sub(r"<[^>]+>", "1", path)
        with app.app_context():
            before = db_fingerprint()
        response = ivy.http.post(path, data=data)
        # Refused outright, or sent back to the form with the refusal flashed: never a
        # change (and never "log in first": Ivy is logged in).
        assert response.status_code in (302, 400, 403, 404), (route, response.status_code)
        assert "/login" not in response.headers.get("Location", ""), route
        with app.app_context():
            assert db_fingerprint() == before, route
