"""End to end: a facilitator and two participants run a workshop in real browsers.

Everything goes through the UI of a real ``workshop serve`` process: login,
creating a workshop, joining with the link, and then the live part — phase
changes, proposals, blind dot votes and their reveal must reach every other
screen over the socket, without anyone reloading.
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
    voters,
    wait_until_live,
)

pytestmark = pytest.mark.browser

AMIRA_WORDING = "We help every colleague serve our neighbours with care."
JOOST_WORDING = "Together we make public services simple, fair and fast."


def tally_text(dots: int, voters: int) -> re.Pattern[str]:
    """'2 dots from 1 person', with the right singular and plural forms."""
    dot_word = "dot" if dots == 1 else "dots"
    people_word = "person" if voters == 1 else "people"
    return re.compile(rf"^{dots} {dot_word} from {voters} {people_word}$")


def result_row(page: Page, wording: str):
    """The revealed result bar of the proposal with this wording."""
    return page.locator("#results .bar-row").filter(has_text=wording)


def test_facilitator_and_participants_run_a_live_workshop(live_server, new_person) -> None:
    # 1. The facilitator logs in and creates a workshop.
    fran = new_person("Fran")
    log_in_facilitator(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(
        fran, "Our mission, in our words", "Gemeente Voorbeeld", "Care\nCourage\nCraft"
    )

    join_code = fran.locator(".join-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", join_code), join_code
    join_link = fran.locator("#join-link").get_attribute("href")
    assert join_link is not None
    assert join_link.startswith(live_server.url + "/j/"), join_link
    assert join_link.upper().endswith(join_code.replace("-", "")), (join_link, join_code)
    wait_until_live(fran)

    # 2. Two participants join with the link, each in their own browser context.
    amira = new_person("Amira")
    joost = new_person("Joost")
    assert join(amira, join_link, "Amira", "Frontline") == workshop_id
    assert join(joost, join_link, "Joost", "Team lead") == workshop_id
    for page in (amira, joost):
        expect(page.locator('[data-when="lobby"]')).to_be_visible()
        expect(page.locator('[data-when="propose"]')).to_be_hidden()
    expect(fran.locator("[data-presence-line]")).to_contain_text("2 joined", timeout=TIMEOUT)

    everyone = (fran, amira, joost)
    for page in everyone:
        mark_page(page)

    # 3. Proposals open: both participants see the form without reloading.
    fran.locator('button[data-set-phase="propose"]').click()
    expect(fran.locator('button[data-set-phase="propose"]')).to_have_attribute(
        "aria-pressed", "true", timeout=TIMEOUT
    )
    for page in (amira, joost):
        expect(page.locator('[data-when="propose"]')).to_be_visible(timeout=TIMEOUT)
        expect(page.locator('[data-when="lobby"]')).to_be_hidden()

    # 4. Each sends a proposal; everyone sees both, live.
    send_proposal(amira, AMIRA_WORDING)
    send_proposal(joost, JOOST_WORDING)

    for page in (amira, joost, fran):
        expect(proposal(page, AMIRA_WORDING)).to_have_count(1, timeout=TIMEOUT)
        expect(proposal(page, JOOST_WORDING)).to_have_count(1, timeout=TIMEOUT)
        expect(proposal(page, AMIRA_WORDING).locator(".author")).to_contain_text("Amira")
        expect(proposal(page, JOOST_WORDING).locator(".author")).to_contain_text("Joost")
        expect(page.locator("#proposal-count-badge")).to_have_text("(2)", timeout=TIMEOUT)
    amira_id = proposal(fran, AMIRA_WORDING).get_attribute("data-proposal-id")
    joost_id = proposal(fran, JOOST_WORDING).get_attribute("data-proposal-id")

    # 5. Voting opens, blind by default: only the number of voters is shown, live.
    fran.locator('button[data-set-phase="vote"]').click()
    for page in (amira, joost):
        expect(page.locator('[data-when="vote"]')).to_be_visible(timeout=TIMEOUT)
        expect(page.locator('[data-when="propose"]')).to_be_hidden()
    expect(amira.locator("#budget")).to_have_text("You have 3 of 3 dots left.", timeout=TIMEOUT)
    reveal = fran.locator("#round-controls").get_by_role("button", name="Reveal results")
    expect(reveal).to_be_visible(timeout=TIMEOUT)
    for page in everyone:
        expect(page.locator("#voter-count")).to_have_text(voters(0), timeout=TIMEOUT)
        assert_results_hidden(page)

    joosts_on_amira = ballot_item(amira, JOOST_WORDING)
    for expected_mine in (1, 2):  # click, wait for the acknowledgement, click again
        joosts_on_amira.locator("button[data-vote=plus]").click()
        expect(joosts_on_amira.locator(".my-dots")).to_have_text(
            str(expected_mine), timeout=TIMEOUT
        )
    # Amira voted: every screen counts one voter, and still shows no tally.
    for page in everyone:
        expect(page.locator("#voter-count")).to_have_text(voters(1), timeout=TIMEOUT)
        assert_results_hidden(page)

    amiras_on_joost = ballot_item(joost, AMIRA_WORDING)
    amiras_on_joost.locator("button[data-vote=plus]").click()
    expect(amiras_on_joost.locator(".my-dots")).to_have_text("1", timeout=TIMEOUT)
    for page in everyone:
        expect(page.locator("#voter-count")).to_have_text(voters(2), timeout=TIMEOUT)
        assert_results_hidden(page)
    expect(amira.locator("#budget")).to_have_text("You have 1 of 3 dots left.", timeout=TIMEOUT)
    expect(joost.locator("#budget")).to_have_text("You have 2 of 3 dots left.", timeout=TIMEOUT)

    # None of that needed a reload.
    for page in everyone:
        assert_not_reloaded(page)

    # 6. Reconnect / late-joiner: a reload keeps Amira's identity and shows the current state.
    amira.reload()
    expect(amira).to_have_url(f"{live_server.url}/w/{workshop_id}")
    expect(amira.get_by_text("You are Amira (Frontline)")).to_be_visible()
    wait_until_live(amira)
    expect(amira.locator("#live")).to_have_attribute("data-phase", "vote")
    expect(amira.locator('[data-when="vote"]')).to_be_visible()
    expect(amira.locator('[data-when="propose"]')).to_be_hidden()
    expect(amira.locator('[data-when="lobby"]')).to_be_hidden()
    expect(amira.locator("#voter-count")).to_have_text(voters(2))
    assert_results_hidden(amira)
    expect(ballot_item(amira, JOOST_WORDING).locator(".my-dots")).to_have_text("2")
    expect(amira.locator("#budget")).to_have_text("You have 1 of 3 dots left.")

    # Opening the join link again takes her back into the room, not to the join form.
    amira.goto(join_link)
    expect(amira).to_have_url(f"{live_server.url}/w/{workshop_id}", timeout=TIMEOUT)
    expect(amira.get_by_label("Your name")).to_have_count(0)
    wait_until_live(amira)
    mark_page(amira)

    # Joost adds a dot on his own proposal: still two voters, still no tally anywhere.
    ballot_item(joost, JOOST_WORDING).locator("button[data-vote=plus]").click()
    expect(ballot_item(joost, JOOST_WORDING).locator(".my-dots")).to_have_text("1", timeout=TIMEOUT)
    expect(joost.locator("#budget")).to_have_text("You have 1 of 3 dots left.", timeout=TIMEOUT)
    for page in everyone:
        expect(page.locator("#voter-count")).to_have_text(voters(2))
        assert_results_hidden(page)

    # 7. The facilitator reveals the results: every screen shows the dots, live
    #    (Amira's page, reloaded earlier, proves she is still connected).
    reveal.click()
    expect(reveal).to_have_count(0, timeout=TIMEOUT)
    for page in everyone:
        expect(result_row(page, JOOST_WORDING).locator(".bar-value")).to_have_text(
            tally_text(3, 2), timeout=TIMEOUT
        )
        expect(result_row(page, AMIRA_WORDING).locator(".bar-value")).to_have_text(
            tally_text(1, 1), timeout=TIMEOUT
        )
        # Staff read a proposal's card number first; participants its words.
        number = (lambda n: f"#{n} ") if page is fran else (lambda n: "")
        expect(result_row(page, JOOST_WORDING).locator(".bar-label")).to_have_text(
            f"{number(joost_id)}{JOOST_WORDING}"
        )
        expect(result_row(page, AMIRA_WORDING).locator(".bar-label")).to_have_text(
            f"{number(amira_id)}{AMIRA_WORDING}"
        )
        # The winner comes first and is marked as such.
        expect(page.locator("#results .bar-row").first).to_contain_text(JOOST_WORDING)
        expect(result_row(page, JOOST_WORDING)).to_have_class(re.compile(r"\bwinner\b"))
        expect(page.locator("#results")).not_to_contain_text(RESULTS_HIDDEN)
        expect(page.locator("#voter-count")).to_have_text(voters(2))

    for page in everyone:
        assert_not_reloaded(page)
    assert new_person.page_errors == [], new_person.page_errors
