"""Three-way merge of texts, on difflib's matching of words.

Two people edit the same base. Each side's changes are difflib opcodes
against the base (in base coordinates); changes that touch different words
are applied together, and anything that overlaps (the same words changed
differently, or text inserted inside the other's change) is a conflict that
goes back to a person. Nothing is guessed: a patch tool's fuzzy apply could
"succeed" on conflicting rewrites, this never does.

Where a text repeats words ("we ... we ... we"), difflib may describe one
side's change in more than one valid way, and its first description can touch
words the other side changed when a second one would not. So each side's
changes are taken both from the front and from the back (difflib on the
reversed tokens), and the first pair of descriptions that does not overlap is
merged. Each description reproduces its side's text exactly, so whichever is
used, no edit is lost or doubled.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Hashable, Sequence

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclasses.dataclass(frozen=True)
class Hunk:
    """Base tokens [start, end) replaced by ``tokens`` (an insertion when start == end)."""

    start: int
    end: int
    tokens: tuple[str, ...]


def tokens(text: str) -> list[str]:
    """Words and the white space between them, so merges keep spacing as written."""
    return _TOKENS.findall(text)


Opcode = tuple[str, int, int, int, int]
EDGE = 64  # tokens (32 words and the spaces between them)


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Opcode]:
    """difflib's opcodes turning ``a`` into ``b``, its matching kept to what lies between
    their common start and end. An edit is local, and difflib's matching grows with the
    square of a text that repeats words: a clause of "a a a …" saved on an older version
    took 7 s under the workshop's lock, a 20,000-character document 95 s. The last
    :data:`EDGE` items of the common start (and the first of its end) are matched by difflib
    still, so a word at the edge of an edit finds the place it would have found anyway."""
    limit = min(len(a), len(b))
    start = 0
    while start < limit and a[start] == b[start]:
        start += 1
    end = 0
    while end < limit - start and a[len(a) - 1 - end] == b[len(b) - 1 - end]:
        end += 1
    start, end = max(0, start - EDGE), max(0, end - EDGE)
    middle = difflib.SequenceMatcher(
        None, a[start : len(a) - end], b[start : len(b) - end], autojunk=False
    ).get_opcodes()
    spans = [("equal", 0, start, 0, start)] if start else []
    spans += [
        (tag, i1 + start, i2 + start, j1 + start, j2 + start) for tag, i1, i2, j1, j2 in middle
    ]
    if end:
        spans.append(("equal", len(a) - end, len(a), len(b) - end, len(b)))
    joined: list[Opcode] = []
    for span in spans:  # one run of equal words, as difflib gives it
        if joined and span[0] == joined[-1][0] == "equal":
            joined[-1] = ("equal", joined[-1][1], span[2], joined[-1][3], span[4])
        else:
            joined.append(span)
    return joined


def hunks(base: list[str], changed: list[str]) -> list[Hunk]:
    """One side's changes against the base, from difflib."""
    return [
        Hunk(i1, i2, tuple(changed[j1:j2]))
        for tag, i1, i2, j1, j2 in opcodes(base, changed)
        if tag != "equal"
    ]


def hunks_from_the_back(base: list[str], changed: list[str]) -> list[Hunk]:
    """The same changes as difflib describes them matching from the end of the texts."""
    size = len(base)
    return [
        Hunk(size - hunk.end, size - hunk.start, hunk.tokens[::-1])
        for hunk in reversed(hunks(base[::-1], changed[::-1]))
    ]


def _clash(a: Hunk, b: Hunk) -> bool:
    """Whether two changes touch the same place in the base."""
    if a == b:
        return False  # both made the very same change
    if a.start == a.end and b.start == b.end:
        return a.start == b.start  # two different insertions at one spot
    if a.start == a.end:
        return b.start < a.start < b.end
    if b.start == b.end:
        return a.start < b.start < a.end
    return max(a.start, b.start) < min(a.end, b.end)


def merge(base: str, mine: str, theirs: str) -> str | None:
    """The text with both sides' changes, or None when they overlap.

    Descriptions in which both sides share no change are tried first: where words repeat,
    two sides can describe different edits with one identical hunk ("delete the last
    *we*"), and taking it once would lose one of them. Only when every reading shares a
    change is it taken as the same change made twice (two people fixing one typo).
    """
    base_tokens = tokens(base)
    mine_tokens, their_tokens = tokens(mine), tokens(theirs)
    readings = [
        (describe_mine(base_tokens, mine_tokens), describe_theirs(base_tokens, their_tokens))
        for describe_mine in (hunks, hunks_from_the_back)
        for describe_theirs in (hunks, hunks_from_the_back)
    ]
    for allow_shared in (False, True):
        for mine_hunks, their_hunks in readings:
            if not allow_shared and set(mine_hunks) & set(their_hunks):
                continue
            if not any(_clash(a, b) for a in mine_hunks for b in their_hunks):
                return _apply(base_tokens, mine_hunks, their_hunks)
    return None


def _apply(base_tokens: list[str], mine_hunks: list[Hunk], their_hunks: list[Hunk]) -> str:
    """The base with both sides' (non-overlapping) changes."""
    merged = sorted(
        set(mine_hunks) | set(their_hunks), key=lambda h: (h.start, h.end != h.start, h.end)
    )
    out: list[str] = []
    position = 0
    for hunk in merged:
        out.extend(base_tokens[position : hunk.start])
        out.extend(hunk.tokens)
        position = max(position, hunk.end)
    out.extend(base_tokens[position:])
    return "".join(out)
