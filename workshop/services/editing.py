"""Working on the document clause by clause: the template, paste and split, adding proposals
to a clause, direct co-editing, and "X is editing this clause".

A clause save carries the version it was based on. When the clause changed
since, the two edits are merged (difflib, through merge.py) if they touch
different words, and otherwise the save is refused with both texts so the
person can resolve it: no edit is ever silently lost.
"""

from __future__ import annotations

import dataclasses

from flask_babel import gettext as _

from .. import clauses, clock, credits, events, permissions
from ..diffs import sentences
from ..errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..guards import workshop_for_staff
from ..merge import merge
from ..models import (
    Anonymity,
    Connection,
    DocumentVersion,
    Participant,
    RoundKind,
    User,
    VersionSource,
    Workshop,
)
from ..privacy import effective_anonymity
from ..queries import (
    clause_in,
    clause_of_draft,
    clauses_of,
    closed_for_input,
    current_round,
    get_workshop,
    is_open_for_input,
    latest_version,
    version_numbered,
)
from ..realtime import WorkshopChange, workshop_change
from ..text import normalise_text, one_line
from .versions import (
    OnSaved,
    Revision,
    checked_note,
    chosen_proposals,
    ensure_open,
    save_text,
    write_version,
)

MAX_CLAUSE_LENGTH = 4000
MAX_HEADING_LENGTH = 120
MAX_CLAUSES = 30


def template_headings() -> list[dict[str, str]]:
    """The default template's clause headings, with the hint each one shows while empty."""
    return [{"heading": _(h), "hint": _(hint)} for h, hint in clauses.DEFAULT_TEMPLATE]


def start_from_template(actor: User, workshop_id: int, headings: list[str]) -> DocumentVersion:
    """Version 1 of the document: the template's (edited) headings, every clause still empty."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    revision = template_revision(actor, headings)
    if latest_version(workshop.id) is not None:
        raise InvalidState(
            _("The draft has already started: edit its clauses, or paste a new text."),
            code="draft_started",
        )
    return save_text(workshop, revision, based_on=None)


def template_revision(actor: User, headings: list[str]) -> Revision:
    """The first version's text: one empty clause per heading."""
    cleaned = [one_line(h) for h in headings if h and h.strip()]
    if not cleaned:
        raise ValidationFailed(_("Give the document at least one clause."), field="headings")
    if len(cleaned) > MAX_CLAUSES or any(len(h) > MAX_HEADING_LENGTH for h in cleaned):
        raise ValidationFailed(
            _(
                "Use up to %(n)s clauses, with headings under %(m)s characters.",
                n=MAX_CLAUSES,
                m=MAX_HEADING_LENGTH,
            ),
            field="headings",
        )
    body = clauses.assemble([clauses.Part(h, "") for h in cleaned])
    return Revision(body, VersionSource.EDIT, actor, note=_("Started from the template"))


def paste_document(
    actor: User, workshop_id: int, text: str, *, based_on: int | None
) -> DocumentVersion:
    """Take a whole existing mission and split it into clauses (by its headings, else its
    paragraphs, else its sentences), as the next version."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    # No base is the first version: a paste made while someone else's went in first is a
    # conflict (with both texts), not a silent replacement of theirs.
    return save_text(workshop, pasted_revision(actor, text), based_on=based_on)


def pasted_revision(actor: User, text: str) -> Revision:
    """A whole existing mission as the next version's text, split into clauses (by its
    headings, else its paragraphs, else its sentences) and credited as the existing
    mission's words, not the facilitator's."""
    title, text = clauses.title_and_rest(normalise_text(text))
    parts = clauses.split_pasted(text)
    if not parts:
        raise ValidationFailed(_("Paste the mission text first."), field="text")
    if len(parts) > MAX_CLAUSES:
        raise ValidationFailed(
            _("That splits into more than %(n)s clauses; add headings to group it.", n=MAX_CLAUSES),
            field="text",
        )
    return Revision(
        clauses.assemble(parts),
        VersionSource.EDIT,
        actor,
        note=_("Pasted and split into %(n)s clauses", n=len(parts)),
        credit=credits.ORIGINAL,
        title=title,
    )


def _may_edit(actor: Participant | User, workshop: Workshop) -> None:
    """Facilitators edit any time; participants edit clauses while a refine round runs."""
    if isinstance(actor, User):
        workshop_for_staff(actor, workshop.id, moderate=True)
        return
    running = current_round(workshop.id)
    refine_open = (
        running is not None and running.kind == RoundKind.REFINE and is_open_for_input(running)
    )
    if permissions.can_edit_clauses(actor, workshop, refine_open=refine_open):
        return
    if not permissions.can_take_part(actor, workshop):
        raise Forbidden(_("Only participants of this workshop edit its draft."))
    if not refine_open:
        if running is not None and running.kind == RoundKind.REFINE:
            raise closed_for_input(running, code="round_closed")
        raise InvalidState(
            _("Clauses are edited directly during a refine round."), code="round_closed"
        )


def checked_clause_body(heading: str, body: str) -> str:
    body = normalise_text(body)
    if len(body) > MAX_CLAUSE_LENGTH:
        raise ValidationFailed(
            _("Keep a clause under %(n)s characters.", n=MAX_CLAUSE_LENGTH), field="body"
        )
    problem = clauses.problem_with_body(heading, body)
    if problem == "heading":
        raise ValidationFailed(
            _("A heading would start a new clause; ask the facilitator to add one."), field="body"
        )
    if problem == "paragraphs":
        raise ValidationFailed(
            _("This clause is one paragraph; leave out the blank line."), field="body"
        )
    return body


def save_clause(
    actor: Participant | User,
    workshop_id: int,
    clause_key: int,
    body: str,
    *,
    based_on: int,
    note: str = "",
) -> DocumentVersion:
    """Save one clause's new words as the next version, merged with whatever changed since
    ``based_on``; refused with both texts when the same words changed."""
    workshop = get_workshop(workshop_id)
    note = checked_note(note)
    with workshop_change(workshop.id) as change:
        _may_edit(actor, workshop)  # under the lock: the round may be ending this moment
        latest, clause = clause_of_draft(workshop.id, clause_key)
        checked = checked_clause_body(clause.heading, body)
        editor: Participant | User | None = actor
        anonymity = Anonymity.NAMED
        if isinstance(actor, Participant):
            anonymity = effective_anonymity(workshop, current_round(workshop.id))
            editor = None if anonymity == Anonymity.FULL else actor
        revision = Revision(
            checked,
            VersionSource.EDIT,
            editor,
            note=note,
            clause_key=clause_key,
            anonymity=anonymity,
        )
        return apply_to_clause(change, workshop, latest, revision, based_on=based_on)


def apply_to_clause(
    change: WorkshopChange,
    workshop: Workshop,
    latest: DocumentVersion,
    revision: Revision,
    *,
    based_on: int,
    on_saved: OnSaved | None = None,
) -> DocumentVersion:
    """The next version with one clause's body replaced (under the workshop's lock):
    ``revision.body`` is the clause's new words, written against version ``based_on``.
    If the clause changed since, both changes are merged, or a Conflict hands back both
    texts."""
    clause_key = revision.clause_key
    assert clause_key is not None, "a clause save names its clause"
    body, note = revision.body, revision.note
    current = clauses_of(latest)
    clause = next((c for c in current if c.key == clause_key), None)
    if clause is None:
        raise Conflict(
            _("This clause was removed from the draft meanwhile; your text is kept."),
            latest_number=latest.number,
            clause_key=clause_key,
            latest_body="",
            your_body=body,
        )
    if based_on != latest.number:
        base_version = version_numbered(workshop.id, based_on)
        base = clause_in(base_version, clause_key) if base_version else None
        if base is None:
            raise NotFound(
                _("There is no version %(number)s of this document.", number=based_on),
                field="based_on",
            )
        if base.body != clause.body:
            merged = merge(base.body, body, clause.body)
            if merged is not None and clauses.problem_with_body(clause.heading, merged):
                merged = None  # each text is one clause, but together they would not be
            if merged is None:
                raise Conflict(
                    _(
                        "Someone changed the same words of this clause in version %(number)s. "
                        "Both texts are below: combine them and save again.",
                        number=latest.number,
                    ),
                    latest_number=latest.number,
                    clause_key=clause_key,
                    latest_body=clause.body,
                    your_body=body,
                )
            body = merged
            note = note or _("Merged with version %(number)s", number=latest.number)
    if body == clause.body:
        raise InvalidState(_("Nothing changed since the last version."), code="unchanged")
    parts = [clauses.Part(c.heading, body if c.key == clause_key else c.body) for c in current]
    return write_version(
        change,
        workshop,
        latest,
        dataclasses.replace(
            revision,
            body=clauses.assemble(parts),
            note=note or _("Edited “%(clause)s”", clause=clauses.label(clause)),
        ),
        on_saved=on_saved,
    )


def fill_clause_from_proposals(
    actor: User, workshop_id: int, clause_key: int, proposal_ids: list[int], *, note: str = ""
) -> DocumentVersion:
    """Add the chosen proposals' words to one clause (after what it says already), so the
    version records which proposals the clause's sentences came from. Words the clause holds
    already are not added again: a form sent twice (a double click, Back and send, two
    facilitators placing the same winner) adds them once, and the second is refused as
    ``unchanged``."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    chosen_proposals(workshop, proposal_ids)
    note = checked_note(note)
    with workshop_change(workshop.id) as change:
        return fill_clause(change, actor, workshop, clause_key, proposal_ids, note=note)


def fill_clause(
    change: WorkshopChange,
    actor: User,
    workshop: Workshop,
    clause_key: int,
    proposal_ids: list[int],
    *,
    note: str,
) -> DocumentVersion:
    """``fill_clause_from_proposals`` in the caller's change (the workshop's lock held)."""
    chosen = chosen_proposals(workshop, proposal_ids)  # again: one hidden meanwhile
    latest, clause = clause_of_draft(workshop.id, clause_key)
    # Held already: every sentence of it is a sentence of the clause (not words inside one:
    # "Patients first" is its own proposal beside "Patients first and always"), its
    # capitals and end punctuation aside (a full stop added since changes nothing).
    held = _sentences_as_said(clause.body)
    chosen = [p for p in chosen if not _sentences_as_said(p.body_md) <= held]
    if not chosen:
        raise InvalidState(
            _("This clause holds the words of these proposals already."), code="unchanged"
        )
    joiner = "\n\n" if clause.heading else " "
    words = [" ".join(p.body_md.split()) if not clause.heading else p.body_md for p in chosen]
    body = checked_clause_body(clause.heading, joiner.join([clause.body, *words]).strip())
    revision = Revision(
        body,
        VersionSource.PROPOSAL,
        actor,
        note=note or _("Proposals added to “%(clause)s”", clause=clauses.label(clause)),
        clause_key=clause_key,
        proposals=tuple(chosen),
        credit_sources=tuple((credits.proposal_key(p.id), p.body_md) for p in chosen),
    )
    return apply_to_clause(change, workshop, latest, revision, based_on=latest.number)


def _sentences_as_said(text: str) -> set[str]:
    """A text's sentences, without their capitals or the punctuation around them."""
    return {sentence.strip(" .,;:!?…").casefold() for sentence in sentences(text)}


def with_span_replaced(
    version: DocumentVersion, clause_key: int, start: int, end: int, text: str
) -> str:
    """A clause's words in ``version`` with the span ``start``–``end`` of the version's text
    replaced: what an amendment or a duel's winner makes of the clause it was made on."""
    clause = clause_in(version, clause_key)
    assert clause is not None, "the span was checked to lie in this clause"
    offset = clause.span[0]
    return clause.body[: start - offset] + text + clause.body[end - offset :]


def set_editing(sid: str, actor: Participant | User, clause_key: int | None) -> None:
    """Mark (or clear) the clause this screen has open; everyone sees who is editing what.

    Not for a participant whose edits are fully anonymous: the mark lies on their connection,
    which names them, and a copy of the database taken while they edit would pair it with the
    clause's next version (which names nobody). Their screen's mark is not kept at all."""
    connection = db.session.get(Connection, sid)
    if connection is None:
        raise NotFound(_("This connection is not known; reload the page."))
    workshop = get_workshop(connection.workshop_id)
    if clause_key is not None:
        ensure_open(workshop.id)  # nobody edits the final mission
        _may_edit(actor, workshop)
        clause_of_draft(workshop.id, clause_key)
        fully_anonymous = (
            effective_anonymity(workshop, current_round(workshop.id)) == Anonymity.FULL
        )
        if isinstance(actor, Participant) and fully_anonymous:
            clause_key = None  # clears a mark made before, if any
    with workshop_change(workshop.id) as change:
        if connection.editing_clause_key == clause_key:
            return
        connection.editing_clause_key = clause_key
        connection.editing_since = clock.now() if clause_key is not None else None
        db.session.flush()
        events.editors_soon(change, workshop.id)
