"""The outbox page: each message with sent/failed, "Gửi lại" and "Gửi các tin đang chờ";
the messages written down for sending by hand, as a printable list or CSV, and
"Đánh dấu đã gửi tay"."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...api.openapi import doc
from ...extensions import db
from .. import bp
from ..accounts.logic import office_account
from ..accounts.permissions import require
from ..api.views import api
from . import exports, logic
from .models import STATUSES
from .schemas import notification_page_schema, notification_query_schema, notification_schema


@bp.get("/notifications")
@require("notify.manage")
def notifications():
    account = office_account()
    status = request.args.get("status") or None
    if status not in (None, *STATUSES):
        status = None
    page = logic.messages(account, status, page=request.args.get("page", 1, type=int))
    return render_template("central/notifications.html", page=page, status=status,
                           statuses=STATUSES, counts=logic.counts(account))


@bp.post("/notifications/<int:key>/retry")
@require("notify.manage")
def retry_notification(key: int):
    """Send one message again now, whatever its backoff ("Gửi lại")."""
    message = logic.get_message(office_account(), key)
    if message.status in ("sent", "logged"):
        flash(_("Tin nhắn này đã gửi rồi.") if message.status == "sent"
              else _("Tin nhắn này đã ghi vào sổ, chờ gửi tay."), "error")
        return redirect(url_for(".notifications"))
    opinion_id = message.opinion_id
    db.session.commit()
    done = logic.send_due(current_app._get_current_object(), ids=[message.id])
    _report(done)
    if request.form.get("back") == "opinion":
        return redirect(url_for(".opinion", record_id=opinion_id))
    return redirect(url_for(".notifications"))


@bp.post("/notifications/send")
@require("notify.manage")
def send_notifications():
    """Send every message of the account's communes not sent yet ("Gửi các tin đang chờ")."""
    ids = logic.waiting_ids(office_account())
    db.session.commit()
    done = logic.send_due(current_app._get_current_object(), ids=ids)
    _report(done)
    return redirect(url_for(".notifications"))


@bp.get("/notifications/by-hand")
@require("notify.manage")
def notifications_by_hand():
    """The printable list of messages to send by hand: phone, text, case."""
    return render_template("central/notifications_by_hand.html",
                           rows=logic.to_send_by_hand(office_account()))


@bp.get("/notifications/by-hand.csv")
@require("notify.manage")
def notifications_by_hand_csv():
    """The same list as a CSV file (UTF-8 with BOM, for Excel; phone numbers as text)."""
    body = exports.build_csv(logic.to_send_by_hand(office_account()))
    return _download(Response(body, content_type="text/csv; charset=utf-8"),
                     "tin-nhan-gui-tay.csv")


@bp.get("/notifications/by-hand.xlsx")
@require("notify.manage")
def notifications_by_hand_xlsx():
    """The same list as an XLSX workbook, the phone column typed as text."""
    body = exports.build_xlsx(logic.to_send_by_hand(office_account()))
    return _download(Response(body, content_type=XLSX_TYPE), "tin-nhan-gui-tay.xlsx")


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(response: Response, name: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/notifications/mark-sent")
@require("notify.manage")
def mark_notifications_sent():
    """Record that the selected written-down messages were sent by hand (who, when)."""
    ids = [int(key) for key in request.form.getlist("ids") if key.isdigit()]
    marked = logic.mark_sent_by_hand(office_account(), ids)
    db.session.commit()
    if marked:
        flash(_("Đã ghi nhận %(n)s tin đã gửi tay.", n=marked), "success")
    else:
        flash(_("Chưa chọn tin nào đang chờ gửi tay."), "error")
    if request.form.get("back") == "by-hand":
        return redirect(url_for(".notifications_by_hand"))
    return redirect(url_for(".notifications"))


def _report(done: logic.Sent) -> None:
    if logic.by_hand(current_app.config):
        if done.failed:
            flash(_("Đã ghi %(sent)s tin vào sổ, chờ gửi tay; %(failed)s tin không ghi được "
                    "(xem lỗi từng tin).", sent=done.sent, failed=done.failed), "error")
        else:
            flash(_("Đã ghi %(sent)s tin vào sổ, chờ gửi tay.", sent=done.sent), "success")
        return
    if done.failed:
        flash(_("Đã gửi %(sent)s tin; %(failed)s tin chưa gửi được (xem lỗi từng tin).",
                sent=done.sent, failed=done.failed), "error")
    else:
        flash(_("Đã gửi %(sent)s tin.", sent=done.sent), "success")


@api.get("/v1/notifications")
@doc("notifications", query=notification_query_schema,
     responses={200: notification_page_schema}, errors=(422,))
@require("notify.manage")
def api_notifications():
    """List the messages telling citizens their answers (the account's communes), newest first.

    `status`: queued, sent or failed. A denouncer never has one (the phone is sealed).
    """
    args = notification_query_schema.load(request.args.to_dict())
    page = logic.messages(office_account(), args.get("status"), page=args.get("page", 1),
                          per_page=args.get("per_page", 100))
    return notification_page_schema.dump({"items": page.items, "total": page.total,
                                          "page": page.page, "per_page": page.per_page})


@api.post("/v1/notifications/<int:key>/retry")
@doc("notifications", responses={200: notification_schema}, errors=(404,))
@require("notify.manage")
def api_retry_notification(key: int):
    """Send one message now, whatever its backoff; answer it as it stands after the try."""
    sent = logic.get_message(office_account(), key).status in ("sent", "logged")
    db.session.commit()
    if not sent:
        logic.send_due(current_app._get_current_object(), ids=[key])
    db.session.expire_all()
    return notification_schema.dump(logic.get_message(office_account(), key))
