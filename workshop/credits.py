"""Who wrote each word of the mission: credit that survives every merge, amendment, duel,
conflict resolution and restore.

Every version stores, for each of its words, a *credit key* saying who wrote that word:

- ``p<id>``: a participant (named or anonymous to peers);
- ``anon``: a participant in a fully anonymous round (nobody can know who);
- ``u<id>``: a staff account (a facilitator's own words, a duel's wordings);
- ``prop<id>``: a proposal (credited to everyone the proposal is credited to);
- ``original``: the existing mission, as pasted when the draft started.

A new version's credits come from comparing its words with the version it grew from
(difflib, word by word): a word that survived keeps its credit, whoever saved; only words
that are new get the new words' credit. So a merge credits both people, a resolved
conflict keeps the other person's words theirs, and a restore brings back the credits of
the version it restores.

Pure: texts and keys in, keys out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from .merge import opcodes

ORIGINAL = "original"
ANONYMOUS = "anon"
_WORD = re.compile(r"\S+")
_EDGES = re.compile(r"^\W+|\W+$")


def participant_key(participant_id: int | None) -> str:
    return f"p{participant_id}" if participant_id is not None else ANONYMOUS


def user_key(user_id: int) -> str:
    return f"u{user_id}"


def proposal_key(proposal_id: int) -> str:
    return f"prop{proposal_id}"


def words(text: str) -> list[str]:
    """A text's words (runs of non-space), the unit credit is kept at."""
    return _WORD.findall(text)


def _same(word: str) -> str:
    """A word as compared for credit: punctuation around it and case aside, so that moving a
    full stop or a capital does not take a word away from who wrote it."""
    return _EDGES.sub("", word).casefold() or word


def word_spans(text: str) -> list[tuple[int, int]]:
    """Where each word lies in the text."""
    return [match.span() for match in _WORD.finditer(text)]


# Fewer words than this found elsewhere are not taken for moved words: "we are" may be new.
MIN_MOVED_WORDS = 3


def carry(
    old_text: str,
    old_credits: Sequence[str],
    new_text: str,
    new_credit: str,
    *,
    sources: Sequence[tuple[str, str]] = (),
    earlier: Sequence[tuple[str, Sequence[str]]] = (),
) -> list[str]:
    """The credits of ``new_text``'s words: words that match ``old_text`` in place keep
    theirs; new words are credited to the first of ``sources`` (credit, text) whose text
    holds them in order (proposals added to the draft); words moved rather than written (a
    run of at least MIN_MOVED_WORDS found among the old words that left their place, or in one
    of the ``earlier`` (text, credits), e.g. the latest version a restore was merged with) keep
    the credit they had there; anything else is ``new_credit``'s."""
    old, new = words(old_text), words(new_text)
    if len(old_credits) != len(old):  # a version from before credits were kept
        old_credits = [new_credit] * len(old)
    credits: list[str] = [new_credit] * len(new)
    fresh: list[int] = []  # new words with no old word in their place
    left: list[int] = []  # old words with no place in the new text (gone, or moved)
    for tag, i1, i2, j1, j2 in opcodes([_same(w) for w in old], [_same(w) for w in new]):
        if tag == "equal":
            credits[j1:j2] = old_credits[i1:i2]
            continue
        left.extend(range(i1, i2))
        if j2 > j1:
            credits[j1:j2] = _credit_new_run(new[j1:j2], new_credit, sources)
            fresh.extend(range(j1, j2))
    pools = [([old[i] for i in left], [old_credits[i] for i in left])]
    pools += [(words(text), list(keys)) for text, keys in earlier if len(keys) == len(words(text))]
    for pool_words, pool_credits in pools:
        unclaimed = [j for j in fresh if credits[j] == new_credit]
        _credit_moved(new, credits, unclaimed, pool_words, pool_credits)
    return credits


def _credit_new_run(run: list[str], fallback: str, sources: Sequence[tuple[str, str]]) -> list[str]:
    """Credit a run of new words to the sources whose words it takes, word by word; each
    source is looked for among the words no earlier source took (a proposal whose words
    also lie inside an earlier one's is found where it was put, not inside the other)."""
    credits = [fallback] * len(run)
    compared = [_same(w) for w in run]
    for credit, text in sources:
        free = [i for i, taken in enumerate(credits) if taken == fallback]
        source = [_same(w) for w in words(text)]
        matcher = difflib.SequenceMatcher(None, source, [compared[i] for i in free], autojunk=False)
        for block in matcher.get_matching_blocks():
            for offset in range(block.size):
                credits[free[block.b + offset]] = credit
    return credits


def _credit_moved(
    new: list[str],
    credits: list[str],
    unclaimed: list[int],
    pool_words: list[str],
    pool_credits: list[str],
) -> None:
    """Give the unclaimed new words found, in runs of at least MIN_MOVED_WORDS, among the
    pool's words the credit those words have there."""
    if not unclaimed or not pool_words:
        return
    matcher = difflib.SequenceMatcher(
        None, [_same(new[j]) for j in unclaimed], [_same(w) for w in pool_words], autojunk=False
    )
    for block in matcher.get_matching_blocks():
        if block.size >= MIN_MOVED_WORDS:
            for offset in range(block.size):
                credits[unclaimed[block.a + offset]] = pool_credits[block.b + offset]


def in_order(keys: Sequence[str]) -> list[str]:
    """Distinct credit keys in the order they first appear."""
    return list(dict.fromkeys(keys))
