"""The Markdown export, rendered the way someone would (Python-Markdown, with and without its
``extra`` extensions) and opened in Chromium, runs nothing of what people wrote: no script,
no event handler, no link that runs code when clicked, even with an attack in every field."""

from __future__ import annotations

import markdown
import pytest

from tests.test_exports import hostile_workshop
from workshop import exports

pytestmark = pytest.mark.browser


def test_the_markdown_export_runs_nothing_in_a_browser(ctx, browser):
    leader, workshop_id = hostile_workshop()
    context = browser.new_context(java_script_enabled=True)
    page = context.new_page()
    ran: list[str] = []
    page.on("dialog", lambda dialog: (ran.append(dialog.message), dialog.dismiss()))
    page.on("popup", lambda popup: ran.append(f"popup {popup.url}"))
    try:
        for number in (1, 2, 3):
            text = exports.export_version(leader, workshop_id, number, "md").content
            text = text.decode() if isinstance(text, bytes) else text
            for extensions in ([], ["extra"]):
                rendered = markdown.markdown(text, extensions=extensions)
                page.set_content(f"<!doctype html><body>{rendered}</body>")
                page.wait_for_timeout(300)  # time for an onerror or onload to fire
                assert ran == [], (number, extensions, ran)
                assert page.locator("script, iframe, object, embed").count() == 0
                # The attacks are on the page as words a reader sees.
                assert "<script>alert(1)</script>" in page.inner_text("body")
                # Clicking every link goes nowhere that runs code.
                links = page.locator("a[href]")
                for index in range(links.count()):
                    href = links.nth(index).get_attribute("href") or ""
                    assert href.startswith(("http://", "https://", "mailto:", "#")), href
                    links.nth(index).click(modifiers=["Alt"], no_wait_after=True)
                assert ran == [], (number, extensions, ran)
    finally:
        context.close()
