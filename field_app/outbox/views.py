"""The Đồng bộ page: enrol, sync now with progress, see what waits or was refused."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from sync.bundle import file_kind
from sync.errors import BadBundle, DeviceRevoked, SyncError

from ..extensions import db
from ..opinions.logic import count_opinions, vietnam_today
from . import logic, runner

bp = Blueprint("outbox", __name__, url_prefix="/sync")


def sync_badge() -> dict[str, Any]:
    """Give every page the count of unacknowledged records and the last good sync."""
    if request.blueprint in ("api", "static"):
        return {}
    row = db.session.get(logic.SyncState, 1)
    return {"sync_pending": logic.badge_count(row),
            "sync_last": row.last_sync_at if row else None,
            "sync_enrolled": bool(row and row.device_id),
            # The office's last answer was that it revoked this laptop: say so in the top bar.
            "sync_revoked": bool(row and row.last_error_code == DeviceRevoked.code)}


def _page(typed: dict[str, str] | None = None, status: int = 200):
    row = logic.state()
    # The top bar's count, kept until the outbox changes: not a second scan of it a page.
    return render_template("outbox/index.html", state=row, pending=logic.badge_count(row),
                           rejected=logic.rejected_records(), progress=runner.PROGRESS,
                           new_answers=count_opinions(office="new"),
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


@bp.post("/bundle")
def export_bundle():
    """Download the records the office has not acknowledged as one signed file (USB)."""
    folder = Path(current_app.config["DATA_DIR"]) / "tmp"
    folder.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".bundle", delete=False) as made:
        path = Path(made.name)
    try:
        summary = logic.export_bundle(path)
    except SyncError as exc:
        path.unlink(missing_ok=True)
        flash(exc.message, "error")
        return _page(status=409)
    except OSError as exc:
        path.unlink(missing_ok=True)
        Path(f"{path}.part").unlink(missing_ok=True)
        flash(_("Không ghi được tệp USB (%(error)s). Dữ liệu trên máy không bị ảnh hưởng.",
                error=exc.strerror), "error")
        return _page(status=500)
    if not summary["records"]:
        # A file of nothing would look like a delivery to make; say why there is none.
        path.unlink(missing_ok=True)
        flash(str(logic.NOTHING_WAITING), "info")
        return redirect(url_for(".index"))
    name = f"langnghe-{logic.state().device_id}-{vietnam_today():%Y%m%d}.bundle"
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                         download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Langnghe-Records"] = str(summary["records"])
    response.call_on_close(lambda: path.unlink(missing_ok=True))
    return response


# The name the office's "Tải tệp xác nhận" gives the file (central/devices/views.py).
ACK_FILE_NAME = "langnghe-ack-{device}.json"


def ack_problem(exc: SyncError, filename: str = "", data: bytes = b"") -> str:
    """Say in the user's language what is wrong with an uploaded acknowledgement file,
    and which file is the right one."""
    details = exc.details or {}
    if isinstance(exc, BadBundle) and "signature" in details:
        return _("Tệp xác nhận bị hỏng hoặc bị sửa, hoặc là của máy khác. Hãy tải lại tệp "
                 "xác nhận của máy này ở văn phòng xã.")
    if isinstance(exc, BadBundle) and "device" in details:
        return _("Tệp xác nhận này là của máy khác. Hãy tải tệp xác nhận của máy này "
                 "(mã máy %(device)s) ở văn phòng xã.", device=logic.state().device_id)
    if isinstance(exc, BadBundle):
        expected = _("Tệp cần chọn là tệp xác nhận văn phòng xã đưa cho máy này (tải ở trang "
                     "Máy đồng bộ của văn phòng xã), tên dạng %(name)s.",
                     name=ACK_FILE_NAME.format(device=logic.state().device_id or "…"))
        name = Path(filename or "").name
        suffix = Path(name).suffix.lower()
        kind = file_kind(name, data)
        if kind == "word":
            said = _("Tệp «%(name)s» là văn bản Word, không phải tệp xác nhận.", name=name)
        elif kind == "bundle" and suffix == ".bundle":
            said = _("Tệp «%(name)s» là tệp USB máy này gửi lên xã, không phải tệp xác nhận "
                     "xã gửi về.", name=name)
        else:
            said = _("Tệp «%(name)s» không phải tệp xác nhận của văn phòng xã, hoặc đã hỏng.",
                     name=name)
        return f"{said} {expected}"
    return exc.message


@bp.post("/ack")
def import_ack():
    """Read the office's acknowledgement file: what it holds, and its answers."""
    upload = request.files.get("ack")
    if upload is None or not upload.filename:
        flash(_("Hãy chọn tệp xác nhận văn phòng xã đưa cho máy này (tên dạng %(name)s).",
                name=ACK_FILE_NAME.format(device=logic.state().device_id or "…")), "error")
        return _page(status=422)
    data = upload.read()
    try:
        acked, applied = logic.import_ack(data)
    except SyncError as exc:
        db.session.rollback()
        flash(ack_problem(exc, upload.filename, data), "error")
        return _page(status=422)
    except (ValueError, TypeError, KeyError, AttributeError):
        # A sealed file this version cannot read (damaged by hand, not by the USB stick).
        db.session.rollback()
        flash(ack_problem(BadBundle(), upload.filename, data), "error")
        return _page(status=422)
    flash(_("Đã nạp tệp xác nhận: %(acked)d bản ghi được xã xác nhận, còn %(pending)d bản ghi "
            "chờ; %(applied)d thay đổi của xã được cập nhật.", acked=acked,
            pending=logic.pending_count(), applied=applied), "success")
    return redirect(url_for(".index"))
