"""Sanitised Markdown HTML as Word paragraphs and runs, for the DOCX export."""

from __future__ import annotations

import collections
import html.parser
import re
from typing import Any


class HtmlToDocx(html.parser.HTMLParser):
    """Sanitised Markdown HTML (see text.render_markdown) as Word paragraphs and runs.

    Handles what the sanitiser lets through: headings, paragraphs, nested
    lists, quotes, code, bold, italic, strike-through, links and line breaks.
    ``paragraph_style`` is the style of plain paragraphs (the mission's own,
    or a bullet for each origin); ``single`` keeps everything in one paragraph,
    blocks separated by line breaks (an origin is one item of a list), and
    ``into`` is a paragraph already begun that the first block continues.
    """

    HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
    MARKS = {"strong": "bold", "b": "bold", "em": "italic", "i": "italic", "del": "strike"}

    def __init__(
        self,
        document: Any,
        *,
        paragraph_style: str = "Normal",
        single: bool = False,
        into: Any = None,
    ) -> None:
        super().__init__(convert_charrefs=True)
        self.document = document
        self.paragraph_style = paragraph_style
        self.single = single
        self.lists: list[str] = []
        self.counters: list[int] = []
        self.marks: collections.Counter[str] = collections.Counter()
        self.quotes = 0
        self.paragraph: Any = None
        self.last: Any = None
        self.href: str | None = None
        self.link_text = ""  # the words of the link being read
        self.into = into

    def _open(self, style: str | None = None, heading: int | None = None) -> None:
        if self.single and self.into is not None:
            self.paragraph = self.last = self.into
            self.into = None
            return
        if self.single and self.last is not None:
            self.paragraph = self.last
            self.paragraph.add_run().add_break()
            return
        if self.single:
            style = heading = None
        if heading is not None:
            self.paragraph = self.document.add_heading("", level=heading)
        else:
            quoted = "Quote" if self.quotes else self.paragraph_style
            self.paragraph = self.document.add_paragraph(style=style or quoted)
        self.last = self.paragraph

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("ul", "ol"):
            self.paragraph = None
            self.lists.append("List Number" if tag == "ol" else "List Bullet")
            start = dict(attrs).get("start") or "1"  # "2. We respect…" alone starts at 2
            self.counters.append(int(start) - 1 if start.isdigit() else 0)
        elif tag == "li":
            depth = min(len(self.lists), 3)
            kind = self.lists[-1] if self.lists else "List Bullet"
            # Word's own numbers run on through the whole document and start at 1, not at
            # 2030: an item's number is written as text, in a list paragraph without them.
            style = "List Continue" if kind == "List Number" else kind
            self._open(style if depth <= 1 else f"{style} {depth}")
            if self.counters:
                self.counters[-1] += 1
            number = f"{self.counters[-1]}." if self.counters and kind == "List Number" else ""
            if self.single:
                self.paragraph.add_run("   " * depth + (number or "–") + " ")
            elif number:
                self.paragraph.add_run(number + " ")
        elif tag == "p":
            if self.paragraph is None:  # a <p> inside an <li> continues the item
                self._open()
        elif tag in self.HEADINGS:
            self._open(heading=self.HEADINGS[tag])
            if self.single:
                self.marks["strong"] += 1
        elif tag == "blockquote":
            self.quotes += 1
        elif tag in self.MARKS or tag == "code":
            self.marks[tag] += 1
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = ""
        elif tag == "br" and self.paragraph is not None:
            self.paragraph.add_run().add_break()
        elif tag == "hr":
            self.paragraph = None
            self.document.add_paragraph("* * *").alignment = 1  # centred

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self.counters.pop()
            self.paragraph = None
        elif tag in ("p", "li", *self.HEADINGS):
            self.paragraph = None
            if self.single and tag in self.HEADINGS:
                self.marks["strong"] = max(self.marks["strong"] - 1, 0)
        elif tag == "blockquote":
            self.quotes = max(self.quotes - 1, 0)
        elif tag in self.MARKS or tag == "code":
            self.marks[tag] = max(self.marks[tag] - 1, 0)
        elif tag == "a":
            # The address once, after all of the link's words (given after each of its bold
            # or italic parts, it stood there three times), unless they are the address.
            if self.href and self.paragraph is not None and self.href != self.link_text.strip():
                self.paragraph.add_run(f" <{self.href}>")
            self.href = None

    def handle_data(self, data: str) -> None:
        if self.paragraph is None:
            if not data.strip():
                return  # whitespace between blocks
            self._open()
        text = re.sub(r"\s*\n\s*", " ", data)
        if not self.paragraph.text or self.paragraph.text.endswith(("\n", " ")):
            text = text.lstrip()
        run = self.paragraph.add_run(text)
        marks = {self.MARKS[tag] for tag, n in self.marks.items() if n and tag in self.MARKS}
        if "bold" in marks:
            run.bold = True
        if "italic" in marks:
            run.italic = True
        if "strike" in marks:
            run.font.strike = True
        if self.marks["code"]:
            run.font.name = "Courier New"
        if self.href:
            self.link_text += data
