"""Every page carries the security headers, and bad input over HTTP gets a clear answer
(404 or 400), never a server error."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, join, make_user, make_workshop
from workshop.services import editing

HUGE = str(2**63 + 5)


@pytest.fixture
def fran(app):
    with app.app_context():
        user = make_user("fran@example.org", name="Fran Facilitator")
        workshop = make_workshop(user)
        editing.paste_document(user, workshop.id, "We help.\n\nWe listen.", based_on=None)
        return workshop.id, workshop.join_code


def logged_in(app):
    client = app.test_client()
    client.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    return client


def test_every_page_carries_the_security_headers(app, fran):
    workshop_id, code = fran
    client = logged_in(app)
    pages = [
        "/",
        "/login",
        f"/j/{code}",
        "/workshops/",
        f"/workshops/{workshop_id}",
        f"/workshops/{workshop_id}/projector",
        f"/workshops/{workshop_id}/document",
        f"/workshops/{workshop_id}/document/versions",
        f"/workshops/{workshop_id}/document/versions/1",
        f"/workshops/{workshop_id}/qr.svg",
        "/healthz",
        "/no-such-page",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code in (200, 302, 404), page
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, page
        assert "'unsafe-inline'" not in csp, page
        assert response.headers.get("X-Frame-Options") == "DENY", page
        assert response.headers.get("X-Content-Type-Options") == "nosniff", page
        assert response.headers.get("Referrer-Policy") == "same-origin", page


def test_no_page_has_inline_script_or_style(app, fran):
    import re

    workshop_id, code = fran
    client = logged_in(app)
    for page in ["/", f"/workshops/{workshop_id}", f"/workshops/{workshop_id}/document"]:
        html = client.get(page).data.decode()
        for script in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html):
            assert 'type="application/json"' in script, (page, script)  # data, never code
        assert " style=" not in html and "<style" not in html, page
        assert not re.search(r"\son[a-z]+=", html), page


@pytest.mark.parametrize(
    "path",
    [
        f"/workshops/{HUGE}",
        f"/workshops/{HUGE}/document",
        f"/workshops/{HUGE}/document/versions/{HUGE}",
        f"/workshops/1/document/versions/{HUGE}",
        f"/w/{HUGE}",
        f"/w/1/rounds/{HUGE}/heatmap.svg",
    ],
)
def test_absurd_ids_in_addresses_are_not_found(app, fran, path):
    assert logged_in(app).get(path).status_code == 404


@pytest.mark.parametrize("based_on", ["abc", HUGE, "1.5", "--1"])
def test_malformed_form_numbers_are_a_bad_request(app, fran, based_on):
    workshop_id, _ = fran
    client = logged_in(app)
    response = client.post(
        f"/workshops/{workshop_id}/document",
        data={"body_md": "We help.", "based_on": based_on, "note": ""},
    )
    assert response.status_code == 400
    assert b"based_on" in response.data and b"whole number" in response.data
    restore = client.post(
        f"/workshops/{workshop_id}/document/versions/1/restore", data={"based_on": based_on}
    )
    assert restore.status_code == 400


def test_a_participant_cannot_take_a_staff_members_name(app, fran):
    workshop_id, code = fran
    response = app.test_client().post(
        f"/j/{code}", data={"display_name": "fran facilitator", "level": "Frontline"}
    )
    assert response.status_code == 200 and b"name of one of the workshop" in response.data
    with app.app_context():
        from workshop.queries import get_workshop

        assert join(get_workshop(workshop_id), "Fran").display_name == "Fran"
