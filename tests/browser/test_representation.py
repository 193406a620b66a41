"""End to end: leadership opens "Who took part" and sees whether every level is in the
mission, small groups pooled, at phone, laptop and projector sizes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import add_staff, create_workshop, log_in, wait_until_live
from .layout import WALL_SIZES, check_screen
from .test_client_state import Person

pytestmark = pytest.mark.browser


def test_leadership_sees_who_is_in_the_mission_with_small_groups_pooled(
    live_server, new_person
) -> None:
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, "Who is in it", "Harbour Health", "Care")
    join_link = fran.locator("#join-link").get_attribute("href")
    assert join_link is not None
    add_staff(fran, live_server.leadership_email, "leadership")
    for i in range(6):
        Person.joined(live_server.url, join_link, f"Frontline {i}", "Frontline")
    for i in range(5):
        Person.joined(live_server.url, join_link, f"Manager {i}", "Manager")
    Person.joined(live_server.url, join_link, "Tess", "Team lead")

    lena = new_person("Lena")
    log_in(lena, live_server.leadership_email, live_server.leadership_password)
    lena.goto(f"/workshops/{workshop_id}/participants")
    levels = lena.locator("table.representation").first
    # Tess is the only team lead: she is pooled with the managers, the smallest level shown.
    expect(levels.locator("tbody th")).to_have_text(
        ["Frontline", "Other levels (Manager, Team lead)"]
    )
    expect(levels.locator("tbody tr").nth(1).locator("td").first).to_have_text("6")
    notices = lena.locator(".flags li")
    expect(notices.filter(has_text="No one from Executive has joined.")).to_have_count(1)
    expect(notices.filter(has_text="Frontline has not proposed anything yet.")).to_have_count(1)
    expect(lena.get_by_text("There is no draft yet: agreement per clause appears")).to_be_visible()
    check_screen(lena, "representation", task="#flags-title")
    # The console says the same by itself, without a reload.
    lena.goto(f"/workshops/{workshop_id}")
    expect(lena.locator("#representation-notices li")).to_contain_text(
        ["No one from Specialist has joined."]
    )
    # The facilitator puts them on the projector: the wall shows them, still without scrolling.
    fran.goto(f"/workshops/{workshop_id}")
    # The notices come with the page, but the live console above the card is drawn after the
    # socket connects, which moves the button: wait for both before clicking.
    expect(fran.locator("#representation-notices li")).to_contain_text(
        ["No one from Specialist has joined."]
    )
    wait_until_live(fran)
    fran.get_by_role("button", name="Show these on the projector").click()
    expect(fran.get_by_text("The projector shows them.")).to_be_visible()
    wall = new_person("Wall")
    log_in(wall, live_server.facilitator_email, live_server.facilitator_password)
    wall.goto(f"/workshops/{workshop_id}/projector")
    expect(wall.locator("#wall-notices li").first).to_have_text(
        "No one from Specialist has joined."
    )
    expect(wall.locator("#wall-notices li").last).to_have_text("and 2 more")  # three, then this
    check_screen(wall, "representation-wall", sizes=WALL_SIZES, no_scrolling=True)
    # And takes them off again: the open wall follows without a reload.
    fran.get_by_role("button", name="Stop showing these on the projector").click()
    expect(wall.locator("#wall-notices")).to_be_hidden()
    assert new_person.page_errors == []
