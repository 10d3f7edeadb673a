"""The office JSON API under /central/api/v1, for the province's systems and for scripts.

Authentication: `Authorization: Bearer TOKEN` (`langnghe central create-token`);
the token acts with its account's role and commune. Errors have the field
API's shape ({status, code, message, details}). The OpenAPI document is built
from these views (their docstrings, `@doc` and `require`) at /central/api/openapi.json.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError

from sync import store

from ...api.errors import schema_error
from ...api.openapi import build_spec, doc
from ...api.views import json_body
from ...areas.logic import find_commune
from ...errors import error_body
from ...extensions import db
from ..accounts.logic import office_account
from ..accounts.permissions import require
from ..devices import logic as devices
from ..inbox import logic as inbox
from ..inbox.schemas import inbox_query_schema, office_opinion_schema
from .schemas import (
    device_list_schema,
    enrolment_request_schema,
    enrolment_schema,
    opinion_page_schema,
)

api = Blueprint("central_api", __name__, url_prefix="/central/api")


@api.errorhandler(ValidationError)
def refuse_invalid_input(exc: ValidationError):
    """Answer a schema's refusal as the API's 422 validation_failed."""
    error = schema_error(exc)
    return error_body(error.status, error.code, error.message, error.details)


@api.get("/v1/opinions")
@doc("opinions", query=inbox_query_schema, responses={200: opinion_page_schema},
     errors=(422,))
@require("inbox.view")
def opinions():
    """List the opinions the account may see, filtered and paged as the inbox page is.

    A commune account sees its commune only (a `commune` filter naming another
    is refused with 403); a unit handler its unit's cases. Personal data of the
    citizen only for roles allowed to see it, never a denouncer's.
    """
    account = office_account()
    filters = inbox.Filters.parse(request.args, strict=True)
    page = inbox.find_opinions(account, filters)
    names = inbox.names_for(page.items)
    # Items dumped by `as_json` (office_opinion_schema), as GET /v1/opinions/{id} answers.
    return {"items": [inbox.as_json(item, account, names) for item in page.items],
            "total": page.total, "total_exact": page.total_exact, "page": page.page,
            "per_page": page.per_page}


@api.get("/v1/opinions/<uuid:record_id>")
@doc("opinions", responses={200: office_opinion_schema}, errors=(404,))
@require("inbox.view")
def opinion(record_id: uuid.UUID):
    """Show one opinion by the laptop's id (404 outside the account's scope too)."""
    account = office_account()
    return inbox.as_json(inbox.get_opinion(account, record_id), account)


@api.post("/v1/enrolments")
@doc("devices", body=enrolment_request_schema, responses={201: enrolment_schema},
     errors=(400, 415, 422))
@require("devices.manage")
def enrolment():
    """Make a one-time enrolment code for a laptop of a commune (valid 7 days)."""
    data = enrolment_request_schema.load(json_body())
    # Known commune (422 otherwise), and the account's own (403 otherwise).
    commune_code = find_commune(str(data["commune_code"]))
    devices.check_commune(office_account(), commune_code)
    with db.engine.begin() as conn:
        code = store.create_enrolment(conn, commune_code, data["label"],
                                      data.get("villages") or [])
        expires_at = store.enrolment_expires_at(conn, code)
    return enrolment_schema.dump({"code": code, "expires_at": expires_at,
                                  "commune_code": commune_code}), 201


@api.get("/v1/devices")
@doc("devices", responses={200: device_list_schema})
@require("devices.view")
def device_list():
    """List the enrolled laptops the account may see, with what each has sent."""
    with db.engine.connect() as conn:
        rows = devices.devices(conn, office_account())
    return device_list_schema.dump({"items": rows})


@api.get("/openapi.json")
@doc("meta", responses={200: {"application/json": {"schema": {"type": "object"}}}})
def openapi():
    """Return this API's OpenAPI 3 description."""
    from .openapi import OFFICE_API

    return jsonify(build_spec(current_app, OFFICE_API).to_dict())

