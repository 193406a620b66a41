"""The facilitator's document page: start from the template, paste and split, proposals into
a clause, and what leadership may not do there."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_user, make_workshop
from tests.test_views import login
from workshop import provenance, queries
from workshop.models import Phase, StaffRole, UserRole
from workshop.services import consent, editing, final, participants, proposals, rounds, workshops


@pytest.fixture
def workshop_id(app) -> int:
    with app.app_context():
        owner = make_user("fran@example.org")
        return make_workshop(owner).id


def test_the_page_offers_the_editable_default_template(client, workshop_id):
    login(client)
    page = client.get(f"/workshops/{workshop_id}/document").get_data(as_text=True)
    for heading in ("Purpose", "Who we serve", "How we work", "What we value", "How we will know"):
        assert heading in page
    assert "Start the document from these clauses" in page


def test_starting_from_an_edited_template_makes_empty_clauses(app, client, workshop_id):
    login(client)
    response = client.post(
        f"/workshops/{workshop_id}/document/template",
        data={"headings": "Purpose\n\nWho we serve (clients and colleagues)\nOur promise\n"},
        follow_redirects=True,
    )
    assert "Version 1 started from the template." in response.get_data(as_text=True)
    with app.app_context():
        latest = queries.latest_version(workshop_id)
        assert [c.heading for c in queries.clauses_of(latest)] == [
            "Purpose",
            "Who we serve (clients and colleagues)",
            "Our promise",
        ]
    again = client.post(
        f"/workshops/{workshop_id}/document/template",
        data={"headings": "Purpose"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "The draft has already started" in again
    with app.app_context():
        assert queries.latest_version(workshop_id).number == 1


def test_pasting_a_mission_splits_it_into_clauses_shown_one_by_one(app, client, workshop_id):
    login(client)
    pasted = (
        "We keep people well at home. We serve patients and each other.\n"
        "We say what we do and do what we say."
    )
    response = client.post(
        f"/workshops/{workshop_id}/document/paste",
        data={"text": "We keep people well at home.\n\nWe serve patients and each other."},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "split into 2 clauses" in page
    assert page.count('class="clause"') == 2
    response = client.post(
        f"/workshops/{workshop_id}/document/paste",
        data={"text": pasted, "based_on": "1"},
        follow_redirects=True,
    )
    assert "Version 2: the text is split into 3 clauses." in response.get_data(as_text=True)
    with app.app_context():
        clauses = queries.clauses_of(queries.latest_version(workshop_id))
        assert [c.body for c in clauses] == [
            "We keep people well at home.",
            "We serve patients and each other.",
            "We say what we do and do what we say.",
        ]


def test_an_empty_paste_is_refused_and_saves_nothing(app, client, workshop_id):
    login(client)
    response = client.post(
        f"/workshops/{workshop_id}/document/paste",
        data={"text": "   "},
        follow_redirects=True,
    )
    assert "Paste the mission text first." in response.get_data(as_text=True)
    with app.app_context():
        assert queries.latest_version(workshop_id) is None


def test_a_mission_that_fits_the_paste_box_is_taken_whatever_its_line_breaks(
    app, client, workshop_id
):
    """The box let 20,000 characters in, counting a line break as one; the browser sends two
    (CR LF), so a 19,738-character mission arrived as 21,296 and was refused as "Paste the
    mission text first.", the box empty: the text was gone (found by a bad-input audit)."""
    login(client)
    clause = "\n".join(["- We listen."] * 75)
    as_typed = "\n\n".join(f"## Part {i}\n\n{clause}" for i in range(20))
    assert len(as_typed) <= 20_000 < len(as_typed.replace("\n", "\r\n"))
    response = client.post(
        f"/workshops/{workshop_id}/document/paste",
        data={"text": as_typed.replace("\n", "\r\n")},
        follow_redirects=True,
    )
    assert "the text is split into 20 clauses" in response.get_data(as_text=True)


def test_a_paste_over_the_limit_says_the_limit_and_keeps_the_text(app, client, workshop_id):
    login(client)
    text = " ".join(f"word{n}" for n in range(5_000))  # 33,890 characters
    response = client.post(f"/workshops/{workshop_id}/document/paste", data={"text": text})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Keep the document under 20000 characters." in page
    assert "word4999" in page  # still in the box, to shorten
    with app.app_context():
        assert queries.latest_version(workshop_id) is None


def test_refused_template_headings_stay_in_the_form_with_the_reason(app, client, workshop_id):
    login(client)
    headings = "\n".join(f"Clause number {n}" for n in range(60))
    response = client.post(
        f"/workshops/{workshop_id}/document/template", data={"headings": headings}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Use up to" in page and "Clause number 59" in page
    with app.app_context():
        assert queries.latest_version(workshop_id) is None


def test_two_pastes_into_an_empty_draft_do_not_replace_each_other(app, workshop_id):
    """Both facilitators opened the page before any draft existed. The second paste replaced
    the first, which its sender never saw; now it is refused and handed back with its text,
    based on the version that came first, for a second try (found by an audit)."""
    fran, gil = (app.test_client() for _ in range(2))
    for browser in (fran, gil):
        login(browser)
        browser.get(f"/workshops/{workshop_id}/document")  # no draft yet: based_on is empty
    paste = f"/workshops/{workshop_id}/document/paste"
    fran.post(paste, data={"text": "## Purpose\n\nFran's purpose.", "based_on": ""})
    refused = gil.post(paste, data={"text": "## Purpose\n\nGil's careful wording.", "based_on": ""})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "careful wording" in page and 'name="based_on" type="hidden" value="1"' in page
    with app.app_context():
        latest = queries.latest_version(workshop_id)
        assert latest.number == 1 and "Fran's purpose." in latest.body_md


def test_chosen_proposals_go_into_the_chosen_clause(app, client, workshop_id):
    with app.app_context():
        owner = queries.get_workshop(workshop_id)
        fran = owner.staff[0].user
        editing.start_from_template(fran, workshop_id, ["Purpose", "How we work"])
        rounds.set_phase(fran, workshop_id, Phase.PROPOSE)
        amira = participants.join_workshop(
            queries.get_workshop(workshop_id).join_code,
            display_name="Amira",
            level="Frontline",
        )
        proposal_id = proposals.submit_proposal(amira, workshop_id, "We listen before we act.").id
        how_key = queries.clauses_of(queries.latest_version(workshop_id))[1].key
    login(client)
    client.post(
        f"/workshops/{workshop_id}/document/from-proposals",
        data={"proposal_ids": [str(proposal_id)], "clause_key": str(how_key), "based_on": "1"},
    )
    with app.app_context():
        latest = queries.latest_version(workshop_id)
        clauses = queries.clauses_of(latest)
        assert [(c.heading, c.body) for c in clauses] == [
            ("Purpose", ""),
            ("How we work", "We listen before we act."),
        ]
        assert clauses[1].key == how_key
        assert [p.id for p in latest.source_proposals] == [proposal_id]
        trace = provenance.by_sentence(latest.author, workshop_id, latest.number)
        assert trace[-1]["proposals"][0]["people"][0]["name"] == "Amira"


def test_the_same_proposals_sent_twice_to_a_clause_go_in_once(app, client, workshop_id):
    """A double click on "Add to this clause" (or Back and send again) put the same words in
    twice: the clause read "We listen before we act. We listen before we act." The second
    is refused, and the page says why."""
    with app.app_context():
        fran = queries.get_workshop(workshop_id).staff[0].user
        editing.start_from_template(fran, workshop_id, ["Purpose", "How we work"])
        rounds.set_phase(fran, workshop_id, Phase.PROPOSE)
        amira = participants.join_workshop(
            queries.get_workshop(workshop_id).join_code, display_name="Amira", level="Frontline"
        )
        ids = [
            proposals.submit_proposal(amira, workshop_id, text).id
            for text in ("We listen before we act.", "We keep our word.")
        ]
        how_key = queries.clauses_of(queries.latest_version(workshop_id))[1].key
    login(client)
    url = f"/workshops/{workshop_id}/document/from-proposals"
    form = {"proposal_ids": [str(ids[0])], "clause_key": str(how_key), "based_on": "1"}
    assert client.post(url, data=form).status_code == 302
    again = client.post(url, data=form)
    assert again.status_code == 409
    assert "This clause holds the words of these proposals already." in again.get_data(as_text=True)
    # Both ticked, one of them in already: only the other one goes in.
    both = {**form, "proposal_ids": [str(i) for i in ids], "based_on": "2"}
    assert client.post(url, data=both).status_code == 302
    with app.app_context():
        latest = queries.latest_version(workshop_id)
        assert latest.number == 3
        assert queries.clauses_of(latest)[1].body == "We listen before we act.\n\nWe keep our word."


def test_leadership_cannot_start_or_paste_the_document(app, client, workshop_id):
    with app.app_context():
        lead = make_user("lena@example.org", role=UserRole.LEADERSHIP)
        workshops.add_staff(
            queries.get_workshop(workshop_id).staff[0].user,
            workshop_id,
            lead.email,
            StaffRole.LEADERSHIP,
        )
    login(client, "lena@example.org")
    for path, data in (("template", {"headings": "Purpose"}), ("paste", {"text": "We help."})):
        response = client.post(f"/workshops/{workshop_id}/document/{path}", data=data)
        assert response.status_code in (302, 403, 404)
    with app.app_context():
        assert queries.latest_version(workshop_id) is None


def test_a_refused_draft_from_proposals_comes_back_with_its_ticks_and_note(
    app, client, workshop_id
):
    """A colleague saved while the facilitator ticked proposals: the start is refused (the
    draft moved on) and the page comes back with the same proposals ticked, the same place
    and note, based on the newest version; before, it redirected and the ticks were lost."""
    with app.app_context():
        fran = queries.get_workshop(workshop_id).staff[0].user
        editing.start_from_template(fran, workshop_id, ["Purpose", "How we work"])
        rounds.set_phase(fran, workshop_id, Phase.PROPOSE)
        amira = participants.join_workshop(
            queries.get_workshop(workshop_id).join_code, display_name="Amira", level="Frontline"
        )
        ids = [
            proposals.submit_proposal(amira, workshop_id, text).id
            for text in ("We listen first.", "We keep our word.", "We share what we learn.")
        ]
        editing.paste_document(fran, workshop_id, "## Purpose\n\nA colleague's save.", based_on=1)
    login(client)
    refused = client.post(
        f"/workshops/{workshop_id}/document/from-proposals",
        data={
            "proposal_ids": [str(ids[1]), str(ids[2])],
            "clause_key": "",
            "based_on": "1",
            "note": "The room's two favourites",
        },
    )
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    ticked = set(re.findall(r'value="(\d+)" id="p\d+" checked', page))
    assert ticked == {str(ids[1]), str(ids[2])}
    assert "The room&#39;s two favourites" in page or "The room's two favourites" in page
    assert "Version 2 was saved meanwhile: the proposals you ticked are kept below." in page
    assert 'role="alert"' in page and 'href="#from-proposals-title"' in page
    assert re.search(r'<option value="" selected>', page)
    # The editor is based on the newest version, its own note empty (not the refused form's).
    editor = page[page.index('id="edit-title"') :]
    assert 'name="based_on" type="hidden" value="2"' in editor
    assert "The room" not in editor
    ids = re.findall(r' id="([^"]+)"', page)
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []
    with app.app_context():
        assert queries.latest_version(workshop_id).number == 2


def test_the_page_leadership_signs_on_shows_what_was_agreed_at_the_lock(app, client, workshop_id):
    """The sign-off page said only "Final": not when it was locked nor on what answers
    (found by an audit of leadership's journey). It shows both, kept from the lock."""
    with app.app_context():
        fran = queries.get_workshop(workshop_id).staff[0].user
        editing.paste_document(fran, workshop_id, "## Purpose\n\nWe help.", based_on=None)
        workshop = queries.get_workshop(workshop_id)
        people = [
            participants.join_workshop(workshop.join_code, display_name=n, level="Frontline")
            for n in ("Amira", "Joost")
        ]
        key = queries.clauses_of(queries.latest_version(workshop_id))[0].key
        consent.vote_on_clause(people[0], key, "agree")
        consent.vote_on_clause(people[1], key, "live_with")
        final.lock_version(fran, workshop_id, 1)
        final.reopen(fran, workshop_id, "one more look")
        consent.vote_on_clause(people[1], key, "object", "Not yet")
    login(client)
    page = client.get(f"/workshops/{workshop_id}/document/versions/1").get_data(as_text=True)
    assert "Locked on " in page
    assert "1 agree · 1 can live with it · 0 object" in page  # as locked, not as answered since
