"""Two facilitators and one round: an Edit form opened before a co-facilitator's change saves
only what this facilitator changed (the colleague's change stays), and a round removed by a
colleague while it is being edited leaves what was typed in the form, with a word of why."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .helpers import TIMEOUT, staff_command
from .layout import check_screen
from .test_console import a_new_workshop_on_a_laptop

pytestmark = pytest.mark.browser


def editing_a_round(live_server, new_person) -> tuple[Page, int, int]:
    """Fran's console with the Edit form open on one round of two: her page, the workshop's
    id and the round's id."""
    fran, workshop_id, _link = a_new_workshop_on_a_laptop(live_server, new_person)
    for prompt in ("Who do we serve?", "Which wording says it best?"):
        staff_command(
            fran, workshop_id, "round.add", {"kind": "vote", "prompt": prompt, "minutes": 10}
        )
    item = fran.locator("#agenda li").filter(has_text="Which wording says it best?")
    item.get_by_role("button", name="Edit").click()
    form = fran.locator("#add-round-form")
    expect(form.get_by_role("button", name="Save the round")).to_be_visible()
    rounds = staff_command(fran, workshop_id, "state.sync")["snapshot"]["rounds"]
    return fran, workshop_id, rounds[1]["id"]


def the_round(fran: Page, workshop_id: int, round_id: int) -> dict:
    rounds = staff_command(fran, workshop_id, "state.sync")["snapshot"]["rounds"]
    return next(r for r in rounds if r["id"] == round_id)


def test_saving_a_stale_edit_form_keeps_what_a_colleague_changed_meanwhile(live_server, new_person):
    fran, workshop_id, round_id = editing_a_round(live_server, new_person)
    form = fran.locator("#add-round-form")
    # Sam renames the round, makes it approval voting and changes its timer, while Fran's
    # form still shows the old settings...
    staff_command(
        fran,
        workshop_id,
        "round.update",
        {"round_id": round_id, "prompt": "Renamed by Sam", "method": "approval", "minutes": 3},
    )
    expect(fran.locator("#agenda li").filter(has_text="Renamed by Sam")).to_have_count(
        1, timeout=TIMEOUT
    )
    # ...and Fran changes the timer too, and the clause, and saves.
    form.get_by_label("Minutes (0 for no timer)").fill("7")
    form.get_by_label("Clause of the mission").fill("Who we serve")
    form.get_by_role("button", name="Save the round").click()
    expect(form.get_by_role("button", name="Add the round")).to_be_visible(timeout=TIMEOUT)
    after = the_round(fran, workshop_id, round_id)
    assert after["duration_seconds"] == 7 * 60  # both changed it: Fran's, the later, stands
    assert after["clause"] == "Who we serve"
    assert after["prompt"] == "Renamed by Sam", f"Sam's change was undone: {after['prompt']!r}"
    assert after["method"] == "approval", f"Sam's change was undone: {after['method']!r}"


def test_a_round_removed_while_being_edited_keeps_what_was_typed_for_a_new_round(
    live_server, new_person
):
    fran, workshop_id, round_id = editing_a_round(live_server, new_person)
    form = fran.locator("#add-round-form")
    typed = "Which of these wordings would you put on the wall?"
    form.get_by_label("Prompt", exact=True).fill(typed)
    form.get_by_label("Minutes (0 for no timer)").fill("12")
    staff_command(fran, workshop_id, "round.remove", {"round_id": round_id})
    expect(fran.locator("#agenda li.agenda-item")).to_have_count(1, timeout=TIMEOUT)
    expect(fran.locator("#round-form-error")).to_have_text(
        "Another facilitator removed this round; your settings are kept: "
        "add it as a new round, or clear the form."
    )
    expect(form.get_by_label("Prompt", exact=True)).to_have_value(typed)
    expect(form.get_by_label("Minutes (0 for no timer)")).to_have_value("12")
    expect(fran.locator("#round-form-title")).to_have_text("Add a round")
    check_screen(fran, "round-form-removed-while-editing")
    # Adding it makes a new round of what was typed; the form is then empty again.
    form.get_by_role("button", name="Add the round").click()
    expect(fran.locator("#agenda li.agenda-item")).to_have_count(2, timeout=TIMEOUT)
    expect(fran.locator("#agenda li.agenda-item").nth(1)).to_contain_text(typed)
    expect(form.get_by_label("Prompt", exact=True)).to_have_value("")
    expect(fran.locator("#round-form-error")).to_have_text("")
    expect(form.get_by_role("button", name="Clear the form")).to_be_hidden()


def test_clear_the_form_empties_a_form_whose_round_was_removed(live_server, new_person):
    fran, workshop_id, round_id = editing_a_round(live_server, new_person)
    form = fran.locator("#add-round-form")
    form.get_by_label("Prompt", exact=True).fill("Something else")
    staff_command(fran, workshop_id, "round.remove", {"round_id": round_id})
    expect(fran.locator("#round-form-error")).not_to_have_text("", timeout=TIMEOUT)
    form.get_by_role("button", name="Clear the form").click()
    expect(form.get_by_label("Prompt", exact=True)).to_have_value("")
    expect(fran.locator("#round-form-error")).to_have_text("")
    expect(form.get_by_role("button", name="Clear the form")).to_be_hidden()
    expect(fran.locator("#agenda li.agenda-item")).to_have_count(1)
