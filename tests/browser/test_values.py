"""End to end: a blind values round, from the agenda to the heatmap on every screen.

The facilitator adds a values round to the agenda and starts it; three
participants (three levels) each place two personal values against the
organisation's stated values, one of them in their own words, and one person
changes their values before the reveal. Nothing shows before the reveal; after
it, every screen shows the alignment figure and the heatmap picture, live,
with the counts worked out by hand below from the picks.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect

from .helpers import (
    RESULTS_HIDDEN,
    TIMEOUT,
    assert_not_reloaded,
    assert_results_hidden,
    create_workshop,
    join,
    log_in_facilitator,
    mark_page,
    voters,
    wait_until_live,
)

pytestmark = pytest.mark.browser

ORG_VALUES = ["Care", "Integrity", "Curiosity"]  # the organisation's stated values
NOT_REPRESENTED = "Not represented here"
NOT_MAPPED = "Not mapped yet"  # a new pick's place until the person says where it is found
VALUES_PROMPT = "What do you value most in your work?"
VALUES_SHARED = "Thanks, your values are in."
SUPPRESSED_SVG = "Fewer than 5 people: not shown."
SUPPRESSED_LEVEL = "hidden to protect groups of fewer than 5 people."
HEATMAP_ALT = "Heatmap: personal values against the organisation's stated values"
SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Pick:
    """One personal value: a catalogue key or own words, where it is found, how lived (1-5)."""

    name: str  # as every screen shows it
    maps_to: str | None  # an organisational value, or None for "Not represented here"
    lived: int
    key: str | None = None  # catalogue key; None for own words


INTEGRITY = Pick("Integrity", "Integrity", 4, key="integrity")
BALANCE = Pick("Balance", None, 2, key="balance")
GROWTH = Pick("Growth", "Curiosity", 2, key="growth")
PLAIN_LANGUAGE = Pick("Plain language", None, 3)  # own words
# Lena first shares these two, then changes her mind before the reveal.
LENA_FIRST = [
    Pick("Integrity", "Care", 5, key="integrity"),
    Pick("Growth", "Curiosity", 5, key="growth"),
]
LENA_LATEST = [
    Pick("Integrity", "Care", 3, key="integrity"),
    Pick("Balance", None, 1, key="balance"),
]

# What the room must see, worked out by hand from the latest picks only:
#   Amira: Integrity -> Integrity (4), Balance -> not represented
#   Joost: Growth -> Curiosity (2),     Plain language -> not represented
#   Lena:  Integrity -> Care (3),       Balance -> not represented
# 3 of the 6 picks are found in the stated values: 50 %. (Counting Lena's first
# submission instead would give 4 of 6 = 67 %, both of them 5 of 8 = 62 %.)
ALIGNMENT = "Alignment: 50%"
HEATMAP = {  # personal value -> organisational value (or not represented) -> people
    "Balance": {"Care": 0, "Integrity": 0, "Curiosity": 0, NOT_REPRESENTED: 2},
    "Integrity": {"Care": 1, "Integrity": 1, "Curiosity": 0, NOT_REPRESENTED: 0},
    "Growth": {"Care": 0, "Integrity": 0, "Curiosity": 1, NOT_REPRESENTED: 0},
    "Plain language": {"Care": 0, "Integrity": 0, "Curiosity": 0, NOT_REPRESENTED: 1},
}
# Most picked first, then by name.
HEATMAP_ROWS = ["Balance", "Integrity", "Growth", "Plain language"]
MOST_OFTEN_MISSING = ["Balance (2)", "Plain language (1)"]
# Average rating per stated value, lowest first (Lena's first ratings would make Care 5
# and Curiosity 3.5 from 2 people).
STATED_NOT_LIVED = ["Curiosity: 2 (1)", "Care: 3 (1)", "Integrity: 4 (1)"]
CULTURE_NOW = ["Efficiency (1)"]
CULTURE_WANTED = ["Care (1)"]

_IMAGE_LOADED = """([selector, fragment]) => {
  const img = document.querySelector(selector);
  return !!img && img.src.includes(fragment) && img.complete && img.naturalWidth > 0;
}"""


def agenda_item(page: Page, prompt: str) -> Locator:
    return page.locator("#agenda li").filter(has_text=prompt)


def add_values_round(fran: Page, prompt: str, minutes: int) -> None:
    """Fill in the console's "Add a round" form for a values round (blind, as by default)."""
    form = fran.locator("#add-round-form")
    if not form.is_visible():
        fran.locator("details.add-round > summary").click()
    expect(form).to_be_visible()
    form.locator("#round-kind-input").select_option("values")
    form.locator("#round-prompt-input").fill(prompt)
    form.locator("#round-minutes-input").fill(str(minutes))
    expect(form.locator("#round-blind-input")).to_be_checked()
    form.get_by_role("button", name="Add the round").click()
    expect(agenda_item(fran, prompt)).to_have_count(1, timeout=TIMEOUT)
    # The form resets once the server acknowledged the round.
    expect(form.locator("#round-prompt-input")).to_have_value("", timeout=TIMEOUT)
    expect(fran.locator("#console-error")).to_have_text("")


def picked(page: Page) -> Locator:
    return page.locator("#values-picked li")


def place(page: Page, index: int, pick: Pick) -> None:
    """Say where the picked value at ``index`` is found, and how much it is lived."""
    item = picked(page).nth(index)
    expect(item.locator("strong")).to_have_text(pick.name)
    page.locator(f"#pick-{index}-maps").select_option(label=pick.maps_to or NOT_REPRESENTED)
    page.locator(f"#pick-{index}-lived-{pick.lived}").check()


def add_pick(page: Page, pick: Pick) -> None:
    """Tick a catalogue value, or add one in my own words, and place it."""
    before = picked(page).count()
    if pick.key is not None:
        page.locator(f"#value-{pick.key}").check()
    else:
        page.get_by_label("Or in your own words").fill(pick.name)
        page.locator("#add-own-value").click()
        expect(page.locator("#own-value")).to_have_value("")
    expect(picked(page)).to_have_count(before + 1)
    place(page, before, pick)


def expect_placed(page: Page, picks: list[Pick]) -> None:
    """The form shows exactly these picks, placed as given."""
    expect(picked(page).locator("strong")).to_have_text([pick.name for pick in picks])
    for index, pick in enumerate(picks):
        select = page.locator(f"#pick-{index}-maps")
        expect(select.locator("option:checked")).to_have_text(pick.maps_to or NOT_REPRESENTED)
        expect(page.locator(f"#pick-{index}-lived-{pick.lived}")).to_be_checked()
    expect(page.locator("#values-count")).to_have_text(f"{len(picks)} of 5 values picked")


def share(page: Page) -> None:
    page.get_by_role("button", name="Share my values").click()
    expect(page.locator("#values-status")).to_contain_text(VALUES_SHARED, timeout=TIMEOUT)
    expect(page.locator("#values-error")).to_have_text("")


def results_section(page: Page, heading: str) -> Locator:
    return page.locator("#results section").filter(
        has=page.get_by_role("heading", name=heading, exact=True)
    )


def wait_for_heatmap(page: Page, fragment: str = "heatmap.svg") -> str:
    """Wait until the heatmap <img> (with ``fragment`` in its address) has loaded; its URL."""
    selector = "#results img.heatmap"
    page.wait_for_function(_IMAGE_LOADED, arg=[selector, fragment], timeout=TIMEOUT)
    return page.locator(selector).evaluate("img => img.src")


def fetch_heatmap(page: Page, url: str) -> tuple[str, ET.Element]:
    """The SVG at ``url``, fetched with this page's own session: its text and its tree."""
    response = page.request.get(url)
    assert response.ok, f"{url} answered {response.status} for {page.url}"
    assert response.headers["content-type"].startswith("image/svg+xml"), response.headers
    text = response.text()
    return text, ET.fromstring(text)


def svg_text(svg: ET.Element, tag: str) -> str:
    node = svg.find(f"{SVG}{tag}")
    assert node is not None, f"the heatmap has no <{tag}>"
    return node.text or ""


def drawn_counts(svg: ET.Element) -> dict[str, dict[str, int]]:
    """The grid as drawn: a count sits under its column's label, level with its row's label."""
    columns: dict[float, str] = {}  # x of the slanted column label -> name
    rows: dict[float, str] = {}  # baseline of the row label -> name
    cells: list[tuple[float, float, int]] = []
    for node in svg.iter(f"{SVG}text"):
        if transform := node.get("transform"):
            match = re.match(r"translate\(([\d.]+),", transform)
            assert match, transform
            columns[float(match[1])] = node.text or ""
        elif node.get("text-anchor") == "end":
            rows[float(node.get("y", "nan"))] = node.text or ""
        elif node.get("text-anchor") == "middle":
            cells.append((float(node.get("x", "nan")), float(node.get("y", "nan")), int(node.text)))
    grid = {row: dict.fromkeys(columns.values(), 0) for row in rows.values()}
    for x, y, count in cells:
        assert x in columns and y in rows, f"a count {count} at ({x}, {y}) is in no cell"
        grid[rows[y]][columns[x]] = count
    return grid


def heatmap_counts(desc: str) -> dict[str, dict[str, int]]:
    """The SVG's description ("Care: Care 1, Integrity 0; ...") as row -> column -> count."""
    grid = {}
    for row in desc.split("; "):
        name, _, cells = row.partition(": ")
        pairs = (cell.rsplit(" ", 1) for cell in cells.split(", "))
        grid[name] = {column: int(count) for column, count in pairs}
    return grid


def test_three_participants_complete_a_values_round_and_the_heatmap_appears_for_all(
    live_server, new_person
) -> None:
    # 1. The facilitator creates a workshop with three stated values and a values round.
    fran = new_person("Fran")
    log_in_facilitator(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(
        fran, "Values we live", "Gemeente Voorbeeld", "\n".join(ORG_VALUES)
    )
    join_link = fran.locator("#join-link").get_attribute("href")
    assert join_link is not None
    wait_until_live(fran)
    add_values_round(fran, VALUES_PROMPT, minutes=10)
    expect(agenda_item(fran, VALUES_PROMPT).locator(".agenda-kind")).to_have_text("Values · 10′")

    # 2. Amira waits in the room; the values form appears there live when the round starts.
    amira = new_person("Amira")
    assert join(amira, join_link, "Amira", "Frontline") == workshop_id
    mark_page(amira)
    mark_page(fran)
    expect(amira.locator("#values-form")).to_be_hidden()
    expect(amira.locator("#results-card")).to_be_hidden()

    agenda_item(fran, VALUES_PROMPT).get_by_role("button", name="Start").click()
    expect(fran.locator("#round-prompt")).to_have_text(VALUES_PROMPT, timeout=TIMEOUT)
    expect(fran.locator("#voter-count")).to_have_text(voters(0), timeout=TIMEOUT)
    reveal = fran.locator("#round-controls").get_by_role("button", name="Reveal results")
    expect(reveal).to_be_visible(timeout=TIMEOUT)
    expect(amira.locator("#round-prompt")).to_have_text(VALUES_PROMPT, timeout=TIMEOUT)
    expect(amira.get_by_role("heading", name="Your values at work")).to_be_visible(timeout=TIMEOUT)

    # Two more join once it runs, and land straight in the values form.
    joost = new_person("Joost")
    lena = new_person("Lena")
    assert join(joost, join_link, "Joost", "Team lead") == workshop_id
    assert join(lena, join_link, "Lena", "Specialist") == workshop_id
    participants = (amira, joost, lena)
    for page in participants:
        mark_page(page)
        expect(page.locator("#values-form")).to_be_visible(timeout=TIMEOUT)
        for key in ("integrity", "balance", "growth"):
            expect(page.locator(f"#value-{key}")).not_to_be_checked()
        expect(page.locator("#values-count")).to_have_text("0 of 5 values picked")
        expect(picked(page)).to_have_count(0)
        expect(page.locator("#values-status")).to_have_text("")
    expect(fran.locator("[data-presence-line]")).to_contain_text("3 joined", timeout=TIMEOUT)

    # 3. Amira: one value found in the stated values, one not; and the culture, optionally.
    add_pick(amira, INTEGRITY)
    # "In our stated values, this is…" offers exactly the stated values, or none; a new pick
    # starts as not mapped yet, which is not the same as "not represented here".
    expect(amira.locator("#pick-0-maps option")).to_have_text(
        [NOT_MAPPED, *ORG_VALUES, NOT_REPRESENTED]
    )
    amira.locator("#value-balance").check()
    expect(amira.locator("#pick-1-maps option:checked")).to_have_text(NOT_MAPPED)
    amira.locator("#value-balance").uncheck()
    expect(picked(amira)).to_have_count(1)
    add_pick(amira, BALANCE)
    amira.get_by_text("Optional: our culture now, and the culture we want").click()
    amira.locator("#current-efficiency").check()
    amira.locator("#desired-care").check()
    share(amira)
    expect(fran.locator("#voter-count")).to_have_text(voters(1), timeout=TIMEOUT)

    # 4. Lena shares, then changes her mind before the reveal: only the latest may count.
    for pick in LENA_FIRST:
        add_pick(lena, pick)
    share(lena)
    expect(fran.locator("#voter-count")).to_have_text(voters(2), timeout=TIMEOUT)
    lena.locator("#values-picked").get_by_role("button", name="Remove: Growth").click()
    expect(lena.locator("#value-growth")).not_to_be_checked()
    expect(picked(lena)).to_have_count(1)
    place(lena, 0, LENA_LATEST[0])  # Integrity is lived less than she first said
    add_pick(lena, LENA_LATEST[1])
    expect_placed(lena, LENA_LATEST)
    share(lena)

    # 5. Joost: a catalogue value and one in his own words.
    add_pick(joost, GROWTH)
    add_pick(joost, PLAIN_LANGUAGE)
    expect_placed(joost, [GROWTH, PLAIN_LANGUAGE])
    share(joost)

    # Three people, however often they shared.
    for page in (fran, *participants):
        expect(page.locator("#voter-count")).to_have_text(voters(3), timeout=TIMEOUT)
    expect_placed(amira, [INTEGRITY, BALANCE])
    expect_placed(lena, LENA_LATEST)

    # 6. Blind: before the reveal no screen shows a heatmap, a figure or any breakdown.
    for page in (fran, *participants):
        assert_results_hidden(page)
        expect(page.locator("img.heatmap")).to_have_count(0)
        expect(page.locator(".alignment-figure")).to_have_count(0)
        expect(page.locator("#live")).not_to_contain_text("Alignment:")
        expect(page.locator("#live")).not_to_contain_text("Most often not represented")
    for page in participants:
        expect(page.get_by_text(RESULTS_HIDDEN)).to_be_visible()
        expect(page.locator("#round-controls")).to_have_count(0)
        expect(page.get_by_role("button", name="Reveal results")).to_have_count(0)

    # 7. The reveal: the figure, the heatmap and the gaps arrive on every screen, live.
    reveal.click()
    expect(reveal).to_have_count(0, timeout=TIMEOUT)
    for page in (fran, *participants):
        expect(page.locator("#results .alignment-figure")).to_have_text(ALIGNMENT, timeout=TIMEOUT)
        heatmap = page.locator("#results img.heatmap")
        expect(heatmap).to_have_count(1)
        expect(heatmap).to_be_visible()
        expect(heatmap).to_have_attribute("alt", HEATMAP_ALT)
        url = wait_for_heatmap(page)
        assert f"/w/{workshop_id}/rounds/" in url, url
        text, svg = fetch_heatmap(page, url)
        title, desc = svg_text(svg, "title"), svg_text(svg, "desc")
        assert title == "Personal values and the organisation's values", title
        # What a screen reader hears, and what the eye sees, are the hand-counted grid.
        assert heatmap_counts(desc) == HEATMAP, desc
        assert [row.split(": ")[0] for row in desc.split("; ")] == HEATMAP_ROWS, desc
        assert drawn_counts(svg) == HEATMAP, text
        assert SUPPRESSED_SVG not in text

        # Each level has one person: no level's figure is shown.
        expect(page.locator("#results .values-results > ul.meta li")).to_have_text(
            [f"{level}: {SUPPRESSED_LEVEL}" for level in ("Frontline", "Specialist", "Team lead")]
        )
        expect(results_section(page, "Most often not represented").locator("li")).to_have_text(
            MOST_OFTEN_MISSING
        )
        stated = results_section(page, "Stated, not lived (average rating, lowest first)")
        expect(stated.locator("li")).to_have_text(STATED_NOT_LIVED)
        shared = results_section(page, "Shared across every level")
        # No level reaches 5 people: the section says so in words instead of "None".
        expect(shared).to_contain_text("3 levels are hidden to protect groups of fewer than 5")
        expect(shared).to_contain_text("Shown once at least two levels each have 5 or more people.")
        expect(shared).not_to_contain_text("None")
        now = results_section(page, "Values our organisation has now")
        expect(now.locator("li")).to_have_text(CULTURE_NOW)
        wanted = results_section(page, "Values our organisation should have")
        expect(wanted.locator("li")).to_have_text(CULTURE_WANTED)
        expect(page.locator("#results")).not_to_contain_text(RESULTS_HIDDEN)
        expect(page.locator("#voter-count")).to_have_text(voters(3))

    # 8. "Show for" one level: too few people, so the heatmap shows no counts for it.
    for page in (amira, fran):
        page.get_by_label("Show for").select_option(label="Frontline")
        url = wait_for_heatmap(page, "level=Frontline")
        text, svg = fetch_heatmap(page, url)
        assert svg_text(svg, "title").endswith("· Frontline"), text
        assert svg_text(svg, "desc") == SUPPRESSED_SVG, text
        assert SUPPRESSED_SVG in [node.text for node in svg.iter(f"{SVG}text")], text
        assert drawn_counts(svg) == {}, f"counts show for a group under 5:\n{text}"
        expect(page.locator("#results .alignment-figure")).to_have_text(ALIGNMENT)

    for page in (fran, *participants):
        assert_not_reloaded(page)
    assert new_person.page_errors == [], new_person.page_errors
