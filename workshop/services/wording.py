"""Values into wording: which values the text expresses, which it misses, which words to use.

Proposals carry value tags (from their author, a facilitator, or confirmed
by other participants' support). The document's coverage compares the
widely shared personal values of the latest values round with what the
current version expresses, through its source proposals' tags and its own
words, and offers the missing values to writers as candidate words. A
vocabulary round then lets the room include or exclude candidate words,
sorted into what we do, for whom, how and why.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from ..catalogue import SUPPORTED_LANGUAGES, find_value
from ..errors import InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..models import (
    Amendment,
    AuditAction,
    Ballot,
    Participant,
    Proposal,
    ProposalStatus,
    Round,
    RoundKind,
    TagSupport,
    User,
    ValueTag,
    Workshop,
)
from ..payloads import tag_name  # noqa: F401 - re-exported for templates
from ..realtime import WorkshopChange, workshop_change
from . import audit
from .document import emit_wording
from .rounds import CATEGORIES, list_rounds, results_visible
from .workshops import get_workshop

TAG_SUPPORT_THRESHOLD = 2  # other participants needed to confirm a tag
SHARED_SHARE = 0.25  # a value is "widely shared" when this share of people picked it


def _known_keys(workshop: Workshop) -> set[str]:
    from .values import workshop_catalogue

    return {value.key for value in workshop_catalogue(workshop)}


def tag_proposal(actor: Participant | User, proposal_id: int, value_key: str) -> ValueTag:
    """Say that a proposal expresses a value; the author's or a facilitator's tag counts at once."""
    from .proposals import emit_proposal

    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("This proposal does not exist."))

    def still_taggable() -> None:
        db.session.refresh(proposal)
        if proposal.status != ProposalStatus.VISIBLE:
            raise InvalidState(_("This proposal was hidden by the facilitator."), code="hidden")

    return _tag(
        actor,
        get_workshop(proposal.workshop_id),
        value_key,
        where=ValueTag.proposal_id == proposal.id,
        new_tag=lambda: ValueTag(proposal_id=proposal.id, value_key=value_key),
        author_ids={credit.participant_id for credit in proposal.credits},
        check=still_taggable,
        emit=lambda change: emit_proposal(change, proposal),
        what=f"proposal {proposal.id}",
    )


def tag_amendment(actor: Participant | User, amendment_id: int, value_key: str) -> ValueTag:
    """Say that an amendment expresses a value, with the same rules as proposals."""
    from .amendments import emit_amendment

    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None:
        raise NotFound(_("This amendment does not exist."))
    return _tag(
        actor,
        get_workshop(amendment.workshop_id),
        value_key,
        where=ValueTag.amendment_id == amendment.id,
        new_tag=lambda: ValueTag(amendment_id=amendment.id, value_key=value_key),
        author_ids={amendment.author_id} if amendment.author_id else set(),
        check=lambda: None,
        emit=lambda change: emit_amendment(change, amendment),
        what=f"amendment {amendment.id}",
    )


def _tag(
    actor: Participant | User,
    workshop: Workshop,
    value_key: str,
    *,
    where: Any,
    new_tag: Callable[[], ValueTag],
    author_ids: set[int],
    check: Callable[[], None],
    emit: Callable[[WorkshopChange], None],
    what: str,
) -> ValueTag:
    """The tagging rule for anything people write: the author's or a facilitator's tag counts
    at once; anyone else's is a suggestion, confirmed once two participants support it."""
    from .. import permissions

    facilitator = permissions.can_moderate(actor, workshop)
    if not facilitator and not permissions.is_participant_of(actor, workshop):
        raise NotFound(_("This does not exist here."))
    if value_key not in _known_keys(workshop):
        raise ValidationFailed(_("Unknown value: %(key)s", key=value_key), field="value")
    with workshop_change(workshop.id) as change:
        check()
        tag = db.session.scalar(sa.select(ValueTag).where(where, ValueTag.value_key == value_key))
        if tag is None:
            tag = new_tag()
            tag.confirmed = False
            db.session.add(tag)
        if facilitator or (isinstance(actor, Participant) and actor.id in author_ids):
            tag.confirmed = True
        elif isinstance(actor, Participant) and actor.id not in {
            s.participant_id for s in tag.supporters
        }:
            tag.supporters.append(TagSupport(participant_id=actor.id))
        if len(tag.supporters) >= TAG_SUPPORT_THRESHOLD:
            tag.confirmed = True
        db.session.flush()
        if facilitator and isinstance(actor, User):
            audit.record(actor, workshop.id, AuditAction.TAG_ADD, f"Tagged {what} with {value_key}")
        emit(change)
        emit_wording(change, workshop)
    return tag


def tagged_item(tag: ValueTag) -> Proposal | Amendment:
    """The proposal or amendment a tag belongs to."""
    item = (
        db.session.get(Proposal, tag.proposal_id)
        if tag.proposal_id is not None
        else db.session.get(Amendment, tag.amendment_id)
    )
    assert item is not None
    return item


def untag(actor: User, tag_id: int) -> None:
    """A facilitator removes a tag that does not fit."""
    from .amendments import emit_amendment
    from .proposals import emit_proposal
    from .workshops import get_workshop_for_staff

    tag = db.session.get(ValueTag, tag_id)
    if tag is None:
        raise NotFound(_("This tag does not exist."))
    item = tagged_item(tag)
    workshop = get_workshop_for_staff(actor, item.workshop_id, moderate=True)
    value_key = tag.value_key  # read before the row is gone
    with workshop_change(workshop.id) as change:
        db.session.delete(tag)
        db.session.flush()
        db.session.refresh(item)
        audit.record(actor, workshop.id, AuditAction.TAG_REMOVE, f"Removed the tag {value_key}")
        if isinstance(item, Proposal):
            emit_proposal(change, item)
        else:
            emit_amendment(change, item)
        emit_wording(change, workshop)


# ---- coverage ---------------------------------------------------------------------
def widely_shared(workshop: Workshop) -> list[dict[str, Any]]:
    """Values picked by at least a quarter of the people in the latest visible values round."""
    from .values import display, submissions, value_names

    for round_ in reversed(list_rounds(workshop.id)):
        if round_.kind != RoundKind.VALUES or round_.started_at is None:
            continue
        if not results_visible(round_):
            return []
        stored = list(db.session.scalars(sa.select(Ballot).where(Ballot.round_id == round_.id)))
        subs = submissions(stored)
        if not subs:
            return []
        counts = Counter(label for sub in subs for label in {p.label for p in sub.picks})
        names = value_names(workshop)
        threshold = max(2, SHARED_SHARE * len(subs))
        return [
            {"key": label, "name": display(label, names), "count": count}
            for label, count in counts.most_common()
            if count >= threshold
        ]
    return []


def _names_for(key: str, display_name: str) -> set[str]:
    """Every way the text may name a value: its name in each language, or the own words."""
    names = {display_name.lower()}
    for language in SUPPORTED_LANGUAGES:
        value = find_value(key, language)
        if value is not None:
            names.add(value.name.lower())
    return names


def coverage(workshop: Workshop, body_md: str, source_proposals: list[Proposal]) -> dict[str, Any]:
    """Which widely shared values a text expresses (by tags or words), and which it misses."""
    shared = widely_shared(workshop)
    tagged = {
        tag.value_key for proposal in source_proposals for tag in proposal.tags if tag.confirmed
    }
    text = body_md.lower()
    expressed, missing = [], []
    for value in shared:
        in_words = any(
            re.search(rf"\b{re.escape(name)}\b", text)
            for name in _names_for(value["key"], value["name"])
        )
        (expressed if value["key"] in tagged or in_words else missing).append(value["name"])
    return {"shared": shared, "expressed": expressed, "missing": missing}


# ---- vocabulary rounds -------------------------------------------------------------
def parse_words(text: str) -> list[dict[str, str]]:
    """One word per line, optionally "word: how" (the console's textarea)."""
    words = []
    for line in (text or "").splitlines():
        word, _sep, category = line.partition(":")
        if word.strip():
            words.append({"word": word.strip(), "category": category.strip().lower() or "what"})
    return words


def validate_vocabulary_ballot(raw: Mapping[str, Any], round_: Round) -> dict[str, Any]:
    """Include or exclude votes on the round's words."""
    votes = raw.get("votes")
    known = {item["word"] for item in round_.words}
    if not isinstance(votes, Mapping) or not votes:
        raise ValidationFailed(_("Vote on at least one word."), field="votes")
    cleaned = {}
    for word, choice in votes.items():
        if word not in known:
            raise ValidationFailed(_("That word is not on this ballot."), field="votes")
        if choice not in ("include", "exclude"):
            raise ValidationFailed(_("Choose include or exclude."), field="votes")
        cleaned[word] = choice
    return {"votes": cleaned}


def vocabulary_results(round_: Round, ballots: list[dict[str, Any]]) -> dict[str, Any]:
    """Per word: include and exclude counts, and approved, vetoed or open."""
    items = []
    for item in round_.words:
        choices = [b.get("votes", {}).get(item["word"]) for b in ballots]
        include, exclude = choices.count("include"), choices.count("exclude")
        status = "approved" if include > exclude else "vetoed" if exclude > include else "open"
        items.append({**item, "include": include, "exclude": exclude, "status": status})
    order = {category: index for index, category in enumerate(CATEGORIES)}
    items.sort(key=lambda i: (order[i["category"]], -i["include"], i["word"].lower()))
    return {"method": "vocabulary", "ballots": len(ballots), "items": items}


def approved_and_vetoed(workshop_id: int) -> dict[str, list[str]]:
    """The words the room approved and vetoed in its vocabulary rounds (latest result wins)."""
    status: dict[str, str] = {}
    for round_ in list_rounds(workshop_id):
        if round_.kind != RoundKind.VOCABULARY or not results_visible(round_):
            continue
        stored = [
            b.data
            for b in db.session.scalars(sa.select(Ballot).where(Ballot.round_id == round_.id))
        ]
        for item in vocabulary_results(round_, stored)["items"]:
            status[item["word"]] = item["status"]
    return {
        "approved": sorted(w for w, s in status.items() if s == "approved"),
        "vetoed": sorted(w for w, s in status.items() if s == "vetoed"),
    }


def marked_words(body_md: str, words: dict[str, list[str]]) -> dict[str, list[str]]:
    """For the editor: approved words used and still missing, vetoed words that crept in."""
    text = body_md.lower()

    def used(word: str) -> bool:
        return re.search(rf"\b{re.escape(word.lower())}\b", text) is not None

    return {
        "approved_used": [w for w in words["approved"] if used(w)],
        "approved_missing": [w for w in words["approved"] if not used(w)],
        "vetoed_used": [w for w in words["vetoed"] if used(w)],
    }


def highlight(body_md: str, words: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The draft as pieces ("plain" | "approved" | "vetoed", text) for the editor's preview."""
    marks = {w.lower(): "approved" for w in words["approved"]}
    marks.update({w.lower(): "vetoed" for w in words["vetoed"]})
    if not marks:
        return [("plain", body_md)]
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(w) for w in sorted(marks, key=len, reverse=True)) + r")\b",
        re.IGNORECASE,
    )
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in pattern.finditer(body_md):
        if match.start() > position:
            pieces.append(("plain", body_md[position : match.start()]))
        pieces.append((marks[match.group(0).lower()], match.group(0)))
        position = match.end()
    if position < len(body_md):
        pieces.append(("plain", body_md[position:]))
    return pieces
