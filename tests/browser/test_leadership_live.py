"""End to end: leadership follows a live workshop and sees whether every level is in the
mission while it is written.

Fran runs the workshop (over her socket, as the console does); six frontline staff, five
managers and a specialist take part over plain sockets (test_client_state's ``Person``). Lena,
from leadership, follows in her browser: the console's "Is every level in it?" list, and the
page of who took part. A manager's wording wins the first clause, so the draft holds no
frontline words and both of Lena's screens say so; a frontline proposal wins the next clause,
and the notice goes. Then Lena downloads the sign-off pack of that version from its page and
the ZIP holds every file it promises.

The console's notices are read from the server every 20 seconds and whenever the page comes
back into view (static/js/notices.js); the test brings Lena's console tab back into view the
way the browser says so, with a ``visibilitychange`` event, rather than waiting 20 seconds.
"""

from __future__ import annotations

import json
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    TIMEOUT,
    add_staff,
    assert_not_reloaded,
    create_workshop,
    log_in,
    mark_page,
    wait_until_live,
)
from .layout import check_screen
from .test_client_state import Person

pytestmark = pytest.mark.browser

NO_FRONTLINE_WORDS = "No words from Frontline in the current draft."
MANAGERS_WORDING = "We deliver reliable care on time and on budget."
FRONTLINE_LOSES = "We listen to every patient before we act."
FRONTLINE_WINS = "Patients and the colleagues who care for them at the bedside."


def comes_back_into_view(page: Page) -> None:
    """The person returns to the tab: the browser tells the page its visibility changed."""
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")


def propose_and_choose(
    fac: Person, clause: str, proposals: list[tuple[Person, str]], voters: list[Person]
) -> int:
    """A propose round and a vote round on ``clause``; each voter gives the first wording
    all of their dots (so it wins), and Fran puts the winner into the clause of the draft.
    Returns the number of the draft version that holds it."""
    propose = fac.call("round.add", {"kind": "propose", "prompt": clause, "clause": clause})
    fac.call("round.start", {"round_id": propose["round_id"]})
    ids = [
        author.call("proposal.submit", {"body": wording, "op_id": uuid.uuid4().hex})["proposal_id"]
        for author, wording in proposals
    ]
    vote = fac.call(
        "round.add",
        {
            "kind": "vote",
            "prompt": f"Which wording for {clause}?",
            "clause": clause,
            "source_round_id": propose["round_id"],
            "blind": False,
        },
    )
    fac.call("round.start", {"round_id": vote["round_id"]})
    for voter in voters:
        voter.call("vote.set", {"proposal_id": ids[0], "dots": 3})
    fac.call("round.end", {"round_id": vote["round_id"]})
    return fac.call("round.place_winners", {"round_id": vote["round_id"]})["number"]


def test_leadership_sees_frontline_words_missing_from_the_draft_and_then_in_it(
    live_server, new_person, people
) -> None:
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, "Every level in it", "Harbour Health", "Care")
    join_link = fran.locator("#join-link").get_attribute("href")
    assert join_link is not None
    add_staff(fran, live_server.leadership_email, "leadership")
    fac = Person.logged_in(
        live_server.url, live_server.facilitator_email, live_server.facilitator_password
    )
    people.append(fac.connect(workshop_id))

    def joined(name: str, level: str) -> Person:
        return Person.joined(live_server.url, join_link, name, level).connect(workshop_id)

    # Sam is the only specialist: pooled with the managers, never shown alone.
    crowd = [(f"Frontline {n}", "Frontline") for n in range(1, 7)]
    crowd += [(f"Manager {n}", "Manager") for n in range(1, 6)] + [("Sam", "Specialist")]
    with ThreadPoolExecutor(max_workers=4) as pool:  # they come in at once, as in a room
        everyone = list(pool.map(lambda person: joined(*person), crowd))
    people.extend(everyone)
    frontline, managers = everyone[:6], everyone[6:11]

    # Lena follows from the console; the list says what to notice before any draft exists.
    lena = new_person("Lena")
    log_in(lena, live_server.leadership_email, live_server.leadership_password)
    lena.goto(f"/workshops/{workshop_id}")
    wait_until_live(lena)
    mark_page(lena)
    notices = lena.locator("#representation-notices li")
    expect(notices.filter(has_text="No one from Executive has joined.")).to_have_count(1)
    expect(notices.filter(has_text="Frontline has not proposed anything yet.")).to_have_count(1)
    expect(notices.filter(has_text=NO_FRONTLINE_WORDS)).to_have_count(0)  # no draft yet

    # Purpose: the managers' wording wins over the frontline one; the draft starts with it.
    propose_and_choose(
        fac,
        "Purpose",
        [(managers[0], MANAGERS_WORDING), (frontline[0], FRONTLINE_LOSES)],
        managers,
    )
    expect(lena.locator("#document")).to_contain_text(MANAGERS_WORDING, timeout=TIMEOUT)
    comes_back_into_view(lena)
    expect(notices.filter(has_text=NO_FRONTLINE_WORDS)).to_have_count(1, timeout=TIMEOUT)
    expect(notices.filter(has_text="Frontline has not proposed")).to_have_count(0)
    assert_not_reloaded(lena)
    # Leadership follows the room: whether every level is in it comes right after the round,
    # on the first screen at every size.
    check_screen(lena, "leadership-live-console", task="#representation-notices li")

    # The page of who took part says the same, with the frontline's share of the draft at 0%.
    who = lena.context.new_page()
    who.goto(f"/workshops/{workshop_id}/participants")
    flags = who.locator(".flags li")
    expect(flags.filter(has_text=NO_FRONTLINE_WORDS)).to_have_count(1)
    frontline_row = (
        who.locator("table.representation")
        .first.locator("tbody tr")
        .filter(has=who.get_by_role("rowheader", name="Frontline", exact=True))
    )
    expect(frontline_row.locator("td").nth(3)).to_have_text("0%")
    check_screen(who, "leadership-live-participants", task="#flags-title")

    # Who we serve: a frontline proposal wins and enters the draft; the notice goes, on both.
    number = propose_and_choose(
        fac,
        "Who we serve",
        [(frontline[1], FRONTLINE_WINS), (managers[1], "Our shareholders and our clients.")],
        frontline,
    )
    expect(lena.locator("#document")).to_contain_text(FRONTLINE_WINS, timeout=TIMEOUT)
    lena.bring_to_front()
    comes_back_into_view(lena)
    expect(notices.filter(has_text=NO_FRONTLINE_WORDS)).to_have_count(0, timeout=TIMEOUT)
    expect(notices.filter(has_text="No one from Executive has joined.")).to_have_count(1)
    assert_not_reloaded(lena)
    who.reload()
    expect(flags.filter(has_text=NO_FRONTLINE_WORDS)).to_have_count(0)
    expect(frontline_row.locator("td").nth(3)).not_to_have_text("0%")

    # The version page: Lena downloads the sign-off pack of the draft that holds both clauses.
    who.goto(f"/workshops/{workshop_id}/document/versions/{number}")
    expect(who.get_by_role("heading", level=1)).to_contain_text(str(number))
    with who.expect_download(timeout=30_000) as download:
        who.get_by_role("link", name="Download the sign-off pack (ZIP)").click()
        # Photographed while the server puts the pack together (the PDF takes a moment).
        check_screen(who, "leadership-live-version")
    assert download.value.suggested_filename == f"harbour-health-sign-off-pack-v{number}.zip"
    with zipfile.ZipFile(download.value.path()) as pack:
        names = set(pack.namelist())
        expected = {
            "README.md",
            f"mission-v{number}.pdf",
            f"mission-v{number}.docx",
            f"mission-v{number}.md",
            "changes-since-last-sign-off.md",
            "results-by-clause.md",
            "minority-objections.md",
            "representation.md",
            "values-appendix.md",
            "success-measures.md",
            "record/record.json",
        }
        assert expected <= names, sorted(expected - names)
        assert any(n.startswith("record/") and n.endswith(".csv") for n in names), names
        assert pack.read(f"mission-v{number}.pdf").startswith(b"%PDF")
        assert pack.read(f"mission-v{number}.docx").startswith(b"PK")  # a Word file is a ZIP
        mission = pack.read(f"mission-v{number}.md").decode()
        assert MANAGERS_WORDING in mission and FRONTLINE_WINS in mission, mission
        representation = pack.read("representation.md").decode()
        assert "| Frontline |" in representation, representation
        assert NO_FRONTLINE_WORDS not in representation, representation
        record = json.loads(pack.read("record/record.json"))
        assert record["workshop"]["title"] == "Every level in it", record["workshop"]
    assert new_person.page_errors == [], new_person.page_errors
