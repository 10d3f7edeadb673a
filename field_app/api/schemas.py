"""marshmallow schemas of the JSON API, one module-level instance per variant.

Schemas check shapes and types (and refuse unknown fields); the domain
functions check the rules (attendance adds up, the village exists…), so a
rule lives in one place whichever way a record arrives.
"""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

from flask import url_for
from flask_babel import gettext as _
from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_dump,
    validate,
    validates_schema,
)
from werkzeug.datastructures import FileStorage

from sync.records import SCHEMAS as WIRE_SCHEMAS
from sync.records import TEXT_PATTERN, NoControl

from ..areas.models import VILLAGE_KINDS
from ..dates import parse_day
from ..forums.logic import FORUM_FIELDS
from ..forums.models import FORUM_KINDS, STATUSES
from ..opinions.logic import IDENTITY_FIELDS, OPINION_FIELDS
from ..opinions.models import CHANNELS, GENDERS, LEVELS, OPINION_KINDS, SOURCE_ORGS
from ..rules import max_length
from .errors import DAY_MESSAGE

# Meeting times are wall-clock times in Vietnam, stored without an offset.
# Vietnam keeps UTC+7 all year; a fixed offset needs no tz database (Windows has none).
VIETNAM = timezone(timedelta(hours=7), "ICT")
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000_000


class OneOf(validate.OneOf):
    """`validate.OneOf` answering in the user's language, listing the choices."""

    def _format_error(self, value) -> str:
        return _("Giá trị không hợp lệ; hãy chọn một trong: %(choices)s.",
                 choices=self.choices_text)


class Range(validate.Range):
    """`validate.Range` (integers) answering in the user's language, naming the limits."""

    def _format_error(self, value, message: str) -> str:
        if self.max is None:
            return _("Phải từ %(min)d trở lên.", min=self.min)
        return _("Phải từ %(min)d đến %(max)d.", min=self.min, max=self.max)


class UtcDateTime(fields.DateTime):
    """A UTC time stored naive; sent with its offset so no client has to guess."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


# A meeting time as the API sends it back and as clients should send it: ISO 8601
# without an offset (format "date-time-local" of the OpenAPI format registry), the form
# of `datetime.isoformat()` and of the browser's datetime-local input.
LOCAL_DATETIME_PATTERN = (r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                          r"T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$")


class LocalDateTime(fields.NaiveDateTime):
    """A meeting time: Vietnam wall-clock, stored and sent without an offset.

    Sent naive, as the form's datetime-local input and the sync records carry
    it: Vietnam has one offset all year, so an offset would say nothing, and
    the laptop would have to strip it again. One sent with an offset is
    converted to Vietnam time.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except OverflowError:  # 9999-12-31T23:00-05:00 is past year 9999 in Vietnam
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None


class Day(fields.Date):
    """A day: ISO 8601 (the documented form, a date input's), or dd/mm/yyyy as typed."""

    default_error_messages = {"invalid": DAY_MESSAGE}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return parse_day(value)
        except ValueError:
            raise self.make_error("invalid") from None


def local_datetime(**kwargs) -> fields.NaiveDateTime:
    """Return a field for a meeting time: Vietnam wall-clock, ISO 8601."""
    return LocalDateTime(timezone=VIETNAM, metadata={
        "description": "Giờ Việt Nam (UTC+7), ISO 8601 không kèm múi giờ; giờ gửi kèm múi "
                       "giờ vẫn được nhận và đổi sang giờ Việt Nam.",
        "pattern": LOCAL_DATETIME_PATTERN, "example": "2026-11-20T08:00:00"}, **kwargs)


def text(**kwargs) -> fields.String:
    return fields.String(allow_none=True, **kwargs)


def count(**kwargs) -> fields.Integer:
    # strict: "64" is a string, not a count; the laptop shows the type error.
    return fields.Integer(strict=True, allow_none=True, **kwargs)


def choice(values, **kwargs) -> fields.String:
    return fields.String(allow_none=True, validate=OneOf(values), **kwargs)


class ApiSchema(Schema):
    """The base of every API schema: unknown fields are refused, not dropped."""

    class Meta:
        unknown = RAISE


class RecordSchema(ApiSchema):
    """A record with a client-made UUID and the server's times."""

    id = fields.UUID(metadata={
        "description": "UUID do máy khách tạo; gửi lại cùng id thì bản ghi chỉ lưu một lần."})
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class VillageSchema(RecordSchema):
    commune_code = fields.Integer(dump_only=True)
    name = fields.String(required=True, metadata={"example": "Bản Nà Lò"})
    kind = choice(VILLAGE_KINDS, metadata={
        "description": "Đoán theo tên (Bản…, Thôn…, Tiểu khu…) nếu bỏ trống."})
    households = count()


class DecisionSchema(RecordSchema):
    position = fields.Integer()
    text = fields.String()
    votes_for = count()
    votes_against = count()
    votes_abstain = count()


class AmendmentSchema(ApiSchema):
    """A change made after the minutes were finalised, with the old value."""

    id = fields.UUID()
    target = fields.String()
    target_id = fields.UUID()
    field = fields.String()
    old_value = text()
    new_value = text()
    reason = fields.String()
    author = fields.String()
    created_at = UtcDateTime()


class AmendmentRequestSchema(ApiSchema):
    """Why and by whom finalised minutes are changed."""

    reason = fields.String(required=True)
    author = fields.String(required=True)


class ForumSchema(RecordSchema):
    kind = choice(FORUM_KINDS, metadata={"description": "Mặc định: listening."})
    village_id = fields.UUID(required=True)
    title = text()
    started_at = local_datetime(required=True)
    ended_at = local_datetime(allow_none=True)
    venue = text()
    chair = text()
    secretary = text()
    officials_present = text()
    attendance_total = count()
    attendance_women = count()
    attendance_ethnic_minority = count()
    households_represented = count()
    agenda = text()
    summary = text()
    status = fields.String(dump_only=True, metadata={"enum": list(STATUSES)})
    finalised_at = UtcDateTime(dump_only=True, allow_none=True)
    decisions = fields.List(fields.Nested(DecisionSchema), dump_only=True)
    amendments = fields.List(fields.Nested(AmendmentSchema), dump_only=True)


class ForumPatchSchema(ForumSchema):
    amendment = fields.Nested(AmendmentRequestSchema, load_only=True, metadata={
        "description": "Bắt buộc khi biên bản đã chốt: thay đổi được ghi thành đính chính."})


class ForumQuerySchema(ApiSchema):
    village_id = fields.UUID()
    status = fields.String(validate=OneOf(STATUSES))


class OpinionSchema(RecordSchema):
    forum_id = fields.UUID(allow_none=True, metadata={
        "description": "Hội nghị nơi ý kiến được nêu; bỏ trống nếu nhận ngoài hội nghị."})
    village_id = fields.UUID(allow_none=True, metadata={
        "description": "Bắt buộc khi không có forum_id; có forum_id thì lấy bản của hội nghị."})
    position = fields.Integer(dump_only=True)
    kind = choice(OPINION_KINDS)
    channel = choice(CHANNELS)
    source_org = choice(SOURCE_ORGS)
    anonymous = fields.Boolean()
    raiser_name = text()
    raiser_gender = choice(GENDERS)
    raiser_phone = text()
    on_behalf_households = count()
    category_code = text(metadata={"description": "Mã lĩnh vực (GET /api/v1/categories)."})
    content = fields.String(required=True)
    level = choice(LEVELS)
    answered_on_spot = fields.Boolean()
    spot_answer_by = text()
    spot_answer = text()
    needs_follow_up = fields.Boolean(allow_none=True)
    received_on = Day(allow_none=True, metadata={
        "description": "Ngoài hội nghị: ngày tiếp nhận (không sau hôm nay, giờ Việt Nam); "
                       "ISO 8601 (2026-11-20), dd/mm/yyyy cũng được nhận."})
    identity_protected = fields.Boolean(dump_only=True, metadata={
        "description": "Tố cáo: danh tính người nêu được giữ bí mật; tên, giới tính và điện "
                       "thoại không bao giờ được gửi ra (null)."})

    @post_dump(pass_original=True)
    def hide_denouncer(self, data, original, **kwargs):
        """Never send a denouncer's identity (Luật Tố cáo 2018, Art. 8 and 47)."""
        if getattr(original, "identity_protected", False):
            data.update({name: None for name in IDENTITY_FIELDS if name in data})
        return data


class OpinionPatchSchema(OpinionSchema):
    amendment = fields.Nested(AmendmentRequestSchema, load_only=True, metadata={
        "description": "Bắt buộc khi biên bản của hội nghị đã chốt."})


class OpinionQuerySchema(ApiSchema):
    q = fields.String(load_default="", metadata={
        "description": "Từ cần tìm; không phân biệt dấu, hoa thường (\"duong\" tìm ra "
                       "\"đường\")."})
    village_id = fields.UUID()
    forum_id = fields.UUID()
    kind = fields.String(validate=OneOf(OPINION_KINDS))
    category_code = fields.String()
    follow_up = fields.Boolean()
    # Bounded: the page's offset must fit the database's integer (a 500 before).
    page = fields.Integer(load_default=1, validate=Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(validate=Range(min=1, max=MAX_PER_PAGE))


class OpinionPageSchema(ApiSchema):
    items = fields.List(fields.Nested(OpinionSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class CategorySchema(ApiSchema):
    code = fields.String()
    name = fields.String()
    position = fields.Integer()
    active = fields.Boolean(metadata={
        "description": "false: không dùng cho ý kiến mới, còn trên các ý kiến cũ."})


class AttachmentSchema(RecordSchema):
    sha256 = fields.String()
    mime_type = fields.String()
    size = fields.Integer()
    filename = fields.String()
    forum_id = fields.UUID(allow_none=True)
    opinion_id = fields.UUID(allow_none=True)
    content_url = fields.Function(
        lambda attachment: url_for("api.attachment_content", attachment_id=attachment.id),
        metadata={"type": "string", "description": "Nơi tải tệp."})


class AttachmentUploadSchema(ApiSchema):
    """The fields of a multipart attachment upload."""

    id = fields.UUID(metadata={"description": "UUID do máy khách tạo."})
    forum_id = fields.UUID()
    opinion_id = fields.UUID()
    file = fields.Raw(required=True, metadata={
        "type": "string", "format": "binary",
        "description": "Ảnh JPEG, PNG, WebP hoặc tệp PDF."})

    @validates_schema
    def one_owner(self, data, **kwargs):
        if "file" in data and not (isinstance(data["file"], FileStorage)
                                   and data["file"].filename):
            raise ValidationError({"file": [_("Hãy chọn một tệp để đính kèm.")]})
        if ("forum_id" in data) == ("opinion_id" in data):
            message = _("Tệp phải gắn với một hội nghị hoặc một ý kiến (không phải cả hai).")
            raise ValidationError({"forum_id": [message], "opinion_id": [message]})


class ErrorSchema(ApiSchema):
    """The one error body of the API."""

    status = fields.Integer(metadata={"example": 422})
    code = fields.String(metadata={
        "description": "Mã ổn định để máy khách rẽ nhánh.", "example": "validation_failed"})
    message = fields.String(metadata={"description": "Lời nhắn cho người dùng (tiếng Việt)."})
    details = fields.Dict(metadata={
        "description": "Lỗi theo từng trường: {trường: lời nhắn} hoặc {trường: [lời nhắn]}."})


def listing(schema: type[Schema], name: str) -> Schema:
    """Return a schema instance dumping {"items": [...]}, named `name` in the docs."""
    return ApiSchema.from_dict({"items": fields.List(fields.Nested(schema))}, name=name)()


def document_wire_rules(schema: type[Schema], collection: str) -> None:
    """Show the wire's text rules (length, no control character) in the API's document.

    The domain checks them against the wire schema (field_app/rules.py); this
    only says so in the OpenAPI description, from the same schema.
    """
    wire = WIRE_SCHEMAS[collection].fields
    for name, field in schema._declared_fields.items():
        rules = wire[name].validators if name in wire else []
        if type(field) is fields.String and any(isinstance(rule, NoControl) for rule in rules):
            most = max_length(collection, name)
            field.metadata = {**field.metadata, "pattern": TEXT_PATTERN,
                              **({"maxLength": most} if most else {})}


for _schema, _collection in ((VillageSchema, "village"), (ForumSchema, "forum"),
                             (DecisionSchema, "decision"), (AmendmentRequestSchema, "amendment"),
                             (OpinionSchema, "opinion")):
    document_wire_rules(_schema, _collection)


village_schema = VillageSchema()
villages_schema = listing(VillageSchema, "VillageList")
village_create_schema = VillageSchema()

forum_schema = ForumSchema()
forums_schema = listing(ForumSchema, "ForumList")
forum_create_schema = ForumSchema()
# Partial on the forum's own fields only: an amendment still needs reason and author.
forum_patch_schema = ForumPatchSchema(partial=FORUM_FIELDS, exclude=("id",))
forum_query_schema = ForumQuerySchema()

opinion_schema = OpinionSchema()
opinions_schema = OpinionPageSchema()
opinion_create_schema = OpinionSchema()
# An opinion does not move between forums: forum_id is not patchable.
opinion_patch_schema = OpinionPatchSchema(partial=OPINION_FIELDS, exclude=("id", "forum_id"))
opinion_query_schema = OpinionQuerySchema()

categories_schema = listing(CategorySchema, "CategoryList")

attachment_schema = AttachmentSchema()
attachment_upload_schema = AttachmentUploadSchema()

error_schema = ErrorSchema()
