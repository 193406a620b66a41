"""End to end: the facilitator runs two rounds and three participants follow, including a reveal.

The facilitator builds the agenda in the console (a timed propose round and a
blind ranked-choice vote round), starts the first round from the agenda and the
second with "Next", gives extra time, and reveals the results. Every change has to reach the
participants' screens over the socket, without a reload.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    RESULTS_HIDDEN,
    TIMEOUT,
    assert_not_reloaded,
    assert_results_hidden,
    ballot_item,
    create_workshop,
    join,
    log_in_facilitator,
    mark_page,
    proposal,
    send_proposal,
    timer_seconds,
    voters,
    wait_for_timer,
    wait_until_live,
)

pytestmark = pytest.mark.browser

PROPOSE_PROMPT = "Who do we serve, and how do we want them to feel?"
VOTE_PROMPT = "Rank the wordings, best first"
AMIRA_WORDING = "We help every resident feel known, not processed."
JOOST_WORDING = "Together we make public services simple, fair and fast."
LENA_WORDING = "We listen first and act with courage."


def agenda_item(page: Page, prompt: str):
    return page.locator("#agenda li").filter(has_text=prompt)


def add_round(
    fran: Page, *, kind: str, prompt: str, minutes: int, method: str | None = None
) -> None:
    """Fill in the console's "Add a round" form (blind stays on, as by default)."""
    form = fran.locator("#add-round-form")
    if not form.is_visible():
        fran.locator("details.add-round > summary").click()
    expect(form).to_be_visible()
    form.locator("#round-kind-input").select_option(kind)
    form.locator("#round-prompt-input").fill(prompt)
    form.locator("#round-minutes-input").fill(str(minutes))
    if method is not None:
        form.locator("#round-method-input").select_option(method)
    expect(form.locator("#round-blind-input")).to_be_checked()
    form.get_by_role("button", name="Add the round").click()
    expect(agenda_item(fran, prompt)).to_have_count(1, timeout=TIMEOUT)
    # The form resets once the server acknowledged the round.
    expect(form.locator("#round-prompt-input")).to_have_value("", timeout=TIMEOUT)
    expect(fran.locator("#console-error")).to_have_text("")


def rank(page: Page, wordings: list[str]) -> None:
    """Add proposals to my ranking one by one, waiting for each acknowledgement."""
    for place, wording in enumerate(wordings, start=1):
        card = ballot_item(page, wording)
        card.get_by_role("button", name="Add to my ranking").click()
        expect(card.locator(".tag-rank")).to_have_text(f"My ranking: {place}", timeout=TIMEOUT)


def my_ranking(page: Page):
    return page.locator("#my-ranking ol.ranking > li > span:first-child")


def results_section(page: Page, heading: str):
    return page.locator("#results section").filter(
        has=page.get_by_role("heading", name=heading, exact=True)
    )


def test_facilitator_runs_two_rounds_and_three_participants_follow(live_server, new_person) -> None:
    # 1. The facilitator logs in, creates a workshop and builds a two-round agenda.
    fran = new_person("Fran")
    log_in_facilitator(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, "Rounds we run", "Gemeente Voorbeeld", "Care\nCraft")
    join_link = fran.locator("#join-link").get_attribute("href")
    assert join_link is not None
    wait_until_live(fran)

    add_round(fran, kind="propose", prompt=PROPOSE_PROMPT, minutes=5)
    add_round(fran, kind="vote", prompt=VOTE_PROMPT, minutes=10, method="ranked")
    expect(agenda_item(fran, PROPOSE_PROMPT).locator(".agenda-kind")).to_contain_text("Propose")
    expect(agenda_item(fran, VOTE_PROMPT).locator(".agenda-kind")).to_contain_text("Ranked choice")
    expect(fran.locator("#agenda li.agenda-item")).to_have_count(2)
    expect(fran.locator("#agenda li.agenda-item").first).to_contain_text(PROPOSE_PROMPT)

    # 2. Two participants are already in the room before the first round starts.
    amira = new_person("Amira")
    joost = new_person("Joost")
    assert join(amira, join_link, "Amira", "Frontline") == workshop_id
    assert join(joost, join_link, "Joost", "Team lead") == workshop_id
    for page in (amira, joost):
        expect(page.locator("#round-prompt")).not_to_have_text(PROPOSE_PROMPT)
        expect(page.locator("#timer")).to_have_text("")
        expect(page.locator("#agenda li")).to_have_count(2)  # they see the agenda
        mark_page(page)
    mark_page(fran)

    # 3. Round 1 starts from the agenda: the prompt and a running timer arrive live.
    agenda_item(fran, PROPOSE_PROMPT).get_by_role("button", name="Start").click()
    expect(fran.locator("#round-prompt")).to_have_text(PROPOSE_PROMPT, timeout=TIMEOUT)
    expect(fran.locator("#timer")).to_have_text(re.compile(r"^\d+:\d\d left$"), timeout=TIMEOUT)
    expect(agenda_item(fran, PROPOSE_PROMPT).get_by_role("button", name="Start")).to_have_count(0)
    for page in (amira, joost):
        expect(page.locator("#round-prompt")).to_have_text(PROPOSE_PROMPT, timeout=TIMEOUT)
        expect(page.locator("#timer")).to_have_text(re.compile(r"^\d+:\d\d left$"), timeout=TIMEOUT)
        expect(page.locator('[data-when="propose"]')).to_be_visible(timeout=TIMEOUT)

    # A third participant joins late and starts from the same state.
    lena = new_person("Lena")
    assert join(lena, join_link, "Lena", "Specialist") == workshop_id
    mark_page(lena)
    participants = (amira, joost, lena)
    expect(lena.locator("#round-prompt")).to_have_text(PROPOSE_PROMPT)
    expect(lena.locator('[data-when="propose"]')).to_be_visible()
    expect(fran.locator("[data-presence-line]")).to_contain_text("3 joined", timeout=TIMEOUT)

    # The timer runs on every screen: at most 5:00, and counting down.
    shown = {}
    for page in participants:
        expect(page.locator("#timer")).to_have_text(re.compile(r"^[0-5]:\d\d left$"))
        shown[page] = timer_seconds(page)
        assert 200 <= shown[page] <= 300, shown[page]
    for page in participants:
        wait_for_timer(page, 0, shown[page] - 1)

    # 4. "+1 min" makes every participant's timer jump up by a minute, live.
    before = {page: timer_seconds(page) for page in (fran, *participants)}
    fran.locator("#round-controls").get_by_role("button", name="+1 min").click()
    for page in (fran, *participants):
        # 60 s more, less the seconds this takes, give or take clock-skew correction;
        # a timer that keeps counting down, or jumps by 5 minutes, never gets there.
        wait_for_timer(page, before[page] + 45, before[page] + 65)

    # 5. Everyone proposes; everyone sees all three proposals.
    send_proposal(amira, AMIRA_WORDING)
    send_proposal(joost, JOOST_WORDING)
    send_proposal(lena, LENA_WORDING)
    for page in (fran, *participants):
        for wording in (AMIRA_WORDING, JOOST_WORDING, LENA_WORDING):
            expect(proposal(page, wording)).to_have_count(1, timeout=TIMEOUT)
        expect(page.locator("#proposal-count-badge")).to_have_text("(3)", timeout=TIMEOUT)
    ids = {
        wording: proposal(fran, wording).get_attribute("data-proposal-id")
        for wording in (AMIRA_WORDING, JOOST_WORDING, LENA_WORDING)
    }

    def label(wording: str, page: Page | None = None) -> str:
        """How a proposal is named: staff read its card number first, participants its words."""
        return f"#{ids[wording]} {wording}" if page is fran else wording

    # 6. Round 2 (ranked, blind) starts with "Next", which says what it starts; once rounds
    # run the agenda editor is folded away below, and offers to go back to round 1.
    expect(fran.locator("#next-label")).to_have_text(f"Next: Vote — {VOTE_PROMPT} · 10 min")
    fran.locator("#current-round").get_by_role("button", name="Next", exact=True).click()
    expect(fran.locator("#round-prompt")).to_have_text(VOTE_PROMPT, timeout=TIMEOUT)
    expect(fran.locator("#agenda-fold")).not_to_have_attribute("open", "")
    fran.locator("#agenda-fold > summary").click()
    expect(
        agenda_item(fran, PROPOSE_PROMPT).get_by_role("button", name="Go back to this round")
    ).to_be_visible(timeout=TIMEOUT)
    expect(agenda_item(fran, VOTE_PROMPT).get_by_role("button", name="Start")).to_have_count(0)
    reveal = fran.locator("#round-controls").get_by_role("button", name="Reveal results")
    expect(reveal).to_be_visible(timeout=TIMEOUT)
    for page in participants:
        expect(page.locator("#round-prompt")).to_have_text(VOTE_PROMPT, timeout=TIMEOUT)
        expect(page.locator('[data-when="vote"]')).to_be_visible(timeout=TIMEOUT)
        expect(page.locator('[data-when="propose"]')).to_be_hidden()
        # The method is named once, in the round card; the vote card does not repeat it.
        expect(page.locator("#round-kind")).to_have_text(re.compile(r"· Vote · Ranked choice$"))
        expect(page.locator("#vote-title")).to_have_text("Vote")
        expect(page.locator("#task")).not_to_contain_text("Ranked choice")
        expect(page.locator("#budget")).to_be_hidden()
        expect(page.locator("#my-ranking")).to_be_visible()
        expect(page.locator("#my-ranking")).to_contain_text("My ranking")
        expect(page.get_by_role("button", name="Add to my ranking")).to_have_count(3)
        expect(page.locator("#proposals [data-vote]")).to_have_count(0)  # no dot buttons
        expect(page.locator("#timer")).to_have_text(re.compile(r"^(9|10):\d\d left$"))

    # 7. Each ranks the proposals; the voter count rises live on the console.
    rank(amira, [JOOST_WORDING, AMIRA_WORDING, LENA_WORDING])
    expect(my_ranking(amira)).to_have_text(
        [label(JOOST_WORDING), label(AMIRA_WORDING), label(LENA_WORDING)]
    )
    expect(fran.locator("#voter-count")).to_have_text(voters(1), timeout=TIMEOUT)
    rank(joost, [JOOST_WORDING, LENA_WORDING, AMIRA_WORDING])
    expect(fran.locator("#voter-count")).to_have_text(voters(2), timeout=TIMEOUT)
    # Lena changes her mind with the ranking panel: ↑ puts Amira's wording first.
    rank(lena, [JOOST_WORDING, AMIRA_WORDING, LENA_WORDING])
    lena.locator("#my-ranking").get_by_role(
        "button", name=f"Move up: {label(AMIRA_WORDING)}", exact=True
    ).click()
    expect(my_ranking(lena)).to_have_text(
        [label(AMIRA_WORDING), label(JOOST_WORDING), label(LENA_WORDING)], timeout=TIMEOUT
    )
    expect(ballot_item(lena, AMIRA_WORDING).locator(".tag-rank")).to_have_text("My ranking: 1")
    expect(fran.locator("#voter-count")).to_have_text(voters(3), timeout=TIMEOUT)

    # 8. Nothing of the result shows before the reveal, on any screen.
    for page in (fran, *participants):
        expect(page.locator("#voter-count")).to_have_text(voters(3), timeout=TIMEOUT)
        assert_results_hidden(page)
        expect(page.get_by_role("heading", name="Schulze")).to_have_count(0)
    for page in participants:
        expect(page.get_by_text(RESULTS_HIDDEN)).to_be_visible()

    # A participant's page has none of the console's controls.
    for page in participants:
        expect(page.locator("#round-controls")).to_have_count(0)
        expect(page.get_by_role("button", name="Reveal results")).to_have_count(0)
        expect(page.get_by_role("button", name="+1 min")).to_have_count(0)
        expect(page.get_by_role("button", name="Start", exact=True)).to_have_count(0)
        expect(page.locator("#add-round-form")).to_have_count(0)
        expect(page.locator("[data-set-phase]")).to_have_count(0)

    # 9. The reveal: every participant sees the three counts side by side and the winner.
    # Ballots: J>A>L, J>L>A, A>J>L. Joost's wording wins every pairwise contest.
    reveal.click()
    expect(reveal).to_have_count(0, timeout=TIMEOUT)
    for page in (fran, *participants):
        for heading in ("Instant runoff", "Borda count", "Schulze"):
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(
                timeout=TIMEOUT
            )
        # Each count names the winner in words ("Winner"), next to its proposal.
        schulze = results_section(page, "Schulze")
        expect(schulze.locator("li .result-name")).to_have_text(
            [label(JOOST_WORDING, page), label(AMIRA_WORDING, page), label(LENA_WORDING, page)]
        )
        expect(schulze.locator("li.winner .result-name")).to_have_text(label(JOOST_WORDING, page))
        expect(schulze.locator("li.winner")).to_contain_text("Winner")
        runoff = results_section(page, "Instant runoff")
        expect(runoff.locator("tr.winner th .result-name")).to_have_text(label(JOOST_WORDING, page))
        expect(runoff.locator("tr.winner th")).to_contain_text("Winner")
        borda = results_section(page, "Borda count")
        expect(borda.locator("li.winner .result-name")).to_have_text(label(JOOST_WORDING, page))
        expect(borda.locator("li.winner")).to_contain_text("Winner")
        expect(page.locator("#results")).not_to_contain_text(RESULTS_HIDDEN)
        expect(page.locator("#voter-count")).to_have_text(voters(3))

    for page in (fran, *participants):
        assert_not_reloaded(page)
    assert new_person.page_errors == [], new_person.page_errors
