"""End to end in Dutch: a participant whose browser asks for Dutch goes through a workshop in
Dutch (the join page, the lobby, the values round with the Dutch catalogue, proposing, a vote
and its results, consent on a clause of the draft, and the mission page), with no English
interface word on any screen, each new screen photographed at phone, laptop and projector sizes
(Dutch words are longer than English ones: nothing may overflow or overlap).

The facilitator starts in English and switches to Dutch with the switch in the page header
before creating the workshop, so its levels ("Werkvloer", not "Frontline") and the agenda the
template writes are Dutch too. A second participant takes part over a plain socket.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from .helpers import TIMEOUT, log_in, wait_until_live
from .layout import check_screen
from .test_client_state import Person

pytestmark = pytest.mark.browser

DUTCH_PO = Path(__file__).resolve().parents[2] / "workshop/translations/nl/LC_MESSAGES/messages.po"


PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|\{[^{}]*\}")
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
ANOUK = "Wij zorgen dat iedereen zich gekend voelt."
BRAM = "Wij geven elkaar het vertrouwen om het goede te doen."
DUTCH_LEVELS = ["Werkvloer", "Specialist", "Teamleider", "Manager", "Directeur", "Bestuur"]


def english_only_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Every interface text whose Dutch differs from its English, as what would give English
    away on a Dutch screen: whole phrases of two words or more (their placeholders matching
    anything on the line, as "3 people have voted" for "%(n)s people have voted"), and single
    words ("Cancel", "Results") as whole words in any case, unless the word is Dutch as well:
    one that any Dutch text of the catalogue uses ("Manager", "Team", "Start")."""
    with DUTCH_PO.open("rb") as handle:
        catalogue = read_po(handle)
    pairs = []  # (English, its Dutch forms), a plural message's forms each on their own
    for message in catalogue:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, list | tuple) else [message.id]
        dutch = message.string if isinstance(message.string, list | tuple) else [message.string]
        pairs += [(english.strip(), [d.strip() for d in dutch]) for english in ids]
    dutch_words = {
        word.casefold()
        for _english, dutch in pairs
        for text in dutch
        for word in WORD.findall(PLACEHOLDER.sub(" ", text))
    }
    patterns = []
    for english, dutch in pairs:
        if english in dutch:
            continue
        literal = PLACEHOLDER.split(english)
        words = WORD.findall(" ".join(literal))
        if len(words) >= 2:
            if len(literal) == 1:
                pattern = re.escape(english)
            else:
                parts = [re.escape(part.replace("%%", "%")) for part in literal]
                pattern = "[^\\n]+?".join(parts)
            patterns.append((english, re.compile(pattern)))
            continue
        alone = len(literal) == 1 and words == [english.rstrip(".:!?…")]
        if alone and words[0].casefold() not in dutch_words:
            patterns.append((english, re.compile(rf"\b{re.escape(words[0])}\b", re.I)))
    return patterns


def assert_no_english(page: Page, patterns: list[tuple[str, re.Pattern[str]]]) -> None:
    text = page.locator("body").inner_text()
    found = [f"{english!r} ({match[0]!r})" for english, p in patterns if (match := p.search(text))]
    assert not found, f"English on a Dutch screen ({page.url}): {found[:10]}"


def test_a_participant_with_a_dutch_browser_goes_through_the_workshop_in_dutch(
    live_server, new_person, browser, people
):
    english = english_only_patterns()
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    fran.goto("/workshops/new")
    # The switch in the header: the new-workshop form again, now in Dutch, its levels too.
    expect(fran.locator("html")).to_have_attribute("lang", "en")
    fran.get_by_role("button", name="Nederlands").click()
    expect(fran.locator("html")).to_have_attribute("lang", "nl", timeout=TIMEOUT)
    expect(fran.get_by_role("button", name="English")).to_be_visible()
    expect(fran.locator("#levels")).to_have_value("\n".join(DUTCH_LEVELS))
    fran.locator("#title").fill("Onze missie, samen")
    fran.locator("#organisation").fill("Zorggroep Haven")
    fran.locator("#values").fill("Zorg\nMoed\nVakmanschap")
    fran.get_by_role("button", name="Workshop aanmaken").click()
    expect(fran).to_have_url(re.compile(r"/workshops/\d+$"), timeout=TIMEOUT)
    workshop_id = int(fran.url.rsplit("/", 1)[1])
    join_link = fran.locator("#join-link").get_attribute("href")
    assert join_link is not None
    wait_until_live(fran)
    template = fran.locator("#use-template")
    expect(template).to_be_visible()
    template.click()
    expect(template).to_be_hidden(timeout=TIMEOUT)
    # Fran's other tab (her cookies, so her language): the rounds past proposing run from it.
    fac = Person.tab_of(live_server.url, fran)
    people.append(fac.connect(workshop_id))

    context = browser.new_context(base_url=live_server.url, locale="nl-NL")
    context.set_default_timeout(10_000)
    errors: list[str] = []
    try:
        anouk = context.new_page()
        anouk.on("pageerror", lambda error: errors.append(str(error)))

        anouk.goto(join_link)
        expect(anouk.locator("html")).to_have_attribute("lang", "nl")
        assert_no_english(anouk, english)
        levels = anouk.get_by_label("Je niveau").locator("option:not([value=''])")
        expect(levels).to_have_text(DUTCH_LEVELS)
        check_screen(anouk, "dutch-00-join", task="form button[type=submit]")
        anouk.get_by_label("Je naam").fill("Anouk")
        anouk.get_by_label("Je niveau").select_option("Werkvloer")
        anouk.get_by_role("button", name="Meedoen", exact=True).click()
        expect(anouk).to_have_url(re.compile(r"/w/\d+$"), timeout=TIMEOUT)
        wait_until_live(anouk)

        # The lobby, drawn by the live client from the Dutch catalogue.
        expect(anouk.locator("html")).to_have_attribute("lang", "nl")
        expect(anouk.get_by_text("Je bent Anouk (Werkvloer)")).to_be_visible()
        expect(anouk.locator('[data-when="lobby"]')).to_contain_text("Welkom!")
        expect(fran.locator("[data-presence-line]").first).to_contain_text(
            "1 aangemeld", timeout=TIMEOUT
        )
        assert_no_english(anouk, english)
        check_screen(anouk, "dutch-01-lobby", task='[data-when="lobby"]')
        bram = Person.joined(live_server.url, join_link, "Bram", "Teamleider")
        people.append(bram.connect(workshop_id))

        # The values round: the Dutch values catalogue, the Dutch prompt of the template.
        fran.locator("#next-button").click()
        expect(anouk.locator("#values-form")).to_be_visible(timeout=TIMEOUT)
        expect(anouk.locator("#round-prompt")).to_have_text(
            "Wat vind jij het belangrijkst in je werk?"
        )
        expect(anouk.locator("#values-form")).to_contain_text("Integriteit")
        expect(anouk.get_by_role("button", name="Mijn waarden delen")).to_be_visible()
        assert_no_english(anouk, english)
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
        anouk.locator("#proposal-body").fill(ANOUK)
        anouk.get_by_role("button", name="Voorstel versturen").click()
        expect(anouk.locator("#proposal-body")).to_have_value("", timeout=TIMEOUT)
        expect(anouk.locator("#proposals")).to_contain_text("Wij zorgen dat iedereen")
        bram.call("proposal.submit", {"body": BRAM, "op_id": uuid.uuid4().hex})
        expect(anouk.locator("#proposals")).to_contain_text(BRAM, timeout=TIMEOUT)
        assert_no_english(anouk, english)
        check_screen(anouk, "dutch-03-propose", task="#proposal-body")

        # A refused command answers in Dutch as well (the socket knows the person's language).
        # The socket starts as the page's own does, with a long-polling request: Chromium 150
        # sends no Accept-Language on a WebSocket handshake under Playwright's locale.
        ack = anouk.evaluate(
            """async (workshopId) => {
                 const socket = window.io({ auth: { workshop_id: workshopId }, forceNew: true });
                 try {
                   await new Promise((resolve) => socket.on("connect", resolve));
                   return await new Promise((resolve) =>
                     socket.emit("vote.set", { proposal_id: 1, dots: 1 }, resolve));
                 } finally { socket.disconnect(); }
               }""",
            workshop_id,
        )
        assert ack["ok"] is False and ack["error"]["message"] == "Stemmen is nu niet open.", ack

        # The vote (scores from 1 to 5), and its results once Fran reveals them.
        vote_id = fac.call("round.next")["round_id"]
        mine = anouk.locator("#ballot li.proposal").filter(has_text=ANOUK)
        mine.get_by_label("5", exact=True).check()
        expect(anouk.locator("#ballot-status")).to_contain_text("gestemd", timeout=TIMEOUT)
        assert_no_english(anouk, english)
        fac.call("round.reveal", {"round_id": vote_id})
        expect(anouk.locator("#results .bar-row")).to_have_count(2, timeout=TIMEOUT)
        expect(anouk.locator("#results")).to_contain_text("Winnaar")
        assert_no_english(anouk, english)
        check_screen(anouk, "dutch-04-results")  # the ballot stays on top while the vote runs

        # The winner goes into its clause of the draft; consent on that clause.
        fac.call("round.place_winners", {"round_id": vote_id})
        rounds = fac.call("state.sync")["snapshot"]["rounds"]
        consent_id = next(r["id"] for r in rounds if r["kind"] == "consent")
        fac.call("round.start", {"round_id": consent_id})
        clause = anouk.locator("#document article.clause").filter(has_text=ANOUK)
        agree = clause.get_by_role("button", name="Eens", exact=True)
        agree.click()
        expect(agree).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT)
        expect(clause).to_contain_text("1 eens", timeout=TIMEOUT)
        assert_no_english(anouk, english)
        check_screen(anouk, "dutch-05-consent", task="#document .consent-buttons button")

        # My part in the mission: the page of her own sentences and the success measures.
        anouk.get_by_role("link", name="Mijn rol in de missie").click()
        expect(anouk).to_have_url(re.compile(r"/w/\d+/mission$"), timeout=TIMEOUT)
        expect(anouk.locator("html")).to_have_attribute("lang", "nl")
        expect(anouk.locator("main")).to_contain_text(ANOUK)
        assert_no_english(anouk, english)
        check_screen(anouk, "dutch-06-mission")
    finally:
        context.close()
    assert not errors and not new_person.page_errors, errors + new_person.page_errors
