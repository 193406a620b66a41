"""A room whose workshop follows each browser's language: every screen reads the room's news in
its own language, whoever caused it.

The room's news is sent once to every screen alike, so it must carry no words the server
chose in one language (a version's origin, "Someone" editing, a value's name, "Not represented
here"): a Dutch colleague's change must not turn an English wall Dutch, and the other way round.
Each screen names those things itself, from keys, in its own language.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from tests.conftest import PASSWORD, make_user, make_workshop
from tests.people import Person, strings_in
from workshop import queries
from workshop.catalogue import load_catalogue, value_names, workshop_catalogue
from workshop.extensions import db
from workshop.models import Anonymity, RoundKind, User
from workshop.services import agenda, rounds, versions, votes

TRANSLATIONS = Path(__file__).parent.parent / "workshop" / "translations"
DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9"}


@cache
def dutch_only_words() -> frozenset[str]:
    """Every word the server could write in Dutch that reads differently in English: the
    interface's translations and the values catalogue's names."""
    with (TRANSLATIONS / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="nl")
    words = set()
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        words |= {t for t in texts if t and "%(" not in t and t not in ids}
    english = {v.name for group in load_catalogue("en") for v in group.values}
    words |= {
        v.name for group in load_catalogue("nl") for v in group.values if v.name not in english
    }
    return frozenset(words)


VALUE_KEYS = frozenset(v.key for group in load_catalogue("en") for v in group.values)
NAMED_BY_SCREENS = frozenset({"none", "unmapped"})  # the values results' two other columns


def unnamed(value: object) -> object:
    """A payload without the words each screen names itself: a value's name sent beside its
    catalogue key, and the name of a values column the page has its own words for."""
    if isinstance(value, dict):
        keyed = value.get("key") in VALUE_KEYS or value.get("id") in NAMED_BY_SCREENS
        return {k: unnamed(v) for k, v in value.items() if not (keyed and k in ("name", "value"))}
    if isinstance(value, list | tuple):
        return [unnamed(item) for item in value]
    return value


def dutch_in(payloads: list) -> set[str]:
    """The Dutch words in payloads that a screen would show as they came."""
    return {text for text in strings_in(unnamed(payloads)) if text in dutch_only_words()}


def test_a_dutch_colleague_does_not_turn_an_english_screen_dutch(app):
    with app.app_context():
        owner = make_user("fran@example.org")
        workshop = make_workshop(owner)  # its language follows each browser
        assert workshop.language == ""
        workshop.anonymity = Anonymity.PEERS  # editors and authors are "someone" to peers
        db.session.commit()
        code, workshop_id = workshop.join_code, workshop.id
    fran = Person(app, workshop_id)
    fran.http.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    wall = Person(app, workshop_id)
    wall.http = fran.http
    anouk, joe = Person(app, workshop_id), Person(app, workshop_id)
    anouk.http.set_cookie("language", "nl")  # she chose Dutch with the switch
    for person, name in ((anouk, "Anouk"), (joe, "Joe")):
        assert person.http.post(f"/j/{code}", data={"display_name": name, "level": "Frontline"})
    for person, extra in ((fran, {}), (wall, {"audience": "projector"}), (anouk, {}), (joe, {})):
        assert person.connect(**extra).is_connected()

    def as_dutch_facilitator():
        """Fran's colleague at a Dutch laptop: a change made in a Dutch request."""
        return app.test_request_context("/", headers=DUTCH)

    fran.send("phase.set", {"phase": "propose"})
    card = anouk.send("proposal.submit", {"body": "We care for every patient"})["proposal_id"]
    assert anouk.send("value.tag", {"proposal_id": card, "value_key": "honesty"})["tag_id"]

    values_id = fran.send("round.add", {"kind": "values", "minutes": 0})["round_id"]
    fran.send("round.start", {"round_id": values_id})
    org = {
        c["name"]: c["id"] for c in fran.send("state.sync", {})["snapshot"]["workshop"]["values"]
    }
    picks = [
        {"value": "honesty", "maps_to": org["Integrity"], "lived": 4},
        {"value": "integrity", "maps_to": "none", "lived": 2},
    ]
    assert anouk.send("ballot.cast", {"round_id": values_id, "ballot": {"picks": picks}})["ok"]
    assert joe.send("ballot.cast", {"round_id": values_id, "ballot": {"picks": picks[:1]}})["ok"]
    with as_dutch_facilitator():
        owner = db.session.query(User).filter_by(email="fran@example.org").one()
        votes.reveal_round(owner, values_id)
        rounds.set_phase(owner, workshop_id, "draft")
        versions.start_draft_from_proposals(owner, workshop_id, [card], based_on=None)
        refine = agenda.add_round(owner, workshop_id, agenda.RoundSettings(RoundKind.REFINE))
        rounds.start_round(owner, refine.id)
        key = queries.clauses_of(queries.latest_version(workshop_id))[0].key
    assert anouk.send("clause.editing", {"clause_key": key})["ok"]
    saved = anouk.send(
        "clause.save",
        {"clause_key": key, "body": "We care for every patient, honestly.", "based_on": 1},
    )
    assert saved["ok"], saved

    for who, person in (("facilitator", fran), ("wall", wall), ("participant", joe)):
        news = [m["args"][0] for m in person.socket.get_received()]
        assert news, who
        assert dutch_in(news) == set(), f"the {who}'s English screen received Dutch words"
        fresh = person.send("state.sync", {})["snapshot"]
        assert dutch_in([fresh]) == set(), f"the {who}'s English snapshot has Dutch words"


def test_a_value_the_workshop_hid_after_people_picked_it_keeps_its_name(app):
    """Screens name a value from the page's value names: one hidden from the catalogue later
    must still be named, not shown as its key."""
    with app.app_context():
        workshop = make_workshop(make_user("fran@example.org"))
        workshop.catalogue_edits = {"hidden": ["honesty"], "added": []}
        assert "honesty" not in {v.key for v in workshop_catalogue(workshop, "nl")}
        assert value_names(workshop, "nl")["honesty"] == "Oprechtheid"
        assert value_names(workshop, "en")["honesty"] == "Honesty"
