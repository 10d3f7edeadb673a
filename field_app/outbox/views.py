"""The Đồng bộ page: enrol, sync now with progress, see what waits or was refused."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from sync.errors import SyncError

from ..extensions import db
from . import logic, runner

bp = Blueprint("outbox", __name__, url_prefix="/sync")


def sync_badge() -> dict[str, Any]:
    """Give every page the count of unacknowledged records and the last good sync."""
    if request.blueprint in ("api", "static"):
        return {}
    row = db.session.get(logic.SyncState, 1)
    return {"sync_pending": logic.pending_count(),
            "sync_last": row.last_sync_at if row else None,
            "sync_enrolled": bool(row and row.device_id)}


def _page(typed: dict[str, str] | None = None, status: int = 200):
    row = logic.state()
    return render_template("outbox/index.html", state=row, pending=logic.pending_count(),
                           rejected=logic.rejected_records(), progress=runner.PROGRESS,
                           typed=typed or {}), status


@bp.get("/")
def index():
    return _page()


@bp.post("/enroll")
def enroll():
    """Enrol with the office's code; on a problem, show it with what was typed kept."""
    typed = {name: request.form.get(name, "").strip() for name in ("server_url", "code",
                                                                    "label")}
    if not typed["server_url"] or not typed["code"]:
        flash(_("Hãy nhập địa chỉ máy chủ xã (ví dụ http://192.168.1.10:8090) và mã đăng ký "
                "văn phòng xã cấp."), "error")
        return _page(typed, 422)
    try:
        logic.enroll(typed["server_url"], typed["code"], typed["label"])
    except SyncError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _page(typed, 422)
    flash(_("Đã đăng ký máy với máy chủ xã. Bấm Đồng bộ để gửi dữ liệu."), "success")
    return redirect(url_for(".index"))


@bp.post("/run")
def run():
    """Start a sync in the background; the page polls /sync/status for progress."""
    progress = runner.start(current_app._get_current_object())
    if request.accept_mimetypes.best == "application/json":
        return jsonify(progress), 202
    flash(_("Đang đồng bộ…"), "success")
    return redirect(url_for(".index"))


@bp.get("/status")
def status():
    row = logic.state()
    return jsonify({**runner.PROGRESS, "pending": logic.pending_count(),
                    "last_sync_at": row.last_sync_at.isoformat() if row.last_sync_at else None,
                    "last_error": row.last_error})


@bp.post("/retry")
def retry():
    """Send the refused records again at the next sync (after they were corrected)."""
    db.session.execute(db.update(logic.Outbox).where(logic.Outbox.state == "rejected")
                       .values(state="pending"))
    db.session.commit()
    return redirect(url_for(".index"))
