"""The command line's language: Vietnamese unless the user's setting says English.

The same catalogue as the web pages (field_app/translations), read with the
standard library: a command prints before any Flask app exists. The language
comes from LANGNGHE_LANG (vi or en), else from the system locale (LC_ALL,
LC_MESSAGES, LANG): English only when it names English.
"""

from __future__ import annotations

import gettext
import os
from functools import lru_cache
from pathlib import Path

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGES = ("vi", "en")


def cli_language(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """Return "vi" or "en" for the command line's messages."""
    env = os.environ if environ is None else environ
    chosen = env.get("LANGNGHE_LANG", "").strip().lower()[:2]
    if chosen in LANGUAGES:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "en" if value.lower().startswith("en") else "vi"
    return "vi"


@lru_cache(maxsize=4)
def _catalogue(language: str) -> gettext.NullTranslations:
    if language == "vi":  # the source language: every msgid is Vietnamese
        return gettext.NullTranslations()
    return gettext.translation("messages", localedir=str(TRANSLATIONS),
                               languages=[language], fallback=True)


def _(msgid: str, /, **values: object) -> str:
    """Translate a command-line message and fill its %(name)s placeholders."""
    text = _catalogue(cli_language()).gettext(msgid)
    return text % values if values else text
