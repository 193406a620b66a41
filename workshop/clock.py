"""The one clock the services read, so tests can move time instead of sleeping."""

from __future__ import annotations

import datetime as dt

_offset = dt.timedelta(0)


def now() -> dt.datetime:
    """Current time in UTC, plus whatever a test has advanced it by."""
    return dt.datetime.now(dt.UTC) + _offset


def advance(seconds: float) -> None:
    """Move the clock forward (tests only)."""
    global _offset
    _offset += dt.timedelta(seconds=seconds)


def reset() -> None:
    """Back to real time (tests only)."""
    global _offset
    _offset = dt.timedelta(0)
