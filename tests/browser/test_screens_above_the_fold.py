"""The task of the moment on the first screen, whole and readable, at a phone, a laptop and a
projector size: the screens an audit found wanting (a sign-off form 3,700 px down, a wording
duel far down the draft, wordings cut to a few letters on the wall, words split in table
cells, a Join button below the fold, an error summary that did not say which field)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.live_server import csrf

from . import helpers
from .helpers import (
    TIMEOUT,
    add_staff,
    assert_not_reloaded,
    create_workshop,
    expect_focused,
    join,
    log_in,
    mark_page,
    photograph,
    settle,
    wait_until_live,
)
from .layout import PEOPLE_SIZES, WALL_SIZES, check_screen
from .test_client_state import Person, save_document

pytestmark = pytest.mark.browser


def test_a_screenshot_goes_into_a_folder_not_made_yet(
    live_server, new_person, tmp_path, monkeypatch
):
    """On a fresh clone no test has made test-artifacts/screens yet: photographing a page
    makes it instead of failing with FileNotFoundError."""
    fresh = tmp_path / "fresh" / "screens"
    monkeypatch.setattr(helpers, "SCREENSHOTS", fresh)
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    expect(fran.get_by_role("heading", name="My workshops")).to_be_visible()
    taken = photograph(fran, "my-workshops")
    assert taken and all(path.is_file() for path in taken)


# A 120-character title (as long as the one an audit found pushing Join off a phone's first
# screen), in real words, and one ending in a long run of letters that has to be broken anywhere.
LONG_TITLE = (
    "Harbour Health and Community Care Cooperative: our shared mission for the next ten "
    "years of care, for every harbour town"
)
assert len(LONG_TITLE) == 120
LONG_TITLE_UNBROKEN = LONG_TITLE[:95].ljust(120, "x")


def _join_link(live_server, new_person, title: str) -> str:
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    create_workshop(fran, title, "Harbour Health", "Care")
    link = fran.locator("#join-link").get_attribute("href")
    assert link is not None
    return link


def test_the_join_error_summary_says_which_field_each_error_is_about(live_server, new_person):
    """Sent empty, the join form's summary reads "Your name: This field is required." and
    "Your level: …", not the same bare sentence twice."""
    visitor = new_person("Visitor")
    visitor.goto(_join_link(live_server, new_person, "Our mission, together"))
    visitor.get_by_role("button", name="Join", exact=True).click()
    summary = visitor.locator(".error-summary a")
    expect(summary).to_have_count(2)
    expect(summary.nth(0)).to_have_text("Your name: This field is required.")
    expect(summary.nth(1)).to_have_text("Your level: This field is required.")
    summary.nth(1).click()
    expect_focused(visitor.get_by_label("Your level"))
    check_screen(visitor, "join-error-summary-names-fields", task=".error-summary")


@pytest.mark.parametrize("title", [LONG_TITLE, LONG_TITLE_UNBROKEN], ids=["words", "unbroken"])
def test_join_is_on_the_first_screen_under_a_long_workshop_title(live_server, new_person, title):
    """A 120-character workshop title: the Join button, and after an empty submit the first
    error too, show without scrolling on a phone and a laptop."""
    visitor = new_person("Visitor")
    visitor.goto(_join_link(live_server, new_person, title))
    expect(visitor.get_by_role("heading", name=title)).to_be_visible()
    join = "button:has-text('Join')"
    name = "join-long-title" if title == LONG_TITLE else "join-long-unbroken-title"
    check_screen(visitor, name, task=join)
    visitor.get_by_role("button", name="Join", exact=True).click()
    expect(visitor.locator(".error-summary")).to_be_visible()
    check_screen(visitor, f"{name}-refused", task=join)
    check_screen(visitor, f"{name}-refused-error", task=".error-summary")


LONG_MISSION = "\n\n".join(
    f"## Clause {n}: what we do for people in the harbour towns\n\n"
    + " ".join(
        f"Sentence {n}.{s}: we help every patient and every colleague feel known, heard and "
        "supported, in every place we work, every day of the year."
        for s in range(4)
    )
    for n in range(1, 7)
)

# Words in table cells drawn over two lines ("Versio|n", "Sourc|e"): every word (split at
# spaces, hyphens and slashes, where a line may break) must lie on one line.
_WORDS_SPLIT_OVER_LINES = """() => {
  const out = [];
  for (const cell of document.querySelectorAll('.table th, .table td')) {
    if (!cell.offsetParent) continue;
    const head = cell.closest('thead');  // a phone's stacked table: its header is not drawn
    if (head && head.getBoundingClientRect().height <= 1) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const word = /[^\\s\\-\\/\\u2010·]+/g;
      let m;
      while ((m = word.exec(node.data))) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0)
                              .map((r) => Math.round(r.top)));
        if (tops.size > 1) out.push(`${cell.tagName} "${m[0]}"`);
      }
    }
  }
  return [...new Set(out)];
}"""


def _open_every_fold(page) -> None:
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")


def test_table_cells_keep_each_word_on_one_line(live_server, new_person):
    """The version page's "Where each sentence came from" and the list of versions: no word
    ("Version", "Source", "Edited") split over two lines, at any size, and no sideways
    scrolling."""
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    wid = create_workshop(fran, "Tables", "Harbour Health", "Care")
    fac = Person.logged_in(
        live_server.url, live_server.facilitator_email, live_server.facilitator_password
    )
    save_document(fac, wid, LONG_MISSION)
    split = []
    for path, name in (
        (f"/workshops/{wid}/document/versions/1", "version-table-words-whole"),
        (f"/workshops/{wid}/document/versions", "history-table-words-whole"),
    ):
        fran.goto(path)
        _open_every_fold(fran)
        expect(fran.locator(".table").first).to_be_visible()
        check_screen(fran, name)
        for size, (width, height) in PEOPLE_SIZES.items():
            fran.set_viewport_size({"width": width, "height": height})
            settle(fran)
            split += [f"{name} at {size}: {w}" for w in fran.evaluate(_WORDS_SPLIT_OVER_LINES)]
    assert not split, "words split over two lines in table cells:\n" + "\n".join(split)


def _post(person: Person, path: str, form_page: str) -> None:
    """Send a staff form over HTTP (with the CSRF token of the page that shows it)."""
    page = person.http.get(f"{person.url}{form_page}", timeout=10).text
    answer = person.http.post(
        f"{person.url}{path}", data={"csrf_token": csrf(page)}, timeout=10, allow_redirects=False
    )
    assert answer.status_code in (200, 302), answer.text[:2000]


def _workshop_with_mission(live_server, new_person, mission: str):
    """Fran's workshop, Lena of leadership on its staff, and a first version of ``mission``:
    Fran's page (at a laptop's size), the workshop id and Fran over HTTP."""
    fran = new_person("Fran")
    fran.set_viewport_size({"width": 1366, "height": 768})
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    wid = create_workshop(fran, "Sign-off", "Harbour Health", "Care")
    add_staff(fran, live_server.leadership_email, "leadership")
    fac = Person.logged_in(
        live_server.url, live_server.facilitator_email, live_server.facilitator_password
    )
    save_document(fac, wid, mission)
    return fran, wid, fac


SHORT_MISSION = "\n\n".join(
    f"## Clause {n}\n\nWe help every patient and every colleague feel known, heard and supported."
    for n in range(1, 7)
)


@pytest.mark.parametrize("mission", ["long", "short"])
def test_leadership_sees_the_sign_off_form_before_the_mission(live_server, new_person, mission):
    """Lena of leadership opens the locked mission to sign it off: the sign-off form is on her
    first screen, above the mission text, at every size, whatever the mission's length."""
    fran, wid, fac = _workshop_with_mission(
        live_server, new_person, LONG_MISSION if mission == "long" else SHORT_MISSION
    )
    version = f"/workshops/{wid}/document/versions/1"
    _post(fac, f"{version}/final", form_page=version)
    lena = new_person("Lena")
    log_in(lena, live_server.leadership_email, live_server.leadership_password)
    lena.goto(version)
    expect(lena.locator(".final-badge")).to_be_visible()
    sign_off = lena.get_by_role("button", name="Sign off this mission")
    check_screen(lena, f"version-sign-off-first-{mission}", task="#version-action")
    check_screen(lena, f"version-sign-off-button-{mission}", task="#version-action button")
    assert _above(lena, sign_off, lena.locator("article.document"))
    lena.get_by_label("Your comment (optional)").fill("Proud of every word.")
    sign_off.click()
    signed = lena.locator("section").filter(has=lena.get_by_role("heading", name="Signed off"))
    expect(signed).to_contain_text("“Proud of every word.”")
    expect(sign_off).to_have_count(0)


def test_the_facilitator_sees_readiness_and_the_lock_before_the_mission(live_server, new_person):
    """Fran opens the latest version of a long mission to lock it: whether it is ready and the
    "Lock as the final mission" button are on her first screen; the per-clause detail and
    "Where each sentence came from" (folded) come after the mission text."""
    fran, wid, fac = _workshop_with_mission(live_server, new_person, LONG_MISSION)
    fran.goto(f"/workshops/{wid}/document/versions/1")
    lock = fran.get_by_role("button", name="Lock as the final mission")
    readiness = fran.locator("section.readiness")
    expect(readiness.get_by_role("heading")).to_have_text(
        re.compile(r"^(Ready to lock|Not ready to lock yet)$")
    )
    check_screen(fran, "version-lock-first", task="#version-action button.primary")
    assert _above(fran, lock, fran.locator("article.document"))
    # Where each sentence came from: folded after the mission, opened from the keyboard.
    fold = fran.locator("details#provenance")
    expect(fold).not_to_have_attribute("open", "")
    assert _above(fran, fran.locator("article.document"), fold)
    fold.locator("summary").focus()
    fran.keyboard.press("Enter")
    expect(fold).to_have_attribute("open", "")
    expect(fold.get_by_role("heading", name="Where each sentence came from")).to_be_visible()
    expect(fold.locator("table tbody tr")).to_have_count(24)
    lock.click()
    expect(fran.locator(".final-badge")).to_have_text("Final: this is our agreed mission.")


def _above(page, first, second) -> bool:
    """``first`` starts higher on the page than ``second``."""
    a, b = first.bounding_box(), second.bounding_box()
    assert a is not None and b is not None
    return a["y"] < b["y"]


RANKED_WORDINGS = [
    "We help every patient feel known, not processed, in every harbour town we serve.",
    "We keep the harbour region healthy and independent.",
    "Care that treats people as neighbours, close to home.",
]

# Names of proposals in the revealed results that are cut short: cut at the side (wider than
# their box), cut by the script (ending in "…"), or cut after fewer than two full lines.
_CUT_NAMES = """() => [...document.querySelectorAll('#results .result-name')]
  .filter((e) => e.offsetParent)
  .filter((e) => {
    const line = parseFloat(getComputedStyle(e).lineHeight);
    const cutBelow = e.scrollHeight > e.clientHeight + 1 && e.clientHeight < 2 * line - 1;
    return e.scrollWidth > e.clientWidth + 1 || cutBelow || e.textContent.trim().endsWith('…');
  })
  .map((e) => `"${e.textContent.trim()}" shows ${e.clientWidth}×${e.clientHeight}px of `
              + `${e.scrollWidth}×${e.scrollHeight}px`)"""

# The winning wording of the runoff, which a room reads first: shown whole.
_WINNER_WHOLE = """() => {
  const e = document.querySelector('#results .runoff tr.winner .result-name');
  return e.scrollWidth <= e.clientWidth + 1 && e.scrollHeight <= e.clientHeight + 1;
}"""


def test_the_wall_shows_the_ranked_winning_wording_whole(live_server, new_person, people):
    """Revealed ranked-choice results on the projector: the winning wording reads whole in the
    runoff, and every wording shown at least two full lines in the Schulze and Borda orders,
    not "We help e…", at 1920×1080 and 1280×720; the wall still fits without scrolling."""
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    wid = create_workshop(fran, "Ranked wall", "Harbour Health", "Care")
    link = fran.locator("#join-link").get_attribute("href")
    assert link is not None
    fac = Person.logged_in(
        live_server.url, live_server.facilitator_email, live_server.facilitator_password
    )
    people.append(fac.connect(wid))
    propose = fac.call("round.add", {"kind": "propose", "prompt": "Purpose", "minutes": 5})
    fac.call("round.start", {"round_id": propose["round_id"]})
    crowd = []
    for i, level in enumerate(("Frontline", "Specialist", "Manager")):
        person = Person.joined(live_server.url, link, f"P{i}", level)
        people.append(person.connect(wid))
        crowd.append(person)
    ids = [
        crowd[i].call("proposal.submit", {"body": w, "op_id": uuid.uuid4().hex})["proposal_id"]
        for i, w in enumerate(RANKED_WORDINGS)
    ]
    ranked = fac.call(
        "round.add",
        {
            "kind": "vote",
            "prompt": "Rank the purposes",
            "minutes": 5,
            "method": "ranked",
            "source_round_id": propose["round_id"],
        },
    )["round_id"]
    fac.call("round.start", {"round_id": ranked})
    for i, person in enumerate(crowd):
        ranking = [ids[0], ids[(i % 2) + 1]]
        person.call("ballot.cast", {"round_id": ranked, "ballot": {"ranking": ranking}})
    fac.call("round.reveal", {"round_id": ranked})
    wall = fran.context.new_page()
    wall.goto(f"/workshops/{wid}/projector")
    wait_until_live(wall)
    expect(wall.locator("#results table.runoff")).to_be_visible(timeout=TIMEOUT)
    check_screen(wall, "wall-ranked-wordings-whole", sizes=WALL_SIZES, no_scrolling=True)
    cut = []
    for size, (width, height) in WALL_SIZES.items():
        wall.set_viewport_size({"width": width, "height": height})
        settle(wall)
        cut += [f"{size}: {name}" for name in wall.evaluate(_CUT_NAMES)]
        winner = wall.locator("#results .runoff tr.winner .result-name")
        expect(winner).to_have_text(RANKED_WORDINGS[0])
        if not wall.evaluate(_WINNER_WHOLE):
            cut.append(f"{size}: the winning wording is not shown whole in the runoff")
    assert not cut, "wordings cut short on the wall:\n" + "\n".join(cut)


SIX_CLAUSES = "\n\n".join(
    f"## Clause {n}\n\n"
    + " ".join(
        "We help every patient and every colleague feel known, heard and supported."
        for _ in range(3)
    )
    for n in range(1, 7)
)
DUEL_WORDINGS = [
    " ".join(
        "We help every patient and every colleague feel known, heard and supported."
        for _ in range(3)
    ),
    "Each person we care for, and each colleague, feels known.",
]


def _duel_line(page):
    return page.locator("#duel-callout")


def _expect_duel_line_then_go(page, name: str) -> None:
    """The running duel is said on the first screen ("Wording duel on “Clause 6” · 4:58 left")
    at every size; "Go to the duel" brings it into view and puts the keyboard on it."""
    line = _duel_line(page)
    expect(line).to_be_visible(timeout=TIMEOUT)
    expect(line).to_contain_text("Wording duel on “Clause 6”")
    expect(line).to_contain_text(re.compile(r"\d+:\d\d left"))
    check_screen(page, name, task="#duel-callout")
    duel = page.locator("section.duel")
    expect(duel).not_to_be_in_viewport()
    line.get_by_role("button", name="Go to the duel").click()
    expect(duel).to_be_in_viewport()
    expect_focused(duel.get_by_role("heading", name=re.compile(r"^Wording duel #\d+$")))


def test_a_duel_far_down_the_draft_is_on_the_first_screen(live_server, new_person, people):
    """A wording duel runs on the sixth clause of a long draft: the participant's task header
    and the facilitator's run card say so with the time left and take them to it, live, and
    the line goes when the duel closes."""
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    wid = create_workshop(fran, "Duel", "Harbour Health", "Care")
    link = fran.locator("#join-link").get_attribute("href")
    assert link is not None
    fac = Person.logged_in(
        live_server.url, live_server.facilitator_email, live_server.facilitator_password
    )
    save_document(fac, wid, SIX_CLAUSES)
    people.append(fac.connect(wid))
    fac.call("phase.set", {"phase": "draft"})
    fran.goto(f"/workshops/{wid}")
    wait_until_live(fran)
    amira = new_person("Amira")
    join(amira, link, "Amira", "Frontline")
    for page in (fran, amira):
        expect(page.locator("#document .clause")).to_have_count(6, timeout=TIMEOUT)
        expect(_duel_line(page)).to_be_hidden()
        mark_page(page)
    key = fac.call("state.sync")["snapshot"]["document"]["clauses"][5]["key"]
    duel = fac.call("duel.start", {"clause_key": key, "seconds": 300, "options": DUEL_WORDINGS})
    _expect_duel_line_then_go(amira, "room-duel-line")
    _expect_duel_line_then_go(fran, "console-duel-line")
    amira.locator("section.duel").get_by_label(DUEL_WORDINGS[1]).check()
    amira.locator("section.duel").get_by_role("button", name="Vote", exact=True).click()
    expect(amira.locator("section.duel .duel-mine")).to_have_class(re.compile("voted"))
    fac.call("duel.close", {"duel_id": duel["duel_id"]})
    for page in (fran, amira):
        expect(_duel_line(page)).to_be_hidden(timeout=TIMEOUT)
        assert_not_reloaded(page)
