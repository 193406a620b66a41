"""Live screens that must fit: a participant's consent buttons on a phone's first screen, the
wall's whole title on a projector, and a suggested change's removed and added words apart
(found by an audit of screens at three sizes)."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.live_server import csrf

from .helpers import TIMEOUT, log_in, photograph, screenshots, settle, wait_until_live
from .test_client_state import Person, save_document

pytestmark = pytest.mark.browser

LEVELS = ["Frontline", "Specialist", "Team lead", "Manager", "Director", "Executive"]
DEPTS = ["Care", "IT", "Finance", "People", "Operations"]


def mission(n_clauses: int, variant: int) -> str:
    return "\n\n".join(
        f"## Clause {n} about how we work\n\nWe help every patient and every colleague feel "
        f"known, heard and supported in version {variant}, at home, in our clinics and on the "
        f"road, with care that is kind and clear{' and swift' * (variant % 3)}."
        for n in range(1, n_clauses + 1)
    )


def make_workshop(fac: Person, title: str) -> int:
    page = fac.http.get(f"{fac.url}/workshops/new", timeout=10).text
    answer = fac.http.post(
        f"{fac.url}/workshops/new",
        data={
            "csrf_token": csrf(page),
            "title": title,
            "organisation": "Harbour Health and Community Care Foundation",
            "values": "Care\nIntegrity\nCuriosity\nTeamwork\nCourage",
            "levels": "\n".join(LEVELS),
            "departments": "\n".join(DEPTS),
            "dots_per_participant": "3",
            "brief_md": "Why we rewrite.",
        },
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:3000]
    return int(answer.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def join_http(url, link, name, level, dept):
    http = requests.Session()
    token = csrf(http.get(link, timeout=10).text)
    answer = http.post(
        link,
        data={"csrf_token": token, "display_name": name, "level": level, "department": dept},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:2000]
    return Person(url, http)


def browser_join(page, link, name, level="Frontline", dept="Care"):
    page.goto(link)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your level").select_option(level)
    page.get_by_label("Your department").select_option(dept)
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page).to_have_url(re.compile(r"/w/\d+$"), timeout=TIMEOUT)
    wait_until_live(page)


FIRST_CONSENT_BUTTON_TOP = """() => {
  const b = document.querySelector('#document .consent-buttons button');
  return b ? b.getBoundingClientRect().top : null;
}"""


def _consent_room(live_server, new_person, people, objections: int, title="Consent"):
    fac = Person.logged_in(
        live_server.url, live_server.facilitator_email, live_server.facilitator_password
    )
    wid = make_workshop(fac, title)
    people.append(fac.connect(wid))
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    fran.goto(f"/workshops/{wid}")
    link = fran.locator("#join-link").get_attribute("href")
    save_document(fac, wid, mission(8, 3))
    rid = fac.call(
        "round.add",
        {"kind": "consent", "prompt": "Can you live with each clause of the draft?", "minutes": 10},
    )["round_id"]
    fac.call("round.start", {"round_id": rid})
    key = fac.last("document.saved")["version"]["clauses"][0]["key"]
    for i in range(objections):
        p = join_http(live_server.url, link, f"Person {i}", LEVELS[i % 6], DEPTS[i % 5])
        people.append(p.connect(wid))
        p.call(
            "clause.vote",
            {
                "clause_key": key,
                "choice": "object",
                "reason": "Too long for the front desk to remember",
            },
        )
    amira = new_person("Amira")
    amira.set_viewport_size({"width": 390, "height": 844})
    browser_join(amira, link, "Amira")
    expect(amira.locator("#document .consent-buttons button").first).to_be_visible()
    return wid, fac, amira


@pytest.mark.parametrize("objections", [0, 3])
def test_room_consent_buttons_of_the_first_clause_are_on_the_first_phone_screen(
    live_server, new_person, people, objections
):
    """The room in a consent round on a phone: the task is answering clause by clause; the
    first clause's Agree / Can live with it / Object must show without scrolling."""
    wid, fac, amira = _consent_room(live_server, new_person, people, objections)
    if objections:
        expect(amira.locator("#document .clause-objections li")).to_have_count(objections)
    amira.evaluate("() => window.scrollTo(0, 0)")
    settle(amira)
    top = amira.evaluate(FIRST_CONSENT_BUTTON_TOP)
    photograph(amira, f"check-room-consent-phone-{objections}")
    assert top is not None and top + 30 <= 844, (
        f"the first clause's consent buttons start {top:.0f}px down a 844px phone screen"
    )
    screenshots(amira, f"room-consent-buttons-{objections}")


EYEBROW_CLIPPED = """() => {
  const e = document.querySelector('.wall-eyebrow');
  return [e.scrollWidth, e.clientWidth, getComputedStyle(e).overflow];
}"""


def test_wall_shows_the_whole_workshop_title_on_a_projector(live_server, new_person, people):
    """The wall's first line (organisation · title) is one line cut with an ellipsis
    (projector.css `.wall .wall-eyebrow`): a workshop title of 64 characters is cut off."""
    fac = Person.logged_in(
        live_server.url, live_server.facilitator_email, live_server.facilitator_password
    )
    wid = make_workshop(fac, "Rewriting our mission together with all the teams of the region")
    people.append(fac.connect(wid))
    save_document(fac, wid, mission(8, 3))
    rid = fac.call(
        "round.add", {"kind": "consent", "prompt": "Can you live with each clause?", "minutes": 10}
    )["round_id"]
    fac.call("round.start", {"round_id": rid})
    wall = new_person("Wall")
    wall.set_viewport_size({"width": 1920, "height": 1080})
    log_in(wall, live_server.facilitator_email, live_server.facilitator_password)
    wall.goto(f"/workshops/{wid}/projector")
    expect(wall.locator("#timer")).to_be_visible()
    settle(wall)
    scroll, client, overflow = wall.evaluate(EYEBROW_CLIPPED)
    assert scroll <= client + 1, (
        f"the wall's organisation · title line is cut off at 1920×1080 ({scroll}px of text in "
        f"{client}px, overflow {overflow})"
    )


DEL_TOUCHING_INS = """() => [...document.querySelectorAll('.amendment del')]
  .filter((d) => d.nextSibling && d.nextSibling.nodeName === 'INS')
  .filter((d) => {
    const a = [...d.getClientRects()].pop(), b = d.nextSibling.getClientRects()[0];
    const sameLine = Math.abs(a.top - b.top) < 2;
    return sameLine && b.left - a.right < 2;  // no visible space between the two words
  })
  .map((d) => d.lastChild.textContent + '|' + d.nextSibling.lastChild.textContent)"""


def test_suggested_change_keeps_removed_and_added_words_apart(live_server, new_person, people):
    """A suggested change in the room on a phone: the struck-through words and the added
    words are drawn against each other ("kindwarm, honest", "clear.dependable.")."""
    wid, fac, amira = _consent_room(live_server, new_person, people, 0, title="Amend")
    version = fac.last("document.saved")["version"]
    body = version["body_md"]
    start = body.index("kind and clear")
    amira_tab = Person.tab_of(live_server.url, amira).connect(wid)
    people.append(amira_tab)
    amira_tab.call(
        "amendment.propose",
        {
            "version_number": version["number"],
            "start": start,
            "end": start + len("kind and clear"),
            "replacement": "warm, honest and dependable",
            "reason": "Plainer words",
        },
    )
    expect(amira.locator("ins").filter(has_text="warm, honest").first).to_be_visible()
    amira.locator("ins").filter(has_text="warm, honest").first.scroll_into_view_if_needed()
    settle(amira)
    photograph(amira, "check-amendment-words-phone")
    touching = amira.evaluate(DEL_TOUCHING_INS)
    assert not touching, f"removed and added words touch with no space between: {touching}"
