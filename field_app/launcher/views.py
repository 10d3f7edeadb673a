"""The offer of a desktop icon on the laptop's forum list, and its two buttons.

Laptop only (no entry in pwa/rights.py, and checked here again): a phone on the
hotspot has no desktop of this laptop to put an icon on.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from ..config import default_data_dir
from ..pwa.lan import is_local, laptop_itself, served_port
from . import logic

bp = Blueprint("launcher", __name__, url_prefix="/launcher")
# In the data folder: the village head said no, the offer is not shown again.
DECLINED = "desktop-icon-declined"


def _laptop_only() -> None:
    laptop_itself(_("Chỉ trên chính máy tính chạy Lắng Nghe mới tạo được biểu tượng trên "
                    "màn hình nền của nó."))


def _data_dir() -> Path:
    return Path(current_app.config["DATA_DIR"])


def offer() -> bool:
    """Tell whether the forum list offers the desktop icon: on the laptop itself, while
    there is none and the offer was not turned down."""
    return (current_app.config["ROLE"] == "field" and is_local(request.remote_addr)
            and not (_data_dir() / DECLINED).exists() and not logic.has_shortcut())


@bp.post("/shortcut")
def shortcut():
    """Put the icon on the desktop, for the port and data folder this app runs with."""
    _laptop_only()
    data_dir = _data_dir().resolve()
    try:
        made = logic.make_shortcut(served_port(), None if data_dir == default_data_dir()
                                   .resolve() else data_dir)
    except logic.LauncherError as exc:
        flash(_("Không tạo được biểu tượng trên màn hình nền (%(error)s). Lắng Nghe vẫn "
                "chạy bình thường; hãy nhờ người cài máy tạo giúp bằng lệnh langnghe "
                "shortcut.", error=exc), "error")
    else:
        flash(_("Đã tạo biểu tượng “%(name)s” trên màn hình nền (%(path)s). Lần sau nhấp đúp "
                "vào đó: Lắng Nghe chạy và trình duyệt tự mở trang này.",
                name=logic.NAME, path=made.desktop), "success")
    return redirect(url_for("forums.index"))


@bp.post("/decline")
def decline():
    """Stop offering the icon on this laptop."""
    _laptop_only()
    (_data_dir() / DECLINED).touch()
    flash(_("Đã ẩn gợi ý. Cần biểu tượng sau này: chạy lệnh langnghe shortcut."), "success")
    return redirect(url_for("forums.index"))
