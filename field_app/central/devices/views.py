"""Office pages for laptops: the dashboard, enrolment codes, revocation, USB files."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from sync import bundle as bundles
from sync import store
from sync.errors import BadBundle, SyncError

from ...areas.logic import commune_label, current_commune, find_commune
from ...errors import AppError
from ...extensions import db
from .. import bp
from ..accounts.logic import office_account
from ..accounts.permissions import require
from . import logic


@bp.get("/")
@require("devices.view")
def index():
    account = office_account()
    with db.engine.connect() as conn:
        devices, pushes = logic.devices(conn, account), logic.recent_pushes(conn, account)
    commune = account.commune_code or (current_commune().code if current_commune() else "")
    made_for = request.args.get("commune", type=int)
    return render_template("central/index.html", devices=devices, pushes=pushes,
                           default_commune=commune or "",
                           new_code=request.args.get("code"),
                           new_code_commune=commune_label(made_for) if made_for else "",
                           commune_label=commune_label)


@bp.post("/enrolments")
@require("devices.manage")
def create_enrolment():
    try:
        code_of_commune = find_commune(request.form.get("commune", ""))
    except AppError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".index"))
    logic.check_commune(office_account(), code_of_commune)
    villages = [name for name in request.form.get("villages", "").split(",") if name.strip()]
    with db.engine.begin() as conn:
        code = store.create_enrolment(conn, code_of_commune,
                                      request.form.get("label", "") or _("Máy bản"), villages)
    return redirect(url_for(".index", code=code, commune=code_of_commune))


@bp.post("/devices/<device_id>/revoke")
@require("devices.manage")
def revoke(device_id):
    with db.engine.begin() as conn:
        logic.device_in_scope(conn, office_account(), device_id)
        store.revoke_device(conn, device_id)
    flash(_("Đã thu hồi quyền đồng bộ của máy %(id)s.", id=device_id), "success")
    return redirect(url_for(".index"))


@bp.route("/bundle", methods=["GET", "POST"])
@require("devices.manage")
def bundle():
    """Import a bundle file carried on a USB stick, through the same ingest as a push."""
    result = None
    if request.method == "POST":
        upload = request.files.get("bundle")
        if upload is None or not upload.filename:
            flash(_("Hãy chọn tệp đồng bộ (.bundle) chép từ USB."), "error")
            return render_template("central/bundle.html"), 400
        account = office_account()
        data = upload.read()
        try:
            result = bundles.import_bundle(
                db.engine, io.BytesIO(data),
                store.BlobStore(current_app.config["CENTRAL_BLOBS"]),
                allow=lambda dev: logic.check_commune(account, dev.commune_code))
        except SyncError as exc:
            flash(bundle_problem(exc, upload.filename, data), "error")
            return render_template("central/bundle.html"), exc.status
    return render_template("central/bundle.html", result=result)


def bundle_problem(exc: SyncError, filename: str, data: bytes) -> str:
    """Say what is wrong with a file chosen as a USB bundle: what the file is, when it is
    plainly another (an acknowledgement file, a Word letter, a photo), and which to choose.

    A genuine bundle refused (tampered, another device's, another commune's) keeps the
    error's own message.
    """
    if not isinstance(exc, BadBundle) or "signature" in (exc.details or {}):
        return exc.message
    name = Path(filename or "").name
    kind = bundles.file_kind(name, data)
    if kind == "ack":
        said = _("Tệp «%(name)s» là tệp xác nhận văn phòng gửi về máy bản, không phải tệp "
                 "USB của máy bản.", name=name)
    elif kind == "word":
        said = _("Tệp «%(name)s» là văn bản Word, không phải tệp USB của máy bản.", name=name)
    elif kind == "photo":
        said = _("Tệp «%(name)s» là ảnh, không phải tệp USB của máy bản.", name=name)
    elif kind == "bundle":
        said = _("Tệp «%(name)s» đã hỏng (có thể chép từ USB chưa xong); hãy chép lại tệp "
                 "từ máy bản.", name=name)
    else:
        said = _("Tệp «%(name)s» không phải tệp USB của máy bản, hoặc đã hỏng.", name=name)
    return " ".join((said, _("Hãy chọn tệp langnghe-<mã máy>-<ngày>.bundle mà máy bản xuất "
                             "ở trang Đồng bộ.")))


@bp.get("/devices/<device_id>/ack")
@require("devices.manage")
def device_ack(device_id: str):
    """Download what the central holds of a device, signed, for `langnghe import-ack`."""
    with db.engine.connect() as conn:
        logic.device_in_scope(conn, office_account(), device_id)
        body = bundles.ack_file(conn, device_id)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f"attachment; filename=langnghe-ack-{device_id}.json"})
