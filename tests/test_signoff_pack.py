"""The sign-off pack, opened and checked file by file: leadership signs version 1, the
mission is reopened and changed, and the pack of the new final version says what changed
since that sign-off, how each clause was received and by which levels, what was objected,
who is represented, and carries the whole record."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import docx
import pypdf
import pytest
from flask_babel import force_locale

from tests.conftest import PASSWORD, in_phase, join, make_user
from workshop import exports
from workshop.exports.pack import signoff_pack
from workshop.extensions import db
from workshop.models import Anonymity, Phase, RoundKind, StaffRole, UserRole
from workshop.queries import clauses_of, latest_version
from workshop.services import (
    agenda,
    consent,
    final,
    measures,
    proposals,
    representation,
    rounds,
    versions,
    votes,
    workshops,
)


def build(app):
    """Version 1 signed off; then reopened, a word changed, and locked again as version 3."""
    with app.app_context():
        fran = make_user("fran@example.org")
        boss = make_user("boss@example.org", role=UserRole.LEADERSHIP, name="Bo Boss")
        workshop = workshops.create_workshop(
            fran,
            workshops.WorkshopSettings(
                title="Our mission", organisation="Harbour Health", brief_md="", values=["Care"]
            ),
        )
        workshops.add_staff(fran, workshop.id, boss.email, StaffRole.LEADERSHIP)
        final.set_quorum(fran, workshop.id, 0)
        frontline = [join(workshop, f"F{i}", "Frontline") for i in range(5)]
        managers = [join(workshop, f"M{i}", "Manager") for i in range(5)]
        in_phase(fran, workshop, Phase.PROPOSE)
        ours = proposals.submit_proposal(frontline[0], workshop.id, "We care for every patient")
        versions.start_draft_from_proposals(fran, workshop.id, [ours.id], based_on=None)
        final.lock_version(fran, workshop.id, 1)
        final.sign_off(boss, workshop.id, 1, "We stand behind this.")
        final.reopen(fran, workshop.id, "Say who")
        versions.save_version(
            fran, workshop.id, "We care for every patient and colleague", based_on=2
        )
        clause = clauses_of(latest_version(workshop.id))[0]
        for person in frontline:
            consent.vote_on_clause(person, clause.key, "agree")
        consent.vote_on_clause(managers[0], clause.key, "object", "Colleagues come first")
        consent.vote_on_clause(managers[0], clause.key, "live_with", "Fine after all")
        for person in managers[1:3]:
            consent.vote_on_clause(person, clause.key, "live_with")
        wait = measures.propose_measure(
            fran, workshop.id, clause.key, what="Wait for a first visit", target="5 days"
        )
        measures.decide_measure(fran, wait.id, agreed=True)
        final.lock_version(fran, workshop.id, 3)
        return workshop.id


def test_the_pack_holds_every_file_and_each_says_what_leadership_needs(app, client):
    workshop_id = build(app)
    client.post("/login", data={"email": "boss@example.org", "password": PASSWORD})
    response = client.get(f"/workshops/{workshop_id}/document/versions/3/sign-off-pack.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "harbour-health-sign-off-pack-v3.zip" in response.headers["Content-Disposition"]
    pack = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(pack.namelist())
    assert {
        "README.md",
        "mission-v3.pdf",
        "mission-v3.docx",
        "mission-v3.md",
        "changes-since-last-sign-off.md",
        "results-by-clause.md",
        "minority-objections.md",
        "representation.md",
        "values-appendix.md",
        "success-measures.md",
        "record/record.json",
        "record/results.csv",
    } <= names
    text = pack.read("mission-v3.md").decode()
    assert "We care for every patient and colleague" in text

    pdf = pypdf.PdfReader(io.BytesIO(pack.read("mission-v3.pdf")))
    assert "every patient and colleague" in " ".join(p.extract_text() for p in pdf.pages)
    document = docx.Document(io.BytesIO(pack.read("mission-v3.docx")))
    assert any("every patient and colleague" in p.text for p in document.paragraphs)

    changes = pack.read("changes-since-last-sign-off.md").decode()
    assert "From signed version 1 to version 3" in changes
    assert "**[+ and colleague +]**" in changes.replace("  ", " ")

    results = pack.read("results-by-clause.md").decode()
    assert "5 agree · 3 can live with it · 0 object" in results
    # Three managers answered: too few to show alone, so they count with the frontline.
    assert "| Other levels | 8 | 100% |" in results and "Manager" not in results

    # The objection was withdrawn (the same person answered again): none stands.
    objections = pack.read("minority-objections.md").decode()
    assert "Nobody objected." in objections

    representation = pack.read("representation.md").decode()
    # Five of the seven words are still the frontline proposal's; the facilitator added two.
    assert "| Frontline | 5 | 1 | 0 | 71% | 71% |" in representation
    assert "| Manager | 5 | 0 | 0 |" in representation

    record = json.loads(pack.read("record/record.json"))
    assert record["exported_version"] == 3 and record["document"]["final"] is True
    rows = list(csv.DictReader(io.StringIO(pack.read("record/versions.csv").decode("utf-8-sig"))))
    assert [r["number"] for r in rows] == ["1", "2", "3"]
    assert "No values round was held." in pack.read("values-appendix.md").decode()
    how_we_will_know = pack.read("success-measures.md").decode()
    assert "- Wait for a first visit: from — to 5 days" in how_we_will_know
    assert "## Success measures" in text  # and in the mission itself
    table = pack.read("record/success_measures.csv").decode("utf-8-sig")
    assert list(csv.DictReader(io.StringIO(table)))[0]["what"] == "Wait for a first visit"


def test_a_first_pack_has_no_earlier_text_to_compare_and_names_open_objections(app, client):
    with app.app_context():
        fran = make_user("fran@example.org")
        workshop = workshops.create_workshop(
            fran,
            workshops.WorkshopSettings(title="T", organisation="Org", brief_md="", values=["Care"]),
        )
        versions.save_version(fran, workshop.id, "We care", based_on=None)
        mo = join(workshop, "Mo", "Manager")
        clause = clauses_of(latest_version(workshop.id))[0]
        consent.vote_on_clause(mo, clause.key, "object", "Say whom we care for")
        workshop_id = workshop.id
    client.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    response = client.get(f"/workshops/{workshop_id}/document/versions/1/sign-off-pack.zip")
    pack = zipfile.ZipFile(io.BytesIO(response.data))
    changes = pack.read("changes-since-last-sign-off.md").decode()
    assert "No earlier version was signed off" in changes
    assert "Not final" in pack.read("README.md").decode()
    objections = pack.read("minority-objections.md").decode()
    assert "- We care: “Say whom we care for” — Mo (Manager)" in objections


def test_only_the_workshops_staff_get_the_pack(app, client):
    workshop_id = build(app)
    with app.app_context():
        make_user("olga@example.org", role=UserRole.LEADERSHIP)
    client.post("/login", data={"email": "olga@example.org", "password": PASSWORD})
    url = f"/workshops/{workshop_id}/document/versions/3/sign-off-pack.zip"
    assert client.get(url).status_code == 404


# People whose names the pack may show only where the workshop's anonymity allows.
OBJECTOR, WRITER, VOTER, UNNAMED = "Olive Objector", "Wren Writer", "Vera Voter", "Fay Fullanon"


def anonymous_build(app, mode):
    """A workshop in ``mode``: Wren's proposal and Fay's (written in a fully anonymous round)
    make the draft, Vera only votes and agrees, Olive objects to the clause, and the objection
    stands; five frontline people and five managers."""
    with app.app_context():
        fran = make_user("fran@example.org")
        boss = make_user("boss@example.org", role=UserRole.LEADERSHIP, name="Bo Boss")
        workshop = workshops.create_workshop(
            fran,
            workshops.WorkshopSettings(
                title="Our mission",
                organisation="Harbour Health",
                brief_md="",
                values=["Care"],
                anonymity=mode,
            ),
        )
        workshops.add_staff(fran, workshop.id, boss.email, StaffRole.LEADERSHIP)
        writer, voter, *frontline = [
            join(workshop, name, "Frontline") for name in (WRITER, VOTER, "F2", "F3", "F4")
        ]
        objector, unnamed, *managers = [
            join(workshop, name, "Manager") for name in (OBJECTOR, UNNAMED, "M2", "M3", "M4")
        ]
        in_phase(fran, workshop, Phase.PROPOSE)
        care = proposals.submit_proposal(writer, workshop.id, "We care for every patient")
        in_phase(fran, workshop, Phase.VOTE)
        votes.set_dots(voter, care.id, 2)
        hidden = agenda.add_round(
            fran,
            workshop.id,
            agenda.RoundSettings(RoundKind.PROPOSE, "And?", anonymity=Anonymity.FULL),
        )
        rounds.start_round(fran, hidden.id)
        promise = proposals.submit_proposal(unnamed, workshop.id, "We keep our promises")
        rounds.end_round(fran, hidden.id)
        versions.start_draft_from_proposals(fran, workshop.id, [care.id, promise.id], based_on=None)
        first = clauses_of(latest_version(workshop.id))[0]
        for person in [writer, voter, *frontline, unnamed, *managers]:
            consent.vote_on_clause(person, first.key, "agree")
        consent.vote_on_clause(objector, first.key, "object", "Colleagues come first")
        return workshop.id


def pack_texts(pack: zipfile.ZipFile) -> dict[str, str]:
    """What a reader finds in each file of the pack: the PDF's text, every part of the Word
    file, the other files as they are."""
    texts = {}
    for name in pack.namelist():
        data = pack.read(name)
        if name.endswith(".pdf"):
            texts[name] = " ".join(
                p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages
            )
        elif name.endswith(".docx"):
            with zipfile.ZipFile(io.BytesIO(data)) as word:
                texts[name] = "".join(
                    word.read(part).decode("utf-8", "replace") for part in word.namelist()
                )
        else:
            texts[name] = data.decode("utf-8")
    return texts


@pytest.mark.parametrize("mode", [Anonymity.PEERS, Anonymity.FULL])
def test_an_anonymous_workshops_pack_names_nobody_its_anonymity_hides(app, client, mode):
    workshop_id = anonymous_build(app, mode)
    client.post("/login", data={"email": "boss@example.org", "password": PASSWORD})
    response = client.get(f"/workshops/{workshop_id}/document/versions/1/sign-off-pack.zip")
    assert response.status_code == 200
    texts = pack_texts(zipfile.ZipFile(io.BytesIO(response.data)))
    assert "mission-v1.pdf" in texts and "record/record.json" in texts
    assert all("We care for every patient" in texts[f"mission-v1.{f}"] for f in ("md", "pdf"))

    objections = texts["minority-objections.md"]
    # Anonymous to peers hides authors from participants, not from staff (the pack is for
    # staff, as every export): the objection is named so leadership can talk to her.
    # Fully anonymous: nothing says who objected, nor at which level.
    named = mode == Anonymity.PEERS
    line = "- We care for every patient: “Colleagues come first”"
    assert (line + f" — {OBJECTOR} (Manager)" in objections) is named
    assert line in objections
    # Nobody is ever named for a vote, nor for what they wrote in a fully anonymous round.
    hidden = {VOTER, UNNAMED} if named else {OBJECTOR, WRITER, VOTER, UNNAMED}
    shown = [(person, name) for person in hidden for name, text in texts.items() if person in text]
    assert shown == []
    if named:
        assert WRITER in texts["record/record.json"]  # her proposal's author, for staff


# ---- the pack of a version signed, after the work went on (found by an audit) ------------


def _signed_by_two_levels(facilitator, workshop):
    """Five at the front line and five managers agree to version 1 (a front-line proposal),
    which is locked and signed off."""
    boss = make_user("boss@example.org", role=UserRole.LEADERSHIP, name="Bo Boss")
    workshops.add_staff(facilitator, workshop.id, boss.email, StaffRole.LEADERSHIP)
    front = [join(workshop, f"F{i}", "Frontline") for i in range(5)]
    in_phase(facilitator, workshop, Phase.PROPOSE)
    ours = proposals.submit_proposal(front[0], workshop.id, "We care for every patient")
    versions.start_draft_from_proposals(facilitator, workshop.id, [ours.id], based_on=None)
    managers = [join(workshop, f"M{i}", "Manager") for i in range(5)]
    key = clauses_of(latest_version(workshop.id))[0].key
    for person in front + managers:
        consent.vote_on_clause(person, key, "agree")
    final.lock_version(facilitator, workshop.id, 1)
    final.sign_off(boss, workshop.id, 1, "Yes")
    return boss, front + managers, managers, key


def _pack_file(boss, workshop, name: str) -> str:
    pack = zipfile.ZipFile(io.BytesIO(signoff_pack(boss, workshop.id, 1).content))
    return pack.read(name).decode()


def test_a_signed_versions_pack_keeps_the_consent_by_level_it_was_locked_on(facilitator, workshop):
    """After a reopen the managers objected to the new draft (the same words), and version
    1's pack showed their objections under the summary kept from the lock."""
    boss, _everyone, managers, key = _signed_by_two_levels(facilitator, workshop)
    results_then = _pack_file(boss, workshop, "results-by-clause.md")
    assert "| Manager | 5 | 100% |" in results_then
    final.reopen(facilitator, workshop.id, "one more look")
    for person in managers:
        consent.vote_on_clause(person, key, "object", "No")
    assert _pack_file(boss, workshop, "results-by-clause.md") == results_then


def test_a_signed_versions_pack_tells_whose_words_are_in_that_version(facilitator, workshop):
    """A later final version's shares appeared in version 1's pack."""
    boss, everyone, _managers, _key = _signed_by_two_levels(facilitator, workshop)

    def frontline_share() -> str:
        text = _pack_file(boss, workshop, "representation.md")
        row = next(line for line in text.splitlines() if line.startswith("| Frontline |"))
        return row.strip("| ").split(" | ")[-1]  # words in the final text

    assert frontline_share() == "100%"
    final.reopen(facilitator, workshop.id, "one more look")
    versions.save_version(facilitator, workshop.id, "Staff wrote none of this now.", based_on=2)
    clause = clauses_of(latest_version(workshop.id))[0]
    for person in everyone:
        consent.vote_on_clause(person, clause.key, "agree")
    final.lock_version(facilitator, workshop.id, 3)
    assert frontline_share() == "100%"


def test_every_export_of_a_final_version_says_what_it_said_at_the_lock(facilitator, workshop):
    """After a reopen the room went on: a values round, a new proposal, a newcomer. Version
    1's record (JSON, CSV, the pack's record and every document's values appendix) took all
    of it in, as if the final mission had been agreed on it. Now it is the record kept at the
    lock; only who has signed since, and when it is exported, are as now."""
    boss, everyone, _managers, _key = _signed_by_two_levels(facilitator, workshop)

    def record(language: str = "en") -> dict:
        with force_locale(language):
            data = json.loads(exports.export_version(boss, workshop.id, 1, "json").content)
        return {k: v for k, v in data.items() if k != "exported_at"}

    def html() -> str:
        return exports.export_version(boss, workshop.id, 1, "html").content

    at_lock, page_at_lock = record(), html()
    dutch_at_lock = record("nl")
    cleo = make_user("cleo@example.org", role=UserRole.LEADERSHIP, name="Cleo")
    workshops.add_staff(facilitator, workshop.id, cleo.email, StaffRole.LEADERSHIP)
    final.sign_off(cleo, workshop.id, 1, "Yes too")
    final.reopen(facilitator, workshop.id, "one more look")
    late = join(workshop, "Late Lou", "Director")
    values = agenda.add_round(
        facilitator, workshop.id, agenda.RoundSettings(RoundKind.VALUES, "What drives you?", 600)
    )
    rounds.start_round(facilitator, values.id)
    for person in [*everyone[:5], late]:
        votes.cast_ballot(person, workshop.id, {"picks": [{"custom": "Courage", "lived": 2}]})
    votes.reveal_round(facilitator, values.id)
    in_phase(facilitator, workshop, Phase.PROPOSE)
    proposals.submit_proposal(late, workshop.id, "We put patients first")
    now = record()
    assert now["rounds"] == at_lock["rounds"] and now["proposals"] == at_lock["proposals"]
    assert now["participation"] == at_lock["participation"]
    assert now["values_appendix"] == at_lock["values_appendix"] == []
    assert [s["name"] for s in now["document"]["signoffs"]] == ["Bo Boss", "Cleo"]

    def without_signoffs(data: dict) -> dict:
        return {
            **data,
            "document": {**data["document"], "signoffs": None},
            "versions": [{**v, "signoffs": None} for v in data["versions"]],
        }

    assert without_signoffs(now) == without_signoffs(at_lock)
    assert without_signoffs(record("nl")) == without_signoffs(dutch_at_lock)
    assert "What drives you?" not in html() and "Courage" not in html()
    assert html().count("<section") == page_at_lock.count("<section")
    # The live record of the new draft has all of it.
    current = json.loads(exports.export_version(boss, workshop.id, 2, "json").content)
    assert [a["prompt"] for a in current["values_appendix"]] == ["What drives you?"]
    assert current["participation"]["joined"] == at_lock["participation"]["joined"] + 1


def test_a_final_versions_pack_counts_who_took_part_as_at_the_lock(facilitator, workshop):
    """After a reopen five more people joined and one proposed and voted: version 1's
    representation.md counted them, while its record.json (kept at the lock) did not, so
    one ZIP gave two answers to "who took part". Both now say what they said at the lock."""
    boss, _everyone, _managers, _key = _signed_by_two_levels(facilitator, workshop)
    table_then = _pack_file(boss, workshop, "representation.md")
    assert "| Frontline | 5 | 1 |" in table_then
    final.reopen(facilitator, workshop.id, "More voices")
    late = [join(workshop, f"S{i}", "Specialist") for i in range(5)]
    proposals.submit_proposal(late[0], workshop.id, "Colleagues first")
    assert _pack_file(boss, workshop, "representation.md") == table_then
    record = json.loads(_pack_file(boss, workshop, "record/record.json"))
    assert record["participation"]["joined"] == 10
    assert "| Specialist |" not in table_then  # nobody from it had joined then
    # The page leadership follows live counts the room as it is now.
    now = representation.representation(boss, workshop.id)
    assert {row["group"]: row["joined"] for row in now["by_level"]}["Specialist"] == 5


def test_a_pack_in_dutch_names_the_pool_its_version_kept_in_dutch(facilitator, workshop):
    """The consent by level kept at the lock held its pool under the words of whoever locked
    it: a Dutch pack of a version locked in English said "Other levels" (found by an audit)."""
    boss = make_user("boss@example.org", role=UserRole.LEADERSHIP, name="Bo Boss")
    workshops.add_staff(facilitator, workshop.id, boss.email, StaffRole.LEADERSHIP)
    people = [join(workshop, f"F{i}", "Frontline") for i in range(5)]
    people += [join(workshop, f"M{i}", "Manager") for i in range(2)]
    in_phase(facilitator, workshop, Phase.PROPOSE)
    ours = proposals.submit_proposal(people[0], workshop.id, "We care for every patient")
    versions.start_draft_from_proposals(facilitator, workshop.id, [ours.id], based_on=None)
    key = clauses_of(latest_version(workshop.id))[0].key
    for person in people:
        consent.vote_on_clause(person, key, "agree")
    final.lock_version(facilitator, workshop.id, 1)  # in English
    with force_locale("nl"):
        dutch = _pack_file(boss, workshop, "results-by-clause.md")
    assert "Overige niveaus" in dutch and "Other levels" not in dutch
    assert "Other levels" in _pack_file(boss, workshop, "results-by-clause.md")


def test_a_version_locked_before_packs_kept_who_took_part_counts_the_room_as_then(
    facilitator, workshop
):
    """A version locked before its pack kept who took part (final_readiness without
    taking_part) counted the room as it is now in representation.md, while its record.json
    said the lock's (found by an audit). It is worked out for the moment of the lock."""
    boss, everyone, _managers, _key = _signed_by_two_levels(facilitator, workshop)
    version = latest_version(workshop.id)
    version.final_readiness = {
        k: v for k, v in version.final_readiness.items() if k != "taking_part"
    }
    db.session.commit()
    final.reopen(facilitator, workshop.id, "More voices")
    for i in range(5):
        join(workshop, f"S{i}", "Specialist")
    table = _pack_file(boss, workshop, "representation.md")
    record = json.loads(_pack_file(boss, workshop, "record/record.json"))
    assert record["participation"]["joined"] == len(everyone) == 10
    assert "| Specialist |" not in table and "| Frontline | 5 | 1 |" in table
