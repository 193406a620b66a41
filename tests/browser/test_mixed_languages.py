"""One room, two languages: a workshop that follows each browser, with a Dutch participant, an
English participant and the English wall. Dutch colleagues tag a card, share their values and
reveal the results; every screen names the values, the results' columns and the tags in its
own language, whoever caused the news (the room's news is sent alike to every screen).
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from .helpers import TIMEOUT, create_workshop, join, log_in, wait_until_live
from .layout import WALL_SIZES, check_screen
from .test_client_state import Person

pytestmark = pytest.mark.browser


def dutch(person: Person) -> Person:
    """A person whose own choice is Dutch (the switch's cookie): what they cause is Dutch."""
    person.http.cookies.set("language", "nl")
    return person


def test_each_screen_names_the_rooms_values_in_its_own_language(
    live_server, new_person, browser, people
):
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, "Our mission", "Harbour Health", "Care\nIntegrity")
    join_link = fran.locator("#join-link").get_attribute("href")
    assert join_link is not None
    wall = fran.context.new_page()
    wall.goto(f"/workshops/{workshop_id}/projector")
    wait_until_live(wall)
    # Fran's colleague at a Dutch laptop runs the rounds (Fran's login, Dutch chosen).
    colleague = dutch(Person.tab_of(live_server.url, fran))
    people.append(colleague.connect(workshop_id))

    joe = new_person("Joe")
    join(joe, join_link, "Joe", "Frontline")
    context = browser.new_context(base_url=live_server.url, locale="nl-NL")
    context.set_default_timeout(10_000)
    errors: list[str] = []
    try:
        anouk = context.new_page()
        anouk.on("pageerror", lambda error: errors.append(str(error)))
        anouk.goto(join_link)
        anouk.get_by_label("Je naam").fill("Anouk")
        anouk.get_by_label("Je niveau").select_option("Frontline")
        anouk.get_by_role("button", name="Meedoen", exact=True).click()
        expect(anouk).to_have_url(re.compile(r"/w/\d+$"), timeout=TIMEOUT)
        wait_until_live(anouk)
        bram = dutch(Person.joined(live_server.url, join_link, "Bram", "Frontline"))
        people.append(bram.connect(workshop_id))

        # Bram (Dutch) tags his card with a value: each screen names the tag its own way.
        colleague.call("phase.set", {"phase": "propose"})
        card = bram.call(
            "proposal.submit", {"body": "We listen first.", "op_id": uuid.uuid4().hex}
        )["proposal_id"]
        bram.call("value.tag", {"proposal_id": card, "value_key": "honesty"})
        expect(joe.locator("#proposals .chip")).to_contain_text("Honesty", timeout=TIMEOUT)
        expect(anouk.locator("#proposals .chip")).to_contain_text("Oprechtheid", timeout=TIMEOUT)

        # A values round: Dutch ballots, revealed by the Dutch colleague.
        values_id = colleague.call("round.add", {"kind": "values", "minutes": 0})["round_id"]
        colleague.call("round.start", {"round_id": values_id})
        org = {
            v["name"]: v["id"]
            for v in colleague.call("state.sync")["snapshot"]["workshop"]["values"]
        }
        picks = [{"value": "honesty", "maps_to": org["Integrity"], "lived": 4}]
        bram.call("ballot.cast", {"round_id": values_id, "ballot": {"picks": picks}})
        anouk.locator("#value-integrity").check()
        anouk.locator("#pick-0-maps").select_option("none")
        anouk.locator("#pick-0-lived-2").check()
        anouk.get_by_role("button", name="Mijn waarden delen").click()
        expect(anouk.locator("#values-status")).to_contain_text("Bedankt", timeout=TIMEOUT)
        colleague.call("round.end", {"round_id": values_id})
        colleague.call("round.reveal", {"round_id": values_id})

        english_grid = ("Honesty", "Integrity", "Not represented here")
        for page in (wall, joe):
            grid = page.locator(".values-grid").first
            for words in english_grid:
                expect(grid).to_contain_text(words, timeout=TIMEOUT)
            for words in ("Oprechtheid", "Integriteit", "Hier niet vertegenwoordigd"):
                expect(grid).not_to_contain_text(words)
        grid = anouk.locator(".values-grid").first
        for words in ("Oprechtheid", "Integriteit", "Hier niet vertegenwoordigd"):
            expect(grid).to_contain_text(words, timeout=TIMEOUT)
        expect(grid).not_to_contain_text("Not represented here")
        expect(anouk.locator(".values-results")).to_contain_text("Integriteit (1)")

        expect(wall.locator(".wall-counts")).to_contain_text("3 people here", timeout=TIMEOUT)
        check_screen(wall, "mixed-languages-wall", sizes=WALL_SIZES, task=".values-grid")
        check_screen(joe, "mixed-languages-english", task=".values-results")
        check_screen(anouk, "mixed-languages-dutch", task=".values-results")
        assert not errors, errors
    finally:
        context.close()
    assert not new_person.page_errors, new_person.page_errors
