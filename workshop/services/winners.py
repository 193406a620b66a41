"""From votes to the draft: each vote round's proposals in the order its results put them,
and its winners placed into the clause of the mission the round was about.

A vote round chooses among the proposals of its propose round for one clause ("Who we
serve"); once its results may be seen, the facilitator puts the winner (or the top few) into
that clause of the draft, which is started from the template when there is none yet.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from .. import clauses
from ..errors import InvalidState, ValidationFailed
from ..guards import workshop_for_staff
from ..models import DocumentVersion, Proposal, Round, RoundKind, User
from ..privacy import results_visible
from ..queries import candidates, clauses_of, latest_version, list_rounds
from ..realtime import workshop_change
from ..tallies import round_results
from . import editing
from .agenda import round_for_staff
from .versions import write_version


def ranked_candidates(round_: Round) -> list[tuple[Proposal, int | None]]:
    """A vote round's proposals, best first by its own results (every method ranks), each
    with its place; proposals nobody supported come last, without a place."""
    proposals = candidates(round_)
    results = round_results(round_) or {}
    ranking: list[int] = list(results.get("ranking") or [])
    place = {pid: index + 1 for index, pid in enumerate(ranking)}
    proposals.sort(key=lambda p: (place.get(p.id, len(place) + 1), p.id))
    return [(p, place.get(p.id)) for p in proposals]


def results_by_round(actor: User, workshop_id: int) -> list[dict[str, Any]]:
    """Every vote round that has run, newest first, with its clause and its proposals in the
    order of its results (or as listed while its results are hidden)."""
    workshop_for_staff(actor, workshop_id, moderate=True)
    out = []
    for round_ in reversed(list_rounds(workshop_id)):
        if round_.kind != RoundKind.VOTE or round_.started_at is None:
            continue
        shown = results_visible(round_)
        out.append(
            {
                "round": round_,
                "clause": round_.clause,
                "results_shown": shown,
                "proposals": ranked_candidates(round_)
                if shown
                else [(p, None) for p in candidates(round_)],
            }
        )
    return out


def place_winners(actor: User, round_id: int, count: int = 1) -> DocumentVersion:
    """Put a vote round's best ``count`` proposals into its clause of the draft."""
    workshop, round_ = round_for_staff(actor, round_id)
    if round_.kind != RoundKind.VOTE or round_.started_at is None:
        raise InvalidState(_("Only a vote round that has run has winners."))
    if not results_visible(round_):
        raise InvalidState(_("Reveal the results first: the winners are not known yet."))
    if not round_.clause:
        raise ValidationFailed(
            _("Say which clause this round is about (in its settings) to place its winners."),
            field="clause",
        )
    note = _(
        "Winner of “%(prompt)s” added to “%(clause)s”",
        prompt=round_.prompt or _("the vote"),
        clause=round_.clause,
    )
    # One change: with no draft yet, the template's version and the winners' are stored
    # together, so a refusal or a crash part-way leaves no draft nobody asked for.
    with workshop_change(workshop.id) as change:
        ranked = [p for p, place in ranked_candidates(round_) if place is not None][:count]
        if not ranked:
            raise InvalidState(_("Nobody voted for any proposal in this round."))
        latest = latest_version(workshop.id)
        if latest is None:
            headings = [_(heading) for heading, _hint in clauses.DEFAULT_TEMPLATE]
            if not any(_same(h, round_.clause) for h in headings):
                headings.append(round_.clause)
            latest = write_version(
                change, workshop, None, editing.template_revision(actor, headings)
            )
        target = next(
            (c for c in clauses_of(latest) if _same(c.heading or "", round_.clause)), None
        )
        if target is None:
            raise ValidationFailed(
                _(
                    "The draft has no clause “%(clause)s”: add it, or change the round's clause.",
                    clause=round_.clause,
                ),
                field="clause",
            )
        return editing.fill_clause(
            change, actor, workshop, target.key, [p.id for p in ranked], note=note
        )


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
