"""Markdown in, safe HTML out: the one place user text becomes markup."""

from __future__ import annotations

import unicodedata

import markdown
import nh3

# Enough for mission wording and a brief; no images, scripts, styles or raw HTML.
_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "a",
    "del",
    "ins",
    "sup",
    "sub",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def render_markdown(source: str) -> str:
    """Render Markdown and sanitise the result so it is safe to insert in any page."""
    html = markdown.markdown(source or "", extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def normalise_text(value: str | None) -> str:
    """Strip surrounding space and unify line endings of a user-typed text."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def clean_name(value: str | None) -> str:
    """A person's name as others will see it: NFC, on one line, without control or format
    characters (no NUL, escape or delete; no zero-width or right-to-left override tricks
    that make a name look like another or hide one)."""
    text = unicodedata.normalize("NFC", value or "")
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )
    return " ".join(kept.split())


def same_name(a: str, b: str) -> bool:
    """Whether two names would look the same to the room (case and width aside)."""
    return (
        unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold()
    )
