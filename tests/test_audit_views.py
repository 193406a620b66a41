"""The audit log speaks the reader's language: an entry is stored as an untranslated message
and its values, and each facilitator reads it in their own language; what people typed (a
round's prompt, an email address) is shown as it was typed."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, make_user, make_workshop
from workshop.extensions import db
from workshop.models import AuditAction, AuditEntry, RoundKind, StaffRole
from workshop.services import agenda, editing, final, invites, rounds, workshops

TEXT = "## Purpose\n\nWe help people.\n\n## How we work\n\nWe listen first."
PROMPT = "What do we do for whom"


@pytest.fixture
def logged(app):
    """Fran added and started a propose round, locked version 1 and invited Ivy; Fran's
    co-facilitator Nadia reads in Dutch."""
    with app.app_context():
        fran = make_user("fran@example.org", name="Fran")
        make_user("nadia@example.org", name="Nadia")
        workshop = make_workshop(fran)
        workshops.add_staff(fran, workshop.id, "nadia@example.org", StaffRole.FACILITATOR)
        propose = agenda.add_round(
            fran, workshop.id, agenda.RoundSettings(RoundKind.PROPOSE, prompt=PROMPT)
        )
        rounds.start_round(fran, propose.id)
        editing.paste_document(fran, workshop.id, TEXT, based_on=None)
        final.set_quorum(fran, workshop.id, 0)
        final.lock_version(fran, workshop.id, 1)
        invites.create_invite(fran, workshop.id, "ivy@example.org", "leadership")
        workshop_id = workshop.id
    return workshop_id


def audit_page(app, workshop_id: int, email: str, language: str) -> str:
    client = app.test_client()
    login = client.post("/login", data={"email": email, "password": PASSWORD})
    assert login.status_code == 302
    client.post("/language", data={"language": language, "next": "/"})
    return html.unescape(client.get(f"/workshops/{workshop_id}/audit").get_data(as_text=True))


def test_a_dutch_facilitator_reads_the_audit_log_in_dutch(app, logged):
    page = audit_page(app, logged, "nadia@example.org", "nl")
    assert "Een ronde ‘voorstellen’ toegevoegd" in page
    assert f"Ronde 1 gestart: {PROMPT}" in page  # the prompt as typed
    assert "Versie 1 vastgelegd als definitief" in page
    assert "ivy@example.org uitgenodigd als leiding" in page
    assert "Started round" not in page and "Locked version" not in page


def test_an_english_facilitator_reads_the_same_log_in_english(app, logged):
    page = audit_page(app, logged, "fran@example.org", "en")
    assert "Added a propose round" in page
    assert f"Started round 1: {PROMPT}" in page
    assert "Locked version 1 as final" in page
    assert "Invited ivy@example.org as leadership" in page
    assert "vastgelegd" not in page


def test_an_entry_keeps_its_message_untranslated_and_its_values_apart(app, logged):
    with app.app_context():
        started = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == AuditAction.ROUND_START)
        ).one()
        assert started.summary == "Started round %(number)s: %(prompt)s"
        assert started.params == {"number": 1, "prompt": PROMPT}
