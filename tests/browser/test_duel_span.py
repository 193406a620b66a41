"""A wording duel over some words of a clause, not the whole clause: the facilitator names the
words in play, a participant votes, and the winner replaces just those words."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .helpers import TIMEOUT, create_workshop, join, log_in, wait_until_live
from .test_clauses import clause, editor, open_editor, save

pytestmark = pytest.mark.browser

DRAFT = "## Purpose\n\nWe help every patient feel known.\n\n## How we work\n\nWe make care simple."


def start_span_duel(fac: Page, words: str, other: str) -> None:
    purpose = clause(fac, "Purpose")
    purpose.get_by_text("Start a wording duel on this clause").click()
    purpose.get_by_label("Words in play (optional)").fill("every pupil")
    purpose.get_by_role("button", name="Start the duel").click()
    expect(purpose.get_by_role("alert")).to_have_text(
        "Those words are not in this clause as it reads now."
    )
    purpose.get_by_label("Words in play (optional)").fill(words)
    expect(purpose.get_by_role("textbox", name="Wording 1")).to_have_value(
        words
    )  # follows the words in play
    purpose.get_by_role("textbox", name="Wording 2").fill(other)
    purpose.get_by_role("button", name="Start the duel").click()


def test_a_duel_over_some_words_replaces_only_those_words(live_server, new_person):
    fac = new_person("Fran")
    log_in(fac, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fac, "Span duel", "Harbour Health", "Care")
    join_link = fac.locator("#join-link").get_attribute("href")
    fac.goto(f"/workshops/{workshop_id}/document")
    fac.get_by_label("Mission text (Markdown)").fill(DRAFT)
    fac.get_by_role("button", name="Save as a new version").click()
    fac.goto(f"/workshops/{workshop_id}")
    wait_until_live(fac)
    amira = new_person("Amira")
    join(amira, join_link, "Amira", "Frontline")
    fac.get_by_role("button", name="Draft the mission").click()

    start_span_duel(fac, "every patient", "each person we care for")
    duel = clause(amira, "Purpose").locator("section.duel")
    expect(duel).to_contain_text("The words now: every patient", timeout=TIMEOUT)
    # The facilitator sees both wordings in play while the vote is blind.
    expect(clause(fac, "Purpose").locator("section.duel .duel-wordings")).to_contain_text(
        "person we care for"
    )
    duel.get_by_role("radio").nth(1).check()  # the new wording (listed second)
    duel.get_by_role("button", name="Vote").click()
    expect(clause(fac, "Purpose").locator(".duel-voters")).to_have_text(
        "1 person has voted", timeout=TIMEOUT
    )
    clause(fac, "Purpose").get_by_role("button", name="Close and apply the winner").click()
    for page in (fac, amira):
        expect(clause(page, "Purpose").locator(".clause-text")).to_have_text(
            "We help each person we care for feel known.", timeout=TIMEOUT
        )
        expect(clause(page, "How we work")).to_contain_text("We make care simple.")

    # With the duel form open on "How we work", Amira rewrites that clause: the first wording
    # follows the clause as it reads now (until the facilitator changes it).
    # Fran types the moment the form opens, before the browser has run its "toggle" event
    # (as a quick hand or a slow machine does): every word she typed stays.
    how = clause(fac, "How we work")
    how.locator("details.duel-start").evaluate(
        "details => { details.open = true; details.querySelectorAll('textarea')[1].focus(); }"
    )
    fac.keyboard.insert_text("We make care clear.")
    expect(how.get_by_role("textbox", name="Wording 1")).to_have_value("We make care simple.")
    expect(how.get_by_role("textbox", name="Wording 2")).to_have_value("We make care clear.")
    open_editor(amira, "How we work")
    editor(amira, "How we work").fill("We make care simple and kind.")
    save(amira, "How we work")
    expect(how.get_by_role("textbox", name="Wording 1")).to_have_value(
        "We make care simple and kind.", timeout=TIMEOUT
    )
    expect(how.get_by_role("textbox", name="Wording 2")).to_have_value("We make care clear.")
