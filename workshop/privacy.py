"""The privacy rules, in one place: who may see who wrote something, when results may be
seen, and how small a group may be shown on its own.

Every channel (socket events, snapshots, pages, pictures and every export format) asks
these functions; none of them decides on its own. They are pure: plain objects in,
a decision out.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from .models import Anonymity, Duel, DuelStatus, Round, RoundKind, Workshop

# Results and counts are never broken down for a group smaller than this, anywhere.
MIN_GROUP_SIZE = 5


# The kinds of round whose every input is kept per round (proposals and comments, ballots),
# so a round of them may have an anonymity of its own. What the other kinds take (answers on
# the draft's clauses, duel ballots, success measures, one's own part) is kept per workshop,
# one person one row across rounds, so it follows the workshop's setting.
ROUND_SCOPED_KINDS = frozenset(
    {RoundKind.PROPOSE, RoundKind.VOTE, RoundKind.VALUES, RoundKind.VOCABULARY}
)


def effective_anonymity(workshop: Workshop, round_: Round | None) -> Anonymity:
    """A round's own setting wins over the workshop's, for the kinds that may have one."""
    if round_ is not None and round_.anonymity is not None and round_.kind in ROUND_SCOPED_KINDS:
        return round_.anonymity
    return workshop.anonymity


def shows_authors(anonymity: Anonymity, *, staff: bool, readout: bool) -> bool:
    """May this audience see who wrote something?

    Fully anonymous: nobody (nothing is stored to show). Anonymous to peers: staff only.
    Named: everyone, except during an anonymous read-out, when only staff do.
    """
    if anonymity == Anonymity.FULL:
        return False
    if staff:
        return True
    return anonymity == Anonymity.NAMED and not readout


def shows_groups(anonymity: Anonymity) -> bool:
    """May what people did be counted by level or department at all? Not when fully
    anonymous: nothing stored says which group anyone is in, and nothing shown may."""
    return anonymity != Anonymity.FULL


def results_visible(round_: Round) -> bool:
    """Blind rounds show nothing, to anyone, before the reveal; live rounds always."""
    return not round_.blind or round_.revealed_at is not None


def suppress_small_groups(sizes: Mapping[str, int]) -> dict[str, bool]:
    """Which groups may be shown: none under the threshold, and never exactly one hidden.

    With one group hidden, the total minus the shown groups would give it
    away; so the smallest shown group is hidden with it.
    """
    shown = {group: size >= MIN_GROUP_SIZE for group, size in sorted(sizes.items())}
    hidden = [group for group, show in shown.items() if not show]
    if len(hidden) == 1:
        visible = sorted((size, group) for group, size in sizes.items() if shown[group])
        if visible:
            shown[visible[0][1]] = False
    return shown


def duel_results_visible(duel: Duel) -> bool:
    """A duel's counts (and its winner) are blind until it is decided, to everyone; a
    cancelled duel's never show."""
    return duel.status == DuelStatus.DECIDED


def pool_small_groups(
    sizes: Mapping[str, int], *, other: str, keep_pooled: Collection[str] = ()
) -> dict[str, str]:
    """Which bucket each group is counted in: a group of at least MIN_GROUP_SIZE is its own;
    smaller ones share ``other``. When that pool is still too small, the smallest groups
    shown join it until it is not, so no small group is ever shown alone or can be worked
    out by subtracting the others from the total. ``keep_pooled``: groups pooled in a picture
    kept earlier (a locked version's) stay pooled, so comparing the two pictures cannot
    single out a small group either (pools drawn afresh would differ, and subtract)."""
    big = sorted(
        (size, group)
        for group, size in sizes.items()
        if size >= MIN_GROUP_SIZE and group not in keep_pooled
    )
    pool = {
        group
        for group, size in sizes.items()
        if size > 0 and (size < MIN_GROUP_SIZE or group in keep_pooled)
    }
    while pool and sum(sizes[g] for g in pool) < MIN_GROUP_SIZE and big:
        pool.add(big.pop(0)[1])
    return {group: (other if group in pool else group) for group in sizes if sizes[group] > 0}


def pooled_counts(sizes: Mapping[str, int], *, other: str) -> dict[str, int]:
    """Counts per group with small groups pooled (see :func:`pool_small_groups`)."""
    buckets = pool_small_groups(sizes, other=other)
    out: dict[str, int] = {}
    for group, bucket in buckets.items():
        out[bucket] = out.get(bucket, 0) + sizes[group]
    return out
