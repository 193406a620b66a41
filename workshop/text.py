"""Markdown in, safe HTML out: the one place user text becomes markup."""

from __future__ import annotations

import re
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


# Links and images whose target runs code or smuggles content, in inline, reference and
# autolink form.
_UNSAFE_LINK = re.compile(
    r"(!?\[[^\]]*\])\(\s*<?\s*(?:javascript|vbscript|data|file)\s*:(?:[^()]|\([^()]*\))*\)",
    re.IGNORECASE,
)
_UNSAFE_REFERENCE = re.compile(
    r"^( {0,3}\[[^\]]+\]:)\s*<?\s*(?:javascript|vbscript|data|file)\s*:\S*.*$",
    re.IGNORECASE | re.MULTILINE,
)
_UNSAFE_SCHEME = re.compile(r"(?:javascript|vbscript|data|file)\s*:", re.IGNORECASE)


def safe_markdown(source: str | None) -> str:
    """User Markdown made safe to hand on as a Markdown file: any renderer that opens it
    shows raw HTML as text (< and > are escaped) and keeps no link that runs code (the
    link's words stay, its target goes)."""
    text = (source or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _UNSAFE_LINK.sub(lambda m: m.group(1) + "(#)", text)
    text = _UNSAFE_REFERENCE.sub(lambda m: m.group(1) + " #", text)
    return _UNSAFE_SCHEME.sub(lambda m: m.group(0).replace(":", "&#58;"), text)
