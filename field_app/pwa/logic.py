"""What the service worker keeps ahead of time, so that a meeting never needs the server."""

from __future__ import annotations

from flask import url_for

from ..answers.logic import answers_pages
from ..forums.logic import list_forums

# Enough for every meeting a village head prepares; older drafts are kept once opened.
MAX_DRAFT_FORUMS = 20


def meeting_pages() -> list[str]:
    """Return the pages a meeting needs, to be kept before the link or the server goes.

    The lists, the forms that create a forum or an opinion, and the page of
    every draft forum (newest first): its quick-entry box is where opinions
    are typed.
    """
    pages = [url_for("forums.index"), url_for("forums.new"), url_for("opinions.index"),
             url_for("opinions.new")]
    drafts = list_forums(status="draft")[:MAX_DRAFT_FORUMS]
    pages += [url_for("forums.show", forum_id=forum.id) for forum in drafts]
    pages += answers_pages(drafts)
    return pages
