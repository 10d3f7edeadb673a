"""Language choice, a health check, and the installable PWA (manifest, service worker)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from ..config import app_version
from .logic import meeting_pages
from .saved import KEEP_HEADER, MARKS_HEADER

bp = Blueprint("pwa", __name__)

CACHE_PREFIX = "langnghe-shell-"
# Templates whose change must refresh the precached offline page and worker.
VERSIONED_TEMPLATES = ("base.html", "pwa/offline.html", "pwa/sw.js")
THEME_COLOR = "#b3261e"  # --red in static/css/app.css
BACKGROUND_COLOR = "#faf8f6"  # --bg in static/css/app.css


@bp.get("/language/<code>")
def language(code: str):
    """Switch the interface language (Vietnamese or English) and go back."""
    target = request.referrer or url_for("forums.index")
    if not target.startswith(request.host_url):
        target = url_for("forums.index")  # Never redirect off this laptop.
    response = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=5 * 365 * 86400, samesite="Lax")
    return response


@bp.get("/healthz")
def health():
    """Answer that the server is up (the PWA polls this)."""
    return jsonify(status="ok", role=current_app.config["ROLE"])


def static_files() -> list[str]:
    """Return every file under static/ as a path relative to it, sorted."""
    root = Path(current_app.static_folder)
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if (path.is_file() and path.name != "__init__.py"
                and not any(part.startswith((".", "__")) for part in relative.parts)):
            found.append(relative.as_posix())
    return sorted(found)


def asset_version(files: list[str]) -> str:
    """Return the shell version: app version, a hash of the shell's files, and the
    optional $LANGNGHE_ASSET_VERSION (set it to force every browser to refresh).

    Any change to a static file or to the worker/offline templates changes it, so
    a new release gets a new cache and the worker's `activate` drops the old one.
    """
    digest = hashlib.sha256()
    static_root = Path(current_app.static_folder)
    template_root = Path(current_app.template_folder)
    for name, path in ([("static/" + f, static_root / f) for f in files]
                       + [("templates/" + t, template_root / t) for t in VERSIONED_TEMPLATES]):
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    version = f"{app_version()}-{digest.hexdigest()[:12]}"
    extra = os.environ.get("LANGNGHE_ASSET_VERSION", "").strip()
    return f"{version}-{extra}" if extra else version


@bp.get("/manifest.webmanifest")
def manifest():
    """Serve the web app manifest: Lắng Nghe installs as a standalone app."""
    icon = lambda name: url_for("static", filename=f"icons/{name}")  # noqa: E731
    body = {
        "id": "/",
        "name": "Lắng Nghe – Ghi ý kiến Nhân dân",
        "short_name": "Lắng Nghe",
        "description": "Ghi ý kiến, kiến nghị của Nhân dân tại hội nghị, không cần Internet.",
        "lang": "vi",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {"src": icon("icon-192.png"), "sizes": "192x192", "type": "image/png",
             "purpose": "any"},
            {"src": icon("icon-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "any"},
            {"src": icon("icon-maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
            {"src": icon("icon.svg"), "sizes": "any", "type": "image/svg+xml",
             "purpose": "any"},
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False, indent=2),
                        mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


def shell() -> tuple[list[str], str]:
    """Return the shell's files and version, computed once per process.

    Browsers fetch /sw.js on every navigation to check for an update;
    the files only change with a new release, which restarts the server.
    """
    cached = current_app.extensions.get("langnghe_shell")
    if cached is None:
        files = static_files()
        cached = current_app.extensions["langnghe_shell"] = (files, asset_version(files))
    return cached


@bp.get("/sw.js")
def service_worker():
    """Serve the service worker from the root, so that it controls every page."""
    files, version = shell()
    precache = ([url_for("static", filename=f) for f in files]
                + [url_for("pwa.manifest"), url_for("pwa.offline")])
    script = render_template("pwa/sw.js", cache_prefix=CACHE_PREFIX,
                             cache_name=CACHE_PREFIX + version, version=version,
                             precache=precache, offline_url=url_for("pwa.offline"),
                             static_prefix=url_for("static", filename=""),
                             pages_url=url_for("pwa.offline_pages"),
                             keep_header=KEEP_HEADER, marks_header=MARKS_HEADER)
    response = Response(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
def offline():
    """The page the service worker shows for a page never visited while offline."""
    return render_template("pwa/offline.html")


@bp.get("/offline-pages.json")
def offline_pages():
    """List the pages the service worker keeps ahead of time for a meeting."""
    response = jsonify(pages=meeting_pages())
    response.headers["Cache-Control"] = "no-store"
    return response
