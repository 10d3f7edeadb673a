"""English translation: complete, compiled, placeholders intact, switchable in the UI.

Vietnamese is the source language (every msgid); English lives in
field_app/translations/en/LC_MESSAGES/messages.po. After adding or changing a
string, refresh the catalogue with:

    pybabel extract -F babel.cfg -k _l -k lazy_gettext -o field_app/translations/messages.pot .
    pybabel update -i field_app/translations/messages.pot -d field_app/translations -l en
    (translate the new entries, remove any "fuzzy" flag)
    pybabel compile -d field_app/translations
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "field_app" / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

# %(name)s, %(n)d, %s, %% … and {n} (the quick-entry script fills {n} itself).
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0 +-]*\d*(?:\.\d+)?[a-zA-Z%]|\{\w*\}")
# A plain one-literal call: _("…"), _l('…'), lazy_gettext("…").
GETTEXT_CALL = re.compile(
    r"""(?<![\w.])(?:_l?|gettext|lazy_gettext)\(\s*(["'])((?:(?!\1)[^\\\n])*)\1\s*[,)]""")


def read_catalog(path: Path):
    with path.open("rb") as fileobj:
        return read_po(fileobj)


def entries(catalog):
    """Return the catalogue's messages, the header left out."""
    return [message for message in catalog if message.id]


def shown(path: str) -> str:
    """Return a location relative to the repository."""
    return str(Path(path).relative_to(ROOT)) if Path(path).is_absolute() else path


def as_tuple(value) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Return the catalogue extracted afresh from the code and templates."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
        "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), str(ROOT),
    ])
    return read_catalog(pot)


@pytest.fixture(scope="module")
def english():
    return read_catalog(PO)


def test_every_string_has_an_english_translation(extracted, english):
    untranslated = []
    for message in entries(extracted):
        translated = english.get(message.id)
        if (translated is None or "fuzzy" in translated.flags
                or not all(part.strip() for part in as_tuple(translated.string))):
            where = ", ".join(f"{shown(path)}:{line}" for path, line in message.locations[:2])
            untranslated.append(f"{message.id!r} ({where})")
    assert not untranslated, (
        f"{len(untranslated)} msgid(s) lack an English translation in {PO.relative_to(ROOT)} "
        "(extract, update, translate, compile: see this module's docstring):\n"
        + "\n".join(untranslated))
    assert len(entries(extracted)) > 300  # the extraction really found the app's strings


def test_catalogue_has_no_fuzzy_or_empty_entry(english):
    fuzzy = [m.id for m in entries(english) if "fuzzy" in m.flags]
    empty = [m.id for m in entries(english) if not all(as_tuple(m.string))]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    assert not empty, f"empty translations: {empty}"


def test_every_literal_passed_to_gettext_in_python_is_extracted(extracted):
    """A _() the extractor cannot see (e.g. inside an f-string on Python < 3.12) stays
    Vietnamese for ever; write the call outside the f-string instead."""
    known = {message.id for message in entries(extracted)}
    unseen = []
    for path in sorted((ROOT / "field_app").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for match in GETTEXT_CALL.finditer(text):
            if match.group(2) and match.group(2) not in known:
                line = text.count("\n", 0, match.start()) + 1
                unseen.append(f"{path.relative_to(ROOT)}:{line}: {match.group(2)!r}")
    assert not unseen, "gettext calls the extractor missed:\n" + "\n".join(unseen)


def test_compiled_catalogue_matches_the_po(tmp_path):
    fresh = tmp_path / "messages.mo"
    with fresh.open("wb") as fileobj:
        write_mo(fileobj, read_catalog(PO))
    with MO.open("rb") as committed, fresh.open("rb") as compiled:
        committed_messages = gettext.GNUTranslations(committed)._catalog
        compiled_messages = gettext.GNUTranslations(compiled)._catalog
    # The header ("") names the Babel version that compiled it: not a translation.
    stale = {key for key in committed_messages.keys() | compiled_messages.keys()
             if key != "" and committed_messages.get(key) != compiled_messages.get(key)}
    assert not stale, (f"{MO.relative_to(ROOT)} is out of date; run "
                       f"`pybabel compile -d field_app/translations`. Differs on: {sorted(stale)}")


def test_placeholders_are_kept(english):
    broken = []
    for message in entries(english):
        wanted = sorted(PLACEHOLDER.findall(as_tuple(message.id)[0]))
        for string in as_tuple(message.string):
            if sorted(PLACEHOLDER.findall(string)) != wanted:
                broken.append(f"{message.id!r} -> {string!r}")
    assert not broken, "placeholders differ between msgid and msgstr:\n" + "\n".join(broken)


def get(app, client, url: str):
    """GET `url` in its own app context, as the server does for every request.

    The `app` fixture keeps one app context open for the whole test, so
    requests would share `g`, where Flask-Babel caches the locale of the
    first page rendered: a language switch would not show.
    """
    with app.app_context():
        return client.get(url)


def test_vietnamese_is_the_default(app, client):
    page = get(app, client, "/setup")
    assert page.status_code == 200
    assert "Cài đặt" in page.text
    assert '<html lang="vi">' in page.text


def test_english_setup_page(app, client):
    assert get(app, client, "/language/en").status_code == 302
    page = get(app, client, "/setup")
    assert '<html lang="en">' in page.text
    assert "Setup: which commune does this computer serve?" in page.text
    assert "Cài đặt" not in page.text


def test_english_forum_page(app, client, forum):
    get(app, client, "/language/en")
    page = get(app, client, f"/forums/{forum.id}")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    for label in ("Government listens to the People", "Chair", "Secretary", "Attendees",
                  "Households represented", "Record opinions", "Finalise the minutes",
                  "Decisions and votes", "Attachments", "Recording"):
        assert label in page.text, label
    for label in ("Chủ trì", "Thư ký", "Ghi ý kiến", "Chốt biên bản", "Tệp đính kèm"):
        assert label not in page.text, label
    assert "Lò Văn Minh" in page.text  # data stays as typed


def test_english_minutes_and_figures_name_seeded_categories_in_english(app, client, forum):
    from field_app.extensions import db
    from field_app.opinions import logic as opinions

    opinions.create_opinion({"content": "Xin cấp sổ đỏ", "category_code": "land"}, forum)
    db.session.commit()
    get(app, client, "/language/en")
    minutes = get(app, client, f"/forums/{forum.id}/minutes").text
    figures = get(app, client, "/figures").text
    for page in (minutes, figures):
        assert "Land" in page and "Đất đai" not in page


def test_switching_back_to_vietnamese(app, client, forum):
    get(app, client, "/language/en")
    assert "Record opinions" in get(app, client, f"/forums/{forum.id}").text
    get(app, client, "/language/vi")
    page = get(app, client, f"/forums/{forum.id}")
    assert '<html lang="vi">' in page.text
    assert "Chủ trì" in page.text and "Ghi ý kiến" in page.text
    assert "Record opinions" not in page.text
    assert "Cài đặt" in get(app, client, "/setup").text
