"""Fixtures for end-to-end browser tests: a real ``workshop serve`` process and Chromium.

The server runs exactly as in production (``workshop serve`` under gevent, a
SQLite file, a facilitator and a leadership account made with ``workshop create-user``);
the browser is Debian's headless Chromium (``chromium-headless-shell``, the build Playwright
itself uses for headless runs: the suite takes about a quarter less time than in the full
browser) driven by Playwright's sync API. Every simulated person gets their own browser
context, so their cookies never mix.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.live_server import LiveServer, ServerPool

# Every assertion waits up to 10 s, as every action does (Playwright's own default is 5 s): a
# busy machine can take longer than 5 s to show a change, and a page that is right is not
# kept waiting any longer.
expect.set_options(timeout=10_000)

# TEST_CHROMIUM=/usr/bin/chromium runs the suite in the full browser instead.
CHROMIUM = Path(os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium-headless-shell"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Less work per page for what a test does not use (each test runs several pages at once).
    "--disable-features=PaintHolding,BackForwardCache,Translate,MediaRouter,OptimizationHints",
    "--disable-ipc-flooding-protection",
    "--disable-hang-monitor",
    "--disable-breakpad",
    "--mute-audio",
    "--disable-smooth-scrolling",
]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Keep each phase's report on the test item so fixtures can tell a failure at teardown."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _test_failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


@pytest.fixture(scope="session")
def server_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    pool = ServerPool(tmp_path_factory.mktemp("servers"))
    yield pool
    pool.close()


@pytest.fixture
def live_server(server_pool: ServerPool, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """A real ``workshop serve`` of this test's own on a free port, with a facilitator and a
    leadership account (started while the test before ran)."""
    with server_pool.server() as server:
        yield server
        if _test_failed(request):
            print(f"\n----- workshop serve log ({server.log_path}) -----\n{server.log()}")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per test process (the system's, as CI installs it); every
    person still gets a browser context of their own."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is required for the browser tests but {CHROMIUM} does not exist. "
            "Install it (Debian/Ubuntu: apt-get install chromium-headless-shell)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_person(browser, live_server: LiveServer):
    """Open a fresh browser context (own cookies) for each simulated person.

    Returns a function ``new_person(name) -> Page``; JavaScript errors on any
    page are collected in ``new_person.page_errors`` so the test can assert none.
    """
    contexts = []
    page_errors: list[str] = []

    def open_person(name: str):
        context = browser.new_context(base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(f"{name}: {error}"))
        # Anything the page's Content-Security-Policy blocked is a fault of ours too.
        page.on(
            "console",
            lambda message: (
                page_errors.append(f"{name}: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    open_person.page_errors = page_errors
    yield open_person
    for context in contexts:
        context.close()


@pytest.fixture
def people():
    """People without a browser (``people.append(Person(...))``, the socket clients of
    test_client_state.py); their sockets close after the test."""
    made: list = []
    yield made
    for person in made:
        person.close()
