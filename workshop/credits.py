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


def carry(
    old_text: str,
    old_credits: Sequence[str],
    new_text: str,
    new_credit: str,
    *,
    sources: Sequence[tuple[str, str]] = (),
) -> list[str]:
    """The credits of ``new_text``'s words: words that match ``old_text`` keep theirs; new
    words are credited to the first of ``sources`` (credit, text) whose text holds them in
    order (proposals added to the draft), else to ``new_credit``."""
    old, new = words(old_text), words(new_text)
    if len(old_credits) != len(old):  # a version from before credits were kept
        old_credits = [new_credit] * len(old)
    credits: list[str] = [new_credit] * len(new)
    matcher = difflib.SequenceMatcher(
        None, [_same(w) for w in old], [_same(w) for w in new], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            credits[j1:j2] = old_credits[i1:i2]
        elif j2 > j1:
            credits[j1:j2] = _credit_new_run(new[j1:j2], new_credit, sources)
    return credits


def _credit_new_run(run: list[str], fallback: str, sources: Sequence[tuple[str, str]]) -> list[str]:
    """Credit a run of new words to the sources whose words it takes, word by word."""
    credits = [fallback] * len(run)
    compared = [_same(w) for w in run]
    for credit, text in sources:
        source = [_same(w) for w in words(text)]
        matcher = difflib.SequenceMatcher(None, source, compared, autojunk=False)
        for block in matcher.get_matching_blocks():
            for offset in range(block.size):
                if credits[block.b + offset] == fallback:
                    credits[block.b + offset] = credit
    return credits


def in_order(keys: Sequence[str]) -> list[str]:
    """Distinct credit keys in the order they first appear."""
    return list(dict.fromkeys(keys))
