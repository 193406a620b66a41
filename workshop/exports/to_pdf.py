"""PDF: the printable page typeset by WeasyPrint (A4, ragged right, numbered pages)."""

from __future__ import annotations

import functools
from typing import Any

from flask_babel import gettext as _

from ..errors import InvalidState
from .to_html import render_html


def render_pdf(context: dict[str, Any]) -> bytes:
    """The printable HTML, typeset by WeasyPrint (A4, ragged right, numbered pages)."""
    _weasyprint()  # refused plainly when it cannot be typeset here, even if it once was
    return _typeset(render_html(context))


@functools.lru_cache(maxsize=16)
def _typeset(html: str) -> bytes:
    """The PDF of one printable page, kept for the next download of the same page: typesetting
    takes a quarter of a second or more, and the same version is downloaded again (by each
    member of leadership, in the sign-off pack) while nothing in it has changed. The page
    holds everything the PDF shows, so the same page makes the same PDF. With HTML's
    presentational hints, as a browser shows them: a list's ``start`` numbers "2. We
    respect…" 2, not 1 (the page has no other attribute they read)."""
    html_document = _weasyprint().HTML(string=html, url_fetcher=_refuse_fetch)
    return html_document.write_pdf(presentational_hints=True)


def _weasyprint() -> Any:
    """WeasyPrint, or a clear refusal when it or the system library it needs is missing."""
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
    return weasyprint


def _refuse_fetch(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    """Exports are self-contained (inline SVG, inline CSS): never fetch anything from anywhere."""
    raise ValueError(f"export rendering does not fetch {url}")
