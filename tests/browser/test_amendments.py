"""Two participants amend the draft live; the facilitator accepts, locks and downloads the PDF.

An objection's reason and a rejection's note are asked for in a dialog of the page, never with
the browser's prompt(): Escape sends nothing, and the focus goes back where it came from.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    TIMEOUT,
    assert_not_reloaded,
    create_workshop,
    expect_focused,
    join,
    log_in_facilitator,
    mark_page,
    wait_until_live,
)
from .layout import check_screen

pytestmark = pytest.mark.browser

DRAFT = "We help every patient feel known.\n\nWe make care simple."
OBJECTION = "Patients come first"
NOTE = "Simple is the promise we keep"


def refuse_browser_dialogs(pages: list[Page]) -> list[str]:
    """Record (and dismiss) every prompt(), confirm() or alert() on these pages."""
    opened: list[str] = []

    def refuse(dialog) -> None:
        opened.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    for page in pages:
        page.on("dialog", refuse)
    return opened


def commands_sent(page: Page, command: str) -> list[str]:
    """Record every ``command`` the page sends (long-polling or WebSocket)."""
    sent: list[str] = []

    def note(payload) -> None:
        if isinstance(payload, str) and f'"{command}"' in payload:
            sent.append(payload)

    page.on("websocket", lambda ws: ws.on("framesent", note))
    page.on("request", lambda request: note(request.post_data))
    return sent


def suggest(page: Page, words: str, replacement: str) -> None:
    """Select ``words`` in the latest version and suggest ``replacement`` for them."""
    if page.locator("details.amend-tools").get_attribute("open") is None:
        page.get_by_text("Suggest a change", exact=True).click()
    page.evaluate(
        """(words) => { const t = document.querySelector('#amend-source');
                        const i = t.value.indexOf(words); t.focus();
                        t.setSelectionRange(i, i + words.length);
                        t.dispatchEvent(new Event('select')); }""",
        words,
    )
    expect(page.locator("#amend-selected")).to_contain_text(words)
    page.get_by_label("Your wording for them").fill(replacement)
    page.get_by_role("button", name="Suggest this change").click()
    expect(page.get_by_label("Your wording for them")).to_have_value("", timeout=TIMEOUT)


def test_participants_amend_the_draft_and_the_facilitator_accepts_and_locks(
    live_server, new_person
):
    fac = new_person("Fran")
    rejections = commands_sent(fac, "amendment.reject")
    log_in_facilitator(fac, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fac, "Amend together", "Harbour Health", "Care")
    join_link = fac.locator("#join-link").get_attribute("href")
    fac.goto(f"/workshops/{workshop_id}/document")
    fac.get_by_label("Mission text (Markdown)").fill(DRAFT)
    fac.get_by_role("button", name="Save as a new version").click()
    fac.goto(f"/workshops/{workshop_id}")
    wait_until_live(fac)
    fac.locator('[data-set-phase="draft"]').click()

    amira, joost = new_person("Amira"), new_person("Joost")
    joost_votes = commands_sent(joost, "amendment.vote")
    browser_dialogs = refuse_browser_dialogs([fac, amira, joost])
    join(amira, join_link, "Amira", "Frontline")
    join(joost, join_link, "Joost", "Team lead")
    for page in (fac, amira, joost):
        mark_page(page)
        expect(page.locator("#document")).to_contain_text(
            "every patient feel known", timeout=TIMEOUT
        )

    # Amira selects "patient" in the draft and suggests "person".
    suggest(amira, "patient", "person")

    # Everyone sees the inline difference live; Joost objects, with a reason.
    for page in (fac, joost):
        expect(page.locator("#amendments del")).to_have_text("removed: patient", timeout=TIMEOUT)
        expect(page.locator("#amendments ins")).to_have_text("added: person", timeout=TIMEOUT)
    object_button = joost.locator("#amendments").get_by_role("button", name="Object")
    object_button.click()
    objecting = joost.get_by_role("dialog", name="Object to this change")
    expect(objecting).to_be_visible()
    expect(objecting.locator("del")).to_have_text("removed: patient")
    expect(objecting.locator("ins")).to_have_text("added: person")
    reason = objecting.get_by_label("What is your objection? (needed)")
    expect_focused(reason)
    # Escape sends nothing; the focus is back on Object.
    reason.fill("Changed my mind")
    joost.keyboard.press("Escape")
    expect(objecting).to_be_hidden()
    expect_focused(object_button)
    expect(object_button).to_have_attribute("aria-pressed", "false")
    # An objection needs its reason: an empty one is refused in the dialog, which stays open.
    object_button.press("Enter")
    expect_focused(reason)
    expect(reason).to_have_value("")
    objecting.get_by_role("button", name="Send my objection").click()
    expect(objecting.get_by_role("alert")).to_have_text(
        "An objection needs a reason, so the group can address it."
    )
    expect(objecting).to_be_visible()
    expect_focused(reason)
    reason.fill(OBJECTION)
    check_screen(joost, "amendment-object-dialog", task="#object-dialog")
    objecting.get_by_role("button", name="Send my objection").click()
    expect(objecting).to_be_hidden(timeout=TIMEOUT)
    expect_focused(object_button)
    expect(object_button).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT)
    # The reason is everyone's to read (without who gave it); Escape and the refusal sent nothing.
    for page in (fac, amira, joost):
        expect(page.locator("#amendments")).to_contain_text("1 object", timeout=TIMEOUT)
        expect(page.locator("#amendments")).to_contain_text(OBJECTION, timeout=TIMEOUT)
    assert len(joost_votes) == 1 and OBJECTION in joost_votes[0], joost_votes

    # Amira suggests another change, which the facilitator rejects with a note. Escape first:
    # nothing is sent, and the focus is back on Reject.
    suggest(amira, "simple", "easy")
    easy = fac.locator("#amendments li.amendment").filter(has_text="added: easy")
    reject_button = easy.get_by_role("button", name="Reject")
    reject_button.click(timeout=TIMEOUT)
    rejecting = fac.get_by_role("dialog", name="Reject this change")
    expect(rejecting).to_be_visible()
    expect(rejecting.locator("del")).to_contain_text("removed: simple")
    note = rejecting.get_by_label("Why not? (everyone sees this)")
    expect_focused(note)
    note.fill("Not now")
    fac.keyboard.press("Escape")
    expect(rejecting).to_be_hidden()
    expect_focused(reject_button)
    reject_button.press("Enter")
    expect_focused(note)
    expect(note).to_have_value("")
    rejecting.get_by_role("button", name="Cancel").click()
    expect(rejecting).to_be_hidden()
    expect_focused(reject_button)
    expect(easy).to_have_class(re.compile(r"\bstatus-open\b"))
    reject_button.click()
    note.fill(NOTE)
    check_screen(fac, "amendment-reject-dialog", task="#reject-dialog")
    rejecting.get_by_role("button", name="Reject the change").click()
    expect(rejecting).to_be_hidden(timeout=TIMEOUT)
    # Its Reject button is gone with the decision: the focus goes to the card itself.
    expect_focused(easy)
    for page in (fac, amira, joost):
        card = page.locator("#amendments li.amendment").filter(has_text="added: easy")
        expect(card).to_have_class(re.compile(r"\bstatus-rejected\b"), timeout=TIMEOUT)
        expect(card).to_contain_text(NOTE, timeout=TIMEOUT)
    assert len(rejections) == 1 and NOTE in rejections[0], rejections

    # The facilitator accepts: a new version, on every screen, without reloads.
    fac.locator("#amendments").get_by_role("button", name="Accept").click()
    for page in (fac, amira, joost):
        expect(page.locator("#document")).to_contain_text(
            "every person feel known", timeout=TIMEOUT
        )
        expect(page.locator("#document")).to_contain_text("Version 2", timeout=TIMEOUT)
        expect(page.locator("#amendments")).to_contain_text("accepted", timeout=TIMEOUT)
        assert_not_reloaded(page)

    # Locking as final is shown live; the PDF download is a real PDF.
    # Nobody has answered the accepted words yet, so the lock is refused and says why; once
    # Amira agrees with every clause it goes through.
    fac.goto(f"/workshops/{workshop_id}/document/versions/2")
    fac.get_by_role("button", name="Lock as the final mission").click()
    expect(fac.get_by_role("alert")).to_contain_text("not ready to lock")
    expect(fac.get_by_role("alert")).to_contain_text("current answers needed")
    clauses = amira.locator("#document article.clause")
    for index in range(clauses.count()):
        agree = clauses.nth(index).get_by_role("button", name="Agree", exact=True)
        agree.click()
        expect(agree).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT)
    fac.get_by_role("button", name="Lock as the final mission").click()
    expect(fac.locator(".final-badge")).to_be_visible()
    expect(amira.locator("#document .final-badge")).to_be_visible(timeout=TIMEOUT)
    pdf = fac.request.get(f"/workshops/{workshop_id}/document/versions/2/export.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    assert not new_person.page_errors, new_person.page_errors
    assert browser_dialogs == [], browser_dialogs
