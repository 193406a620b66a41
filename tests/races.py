"""Two requests at once, replayed step by step: the first is held at one point (between its
check and its write) while the second comes, then let go, so a test sees what a real race
would do every time instead of once in a while."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

_FIRST = "first request"


class Race:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._held, self._go_on = threading.Event(), threading.Event()

    def hold_here(self) -> None:
        """Where the first request waits (on its own thread only) until the second has come."""
        if threading.current_thread().name == _FIRST:
            self._held.set()
            self._go_on.wait(10)

    def holding(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function``, holding the first request when it is called."""

        def held(*args: Any, **kwargs: Any) -> Any:
            self.hold_here()
            return function(*args, **kwargs)

        return held

    def run(self, first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
        """Start ``first``; once it is held, start ``second`` and give it half a second (an
        unguarded one has done its work by then); let the first go on. Returns what each
        returned or raised, each called in an application context of its own."""
        outcomes: dict[str, Any] = {}

        def attempt(name: str, call: Callable[[], Any]) -> None:
            with self.app.app_context():
                try:
                    outcomes[name] = call()
                except Exception as error:  # what it raised is its outcome
                    outcomes[name] = error

        threads = [
            threading.Thread(target=attempt, args=(_FIRST, first), name=_FIRST),
            threading.Thread(target=attempt, args=("second", second), name="second request"),
        ]
        threads[0].start()
        assert self._held.wait(10), "the first request never reached the point it is held at"
        threads[1].start()
        threads[1].join(0.5)
        self._go_on.set()
        for thread in threads:
            thread.join(10)
        return outcomes[_FIRST], outcomes["second"]
