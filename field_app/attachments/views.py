"""Upload, show and remove attachments."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _

from ..errors import Locked, NotFound, ValidationFailed
from ..extensions import db
from ..forums.forms import ConfirmForm
from ..forums.logic import get_forum
from ..opinions.logic import get_opinion
from . import logic
from .forms import AttachmentForm

bp = Blueprint("attachments", __name__)


def _upload(forum=None, opinion=None):
    form = AttachmentForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            logic.attach(current_app.config["DATA_DIR"], upload.stream, upload.filename,
                         current_app.config["ATTACHMENT_MAX_BYTES"], forum=forum,
                         opinion=opinion)
        except ValidationFailed as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Đã đính kèm %(name)s.", name=upload.filename), "success")
    else:
        flash(_("Hãy chọn một tệp để đính kèm."), "error")


@bp.post("/forums/<uuid:forum_id>/attachments")
def upload_to_forum(forum_id):
    """Attach a photo or scan (e.g. the signed minutes) to a forum."""
    forum = get_forum(forum_id)
    _upload(forum=forum)
    return redirect(url_for("forums.show", forum_id=forum.id) + "#attachments")


@bp.post("/opinions/<uuid:opinion_id>/attachments")
def upload_to_opinion(opinion_id):
    """Attach a photo or scan to an opinion."""
    opinion = get_opinion(opinion_id)
    _upload(opinion=opinion)
    return redirect(url_for("opinions.show", opinion_id=opinion.id) + "#attachments")


def send_attachment(attachment, download: bool = False):
    """Send an attached file: shown inline only if it is a verified image."""
    data_dir = current_app.config["DATA_DIR"]
    path = logic.stored_file(data_dir, attachment)
    inline = not download and logic.is_verified_image(data_dir, attachment)
    return send_file(path, mimetype=attachment.mime_type, download_name=attachment.filename,
                     as_attachment=not inline, max_age=86400)


@bp.get("/attachments/<uuid:attachment_id>")
def download(attachment_id):
    """Send the attached file (a verified image is shown, anything else downloaded)."""
    attachment = logic.get_attachment(attachment_id)
    return send_attachment(attachment, download=request.args.get("download") == "1")


@bp.get("/attachments/<uuid:attachment_id>/thumbnail")
def thumbnail(attachment_id):
    """Send a small JPEG of an image attachment."""
    attachment = logic.get_attachment(attachment_id)
    thumb = logic.thumbnail(current_app.config["DATA_DIR"], attachment)
    if thumb is None:
        raise NotFound(_("Tệp này không có ảnh thu nhỏ."))
    return send_file(thumb, mimetype="image/jpeg", max_age=86400)


@bp.post("/attachments/<uuid:attachment_id>/delete")
def delete(attachment_id):
    """Detach a file."""
    attachment = logic.get_attachment(attachment_id)
    target = (url_for("forums.show", forum_id=attachment.forum_id) if attachment.forum_id
              else url_for("opinions.show", opinion_id=attachment.opinion_id))
    if ConfirmForm().validate_on_submit():
        try:
            logic.remove_attachment(attachment)
        except Locked as exc:
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Đã gỡ tệp đính kèm."), "success")
    return redirect(target + "#attachments")
