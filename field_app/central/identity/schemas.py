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


class SlipUnitSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class SlipLineSchema(Schema):
    id = fields.UUID(metadata={"description": "UUID do máy bản tạo."})
    kind = fields.String()
    village_name = fields.String(allow_none=True)
    received_on = fields.Date(allow_none=True)
    content = fields.String()
    raiser_name = fields.String(allow_none=True, metadata={
        "description": "Không bao giờ có với tố cáo; chỉ khi vai trò được xem họ tên."})
    identity_protected = fields.Boolean()


class SlipSchema(Schema):
    """A forwarding slip (phiếu chuyển): what a unit receives, identities redacted."""

    unit = fields.Nested(SlipUnitSchema)
    commune_code = fields.Integer()
    made_on = fields.Date(metadata={"description": "Ngày lập phiếu, giờ Việt Nam."})
    place = fields.String(allow_none=True, metadata={
        "description": "Tên xã, đứng trước ngày tháng trên phiếu."})
    due_on = fields.Date(allow_none=True, metadata={
        "description": "Hạn xử lý sớm nhất của các ý kiến (của vụ việc)."})
    items = fields.List(fields.Nested(SlipLineSchema))


class SlipQuerySchema(Schema):
    unit = fields.Integer(required=True)
    opinion = fields.List(fields.UUID(), required=True, metadata={
        "description": "Mã ý kiến, lặp lại cho mỗi ý kiến (tối đa 50)."})


slip_schema = SlipSchema()
slip_query_schema = SlipQuerySchema()
