"""Where the words came from: who wrote each sentence and clause of any version, and which
changes shaped it (proposals, amendments, duels, edits, restores, the existing mission).

People come from the credit kept with every word (see credits.py), so a sentence credits
everyone whose words are in it, whoever saved the version: both people of a merge, the
author of an amendment rather than the facilitator who accepted it, the proposal's
authors rather than the facilitator who added it, "the existing mission" for pasted
words. Everything here is read by staff and the exports, so people are named where
staff may see them (:func:`audiences.proposal_authors` and :func:`audiences.named_author`
with ``staff=True``): never in fully anonymous mode.
"""

from __future__ import annotations

import bisect
import collections
from typing import Any

from flask_babel import gettext as _

from . import clauses, credits
from .audiences import duel_results, duel_winner, named_author, proposal_authors
from .diffs import sentences
from .errors import NotFound
from .extensions import db
from .guards import workshop_for_staff
from .models import DocumentVersion, Participant, Proposal, User, VersionSource
from .queries import clauses_of, history
from .tallies import duel_winner_votes


def person(participant: Participant) -> dict[str, str]:
    """A person as the record shows them: name, level and department."""
    return {
        "name": participant.display_name,
        "level": participant.level,
        "department": participant.department or "",
    }


def proposal_people(proposal: Proposal) -> list[dict[str, str]]:
    """The people behind a proposal (its credits after merges), where anonymity allows."""
    return [person(p) for p in proposal_authors(proposal, staff=True)]


def existing_mission() -> dict[str, str]:
    """The words a facilitator pasted, as the record names them: no level, unlike anyone who
    joined (a participant always has one), so a participant who chose that name is still a
    person (see :func:`is_existing_mission`)."""
    return {"name": _("the existing mission"), "level": "", "department": ""}


def is_existing_mission(someone: dict[str, str]) -> bool:
    return someone == existing_mission()


def who(key: str) -> list[dict[str, str]]:
    """The people a word's credit key stands for, as staff may see them."""
    if key == credits.ORIGINAL:
        return [existing_mission()]
    if key == credits.ANONYMOUS:
        return [{"name": _("a participant (anonymous)"), "level": "", "department": ""}]
    if key.startswith("prop"):
        proposal = db.session.get(Proposal, int(key[4:]))
        if proposal is None:
            return []
        return proposal_people(proposal) or [
            {"name": _("a participant (anonymous)"), "level": "", "department": ""}
        ]
    if key.startswith("u"):
        user = db.session.get(User, int(key[1:]))
        if user is None:
            return []
        return [{"name": user.display_name, "level": _("Facilitator"), "department": ""}]
    participant = db.session.get(Participant, int(key[1:]))
    return [person(participant)] if participant else []


def people_of(keys: list[str]) -> list[dict[str, str]]:
    """Everyone behind these credit keys, once each, in the order their words come."""
    out: list[dict[str, str]] = []
    for key in credits.in_order(keys):
        out.extend(p for p in who(key) if p not in out)
    return out


def _credits_in(version: DocumentVersion, start: int, end: int) -> list[str]:
    """The credit keys of the words between two offsets of a version's text."""
    return _credits_within(version, [(start, end)])


def text_credits(version: DocumentVersion) -> list[str]:
    """The credit keys of the words of a version's clauses: not of their headings nor of the
    Markdown around them ("##"), which are the document's shape (a template's, mostly the
    facilitator's), not anyone's words in the mission. Who wrote how much of it counts these."""
    return _credits_within(version, [clause.span for clause in clauses_of(version)])


def _credits_within(version: DocumentVersion, parts: list[tuple[int, int]]) -> list[str]:
    spans = credits.word_spans(version.body_md)
    keys = version.word_credits if len(version.word_credits) == len(spans) else []
    return [
        key
        for (s, e), key in zip(spans, keys, strict=False)
        if any(start <= s and e <= end for start, end in parts)
    ]


def contribution(version: DocumentVersion, within: str | None = None) -> dict[str, Any]:
    """What one version brought in (its source, proposals, amendment or duel)."""
    amendment = version.amendment
    duel = version.duel
    out: dict[str, Any] = {
        "version": version.number,
        "source": str(version.source),
        "note": version.note,
        "proposals": [
            {"id": p.id, "body_md": p.body_md, "people": proposal_people(p)}
            for p in version.source_proposals
            if within is None or _said_in(p, within)
        ],
        "amendment": None,
        "duel": None,
    }
    if amendment is not None:
        out["amendment"] = {
            "id": amendment.id,
            "original": amendment.original,
            "replacement": amendment.replacement,
            "reason": amendment.reason,
            "people": [person(author)] if (author := named_author(amendment, staff=True)) else [],
        }
    if duel is not None:  # a version comes from a duel once it is decided: its counts show
        results, winner_id = duel_results(duel), duel_winner(duel)
        winner = next((o for o in duel.options if o.id == winner_id), None)
        out["duel"] = {
            "id": duel.id,
            "winner": winner.text if winner else "",
            "alternatives": [o.text for o in duel.options if o.id != winner_id],
            "votes": duel_winner_votes(duel) or 0,
            "voters": (results or {}).get("voters", 0),
        }
    out["label"] = label(out)
    return out


def _said_in(proposal: Proposal, text: str) -> bool:
    """Whether any sentence of a proposal is in a text (spacing aside)."""
    flat = " ".join(text.split())
    return any(sentence in flat for sentence in sentences(proposal.body_md))


SOURCE_LABELS = {
    VersionSource.PROPOSAL: "proposals",
    VersionSource.EDIT: "edit",
    VersionSource.RESTORE: "restore",
    VersionSource.AMENDMENT: "amendment",
    VersionSource.DUEL: "duel",
    VersionSource.REOPEN: "reopen",
}


def label(item: dict[str, Any]) -> str:
    """One line saying where a change came from, as people say it."""
    if item["amendment"]:
        return _("Amendment #%(id)s", id=item["amendment"]["id"])
    if item["duel"]:
        return _(
            "Duel #%(id)s: chosen with %(votes)s of %(voters)s votes over %(others)s",
            id=item["duel"]["id"],
            votes=item["duel"]["votes"],
            voters=item["duel"]["voters"],
            others="; ".join(f"“{text}”" for text in item["duel"]["alternatives"]),
        )
    if item["proposals"]:
        return ", ".join(_("Proposal #%(id)s", id=p["id"]) for p in item["proposals"])
    if item["source"] == str(VersionSource.RESTORE):
        return item["note"] or _("Restored")
    if item["source"] == str(VersionSource.REOPEN):
        return _("Reopened")
    return _("Edited")


def by_clause(version: DocumentVersion) -> list[dict[str, Any]]:
    """For each clause of a version: the changes that shaped its words (oldest first), who
    wrote the words it has now, and how its words divide among levels.

    The changes are those its key went through, and those that first brought in each sentence
    it holds now, wherever that was: words that came into it from another clause (two clauses
    joined, one split in two) keep the proposal they came from. A sentence is traced by its
    words and by whom they are credited to, so the same words written again later by someone
    else are theirs, not the card they were once taken from."""
    changes: dict[int, list[tuple[DocumentVersion, str]]] = {}
    before: dict[int, str] = {}
    versions = history(version.workshop_id, version.number)
    for earlier in versions:
        for clause in clauses_of(earlier):
            if clause.body and before.get(clause.key) != clause.body:
                changes.setdefault(clause.key, []).append((earlier, clause.body))
            before[clause.key] = clause.body
    first_seen = _first_seen(versions)
    held = collections.defaultdict(list)
    for clause_key, sentence, credited in _credited_sentences(version):
        held[clause_key].append((sentence, credited))
    out = []
    for clause in clauses_of(version):
        if not clause.body:
            continue
        start, end = clause.span
        keys = _credits_in(version, start, end)
        shaped = {v.number: (v, body) for v, body in changes.get(clause.key, [])}
        for sentence, credited in held[clause.key]:
            origin = first_seen[(sentence, credited)]
            shaped.setdefault(origin.number, (origin, clause.body))
        out.append(
            {
                "clause_key": clause.key,
                "clause": clauses.label(clause),
                "body_md": clause.body,
                "contributions": [
                    contribution(v, within=body)
                    for _number, (v, body) in sorted(shaped.items())
                    if v.source != VersionSource.REOPEN
                ],
                "people": people_of(keys),
                "by_level": _shares(keys),
            }
        )
    return out


def _credited_sentences(version: DocumentVersion) -> list[tuple[int, str, tuple[str, ...]]]:
    """Each clause's sentences in a version (clause key, sentence, the credit keys of its
    words): headings are labels, not sentences."""
    spans = credits.word_spans(version.body_md)
    if len(version.word_credits) != len(spans):  # credits not kept: traced by words alone
        spans = []
    keys = version.word_credits
    starts = [s for s, _e in spans]
    out = []
    for clause in clauses_of(version):
        offset, cursor = clause.span[0], 0
        for sentence in sentences(clause.body):
            begin, finish = _locate(clause.body, sentence, cursor)
            cursor = finish
            first = bisect.bisect_left(starts, offset + begin)
            credited = set()
            for (_start, e), key in zip(spans[first:], keys[first:], strict=False):
                if e > offset + finish:
                    break
                credited.add(key)
            out.append((clause.key, sentence, tuple(sorted(credited))))
    return out


def _first_seen(
    versions: list[DocumentVersion],
) -> dict[tuple[str, tuple[str, ...]], DocumentVersion]:
    """The version that first held each sentence, as written by whom it is credited to."""
    seen: dict[tuple[str, tuple[str, ...]], DocumentVersion] = {}
    for earlier in versions:
        for _clause_key, sentence, keys in _credited_sentences(earlier):
            seen.setdefault((sentence, keys), earlier)
    return seen


def _shares(keys: list[str]) -> list[dict[str, Any]]:
    """How a text's words divide among levels (the existing mission and staff included)."""
    counted: dict[str, float] = collections.defaultdict(float)
    for key in keys:
        people = who(key)
        for p in people:
            counted[p["level"] or p["name"]] += 1 / len(people)
    total = sum(counted.values()) or 1
    largest_first = sorted(counted.items(), key=lambda item: item[1], reverse=True)
    return [{"level": level, "share": round(count / total, 3)} for level, count in largest_first]


def by_sentence(actor: User, workshop_id: int, number: int) -> list[dict[str, Any]]:
    """Where each sentence of a version came from: the version that brought it in, its source,
    and everyone whose words are in it, with their levels and departments (where anonymity
    allows)."""
    workshop_for_staff(actor, workshop_id, moderate=False)
    versions = history(workshop_id, number)
    if not versions or versions[-1].number != number:
        raise NotFound(_("There is no version %(number)s of this document.", number=number))
    version = versions[-1]
    first_seen = _first_seen(versions)
    rows = []
    for clause in clauses_of(version):
        start, _end = clause.span
        cursor = 0
        for sentence in sentences(clause.body):
            position = _locate(clause.body, sentence, cursor)
            cursor = position[1]
            keys = _credits_in(version, start + position[0], start + position[1])
            origin = contribution(first_seen[(sentence, _key_set(keys))], within=sentence)
            rows.append({"sentence": sentence, **origin, "people": people_of(keys)})
    return rows


def _key_set(keys: list[str]) -> tuple[str, ...]:
    return tuple(sorted(set(keys)))


def _locate(text: str, sentence: str, cursor: int) -> tuple[int, int]:
    """Where a (space-normalised) sentence lies in a text, from ``cursor`` on."""
    start = text.find(sentence.split()[0], cursor)
    start = start if start >= 0 else cursor
    spans = credits.word_spans(text[start:])  # the end is where its word count is reached
    wanted = len(sentence.split())
    end = start + spans[wanted - 1][1] if len(spans) >= wanted else len(text)
    return start, end
