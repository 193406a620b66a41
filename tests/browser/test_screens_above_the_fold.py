"""The task of the moment on the first screen, whole and readable, at a phone, a laptop and a
projector size: the screens an audit found wanting (a sign-off form 3,700 px down, a wording
duel far down the draft, wordings cut to a few letters on the wall, words split in table
cells, a Join button below the fold, an error summary that did not say which field)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from . import helpers
from .helpers import create_workshop, expect_focused, log_in, photograph
from .layout import check_screen

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


LONG_TITLE = (
    "Harbour Health and Community Care Cooperative: our shared mission for the next ten "
    "years of care, for every town"
)[:120].ljust(120, ".")


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


def test_join_is_on_the_first_screen_under_a_long_workshop_title(live_server, new_person):
    """A 120-character workshop title: the Join button, and after an empty submit the first
    error too, show without scrolling on a phone and a laptop."""
    visitor = new_person("Visitor")
    visitor.goto(_join_link(live_server, new_person, LONG_TITLE))
    expect(visitor.get_by_role("heading", name=LONG_TITLE)).to_be_visible()
    join = "button:has-text('Join')"
    check_screen(visitor, "join-long-title", task=join)
    visitor.get_by_role("button", name="Join", exact=True).click()
    expect(visitor.locator(".error-summary")).to_be_visible()
    check_screen(visitor, "join-long-title-refused", task=join)
    check_screen(visitor, "join-long-title-refused-error", task=".error-summary")
