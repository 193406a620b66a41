"""Layout checks for a screen at the sizes people use it: a phone (390×844), a laptop
(1366×768) and a projector (1920×1080, and 1280×720 for older ones).

Each check photographs the screen (for a person to look at, in ``test-artifacts/screens/``)
and asserts what a person would notice: nothing wider than the screen, no two pieces of text
drawn over each other, the task of the moment above the fold, and, for a wall screen, no
scrolling at all.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from .helpers import SCREENSHOTS, photograph, settle

PHONE, LAPTOP, PROJECTOR, SMALL_PROJECTOR = (390, 844), (1366, 768), (1920, 1080), (1280, 720)
PEOPLE_SIZES = {"phone": PHONE, "laptop": LAPTOP, "projector": PROJECTOR}
WALL_SIZES = {"projector": PROJECTOR, "small-projector": SMALL_PROJECTOR}

# Boxes of visible text-bearing elements, in page coordinates, for the overlap check: the
# innermost elements that hold text of their own (so a card and its title do not "overlap").
# An inline element that wraps is one box per line (its client rects): the rectangle around
# all its lines would cover the words that share its first and last lines. While a modal
# dialog is open, only the texts in it count (the page behind it is not read, and is covered).
_TEXT_BOXES = """() => {
  const out = [];
  // Inside a box clipped to a pixel (a table's header kept for screen readers): not drawn.
  // Each ancestor is measured once (a page has hundreds of texts under the same few boxes).
  const clippedBoxes = new Map();
  const clipped = (a) => {
    if (!a || a === document.body) return false;
    if (!clippedBoxes.has(a)) {
      const r = a.getBoundingClientRect();
      const tiny = r.width <= 1 && r.height <= 1 && getComputedStyle(a).overflow === 'hidden';
      clippedBoxes.set(a, tiny || clipped(a.parentElement));
    }
    return clippedBoxes.get(a);
  };
  const visible = (e, s) => {
    if (s.visibility === 'hidden' || s.display === 'none' || Number(s.opacity) === 0) return false;
    if (e.closest('.visually-hidden, [hidden], details:not([open]) > :not(summary)')) return false;
    return !clipped(e);
  };
  const scope = document.querySelector('dialog:modal') || document.body;
  let index = 0;
  for (const e of scope.querySelectorAll('*')) {
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const style = getComputedStyle(e);
    if (!visible(e, style)) continue;
    index += 1;
    const what = e.tagName + '.' + e.className + ' ' + e.textContent.trim().slice(0, 40);
    const inline = style.display === 'inline';
    for (const r of inline ? e.getClientRects() : [e.getBoundingClientRect()]) {
      if (r.width < 1 || r.height < 1) continue;
      out.push({x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height, what,
                element: index});
    }
  }
  return out;
}"""


def _contains(outer: dict, inner: dict) -> bool:
    return (
        outer["x"] <= inner["x"] + 1
        and outer["y"] <= inner["y"] + 1
        and outer["x"] + outer["w"] >= inner["x"] + inner["w"] - 1
        and outer["y"] + outer["h"] >= inner["y"] + inner["h"] - 1
    )


def _overlaps(boxes: list[dict]) -> list[str]:
    """Pairs of text boxes that cover each other by more than a sliver (3 px each way), where
    neither contains the other (nested inline elements are fine)."""
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a.get("element") is not None and a.get("element") == b.get("element"):
                continue  # two lines of one element
            dx = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
            dy = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
            if dx <= 3 or dy <= 3:
                continue
            inside = _contains(a, b) or _contains(b, a)
            if not inside:
                found.append(f"{a['what']!r} overlaps {b['what']!r}")
    return found


def check_screen(
    page: Page,
    name: str,
    *,
    task: str | None = None,
    sizes: dict[str, tuple[int, int]] | None = None,
    no_scrolling: bool = False,
) -> list[Path]:
    """Photograph ``page`` at each size and check it. ``task``: a selector for the task of the
    moment, whose top must be inside the first screenful. ``no_scrolling``: the whole page fits
    the screen (a projector). The page's own size and scroll position are restored."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    scrolled = page.evaluate("() => [scrollX, scrollY]")
    taken: list[Path] = []
    problems: list[str] = []
    try:
        for size, (width, height) in (sizes or PEOPLE_SIZES).items():
            page.set_viewport_size({"width": width, "height": height})
            page.evaluate("() => window.scrollTo(0, 0)")
            settle(page)
            where = f"{name} at {size} ({width}×{height})"
            wide = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if wide > 1:
                problems.append(f"{where}: scrolls sideways by {wide}px")
            if no_scrolling:
                tall = page.evaluate("() => document.documentElement.scrollHeight - innerHeight")
                if tall > 1:
                    problems.append(f"{where}: needs scrolling ({tall}px more than the screen)")
            if task is not None:
                box = page.locator(task).first.bounding_box()
                if box is None:
                    problems.append(f"{where}: the task {task!r} is not on screen")
                elif box["y"] > height - 48:  # at least its first line shows
                    problems.append(f"{where}: the task {task!r} starts {box['y']:.0f}px down")
            overlaps = _overlaps(page.evaluate(_TEXT_BOXES))
            problems.extend(f"{where}: {o}" for o in overlaps[:5])
            taken.extend(photograph(page, f"{name}-{size}"))
    finally:
        if original:
            page.set_viewport_size(original)
        page.evaluate("([x, y]) => window.scrollTo(x, y)", scrolled)
    assert not problems, "\n".join(problems)
    return taken
