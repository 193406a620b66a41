"""PDF: the printable page typeset by WeasyPrint (A4, ragged right, numbered pages)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ..errors import InvalidState
from .to_html import render_html


def render_pdf(context: dict[str, Any]) -> bytes:
    """The printable HTML, typeset by WeasyPrint (A4, ragged right, numbered pages)."""
    try:
        import weasyprint
    except OSError:
        raise InvalidState(
            _(
                "PDF export needs the Pango library on the server "
                "(apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
            ),
            code="pdf_unavailable",
        ) from None
    except ImportError:
        raise InvalidState(
            _("PDF export needs the weasyprint package on the server (pip install weasyprint)"),
            code="pdf_unavailable",
        ) from None
    return weasyprint.HTML(string=render_html(context), url_fetcher=_refuse_fetch).write_pdf()


def _refuse_fetch(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    """Exports are self-contained (inline SVG, inline CSS): never fetch anything from anywhere."""
    raise ValueError(f"export rendering does not fetch {url}")
