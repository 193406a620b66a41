"""Voting methods for workshop proposals: ballot validation and tallies.

Why a module of its own: the rules for counting votes must be the same on every screen, in
every export and in every test, and they must be explainable to a room of people who are not
election experts. Keeping them here, pure and free of Flask, the database and third-party
packages, means a tally can be recomputed from stored ballots at any time and checked against
worked examples by hand (see ``tests/test_voting.py`` and ``docs/voting.md``).

Conventions shared by every method:

* A candidate is a proposal id (``int``). A lower id is an earlier submission, and the final
  tie-break of every method favours the earlier submission: it has been in front of the room
  longest, and the rule is one anyone can check.
* ``validate_*`` checks one ballot as a participant submits it and raises :class:`BallotError`
  with a message that can be shown to that participant.
* ``tally_*`` (and :func:`instant_runoff`, :func:`borda`, :func:`schulze`) count ballots that
  were validated earlier. Entries for proposals that are not in ``candidates`` are ignored,
  because a proposal can be withdrawn or hidden after people voted for it; the remaining
  preferences still count. Malformed data (a non-integer, a duplicated rank, negative dots)
  still raises :class:`BallotError`, because silently repairing it would hide a bug.
* Every result is a frozen dataclass with ``winner`` (``None`` when no ballot supported
  anyone, or there are no candidates) and ``ranking`` (every candidate, best first, or ``()``
  when there is no winner), so ``winner == (ranking[0] if ranking else None)`` always holds.
  Per-candidate numbers have an entry for every candidate, zeros included, so a screen can
  list them all. Treat the dictionaries in results as read-only.
"""

from __future__ import annotations

import enum
import heapq
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from .text import normalise_text

__all__ = [
    "AMENDMENT_ANSWERS",
    "MAX_RANKED_PROPOSALS",
    "MAX_REASON_LENGTH",
    "AmendmentAnswer",
    "AmendmentMethod",
    "ApprovalResult",
    "BallotError",
    "BordaResult",
    "ConsentChoice",
    "ConsentResult",
    "DotResult",
    "DuelMethod",
    "Method",
    "RankedResult",
    "RunoffResult",
    "RunoffRound",
    "SchulzeResult",
    "ScoreResult",
    "borda",
    "instant_runoff",
    "schulze",
    "tally_approval",
    "tally_consent",
    "tally_dots",
    "tally_ranked",
    "tally_score",
    "validate_approval",
    "validate_consent",
    "validate_dot",
    "validate_ranking",
    "validate_score",
]

MAX_RANKED_PROPOSALS = 50
"""Most proposals a ranked vote starts with. Nobody puts more in order on a phone, and
counting ranked ballots grows with the cube of the proposals ranked (300 took seconds per
ballot): a larger set is shortlisted first, with a dot vote or by hiding and merging."""

MAX_REASON_LENGTH = 500
"""Longest reason a consent ballot may carry: long enough for a real objection, short enough
to read aloud in the room."""


class Method(enum.StrEnum):
    """The voting methods a facilitator can choose for a vote."""

    DOT = "dot"
    APPROVAL = "approval"
    SCORE = "score"
    RANKED = "ranked"
    CONSENT = "consent"


class ConsentChoice(enum.StrEnum):
    """A consent ballot: only ``OBJECT`` blocks a proposal."""

    AGREE = "agree"
    LIVE_WITH = "live_with"
    OBJECT = "object"


class AmendmentMethod(enum.StrEnum):
    """How people answer an amendment: consent, yes or no, or a score from 1 to 5."""

    CONSENT = "consent"
    APPROVAL = "approval"
    SCORE = "score"


class AmendmentAnswer(enum.StrEnum):
    """Every answer an amendment can get, whatever its method."""

    AGREE = "agree"
    LIVE_WITH = "live_with"
    OBJECT = "object"
    YES = "yes"
    NO = "no"
    SCORE_1 = "1"
    SCORE_2 = "2"
    SCORE_3 = "3"
    SCORE_4 = "4"
    SCORE_5 = "5"


# The answers to one amendment, by the method it is voted on with.
AMENDMENT_ANSWERS: dict[AmendmentMethod, tuple[AmendmentAnswer, ...]] = {
    AmendmentMethod.CONSENT: tuple(AmendmentAnswer(choice.value) for choice in ConsentChoice),
    AmendmentMethod.APPROVAL: (AmendmentAnswer.YES, AmendmentAnswer.NO),
    AmendmentMethod.SCORE: tuple(AmendmentAnswer(str(score)) for score in range(1, 6)),
}


class DuelMethod(enum.StrEnum):
    """How people vote in a wording duel: pick one wording, or rank them (instant runoff)."""

    CHOOSE_ONE = "choose_one"
    RANKED = "ranked"


class BallotError(ValueError):
    """A ballot that cannot be counted; ``str(error)`` is meant for the person who cast it.

    ``code`` is a stable, machine-readable reason (``"over_budget"``, ``"unknown_candidate"``
    ...) so a caller can translate or react without parsing the English message.
    """

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------------------------
# Helpers


def _is_int(value: object) -> bool:
    """True for real integers; ``True``/``False`` are ints in Python but never a vote."""
    return isinstance(value, int) and not isinstance(value, bool)


def _candidate_ids(candidates: Collection[int] | None) -> tuple[int, ...]:
    """The distinct candidate ids in submission order, so every tally iterates the same way."""
    if candidates is None:
        return ()
    ids = set()
    for candidate in candidates:
        if not _is_int(candidate):
            raise TypeError(f"candidate ids must be integers, got {candidate!r}")
        ids.add(candidate)
    return tuple(sorted(ids))


def _check_proposal_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise BallotError(f"{value!r} is not a proposal number.", "not_a_proposal")
    return value


def _check_count(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise BallotError(f"{what} must be a whole number, not {value!r}.", "not_a_number")
    return value


def _unknown(candidate: int) -> BallotError:
    return BallotError(f"Proposal {candidate} is not part of this vote.", "unknown_candidate")


def _clean_ranking(ballot: Sequence[int], known: frozenset[int]) -> tuple[int, ...]:
    """A stored ranking restricted to the current candidates (withdrawn ones are skipped)."""
    if isinstance(ballot, str | bytes):
        raise BallotError("A ranking must be a list of proposals.", "not_a_ranking")
    seen: set[int] = set()
    kept: list[int] = []
    for entry in ballot:
        candidate = _check_proposal_id(entry)
        if candidate in seen:
            raise BallotError(f"Proposal {candidate} is ranked more than once.", "duplicate_rank")
        seen.add(candidate)
        if candidate in known:
            kept.append(candidate)
    return tuple(kept)


def _winner(ranking: tuple[int, ...], anyone_supported: bool) -> tuple[int | None, tuple[int, ...]]:
    """Apply the shared convention: no support at all means no winner and an empty ranking."""
    if not anyone_supported or not ranking:
        return None, ()
    return ranking[0], ranking


# --------------------------------------------------------------------------------------------
# Validation of one ballot


def validate_dot(
    allocation: Mapping[int, int],
    candidates: Collection[int],
    *,
    budget: int,
    cap: int | None,
) -> dict[int, int]:
    """Check one person's dots: whole, non-negative, within the budget and the per-proposal cap.

    Zeros are dropped so that "no dots" and "0 dots" are stored the same way. Returns the
    allocation keyed by proposal id in ascending order.
    """
    if budget < 0:
        raise ValueError("budget must not be negative")
    if cap is not None and cap < 0:
        raise ValueError("cap must not be negative")
    if not isinstance(allocation, Mapping):
        raise BallotError("Dots must be given per proposal.", "not_a_mapping")
    known = frozenset(_candidate_ids(candidates))
    cleaned: dict[int, int] = {}
    for key, value in allocation.items():
        candidate = _check_proposal_id(key)
        dots = _check_count(value, "Dots")
        if dots < 0:
            raise BallotError(
                f"Dots cannot be negative (proposal {candidate} has {dots}).", "negative"
            )
        if dots == 0:
            continue
        if candidate not in known:
            raise _unknown(candidate)
        if cap is not None and dots > cap:
            raise BallotError(
                f"At most {cap} {_dots(cap)} per proposal; proposal {candidate} has {dots}.",
                "over_cap",
            )
        cleaned[candidate] = dots
    spent = sum(cleaned.values())
    if spent > budget:
        raise BallotError(
            f"You have {budget} {_dots(budget)} but placed {spent}.",
            "over_budget",
        )
    return dict(sorted(cleaned.items()))


def _dots(n: int) -> str:
    return "dot" if n == 1 else "dots"


def _distinct_known(
    entries: Iterable[object], candidates: Collection[int], repeated: str, code: str
) -> list[int]:
    """Proposal ids in the order given, each known and named once (``repeated`` says which)."""
    known = frozenset(_candidate_ids(candidates))
    seen: list[int] = []
    for entry in entries:
        candidate = _check_proposal_id(entry)
        if candidate in seen:
            raise BallotError(repeated.format(candidate), code)
        if candidate not in known:
            raise _unknown(candidate)
        seen.append(candidate)
    return seen


def validate_approval(approved: Iterable[int], candidates: Collection[int]) -> frozenset[int]:
    """Check one approval ballot: known proposals, each at most once.

    An empty ballot is valid: it says "none of these", and it still counts as a voter when
    shares are computed.
    """
    if isinstance(approved, str | bytes | Mapping):
        raise BallotError("Approvals must be a list of proposals.", "not_a_list")
    return frozenset(
        _distinct_known(
            approved, candidates, "Proposal {} is approved more than once.", "duplicate"
        )
    )


def validate_score(
    scores: Mapping[int, int],
    candidates: Collection[int],
    *,
    low: int = 0,
    high: int = 5,
) -> dict[int, int]:
    """Check one score ballot: whole scores from ``low`` to ``high`` for known proposals.

    A proposal left out is "not scored", which is different from a score of ``low``: it is
    not counted at all (see :func:`tally_score`). Zeros are therefore kept.
    """
    if low > high:
        raise ValueError("low must not be greater than high")
    if not isinstance(scores, Mapping):
        raise BallotError("Scores must be given per proposal.", "not_a_mapping")
    known = frozenset(_candidate_ids(candidates))
    cleaned: dict[int, int] = {}
    for key, value in scores.items():
        candidate = _check_proposal_id(key)
        score = _check_count(value, "A score")
        if candidate not in known:
            raise _unknown(candidate)
        if not low <= score <= high:
            raise BallotError(
                f"Scores go from {low} to {high}; proposal {candidate} has {score}.",
                "out_of_range",
            )
        cleaned[candidate] = score
    return dict(sorted(cleaned.items()))


def validate_ranking(ranking: Sequence[int], candidates: Collection[int]) -> tuple[int, ...]:
    """Check one ranked ballot: at least one proposal, each known and ranked at most once.

    Partial rankings are allowed because nobody should be forced to rank proposals they
    have no view on; each method documents how it treats the unranked ones.
    """
    if isinstance(ranking, str | bytes) or not isinstance(ranking, Sequence):
        raise BallotError("A ranking must be a list of proposals, best first.", "not_a_ranking")
    seen = _distinct_known(
        ranking, candidates, "Proposal {} is ranked more than once.", "duplicate_rank"
    )
    if not seen:
        raise BallotError("Rank at least one proposal.", "empty")
    return tuple(ranking)


def validate_consent(choice: str, reason: str) -> tuple[ConsentChoice, str]:
    """Check one consent ballot; an objection must say why.

    Consent decides on "no open objection", so an objection is only useful if the group can
    hear and address it: a bare "object" cannot be resolved. The reason is stored as typed
    text is (:func:`text.normalise_text`: no surrounding space, no control characters) and
    may be at most :data:`MAX_REASON_LENGTH` characters for any choice (a "live with" may
    carry a concern, an "agree" a comment).
    """
    try:
        consent = ConsentChoice(choice)
    except ValueError:
        options = ", ".join(c.value for c in ConsentChoice)
        raise BallotError(f"Choose one of: {options}.", "unknown_choice") from None
    if not isinstance(reason, str):
        raise BallotError("The reason must be text.", "not_text")
    reason = normalise_text(reason)  # as every typed text is stored: no control characters
    if len(reason) > MAX_REASON_LENGTH:
        raise BallotError(
            f"Keep the reason to {MAX_REASON_LENGTH} characters (it has {len(reason)}).",
            "reason_too_long",
        )
    if consent is ConsentChoice.OBJECT and not reason:
        raise BallotError(
            "An objection needs a reason, so the group can address it.", "reason_required"
        )
    return consent, reason


# --------------------------------------------------------------------------------------------
# Dots


@dataclass(frozen=True)
class DotResult:
    """Dot voting result.

    ``totals``: dots per proposal; ``voters``: how many people put at least one dot on it;
    ``ballots``: ballots counted. Ranking: most dots; tie -> more voters (broad support beats
    one enthusiast); tie -> earlier submission (lower id).
    """

    winner: int | None
    ranking: tuple[int, ...]
    totals: dict[int, int]
    voters: dict[int, int]
    ballots: int


def tally_dots(ballots: Iterable[Mapping[int, int]], candidates: Collection[int]) -> DotResult:
    """Add up dots per proposal; ties go to more voters, then to the earlier submission."""
    ids = _candidate_ids(candidates)
    totals = dict.fromkeys(ids, 0)
    voters = dict.fromkeys(ids, 0)
    count = 0
    for ballot in ballots:
        count += 1
        for key, value in ballot.items():
            candidate = _check_proposal_id(key)
            dots = _check_count(value, "Dots")
            if dots < 0:
                raise BallotError(f"Dots cannot be negative (proposal {candidate}).", "negative")
            if dots and candidate in totals:
                totals[candidate] += dots
                voters[candidate] += 1
    ranking = tuple(sorted(ids, key=lambda c: (-totals[c], -voters[c], c)))
    winner, ranking = _winner(ranking, any(totals.values()))
    return DotResult(winner, ranking, totals, voters, count)


# --------------------------------------------------------------------------------------------
# Approval


@dataclass(frozen=True)
class ApprovalResult:
    """Approval voting result.

    ``approvals``: people approving each proposal; ``share``: approvals / ballots (0.0 with
    no ballots; empty ballots count as voters who approved nothing). Ranking: most approvals;
    tie -> earlier submission (lower id).
    """

    winner: int | None
    ranking: tuple[int, ...]
    approvals: dict[int, int]
    share: dict[int, float]
    ballots: int


def tally_approval(
    ballots: Iterable[Collection[int]], candidates: Collection[int]
) -> ApprovalResult:
    """Count approvals per proposal; ties go to the earlier submission."""
    ids = _candidate_ids(candidates)
    approvals = dict.fromkeys(ids, 0)
    count = 0
    for ballot in ballots:
        count += 1
        for candidate in {_check_proposal_id(entry) for entry in ballot}:
            if candidate in approvals:
                approvals[candidate] += 1
    share = {c: (approvals[c] / count if count else 0.0) for c in ids}
    ranking = tuple(sorted(ids, key=lambda c: (-approvals[c], c)))
    winner, ranking = _winner(ranking, any(approvals.values()))
    return ApprovalResult(winner, ranking, approvals, share, count)


# --------------------------------------------------------------------------------------------
# Score


@dataclass(frozen=True)
class ScoreResult:
    """Score voting result.

    ``sum`` and ``count`` are over the people who scored that proposal; ``mean`` is
    ``sum / count`` or ``None`` when nobody scored it. An unscored proposal is *not counted*
    for that voter (it is not a zero). Ranking: highest mean; tie -> more people scored it;
    tie -> earlier submission (lower id); proposals nobody scored come last.
    """

    winner: int | None
    ranking: tuple[int, ...]
    sum: dict[int, int]
    count: dict[int, int]
    mean: dict[int, float | None]
    ballots: int


def tally_score(ballots: Iterable[Mapping[int, int]], candidates: Collection[int]) -> ScoreResult:
    """Average the scores each proposal received, ignoring voters who left it unscored.

    Why unscored is not a zero: in a live workshop proposals arrive while people vote, and
    someone who never read a proposal should not drag it down. The cost is that a proposal
    scored by few people can rank high on a small sample, so the result shows ``count`` next
    to ``mean`` and a tie in the mean goes to the proposal more people scored.
    """
    ids = _candidate_ids(candidates)
    sums = dict.fromkeys(ids, 0)
    counts = dict.fromkeys(ids, 0)
    ballots_counted = 0
    for ballot in ballots:
        ballots_counted += 1
        for key, value in ballot.items():
            candidate = _check_proposal_id(key)
            score = _check_count(value, "A score")
            if candidate in sums:
                sums[candidate] += score
                counts[candidate] += 1
    exact = {c: Fraction(sums[c], counts[c]) for c in ids if counts[c]}
    mean: dict[int, float | None] = {c: (float(exact[c]) if c in exact else None) for c in ids}

    def order(c: int) -> tuple[int, Fraction, int, int]:
        # Exact fractions, not floats, so equal means compare equal.
        return (0 if c in exact else 1, -exact.get(c, Fraction(0)), -counts[c], c)

    ranking = tuple(sorted(ids, key=order))
    winner, ranking = _winner(ranking, bool(exact))
    return ScoreResult(winner, ranking, sums, counts, mean, ballots_counted)


# --------------------------------------------------------------------------------------------
# Ranked: instant runoff


@dataclass(frozen=True)
class RunoffRound:
    """One round of instant runoff.

    ``counts``: ballots for each proposal still in the race (zeros included); ``exhausted``:
    ballots that rank none of them; ``eliminated``: who drops out after this round (empty in
    the final round; several at once when they all have no votes, see :func:`instant_runoff`);
    ``tie_break``: True when the elimination needed the tie-break rule.
    """

    counts: dict[int, int]
    exhausted: int
    eliminated: tuple[int, ...]
    tie_break: bool = False


@dataclass(frozen=True)
class RunoffResult:
    """Instant-runoff result: the rounds, and a ranking of winner, then the others.

    The ranking lists the winner, then the other proposals still in the race at the end
    (strongest first, by the same rule used for eliminations), then eliminated proposals,
    last eliminated first.
    """

    winner: int | None
    ranking: tuple[int, ...]
    rounds: tuple[RunoffRound, ...]
    ballots: int


def instant_runoff(ballots: Iterable[Sequence[int]], candidates: Collection[int]) -> RunoffResult:
    """Instant runoff: drop the weakest proposal until one has a majority of live ballots.

    Each ballot counts for its highest-ranked proposal still in the race. A proposal wins when
    it has more than half of the ballots that still rank someone (exhausted ballots, whose
    ranked proposals are all out, do not count towards the majority). Partial rankings are
    simply exhausted sooner.

    Elimination tie-break, why backwards: among proposals tied for fewest votes, the one with
    fewer votes in the previous round goes (then the round before, and so on back to round
    one), because it has been the weaker one for longer. If they tied in every round, the later
    submission (higher id) goes, so earlier submissions are favoured, as everywhere else.

    Proposals with no votes at all in a count (while others have some) go together, in one
    count: none of their ballots move, so taking them out one at a time would give the same
    counts again and again (a round of twelve proposals where people ranked three would
    spend ten counts on them). The winner and the order are exactly those of taking them out
    one by one; the ranking lists them in that order.
    """
    ids = _candidate_ids(candidates)
    known = frozenset(ids)
    rankings = [_clean_ranking(ballot, known) for ballot in ballots]
    if not ids or not any(rankings):
        return RunoffResult(None, (), (), len(rankings))

    continuing = set(ids)
    history: list[dict[int, int]] = []
    rounds: list[RunoffRound] = []
    eliminated_order: list[int] = []

    def strength(c: int) -> tuple[int, ...]:
        # Current round first, then earlier rounds, most recent first; then the earlier
        # submission is stronger. The smallest value is eliminated.
        return (*(counts[c] for counts in reversed(history)), -c)

    while True:
        counts = dict.fromkeys(sorted(continuing), 0)
        exhausted = 0
        for ranking in rankings:
            top = next((c for c in ranking if c in continuing), None)
            if top is None:
                exhausted += 1
            else:
                counts[top] += 1
        history.append(counts)
        live = sum(counts.values())
        leader = max(continuing, key=strength)
        if 2 * counts[leader] > live:
            rounds.append(RunoffRound(counts, exhausted, ()))
            break
        fewest = min(counts.values())
        tied = sorted((c for c in continuing if counts[c] == fewest), key=strength)
        if fewest == 0 and live > 0 and len(tied) > 1:
            losers = tuple(tied)  # nobody's ballot is on them: out together, weakest first
            rounds.append(RunoffRound(counts, exhausted, losers))
        else:
            losers = tuple(tied[:1])
            rounds.append(RunoffRound(counts, exhausted, losers, tie_break=len(tied) > 1))
        continuing.difference_update(losers)
        eliminated_order.extend(losers)

    standing = sorted(continuing, key=strength, reverse=True)
    ranking = (*standing, *reversed(eliminated_order))
    return RunoffResult(ranking[0], ranking, tuple(rounds), len(rankings))


# --------------------------------------------------------------------------------------------
# Ranked: Borda count


@dataclass(frozen=True)
class BordaResult:
    """Borda count result.

    ``scores``: Borda points; ``first_preferences``: ballots ranking the proposal first.
    Ranking: most points; tie -> more first preferences; tie -> earlier submission (lower id).
    """

    winner: int | None
    ranking: tuple[int, ...]
    scores: dict[int, int]
    first_preferences: dict[int, int]
    ballots: int


def borda(ballots: Iterable[Sequence[int]], candidates: Collection[int]) -> BordaResult:
    """Borda count: with n proposals, 1st place earns n-1 points, 2nd n-2, ... last 0.

    Partial rankings: the points depend on n, the number of proposals in the vote, not on how
    many this ballot ranked, and proposals a ballot leaves unranked get 0 points from it.
    Why: it is the simplest rule to explain ("first place is always worth n-1") and it never
    gives points to a proposal the voter did not choose. Be aware that leaving a rival
    unranked costs it the points it would have had in last-but-one place and so on; the
    facilitator guide suggests asking people to rank everything they have a view on.
    """
    ids = _candidate_ids(candidates)
    known = frozenset(ids)
    n = len(ids)
    scores = dict.fromkeys(ids, 0)
    firsts = dict.fromkeys(ids, 0)
    count = 0
    anyone_ranked = False
    for ballot in ballots:
        count += 1
        ranking = _clean_ranking(ballot, known)
        if ranking:
            anyone_ranked = True
            firsts[ranking[0]] += 1
        for place, candidate in enumerate(ranking):
            scores[candidate] += n - 1 - place
    ranking = tuple(sorted(ids, key=lambda c: (-scores[c], -firsts[c], c)))
    winner, ranking = _winner(ranking, anyone_ranked)
    return BordaResult(winner, ranking, scores, firsts, count)


# --------------------------------------------------------------------------------------------
# Ranked: Schulze


@dataclass(frozen=True)
class SchulzeResult:
    """Schulze method result.

    ``pairwise[a][b]`` (``d``): ballots preferring a to b. ``strongest_paths[a][b]`` (``p``):
    strength of the strongest path from a to b, measured in winning votes. Only a != b keys.
    ``condorcet_winner``: the proposal that beats every other one head to head, if any.
    Ranking: a is above b when p[a][b] > p[b][a]; where that does not decide, the earlier
    submission (lower id) comes first.
    """

    winner: int | None
    ranking: tuple[int, ...]
    condorcet_winner: int | None
    ballots: int
    _counted: _SchulzeCount

    @cached_property
    def pairwise(self) -> dict[int, dict[int, int]]:
        return self._counted.every_pair(self._counted.d)

    @cached_property
    def strongest_paths(self) -> dict[int, dict[int, int]]:
        return self._counted.every_pair(self._counted.p)


@dataclass(frozen=True)
class _SchulzeCount:
    """The counts behind a Schulze result, over the proposals someone ranked (``active``)
    and one stand-in (the last row and column) for all the proposals nobody ranked: those
    are alike (no ballot prefers one of them to anything), so each of them has the same
    numbers as the stand-in, and none between each other."""

    ids: tuple[int, ...]
    active: list[int]
    d: list[list[int]]
    p: list[list[int]]

    def every_pair(self, matrix: list[list[int]]) -> dict[int, dict[int, int]]:
        place = {c: i for i, c in enumerate(self.active)}
        idle = len(self.active)  # the stand-in's row and column

        def value(a: int, b: int) -> int:
            row, column = place.get(a, idle), place.get(b, idle)
            return 0 if row == column else matrix[row][column]

        return {a: {b: value(a, b) for b in self.ids if b != a} for a in self.ids}


def schulze(ballots: Iterable[Sequence[int]], candidates: Collection[int]) -> SchulzeResult:
    """Schulze method: compare every pair of proposals, then follow chains of wins.

    Partial rankings: every ranked proposal is preferred to every unranked one, and the
    unranked ones are tied with each other (the ballot says nothing about them).

    Why Schulze for ranked votes: if one proposal beats every other head to head it always
    wins, and cycles (A beats B beats C beats A) are resolved by the strongest chain of
    wins rather than by the order of counting. Ranking ties go to the earlier submission:
    repeatedly, the next place goes to the earliest-submitted proposal that no remaining
    proposal beats.

    How, in time: the strongest paths are searched among the proposals someone ranked, with
    one stand-in for all those nobody ranked (each of which every ranked one beats, so they
    come last, in submission order). Counted over all 300 proposals of a large room, each
    ballot's tally took 14 seconds; people rank a few each, so it is the few that count.
    """
    ids = _candidate_ids(candidates)
    known = frozenset(ids)
    rankings = [_clean_ranking(ballot, known) for ballot in ballots]
    anyone_ranked = any(rankings)
    somewhere = {c for ranking in rankings for c in ranking}
    active = [c for c in ids if c in somewhere]
    place = {c: i for i, c in enumerate(active)}
    n = len(active)
    size = n + 1  # and the stand-in for the proposals nobody ranked
    # d[a][b] = ballots ranking a minus ballots ranking b above a (a ballot that ranks a and
    # not b prefers a), counted from the pairs each ballot ranks.
    ranked_by = [0] * size
    above = [[0] * size for _ in range(size)]
    for ranking in rankings:
        places = [place[c] for c in ranking]
        for position, a in enumerate(places):
            ranked_by[a] += 1
            row = above[a]
            for b in places[position + 1 :]:
                row[b] += 1
    d = [[ranked_by[a] - above[b][a] if a != b else 0 for b in range(size)] for a in range(size)]
    # Widest paths (Floyd-Warshall variant), with winning votes as link strength. The
    # diagonal is never read as a result (its values are harmless to the paths).
    p = [[d[a][b] if d[a][b] > d[b][a] else 0 for b in range(size)] for a in range(size)]
    for i in range(size):
        through = p[i]
        for j in range(size):
            to_i = p[j][i]
            if j != i and to_i:
                p[j] = [max(old, min(to_i, on)) for old, on in zip(p[j], through, strict=True)]

    # The relation p[a][b] > p[b][a] is a strict partial order (Schulze 2011): its linear
    # extension that takes the earliest submission whenever it can (the next place to the
    # earliest proposal no remaining one beats), with a heap.
    beaten_by = [sum(p[o][c] > p[c][o] for o in range(n) if o != c) for c in range(n)]
    free = [c for c in range(n) if not beaten_by[c]]  # active is in submission order
    heapq.heapify(free)
    order: list[int] = []
    while free:
        c = heapq.heappop(free)
        order.append(active[c])
        for other in range(n):
            if other != c and p[c][other] > p[other][c]:
                beaten_by[other] -= 1
                if not beaten_by[other]:
                    heapq.heappush(free, other)
    order += [c for c in ids if c not in somewhere]

    condorcet = next(
        (active[a] for a in range(n) if all(d[a][b] > d[b][a] for b in range(n) if b != a)),
        None,
    )
    if not anyone_ranked:
        condorcet = None
    winner, ranking = _winner(tuple(order), anyone_ranked)
    return SchulzeResult(
        winner, ranking, condorcet, len(rankings), _SchulzeCount(ids, active, d, p)
    )


# --------------------------------------------------------------------------------------------
# Ranked: all three together


@dataclass(frozen=True)
class RankedResult:
    """Instant runoff, Borda and Schulze computed from the same ranked ballots.

    ``winner`` and ``ranking`` are Schulze's: it is the method that always picks a proposal
    preferred head to head over every other when there is one. The other two are here so a
    facilitator can show when the methods disagree (:attr:`methods_agree`).
    """

    winner: int | None
    ranking: tuple[int, ...]
    instant_runoff: RunoffResult
    borda: BordaResult
    schulze: SchulzeResult
    ballots: int

    @property
    def methods_agree(self) -> bool:
        """True when all three methods pick the same winner."""
        return self.instant_runoff.winner == self.borda.winner == self.schulze.winner


def tally_ranked(ballots: Iterable[Sequence[int]], candidates: Collection[int]) -> RankedResult:
    """Count ranked ballots three ways; the headline winner is Schulze's."""
    stored = list(ballots)
    irv = instant_runoff(stored, candidates)
    bc = borda(stored, candidates)
    sch = schulze(stored, candidates)
    return RankedResult(sch.winner, sch.ranking, irv, bc, sch, len(stored))


# --------------------------------------------------------------------------------------------
# Consent


@dataclass(frozen=True)
class ConsentResult:
    """Consent result for one proposal.

    ``counts``: ballots per choice (every choice present). ``objections``: the reasons of the
    objections, one per objection; ``comments``: non-empty reasons given with agree or live
    with. Both are sorted alphabetically, so the order on screen does not reveal who voted
    when. ``consented``: at least one ballot and no objection. ``winner`` is the proposal id
    when consented and the id was given, else ``None``; ``ranking`` is ``(winner,)`` or ``()``.
    """

    winner: int | None
    ranking: tuple[int, ...]
    counts: dict[ConsentChoice, int]
    objections: tuple[str, ...]
    comments: tuple[str, ...]
    consented: bool
    ballots: int


def tally_consent(
    ballots: Iterable[tuple[ConsentChoice, str]],
    candidates: Collection[int] | None = None,
) -> ConsentResult:
    """Decide one proposal by consent: it passes when nobody has an open objection.

    Consent is not agreement: "I can live with it" counts as consent. Each ballot is
    re-checked with :func:`validate_consent`, so an objection without a reason raises rather
    than silently blocking or passing. ``candidates`` is optional and, if given, must hold the
    single proposal being decided (one call per proposal); it only fills ``winner``.
    """
    ids = _candidate_ids(candidates)
    if len(ids) > 1:
        raise ValueError("consent decides one proposal at a time; pass at most one candidate")
    counts = dict.fromkeys(ConsentChoice, 0)
    objections: list[str] = []
    comments: list[str] = []
    for choice, reason in ballots:
        consent, reason = validate_consent(choice, reason)
        counts[consent] += 1
        if consent is ConsentChoice.OBJECT:
            objections.append(reason)
        elif reason:
            comments.append(reason)
    ballots_counted = sum(counts.values())
    consented = ballots_counted > 0 and counts[ConsentChoice.OBJECT] == 0
    winner, ranking = _winner(ids, consented)
    return ConsentResult(
        winner,
        ranking,
        counts,
        tuple(sorted(objections)),
        tuple(sorted(comments)),
        consented,
        ballots_counted,
    )
