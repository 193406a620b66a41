"""A round's results as every channel shows them.

Ballots are counted with :mod:`voting`, :mod:`alignment` and :mod:`vocabulary`;
results leave the server only through :func:`round_results`, which returns
nothing for a blind round until the facilitator reveals it and never breaks
results down for a small group.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import voting
from .alignment import submissions, values_results
from .models import Duel, Round, RoundKind
from .privacy import (
    MIN_GROUP_SIZE,
    duel_results_visible,
    effective_anonymity,
    results_visible,
    shows_groups,
    suppress_small_groups,
)
from .queries import candidates, get_workshop, round_ballots
from .vocabulary import vocabulary_results


def round_results(round_: Round) -> dict[str, Any] | None:
    """The round's results, or None while they are hidden (or it takes no ballots)."""
    if not round_.takes_ballots or not results_visible(round_):
        return None
    workshop = get_workshop(round_.workshop_id)
    ballots = round_ballots(round_.id)
    if round_.kind == RoundKind.VALUES:
        return values_results(workshop, submissions(ballots))
    if round_.kind == RoundKind.VOCABULARY:
        return vocabulary_results(round_.words, [b.data for b in ballots])
    known = [p.id for p in candidates(round_)]
    payload = tally(round_.method, [b.data for b in ballots], known)
    if round_.breakdown_by_level and shows_groups(effective_anonymity(workshop, round_)):
        groups: dict[str, list[dict]] = {}
        for ballot in ballots:
            groups.setdefault(ballot.level or "", []).append(ballot.data)
        shown = suppress_small_groups({k: len(v) for k, v in groups.items() if k})
        payload["by_level"] = {
            level: tally(round_.method, groups[level], known) if show else None
            for level, show in shown.items()
        }
        payload["min_group_size"] = MIN_GROUP_SIZE
    return payload


def _everyone(ranking: tuple[int, ...], known: list[int]) -> list[int]:
    """Every candidate, ranked ones first: proposals nobody supported still get a zero row."""
    return [*ranking, *(c for c in known if c not in ranking)]


def tally(method: voting.Method | None, ballots: list[dict], known: list[int]) -> dict[str, Any]:
    """Count one set of stored ballots with a voting method, as JSON."""
    if method is None:
        raise ValueError("a round without a voting method has no tally")
    method = voting.Method(method)
    base: dict[str, Any] = {"method": str(method), "ballots": len(ballots)}
    if method == voting.Method.DOT:
        dots = voting.tally_dots([_int_keys(b.get("dots", {})) for b in ballots], known)
        return {
            **base,
            "winner": dots.winner,
            "ranking": list(dots.ranking),
            "items": [
                {"proposal_id": c, "dots": dots.totals.get(c, 0), "voters": dots.voters.get(c, 0)}
                for c in _everyone(dots.ranking, known)
            ],
        }
    if method == voting.Method.APPROVAL:
        approval = voting.tally_approval([b.get("approved", []) for b in ballots], known)
        return {
            **base,
            "winner": approval.winner,
            "ranking": list(approval.ranking),
            "items": [
                {
                    "proposal_id": c,
                    "approvals": approval.approvals.get(c, 0),
                    "share": approval.share.get(c, 0.0),
                }
                for c in _everyone(approval.ranking, known)
            ],
        }
    if method == voting.Method.SCORE:
        scores = voting.tally_score([_int_keys(b.get("scores", {})) for b in ballots], known)
        return {
            **base,
            "winner": scores.winner,
            "ranking": list(scores.ranking),
            "items": [
                {"proposal_id": c, "mean": scores.mean.get(c), "count": scores.count.get(c, 0)}
                for c in _everyone(scores.ranking, known)
            ],
        }
    if method == voting.Method.RANKED:
        ranked = voting.tally_ranked([b.get("ranking", []) for b in ballots], known)
        irv, bc, sz = ranked.instant_runoff, ranked.borda, ranked.schulze
        return {
            **base,
            "winner": sz.winner,
            "instant_runoff": {
                "winner": irv.winner,
                "rounds": [
                    {
                        "counts": {str(k): v for k, v in rr.counts.items()},
                        "exhausted": rr.exhausted,
                        "eliminated": list(rr.eliminated),
                    }
                    for rr in irv.rounds
                ],
            },
            "borda": {
                "winner": bc.winner,
                "ranking": list(bc.ranking),
                "scores": {str(k): v for k, v in bc.scores.items()},
            },
            "schulze": {"winner": sz.winner, "ranking": list(sz.ranking)},
            # The announced order is Schulze's (its winner is the round's winner).
            "ranking": list(sz.ranking),
        }
    items: list[dict[str, Any]] = []
    for candidate in known:
        answers = [
            (voting.ConsentChoice(a["choice"]), a.get("reason", ""))
            for b in ballots
            if (a := b.get("consent", {}).get(str(candidate)))
        ]
        consent = voting.tally_consent(answers)
        items.append(
            {
                "proposal_id": candidate,
                "counts": {str(k): v for k, v in consent.counts.items()},
                "answers": consent.ballots,
                "objections": list(consent.objections),
                "consented": consent.consented,
            }
        )
    # Consented ones first (most agreement first), then by fewest objections.
    order = sorted(
        items,
        key=lambda i: (
            not i["consented"],
            len(i["objections"]),
            -i["counts"].get("agree", 0),
            -i["answers"],
            known.index(i["proposal_id"]),
        ),
    )
    ranking = [i["proposal_id"] for i in order if i["answers"]]
    return {
        **base,
        "winner": ranking[0] if ranking and order[0]["consented"] else None,
        "ranking": ranking,
        "items": items,
    }


def _int_keys(mapping: Mapping[str, int]) -> dict[int, int]:
    return {int(k): v for k, v in mapping.items()}


def duel_winner_votes(duel: Duel) -> int | None:
    """The votes the winning wording had when it won: its one-choice count, or for a ranked
    duel its count in the last runoff round (first choices alone undercount a wording that won
    on transfers). None until the duel is decided."""
    result = duel.result or {}
    if not duel_results_visible(duel) or duel.winner_id is None or not result:
        return None
    rounds = result.get("rounds") or [result.get("counts", {})]
    return int(rounds[-1].get(str(duel.winner_id), 0))
