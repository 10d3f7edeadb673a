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


@bp.get("/")
def index():
    row = logic.state()
    return render_template("outbox/index.html", state=row, pending=logic.pending_count(),
                           rejected=logic.rejected_records(), progress=runner.PROGRESS)


@bp.post("/enroll")
def enroll():
    url, code = request.form.get("server_url", ""), request.form.get("code", "")
    if not url.strip().startswith(("http://", "https://")) or not code.strip():
        flash(_("Hãy nhập địa chỉ máy chủ xã (bắt đầu bằng http:// hoặc https://) và mã "
                "đăng ký."), "error")
        return redirect(url_for(".index"))
    try:
        logic.enroll(url, code, request.form.get("label"))
    except SyncError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
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
