"""One permission map: what each office role may do, and which records it may see.

Every office view and API call names its action (`require("inbox.view")`);
every office query goes through `scoped()`: an account of a commune sees
that commune only, a unit handler only its unit's cases, an account with no
commune the whole server.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l

ACTIONS = {
    "inbox.view": _l("Xem hộp thư ý kiến"),
    "personal.view": _l("Xem họ tên, số điện thoại của người dân"),
    "identity.view": _l("Xem danh tính người tố cáo (mỗi lần xem được ghi lại)"),
    "notify.manage": _l("Xem và gửi lại tin nhắn báo kết quả cho người dân"),
    "opinion.edit": _l("Phân loại, chuyển xử lý, trả lời ý kiến"),
    "devices.view": _l("Xem máy đã đăng ký và các lần đồng bộ"),
    "devices.manage": _l("Tạo mã đăng ký máy, thu hồi máy, nhập tệp USB"),
    "catalogue.manage": _l("Sửa danh mục lĩnh vực, bản, đơn vị xử lý"),
    "accounts.manage": _l("Quản lý tài khoản"),
    "cases.manage": _l("Gộp, tách vụ việc; giao đơn vị xử lý, gia hạn"),
    "cases.work": _l("Xử lý vụ việc: chuyển trạng thái, trả lời, giải trình trễ hạn"),
    "reports.view": _l("Xem báo cáo, tải tệp báo cáo"),
}

ROLE_LABELS = {
    "admin": _l("Quản trị"),
    "officer": _l("Cán bộ xã"),
    "mttq": _l("Cán bộ MTTQ"),
    "handler": _l("Cán bộ đơn vị xử lý"),
    "viewer": _l("Chỉ xem"),
}

PERMISSIONS: dict[str, frozenset[str]] = {
    # Keeps the server, not the cases: never a denouncer's identity (Luật Tố cáo 2018,
    # Art. 47 limits it to who receives and resolves the tố cáo).
    "admin": frozenset(ACTIONS) - {"identity.view"},
    # The commune office receives tố cáo for the chairman, who resolves them: the one role
    # that may need to know who denounced (to notify the result, protect the person).
    "officer": frozenset({"inbox.view", "personal.view", "identity.view", "opinion.edit",
                          "devices.view", "devices.manage", "catalogue.manage",
                          "notify.manage", "cases.manage", "cases.work", "reports.view"}),
    # The Front passes tố cáo on to the competent body; a unit verifies on a redacted copy.
    "mttq": frozenset({"inbox.view", "personal.view", "opinion.edit", "devices.view",
                       "devices.manage", "notify.manage", "cases.manage", "cases.work",
                       "reports.view"}),
    # Sees and works only its unit's cases (scoped() below); its reports count them only.
    "handler": frozenset({"inbox.view", "personal.view", "opinion.edit", "cases.work",
                          "reports.view"}),
    # Read-only, and no personal data.
    "viewer": frozenset({"inbox.view", "devices.view", "reports.view"}),
}
ROLES = tuple(PERMISSIONS)


def can(account: Any, action: str) -> bool:
    """Tell whether this account may do `action` (an unknown action: never)."""
    if action not in ACTIONS:
        raise KeyError(action)
    return (account is not None and getattr(account, "is_authenticated", False)
            and account.is_active and action in PERMISSIONS.get(account.role, ()))


def may_follow(account: Any, endpoint: str) -> bool:
    """Tell whether this account may open the office view `endpoint`: the action its
    `require` names, checked against this map. A page shows only the links its reader may
    follow (a link that answers 403 is a dead end)."""
    from flask import current_app

    action = getattr(current_app.view_functions.get(endpoint), "required_action", None)
    return action is None or can(account, action)


def in_commune(account: Any, commune_code: int | None) -> bool:
    """Tell whether a record of `commune_code` is within this account's communes."""
    return account.commune_code is None or account.commune_code == commune_code


def own_unit(account: Any) -> int | None:
    """Return the one unit a handler works for (it sees only that unit's cases); None for
    every other role."""
    return account.unit_id if account.role == "handler" else None


def scoped(query, account: Any, commune_column, unit_column=None):
    """Narrow a SELECT to what the account may see: its commune, and a handler's unit."""
    if account.commune_code is not None:
        query = query.where(commune_column == account.commune_code)
    if own_unit(account) is not None and unit_column is not None:
        query = query.where(unit_column == own_unit(account))
    return query


def scoped_units(query, account: Any, unit_column):
    """Narrow a list of units (a filter's choices) to those the account works with: a
    handler's own only; naming the others would tell what the office gives them."""
    return query if own_unit(account) is None else query.where(unit_column == own_unit(account))


def require(action: str) -> Callable:
    """Decorate an office view: log in first (or a valid API token), then hold `action`."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            from ...errors import Forbidden, Unauthorized, wants_json
            from .. import login_manager
            from .logic import office_account

            account = office_account()
            if account is None:
                if wants_json():
                    raise Unauthorized(str(_l("Cần đăng nhập hoặc mã truy cập API (Bearer).")))
                if request.method != "GET":
                    return log_in_again()
                return login_manager.unauthorized()
            if not can(account, action):
                raise Forbidden(str(_l("Tài khoản của bạn không có quyền làm việc này.")),
                                {"action": action})
            return view(*args, **kwargs)

        wrapper.required_action = action  # type: ignore[attr-defined]
        return wrapper

    return decorate


# After logging in again, the page that held the form opens at this anchor: actions.js
# fills the form back with what was typed (kept in the tab's sessionStorage at submit).
DRAFT_ANCHOR = "nhap-lai"


def log_in_again():
    """Answer a form sent after the session ended (logged out elsewhere, account changed).

    Flask-Login would send the browser back to the form's URL after logging in, a POST
    route: a 405 and the typed answer lost. Back to the page the form was on instead,
    where the text is filled back in to be sent again.
    """
    flash(str(_l("Phiên làm việc đã hết nên chưa lưu gì. Hãy đăng nhập lại: nội dung bạn "
                 "vừa nhập sẽ được điền lại để bạn kiểm tra và gửi lần nữa.")), "error")
    back = form_page() or url_for("central.index")
    return redirect(url_for("central.login", next=f"{back}#{DRAFT_ANCHOR}"))


def form_page() -> str | None:
    """Return the office page the current form was sent from (its Referer on this server),
    or None: a form of another site, or a browser that sends no Referer."""
    from urllib.parse import urlsplit

    came = urlsplit(request.referrer or "")
    if came.netloc == request.host and came.path.startswith("/central/"):
        return came.path + (f"?{came.query}" if came.query else "")
    return None


def resend_form():
    """Answer an office form refused for its CSRF token (the page stayed open for hours,
    the session cookie was renewed): nothing saved, the typed text filled back in.
    None for a form that did not come from an office page (another site's: a plain 400)."""
    from .logic import office_account

    back = form_page()
    if back is None:
        return None
    if office_account() is None:
        return log_in_again()
    flash(str(_l("Trang đã mở quá lâu nên chưa lưu gì. Nội dung bạn vừa nhập đã được "
                 "điền lại: hãy kiểm tra và gửi lần nữa.")), "error")
    return redirect(f"{back}#{DRAFT_ANCHOR}")
