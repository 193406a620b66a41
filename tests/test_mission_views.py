"""The mission pages over HTTP: facilitators tag clauses and agree measures, participants
write their part and propose or support measures, and anyone with the feedback link answers
without leaving a trace of who they are; bad input is answered with the form kept."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from tests.conftest import PASSWORD, join, make_user, make_workshop
from tests.test_invites_views import invite
from workshop.extensions import db
from workshop.models import (
    Anonymity,
    Feedback,
    MeasureStatus,
    MyPart,
    SuccessMeasure,
    User,
    UserRole,
    Workshop,
)
from workshop.queries import clauses_of, latest_version
from workshop.services import editing, feedback, final, my_part

TEXT = "## Purpose\n\nWe care for every patient.\n\n## How we work\n\nWe listen first."


def setup(app, client):
    with app.app_context():
        fran = make_user("fran@example.org")
        workshop = make_workshop(fran)
        editing.paste_document(fran, workshop.id, TEXT, based_on=None)
        keys = [c.key for c in clauses_of(latest_version(workshop.id))]
        code, workshop_id = workshop.join_code, workshop.id
    amira = app.test_client()
    amira.post(f"/j/{code}", data={"display_name": "Amira", "level": "Frontline"})
    client.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    return workshop_id, keys, amira


def test_facilitator_tags_clauses_and_reads_the_mission_as_a_colleague(app, client):
    workshop_id, (purpose, how), _amira = setup(app, client)
    page = client.get(f"/workshops/{workshop_id}/mission").get_data(as_text=True)
    assert "No clause says yet whom it speaks to." in page
    base = f"/workshops/{workshop_id}/mission/clauses"
    client.post(f"{base}/{purpose}/stakeholders", data={"stakeholder": ["clients"]})
    page = client.get(f"/workshops/{workshop_id}/mission").get_data(as_text=True)
    assert "No clause speaks to colleagues." in page
    client.post(f"{base}/{how}/stakeholders", data={"stakeholder": ["colleagues"]})
    colleague = client.get(f"/workshops/{workshop_id}/mission?reader=colleagues")
    text = colleague.get_data(as_text=True)
    assert "We listen first." in text and "We care for every patient." not in text
    client_view = client.get(f"/workshops/{workshop_id}/mission?reader=clients")
    text = client_view.get_data(as_text=True)
    assert "We care for every patient." in text and "We listen first." not in text
    assert client.get(f"/workshops/{workshop_id}/mission?reader=aliens").status_code == 400


def test_a_participant_writes_their_part_and_proposes_a_measure_the_facilitator_agrees(app, client):
    workshop_id, (purpose, _how), amira = setup(app, client)
    url = f"/w/{workshop_id}/mission"
    assert "My part in the mission" in amira.get(url).get_data(as_text=True)
    amira.post(url, data={"action": "my_part", "clause_key": purpose, "sentence": "I greet."})
    amira.post(
        url,
        data={
            "action": "measure",
            "clause_key": purpose,
            "what": "Patients who feel known",
            "baseline": "61%",
            "target": "80%",
            "owner_team": "Patient experience",
            "review_on": "2027-06-01",
        },
    )
    refused = amira.post(
        url, data={"action": "measure", "clause_key": purpose, "what": "x", "target": ""}
    )
    assert refused.status_code == 400  # the page again, with the reason shown
    assert "Say what the target is." in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(MyPart.sentence)) == "I greet."
        measure = db.session.scalar(sa.select(SuccessMeasure))
        measure_id = measure.id
    page = client.get(f"/workshops/{workshop_id}/mission").get_data(as_text=True)
    assert "Patients who feel known" in page and "“I greet.”" in page
    assert "review 1 June 2027" in page  # a date as people write it, not "2027-06-01"
    dutch = amira.get(url, headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "1 juni 2027" in dutch
    client.post(
        f"/workshops/{workshop_id}/mission/measures/{measure_id}/decide",
        data={"decision": "agree"},
    )
    with app.app_context():
        assert db.session.get(SuccessMeasure, measure_id).status == MeasureStatus.AGREED
    # Agreed measures reach the exports as "Success measures".
    markdown = client.get(f"/workshops/{workshop_id}/document/versions/1/export.md")
    text = markdown.get_data(as_text=True)
    assert "## Success measures" in text
    assert "Patients who feel known: from 61% to 80% · Patient experience · review 2027-06-01" in (
        text
    )
    # Staff do not write a participant's part; a stranger gets nothing.
    assert client.post(url, data={"action": "my_part", "clause_key": purpose}).status_code == 403
    assert app.test_client().get(url).status_code == 401


def test_in_a_fully_anonymous_workshop_people_still_find_and_change_their_own_part(app, client):
    workshop_id, (purpose, _how), amira = setup(app, client)
    with app.app_context():
        workshop = db.session.get(Workshop, workshop_id)
        workshop.anonymity = Anonymity.FULL
        db.session.commit()
    url = f"/w/{workshop_id}/mission"
    amira.post(url, data={"action": "my_part", "clause_key": purpose, "sentence": "I greet."})
    amira.post(url, data={"action": "my_part", "clause_key": purpose, "sentence": "I welcome."})
    amira.post(
        url, data={"action": "measure", "clause_key": purpose, "what": "Smiles", "target": "More"}
    )
    page = amira.get(url).get_data(as_text=True)
    assert 'value="I welcome."' in page and "Supported ✓" in page  # hers, found by her hash
    with app.app_context():
        part = db.session.scalar(sa.select(MyPart))
        assert (part.sentence, part.participant_id) == ("I welcome.", None)
        measure_id = db.session.scalar(sa.select(SuccessMeasure.id))
    amira.post(url, data={"action": "unsupport", "clause_key": purpose, "measure_id": measure_id})
    assert "Supported ✓" not in amira.get(url).get_data(as_text=True)
    staff = client.get(f"/workshops/{workshop_id}/mission").get_data(as_text=True)
    assert "“I welcome.”" in staff
    assert "1 sentence written. Fully anonymous: nothing says who wrote which" in staff


def test_feedback_link_takes_anonymous_answers_and_keeps_a_refused_form(app, client):
    workshop_id, (purpose, how), _amira = setup(app, client)
    with app.app_context():
        fran = db.session.scalar(sa.select(User))
        final.set_quorum(fran, workshop_id, 0)
        final.lock_version(fran, workshop_id, 1)
    client.post(f"/workshops/{workshop_id}/mission/feedback", data={"action": "open"})
    page = client.get(f"/workshops/{workshop_id}/mission").get_data(as_text=True)
    link = re.search(r'id="feedback-link">([^<]+)<', page).group(1)
    path = "/" + link.split("/", 3)[3]
    stranger = app.test_client()
    form = stranger.get(path)
    assert form.status_code == 200 and "Does our mission land for you?" in form.get_data(True)
    refused = stranger.post(path, data={f"comment-{how}": "Not on nights"})
    assert refused.status_code == 400
    assert "Answer for at least one clause." in refused.get_data(as_text=True)
    assert "Not on nights" in refused.get_data(as_text=True)  # nothing typed is lost
    done = stranger.post(
        path, data={f"answer-{how}": "does_not", f"comment-{how}": "Not on nights"}
    )
    assert "Thank you" in done.get_data(as_text=True)
    assert not stranger.get_cookie("session")  # nothing about the person is kept
    with app.app_context():
        rows = db.session.scalars(sa.select(Feedback)).all()
        assert [(r.clause_key, str(r.answer), r.comment) for r in rows] == [
            (how, "does_not", "Not on nights")
        ]
    summary = client.get(f"/workshops/{workshop_id}/mission").get_data(as_text=True)
    assert "“Not on nights”" in summary
    client.post(f"/workshops/{workshop_id}/mission/feedback", data={"action": "close"})
    assert stranger.get(path).status_code == 404


def test_leadership_reads_the_mission_page_but_changes_nothing(app, client):
    workshop_id, (purpose, _how), _amira = setup(app, client)
    with app.app_context():
        make_user("lena@example.org", UserRole.LEADERSHIP)
    client.post(
        f"/workshops/{workshop_id}/staff", data={"email": "lena@example.org", "role": "leadership"}
    )
    lena = app.test_client()
    lena.post("/login", data={"email": "lena@example.org", "password": PASSWORD})
    page = lena.get(f"/workshops/{workshop_id}/mission")
    assert page.status_code == 200 and "<fieldset><legend>Speaks to" not in page.get_data(True)
    refused = lena.post(
        f"/workshops/{workshop_id}/mission/clauses/{purpose}/stakeholders",
        data={"stakeholder": ["clients"]},
    )
    assert refused.status_code == 403


def feedback_table(page: str) -> dict[str, list[str]]:
    """The feedback section's table as a reader sees it: per clause, its cells' text."""
    section = page.split('id="feedback"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', section, re.S)
    return {
        html.unescape(title): [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        ]
        for title, cells in rows
    }


def test_invited_leadership_reads_the_feedback_per_clause_and_no_other_workshops(app, client):
    workshop_id, (purpose, how), _amira = setup(app, client)
    with app.app_context():
        fran = db.session.scalar(sa.select(User))
        final.set_quorum(fran, workshop_id, 0)
        final.lock_version(fran, workshop_id, 1)
        key = feedback.open_link(fran, workshop_id)
        for answers in (
            {purpose: ("lands", ""), how: ("does_not", "Not on nights")},
            {purpose: ("lands", ""), how: ("partly", "Only on days")},
            {purpose: ("does_not", "Say whom we serve")},
        ):
            feedback.give_feedback(key, answers)
        fred = make_user("fred@example.org")
        other_id = make_workshop(fred, title="Quayside strategy").id
    fred_client = app.test_client()
    fred_client.post("/login", data={"email": "fred@example.org", "password": PASSWORD})

    lena, otto = app.test_client(), app.test_client()
    for person, name, inviter, workshop in (
        (lena, "lena", client, workshop_id),
        (otto, "otto", fred_client, other_id),
    ):
        path = invite(inviter, workshop, f"{name}@example.org")
        accepted = person.post(path, data={"display_name": name.title(), "password": PASSWORD})
        assert accepted.status_code == 302

    page = lena.get(f"/workshops/{workshop_id}/mission")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "5 answers on version 1" in text
    # Clause: lands, partly, does not land, where not.
    assert feedback_table(text) == {
        "Purpose": ["2", "0", "1", "“Say whom we serve”"],
        "How we work": ["0", "1", "1", "“Not on nights” “Only on days”"],
    }
    assert "Close the link" not in text  # leadership reads; facilitators run the link

    # Leadership of another workshop finds nothing here, not even that it exists.
    assert otto.get(f"/workshops/{other_id}/mission").status_code == 200
    refused = otto.get(f"/workshops/{workshop_id}/mission")
    assert refused.status_code == 404
    assert "Not on nights" not in refused.get_data(as_text=True)


def test_a_participant_sees_which_departments_wrote_their_part_with_small_ones_pooled(app):
    """Teams see themselves in the mission: each participant's page shows, by department
    (small ones pooled), who wrote their part, their own department marked, and nobody's
    sentence."""
    with app.app_context():
        fran = make_user("fran@example.org")
        workshop = make_workshop(fran, departments=["IT", "Finance", "Care"])
        editing.paste_document(fran, workshop.id, TEXT, based_on=None)
        purpose = clauses_of(latest_version(workshop.id))[0].key
        it = [join(workshop, f"IT {i}", "Frontline", "IT") for i in range(4)]
        finance = [join(workshop, f"Finance {i}", "Frontline", "Finance") for i in range(2)]
        for i in range(3):
            join(workshop, f"Care {i}", "Frontline", "Care")
        my_part.write_my_part(it[0], purpose, "I keep the systems running.")
        my_part.write_my_part(finance[0], purpose, "I pay the bills on time.")
        workshop_id, code = workshop.id, workshop.join_code
    ivo = app.test_client()
    ivo.post(f"/j/{code}", data={"display_name": "Ivo", "level": "Frontline", "department": "IT"})
    page = ivo.get(f"/w/{workshop_id}/mission").get_data(as_text=True)
    table = page[page.index("Who sees their own work in it") :]
    rows = re.findall(r"<tr( class=\"mine\")?><th scope=\"row\">(.*?)</th>(.*?)</tr>", table)
    cells = {
        re.sub(r"<.*?>", "", name).strip(): (bool(mark), re.findall(r">(\d+)<", rest))
        for mark, name, rest in rows
    }
    assert cells == {
        "IT (your department)": (True, ["5", "1"]),
        # Finance (2) and Care (3) are counted together: five people, one wrote.
        "Other departments": (False, ["5", "1"]),
    }
    assert "I keep the systems running." not in page and "I pay the bills" not in page


def test_the_next_revision_button_becomes_a_link_to_the_revision_it_started(app, client):
    workshop_id, _keys, _amira = setup(app, client)
    with app.app_context():
        fran = db.session.scalar(sa.select(User).where(User.email == "fran@example.org"))
        final.set_quorum(fran, workshop_id, 0)
        final.lock_version(fran, workshop_id, 1)
    page = client.get(f"/workshops/{workshop_id}/mission").get_data(as_text=True)
    assert "Start the next revision from this version" in page and 'id="next-revision"' not in page
    action = f"/workshops/{workshop_id}/mission/next-revision"
    first, second = client.post(action), client.post(action)  # a hurried double click
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        new = db.session.scalar(sa.select(Workshop).where(Workshop.id != workshop_id))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Workshop)) == 2
    assert first.headers["Location"].endswith(f"/workshops/{new.id}")
    page = client.get(f"/workshops/{workshop_id}/mission").get_data(as_text=True)
    link = re.search(r'<p id="next-revision">.*?<a href="([^"]+)">([^<]+)</a>', page)
    assert link and link[1].endswith(f"/workshops/{new.id}")
    assert html.unescape(link[2]) == "Rewriting our mission: next revision"
    assert "Start the next revision from this version" not in page


def test_a_refused_measure_or_part_comes_back_with_what_was_typed(app, client):
    """A refusal was a flash and a redirect: everything typed was gone (found by an audit).
    The page comes back with it, the refusal next to the form it is about."""
    with app.app_context():
        fran = make_user("fran@example.org")
        workshop = make_workshop(fran)
        editing.paste_document(fran, workshop.id, "## Purpose\n\nWe care.", based_on=None)
        key = clauses_of(latest_version(workshop.id))[0].key
        workshop_id, code = workshop.id, workshop.join_code
    client.post(f"/j/{code}", data={"display_name": "Amira", "level": "Frontline"})
    measure = {
        "action": "measure",
        "clause_key": str(key),
        "what": "\u200b ",  # passes the browser's `required`, shows nothing
        "baseline": "Twelve days from referral to first visit",
        "target": "Five days from referral to first visit",
        "owner_team": "Planning",
    }
    refused = client.post(f"/w/{workshop_id}/mission", data=measure)
    assert refused.status_code == 400
    page = html.unescape(refused.get_data(as_text=True))
    assert 'class="flash flash-error error-summary" role="alert"' in page
    assert f'<details class="add-measure" id="measure-{key}" open>' in page
    for typed in ("Twelve days from referral", "Five days from referral", "Planning"):
        assert typed in page, typed
    long_part = {"action": "my_part", "clause_key": str(key), "sentence": "I " * 400}
    refused = client.post(f"/w/{workshop_id}/mission", data=long_part)
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MyPart)) == 0
