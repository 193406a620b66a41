"""Every channel, for every audience, against the privacy rules: authors only where the
anonymity mode allows, and nothing of a blind round before its reveal.

Audiences: a participant, the projector, facilitators, leadership. Channels: live events,
snapshots, the pages each audience opens, the values heatmap, and every export format.
A distinctive name makes any leak easy to find.
"""

from __future__ import annotations

import io

import pytest

from tests.conftest import PASSWORD, make_user, make_workshop
from tests.people import Person, tallies_in
from workshop import exports, queries
from workshop.extensions import db
from workshop.models import Anonymity, RoundKind, StaffRole, User, UserRole
from workshop.services import agenda, editing, rounds, workshops

NAME = "Zebediah Quillfeather"
FORMATS = ("md", "html", "json", "csv", "docx", "pdf")


def text_of(export) -> str:
    """An export as the text a reader of the file sees."""
    if export.filename.endswith(".docx"):
        import docx

        document = docx.Document(io.BytesIO(export.content))
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    if export.filename.endswith(".zip"):
        import zipfile

        with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
            return "\n".join(
                f"== {name}\n" + archive.read(name).decode("utf-8-sig")
                for name in archive.namelist()
            )
    if export.filename.endswith(".pdf"):
        from pypdf import PdfReader

        return "\n".join(
            page.extract_text() for page in PdfReader(io.BytesIO(export.content)).pages
        )
    return export.content


@pytest.fixture(params=[Anonymity.NAMED, Anonymity.PEERS, Anonymity.FULL], ids=str)
def workshop_room(app, request):
    """A workshop in one anonymity mode, where NAME proposed, commented, edited a clause,
    suggested an amendment and voted in a blind round that is not revealed yet."""
    mode = request.param
    with app.app_context():
        owner = make_user("fran@example.org", name="Fran Facilitator")
        make_user("lena@example.org", role=UserRole.LEADERSHIP, name="Lena Leader")
        workshop = make_workshop(owner)
        workshop.anonymity = mode
        db.session.commit()
        workshops.add_staff(owner, workshop.id, "lena@example.org", StaffRole.LEADERSHIP)
        code, workshop_id = workshop.join_code, workshop.id
    people = {key: Person(app, workshop_id) for key in ("fran", "lena", "projector")}
    people["fran"].http.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    people["lena"].http.post("/login", data={"email": "lena@example.org", "password": PASSWORD})
    people["projector"].http = people["fran"].http  # the room's screen, Fran's login
    for key, name, level in (("author", NAME, "Frontline"), ("peer", "Pat Peer", "Manager")):
        people[key] = Person(app, workshop_id)
        people[key].http.post(f"/j/{code}", data={"display_name": name, "level": level})
    for key, person in people.items():
        extra = {"audience": "projector"} if key == "projector" else {}
        assert person.connect(**extra).is_connected(), key
    fran, author, peer = people["fran"], people["author"], people["peer"]
    fran.send("phase.set", {"phase": "propose"})
    proposal_id = author.send("proposal.submit", {"body": "We serve with care"})["proposal_id"]
    author.send("comment.add", {"proposal_id": proposal_id, "body": "Patients first"})
    with app.app_context():
        owner = db.session.query(User).filter_by(email="fran@example.org").one()
        version = editing.paste_document(
            owner, workshop_id, "## Purpose\n\nWe help people.", based_on=None
        )
        clause = queries.clauses_of(version)[0]
        refine = agenda.add_round(owner, workshop_id, agenda.RoundSettings(RoundKind.REFINE))
        rounds.start_round(owner, refine.id)
    assert author.send(
        "clause.save", {"clause_key": clause.key, "body": "We help every person.", "based_on": 1}
    )["ok"]
    start = clause.span[0]
    assert author.send(
        "amendment.propose",
        {"version_number": 1, "start": start, "end": start + 2, "replacement": "Together we"},
    )["ok"]
    vote_id = fran.send("round.add", {"kind": "vote", "method": "dot", "minutes": 0})["round_id"]
    fran.send("round.start", {"round_id": vote_id})
    assert author.send("vote.set", {"proposal_id": proposal_id, "dots": 3})["ok"]
    assert peer.send("vote.set", {"proposal_id": proposal_id, "dots": 2})["ok"]
    return mode, people, workshop_id, vote_id


def received(person: Person) -> list:
    return [event["args"][0] for event in person.socket.get_received()]


def pages(key: str, person: Person, workshop_id: int) -> str:
    """The pages this audience opens, as one text."""
    if key == "projector":
        paths = [f"/workshops/{workshop_id}/projector"]
    elif key in ("fran", "lena"):
        paths = [
            f"/workshops/{workshop_id}",
            f"/workshops/{workshop_id}/document",
            f"/workshops/{workshop_id}/document/versions",
            f"/workshops/{workshop_id}/document/versions/1",
            f"/workshops/{workshop_id}/document/versions/2",
            f"/workshops/{workshop_id}/document/diff?from=1&to=2",
        ]
    else:
        paths = [f"/w/{workshop_id}"]
    return "\n".join(person.http.get(path).get_data(as_text=True) for path in paths)


def all_exports(app, workshop_id: int) -> dict[str, str]:
    with app.app_context():
        lena = db.session.query(User).filter_by(email="lena@example.org").one()
        latest = queries.latest_version(workshop_id).number
        return {f: text_of(exports.export_version(lena, workshop_id, latest, f)) for f in FORMATS}


def test_nothing_of_a_blind_round_reaches_anyone_before_the_reveal(app, workshop_room):
    mode, people, workshop_id, vote_id = workshop_room
    for key, person in people.items():
        snapshot = person.send("state.sync", {})["snapshot"]
        assert snapshot["vote"]["round_id"] == vote_id and snapshot["vote"]["voters"] == 2, key
        assert snapshot["vote"]["results"] is None, key
        seen = [event for event in received(person) if event.get("round_id") == vote_id]
        assert list(tallies_in(seen)) == [], key
    with app.app_context():
        lena = db.session.query(User).filter_by(email="lena@example.org").one()
        latest = queries.latest_version(workshop_id).number
        record = exports.export_version(lena, workshop_id, latest, "json").content
    import json

    (blind,) = [r for r in json.loads(record)["rounds"] if r["id"] == vote_id]
    assert blind["results"] is None and blind["voters"] == 2
    csv = all_exports(app, workshop_id)["csv"]
    assert not [
        line for line in csv.splitlines() if line.startswith("result,") and ",vote," in line
    ]


def test_authors_reach_exactly_the_audiences_the_mode_allows(app, workshop_room):
    mode, people, workshop_id, vote_id = workshop_room
    assert people["fran"].send("round.reveal", {"round_id": vote_id})["ok"]
    public = mode == Anonymity.NAMED  # participants and the projector
    staff = mode != Anonymity.FULL  # facilitators, leadership and the exports
    expected = {"peer": public, "projector": public, "fran": staff, "lena": staff}
    for key, sees in expected.items():
        person = people[key]
        live = str(received(person)) + str(person.send("state.sync", {})["snapshot"])
        assert (NAME in live) is sees, (mode, key, "events and snapshot")
        page_text = pages(key, person, workshop_id)
        if key in ("fran", "lena"):
            assert (NAME in page_text) is sees, (mode, key, "pages")
        else:  # their pages are frames the live client fills: no names in them at all
            assert NAME not in page_text, (mode, key, "pages")
    for fmt, text in all_exports(app, workshop_id).items():
        assert (NAME in text) is staff, (mode, fmt)
    # Results name nobody, in any mode: counts only.
    results = people["peer"].send("state.sync", {})["snapshot"]["vote"]["results"]
    assert results["items"][0]["dots"] == 5 and NAME not in str(results)


def test_the_projector_gets_what_participants_get_and_nothing_personal(app, workshop_room):
    mode, people, workshop_id, vote_id = workshop_room
    projector = people["projector"].send("state.sync", {})["snapshot"]
    participant = people["peer"].send("state.sync", {})["snapshot"]
    assert projector["viewer"] == {"kind": "projector"}
    for key in ("me", "my_amendment_votes", "my_clause_votes", "my_duel_votes"):
        assert key not in projector
    assert projector["proposals"] == participant["proposals"]
    assert projector["document"] == participant["document"]
    assert projector["amendments"] == participant["amendments"]
    assert not any("hidden_reason" in p or "body_md" in p for p in projector["proposals"])
    refused = people["projector"].send("proposal.hide", {"proposal_id": 1, "reason": "x"})
    assert refused["error"]["code"] == "forbidden"
