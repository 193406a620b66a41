"""Three-way merge of texts, on difflib's matching of words.

Two people edit the same base. Each side's changes are difflib opcodes
against the base (in base coordinates); changes that touch different words
are applied together, and anything that overlaps (the same words changed
differently, or text inserted inside the other's change) is a conflict that
goes back to a person. Nothing is guessed: a patch tool's fuzzy apply could
"succeed" on conflicting rewrites, this never does.
"""

from __future__ import annotations

import dataclasses
import difflib
import re

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


def hunks(base: list[str], changed: list[str]) -> list[Hunk]:
    """One side's changes against the base, from difflib."""
    matcher = difflib.SequenceMatcher(None, base, changed, autojunk=False)
    return [
        Hunk(i1, i2, tuple(changed[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
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
    """The text with both sides' changes, or None when they overlap."""
    base_tokens = tokens(base)
    mine_hunks = hunks(base_tokens, tokens(mine))
    their_hunks = hunks(base_tokens, tokens(theirs))
    if any(_clash(a, b) for a in mine_hunks for b in their_hunks):
        return None
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
