"""marshmallow schemas of the office API: what it takes and what it answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sync.records import TEXT_PATTERN, NoControl

from ...api.schemas import ApiSchema, Range, UtcDateTime
from ..inbox.schemas import MAX_INTEGER, OfficeOpinionSchema

MAX_VILLAGES = 200


class OpinionPageSchema(Schema):
    items = fields.List(fields.Nested(OfficeOpinionSchema))
    total = fields.Integer(metadata={
        "description": "Số ý kiến khớp bộ lọc; khi total_exact là false: ít nhất chừng này "
                       "(đếm dừng ở 1.000, ở 200 khi tìm theo từ `q`; trang sâu hơn chỉ biết còn "
                       "trang sau hay không)."})
    total_exact = fields.Boolean()
    page = fields.Integer()
    per_page = fields.Integer()


class EnrolmentRequestSchema(ApiSchema):
    commune_code = fields.Integer(required=True, strict=True,
                                  validate=Range(min=1, max=MAX_INTEGER),
                                  metadata={"description": "Mã xã (danh mục sau 2025).",
                                            "example": 3808})
    label = fields.String(required=True, validate=[validate.Length(min=1, max=120), NoControl()],
                          metadata={"pattern": TEXT_PATTERN, "example": "Máy bản Nà Lò"})
    villages = fields.List(
        fields.String(validate=[validate.Length(min=1, max=120), NoControl()],
                      metadata={"pattern": TEXT_PATTERN}),
        validate=validate.Length(max=MAX_VILLAGES),
        metadata={"description": "Tên các bản máy được ghi; bỏ trống: cả xã."})


class EnrolmentSchema(Schema):
    code = fields.String(metadata={"description": "Mã đăng ký dùng một lần (nhập trên máy bản).",
                                   "example": "ABCD-EFGH-JKMN"})
    expires_at = UtcDateTime()
    commune_code = fields.Integer()


class DeviceSchema(Schema):
    id = fields.String()
    label = fields.String()
    commune_code = fields.Integer()
    villages = fields.List(fields.String(), allow_none=True, metadata={
        "description": "Tên bản (không dấu) máy được ghi; null: cả xã."})
    created_at = UtcDateTime()
    revoked_at = UtcDateTime(allow_none=True)
    last_seen_at = UtcDateTime(allow_none=True)
    last_push_at = UtcDateTime(allow_none=True)
    held_seq = fields.Integer()
    cloned = fields.Boolean()
    records = fields.Integer(metadata={"description": "Số bản ghi máy đã gửi."})


class DeviceListSchema(Schema):
    items = fields.List(fields.Nested(DeviceSchema))


opinion_page_schema = OpinionPageSchema()
enrolment_request_schema = EnrolmentRequestSchema()
enrolment_schema = EnrolmentSchema()
device_list_schema = DeviceListSchema()
