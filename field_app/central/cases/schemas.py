"""marshmallow schemas of the cases API: what it takes and what it answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sync.records import TEXT_PATTERN, WORKFLOW_STATUSES, NoControl

from ...api.schemas import ApiSchema, Range
from ..inbox.schemas import MAX_INTEGER
from .logic import MAX_MEMBERS


class OpinionIdsSchema(ApiSchema):
    opinion_ids = fields.List(fields.UUID(), required=True,
                              validate=validate.Length(min=1, max=MAX_MEMBERS),
                              metadata={"description": "Mã ý kiến do máy bản tạo."})
    reason = fields.String(validate=[validate.Length(max=2000), NoControl()],
                           metadata={"pattern": TEXT_PATTERN})


class AssignSchema(ApiSchema):
    unit_id = fields.Integer(required=True, strict=True, validate=Range(min=1, max=MAX_INTEGER))
    reason = fields.String(validate=[validate.Length(max=2000), NoControl()],
                           metadata={"pattern": TEXT_PATTERN})


class StatusSchema(ApiSchema):
    status = fields.String(required=True, validate=validate.OneOf(WORKFLOW_STATUSES))
    reason = fields.String(validate=[validate.Length(max=2000), NoControl()],
                           metadata={"pattern": TEXT_PATTERN})


class AnswerSchema(ApiSchema):
    text = fields.String(required=True, validate=[validate.Length(min=1, max=10_000),
                                                  NoControl()],
                         metadata={"pattern": TEXT_PATTERN})
    by = fields.String(required=True, validate=[validate.Length(min=1, max=120), NoControl()],
                       metadata={"pattern": TEXT_PATTERN})
    doc_number = fields.String(allow_none=True,
                               validate=[validate.Length(max=60), NoControl()],
                               metadata={"pattern": TEXT_PATTERN})
    date = fields.Date(metadata={"description": "Ngày trả lời; bỏ trống: hôm nay."})


class CaseQuerySchema(ApiSchema):
    overdue = fields.Boolean(metadata={"description": "Chỉ vụ việc chưa trả lời đã quá hạn."})
    unit = fields.Integer(validate=Range(min=1, max=MAX_INTEGER))
    status = fields.String(validate=validate.OneOf(WORKFLOW_STATUSES))
    commune = fields.Integer(validate=Range(min=1, max=MAX_INTEGER))


class AnswerOutSchema(Schema):
    text = fields.String()
    by = fields.String()
    date = fields.String(allow_none=True, metadata={"format": "date"})
    doc_number = fields.String(allow_none=True)


class ApologySchema(Schema):
    on = fields.String(metadata={"format": "date"})
    how = fields.String()
    by = fields.String()


class CaseSchema(Schema):
    id = fields.Integer()
    commune_code = fields.Integer()
    title = fields.String()
    kind = fields.String()
    status = fields.String()
    unit_id = fields.Integer(allow_none=True)
    unit_name = fields.String(allow_none=True)
    received_on = fields.String(allow_none=True, metadata={"format": "date"})
    assigned_on = fields.String(allow_none=True, metadata={"format": "date"})
    accept_due_on = fields.String(allow_none=True, metadata={
        "format": "date", "description": "Khiếu nại: hạn thụ lý."})
    due_on = fields.String(allow_none=True, metadata={"format": "date"})
    complex = fields.Boolean()
    remote = fields.Boolean()
    extensions = fields.List(fields.Dict())
    answer = fields.Nested(AnswerOutSchema, allow_none=True)
    answered_late = fields.Boolean()
    days_late = fields.Integer()
    late_explanation = fields.String(allow_none=True)
    late_explained_by = fields.String(allow_none=True)
    apology = fields.Nested(ApologySchema, allow_none=True)
    allowed_statuses = fields.List(fields.String())
    opinion_ids = fields.List(fields.String(), metadata={"description": "Mã ý kiến (máy bản)."})
    created_at = fields.String(metadata={"format": "date-time"})
    updated_at = fields.String(metadata={"format": "date-time"})


class CaseListSchema(Schema):
    items = fields.List(fields.Nested(CaseSchema))


class SplitResultSchema(Schema):
    case = fields.Nested(CaseSchema)
    split_into = fields.List(fields.Nested(CaseSchema))


opinion_ids_schema = OpinionIdsSchema()
assign_schema = AssignSchema()
status_schema = StatusSchema()
answer_schema = AnswerSchema()
case_query_schema = CaseQuerySchema()
case_schema = CaseSchema()
case_list_schema = CaseListSchema()
split_result_schema = SplitResultSchema()
