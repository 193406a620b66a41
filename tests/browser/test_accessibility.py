"""Keyboard and screen-reader friendliness, checked by axe-core in the real browser.

axe-core (MPL-2.0, vendored from the npm registry under tests/browser/vendor/)
is injected into each page as people see it: the front door, joining, the
live room in several phases, the console, the projector and the version
history. Serious and critical violations fail the test, with the rule, the
help text and the offending elements in the message.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import create_workshop, join, log_in_facilitator, wait_until_live

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()


def violations(page: Page) -> list[str]:
    """Serious and critical axe findings on the current page, readable in a failure."""
    page.evaluate(AXE)  # through the debugger: the page's own policy forbids inline scripts
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url} · {v['id']} ({v['impact']}): {v['help']} → "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_checker_itself_finds_a_planted_fault(live_server, new_person):
    page = new_person("Checker")
    page.goto("/")
    page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
    page.evaluate("() => document.querySelector('img').src = '/static/css/app.css'")
    assert any("image-alt" in finding for finding in violations(page))


def test_the_main_pages_have_no_serious_accessibility_violations(live_server, new_person):
    found: list[str] = []
    visitor = new_person("Visitor")
    visitor.goto("/")
    found += violations(visitor)
    visitor.goto("/login")
    found += violations(visitor)

    fac = new_person("Facilitator")
    log_in_facilitator(fac, live_server.facilitator_email, live_server.facilitator_password)
    found += violations(fac)  # the empty dashboard
    workshop_id = create_workshop(fac, "Access check", "Harbour Health", "Care\nIntegrity")
    wait_until_live(fac)
    found += violations(fac)  # the console
    join_link = fac.locator("#join-link").get_attribute("href")

    person = new_person("Amira")
    person.goto(join_link)
    found += violations(person)  # the join form
    join(person, join_link, "Amira", "Frontline")
    found += violations(person)  # the room, in the lobby

    fac.locator('[data-set-phase="propose"]').click()
    person.locator("#proposal-body").wait_for()
    person.locator("#proposal-body").fill("We serve with care.")
    person.get_by_role("button", name="Send proposal").click()
    person.locator("#proposals li.proposal").first.wait_for()
    found += violations(person)  # proposing, with a card

    fac.locator('[data-set-phase="vote"]').click()
    person.locator("[data-vote=plus]").first.wait_for()
    found += violations(person)  # dot voting
    found += violations(fac)  # the console during a vote

    projector = fac.context.new_page()
    projector.goto(f"/workshops/{workshop_id}/projector")
    wait_until_live(projector)
    found += violations(projector)
    fac.goto(f"/workshops/{workshop_id}/document/versions")
    found += violations(fac)

    assert not found, "\n".join(found)
