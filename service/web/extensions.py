"""What the blueprints share with the app factory: CSRF protection, the CSP nonce, security headers.

``app.py`` wires these into the app; blueprints import them from here, so no blueprint
imports the factory that registers it.
"""

from __future__ import annotations

import secrets

from flask import g, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

__all__ = ["CSP", "MAX_ID", "BoundedIntConverter", "csp_nonce", "csrf", "security_headers"]

csrf = CSRFProtect()

# Nothing a page loads may come from, or be sent to, another machine. Scripts and
# <style> elements run only from /static or with this response's nonce; style
# attributes (the report's inline SVG charts) stay allowed.
CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
    "style-src 'self' 'nonce-{nonce}'; style-src-attr 'unsafe-inline'; "
    "script-src 'self' 'nonce-{nonce}'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# SQLite integers are signed 64-bit: a larger id in a URL can name nothing.
MAX_ID = 2**63 - 1


def csp_nonce() -> str:
    """This response's CSP nonce (templates: ``<script nonce="{{ csp_nonce() }}">``)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that matches only ids SQLite can hold (0 .. 2**63-1): larger ones are 404."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def security_headers(response):
    """CSP with this response's nonce, no sniffing, no referrer, no framing; personal pages never cached."""
    response.headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if not request.path.startswith("/static/"):
        # pages, reports, audio and the API are personal: never kept by a browser or proxy cache
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response
