"""Vietnamese text helpers shared by both ends: NFC storage, diacritic folding."""

from __future__ import annotations

import re
import unicodedata

# Word's manual line break (vertical tab) and page break (form feed) come with every
# paste from a .doc: they are line ends to the person, not characters to refuse.
_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})


def nfc(value: str | None) -> str | None:
    """Return `value` NFC-normalised, Word's breaks as new lines, stripped; None stays None."""
    if value is None:
        return None
    return unicodedata.normalize("NFC", value).translate(_BREAKS).strip()


# After NFD, Vietnamese is ASCII letters plus combining marks of this block only
# (U+034F, the grapheme joiner, is in the block but is no mark: it is kept).
_NOT_ASCII_OR_MARK = re.compile("[^\x00-\x7f\u0300-\u034e\u0350-\u036f]")
_MARKS = re.compile("[\u0300-\u034e\u0350-\u036f]+")


# Folded words already seen: Vietnamese repeats a few thousand syllables, and NFD over a
# whole opinion costs more than looking its forty words up. Bounded: emptied when full.
_WORDS: dict[str, str] = {}
_MAX_WORDS = 50_000


def fold(value: str | None) -> str:
    """Return `value` lower-cased without diacritics: "Đường" -> "duong".

    Word by word (whitespace splits words before and after folding alike), each
    word folded once and remembered: the office folds every opinion it receives.
    """
    if not value:
        return ""
    if value.isascii():
        return " ".join(value.lower().split())
    split = value.split()
    try:
        folded = list(map(_WORDS.__getitem__, split))
    except KeyError:  # a word not seen yet: fold and remember the new ones
        if len(_WORDS) + len(split) > _MAX_WORDS:
            _WORDS.clear()
        folded = [_WORDS.get(word) or _WORDS.setdefault(word, _fold_word(word))
                  for word in split]
    # A word of marks alone folds to nothing: no empty word between two spaces.
    return " ".join(folded) if all(folded) else " ".join(filter(None, folded))


def _fold_word(value: str) -> str:
    """Return one word (or any text) folded: marks dropped, lower-cased, spaces collapsed.

    Vietnamese takes a fast path: once decomposed, dropping every non-ASCII
    character drops exactly the marks.
    """
    if not value.isascii():
        # đ/Đ are letters of their own, not d plus a combining mark: NFD keeps them.
        decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "d"))
        if _NOT_ASCII_OR_MARK.search(decomposed) is None:
            value = decomposed.encode("ascii", "ignore").decode("ascii")
        else:  # a dash or a quote among the letters; rarely a mark of another script
            value = _MARKS.sub("", decomposed)
            if any(unicodedata.combining(c) for c in set(value) if not c.isascii()):
                value = "".join(c for c in value if not unicodedata.combining(c))
    return " ".join(value.lower().split())
