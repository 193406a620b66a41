"""Amendments answered by the workshop's method: approval (yes or no), then score (1 to 5).

The facilitator (Fran) picks the method in the workshop settings; two participants (Amira,
Joost) suggest and answer live. Each amendment keeps the method it was suggested under, so
after a switch to scores the earlier suggestion is still answered yes or no.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    TIMEOUT,
    assert_not_reloaded,
    create_workshop,
    expect_focused,
    join,
    log_in,
    mark_page,
    select_in_amend_source,
    wait_until_live,
)
from .test_accessibility import violations

pytestmark = pytest.mark.browser

DRAFT = "## Purpose\n\nWe help every patient feel known.\n\n## How we work\n\nWe make care simple."
METHOD_FIELD = "How people vote on suggested changes (amendments)"


def set_amendment_method(page: Page, workshop_id: int, method: str) -> None:
    """Save the workshop settings with another amendment method."""
    page.goto(f"/workshops/{workshop_id}/edit")
    page.get_by_label(METHOD_FIELD).select_option(method)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Settings saved.")).to_be_visible(timeout=TIMEOUT)


def suggest(page: Page, words: str, replacement: str) -> None:
    """Select ``words`` in the draft and suggest ``replacement`` for them."""
    tools = page.locator("details.amend-tools")
    if tools.get_attribute("open") is None:
        page.get_by_text("Suggest a change", exact=True).click()
    select_in_amend_source(page, words)
    expect(page.locator("#amend-selected")).to_contain_text(f"“{words}”")
    page.get_by_label("Your wording for them").fill(replacement)
    page.get_by_role("button", name="Suggest this change").click()
    expect(page.get_by_label("Your wording for them")).to_have_value("", timeout=TIMEOUT)


def test_amendments_are_approved_then_scored_by_the_workshops_method(live_server, new_person):
    fac = new_person("Fran")
    log_in(fac, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fac, "Amend by method", "Harbour Health", "Care")
    join_link = fac.locator("#join-link").get_attribute("href")
    set_amendment_method(fac, workshop_id, "approval")
    fac.goto(f"/workshops/{workshop_id}/document")
    fac.get_by_label("Mission text (Markdown)").fill(DRAFT)
    fac.get_by_role("button", name="Save as a new version").click()
    fac.goto(f"/workshops/{workshop_id}")
    wait_until_live(fac)
    fac.locator('[data-set-phase="draft"]').click()

    amira, joost = new_person("Amira"), new_person("Joost")
    join(amira, join_link, "Amira", "Frontline")
    join(joost, join_link, "Joost", "Team lead")
    for page in (fac, amira, joost):
        mark_page(page)

    # Approval: Amira suggests, Joost answers yes; the console shows the counts live.
    suggest(amira, "simple", "clear")
    approval = joost.locator("#amendments li.amendment").filter(has_text="clear")
    question = approval.get_by_role("group", name="Do you approve this change?")
    expect(question).to_be_visible(timeout=TIMEOUT)
    expect(approval.get_by_role("button", name="Agree")).to_have_count(0)
    question.get_by_role("button", name="Yes", exact=True).click()
    expect(question.get_by_role("button", name="Yes", exact=True)).to_have_attribute(
        "aria-pressed", "true", timeout=TIMEOUT
    )
    expect(question.get_by_role("button", name="No", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(approval.locator(".my-answer")).to_have_text("Your answer: Yes")
    fac_approval = fac.locator("#amendments li.amendment").filter(has_text="clear")
    expect(fac_approval.locator(".amend-counts")).to_have_text("1 yes · 0 no", timeout=TIMEOUT)
    expect(fac_approval).to_contain_text("answered yes or no")

    # Scores from now on (set in a second tab: the console stays live).
    settings = fac.context.new_page()
    set_amendment_method(settings, workshop_id, "score")
    settings.close()
    suggest(amira, "patient", "person")
    scores = {}
    for page in (amira, joost):
        card = page.locator("#amendments li.amendment").filter(has_text="person")
        scores[page] = card.get_by_role("group", name="Your score for this change")
        expect(scores[page]).to_be_visible(timeout=TIMEOUT)
    scores[amira].get_by_role("radio", name="2", exact=True).check()
    # Joost picks 3, then moves to 4 with the arrow key: the new score is sent, focus stays.
    scores[joost].get_by_role("radio", name="3", exact=True).check()
    joost_card = joost.locator("#amendments li.amendment").filter(has_text="person")
    expect(joost_card.locator(".my-answer")).to_have_text("Your answer: 3", timeout=TIMEOUT)
    joost.keyboard.press("ArrowRight")
    expect(joost_card.locator(".my-answer")).to_have_text("Your answer: 4", timeout=TIMEOUT)
    expect(scores[joost].get_by_role("radio", name="4", exact=True)).to_be_checked()
    expect_focused(scores[joost].get_by_role("radio", name="4", exact=True))
    fac_score = fac.locator("#amendments li.amendment").filter(has_text="person")
    expect(fac_score.locator(".amend-counts")).to_have_text(
        "Average 3.0 from 2 people · 1 person gave 4 · 1 person gave 2", timeout=TIMEOUT
    )
    expect(fac_score).to_contain_text("scored from 1 to 5")

    # The earlier suggestion keeps its own method: still yes or no, still Joost's yes.
    expect(question.get_by_role("button", name="Yes", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(fac_approval.locator(".amend-counts")).to_have_text("1 yes · 0 no")
    assert not violations(joost), violations(joost)
    for page in (fac, amira, joost):
        assert_not_reloaded(page)
    assert not new_person.page_errors, new_person.page_errors
