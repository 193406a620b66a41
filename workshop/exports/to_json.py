"""JSON: the workshop's full record (see :mod:`workshop.record`)."""

from __future__ import annotations

import json
from typing import Any


def render_json(context: dict[str, Any]) -> str:
    return json.dumps(context["record"], ensure_ascii=False, indent=2) + "\n"
