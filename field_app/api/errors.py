"""marshmallow's refusals as the app's 422, with its messages in the user's language.

Every error still answers the one shape of `field_app.errors`:
``{"status", "code", "message", "details"}``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from ..errors import ValidationFailed

# The refusal of a day (api/schemas.Day), which takes the Vietnamese form as well.
DAY_MESSAGE = "Not a valid day (dd/mm/yyyy or yyyy-mm-dd)."

# marshmallow ships no Vietnamese: its built-in messages are mapped here, as
# field_app/forms.py does for WTForms.
MARSHMALLOW_MESSAGES = {
    "Missing data for required field.": _l("Ô này bắt buộc."),
    "Field may not be null.": _l("Ô này không được để trống (null)."),
    "Invalid value.": _l("Giá trị không hợp lệ."),
    "Unknown field.": _l("Trường này không được chấp nhận."),
    "Invalid input type.": _l("Dữ liệu phải là một đối tượng JSON ({...})."),
    "Invalid type.": _l("Phải là một đối tượng JSON ({...})."),
    "Not a valid mapping type.": _l("Phải là một đối tượng JSON ({...})."),
    "Not a valid list.": _l("Phải là một danh sách."),
    "Not a valid string.": _l("Phải là chuỗi ký tự."),
    "Not a valid utf-8 string.": _l("Phải là chuỗi ký tự UTF-8."),
    "Not a valid UUID.": _l("Mã định danh (UUID) không hợp lệ."),
    "Not a valid number.": _l("Phải là số."),
    "Number too large.": _l("Số quá lớn."),
    "Not a valid integer.": _l("Phải là số nguyên."),
    "Not a valid boolean.": _l("Phải là true hoặc false."),
    "Not a valid datetime.": _l("Ngày giờ không hợp lệ (dạng ISO 8601, ví dụ "
                                "2026-11-20T08:00:00)."),
    "Not a valid naive datetime.": _l("Ngày giờ không hợp lệ (dạng ISO 8601, ví dụ "
                                      "2026-11-20T08:00:00)."),
    "Not a valid date.": _l("Ngày không hợp lệ (dạng ISO 8601, ví dụ 2026-11-20)."),
    DAY_MESSAGE: _l("Ngày không hợp lệ: hãy gõ dạng ngày/tháng/năm, ví dụ 05/12/2026, "
                    "hoặc năm-tháng-ngày, ví dụ 2026-12-05."),
}
UNKNOWN = "Unknown field."


def translate(messages: Any) -> Any:
    """Return marshmallow's messages (nested dicts and lists) in the user's language."""
    if isinstance(messages, dict):
        return {key: translate(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [translate(value) for value in messages]
    if isinstance(messages, str):
        return str(MARSHMALLOW_MESSAGES.get(messages, messages))
    return messages


def unknown_fields(messages: Any, prefix: str = "") -> list[str]:
    """Return the dotted names of the fields marshmallow refused as unknown."""
    found = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}{key}"
            if isinstance(value, list) and UNKNOWN in value:
                found.append(name)
            else:
                found.extend(unknown_fields(value, name + "."))
    return found


def schema_error(exc: ValidationError) -> ValidationFailed:
    """Return marshmallow's refusal as the app's 422, naming any unknown field."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    unknown = unknown_fields(messages)
    if unknown:
        message = _("Có trường không được chấp nhận: %(fields)s.",
                    fields=", ".join(sorted(unknown)))
    else:
        message = _("Chưa lưu được: dữ liệu chưa hợp lệ, hãy sửa các ô được đánh dấu.")
    return ValidationFailed(message, translate(messages))
