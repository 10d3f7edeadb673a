"""Sync in the background when the central answers, backing off when it does not."""

from __future__ import annotations

import logging
import random
import threading

from flask import Flask

from sync.errors import SyncError

from ..extensions import db
from . import logic, runner

log = logging.getLogger(__name__)


def _loop(app: Flask, stop: threading.Event) -> None:
    base = app.config["AUTO_SYNC_INTERVAL"]
    delay = 5.0
    while not stop.wait(delay):
        with app.app_context():
            enrolled = bool(logic.state().device_id)
            db.session.remove()
        if not enrolled:
            delay = base
            continue
        try:
            runner.run_tracked(app)
            delay = base
        except SyncError as exc:
            # No link in the mountains is normal: wait longer each time, up to 30 min.
            delay = min(30 * 60, max(base, delay * 2)) * random.uniform(0.8, 1.2)
            log.info("background sync failed (%s); next try in %.0f s", exc.code, delay)


def start_auto_sync(app: Flask) -> threading.Event:
    """Start the background sync thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=_loop, args=(app, stop), daemon=True,
                     name="langnghe-auto-sync").start()
    return stop
