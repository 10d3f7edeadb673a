"""The laptop's backup page: take a backup file away, or put one back (no command line).

Laptop only: a backup holds the laptop's sync secret, and a phone on the hotspot has no
right to any of this (pwa/rights.py lists what a phone may do).
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from ..extensions import db
from . import logic

bp = Blueprint("backup", __name__, url_prefix="/backup")
# A backup with every photo of a year's forums: a few hundred MB, not the 25 MB of a form.
MOST_UPLOAD_BYTES = 4 * 1024 ** 3


def _places() -> tuple[Path, Path, Path]:
    """Return the database, the stored files' folder and the automatic copies' folder."""
    data_dir = Path(current_app.config["DATA_DIR"])
    database = logic.sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
    return database, data_dir / "attachments", data_dir / "backups"


@bp.get("/")
def index():
    copies = _places()[2]
    return render_template("backup/index.html", copies=logic.automatic_copies(copies)
                           if copies.is_dir() else [])


@bp.post("/download")
def download():
    """Send a zip of the database and every photo and scan, made as it is asked for."""
    database, attachments, copies = _places()
    copies.mkdir(parents=True, exist_ok=True)
    out = tempfile.TemporaryFile(dir=copies)  # no name: gone once sent
    try:
        logic.archive(database, attachments, out)
    except (logic.BackupError, OSError) as exc:
        out.close()
        flash(_("Không tạo được tệp sao lưu (%(error)s). Dữ liệu trên máy không bị ảnh "
                "hưởng.", error=exc), "error")
        return redirect(url_for(".index"))
    out.seek(0)
    name = f"langnghe-sao-luu-{datetime.now():%Y%m%d-%H%M}.zip"
    return send_file(out, mimetype="application/zip", as_attachment=True, download_name=name,
                     max_age=0)


@bp.post("/restore")
def restore():
    """Put a backup back: a file chosen, or one of the automatic copies; a copy of what is
    replaced is kept first, so a wrong choice can itself be undone."""
    request.max_content_length = MOST_UPLOAD_BYTES
    database, attachments, copies = _places()
    if request.form.get("confirm") != "yes":
        flash(_("Hãy đánh dấu ô xác nhận: khôi phục thay toàn bộ dữ liệu hiện có trên máy "
                "bằng dữ liệu trong tệp sao lưu."), "error")
        return redirect(url_for(".index"))
    chosen = request.form.get("copy", "")
    upload = request.files.get("file")
    copies.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=copies) as folder:
        if chosen:
            source = copies / Path(chosen).name  # one of the listed copies, nothing else
            if not source.is_file() or source.suffix != ".sqlite3":
                flash(_("Không còn bản sao tự động này; hãy chọn bản khác."), "error")
                return redirect(url_for(".index"))
        elif upload is not None and upload.filename:
            source = Path(folder) / "chosen"
            upload.save(source)
        else:
            flash(_("Hãy chọn tệp sao lưu (.zip hoặc .sqlite3) hoặc một bản sao tự động."),
                  "error")
            return redirect(url_for(".index"))
        db.session.remove()
        try:
            safety, put_back = logic.restore_archive(database, source, attachments, copies)
        except logic.BackupError as exc:
            flash(str(exc) + " " + _("Dữ liệu trên máy không bị thay đổi."), "error")
            return redirect(url_for(".index"))
    db.engine.dispose()  # connections opened on the database replaced
    from ..cli import upgrade_database

    upgrade_database(current_app)  # a backup from an older version is brought up to date
    flash(_("Đã khôi phục. Dữ liệu bị thay được giữ ở bản sao %(name)s (trong danh sách bên "
            "dưới). %(n)d ảnh, tệp quét được chép lại.", name=safety.name, n=put_back),
          "success")
    return redirect(url_for(".index"))
