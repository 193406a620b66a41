"""What does opening a live page cost, and how much of it is the room's state in the page?

The participant's room and the staff console carry the snapshot their socket will send, so
they are drawn before the socket connects. This builds a room in the app itself (a SQLite
file in a temporary folder): N people joined, a propose round with P proposals, then a dot
vote running in which everyone has voted. It then opens every participant's room page and
the console R times through Flask's test client, and times each request and, separately,
building the snapshot the page carries; then each static file the room needs (what the page
names and the modules its scripts import), ten times.

    .venv/bin/python bench/live_pages.py --people 40 --proposals 40
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from workshop import create_app, snapshots
from workshop.extensions import db
from workshop.migrate import upgrade_database
from workshop.models import Participant, Phase, RoundKind, User, UserRole
from workshop.services import accounts, agenda, proposals, rounds, votes, workshops
from workshop.static_files import MODULE_IMPORT

PASSWORD = "bench-password-123"
STATIC_IN_PAGE = re.compile(r'(?:src|href)="(/static/[^"?#]+)')


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:6.1f} ms / {p95 * 1000:6.1f} ms"


def build_room(app, people: int) -> tuple[int, str]:
    """The workshop, before anyone joins: its id and join code."""
    with app.app_context():
        fran = accounts.create_user(
            email="fran@example.org",
            display_name="Fran",
            password=PASSWORD,
            role=UserRole.FACILITATOR,
        )
        workshop = workshops.create_workshop(
            fran,
            workshops.WorkshopSettings(
                title="Our mission",
                organisation="Harbour Health",
                brief_md="Why we are here",
                values=["Care", "Integrity"],
                departments=[],
                dots_per_participant=3,
                max_participants=max(people, 500),
            ),
        )
        return workshop.id, workshop.join_code


def fill_room(app, workshop_id: int, proposal_count: int) -> None:
    """Proposals from the people who joined, then a dot vote in which all of them voted."""
    with app.app_context():
        fran = db.session.query(User).filter_by(email="fran@example.org").one()
        people = db.session.query(Participant).filter_by(workshop_id=workshop_id).all()
        rounds.set_phase(fran, workshop_id, Phase.PROPOSE)
        made = [
            proposals.submit_proposal(
                people[i % len(people)], workshop_id, f"We care for every patient, idea {i}"
            ).id
            for i in range(proposal_count)
        ]
        vote = agenda.add_round(fran, workshop_id, agenda.RoundSettings(RoundKind.VOTE))
        rounds.start_round(fran, vote.id)
        for i, person in enumerate(people):
            votes.set_dots(person, made[i % len(made)], 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=40)
    parser.add_argument("--proposals", type=int, default=40)
    parser.add_argument("--console-loads", type=int, default=40)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="live-pages-"))
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": str(folder / "instance"),
            "SQLALCHEMY_ENGINES": {"default": f"sqlite:///{folder / 'bench.sqlite3'}"},
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "LIVE_COALESCE_SECONDS": 0,
        }
    )
    upgrade_database(app)
    workshop_id, code = build_room(app, args.people)
    clients = []
    for i in range(args.people):
        client = app.test_client()
        answer = client.post(f"/j/{code}", data={"display_name": f"P{i}", "level": "Frontline"})
        assert answer.status_code == 302, answer.status_code
        clients.append(client)
    fill_room(app, workshop_id, args.proposals)
    staff = app.test_client()
    answer = staff.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code

    def timed_pages(client, path: str, times: int) -> list[float]:
        spent = []
        for _ in range(times):
            started = time.perf_counter()
            response = client.get(path)
            spent.append(time.perf_counter() - started)
            assert response.status_code == 200 and b'id="first-snapshot"' in response.data
        return spent

    def static_files(client, page: str) -> list[str]:
        """Every file a browser loads for the page: what it names, and the modules imported."""
        wanted, seen = STATIC_IN_PAGE.findall(page), []
        while wanted:
            path = wanted.pop()
            if path in seen:
                continue
            seen.append(path)
            with client.get(path) as response:
                assert response.status_code == 200, path
                if path.endswith(".js"):
                    folder = path.rsplit("/", 1)[0]
                    text = response.get_data(as_text=True)
                    wanted += [f"{folder}/{name}" for name in MODULE_IMPORT.findall(text)]
        return seen

    def timed_files(client, paths: list[str], times: int) -> list[float]:
        spent = []
        for _ in range(times):
            for path in paths:
                started = time.perf_counter()
                with client.get(path) as response:
                    response.get_data()
                spent.append(time.perf_counter() - started)
        return spent

    files = static_files(clients[0], clients[0].get(f"/w/{workshop_id}").get_data(as_text=True))
    static_times = timed_files(clients[0], files, 10)
    room_pages = [t for c in clients for t in timed_pages(c, f"/w/{workshop_id}", 3)[1:]]
    console_pages = timed_pages(staff, f"/workshops/{workshop_id}", args.console_loads)[1:]
    with app.app_context():
        people = db.session.query(Participant).filter_by(workshop_id=workshop_id).all()
        fran = db.session.query(User).filter_by(email="fran@example.org").one()
        room_snapshots, console_snapshots = [], []
        for _ in range(2):
            for person in people:
                started = time.perf_counter()
                snapshots.build_snapshot(workshop_id, person)
                room_snapshots.append(time.perf_counter() - started)
        for _ in range(args.console_loads):
            started = time.perf_counter()
            snapshots.build_snapshot(workshop_id, fran)
            console_snapshots.append(time.perf_counter() - started)
    print(f"{args.people} people, {args.proposals} proposals, a dot vote everyone voted in")
    print("                                      median / p95")
    print(f"participant's room page             {percentiles(room_pages)}")
    print(f"  of which its snapshot (built alone) {percentiles(room_snapshots)}")
    print(f"staff console page                  {percentiles(console_pages)}")
    print(f"  of which its snapshot (built alone) {percentiles(console_snapshots)}")
    print(f"each of the room's {len(files)} static files   {percentiles(static_times)}")


if __name__ == "__main__":
    main()
