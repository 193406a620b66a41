"""End to end: the default mission workshop, walked with "Next", as five participants see it.

A facilitator applies the default template (values, then propose and vote for each clause of
the mission, refine, consent on the clauses, finalise) and walks it round by round with the
console's buttons alone ("Next", pause, reveal, end, hiding in its dialog, putting each winner
into its clause), until the mission the room wrote is ready to lock and locked. Five
participants of different levels take part in every round, and the projector shows each step
on the wall. At each step one participant's page is photographed at a phone, a laptop and a
projector size (``layout.check_screen``) and the wall at its two sizes, and checked: the task
of the moment shows in the first screenful, no text is drawn over other text, nothing is wider
than the screen, the wall never scrolls. Between the photographs
the test checks what one task per screen means: the ballot lists only this round's proposals
with the controls of its method, value tags only where tagging is the task, earlier results
folded away, input closing visibly (with the reason in words) when a round ends or pauses,
a vote's revealed results shown first once its round is over, the language switch in the
room's own bar, and an author's notice about their hidden proposal surviving a reload.

A second test runs short rounds to see input close when time is up.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from .helpers import (
    TIMEOUT,
    assert_not_reloaded,
    ballot_item,
    create_workshop,
    join,
    log_in,
    mark_page,
    proposal,
    send_proposal,
    staff_command,
    voters,
    wait_until_live,
)
from .layout import PROJECTOR, check_screen
from .test_projector import RESULTS_HIDDEN, assert_join_panel, wall_check

pytestmark = pytest.mark.browser

PEOPLE = [
    ("Amira", "Frontline"),
    ("Joost", "Team lead"),
    ("Lena", "Specialist"),
    ("Sam", "Manager"),
    ("Kim", "Director"),
]
CLAUSES = ["What we value", "Purpose", "Who we serve", "How we work", "How we will know"]
WORDINGS = {
    "What we value": [
        "We value honesty, courage and care for each other.",
        "We value people before paperwork, every day.",
        "We value learning together from every patient.",
    ],
    "Purpose": [
        "We exist so that every patient feels known, not processed.",
        "We keep people well at home, close to the ones they love.",
        "We make care simple, fair and close by.",
    ],
    "Who we serve": [
        "Patients and their families, and the colleagues who care for them.",
        "Everyone in our region who needs care, whoever they are.",
        "People at home, in our clinics and in care homes.",
    ],
    "How we work": [
        "We listen first, decide together and keep our promises.",
        "We work as one team across every ward and office.",
        "We learn from every mistake and say so openly.",
    ],
    "How we will know": [
        "Patients tell us they were heard, and colleagues stay.",
        "Waiting times fall while our staff survey improves.",
        "Every team can name one thing it changed because of a patient.",
    ],
}
OFF_TOPIC = "Free parking for everyone on every floor."
# A brief of several paragraphs: one tap away, it must never push the task down.
BRIEF = "\n\n".join(
    [
        "Our mission was written twelve years ago, before the merger with the home care teams.",
        "Since then we have doubled in size, opened four clinics and changed how we work with "
        "families. Many colleagues tell us the old words no longer describe what they do.",
        "Today every voice counts the same: frontline, team leads, specialists, managers and "
        "directors write and choose the words together.",
    ]
)


class Console:
    """The facilitator's console page, driven by its buttons alone. What the test reads back
    (the state) it asks for over a socket of its own, as the same facilitator."""

    def __init__(self, page: Page, workshop_id: int):
        self.page = page
        self.workshop_id = workshop_id

    def command(self, name: str, payload: dict | None = None) -> dict:
        return staff_command(self.page, self.workshop_id, name, payload)

    def state(self) -> dict:
        return self.command("state.sync")["snapshot"]

    def button(self, name: str) -> Locator:
        return self.page.get_by_role("button", name=name, exact=True)

    def next(self) -> dict:
        """The console's "Next": the next round of the agenda starts; returns it."""
        before = self.state()["current_round_id"]
        button = self.page.locator("#next-button")
        expect(button).to_be_visible(timeout=TIMEOUT)
        expect(button).to_be_enabled(timeout=TIMEOUT)
        button.click()
        for _ in range(100):
            state = self.state()
            if state["current_round_id"] not in (None, before):
                return next(r for r in state["rounds"] if r["id"] == state["current_round_id"])
            self.page.wait_for_timeout(100)
        raise AssertionError("Next started no round")

    def press(self, name: str) -> None:
        """A button of the current round's controls."""
        button = self.page.locator("#round-controls").get_by_role("button", name=name, exact=True)
        button.click()
        expect(button).to_have_count(0, timeout=TIMEOUT)  # the state moved on

    def hide(self, wording: str, reason: str) -> None:
        """Hide a proposal with a reason, in the console's dialog."""
        proposal(self.page, wording).get_by_role("button", name="Hide", exact=True).click()
        dialog = self.page.get_by_role("dialog", name="Hide this proposal")
        dialog.get_by_label("Reason").fill(reason)
        dialog.get_by_role("button", name="Hide the proposal").click()
        expect(dialog).to_be_hidden(timeout=TIMEOUT)

    def place_winner(self, vote: dict) -> None:
        """The winner line's button: the vote's winner into its clause of the draft."""
        line = self.page.locator("#winner-line")
        line.get_by_role("button", name=f"Put the winner into “{vote['clause']}”").click()
        expect(line).to_contain_text(
            f"The winner of “{vote['prompt']}” is in “{vote['clause']}”.", timeout=TIMEOUT
        )


def create_workshop_with_brief(
    page: Page, title: str, organisation: str, values: str, brief: str
) -> int:
    """The new-workshop form with a brief as well; returns the workshop id (the console)."""
    page.goto("/workshops/new")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Organisation", exact=True).fill(organisation)
    page.get_by_label("The organisation's current values").fill(values)
    page.get_by_label("Brief: why are we rewriting the mission? (Markdown)").fill(brief)
    page.get_by_role("button", name="Create workshop").click()
    expect(page).to_have_url(re.compile(r"/workshops/\d+$"), timeout=TIMEOUT)
    return int(page.url.rsplit("/", 1)[1])


def open_notice(page: Page) -> Locator:
    return page.locator("#my-moderated li")


def tasks(page: Page) -> Locator:
    """The task sections that show on a participant's page."""
    return page.locator("#task > section:visible")


def expect_round(people: list[Page], round_: dict) -> None:
    for page in people:
        expect(page.locator("#round-prompt")).to_have_text(round_["prompt"], timeout=TIMEOUT)


@pytest.mark.long
def test_the_default_workshop_walked_with_next_is_one_task_per_screen(live_server, new_person):
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop_with_brief(
        fran, "Our mission, together", "Harbour Health", "Care\nCourage\nCraft", BRIEF
    )
    join_link = fran.locator("#join-link").get_attribute("href")
    assert join_link is not None
    wait_until_live(fran)
    console = Console(fran, workshop_id)
    template = fran.locator("#use-template")
    expect(template).to_be_visible()
    template.click()
    expect(template).to_be_hidden(timeout=TIMEOUT)
    agenda = console.state()["rounds"]
    assert [r["kind"] for r in agenda] == [
        "values",
        *["propose", "vote"] * 5,
        "refine",
        "consent",
        "finalise",
    ], agenda
    assert [r["method"] for r in agenda if r["kind"] == "vote"] == [
        "score",
        "dot",
        "ranked",
        "approval",
        "dot",
    ]
    assert [r["clause"] for r in agenda if r["kind"] == "vote"] == CLAUSES

    # The projector: a second tab of Fran's browser, full screen on the room's wall. Its lobby,
    # propose and vote screens are photographed and checked in test_projector; here the wall
    # is checked where this walk shows something of its own (the values round, every clause of
    # the room's draft, consent on five clauses, the final mission).
    wall = fran.context.new_page()
    wall.set_viewport_size({"width": PROJECTOR[0], "height": PROJECTOR[1]})
    wall.goto(f"/workshops/{workshop_id}/projector")
    wait_until_live(wall)
    code = fran.locator(".join-code").inner_text().strip()

    people = []
    for name, level in PEOPLE:
        page = new_person(name)
        join(page, join_link, name, level)
        people.append(page)
    amira, joost, lena, sam, kim = people
    expect(fran.locator("[data-presence-line]").first).to_contain_text("5 joined", timeout=TIMEOUT)
    # In the lobby: the welcome, with the agenda and the brief one tap away (folded).
    expect(amira.locator('[data-when="lobby"]')).to_be_visible()
    expect(amira.locator("details.agenda-fold")).not_to_have_attribute("open", "")
    expect(amira.locator("#agenda li")).to_have_count(14)
    brief = amira.locator("#brief-fold")
    expect(brief).not_to_have_attribute("open", "")
    expect(amira.locator("#brief")).to_be_hidden()
    check_screen(amira, "flow-00-lobby", task='[data-when="lobby"]')
    # The room has no page header, so its own bar carries the language switch; on a phone it
    # fits inside the bar with the other tools.
    switch = amira.locator(".room-bar .room-tools .language-switch")
    expect(switch.get_by_role("button", name="Nederlands")).to_be_visible()
    size = amira.viewport_size
    amira.set_viewport_size({"width": 390, "height": 844})
    bar = amira.locator(".room-bar").bounding_box()
    button = switch.get_by_role("button", name="Nederlands").bounding_box()
    assert bar and button and button["x"] + button["width"] <= min(bar["x"] + bar["width"], 390)
    assert button["y"] + button["height"] <= bar["y"] + bar["height"], (bar, button)
    if size:
        amira.set_viewport_size(size)
    # Kim switches to Dutch in the room and back to English.
    kim.locator(".room-tools").get_by_role("button", name="Nederlands").click()
    expect(kim.get_by_role("heading", name="Welkom!")).to_be_visible(timeout=TIMEOUT)
    wait_until_live(kim)
    kim.locator(".room-tools").get_by_role("button", name="English").click()
    expect(kim.get_by_role("heading", name="Welcome!")).to_be_visible(timeout=TIMEOUT)
    wait_until_live(kim)
    brief.locator("summary").click()
    expect(amira.locator("#brief")).to_contain_text("twelve years ago")
    brief.locator("summary").click()
    expect(amira.locator("#brief")).to_be_hidden()
    expect(wall.locator(".wall-counts")).to_have_text("5 people here", timeout=TIMEOUT)
    assert_join_panel(wall, code)
    for page in (fran, wall, *people):
        mark_page(page)

    # -- 1. Values -------------------------------------------------------------------------
    values = console.next()
    assert values["kind"] == "values"
    expect_round(people, values)
    for page in people:
        expect(page.locator("#values-form")).to_be_visible(timeout=TIMEOUT)
        expect(tasks(page)).to_have_count(1)
    expect(amira.locator("#round-clause")).to_have_text("Clause: What we value")
    for page, key in zip(
        people, ("integrity", "care", "courage", "balance", "growth"), strict=True
    ):
        page.locator(f"#value-{key}").check()
        page.locator("#pick-0-lived-4").check()
        page.get_by_role("button", name="Share my values").click()
        expect(page.locator("#values-status")).not_to_have_text("", timeout=TIMEOUT)
    expect(fran.locator("#voter-count")).to_have_text(voters(5), timeout=TIMEOUT)
    check_screen(amira, "flow-01-values", task="#values-form")
    expect(wall.locator("#live")).to_have_attribute("data-stage", "values")
    expect(wall.locator(".wall-counts")).to_contain_text("5 people", timeout=TIMEOUT)
    wall_check(wall, "flow-01-values-wall")

    # -- 2. Propose: what we value, in our own words -----------------------------------------
    first_clause = CLAUSES[0]
    propose = console.next()
    assert propose["clause"] == first_clause, propose
    expect_round(people, propose)
    for page in people:
        expect(page.locator("#proposal-form")).to_be_visible(timeout=TIMEOUT)
        expect(tasks(page)).to_have_count(1)
        # The values results are an earlier round's now: folded away, one tap away.
        expect(page.locator("#results-fold > summary")).to_have_text("Results of earlier rounds")
        expect(page.locator("#results-card")).to_be_hidden()
    expect(amira.locator("#round-clause")).to_have_text(f"Clause: {first_clause}")

    # Amira starts typing; the room's proposals arrive meanwhile and take nothing from her.
    typed, rest = WORDINGS[first_clause][0].split(",", 1)
    box = amira.locator("#proposal-body")
    box.click()
    box.press_sequentially(typed)
    for page, wording in zip((joost, lena), WORDINGS[first_clause][1:], strict=True):
        send_proposal(page, wording)
    expect(proposal(amira, WORDINGS[first_clause][2])).to_have_count(1, timeout=TIMEOUT)
    assert box.evaluate("b => [b.value, document.activeElement === b]") == [typed, True]
    box.press_sequentially("," + rest)
    amira.get_by_role("button", name="Send proposal").click()
    expect(box).to_have_value("", timeout=TIMEOUT)
    send_proposal(amira, OFF_TOPIC)

    # Tagging is part of proposing: Amira says what value her wording expresses.
    mine = proposal(amira, WORDINGS[first_clause][0])
    mine.get_by_label("This expresses the value…").select_option(label="Care")
    expect(mine.locator(".chip")).to_have_text("Care", timeout=TIMEOUT)
    expect(wall.locator("#live")).to_have_attribute("data-stage", "propose")
    expect(wall.locator(".wall-counts")).to_contain_text("4 proposals", timeout=TIMEOUT)

    # The facilitator hides the off-topic one in the console's dialog: Amira is told under her
    # form, also after a reload, and it leaves the wall.
    console.hide(OFF_TOPIC, "Not our mission")
    expect(open_notice(amira)).to_have_count(1, timeout=TIMEOUT)
    expect(open_notice(amira)).to_contain_text(OFF_TOPIC)
    expect(open_notice(amira)).to_contain_text("Not our mission")
    amira.reload()
    wait_until_live(amira)
    expect(open_notice(amira)).to_contain_text("Not our mission")
    mark_page(amira)
    expect(amira.locator("#proposal-count-badge")).to_have_text("(3)")
    check_screen(amira, "flow-02-propose", task="#proposal-form button[type=submit]")
    expect(wall.locator(".wall-counts")).to_contain_text("3 proposals", timeout=TIMEOUT)
    expect(wall.locator("#live")).not_to_contain_text(OFF_TOPIC)

    # "End and lock": the form closes visibly, with the reason in words.
    console.press("End and lock")
    for page in people:
        expect(page.locator("#propose-closed")).to_have_text(
            "This round has ended.", timeout=TIMEOUT
        )
        expect(page.locator("#proposal-body")).to_be_disabled()
        expect(page.get_by_role("button", name="Send proposal")).to_be_disabled()
        # The screen still says which round it was: its question stays above the closed form.
        expect(page.locator("#round-prompt")).to_have_text(propose["prompt"])
        expect(page.locator("#round-kind")).to_have_text("Round 2 of 14 · Propose")
    check_screen(amira, "flow-02-propose-ended", task="#propose-closed")

    # -- 3. to 11. Vote on each clause's proposals, propose the next clause --------------------
    ballots = {}
    winners: dict[str, str] = {}  # each clause's winning wording, as the draft will read
    for index, clause in enumerate(CLAUSES):
        if index:
            propose = console.next()
            assert propose["kind"] == "propose" and propose["clause"] == clause, propose
            expect_round(people, propose)
            for page, wording in zip((amira, joost, lena), WORDINGS[clause], strict=True):
                send_proposal(page, wording)
            for page in people:
                # Only this round's proposals are listed under the form.
                expect(page.locator("#proposal-count-badge")).to_have_text("(3)", timeout=TIMEOUT)
                expect(page.locator("#proposals li.proposal")).to_have_count(3)
            if index == 1:  # the later clauses' propose screens are laid out the same
                check_screen(amira, f"flow-{2 * index + 2:02d}-propose", task="#proposal-body")

        vote = console.next()
        assert vote["kind"] == "vote" and vote["clause"] == clause, vote
        expect_round(people, vote)
        # Each method's ballot and results are photographed and checked the first time.
        new_method = vote["method"] not in {b["method"] for b in ballots.values()}
        ballots[clause] = vote
        for page in people:
            expect(page.locator('[data-when="vote"]')).to_be_visible(timeout=TIMEOUT)
            expect(tasks(page)).to_have_count(1)
            # The ballot lists this clause's proposals and nothing else, with no value tags.
            expect(page.locator("#ballot li.proposal")).to_have_count(3, timeout=TIMEOUT)
            for wording in WORDINGS[clause]:
                expect(ballot_item(page, wording)).to_have_count(1)
            expect(page.locator("#ballot")).not_to_contain_text(OFF_TOPIC)
            expect(page.locator("#task select:visible")).to_have_count(0)
            expect(page.locator("#ballot .value-tags")).to_have_count(0)
            expect(page.locator("#proposals-fold")).to_be_hidden()
        first, second, third = WORDINGS[clause]
        step = f"flow-{2 * index + 3:02d}-vote-{vote['method']}"
        if vote["method"] == "score":
            check_screen(amira, step, task="#ballot .score-controls")
            for page in people:
                for wording, score in ((first, "5"), (second, "3")):
                    choice = ballot_item(page, wording).get_by_label(score, exact=True)
                    choice.check()
                    expect(choice).to_be_checked()
                expect(page.locator("#ballot-status")).to_contain_text(
                    "You voted.", timeout=TIMEOUT
                )
        elif vote["method"] == "dot":
            if new_method:
                check_screen(amira, step, task="#ballot [data-vote=plus]")
            for page in people:
                ballot_item(page, first).locator("[data-vote=plus]").click()
                expect(ballot_item(page, first).locator(".my-dots")).to_have_text(
                    "1", timeout=TIMEOUT
                )
            ballot_item(amira, second).locator("[data-vote=plus]").click()
            expect(amira.locator("#budget")).to_have_text(
                "You have 1 of 3 dots left.", timeout=TIMEOUT
            )
        elif vote["method"] == "ranked":
            check_screen(amira, step, task="#ballot button")
            for page in people:
                for place, wording in enumerate((second, first, third), start=1):
                    ballot_item(page, wording).get_by_role(
                        "button", name="Add to my ranking"
                    ).click()
                    expect(ballot_item(page, wording).locator(".tag-rank")).to_have_text(
                        f"My ranking: {place}", timeout=TIMEOUT
                    )
            check_screen(amira, step + "-ranked", task="#my-ranking")
        else:
            check_screen(amira, step, task="#ballot input[type=checkbox]")
            for page in people:
                for wording in (first, third):
                    ballot_item(page, wording).get_by_label("I can support this").check()
                    expect(
                        ballot_item(page, wording).get_by_label("I can support this")
                    ).to_be_checked()
                expect(page.locator("#ballot-status")).to_contain_text(
                    "You voted.", timeout=TIMEOUT
                )
        expect(fran.locator("#voter-count")).to_have_text(voters(5), timeout=TIMEOUT)
        expect(amira.locator("#ballot-status")).to_have_text(
            re.compile(r"^You voted\. You can change your vote until the round ends\.")
        )

        if index == 0:
            # The wall counts voters and shows no tally while the vote is blind.
            expect(wall.locator("#live")).to_have_attribute("data-stage", "vote")
            expect(wall.locator(".wall-counts")).to_contain_text(
                "5 people have voted", timeout=TIMEOUT
            )
            expect(wall.locator("#results")).to_contain_text(RESULTS_HIDDEN)
            # Paused: the ballot closes and says why; the status line promises nothing.
            console.press("Pause")
            for page in people:
                expect(page.locator("#vote-closed")).to_have_text(
                    "Paused by the facilitator.", timeout=TIMEOUT
                )
                expect(page.locator("#ballot .score-controls input").first).to_be_disabled()
                expect(page.locator("#ballot-status")).not_to_contain_text("You can change")
                expect(page.locator("#ballot-status")).to_contain_text("You voted.")
            check_screen(amira, step + "-paused", task="#vote-closed")
            console.press("Resume")
            expect(amira.locator("#vote-closed")).to_be_hidden(timeout=TIMEOUT)
            expect(ballot_item(amira, third).get_by_label("4", exact=True)).to_be_enabled()

        # The reveal belongs to this round's task: the results show with the ballot.
        console.press("Reveal results")
        for page in people:
            expect(page.locator("#results-card")).to_be_visible(timeout=TIMEOUT)
            expect(page.locator("#results-fold > summary")).to_be_hidden()
        # The winner in full: five dots for the first wording; every ranking put the second
        # first; the first and the third share the approvals.
        winner = second if vote["method"] == "ranked" else first
        winners[clause] = winner
        expect(amira.locator("#results .winner").first).to_contain_text(winner, timeout=TIMEOUT)
        if new_method:
            check_screen(amira, step + "-revealed", task="#ballot li.proposal")
        if index == 0:
            expect(wall.locator("#results .winner").first).to_contain_text(winner, timeout=TIMEOUT)
        if index == len(CLAUSES) - 1:
            # Once the round is over, its revealed results are what the room reads: they come
            # first, the closed ballot under them.
            console.press("End and lock")
            for page in people:
                expect(page.locator("#vote-closed")).to_have_text(
                    "This round has ended.", timeout=TIMEOUT
                )
                results = page.locator("#results-card").bounding_box()
                ballot = page.locator('[data-when="vote"]').bounding_box()
                assert results and ballot and results["y"] < ballot["y"], (results, ballot)
            check_screen(amira, step + "-ended", task="#results-card")
        console.place_winner(vote)

    # -- 12. Refine: the draft, every clause written by the room, with edit and suggest tools --
    refine = console.next()
    assert refine["kind"] == "refine", refine
    expect_round(people, refine)
    for page in people:
        expect(page.locator("#draft-card")).to_be_visible(timeout=TIMEOUT)
        expect(tasks(page)).to_have_count(1)
        expect(page.locator("#results-fold > summary")).to_be_visible()
        expect(page.locator("#results-fold")).not_to_have_attribute("open", "")
        expect(page.locator("#proposals-fold")).not_to_have_attribute("open", "")
    purpose = amira.locator("#document article.clause").filter(
        has=amira.get_by_role("heading", name="Purpose", exact=True)
    )
    expect(purpose).to_contain_text(WORDINGS["Purpose"][0], timeout=TIMEOUT)
    expect(purpose.get_by_role("button", name="Edit this clause")).to_be_visible()
    expect(purpose.get_by_role("button", name="Suggest a change to this clause")).to_be_visible()
    check_screen(amira, "flow-12-refine", task="#document .clause-tools button")
    expect(wall.locator("#live")).to_have_attribute("data-stage", "refine")
    expect(wall.locator("#wall-clauses")).to_contain_text(WORDINGS[first_clause][0])
    wall_check(wall, "flow-12-refine-wall")
    purpose.get_by_role("button", name="Edit this clause").click()
    editor = purpose.get_by_label("Your text for “Purpose”")
    winners["Purpose"] = "We exist so that every patient and colleague feels known."
    editor.fill(winners["Purpose"])
    purpose.get_by_role("button", name="Save this clause").click()
    for page in people:
        expect(page.locator("#document")).to_contain_text(
            "every patient and colleague", timeout=TIMEOUT
        )

    # -- 13. Consent: the draft's clauses, each with Agree / Can live with it / Object --------
    consent = console.next()
    assert consent["kind"] == "consent", consent
    expect_round(people, consent)
    for page in people:
        expect(page.locator("#draft-hint")).to_contain_text(
            "Answer on each clause", timeout=TIMEOUT
        )
        expect(page.get_by_role("button", name="Edit this clause")).to_have_count(0)
        expect(page.get_by_role("button", name="Suggest a change to this clause")).to_be_hidden()
        expect(page.locator("details.amend-tools")).to_be_hidden()
        # Consent is on the mission's clauses: no proposal and no ballot shows in the task.
        expect(page.locator("#task li.proposal:visible")).to_have_count(0)
        expect(page.locator("#ballot-box")).to_be_hidden()
    clauses = amira.locator("#document article.clause")
    expect(clauses).to_have_count(5)
    check_screen(amira, "flow-13-consent", task="#document .consent-buttons button")
    for page in people:
        for i in range(5):  # every clause: the room wrote each one
            clause = page.locator("#document article.clause").nth(i)
            clause.get_by_role("button", name="Agree", exact=True).click()
            expect(clause.get_by_role("button", name="Agree", exact=True)).to_have_attribute(
                "aria-pressed", "true", timeout=TIMEOUT
            )
    expect(clauses.first).to_contain_text("5 agree", timeout=TIMEOUT)
    expect(wall.locator("#live")).to_have_attribute("data-stage", "consent")
    expect(wall.locator(".wall-consent").nth(4)).to_contain_text("5 agree", timeout=TIMEOUT)
    wall_check(wall, "flow-13-consent-wall")

    # -- 14. Finalise: the mission the room wrote is ready to lock, and locked -----------------
    finalise = console.next()
    assert finalise["kind"] == "finalise", finalise
    expect_round(people, finalise)
    expect(amira.locator("#draft-hint")).to_have_text("This is the mission as it stands now.")
    check_screen(amira, "flow-14-finalise", task="#document .clause")
    versions = fran.context.new_page()
    versions.goto(f"/workshops/{workshop_id}/document/versions")
    latest = versions.locator("tbody tr").first
    latest.get_by_role("link", name=re.compile(r"^Version \d+$")).click()
    expect(versions.locator("section.readiness").get_by_role("heading")).to_have_text(
        "Ready to lock"
    )
    versions.get_by_role("button", name="Lock as the final mission").click()
    expect(versions.locator(".final-badge")).to_have_text("Final: this is our agreed mission.")
    for page in people:
        expect(page.locator("#document .final-badge")).to_be_visible(timeout=TIMEOUT)
    expect(wall.locator("#wall-version")).to_have_text("Final", timeout=TIMEOUT)
    for wording in winners.values():
        expect(wall.locator("#wall-clauses")).to_contain_text(wording[:30])
    wall_check(wall, "flow-14-final-wall")

    for page in (fran, wall, *people):
        assert_not_reloaded(page)
    assert new_person.page_errors == [], new_person.page_errors


def test_input_closes_when_time_is_up(live_server, new_person):
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, "Against the clock", "Harbour Health", "Care")
    join_link = fran.locator("#join-link").get_attribute("href")
    wait_until_live(fran)
    console = Console(fran, workshop_id)
    amira, joost = new_person("Amira"), new_person("Joost")
    join(amira, join_link, "Amira", "Frontline")
    join(joost, join_link, "Joost", "Team lead")

    # A propose round without a timer, until the facilitator gives it one second: the form is
    # open, then closes with the reason.
    propose = console.command(
        "round.add", {"kind": "propose", "prompt": "Quick ideas", "minutes": 0}
    )
    console.command("round.start", {"round_id": propose["round_id"]})
    expect(amira.locator("#proposal-body")).to_be_enabled(timeout=TIMEOUT)
    send_proposal(joost, "We keep care close to home.")
    amira.locator("#proposal-body").fill("Half a thought")
    console.command("round.extend", {"round_id": propose["round_id"], "seconds": 1})
    expect(amira.locator("#propose-closed")).to_have_text(
        "Time is up: proposals are closed.", timeout=TIMEOUT
    )
    expect(amira.locator("#proposal-body")).to_be_disabled()
    expect(amira.locator("#proposal-body")).to_have_value("Half a thought")  # nothing is lost
    expect(amira.get_by_role("button", name="Send proposal")).to_be_disabled()
    check_screen(amira, "closing-propose-time-up", task="#propose-closed")

    # A dot vote of six seconds: Amira votes; when time is up her dots stay, disabled, and the
    # status line no longer says she can change them.
    vote = console.command(
        "round.add", {"kind": "vote", "prompt": "Quick vote", "minutes": 0.1, "method": "dot"}
    )
    console.command("round.start", {"round_id": vote["round_id"]})
    item = ballot_item(amira, "We keep care close to home.")
    item.locator("[data-vote=plus]").click()
    expect(item.locator(".my-dots")).to_have_text("1", timeout=TIMEOUT)
    expect(amira.locator("#vote-closed")).to_have_text(
        "Time is up: voting is closed.", timeout=TIMEOUT
    )
    expect(item.locator("[data-vote=plus]")).to_be_disabled()
    expect(item.locator("[data-vote=minus]")).to_be_disabled()
    expect(item.locator(".my-dots")).to_have_text("1")
    expect(amira.locator("#ballot-status")).to_have_text(re.compile(r"^You voted\. 1 person"))
    expect(joost.locator("#ballot-status")).to_have_text(
        re.compile(r"^You did not vote in this round\.")
    )
    check_screen(amira, "closing-vote-time-up", task="#vote-closed")

    # A values round that ends: the form's fields close too.
    values = console.command("round.add", {"kind": "values", "prompt": "Values", "minutes": 5})
    console.command("round.start", {"round_id": values["round_id"]})
    expect(amira.locator("#value-integrity")).to_be_enabled(timeout=TIMEOUT)
    console.command("round.end", {"round_id": values["round_id"]})
    expect(amira.locator("#values-closed")).to_have_text("This round has ended.", timeout=TIMEOUT)
    expect(amira.locator("#value-integrity")).to_be_disabled()
    expect(amira.get_by_role("button", name="Share my values")).to_be_disabled()
    assert new_person.page_errors == [], new_person.page_errors
