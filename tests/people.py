"""People in a live workshop for socket tests: one HTTP client (cookies) and one socket
each, and ways to read what they received."""

from __future__ import annotations

from workshop.extensions import socketio


class Person:
    """One browser: an HTTP client (cookies) and its socket."""

    def __init__(self, app, workshop_id: int):
        self.app = app
        self.http = app.test_client()
        self.workshop_id = workshop_id
        self.socket = None

    def connect(self, workshop_id: int | None = None, **auth: object):
        self.socket = socketio.test_client(
            self.app,
            flask_test_client=self.http,
            auth={"workshop_id": workshop_id or self.workshop_id, **auth},
        )
        return self.socket

    def events(self, name: str | None = None) -> list[dict]:
        received = self.socket.get_received()
        return [e["args"][0] for e in received if name is None or e["name"] == name]

    def send(self, name: str, payload: dict) -> dict:
        return self.socket.emit(name, payload, callback=True)


def tallies_in(value: object):
    """Every vote count anywhere in a payload: a result item carries a number of dots,
    a person's own ballot a map of proposal ids to dots."""
    if isinstance(value, dict):
        if isinstance(value.get("dots"), int) or "results" in value and value["results"]:
            yield value
        for item in value.values():
            yield from tallies_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from tallies_in(item)


def strings_in(value: object):
    """Every string in a payload, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)
