"""The one clock the services read, so tests can move time instead of sleeping."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """Current time in UTC (tests replace this function to move time forward)."""
    return dt.datetime.now(dt.UTC)
