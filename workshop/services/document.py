"""The versioned mission document: drafting from proposals, saving, history, diffs."""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import clauses, clock, permissions
from ..errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..merge import merge, tokens
from ..models import (
    AuditAction,
    Ballot,
    DocumentVersion,
    Participant,
    Proposal,
    RoundKind,
    SignOff,
    StaffRole,
    User,
    VersionSource,
    Workshop,
)
from ..payloads import version_payload
from ..realtime import WorkshopChange, workshop_change
from ..text import normalise_text
from . import audit
from .workshops import get_workshop_for_staff

MAX_DOCUMENT_LENGTH = 20_000
MAX_NOTE_LENGTH = 500


@dataclasses.dataclass(frozen=True)
class DiffPiece:
    """A run of words that both versions share, or that one of them adds."""

    op: str  # "equal", "insert" or "delete"
    text: str


def document_payload(workshop: Workshop, version: DocumentVersion) -> dict[str, Any]:
    """A version with what it says about values: covered, missing, approved and vetoed words."""
    from . import drafting, wording

    return {
        "version": version_payload(version),
        "consent": {
            str(key): counts
            for key, counts in drafting.consent_counts(workshop.id, version).items()
        },
        "budget": length_budget(workshop, version.body_md),
        "coverage": wording.coverage(workshop, version.body_md, list(version.source_proposals)),
        "words": wording.marked_words(version.body_md, wording.approved_and_vetoed(workshop.id)),
    }


def emit_wording(change: WorkshopChange, workshop: Workshop) -> None:
    """What the draft says changed without a new version: coverage and marked words (a tag,
    a revealed values or vocabulary round) or its length budget (the settings)."""
    latest = latest_version(workshop.id)
    if latest is not None:
        payload = document_payload(workshop, latest)
        del payload["version"]
        change.emit("document.wording", payload)


def length_budget(workshop: Workshop, body_md: str) -> dict[str, Any]:
    """Words per clause (headings not counted) and in total against the facilitator's budget,
    and the average sentence length as a plain readability hint."""
    parts = clauses.parse(body_md)
    counted = [len(part.body.split()) for part in parts]
    said = [s for part in parts for s in sentences(part.body)]
    per_clause, total_limit = workshop.words_per_clause, workshop.words_total
    return {
        "total": {
            "words": sum(counted),
            "limit": total_limit,
            "over": total_limit is not None and sum(counted) > total_limit,
        },
        "clauses": [
            {
                "index": index + 1,
                "words": words,
                "limit": per_clause,
                "over": per_clause is not None and words > per_clause,
                "start": part.heading or " ".join(part.body.split()[:6]),
            }
            for index, (part, words) in enumerate(zip(parts, counted, strict=True))
        ],
        "average_sentence_words": round(sum(len(x.split()) for x in said) / len(said), 1)
        if said
        else 0,
    }


def version_numbered(workshop_id: int, number: int) -> DocumentVersion | None:
    """Version ``number`` of a workshop's document, if there is one."""
    return db.session.scalar(
        sa.select(DocumentVersion).where(
            DocumentVersion.workshop_id == workshop_id, DocumentVersion.number == number
        )
    )


def _body_of(workshop_id: int, number: int) -> str | None:
    """The text of one version (the common base of a merge)."""
    version = version_numbered(workshop_id, number)
    return version.body_md if version else None


def latest_version(workshop_id: int) -> DocumentVersion | None:
    """The current version of the document, if a draft has been started."""
    return db.session.scalar(
        sa.select(DocumentVersion)
        .where(DocumentVersion.workshop_id == workshop_id)
        .order_by(DocumentVersion.number.desc())
        .limit(1)
    )


def list_versions(actor: User, workshop_id: int) -> list[DocumentVersion]:
    """Every version, newest first, for staff of the workshop."""
    get_workshop_for_staff(actor, workshop_id, moderate=False)
    return list(
        db.session.scalars(
            sa.select(DocumentVersion)
            .where(DocumentVersion.workshop_id == workshop_id)
            .order_by(DocumentVersion.number.desc())
        )
    )


def get_version(actor: User, workshop_id: int, number: int) -> DocumentVersion:
    """One version, for staff of the workshop."""
    get_workshop_for_staff(actor, workshop_id, moderate=False)
    version = version_numbered(workshop_id, number)
    if version is None:
        raise NotFound(_("There is no version %(number)s of this document.", number=number))
    return version


def start_draft_from_proposals(
    actor: User, workshop_id: int, proposal_ids: list[int], *, based_on: int | None, note: str = ""
) -> DocumentVersion:
    """Turn the chosen proposals, in the given order, into the next version of the draft."""
    workshop = get_workshop_for_staff(actor, workshop_id, moderate=True)
    chosen = chosen_proposals(workshop, proposal_ids)
    body = "\n\n".join(p.body_md for p in chosen)
    return save_text(
        actor,
        workshop,
        body,
        based_on=based_on,
        note=note,
        source=VersionSource.PROPOSAL,
        proposals=chosen,
    )


def chosen_proposals(workshop: Workshop, proposal_ids: list[int]) -> list[Proposal]:
    """The proposals a facilitator picked for the draft, in the order picked."""
    if not proposal_ids:
        raise ValidationFailed(_("Choose at least one proposal to start from."), field="proposals")
    proposals = {
        p.id: p
        for p in db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(proposal_ids)))
    }
    chosen: list[Proposal] = []
    for proposal_id in dict.fromkeys(proposal_ids):
        proposal = proposals.get(proposal_id)
        if proposal is None or proposal.workshop_id != workshop.id or proposal.is_hidden:
            raise NotFound(_("One of the chosen proposals does not exist here."), field="proposals")
        chosen.append(proposal)
    return chosen


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
    workshop = get_workshop_for_staff(actor, workshop_id, moderate=True)
    return save_text(
        actor, workshop, body_md, based_on=based_on, note=note, source=VersionSource.EDIT, name=name
    )


def checked_note(note: str) -> str:
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationFailed(
            _("Keep the note under %(n)s characters.", n=MAX_NOTE_LENGTH), field="note"
        )
    return note


def save_text(
    actor: User,
    workshop: Workshop,
    body_md: str,
    *,
    based_on: int | None,
    note: str,
    source: VersionSource,
    proposals: list[Proposal] | None = None,
    name: str = "",
    on_saved: Callable[[DocumentVersion, WorkshopChange], None] | None = None,
    amendment_id: int | None = None,
) -> DocumentVersion:
    """Save a whole new text, merging it onto versions saved since ``based_on``."""
    body = clauses.assemble(clauses.parse(normalise_text(body_md)))
    note = checked_note(note)
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
            base = _body_of(workshop.id, based_on)
            merged = merge(base, body, latest.body_md) if base is not None else None
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
        return new_version(
            change,
            workshop,
            latest,
            body,
            editor=actor,
            note=note,
            source=source,
            proposals=proposals,
            name=name,
            on_saved=on_saved,
            amendment_id=amendment_id,
        )


def new_version(
    change: WorkshopChange,
    workshop: Workshop,
    latest: DocumentVersion | None,
    body: str,
    *,
    editor: User | Participant | None,
    note: str,
    source: VersionSource,
    proposals: list[Proposal] | None = None,
    name: str = "",
    on_saved: Callable[[DocumentVersion, WorkshopChange], None] | None = None,
    clause_key: int | None = None,
    amendment_id: int | None = None,
    duel_id: int | None = None,
) -> DocumentVersion:
    """Store the next version (under the workshop's lock, taken by the caller), keeping each
    clause's key, and tell the room and the people whose clause votes it made stale."""
    if latest is not None and latest.body_md == body:
        raise InvalidState(_("Nothing changed since the last version."), code="unchanged")
    old_clauses = clauses.with_keys(latest.body_md, latest.clause_keys) if latest else []
    new_parts = clauses.parse(body)
    db.session.refresh(workshop)
    next_key = max([workshop.clause_key_seq, *(c.key for c in old_clauses)]) + 1
    keys, next_key = clauses.match_keys(old_clauses, new_parts, next_key)
    workshop.clause_key_seq = next_key - 1
    version = DocumentVersion(
        workshop_id=workshop.id,
        number=(latest.number if latest else 0) + 1,
        body_md=body,
        note=note,
        name=" ".join(name.split())[:MAX_NAME_LENGTH],
        source=source,
        based_on=latest.number if latest else None,
        author_id=editor.id if isinstance(editor, User) else None,
        editor_participant_id=editor.id if isinstance(editor, Participant) else None,
        clause_keys=keys,
        clause_key=clause_key,
        amendment_id=amendment_id,
        duel_id=duel_id,
        source_proposals=proposals or [],
    )
    db.session.add(version)
    db.session.flush()
    if on_saved is not None:
        on_saved(version, change)  # in the same transaction: all of it commits, or none
    change.emit("document.saved", document_payload(workshop, version))
    from .drafting import tell_stale_voters

    tell_stale_voters(change, workshop, version, previous=latest)
    return version


def diff_versions(actor: User, workshop_id: int, old: int, new: int) -> list[DiffPiece]:
    """Word-level differences between two versions, for the history page."""
    before = get_version(actor, workshop_id, old).body_md
    after = get_version(actor, workshop_id, new).body_md
    return diff_texts(before, after)


def diff_payload(before: str, after: str) -> list[dict[str, str]]:
    """The word-level differences as screens receive them: ``[{"op", "text"}]``."""
    return [dataclasses.asdict(piece) for piece in diff_texts(before, after)]


def diff_texts(before: str, after: str) -> list[DiffPiece]:
    """Word-level differences between two texts (difflib does the matching)."""
    a, b = tokens(before), tokens(after)
    pieces: list[DiffPiece] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(DiffPiece("equal", "".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            pieces.append(DiffPiece("delete", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            pieces.append(DiffPiece("insert", "".join(b[j1:j2])))
    return pieces


MAX_NAME_LENGTH = 120


def name_version(actor: User, workshop_id: int, number: int, name: str) -> DocumentVersion:
    """Give a version a name people recognise ("After the consent round")."""
    workshop = get_workshop_for_staff(actor, workshop_id, moderate=True)
    version = get_version(actor, workshop.id, number)
    name = " ".join((name or "").split())
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            _("Keep the name under %(n)s characters.", n=MAX_NAME_LENGTH), field="name"
        )
    with workshop_change(workshop.id) as change:
        version.name = name
        db.session.flush()
        audit.record(
            actor, workshop.id, AuditAction.VERSION_NAME, f"Named version {number}: {name}"
        )
        _emit_latest(change, workshop)
    return version


def restore_version(
    actor: User, workshop_id: int, number: int, *, based_on: int | None, note: str = ""
) -> DocumentVersion:
    """Bring back an old text as a new version: history is never rewritten."""
    workshop = get_workshop_for_staff(actor, workshop_id, moderate=True)
    old = get_version(actor, workshop.id, number)
    return save_text(
        actor,
        workshop,
        old.body_md,
        based_on=based_on,
        note=note or _("Restored version %(number)s", number=number),
        source=VersionSource.RESTORE,
        proposals=list(old.source_proposals),
    )


def open_objections(workshop_id: int) -> int:
    """How many objections are open: consent ballots that object in the latest consent round
    that has run, and objections to clauses of the draft."""
    from .drafting import open_clause_objections
    from .rounds import list_rounds

    consent_rounds = [
        r
        for r in list_rounds(workshop_id)
        if r.kind == RoundKind.CONSENT and r.started_at is not None
    ]
    on_clauses = open_clause_objections(workshop_id)
    if not consent_rounds:
        return on_clauses
    latest = max(consent_rounds, key=lambda r: (r.started_at, r.id))
    ballots = db.session.scalars(sa.select(Ballot).where(Ballot.round_id == latest.id))
    return on_clauses + sum(
        1
        for ballot in ballots
        for answer in ballot.data.get("consent", {}).values()
        if answer.get("choice") == "object"
    )


def finalise_version(actor: User, workshop_id: int, number: int) -> DocumentVersion:
    """Lock a version as the final mission; refused while a consent objection is open."""
    workshop = get_workshop_for_staff(actor, workshop_id, moderate=True)
    version = get_version(actor, workshop.id, number)
    with workshop_change(workshop.id) as change:
        db.session.refresh(version)
        if version.final_at is not None:
            raise InvalidState(_("This version is already final."))
        if open_objections(workshop.id):
            raise InvalidState(
                _("A consent objection is still open: resolve it before locking the mission."),
                code="objection_open",
            )
        version.final_at = clock.now()
        version.final_by_id = actor.id
        db.session.flush()
        audit.record(
            actor, workshop.id, AuditAction.VERSION_LOCK, f"Locked version {number} as final"
        )
        _emit_latest(change, workshop)
    return version


def sign_off(actor: User, workshop_id: int, number: int, comment: str = "") -> SignOff:
    """Leadership signs the final version off, with their name, the time and a comment."""
    workshop = get_workshop_for_staff(actor, workshop_id, moderate=False)
    if permissions.staff_role(actor, workshop) != StaffRole.LEADERSHIP:
        raise Forbidden(_("Leadership signs the mission off."))
    version = get_version(actor, workshop.id, number)
    comment = normalise_text(comment)
    if len(comment) > 1000:
        raise ValidationFailed(_("Keep the comment under 1000 characters."), field="comment")
    with workshop_change(workshop.id) as change:
        db.session.refresh(version)
        if version.final_at is None:
            raise InvalidState(_("Only the final version can be signed off."))
        if any(s.user_id == actor.id for s in version.signoffs):
            raise InvalidState(_("You have already signed this version off."))
        signoff = SignOff(
            version_id=version.id,
            user_id=actor.id,
            signer_name=actor.display_name,
            comment=comment,
        )
        version.signoffs.append(signoff)
        db.session.flush()
        audit.record(
            actor, workshop.id, AuditAction.VERSION_SIGNOFF, f"Signed off version {number}"
        )
        _emit_latest(change, workshop)
    return signoff


def _emit_latest(change: WorkshopChange, workshop: Workshop) -> None:
    """Screens show the latest version; send it again when its name or state changed."""
    latest = latest_version(workshop.id)
    if latest is not None:
        change.emit("document.saved", document_payload(workshop, latest))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences(text: str) -> list[str]:
    """A text's sentences (and lines), with spacing normalised, for tracing them."""
    return [" ".join(part.split()) for part in _SENTENCE_END.split(text) if part.strip()]
