"""HTML and Markdown: the standalone printable page and the Markdown file, from templates."""

from __future__ import annotations

from typing import Any

from flask import render_template


def render_markdown_file(context: dict[str, Any]) -> str:
    """The mission and its appendices as a Markdown file."""
    return render_template("exports/version.md", **context)


def render_html(context: dict[str, Any]) -> str:
    """A standalone, printable HTML page (inline CSS, inline pictures)."""
    return render_template("exports/version.html", **context)
