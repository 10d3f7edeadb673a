"""Log in and out of the office; administer accounts and their API tokens."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from ...areas.logic import commune_label
from ...errors import ValidationFailed
from ...extensions import db
from ...pwa.lan import safe_next
from .. import bp
from . import logic
from .logic import office_account
from .permissions import ROLE_LABELS, can, require


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        try:
            account = logic.authenticate(request.form.get("username", ""),
                                         request.form.get("password", ""), request.remote_addr)
        except (logic.LoginThrottled, logic.BadLogin) as exc:
            db.session.commit()  # a refused try takes back its place in the count
            flash(exc.message, "error")
            retry = getattr(exc, "retry_after", None)
            return (render_template("central/login.html"), exc.status,
                    {"Retry-After": str(retry)} if retry else {})
        db.session.commit()
        login_user(account)
        if request.args.get("next"):  # the page that sent here (Flask-Login's ?next=)
            return redirect(safe_next(request.args["next"]))
        # The office's daily work is its inbox; an account without one, the devices.
        return redirect(url_for(".inbox" if can(account, "inbox.view") else ".index"))
    return render_template("central/login.html")


@bp.post("/logout")
def logout():
    """End the session here and for any saved copy of its cookie (POST: no cross-site GET)."""
    if current_user.is_authenticated:
        logic.end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    return redirect(url_for(".login"))


# --- account administration ("accounts.manage"): an admin of a commune manages its own ---


def _list_page(form=None, errors=None, status: int = 200):
    admin = office_account()
    return render_template(
        "central/accounts.html", accounts=logic.manageable_accounts(admin),
        units=logic.units_for(admin), unit_names=_unit_names(), roles=ROLE_LABELS,
        form=form or {"commune": str(admin.commune_code or "")}, errors=errors or {},
        commune_label=commune_label, server_wide=admin.commune_code is None), status


def _account_page(account, errors=None, form=None, new_token=None, status: int = 200):
    admin = office_account()
    return render_template(
        "central/account.html", account=account, tokens=logic.tokens_of(account),
        units=logic.units_for(admin), unit_names=_unit_names(), roles=ROLE_LABELS,
        errors=errors or {}, form=form or {
            "role": account.role, "commune": str(account.commune_code or ""),
            "unit_id": str(account.unit_id or "")},
        new_token=new_token, commune_label=commune_label, is_self=account.id == admin.id,
        server_wide=admin.commune_code is None), status


def _unit_names() -> dict[int, str]:
    from ..catalogue.models import Unit

    return {row.id: row.name for row in db.session.execute(select(Unit.id, Unit.name))}


@bp.get("/accounts")
@require("accounts.manage")
def accounts():
    return _list_page()


@bp.post("/accounts")
@require("accounts.manage")
def create_account():
    form = request.form
    try:
        account = logic.add_account(office_account(), form.get("username", ""),
                                    form.get("password", ""), form.get("role", ""),
                                    form.get("commune"), form.get("unit_id"))
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_("Chưa tạo được tài khoản: hãy sửa các ô có lỗi."), "error")
        return _list_page({name: form.get(name, "") for name in FORM_FIELDS},
                          exc.details.get("fields", {}), exc.status)
    db.session.commit()
    flash(_("Đã tạo tài khoản %(name)s.", name=account.username), "success")
    return redirect(url_for(".account", account_id=account.id))


FORM_FIELDS = ("username", "role", "commune", "unit_id")  # never the password


@bp.get("/accounts/<int:account_id>")
@require("accounts.manage")
def account(account_id: int):
    return _account_page(logic.managed_account(office_account(), account_id))


@bp.post("/accounts/<int:account_id>")
@require("accounts.manage")
def change_account(account_id: int):
    admin = office_account()
    target = logic.managed_account(admin, account_id)
    form = request.form
    try:
        logic.change_account(admin, target, form.get("role", ""), form.get("commune"),
                             form.get("unit_id"))
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_("Chưa lưu: hãy sửa các ô có lỗi."), "error")
        return _account_page(logic.managed_account(admin, account_id),
                             exc.details.get("fields", {}),
                             {name: form.get(name, "") for name in FORM_FIELDS}, status=exc.status)
    db.session.commit()
    _log_in_again_if_self(target)
    flash(_("Đã lưu vai trò và phạm vi của %(name)s.", name=target.username), "success")
    if not can(admin, "accounts.manage"):  # an admin who stepped down
        return redirect(url_for(".inbox"))
    return redirect(url_for(".account", account_id=account_id))


@bp.post("/accounts/<int:account_id>/disable")
@require("accounts.manage")
def disable_account(account_id: int):
    return _set_disabled(account_id, True)


@bp.post("/accounts/<int:account_id>/enable")
@require("accounts.manage")
def enable_account(account_id: int):
    return _set_disabled(account_id, False)


def _set_disabled(account_id: int, disabled: bool):
    admin = office_account()
    target = logic.managed_account(admin, account_id)
    try:
        logic.set_disabled(admin, target, disabled)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _account_page(logic.managed_account(admin, account_id), status=exc.status)
    db.session.commit()
    flash(_("Đã khoá tài khoản %(name)s: mọi phiên đăng nhập và mã API của nó ngừng ngay.",
            name=target.username) if disabled else
          _("Đã mở khoá tài khoản %(name)s.", name=target.username), "success")
    return redirect(url_for(".account", account_id=account_id))


@bp.post("/accounts/<int:account_id>/password")
@require("accounts.manage")
def reset_password(account_id: int):
    admin = office_account()
    target = logic.managed_account(admin, account_id)
    try:
        logic.reset_password(admin, target, request.form.get("password", ""))
    except ValidationFailed as exc:
        db.session.rollback()
        return _account_page(target, exc.details.get("fields", {}), status=exc.status)
    db.session.commit()
    _log_in_again_if_self(target)
    flash(_("Đã đặt mật khẩu mới cho %(name)s; các phiên đăng nhập cũ đã kết thúc.",
            name=target.username), "success")
    return redirect(url_for(".account", account_id=account_id))


@bp.post("/accounts/<int:account_id>/tokens")
@require("accounts.manage")
def create_token(account_id: int):
    """Make an API token and show it once, in this answer only (never in a URL)."""
    target = logic.managed_account(office_account(), account_id)
    token = logic.create_token(target, request.form.get("label", "").strip())
    db.session.commit()
    return _account_page(target, new_token=token)


@bp.post("/accounts/<int:account_id>/tokens/<int:token_id>/revoke")
@require("accounts.manage")
def revoke_token(account_id: int, token_id: int):
    target = logic.managed_account(office_account(), account_id)
    logic.revoke_token(target, token_id)
    db.session.commit()
    flash(_("Đã thu hồi mã truy cập API."), "success")
    return redirect(url_for(".account", account_id=account_id))


def _log_in_again_if_self(account) -> None:
    """Keep the admin who changed their own account logged in, under the new session version."""
    if current_user.is_authenticated and current_user.id == account.id and account.is_active:
        login_user(account)
