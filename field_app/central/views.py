"""Office pages: log in, enrol devices, see what each sent, change a status, USB bundles."""

from __future__ import annotations

import io
import uuid

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from sync import bundle as bundles
from sync import store
from sync.errors import SyncError
from sync.records import CENTRAL_FIELDS, WORKFLOW_STATUSES

from ..areas.logic import commune_label, current_commune, find_commune
from ..errors import AppError, NotFound
from ..extensions import db
from ..opinions.models import SEED_CATEGORIES
from . import logic

bp = Blueprint("central", __name__, url_prefix="/central")


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
        return redirect(url_for(".index"))
    return render_template("central/login.html")


@bp.post("/logout")
def logout():
    """End the session here and for any saved copy of its cookie (POST: no cross-site GET)."""
    if current_user.is_authenticated:
        logic.end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    return redirect(url_for(".login"))


@bp.get("/")
@login_required
def index():
    with db.engine.connect() as conn:
        devices, pushes = logic.devices(conn), logic.recent_pushes(conn)
    commune = current_commune()
    made_for = request.args.get("commune", type=int)
    return render_template("central/index.html", devices=devices, pushes=pushes,
                           default_commune=commune.code if commune else "",
                           new_code=request.args.get("code"),
                           new_code_commune=commune_label(made_for) if made_for else "",
                           commune_label=commune_label)


@bp.post("/enrolments")
@login_required
def create_enrolment():
    try:
        code_of_commune = find_commune(request.form.get("commune", ""))
    except AppError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".index"))
    villages = [name for name in request.form.get("villages", "").split(",") if name.strip()]
    with db.engine.begin() as conn:
        code = store.create_enrolment(conn, code_of_commune,
                                      request.form.get("label", "") or _("Máy bản"), villages)
    return redirect(url_for(".index", code=code, commune=code_of_commune))


@bp.post("/devices/<device_id>/revoke")
@login_required
def revoke(device_id):
    with db.engine.begin() as conn:
        if not store.revoke_device(conn, device_id):
            raise NotFound(_("Không có máy nào mang mã %(id)s.", id=device_id))
    flash(_("Đã thu hồi quyền đồng bộ của máy %(id)s.", id=device_id), "success")
    return redirect(url_for(".index"))


@bp.get("/records")
@login_required
def records():
    with db.engine.connect() as conn:
        rows = logic.received(conn, request.args.get("collection", "opinion"),
                              request.args.get("device") or None)
    return render_template("central/records.html", rows=rows, statuses=WORKFLOW_STATUSES,
                           categories=SEED_CATEGORIES)


@bp.post("/records/<uuid:record_id>")
@login_required
def update_record(record_id: uuid.UUID):
    fields = (*CENTRAL_FIELDS["opinion"], "category_code")
    values = {name: request.form.get(name) for name in fields if name in request.form}
    name = dict(SEED_CATEGORIES).get(values.get("category_code") or "")
    if name:
        values["category_name"] = name  # reclassified: the laptop shows the office's name
    try:
        with db.engine.begin() as conn:
            logic.update_opinion(conn, record_id, values, current_user.username)
    except SyncError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đã lưu; máy của bản sẽ nhận ở lần đồng bộ sau."), "success")
    return redirect(url_for(".records"))


@bp.route("/bundle", methods=["GET", "POST"])
@login_required
def bundle():
    """Import a bundle file carried on a USB stick, through the same ingest as a push."""
    result = None
    if request.method == "POST":
        upload = request.files.get("bundle")
        if upload is None or not upload.filename:
            flash(_("Hãy chọn tệp đồng bộ (.bundle) chép từ USB."), "error")
            return render_template("central/bundle.html"), 400
        try:
            result = bundles.import_bundle(db.engine, io.BytesIO(upload.read()),
                                          store.BlobStore(_blob_root()))
        except SyncError as exc:
            flash(exc.message, "error")
            return render_template("central/bundle.html"), exc.status
    return render_template("central/bundle.html", result=result)


@bp.get("/devices/<device_id>/ack")
@login_required
def device_ack(device_id: str):
    """Download what the central holds of a device, signed, for `langnghe import-ack`."""
    with db.engine.connect() as conn:
        try:
            body = bundles.ack_file(conn, device_id)
        except SyncError:
            abort(404)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f"attachment; filename=langnghe-ack-{device_id}.json"})


def _blob_root():
    from flask import current_app

    return current_app.config["CENTRAL_BLOBS"]
