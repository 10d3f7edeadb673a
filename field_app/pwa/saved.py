"""Tell the browser which draft the server has just saved, so it can delete it.

The browser keeps what the user types in IndexedDB (static/js/offline.js)
until the server confirms the save. A plain POST form confirms it on the page
it redirects to: the view calls `mark_saved` after the commit, and the next
page lists the saved drafts for offline.js (`saved_drafts`, read once). A
POST that never reached the server leaves no mark, so the draft stays.
"""

from __future__ import annotations

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface

from ..config import app_version

SESSION_KEY = "langnghe_saved"
# The service worker's own fetch of a page to keep (templates/pwa/sw.js): it must
# not take the marks meant for the page the user is about to see.
KEEP_HEADER = "X-Langnghe-Keep"
# Set on a page that carried marks (so was not stored): the worker fetches it again.
MARKS_HEADER = "X-Langnghe-Saved-Marks"
MAX_MARKS = 20  # A cookie session stays small even if no page ever reads them.


def draft_key(form_key: str, path: str) -> str:
    """Return the key offline.js files a form's draft under (form key + page path)."""
    return f"{form_key}|{path}"


def mark_saved(form_key: str, path: str, client_id: str | None = None) -> None:
    """Record that the form `form_key` on the page `path` was saved."""
    marks = list(session.get(SESSION_KEY, []))
    marks.append(draft_key(form_key, path))
    if client_id:
        marks.append(f"id:{client_id}")
    session[SESSION_KEY] = marks[-MAX_MARKS:]


def saved_drafts() -> list[str]:
    """Return, once, the drafts saved since the last page was shown."""
    if SESSION_KEY not in session or request.headers.get(KEEP_HEADER):
        return []
    g.langnghe_saved_marks = True
    return list(session.pop(SESSION_KEY))


class SessionInterface(SecureCookieSessionInterface):
    """The cookie session, never written by the service worker's own fetches.

    They run beside the user's requests: a cookie they set could drop the marks
    of a save made meanwhile, or replace the CSRF secret of the form on screen.
    """

    def save_session(self, app, session, response):
        if request.headers.get(KEEP_HEADER):
            return
        super().save_session(app, session, response)


def register_saved_drafts(app: Flask) -> None:
    """Give templates `saved_drafts()` and `app_version`; keep the worker off the cookie."""
    version = app_version()
    app.session_interface = SessionInterface()

    @app.context_processor
    def offline_globals():
        return {"saved_drafts": saved_drafts, "app_version": version}

    @app.after_request
    def never_keep_saved_marks(response):
        # A page kept by the service worker and shown again later must not
        # delete drafts typed since: a page carrying marks is never stored.
        if g.get("langnghe_saved_marks"):
            response.headers["Cache-Control"] = "no-store"
            response.headers[MARKS_HEADER] = "1"
        return response
