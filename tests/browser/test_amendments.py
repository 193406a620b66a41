"""Two participants amend the draft live; the facilitator accepts, locks and downloads the PDF."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import (
    TIMEOUT,
    assert_not_reloaded,
    create_workshop,
    join,
    log_in_facilitator,
    mark_page,
    wait_until_live,
)

pytestmark = pytest.mark.browser

DRAFT = "We help every patient feel known.\n\nWe make care simple."


def test_participants_amend_the_draft_and_the_facilitator_accepts_and_locks(
    live_server, new_person
):
    fac = new_person("Fran")
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
    join(amira, join_link, "Amira", "Frontline")
    join(joost, join_link, "Joost", "Team lead")
    for page in (fac, amira, joost):
        mark_page(page)
        expect(page.locator("#document")).to_contain_text(
            "every patient feel known", timeout=TIMEOUT
        )

    # Amira selects "patient" in the draft and suggests "person".
    amira.get_by_text("Suggest a change", exact=True).click()
    amira.evaluate(
        """() => { const t = document.querySelector('#amend-source');
                   const i = t.value.indexOf('patient'); t.focus();
                   t.setSelectionRange(i, i + 'patient'.length);
                   t.dispatchEvent(new Event('select')); }"""
    )
    expect(amira.locator("#amend-selected")).to_contain_text("patient")
    amira.get_by_label("Your wording for them").fill("person")
    amira.get_by_role("button", name="Suggest this change").click()

    # Everyone sees the inline difference live; Joost objects, with a reason.
    for page in (fac, joost):
        expect(page.locator("#amendments del")).to_have_text("removed: patient", timeout=TIMEOUT)
        expect(page.locator("#amendments ins")).to_have_text("added: person", timeout=TIMEOUT)
    joost.once("dialog", lambda dialog: dialog.accept("Patients come first"))
    joost.locator("#amendments").get_by_role("button", name="Object").click()
    expect(fac.locator("#amendments")).to_contain_text("1 object", timeout=TIMEOUT)
    expect(fac.locator("#amendments")).to_contain_text("Patients come first")
    expect(joost.locator("#amendments").get_by_role("button", name="Object")).to_have_attribute(
        "aria-pressed", "true", timeout=TIMEOUT
    )

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
