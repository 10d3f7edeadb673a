"""The field side of sync: outbox capture, the Đồng bộ page, background sync."""

from __future__ import annotations

from flask import Flask


def install(app: Flask) -> None:
    """Wire sync into a field app: capture changes, mount the page, show the badge."""
    from .capture import install as install_capture
    from .views import bp, sync_badge

    install_capture()
    app.register_blueprint(bp)
    app.context_processor(sync_badge)
