"""A crowded room on the screens people use: long Dutch words on a phone, five values on
the wall, thirty proposals beside the draft in a consent round, a refused lock with twenty
objections, and a ballot read by keyboard and screen reader. Each check once failed (found by
an audit of the screens at phone, laptop and projector sizes)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .helpers import (
    TIMEOUT,
    create_workshop,
    join,
    log_in,
    photograph,
    settle,
    staff_command,
    wait_until_live,
)
from .layout import WALL_SIZES, check_screen
from .test_client_state import Person

pytestmark = pytest.mark.browser

CATALOGUE = json.loads(
    (Path(__file__).resolve().parents[2] / "workshop/data/values_catalogue.json").read_text()
)
KEYS = [v["key"] for v in CATALOGUE["values"]]
DUTCH_COMPOUND = "Wij investeren in klantgerichtheidsontwikkelingsprogramma's voor iedereen."


def _room_with_proposal(live_server, new_person, people, text):
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    wid = create_workshop(fran, "Long words", "Harbour Health", "Care")
    link = fran.locator("#join-link").get_attribute("href")
    fac = Person.logged_in(
        live_server.url, live_server.facilitator_email, live_server.facilitator_password
    )
    people.append(fac.connect(wid))
    fac.call("phase.set", {"phase": "propose"})
    author = Person.joined(live_server.url, link, "Joost", "Team lead")
    people.append(author.connect(wid))
    author.call("proposal.submit", {"body": text, "op_id": uuid.uuid4().hex})
    return fran, wid, link, fac


def test_phone_ballot_with_a_long_dutch_word_does_not_scroll_sideways(
    live_server, new_person, people
):
    """app.css `.proposal { grid-template-columns: 1fr auto }` (and `1fr` on phones): a 1fr
    track never gets narrower than its longest word, so one Dutch compound widens the card."""
    fran, wid, link, fac = _room_with_proposal(live_server, new_person, people, DUTCH_COMPOUND)
    fac.call("phase.set", {"phase": "vote"})
    amira = new_person("Amira")
    amira.set_viewport_size({"width": 390, "height": 844})
    join(amira, link, "Amira", "Frontline")
    expect(amira.locator("#ballot li.proposal")).to_have_count(1, timeout=TIMEOUT)
    settle(amira)
    photograph(amira, "check-long-word-ballot-phone")
    wide = amira.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert wide <= 1, f"the phone ballot scrolls sideways by {wide}px"


def test_phone_draft_with_a_dutch_compound_does_not_scroll_sideways(
    live_server, new_person, people
):
    """app.css `.clauses { display: grid }` (an implicit auto track, as wide as the longest
    word): one Dutch compound in a clause makes every clause card wider than a phone."""
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    wid = create_workshop(fran, "Draft phone", "Harbour Health", "Care")
    link = fran.locator("#join-link").get_attribute("href")
    fran.goto(f"/workshops/{wid}/document")
    fran.get_by_label("Mission text (Markdown)").fill(
        "## Purpose\n\n" + DUTCH_COMPOUND + "\n\n## How we work\n\nWe make care simple."
    )
    fran.get_by_role("button", name="Save as a new version").click()
    fac = Person.logged_in(
        live_server.url, live_server.facilitator_email, live_server.facilitator_password
    )
    people.append(fac.connect(wid))
    fac.call("phase.set", {"phase": "draft"})
    amira = new_person("Amira")
    amira.set_viewport_size({"width": 390, "height": 844})
    join(amira, link, "Amira", "Frontline")
    expect(amira.locator("#document .clause").first).to_be_visible(timeout=TIMEOUT)
    settle(amira)
    photograph(amira, "check-draft-phone")
    info = amira.evaluate("""() => {
        const cw = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll('body *')].filter(e => {
            const r = e.getBoundingClientRect(); return r.width > 0 && r.right > cw + 1; })
          .map(e => e.tagName + '.' + e.className
               + ' w=' + Math.round(e.getBoundingClientRect().width)
               + ' ' + (e.textContent || '').trim().slice(0, 40));
        return [document.documentElement.scrollWidth - cw, wide.slice(-8)]; }""")
    assert info[0] <= 1, f"the phone draft scrolls sideways by {info[0]}px: {info[1]}"


def test_wall_values_table_fits_the_projector(live_server, new_person, people):
    """projector.css: the values table ("Where people found their values") is wider than the
    stage column at 1920x1080 with five stated values; its last column is cut off."""
    fran = new_person("Fran")
    fran.set_viewport_size({"width": 1920, "height": 1080})
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    wid = create_workshop(
        fran,
        "Values wall",
        "Harbour Health",
        "Care\nIntegrity\nCuriosity\nTeamwork\nSustainability",
    )
    link = fran.locator("#join-link").get_attribute("href")
    fac = Person.logged_in(
        live_server.url, live_server.facilitator_email, live_server.facilitator_password
    )
    people.append(fac.connect(wid))
    rid = fac.call("round.add", {"kind": "values", "prompt": "Values", "minutes": 5})["round_id"]
    fac.call("round.start", {"round_id": rid})
    org = [str(v["id"]) for v in fac.call("state.sync")["snapshot"]["workshop"]["values"]]
    for i in range(6):
        p = Person.joined(live_server.url, link, f"P{i}", ("Frontline", "Manager")[i % 2])
        people.append(p.connect(wid))
        p.call(
            "ballot.cast",
            {
                "round_id": rid,
                "ballot": {
                    "picks": [
                        {"value": KEYS[j], "maps_to": (org + ["none"])[(i + j) % 6], "lived": 3}
                        for j in range(5)
                    ]
                },
            },
        )
    fac.call("round.reveal", {"round_id": rid})
    fran.goto(f"/workshops/{wid}/projector")
    wait_until_live(fran)
    table = fran.locator("#results table").first
    expect(table).to_be_visible(timeout=TIMEOUT)
    settle(fran)
    photograph(fran, "check-wall-values-table")
    cut = fran.evaluate("""() => {
        const t = document.querySelector('#results table');
        let box = t.parentElement;
        while (box && getComputedStyle(box).overflowX === 'visible' && box !== document.body)
            box = box.parentElement;
        return t.getBoundingClientRect().right - box.getBoundingClientRect().right; }""")
    assert cut <= 1, f"the values table on the wall is cut off by {cut:.0f}px at 1920x1080"


def test_console_shows_the_draft_in_a_consent_round_without_scrolling_past_proposals(
    live_server, new_person, people
):
    """console.html: `.console-side` puts every proposal (with moderation buttons) above
    "The mission draft" in one scroll box; in a consent round with 30 proposals the clauses
    and their consent counts are screens down."""
    fran, wid, link, fac = _room_with_proposal(
        live_server, new_person, people, "We keep care close."
    )
    author = Person.joined(live_server.url, link, "Li", "Manager")
    people.append(author.connect(wid))
    for i in range(30):
        author.call(
            "proposal.submit",
            {"body": f"Proposal number {i} about how we work together.", "op_id": uuid.uuid4().hex},
        )
    extra = fran.context.new_page()
    extra.goto(f"/workshops/{wid}/document")
    extra.get_by_label("Mission text (Markdown)").fill(
        "## Purpose\n\nWe help every patient feel known.\n\n## How we work\n\nWe make care simple."
    )
    extra.get_by_role("button", name="Save as a new version").click()
    extra.close()
    rid = fac.call("round.add", {"kind": "consent", "prompt": "Consent", "minutes": 5})["round_id"]
    fac.call("round.start", {"round_id": rid})
    fran.set_viewport_size({"width": 1366, "height": 768})
    fran.goto(f"/workshops/{wid}")
    wait_until_live(fran)
    expect(fran.locator("#document .clause").first).to_be_attached(timeout=TIMEOUT)
    settle(fran)
    photograph(fran, "check-console-consent")
    down = fran.evaluate("""() => { const side = document.querySelector('.console-side');
        const d = document.querySelector('#document');
        const top = side.getBoundingClientRect().top;
        return d.getBoundingClientRect().top - top + side.scrollTop; }""")
    assert down < 768, f"the draft starts {down:.0f}px down the console's side column"


def test_refused_lock_message_stays_readable(live_server, new_person, people):
    """services/final.py: the refusal joins every open objection's reason into one flash
    paragraph ("10 objection(s) open: “…”; “…”; …"), pushing the page off the first screen."""
    fran, wid, link, fac = _room_with_proposal(
        live_server, new_person, people, "We keep care close."
    )
    fran.goto(f"/workshops/{wid}/document")
    fran.get_by_label("Mission text (Markdown)").fill(
        "## Purpose\n\nWe help every patient feel known.\n\n## How we work\n\nWe make care simple."
    )
    fran.get_by_role("button", name="Save as a new version").click()
    rid = fac.call("round.add", {"kind": "consent", "prompt": "Consent", "minutes": 5})["round_id"]
    fac.call("round.start", {"round_id": rid})
    key = fac.call("state.sync")["snapshot"]["document"]["clauses"][0]["key"]
    for i in range(20):
        p = Person.joined(live_server.url, link, f"P{i}", "Frontline")
        people.append(p.connect(wid))
        p.call(
            "clause.vote",
            {
                "clause_key": key,
                "choice": "object",
                "reason": "The volunteers and carers are missing from this clause.",
            },
        )
    fran.set_viewport_size({"width": 390, "height": 844})
    fran.goto(f"/workshops/{wid}/document/versions/1")
    fran.get_by_role("button", name="Lock as the final mission").click()
    fran.wait_for_load_state()
    settle(fran)
    photograph(fran, "check-refused-lock")
    top = fran.get_by_role("heading", name=re.compile(r"^Version 1")).first.bounding_box()["y"]
    assert top < 844, f"after a refused lock the page's heading starts {top:.0f}px down"


def test_ballot_controls_say_which_proposal_they_are_for(live_server, new_person, people):
    """ballot.js BUILD.dot/approval/ranked: every card's controls have the same accessible name
    ("Add a dot", "Remove a dot", "Add to my ranking") and nothing ties them to the proposal,
    so a screen-reader user tabbing through 40 cards hears the same words 40 times."""
    fran, wid, link, fac = _room_with_proposal(
        live_server, new_person, people, "We keep care close."
    )
    author = Person.joined(live_server.url, link, "Li", "Manager")
    people.append(author.connect(wid))
    author.call("proposal.submit", {"body": "We listen first.", "op_id": uuid.uuid4().hex})
    fac.call("phase.set", {"phase": "vote"})
    amira = new_person("Amira")
    join(amira, link, "Amira", "Frontline")
    expect(amira.locator("#ballot li.proposal")).to_have_count(2, timeout=TIMEOUT)
    # Each button is described by its proposal's words (read after "Add a dot, button").
    described = amira.locator("#ballot [data-vote=plus]").evaluate_all(
        """(buttons) => buttons.map((b) => (b.getAttribute("aria-describedby") || "")
             .split(" ").map((id) => document.getElementById(id)?.textContent.trim() || "")
             .join(" "))"""
    )
    assert sorted(described) == ["We keep care close.", "We listen first."], described


def test_focus_stays_after_adding_to_a_ranking_by_keyboard(live_server, new_person, people):
    """ballot.js `ranked`: the pressed "Add to my ranking" button is swapped for a text
    ("My ranking: 1"), so the keyboard focus falls to <body> after every choice."""
    fran, wid, link, fac = _room_with_proposal(
        live_server, new_person, people, "We keep care close."
    )
    author = Person.joined(live_server.url, link, "Li", "Manager")
    people.append(author.connect(wid))
    author.call("proposal.submit", {"body": "We listen first.", "op_id": uuid.uuid4().hex})
    rid = fac.call(
        "round.add",
        {"kind": "vote", "prompt": "Rank", "minutes": 5, "method": "ranked", "all_proposals": True},
    )["round_id"]
    fac.call("round.start", {"round_id": rid})
    amira = new_person("Amira")
    join(amira, link, "Amira", "Frontline")
    button = amira.locator("#ballot li.proposal").first.get_by_role(
        "button", name="Add to my ranking"
    )
    button.focus()
    amira.keyboard.press("Enter")
    expect(amira.locator("#ballot li.proposal").first).to_contain_text(
        "My ranking: 1", timeout=TIMEOUT
    )
    amira.wait_for_timeout(300)
    active = amira.evaluate("() => document.activeElement.tagName")
    assert active != "BODY", "after adding to the ranking the keyboard focus is lost (on <body>)"


def test_wall_shows_a_running_wording_duel(live_server, new_person, people):
    """A timed, blind wording duel is running; the projector (templates/staff/projector.html,
    static/js/live/projector.js) shows neither the duel nor its timer."""
    fran = new_person("Fran")
    fran.set_viewport_size({"width": 1920, "height": 1080})
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    wid = create_workshop(fran, "Duel wall", "Harbour Health", "Care")
    fran.goto(f"/workshops/{wid}/document")
    fran.get_by_label("Mission text (Markdown)").fill(
        "## Purpose\n\nWe help every patient feel known.\n\n## How we work\n\nWe make care simple."
    )
    fran.get_by_role("button", name="Save as a new version").click()
    fac = Person.logged_in(
        live_server.url, live_server.facilitator_email, live_server.facilitator_password
    )
    people.append(fac.connect(wid))
    fac.call("phase.set", {"phase": "draft"})
    key = fac.call("state.sync")["snapshot"]["document"]["clauses"][0]["key"]
    fac.call(
        "duel.start",
        {
            "clause_key": key,
            "seconds": 300,
            "options": [
                "We help every patient feel known.",
                "Each person we care for feels known.",
            ],
        },
    )
    fran.goto(f"/workshops/{wid}/projector")
    wait_until_live(fran)
    fran.wait_for_timeout(1000)
    duel = fran.locator(".wall-duel:not([hidden])")
    expect(duel).to_contain_text("Each person we care for feels known.")
    expect(duel).to_contain_text(re.compile(r"Wording duel #\d+ · 4:5\d left"))
    check_screen(fran, "wall-duel", sizes=WALL_SIZES, no_scrolling=True)


def test_the_differences_page_has_no_blank_space(live_server, new_person):
    """The columns of a clause kept the template's own line breaks (white-space: pre-wrap on
    the column, not the words): every card had blank lines above and below its text, and a
    phone scrolled through 3,700 px for five one-line clauses."""
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, "Differences", "Harbour Health", "Care")
    fran.goto(f"/workshops/{workshop_id}/document")
    editor = fran.get_by_label("Mission text (Markdown)")
    editor.fill("## Purpose\n\nWe help people.\n\n## How we work\n\nWe listen.")
    fran.get_by_role("button", name="Save as a new version").click()
    expect(fran.get_by_text("Saved as version 1.")).to_be_visible(timeout=TIMEOUT)
    fran.goto(f"/workshops/{workshop_id}/document")
    editor.fill("## Purpose\n\nWe help every patient.\n\n## How we work\n\nWe listen first.")
    fran.get_by_role("button", name="Save as a new version").click()
    expect(fran.get_by_text("Saved as version 2.")).to_be_visible(timeout=TIMEOUT)
    fran.goto(f"/workshops/{workshop_id}/document/diff?from=1&to=2")
    gaps = fran.locator(".diff-side").evaluate_all(
        """(sides) => sides.map((side) => {
             const words = side.querySelector(".diff").getBoundingClientRect();
             const title = side.querySelector("h3").getBoundingClientRect();
             return [words.top - title.bottom, side.getBoundingClientRect().bottom - words.bottom];
           })"""
    )
    assert gaps and all(above < 30 and below < 30 for above, below in gaps), gaps
    check_screen(fran, "differences", task=".diff-clause")


def test_a_duel_left_open_at_the_lock_says_it_decides_nothing(live_server, new_person):
    """Locked while a wording duel ran, the room still saw it open with its timer and a Vote
    button that was refused, and the console offered to close it, which was refused too
    (found by an audit): it now says it decides nothing, and only cancelling is offered."""
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, "Locked duel", "Harbour Health", "Care")
    join_link = fran.locator("#join-link").get_attribute("href")
    fran.goto(f"/workshops/{workshop_id}/document")
    fran.get_by_label("Mission text (Markdown)").fill("## Purpose\n\nWe help every patient.")
    fran.get_by_role("button", name="Save as a new version").click()
    expect(fran.get_by_text("Saved as version 1.")).to_be_visible(timeout=TIMEOUT)
    fran.goto(f"/workshops/{workshop_id}")
    wait_until_live(fran)
    staff_command(fran, workshop_id, "phase.set", {"phase": "draft"})
    key = staff_command(fran, workshop_id, "state.sync")["snapshot"]["document"]["clauses"][0]
    staff_command(
        fran,
        workshop_id,
        "duel.start",
        {"clause_key": key["key"], "seconds": 300,
         "options": ["We help every patient.", "We care for every patient."]},
    )  # fmt: skip
    lock_page = fran.context.new_page()
    lock_page.goto(f"/workshops/{workshop_id}/document/versions/1")
    lock_page.get_by_role("button", name="Lock as the final mission").click()
    expect(lock_page.get_by_text("Final: this is our agreed mission.")).to_be_visible(
        timeout=TIMEOUT
    )
    amira = new_person("Amira")
    amira.set_viewport_size({"width": 390, "height": 844})
    join(amira, join_link, "Amira", "Frontline")
    duel = amira.locator("section.duel")
    expect(duel).to_contain_text("it decides nothing now", timeout=TIMEOUT)
    expect(duel.get_by_role("button", name="Vote")).to_have_count(0)
    # Nor is an answer asked for on a final clause.
    expect(amira.locator("#document")).not_to_contain_text("You have not answered")
    expect(duel).not_to_contain_text("left")
    console = fran.locator("section.duel")
    expect(console).to_contain_text("it decides nothing now", timeout=TIMEOUT)
    expect(console.get_by_role("button", name="Cancel the duel")).to_be_visible()
    expect(console.get_by_role("button", name="Close and apply the winner")).to_be_hidden()
    check_screen(amira, "duel-left-open-at-the-lock", task="section.duel")
