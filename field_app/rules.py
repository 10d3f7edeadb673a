"""One set of field rules: the wire's schemas (`sync/records.py`), applied at entry.

A value the laptop stores must never be refused later by the central for its
shape: the forms, the JSON API and the domain functions all check what they
keep against the very schema the central judges it by, and the outbox's
flush hook checks every record it logs once more. Limits shown in forms
(`maxlength`) come from the same schema.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from marshmallow import fields, validate

from sync.records import CONTROL_MESSAGE, EARLIEST, LATEST, SCHEMAS, validate_record


def plain(value: Any) -> Any:
    """Return `value` as it travels in JSON (UUIDs and times as ISO text)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def max_length(collection: str, name: str) -> int | None:
    """Return the most characters the wire takes in this field (None: no limit)."""
    for rule in SCHEMAS[collection].fields[name].validators:
        if isinstance(rule, validate.Length) and rule.max is not None:
            return rule.max
    return None


def length_attrs(collection: str, name: str) -> dict[str, int]:
    """Return `render_kw` giving a form field the wire's `maxlength`."""
    most = max_length(collection, name)
    return {"maxlength": most} if most is not None else {}


def _message(collection: str, name: str, raw: Any, value: Any = None) -> str:
    """Say one marshmallow error of the wire schema to a village head."""
    text = str(raw[0] if isinstance(raw, list) and raw else raw)
    if text.startswith("Longer than maximum length"):
        if isinstance(value, str):
            # Said with the length typed: a paste is refused whole, never cut.
            return _("Quá dài (tối đa %(n)d ký tự): đang có %(got)d ký tự. Nội dung chưa "
                     "được lưu và không bị cắt bớt; hãy rút gọn rồi lưu lại.",
                     n=max_length(collection, name) or 0, got=len(value))
        return _("Quá dài (tối đa %(n)d ký tự).", n=max_length(collection, name) or 0)
    if text == CONTROL_MESSAGE:
        return _("Có ký tự điều khiển (không in được, ví dụ do dán từ tệp khác); "
                 "hãy xoá ký tự đó.")
    if text.startswith(("Must be greater than", "Must be less than")):
        if isinstance(SCHEMAS[collection].fields.get(name), fields.NaiveDateTime):
            return _("Ngày giờ phải trong khoảng năm %(start)d đến %(end)d.",
                     start=EARLIEST.year, end=LATEST.year)
        return _("Ngoài khoảng cho phép.")
    if text.startswith("Missing data"):
        return _("Ô này bắt buộc.")
    return _("Giá trị không hợp lệ.")


def wire_errors(collection: str, values: dict[str, Any], whole: bool = False) -> dict[str, str]:
    """Return, by field, what the central would refuse in `values` (empty if nothing).

    `whole`: `values` is a complete record as it goes on the wire; otherwise only
    the fields given are judged.
    """
    data = {name: plain(value) for name, value in values.items()
            if name in SCHEMAS[collection].fields}
    if whole:
        errors = validate_record(collection, data)
    else:
        errors = SCHEMAS[collection].validate(data, partial=True)
    return {name: _message(collection, name, raw, data.get(name))
            for name, raw in errors.items()}

