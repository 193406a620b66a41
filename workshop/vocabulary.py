"""Vocabulary rounds and marked words: the room includes or excludes candidate words, sorted
into what we do, for whom, how and why; the draft editor then marks the approved and vetoed
words in the text.

Pure: ballots and texts in, counts and marks out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from .errors import ValidationFailed
from .text import one_line

CATEGORIES = ("what", "whom", "how", "why")
MAX_WORDS = 40
MAX_WORD_LENGTH = 40


def validate_words(words: Any) -> list[dict[str, str]]:
    """Candidate words for a vocabulary round: each with its place (what/whom/how/why)."""
    if not isinstance(words, list) or not words:
        raise ValidationFailed(_("Give at least one candidate word."), field="words")
    if len(words) > MAX_WORDS:
        raise ValidationFailed(_("Give at most %(n)s words.", n=MAX_WORDS), field="words")
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in words:
        if not isinstance(item, Mapping):
            raise ValidationFailed(_("Each word has 1 to 40 characters."), field="words")
        word = one_line(str(item.get("word", "")))
        category = str(item.get("category", "what"))
        if not word or len(word) > MAX_WORD_LENGTH:
            raise ValidationFailed(_("Each word has 1 to 40 characters."), field="words")
        if category not in CATEGORIES:
            raise ValidationFailed(_("Sort each word into what, whom, how or why."), field="words")
        if word.lower() not in seen:
            seen.add(word.lower())
            cleaned.append({"word": word, "category": category})
    return cleaned


def parse_words(text: str) -> list[dict[str, str]]:
    """One word per line, optionally "word: how" (the console's textarea)."""
    words = []
    for line in (text or "").splitlines():
        word, _sep, category = line.partition(":")
        if word.strip():
            words.append({"word": word.strip(), "category": category.strip().lower() or "what"})
    return words


def validate_vocabulary_ballot(raw: Mapping[str, Any], words: list[dict[str, str]]) -> dict:
    """Include or exclude votes on the round's words; returns the ballot in stored form."""
    votes = raw.get("votes")
    known = {item["word"] for item in words}
    if not isinstance(votes, Mapping) or not votes:
        raise ValidationFailed(_("Vote on at least one word."), field="votes")
    cleaned = {}
    for word, choice in votes.items():
        if word not in known:
            raise ValidationFailed(_("That word is not on this ballot."), field="votes")
        if choice not in ("include", "exclude"):
            raise ValidationFailed(_("Choose include or exclude."), field="votes")
        cleaned[word] = choice
    return {"votes": cleaned}


def vocabulary_results(words: list[dict[str, str]], ballots: list[dict[str, Any]]) -> dict:
    """Per word: include and exclude counts, and approved, vetoed or open."""
    items: list[dict[str, Any]] = []
    for item in words:
        choices = [b.get("votes", {}).get(item["word"]) for b in ballots]
        include, exclude = choices.count("include"), choices.count("exclude")
        status = "approved" if include > exclude else "vetoed" if exclude > include else "open"
        items.append({**item, "include": include, "exclude": exclude, "status": status})
    order = {category: index for index, category in enumerate(CATEGORIES)}
    items.sort(key=lambda i: (order[i["category"]], -i["include"], i["word"].lower()))
    return {"method": "vocabulary", "ballots": len(ballots), "items": items}


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word.lower())}\b", text.lower()) is not None


def marked_words(body_md: str, words: dict[str, list[str]]) -> dict[str, list[str]]:
    """For the editor: approved words used and still missing, vetoed words that crept in."""
    return {
        "approved_used": [w for w in words["approved"] if _mentions(body_md, w)],
        "approved_missing": [w for w in words["approved"] if not _mentions(body_md, w)],
        "vetoed_used": [w for w in words["vetoed"] if _mentions(body_md, w)],
    }


def highlight(body_md: str, words: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The draft as pieces ("plain" | "approved" | "vetoed", text) for the editor's preview."""
    marks = {w.lower(): "approved" for w in words["approved"]}
    marks.update({w.lower(): "vetoed" for w in words["vetoed"]})
    if not marks:
        return [("plain", body_md)]
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(w) for w in sorted(marks, key=len, reverse=True)) + r")\b",
        re.IGNORECASE,
    )
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in pattern.finditer(body_md):
        if match.start() > position:
            pieces.append(("plain", body_md[position : match.start()]))
        pieces.append((marks[match.group(0).lower()], match.group(0)))
        position = match.end()
    if position < len(body_md):
        pieces.append(("plain", body_md[position:]))
    return pieces
