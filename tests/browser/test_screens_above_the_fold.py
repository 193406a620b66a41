"""The task of the moment on the first screen, whole and readable, at a phone, a laptop and a
projector size: the screens an audit found wanting (a sign-off form 3,700 px down, a wording
duel far down the draft, wordings cut to a few letters on the wall, words split in table
cells, a Join button below the fold, an error summary that did not say which field)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from . import helpers
from .helpers import log_in, photograph

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
