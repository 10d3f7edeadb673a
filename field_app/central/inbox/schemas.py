"""What the inbox takes and gives: its filters (page and API alike) and an opinion as JSON.

One schema per shape: `Filters.parse` loads the query with `inbox_query_schema`,
the office API documents its parameters with it, and `as_json` dumps with
`office_opinion_schema`, whose fields are read off the office table itself.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, Uuid

from sync.records import (
    CHANNELS,
    LEVELS,
    OPINION_KINDS,
    SOURCE_ORGS,
    TEXT_PATTERN,
    WORKFLOW_STATUSES,
    NoControl,
)

from ...api.schemas import MAX_PAGE, Day, OneOf, Range, UtcDateTime
from .models import OfficeOpinion

# The report's handling states (reports/figures.py HANDLING), a drill-down filter.
HANDLING = ("on_time", "late", "overdue", "open", "any")
SORTS = ("newest", "oldest", "received_on", "due")
MAX_PER_PAGE = 200
# Bounded: the database's integer column (a bigger number was a 500 on PostgreSQL).
MAX_INTEGER = 2**31 - 1


def _text(most: int, description: str) -> fields.String:
    return fields.String(validate=[validate.Length(max=most), NoControl()],
                         metadata={"description": description, "pattern": TEXT_PATTERN,
                                   "maxLength": most})


# The filter values of an empty column: a report's "(chưa giao đơn vị)" and "(chưa ghi)"
# rows drill down to them.
NO_UNIT = 0
NONE = "none"

class InboxQuerySchema(Schema):
    """The inbox's filters, paging and order; every one optional, an empty one ignored."""

    commune = fields.Integer(validate=Range(min=1, max=MAX_INTEGER), metadata={
        "description": "Mã xã (chỉ tài khoản cấp tỉnh chọn được xã khác)."})
    village = fields.UUID(metadata={
        "description": "Bản/thôn (cả các bản đã gộp vào bản này)."})
    forum = fields.UUID(metadata={"description": "Hội nghị."})
    kind = fields.String(validate=OneOf(OPINION_KINDS))
    category = _text(40, "Mã lĩnh vực.")
    channel = fields.String(validate=OneOf(CHANNELS))
    level = fields.String(validate=OneOf(LEVELS))
    status = fields.String(validate=OneOf(WORKFLOW_STATUSES))
    source_org = fields.String(validate=OneOf((*SOURCE_ORGS, NONE)), metadata={
        "description": "Tổ chức chuyển ý kiến (MTTQ và các đoàn thể); none: không qua tổ "
                       "chức nào (chưa ghi)."})
    handling = fields.String(validate=OneOf(HANDLING), metadata={
        "description": "Tình trạng giải quyết (như báo cáo): on_time đúng hạn, late trễ hạn, "
                       "overdue quá hạn chưa trả lời, open đang trong hạn, any mọi ý kiến phải "
                       "giải quyết (trừ ý kiến đã trả lời xong tại hội nghị); tính đến date_to "
                       "(hoặc hôm nay nếu sớm hơn)."})
    unit = fields.Integer(validate=Range(min=NO_UNIT, max=MAX_INTEGER), metadata={
        "description": "Đơn vị xử lý; 0: chưa giao đơn vị nào."})
    device = _text(32, "Mã máy đã gửi ý kiến.")
    # ISO is the documented form; dd/mm/yyyy, as an officer types it in the URL, is taken too.
    date_from = Day(metadata={
        "description": "Nhận từ ngày (received_on, gồm cả ngày này), dạng 2026-12-01."})
    date_to = Day(metadata={"description": "Nhận đến ngày (gồm cả ngày này), dạng 2026-12-31."})
    q = _text(200, 'Từ cần tìm, không phân biệt dấu và hoa thường ("duong" tìm ra "đường"); '
                   'mỗi từ ở nội dung ý kiến hoặc ở tên bản/thôn ("na lo" tìm ra ý kiến của '
                   'Bản Nà Lò).')
    new = fields.Boolean(load_default=False, metadata={
        "description": "Chỉ ý kiến mới từ lần xem hộp thư trước."})
    sort = fields.String(load_default="newest", validate=OneOf(SORTS))
    page = fields.Integer(load_default=1, validate=Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=Range(min=1, max=MAX_PER_PAGE))


def _column_field(column) -> fields.Field:
    """Return the marshmallow field that dumps one office column."""
    kind = type(column.type)
    nullable = bool(column.nullable)
    if kind is Uuid:
        return fields.UUID(allow_none=nullable)
    if kind is DateTime:
        return UtcDateTime(allow_none=nullable)
    if kind is Date:
        return fields.Date(allow_none=nullable)
    if kind is Boolean:
        return fields.Boolean(allow_none=nullable)
    if issubclass(kind, (Integer, BigInteger)):
        return fields.Integer(allow_none=nullable)
    return fields.String(allow_none=nullable)


# Never sent: the search column is a copy of what is sent, without diacritics.
HIDDEN_COLUMNS = ("folded", "raiser_folded", "search_words")
OfficeOpinionSchema = Schema.from_dict({
    **{column.name: _column_field(column) for column in OfficeOpinion.__table__.columns
       if column.name not in HIDDEN_COLUMNS},
    "id": fields.UUID(metadata={"description": "UUID do máy bản tạo (giữ nguyên ở văn phòng)."}),
    "village_name": fields.String(allow_none=True),
    "unit_name": fields.String(allow_none=True),
    "identity_protected": fields.Boolean(metadata={
        "description": "Tố cáo: họ tên, số điện thoại của người tố cáo không bao giờ được gửi."}),
}, name="OfficeOpinion")

inbox_query_schema = InboxQuerySchema()
office_opinion_schema = OfficeOpinionSchema()
