"""The office API's shapes of the outbox."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...api.schemas import UtcDateTime
from .models import STATUSES


class NotificationSchema(Schema):
    """One message to a citizen and how its sending went."""

    id = fields.Integer()
    opinion_id = fields.UUID()
    commune_code = fields.Integer()
    phone = fields.String()
    text = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = UtcDateTime()
    last_attempt_at = UtcDateTime(allow_none=True)
    next_attempt_at = UtcDateTime(allow_none=True)
    sent_at = UtcDateTime(allow_none=True)
    sent_by = fields.String(allow_none=True, metadata={
        "description": "who marked it sent by hand; null when a gateway sent it"})


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class NotificationQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    page = fields.Integer(validate=validate.Range(1, 100_000))
    per_page = fields.Integer(validate=validate.Range(1, 200))


notification_schema = NotificationSchema()
notification_page_schema = NotificationPageSchema()
notification_query_schema = NotificationQuerySchema()
