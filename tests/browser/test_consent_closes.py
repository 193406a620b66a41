"""Input on the draft closes visibly with its round: a paused refine round says so above the
draft, and a consent round that is paused, out of time or ended disables every clause's
Agree / Can live with it / Object buttons with the reason in words, until it opens again.

A facilitator (Fran) drives the console's buttons; a participant (Amira) watches her screen,
which is never reloaded.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from .helpers import (
    TIMEOUT,
    assert_not_reloaded,
    create_workshop,
    join,
    log_in,
    mark_page,
    staff_command,
    start_new_round,
    wait_until_live,
)
from .layout import check_screen
from .test_accessibility import violations

pytestmark = pytest.mark.browser

DRAFT = (
    "## Purpose\n\nWe help every patient feel known.\n\n"
    "## How we work\n\nWe make care simple for everyone."
)
PAUSED = "Paused by the facilitator."
TIME_UP = "Time is up: answers on the clauses are closed."
ENDED = "This round has ended."


def clause(page: Page, heading: str) -> Locator:
    return page.locator("#document article.clause").filter(
        has=page.get_by_role("heading", name=heading, exact=True)
    )


def answer(page: Page, heading: str, name: str) -> Locator:
    return clause(page, heading).get_by_role("button", name=name, exact=True)


def press(fran: Page, name: str) -> None:
    """A button of the console's current round controls; waits for the state to move on."""
    button = fran.locator("#round-controls").get_by_role("button", name=name, exact=True)
    button.click()
    expect(button).to_have_count(0, timeout=TIMEOUT)


def expect_answers_closed(amira: Page, reason: str) -> None:
    """Every clause's answer buttons are disabled, each clause and the draft saying why."""
    expect(amira.locator("#draft-closed")).to_have_text(reason, timeout=TIMEOUT)
    buttons = amira.locator("#document .consent-buttons button")
    expect(buttons).to_have_count(6)
    for i in range(6):
        expect(buttons.nth(i)).to_be_disabled()
    for heading in ("Purpose", "How we work"):
        expect(clause(amira, heading).locator(".consent-why")).to_have_text(reason)
    expect(amira.locator("[data-live]")).to_have_attribute("data-input", "closed")


def expect_answers_open(amira: Page) -> None:
    expect(amira.locator("#draft-closed")).to_be_hidden(timeout=TIMEOUT)
    buttons = amira.locator("#document .consent-buttons button")
    for i in range(6):
        expect(buttons.nth(i)).to_be_enabled()
    expect(amira.locator("#document .consent-why:visible")).to_have_count(0)


def test_a_paused_timed_out_or_ended_consent_round_closes_the_answers(live_server, new_person):
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, "Consent closes", "Harbour Health", "Care")
    join_link = fran.locator("#join-link").get_attribute("href")
    fran.goto(f"/workshops/{workshop_id}/document")
    fran.get_by_label("Mission text (Markdown)").fill(DRAFT)
    fran.get_by_role("button", name="Save as a new version").click()
    fran.goto(f"/workshops/{workshop_id}")
    wait_until_live(fran)
    amira = new_person("Amira")
    join(amira, join_link, "Amira", "Frontline")
    mark_page(amira)

    # A refine round, paused: the note above the draft says so, and editing is gone. Answers
    # on the clauses are not the refine round's: they stay open.
    start_new_round(fran, "refine", "Sharpen the draft", 0)
    expect(clause(amira, "Purpose")).to_contain_text("every patient feel known", timeout=TIMEOUT)
    expect(amira.get_by_role("button", name="Edit this clause")).to_have_count(2)
    expect(amira.locator("#draft-closed")).to_be_hidden()
    press(fran, "Pause")
    expect(amira.locator("#draft-closed")).to_have_text(PAUSED, timeout=TIMEOUT)
    expect(amira.get_by_role("button", name="Edit this clause")).to_have_count(0)
    expect(answer(amira, "Purpose", "Agree")).to_be_enabled()
    press(fran, "Resume")
    expect(amira.locator("#draft-closed")).to_be_hidden(timeout=TIMEOUT)
    expect(amira.get_by_role("button", name="Edit this clause")).to_have_count(2)

    # The consent round: Amira agrees to one clause and starts an objection to the other.
    consent = staff_command(
        fran, workshop_id, "round.add", {"kind": "consent", "prompt": "Live with it?", "minutes": 0}
    )
    staff_command(fran, workshop_id, "round.start", {"round_id": consent["round_id"]})
    expect(amira.locator("#draft-hint")).to_contain_text("Answer on each clause", timeout=TIMEOUT)
    expect_answers_open(amira)
    answer(amira, "Purpose", "Agree").click()
    expect(answer(amira, "Purpose", "Agree")).to_have_attribute(
        "aria-pressed", "true", timeout=TIMEOUT
    )
    answer(amira, "How we work", "Object").click()
    reason = clause(amira, "How we work").get_by_label("What is your objection? (needed)")
    reason.fill("Simple for whom?")

    # Paused: every answer button is disabled with the reason; her half-typed objection stays.
    press(fran, "Pause")
    expect_answers_closed(amira, PAUSED)
    send = clause(amira, "How we work").get_by_role("button", name="Send my objection")
    expect(send).to_be_disabled()
    expect(reason).to_have_value("Simple for whom?")
    expect(answer(amira, "Purpose", "Agree")).to_have_attribute("aria-pressed", "true")
    check_screen(amira, "consent-closes-paused", task="#draft-closed")
    assert not violations(amira), violations(amira)

    # Resumed: open again, and the objection goes through.
    press(fran, "Resume")
    expect_answers_open(amira)
    send.click()
    expect(answer(amira, "How we work", "Object")).to_have_attribute(
        "aria-pressed", "true", timeout=TIMEOUT
    )

    # Its time runs out (a one-second timer), then it ends: closed, each time with its reason.
    staff_command(
        fran, workshop_id, "round.extend", {"round_id": consent["round_id"], "seconds": 1}
    )
    expect_answers_closed(amira, TIME_UP)
    check_screen(amira, "consent-closes-time-up", task="#draft-closed")
    press(fran, "End and lock")
    expect_answers_closed(amira, ENDED)
    assert_not_reloaded(amira)
