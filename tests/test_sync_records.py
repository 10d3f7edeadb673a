"""Record formats: the fast path never accepts what the marshmallow schemas refuse."""

from __future__ import annotations

import uuid

import pytest

from sync.records import (
    FAST_CHECKS,
    SCHEMAS,
    load_record,
    normalise,
    readable,
    validate_record,
)

VILLAGE = str(uuid.uuid4())
FORUM = str(uuid.uuid4())
VALID = {
    "village": {"commune_code": 3808, "name": "Bản Nà Lò", "kind": "ban", "households": 120},
    "forum": {"kind": "listening", "village_id": VILLAGE, "started_at": "2026-11-20T08:00:00",
              "status": "draft", "venue": "Nhà văn hóa"},
    "decision": {"forum_id": FORUM, "text": "Làm đường bê tông", "votes_for": 50},
    "amendment": {"forum_id": FORUM, "target": "forum", "target_id": FORUM,
                  "field": "venue", "reason": "Ghi nhầm", "author": "Quàng Thị Hoa"},
    "opinion": {"kind": "opinion", "channel": "forum", "village_id": VILLAGE,
                "forum_id": FORUM, "category_code": "land", "content": "Xin cấp sổ đỏ",
                "level": "commune", "anonymous": False, "position": 1},
    "attachment": {"sha256": "a" * 64, "mime_type": "image/jpeg", "size": 1000,
                   "filename": "anh.jpg", "opinion_id": str(uuid.uuid4())},
}
TRICKY = [None, "", "x" * 121, "x" * 10_001, 5, -1, 10_000_001, True, False, 1.5, "5",
          "true", "1", [], {}, str(uuid.uuid4()), str(uuid.uuid4()).upper(),
          uuid.uuid4().hex, "2026-13-01T00:00:00", "2026-11-20", "2026-11-20T08:00",
          "2026-11-20T08:00:00+07:00", "2026-11-20 08:00:00", "2026-11-20T08",
          "20261120T080000", "2026-W47-5T08:00:00", "2026-11-20T08:00:00,5",
          "2026-11-20T08:00:00.1234567", "20261120", "2026-W47", "ban", "listening", "draft",
          "opinion", "forum", "commune", "female", "a" * 64, "A" * 64, 0, 2 ** 40]


@pytest.mark.parametrize("collection", sorted(SCHEMAS))
def test_valid_records_take_the_fast_path(collection):
    assert FAST_CHECKS[collection](VALID[collection])
    assert SCHEMAS[collection].validate(VALID[collection]) == {}


@pytest.mark.parametrize("collection", sorted(SCHEMAS))
def test_fast_path_never_accepts_what_marshmallow_refuses(collection):
    schema = SCHEMAS[collection]
    for name in schema.fields:
        for value in TRICKY:
            data = {**VALID[collection], name: value}
            if FAST_CHECKS[collection](data):
                assert schema.validate(data) == {}, (name, value)
        data = {key: value for key, value in VALID[collection].items() if key != name}
        assert validate_record(collection, data) == schema.validate(data)


def test_refusals_read_in_vietnamese_naming_the_field():
    errors = validate_record("village", {"commune_code": "3808", "name": None})
    message = readable(errors)
    assert "commune_code: phải là số nguyên" in message
    assert "name: không được để trống" in message


def test_text_is_normalised_to_nfc_everywhere_in_a_record():
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Đường Nậm Păm")
    assert normalise({"a": decomposed, "b": [decomposed], "c": 3}) == {
        "a": "Đường Nậm Păm", "b": ["Đường Nậm Păm"], "c": 3}


def test_fold_matches_stripping_every_combining_mark():
    """The fast fold gives exactly what the plain rule gives, whatever the script."""
    import random
    import unicodedata

    from sync.text import fold

    def plain(value: str) -> str:
        decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "d"))
        return " ".join("".join(c for c in decomposed if not unicodedata.combining(c))
                        .lower().split())

    rng = random.Random(2026)
    pools = [(0, 0x2FFFF), (0x300, 0x36F), (0xC0, 0x1EF9), (0x110, 0x111), (0x2013, 0x2014),
             (0x1AB0, 0x1AC0), (0x20D0, 0x20F0), (0x34F, 0x34F), (0, 127)]
    samples = ["Đường vào bản bị sạt lở", "Giao thông – xây dựng", "a\u034fb", "e\u0301"]
    samples += ["".join(chr(rng.randint(*rng.choice(pools))) for _ in range(12))
                for _ in range(20_000)]
    assert [fold(value) for value in samples] == [plain(value) for value in samples]
    assert fold("ĐƯỜNG vào Bản Nà Lò") == "duong vao ban na lo"


@pytest.mark.parametrize("collection", sorted(SCHEMAS))
def test_fused_checks_say_what_the_composed_checks_say(collection):
    """A field's one-call check accepts exactly what its type and rules, composed, accept."""
    from sync.records import _field_check, _fused_check

    for name, field in SCHEMAS[collection].fields.items():
        fused = _fused_check(field)
        if fused is None:
            continue
        composed = _field_check(field)
        for value in TRICKY:
            expected = field.allow_none if value is None else composed(value)
            assert fused(value) == expected, (name, value)


def test_a_stamp_is_read_as_decoding_and_encoding_it_would():
    from sync.clock import ClockError, Stamp

    for text in ["1795172278514-0001-benchlaptop01", "1795172278514-0001-node\n",
                 "١٧٩5172278514-00ff-node", "0000000000001-abcd-a.b:c_d-e"]:
        stamp = Stamp.decode(text)
        assert Stamp.read(text) == (stamp.wall_ms, stamp.encode())
    for text in ["1795172278514-0001-", "1795172278514-ABCD-node", "x", ""]:
        with pytest.raises(ClockError):
            Stamp.read(text)


def test_fold_word_by_word_matches_folding_the_whole_text():
    """Folding remembered words gives what folding the whole text at once gives, twice over
    (words new, then remembered), whatever separates them."""
    import random

    from sync.text import _fold_word, fold

    rng = random.Random(13)
    words = ["Đường", "ĐƯỜNG", "sạt", "lở,", "\u0301", "e\u0301", "a\u034fb", "ΟΔΟΣ", "Σ",
             "–", "Nà", "Lò", "", "x", "ǅ", "ﬁ", "İstanbul", "ß"]
    spaces = [" ", "  ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\u0301 "]
    samples = ["".join(rng.choice(words) + rng.choice(spaces) for _ in range(rng.randint(1, 9)))
               for _ in range(3000)]
    for _ in range(2):
        assert [fold(value) for value in samples] == [_fold_word(value) for value in samples]


def test_a_uuid_with_a_final_new_line_is_left_to_marshmallow():
    """`$` matches before a final new line; marshmallow's UUID field refuses one."""
    data = {**VALID["forum"], "village_id": VILLAGE + "\n"}
    assert not FAST_CHECKS["forum"](data)
    assert validate_record("forum", data) == {"village_id": ["Not a valid UUID."]}


def _by_marshmallow(collection, data):
    """What marshmallow alone makes of a record: (data to store, errors)."""
    return load_record(collection, normalise(data))


def _mutations(rng):
    """Yield (collection, data): valid records, each with a few of its values made odd."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Đường vào bản Nậm Păm bị sạt lở")
    deep: list = [1]
    for _ in range(20):
        deep = [deep]
    odd = [*TRICKY, decomposed, decomposed + "\x00", "a\x00b", "a\x1fb", "a\x7fb", "a\x85b",
           "a\ud800b", "a\tb\r\nc", "a\u00a0b\u200bc", "x" * 120, "x" * 60, "x" * 40, "x" * 20,
           "é" * 120, unicodedata.normalize("NFD", "é" * 120), "x" * 10_000, "\U0001f600",
           VILLAGE + "\n", VILLAGE.upper(), " " + VILLAGE, "{" + VILLAGE + "}",
           "2026-11-20T08:00:00.5", "2026-11-20T08:00:00\n", "2026-02-30T08:00:00",
           "1999-12-31T23:59:59", "2101-01-01T00:00:00", "2026-11-20T24:00:00",
           "२०२६-११-२०", "2026-11-20T08:00:00Z", "1999-12-31", "2026-02-29", "yes", "no",
           "on", 1, 0, 2, True, -0.0, float("nan"), float("inf"), 10**30, "listening ",
           {"a": decomposed}, [decomposed, None, 1.5], {"a\x00": 1}, deep]
    for collection, valid in VALID.items():
        names = list(SCHEMAS[collection].fields)
        for _ in range(400):
            data = dict(valid)
            for _ in range(rng.choice((1, 1, 2, 3))):
                what = rng.random()
                if what < 0.7:
                    data[rng.choice(names)] = rng.choice(odd)
                elif what < 0.8:
                    data.pop(rng.choice(names), None)
                elif what < 0.95:  # a field of a newer version, sent as is
                    name = rng.choice(("note", "tag", "x\x00y", "ghi chú", "n" * 61))
                    data[name] = rng.choice(odd)
                else:
                    items = list(data.items())
                    rng.shuffle(items)
                    data = dict(items)
            yield collection, data


def test_the_written_out_fast_path_says_what_the_plain_path_and_marshmallow_say():
    """Mutated records: the fast path keeps what today's path keeps, refuses the rest to it.

    Whatever it stores is what `clean_record(normalise(…))` stores, and marshmallow alone
    accepts the record and reads it the same (the plain path keeps a value already valid as
    sent, e.g. an upper-case UUID, where marshmallow would write it its own way).
    """
    import random

    from sync.records import FAST_CLEAN, clean_record

    accepted = refused = 0
    for collection, data in _mutations(random.Random(2026)):
        schema = SCHEMAS[collection]
        plain = clean_record(collection, normalise(data))
        alone = _by_marshmallow(collection, data)
        assert (plain[0] is None) == (alone[0] is None), (collection, data)
        assert plain[1] == alone[1], (collection, data)
        if plain[0] is not None:
            assert schema.load(plain[0]) == schema.load(alone[0]), (collection, data)
        fast = FAST_CLEAN[collection]
        for clean in (fast, fast.any_shape):
            out = clean(data)
            if out is None:
                refused += 1
            else:
                accepted += 1
                assert out == plain[0], (collection, data)
                assert out is not data
    assert accepted > 1000 and refused > 1000  # both ways were taken


def test_a_field_name_that_is_no_string_is_left_to_the_plain_path():
    from sync.records import FAST_CLEAN

    data = {**VALID["village"], 7: "x"}
    assert FAST_CLEAN["village"](data) is None
    assert FAST_CLEAN["village"].any_shape(data) is None


def test_digits_written_0_accept_what_the_patterns_accept():
    """The written-out UUID and date tests say what `_UUID`, `_PLAIN_DATETIME`… say."""
    import random

    from sync import records

    rng = random.Random(7)
    alphabet = "0123456789abcdefABCDEFxT-:. \n٣é"
    samples = [str(uuid.uuid4()), str(uuid.uuid4()).upper(), "2026-11-20T08:00:00",
               "2026-11-20T08:00:00.123456", "2026-11-20"]
    for sample in list(samples):
        for _ in range(3000):
            chars = list(sample)
            for _ in range(rng.choice((1, 1, 2))):
                at = rng.randrange(len(chars) + 1)
                what = rng.random()
                if what < 0.6 and at < len(chars):
                    chars[at] = rng.choice(alphabet)
                elif what < 0.8:
                    chars.insert(at, rng.choice(alphabet))
                elif at < len(chars):
                    del chars[at]
            samples.append("".join(chars))

    def written(value, table, forms):
        return value.isascii() and value.encode().translate(table) in forms

    for value in samples:
        assert written(value, records._HEX_ZERO, {records._UUID_FORM}) \
            == bool(records._UUID.match(value)), value
        for pattern, forms in ((records._PLAIN_DATETIME, records._DATETIME_FORMS),
                               (records._PLAIN_DATE, records._DATE_FORMS)):
            plain = value.isascii() and not value.endswith("\n") and pattern.match(value)
            assert written(value, records._DIGIT_ZERO, forms) == bool(plain), value
