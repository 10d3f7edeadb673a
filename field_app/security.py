"""Browser-facing protections for both roles: allowed hosts, API origins, headers.

The field app's API is CSRF-exempt (JSON and multipart from the PWA's own
scripts) and answers on the laptop itself, so another web page the village
head opens must not be able to reach it: not by DNS rebinding (a foreign
name pointing at 127.0.0.1, caught by the Host check) and not by a
cross-site form or fetch (caught by the Origin check). The headers keep
every page of both roles from being framed, sniffed or fed foreign scripts.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_babel import gettext as _
from werkzeug.sansio.utils import host_is_trusted

from .errors import CrossOriginRefused, HostNotAllowed

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Every asset is local (static/, the service worker at /sw.js). No inline script
# or style attribute is left in templates/, so neither needs 'unsafe-inline'.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def host_allowed(host: str, lan: bool) -> bool:
    """Tell whether `host` (the Host header, port included) is a name this laptop serves.

    Always localhost and the loopback addresses. With --lan also any IP
    address: phones type the laptop's address, which may change when the
    hotspot comes up after the start, so a list taken at start would lock
    them out; and an IP literal is never a rebinding name, since no foreign
    domain is involved.
    """
    if not host_is_trusted(host):  # empty, or characters no host name has
        return False
    name = host.partition("]")[0][1:] if host.startswith("[") else host.partition(":")[0]
    if name.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or lan


def same_origin(origin: str, host: str, scheme: str) -> bool:
    """Tell whether the Origin header names this very site (scheme, host and port)."""
    parts = urlsplit(origin)
    if parts.scheme != scheme or not parts.hostname:
        return False
    default = {"http": 80, "https": 443}.get(scheme)
    try:
        theirs = (parts.hostname.lower(), parts.port or default)
        ours = urlsplit(f"{scheme}://{host}")
        return theirs == (ours.hostname.lower() if ours.hostname else None,
                          ours.port or default)
    except ValueError:  # a port out of range
        return False


def check_request() -> None:
    """Refuse a foreign Host (field role) and a cross-site API write (both roles)."""
    host = request.headers.get("Host", "")
    if current_app.config["ROLE"] == "field" and not host_allowed(
            host, bool(current_app.config.get("LAN"))):
        raise HostNotAllowed(
            _("Địa chỉ %(host)s không phải của Lắng Nghe trên máy này. Hãy mở "
              "http://127.0.0.1:%(port)s/.", host=host[:100] or "?",
              port=request.environ.get("SERVER_PORT", "8080")),
            {"host": host[:100]})
    origin = request.headers.get("Origin")
    if (origin is not None and request.method in WRITE_METHODS
            and request.path.startswith("/api/")
            and not same_origin(origin, host, request.scheme)):
        raise CrossOriginRefused(
            _("Trang web khác không được ghi vào Lắng Nghe; chỉ chính ứng dụng này được ghi."),
            {"origin": origin[:100]})


def add_security_headers(response):
    """Give every response (pages, API, static files) the protective headers."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def install_security(app: Flask) -> None:
    """Check hosts and origins first of all, and add the headers to every response."""
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
    app.after_request(add_security_headers)
