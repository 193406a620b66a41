"""End to end: the mission beyond its words. The facilitator pastes a mission, says whom each
clause speaks to and agrees a success measure; a participant writes their part and proposes
a measure; after the lock, a member of staff with the feedback link answers anonymously.
Each page is photographed at phone, laptop and projector sizes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import create_workshop, join, log_in, start_new_round
from .layout import check_screen
from .test_client_state import Person

pytestmark = pytest.mark.browser

MISSION = (
    "## Purpose\n\nWe care for every patient, at home and in our clinics.\n\n"
    "## How we work\n\nWe listen first, and we tell each other the truth."
)


def test_the_mission_pages_from_tags_to_feedback(live_server, new_person) -> None:
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, "Our mission", "Harbour Health", "Care")
    join_link = fran.locator("#join-link").get_attribute("href")
    assert join_link is not None
    fran.goto(f"/workshops/{workshop_id}/document")
    fran.get_by_label("The whole mission text").fill(MISSION)
    fran.get_by_role("button", name="Split into clauses", exact=True).click()

    amira = new_person("Amira")
    join(amira, join_link, "Amira", "Frontline")
    expect(amira.get_by_role("link", name="My part in the mission")).to_be_visible()
    # A success-measures round: the room's task says so and leads to the mission page.
    fran.goto(f"/workshops/{workshop_id}")
    start_new_round(fran, "measures", "How will we know we live it?", 10)
    go = amira.get_by_role("link", name="Propose and support success measures")
    expect(go).to_be_visible()
    expect(amira.locator("#draft-hint")).to_contain_text("How will we know we live it?")
    check_screen(amira, "room-measures-round", task="#measures-link")
    go.click()
    purpose = amira.locator("article", has=amira.get_by_role("heading", name="Purpose"))
    purpose.get_by_label("How my work serves this (one sentence)").fill(
        "At the front desk I make every patient feel expected."
    )
    purpose.get_by_role("button", name="Save my part").click()
    purpose = amira.locator("article", has=amira.get_by_role("heading", name="Purpose"))
    # Said in the clause the page comes back to, where she is looking (not off-screen above).
    expect(purpose.get_by_role("status")).to_have_text("Your part is saved.")
    expect(purpose.get_by_role("status")).to_be_in_viewport()
    purpose.get_by_text("Propose a success measure").click()
    # A blank-looking "what" passes the browser's check; the server refuses it, and the page
    # comes back with the rest of what she typed and the reason by the form.
    purpose.get_by_label("What is measured").fill("\u200b")
    purpose.get_by_label("Where we are now (baseline)").fill("62% in the spring survey")
    purpose.get_by_label("Target").fill("80%")
    purpose.get_by_role("button", name="Propose", exact=True).click()
    purpose = amira.locator("article", has=amira.get_by_role("heading", name="Purpose"))
    expect(amira.get_by_role("alert")).to_contain_text("Back to what you typed")
    expect(purpose.locator(".add-measure .error")).to_be_visible()
    expect(purpose.get_by_label("Where we are now (baseline)")).to_have_value(
        "62% in the spring survey"
    )
    check_screen(amira, "mission-measure-refused", task=".error-summary")
    purpose.get_by_label("What is measured").fill("Patients who say they felt expected")
    purpose.get_by_role("button", name="Propose", exact=True).click()
    purpose = amira.locator("article", has=amira.get_by_role("heading", name="Purpose"))
    expect(purpose.get_by_role("status")).to_have_text("Your measure is proposed.")
    expect(purpose.get_by_role("status")).to_be_in_viewport()
    check_screen(amira, "mission-participant", task="#clause-1, article.card")

    fran.goto(f"/workshops/{workshop_id}/mission")
    expect(fran.get_by_text("No clause says yet whom it speaks to.")).to_be_visible()
    clause = fran.locator("article", has=fran.get_by_role("heading", name="Purpose"))
    clause.get_by_label("Clients").check()
    clause.get_by_role("button", name="Save", exact=True).click()
    expect(fran.locator(".flags")).to_contain_text("No clause speaks to colleagues.")
    clause = fran.locator("article", has=fran.get_by_role("heading", name="Purpose"))
    expect(clause).to_contain_text("At the front desk I make every patient feel expected.")
    clause.get_by_role("button", name="Agree").click()
    expect(fran.get_by_text("Measure agreed.")).to_be_visible()
    check_screen(fran, "mission-staff", task="#balance-title")

    # Lock (nobody is in the room: no answers are needed), then, before it, the readiness
    # list says which clause still has no agreed measure.
    # Amira consents to both clauses from another tab (over the socket), so it may be locked.
    amira_tab = Person.tab_of(live_server.url, amira).connect(workshop_id)
    for clause_key in (1, 2):
        amira_tab.call("clause.vote", {"clause_key": clause_key, "choice": "agree"})
    amira_tab.socket.disconnect()
    fran.goto(f"/workshops/{workshop_id}/document/versions/1")
    fran.get_by_role("button", name="Lock as the final mission").click()
    expect(fran.get_by_text("This version is locked as the final mission.")).to_be_visible()
    fran.goto(f"/workshops/{workshop_id}/mission")
    fran.get_by_role("button", name="Open a feedback link").click()
    link = fran.locator("#feedback-link").get_attribute("href")
    assert link is not None
    colleague = new_person("Colleague")
    colleague.goto(link)
    expect(colleague.get_by_role("heading", name="Does our mission land for you?")).to_be_visible()
    check_screen(colleague, "feedback", task="fieldset")
    how = colleague.locator("fieldset", has=colleague.get_by_text("How we work"))
    how.get_by_label("It does not land").check()
    how.get_by_label("Where does it not land for you? (optional)").fill("Not on night shifts")
    colleague.get_by_role("button", name="Send").click()
    expect(colleague.get_by_role("heading", name="Thank you")).to_be_visible()
    fran.reload()
    expect(fran.locator("#feedback")).to_be_visible()
    expect(fran.get_by_text("“Not on night shifts”")).to_be_visible()

    # A year on, the next revision starts from the final mission; back on this page, the
    # button has become a link to it, so a second click cannot start another.
    start_next = fran.get_by_role("button", name="Start the next revision from this version")
    start_next.click()
    expect(fran.get_by_text("The next revision starts from the final mission.")).to_be_visible()
    next_console = fran.url
    assert next_console.rstrip("/") != f"{live_server.url}/workshops/{workshop_id}"
    fran.goto(f"/workshops/{workshop_id}/mission")
    link = fran.locator("#next-revision a")
    expect(link).to_contain_text("next revision")
    expect(start_next).to_have_count(0)
    check_screen(fran, "mission-next-revision")
    link.click()
    expect(fran).to_have_url(next_console)
    assert new_person.page_errors == []
