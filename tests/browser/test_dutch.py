"""End to end in Dutch: a participant whose browser asks for Dutch joins and sees the join page,
the room and the live client in Dutch, photographed at phone, laptop and projector sizes
(Dutch words are longer than English ones: nothing may overflow or overlap).

The facilitator starts in English and switches to Dutch with the switch in the page header, so
the agenda the template writes is Dutch too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from .helpers import TIMEOUT, create_workshop, log_in, wait_until_live
from .layout import check_screen

pytestmark = pytest.mark.browser

DUTCH_PO = Path(__file__).resolve().parents[2] / "workshop/translations/nl/LC_MESSAGES/messages.po"


def english_only_phrases() -> list[str]:
    """Every interface phrase whose Dutch differs from its English, as English (whole phrases
    of two words or more with no placeholder, so a shared word like "Agenda" does not count)."""
    with DUTCH_PO.open("rb") as handle:
        catalogue = read_po(handle)
    phrases = []
    for message in catalogue:
        if not message.id or isinstance(message.id, list | tuple):
            continue
        if "%" in message.id or " " not in message.id.strip() or message.id == message.string:
            continue
        phrases.append(message.id)
    return phrases


def assert_no_english(page: Page, phrases: list[str]) -> None:
    text = page.locator("body").inner_text()
    found = [phrase for phrase in phrases if phrase in text]
    assert not found, f"English on a Dutch screen ({page.url}): {found[:10]}"


def test_a_participant_with_a_dutch_browser_sees_the_workshop_in_dutch(
    live_server, new_person, browser
):
    phrases = english_only_phrases()
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    create_workshop(fran, "Onze missie, samen", "Zorggroep Haven", "Zorg\nMoed\nVakmanschap")
    join_link = fran.locator("#join-link").get_attribute("href")
    assert join_link is not None
    # The switch in the header: the console again, now in Dutch.
    expect(fran.locator("html")).to_have_attribute("lang", "en")
    fran.get_by_role("button", name="Nederlands").click()
    expect(fran.locator("html")).to_have_attribute("lang", "nl", timeout=TIMEOUT)
    expect(fran.get_by_role("button", name="English")).to_be_visible()
    wait_until_live(fran)
    template = fran.locator("#use-template")
    expect(template).to_be_visible()
    template.click()
    expect(template).to_be_hidden(timeout=TIMEOUT)

    context = browser.new_context(base_url=live_server.url, locale="nl-NL")
    context.set_default_timeout(10_000)
    errors: list[str] = []
    try:
        anouk = context.new_page()
        anouk.on("pageerror", lambda error: errors.append(str(error)))

        anouk.goto(join_link)
        expect(anouk.locator("html")).to_have_attribute("lang", "nl")
        assert_no_english(anouk, phrases)
        check_screen(anouk, "dutch-00-join", task="form button[type=submit]")
        anouk.get_by_label("Je naam").fill("Anouk")
        anouk.get_by_label("Je niveau").select_option("Frontline")
        anouk.get_by_role("button", name="Meedoen", exact=True).click()
        expect(anouk).to_have_url(re.compile(r"/w/\d+$"), timeout=TIMEOUT)
        wait_until_live(anouk)

        # The lobby, drawn by the live client from the Dutch catalogue.
        expect(anouk.locator("html")).to_have_attribute("lang", "nl")
        expect(anouk.get_by_text("Je bent Anouk (Frontline)")).to_be_visible()
        expect(anouk.locator('[data-when="lobby"]')).to_contain_text("Welkom!")
        expect(fran.locator("[data-presence-line]").first).to_contain_text(
            "1 aangemeld", timeout=TIMEOUT
        )
        assert_no_english(anouk, phrases)
        check_screen(anouk, "dutch-01-lobby", task='[data-when="lobby"]')

        # The values round: the Dutch values catalogue, the Dutch prompt of the template.
        fran.locator("#next-button").click()
        expect(anouk.locator("#values-form")).to_be_visible(timeout=TIMEOUT)
        expect(anouk.locator("#round-prompt")).to_have_text(
            "Wat vind jij het belangrijkst in je werk?"
        )
        expect(anouk.locator("#values-form")).to_contain_text("Integriteit")
        expect(anouk.get_by_role("button", name="Mijn waarden delen")).to_be_visible()
        assert_no_english(anouk, phrases)
        check_screen(anouk, "dutch-02-values", task="#values-form")
        anouk.locator("#value-integrity").check()
        anouk.locator("#pick-0-lived-4").check()
        expect(anouk.locator("#values-form")).to_contain_text("In onze vastgelegde waarden is dit")
        check_screen(anouk, "dutch-02-values-picked", task="#values-form")
        anouk.get_by_role("button", name="Mijn waarden delen").click()
        expect(anouk.locator("#values-status")).to_have_text(
            re.compile("Bedankt, je waarden zijn binnen"), timeout=TIMEOUT
        )

        # Proposing: the form, the acknowledgement and the card, all in Dutch.
        fran.locator("#next-button").click()
        expect(anouk.locator("#proposal-body")).to_be_visible(timeout=TIMEOUT)
        anouk.locator("#proposal-body").fill("Wij zorgen dat iedereen zich gekend voelt.")
        anouk.get_by_role("button", name="Voorstel versturen").click()
        expect(anouk.locator("#proposal-body")).to_have_value("", timeout=TIMEOUT)
        expect(anouk.locator("#proposals")).to_contain_text("Wij zorgen dat iedereen")
        assert_no_english(anouk, phrases)
        check_screen(anouk, "dutch-03-propose", task="#proposal-body")

        # A refused command answers in Dutch as well (the socket knows the person's language).
        ack = anouk.evaluate(
            """async (workshopId) => {
                 const socket = window.io({ auth: { workshop_id: workshopId },
                                            transports: ["websocket"], forceNew: true });
                 try {
                   await new Promise((resolve) => socket.on("connect", resolve));
                   return await new Promise((resolve) =>
                     socket.emit("vote.set", { proposal_id: 1, dots: 1 }, resolve));
                 } finally { socket.disconnect(); }
               }""",
            int(anouk.url.rsplit("/", 1)[1]),
        )
        assert ack["ok"] is False and ack["error"]["message"] == "Stemmen is nu niet open.", ack
    finally:
        context.close()
    assert not errors and not new_person.page_errors, errors + new_person.page_errors
