"""Is every level in the mission? Who joined, proposed and voted, whose words the draft and
the final text hold, and how each clause is received, per level and per department.

The reason the product exists is that missions written for clients leave staff out; this is
what lets leadership see, while the workshop runs, that frontline words are missing or that a
clause executives like is one frontline staff reject.

Privacy: every figure is per *bucket*, never per person. A group of fewer than
``MIN_GROUP_SIZE`` people who joined is pooled with other small groups (and, if the pool is
still too small, with the smallest large ones) into "Other levels", so no small group is
shown alone or can be worked out by subtracting the others (``privacy.pool_small_groups``).
Fully anonymous answers carry no level and are not broken down.

How a clause is received is grouped by who *answered*, not by who joined (five frontline
people joined, one answered: that one answer is not shown as "Frontline"): consent by the
levels of the people who answered on the clause, a vote's support by the levels of its
ballots. A vote whose results break its tally down by level already shows some levels and
hides others (``privacy.suppress_small_groups``); its support here follows that page exactly
(the levels it shows, and the levels it hides together as one pool, which its totals give
away anyway), so that subtracting one page from the other can never single out a level.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import credits, events, provenance
from ..extensions import db
from ..guards import workshop_for_staff
from ..models import (
    AuditAction,
    Ballot,
    ClauseVote,
    DocumentVersion,
    Participant,
    Proposal,
    ProposalCredit,
    Round,
    RoundKind,
    RoundStatus,
    User,
    Workshop,
)
from ..privacy import (
    MIN_GROUP_SIZE,
    pool_small_groups,
    results_visible,
    shows_authors,
    suppress_small_groups,
)
from ..queries import (
    clauses_of,
    final_version,
    known_proposers,
    known_voters,
    latest_version,
    list_participants,
    list_rounds,
)
from ..realtime import workshop_change
from ..tallies import round_results
from ..voting import ConsentChoice, Method
from . import audit

# A clause whose consent differs this much between two levels is flagged before the lock.
SPREAD_WARNING = 0.4


@dataclasses.dataclass
class Bucket:
    """One row of the picture: a group (or a pool of small groups) and what it did."""

    name: str
    members: list[str] = dataclasses.field(default_factory=list)
    joined: int = 0
    proposed: int = 0
    voted: int = 0
    draft_words: float = 0.0
    final_words: float = 0.0


@dataclasses.dataclass(frozen=True)
class Member:
    """Someone who joined, as the picture counts them: by their groups only."""

    id: int
    level: str
    department: str


def taking_part(workshop_id: int, until: dt.datetime | None = None) -> dict[str, Any]:
    """Who had joined (with their groups), proposed and voted: kept with a version when it is
    locked, so that its sign-off pack says who took part then, however the workshop goes on
    (the record is kept the same way). ``until``: as near as the database can tell it for an
    earlier moment (a version locked before this was kept: who had joined and proposed by
    then, and voted in the rounds started by then)."""
    people = list_participants(workshop_id)
    if until is not None:
        people = [p for p in people if p.joined_at <= until]
    return {
        "people": [[p.id, p.level, p.department] for p in people],
        "proposers": sorted(known_proposers(workshop_id, until)),
        "voters": sorted(known_voters(workshop_id, until)),
    }


def representation(
    actor: User, workshop_id: int, *, version: DocumentVersion | None = None
) -> dict[str, Any]:
    """The whole picture for the workshop's staff (facilitators and leadership). For a
    final ``version`` (its sign-off pack): the picture as it was locked (who had joined,
    proposed and voted, whose words are in it, and the consent by level), whatever was
    answered or locked since."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=False)
    locked = version if version is not None and version.final_at is not None else None
    kept = (locked.final_readiness or {}) if locked is not None else {}
    facts = kept.get("taking_part") or taking_part(
        workshop.id, locked.final_at if locked is not None else None
    )
    people = [Member(*row) for row in facts["people"]]
    proposers, voters = set(facts["proposers"]), set(facts["voters"])
    # At its lock, the version was the draft (only the latest version can be locked).
    draft = locked or latest_version(workshop.id)
    final = locked or final_version(workshop.id)
    word_owners = _word_owners(draft, final)
    out: dict[str, Any] = {
        "min_group_size": MIN_GROUP_SIZE,
        "joined": len(people),
        "draft_version": draft.number if draft else None,
        "final_version": final.number if final else None,
    }
    keep = pooled_at_locks(workshop.id, before=locked.number if locked is not None else None)
    for kind, attribute, other, configured in (
        ("level", "level", _("Other levels"), workshop.levels),
        ("department", "department", _("Other departments"), workshop.departments),
    ):
        groups = grouping(people, attribute, other, keep[attribute])
        rows = group_rows(people, groups, proposers, voters, word_owners)
        out[f"by_{kind}"] = rows
        out[f"missing_{kind}s"] = [g for g in configured if g not in groups.buckets]
    out["other_words"] = _other_words(word_owners)
    out["flags"] = _flags(out, draft_exists=draft is not None)
    out["agreement"] = (
        _in_this_language(kept["agreement"], {*workshop.levels, *(m.level for m in people)})
        if "agreement" in kept
        else agreement(workshop, list_participants(workshop.id), draft, keep["consent"])
    )
    return out


# ---- who is in which bucket ---------------------------------------------------------------


@dataclasses.dataclass
class Grouping:
    """People by level or by department, as every picture of who took part counts them."""

    attribute: str
    unnamed: str  # the group of people with no department, when others have one
    buckets: dict[str, str]  # group -> its bucket (itself, or the pool)

    def group_of(self, person: Any) -> str:
        return getattr(person, self.attribute) or self.unnamed

    def bucket_of(self, person: Any) -> str | None:
        return self.buckets.get(self.group_of(person))


def grouping(
    people: list[Any], attribute: str, other: str, keep_pooled: Collection[str] = ()
) -> Grouping:
    """Each group's bucket: itself when big enough, else the pool (see the module's
    docstring). People with no department are a group of their own as soon as anyone has
    one: left out, they were the difference between the levels' totals and the
    departments', however few they were."""
    unnamed = ""
    if attribute == "department" and any(getattr(p, attribute) for p in people):
        unnamed = _("No department")
    sizes = collections.Counter(getattr(p, attribute) or unnamed for p in people)
    sizes.pop("", None)
    buckets = pool_small_groups(sizes, other=other, keep_pooled=keep_pooled)
    return Grouping(attribute, unnamed, buckets)


def pooled_at_locks(workshop_id: int, before: int | None = None) -> dict[str, Any]:
    """The groups pooled, by "level" and "department", in the pictures kept with locked
    versions (before version ``before``, when given), and the levels pooled in their consent
    per clause ("consent": {clause key: levels}): they stay pooled in every picture drawn
    after, so comparing a kept picture with a later one singles out no small group."""
    kept: dict[str, Any] = {"level": set(), "department": set(), "consent": {}}
    locked = db.session.scalars(
        sa.select(DocumentVersion)
        .where(DocumentVersion.workshop_id == workshop_id, DocumentVersion.final_at.is_not(None))
        .order_by(DocumentVersion.number)
    )
    for version in locked:
        if before is not None and version.number >= before:
            break
        for clause in (version.final_readiness or {}).get("agreement", []):
            pooled = kept["consent"].setdefault(clause["clause_key"], set())
            pooled |= set(clause.get("pooled_levels", []))
        facts = (version.final_readiness or {}).get("taking_part")
        if not facts:
            continue
        people = [Member(*row) for row in facts["people"]]
        for attribute, other in (
            ("level", _("Other levels")),
            ("department", _("Other departments")),
        ):
            pooled = grouping(people, attribute, other, kept[attribute]).buckets
            kept[attribute] |= {group for group, bucket in pooled.items() if bucket == other}
    return kept


# ---- what people did --------------------------------------------------------------------


@dataclasses.dataclass
class WordOwners:
    """Whose words each version holds: per participant a (fractional) word count, and the
    words nobody in the room can be credited with (anonymous, staff, the existing mission)."""

    draft_total: int = 0
    final_total: int = 0
    draft: dict[int, float] = dataclasses.field(default_factory=dict)
    final: dict[int, float] = dataclasses.field(default_factory=dict)
    draft_other: dict[str, int] = dataclasses.field(default_factory=dict)
    final_other: dict[str, int] = dataclasses.field(default_factory=dict)


def _word_owners(draft: DocumentVersion | None, final: DocumentVersion | None) -> WordOwners:
    owners = WordOwners()
    for version, total, per_person, other in (
        (draft, "draft_total", owners.draft, owners.draft_other),
        (final, "final_total", owners.final, owners.final_other),
    ):
        if version is None:
            continue
        keys = provenance.text_credits(version)  # the clauses' words, not their headings
        setattr(owners, total, len(keys))
        proposal_authors = _proposal_authors(
            int(k[4:]) for k in keys if k.startswith("prop") and k[4:].isdigit()
        )
        for key in keys:
            people = _people_of(key, proposal_authors)
            if people:
                for pid in people:
                    per_person[pid] = per_person.get(pid, 0.0) + 1 / len(people)
            else:
                kind = _other_kind(key)
                other[kind] = other.get(kind, 0) + 1
    return owners


def _proposal_authors(ids: Iterable[int]) -> dict[int, list[int]]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = db.session.execute(
        sa.select(ProposalCredit.proposal_id, ProposalCredit.participant_id, Proposal.anonymity)
        .join(Proposal, Proposal.id == ProposalCredit.proposal_id)
        .where(ProposalCredit.proposal_id.in_(wanted))
    ).all()
    out: dict[int, list[int]] = collections.defaultdict(list)
    for proposal_id, participant_id, anonymity in rows:
        if shows_authors(anonymity, staff=True, readout=False):
            out[proposal_id].append(participant_id)
    return out


def _people_of(key: str, proposal_authors: dict[int, list[int]]) -> list[int]:
    """The participants a word's credit key names (shared equally when several wrote it)."""
    if key.startswith("prop") and key[4:].isdigit():
        return proposal_authors.get(int(key[4:]), [])
    if key.startswith("p") and key[1:].isdigit():
        return [int(key[1:])]
    return []


def _other_kind(key: str) -> str:
    if key == credits.ORIGINAL:
        return "original"
    if key.startswith("u"):
        return "staff"
    return "anonymous"


def group_rows(
    people: list[Any],
    groups: Grouping,
    proposers: Collection[int],
    voters: Collection[int],
    words: WordOwners | None = None,
) -> list[dict[str, Any]]:
    """One row per bucket: who joined, proposed and voted (and, given ``words``, the share
    of each version's words). The "who took part" page, the sign-off pack and the record
    all count with this, so they can never disagree on a group's numbers."""
    rows: dict[str, Bucket] = {}
    for person in people:
        name = groups.bucket_of(person)
        if name is None:
            continue
        row = rows.setdefault(name, Bucket(name))
        group = groups.group_of(person)
        if name != group and group not in row.members:
            row.members.append(group)
        row.joined += 1
        row.proposed += person.id in proposers
        row.voted += person.id in voters
        if words is not None:
            row.draft_words += words.draft.get(person.id, 0.0)
            row.final_words += words.final.get(person.id, 0.0)
    out = []
    for row in rows.values():
        counted: dict[str, Any] = {
            "group": row.name,
            "members": sorted(row.members),
            "joined": row.joined,
            "proposed": row.proposed,
            "voted": row.voted,
        }
        if words is not None:
            counted["draft_share"] = _share(row.draft_words, words.draft_total)
            counted["final_share"] = _share(row.final_words, words.final_total)
        out.append(counted)
    pooled = {_("Other levels"), _("Other departments")}
    return sorted(out, key=lambda r: (r["group"] in pooled, -r["joined"], r["group"]))


def _other_words(words: WordOwners) -> dict[str, dict[str, float | None]]:
    """The share of words no group can be credited with, by why."""
    return {
        kind: {
            "draft_share": _share(words.draft_other.get(kind, 0), words.draft_total),
            "final_share": _share(words.final_other.get(kind, 0), words.final_total),
        }
        for kind in ("original", "staff", "anonymous")
    }


def _share(part: float, total: int) -> float | None:
    return round(part / total, 3) if total else None


def _flags(picture: dict[str, Any], *, draft_exists: bool) -> list[str]:
    """What leadership should notice, in words."""
    flags = [
        _("No one from %(group)s has joined.", group=g)
        for g in picture["missing_levels"] + picture["missing_departments"]
    ]
    for row in picture["by_level"] + picture["by_department"]:
        if row["proposed"] == 0:
            flags.append(_("%(group)s has not proposed anything yet.", group=row["group"]))
        if draft_exists and not row["draft_share"]:
            flags.append(_("No words from %(group)s in the current draft.", group=row["group"]))
    return flags


# ---- agreement across levels ------------------------------------------------------------


def agreement(
    workshop: Workshop,
    people: list[Participant],
    draft: DocumentVersion | None,
    keep_pooled: dict[int, set[str]] | None = None,
) -> list[dict[str, Any]]:
    """Per clause of the current draft: consent by level, and support for the winner of each
    vote held on that clause by level, each with its spread (the highest level's share
    minus the lowest's; large when one level likes what another rejects). ``keep_pooled``:
    per clause key, the levels pooled in the consent a locked version keeps; they stay pooled
    (``pooled_levels`` says which were), so page and pack cannot be subtracted."""
    keep_pooled = keep_pooled or {}
    if draft is None:
        return []
    level_of = {p.id: p.level for p in people if p.level}
    votes = db.session.scalars(
        sa.select(ClauseVote).where(
            ClauseVote.workshop_id == workshop.id, ClauseVote.participant_id.is_not(None)
        )
    ).all()
    rounds = [
        r
        for r in list_rounds(workshop.id)
        if r.kind == RoundKind.VOTE and r.status == RoundStatus.ENDED and r.clause
    ]
    out = []
    for clause in clauses_of(draft):
        title = clause.heading or clause.body[:60]
        by_level: dict[str, list[ConsentChoice]] = collections.defaultdict(list)
        for vote in votes:
            level = level_of.get(vote.participant_id or 0)
            if vote.clause_key == clause.key and vote.voted_text == clause.markdown and level:
                by_level[level].append(vote.choice)
        other = _("Other levels")
        buckets = pool_small_groups(
            _sizes(by_level), other=other, keep_pooled=keep_pooled.get(clause.key, ())
        )
        answers = _pooled(by_level, buckets)
        consent = {
            level: {
                "answers": len(choices),
                "object": sum(c == ConsentChoice.OBJECT for c in choices),
                "consent_share": round(
                    sum(c != ConsentChoice.OBJECT for c in choices) / len(choices), 3
                ),
            }
            for level, choices in sorted(answers.items())
        }
        out.append(
            {
                "clause_key": clause.key,
                "title": title,
                "consent_by_level": consent,
                "consent_spread": _spread([c["consent_share"] for c in consent.values()]),
                "pooled_levels": sorted(level for level, b in buckets.items() if b == other),
                "votes": [
                    v
                    for r in rounds
                    if _same_clause(r.clause, clause.heading)
                    and (v := _winner_support(r)) is not None
                ],
            }
        )
    return out


def _in_this_language(kept: list[dict[str, Any]], levels: set[str]) -> list[dict[str, Any]]:
    """A kept consent by level, its pool named in the reader's language: it was kept under
    the words of whoever locked the version ("Other levels" in a Dutch pack otherwise)."""
    other = _("Other levels")

    def named(by_level: dict[str, Any]) -> dict[str, Any]:
        return {(level if level in levels else other): row for level, row in by_level.items()}

    return [
        {
            **clause,
            "consent_by_level": named(clause["consent_by_level"]),
            "votes": [
                {**vote, "support_by_level": named(vote["support_by_level"])}
                for vote in clause.get("votes", [])
            ],
        }
        for clause in kept
    ]


def _same_clause(round_clause: str, heading: str) -> bool:
    return round_clause.strip().casefold() == heading.strip().casefold()


def _spread(shares: list[float]) -> float | None:
    return round(max(shares) - min(shares), 3) if len(shares) >= 2 else None


def _sizes(by_group: dict[str, list[Any]]) -> dict[str, int]:
    return {group: len(items) for group, items in by_group.items()}


def _pooled(by_group: dict[str, list[Any]], buckets: dict[str, str]) -> dict[str, list[Any]]:
    """The items of each group gathered into their buckets; groups without one are left out."""
    out: dict[str, list[Any]] = collections.defaultdict(list)
    for group, items in by_group.items():
        if bucket := buckets.get(group):
            out[bucket].extend(items)
    return out


def _support_buckets(results: dict[str, Any], sizes: dict[str, int]) -> dict[str, str]:
    """The bucket of each level of a vote's ballots. Where the results break the tally down
    by level, the levels they show stand alone and the levels they hide form one pool, kept
    only when it is big enough (the module's docstring says why); otherwise small levels are
    pooled as everywhere else."""
    other = _("Other levels")
    if "by_level" not in results:
        return pool_small_groups(sizes, other=other)
    shown = suppress_small_groups(sizes)
    hidden = sum(size for level, size in sizes.items() if not shown[level])
    return {
        level: level if shown[level] else other
        for level in sizes
        if shown[level] or hidden >= MIN_GROUP_SIZE
    }


def _winner_support(round_: Round) -> dict[str, Any] | None:
    """How much of each level's ballots supported the vote's winner (as the method reads
    support: any dots, an approval, a score of 4 or 5, ranked first, not objected to)."""
    if not results_visible(round_):
        return None
    results = round_results(round_) or {}
    winner = results.get("winner")
    if winner is None:
        return None
    said: dict[str, list[bool]] = collections.defaultdict(list)
    for level, data in db.session.execute(
        sa.select(Ballot.level, Ballot.data).where(
            Ballot.round_id == round_.id, Ballot.level.is_not(None)
        )
    ):
        said[level].append(_supports(round_.method, data, winner))
    by_level = _pooled(said, _support_buckets(results, _sizes(said)))
    support = {
        level: {"ballots": len(said), "support_share": round(sum(said) / len(said), 3)}
        for level, said in sorted(by_level.items())
    }
    return {
        "round_id": round_.id,
        "prompt": round_.prompt,
        "winner": winner,
        "support_by_level": support,
        "support_spread": _spread([s["support_share"] for s in support.values()]),
    }


def _supports(method: Method | None, ballot: dict[str, Any], winner: int) -> bool:
    key = str(winner)
    if method == Method.DOT:
        return ballot.get("dots", {}).get(key, 0) > 0
    if method == Method.APPROVAL:
        return winner in ballot.get("approved", [])
    if method == Method.SCORE:
        return ballot.get("scores", {}).get(key, 0) >= 4
    if method == Method.RANKED:
        return ballot.get("ranking", [None])[0] == winner
    if method == Method.CONSENT:
        answer = ballot.get("consent", {}).get(key)
        return bool(answer) and answer.get("choice") != ConsentChoice.OBJECT
    return False


def spread_warnings(picture: dict[str, Any]) -> list[str]:
    """Clauses whose levels disagree a lot, in words, for the page and the readiness list:
    consent that differs by ``SPREAD_WARNING`` or more between two levels, and a vote on
    the clause whose winner one level backs and another much less."""
    warnings = []
    for clause in picture["agreement"]:
        spread = clause["consent_spread"]
        if spread is not None and spread >= SPREAD_WARNING:
            high, low = _extremes(clause["consent_by_level"], "consent_share")
            warnings.append(
                _(
                    "%(clause)s: %(high)s consent (%(high_share)s%%) but %(low)s much less "
                    "(%(low_share)s%%).",
                    clause=clause["title"],
                    **_shares(clause["consent_by_level"], "consent_share", high, low),
                )
            )
        for vote in clause["votes"]:
            spread = vote["support_spread"]
            if spread is not None and spread >= SPREAD_WARNING:
                high, low = _extremes(vote["support_by_level"], "support_share")
                warnings.append(
                    _(
                        "%(clause)s: %(high)s back the winner of “%(vote)s” (%(high_share)s%%) "
                        "but %(low)s much less (%(low_share)s%%).",
                        clause=clause["title"],
                        vote=vote["prompt"],
                        **_shares(vote["support_by_level"], "support_share", high, low),
                    )
                )
    return warnings


def _extremes(by_level: dict[str, dict[str, Any]], share: str) -> tuple[str, str]:
    """The level with the highest share and the one with the lowest."""
    high = max(by_level, key=lambda g: by_level[g][share])
    low = min(by_level, key=lambda g: by_level[g][share])
    return high, low


def _shares(by_level: dict[str, dict[str, Any]], share: str, high: str, low: str) -> dict:
    return {
        "high": high,
        "low": low,
        "high_share": round(by_level[high][share] * 100),
        "low_share": round(by_level[low][share] * 100),
    }


def divisive_clauses(workshop: Workshop, version: DocumentVersion | None = None) -> list[str]:
    """The clauses of a version (the latest by default) that divide the levels, in words
    (see :func:`spread_warnings`): for the lock readiness list, which has no actor."""
    version = version or latest_version(workshop.id)
    people = list_participants(workshop.id)
    keep = pooled_at_locks(workshop.id)["consent"]
    return spread_warnings({"agreement": agreement(workshop, people, version, keep)})


def notices(actor: User, workshop_id: int) -> list[str]:
    """Everything to notice, in words: who is missing, clauses that divide the levels, whom
    the mission forgets, and clauses without a success measure (the console's list, and the
    projector's when the facilitator shows it there)."""
    from . import measures, stakeholders

    picture = representation(actor, workshop_id)
    return (
        picture["flags"]
        + spread_warnings(picture)
        + stakeholders.balance(workshop_id)["warnings"]
        + measures.missing_measures(workshop_id)
    )


def show_on_wall(actor: User, workshop_id: int, shown: bool) -> Workshop:
    """The facilitator's choice to show the notices on the projector, or not."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    with workshop_change(workshop.id) as change:
        workshop.wall_notices = shown
        audit.record(
            actor,
            workshop.id,
            AuditAction.WALL_NOTICES,
            audit.N_("Representation notices on the projector on")
            if shown
            else audit.N_("Representation notices on the projector off"),
        )
        events.workshop_updated(change, workshop)
    return workshop
