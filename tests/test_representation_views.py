"""The "Who took part" page shows leadership whether every level is in the mission, with
small groups pooled, and only to the workshop's own staff."""

from __future__ import annotations

from tests.conftest import PASSWORD, join, make_user, make_workshop
from workshop import queries
from workshop.extensions import db
from workshop.models import Phase, UserRole
from workshop.services import audit, proposals, rounds, versions, workshops


def login(client, email):
    return client.post("/login", data={"email": email, "password": PASSWORD})


def test_leadership_sees_levels_pooled_flags_and_word_shares(app, client):
    with app.app_context():
        fran = make_user("fran@example.org")
        make_user("lena@example.org", UserRole.LEADERSHIP)
        workshop = make_workshop(fran)
        workshops.add_staff(fran, workshop.id, "lena@example.org", "leadership")
        frontline = [join(workshop, f"F{i}", "Frontline") for i in range(5)]
        join(workshop, "Tess", "Team lead")
        join(workshop, "Tom", "Team lead")
        rounds.set_phase(fran, workshop.id, Phase.PROPOSE)
        ours = proposals.submit_proposal(frontline[0], workshop.id, "We care for every patient")
        versions.start_draft_from_proposals(fran, workshop.id, [ours.id], based_on=None)
        workshop_id = workshop.id
    login(client, "lena@example.org")
    page = client.get(f"/workshops/{workshop_id}/participants").get_data(as_text=True)
    # Two team leads are never a row of their own: with Frontline (5) they are "Other levels".
    assert 'Other levels <span class="meta">(Frontline, Team lead)</span>' in page
    assert '<th scope="row">Team lead' not in page
    assert "No one from Executive has joined." in page
    assert '<meter min="0" max="1" value="1.0"' in page  # all the draft's words are theirs
    assert "Everyone who joined" in page and "Tess" in page
    # The console's "Is every level in it?" reads the same notices.
    notices = client.get(f"/workshops/{workshop_id}/notices.json").json["notices"]
    assert "No one from Executive has joined." in notices
    assert "Purpose has no agreed success measure yet." not in notices  # no headings here
    assert any("no agreed success measure" in n for n in notices)
    # ... and is served with them, so its card has its final height before any script runs.
    console = client.get(f"/workshops/{workshop_id}").get_data(as_text=True)
    served = console.split('id="representation-notices"', 1)[1].split("</ul>", 1)[0]
    assert served.count("<li>") == len(notices) and "No one from Executive has joined." in served
    assert '<p class="empty" id="representation-empty" hidden>' in console


def test_another_workshops_leadership_gets_nothing(app, client):
    with app.app_context():
        fran = make_user("fran@example.org")
        make_user("olga@example.org", UserRole.LEADERSHIP)
        workshop_id = make_workshop(fran).id
    login(client, "olga@example.org")
    assert client.get(f"/workshops/{workshop_id}/participants").status_code == 404
    assert client.get(f"/workshops/{workshop_id}/notices.json").status_code == 404


def test_the_facilitator_alone_puts_the_notices_on_the_projector(app, client):
    with app.app_context():
        fran = make_user("fran@example.org")
        make_user("lena@example.org", UserRole.LEADERSHIP)
        workshop = make_workshop(fran)
        workshops.add_staff(fran, workshop.id, "lena@example.org", "leadership")
        workshop_id = workshop.id
    lena = app.test_client()
    login(lena, "lena@example.org")
    assert (
        lena.post(f"/workshops/{workshop_id}/wall-notices", data={"shown": "1"}).status_code == 403
    )
    login(client, "fran@example.org")
    client.post(f"/workshops/{workshop_id}/wall-notices", data={"shown": "1"})
    with app.app_context():
        assert queries.get_workshop(workshop_id).wall_notices is True
    wall = client.get(f"/workshops/{workshop_id}/projector").get_data(as_text=True)
    assert (
        'id="wall-notices"' in wall
        and 'id="wall-notices" aria-labelledby="wall-notices-title" hidden' not in wall
    )
    client.post(f"/workshops/{workshop_id}/wall-notices", data={"shown": "0"})
    with app.app_context():
        assert queries.get_workshop(workshop_id).wall_notices is False
        fran = db.session.merge(fran)
        actions = [str(e.action) for e in audit.list_entries(fran, workshop_id)]
    assert actions[:2] == ["wall.notices", "wall.notices"]
