"""Exports of a document version: one context (:mod:`exports.context`), several formats,
each rendered by a module of its own (``to_pdf``, ``to_docx``, ``to_html``, ``to_json``,
``to_csv``)."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from .. import permissions
from ..errors import Forbidden, ValidationFailed
from ..guards import workshop_for_staff
from ..models import User
from ..services.versions import get_version
from .context import export_context
from .to_csv import render_csv
from .to_docx import render_docx
from .to_html import render_html, render_markdown_file
from .to_json import render_json
from .to_pdf import render_pdf

FORMATS = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "json": "application/json",
    "csv": "application/zip",  # the record's tables, one CSV file each
}

RENDERERS: dict[str, Callable[[dict[str, Any]], str | bytes]] = {
    "md": render_markdown_file,
    "html": render_html,
    "pdf": render_pdf,
    "docx": render_docx,
    "json": render_json,
    "csv": render_csv,
}


@dataclasses.dataclass(frozen=True)
class Export:
    """A file ready to download: text formats as ``str``, PDF and DOCX as ``bytes``."""

    filename: str
    mimetype: str
    content: str | bytes


def slugify(text: str) -> str:
    """A filename-safe, readable form of a title."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "mission"


def export_version(actor: User, workshop_id: int, number: int | None, fmt: str) -> Export:
    """Render a version (``None``: the latest), with the workshop's record, in one of
    :data:`FORMATS`."""
    if fmt not in FORMATS:
        raise ValidationFailed(_("Unknown export format “%(fmt)s”.", fmt=fmt), field="format")
    workshop = workshop_for_staff(actor, workshop_id, moderate=False)
    if not permissions.can_export(actor, workshop):
        raise Forbidden(_("Leadership and facilitators of this workshop download the mission."))
    version = get_version(actor, workshop_id, number)
    context = export_context(actor, workshop, version)
    extension = "csv.zip" if fmt == "csv" else fmt
    filename = f"{slugify(context['organisation'])}-mission-v{version.number}.{extension}"
    return Export(filename, FORMATS[fmt], RENDERERS[fmt](context))
