"""Word-level differences between two texts, and the sentences of a text.

difflib does the matching; this module only shapes its answer for screens,
history pages and exports.
"""

from __future__ import annotations

import dataclasses
import re

from .merge import opcodes, tokens

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclasses.dataclass(frozen=True)
class DiffPiece:
    """A run of words that both versions share, or that one of them adds."""

    op: str  # "equal", "insert" or "delete"
    text: str


def diff_texts(before: str, after: str) -> list[DiffPiece]:
    """Word-level differences between two texts."""
    a, b = tokens(before), tokens(after)
    pieces: list[DiffPiece] = []
    for tag, i1, i2, j1, j2 in opcodes(a, b):
        if tag == "equal":
            pieces.append(DiffPiece("equal", "".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            pieces.append(DiffPiece("delete", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            pieces.append(DiffPiece("insert", "".join(b[j1:j2])))
    return pieces


def diff_payload(before: str, after: str) -> list[dict[str, str]]:
    """The word-level differences as screens receive them: ``[{"op", "text"}]``."""
    return [dataclasses.asdict(piece) for piece in diff_texts(before, after)]


def sentences(text: str) -> list[str]:
    """A text's sentences (and lines), with spacing normalised, for tracing them."""
    return [" ".join(part.split()) for part in _SENTENCE_END.split(text) if part.strip()]
