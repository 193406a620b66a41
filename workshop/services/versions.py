"""The versioned mission document: every save is a new numbered version, never an overwrite.

Saving a whole text (the facilitator's editor, a restore, a draft from
proposals) merges it onto versions saved since it was opened; saving one
clause is :mod:`services.editing`. Both end in :func:`write_version`, which
keeps each clause's key and tells the room.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import clauses, credits, events
from ..diffs import DiffPiece, diff_texts
from ..errors import Conflict, InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..guards import workshop_for_staff
from ..merge import merge
from ..models import (
    Anonymity,
    AuditAction,
    DocumentVersion,
    Participant,
    Proposal,
    User,
    VersionSource,
    Workshop,
)
from ..queries import clauses_of, latest_version, version_numbered
from ..realtime import WorkshopChange, workshop_change
from ..text import normalise_text, one_line
from . import audit

MAX_DOCUMENT_LENGTH = 20_000
MAX_NOTE_LENGTH = 500
MAX_NAME_LENGTH = 120

OnSaved = Callable[[DocumentVersion, WorkshopChange], None]


@dataclasses.dataclass(frozen=True)
class Revision:
    """A new text for the document and where it came from: who saved it, from what (an
    edit, proposals, an amendment, a duel, a restore) and, for a clause save, which clause."""

    body: str
    source: VersionSource
    editor: User | Participant | None
    note: str = ""
    name: str = ""
    clause_key: int | None = None
    proposals: tuple[Proposal, ...] = ()
    amendment_id: int | None = None
    duel_id: int | None = None
    anonymity: Anonymity = Anonymity.NAMED  # for a participant's save: may others see who?
    # Who the new words are credited to (default: the editor), texts they may come from
    # (proposals added), and the version the words grew from (a restore: the old version).
    credit: str | None = None
    credit_sources: tuple[tuple[str, str], ...] = ()
    grew_from: DocumentVersion | None = None
    title: str | None = None  # None: keep the document's title

    def new_words_credit(self) -> str:
        """Whom the words this revision adds are credited to."""
        if self.credit is not None:
            return self.credit
        if isinstance(self.editor, User):
            return credits.user_key(self.editor.id)
        return credits.participant_key(self.editor.id if self.editor else None)


def locked(version: DocumentVersion) -> InvalidState:
    """The refusal of any change while a version is the final mission."""
    return InvalidState(
        _(
            "Version %(number)s is the final mission: it cannot change. A facilitator can "
            "reopen it to start a new draft.",
            number=version.number,
        ),
        code="document_locked",
        version=version.number,
    )


def ensure_open(workshop_id: int) -> None:
    """Refuse a change to the document (or its answers) while its latest version is final."""
    latest = latest_version(workshop_id)
    if latest is not None and latest.final_at is not None:
        raise locked(latest)


def checked_note(note: str) -> str:
    """A version's note, on one line and not too long."""
    note = one_line(note)
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationFailed(
            _("Keep the note under %(n)s characters.", n=MAX_NOTE_LENGTH), field="note"
        )
    return note


def list_versions(actor: User, workshop_id: int) -> list[DocumentVersion]:
    """Every version, newest first, for staff of the workshop."""
    workshop_for_staff(actor, workshop_id, moderate=False)
    return list(
        db.session.scalars(
            sa.select(DocumentVersion)
            .where(DocumentVersion.workshop_id == workshop_id)
            .order_by(DocumentVersion.number.desc())
        )
    )


def get_version(actor: User, workshop_id: int, number: int | None) -> DocumentVersion:
    """One version (``None``: the latest), for staff of the workshop; who is asking is
    checked first, so nobody else learns whether there is a document."""
    workshop_for_staff(actor, workshop_id, moderate=False)
    if number is None:
        latest = latest_version(workshop_id)
        if latest is None:
            raise NotFound(_("This workshop has no document yet."))
        return latest
    version = version_numbered(workshop_id, number)
    if version is None:
        raise NotFound(_("There is no version %(number)s of this document.", number=number))
    return version


def diff_versions(actor: User, workshop_id: int, old: int, new: int) -> list[DiffPiece]:
    """Word-level differences between two versions, for the history page."""
    before = get_version(actor, workshop_id, old).body_md
    after = get_version(actor, workshop_id, new).body_md
    return diff_texts(before, after)


def clause_differences(actor: User, workshop_id: int, old: int, new: int) -> list[dict[str, Any]]:
    """Word-level differences between two versions, clause by clause (headings as
    headings, never as raw markup), for the history page."""
    before = {c.key: c for c in clauses_of(get_version(actor, workshop_id, old))}
    after = clauses_of(get_version(actor, workshop_id, new))
    rows: list[dict[str, Any]] = []
    for clause in after:
        earlier = before.pop(clause.key, None)
        rows.append(
            {
                "heading": clause.heading,
                "old_heading": earlier.heading if earlier else None,
                "status": "added" if earlier is None else "kept",
                "pieces": diff_texts(earlier.body if earlier else "", clause.body),
            }
        )
    for gone in before.values():
        rows.append(
            {
                "heading": gone.heading,
                "old_heading": gone.heading,
                "status": "removed",
                "pieces": diff_texts(gone.body, ""),
            }
        )
    for row in rows:
        changed = any(piece.op != "equal" for piece in row["pieces"])
        if row["status"] == "kept":
            renamed = row["old_heading"] != row["heading"]
            row["status"] = "changed" if changed or renamed else "same"
    return rows


def chosen_proposals(workshop: Workshop, proposal_ids: list[int]) -> list[Proposal]:
    """The proposals a facilitator picked for the draft, in the order picked, as they are
    now (read afresh: under the workshop's lock, a card hidden or merged meanwhile is refused,
    not drafted from)."""
    if not proposal_ids:
        raise ValidationFailed(_("Choose at least one proposal to start from."), field="proposals")
    query = sa.select(Proposal).where(Proposal.id.in_(proposal_ids))
    proposals = {
        p.id: p for p in db.session.scalars(query.execution_options(populate_existing=True))
    }
    chosen: list[Proposal] = []
    for proposal_id in dict.fromkeys(proposal_ids):
        proposal = proposals.get(proposal_id)
        if proposal is None or proposal.workshop_id != workshop.id or proposal.is_hidden:
            raise NotFound(_("One of the chosen proposals does not exist here."), field="proposals")
        chosen.append(proposal)
    return chosen


def start_draft_from_proposals(
    actor: User, workshop_id: int, proposal_ids: list[int], *, based_on: int | None, note: str = ""
) -> DocumentVersion:
    """Turn the chosen proposals, in the given order, into the next version of the draft."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    chosen = chosen_proposals(workshop, proposal_ids)
    revision = Revision(
        body="\n\n".join(p.body_md for p in chosen),
        source=VersionSource.PROPOSAL,
        editor=actor,
        note=note,
        proposals=tuple(chosen),
        credit_sources=tuple((credits.proposal_key(p.id), p.body_md) for p in chosen),
    )

    def still_chosen(_version: DocumentVersion, _change: WorkshopChange) -> None:
        chosen_proposals(workshop, proposal_ids)  # hidden meanwhile: refused, all rolled back

    return save_text(workshop, revision, based_on=based_on, on_saved=still_chosen)


def save_version(
    actor: User,
    workshop_id: int,
    body_md: str,
    *,
    based_on: int | None,
    note: str = "",
    name: str = "",
) -> DocumentVersion:
    """Save an edit as a new version, refusing to overwrite a version saved meanwhile."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    revision = Revision(body_md, VersionSource.EDIT, actor, note=note, name=name)
    return save_text(workshop, revision, based_on=based_on)


def restore_version(
    actor: User, workshop_id: int, number: int, *, based_on: int | None, note: str = ""
) -> DocumentVersion:
    """Bring back an old text as a new version: history is never rewritten."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    old = get_version(actor, workshop.id, number)
    revision = Revision(
        old.body_md,
        VersionSource.RESTORE,
        actor,
        note=note or _("Restored version %(number)s", number=number),
        proposals=tuple(old.source_proposals),
        grew_from=old,  # its words keep the credits they had there
        title=old.title,
    )
    return save_text(workshop, revision, based_on=based_on)


def name_version(actor: User, workshop_id: int, number: int, name: str) -> DocumentVersion:
    """Give a version a name people recognise ("After the consent round")."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    version = get_version(actor, workshop.id, number)
    name = one_line(name)
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            _("Keep the name under %(n)s characters.", n=MAX_NAME_LENGTH), field="name"
        )
    with workshop_change(workshop.id) as change:
        version.name = name
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.VERSION_NAME,
            audit.N_("Named version %(number)s: %(name)s"),
            number=number,
            name=name,
        )
        events.latest_document(change, workshop)
    return version


def save_text(
    workshop: Workshop,
    revision: Revision,
    *,
    based_on: int | None,
    on_saved: OnSaved | None = None,
) -> DocumentVersion:
    """Save a whole new text, merging it onto versions saved since ``based_on``."""
    text = normalise_text(revision.body)
    if revision.title is None:  # a leading "# Title" names the document, not a clause
        title, text = clauses.title_and_rest(text)
        if title is not None:
            revision = dataclasses.replace(revision, title=title)
    body = clauses.assemble(clauses.parse(text))
    note = checked_note(revision.note)
    if not body:
        raise ValidationFailed(_("The document cannot be empty."), field="body")
    if len(body) > MAX_DOCUMENT_LENGTH:
        raise ValidationFailed(
            _("Keep the document under %(n)s characters.", n=MAX_DOCUMENT_LENGTH), field="body"
        )
    with workshop_change(workshop.id) as change:
        latest = latest_version(workshop.id)
        latest_number = latest.number if latest else None
        merged = None
        if latest_number != based_on and latest is not None and based_on is not None:
            # Someone saved since this edit began: merge what does not overlap.
            base = version_numbered(workshop.id, based_on)
            merged = merge(base.body_md, body, latest.body_md) if base is not None else None
        if merged is not None:
            body = clauses.assemble(clauses.parse(merged))
            note = note or _("Merged with version %(number)s", number=latest_number)
            based_on = latest_number
        if latest_number != based_on:
            # The edits overlap: hand back both texts, overwrite nothing.
            raise Conflict(
                _(
                    "Version %(number)s was saved while you were editing. "
                    "Your text is kept below; compare and save again.",
                    number=latest_number,
                ),
                latest_number=latest_number,
                latest_body=latest.body_md if latest else "",
                your_body=body,
            )
        revision = dataclasses.replace(revision, body=body, note=note)
        return write_version(change, workshop, latest, revision, on_saved=on_saved)


def write_version(
    change: WorkshopChange,
    workshop: Workshop,
    latest: DocumentVersion | None,
    revision: Revision,
    *,
    on_saved: OnSaved | None = None,
) -> DocumentVersion:
    """Store the next version (under the workshop's lock, taken by the caller), keeping each
    clause's key, and tell the room and the people whose clause votes it made stale.

    ``on_saved`` runs in the same transaction, before the news goes out: all of it commits,
    or none.
    """
    if (
        latest is not None
        and latest.final_at is not None
        and revision.source != VersionSource.REOPEN
    ):
        raise locked(latest)
    if (
        latest is not None
        and latest.body_md == revision.body
        and revision.source != VersionSource.REOPEN
    ):
        raise InvalidState(_("Nothing changed since the last version."), code="unchanged")
    grew_from = revision.grew_from or latest
    old_clauses = clauses_of(latest) if latest else []
    new_parts = clauses.parse(revision.body)
    db.session.refresh(workshop)
    next_key = max([workshop.clause_key_seq, *(c.key for c in old_clauses)]) + 1
    keys, next_key = clauses.match_keys(old_clauses, new_parts, next_key)
    workshop.clause_key_seq = next_key - 1
    editor = revision.editor
    version = DocumentVersion(
        workshop_id=workshop.id,
        number=(latest.number if latest else 0) + 1,
        body_md=revision.body,
        note=revision.note,
        name=one_line(revision.name)[:MAX_NAME_LENGTH],
        source=revision.source,
        based_on=latest.number if latest else None,
        author_id=editor.id if isinstance(editor, User) else None,
        editor_participant_id=editor.id if isinstance(editor, Participant) else None,
        clause_keys=keys,
        title=revision.title if revision.title is not None else (latest.title if latest else ""),
        word_credits=credits.carry(
            grew_from.body_md if grew_from else "",
            grew_from.word_credits if grew_from else [],
            revision.body,
            revision.new_words_credit(),
            sources=revision.credit_sources,
            # A restore merged with what was saved since: those words keep their writers.
            earlier=((latest.body_md, latest.word_credits),)
            if latest is not None and grew_from is not latest
            else (),
        ),
        clause_key=revision.clause_key,
        amendment_id=revision.amendment_id,
        duel_id=revision.duel_id,
        anonymity=revision.anonymity,
        source_proposals=list(revision.proposals),
    )
    db.session.add(version)
    db.session.flush()
    if on_saved is not None:
        on_saved(version, change)
    events.document_saved(change, workshop, version)
    events.stale_clause_votes(change, workshop, version, previous=latest)
    return version
