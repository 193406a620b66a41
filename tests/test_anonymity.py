"""For each anonymity mode: who can see authors, through every channel at once.

Channels: socket events and snapshots (participants and staff), the staff pages,
and the exports. A distinctive name makes any leak easy to find.
"""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, make_user, make_workshop
from tests.people import Person
from workshop import exports
from workshop.extensions import db
from workshop.models import Anonymity, StaffRole, User, UserRole
from workshop.services import rounds, versions, workshops

NAME = "Zebediah Quillfeather"


@pytest.mark.parametrize(
    ("mode", "participants_see", "staff_see"),
    [
        (Anonymity.NAMED, True, True),
        (Anonymity.PEERS, False, True),
        (Anonymity.FULL, False, False),
    ],
)
def test_authors_and_voters_reach_exactly_who_the_mode_allows(
    app, mode, participants_see, staff_see
):
    with app.app_context():
        owner = make_user("fran@example.org")
        make_user("boss@example.org", role=UserRole.LEADERSHIP)
        workshop = make_workshop(owner)
        workshop.anonymity = mode
        db.session.commit()
        workshops.add_staff(owner, workshop.id, "boss@example.org", StaffRole.LEADERSHIP)
        code, workshop_id = workshop.join_code, workshop.id
    fran, boss = Person(app, workshop_id), Person(app, workshop_id)
    fran.http.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    boss.http.post("/login", data={"email": "boss@example.org", "password": PASSWORD})
    author, peer = Person(app, workshop_id), Person(app, workshop_id)
    author.http.post(f"/j/{code}", data={"display_name": NAME, "level": "Frontline"})
    peer.http.post(f"/j/{code}", data={"display_name": "Pat Peer", "level": "Manager"})
    for person in (fran, boss, author, peer):
        assert person.connect().is_connected()
    fran.send("phase.set", {"phase": "propose"})
    proposal_id = author.send("proposal.submit", {"body": "We serve with care"})["proposal_id"]
    peer.send("comment.add", {"proposal_id": proposal_id, "body": "Yes"})
    author.send("comment.add", {"proposal_id": proposal_id, "body": "Thanks"})
    fran.send("phase.set", {"phase": "vote"})
    author.send("vote.set", {"proposal_id": proposal_id, "dots": 1})
    round_id = fran.send("state.sync", {})["snapshot"]["current_round_id"]
    fran.send("round.reveal", {"round_id": round_id})
    with app.app_context():
        owner = db.session.get(User, 1)
        rounds.set_phase(owner, workshop_id, "draft")
        versions.start_draft_from_proposals(owner, workshop_id, [proposal_id], based_on=None)

    # What the other participant received, live and in a fresh snapshot.
    peer_view = str(peer.socket.get_received()) + str(peer.send("state.sync", {})["snapshot"])
    assert (NAME in peer_view) is participants_see
    # Staff: events, snapshot and the pages they open.
    for staff in (fran, boss):
        staff_view = str(staff.socket.get_received()) + str(
            staff.send("state.sync", {})["snapshot"]
        )
        staff_view += staff.http.get(f"/workshops/{workshop_id}/document/versions/1").text
        assert (NAME in staff_view) is staff_see, staff
    # Exports, in every format.
    with app.app_context():
        boss_user = db.session.query(User).filter_by(email="boss@example.org").one()
        for fmt in ("md", "html"):
            content = exports.export_version(boss_user, workshop_id, 1, fmt).content
            assert (NAME in content) is staff_see, fmt
    # Nobody's ballot is ever shown by name, in any mode: results carry only counts.
    results = fran.send("state.sync", {})["snapshot"]["vote"]["results"]
    assert results["items"][0]["dots"] == 1 and NAME not in str(results)
