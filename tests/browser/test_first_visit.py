"""A phone's first visit to the room, as the network sees it: every script and stylesheet comes
gzipped, each module of the live client is fetched once (the page names them all in its head,
so the browser asks for them together, and the imports find them already there)."""

from __future__ import annotations

import pytest

from tests.live_server import open_workshop

from .helpers import wait_until_live

pytestmark = pytest.mark.browser


def test_a_phones_first_visit_fetches_each_file_once_and_gzipped(live_server, new_person):
    _fran, _workshop_id, code = open_workshop(live_server.url)
    amira = new_person("Amira")
    amira.set_viewport_size({"width": 390, "height": 844})
    amira.goto(f"/j/{code}")  # the join form; what is recorded from here on is the room
    static = []
    amira.on("response", lambda r: static.append(r) if "/static/" in r.url else None)
    amira.get_by_label("Your name").fill("Amira")
    amira.get_by_label("Your level").select_option("Frontline")
    amira.get_by_role("button", name="Join", exact=True).click()
    wait_until_live(amira)

    named = {
        live_server.url + href
        for href in amira.locator('link[rel="modulepreload"]').evaluate_all(
            "links => links.map(link => link.getAttribute('href'))"
        )
    }
    modules = [r.url for r in static if "/static/js/live/" in r.url]
    assert len(named) > 10
    assert sorted(modules) == sorted(named)  # each named module fetched, once, and no other
    scripts_and_styles = [r for r in static if r.url.endswith((".js", ".css"))]
    assert any(r.url.endswith("/socket.io.min.js") for r in scripts_and_styles)
    assert any(r.url.endswith(".css") for r in scripts_and_styles)
    for response in static:
        assert response.status == 200, response.url
    for response in scripts_and_styles:
        assert response.header_value("content-encoding") == "gzip", response.url
    assert new_person.page_errors == []
