"""The most people who may join: set on the workshop form, shown on the console, and a
newcomer past it told why, while someone who joined before walks back in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import TIMEOUT, join, log_in, wait_until_live
from .layout import check_screen

pytestmark = pytest.mark.browser


def test_a_full_workshop_tells_the_newcomer_and_lets_the_returning_in(live_server, new_person):
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    fran.goto("/workshops/new")
    cap = fran.get_by_label("Most people who may join")
    expect(cap).to_have_value("500")
    fran.get_by_label("Title", exact=True).fill("Capped")
    fran.get_by_label("Organisation", exact=True).fill("Harbour Health")
    cap.fill("1")
    check_screen(fran, "join-cap-form")
    fran.get_by_role("button", name="Create workshop").click()
    expect(fran).to_have_url(re.compile(r"/workshops/\d+$"), timeout=TIMEOUT)
    wait_until_live(fran)
    people = fran.locator("#people-fold")
    people.locator("summary").click()
    expect(people.locator("#join-cap")).to_have_text("Up to 1 person can join. Change")
    check_screen(fran, "join-cap-console")
    join_link = fran.locator("#join-link").get_attribute("href")

    amira = new_person("Amira")
    workshop_id = join(amira, join_link, "Amira", "Frontline")
    sanne = new_person("Sanne")
    sanne.goto(join_link)
    sanne.get_by_label("Your name").fill("Sanne")
    sanne.get_by_label("Your level").select_option("Frontline")
    sanne.get_by_role("button", name="Join", exact=True).click()
    expect(sanne.get_by_role("alert")).to_have_text(
        "This workshop is full: 1 person has joined, as many as it takes. "
        "Ask the facilitator to make room."
    )
    check_screen(sanne, "join-cap-full", task=".flash-error")
    amira.goto(join_link)  # back with her cookie: straight into the room
    expect(amira).to_have_url(re.compile(rf"/w/{workshop_id}$"), timeout=TIMEOUT)

    people.locator("#join-cap").get_by_role("link", name="Change").click()
    fran.get_by_label("Most people who may join").fill("2")
    fran.get_by_role("button", name="Save").click()
    expect(fran.locator("#join-cap")).to_have_text(re.compile("^Up to 2 people can join"))
    join(sanne, join_link, "Sanne", "Frontline")
    assert new_person.page_errors == []
