"""Record formats on the wire: one marshmallow schema per collection, both ends.

A record travels as ``{"c": collection, "id": uuid, "seq": n, "hlc": stamp,
"op": "put"|"delete", "data": {...}}``. `data` holds the field-owned values
(what was said at the meeting). Fields this version does not know are kept
as they are: a newer laptop talking to an older server loses nothing.

The choices below are the protocol's vocabulary; the field app's models use
the same tuples so both ends agree on what a valid record is.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, missing, validate

VILLAGE_KINDS = ("ban", "thon", "tieu_khu", "ap", "to_dan_pho")
FORUM_KINDS = (
    "listening",  # Chính quyền lắng nghe ý kiến Nhân dân
    "chairman_dialogue",  # Chủ tịch UBND xã đối thoại định kỳ
    "saturday",  # Ngày thứ Bảy về với Nhân dân
    "tea_coffee",  # Trà đá, cà phê cùng chính quyền
    "village_meeting",  # Hội nghị thôn, bản
    "voters",  # Tiếp xúc cử tri
    "other",
)
FORUM_STATUSES = ("draft", "finalised")
OPINION_KINDS = ("opinion", "petition", "feedback", "complaint", "denunciation")
# E-mail and Facebook: seed 001 names both as feedback channels.
CHANNELS = ("forum", "mttq", "mailbox", "direct", "phone", "zalo", "email", "facebook", "other")
SOURCE_ORGS = ("farmers_union", "womens_union", "youth_union", "veterans", "citizen")
LEVELS = ("village", "commune", "province", "central", "sector")
GENDERS = ("female", "male", "other")
# Workflow of an opinion at the central office (centrally owned).
WORKFLOW_STATUSES = ("received", "forwarded", "in_progress", "answered", "closed")
# Whether the citizen is satisfied with the office's answer, asked when it is read out at
# the next forum: satisfied, not satisfied, or not present to say.
SATISFACTIONS = ("satisfied", "unsatisfied", "absent")

OPS = ("put", "delete")
MAX_TEXT = 10_000
# Meeting times a laptop can honestly hold: a forum "in the year 10" is a typing slip.
EARLIEST = datetime(2000, 1, 1)
LATEST = datetime(2100, 12, 31, 23, 59, 59)

# C0 and C1 control characters other than tab, newline and carriage return (a Windows
# textarea sends CR LF), and lone surrogates: PostgreSQL cannot store NUL or surrogates,
# and none of them is ever typed on purpose.
CONTROL_CLASS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
CONTROL = re.compile(f"[{CONTROL_CLASS}\\ud800-\\udfff]")
# The same rule as a JSON Schema pattern, for the OpenAPI documents (a lone surrogate
# is no Unicode text at all: a pattern cannot name it).
TEXT_PATTERN = f"^[^{CONTROL_CLASS}]*$"
CONTROL_MESSAGE = "Contains a control character."


class NoControl(validate.Validator):
    """Refuse text holding a control character or a lone surrogate."""

    error = CONTROL_MESSAGE

    def __call__(self, value: str) -> str:
        if CONTROL.search(value):
            raise ValidationError(self.error)
        return value


NO_CONTROL = NoControl()


def _text(size: int = 200, required: bool = False) -> fields.String:
    return fields.String(required=required, allow_none=not required,
                         validate=[validate.Length(max=size), NO_CONTROL],
                         metadata={"pattern": TEXT_PATTERN})


def _when(required: bool = False) -> fields.NaiveDateTime:
    return fields.NaiveDateTime(required=required, allow_none=not required,
                                validate=validate.Range(EARLIEST, LATEST))


def _count() -> fields.Integer:
    return fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, 10_000_000))


def _choice(values, required: bool = False) -> fields.String:
    return fields.String(required=required, allow_none=not required,
                         validate=validate.OneOf(values))


def _ref(required: bool = False) -> fields.UUID:
    return fields.UUID(required=required, allow_none=not required)


class RecordData(Schema):
    """What every record has; unknown fields are kept, not refused or dropped."""

    class Meta:
        unknown = INCLUDE

    created_at = fields.NaiveDateTime(allow_none=True)
    updated_at = fields.NaiveDateTime(allow_none=True)


class VillageData(RecordData):
    commune_code = fields.Integer(strict=True, required=True)
    kind = _choice(VILLAGE_KINDS)
    name = _text(120, required=True)
    households = _count()


class ForumData(RecordData):
    kind = _choice(FORUM_KINDS, required=True)
    village_id = _ref(required=True)
    title = _text()
    started_at = _when(required=True)
    ended_at = _when()
    venue = _text()
    chair = _text(120)
    secretary = _text(120)
    officials_present = _text(MAX_TEXT)
    attendance_total = _count()
    attendance_women = _count()
    attendance_ethnic_minority = _count()
    households_represented = _count()
    agenda = _text(MAX_TEXT)
    summary = _text(MAX_TEXT)
    status = _choice(FORUM_STATUSES, required=True)
    finalised_at = fields.NaiveDateTime(allow_none=True)


class DecisionData(RecordData):
    forum_id = _ref(required=True)
    position = fields.Integer(strict=True, allow_none=True)
    text = _text(MAX_TEXT, required=True)
    votes_for = _count()
    votes_against = _count()
    votes_abstain = _count()


class AmendmentData(RecordData):
    forum_id = _ref(required=True)
    target = _choice(("forum", "opinion", "decision"), required=True)
    target_id = _ref(required=True)
    field = _text(60, required=True)
    old_value = _text(MAX_TEXT)
    new_value = _text(MAX_TEXT)
    reason = _text(MAX_TEXT, required=True)
    author = _text(120, required=True)


class OpinionData(RecordData):
    kind = _choice(OPINION_KINDS, required=True)
    channel = _choice(CHANNELS, required=True)
    source_org = _choice(SOURCE_ORGS)
    forum_id = _ref()
    village_id = _ref(required=True)
    position = fields.Integer(strict=True, allow_none=True)
    anonymous = fields.Boolean(allow_none=True)
    raiser_name = _text(120)
    raiser_gender = _choice(GENDERS)
    raiser_phone = _text(20)
    on_behalf_households = _count()
    category_code = _text(40, required=True)
    category_name = _text(120)
    content = _text(MAX_TEXT, required=True)
    level = _choice(LEVELS, required=True)
    answered_on_spot = fields.Boolean(allow_none=True)
    spot_answer_by = _text(120)
    spot_answer = _text(MAX_TEXT)
    needs_follow_up = fields.Boolean(allow_none=True)
    # Outside forums (MTTQ intake): the day it reached the Front or the commune. Optional,
    # so an older laptop's records (without it) stay valid.
    received_on = fields.Date(allow_none=True, validate=validate.Range(EARLIEST.date(),
                                                                       LATEST.date()))
    # The citizen's satisfaction with the office's answer, recorded where it was read out:
    # when, at which forum (none: outside one), and the office account that recorded it
    # (none: the village). Field-owned, and correctable by the office (CORRECTABLE).
    # Optional, so an older laptop's records (without them) stay valid.
    satisfaction = _choice(SATISFACTIONS)
    satisfaction_at = _when()
    satisfaction_forum_id = _ref()
    satisfaction_by = _text(120)


class AttachmentData(RecordData):
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    mime_type = _text(60, required=True)
    size = fields.Integer(strict=True, required=True, validate=validate.Range(1, 1 << 34))
    filename = _text(200, required=True)
    forum_id = _ref()
    opinion_id = _ref()


class CentralOpinion(Schema):
    """The centrally owned part of an opinion, sent back to the laptops."""

    class Meta:
        unknown = INCLUDE

    status = _choice(WORKFLOW_STATUSES)
    responsible_unit = _text(200)
    due_date = fields.Date(allow_none=True)
    answer_text = _text(MAX_TEXT)
    answer_by = _text(120)
    answer_date = fields.Date(allow_none=True)
    answer_doc_number = _text(60)
    merged_into = _ref()
    # An answer given after `due_date` (seed 003): the head of the unit's explanation and
    # the apology to the citizen (when, how, by whom), read out with the answer.
    late_explanation = _text(MAX_TEXT)
    late_explained_by = _text(120)
    apology_on = fields.Date(allow_none=True)
    apology_how = _text(200)
    apology_by = _text(120)


class CentralVillage(Schema):
    """The centrally owned part of a village: the office merged it into another one."""

    class Meta:
        unknown = INCLUDE

    merged_into = _ref()
    # Shown on a laptop that does not hold the kept village ("đã gộp vào Bản Nà Lò").
    merged_into_name = _text(120)


class CategoryEntry(Schema):
    """One category (lĩnh vực) of the commune's list, as a pull carries it to the laptops."""

    class Meta:
        unknown = INCLUDE

    code = fields.String(required=True, validate=[validate.Length(min=1, max=40),
                                                  validate.Regexp(r"^[a-z0-9_]+$")])
    name = _text(120, required=True)
    position = fields.Integer(strict=True, required=True, validate=validate.Range(0, 1 << 30))
    active = fields.Boolean(required=True)


# Collections in the order parents come before children.
SCHEMAS: dict[str, Schema] = {
    "village": VillageData(),
    "forum": ForumData(),
    "decision": DecisionData(),
    "amendment": AmendmentData(),
    "opinion": OpinionData(),
    "attachment": AttachmentData(),
}
COLLECTIONS = tuple(SCHEMAS)
# Collections in parent-first order: each record's rank in a batch.
RANK = {name: rank for rank, name in enumerate(COLLECTIONS)}
# The most records one push (or one part of a USB bundle) may carry.
MAX_RECORDS_PER_BATCH = 5000
# Which field names a record's parent: scope is checked through it.
PARENTS: dict[str, tuple[str, ...]] = {
    "village": (),
    "forum": ("village_id",),
    "decision": ("forum_id",),
    "amendment": ("forum_id",),
    "opinion": ("village_id", "forum_id"),
    "attachment": ("opinion_id", "forum_id"),
}
central_opinion_schema = CentralOpinion()
central_village_schema = CentralVillage()
category_entry_schema = CategoryEntry()
CENTRAL_FIELDS = {"opinion": tuple(central_opinion_schema.fields),
                  "village": tuple(central_village_schema.fields)}
# Field-owned values the office may correct (reclassify). Both sides can then change
# the same field: the newer HLC wins and the other value is kept as a conflict.
# The citizen's satisfaction is recorded by either side the same way: the last recording wins.
SATISFACTION_FIELDS = ("satisfaction", "satisfaction_at", "satisfaction_forum_id",
                       "satisfaction_by")
CORRECTABLE = {"opinion": ("kind", "category_code", "category_name", "level",
                           *SATISFACTION_FIELDS)}

# --- a fast path for records that are plainly valid ----------------------------------------
#
# marshmallow takes ~35 µs a record; the central must ingest tens of thousands a
# second. Each schema is compiled once into plain checks that only ever ACCEPT
# values marshmallow accepts too; anything they are unsure of (a missing field,
# a "true" string for a boolean…) goes to marshmallow, which stays the judge
# and writes the message.

# \Z, not $: "$" also matches before a final new line, which marshmallow's UUID refuses.
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
                   r"-[0-9a-fA-F]{12}\Z")
Check = Callable[[Any], bool]


def _parses(parse: Callable[[str], Any]) -> Check:
    def check(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            parse(value)
        except ValueError:
            return False
        return True
    return check


# Python's fromisoformat takes forms marshmallow refuses (2026-W47-5, 20261120T08…):
# only the plain form goes the fast way.
_PLAIN_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
_PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _naive_datetime(value: str) -> datetime:
    if not _PLAIN_DATETIME.match(value):
        raise ValueError(value)
    return datetime.fromisoformat(value)


def _plain_date(value: str) -> date:
    if not _PLAIN_DATE.match(value):
        raise ValueError(value)
    return date.fromisoformat(value)


def _rule_check(rule: Callable[[Any], Any], convert: Callable[[Any], Any]) -> Check:
    """Return a check for one marshmallow validator of the kinds the schemas use.

    `convert` turns the wire value into what the validator compares (a datetime
    for a datetime field); it is only called on values the field's type accepts.
    """
    if isinstance(rule, validate.Length) and rule.min is None and rule.equal is None \
            and rule.max is not None:
        most: int = rule.max
        return lambda value: len(value) <= most
    if isinstance(rule, validate.OneOf):
        allowed = frozenset(rule.choices)
        return lambda value: value in allowed
    if isinstance(rule, validate.Range) and rule.min_inclusive and rule.max_inclusive:
        low, high = rule.min, rule.max
        return lambda value: low <= convert(value) <= high
    if isinstance(rule, validate.Regexp):
        pattern = rule.regex
        return lambda value: bool(pattern.match(value))
    if isinstance(rule, NoControl):
        return lambda value: not CONTROL.search(value)
    raise TypeError(f"no fast check for {rule!r}; add one")


def _fused_check(field: fields.Field) -> Check | None:
    """Return one check for the common field shapes (None, type and rules in a single call),
    or None: `fast_check` then composes the general checks of `_field_check`.

    The same rules as the general checks, spelled out: one call per field, not three or four.
    """
    rules: list[Any] = list(field.validators)
    kinds = [type(rule) for rule in rules]
    search = CONTROL.search
    nullable = field.allow_none
    if type(field) is fields.String:
        if kinds == [validate.Length, NoControl] and rules[0].min is None \
                and rules[0].equal is None and rules[0].max is not None:
            most: int = rules[0].max
            if nullable:
                return lambda value: value is None or (
                    type(value) is str and len(value) <= most and not search(value))
            return lambda value: type(value) is str and len(value) <= most \
                and not search(value)
        if kinds == [validate.OneOf]:
            allowed = frozenset(rules[0].choices)
            if nullable:
                return lambda value: value is None or (type(value) is str and value in allowed)
            return lambda value: type(value) is str and value in allowed
    if isinstance(field, fields.UUID) and not rules:
        uuid_match = _UUID.match
        if nullable:
            return lambda value: value is None or (
                type(value) is str and uuid_match(value) is not None)
        return lambda value: type(value) is str and uuid_match(value) is not None
    if isinstance(field, fields.Integer) and field.strict:
        if not rules:
            if nullable:
                return lambda value: value is None or type(value) is int
            return lambda value: type(value) is int
        if kinds == [validate.Range] and rules[0].min_inclusive and rules[0].max_inclusive \
                and rules[0].min is not None and rules[0].max is not None:
            low, high = rules[0].min, rules[0].max
            if nullable:
                return lambda value: value is None or (type(value) is int
                                                       and low <= value <= high)
            return lambda value: type(value) is int and low <= value <= high
    if isinstance(field, fields.Boolean) and not rules:
        if nullable:
            return lambda value: value is None or type(value) is bool
        return lambda value: type(value) is bool
    return None


def _field_check(field: fields.Field) -> Check:
    """Return a check accepting only values this marshmallow field surely accepts."""
    convert: Callable[[Any], Any] = lambda value: value  # noqa: E731
    # UUID is a kind of String in marshmallow: test it first.
    if isinstance(field, fields.UUID):
        base: Check = lambda value: isinstance(value, str) and bool(_UUID.match(value))  # noqa: E731
    elif type(field) is fields.String:
        base = lambda value: isinstance(value, str)  # noqa: E731
    elif isinstance(field, fields.Integer) and field.strict:
        base = lambda value: type(value) is int  # noqa: E731
    elif isinstance(field, fields.Boolean):
        base = lambda value: type(value) is bool  # noqa: E731
    elif isinstance(field, fields.NaiveDateTime):
        base, convert = _parses(_naive_datetime), _naive_datetime
    elif isinstance(field, fields.Date):
        base, convert = _parses(_plain_date), _plain_date
    else:
        raise TypeError(f"no fast check for {type(field).__name__}; add one")
    extra: list[Check] = [_rule_check(rule, convert) for rule in field.validators]

    if not extra:
        return base
    if len(extra) == 1:
        only = extra[0]
        return lambda value: base(value) and only(value)
    return lambda value: base(value) and all(test(value) for test in extra)


def fast_check(schema: Schema) -> Callable[[dict[str, Any]], bool]:
    """Compile `schema` into a function telling whether a record is surely valid."""
    required = frozenset(name for name, field in schema.fields.items()
                         if field.required and not field.dump_only)
    tests: dict[str, Check] = {}
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        test = _fused_check(field)
        if test is None:
            test = _field_check(field)  # None is no str, int, bool…: it refuses None
            if field.allow_none:
                test = lambda value, test=test: value is None or test(value)  # noqa: E731
        tests[name] = test

    def check(data: dict[str, Any]) -> bool:
        if not data.keys() >= required:
            return False
        for name, value in data.items():
            test = tests.get(name)
            if test is not None and not test(value):
                return False  # unknown fields (no test) are kept as sent: see unstorable
        return True
    return check


FAST_CHECKS = {name: fast_check(schema) for name, schema in SCHEMAS.items()}


def validate_record(collection: str, data: dict[str, Any]) -> dict[str, Any]:
    """Return marshmallow's errors for a record's data ({} if valid), fast when plainly valid."""
    if FAST_CHECKS[collection](data):
        return unstorable(collection, data)
    return SCHEMAS[collection].validate(data) or unstorable(collection, data)


def clean_record(collection: str, data: dict[str, Any]) -> tuple[dict[str, Any] | None, dict]:
    """Return (the data as the schema reads it, errors); the data is None when refused.

    What is stored is what the schema loaded ("yes" read as a boolean is stored
    as true), never the raw value; unknown fields are kept as sent.
    """
    if FAST_CHECKS[collection](data):
        # The fast path takes only values already in their loaded, JSON form.
        errors = unstorable(collection, data)
        return (None if errors else data), errors
    return load_record(collection, data)


def load_record(collection: str, data: dict[str, Any]) -> tuple[dict[str, Any] | None, dict]:
    """Return what marshmallow alone makes of a record's data: (data to store, errors),
    as `clean_record` without its fast path."""
    schema = SCHEMAS[collection]
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        return None, exc.normalized_messages()
    errors = unstorable(collection, data)
    if errors:
        return None, errors
    known = schema.fields
    return {**{key: value for key, value in data.items() if key not in known},
            **schema.dump(loaded)}, {}


MAX_DEPTH = 16
UNSTORABLE_MESSAGE = "Not storable."


def _storable(value: Any, depth: int = 0) -> bool:
    kind = type(value)
    if kind is str:
        return not CONTROL.search(value)
    if value is None or kind is bool or kind is int:
        return True
    if kind is float:
        return math.isfinite(value)
    if depth >= MAX_DEPTH:
        return False
    if kind is list:
        return all(_storable(item, depth + 1) for item in value)
    if kind is dict:
        return all(not CONTROL.search(key) and _storable(item, depth + 1)
                   for key, item in value.items())
    return False


def unstorable(collection: str, data: dict[str, Any]) -> dict[str, list[str]]:
    """Return an error for each unknown field no database could store as sent.

    Unknown fields are kept for newer versions, so they escape the schema:
    NUL, a lone surrogate, NaN or a deep nest there would fail PostgreSQL's
    JSONB and, before this check, the whole batch with it.
    """
    unknown = data.keys() - _KNOWN[collection]
    if not unknown:  # the common case: a record of this version's shape
        return {}
    return {CONTROL.sub("?", key)[:60]: [UNSTORABLE_MESSAGE] for key, value in data.items()
            if key in unknown and (CONTROL.search(key) or not _storable(value))}


_KNOWN = {name: frozenset(schema.fields) for name, schema in SCHEMAS.items()}


# marshmallow's messages, said to a village head.
_MESSAGES = {
    "Missing data for required field.": "thiếu (bắt buộc)",
    "Field may not be null.": "không được để trống",
    "Not a valid string.": "phải là chữ",
    "Not a valid integer.": "phải là số nguyên",
    "Not a valid boolean.": "phải là có/không",
    "Not a valid UUID.": "không phải mã UUID",
    "Not a valid datetime.": "không phải ngày giờ hợp lệ",
    "Not a valid date.": "không phải ngày hợp lệ",
    "Must be one of:": "giá trị không hợp lệ",
    "Longer than maximum length": "quá dài",
    "Must be greater than or equal to": "ngoài khoảng cho phép",
    "Must be less than or equal to": "ngoài khoảng cho phép",
    UNSTORABLE_MESSAGE: "không lưu được (ký tự điều khiển, số không hữu hạn hoặc lồng quá sâu)",
    CONTROL_MESSAGE: "có ký tự điều khiển (không in được); hãy xoá ký tự đó",
    "String does not match expected pattern.": "sai định dạng",
}


def said_of(message: Any) -> str:
    """Return one of marshmallow's messages as said to a village head ("quá dài")."""
    return next((vi for en, vi in _MESSAGES.items() if str(message).startswith(en)),
                str(message))


def readable(errors: dict[str, Any]) -> str:
    """Return marshmallow's errors as one Vietnamese sentence naming each field."""
    parts = []
    for name, messages in sorted(errors.items()):
        message = messages[0] if isinstance(messages, list) and messages else str(messages)
        parts.append(f"{name}: {said_of(message)}")
    return "Bản ghi không hợp lệ — " + "; ".join(parts) + "."


def normalise(value: Any) -> Any:
    """Return `value` with every string NFC-normalised (NFD from some keyboards).

    A dict or list comes back as a new one (the caller may change it), strings that
    need no change as they are.
    """
    kind = type(value)
    if kind is str:
        return value if value.isascii() else unicodedata.normalize("NFC", value)
    if kind is dict:
        out = dict(value)
        for key, item in value.items():
            kind = type(item)
            if kind is str:
                if not item.isascii():
                    out[key] = unicodedata.normalize("NFC", item)
            elif kind is dict or kind is list:
                out[key] = normalise(item)
        return out
    if kind is list:
        return [normalise(item) for item in value]
    return value


# --- the fast path, written out as Python functions ----------------------------------------
#
# `normalise` then `clean_record` walk a record three times (copy and NFC, check, look for
# unknown fields) and call a closure per field: ~11 µs an opinion. For the central's ingest,
# each schema is also written out as Python source doing all of it in one pass, each
# field's test inline. A laptop sends its records with the same fields in the same order,
# so a function is written for each such shape seen (up to MAX_SHAPES): it takes the values
# by position, with no look-up, no test for absent fields and no search for unknown ones.
# Either returns the data to store (a normalised copy) or None when unsure: the caller then
# takes the plain path, which stays the judge and writes the message.

# The plain forms of a UUID, a datetime and a date with each hex digit (digit) written 0:
# `value.encode().translate(table) in forms` is a few times faster than the patterns above
# and, for ASCII text, accepts exactly what they do (`_UUID`, or `_PLAIN_DATETIME` and
# `_PLAIN_DATE` without the final new line that fromisoformat then refuses).
_HEX_ZERO = bytes.maketrans(b"123456789abcdefABCDEF", b"0" * 21)
_DIGIT_ZERO = bytes.maketrans(b"123456789", b"0" * 9)
_UUID_FORM = b"00000000-0000-0000-0000-000000000000"
_DATETIME_FORMS = frozenset(b"0000-00-00T00:00:00" + b"." * bool(digits) + b"0" * digits
                            for digits in range(7))
_DATE_FORMS = frozenset({b"0000-00-00"})
# Shapes (field orders) given a function of their own, per collection: a laptop version
# sends a few; past this many (a client sending odd ones) the general function serves.
MAX_SHAPES = 64
_MISSING = object()
FastClean = Callable[[dict[str, Any]], "dict[str, Any] | None"]


def _names() -> dict[str, Any]:
    """Return what the written-out functions refer to by name."""
    return {"M": _MISSING, "nfc": unicodedata.normalize, "search": CONTROL.search,
            "HEX_ZERO": _HEX_ZERO, "DIGIT_ZERO": _DIGIT_ZERO, "UUID_FORM": _UUID_FORM,
            "DATETIME_FORMS": _DATETIME_FORMS, "DATE_FORMS": _DATE_FORMS,
            "datetime_from": datetime.fromisoformat, "date_from": date.fromisoformat,
            "normalise": normalise, "storable": _storable}


def _field_source(name: str, field: fields.Field, v: str, names: dict[str, Any]) -> list[str]:
    """Return lines testing the variable `v` (the value of field `name`, present).

    They store its NFC form in `out` where it differs, and return None wherever the plain
    path might say otherwise. Constants go in `names`, suffixed with `v`.
    """
    rules: list[Any] = list(field.validators)
    kinds = [type(rule) for rule in rules]
    key = repr(name)
    ranged = kinds == [validate.Range] and rules[0].min_inclusive and rules[0].max_inclusive \
        and rules[0].min is not None and rules[0].max is not None
    lines: list[str]
    if type(field) is fields.String and kinds == [validate.Length, NoControl] \
            and rules[0].min is None and rules[0].equal is None and rules[0].max is not None:
        names[f"MOST_{v}"] = rules[0].max
        # isprintable() is C-fast and False for every control character and surrogate.
        lines = [f"if type({v}) is not str: return None",
                 f"if not {v}.isascii():",
                 f"    {v} = out[{key}] = nfc('NFC', {v})",
                 f"if len({v}) > MOST_{v} or not {v}.isprintable() and search({v}): "
                 "return None"]
    elif type(field) is fields.String and kinds == [validate.OneOf] \
            and all(type(choice) is str and choice.isascii() for choice in rules[0].choices):
        # ASCII choices: a value NFC would change is no choice anyway.
        names[f"ALLOWED_{v}"] = frozenset(rules[0].choices)
        lines = [f"if type({v}) is not str or {v} not in ALLOWED_{v}: return None"]
    elif type(field) is fields.UUID and not rules:
        lines = [f"if type({v}) is not str or not {v}.isascii() "
                 f"or {v}.encode().translate(HEX_ZERO) != UUID_FORM: return None"]
    elif type(field) is fields.Integer and field.strict and not rules:
        lines = [f"if type({v}) is not int: return None"]
    elif type(field) is fields.Integer and field.strict and ranged:
        names[f"LOW_{v}"], names[f"HIGH_{v}"] = rules[0].min, rules[0].max
        lines = [f"if type({v}) is not int or not LOW_{v} <= {v} <= HIGH_{v}: return None"]
    elif type(field) is fields.Boolean and not rules:
        lines = [f"if type({v}) is not bool: return None"]
    elif type(field) in (fields.NaiveDateTime, fields.Date) and (ranged or not rules):
        # Only the plain form; a day or month that does not exist raises ValueError: None.
        forms, parse = ("DATETIME_FORMS", "datetime_from") \
            if type(field) is fields.NaiveDateTime else ("DATE_FORMS", "date_from")
        lines = [f"if type({v}) is not str or not {v}.isascii() "
                 f"or {v}.encode().translate(DIGIT_ZERO) not in {forms}: return None"]
        if rules:
            names[f"LOW_{v}"], names[f"HIGH_{v}"] = rules[0].min, rules[0].max
            lines.append(f"if not LOW_{v} <= {parse}({v}) <= HIGH_{v}: return None")
        else:
            lines.append(f"{parse}({v})")
    else:
        # Any other field: its check in `fast_check`, on the NFC text.
        names[f"TEST_{v}"] = _fused_check(field) or _field_check(field)
        return [f"if type({v}) is str:",
                f"    if not {v}.isascii():",
                f"        {v} = out[{key}] = nfc('NFC', {v})",
                f"elif type({v}) is dict or type({v}) is list: return None",
                f"if {f'{v} is not None and ' if field.allow_none else ''}not TEST_{v}({v}): "
                "return None"]
    if field.allow_none:
        lines = [f"if {v} is not None:", *("    " + line for line in lines)]
    return lines


def _function(title: str, body: list[str], names: dict[str, Any]) -> FastClean:
    """Return the function `def fast_clean(data): <body>`; a ValueError in it returns None."""
    source = "\n".join(["def fast_clean(data):", "    try:",
                        *("        " + line for line in body),
                        "    except ValueError:", "        return None"])
    exec(compile(source, f"<fast_clean {title}>", "exec"), names)
    function: FastClean = names["fast_clean"]
    function.source = source  # type: ignore[attr-defined]  # for reading, and the tests
    return function


def _any_shape(schema: Schema) -> FastClean:
    """Return the fast path for records of any shape: each field looked up by name."""
    names = _names()
    names["KNOWN"] = frozenset(schema.fields)
    names["unknowns"] = _normalised_unknowns
    body = ["out = dict(data)", "get = data.get", "n = 0"]
    for at, (name, field) in enumerate(schema.fields.items()):
        body += [f"v{at} = get({name!r}, M)", f"if v{at} is not M:", "    n += 1"]
        body += ["    " + line for line in _field_source(name, field, f"v{at}", names)]
        if field.required:
            body.append("else: return None")
    # Fields this version does not know: kept as sent, if a database can store them.
    body += ["if n != len(data): return unknowns(data, out, KNOWN)", "return out"]
    return _function(type(schema).__name__, body, names)


def _normalised_unknowns(data: dict[str, Any], out: dict[str, Any],
                         known: frozenset[str]) -> dict[str, Any] | None:
    """Normalise the fields `known` does not name into `out`; None if one is not storable."""
    for key, value in data.items():
        if key in known:
            continue
        if type(key) is not str:
            return None  # the plain path says what it says about it
        value = out[key] = normalise(value)
        if CONTROL.search(key) or not _storable(value):
            return None
    return out


def _one_shape(schema: Schema, shape: tuple[Any, ...]) -> FastClean | None:
    """Return the fast path for records whose fields are `shape`, in this order.

    None if it is no shape to remember: a required field missing, or an odd field name.
    """
    known = schema.fields
    if len(shape) > 2 * len(known) or any(
            name not in shape for name, field in known.items() if field.required) or any(
            type(name) is not str or name not in known and (len(name) > 60
                                                            or CONTROL.search(name))
            for name in shape):
        return None
    names = _names()
    values = [f"v{at}" for at in range(len(shape))]
    body = ["out = dict(data)", f"{', '.join(values)}, = data.values()" if shape else ""]
    for name, v in zip(shape, values, strict=True):
        if name in known:
            body += _field_source(name, known[name], v, names)
        else:  # a field this version does not know: kept as sent, if a database can store it
            body += [f"{v} = out[{name!r}] = normalise({v})",
                     f"if not storable({v}): return None"]
    body.append("return out")
    return _function(f"{type(schema).__name__} {len(shape)} fields", body, names)


def compile_fast_clean(schema: Schema) -> FastClean:
    """Write `schema` out as Python: `normalise` then `clean_record`, for plain records.

    The function returns what `clean_record(collection, normalise(data))` would store when
    that is a record, or None when the record is not plainly valid.
    """
    for name, field in schema.fields.items():
        if field.dump_only or field.load_default is not missing or field.data_key \
                or field.attribute:
            raise TypeError(f"no fast path for {name}: add one")
    any_shape = _any_shape(schema)
    shapes: dict[tuple[Any, ...], FastClean] = {}

    def learn(shape: tuple[Any, ...]) -> FastClean:
        # Only shapes worth a function are remembered: odd ones do not crowd them out.
        clean = _one_shape(schema, shape) if len(shapes) < MAX_SHAPES else None
        if clean is None:
            return any_shape
        shapes[shape] = clean
        return clean

    def fast_clean(data: dict[str, Any]) -> dict[str, Any] | None:
        shape = tuple(data)
        return (shapes.get(shape) or learn(shape))(data)

    fast_clean.shapes = shapes  # type: ignore[attr-defined]  # for the tests
    fast_clean.any_shape = any_shape  # type: ignore[attr-defined]
    return fast_clean


FAST_CLEAN = {name: compile_fast_clean(schema) for name, schema in SCHEMAS.items()}

