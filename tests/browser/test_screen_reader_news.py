"""What a screen-reader user hears: a value's own controls say which value they are for, the
results are announced when the facilitator reveals them, and a refused join form says what
is wrong and starts where the problem is."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import ballot_item, create_workshop, expect_focused, log_in, staff_command
from .layout import check_screen
from .test_keyboard_focus import a_room_voting, a_values_round

pytestmark = pytest.mark.browser

# What a screen reader says on reaching a control: its group's legend, its label and what
# describes it (its own aria-describedby and its fieldset's).
SAID = """(e) => {
  const group = e.closest('fieldset');
  const label = e.labels && e.labels[0] ? e.labels[0].textContent : '';
  const legend = e.type === 'radio' && group ? group.querySelector('legend').textContent : '';
  const own = e.getAttribute('aria-describedby') || '';
  const ids = `${own} ${group ? group.getAttribute('aria-describedby') || '' : ''}`;
  const described = ids.split(' ').filter(Boolean)
    .map((id) => (document.getElementById(id) || {}).textContent || '').join(' ');
  return [legend, label, described].join(' | ');
}"""


def test_each_picked_values_mapping_and_rating_name_the_value(live_server, new_person):
    amira = a_values_round(live_server, new_person)
    boxes = amira.locator("#values-catalogue input[type=checkbox]")
    for i in range(2):
        boxes.nth(i).check()
    picks = amira.locator("#values-picked > li")
    expect(picks).to_have_count(2)
    problems = []
    for pick in picks.all():
        name = pick.locator("strong").inner_text()
        for what, control in (
            ("'maps to' list", pick.get_by_role("combobox")),
            ("1-5 rating", pick.get_by_role("radio").first),
        ):
            said = control.evaluate(SAID)
            if name not in said:
                problems.append(f"the {what} of {name!r} is read as {said!r}")
    # Removing the first pick renumbers the other: its controls still name it.
    picks.first.get_by_role("button").click()
    expect(picks).to_have_count(1)
    name = picks.first.locator("strong").inner_text()
    if name not in (said := picks.first.get_by_role("combobox").evaluate(SAID)):
        problems.append(f"after a removal, the 'maps to' list of {name!r} is read as {said!r}")
    assert not problems, "\n".join(problems)


# Every text that a live region (or an alert) would read out, as it changes.
LISTEN = """() => {
  window.heard = [];
  const region = (node) => {
    for (let e = node.nodeType === 1 ? node : node.parentElement; e; e = e.parentElement) {
      const live = e.getAttribute('aria-live');
      if (live === 'off') return null;
      if (live === 'polite' || live === 'assertive') return e;
      if (['status', 'alert', 'log'].includes(e.getAttribute('role'))) return e;
    }
    return null;
  };
  new MutationObserver((changes) => {
    for (const change of changes) {
      const where = region(change.target);
      const text = where && !where.closest('[hidden]') ? where.textContent.trim() : '';
      if (text) window.heard.push(text);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def test_a_screen_reader_hears_once_that_the_results_are_revealed(live_server, new_person):
    fran, workshop_id, amira = a_room_voting(live_server, new_person, "dot")
    vote = next(
        r
        for r in staff_command(fran, workshop_id, "state.sync")["snapshot"]["rounds"]
        if r["kind"] == "vote"
    )
    ballot_item(amira, "We serve with care.").get_by_role("button", name="Add a dot").click()
    expect(amira.locator("#ballot-status")).to_contain_text("1 person has voted")
    staff_command(fran, workshop_id, "round.end", {"round_id": vote["id"]})
    expect(amira.locator("#vote-closed")).to_be_visible()
    amira.evaluate(LISTEN)
    staff_command(fran, workshop_id, "round.reveal", {"round_id": vote["id"]})
    expect(amira.locator("#results .bar-row").first).to_be_visible()
    amira.wait_for_timeout(1000)
    heard = amira.evaluate("() => window.heard")
    assert heard.count("The results are shown: Vote") == 1, heard
    # A later ballot's count is no news.
    staff_command(fran, workshop_id, "round.start", {"round_id": vote["id"]})
    expect(amira.get_by_role("button", name="Add a dot").first).to_be_enabled()
    ballot_item(amira, "We act with integrity.").get_by_role("button", name="Add a dot").click()
    expect(amira.locator("#ballot-status")).to_contain_text("1 person has voted")
    amira.wait_for_timeout(1000)
    heard = amira.evaluate("() => window.heard")
    assert heard.count("The results are shown: Vote") == 1, heard


def test_a_refused_join_form_says_what_is_wrong_and_starts_at_that_field(live_server, new_person):
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    create_workshop(fran, "Refusals", "Harbour Health", "Care")
    link = fran.locator("#join-link").get_attribute("href")
    visitor = new_person("Visitor")
    visitor.goto("/")
    code = visitor.get_by_role("textbox", name="Join code")
    code.fill("ABCD-2345")
    code.press("Enter")
    expect(visitor.locator(".field.has-error")).to_be_visible()
    error = visitor.locator("#code-error").inner_text()
    expect(visitor.get_by_role("alert")).to_have_text(f"Join code: {error}")  # which field
    expect_focused(visitor.get_by_role("textbox", name="Join code"))
    check_screen(visitor, "refused-join-code", task="form")
    visitor.goto(link)
    visitor.get_by_role("button", name="Join", exact=True).press("Enter")
    name = visitor.get_by_role("textbox", name="Your name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(visitor.get_by_role("alert")).to_contain_text(
        visitor.locator("#display_name-error").inner_text()
    )
    expect_focused(name)
    # The summary's link takes the person to the field.
    visitor.get_by_role("alert").get_by_role("link").first.click()
    expect(visitor).to_have_url(f"{visitor.url.split('#')[0]}#display_name")
    check_screen(visitor, "refused-join-name", task="form")
