"""Vietnamese text helpers shared by both ends: NFC storage, diacritic folding."""

from __future__ import annotations

import unicodedata

# đ/Đ are letters of their own, not d plus a combining mark: NFD keeps them.
_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})


# Word's manual line break (vertical tab) and page break (form feed) come with every
# paste from a .doc: they are line ends to the person, not characters to refuse.
_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})


def nfc(value: str | None) -> str | None:
    """Return `value` NFC-normalised, Word's breaks as new lines, stripped; None stays None."""
    if value is None:
        return None
    return unicodedata.normalize("NFC", value).translate(_BREAKS).strip()


def fold(value: str | None) -> str:
    """Return `value` lower-cased without diacritics: "Đường" -> "duong"."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFD", value.translate(_FOLD_EXTRA))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().split())
