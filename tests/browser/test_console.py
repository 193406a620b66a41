"""End to end: a facilitator runs a workshop from the top of the console on a laptop.

The agenda comes from the template and runs with "Next"; the console says what comes next
and which clause each round is about. The facilitator moderates with dialogs (never the
browser's prompt): hides a proposal with a reason its author reads (also after a reload),
merges a duplicate by picking the other card, splits a card in two; reveals the vote and puts
its winner into its clause of the draft; is told why a vote round without a clause cannot
place its winner and sets the clause from there; approves a proposal that waits in the queue
of a pre-moderated round; and closes the workshop when the agenda is done. The console is
photographed at phone, laptop and projector sizes along the way.

Amira is a participant in a browser (she must read what moderation told her); Joost takes
part over a plain socket, as in test_client_state.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from .helpers import (
    SCREENSHOTS,
    TIMEOUT,
    assert_not_reloaded,
    create_workshop,
    expect_focused,
    join,
    log_in,
    mark_page,
    proposal,
    send_proposal,
    voters,
    wait_until_live,
)
from .layout import LAPTOP, check_screen
from .test_client_state import Person

pytestmark = pytest.mark.browser

TASK = "#current-round"
HELP = "We help every patient feel known."
OFF_TOPIC = "Buy our new scanner today!"
SIMPLE = "We make care simple for everyone."
DUPLICATE = "We make care simple for all."
WAITING = "We work as one team across every ward."
TWO_IN_ONE = "We listen first. We act with courage."
REASON = "Off topic: this is about our purpose, not our products"


def steps(page: Page) -> Locator:
    return page.locator("#steps li")


def next_label(page: Page) -> Locator:
    return page.locator("#next-label")


def press_next(fran: Page, prompt: str) -> None:
    """Next, and wait until the round it started is on the console."""
    fran.locator("#next-button").click()
    expect(fran.locator("#round-prompt")).to_have_text(prompt, timeout=TIMEOUT)
    expect(fran.locator("#console-error")).to_have_text("")


def clause(page: Page, heading: str) -> Locator:
    return page.locator("#document article.clause").filter(
        has=page.get_by_role("heading", name=heading, exact=True)
    )


def joost_proposes(joost: Person, wording: str) -> int:
    return joost.call("proposal.submit", {"body": wording, "op_id": uuid.uuid4().hex})[
        "proposal_id"
    ]


def a_new_workshop_on_a_laptop(live_server, new_person) -> tuple[Page, int, str]:
    """Fran, logged in on a laptop, on the live console of a workshop she just created: her
    page, the workshop's id and its join link."""
    fran = new_person("Fran")
    fran.set_viewport_size({"width": LAPTOP[0], "height": LAPTOP[1]})
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, "Our mission, step by step", "Harbour Health", "Care")
    join_link = fran.locator("#join-link").get_attribute("href")
    assert join_link is not None
    wait_until_live(fran)
    return fran, workshop_id, join_link


def test_a_facilitator_runs_the_workshop_from_the_top_of_the_console(
    live_server, new_person, people
) -> None:
    fran, workshop_id, join_link = a_new_workshop_on_a_laptop(live_server, new_person)
    browser_dialogs: list[str] = []  # prompt(), confirm(), alert(): the console uses none

    def refuse(dialog) -> None:
        browser_dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    fran.on("dialog", refuse)

    # 1. Planning: no rounds yet, the agenda editor is open, the template is one click away.
    expect(next_label(fran)).to_have_text(
        "No rounds yet: start from the template, or plan them in the agenda below."
    )
    expect(fran.locator("#agenda-fold")).to_have_attribute("open", "")
    expect(fran.locator("#next-button")).to_be_hidden()
    fran.locator(TASK).get_by_role("button", name="Use the 90-minute template").click()
    expect(steps(fran)).to_have_count(14, timeout=TIMEOUT)
    expect(next_label(fran)).to_have_text(
        "Next: Values — What do you value most in your work? · 7 min"
    )
    expect(steps(fran).nth(2)).to_contain_text("Vote")
    expect(steps(fran).nth(2)).to_contain_text("What we value")
    expect(steps(fran).nth(4)).to_contain_text("Vote")
    expect(steps(fran).nth(4)).to_contain_text("Purpose")
    expect(steps(fran).nth(0)).to_have_class(re.compile(r"\bstep-next\b"))

    # The round form: a consent round asks about the draft's clauses, so it offers no method;
    # a vote round offers the method and where its ballot comes from.
    form = fran.locator("#add-round-form")
    fran.locator("details.add-round > summary").click()
    form.get_by_label("Type", exact=True).select_option("consent")
    expect(form.get_by_label("Voting method")).to_be_hidden()
    expect(form.get_by_label("Proposals on the ballot")).to_be_hidden()
    form.get_by_label("Type", exact=True).select_option("vote")
    expect(form.get_by_label("Voting method")).to_be_visible()
    ballot_from = form.get_by_label("Proposals on the ballot")
    expect(ballot_from.locator("option")).to_have_text(
        [
            "From the propose round before it",
            "Round 2: What we value — What we value: say it in our own words",
            "Round 4: Purpose — Purpose: why do we exist, for clients and for us?",
            "Round 6: Who we serve — Who do we serve: our clients and our colleagues?",
            "Round 8: How we work — How do we work, and why does it matter?",
            "Round 10: How we will know — How will we know we live it? What would clients "
            "and colleagues notice?",
            "Every visible proposal",
        ]
    )
    clause_names = form.locator("#clause-options option")
    expect(clause_names).to_have_count(5)
    expect(clause_names.first).to_have_attribute("value", "Purpose")
    fran.locator("details.add-round > summary").click()  # folded again, nothing added

    # 2. Amira joins; Joost takes part without a browser.
    amira = new_person("Amira")
    join(amira, join_link, "Amira", "Frontline")
    joost = Person.joined(live_server.url, join_link, "Joost", "Team lead")
    people.append(joost.connect(workshop_id))
    amira_votes = Person.tab_of(live_server.url, amira)  # her second tab, for her ballot
    people.append(amira_votes.connect(workshop_id))

    # 3. Next starts the values round; the agenda editor folds away, the steps move on.
    press_next(fran, "What do you value most in your work?")
    expect(steps(fran).nth(0)).to_have_attribute("aria-current", "step")
    expect(steps(fran).nth(0)).to_contain_text("(now)")
    expect(fran.locator("#agenda-fold")).not_to_have_attribute("open", "")
    expect(fran.locator("#run-clause")).to_have_text("Clause: What we value")
    expect(next_label(fran)).to_have_text(
        "Next: Propose — What we value: say it in our own words · 5 min"
    )
    for page in (fran, amira):
        mark_page(page)
    # Past the values clause's own propose and vote (the end-to-end walk runs them).
    press_next(fran, "What we value: say it in our own words")
    press_next(fran, "How well does each say what we value?")

    # 4. Next again: proposals for the purpose. The console counts them as they come.
    press_next(fran, "Purpose: why do we exist, for clients and for us?")
    expect(fran.locator("#run-clause")).to_have_text("Clause: Purpose")
    expect(steps(fran).nth(0)).to_have_class(re.compile(r"\bstep-done\b"))
    expect(steps(fran).nth(3)).to_have_attribute("aria-current", "step")
    expect(amira.locator("#round-prompt")).to_have_text(
        "Purpose: why do we exist, for clients and for us?", timeout=TIMEOUT
    )
    send_proposal(amira, HELP)
    send_proposal(amira, OFF_TOPIC)
    send_proposal(amira, DUPLICATE)
    joost_proposes(joost, SIMPLE)
    joost_proposes(joost, TWO_IN_ONE)
    expect(fran.locator("#round-progress")).to_have_text(
        "5 proposals in this round", timeout=TIMEOUT
    )
    for wording in (HELP, OFF_TOPIC, SIMPLE, DUPLICATE, TWO_IN_ONE):
        expect(proposal(fran, wording)).to_have_count(1, timeout=TIMEOUT)

    # On a laptop the current round, its timer and the queue are on the first screen.
    height = LAPTOP[1]
    for selector in (TASK, "#timer", "#queue-title"):
        box = fran.locator(selector).bounding_box()
        assert box is not None and box["y"] + box["height"] <= height, (selector, box)
    check_screen(fran, "console-propose", task=TASK)
    # Nothing waits for approval: the queue says so with its count, never "No proposals yet"
    # while the room has proposals.
    expect(fran.locator("#queue-count")).to_have_text("(0)")
    expect(fran.locator("#queue")).not_to_contain_text("No proposals yet")
    expect(fran.locator("#queue")).to_be_hidden()
    expect(fran.locator("#proposals")).not_to_contain_text("No proposals yet")
    # Adding value tags is the participants' task while proposing: no console card offers a
    # list of values. A suggested tag is confirmed (or removed) on its own chip.
    expect(fran.locator("#proposals select, #queue select")).to_have_count(0)
    expect(fran.locator("#proposals")).not_to_contain_text("Choose a value")
    help_id = int(proposal(fran, HELP).get_attribute("data-proposal-id") or 0)
    joost.call("value.tag", {"proposal_id": help_id, "value_key": "integrity"})
    chip = proposal(fran, HELP).locator(".chip")
    expect(chip).to_have_text(re.compile(r"^Integrity \(1 agree\)"), timeout=TIMEOUT)
    chip.get_by_role("button", name="Confirm the tag Integrity").click()
    expect(chip).to_have_class(re.compile(r"\bconfirmed\b"), timeout=TIMEOUT)
    expect(chip.get_by_role("button", name="Confirm the tag Integrity")).to_have_count(0)
    expect(chip.get_by_role("button", name="Remove the tag Integrity")).to_be_visible()

    # 5. Hide, with the reason the author reads. Escape first: nothing happens, and the
    # focus is back on the button that opened the dialog.
    off_topic = proposal(fran, OFF_TOPIC)
    hide_button = off_topic.get_by_role("button", name="Hide", exact=True)
    hide_button.click()
    hiding = fran.get_by_role("dialog", name="Hide this proposal")
    expect(hiding).to_be_visible()
    expect(hiding).to_contain_text(OFF_TOPIC)
    expect(hiding).to_contain_text("The author sees this reason.")
    reason = hiding.get_by_label("Reason")
    expect_focused(reason)
    fran.keyboard.press("Escape")
    expect(hiding).to_be_hidden()
    expect_focused(hide_button)
    expect(off_topic).not_to_have_class(re.compile("status-hidden"))

    hide_button.press("Enter")
    expect_focused(reason)
    expect(reason).to_have_value("")
    reason.press_sequentially(REASON[:20])
    # Others' events meanwhile keep what is typed and where.
    joost_proposes(joost, "We are there when it matters.")
    expect(fran.locator("#round-progress")).to_have_text(
        "6 proposals in this round", timeout=TIMEOUT
    )
    expect_focused(reason)
    expect(reason).to_have_value(REASON[:20])
    reason.press_sequentially(REASON[20:])
    fran.screenshot(path=SCREENSHOTS / "console-hide-dialog-laptop.png")
    hiding.get_by_role("button", name="Hide the proposal").click()
    expect(hiding).to_be_hidden(timeout=TIMEOUT)
    expect(off_topic).to_have_class(re.compile("status-hidden"), timeout=TIMEOUT)
    expect(off_topic).to_contain_text(f"Hidden: {REASON}")
    expect_focused(off_topic.get_by_role("button", name="Show again"))

    told = f"The facilitator hid your proposal: {REASON}"
    expect(amira.get_by_text(told).first).to_be_visible(timeout=TIMEOUT)
    expect(proposal(amira, OFF_TOPIC)).to_have_count(0)
    amira.reload()
    wait_until_live(amira)
    expect(amira.get_by_text(told).first).to_be_visible(timeout=TIMEOUT)
    mark_page(amira)

    # 6. Merge the duplicate by picking the card it goes into (no number to type).
    duplicate = proposal(fran, DUPLICATE)
    duplicate.get_by_role("button", name="Merge into…").click()
    merging = fran.get_by_role("dialog", name="Merge into another card")
    expect(merging).to_be_visible()
    expect_focused(merging.get_by_label("Find a card"))
    choices = merging.get_by_role("radio")
    expect(choices).to_have_count(4)  # every visible card but itself: not the hidden one
    expect(merging.locator(".merge-options")).not_to_contain_text(OFF_TOPIC)
    merging.get_by_role("button", name="Merge into the chosen card").click()
    expect(merging.get_by_role("alert")).to_have_text("Choose the card to merge it into.")
    merging.get_by_label("Find a card").fill("simple for every")
    expect(merging.locator(".merge-option:visible")).to_have_count(1)
    fran.screenshot(path=SCREENSHOTS / "console-merge-dialog-laptop.png")
    merging.get_by_label(re.compile(re.escape(SIMPLE))).check()
    merging.get_by_role("button", name="Merge into the chosen card").click()
    expect(merging).to_be_hidden(timeout=TIMEOUT)
    kept_id = proposal(fran, SIMPLE).get_attribute("data-proposal-id")
    expect(duplicate).to_contain_text(f"Merged into #{kept_id}", timeout=TIMEOUT)
    expect_focused(proposal(fran, SIMPLE).get_by_role("button", name="Hide", exact=True))
    # Amira, who wrote the duplicate, is told on her page which card it went into and that
    # she is credited there; Joost, whose card it went into, is told nothing.
    merged_notice = (
        f"The facilitator merged your proposal into #{kept_id}: you are credited on that card."
    )
    expect(amira.locator("#my-moderated li").filter(has_text=merged_notice)).to_be_visible(
        timeout=TIMEOUT
    )
    expect(amira.get_by_text(told).first).to_be_visible()
    assert "proposal.moderated" not in [event for event, _data in joost.received]

    # 7. Split a card that says two things: one text box per part, filled in to start with.
    proposal(fran, TWO_IN_ONE).get_by_role("button", name="Split").click()
    splitting = fran.get_by_role("dialog", name="Split into separate proposals")
    expect(splitting.get_by_label("Part 1")).to_have_value("We listen first.")
    expect(splitting.get_by_label("Part 2")).to_have_value("We act with courage.")
    expect_focused(splitting.get_by_label("Part 1"))
    splitting.get_by_label("Part 2").fill("We act with courage, together.")
    splitting.get_by_role("button", name="Split it").click()
    expect(splitting).to_be_hidden(timeout=TIMEOUT)
    expect(proposal(fran, "We act with courage, together.")).to_have_count(1, timeout=TIMEOUT)
    first_part = fran.locator(".proposal-body").get_by_text("We listen first.", exact=True)
    expect(fran.locator("#proposals li.proposal").filter(has=first_part)).to_have_count(1)
    expect(proposal(fran, TWO_IN_ONE)).to_have_class(re.compile("status-hidden"))

    # 8. Next: the vote on the purpose. Two people vote; the console counts them.
    press_next(fran, "Which purpose says it best?")
    expect(fran.locator("#run-clause")).to_have_text("Clause: Purpose")
    ids = {w: int(proposal(fran, w).get_attribute("data-proposal-id")) for w in (HELP, SIMPLE)}
    amira_votes.call("vote.set", {"proposal_id": ids[HELP], "dots": 2})
    joost.call("vote.set", {"proposal_id": ids[HELP], "dots": 1})
    joost.call("vote.set", {"proposal_id": ids[SIMPLE], "dots": 2})
    expect(fran.locator("#round-progress")).to_have_text(voters(2), timeout=TIMEOUT)
    place = fran.get_by_role("button", name="Put the winner into “Purpose”")
    expect(place).to_have_count(0)  # blind: no winner yet
    fran.locator("#round-controls").get_by_role("button", name="Reveal results").click()

    # 9. The winner goes into its clause of the draft (there is no draft yet: the template's).
    expect(place).to_be_visible(timeout=TIMEOUT)
    check_screen(fran, "console-revealed", task=TASK)
    place.click()
    winner_line = fran.locator("#winner-line")
    expect(winner_line).to_contain_text(
        "The winner of “Which purpose says it best?” is in “Purpose”.", timeout=TIMEOUT
    )
    expect(place).to_have_count(0)
    link = winner_line.get_by_role("link", name="Open the draft")
    expect(link).to_have_attribute("href", f"/workshops/{workshop_id}/document")
    expect(clause(fran, "Purpose")).to_contain_text(HELP, timeout=TIMEOUT)

    # 10. A vote round without a clause: the refusal says why, and the clause is set from there.
    press_next(fran, "Who do we serve: our clients and our colleagues?")
    expect(winner_line).to_be_hidden()  # placed, and the room moved on: no longer news
    agenda = fran.locator("#agenda")
    fran.locator("#agenda-fold > summary").click()
    serve_vote = agenda.locator("li").filter(has_text="Rank the wordings of who we serve")
    serve_vote.get_by_role("button", name="Edit").click()
    expect(fran.locator("#round-form-editing")).to_have_text(
        "Editing round 7: Vote — Rank the wordings of who we serve · 5 min"
    )
    expect(form.get_by_label("Clause of the mission")).to_have_value("Who we serve")
    expect(form.get_by_label("Voting method")).to_have_value("ranked")
    form.get_by_label("Clause of the mission").fill("")
    form.get_by_role("button", name="Save the round").click()
    expect(serve_vote.locator(".agenda-clause")).to_be_hidden(timeout=TIMEOUT)
    expect(form.get_by_role("button", name="Add the round")).to_be_visible()
    # The next clause's proposals wait for approval (checked at step 11).
    work_round = agenda.locator("li").filter(has_text="How do we work, and why does it matter?")
    work_round.get_by_role("button", name="Edit").click()
    form.get_by_label("Pre-moderate proposals and comments").check()
    form.get_by_role("button", name="Save the round").click()
    expect(form.get_by_role("button", name="Add the round")).to_be_visible(timeout=TIMEOUT)
    fran.locator("#agenda-fold > summary").click()

    press_next(fran, "Rank the wordings of who we serve")
    expect(fran.locator("#run-clause")).to_be_hidden()
    fran.locator("#round-controls").get_by_role("button", name="Reveal results").click()
    place_anywhere = fran.get_by_role("button", name="Put the winner into the draft")
    place_anywhere.click()
    expect(fran.locator("#console-error")).to_have_text(
        "Say which clause this round is about (in its settings) to place its winners.",
        timeout=TIMEOUT,
    )
    fran.get_by_role("button", name="Set the round's clause").click()
    clause_box = form.get_by_label("Clause of the mission")
    expect_focused(clause_box)
    clause_box.fill("Who we serve")
    form.get_by_role("button", name="Save the round").click()
    expect(fran.locator("#run-clause")).to_have_text("Clause: Who we serve", timeout=TIMEOUT)
    fran.get_by_role("button", name="Put the winner into “Who we serve”").click()
    expect(fran.locator("#console-error")).to_have_text(
        "Nobody voted for any proposal in this round.", timeout=TIMEOUT
    )

    # 11. A pre-moderated round: Joost's proposal waits in the queue at the top of the console,
    # unseen by the room, until Fran approves it there.
    press_next(fran, "How do we work, and why does it matter?")
    expect(amira.locator("#round-prompt")).to_have_text(
        "How do we work, and why does it matter?", timeout=TIMEOUT
    )
    joost_proposes(joost, WAITING)
    expect(fran.locator("#queue-count")).to_have_text("(1)", timeout=TIMEOUT)
    waiting = fran.locator("#queue").locator("li.proposal").filter(has_text=WAITING)
    expect(waiting).to_be_visible()
    queue_box = fran.locator("#queue-title").bounding_box()
    assert queue_box is not None and queue_box["y"] < LAPTOP[1], queue_box
    expect(amira.locator("#proposals")).not_to_contain_text(WAITING)
    waiting.get_by_role("button", name="Approve", exact=True).click()
    expect(fran.locator("#queue-count")).to_have_text("(0)", timeout=TIMEOUT)
    expect(proposal(amira, WAITING)).to_have_count(1, timeout=TIMEOUT)

    # Next to the end of the agenda; then the console offers to close the workshop.
    for prompt in (
        "Which of these could you stand behind?",
        "How will we know we live it? What would clients and colleagues notice?",
        "Which measure matters most?",
        "Sharpen the draft together",
        "Can you live with each clause of the mission?",
        "What we agreed, and what happens next",
    ):
        press_next(fran, prompt)
    expect(next_label(fran)).to_have_text("That was the last round on the agenda.")
    expect(fran.locator("#next-button")).to_be_hidden()
    check_screen(fran, "console-agenda-done", task=TASK)
    # Closing is for good: the console asks once more, with Cancel first.
    fran.locator("#close-workshop").click()
    closing = fran.locator("#close-dialog")
    expect(closing).to_be_visible()
    expect_focused(closing.get_by_role("button", name="Cancel"))
    check_screen(fran, "console-close-dialog", task="#close-dialog")
    fran.keyboard.press("Escape")  # changed her mind: nothing happens
    expect(closing).to_be_hidden()
    expect_focused(fran.locator("#close-workshop"))
    expect(next_label(fran)).to_have_text("That was the last round on the agenda.")
    fran.locator("#close-workshop").click()
    closing.get_by_role("button", name="Close the workshop").click()
    expect(closing).to_be_hidden(timeout=TIMEOUT)
    expect(next_label(fran)).to_have_text("The workshop is closed.", timeout=TIMEOUT)
    expect(fran.locator("#close-workshop")).to_be_hidden()
    expect(fran.locator('button[data-set-phase="closed"]')).to_have_attribute(
        "aria-pressed", "true"
    )

    for page in (fran, amira):
        assert_not_reloaded(page)
    assert browser_dialogs == [], browser_dialogs
    assert new_person.page_errors == [], new_person.page_errors


def test_a_new_password_set_in_another_tab_keeps_this_console_live(live_server, new_person):
    """A new password ends every login of the account, and the server drops their live
    screens (an ended login's console went on receiving staff news). A console in another tab
    of the same browser holds the new cookie: it connects again by itself and carries on; it
    neither stays offline nor has its commands refused."""
    fran, _workshop_id, _join_link = a_new_workshop_on_a_laptop(live_server, new_person)
    settings = fran.context.new_page()
    settings.goto("/account/password")
    settings.get_by_label("Your current password").fill(live_server.facilitator_password)
    settings.get_by_label("New password (at least 10 characters)").fill("a brand new password")
    settings.get_by_role("button", name="Change password").click()
    expect(settings.get_by_text("Your password is changed")).to_be_visible(timeout=TIMEOUT)
    settings.close()
    wait_until_live(fran)
    fran.locator('[data-set-phase="propose"]').click()
    expect(fran.locator('button[data-set-phase="propose"]')).to_have_attribute(
        "aria-pressed", "true", timeout=TIMEOUT
    )


class SocketHeld:
    """A page whose socket's first requests wait until the test lets them go."""

    PATTERN = re.compile(r"/socket\.io/")

    def __init__(self, page: Page) -> None:
        self.page = page
        self.held: list = []

    def _hold(self, route) -> None:
        self.held.append(route)

    def open(self, path: str) -> None:
        self.held.clear()
        self.page.route(self.PATTERN, self._hold)
        self.page.goto(path)
        expect(self.page.locator("#live")).to_have_attribute("aria-busy", "false")
        assert self.page.locator("#live").get_attribute("data-connected") is None  # not yet

    def connect(self) -> None:
        assert self.held, "the socket asked to connect"
        self.page.unroute(self.PATTERN, self._hold)  # what it held goes on, or it asks again
        wait_until_live(self.page)

    def tops(self, selectors: tuple[str, ...]) -> dict[str, float]:
        tops = {}
        for selector in selectors:
            box = self.page.locator(selector).bounding_box()
            assert box is not None, selector
            tops[selector] = box["y"]
        return tops


def test_live_pages_are_drawn_before_their_socket_connects_and_nothing_on_them_moves(
    live_server, new_person
) -> None:
    """The console, the participant's room and the projector come with the room's state in the
    page: they show the round of the moment while the socket is still connecting, a click on Next
    meanwhile is sent once it connects (not refused as lost), and nothing on either page moves
    when the socket's own state arrives."""
    fran, workshop_id, join_link = a_new_workshop_on_a_laptop(live_server, new_person)
    fran.locator(TASK).get_by_role("button", name="Use the 90-minute template").click()
    expect(steps(fran)).to_have_count(14, timeout=TIMEOUT)
    press_next(fran, "What do you value most in your work?")
    amira = new_person("Amira")
    amira.set_viewport_size({"width": 390, "height": 844})
    join(amira, join_link, "Amira", "Frontline")

    console, room = SocketHeld(fran), SocketHeld(amira)
    console.open(f"/workshops/{workshop_id}")
    expect(fran.locator("#round-prompt")).to_have_text("What do you value most in your work?")
    expect(steps(fran)).to_have_count(14)
    room.open(f"/w/{workshop_id}")
    expect(amira.locator("#round-prompt")).to_have_text("What do you value most in your work?")
    expect(amira.locator("#values-form")).to_be_visible()
    wall = new_person("Wall")
    log_in(wall, live_server.facilitator_email, live_server.facilitator_password)
    projector = SocketHeld(wall)
    projector.open(f"/workshops/{workshop_id}/projector")
    expect(wall.locator("#live")).to_have_attribute("data-stage", "values")  # not the lobby
    on_the_console = ("#next-step", "#representation-fold", "#agenda-fold")
    in_the_room = ("#values-form", "#values-catalogue")
    before = console.tops(on_the_console), room.tops(in_the_room)
    check_screen(amira, "room-before-its-socket", task="#values-form")
    console.connect()
    room.connect()
    projector.connect()
    assert (console.tops(on_the_console), room.tops(in_the_room)) == before
    expect(wall.locator("#live")).to_have_attribute("data-stage", "values")

    console.open(f"/workshops/{workshop_id}")
    fran.locator("#next-button").click()
    console.connect()
    expect(fran.locator("#round-prompt")).to_have_text("What we value: say it in our own words")
    expect(fran.locator("#console-error")).to_have_text("")
    expect(amira.locator("#round-prompt")).to_have_text("What we value: say it in our own words")
    assert new_person.page_errors == []
