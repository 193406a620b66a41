"""The projector: a wall screen at 1920×1080 and 1280×720 that follows the workshop round by
round, never scrolls, and shows only what participants may see.

A facilitator (Fran) runs the 90-minute template with two participants (Amira, Joost) in a
workshop that is anonymous to peers, and keeps the projector open in a second tab of her own
browser, as she would on the room's big screen. At each step (lobby, proposing, a blind dot
vote before and after the reveal, refining the draft, consent per clause, the final mission)
the wall is photographed at both sizes and checked: no scrolling, nothing clipped, no text
over text; the join code, the QR code and a large timer are on it; results only after the
reveal; and nothing staff-only, no hidden proposal and no participant's name ever reaches it,
neither on the screen nor in the traffic the projector receives.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Response, WebSocket, expect

from tests.live_server import csrf

from .helpers import (
    ANY_TALLY,
    RESULTS_HIDDEN,
    SCREENSHOTS,
    TIMEOUT,
    assert_not_reloaded,
    log_in,
    mark_page,
    settle,
    wait_until_live,
)
from .layout import PROJECTOR, WALL_SIZES, check_screen
from .test_client_state import Person, clause_keys, save_document

pytestmark = pytest.mark.browser

PURPOSE_PROMPT = "Purpose: why do we exist, for clients and for us?"
VOTE_PROMPT = "Which purpose says it best?"
REFINE_PROMPT = "Sharpen the draft together"
CONSENT_PROMPT = "Can you live with each clause of the mission?"
FINALISE_PROMPT = "What we agreed, and what happens next"
HIDE_REASON = "Off topic for this clause"
HIDDEN_WORDING = "Free parking for every member of staff, forever."

AMIRA_PROPOSALS = [
    "We help every patient feel known, not processed.",
    "We exist so that people in the harbour towns can live well at home, for as long as "
    "they want to, with care that comes to them.",
    "Good care, close to home.",
    "We make the next step of someone's care the easy one, for them and for the colleague "
    "who takes it.",
    "Health for the whole harbour.",
    "We listen first, then act together.",
]
JOOST_PROPOSALS = [
    "We keep the harbour region healthy and independent.",
    "Every colleague can fix what stands in a patient's way.",
    "Care that treats people as neighbours.",
    "We are there when it matters, and we stay until it is sorted.",
    "Less waiting, more living.",
    "We turn what patients tell us into what we do next, and we show them we did.",
]

CLAUSES = {
    "Purpose": "We help every person in the harbour region live a healthy, independent life, "
    "close to the people and places they love.",
    "Who we serve": "Patients and their families first; and the colleagues who care for them, "
    "because they cannot give what they do not get.",
    "How we work": "We listen first, decide together and keep our promises. We make the next "
    "step the easy one.",
    "What we value": "Care, courage and craft, in every visit and every phone call.",
    "How we will know": "Patients tell us they feel known. Colleagues stay, and bring friends.",
}
DRAFT = "\n\n".join(f"## {heading}\n\n{body}" for heading, body in CLAUSES.items())

# Fields only staff get on a proposal or a comment (docs/protocol.md §3).
STAFF_ONLY_FIELDS = {"status", "hidden_reason", "merged_into_id", "body_md", "anonymity"}

# Everything on the wall fits: no region holds more than it shows, nothing runs off the screen.
_CLIPPED = """() => {
  const out = [];
  const wall = document.querySelector('.wall');
  const more = wall.scrollHeight - wall.clientHeight;
  if (more > 1) out.push(`the wall holds ${more}px more than the screen`);
  for (const box of document.querySelectorAll('.wall-fit')) {
    const hidden = box.scrollHeight - box.clientHeight;
    if (box.offsetParent && hidden > 1) out.push(`${box.parentNode.id} cuts ${hidden}px`);
  }
  // No line of a card runs past its right edge (words cut off at the side).
  for (const item of document.querySelectorAll('.wall-stage li, .wall-stage .bar-row')) {
    const wider = item.scrollWidth - item.clientWidth;
    if (item.offsetParent && wider > 1) {
      out.push(`"${item.textContent.trim().slice(0, 40)}" runs ${wider}px past its card`);
    }
  }
  // The join code and the link stay inside the join card.
  const card = document.querySelector('.wall-join').getBoundingClientRect();
  for (const part of document.querySelectorAll('.wall-join > *, .wall-join-text > *')) {
    const r = part.getBoundingClientRect();
    const wider = part.scrollWidth > part.clientWidth + 1;
    if (part.offsetParent && (wider || r.left < card.left - 1 || r.right > card.right + 1)) {
      out.push(`${part.className} sticks out of the join card`);
    }
  }
  const regions = '.wall-head, .wall-side, .wall-join, .wall-counts, .wall-stage';
  for (const box of document.querySelectorAll(regions)) {
    const r = box.getBoundingClientRect();
    if (box.offsetParent && (r.bottom > innerHeight + 1 || r.right > innerWidth + 1)) {
      out.push(`${box.className} runs off the screen`);
    }
  }
  return out;
}"""


class Traffic:
    """Everything the projector's page receives from the server over Socket.IO (long-polling
    responses and WebSocket frames), in order, as raw text and as decoded messages."""

    def __init__(self, page: Page) -> None:
        self.raw: list[str] = []
        page.on("response", self._response)
        page.on("websocket", self._websocket)

    def _response(self, response: Response) -> None:
        if "/socket.io/" in response.url and response.request.method == "GET":
            # The page may have gone meanwhile: a resync would say it all again.
            with contextlib.suppress(Exception):
                self.raw.append(response.text())

    def _websocket(self, socket: WebSocket) -> None:
        socket.on(
            "framereceived",
            lambda payload: self.raw.append(
                payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
            ),
        )

    def mark(self) -> int:
        return len(self.raw)

    def text(self, since: int = 0) -> str:
        return "\n".join(self.raw[since:])

    def messages(self, since: int = 0) -> list:
        """The Socket.IO events and acknowledgements (their JSON arguments), decoded."""
        out = []
        for chunk in self.raw[since:]:
            for packet in chunk.split("\x1e"):  # Engine.IO joins polled packets with U+001E
                match = re.match(r"^4[23]\d*(\[.*)$", packet, re.S)
                if match:
                    out.append(json.loads(match[1]))
        return out

    def dicts(self, since: int = 0) -> Iterator[dict]:
        """Every JSON object in the messages, however deep."""
        stack: list = self.messages(since)
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                yield item
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)

    def proposals(self, since: int = 0) -> list[dict]:
        return [d for d in self.dicts(since) if "body_html" in d and "pinned" in d]

    def results(self, since: int = 0) -> list[dict]:
        return [d["results"] for d in self.dicts(since) if isinstance(d.get("results"), dict)]


def wall_check(page: Page, name: str, task: str = ".wall-join") -> None:
    """Photograph the wall at both sizes and check it (tests/browser/layout.py), then check at
    each size that nothing on it is clipped."""
    check_screen(page, name, sizes=WALL_SIZES, no_scrolling=True, task=task)
    problems = []
    try:
        for size, (width, height) in WALL_SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            settle(page)
            problems += [f"{name} at {size}: {p}" for p in page.evaluate(_CLIPPED)]
    finally:
        page.set_viewport_size({"width": PROJECTOR[0], "height": PROJECTOR[1]})
    assert not problems, "\n".join(problems)


def assert_join_panel(wall: Page, code: str) -> None:
    """The join code in large letters and a QR code that loaded, both on screen."""
    expect(wall.locator("#wall-code")).to_have_text(code)
    expect(wall.locator("#wall-qr")).to_be_visible()
    assert wall.locator("#wall-qr").evaluate("img => img.complete && img.naturalWidth > 0")
    assert font_px(wall, "#wall-code") >= 48
    box = wall.locator("#wall-qr").bounding_box()
    assert box and box["width"] >= 200 and box["y"] + box["height"] <= PROJECTOR[1]


def font_px(page: Page, selector: str) -> float:
    return page.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")


def assert_nothing_staff_only(wall: Page, traffic: Traffic, *names: str) -> None:
    """No control, no moderation, no staff-only field and no participant's name on the wall or
    in what it received (the workshop is anonymous to peers)."""
    expect(wall.locator("button, input, textarea")).to_have_count(0)
    for text in ("Hide", "Reveal results", "Waiting for approval", HIDE_REASON, *names):
        expect(wall.locator("#live")).not_to_contain_text(text)
    for card in traffic.proposals():
        assert not STAFF_ONLY_FIELDS & set(card), f"staff-only fields reached the wall: {card}"
        assert card["authors"] == [], f"an author reached the wall: {card}"
        for comment in card["comments"]:
            assert "status" not in comment, comment
    received = traffic.text()
    assert HIDE_REASON not in received
    for name in names:
        assert f'"{name}"' not in received, f"{name}'s name reached the projector"


def lock_as_final(fran: Person, workshop_id: int, number: int) -> None:
    """Lock a version as the final mission, as the version page's form does."""
    url = f"{fran.url}/workshops/{workshop_id}/document/versions/{number}"
    page = fran.http.get(url, timeout=10).text
    answer = fran.http.post(
        f"{url}/final",
        data={"csrf_token": csrf(page)},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:2000]


def wall_clause(wall: Page, heading: str):
    return wall.locator("#wall-clauses li.wall-clause").filter(
        has=wall.get_by_role("heading", name=heading, exact=True)
    )


def test_the_wall_follows_the_workshop_and_shows_only_what_participants_see(
    live_server, new_person
) -> None:
    # Fran creates a workshop, anonymous to peers, with the 90-minute template as its agenda.
    browser = new_person("Fran")
    log_in(browser, live_server.facilitator_email, live_server.facilitator_password)
    browser.goto("/workshops/new")
    browser.get_by_label("Title", exact=True).fill("Our mission, in our words")
    browser.get_by_label("Organisation", exact=True).fill("Harbour Health")
    browser.get_by_label("The organisation's current values").fill("Care\nCourage\nCraft")
    browser.get_by_label("Anonymous to peers: staff see authors, participants do not").check()
    browser.get_by_role("button", name="Create workshop").click()
    expect(browser).to_have_url(re.compile(r"/workshops/\d+$"), timeout=TIMEOUT)
    workshop_id = int(browser.url.rsplit("/", 1)[1])
    code = browser.locator(".join-code").inner_text().strip()
    join_link = browser.locator("#join-link").get_attribute("href")
    people: list[Person] = []
    fran = Person.tab_of(live_server.url, browser).connect(workshop_id)
    people.append(fran)
    fran.call("agenda.template")
    rounds = {r["prompt"]: r["id"] for r in fran.call("state.sync")["snapshot"]["rounds"]}

    # The projector: a second tab of Fran's browser, full screen on the room's wall.
    wall = browser.context.new_page()
    wall.set_viewport_size({"width": PROJECTOR[0], "height": PROJECTOR[1]})
    traffic = Traffic(wall)
    wall.goto(f"/workshops/{workshop_id}/projector")
    wait_until_live(wall)
    mark_page(wall)
    try:
        run_the_workshop(
            live_server, wall, traffic, fran, people, rounds, workshop_id, code, join_link
        )
    except Exception:
        wall.screenshot(path=SCREENSHOTS / "projector-failed.png")
        raise
    finally:
        for person in people:
            person.close()
    assert_not_reloaded(wall)
    assert new_person.page_errors == [], new_person.page_errors


def run_the_workshop(
    live_server, wall, traffic, fran, people, rounds, workshop_id, code, join_link
):
    def op() -> str:
        return uuid.uuid4().hex

    # 1. Lobby: the join panel fills the wall; people arrive and are counted.
    amira = Person.joined(live_server.url, join_link, "Amira", "Frontline").connect(workshop_id)
    joost = Person.joined(live_server.url, join_link, "Joost", "Team lead").connect(workshop_id)
    people += [amira, joost]
    expect(wall.locator("#live")).to_have_attribute("data-stage", "lobby")
    expect(wall.locator(".wall-counts")).to_have_text("2 people here", timeout=TIMEOUT)
    expect(wall.locator("#wall-prompt")).to_have_text("Our mission, in our words")
    expect(wall.locator("#timer")).to_be_hidden()
    assert_join_panel(wall, code)
    assert font_px(wall, "#wall-code") >= 100  # the lobby's code is read from the back
    wall_check(wall, "projector-lobby")
    assert_nothing_staff_only(wall, traffic, "Amira", "Joost")

    # 2. Propose: the prompt, its clause, a large timer, the proposals as they arrive (the
    # latest first), counted; what does not fit is counted as "+N more".
    fran.call("round.start", {"round_id": rounds[PURPOSE_PROMPT]})
    expect(wall.locator("#live")).to_have_attribute("data-stage", "propose", timeout=TIMEOUT)
    expect(wall.locator("#wall-prompt")).to_have_text(PURPOSE_PROMPT)
    expect(wall.locator("#wall-clause")).to_have_text("Clause: Purpose")
    expect(wall.locator("#wall-step")).to_have_text("Round 4 of 14 · Propose")
    expect(wall.locator("#timer")).to_have_text(re.compile(r"^[67]:\d\d left$"), timeout=TIMEOUT)
    assert font_px(wall, "#timer .wall-timer-digits") >= 48
    assert_join_panel(wall, code)
    expect(wall.locator("#wall-proposals")).to_have_text(
        "No proposals yet. The first idea is often the bravest."
    )
    ids = {}
    for mine, theirs in zip(AMIRA_PROPOSALS, JOOST_PROPOSALS, strict=True):
        ids[mine] = amira.call("proposal.submit", {"body": mine, "op_id": op()})["proposal_id"]
        ids[theirs] = joost.call("proposal.submit", {"body": theirs, "op_id": op()})["proposal_id"]
    hidden = joost.call("proposal.submit", {"body": HIDDEN_WORDING, "op_id": op()})["proposal_id"]
    expect(wall.locator(".wall-counts")).to_contain_text("13 proposals", timeout=TIMEOUT)
    latest = wall.locator("#wall-proposals li.wall-proposal").first
    expect(latest).to_have_text(HIDDEN_WORDING)
    assert len({p["id"] for p in traffic.proposals()}) == 13, "the traffic is read"

    # Fran hides one: it leaves the wall, and neither it nor her reason come back.
    hidden_from = traffic.mark()
    fran.call("proposal.hide", {"proposal_id": hidden, "reason": HIDE_REASON})
    expect(wall.locator(".wall-counts")).to_contain_text("12 proposals", timeout=TIMEOUT)
    expect(wall.locator("#live")).not_to_contain_text(HIDDEN_WORDING)
    expect(latest).to_have_text(JOOST_PROPOSALS[-1])
    more = wall.locator("#wall-proposals-panel .wall-more")
    expect(more).to_have_text(re.compile(r"^\+\d+ more$"))
    shown = wall.locator("#wall-proposals li.wall-proposal:visible").count()
    assert 3 <= shown < 12 and shown + int(more.inner_text()[1:].split()[0]) == 12
    wall_check(wall, "projector-propose")

    # Paused, then time up: said in words.
    fran.call("round.pause", {"round_id": rounds[PURPOSE_PROMPT]})
    expect(wall.locator("#timer")).to_have_text(re.compile(r"^[67]:\d\d Paused$"), timeout=TIMEOUT)
    assert font_px(wall, "#timer .wall-timer-digits") >= 48
    wall_check(wall, "projector-paused")
    fran.call("round.resume", {"round_id": rounds[PURPOSE_PROMPT]})
    expect(wall.locator("#timer")).to_have_text(re.compile(r"^[67]:\d\d left$"), timeout=TIMEOUT)

    assert not [p for p in traffic.proposals(hidden_from) if HIDDEN_WORDING in p["body_html"]]
    assert_nothing_staff_only(wall, traffic, "Amira", "Joost")

    # 3. A blind dot vote: the ballot and how many have voted, never a tally before the reveal.
    fran.call("round.start", {"round_id": rounds[VOTE_PROMPT]})
    expect(wall.locator("#live")).to_have_attribute("data-stage", "vote", timeout=TIMEOUT)
    expect(wall.locator("#wall-step")).to_have_text("Round 5 of 14 · Vote · Dot voting")
    expect(wall.locator("#wall-ballot li.wall-proposal").first).to_be_visible()
    for wording in JOOST_PROPOSALS[:3]:
        amira.call("vote.set", {"proposal_id": ids[wording], "dots": 1})
    joost.call("vote.set", {"proposal_id": ids[JOOST_PROPOSALS[0]], "dots": 2})
    joost.call("vote.set", {"proposal_id": ids[AMIRA_PROPOSALS[0]], "dots": 1})
    expect(wall.locator(".wall-counts")).to_contain_text("2 people have voted", timeout=TIMEOUT)
    expect(wall.locator("#results")).to_contain_text(RESULTS_HIDDEN)
    expect(wall.locator("#live")).not_to_contain_text(ANY_TALLY)
    expect(wall.locator("#results .bar-row")).to_have_count(0)
    assert traffic.results() == [], "results reached the wall before the reveal"
    wall_check(wall, "projector-vote-blind")

    # The reveal: the results, their top rows, and how many more.
    fran.call("round.reveal", {"round_id": rounds[VOTE_PROMPT]})
    rows = wall.locator("#results .bar-row")
    expect(rows).to_have_count(12, timeout=TIMEOUT)
    expect(wall.locator("#wall-ballot")).to_be_hidden()
    expect(rows.first).to_contain_text(JOOST_PROPOSALS[0][:20])
    expect(rows.first).to_contain_text("3 dots from 2 people")
    more = wall.locator("#wall-vote-panel .wall-more")
    expect(more).to_have_text(re.compile(r"^\+\d+ more$"))
    shown = wall.locator("#results .bar-row:visible").count()
    assert 3 <= shown < 12 and shown + int(more.inner_text()[1:].split()[0]) == 12
    assert traffic.results(), "the reveal sent the results"
    wall_check(wall, "projector-vote-revealed")
    assert_nothing_staff_only(wall, traffic, "Amira", "Joost")

    # A ranked vote on the same twelve proposals, each person ranking three: the runoff table
    # has a column per count and a row per proposal, and the wall still shows it without
    # scrolling or cutting a word.
    ranked_round = fran.call(
        "round.add",
        {
            "kind": "vote",
            "prompt": "Rank the purposes",
            "minutes": 5,
            "method": "ranked",
            "source_round_id": rounds[PURPOSE_PROMPT],
        },
    )["round_id"]
    fran.call("round.start", {"round_id": ranked_round})
    expect(wall.locator("#wall-prompt")).to_have_text("Rank the purposes", timeout=TIMEOUT)
    for person, wordings in ((amira, JOOST_PROPOSALS[:3]), (joost, AMIRA_PROPOSALS[:3])):
        ranking = [ids[w] for w in wordings]
        person.call("ballot.cast", {"round_id": ranked_round, "ballot": {"ranking": ranking}})
    expect(wall.locator(".wall-counts")).to_contain_text("2 people have voted", timeout=TIMEOUT)
    fran.call("round.reveal", {"round_id": ranked_round})
    expect(wall.locator("#results table.runoff")).to_be_visible(timeout=TIMEOUT)
    wall_check(wall, "projector-vote-ranked-revealed")

    # 4. Refine: the draft, clause by clause, with who is editing (anonymous to peers).
    save_document(fran, workshop_id, DRAFT)
    fran.call("round.start", {"round_id": rounds[REFINE_PROMPT]})
    expect(wall.locator("#live")).to_have_attribute("data-stage", "refine", timeout=TIMEOUT)
    for heading, body in CLAUSES.items():
        expect(wall_clause(wall, heading)).to_contain_text(body, timeout=TIMEOUT)
    keys = clause_keys(fran.call("state.sync")["snapshot"]["document"])
    amira.call("clause.editing", {"clause_key": keys["Purpose"]})
    expect(wall_clause(wall, "Purpose").locator(".wall-editors")).to_have_text(
        "Someone is editing this clause", timeout=TIMEOUT
    )
    wall_check(wall, "projector-refine")
    amira.call("clause.editing", {"clause_key": None})

    # A change suggested to a clause is under it on the wall, in its sentence, with the
    # answers so far (and no author: the workshop is anonymous to peers).
    version = fran.call("state.sync")["snapshot"]["document"]
    start = version["body_md"].index("every person")
    suggested = amira.call(
        "amendment.propose",
        {
            "version_number": version["number"],
            "start": start,
            "end": start + len("every person"),
            "replacement": "everyone",
            "reason": "Shorter",
        },
    )["amendment_id"]
    joost.call("amendment.vote", {"amendment_id": suggested, "choice": "agree"})
    suggestion = wall_clause(wall, "Purpose").locator(".wall-amendments")
    expect(suggestion).to_contain_text(f"Amendment #{suggested}", timeout=TIMEOUT)
    expect(suggestion.locator("del")).to_contain_text("every person")
    expect(suggestion.locator("ins")).to_contain_text("everyone")
    expect(suggestion).to_contain_text("1 agree · 0 can live with it · 0 object", timeout=TIMEOUT)
    expect(wall_clause(wall, "Who we serve").locator(".wall-amendments")).to_be_hidden()
    expect(wall_clause(wall, "Purpose")).not_to_contain_text("null")
    wall_check(wall, "projector-refine-amendment")
    fran.call("amendment.reject", {"amendment_id": suggested, "note": "Kept as it is"})
    expect(suggestion).to_be_hidden(timeout=TIMEOUT)

    # 5. Consent: the counts per clause, live.
    fran.call("round.start", {"round_id": rounds[CONSENT_PROMPT]})
    expect(wall.locator("#live")).to_have_attribute("data-stage", "consent", timeout=TIMEOUT)
    for person in (amira, joost):
        for heading, key in keys.items():
            if person is joost and heading == "How we work":
                answer = {"choice": "object", "reason": "Promises to whom?"}
            else:
                answer = {"choice": "agree"}
            person.call("clause.vote", {"clause_key": key, **answer})
    expect(wall_clause(wall, "Purpose").locator(".wall-consent")).to_have_text(
        "2 agree 0 can live with it 0 object", timeout=TIMEOUT
    )
    expect(wall_clause(wall, "How we work").locator(".wall-consent")).to_have_text(
        "1 agree 0 can live with it 1 object", timeout=TIMEOUT
    )
    wall_check(wall, "projector-consent")
    assert_nothing_staff_only(wall, traffic, "Amira", "Joost")

    # 6. Finalise: the mission text; "Final" once it is locked.
    joost.call("clause.vote", {"clause_key": keys["How we work"], "choice": "agree"})
    fran.call("round.start", {"round_id": rounds[FINALISE_PROMPT]})
    expect(wall.locator("#live")).to_have_attribute("data-stage", "final", timeout=TIMEOUT)
    expect(wall.locator("#wall-draft-title")).to_have_text("Our mission")
    number = fran.call("state.sync")["snapshot"]["document"]["number"]
    expect(wall.locator("#wall-version")).to_have_text(f"Version {number}")
    expect(wall.locator(".wall-consent").first).to_be_hidden()
    lock_as_final(fran, workshop_id, number)
    expect(wall.locator("#wall-version")).to_have_text("Final", timeout=TIMEOUT)
    for heading, body in CLAUSES.items():
        expect(wall_clause(wall, heading)).to_contain_text(body)
    wall_check(wall, "projector-final")
    assert_nothing_staff_only(wall, traffic, "Amira", "Joost")
