"""The mission document as a sequence of clauses: parsing, assembling, keeping their identity.

A version's Markdown is the source of truth; its clauses are read from it:

- a heading line (``#``, ``##`` or ``###``) starts a clause that runs to the next heading;
- before any heading, each paragraph is a clause of its own (a pasted mission
  without headings splits into its paragraphs).

Clauses keep a stable key from version to version, so that an editor's "I am
editing this clause", votes on a clause and a duel over a clause follow it
while the text around it changes. Keys are matched by difflib, not guessed.
"""

from __future__ import annotations

import dataclasses
import difflib
import re

# A closing run of "#" is dropped only after a space, as CommonMark has it: "## We build
# in C#" keeps its "#", "## Purpose ##" has none.
_HEADING = re.compile(r"^#{1,3}[ \t]+(\S.*?)(?:[ \t]+#+)?[ \t]*$")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclasses.dataclass(frozen=True)
class Part:
    """One clause's words: an optional heading and its Markdown body."""

    heading: str
    body: str

    @property
    def markdown(self) -> str:
        """The clause as it stands in the document."""
        if not self.heading:
            return self.body
        return f"## {self.heading}\n\n{self.body}".rstrip()


@dataclasses.dataclass(frozen=True)
class Clause(Part):
    """A clause of one version, with the key that follows it across versions."""

    key: int
    start: int = 0  # where its Markdown starts in the document
    body_start: int = 0  # where its words start (selections are made inside them)

    @property
    def span(self) -> tuple[int, int]:
        """Where the clause's words lie in the document's text."""
        return (self.body_start, self.body_start + len(self.body))


# The default template (editable before the draft starts); the hints are shown, never saved.
DEFAULT_TEMPLATE: list[tuple[str, str]] = [
    ("Purpose", "Why we exist: the difference we make."),
    ("Who we serve", "Our clients and our colleagues."),
    ("How we work", "What people can count on from us, every day."),
    ("What we value", "The values we live by, in our own words."),
    ("How we will know", "What success looks like, to clients and to us."),
]


def parse(markdown: str) -> list[Part]:
    """The clauses a document's Markdown is made of, in order."""
    parts: list[Part] = []
    heading: str | None = None
    lines: list[str] = []

    def close() -> None:
        if heading is not None:
            parts.append(Part(heading, "\n".join(lines).strip()))
        else:
            for paragraph in _BLANK_LINES.split("\n".join(lines)):
                if paragraph.strip():
                    parts.append(Part("", paragraph.strip()))

    for line in markdown.replace("\r\n", "\n").split("\n"):
        match = _HEADING.match(line)
        if match:
            close()
            heading, lines = match.group(1).strip(), []
        else:
            lines.append(line)
    close()
    return parts


def assemble(parts: list[Part]) -> str:
    """The document's Markdown from its clauses (``parse`` reads it back unchanged)."""
    return "\n\n".join(part.markdown for part in parts).strip()


def with_keys(markdown: str, keys: list[int]) -> list[Clause]:
    """A stored version's clauses with their keys and where each starts in its text.

    Versions saved before clauses existed have no keys; their clauses are
    numbered by position, which is what they were to the people who saw them.
    """
    parts = parse(markdown)
    if len(keys) != len(parts):
        keys = [-(index + 1) for index in range(len(parts))]
    canonical = assemble(parts) == markdown
    clauses: list[Clause] = []
    position = 0
    for part, key in zip(parts, keys, strict=True):
        if canonical:
            start = position
            body_start = start + len(part.markdown) - len(part.body) if part.body else start
        else:  # a text saved before it was kept in clause form: find each clause in it
            anchor = part.body[:40] if not part.heading else part.heading
            start = max(markdown.find(anchor, position), position)
            if part.heading:
                start = max(markdown.rfind("#", position, start + 1), position)
            body_start = _find_body(markdown, part, start)
        clauses.append(Clause(part.heading, part.body, key, start, body_start))
        position = start + len(part.markdown) + 2 if canonical else start + 1
    return clauses


def _find_body(markdown: str, part: Part, start: int) -> int:
    """Where a clause's words start in a free-form text: below its heading line, if any."""
    if not part.body:
        return start
    after = start
    if part.heading:  # the words are below the heading line, even where the heading has them
        line_end = markdown.find("\n", start)
        after = line_end if line_end >= 0 else len(markdown)
    found = markdown.find(part.body, after)
    return found if found >= 0 else start


def match_keys(old: list[Clause], new: list[Part], next_key: int) -> tuple[list[int], int]:
    """Keys for the clauses of a new text: those that stayed (the same heading, or the same words
    where there is no heading) keep theirs, moved or not, rewritten ones in place keep theirs,
    others get new.

    Returns the keys and the next unused key.
    """

    def identity(part: Part) -> str:
        return f"#{part.heading.casefold()}" if part.heading else " ".join(part.body.split())

    matcher = difflib.SequenceMatcher(
        None, [identity(c) for c in old], [identity(p) for p in new], autojunk=False
    )
    opcodes = matcher.get_opcodes()
    keys: list[int | None] = [None] * len(new)
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            keys[j1:j2] = [c.key for c in old[i1:i2]]
    # A clause moved elsewhere is the same clause: it keeps its key (and its votes).
    used = {key for key in keys if key is not None}
    for j, part in enumerate(new):
        if keys[j] is None:
            same = next(
                (c for c in old if c.key not in used and identity(c) == identity(part)), None
            )
            if same is not None:
                keys[j] = same.key
                used.add(same.key)
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "replace":
            # A rewritten clause keeps its key: pair each new clause with the most similar
            # old one of the block, in order.
            candidates = [c for c in old[i1:i2] if c.key not in used]
            for j in range(j1, j2):
                if keys[j] is not None:
                    continue
                scored = [(_similarity(c, new[j]), c) for c in candidates]
                score, best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
                if best is not None and score >= 0.5:
                    keys[j] = best.key
                    used.add(best.key)
                    candidates = candidates[candidates.index(best) + 1 :]
    final: list[int] = []
    for key in keys:
        if key is None:
            key, next_key = next_key, next_key + 1
        final.append(key)
    return final, next_key


def _similarity(old: Part, new: Part) -> float:
    return difflib.SequenceMatcher(None, old.markdown, new.markdown, autojunk=False).ratio()


_TITLE = re.compile(r"\A[ \t]*#[ \t]+(\S[^\n]*?)(?:[ \t]+#+)?[ \t]*(?:\n|\Z)")


def title_and_rest(text: str) -> tuple[str | None, str]:
    """A text's title, when it starts with a level-one heading ("# Our mission") that
    names the whole document rather than a clause, and the rest of the text."""
    match = _TITLE.match(text)
    if match is None:
        return None, text
    return match.group(1).strip(), text[match.end() :].lstrip("\n")


def split_pasted(text: str) -> list[Part]:
    """A whole pasted mission, split into clauses: by its headings, else by its paragraphs,
    else (one paragraph) by its sentences."""
    text = text.replace("\r\n", "\n").strip()
    parts = parse(text)
    if len(parts) == 1 and not parts[0].heading:
        sentences = [s.strip() for s in _SENTENCE_END.split(parts[0].body) if s.strip()]
        parts = [Part("", sentence) for sentence in sentences]
    return parts


def problem_with_body(heading: str, body: str) -> str | None:
    """Why a clause's new body would not stay one clause, if it would not."""
    for line in body.split("\n"):
        if _HEADING.match(line):
            return "heading"
    if not heading and _BLANK_LINES.search(body):
        return "paragraphs"
    return None


def label(clause: Part) -> str:
    """How people refer to a clause: its heading, or its first words."""
    if clause.heading:
        return clause.heading
    words = clause.body.split()
    return " ".join(words[:6]) + ("…" if len(words) > 6 else "")
