"""Results a room can read: every method's results at a phone, a laptop and a projector size.

Nineteen people without a browser (HTTP and Socket.IO clients, as in test_client_state.py) vote
in one round of each method: dots (broken down by level), approval, score, a ranking, consent
on proposals, a values round with values not mapped yet and a level too small to show, and
a vocabulary round. After each reveal a participant's phone, laptop and projector-sized screen,
and the projector page, are photographed and checked (nothing wider than the screen, no text
drawn over other text; on the wall no scrolling and the winner on screen), and what a person
would notice is measured: the winner's bar is the longest and every bar is as long as its
number says, unanswered consent items say "No answers yet", hidden levels are stated in
words, and the values table has its "Not mapped yet" column.

Worked out by hand below, with proposals A to E in the order they were sent.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    SCREENSHOTS,
    TIMEOUT,
    create_workshop,
    join,
    log_in,
    settle,
    voters,
    wait_until_live,
)
from .layout import LAPTOP, PEOPLE_SIZES, PHONE, PROJECTOR, WALL_SIZES, check_screen
from .test_client_state import Person
from .test_projector import wall_check

pytestmark = pytest.mark.browser

ORG_VALUES = ["Care", "Integrity", "Curiosity"]
# Long and short wordings, so that names wrap on a phone and sit beside short ones.
WORDINGS = [
    "We make care simple, personal and safe for every patient and every family we serve.",
    "We listen first.",
    "Together we build a healthier community, one honest conversation at a time.",
    "Care without waiting.",
    "Every colleague is trusted to do the right thing for the person in front of them.",
]
# The crowd: 5 Frontline, 6 Specialist, 7 Manager and 1 Team lead. With one level under 5
# people, the smallest other level (Frontline, 5) is hidden too, so that the small one
# cannot be worked out from the total: two levels hidden, Specialist and Manager shown.
CROWD_LEVELS = ["Frontline"] * 5 + ["Specialist"] * 6 + ["Manager"] * 7 + ["Team lead"]

# Dots (3 each): Frontline 3×{A:3} 2×{B:3}; Specialist 4×{A:2, C:1} 2×{D:1};
# Manager 3×{B:1} 2×{A:1, B:1, C:1} 2×{E:1}; Team lead {C:3}.
# A 19 dots from 9 people, B 11 from 7, C 9 from 7, D 2 from 2, E 2 from 2.
DOTS = (
    [{"A": 3}] * 3
    + [{"B": 3}] * 2
    + [{"A": 2, "C": 1}] * 4
    + [{"D": 1}] * 2
    + [{"B": 1}] * 3
    + [{"A": 1, "B": 1, "C": 1}] * 2
    + [{"E": 1}] * 2
    + [{"C": 3}]
)
DOT_TOTALS = {"A": 19, "B": 11, "C": 9, "D": 2, "E": 2}
DOT_TEXT = {
    "A": "19 dots from 9 people",
    "B": "11 dots from 7 people",
    "C": "9 dots from 7 people",
    "D": "2 dots from 2 people",
    "E": "2 dots from 2 people",
}
# Approval, 10 ballots: 6×[A, B], 2×[B], [C], and one empty ("none of these").
APPROVALS = [["A", "B"]] * 6 + [["B"]] * 2 + [["C"]] + [[]]
APPROVAL_SHARE = {"B": 0.8, "A": 0.6, "C": 0.1, "D": 0.0, "E": 0.0}
APPROVAL_TEXT = ["80% · 8 of 10", "60% · 6 of 10", "10% · 1 of 10", "0% · 0 of 10", "0% · 0 of 10"]
# Scores, 7 ballots: A 5, 4, 4 (three people); B 3 from all seven; C 0 from one; D, E unscored.
SCORES = [{"A": 5, "B": 3}, {"A": 4, "B": 3}, {"A": 4, "B": 3}, {"B": 3, "C": 0}] + [{"B": 3}] * 3
SCORE_TEXT = [
    "average 4.3 from 3 people",
    "average 3.0 from 7 people",
    "average 0.0 from 1 person",
    "not scored yet",
    "not scored yet",
]
# Rankings, 11 ballots: 4× A>B, 3× B>C>A, 2× C>B, 1× D, 1× E>D.
# Instant runoff: count 1 A4 B3 C2 D1 E1, E out (tied with D in every count: the later one
# goes); count 2 A4 B3 C2 D2, D out (fewer than C in count 1); its two ballots are exhausted;
# count 3 A4 B3 C2, C out; count 4 A4 B5 of 9: B wins. Borda (4, 3, 2, 1, 0 points):
# B 30, A 22, C 17, D 7, E 4. Schulze: B, C, A, D, E (C beats A 5 to 4).
RANKINGS = [["A", "B"]] * 4 + [["B", "C", "A"]] * 3 + [["C", "B"]] * 2 + [["D"], ["E", "D"]]
RUNOFF_ROWS = {  # proposal -> the cells of its row, count by count
    "B": ["3", "3", "3", "5"],
    "A": ["4", "4", "4", "4"],
    "C": ["2", "2", "2 eliminated", "—"],
    "D": ["1", "2 eliminated", "—", "—"],
    "E": ["1 eliminated", "—", "—", "—"],
}
EXHAUSTED = ["0", "0", "2", "2"]
BORDA = [
    ("B", "30 points"),
    ("A", "22 points"),
    ("C", "17 points"),
    ("D", "7 points"),
    ("E", "4 points"),
]
SCHULZE = ["B", "C", "A", "D", "E"]
# Consent: A 3 agree + 1 can live with it; B 2 agree + 1 objection; D 1 can live with it;
# nobody answered on C or E.
CONSENT = [
    {"A": "agree", "B": "agree"},
    {"A": "agree", "B": "agree"},
    {"A": "agree", "B": ("object", "Too vague to act on")},
    {"A": "live_with"},
    {"D": "live_with"},
]
CONSENT_ORDER = ["A", "D", "B", "C", "E"]
CONSENT_STATUS = {
    "A": "Consent: no open objection",
    "D": "Consent: no open objection",
    "B": "Not consented: 1 objection",
    "C": "No answers yet",
    "E": "No answers yet",
}
HIDDEN_LEVELS = "2 levels are hidden to protect groups of fewer than 5 people."
WORDS = [
    {"word": "care", "category": "what"},
    {"word": "patients", "category": "whom"},
    {"word": "together", "category": "how"},
    {"word": "synergy", "category": "how"},
    {"word": "because everyone deserves dignity", "category": "why"},
]

_BARS = """(selector) => [...document.querySelectorAll(selector)].map((row) => {
  const box = (part) => row.querySelector(part).getBoundingClientRect();
  return {id: Number(row.dataset.proposalId), winner: row.classList.contains('winner'),
          track: box('.bar').width, fill: box('.bar-fill').width, height: box('.bar').height,
          value: row.querySelector('.bar-value').textContent.trim()};
})"""
TOP_BARS = "#results > .result-bars > .bar-row"

# What must show on the wall for each method, at both wall sizes (more rows may be cut).
WALL_FIRST = {
    "dot": [".bar-row.winner .bar"],
    "approval": [".bar-row.winner .bar"],
    "score": [".bar-row.winner .bar"],
    "ranked": [
        ".result-agreement",
        "table.runoff tr.winner",
        "table.runoff tr:not(.winner):not(.exhausted) td",
        ".result-columns section:first-child li.winner",
        ".result-columns section:last-child li.winner .result-number",
    ],
    "consent": [".consent-results > li.consented .consent-counts"],
    "values": [
        ".alignment-figure",
        "table.values-grid th.col-unmapped",
        "table.values-grid tbody tr",
    ],
    "vocabulary": [".word-results > li"],
}

measured: dict[str, dict] = {}  # what the bars measured, written next to the photographs


def short(wording: str) -> str:
    """A wording as results name it (names.js: whole, up to 240 characters)."""
    return wording if len(wording) <= 240 else wording[:239] + "…"


def console_link(fran: Page) -> str:
    link = fran.locator("#join-link").get_attribute("href")
    assert link is not None
    return link


def connected(person: Person, workshop_id: int) -> Person:
    """Connect a person's socket, allowing a busy machine more than the client's 1 s default."""
    person.socket.connect(
        person.url, auth={"workshop_id": workshop_id}, transports=["websocket"], wait_timeout=10
    )
    return person


def run_round(fac: Person, crowd: list[Person], settings: dict, ballots: list[dict]) -> int:
    """Add a round, start it, cast ``ballots`` (one per person of the crowd, in order), end
    it and reveal the results; returns the round's id."""
    round_id = fac.call("round.add", {"minutes": 0, **settings})["round_id"]
    fac.call("round.start", {"round_id": round_id})
    for person, ballot in zip(crowd, ballots, strict=False):
        person.call("ballot.cast", {"ballot": ballot, "round_id": round_id})
    fac.call("round.end", {"round_id": round_id})
    fac.call("round.reveal", {"round_id": round_id})
    return round_id


def vote_round(method: str, prompt: str, **more) -> dict:
    return {"kind": "vote", "method": method, "prompt": prompt, "all_proposals": True, **more}


def measure_bars(page: Page, name: str) -> list[dict]:
    """The top-level result bars at each size (the page's own size is restored)."""
    original = page.viewport_size
    sizes = {}
    try:
        for size, (width, height) in PEOPLE_SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            settle(page)
            sizes[size] = page.evaluate(_BARS, TOP_BARS)
    finally:
        if original:
            page.set_viewport_size(original)
    measured[name] = sizes
    return sizes


def assert_proportional(sizes: dict[str, list[dict]], share: dict[int, float]) -> None:
    """Every track is equally long, every bar as long as its share of the track (within a
    pixel and a half, no minimum length), and the winner's bar is the longest."""
    for size, bars in sizes.items():
        tracks = [bar["track"] for bar in bars]
        assert max(tracks) - min(tracks) <= 1, f"{size}: tracks differ {tracks}"
        assert min(tracks) >= 100, f"{size}: tracks too short to read {tracks}"
        for bar in bars:
            want = bar["track"] * share[bar["id"]]
            assert abs(bar["fill"] - want) <= 1.5, f"{size}: {bar} should be {want:.1f}px long"
            assert bar["height"] >= 12, f"{size}: bar too thin {bar}"
        winners = [bar for bar in bars if bar["winner"]]
        assert len(winners) == 1, bars
        assert winners[0]["fill"] == max(bar["fill"] for bar in bars), bars


def check_results(
    participant: Page, projector: Page, name: str, *, open_level: str | None = None
) -> None:
    """Photograph and check the results on the participant's screens and the projector."""
    for page in (participant, projector):
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
    if open_level:
        participant.locator("#results details.result-level summary").filter(
            has_text=open_level
        ).click()
    # The round is over and its results are out: reading them is the task of the moment, so
    # they come first (the closed ballot or form under them), in the first screenful on a
    # phone and a laptop.
    results = participant.locator("#results-card").bounding_box()
    task = participant.locator("#task").bounding_box()
    assert results and task and results["y"] < task["y"], (results, task)
    check_screen(participant, f"results-{name}", task="#results-card")
    photograph_card(participant, name, PEOPLE_SIZES)
    # The wall: no scrolling, nothing clipped, and the part a room reads first on it.
    wall_check(projector, f"results-{name}-wall")
    for width, height in WALL_SIZES.values():
        projector.set_viewport_size({"width": width, "height": height})
        for selector in WALL_FIRST[name]:
            expect(projector.locator(f"#results {selector}").first).to_be_in_viewport()
    projector.set_viewport_size({"width": PROJECTOR[0], "height": PROJECTOR[1]})


def photograph_card(page: Page, name: str, sizes: dict[str, tuple[int, int]]) -> None:
    """The results card alone at each size, for a person to look at closely."""
    original = page.viewport_size
    try:
        for size, (width, height) in sizes.items():
            page.set_viewport_size({"width": width, "height": height})
            settle(page)
            page.locator("#results-card").screenshot(
                path=SCREENSHOTS / f"results-{name}-{size}-card.png"
            )
    finally:
        if original:
            page.set_viewport_size(original)


def row(page: Page, selector: str, proposal_id: int):
    return page.locator(f"#results > {selector}[data-proposal-id='{proposal_id}']")


@pytest.mark.long
def test_every_method_reads_well_on_a_phone_a_laptop_and_a_projector(
    live_server, new_person, people
) -> None:
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(
        fran, "Results we can read", "Harbour Health", "\n".join(ORG_VALUES)
    )
    join_link = console_link(fran)
    wait_until_live(fran)
    fac = Person.logged_in(
        live_server.url, live_server.facilitator_email, live_server.facilitator_password
    )
    people.append(connected(fac, workshop_id))
    crowd = []
    for n, level in enumerate(CROWD_LEVELS):
        person = Person.joined(live_server.url, join_link, f"Voter {n + 1}", level)
        people.append(connected(person, workshop_id))
        crowd.append(person)

    fac.call("phase.set", {"phase": "propose"})
    ids = {}
    for letter, person, wording in zip("ABCDE", crowd[:5], WORDINGS, strict=True):
        ack = person.call("proposal.submit", {"body": wording, "op_id": uuid.uuid4().hex})
        ids[letter] = ack["proposal_id"]
    letter_of = {pid: letter for letter, pid in ids.items()}
    values = {v["name"]: str(v["id"]) for v in fac.last("state.snapshot")["workshop"]["values"]}

    amira = new_person("Amira")
    join(amira, join_link, "Amira", "Director")
    wall = fran.context.new_page()
    wall.set_viewport_size({"width": PROJECTOR[0], "height": PROJECTOR[1]})
    wall.goto(f"/workshops/{workshop_id}/projector")
    wait_until_live(wall)
    # The room's bar has a language switch; the wall has no controls at all.
    expect(amira.locator(".room-tools .language-switch")).to_have_count(1)
    expect(wall.locator(".language-switch, form")).to_have_count(0)

    def keyed(ballot: dict) -> dict:
        return {str(ids[k]): v for k, v in ballot.items()}

    # ---- dots, broken down by level -------------------------------------------------------
    run_round(
        fac,
        crowd,
        vote_round("dot", "Which wording has the most energy?", breakdown_by_level=True),
        [{"dots": keyed(b)} for b in DOTS],
    )
    for page in (amira, wall):
        expect(page.locator(TOP_BARS)).to_have_count(5, timeout=TIMEOUT)
        expect(page.locator("#voter-count")).to_have_text(voters(19))
    expect(amira.locator(f"{TOP_BARS} .bar-value")).to_have_text([DOT_TEXT[k] for k in "ABCDE"])
    # A participant reads a proposal by its words (the card numbers are staff's).
    expect(amira.locator(f"{TOP_BARS}.winner .bar-label")).to_have_text(short(WORDINGS[0]))
    expect(amira.locator(f"{TOP_BARS}.winner .result-tag-winner")).to_have_text("Winner")
    sizes = measure_bars(amira, "dot")
    assert_proportional(sizes, {ids[k]: DOT_TOTALS[k] / 19 for k in DOT_TOTALS})
    # The two small levels are hidden, in words; the two shown ones open on demand.
    levels = amira.locator("#results .result-levels")
    expect(levels.locator(".result-hidden")).to_have_text(
        [
            "Frontline: hidden to protect groups of fewer than 5 people.",
            "Team lead: hidden to protect groups of fewer than 5 people.",
        ]
    )
    expect(levels.locator("details.result-level summary")).to_have_text(
        [
            re.compile(rf"^Manager\s*7 ballots · winner: {re.escape(short(WORDINGS[1]))}"),
            re.compile(rf"^Specialist\s*6 ballots · winner: {re.escape(short(WORDINGS[0]))}"),
        ]
    )
    check_results(amira, wall, "dot", open_level="Specialist")
    # The level a person opened stays open while the results are drawn again (hiding a
    # proposal counts the ballots again without it; showing it again restores them).
    fac.call("proposal.hide", {"proposal_id": ids["E"], "reason": "duplicate"})
    expect(amira.locator(TOP_BARS)).to_have_count(4, timeout=TIMEOUT)
    fac.call("proposal.restore", {"proposal_id": ids["E"]})
    expect(amira.locator(TOP_BARS)).to_have_count(5, timeout=TIMEOUT)
    expect(levels.locator("details.result-level[open] summary")).to_have_text(
        re.compile(r"^Specialist")
    )

    # ---- approval, as shares of the voters --------------------------------------------------
    run_round(
        fac,
        crowd,
        vote_round("approval", "Which could you support?"),
        [{"approved": [ids[k] for k in b]} for b in APPROVALS],
    )
    expect(amira.locator(f"{TOP_BARS} .bar-value")).to_have_text(APPROVAL_TEXT, timeout=TIMEOUT)
    sizes = measure_bars(amira, "approval")
    assert_proportional(sizes, {ids[k]: s for k, s in APPROVAL_SHARE.items()})
    check_results(amira, wall, "approval")

    # ---- score, the average with how many scored -------------------------------------------
    run_round(
        fac,
        crowd,
        vote_round("score", "How well does each say who we are?"),
        [{"scores": keyed(b)} for b in SCORES],
    )
    expect(amira.locator(f"{TOP_BARS} .bar-value")).to_have_text(SCORE_TEXT, timeout=TIMEOUT)
    sizes = measure_bars(amira, "score")
    assert_proportional(
        sizes, {ids["A"]: 13 / 15, ids["B"]: 3 / 5, ids["C"]: 0, ids["D"]: 0, ids["E"]: 0}
    )
    check_results(amira, wall, "score")

    # ---- ranked: Schulze and Borda orders, the runoff table ---------------------------------
    run_round(
        fac,
        crowd,
        vote_round("ranked", "Put them in your order"),
        [{"ranking": [ids[k] for k in b]} for b in RANKINGS],
    )

    def section(page: Page, heading: str):
        return page.locator("#results section").filter(
            has=page.get_by_role("heading", name=heading, exact=True)
        )

    expect(section(amira, "Schulze").locator("li .result-name")).to_have_text(
        [short(WORDINGS["ABCDE".index(k)]) for k in SCHULZE], timeout=TIMEOUT
    )
    expect(section(amira, "Schulze").locator("li.winner .result-name")).to_have_text(
        short(WORDINGS[1])
    )
    expect(section(amira, "Schulze")).to_contain_text("compared head to head")
    borda = section(amira, "Borda count").locator("li")
    expect(borda.locator(".result-name")).to_have_text(
        [short(WORDINGS["ABCDE".index(k)]) for k, _ in BORDA]
    )
    expect(borda.locator(".result-number")).to_have_text([points for _, points in BORDA])
    expect(amira.locator("#results .result-agreement")).to_have_text(
        "All three counts pick the same winner."
    )
    runoff = section(amira, "Instant runoff").locator("table.runoff")
    expect(runoff.locator("thead th")).to_have_text(
        ["Proposal", "Count 1", "Count 2", "Count 3", "Count 4"]
    )
    body_rows = runoff.locator("tbody tr")
    expect(body_rows).to_have_count(6)
    for index, letter in enumerate("BACDE"):
        tr = body_rows.nth(index)
        expect(tr.locator("th .result-name")).to_have_text(short(WORDINGS["ABCDE".index(letter)]))
        expect(tr.locator("td")).to_have_text(RUNOFF_ROWS[letter])
    expect(body_rows.nth(0)).to_have_class(re.compile(r"\bwinner\b"))
    expect(body_rows.nth(5).locator("th")).to_have_text("Exhausted ballots")
    expect(body_rows.nth(5).locator("td")).to_have_text(EXHAUSTED)
    expect(section(amira, "Instant runoff")).to_contain_text(
        "2 ballots were exhausted by the last count"
    )
    check_results(amira, wall, "ranked")
    # On a phone the table is one block per proposal, each count named.
    amira.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    cell = body_rows.nth(4).locator("td").first
    assert cell.evaluate("td => getComputedStyle(td).display") == "block"
    assert "Count 1" in cell.evaluate("td => getComputedStyle(td, '::before').content")
    amira.set_viewport_size({"width": LAPTOP[0], "height": LAPTOP[1]})

    # ---- consent on proposals ---------------------------------------------------------------
    def consent(answers: dict) -> dict:
        out = {}
        for letter, answer in answers.items():
            choice, reason = answer if isinstance(answer, tuple) else (answer, "")
            out[str(ids[letter])] = {"choice": choice, "reason": reason}
        return {"consent": out}

    run_round(
        fac,
        crowd,
        vote_round("consent", "Can we live with these?"),
        [consent(a) for a in CONSENT],
    )
    items = amira.locator("#results > .consent-results > li")
    expect(items).to_have_count(5, timeout=TIMEOUT)
    assert [
        letter_of[int(i)] for i in items.evaluate_all("l => l.map(x => x.dataset.proposalId)")
    ] == (CONSENT_ORDER)
    for letter, status in CONSENT_STATUS.items():
        item = row(amira, ".consent-results > li", ids[letter])
        expect(item.locator(".result-tag")).to_have_text(status)
    for letter in "CE":
        item = row(amira, ".consent-results > li", ids[letter])
        expect(item).not_to_contain_text("Object")
        expect(item).not_to_contain_text("Not consented")
    expect(row(amira, ".consent-results > li", ids["A"]).locator(".consent-count")).to_have_text(
        ["Agree: 3", "Can live with it: 1", "Object: 0"]
    )
    expect(
        row(amira, ".consent-results > li", ids["B"]).locator(".consent-objections li")
    ).to_have_text(["Too vague to act on"])
    check_results(amira, wall, "consent")

    # ---- values: a column not mapped yet, and two levels hidden ------------------------------
    def picks(n: int) -> dict:
        level = CROWD_LEVELS[n]
        chosen = [{"value": "integrity", "maps_to": values["Integrity"], "lived": 4}]
        if level in ("Frontline", "Specialist"):
            chosen.append({"value": "balance", "maps_to": "none", "lived": 2})
        elif level == "Manager":
            chosen.append({"value": "growth", "maps_to": None, "lived": 3})
        else:
            chosen.append({"custom": "Plain language", "maps_to": None, "lived": 3})
        return {"picks": chosen, "current": [], "desired": []}

    run_round(
        fac,
        crowd,
        {"kind": "values", "prompt": "What do you value most in your work?"},
        [picks(n) for n in range(len(crowd))],
    )
    grid = amira.locator("#results table.values-grid")
    expect(grid.locator("thead th")).to_have_text(
        ["Personal value", *ORG_VALUES, "Not represented here", "Not mapped yet", "Total"],
        timeout=TIMEOUT,
    )
    expect(grid.locator("tbody th")).to_have_text(
        ["Integrity", "Balance", "Growth", "Plain language"]
    )
    expect(grid.locator("tbody td[data-column=unmapped]")).to_have_text(["0", "0", "7", "1"])
    expect(grid.locator("tbody td[data-column=none]")).to_have_text(["0", "11", "0", "0"])
    expect(amira.locator("#results .unmapped-note")).to_contain_text("Not mapped yet")
    expect(amira.locator("#results .alignment-figure")).to_have_text("Alignment: 63%")
    expect(amira.locator("#results .values-results > ul.meta li")).to_have_text(
        [
            "Frontline: hidden to protect groups of fewer than 5 people.",
            "Manager: 100%",
            "Specialist: 50%",
            "Team lead: hidden to protect groups of fewer than 5 people.",
        ]
    )
    shared = amira.locator("#results section.shared-levels")
    expect(shared.locator("li")).to_have_text(["Integrity"])
    expect(shared.locator(".result-hidden")).to_have_text(HIDDEN_LEVELS)
    expect(shared).not_to_contain_text("None yet")
    check_results(amira, wall, "values")

    # ---- vocabulary -------------------------------------------------------------------------
    votes = [
        {"care": "include", "patients": "include", "synergy": "exclude"},
        {"care": "include", "together": "include", "synergy": "exclude"},
        {"because everyone deserves dignity": "include", "synergy": "include"},
    ]
    run_round(
        fac,
        crowd,
        {"kind": "vocabulary", "prompt": "Which words belong in our mission?", "words": WORDS},
        [{"votes": v} for v in votes],
    )
    words = amira.locator("#results .word-results > li")
    expect(words).to_have_count(5, timeout=TIMEOUT)
    expect(amira.locator("#results .word-vetoed .result-name")).to_have_text(["synergy"])
    check_results(amira, wall, "vocabulary")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "results-bars.json").write_text(json.dumps(measured, indent=1))
    assert new_person.page_errors == [], new_person.page_errors
