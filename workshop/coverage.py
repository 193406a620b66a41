"""Values into wording: which widely shared personal values a text expresses (through its
source proposals' tags or its own words), and which it misses.

Pure: submissions, tags and texts in, lists out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from .alignment import Submission, display
from .catalogue import SUPPORTED_LANGUAGES, find_value

SHARED_SHARE = 0.25  # a value is "widely shared" when this share of people picked it


def widely_shared(subs: list[Submission], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Values picked by at least a quarter of the people (and at least two of them)."""
    if not subs:
        return []
    counts = Counter(label for sub in subs for label in {p.label for p in sub.picks})
    threshold = max(2, SHARED_SHARE * len(subs))
    return [
        {"key": label, "name": display(label, names), "count": count}
        for label, count in counts.most_common()
        if count >= threshold
    ]


def _names_for(key: str, display_name: str) -> set[str]:
    """Every way a text may name a value: its name in each language, or the own words."""
    names = {display_name.lower()}
    for language in SUPPORTED_LANGUAGES:
        value = find_value(key, language)
        if value is not None:
            names.add(value.name.lower())
    return names


def coverage(shared: list[dict[str, Any]], tagged: Iterable[str], body_md: str) -> dict[str, Any]:
    """Which of the shared values a text expresses (by a confirmed tag on a proposal it came
    from, or by naming the value), and which it misses."""
    tagged_keys = set(tagged)
    text = body_md.lower()
    expressed: list[dict[str, str]] = []
    missing: list[dict[str, str]] = []
    for value in shared:
        in_words = any(
            re.search(rf"\b{re.escape(name)}\b", text)
            for name in _names_for(value["key"], value["name"])
        )
        named = {"key": value["key"], "name": value["name"]}  # screens name a key in their language
        (expressed if value["key"] in tagged_keys or in_words else missing).append(named)
    return {"shared": shared, "expressed": expressed, "missing": missing}
