"""The live client keeps what people are doing, and draws the same screen from events as
from a fresh load.

Three checks of the client's state handling (static/js/live/): a participant typing a comment
keeps the words, the caret and the focus while twenty more people join and vote; a second
choice made before the server confirmed the first keeps both; and after a scripted workshop
that makes the server publish every event of docs/protocol.md §7, a page that stayed open
(its first snapshot plus every event since) shows exactly what a fresh load shows, for a
participant and for the facilitator console. The crowd and the script run over
plain HTTP and Socket.IO clients (``requests`` and ``python-socketio``), so only the screens
being checked are browsers.
"""

from __future__ import annotations

import difflib
import re
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.live_server import InOrderClient, csrf

from .helpers import (
    TIMEOUT,
    assert_not_reloaded,
    ballot_item,
    create_workshop,
    join,
    log_in,
    mark_page,
    voters,
    wait_until_live,
)

pytestmark = pytest.mark.browser

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
LEVELS = ["Frontline", "Specialist", "Team lead", "Manager", "Director", "Executive"]


class Person:
    """Someone in the workshop without a browser: an HTTP session (cookies) and a socket that
    records every event it receives."""

    def __init__(self, url: str, http: requests.Session):
        self.url = url
        self.http = http
        self.received: list[tuple[str, object]] = []
        self._lock = threading.Lock()
        self.socket = InOrderClient(reconnection=False, http_session=http)
        self.socket.on("*", self._record)

    def _record(self, name: str, data: object = None) -> None:
        with self._lock:
            self.received.append((name, data))

    @classmethod
    def joined(cls, url: str, join_link: str, name: str, level: str) -> Person:
        """A participant who joined with the link over HTTP, as the join form does."""
        http = requests.Session()
        token = csrf(http.get(join_link, timeout=10).text)
        answer = http.post(
            join_link,
            data={"csrf_token": token, "display_name": name, "level": level},
            timeout=10,
            allow_redirects=False,
        )
        assert answer.status_code == 302, answer.text
        return cls(url, http)

    @classmethod
    def logged_in(cls, url: str, email: str, password: str) -> Person:
        """A staff account logged in over HTTP (its own session, next to any browser's)."""
        http = requests.Session()
        token = csrf(http.get(f"{url}/login", timeout=10).text)
        answer = http.post(
            f"{url}/login",
            data={"csrf_token": token, "email": email, "password": password},
            timeout=10,
            allow_redirects=False,
        )
        assert answer.status_code == 302, answer.text
        return cls(url, http)

    @classmethod
    def tab_of(cls, url: str, page: Page) -> Person:
        """Another tab of the person in ``page``: the same cookies, so the same person."""
        http = requests.Session()
        for cookie in page.context.cookies():
            http.cookies.set(
                cookie["name"], cookie["value"], domain=cookie["domain"], path=cookie["path"]
            )
        return cls(url, http)

    def connect(self, workshop_id: int) -> Person:
        self.socket.connect(self.url, auth={"workshop_id": workshop_id}, transports=["websocket"])
        return self

    def call(self, name: str, payload: dict | None = None) -> dict:
        """Send a command and return its acknowledgement, which must be a success (a command
        over the connection's rate limit is sent again a moment later)."""
        for _ in range(50):
            ack = self.socket.call(name, payload or {}, timeout=10)
            if ack.get("ok") or ack["error"]["code"] != "rate_limited":
                break
            time.sleep(0.25)
        assert ack["ok"], f"{name} {payload}: {ack}"
        return ack

    def names(self) -> set[str]:
        with self._lock:
            return {name for name, _ in self.received}

    def last(self, name: str) -> dict:
        """The payload of the last event ``name`` received."""
        with self._lock:
            found = [data for event, data in self.received if event == name]
        assert found, f"no {name} received"
        return found[-1]

    def close(self) -> None:
        if self.socket.connected:
            self.socket.disconnect()


def console_link(fran: Page) -> str:
    join_link = fran.locator("#join-link").get_attribute("href")
    assert join_link is not None
    return join_link


def workshop_with_an_author(
    live_server, new_person, people: list, title: str
) -> tuple[int, str, Person, Person]:
    """Fran creates a workshop in her browser; she and Joost (an author) follow it over plain
    sockets. Returns the workshop's id, its join link, Fran's socket and Joost's."""
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, title, "Harbour Health", "Care")
    join_link = console_link(fran)
    fac = Person.logged_in(
        live_server.url, live_server.facilitator_email, live_server.facilitator_password
    )
    people.append(fac.connect(workshop_id))
    author = Person.joined(live_server.url, join_link, "Joost", "Team lead")
    people.append(author.connect(workshop_id))
    return workshop_id, join_link, fac, author


# ---- a. typing survives a crowd ---------------------------------------------------------------

TYPED = "I like this, but every is a big word"
CARET_FROM_END = len("is a big word")  # the caret sits just before these words


def test_a_comment_being_typed_survives_twenty_people_joining_and_voting(
    live_server, new_person, people
) -> None:
    workshop_id, join_link, fac, author = workshop_with_an_author(
        live_server, new_person, people, "Typing in a crowd"
    )
    fac.call("phase.set", {"phase": "propose"})
    wording = "We make care simple for everyone."
    card_id = author.call("proposal.submit", {"body": wording, "op_id": uuid.uuid4().hex})[
        "proposal_id"
    ]
    fac.call("phase.set", {"phase": "vote"})

    amira = new_person("Amira")
    join(amira, join_link, "Amira", "Frontline")
    mark_page(amira)
    card = ballot_item(amira, wording)
    expect(card.locator("[data-vote=plus]")).to_be_visible()
    card.locator("details.comments > summary").click()
    box = card.get_by_label("Add a comment")
    box.click()
    box.press_sequentially(TYPED)
    for _ in range(CARET_FROM_END):
        amira.keyboard.press("ArrowLeft")
    caret = len(TYPED) - CARET_FROM_END

    # Twenty more people join (each publishes the room's count, coalesced)
    # and vote (each publishes round.tallied) while Amira's caret sits in her comment.
    for n in range(20):
        person = Person.joined(live_server.url, join_link, f"Person {n + 1}", LEVELS[n % 6])
        people.append(person.connect(workshop_id))
        person.call("vote.set", {"proposal_id": card_id, "dots": 1})
    expect(amira.locator("#voter-count")).to_have_text(voters(20), timeout=TIMEOUT)
    expect(amira.locator("[data-presence-line]").first).to_contain_text(
        "22 joined", timeout=TIMEOUT
    )

    typing = box.evaluate(
        """input => ({value: input.value, start: input.selectionStart, end: input.selectionEnd,
                      focused: document.activeElement === input})"""
    )
    assert typing == {"value": TYPED, "start": caret, "end": caret, "focused": True}, typing
    expect(card.locator("details.comments")).to_have_attribute("open", "")
    # She goes on typing where she was, and sends it.
    amira.keyboard.type("really ")
    expect(box).to_have_value(TYPED[:caret] + "really " + TYPED[caret:])
    amira.keyboard.press("Enter")
    expect(card.locator("li.comment")).to_contain_text(
        "every really is a big word", timeout=TIMEOUT
    )
    expect(box).to_have_value("")
    assert_not_reloaded(amira)
    assert new_person.page_errors == [], new_person.page_errors


# ---- b. a quick second choice is never lost -------------------------------------------------


def test_a_second_choice_made_before_the_first_is_confirmed_keeps_both(
    live_server, new_person, people
) -> None:
    """Amira ticks two boxes of an approval ballot while the server's answers to her are held
    back (as on a slow phone connection): the ballot her page sends after the first holds both
    choices, and the server keeps both. It used to send the second box alone (built on the last
    confirmed ballot, which did not have the first yet), so the first choice was lost."""
    workshop_id, join_link, fac, author = workshop_with_an_author(
        live_server, new_person, people, "Quick hands"
    )
    propose = fac.call("round.add", {"kind": "propose", "prompt": "Who?", "minutes": 30})
    vote = fac.call(
        "round.add", {"kind": "vote", "prompt": "Which?", "minutes": 30, "method": "approval"}
    )
    fac.call("round.start", {"round_id": propose["round_id"]})
    wordings = ["We serve our patients.", "We serve our colleagues.", "We serve our town."]
    ids = [
        author.call("proposal.submit", {"body": w, "op_id": uuid.uuid4().hex})["proposal_id"]
        for w in wordings
    ]
    fac.call("round.start", {"round_id": vote["round_id"]})

    # Amira's page talks to the server through a relay that can hold the server's messages.
    relay: dict = {"page": None, "holding": False, "held": [], "upgraded": False, "casts": []}

    def route(ws) -> None:
        relay["page"] = ws
        server = ws.connect_to_server()

        def to_server(message) -> None:
            if message == "5":  # Engine.IO's upgrade: from now on everything goes this way
                relay["upgraded"] = True
            if isinstance(message, str) and '"ballot.cast"' in message:
                relay["casts"].append(message)
            server.send(message)

        def to_page(message) -> None:
            if relay["holding"]:
                relay["held"].append(message)
            else:
                ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    amira = new_person("Amira")
    amira.route_web_socket(re.compile(r"/socket\.io/"), route)
    join(amira, join_link, "Amira", "Frontline")
    expect(amira.locator("#ballot li.proposal")).to_have_count(3, timeout=TIMEOUT)
    deadline = time.monotonic() + 10
    while not relay["upgraded"]:
        assert time.monotonic() < deadline, "the page never moved to its WebSocket"
        amira.wait_for_timeout(50)

    relay["holding"] = True
    boxes = [ballot_item(amira, w).get_by_label("I can support this") for w in wordings]
    boxes[0].check()
    expect(boxes[0]).to_be_checked()
    boxes[2].check()
    expect(boxes[2]).to_be_checked()
    amira.wait_for_timeout(300)  # a second ballot sent at once would have left by now
    held = len(relay["held"])
    assert held, "the server's answer to the first box was not held back"
    relay["holding"] = False
    for message in relay["held"]:
        relay["page"].send(message)

    expect(amira.locator("#ballot-status")).to_contain_text("You voted.", timeout=TIMEOUT)
    for box, checked in zip(boxes, (True, False, True), strict=True):
        expect(box).to_be_checked(checked=checked, timeout=TIMEOUT)
    # Every ballot the page sent built on the one before; the server holds both choices.
    assert '"approved":[' + str(ids[0]) + "]" in relay["casts"][0], relay["casts"]
    assert '"approved":[' + f"{ids[0]},{ids[2]}" + "]" in relay["casts"][-1], relay["casts"]
    tab = Person.tab_of(live_server.url, amira)
    people.append(tab.connect(workshop_id))
    mine = tab.call("state.sync")["snapshot"]["me"]
    assert mine["ballot"] == {"approved": [ids[0], ids[2]]}, mine
    assert new_person.page_errors == [], new_person.page_errors


# ---- c. snapshot plus events draws what a fresh load draws -----------------------------------

DRAFT = "## Purpose\n\nWe help every patient feel known.\n\n## How we work\n\nWe make care simple."


def documented_events() -> set[str]:
    """Every event named in the first column of docs/protocol.md §7's table."""
    section = PROTOCOL.read_text().split("## 7. Events", 1)[1].split("\n## 8.", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", section, flags=re.MULTILINE))


def save_document(fac: Person, workshop_id: int, body: str) -> None:
    """Save a whole new version of the draft over HTTP, as the console's document page does."""
    url = f"{fac.url}/workshops/{workshop_id}/document"
    page = fac.http.get(url, timeout=10).text
    based_on = re.search(r'name="based_on" type="hidden" value="([^"]*)"', page)
    answer = fac.http.post(
        url,
        data={
            "csrf_token": csrf(page),
            "based_on": based_on.group(1) if based_on else "",
            "body_md": body,
            "note": "first draft",
        },
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:2000]


def clause_keys(version: dict) -> dict[str, int]:
    return {clause["heading"]: clause["key"] for clause in version["clauses"]}


def span_of(version: dict, words: str) -> dict:
    """The offsets of ``words`` (their first place) in a version's Markdown."""
    start = version["body_md"].index(words)
    return {"start": start, "end": start + len(words)}


def run_every_event(
    fac: Person, amira: Person, joost: Person, join_link: str, workshop_id: int, people: list
) -> None:
    """A workshop in brief that makes the server publish every kind of event: rounds, proposals
    and their moderation, a vote and its reveal, the draft, consent per clause, tags, editing,
    amendments and duels, people joining and leaving."""

    def op() -> str:
        return uuid.uuid4().hex

    # Pre-moderated: a proposal waiting for approval goes to staff only (participants get
    # seq.skip for its number), then approval shows it to everyone.
    propose = fac.call(
        "round.add",
        {"kind": "propose", "prompt": "Who do we serve?", "minutes": 30, "premoderation": True},
    )
    vote = fac.call(
        "round.add",
        {"kind": "vote", "prompt": "Which says it best?", "minutes": 30, "method": "dot"},
    )
    fac.call("round.start", {"round_id": propose["round_id"]})
    mine = amira.call("proposal.submit", {"body": "We care for *everyone*", "op_id": op()})
    first = joost.call("proposal.submit", {"body": "We serve our patients", "op_id": op()})
    third = joost.call("proposal.submit", {"body": "A third wording", "op_id": op()})
    for waiting in (mine, first, third):
        fac.call("proposal.approve", {"proposal_id": waiting["proposal_id"]})
    joost.call(
        "comment.add", {"proposal_id": mine["proposal_id"], "body": "Love it", "op_id": op()}
    )
    aside = amira.call(
        "comment.add", {"proposal_id": first["proposal_id"], "body": "Off topic", "op_id": op()}
    )
    fac.call(
        "comment.moderate", {"comment_id": aside["comment_id"], "visible": False, "reason": "?"}
    )
    fac.call("proposal.pin", {"proposal_id": first["proposal_id"], "pinned": True})
    fac.call("proposal.hide", {"proposal_id": mine["proposal_id"], "reason": "duplicate"})
    fac.call("proposal.restore", {"proposal_id": mine["proposal_id"]})
    fac.call("proposal.hide", {"proposal_id": third["proposal_id"], "reason": "off topic"})
    lena = Person.joined(fac.url, join_link, "Lena", "Specialist")  # presence.changed
    people.append(lena.connect(workshop_id))
    fac.call("readout.set", {"anonymous": True})
    fac.call("readout.set", {"anonymous": False})

    fac.call("round.start", {"round_id": vote["round_id"]})
    amira.call("vote.set", {"proposal_id": mine["proposal_id"], "dots": 2})
    joost.call("vote.set", {"proposal_id": first["proposal_id"], "dots": 1})
    fac.call("round.pause", {"round_id": vote["round_id"]})
    fac.call("round.resume", {"round_id": vote["round_id"]})
    fac.call("round.extend", {"round_id": vote["round_id"], "seconds": 60})
    fac.call("round.end", {"round_id": vote["round_id"]})
    fac.call("round.reveal", {"round_id": vote["round_id"]})

    save_document(fac, workshop_id, DRAFT)
    fac.call("phase.set", {"phase": "draft"})
    version = fac.last("document.saved")["version"]
    keys = clause_keys(version)
    purpose, how = keys["Purpose"], keys["How we work"]
    amira.call("clause.vote", {"clause_key": purpose, "choice": "agree"})
    joost.call("clause.vote", {"clause_key": how, "choice": "object", "reason": "Too narrow"})
    amira.call("value.tag", {"proposal_id": mine["proposal_id"], "value_key": "integrity"})
    fac.call("clause.editing", {"clause_key": how})
    fac.call("clause.editing", {"clause_key": purpose})
    joost.call("clause.editing", {"clause_key": how})
    joost.call(
        "clause.save",
        {
            "clause_key": purpose,
            "body": "We help every person feel known.",
            "based_on": version["number"],
        },
    )
    version = joost.last("document.saved")["version"]
    change = amira.call(
        "amendment.propose",
        {
            "version_number": version["number"],
            **span_of(version, "simple"),
            "replacement": "clear",
            "reason": "Plainer",
        },
    )
    joost.call("amendment.vote", {"amendment_id": change["amendment_id"], "choice": "agree"})
    amira.call("amendment.vote", {"amendment_id": change["amendment_id"], "choice": "live_with"})
    other = joost.call(
        "amendment.propose",
        {"version_number": version["number"], **span_of(version, "known"), "replacement": "seen"},
    )
    fac.call("amendment.reject", {"amendment_id": other["amendment_id"], "note": "Not now"})
    fac.call("amendment.accept", {"amendment_id": change["amendment_id"]})

    body = fac.last("document.saved")["version"]["clauses"][0]["body"]
    open_duel = fac.call(
        "duel.start",
        {"clause_key": purpose, "options": [body, "We know every person we help."], "seconds": 900},
    )
    options = fac.last("duel.started")["duel"]["options"]
    amira.call("duel.vote", {"duel_id": open_duel["duel_id"], "ranking": [options[1]["id"]]})
    decided = fac.call(
        "duel.start",
        {
            "clause_key": how,
            "options": ["We make care clear.", "We make care easy."],
            "seconds": 900,
        },
    )
    options = fac.last("duel.started")["duel"]["options"]
    joost.call("duel.vote", {"duel_id": decided["duel_id"], "ranking": [options[1]["id"]]})
    fac.call("duel.close", {"duel_id": decided["duel_id"]})
    cancelled = fac.call(
        "duel.start",
        {"clause_key": how, "options": ["We make care easy.", "We make it easy."], "seconds": 900},
    )
    fac.call("duel.cancel", {"duel_id": cancelled["duel_id"]})
    lena.close()  # presence.changed


SCREEN = """() => {
  const live = document.querySelector('#live');
  // Transient by design: the screen-reader announcer, notices, the connection line; and not
  // drawn from events at all: "Is every level in it?", read over HTTP every 20 s (notices.js).
  const transient = [...live.querySelectorAll(
    '#announcer, #notices, #connection, #representation-notices, #representation-empty')];
  const was = transient.map((node) => node.hidden);
  transient.forEach((node) => { node.hidden = true; });
  const text = live.innerText;
  transient.forEach((node, i) => { node.hidden = was[i]; });
  const nameOf = (c) => c.getAttribute('aria-label') || (c.labels && c.labels.length
    ? c.labels[0].innerText : '') || c.innerText || c.placeholder || c.name || '';
  const controls = [...live.querySelectorAll('button, input, select, textarea, summary, a[href]')]
    .filter((c) => c.checkVisibility() && !transient.some((t) => t.contains(c)))
    .map((c) => [c.tagName.toLowerCase(), c.type || '', nameOf(c).trim(), !!c.disabled,
      c.type === 'checkbox' || c.type === 'radio' ? c.checked : null,
      c.getAttribute('aria-pressed'),
      c.tagName === 'SELECT' ? (c.selectedOptions[0] || {}).text || '' : (c.value ?? null)]);
  const open = [...live.querySelectorAll('details')].filter((d) => d.checkVisibility())
    .map((d) => d.open);
  return {text, controls, open};
}"""

CLOCK = re.compile(r"\b\d+:\d\d\b")


def screen(page: Page) -> dict:
    """What a person sees in #live: its text (timers' seconds aside) and its visible controls."""
    seen = page.evaluate(SCREEN)
    seen["text"] = CLOCK.sub("M:SS", seen["text"])
    seen["controls"] = [
        [CLOCK.sub("M:SS", part) if isinstance(part, str) else part for part in control]
        for control in seen["controls"]
    ]
    return seen


def assert_same_screen(stayed: Page, fresh: Page) -> None:
    """The page that stayed open shows what a fresh load shows (waiting for late events)."""
    deadline = time.monotonic() + TIMEOUT / 1000
    while True:
        old, new = screen(stayed), screen(fresh)
        if old == new or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert old["text"] == new["text"], _difference(old["text"], new["text"])
    assert old["controls"] == new["controls"], _difference(old["controls"], new["controls"])
    assert old["open"] == new["open"]


def _difference(stayed: str | list, fresh: str | list) -> str:
    def lines(value: str | list) -> list[str]:
        return value.splitlines() if isinstance(value, str) else [repr(item) for item in value]

    changes = difflib.unified_diff(lines(stayed), lines(fresh), lineterm="", n=2)
    return "stayed open (-) and fresh (+) differ:\n" + "\n".join(changes)


def syncs_sent(page: Page) -> list[str]:
    """Record every ``state.sync`` the page sends (long-polling or WebSocket)."""
    sent: list[str] = []

    def note(payload) -> None:
        if isinstance(payload, str) and '"state.sync"' in payload:
            sent.append(payload)

    page.on("websocket", lambda ws: ws.on("framesent", note))
    page.on("request", lambda request: note(request.post_data))
    return sent


def test_a_page_kept_open_shows_what_a_fresh_load_shows(live_server, new_person, people) -> None:
    fran = new_person("Fran")
    fran_syncs = syncs_sent(fran)
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, "Events, then a fresh look", "Harbour Health", "Care")
    join_link = console_link(fran)
    wait_until_live(fran)
    amira_page = new_person("Amira")
    amira_syncs = syncs_sent(amira_page)
    join(amira_page, join_link, "Amira", "Frontline")
    for page in (fran, amira_page):
        mark_page(page)

    fac = Person.logged_in(
        live_server.url, live_server.facilitator_email, live_server.facilitator_password
    )
    amira = Person.tab_of(live_server.url, amira_page)  # her second tab: same person
    joost = Person.joined(live_server.url, join_link, "Joost", "Team lead")
    for person in (fac, amira, joost):
        people.append(person.connect(workshop_id))

    run_every_event(fac, amira, joost, join_link, workshop_id, people)

    received = fac.names() | amira.names() | joost.names()
    missing = documented_events() - received
    assert not missing, f"the script produced no {sorted(missing)}"
    # The pages followed the events themselves: the console never asked for a snapshot, the
    # participant only once, as the protocol asks, when the vote round started.
    assert fran_syncs == [], fran_syncs
    assert len(amira_syncs) <= 1, amira_syncs
    for page in (fran, amira_page):
        expect(page.locator("#document .duel.status-open")).to_have_count(1, timeout=TIMEOUT)
        expect(page.locator("#document .duel.status-cancelled")).to_have_count(1, timeout=TIMEOUT)

    for stayed in (amira_page, fran):
        fresh = stayed.context.new_page()
        fresh.goto(stayed.url)
        wait_until_live(fresh)
        assert_same_screen(stayed, fresh)
        assert_not_reloaded(stayed)
        fresh.close()
    assert new_person.page_errors == [], new_person.page_errors
