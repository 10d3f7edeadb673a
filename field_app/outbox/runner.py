"""One sync at a time per laptop, with progress the page can poll.

The Đồng bộ button and the background thread both go through this module,
so a click during an automatic sync shows that sync's progress instead of
failing.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask

from sync.errors import SyncError

from ..extensions import db
from . import logic

PROGRESS: dict[str, Any] = {"running": False}
_claim = threading.Lock()


def _claim_run() -> bool:
    with _claim:
        if PROGRESS.get("running"):
            return False
        PROGRESS.clear()
        PROGRESS.update(running=True, stage="start", done=0, total=0)
        return True


def _run_claimed(app: Flask) -> logic.Summary:
    def progress(stage: str, done: int, total: int) -> None:
        PROGRESS.update(stage=stage, done=done, total=total)

    with app.app_context():
        try:
            summary = logic.run_sync(progress)
            PROGRESS.update(result=summary.as_dict(), error=None)
            return summary
        except SyncError as exc:
            PROGRESS.update(error=exc.message, code=exc.code, result=None)
            raise
        finally:
            PROGRESS["running"] = False
            db.session.remove()


def run_tracked(app: Flask) -> logic.Summary | None:
    """Run a sync in this thread unless one runs already (then return None)."""
    return _run_claimed(app) if _claim_run() else None


def start(app: Flask) -> dict[str, Any]:
    """Start a sync in the background, or join the running one; return the progress."""
    def work() -> None:
        try:
            _run_claimed(app)
        except SyncError:
            pass  # kept in PROGRESS and in the checkpoint's last_error for the page

    if _claim_run():
        threading.Thread(target=work, daemon=True, name="langnghe-sync").start()
    return PROGRESS
