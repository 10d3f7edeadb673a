"""JSON API views under /api/v1: parse with a schema, call the domain, commit once, dump.

Creates are idempotent on the client-made UUID: the PWA retries a save and
sync replays a batch, so a create whose id is already stored answers 200
with the stored record (the first answer was 201) and stores nothing.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest

from ..areas import logic as areas
from ..areas.models import Village
from ..attachments import logic as attachments
from ..attachments.models import Attachment
from ..attachments.views import send_attachment
from ..errors import BadJson, CommuneNotChosen, UnsupportedMediaType, ValidationFailed, error_body
from ..extensions import db
from ..forums import logic as forums
from ..forums.models import Forum
from ..models_base import field_values
from ..opinions import logic as opinions
from ..opinions.models import Opinion
from . import bp
from .errors import schema_error
from .openapi import build_spec, doc
from .schemas import (
    attachment_schema,
    attachment_upload_schema,
    categories_schema,
    forum_create_schema,
    forum_patch_schema,
    forum_query_schema,
    forum_schema,
    forums_schema,
    opinion_create_schema,
    opinion_patch_schema,
    opinion_query_schema,
    opinion_schema,
    opinions_schema,
    village_create_schema,
    village_schema,
    villages_schema,
)

FILE_CONTENT = {mime: {"schema": {"type": "string", "format": "binary"}}
                for mime in ("image/jpeg", "image/png", "image/webp", "application/pdf")}


@bp.errorhandler(ValidationError)
def refuse_invalid_input(exc: ValidationError):
    """Answer a schema's refusal as the API's 422 validation_failed."""
    error = schema_error(exc)
    return error_body(error.status, error.code, error.message, error.details)


def json_body() -> Any:
    """Return the request's JSON body; refuse another type or broken JSON."""
    if not request.is_json:
        raise UnsupportedMediaType(
            _("Hãy gửi dữ liệu dạng JSON (Content-Type: application/json)."))
    try:
        return request.get_json()
    except BadRequest:
        raise BadJson(_("Không đọc được dữ liệu JSON gửi lên; hãy kiểm tra rồi gửi lại.")) \
            from None


def create_once(model, record_id, schema, make, endpoint: str, key: str):
    """Store a new record once: 201 when made, 200 with the stored one on a replay.

    The PWA retries and sync replays creates with the same client-made id.
    Two copies racing past the first look both reach the primary key: the
    loser rolls back and answers with the winner's record.
    """
    if record_id is not None and (existing := db.session.get(model, record_id)) is not None:
        return schema.dump(existing), 200
    try:
        record = make()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = db.session.get(model, record_id) if record_id is not None else None
        if existing is None:
            raise
        return schema.dump(existing), 200
    return schema.dump(record), 201, {"Location": url_for(endpoint, **{key: record.id})}


def referenced(model, record_id, field: str, message: str):
    """Return the record a body points at; a missing one is the body's fault (422)."""
    if record_id is None:
        return None
    record = db.session.get(model, record_id)
    if record is None:
        raise ValidationFailed(message, {field: message})
    return record


# Villages --------------------------------------------------------------------------


@bp.get("/v1/villages")
@doc("villages", responses={200: villages_schema})
def list_villages():
    """List the commune's villages by name."""
    return villages_schema.dump({"items": areas.villages()})


@bp.post("/v1/villages")
@doc("villages", body=village_create_schema, responses={201: village_schema, 200: village_schema},
     errors=(400, 409, 415, 422))
def create_village():
    """Add a village to the commune this laptop serves."""
    data = village_create_schema.load(json_body())

    def make():
        commune = areas.current_commune()
        if commune is None:
            raise CommuneNotChosen(_("Máy này chưa chọn xã/phường; hãy cài đặt trước."))
        return areas.add_village(commune, data["name"], data.get("kind"), data.get("households"),
                                 village_id=data.get("id"))

    return create_once(Village, data.get("id"), village_schema, make, "api.get_village",
                       "village_id")


@bp.get("/v1/villages/<uuid:village_id>")
@doc("villages", responses={200: village_schema}, errors=(404,))
def get_village(village_id):
    """Show one village."""
    return village_schema.dump(areas.get_village(village_id))


# Forums ----------------------------------------------------------------------------


@bp.get("/v1/forums")
@doc("forums", query=forum_query_schema, responses={200: forums_schema}, errors=(422,))
def list_forums():
    """List forums, newest first, optionally of one village or status."""
    args = forum_query_schema.load(request.args)
    return forums_schema.dump(
        {"items": forums.list_forums(args.get("village_id"), args.get("status"))})


@bp.post("/v1/forums")
@doc("forums", body=forum_create_schema, responses={201: forum_schema, 200: forum_schema},
     errors=(400, 415, 422))
def create_forum():
    """Create a draft forum."""
    data = forum_create_schema.load(json_body())
    forum_id = data.pop("id", None)
    return create_once(Forum, forum_id, forum_schema,
                       lambda: forums.create_forum(data, forum_id=forum_id),
                       "api.get_forum", "forum_id")


@bp.get("/v1/forums/<uuid:forum_id>")
@doc("forums", responses={200: forum_schema}, errors=(404,))
def get_forum(forum_id):
    """Show one forum with its decisions and amendments."""
    return forum_schema.dump(forums.get_forum(forum_id))


@bp.patch("/v1/forums/<uuid:forum_id>")
@doc("forums", body=forum_patch_schema, responses={200: forum_schema},
     errors=(400, 404, 409, 415, 422))
def patch_forum(forum_id):
    """Change some fields of a forum.

    Finalised minutes change only by amendment: without `amendment`
    (reason and author) the answer is 409 `forum_finalised`; with it, each
    old value is kept in the forum's amendments.
    """
    forum = forums.get_forum(forum_id)
    changes = forum_patch_schema.load(json_body())
    amendment = changes.pop("amendment", None)
    data = field_values(forum, forums.FORUM_FIELDS) | changes
    if forum.is_finalised and amendment is not None:
        forums.amend_forum(forum, data, amendment["reason"], amendment["author"])
    else:
        forums.update_forum(forum, data)
    db.session.commit()
    return forum_schema.dump(forum)


# Opinions --------------------------------------------------------------------------


@bp.get("/v1/opinions")
@doc("opinions", query=opinion_query_schema, responses={200: opinions_schema}, errors=(422,))
def list_opinions():
    """Search opinions, newest first, one page at a time.

    Every word of `q` must occur in the content, the speaker or the answer;
    diacritics and case are ignored ("duong" finds "đường").
    """
    args = opinion_query_schema.load(request.args)
    page = args.pop("page")
    per_page = args.pop("per_page", None) or current_app.config["PAGE_SIZE"]
    return opinions_schema.dump(
        opinions.search_opinions(opinions.OpinionFilter(**args), page, per_page))


@bp.post("/v1/opinions")
@doc("opinions", body=opinion_create_schema,
     responses={201: opinion_schema, 200: opinion_schema}, errors=(400, 409, 415, 422))
def create_opinion():
    """Record an opinion, raised at a forum (forum_id) or outside one (village_id)."""
    data = opinion_create_schema.load(json_body())
    opinion_id = data.pop("id", None)
    forum_id = data.pop("forum_id", None)

    def make():
        forum = referenced(Forum, forum_id, "forum_id", _("Không tìm thấy hội nghị này."))
        return opinions.create_opinion(data, forum=forum, opinion_id=opinion_id)

    return create_once(Opinion, opinion_id, opinion_schema, make, "api.get_opinion",
                       "opinion_id")


@bp.get("/v1/opinions/<uuid:opinion_id>")
@doc("opinions", responses={200: opinion_schema}, errors=(404,))
def get_opinion(opinion_id):
    """Show one opinion."""
    return opinion_schema.dump(opinions.get_opinion(opinion_id))


@bp.patch("/v1/opinions/<uuid:opinion_id>")
@doc("opinions", body=opinion_patch_schema, responses={200: opinion_schema},
     errors=(400, 404, 409, 415, 422))
def patch_opinion(opinion_id):
    """Change some fields of an opinion.

    In finalised minutes the change needs `amendment` (reason and author)
    and is recorded as an amendment of the forum; without it the answer is
    409 `forum_finalised`.
    """
    opinion = opinions.get_opinion(opinion_id)
    changes = opinion_patch_schema.load(json_body())
    amendment = changes.pop("amendment", None) or {}
    data = field_values(opinion, opinions.OPINION_FIELDS) | changes
    opinions.update_opinion(opinion, data, amendment.get("reason"), amendment.get("author"))
    db.session.commit()
    return opinion_schema.dump(opinion)


@bp.delete("/v1/opinions/<uuid:opinion_id>")
@doc("opinions", responses={204: None}, errors=(404, 409, 422))
def delete_opinion(opinion_id):
    """Delete an opinion recorded by mistake (never from finalised minutes)."""
    opinions.delete_opinion(opinions.get_opinion(opinion_id))
    db.session.commit()
    return "", 204


@bp.get("/v1/categories")
@doc("categories", responses={200: categories_schema})
def list_categories():
    """List the categories (lĩnh vực), retired ones included and marked."""
    return categories_schema.dump({"items": opinions.categories(active_only=False)})


# Attachments -----------------------------------------------------------------------


@bp.post("/v1/attachments")
@doc("attachments", body=attachment_upload_schema, media_type="multipart/form-data",
     responses={201: attachment_schema, 200: attachment_schema}, errors=(413, 415, 422))
def create_attachment():
    """Attach a photo or scan (JPEG, PNG, WebP, PDF) to a forum or an opinion.

    The type is read from the file's first bytes, not from its name; the file
    is stored once under its SHA-256.
    """
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(_("Hãy gửi tệp dạng multipart/form-data."))
    data = attachment_upload_schema.load(request.form.to_dict() | request.files.to_dict())

    def make():
        forum = referenced(Forum, data.get("forum_id"), "forum_id",
                           _("Không tìm thấy hội nghị này."))
        opinion = referenced(Opinion, data.get("opinion_id"), "opinion_id",
                             _("Không tìm thấy ý kiến này."))
        upload = data["file"]
        return attachments.attach(
            current_app.config["DATA_DIR"], upload.stream, upload.filename,
            current_app.config["ATTACHMENT_MAX_BYTES"], forum=forum, opinion=opinion,
            attachment_id=data.get("id"))

    return create_once(Attachment, data.get("id"), attachment_schema, make,
                       "api.get_attachment", "attachment_id")


@bp.get("/v1/attachments/<uuid:attachment_id>")
@doc("attachments", responses={200: attachment_schema}, errors=(404,))
def get_attachment(attachment_id):
    """Show an attachment's metadata: type, size, SHA-256, owner."""
    return attachment_schema.dump(attachments.get_attachment(attachment_id))


@bp.get("/v1/attachments/<uuid:attachment_id>/content")
@doc("attachments", responses={200: FILE_CONTENT}, errors=(404,))
def attachment_content(attachment_id):
    """Send the attached file itself (inline only if it is a verified image)."""
    return send_attachment(attachments.get_attachment(attachment_id))


# The document ----------------------------------------------------------------------


@bp.get("/openapi.json")
@doc("meta", responses={200: {"application/json": {"schema": {"type": "object"}}}})
def openapi_document():
    """Return this API's OpenAPI 3 description."""
    return jsonify(build_spec(current_app).to_dict())
