"""The office API's shape of a revealed identity."""

from __future__ import annotations

from marshmallow import Schema, fields


class IdentitySchema(Schema):
    """A denouncer's identity as the laptop sent it (any part may be missing)."""

    raiser_name = fields.String(allow_none=True)
    raiser_phone = fields.String(allow_none=True)
    raiser_gender = fields.String(allow_none=True)
    raiser_address = fields.String(allow_none=True)


identity_schema = IdentitySchema()
