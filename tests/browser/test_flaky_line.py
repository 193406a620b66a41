"""A phone on a flaky line (found by an audit): whatever the connection does, what the person
typed is never silently lost, an action is applied once or clearly reported as not applied, and
the screen never says something false (a counted vote refused, someone else's save).

The page's socket goes through a relay (Playwright's WebSocket routing) that can drop what the
server sends back, or cut the line and keep it cut (new WebSockets closed, long-polling requests
aborted) until the test restores it.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid

import pytest
from playwright.sync_api import Page, expect

from .helpers import TIMEOUT, ballot_item, join
from .layout import check_screen
from .test_client_state import Person, save_document, workshop_with_an_author

pytestmark = pytest.mark.browser


class Line:
    """The phone's connection to the server, which the test can break."""

    def __init__(self, page: Page):
        self.page = page
        self.offline = False
        self.drop_to_page = False  # answers and events from the server vanish
        self.pairs: list = []
        self.upgraded = False
        page.route_web_socket(re.compile(r"/socket\.io/"), self._ws)
        page.route(re.compile(r"/socket\.io/"), self._http)

    def _http(self, route) -> None:
        if self.offline:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    def _ws(self, ws) -> None:
        if self.offline:
            ws.close()
            return
        server = ws.connect_to_server()
        self.pairs.append((ws, server))

        def to_server(message) -> None:
            if message == "5":
                self.upgraded = True
            if not self.offline:
                server.send(message)

        def to_page(message) -> None:
            if self.drop_to_page or self.offline:
                return
            ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    def wait_upgraded(self) -> None:
        deadline = time.monotonic() + 10
        while not self.upgraded:
            assert time.monotonic() < deadline, "the page never moved to its WebSocket"
            self.page.wait_for_timeout(50)

    def cut(self) -> None:
        """The line goes dead and the page notices (the WebSocket closes)."""
        self.offline = True
        for ws, server in self.pairs:
            with contextlib.suppress(Exception):  # already closed by the other side
                ws.close(code=1000)
            with contextlib.suppress(Exception):
                server.close()
        self.pairs = []
        expect(self.page.locator("#live")).to_have_attribute(
            "data-connected", "no", timeout=TIMEOUT
        )

    def restore(self) -> None:
        self.offline = False
        self.drop_to_page = False
        expect(self.page.locator("#live")).to_have_attribute(
            "data-connected", "yes", timeout=20_000
        )


def op() -> str:
    return uuid.uuid4().hex


def phone(new_person, join_link: str, name: str = "Amira") -> tuple[Page, Line]:
    page = new_person(name)
    line = Line(page)
    join(page, join_link, name, "Frontline")
    line.wait_upgraded()
    return page, line


def truth(live_server, page: Page, workshop_id: int, people: list) -> dict:
    """What the server holds for this person (another tab with the same cookies)."""
    tab = Person.tab_of(live_server.url, page)
    people.append(tab.connect(workshop_id))
    return tab.call("state.sync")["snapshot"]


def vote_round(fac: Person, author: Person, method: str, wordings: list[str]):
    propose = fac.call("round.add", {"kind": "propose", "prompt": "Who?", "minutes": 30})
    vote = fac.call(
        "round.add", {"kind": "vote", "prompt": "Which?", "minutes": 30, "method": method}
    )
    fac.call("round.start", {"round_id": propose["round_id"]})
    ids = [
        author.call("proposal.submit", {"body": w, "op_id": op()})["proposal_id"] for w in wordings
    ]
    fac.call("round.start", {"round_id": vote["round_id"]})
    return vote["round_id"], ids


def test_an_objection_typed_on_a_dead_line_keeps_its_words_when_refused(
    live_server, new_person, people
):
    """She objected with a reason while the line was down, and the round ended before it came
    back: told it was refused, she found the reason box empty, her words gone."""
    workshop_id, join_link, fac, joost = workshop_with_an_author(
        live_server, new_person, people, "Consent"
    )
    round_id, ids = vote_round(fac, joost, "consent", ["We serve our town."])
    amira, line = phone(new_person, join_link)
    pid = ids[0]
    expect(amira.locator(f"#consent-{pid}-object")).to_be_visible(timeout=TIMEOUT)
    line.cut()
    reason = "Our town is more than patients; say who we serve."
    amira.locator(f"#consent-{pid}-object").check()
    amira.locator(f"#reason-{pid}").fill(reason)
    ballot_item(amira, "We serve our town.").get_by_role("button", name="Send").click()
    amira.wait_for_timeout(500)
    fac.call("round.end", {"round_id": round_id})
    line.restore()
    expect(amira.locator("#vote-error")).to_have_text(re.compile("not open"), timeout=TIMEOUT)
    expect(amira.locator(f"#reason-{pid}")).to_have_value(reason)
    check_screen(amira, "flaky-objection-kept", task="#vote-error")


def test_a_dot_that_counted_is_not_told_as_refused_after_the_round_ended(
    live_server, new_person, people
):
    """The dot reached the server, its answer did not, and the round ended before the line
    came back: the page showed the dot and "Voting is not open right now" under it."""
    workshop_id, join_link, fac, joost = workshop_with_an_author(
        live_server, new_person, people, "Dots"
    )
    round_id, ids = vote_round(fac, joost, "dot", ["We serve our town."])
    amira, line = phone(new_person, join_link)
    card = ballot_item(amira, "We serve our town.")
    expect(card.locator("[data-vote=plus]")).to_be_enabled(timeout=TIMEOUT)
    line.drop_to_page = True
    card.locator("[data-vote=plus]").click()
    amira.wait_for_timeout(800)
    line.cut()
    fac.call("round.end", {"round_id": round_id})
    line.restore()
    expect(card.locator("output.my-dots")).to_have_text("1", timeout=TIMEOUT)
    assert truth(live_server, amira, workshop_id, people)["me"]["ballot"] == {
        "dots": {str(ids[0]): 1}
    }
    amira.wait_for_timeout(1000)  # the resend's answer has come
    expect(amira.locator("#vote-error")).to_have_text("")


def test_three_taps_on_a_dead_line_are_three_dots(live_server, new_person, people):
    """Each tap sent "one dot here" (the confirmed count plus one): three taps on a dead line
    placed one dot, and nothing said so."""
    workshop_id, join_link, fac, joost = workshop_with_an_author(
        live_server, new_person, people, "Three dots"
    )
    _round_id, ids = vote_round(fac, joost, "dot", ["We serve our town."])
    amira, line = phone(new_person, join_link)
    card = ballot_item(amira, "We serve our town.")
    expect(card.locator("[data-vote=plus]")).to_be_enabled(timeout=TIMEOUT)
    line.cut()
    for shown in ("1", "2", "3"):
        card.locator("[data-vote=plus]").click()
        expect(card.locator("output.my-dots")).to_have_text(shown)  # at once
    line.restore()
    amira.wait_for_timeout(1500)
    mine = truth(live_server, amira, workshop_id, people)["me"]["ballot"]
    assert mine == {"dots": {str(ids[0]): 3}}, mine
    expect(card.locator("output.my-dots")).to_have_text("3")
    expect(amira.locator("#vote-error")).to_have_text("")


def test_values_that_counted_are_not_told_as_refused_after_the_round_ended(
    live_server, new_person, people
):
    """The values form sent no operation id: a resend after the round ended was refused, and
    the page said both "your values are in" and "Voting is not open right now"."""
    workshop_id, join_link, fac, _joost = workshop_with_an_author(
        live_server, new_person, people, "Values lost"
    )
    r = fac.call("round.add", {"kind": "values", "prompt": "Values", "minutes": 30})
    fac.call("round.start", {"round_id": r["round_id"]})
    amira, line = phone(new_person, join_link)
    expect(amira.locator("#value-integrity")).to_be_visible(timeout=TIMEOUT)
    amira.locator("#value-integrity").check()
    amira.locator("#pick-0-lived-4").check()
    line.drop_to_page = True
    amira.get_by_role("button", name="Share my values").click()
    amira.wait_for_timeout(800)
    line.cut()
    fac.call("round.end", {"round_id": r["round_id"]})
    line.restore()
    amira.wait_for_timeout(1500)
    assert truth(live_server, amira, workshop_id, people)["me"]["voted"]
    expect(amira.locator("#values-error")).to_have_text("")


PURPOSE = "We help every patient feel known. We listen first."
DRAFT = f"## Purpose\n\n{PURPOSE}\n\n## How we work\n\nWe make care simple for everyone."


def clause(page: Page, heading: str):
    return page.locator("#document article.clause").filter(
        has=page.get_by_role("heading", name=heading, exact=True)
    )


def test_my_own_save_whose_answer_was_lost_is_not_told_as_someone_elses(
    live_server, new_person, people
):
    """Her clause save landed, its answer did not: the editor then said "Someone saved this
    clause while you were editing", though nobody else had. It says her save is in."""
    workshop_id, join_link, fac, _joost = workshop_with_an_author(
        live_server, new_person, people, "Clause ack lost"
    )
    save_document(fac, workshop_id, DRAFT)
    r = fac.call("round.add", {"kind": "refine", "prompt": "Sharpen", "minutes": 0})
    fac.call("round.start", {"round_id": r["round_id"]})
    amira, line = phone(new_person, join_link)
    purpose = clause(amira, "Purpose")
    expect(purpose).to_contain_text("feel known", timeout=TIMEOUT)
    purpose.get_by_role("button", name="Edit this clause").click()
    purpose.get_by_label("Your text for “Purpose”").fill("We help every person feel known.")
    line.drop_to_page = True
    purpose.get_by_role("button", name="Save this clause").click()
    amira.wait_for_timeout(800)
    line.cut()
    line.restore()
    expect(purpose).to_contain_text("Saved. The draft is now version 2.", timeout=TIMEOUT)
    expect(purpose).not_to_contain_text("Someone saved this clause while you were editing")
    assert "every person" in truth(live_server, amira, workshop_id, people)["document"]["body_md"]


def test_a_proposal_whose_answer_was_lost_is_not_doubled(live_server, new_person, people):
    workshop_id, join_link, fac, _joost = workshop_with_an_author(
        live_server, new_person, people, "Lost ack"
    )
    r = fac.call("round.add", {"kind": "propose", "prompt": "Who?", "minutes": 30})
    fac.call("round.start", {"round_id": r["round_id"]})
    amira, line = phone(new_person, join_link)
    line.drop_to_page = True
    amira.locator("#proposal-body").fill("We serve our town.")
    amira.get_by_role("button", name="Send proposal").click()
    amira.wait_for_timeout(800)
    line.cut()
    fac.call("round.end", {"round_id": r["round_id"]})
    line.restore()
    expect(amira.locator("#proposal-body")).to_have_value("", timeout=TIMEOUT)
    assert len(truth(live_server, amira, workshop_id, people)["proposals"]) == 1
    expect(amira.locator("#proposals li.proposal")).to_have_count(1)
    expect(amira.locator("#proposal-error")).to_have_text("")


def test_taps_on_a_dead_line_stay_within_the_budget_and_can_be_taken_back(
    live_server, new_person, people
):
    """A tap only changed the count: a fourth tap showed 4 dots of a budget of 3, which the
    server would refuse, and "−" stayed disabled under a dot the screen showed (found by a
    review). The buttons and the dots left follow every tap."""
    workshop_id, join_link, fac, joost = workshop_with_an_author(
        live_server, new_person, people, "Dots budget"
    )
    _round_id, ids = vote_round(fac, joost, "dot", ["We serve our town."])  # a budget of 3
    amira, line = phone(new_person, join_link)
    card = ballot_item(amira, "We serve our town.")
    plus, minus = card.locator("[data-vote=plus]"), card.locator("[data-vote=minus]")
    expect(plus).to_be_enabled(timeout=TIMEOUT)
    line.cut()
    plus.click()
    expect(minus).to_be_enabled()
    plus.click()
    plus.click()
    expect(card.locator("output.my-dots")).to_have_text("3")
    expect(plus).to_be_disabled()
    minus.click()
    expect(card.locator("output.my-dots")).to_have_text("2")
    line.restore()
    expect(card.locator("output.my-dots")).to_have_text("2", timeout=TIMEOUT)
    amira.wait_for_timeout(1000)
    assert truth(live_server, amira, workshop_id, people)["me"]["ballot"]["dots"] == {
        str(ids[0]): 2
    }
