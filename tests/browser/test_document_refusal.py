"""The facilitator ticks winning proposals to start the draft while a colleague saves a first
version: the start is refused, and the page comes back with the same proposals ticked and
the same note, saying why at the top, readable at every size."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import (
    TIMEOUT,
    create_workshop,
    join,
    log_in,
    send_proposal,
    staff_command,
    wait_until_live,
)
from .layout import check_screen

pytestmark = pytest.mark.browser

WORDINGS = (
    "We listen to every patient before we decide anything about their care.",
    "We keep our word to patients, families and each other, every single day.",
    "We share what we learn so the next person is cared for better than the last.",
)


def test_a_refused_start_from_proposals_keeps_what_was_ticked(live_server, new_person):
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, "Drafting", "Harbour Health", "Care")
    join_link = fran.locator("#join-link").get_attribute("href")
    wait_until_live(fran)
    staff_command(fran, workshop_id, "phase.set", {"phase": "propose"})
    amira = new_person("Amira")
    join(amira, join_link, "Amira", "Frontline")
    for wording in WORDINGS:
        send_proposal(amira, wording)

    document = f"/workshops/{workshop_id}/document"
    fran.goto(document)
    form = fran.locator("form", has=fran.get_by_role("button", name="Make these the next version"))
    fran.get_by_label(WORDINGS[0]).uncheck()
    fran.get_by_label(WORDINGS[1]).check()
    fran.get_by_label(WORDINGS[2]).check()
    form.get_by_label("Note (optional)").fill("The two the room liked best")

    # Meanwhile a colleague (the same login, another tab) writes a first version.
    colleague = fran.context.new_page()
    colleague.goto(document)
    colleague.get_by_label("Mission text (Markdown)").fill("## Purpose\n\nA colleague's words.")
    colleague.get_by_role("button", name="Save as a new version").click()
    expect(colleague.get_by_text("Saved as version 1.")).to_be_visible(timeout=TIMEOUT)
    colleague.close()

    form.get_by_role("button", name="Make these the next version").click()
    summary = fran.locator(".error-summary")
    expect(summary).to_contain_text("Version 1 was saved meanwhile", timeout=TIMEOUT)
    expect(fran.get_by_label(WORDINGS[0])).not_to_be_checked()
    expect(fran.get_by_label(WORDINGS[1])).to_be_checked()
    expect(fran.get_by_label(WORDINGS[2])).to_be_checked()
    expect(form.get_by_label("Note (optional)")).to_have_value("The two the room liked best")
    check_screen(fran, "draft-from-proposals-refused", task=".error-summary")

    # Back to the form, sent again on top of the colleague's version: it is the next one.
    summary.get_by_role("link").click()
    form.get_by_role("button", name="Make these the next version").click()
    expect(fran.get_by_text("Draft version 2 started from the chosen proposals.")).to_be_visible(
        timeout=TIMEOUT
    )
