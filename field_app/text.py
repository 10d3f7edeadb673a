"""Vietnamese text helpers: NFC storage and diacritic-insensitive matching."""

from __future__ import annotations

import re
import unicodedata

# One folding for the app and the wire: search here and scope checks at the central agree.
from sync.text import fold, nfc  # noqa: F401


def has_diacritics(value: str | None) -> bool:
    """Tell whether `value` carries Vietnamese diacritics (a tone or vowel mark, or đ):
    "Đường hỏng" does, "Duong hong" (typed fast, without them) does not; neither do
    punctuation such as “ ” – that leave plain letters plain."""
    if not value or value.isascii():
        return False
    return any(ch in "đĐ" or unicodedata.combining(ch)
               for ch in unicodedata.normalize("NFD", value))


def count(value: int | None) -> str:
    """Return a count the Vietnamese way, dots between thousands: 1.250; None is ""."""
    return "" if value is None else f"{value:,}".replace(",", ".")


def percent(value: float | None) -> str:
    """Return a rate with one decimal and the language's mark, as the office's reports
    print it: 33,3 in Vietnamese, 33.3 in English; None is ""."""
    from babel.numbers import get_decimal_symbol
    from flask_babel import get_locale

    if value is None:
        return ""
    return f"{value:.1f}".replace(".", get_decimal_symbol(str(get_locale() or "vi")))


def file_size(size: int | None) -> str:
    """Return a file's size to show: bytes under 1 KB (a tiny file is not "0 KB"), else KB."""
    from flask_babel import gettext as _

    if size is None:
        return ""
    if size < 1024:
        return _("%(n)s byte", n=count(size))
    return f"{count(round(size / 1024))} KB"


# A Vietnamese number once written plainly: 0 then 9 digits (mobile) or 10 (landline).
_PHONE = re.compile(r"^0\d{9,10}$")


def vietnamese_phone(value: str | None) -> str | None:
    """Return a Vietnamese phone number written plainly ("0912345678") from how people
    type it ("0912 345 678", "+84 912.345.678", "(0212) 3845 678"), or None if it cannot
    be one: the laptop refuses it at entry, the office sends no message to it."""
    digits = re.sub(r"[\s.\-()]", "", value or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:].removeprefix("0")
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    return digits if _PHONE.match(digits) else None
