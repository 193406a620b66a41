"""Markdown in, safe HTML out: the one place user text becomes markup."""

from __future__ import annotations

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
