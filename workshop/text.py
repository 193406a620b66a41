"""Markdown in, safe HTML out: the one place user text becomes markup."""

from __future__ import annotations

import functools
import html
import re
import threading
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
# A numbered paragraph keeps its number: "2. We respect…" on its own (a clause of a pasted
# mission) is a list that starts at 2, and "2030. The year…" one that starts at 2030.
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """A list's start only as a number (Python-Markdown writes no other)."""
    if tag == "ol" and attribute == "start":
        return value if value.isascii() and value.isdigit() else None
    return value


# Making a converter loads its extensions, which costs as much as a conversion: one is reused,
# reset each time. A conversion never yields to another greenlet, and the lock keeps threads
# (the threading mode) from sharing it at once.
_converter = markdown.Markdown(extensions=["sane_lists"], output_format="html")
# Raw HTML is text, not markup: "every patient <and their families>" keeps its words (as a
# tag, the sanitiser dropped them with everything after), and no tag ever reaches nh3 from
# the writer. Python-Markdown's documented way: take out the two processors that pass it.
_converter.preprocessors.deregister("html_block")
_converter.inlinePatterns.deregister("html")
_converter_lock = threading.Lock()


@functools.lru_cache(maxsize=4096)
def render_markdown(source: str) -> str:
    """Render Markdown and sanitise the result so it is safe to insert in any page.

    The same few texts (a workshop's clauses, brief and proposals) are rendered again for
    every snapshot, page and export, so the safe HTML of recent texts is kept."""
    with _converter_lock:
        html = _converter.reset().convert(source or "")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


# Explicit direction embeddings, overrides and isolates: one left open inside a quote turns
# the rest of the sentence around it (who wrote it, what came after) right to left.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def plain_text(source: str | None) -> str:
    """What a reader sees of some Markdown, as one line of plain text (no ``##``, ``**`` or
    tags, no direction override left open), for quoting it inside a sentence. A numbered
    item keeps its number ("2030. The year…"), as the reader sees it."""
    shown = nh3.clean(_numbered(render_markdown(source or "")), tags=set())
    return " ".join(_BIDI_CONTROLS.sub("", html.unescape(shown)).split())


_LIST_TAGS = re.compile(r'<ol(?: start="(\d+)")?>|<ul>|</ol>|</ul>|<li>')


def _numbered(safe_html: str) -> str:
    """Safe HTML with each item of a numbered list starting with its number as text, for
    taking the tags away."""
    counters: list[int | None] = []  # the next number of each open list; None for bullets

    def number(match: re.Match[str]) -> str:
        tag = match.group(0)
        if tag.startswith("<ol"):
            counters.append(int(match.group(1) or 1))
        elif tag == "<ul>":
            counters.append(None)
        elif tag.startswith("</"):
            if counters:
                counters.pop()
        elif counters and counters[-1] is not None:
            counters[-1] += 1
            return f"{tag}{counters[-1] - 1}. "
        return tag

    return _LIST_TAGS.sub(number, safe_html)


# NUL, and half of a UTF-16 pair (JSON can spell one: "\\ud800"), which no text encodes.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def holds_unstorable(value: object) -> bool:
    """Whether a value (or any string in it, keys included) holds a character no text can
    keep: NUL (nobody types one, and PostgreSQL cannot store one) or a lone surrogate (it
    cannot be written as UTF-8, so every page and export showing it failed). Refused where
    input arrives rather than failing as a server error later."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(holds_unstorable(key) or holds_unstorable(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(holds_unstorable(item) for item in value)
    return False


# Line breaks of every kind, pasted from elsewhere: PowerPoint and Word copy a break inside a
# paragraph as a vertical tab or a form feed; Windows ends lines with a carriage return too.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# Other control characters and non-characters: invisible on every screen, and not allowed in
# XML (so in Word files); and the direction embeddings, overrides and isolates, which nobody
# types and which, left open, turn every word after them around wherever the text is quoted
# (the name after a quoted objection, the rest of a "Came from" line). The direction marks
# that do belong in right-to-left writing (U+200E, U+200F, U+061C) stay.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffe\uffff\u202a-\u202e\u2066-\u2069]")


def without_controls(text: str, line_break: str = "\n") -> str:
    """``text`` with every kind of line break made ``line_break`` and every other control
    character (and direction override) taken out (a tab and a newline stay)."""
    return _CONTROLS.sub("", _LINE_BREAKS.sub(line_break, text))


def without_direction_controls(text: str) -> str:
    """``text`` without direction embeddings, overrides or isolates: for quoting words stored
    before they were refused on arrival."""
    return _BIDI_CONTROLS.sub("", text)


def normalise_text(value: str | None) -> str:
    """A user-typed text as it is stored: surrounding space stripped, every kind of line break
    a newline, and no other control character; nothing at all when nothing shows."""
    return _unless_invisible(without_controls(value or "").strip())


def one_line(value: str | None) -> str:
    """A user-typed single-line text as it is stored (a title, a prompt, a reason, a note):
    every run of spaces and line breaks one space, no other control character; nothing at
    all when nothing shows."""
    return _unless_invisible(" ".join(without_controls(value or "", " ").split()))


def _unless_invisible(text: str) -> str:
    """The text, or "" when it holds only spaces and format characters (zero-width spaces,
    a byte-order mark, direction marks): an empty card or reason is refused as empty, not
    stored as one that looks blank. Format characters inside visible text stay (an emoji's
    joiners, a right-to-left mark)."""
    if all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in text):
        return ""
    return text


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


# Every square bracket, escaped with an odd number of backslashes (any the writer typed
# before it are doubled), so no link, image or reference definition can form.
_BRACKET = re.compile(r"(\\*)([\[\]])")
# ... then the one kind of link a mission needs comes back: plain words pointing at a web or
# mail address (never an image, never any other scheme).
_PLAIN_LINK = re.compile(
    r"(?<!!)\\\[([^\[\]\\]*)\\\]\((https?://[^\s()<>\"\\]+|mailto:[^\s()<>\"\\]+)\)",
    re.IGNORECASE,
)


# What Markdown acts on inside a line: emphasis, code, links, tables, headings, strikes.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|])")
# ... and at the start of a line (a list item, a table cell), what starts a list or a heading.
_LINE_START = re.compile(r"^(\d+)([.)])|^([+#-])")
# ... and at its end, a "#" that Python-Markdown drops from a heading ("## We build in C#").
_LINE_END = re.compile(r"#$")


def markdown_literal(text: str | None) -> str:
    """Plain text (a name, a prompt, a comment, a measure) to stand in a Markdown file exactly
    as written, on one line: every character Markdown would act on is escaped and line breaks
    become spaces, so no one's words can become a heading, a table column, a link or
    emphasis. :func:`safe_markdown` is for text that *is* Markdown (a clause)."""
    line = " ".join(without_direction_controls(text or "").split())
    line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A strike (GitHub's ~~) as an entity: not every renderer takes a backslash before ~.
    line = line.replace("~", "&#126;")
    line = _MARKDOWN_PUNCTUATION.sub(r"\\\1", line)
    line = _LINE_END.sub(r"\\#", line)
    return _LINE_START.sub(_escape_line_start, line)


def _escape_line_start(match: re.Match[str]) -> str:
    number, after_number, bullet = match.groups()
    return f"{number}\\{after_number}" if number else f"\\{bullet}"


def safe_markdown(source: str | None) -> str:
    """User Markdown made safe to hand on as a Markdown file: any renderer that opens it
    shows raw HTML as text (& < > are escaped) and builds no link or image but a plain link
    to a web or mail address. Escaping every bracket, rather than hunting for bad links,
    leaves no way to spell one that a pattern missed."""
    text = (source or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _BRACKET.sub(lambda m: m.group(1) * 2 + "\\" + m.group(2), text)
    return _PLAIN_LINK.sub(lambda m: f"[{m.group(1)}]({m.group(2)})", text)
