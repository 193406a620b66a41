"""Steps and checks shared by the browser tests (the fixtures live in conftest.py)."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import time
from pathlib import Path

from playwright.sync_api import CDPSession, Locator, Page, expect

TIMEOUT = 10_000  # ms, for every live expectation

NOT_RELOADED = "__e2eNotReloaded"
RESULTS_HIDDEN = "Results stay hidden until the facilitator reveals them."
# Any dot tally, in any of its singular/plural forms ("3 dots from 2 people").
ANY_TALLY = re.compile(r"\d+ dots? from \d+ (person|people)")


def wait_until_live(page: Page) -> None:
    """The socket connected and the first snapshot was rendered."""
    expect(page.locator("#live")).to_have_attribute("aria-busy", "false", timeout=TIMEOUT)
    expect(page.locator("#live")).to_have_attribute("data-connected", "yes", timeout=TIMEOUT)


_FOCUS_ELSEWHERE = """(element) => {
  const active = element.getRootNode().activeElement;
  if (active === element) return null;
  const where = active ? active.outerHTML.slice(0, 200) : "nothing";
  return `${where} (the page ${document.hasFocus() ? "has" : "lacks"} the window's focus)`;
}"""


def expect_focused(locator: Locator, timeout: float = 5_000) -> None:
    """The keyboard focus is on ``locator`` in its page, within ``timeout`` ms: where a
    keyboard or screen-reader user goes on from. Playwright's ``to_be_focused`` also asks
    that the page hold the browser window's focus (``document.hasFocus()``), which is the
    browser's business, not the page's, and answers "inactive" whichever of the two is
    missing; a CI run once failed so after a dialog closed, and 30 runs here never did. This
    check asks only the page, and a failure says where the focus is instead."""
    deadline = time.monotonic() + timeout / 1000
    while (elsewhere := locator.evaluate(_FOCUS_ELSEWHERE)) is not None:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected the focus on {locator}, but it is on {elsewhere}")
        locator.page.wait_for_timeout(100)


def mark_page(page: Page) -> None:
    """Tag the current document; a reload or navigation would lose the tag."""
    page.evaluate(f"window.{NOT_RELOADED} = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate(f"window.{NOT_RELOADED} === true"), (
        f"{page.url} was reloaded or navigated; live updates must arrive without a reload"
    )


def log_in(page: Page, email: str, password: str) -> None:
    """Log a staff account (facilitator or leadership) in; their workshops are shown."""
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My workshops")).to_be_visible()


log_in_facilitator = log_in


def add_staff(page: Page, email: str, role: str) -> None:
    """On the open console, add an account to the workshop's staff (the page reloads)."""
    wait_until_live(page)  # the live sections above render first; then the form stays put
    # The staff are set up once: their part of the console is folded away below.
    staff = page.locator("details").filter(
        has=page.get_by_role("heading", name="Co-facilitators and leadership")
    )
    if staff.get_attribute("open") is None:
        staff.get_by_role("heading", name="Co-facilitators and leadership").click()
    staff.get_by_label("Account email").fill(email)
    staff.get_by_label("Role", exact=True).select_option(role)
    staff.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("can now open this workshop")).to_be_visible(timeout=TIMEOUT)


def select_in_amend_source(page: Page, words: str) -> None:
    """Select ``words`` (their first occurrence) in the suggest-a-change source text."""
    page.evaluate(
        """(words) => { const t = document.querySelector('#amend-source');
                        const i = t.value.indexOf(words); t.focus();
                        t.setSelectionRange(i, i + words.length);
                        t.dispatchEvent(new Event('select')); }""",
        words,
    )


def staff_command(page: Page, workshop_id: int, name: str, payload: dict | None = None) -> dict:
    """A facilitator's command sent from her page over a socket of its own (the same cookies,
    so the same facilitator), for what a test does without a button (a one-second timer) or
    reads back (the state); the command must succeed."""
    ack = page.evaluate(
        """async ([workshopId, name, payload]) => {
             const socket = window.io({ auth: { workshop_id: workshopId },
                                        transports: ["websocket"], forceNew: true });
             try {
               await new Promise((resolve, reject) => {
                 socket.on("connect", resolve);
                 socket.on("connect_error", reject);
               });
               return await new Promise((resolve) => socket.emit(name, payload, resolve));
             } finally {
               socket.disconnect();
             }
           }""",
        [workshop_id, name, payload or {}],
    )
    assert ack["ok"], f"{name} {payload}: {ack}"
    return ack


def pdf_text(path: str | Path) -> str:
    """The text of a PDF file, its whitespace collapsed to single spaces and the words that the
    print stylesheet hyphenated at a line end ("al‐ ways") joined again."""
    from pypdf import PdfReader

    text = " ".join(page.extract_text() or "" for page in PdfReader(path).pages)
    text = re.sub(r"[\u2010\u00ad]\s+", "", text)
    return " ".join(text.split())


def create_workshop(page: Page, title: str, organisation: str, values: str) -> int:
    """Fill in the new-workshop form; returns the workshop id (the console is open)."""
    page.goto("/workshops/new")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Organisation", exact=True).fill(organisation)
    page.get_by_label("The organisation's current values").fill(values)
    page.get_by_role("button", name="Create workshop").click()
    expect(page).to_have_url(re.compile(r"/workshops/\d+$"), timeout=TIMEOUT)
    expect(page.locator("#workshop-title")).to_have_text(title)
    return int(page.url.rsplit("/", 1)[1])


def join(page: Page, join_link: str, name: str, level: str) -> int:
    """Join with the link as a participant; returns the workshop id of the room."""
    page.goto(join_link)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your level").select_option(level)
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page).to_have_url(re.compile(r"/w/\d+$"), timeout=TIMEOUT)
    expect(page.get_by_text(f"You are {name} ({level})")).to_be_visible()
    wait_until_live(page)
    return int(page.url.rsplit("/", 1)[1])


def fran_and_amira(
    live_server, new_person, title: str, values: str = "Care"
) -> tuple[Page, int, Page]:
    """Fran logs in and creates a workshop (her console live), and Amira joins it from her own
    browser: Fran's page, the workshop's id and Amira's page."""
    fran = new_person("Fran")
    log_in(fran, live_server.facilitator_email, live_server.facilitator_password)
    workshop_id = create_workshop(fran, title, "Harbour Health", values)
    link = fran.locator("#join-link").get_attribute("href")
    assert link is not None
    wait_until_live(fran)
    amira = new_person("Amira")
    join(amira, link, "Amira", "Frontline")
    return fran, workshop_id, amira


def proposal(page: Page, wording: str) -> Locator:
    """The proposal card with this wording."""
    return page.locator("#proposals li.proposal").filter(has_text=wording)


def ballot_item(page: Page, wording: str) -> Locator:
    """The item with this wording on a participant's ballot (the vote task's list)."""
    return page.locator("#ballot li.proposal").filter(has_text=wording)


def send_proposal(page: Page, wording: str) -> None:
    page.locator("#proposal-body").fill(wording)
    page.get_by_role("button", name="Send proposal").click()
    # The form is cleared only once the server acknowledged the proposal.
    expect(page.locator("#proposal-body")).to_have_value("", timeout=TIMEOUT)


def voters(n: int) -> re.Pattern[str]:
    """A voter count whose only number is ``n`` ("2 people have voted", "1 person has voted")."""
    return re.compile(rf"^\D*(?<!\d){n}(?!\d)\D*voted\D*$")


def assert_results_hidden(page: Page) -> None:
    """A blind round before the reveal: the notice, and no tally in any form on the page."""
    expect(page.locator("#results-card")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#results")).to_have_text(RESULTS_HIDDEN, timeout=TIMEOUT)
    expect(page.locator("#results .bar-row")).to_have_count(0)
    expect(page.locator("#results table, #results section")).to_have_count(0)
    expect(page.locator("#proposals .tally")).to_have_count(0)
    expect(page.locator("#live")).not_to_contain_text(ANY_TALLY)


def timer_seconds(page: Page) -> int:
    """The seconds shown by a running round's timer ("4:58 left" -> 298)."""
    text = page.locator("#timer").inner_text()
    match = re.fullmatch(r"(\d+):(\d\d) left", text.strip())
    assert match, f"#timer on {page.url} shows {text!r}, not a running 'M:SS left' timer"
    return int(match[1]) * 60 + int(match[2])


_TIMER_AT_LEAST = """([least, most]) => {
  const match = /^(\\d+):(\\d\\d) left$/.exec(document.querySelector('#timer').textContent.trim());
  if (!match) return false;
  const seconds = Number(match[1]) * 60 + Number(match[2]);
  return seconds >= least && seconds <= most;
}"""


def wait_for_timer(page: Page, least: int, most: int) -> None:
    """Wait until the running timer shows between ``least`` and ``most`` seconds."""
    page.wait_for_function(_TIMER_AT_LEAST, arg=[least, most], timeout=TIMEOUT)


SCREEN_SIZES = {"phone": (390, 844), "laptop": (1366, 768), "projector": (1920, 1080)}
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS", "test-artifacts/screens"))


def settle(page: Page) -> None:
    """Wait until the page is laid out and painted after a change (of its size, say): two
    animation frames, since resize observers and the layout they cause run before a paint.
    A page the browser does not paint (in the background) runs no frames; the wait then ends
    after a second instead of never (``evaluate`` has no time limit of its own)."""
    page.evaluate(
        """() => new Promise((done) => {
            requestAnimationFrame(() => requestAnimationFrame(done));
            setTimeout(done, 1000);
        })"""
    )


def photograph(page: Page, name: str) -> list[Path]:
    """The screen as a person first sees it (``name.png``) and, when the page is taller than
    the screen, the whole page (``name-full.png``)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # a fresh clone has no such folder yet
    top = SCREENSHOTS / f"{name}.png"
    whole = SCREENSHOTS / f"{name}-full.png"
    width, height, tall = page.evaluate(
        """() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,
                  document.documentElement.scrollHeight - innerHeight]"""
    )
    session = page.context.new_cdp_session(page)
    try:
        _capture(session, top)
        if tall <= 1:
            whole.unlink(missing_ok=True)  # the same picture; none left from an earlier run
            return [top]
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        _capture(session, whole, captureBeyondViewport=True, clip=clip)
    finally:
        session.detach()
    return [top, whole]


def _capture(session: CDPSession, path: Path, **area: object) -> None:
    """A PNG as Chromium's DevTools protocol makes it with ``optimizeForSpeed``: less
    compressed, in about half the time of ``page.screenshot`` for a whole page (the suite
    takes some 400, and the browser shares the processors with everything else)."""
    fast_png = {"format": "png", "optimizeForSpeed": True}
    shot = session.send("Page.captureScreenshot", {**fast_png, **area})
    path.write_bytes(base64.b64decode(shot["data"]))


def screenshots(page: Page, name: str) -> list[Path]:
    """Photograph the page as it is now at a phone, a laptop and a projector size (the top of
    the page, as a person first sees it, and the whole page) for a person to look at; the
    page's own size is restored afterwards. Also checks that nothing is wider than the
    screen, the usual sign of something cut off."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    scrolled = page.evaluate("() => [window.scrollX, window.scrollY]")
    page.evaluate("() => window.scrollTo(0, 0)")  # as a person arriving sees it
    taken = []
    try:
        for size, (width, height) in SCREEN_SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            settle(page)
            wide = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert wide <= 1, f"{name} at {size} ({width}px) scrolls sideways by {wide}px"
            taken.extend(photograph(page, f"{name}-{size}"))
    finally:
        if original:
            page.set_viewport_size(original)
        page.evaluate("([x, y]) => window.scrollTo(x, y)", scrolled)
    return taken


def pdf_pages_as_images(pdf: str | Path, name: str) -> list[Path]:
    """Render every page of a PDF to a PNG (poppler's pdftoppm), as a reader would see them."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = SCREENSHOTS / name
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(prefix)], check=True)
    return sorted(SCREENSHOTS.glob(f"{name}-*.png"))


def start_new_round(page: Page, kind: str, prompt: str, minutes: int) -> None:
    """On the open console: add a round of ``kind`` to the agenda and start it."""
    page.get_by_text("Add a round", exact=True).click()
    page.get_by_label("Type", exact=True).select_option(kind)
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_label("Minutes (0 for no timer)").fill(str(minutes))
    page.get_by_role("button", name="Add the round").click()
    page.locator("#agenda").get_by_role("button", name="Start").click()
    expect(page.locator("#round-prompt")).to_have_text(prompt, timeout=TIMEOUT)
