"""Serving over HTTPS: cookies that never travel over plain HTTP, and a proxy's word believed
only when the deployment says a proxy stands in front.

Cookies are Secure when the configuration says the site is HTTPS (``SESSION_COOKIE_SECURE``,
or a ``PUBLIC_URL`` that starts with ``https:``) and also whenever the request itself came over
HTTPS: served with TLS directly, or through a trusted proxy that says so in
``X-Forwarded-Proto``. Plain HTTP on a laptop keeps working (browsers drop Secure cookies
there), which is why it follows the request rather than being always on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


class SecureCookiesOverHttps:
    """WSGI middleware: on a request that came over HTTPS, every ``Set-Cookie`` of the answer
    is marked Secure, whoever set it (Flask's session on any response, Flask-Login's
    remember-me, the language choice)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("wsgi.url_scheme") != "https":
            return self.app(environ, start_response)

        def secure_start_response(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            headers = [
                (name, _secure(value) if name.lower() == "set-cookie" else value)
                for name, value in headers
            ]
            return start_response(status, headers, *exc)

        return self.app(environ, secure_start_response)


def _secure(cookie: str) -> str:
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    return cookie if "secure" in attributes else cookie + "; Secure"


def serve_over_https(app: Flask) -> None:
    """Secure cookies over HTTPS, and, with ``TRUSTED_PROXIES`` set to how many proxies stand
    in front of the app, their ``X-Forwarded-For``, ``-Proto``, ``-Host`` and ``-Port``
    believed (the client's address then drives the per-address throttles). Call it after
    every other WSGI middleware is in place, so sockets see the same request as pages."""
    app.wsgi_app = SecureCookiesOverHttps(app.wsgi_app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
