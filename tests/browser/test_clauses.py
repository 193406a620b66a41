"""The draft clause by clause, live: co-editing with merges and conflicts, consent per clause
that goes stale, amendments inside a clause, and wording duels; then the agreed text is locked
as final, and leadership signs it off and downloads the PDF with its origins appendix.

Two participants (Amira, Joost), a facilitator (Fran) and leadership (Lena), each in their own
browser context, against a real ``workshop serve``; the live screens are never reloaded after
the start.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from .helpers import (
    TIMEOUT,
    add_staff,
    assert_not_reloaded,
    create_workshop,
    expect_focused,
    join,
    log_in,
    mark_page,
    pdf_pages_as_images,
    pdf_text,
    screenshots,
    select_in_amend_source,
    start_new_round,
    voters,
    wait_until_live,
)
from .layout import check_screen
from .test_accessibility import violations

pytestmark = pytest.mark.browser

PURPOSE = "We help every patient feel known. We listen first."
HOW = "We make care simple for everyone."
DRAFT = f"## Purpose\n\n{PURPOSE}\n\n## How we work\n\n{HOW}"


def clause(page: Page, heading: str) -> Locator:
    """The clause of the draft with this heading."""
    return page.locator("#document article.clause").filter(
        has=page.get_by_role("heading", name=heading, exact=True)
    )


def editor(page: Page, heading: str) -> Locator:
    """The open editor's own text box in a clause."""
    return clause(page, heading).get_by_label(f"Your text for “{heading}”")


def open_editor(page: Page, heading: str) -> None:
    clause(page, heading).get_by_role("button", name="Edit this clause").click()
    expect_focused(editor(page, heading))


def save(page: Page, heading: str) -> None:
    clause(page, heading).get_by_role("button", name="Save this clause").click()


def start_refine_round(fac: Page) -> None:
    """Add an untimed refine round in the console's agenda and start it."""
    start_new_round(fac, "refine", "Sharpen the draft together", 0)


@pytest.mark.long
def test_clauses_are_co_edited_amended_duelled_locked_and_signed_off(live_server, new_person):
    fac = new_person("Fran")
    log_in(fac, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fac, "Clause by clause", "Harbour Health", "Care")
    join_link = fac.locator("#join-link").get_attribute("href")
    add_staff(fac, live_server.leadership_email, "leadership")
    fac.goto(f"/workshops/{workshop_id}/document")
    fac.get_by_label("Mission text (Markdown)").fill(DRAFT)
    fac.get_by_role("button", name="Save as a new version").click()
    fac.goto(f"/workshops/{workshop_id}")
    wait_until_live(fac)
    start_refine_round(fac)

    amira, joost = new_person("Amira"), new_person("Joost")
    join(amira, join_link, "Amira", "Frontline")
    join(joost, join_link, "Joost", "Team lead")
    everyone = (fac, amira, joost)
    for page in everyone:
        mark_page(page)
        expect(clause(page, "Purpose")).to_contain_text("every patient feel known", timeout=TIMEOUT)
        expect(clause(page, "How we work")).to_contain_text(HOW)

    # Joost agrees with "How we work" as it reads now; the facilitator sees the count.
    clause(joost, "How we work").get_by_role("button", name="Agree", exact=True).click()
    expect(clause(fac, "How we work")).to_contain_text("1 agree", timeout=TIMEOUT)
    expect(
        clause(joost, "How we work").get_by_role("button", name="Agree", exact=True)
    ).to_have_attribute("aria-pressed", "true")

    # Amira objects to "Purpose": a reason is needed, and everyone sees it.
    purpose = clause(amira, "Purpose")
    purpose.get_by_role("button", name="Object", exact=True).click()
    expect_focused(purpose.get_by_label("What is your objection? (needed)"))
    purpose.get_by_role("button", name="Send my objection").click()
    expect(purpose.get_by_role("alert")).to_have_text(re.compile("needs a reason"))
    purpose.get_by_label("What is your objection? (needed)").fill("Patients are people")
    purpose.get_by_role("button", name="Send my objection").click()
    expect(purpose.get_by_role("button", name="Object", exact=True)).to_have_attribute(
        "aria-pressed", "true", timeout=TIMEOUT
    )
    for page in everyone:
        expect(clause(page, "Purpose")).to_contain_text("1 object", timeout=TIMEOUT)
        expect(clause(page, "Purpose").locator(".clause-objections")).to_contain_text(
            "Patients are people"
        )

    # Both open "Purpose": each sees the other editing it, and the facilitator sees both.
    open_editor(amira, "Purpose")
    open_editor(joost, "Purpose")
    expect(clause(amira, "Purpose").locator(".clause-editors")).to_have_text(
        "Joost is editing this clause", timeout=TIMEOUT
    )
    expect(clause(joost, "Purpose").locator(".clause-editors")).to_have_text(
        "Amira is editing this clause", timeout=TIMEOUT
    )
    expect(clause(fac, "Purpose").locator(".clause-editors")).to_have_text(
        re.compile(r"(Amira, Joost|Joost, Amira) are editing this clause"), timeout=TIMEOUT
    )

    # Joost types; Amira saves first. Joost's editor and his words stay while her version arrives.
    joost_words = "We help every patient feel known. We always listen first."
    editor(joost, "Purpose").fill(joost_words)
    editor(amira, "Purpose").fill("We help every person feel known. We listen first.")
    save(amira, "Purpose")
    expect(clause(joost, "Purpose").locator(".clause-text")).to_contain_text(
        "every person feel known", timeout=TIMEOUT
    )
    expect(editor(joost, "Purpose")).to_have_value(joost_words)
    expect(clause(joost, "Purpose")).to_contain_text("Someone saved this clause while you were")
    expect(clause(amira, "Purpose").locator(".clause-editors")).to_have_text(
        "Joost is editing this clause"
    )

    # Joost saves on the old version: different words, so both changes are merged.
    save(joost, "Purpose")
    merged = "We help every person feel known. We always listen first."
    for page in everyone:
        expect(clause(page, "Purpose").locator(".clause-text")).to_have_text(
            merged, timeout=TIMEOUT
        )
        expect(page.locator("#document")).to_contain_text("Merged with version")
    expect(editor(joost, "Purpose")).to_have_count(0)
    expect(clause(amira, "Purpose").locator(".clause-editors")).to_be_hidden(timeout=TIMEOUT)

    # Now both change the same word: Joost gets a conflict with both texts and resolves it.
    open_editor(amira, "Purpose")
    open_editor(joost, "Purpose")
    expect(clause(joost, "Purpose").locator(".clause-editors")).to_have_text(
        "Amira is editing this clause", timeout=TIMEOUT
    )
    editor(amira, "Purpose").fill(merged.replace("person", "human"))
    save(amira, "Purpose")
    expect(clause(joost, "Purpose").locator(".clause-text")).to_contain_text(
        "every human feel", timeout=TIMEOUT
    )
    editor(joost, "Purpose").fill(merged.replace("person", "colleague"))
    save(joost, "Purpose")
    theirs = clause(joost, "Purpose").get_by_label(re.compile(r"Their text \(version \d+\)"))
    expect(theirs).to_have_value(merged.replace("person", "human"), timeout=TIMEOUT)
    expect(editor(joost, "Purpose")).to_have_value(merged.replace("person", "colleague"))
    expect(clause(joost, "Purpose").get_by_role("alert").first).to_contain_text("same words")
    resolved = merged.replace("person", "human and colleague")
    editor(joost, "Purpose").fill(resolved)
    save(joost, "Purpose")
    for page in everyone:
        expect(clause(page, "Purpose").locator(".clause-text")).to_have_text(
            resolved, timeout=TIMEOUT
        )

    # Amira suggests a change inside "How we work"; Joost agrees, the facilitator accepts.
    clause(amira, "How we work").get_by_role(
        "button", name="Suggest a change to this clause"
    ).click()
    expect(amira.locator("#amend-selected")).to_contain_text(f"Selected in “How we work”: “{HOW}”")
    select_in_amend_source(amira, "simple")
    expect(amira.locator("#amend-selected")).to_have_text("Selected in “How we work”: “simple”")
    amira.get_by_label("Your wording for them").fill("clear")
    amira.get_by_role("button", name="Suggest this change").click()
    expect(joost.locator("#amendments")).to_contain_text("in “How we work”", timeout=TIMEOUT)
    joost.locator("#amendments").get_by_role("button", name="Agree", exact=True).click()
    expect(fac.locator("#amendments")).to_contain_text("1 agree", timeout=TIMEOUT)
    fac.locator("#amendments").get_by_role("button", name="Accept").click()
    now = HOW.replace("simple", "clear")
    for page in everyone:
        expect(clause(page, "How we work").locator(".clause-text")).to_have_text(
            now, timeout=TIMEOUT
        )

    # Joost's agreement went stale: he sees what changed and confirms again.
    notice = clause(joost, "How we work").locator(".stale-notice")
    expect(notice).to_contain_text("This clause changed since you answered", timeout=TIMEOUT)
    expect(notice.locator("del")).to_contain_text("simple")
    expect(notice.locator("ins")).to_contain_text("clear")
    expect(
        clause(joost, "How we work").get_by_role("button", name="Agree", exact=True)
    ).to_have_attribute("aria-pressed", "false")
    expect(clause(fac, "How we work")).to_contain_text("0 agree", timeout=TIMEOUT)
    expect(clause(fac, "How we work")).to_contain_text("1 to confirm again")
    clause(joost, "How we work").get_by_role("button", name="Agree", exact=True).click()
    expect(notice).to_be_hidden(timeout=TIMEOUT)
    expect(clause(fac, "How we work")).to_contain_text("1 agree · ", timeout=TIMEOUT)
    expect(clause(fac, "How we work")).to_contain_text("0 to confirm again")

    # A wording duel on "How we work": the first wording is the clause as it reads now.
    clause(fac, "How we work").get_by_text("Start a wording duel on this clause").click()
    duel_form = clause(fac, "How we work").locator(".duel-form")
    expect(duel_form.get_by_label("Wording 1", exact=True)).to_have_value(now)
    duel_form.get_by_label("Wording 2", exact=True).fill("We make care easy for everyone.")
    duel_form.get_by_label(re.compile("Time to vote")).fill("120")
    duel_form.get_by_role("button", name="Start the duel").click()
    for page in (amira, joost):
        duel = clause(page, "How we work").locator(".duel")
        expect(duel).to_contain_text("Which wording do you prefer?", timeout=TIMEOUT)
        expect(duel.locator(".duel-timer")).to_have_text(re.compile(r"^[12]:\d\d left$"))
        expect(duel.locator("del")).to_contain_text("clear")
        expect(duel.locator("ins")).to_contain_text("easy")
    assert not violations(joost), violations(joost)  # clauses, a stale-free consent, a duel
    clause(joost, "How we work").locator(".duel").scroll_into_view_if_needed()
    check_screen(joost, "clause-duel-open")

    for page in (amira, joost):
        duel = clause(page, "How we work").locator(".duel")
        duel.get_by_label(re.compile("easy")).check()
        duel.get_by_role("button", name="Vote", exact=True).click()
        expect(duel).to_contain_text(
            "Your vote is in — you can change it until time is up", timeout=TIMEOUT
        )
    fac_duel = clause(fac, "How we work").locator(".duel")
    expect(fac_duel.locator(".duel-voters")).to_have_text(voters(2), timeout=TIMEOUT)

    # Amira is mid-edit on "Purpose" when the winner changes "How we work": her words stay.
    open_editor(amira, "Purpose")
    editor(amira, "Purpose").fill("Half a thought")
    expect(clause(fac, "Purpose").locator(".clause-editors")).to_have_text(
        "Amira is editing this clause", timeout=TIMEOUT
    )
    fac_duel.get_by_role("button", name="Close and apply the winner").click()

    # The winner is in the clause; the losing wording stays on record with its count.
    winner = "We make care easy for everyone."
    for page in everyone:
        expect(clause(page, "How we work").locator(".clause-text")).to_have_text(
            winner, timeout=TIMEOUT
        )
        results = clause(page, "How we work").locator(".duel-result-list")
        expect(results.locator("li.winner")).to_contain_text("2 votes", timeout=TIMEOUT)
        expect(results.locator("li.not-chosen")).to_contain_text(now)
        expect(results.locator("li.not-chosen")).to_contain_text("kept on record")
    expect(editor(amira, "Purpose")).to_have_value("Half a thought")
    expect_focused(editor(amira, "Purpose"))
    amira.once("dialog", lambda dialog: dialog.accept())  # "lose your changes?"
    clause(amira, "Purpose").get_by_role("button", name="Cancel").click()
    expect(editor(amira, "Purpose")).to_have_count(0)
    expect(clause(fac, "Purpose").locator(".clause-editors")).to_be_hidden(timeout=TIMEOUT)

    # A ranked duel with three wordings: Joost ranks and votes, then the facilitator cancels it.
    clause(fac, "Purpose").get_by_text("Start a wording duel on this clause").click()
    duel_form = clause(fac, "Purpose").locator(".duel-form")
    duel_form.get_by_label("Wording 2", exact=True).fill("We help every person feel known.")
    duel_form.get_by_role("button", name="Add a wording").click()
    duel_form.get_by_label("Wording 3", exact=True).fill("We know every person we help.")
    duel_form.get_by_label("How people vote").select_option("ranked")
    duel_form.get_by_role("button", name="Start the duel").click()
    ranked = clause(joost, "Purpose").locator(".duel.status-open")
    expect(ranked).to_contain_text("Rank the wordings, best first", timeout=TIMEOUT)
    # The first wording is the clause as it reads now, even though the facilitator typed the
    # others before the form had finished opening.
    expect(ranked.locator(".duel-ranking li")).to_have_count(3)
    expect(ranked.locator(".duel-ranking li").first).to_contain_text(resolved)
    expect(ranked.locator(".duel-ranking li").first).to_contain_text("as it reads now")
    ranked.get_by_role("button", name="Move up: We know every person we help.").click()
    expect_focused(ranked.get_by_role("button", name="Move up: We know every person we help."))
    expect(ranked.locator(".duel-ranking li").nth(1)).to_contain_text("know")
    ranked.get_by_role("button", name="Vote", exact=True).click()
    expect(ranked).to_contain_text("Your vote is in", timeout=TIMEOUT)
    clause(fac, "Purpose").locator(".duel.status-open").get_by_role(
        "button", name="Cancel the duel"
    ).click()
    for page in everyone:
        cancelled = clause(page, "Purpose").locator(".duel.status-cancelled")
        expect(cancelled).to_contain_text("Cancelled: the draft did not change.", timeout=TIMEOUT)
        expect(clause(page, "Purpose").locator(".clause-text")).to_have_text(resolved)

    # The last change: Amira suggests words inside "Purpose", Joost agrees, Fran accepts.
    clause(amira, "Purpose").get_by_role("button", name="Suggest a change to this clause").click()
    select_in_amend_source(amira, "listen first")
    amira.get_by_label("Your wording for them").fill("listen first and act together")
    amira.get_by_role("button", name="Suggest this change").click()
    last = joost.locator("#amendments li.status-open").filter(has_text="act together")
    last.get_by_role("button", name="Agree", exact=True).click()
    fac_last = fac.locator("#amendments li").filter(has_text="act together")
    expect(fac_last).to_contain_text("1 agree", timeout=TIMEOUT)
    fac_last.get_by_role("button", name="Accept").click()
    agreed = resolved.replace("listen first", "listen first and act together")
    for page in everyone:
        expect(clause(page, "Purpose").locator(".clause-text")).to_have_text(
            agreed, timeout=TIMEOUT
        )

    # Fran locks the latest version as final (in a second tab; her console stays live).
    # Not ready: Amira's objection to "Purpose" is open, and Joost's answer to "How we work"
    # went stale when its words changed. The refusal names each clause and why.
    versions = fac.context.new_page()
    versions.goto(f"/workshops/{workshop_id}/document/versions")
    version_link = re.compile(r"^Version \d+$")
    versions.locator("tbody tr").first.get_by_role("link", name=version_link).click()
    expect(versions.locator("article.document")).to_contain_text(agreed)
    readiness = versions.locator("section.readiness")
    expect(readiness.get_by_role("heading")).to_have_text("Not ready to lock yet")
    expect(readiness.locator("tr").filter(has_text="Purpose")).to_contain_text(
        "“Patients are people” — Amira (Frontline)"
    )
    screenshots(versions, "version-not-ready")
    versions.get_by_role("button", name="Lock as the final mission").click()
    refusal = versions.get_by_role("alert")
    expect(refusal).to_contain_text("not ready to lock")
    expect(refusal).to_contain_text("Purpose: 1 objection open")
    expect(refusal).to_contain_text("How we work: 0 of the 1 current answers needed")
    clause(amira, "Purpose").get_by_role("button", name="Agree", exact=True).click()
    clause(joost, "How we work").get_by_role("button", name="Agree", exact=True).click()
    expect(clause(fac, "Purpose")).to_contain_text("· 0 object ·", timeout=TIMEOUT)
    expect(clause(fac, "How we work")).to_contain_text("1 agree", timeout=TIMEOUT)

    # Amira has "How we work" open when the lock lands: her save is refused, clearly, and
    # nobody can start an edit, a suggestion, a duel or an answer on the final words.
    open_editor(amira, "How we work")
    editor(amira, "How we work").fill("We make care simple for all of us.")
    versions.reload()
    versions.get_by_role("button", name="Lock as the final mission").click()
    expect(versions.locator(".final-badge")).to_have_text("Final: this is our agreed mission.")
    for page in everyone:
        expect(page.locator("#document .final-badge")).to_be_visible(timeout=TIMEOUT)
        expect(page.locator("#document .document-meta")).to_contain_text("The words are locked")
        for heading in ("Purpose", "How we work"):
            for action in ("Edit this clause", "Suggest a change to this clause", "Agree"):
                expect(clause(page, heading).get_by_role("button", name=action)).to_have_count(0)
    # Her words stay in the editor, but Save is closed while the words are locked, and says
    # why in words next to it (and to a screen reader, as the button's description).
    locked_save = clause(amira, "How we work").get_by_role("button", name="Save this clause")
    expect(locked_save).to_be_disabled()
    why = "The mission is locked as final; a facilitator can reopen it."
    expect(clause(amira, "How we work").locator(".clause-editor .button-row")).to_contain_text(why)
    expect(locked_save).to_have_accessible_description(why)
    expect(editor(amira, "How we work")).to_have_value("We make care simple for all of us.")
    expect(clause(fac, "How we work").locator(".clause-text")).to_have_text(winner)
    screenshots(amira, "participant-final")

    # Fran reopens it, with a reason everyone sees; the words can change again ...
    versions.get_by_label("Why reopen it? (everyone sees this)").fill("One more word")
    versions.get_by_role("button", name="Reopen for changes").click()
    expect(versions.get_by_role("heading", level=1)).to_contain_text("Version")
    for page in everyone:
        expect(page.locator("#document .final-badge")).to_have_count(0, timeout=TIMEOUT)
        expect(page.locator("#document .document-meta")).to_contain_text("Reopened")
        expect(page.locator("#document .document-meta")).to_contain_text("One more word")
    expect(locked_save).to_be_enabled()
    expect(clause(amira, "How we work").locator(".save-why")).to_have_text("")
    save(amira, "How we work")
    expect(clause(joost, "How we work").locator(".clause-text")).to_have_text(
        "We make care simple for all of us.", timeout=TIMEOUT
    )
    # ... and locking again needs a current answer to the new words.
    clause(joost, "How we work").get_by_role("button", name="Agree", exact=True).click()
    expect(clause(fac, "How we work")).to_contain_text("1 agree", timeout=TIMEOUT)
    versions.goto(f"/workshops/{workshop_id}/document/versions")
    versions.locator("tbody tr").first.get_by_role("link", name=version_link).click()
    expect(versions.locator("section.readiness").get_by_role("heading")).to_have_text(
        "Ready to lock"
    )
    versions.get_by_role("button", name="Lock as the final mission").click()
    expect(versions.locator(".final-badge")).to_have_text("Final: this is our agreed mission.")
    for page in everyone:
        expect(page.locator("#document .final-badge")).to_be_visible(timeout=TIMEOUT)
    agreed_how = "We make care simple for all of us."

    # Leadership (added as staff at the start) opens the final version, signs it off and
    # downloads the PDF: the agreed words, with where they came from.
    lena = new_person("Lena")
    log_in(lena, live_server.leadership_email, live_server.leadership_password)
    lena.get_by_role("link", name="Clause by clause").click()
    lena.get_by_role("link", name="Versions and exports").click()
    final_row = lena.locator("tbody tr").filter(has=lena.locator(".final-badge:not(.superseded)"))
    expect(lena.locator("tbody tr .final-badge.superseded")).to_have_text("was final, reopened")
    final_row.get_by_role("link", name=version_link).click()
    expect(lena.locator(".final-badge")).to_be_visible()
    lena.get_by_label("Your comment (optional)").fill("Proud of every word.")
    lena.get_by_role("button", name="Sign off this mission").click()
    signed = lena.locator("section").filter(has=lena.get_by_role("heading", name="Signed off"))
    expect(signed).to_contain_text(live_server.leadership_name)
    expect(signed).to_contain_text("“Proud of every word.”")
    for page in everyone:
        expect(page.locator("#document .document-signoffs")).to_contain_text(
            f"Signed off by {live_server.leadership_name}", timeout=TIMEOUT
        )
    with lena.expect_download() as download_info:
        lena.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    text = pdf_text(download.path())
    assert agreed in text, text
    assert agreed_how in text, text
    assert "Duel #1: chosen with 2 of 2 votes" in text, text
    assert "edited in versions 1 to 5" in text, text
    assert "Where the words came from" in text, text
    # The origins appendix names both accepted amendments, their words and who suggested them.
    for words in ("listen first and act together", "clear"):
        assert re.search(
            rf"Amendment #\d+: “{words}” instead of “[^”]+” \(Amira, Frontline\)", text
        ), text
    pages = pdf_pages_as_images(download.path(), "final-mission-pdf")
    assert pages, "pdftoppm rendered no page"
    screenshots(lena, "leadership-final-version")
    for page in everyone:
        assert_not_reloaded(page)
    assert not new_person.page_errors, new_person.page_errors
