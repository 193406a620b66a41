"""How long does a phone on a slow link wait between "Join" and the room?

Starts the real server (``workshop serve``, a SQLite file), makes a workshop, then has
headless Chromium (Debian's, as the browser tests use it) join it N times, each time as a new
phone (390×844, nothing cached) on an emulated link: by default 150 ms each way and 1.6 Mbit/s
down, Chrome's "Fast 3G". It reports, from the click on Join, when the room is drawn (the
page's own snapshot) and when its socket is live, and how many bytes and requests the visit
took. With ``--compare SOURCE`` a second server runs that copy of the code (e.g. a
`git archive` of an earlier commit) and the two are visited in turn, so the machine's own
speed changes touch both alike.

    .venv/bin/python bench/first_visit.py --visits 8
    .venv/bin/python bench/first_visit.py --visits 8 --compare /tmp/before
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import Browser, sync_playwright  # noqa: E402
from vote_storm import Servers, Setup, staff_setup  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def visit(browser: Browser, base: str, code: str, name: str, link: dict[str, Any]) -> dict:
    """One new phone joins: seconds from the click on Join until the room is drawn and until
    it is live, and what it downloaded."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{base}/j/{code}")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your level").select_option("Frontline")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", {"offline": False, **link})
    downloaded = {"bytes": 0, "requests": 0}

    def finished(event: dict) -> None:
        downloaded["bytes"] += event["encodedDataLength"]
        downloaded["requests"] += 1

    cdp.on("Network.loadingFinished", finished)
    start = time.perf_counter()
    page.get_by_role("button", name="Join", exact=True).click()
    page.wait_for_selector('#live[aria-busy="false"]', timeout=120_000)
    drawn = time.perf_counter() - start
    page.wait_for_selector('#live[data-connected="yes"]', timeout=120_000)
    live = time.perf_counter() - start
    context.close()
    return {"drawn": drawn, "live": live, **downloaded}


def summary(label: str, visits: list[dict]) -> str:
    def median(key: str) -> float:
        return statistics.median(v[key] for v in visits)

    return (
        f"| {label} | {median('drawn') * 1000:.0f} ms | {median('live') * 1000:.0f} ms | "
        f"{median('bytes') / 1024:.0f} KiB | {median('requests'):.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=8)
    parser.add_argument("--latency", type=float, default=150, help="ms added to each request")
    parser.add_argument("--down", type=float, default=1.6, help="Mbit/s down")
    parser.add_argument("--up", type=float, default=0.75, help="Mbit/s up")
    parser.add_argument("--compare", type=Path, help="also serve this copy of the code")
    args = parser.parse_args()
    link = {
        "latency": args.latency,
        "downloadThroughput": args.down * 1_000_000 / 8,
        "uploadThroughput": args.up * 1_000_000 / 8,
    }
    sources: dict[str, Path | None] = {"this checkout": None}
    if args.compare:
        sources[str(args.compare)] = args.compare
    results: dict[str, list[dict]] = {label: [] for label in sources}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        servers: dict[str, tuple[Servers, str, str]] = {}
        try:
            for number, (label, source) in enumerate(sources.items()):
                workdir = Path(tmp) / str(number)
                workdir.mkdir()
                running = Servers(Setup(label), workdir, None, source)
                running.start()
                base = f"http://127.0.0.1:{running.ports[0]}"
                _fac, _workshop_id, code = staff_setup(base, args.visits + 1)
                servers[label] = (running, base, code)
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for n in range(args.visits):
                for label, (_running, base, code) in servers.items():
                    results[label].append(visit(browser, base, code, f"Phone {n}", link))
            browser.close()
        finally:
            for running, _base, _code in servers.values():
                running.stop()
    print(
        f"\n{args.visits} first visits each, {args.latency:.0f} ms per request, "
        f"{args.down} Mbit/s down, {args.up} Mbit/s up (medians)\n"
    )
    print("| server | room drawn | room live | downloaded | requests |")
    print("|---|---|---|---|---|")
    for label, visits in results.items():
        print(summary(label, visits))


if __name__ == "__main__":
    main()
