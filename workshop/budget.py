"""The document's length budget: words per clause and in total, against the facilitator's
limits, with the average sentence length as a plain readability hint."""

from __future__ import annotations

from typing import Any

from . import clauses
from .diffs import sentences


def length_budget(body_md: str, *, per_clause: int | None, total: int | None) -> dict[str, Any]:
    """Words per clause (headings not counted) and in total, and which is over its limit."""
    parts = clauses.parse(body_md)
    counted = [len(part.body.split()) for part in parts]
    said = [s for part in parts for s in sentences(part.body)]
    return {
        "total": {
            "words": sum(counted),
            "limit": total,
            "over": total is not None and sum(counted) > total,
        },
        "clauses": [
            {
                "index": index + 1,
                "words": words,
                "limit": per_clause,
                "over": per_clause is not None and words > per_clause,
                "start": part.heading or " ".join(part.body.split()[:6]),
            }
            for index, (part, words) in enumerate(zip(parts, counted, strict=True))
        ],
        "average_sentence_words": round(sum(len(x.split()) for x in said) / len(said), 1)
        if said
        else 0,
    }
