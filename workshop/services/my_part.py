"""My part: each participant may write, for a clause of the mission, one sentence on how
their own work serves it. Teams that rarely see themselves in a mission (IT, finance,
facilities) then find their own words next to it, and leadership sees which departments have
written theirs (small departments pooled, as everywhere).

In a fully anonymous workshop a sentence is kept with a voter hash, never its writer (see
voters.py): the writer finds and changes their own while the workshop is open; once it has
closed (the key is gone) nobody can tell whose it is, and there is no count by department.
"""

from __future__ import annotations

import collections
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import permissions, voters
from ..errors import Forbidden, InvalidState, ValidationFailed
from ..extensions import db
from ..guards import clause_in_draft, taking_part, workshop_for_staff
from ..models import MyPart, Participant, Phase, User
from ..privacy import MIN_GROUP_SIZE, pool_small_groups, shows_groups
from ..queries import clauses_of, get_workshop, latest_version, list_participants
from ..realtime import workshop_change
from ..text import normalise_text

MAX_SENTENCE = 300


def my_parts(participant: Participant) -> dict[int, str]:
    """A participant's sentences, by clause key (fully anonymous: none once the workshop has
    closed, since nobody can tell which are theirs)."""
    workshop = get_workshop(participant.workshop_id)
    written = sa.select(MyPart.clause_key).where(MyPart.workshop_id == workshop.id).distinct()
    writer = voters.voter_on_items(
        participant, voters.MY_PART_SCOPE, workshop.anonymity, db.session.scalars(written)
    )
    if writer is None:
        return {}
    return {
        part.clause_key: part.sentence
        for part in db.session.scalars(
            sa.select(MyPart).where(MyPart.workshop_id == workshop.id, writer.matches(MyPart))
        )
    }


def write_my_part(actor: Participant, clause_key: int, sentence: str) -> MyPart | None:
    """Write (or change, or with an empty sentence remove) one's sentence for a clause."""
    if not isinstance(actor, Participant):
        raise Forbidden(_("Staff accounts follow the room; participants take part."))
    workshop = get_workshop(actor.workshop_id)
    actor = taking_part(
        actor, workshop, permissions.can_vote, missing=_l("There is no draft here.")
    )
    sentence = normalise_text(sentence)
    if len(sentence) > MAX_SENTENCE:
        raise ValidationFailed(
            _("Keep it to one sentence, under %(n)s characters.", n=MAX_SENTENCE),
            field="sentence",
        )
    with workshop_change(workshop.id):
        db.session.refresh(workshop)
        clause_in_draft(workshop.id, clause_key)  # under the lock: not one removed meanwhile
        writer = voters.voter(
            actor,
            voters.MY_PART_SCOPE,
            workshop.anonymity,
            create=workshop.phase != Phase.CLOSED,
            item=clause_key,
        )
        if writer is None:  # its key is gone: a new one would give this person a second part
            raise InvalidState(_("The workshop is closed."), code="phase_closed")
        part = db.session.scalar(
            sa.select(MyPart).where(
                MyPart.workshop_id == workshop.id,
                MyPart.clause_key == clause_key,
                writer.matches(MyPart),
            )
        )
        if not sentence:
            if part is not None:
                db.session.delete(part)
            return None
        if part is None:
            part = MyPart(workshop_id=workshop.id, clause_key=clause_key, **writer.fields())
            db.session.add(part)
        part.sentence = sentence
    return part


def coverage(actor: User, workshop_id: int) -> dict[str, Any]:
    """For staff: per department (pooled), how many wrote their part and on which clauses
    (not in a fully anonymous workshop: nothing says who wrote); and each clause's sentences,
    without names."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=False)
    out = _coverage(workshop.id, sentences=True)
    del out["buckets"]
    return out


def coverage_for_participant(participant: Participant) -> dict[str, Any]:
    """For a participant: the same counts by department (so a team sees whether it is in the
    mission, and their own department is marked), without anyone's sentences. The caller
    has checked that this is the participant asking (the page is their own)."""
    out = _coverage(participant.workshop_id, sentences=False)
    out["mine"] = out.pop("buckets").get(participant.department or "")
    return out


def _coverage(workshop_id: int, *, sentences: bool) -> dict[str, Any]:
    workshop = get_workshop(workshop_id)
    anonymous = not shows_groups(workshop.anonymity)
    people = list_participants(workshop.id)
    parts = list(db.session.scalars(sa.select(MyPart).where(MyPart.workshop_id == workshop.id)))
    sizes = collections.Counter(p.department or "" for p in people)
    sizes.pop("", None)
    buckets = pool_small_groups(sizes, other=_("Other departments"))
    latest = latest_version(workshop.id)
    titles = {c.key: (c.heading or c.body[:60]) for c in clauses_of(latest)} if latest else {}
    by_person = collections.defaultdict(list)
    for part in parts:
        by_person[part.participant_id].append(part)
    rows: dict[str, dict[str, Any]] = {}
    for person in [] if anonymous else people:
        bucket = buckets.get(person.department or "")
        if bucket is None:
            continue
        row = rows.setdefault(bucket, {"group": bucket, "people": 0, "wrote": 0, "clauses": set()})
        row["people"] += 1
        mine = by_person.get(person.id, [])
        row["wrote"] += bool(mine)
        row["clauses"].update(titles.get(p.clause_key, "") for p in mine if p.clause_key in titles)
    out: dict[str, Any] = {
        "anonymous": anonymous,
        "min_group_size": MIN_GROUP_SIZE,
        "by_department": [
            {**row, "clauses": sorted(row["clauses"])}
            for row in sorted(rows.values(), key=lambda r: -r["people"])
        ],
        "written": len(parts),
        "buckets": {} if anonymous else buckets,
    }
    if sentences:
        out["sentences"] = {
            key: sorted(p.sentence for p in parts if p.clause_key == key) for key in titles
        }
    return out
