"""A keyboard or screen-reader user never loses their place: when the control they pressed is
disabled or goes away (the last dot spent, an item at the top of a ranking, a pick removed, an
agenda item started), the focus moves to a control next to it, not to <body>, where the next
Tab starts again from the top of the page. And the focus ring stands out from the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    ballot_item,
    create_workshop,
    expect_focused,
    fran_and_amira,
    log_in,
    send_proposal,
    staff_command,
    wait_until_live,
)
from .layout import check_screen

pytestmark = pytest.mark.browser

WORDINGS = ["We serve with care.", "We act with integrity.", "We listen first."]


def a_room_voting(live_server, new_person, method: str, **settings) -> tuple[Page, int, Page]:
    """Fran's console, the workshop's id, and Amira on the ballot of a vote on three
    wordings she proposed."""
    fran, workshop_id, amira = fran_and_amira(live_server, new_person, "Keyboard")
    for kind, prompt, more in (
        ("propose", "Propose", {}),
        ("vote", "Vote", {"method": method, "all_proposals": True, **settings}),
    ):
        round_id = staff_command(
            fran, workshop_id, "round.add", {"kind": kind, "prompt": prompt, "minutes": 10, **more}
        )["round_id"]
        staff_command(fran, workshop_id, "round.start", {"round_id": round_id})
        expect(amira.locator("#round-prompt")).to_have_text(prompt)
        if kind == "propose":
            for wording in WORDINGS:
                send_proposal(amira, wording)
    expect(amira.locator("#ballot li.proposal")).to_have_count(3)
    return fran, workshop_id, amira


def a_vote(live_server, new_person, method: str, **settings) -> Page:
    """Amira on the ballot of a vote on three wordings she proposed."""
    return a_room_voting(live_server, new_person, method, **settings)[2]


def rank(amira: Page, wordings: list[str]) -> None:
    for place, wording in enumerate(wordings, start=1):
        ballot_item(amira, wording).get_by_role("button", name="Add to my ranking").click()
        expect(ballot_item(amira, wording).locator(".tag-rank")).to_have_text(
            f"My ranking: {place}"
        )
        # The focus went from the button to the item's place in the ranking.
        expect_focused(ballot_item(amira, wording).locator(".tag-rank"))


def test_spending_the_last_dot_with_plus_leaves_the_focus_on_minus(live_server, new_person):
    amira = a_vote(live_server, new_person, "dot", dots_budget=2)
    card = ballot_item(amira, WORDINGS[0])
    card.get_by_role("button", name="Add a dot").focus()
    amira.keyboard.press("Enter")
    expect(card.locator(".my-dots")).to_have_text("1")
    expect_focused(card.get_by_role("button", name="Add a dot"))
    amira.keyboard.press("Enter")  # the last dot: "+" can do no more
    expect(card.locator(".my-dots")).to_have_text("2")
    expect(card.get_by_role("button", name="Add a dot")).to_be_disabled()
    expect_focused(card.get_by_role("button", name="Remove a dot"))
    amira.keyboard.press("Enter")  # and she can take it back at once
    expect(card.locator(".my-dots")).to_have_text("1")


def test_moving_an_item_to_either_end_of_my_ranking_keeps_the_focus_on_that_item(
    live_server, new_person
):
    amira = a_vote(live_server, new_person, "ranked")
    rank(amira, WORDINGS[:2])
    items = amira.locator("#my-ranking ol.ranking > li")
    up = amira.get_by_role("button", name=f"Move up: {WORDINGS[1]}")
    up.focus()
    amira.keyboard.press("Enter")  # now first: it cannot go up any more
    expect(items.first).to_contain_text(WORDINGS[1])
    expect_focused(amira.get_by_role("button", name=f"Move down: {WORDINGS[1]}"))
    amira.keyboard.press("Enter")  # and straight back down, where it cannot go further
    expect(items.first).to_contain_text(WORDINGS[0])
    expect_focused(amira.get_by_role("button", name=f"Move up: {WORDINGS[1]}"))


def test_removing_from_my_ranking_moves_the_focus_to_the_next_item_or_the_one_before(
    live_server, new_person
):
    amira = a_vote(live_server, new_person, "ranked")
    rank(amira, WORDINGS)
    items = amira.locator("#my-ranking ol.ranking > li")
    amira.get_by_role("button", name=f"Remove: {WORDINGS[1]}").focus()
    amira.keyboard.press("Enter")
    expect(items).to_have_count(2)
    expect_focused(amira.get_by_role("button", name=f"Remove: {WORDINGS[2]}"))
    amira.keyboard.press("Enter")  # the last item: the one before it takes the focus
    expect(items).to_have_count(1)
    expect_focused(amira.get_by_role("button", name=f"Remove: {WORDINGS[0]}"))
    expect(
        ballot_item(amira, WORDINGS[2]).get_by_role("button", name="Add to my ranking")
    ).to_be_visible()


def a_values_round(live_server, new_person) -> Page:
    fran, workshop_id, amira = fran_and_amira(live_server, new_person, "Values", "Care\nIntegrity")
    round_id = staff_command(
        fran, workshop_id, "round.add", {"kind": "values", "prompt": "Your values", "minutes": 10}
    )["round_id"]
    staff_command(fran, workshop_id, "round.start", {"round_id": round_id})
    expect(amira.locator("#values-catalogue input[type=checkbox]").first).to_be_visible()
    return amira


def test_removing_a_picked_value_moves_the_focus_to_the_next_pick_then_to_its_checkbox(
    live_server, new_person
):
    amira = a_values_round(live_server, new_person)
    boxes = amira.locator("#values-catalogue input[type=checkbox]")
    for i in range(2):
        boxes.nth(i).check()
    picks = amira.locator("#values-picked > li")
    expect(picks).to_have_count(2)
    second = picks.nth(1).locator("strong").inner_text()
    picks.first.get_by_role("button").focus()
    amira.keyboard.press("Enter")
    expect(picks).to_have_count(1)
    expect_focused(amira.get_by_role("button", name=f"Remove: {second}"))
    amira.keyboard.press("Enter")  # the last pick: back to where it was chosen
    expect(picks).to_have_count(0)
    expect_focused(boxes.nth(1))
    expect(boxes.nth(1)).not_to_be_checked()


def test_start_and_move_up_in_the_agenda_keep_the_facilitators_focus_on_that_item(
    live_server, new_person
):
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, "Agenda keys", "Harbour Health", "Care")
    wait_until_live(fran)
    for prompt in ("First round", "Second round"):
        staff_command(
            fran, workshop_id, "round.add", {"kind": "propose", "prompt": prompt, "minutes": 5}
        )
    items = fran.locator("#agenda li.agenda-item")
    expect(items).to_have_count(2)
    items.nth(1).get_by_role("button", name="Move up").focus()
    fran.keyboard.press("Enter")  # "Second round" goes first: it has no "Move up" any more
    expect(items.first).to_contain_text("Second round")
    expect_focused(items.first.get_by_role("button", name="Move down"))
    items.first.get_by_role("button", name="Start").focus()
    fran.keyboard.press("Enter")  # it is the current round now: its "Start" goes
    expect(fran.locator("#round-prompt")).to_have_text("Second round")
    expect_focused(items.first.get_by_role("button", name="Edit"))
    check_screen(fran, "keyboard-agenda-after-start")


# The contrast of a focused element's rings with what is around them (WCAG 1.4.11): each
# ring's colour against the background behind the element, the outline's against the
# inner ring, as {ring: ratio}.
RINGS = """(e) => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => [r, g, b]
    .map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (x, y) => { const [a, b] = [lum(rgb(x)), lum(rgb(y))].sort((m, n) => n - m);
    return Math.round(((a + 0.05) / (b + 0.05)) * 100) / 100; };
  const style = getComputedStyle(e);
  let back = e.parentElement;
  while (back && (rgb(getComputedStyle(back).backgroundColor)[3] === 0)) back = back.parentElement;
  const bg = back ? getComputedStyle(back).backgroundColor : 'rgb(255, 255, 255)';
  const shadow = style.boxShadow.match(/rgba?\\([^)]*\\)/);  // none: no inner ring
  const inner = shadow ? shadow[0] : null;
  return {outline: ratio(style.outlineColor, bg), inner: inner ? ratio(inner, bg) : 0,
          between: inner ? ratio(style.outlineColor, inner) : 0,
          shadow: style.boxShadow, background: bg};
}"""


def test_the_focus_ring_stands_out_on_a_white_card_and_on_the_page(live_server, new_person):
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    create_workshop(fran, "Focus ring", "Harbour Health", "Care")
    link = fran.locator("#join-link").get_attribute("href")
    visitor = new_person("Visitor")
    visitor.set_viewport_size({"width": 390, "height": 844})
    visitor.goto(link)
    name = visitor.get_by_label("Your name")
    join_button = visitor.get_by_role("button", name="Join", exact=True)
    problems = []
    for what, control in (("the name field", name), ("the Join button", join_button)):
        control.focus()
        visitor.keyboard.press("Shift+Tab")  # the keyboard's focus, which shows the ring
        visitor.keyboard.press("Tab")
        expect_focused(control)
        rings = control.evaluate(RINGS)
        if max(rings["outline"], rings["inner"]) < 3:
            problems.append(
                f"{what}: no ring of the focus indicator has 3:1 against its background: {rings}"
            )
        if rings["between"] < 3:
            problems.append(f"{what}: the outline and the inner ring do not stand apart: {rings}")
    name.focus()
    check_screen(visitor, "keyboard-focus-ring-join", task="form")
    assert not problems, "\n".join(problems)
