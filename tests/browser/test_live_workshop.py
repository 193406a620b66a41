"""End to end: a facilitator and two participants run a workshop in real browsers.

Everything goes through the UI of a real ``workshop serve`` process: login,
creating a workshop, joining with the link, and then the live part — phase
changes, proposals and dot votes must reach every other screen over the
socket, without anyone reloading.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms, for every live expectation

AMIRA_WORDING = "We help every colleague serve our neighbours with care."
JOOST_WORDING = "Together we make public services simple, fair and fast."
NOT_RELOADED = "__e2eNotReloaded"


def tally_text(dots: int, voters: int) -> re.Pattern[str]:
    """'2 dots from 1 person', with the right singular and plural forms."""
    dot_word = "dot" if dots == 1 else "dots"
    people_word = "person" if voters == 1 else "people"
    return re.compile(rf"^{dots} {dot_word} from {voters} {people_word}$")


def proposal(page: Page, wording: str):  # noqa: ANN201 - Locator
    return page.locator("#proposals li.proposal").filter(has_text=wording)


def wait_until_live(page: Page) -> None:
    """The socket connected and the first snapshot was rendered."""
    expect(page.locator("#live")).to_have_attribute("aria-busy", "false", timeout=TIMEOUT)
    expect(page.locator("#live")).to_have_attribute("data-connected", "yes", timeout=TIMEOUT)


def mark_page(page: Page) -> None:
    """Tag the current document; a reload or navigation would lose the tag."""
    page.evaluate(f"window.{NOT_RELOADED} = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate(f"window.{NOT_RELOADED} === true"), (
        f"{page.url} was reloaded or navigated; live updates must arrive without a reload"
    )


def join(page: Page, join_link: str, name: str, level: str) -> int:
    page.goto(join_link)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your level").select_option(level)
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page).to_have_url(re.compile(r"/w/\d+$"), timeout=TIMEOUT)
    expect(page.get_by_text(f"You are {name} ({level})")).to_be_visible()
    wait_until_live(page)
    return int(page.url.rsplit("/", 1)[1])


def test_facilitator_and_participants_run_a_live_workshop(live_server, new_person) -> None:
    # 1. The facilitator logs in and creates a workshop.
    fran = new_person("Fran")
    fran.goto("/login")
    fran.get_by_label("Email", exact=True).fill(live_server.facilitator_email)
    fran.get_by_label("Password", exact=True).fill(live_server.facilitator_password)
    fran.get_by_role("button", name="Log in").click()
    expect(fran.get_by_role("heading", name="My workshops")).to_be_visible()

    fran.goto("/workshops/new")
    fran.get_by_label("Title", exact=True).fill("Our mission, in our words")
    fran.get_by_label("Organisation", exact=True).fill("Gemeente Voorbeeld")
    fran.get_by_label("The organisation's current values").fill("Care\nCourage\nCraft")
    fran.get_by_role("button", name="Create workshop").click()
    expect(fran).to_have_url(re.compile(r"/workshops/\d+$"), timeout=TIMEOUT)
    workshop_id = int(fran.url.rsplit("/", 1)[1])
    expect(fran.locator("#workshop-title")).to_have_text("Our mission, in our words")

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

    for page in (fran, amira, joost):
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
    amira.locator("#proposal-body").fill(AMIRA_WORDING)
    amira.get_by_role("button", name="Send proposal").click()
    expect(amira.locator("#proposal-body")).to_have_value("", timeout=TIMEOUT)  # acknowledged
    joost.locator("#proposal-body").fill(JOOST_WORDING)
    joost.get_by_role("button", name="Send proposal").click()
    expect(joost.locator("#proposal-body")).to_have_value("", timeout=TIMEOUT)

    for page in (amira, joost, fran):
        expect(proposal(page, AMIRA_WORDING)).to_have_count(1, timeout=TIMEOUT)
        expect(proposal(page, JOOST_WORDING)).to_have_count(1, timeout=TIMEOUT)
        expect(proposal(page, AMIRA_WORDING).locator(".author")).to_contain_text("Amira")
        expect(proposal(page, JOOST_WORDING).locator(".author")).to_contain_text("Joost")
        expect(page.locator("#proposal-count-badge")).to_have_text("(2)", timeout=TIMEOUT)

    # 5. Voting opens; dots spent on one screen show up on the others.
    fran.locator('button[data-set-phase="vote"]').click()
    for page in (amira, joost):
        expect(page.locator('[data-when="vote"]')).to_be_visible(timeout=TIMEOUT)
        expect(page.locator('[data-when="propose"]')).to_be_hidden()
    expect(amira.locator("#budget")).to_have_text("You have 3 of 3 dots left.", timeout=TIMEOUT)

    joosts_on_amira = proposal(amira, JOOST_WORDING)
    for expected_mine in (1, 2):  # click, wait for the acknowledgement, click again
        joosts_on_amira.locator("button[data-vote=plus]").click()
        expect(joosts_on_amira.locator(".my-dots")).to_have_text(
            str(expected_mine), timeout=TIMEOUT
        )
    amiras_on_joost = proposal(joost, AMIRA_WORDING)
    amiras_on_joost.locator("button[data-vote=plus]").click()
    expect(amiras_on_joost.locator(".my-dots")).to_have_text("1", timeout=TIMEOUT)

    # Amira's dots on Joost's proposal reach Joost and the console; Joost's reach Amira.
    expect(proposal(joost, JOOST_WORDING).locator(".tally")).to_have_text(
        tally_text(2, 1), timeout=TIMEOUT
    )
    expect(proposal(amira, AMIRA_WORDING).locator(".tally")).to_have_text(
        tally_text(1, 1), timeout=TIMEOUT
    )
    expect(proposal(fran, JOOST_WORDING).locator(".tally")).to_have_text(
        tally_text(2, 1), timeout=TIMEOUT
    )
    expect(proposal(fran, AMIRA_WORDING).locator(".tally")).to_have_text(
        tally_text(1, 1), timeout=TIMEOUT
    )
    expect(amira.locator("#budget")).to_have_text("You have 1 of 3 dots left.", timeout=TIMEOUT)
    expect(joost.locator("#budget")).to_have_text("You have 2 of 3 dots left.", timeout=TIMEOUT)

    # None of that needed a reload.
    for page in (fran, amira, joost):
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
    expect(proposal(amira, JOOST_WORDING).locator(".tally")).to_have_text(tally_text(2, 1))
    expect(proposal(amira, AMIRA_WORDING).locator(".tally")).to_have_text(tally_text(1, 1))
    expect(proposal(amira, JOOST_WORDING).locator(".my-dots")).to_have_text("2")
    expect(amira.locator("#budget")).to_have_text("You have 1 of 3 dots left.")

    # Opening the join link again takes her back into the room, not to the join form.
    amira.goto(join_link)
    expect(amira).to_have_url(f"{live_server.url}/w/{workshop_id}", timeout=TIMEOUT)
    expect(amira.get_by_label("Your name")).to_have_count(0)

    # After the reload she is still live: Joost's next dot reaches her page.
    proposal(joost, JOOST_WORDING).locator("button[data-vote=plus]").click()
    expect(proposal(joost, JOOST_WORDING).locator(".my-dots")).to_have_text("1", timeout=TIMEOUT)
    expect(proposal(amira, JOOST_WORDING).locator(".tally")).to_have_text(
        tally_text(3, 2), timeout=TIMEOUT
    )
    expect(proposal(fran, JOOST_WORDING).locator(".tally")).to_have_text(
        tally_text(3, 2), timeout=TIMEOUT
    )

    assert new_person.page_errors == [], new_person.page_errors
