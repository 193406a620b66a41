"""Mission Workshop: live workshops where staff write their organisation's mission.

This module stays free of imports on purpose: ``workshop serve`` must let
gevent patch the standard library before Flask, SQLAlchemy or ssl load.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application (see :mod:`workshop.app`)."""
    from .app import create_app as build

    return build(test_config)


def main() -> None:
    """The ``workshop`` console command.

    ``serve`` runs under gevent, which must patch the standard library before
    anything else imports it, so that happens here, before the app loads.
    """
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        from gevent import monkey

        monkey.patch_all()
        os.environ["SOCKETIO_ASYNC_MODE"] = "gevent"
    from .cli import run

    run(create_app)
