"""The office JSON API under /central/api/v1, for the province's systems and for scripts.

Authentication: `Authorization: Bearer TOKEN` (`langnghe central create-token`);
the token acts with its account's role and commune. Errors have the field
API's shape ({status, code, message, details}).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from sync import store

from ...areas.logic import find_commune
from ...errors import ValidationFailed
from ...extensions import db
from ..accounts.logic import office_account
from ..accounts.permissions import require
from ..devices import logic as devices
from ..inbox import logic as inbox

api = Blueprint("central_api", __name__, url_prefix="/central/api")


@api.get("/v1/opinions")
@require("inbox.view")
def opinions():
    account = office_account()
    filters = inbox.Filters.parse(request.args)
    page = inbox.find_opinions(account, filters, _number("page", 1),
                               _number("per_page", 50))
    names = inbox.names_for(page.items)
    return jsonify(items=[inbox.as_json(item, account, names) for item in page.items],
                   total=page.total, page=page.page, per_page=page.per_page)


@api.get("/v1/opinions/<uuid:record_id>")
@require("inbox.view")
def opinion(record_id: uuid.UUID):
    account = office_account()
    return jsonify(inbox.as_json(inbox.get_opinion(account, record_id), account))


@api.post("/v1/enrolments")
@require("devices.manage")
def enrolment():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed(_("Hãy gửi JSON: {commune_code, label, villages?}."))
    villages = body.get("villages") or []
    if not isinstance(villages, list) or not all(isinstance(name, str) for name in villages):
        raise ValidationFailed(_("villages phải là danh sách tên bản."),
                               {"fields": {"villages": ["list of strings"]}})
    commune_code = find_commune(str(body.get("commune_code") or ""))
    devices.check_commune(office_account(), commune_code)
    label = body.get("label")
    if label is not None and not isinstance(label, str):
        raise ValidationFailed(_("label phải là chuỗi."), {"fields": {"label": ["string"]}})
    with db.engine.begin() as conn:
        code = store.create_enrolment(conn, commune_code, label or _("Máy bản"), villages)
        expires = conn.execute(store.enrolment.select().where(
            store.enrolment.c.code_hash == store._hash_code(code))).first().expires_at
    return jsonify(code=code, expires_at=expires.isoformat() + "Z",
                   commune_code=commune_code), 201


@api.get("/v1/devices")
@require("devices.view")
def device_list():
    with db.engine.connect() as conn:
        rows = devices.devices(conn, office_account())
    keep = ("id", "label", "commune_code", "villages", "created_at", "revoked_at",
            "last_seen_at", "last_push_at", "held_seq", "cloned", "records")
    return jsonify(items=[{name: (value.isoformat() + "Z" if hasattr(value, "isoformat")
                                  else value) for name, value in row.items() if name in keep}
                          for row in rows])


@api.get("/openapi.json")
def openapi():
    from .openapi import office_openapi

    return jsonify(office_openapi())


def _number(name: str, default: int) -> int:
    value = request.args.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise ValidationFailed(_("%(name)s phải là số.", name=name),
                               {"fields": {name: ["not a number"]}}) from None
