"""Every channel, for every audience, against the privacy rules: authors only where the
anonymity mode allows, no voter ever, nothing of a blind round before its reveal, and no
duel's counts before it is decided.

Audiences: a participant, the projector, facilitators, leadership. Channels: live events,
snapshots, the pages each audience opens (the live rooms, the document and its versions,
the mission pages, the representation notices, who took part, the audit log), the values
heatmap picture, every export format and every file of the sign-off pack. Distinctive
words make any leak easy to find: the author's name, the voter's name, and a value only
the voter named in a blind values round (so it can only come from its results).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import zipfile

import pytest

from tests.conftest import PASSWORD, make_user, make_workshop
from tests.people import Person, tallies_in
from workshop import exports, queries
from workshop.exports import pack
from workshop.extensions import db
from workshop.models import Anonymity, RoundKind, StaffRole, User, UserRole
from workshop.services import agenda, editing, rounds, workshops

NAME = "Zebediah Quillfeather"  # writes: a proposal, a comment, a clause, an amendment...
VOTER = "Ottoline Ballotworth"  # only answers: an amendment, a duel, a blind values round
VOTER_LEVEL = "Manager"
OWN_VALUE = "Marmalade Courage"  # the voter's own value: only that round's results hold it
FORMATS = ("md", "html", "json", "csv", "docx", "pdf")
AUDIENCES = ("peer", "projector", "fran", "lena")


def text_of_file(name: str, content: str | bytes) -> str:
    """A file as the text its reader sees (every file inside a ZIP, each under its name)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(
                f"== {inner}\n" + text_of_file(inner, archive.read(inner))
                for inner in archive.namelist()
            )
    if name.endswith(".docx"):
        import docx

        document = docx.Document(io.BytesIO(data))
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    if name.endswith(".pdf"):
        from pypdf import PdfReader

        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return data.decode("utf-8-sig")


def text_of(export) -> str:
    """An export as the text a reader of the file sees."""
    return text_of_file(export.filename, export.content)


def pack_files(app, workshop_id: int) -> dict[str, bytes]:
    """Every file of the latest version's sign-off pack, as leadership downloads it."""
    with app.app_context():
        lena = db.session.query(User).filter_by(email="lena@example.org").one()
        latest = queries.latest_version(workshop_id).number
        content = pack.signoff_pack(lena, workshop_id, latest).content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert len(archive.namelist()) >= 10, archive.namelist()
        return {name: archive.read(name) for name in archive.namelist()}


@dataclasses.dataclass
class Room:
    mode: Anonymity
    people: dict[str, Person]
    workshop_id: int
    vote_id: int  # a blind dot vote, running, not revealed
    values_id: int  # a blind values round, ended, not revealed
    duel_id: int  # a duel on the clause, open
    amendment_id: int  # an open amendment, answered by the voter


@pytest.fixture(params=[Anonymity.NAMED, Anonymity.PEERS, Anonymity.FULL], ids=str)
def workshop_room(app, request) -> Room:
    """A workshop in one anonymity mode, where NAME proposed, commented, edited a clause,
    suggested an amendment, wrote their part and a success measure, and voted in a blind
    round that is not revealed yet; and VOTER answered the amendment, chose a wording in an
    open duel and named OWN_VALUE in a blind values round that is not revealed yet."""
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
    for key, name, level in (
        ("author", NAME, "Frontline"),
        ("peer", "Pat Peer", "Manager"),
        ("voter", VOTER, VOTER_LEVEL),
    ):
        people[key] = Person(app, workshop_id)
        people[key].http.post(f"/j/{code}", data={"display_name": name, "level": level})
    for key, person in people.items():
        extra = {"audience": "projector"} if key == "projector" else {}
        assert person.connect(**extra).is_connected(), key
    fran, author, peer, voter = people["fran"], people["author"], people["peer"], people["voter"]
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
    amendment_id = author.send(
        "amendment.propose",
        {"version_number": 1, "start": start, "end": start + 2, "replacement": "Together we"},
    )["amendment_id"]
    mission = f"/w/{workshop_id}/mission"
    for form in (
        {"action": "my_part", "sentence": "I answer the phone kindly."},
        {"action": "measure", "what": "Patients who feel known", "target": "80%"},
    ):
        author.http.post(mission, data={"clause_key": clause.key, **form})
    assert voter.send("amendment.vote", {"amendment_id": amendment_id, "choice": "agree"})["ok"]
    duel_id = fran.send(
        "duel.start",
        {
            "clause_key": clause.key,
            "options": ["We help every person.", "We serve every person."],
            "seconds": 600,
        },
    )["duel_id"]
    (duel,) = fran.send("state.sync", {})["snapshot"]["duels"]
    assert voter.send("duel.vote", {"duel_id": duel_id, "ranking": [duel["options"][1]["id"]]})[
        "ok"
    ]
    values_id = fran.send("round.add", {"kind": "values", "minutes": 0})["round_id"]
    fran.send("round.start", {"round_id": values_id})
    own_value = {"custom": OWN_VALUE, "maps_to": "none", "lived": 3}
    assert voter.send("ballot.cast", {"round_id": values_id, "ballot": {"picks": [own_value]}})[
        "ok"
    ]
    vote_id = fran.send("round.add", {"kind": "vote", "method": "dot", "minutes": 0})["round_id"]
    fran.send("round.start", {"round_id": vote_id})  # ends the values round, still blind
    assert author.send("vote.set", {"proposal_id": proposal_id, "dots": 3})["ok"]
    assert peer.send("vote.set", {"proposal_id": proposal_id, "dots": 2})["ok"]
    return Room(mode, people, workshop_id, vote_id, values_id, duel_id, amendment_id)


def received(person: Person) -> list:
    return [event["args"][0] for event in person.socket.get_received()]


def live(person: Person) -> tuple[list, dict]:
    """What a screen received so far, and a fresh snapshot."""
    return received(person), person.send("state.sync", {})["snapshot"]


# Who took part, by name, is the staff's to know in every mode (it says nothing of who
# wrote or voted what); everything else on that page is counted, never named.
JOINED_LIST = re.compile(r'<section aria-labelledby="names-title">.*?</section>', re.S)


def pages(key: str, person: Person, workshop_id: int) -> str:
    """The pages this audience opens, as one text (each must open)."""
    if key == "projector":
        paths = [f"/workshops/{workshop_id}/projector"]
    elif key in ("fran", "lena"):
        base = f"/workshops/{workshop_id}"
        paths = [
            base,
            *([f"{base}/document"] if key == "fran" else []),  # editing is the facilitators'
            f"{base}/document/versions",
            f"{base}/document/versions/1",
            f"{base}/document/versions/2",
            f"{base}/document/diff?from=1&to=2",
            f"{base}/mission",
            f"{base}/notices.json",
            f"{base}/participants",
            f"{base}/audit",
        ]
    else:
        paths = [f"/w/{workshop_id}", f"/w/{workshop_id}/mission"]
    texts = []
    for path in paths:
        response = person.http.get(path)
        assert response.status_code == 200, (key, path, response.status_code)
        text = response.get_data(as_text=True)
        if path.endswith("/participants"):
            text, found = JOINED_LIST.subn("", text)
            assert found == 1, "the list of who joined is where the test expects it"
        texts.append(text)
    return "\n".join(texts)


def heatmap(person: Person, room: Room, level: str = "") -> tuple[int, str]:
    """The values round's heatmap picture as this audience gets it (for one level)."""
    query = f"?level={level}" if level else ""
    response = person.http.get(f"/w/{room.workshop_id}/rounds/{room.values_id}/heatmap.svg{query}")
    return response.status_code, response.get_data(as_text=True)


def all_exports(app, workshop_id: int) -> dict[str, str]:
    """Every export format and the sign-off pack (every file in it), as text."""
    return exports_and_pack(app, workshop_id)[0]


def exports_and_pack(app, workshop_id: int) -> tuple[dict[str, str], dict[str, bytes]]:
    """:func:`all_exports`, and the pack's files as :func:`pack_files` gives them (one pack
    made for both)."""
    with app.app_context():
        lena = db.session.query(User).filter_by(email="lena@example.org").one()
        latest = queries.latest_version(workshop_id).number
        texts = {f: text_of(exports.export_version(lena, workshop_id, latest, f)) for f in FORMATS}
    files = pack_files(app, workshop_id)
    texts["pack"] = "\n".join(f"== {n}\n" + text_of_file(n, c) for n, c in files.items())
    return texts, files


def every_channel(app, room: Room) -> dict[str, str]:
    """Everything every audience can see, by audience and channel, as text."""
    seen = {}
    for key in AUDIENCES:
        person = room.people[key]
        events, snapshot = live(person)
        seen[f"{key} events"] = str(events)
        seen[f"{key} snapshot"] = str(snapshot)
        seen[f"{key} pages"] = pages(key, person, room.workshop_id)
        seen[f"{key} heatmap"] = heatmap(person, room)[1]
    for fmt, text in all_exports(app, room.workshop_id).items():
        seen[f"export {fmt}"] = text
    return seen


def duels_in(value: object):
    """Every duel anywhere in a payload or record: it lists its options and its voters."""
    if isinstance(value, dict):
        if "options" in value and "voters" in value:
            yield value
        for item in value.values():
            yield from duels_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from duels_in(item)


def duel_counts(duel: dict) -> list:
    """Whatever in a duel says how it is going: results, a winner, votes per wording."""
    shown = [duel.get(key) for key in ("results", "winner_id", "winner_votes")]
    shown += [option.get("votes") for option in duel["options"]]
    return [value for value in shown if value is not None]


def csv_rows(files: dict[str, bytes], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[name].decode("utf-8-sig"))))


def csv_export(app, workshop_id: int) -> dict[str, bytes]:
    with app.app_context():
        lena = db.session.query(User).filter_by(email="lena@example.org").one()
        latest = queries.latest_version(workshop_id).number
        content = exports.export_version(lena, workshop_id, latest, "csv").content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def json_export(app, workshop_id: int) -> dict:
    with app.app_context():
        lena = db.session.query(User).filter_by(email="lena@example.org").one()
        latest = queries.latest_version(workshop_id).number
        return json.loads(exports.export_version(lena, workshop_id, latest, "json").content)


def test_nothing_of_a_blind_round_reaches_anyone_before_the_reveal(app, workshop_room):
    room = workshop_room
    people, workshop_id, vote_id = room.people, room.workshop_id, room.vote_id
    for key in AUDIENCES:
        person = people[key]
        events, snapshot = live(person)
        assert snapshot["vote"]["round_id"] == vote_id and snapshot["vote"]["voters"] == 2, key
        assert snapshot["vote"]["results"] is None, key
        seen = [event for event in events if event.get("round_id") in (vote_id, room.values_id)]
        assert list(tallies_in(seen)) == [], key
        # The values round's results (the voter's own value) are nowhere, the picture refused.
        assert OWN_VALUE not in str(events) + str(snapshot), (key, "events and snapshot")
        assert OWN_VALUE not in pages(key, person, workshop_id), (key, "pages")
        status, svg = heatmap(person, room)
        assert status == 403 and OWN_VALUE not in svg, (key, "heatmap")
    with app.app_context():
        lena = db.session.query(User).filter_by(email="lena@example.org").one()
        latest = queries.latest_version(workshop_id).number
        record = exports.export_version(lena, workshop_id, latest, "json").content

    (blind,) = [r for r in json.loads(record)["rounds"] if r["id"] == vote_id]
    assert blind["results"] is None and blind["voters"] == 2
    texts, files = exports_and_pack(app, workshop_id)
    assert not [
        line
        for line in texts["csv"].splitlines()
        if line.startswith("result,") and ",vote," in line
    ]
    for fmt, text in texts.items():
        assert OWN_VALUE not in text, (fmt, "export")
    packed = {r["id"]: r for r in json.loads(files["record/record.json"])["rounds"]}
    assert packed[vote_id]["results"] is None and packed[room.values_id]["results"] is None
    assert not [row for row in csv_rows(files, "record/results.csv") if row["row"] != "round"]

    # Revealed, the same channels show the results (so the scan above can see them), and
    # the picture still shows no group under five on its own.
    fran = people["fran"]
    assert fran.send("round.reveal", {"round_id": room.values_id})["ok"]
    for key in AUDIENCES:
        status, svg = heatmap(people[key], room)
        assert status == 200 and OWN_VALUE in svg, (key, "heatmap after the reveal")
        status, svg = heatmap(people[key], room, level=VOTER_LEVEL)
        assert status == 200 and OWN_VALUE not in svg, (key, "a group of one")
        assert OWN_VALUE in str(received(people[key])), (key, "events after the reveal")
    for fmt, text in all_exports(app, workshop_id).items():
        if fmt != "csv":  # the CSV tables hold the round results, not the values appendix
            assert OWN_VALUE in text, (fmt, "export after the reveal")


def test_a_duel_shows_its_voters_only_until_it_is_decided_on_every_channel(app, workshop_room):
    room = workshop_room
    people, workshop_id, duel_id = room.people, room.workshop_id, room.duel_id
    for key in AUDIENCES:
        events, snapshot = live(people[key])
        duels = list(duels_in(events)) + list(duels_in(snapshot))
        assert duels and all(d["id"] == duel_id for d in duels), key
        assert [duel_counts(d) for d in duels] == [[]] * len(duels), (key, duels)
        assert snapshot["duels"][0]["voters"] == 1, key
    (recorded,) = json_export(app, workshop_id)["duels"]
    assert duel_counts(recorded) == [] and recorded["voters"] == 1
    texts, files = exports_and_pack(app, workshop_id)
    (packed,) = json.loads(files["record/record.json"])["duels"]
    assert duel_counts(packed) == []
    for tables in (csv_export(app, workshop_id), files):
        name = "duels.csv" if "duels.csv" in tables else "record/duels.csv"
        rows = csv_rows(tables, name)
        assert len(rows) == 2 and {(r["votes"], r["winner"]) for r in rows} == {("", "")}
    for fmt, text in texts.items():
        assert f"Duel #{duel_id}:" not in text, fmt  # how a decided duel is told

    # Decided, its counts show everywhere: the scan above would have seen them.
    assert people["fran"].send("duel.close", {"duel_id": duel_id})["ok"]
    for key in AUDIENCES:
        (duel,) = people[key].send("state.sync", {})["snapshot"]["duels"]
        assert duel["results"]["counts"] and duel["winner_id"], key
    (recorded,) = json_export(app, workshop_id)["duels"]
    assert [o["votes"] for o in recorded["options"]] == [0, 1] and recorded["winner_votes"] == 1
    rows = csv_rows(csv_export(app, workshop_id), "duels.csv")
    assert [(r["votes"], r["winner"]) for r in rows] == [("0", ""), ("1", "yes")]
    for fmt, text in all_exports(app, workshop_id).items():
        if fmt != "csv":  # the tables list options and votes, not how a version came
            assert f"Duel #{duel_id}:" in text, fmt


def test_an_amendment_shows_counts_of_answers_and_never_who_gave_them(app, workshop_room):
    room = workshop_room
    seen = {}
    for key in AUDIENCES:
        _events, snapshot = live(room.people[key])
        (amendment,) = snapshot["amendments"]
        assert amendment["counts"]["agree"] == 1, key  # live counts, by design
        seen[key] = amendment
    assert seen["projector"] == seen["peer"]  # the room's screen gets what participants get
    (recorded,) = json_export(app, room.workshop_id)["amendments"]
    assert recorded["counts"]["agree"] == 1 and recorded["answers"] == 1
    # Nobody's answer is told with their name: see the voter test below.


def test_a_voter_is_named_on_no_channel_for_any_audience(app, workshop_room):
    room = workshop_room
    assert room.people["fran"].send("round.reveal", {"round_id": room.vote_id})["ok"]
    assert room.people["fran"].send("round.reveal", {"round_id": room.values_id})["ok"]
    assert room.people["fran"].send("duel.close", {"duel_id": room.duel_id})["ok"]
    for channel, text in every_channel(app, room).items():
        assert VOTER not in text, (room.mode, channel)


def test_authors_reach_exactly_the_audiences_the_mode_allows(app, workshop_room):
    room = workshop_room
    mode, people, workshop_id = room.mode, room.people, room.workshop_id
    assert people["fran"].send("round.reveal", {"round_id": room.vote_id})["ok"]
    assert people["fran"].send("round.reveal", {"round_id": room.values_id})["ok"]
    public = mode == Anonymity.NAMED  # participants and the projector
    staff = mode != Anonymity.FULL  # facilitators, leadership and the exports
    expected = {"peer": public, "projector": public, "fran": staff, "lena": staff}
    for key, sees in expected.items():
        person = people[key]
        live_text = str(received(person)) + str(person.send("state.sync", {})["snapshot"])
        assert (NAME in live_text) is sees, (mode, key, "events and snapshot")
        page_text = pages(key, person, workshop_id)
        # Live pages carry their reader's snapshot: the same rule.
        assert (NAME in page_text) is sees, (mode, key, "pages")
        status, svg = heatmap(person, room)
        assert status == 200 and OWN_VALUE in svg and NAME not in svg, (mode, key, "heatmap")
    for fmt, text in all_exports(app, workshop_id).items():
        assert (NAME in text) is staff, (mode, fmt)
    # Results name nobody, in any mode: counts only.
    results = people["peer"].send("state.sync", {})["snapshot"]["vote"]["results"]
    assert results["items"][0]["dots"] == 5 and NAME not in str(results)


def test_the_projector_gets_what_participants_get_and_nothing_personal(app, workshop_room):
    people = workshop_room.people
    projector = people["projector"].send("state.sync", {})["snapshot"]
    participant = people["peer"].send("state.sync", {})["snapshot"]
    assert projector["viewer"] == {"kind": "projector"}
    for key in ("me", "my_amendment_votes", "my_clause_votes", "my_duel_votes"):
        assert key not in projector
    assert projector["proposals"] == participant["proposals"]
    assert projector["document"] == participant["document"]
    assert projector["amendments"] == participant["amendments"]
    without_clock = [
        [{k: v for k, v in d.items() if k != "server_now"} for d in s["duels"]]
        for s in (projector, participant)
    ]
    assert without_clock[0] == without_clock[1]
    assert not any("hidden_reason" in p or "body_md" in p for p in projector["proposals"])
    refused = people["projector"].send("proposal.hide", {"proposal_id": 1, "reason": "x"})
    assert refused["error"]["code"] == "forbidden"
