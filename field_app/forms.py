"""Form helpers shared by every domain's WTForms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField

from .dates import parse_day, parse_moment
from .errors import ValidationFailed


def show_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """Put the domain's per-field messages next to the matching form fields."""
    for name, message in exc.details.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), message]
        else:
            form.form_errors.append(message)


def form_data(form: FlaskForm, names: tuple[str, ...]) -> dict:
    """Return the named fields' values as the plain dict domain functions take."""
    return {name: getattr(form, name).data for name in names if hasattr(form, name)}


# WTForms' own refusals of a time and a day (English keys, never in our catalogue).
NOT_A_MOMENT = "Not a valid datetime value."
NOT_A_DAY = "Not a valid date value."
# WTForms ships no Vietnamese catalogue: its built-in messages are mapped here.
WTFORMS_MESSAGES = {
    "This field is required.": _l("Ô này bắt buộc."),
    "Not a valid integer value.": _l("Phải là số nguyên."),
    NOT_A_MOMENT: _l("Ngày giờ không hợp lệ (dạng ngày/tháng/năm giờ:phút)."),
    NOT_A_DAY: _l("Ngày không hợp lệ (dạng ngày/tháng/năm)."),
    "Not a valid choice.": _l("Lựa chọn không hợp lệ."),
    "Invalid Choice: could not coerce.": _l("Lựa chọn không hợp lệ."),
    "The CSRF token is missing.": _l("Phiên làm việc đã hết hạn; hãy tải lại trang."),
    "The CSRF token is invalid.": _l("Phiên làm việc đã hết hạn; hãy tải lại trang."),
    "The CSRF token has expired.": _l("Phiên làm việc đã hết hạn; hãy tải lại trang."),
    "The CSRF tokens do not match.": _l("Phiên làm việc đã hết hạn; hãy tải lại trang."),
}


class _Translations:
    """Give WTForms' own messages in the user's language."""

    def gettext(self, string: str) -> str:
        message = WTFORMS_MESSAGES.get(string)
        return str(message) if message is not None else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


class Form(FlaskForm):
    """The base of every form: CSRF from Flask-WTF, messages in Vietnamese."""

    class Meta:
        def get_translations(self, form):
            return _Translations()


class _TypedDate:
    """A date field that reads what people type as well as the browser's ISO: `parse`
    turns the text into the value, `refusal` says what to type."""

    parse: Callable[[str], Any]
    refusal: str

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = type(self).parse(" ".join(valuelist))
        except ValueError:
            self.data = None
            raise ValueError(self.gettext(self.refusal)) from None


class MomentField(_TypedDate, DateTimeLocalField):
    """A meeting time: the datetime-local input's ISO, or "05/12/2026 08:30" as typed
    where the browser shows that input as a plain text box."""

    parse = staticmethod(parse_moment)
    refusal = NOT_A_MOMENT

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%dT%H:%M", **kwargs)


class DayField(_TypedDate, DateField):
    """A day: the date input's ISO, or "05/12/2026" as typed."""

    parse = staticmethod(parse_day)
    refusal = NOT_A_DAY
