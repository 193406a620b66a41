"""Keyboard and screen-reader use of moderation, amendments and duels (found by an audit): the
focus stays where a keyboard user was when the control they pressed goes away (Accept, Show
again, Start the duel), and controls say what they act on (which change Accept accepts, which
wording Move up moves)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    TIMEOUT,
    create_workshop,
    expect_focused,
    fran_and_amira,
    join,
    log_in,
    proposal,
    send_proposal,
    staff_command,
    wait_until_live,
)
from .test_amendments import suggest
from .test_clauses import clause

pytestmark = pytest.mark.browser

DRAFT = "## Purpose\n\nWe help every patient feel known.\n\n## How we work\n\nWe make care simple."


def a_draft_room(live_server, new_person) -> tuple[Page, int, Page]:
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, "Audit", "Harbour Health", "Care")
    link = fran.locator("#join-link").get_attribute("href")
    fran.goto(f"/workshops/{workshop_id}/document")
    fran.get_by_label("Mission text (Markdown)").fill(DRAFT)
    fran.get_by_role("button", name="Save as a new version").click()
    fran.goto(f"/workshops/{workshop_id}")
    wait_until_live(fran)
    amira = new_person("Amira")
    join(amira, link, "Amira", "Frontline")
    fran.get_by_role("button", name="Draft the mission").click()
    expect(clause(amira, "Purpose")).to_be_visible(timeout=TIMEOUT)
    return fran, workshop_id, amira


def test_accepting_an_amendment_by_keyboard_keeps_the_focus_on_the_page(live_server, new_person):
    fran, _, amira = a_draft_room(live_server, new_person)
    suggest(amira, "patient", "person")
    card = fran.locator("#amendments li.amendment").first
    accept = card.get_by_role("button", name="Accept")
    accept.focus()
    fran.keyboard.press("Enter")
    expect(card).to_have_class(re.compile("status-accepted"), timeout=TIMEOUT)
    fran.wait_for_timeout(500)
    active = fran.evaluate("() => document.activeElement.tagName")
    assert active != "BODY", "after Accept the focus fell to <body>"


def test_accept_and_reject_say_which_change_they_act_on(live_server, new_person):
    fran, _, amira = a_draft_room(live_server, new_person)
    suggest(amira, "patient", "person")
    suggest(amira, "simple", "clear")
    expect(fran.locator("#amendments li.amendment")).to_have_count(2, timeout=TIMEOUT)
    # What a screen reader says on reaching each Accept: the group's name and the button's.
    said = fran.locator("#amendments li.amendment button").evaluate_all(
        """(buttons) => buttons.map((b) => {
             const group = b.closest('[role=group]');
             const by = group && group.getAttribute('aria-labelledby');
             const label = group ? (group.getAttribute('aria-label')
               || (by && document.getElementById(by).textContent) || '') : '';
             return `${label} | ${b.getAttribute('aria-label') || b.textContent}`;
           })"""
    )
    assert len(set(said)) == len(said), f"the decide buttons of two changes sound alike: {said}"


def test_restoring_a_hidden_proposal_keeps_the_focus_on_its_card(live_server, new_person):
    fran, workshop_id, amira = fran_and_amira(live_server, new_person, "Restore")
    round_id = staff_command(
        fran, workshop_id, "round.add", {"kind": "propose", "prompt": "Propose", "minutes": 10}
    )["round_id"]
    staff_command(fran, workshop_id, "round.start", {"round_id": round_id})
    send_proposal(amira, "We serve with care.")
    card = proposal(fran, "We serve with care.")
    card.get_by_role("button", name="Hide", exact=True).press("Enter")
    dialog = fran.get_by_role("dialog", name="Hide this proposal")
    dialog.get_by_label("Reason").fill("Off topic")
    dialog.get_by_role("button", name="Hide the proposal").press("Enter")
    show = card.get_by_role("button", name="Show again")
    expect_focused(show)
    fran.keyboard.press("Enter")
    expect(card).not_to_have_class(re.compile("status-hidden"), timeout=TIMEOUT)
    fran.wait_for_timeout(500)
    active = fran.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
    assert not active.startswith("<body"), "after Show again the focus fell to <body>"


def test_starting_a_duel_by_keyboard_leaves_the_focus_near_the_clause(live_server, new_person):
    fran, _, amira = a_draft_room(live_server, new_person)
    purpose = clause(fran, "Purpose")
    summary = purpose.get_by_text("Start a wording duel on this clause")
    summary.focus()
    fran.keyboard.press("Enter")
    wording2 = purpose.get_by_role("textbox", name="Wording 2")
    wording2.fill("We help each person feel known.")
    purpose.get_by_role("button", name="Start the duel").focus()
    fran.keyboard.press("Enter")
    expect(purpose.locator("section.duel")).to_be_visible(timeout=TIMEOUT)
    expect(clause(amira, "Purpose").locator("section.duel")).to_be_visible(timeout=TIMEOUT)
    fran.wait_for_timeout(500)
    active = fran.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
    assert not active.startswith("<body"), "after starting the duel the focus fell to <body>"


def test_ranked_duel_move_buttons_name_the_wording_the_list_shows(live_server, new_person):
    fran, _, amira = a_draft_room(live_server, new_person)
    purpose = clause(fran, "Purpose")
    purpose.get_by_text("Start a wording duel on this clause").click()
    purpose.get_by_role("textbox", name="Wording 2").fill("We help each person feel known.")
    purpose.get_by_label("How people vote").select_option("ranked") if purpose.get_by_label(
        "How people vote"
    ).count() else purpose.locator("select").first.select_option("ranked")
    purpose.get_by_role("button", name="Start the duel").click()
    items = clause(amira, "Purpose").locator("section.duel ol.duel-ranking > li")
    expect(items).to_have_count(2, timeout=TIMEOUT)
    # Move the second wording to the top, by keyboard; then read what each button is called.
    items.nth(1).get_by_role("button").first.focus()
    amira.keyboard.press("Enter")
    said = items.evaluate_all(
        """(lis) => lis.map((li) => ({shown: li.querySelector('.wording').textContent,
             names: [...li.querySelectorAll('button')].map((b) => b.getAttribute('aria-label')),
             text: li.innerText}))"""
    )
    problems = [
        f"place {i + 1} shows {s['shown']!r} but its buttons are called {s['names']}"
        for i, s in enumerate(said)
        if not any(n.split(": ", 1)[1] in s["text"] for n in s["names"])
    ]
    assert not problems, "\n".join(problems)
