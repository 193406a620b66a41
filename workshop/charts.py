"""Pictures people would rather look at than read: server-rendered SVG.

SVG keeps the charts crisp on a projector, printable in exports and
readable by screen readers (a title, a description and the numbers in the
cells), with no chart library and no CDN.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from xml.sax.saxutils import escape

CELL_WIDTH = 84
CELL_HEIGHT = 30
LABEL_WIDTH = 190  # at least: a longer personal value gets a wider label column
LABEL_MARGIN = 8
HEADER_HEIGHT = 96  # at least: longer column labels get a taller header
MAX_ROWS = 20
# The column labels are slanted 35° up to the right; a character of the 13 px font is about
# 7.8 px wide, so a label rises and runs this far per character.
CHARACTER_WIDTH = 7.8
RISE, RUN = 0.574, 0.819  # sin and cos of 35°


def _shade(count: int, most: int) -> str:
    """White for nothing, deep blue for the most common pairing."""
    if count == 0:
        return "#f5f6f8"
    strength = 0.15 + 0.85 * count / most
    red, green, blue = (int(255 - (255 - c) * strength) for c in (31, 95, 153))
    return f"#{red:02x}{green:02x}{blue:02x}"


def _text_width(text: str) -> float:
    """About how wide a text is in the 13 px font, erring wide: capitals (a value typed in
    capitals) take more than the average, M and W (and Chinese or Japanese) a full em."""
    width = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in "WF" or ch in "MWmw":
            width += 13
        elif ch.isupper():
            width += 10
        else:
            width += CHARACTER_WIDTH
    return width


def heatmap_svg(results: dict[str, Any], *, title: str, empty_text: str) -> str:
    """Personal values (rows) against the organisation's values (columns), with counts: the
    first :data:`MAX_ROWS`, as many as the room reads on a projector."""
    rows = results.get("rows", [])
    return _heatmap(results, rows[:MAX_ROWS], rows[:MAX_ROWS], title=title, empty_text=empty_text)


def heatmap_svgs(results: dict[str, Any], *, title: str, empty_text: str) -> list[str]:
    """The whole heatmap for a document, as pictures of :data:`MAX_ROWS` rows each: every
    personal value is in it (the PDF left out each one past the 20th, which the Markdown and
    Word tables have), and each picture fits on a printed page. The pictures share their
    label width and shades, so they read as one table."""
    rows = results.get("rows", [])
    parts = [rows[start : start + MAX_ROWS] for start in range(0, len(rows), MAX_ROWS)]
    return [
        _heatmap(results, part, rows, title=title, empty_text=empty_text, ids=f"-{n}" if n else "")
        for n, part in enumerate(parts or [[]])
    ]


def _heatmap(
    results: dict[str, Any],
    rows: list[dict[str, Any]],
    every_row: list[dict[str, Any]],
    *,
    title: str,
    empty_text: str,
    ids: str = "",
) -> str:
    """The heatmap of ``rows``, its label width and shades those of ``every_row``; ``ids``
    tells apart the titles of several pictures on one page."""
    columns = results.get("columns", [])
    # Room above for the longest slanted label ("Hier niet vertegenwoordigd" was cut off at
    # the top), and on the right for the last column's.
    longest = max((len(c["name"]) for c in columns), default=0) * CHARACTER_WIDTH
    header = max(HEADER_HEIGHT, round(longest * RISE) + 16)
    last = len(columns[-1]["name"]) * CHARACTER_WIDTH if columns else 0
    right = max(110, round(last * RUN - CELL_WIDTH / 2) + 12)
    # Room on the left for the longest personal value (one of 40 characters ran off the
    # picture's left edge, so the PDF showed "r 00 and shared responsibility").
    widest = max((_text_width(row["value"]) for row in every_row), default=0)
    label_width = max(LABEL_WIDTH, round(widest) + 2 * LABEL_MARGIN)
    width = label_width + CELL_WIDTH * max(len(columns), 1) + right
    height = header + CELL_HEIGHT * max(len(rows), 1) + 10
    most = max((n for row in every_row for n in row["counts"].values()), default=1)
    described = "; ".join(
        f"{row['value']}: "
        + ", ".join(f"{c['name']} {row['counts'].get(c['id'], 0)}" for c in columns)
        for row in rows
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="hm-title{ids} hm-desc{ids}" '
        'font-family="DejaVu Sans, Arial, sans-serif" font-size="13">',
        f'<title id="hm-title{ids}">{escape(title)}</title>',
        f'<desc id="hm-desc{ids}">{escape(described or empty_text)}</desc>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if not rows:
        parts.append(f'<text x="10" y="{header}" fill="#5a6270">{escape(empty_text)}</text>')
    for index, column in enumerate(columns):
        x = label_width + index * CELL_WIDTH + CELL_WIDTH / 2
        parts.append(
            f'<text transform="translate({x:.0f},{header - 8}) rotate(-35)" '
            f'fill="#1b1f24">{escape(column["name"])}</text>'
        )
    for row_index, row in enumerate(rows):
        y = header + row_index * CELL_HEIGHT
        parts.append(
            f'<text x="{label_width - LABEL_MARGIN}" y="{y + 20}" text-anchor="end" '
            'fill="#1b1f24">'
            f"{escape(row['value'])}</text>"
        )
        for col_index, column in enumerate(columns):
            count = row["counts"].get(column["id"], 0)
            x = label_width + col_index * CELL_WIDTH
            fill = _shade(count, most)
            ink = "#ffffff" if count and count / most > 0.55 else "#1b1f24"
            parts.append(
                f'<rect x="{x + 1}" y="{y + 1}" width="{CELL_WIDTH - 2}" '
                f'height="{CELL_HEIGHT - 2}" rx="3" fill="{fill}"/>'
            )
            if count:
                parts.append(
                    f'<text x="{x + CELL_WIDTH / 2:.0f}" y="{y + 20}" text-anchor="middle" '
                    f'fill="{ink}" font-weight="600">{count}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)
