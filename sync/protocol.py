"""The wire: protocol version, body encoding and its limits.

Bodies are UTF-8 JSON (never ASCII-escaped: Vietnamese would grow by a
third), compressed with xz; a central that answers 415 to xz gets gzip.
Decompression is bounded so a small bomb cannot fill the server's memory.
See docs/sync-protocol.md.
"""

from __future__ import annotations

import gzip
import json
import lzma
import zlib
from typing import Any

import orjson

from .errors import (
    BadBody,
    BodyTooLarge,
    ClientTooOld,
    ProtocolMissing,
    ServerTooOld,
    UnsupportedEncoding,
)

PROTOCOL_VERSION = 1
# The oldest client version this server still understands.
MIN_PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "X-LN-Protocol"

# Compressed request body and decompressed size limits (server side).
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 48 * 1024 * 1024
# Unsigned bodies (/enroll: a code, a label, a replica id) are a few hundred bytes.
# Anyone can send them, so they are capped both as sent and once decompressed: a
# bomb is refused at 16 KiB, not inflated to the signed limit above.
MAX_UNSIGNED_BODY_BYTES = 16 * 1024
# Preference order: xz is within a few percent of `xz -9` on records; gzip is everywhere.
ENCODINGS = ("xz", "gzip", "identity")
_READ = 64 * 1024
# Preset 2: 50 MB/s here, a batch ~30 % bigger than preset 6 EXTREME (1.4 MB/s, 0.7 ms of
# CPU a record, 78 % of the laptop's push). Extreme only wins below ~40 kbit/s, where a
# village laptop (3-5x slower than the machine measured) would compress longer than send.
XZ_PRESET = 2


# orjson writes JSON about ten times as fast as json and reads it in half the time (2,052
# records: 1.4 against 14 ms written, 6.4 against 12.8 ms read), the same JSON where both
# write it. Where the two would differ, json does the work, as it did before orjson:
# * writing: dates and dataclasses go to `default` (str), as with json; what orjson
#   refuses (a lone surrogate, an integer beyond 64 bits, a key that is not text) is
#   written by json;
# * reading: what orjson refuses (NaN, a lone surrogate, broken UTF-8, deep nesting) is
#   read by json, which decides; an integer of 19 digits or more too (orjson makes a
#   float of one beyond 64 bits, json an int that the checks then refuse).
_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_DIGITS = bytes(0x30 if 0x30 <= code <= 0x39 else 0x20 for code in range(256))
_LONG_NUMBER = b"0" * 19
_compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(value: Any) -> bytes:
    """Return `value` as compact UTF-8 JSON with sorted keys (canonical form).

    A lone surrogate (echoed from a broken request) becomes "?": an answer is always sent.
    """
    try:
        # Copied: orjson's own bytes keep the room it grew them in (5,000 records of ~800
        # bytes held 41 MB, measured; copies 7 MB), and a laptop holds a batch's worth.
        return bytes(memoryview(orjson.dumps(value, default=str, option=_SORTED)))
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                          default=str).encode("utf-8", "replace")


def compact(value: Any) -> str:
    """Return `value` as compact JSON text, keys in their order (a JSON column's value)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:
        return _compact_json(value)


class EncodedRecords(list):
    """A batch's records with each one's canonical JSON, made when the batch was sized.

    A list like any other (`dumps` of an envelope holding it is unchanged); the
    client splices `encoded` into the body instead of encoding every record twice.
    """

    def __init__(self, records: list[Any], encoded: list[bytes]) -> None:
        super().__init__(records)
        self.encoded = encoded


def envelope_body(head: dict[str, Any], records: list[bytes]) -> bytes:
    """Return `dumps({**head, "records": [...]})` from records already dumped one by one."""
    empty = dumps({**head, "records": []})
    marker = b'"records":[]'
    at = empty.index(marker)
    return b"".join((empty[:at], b'"records":[', b",".join(records), b"]",
                     empty[at + len(marker):]))


def loads(body: bytes) -> Any:
    """Parse a UTF-8 JSON body; raise BadBody on broken UTF-8 or JSON."""
    if _LONG_NUMBER not in body.translate(_DIGITS):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # json's verdict, and its words for what is broken
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # RecursionError: thousands of nested brackets, refused like any broken JSON.
        raise BadBody(details={"error": str(exc)[:200]}) from None


def compress(body: bytes, encoding: str) -> bytes:
    """Compress `body` for the Content-Encoding `encoding`."""
    if encoding == "xz":
        # A dictionary no bigger than the body compresses as well as preset 6's 8 MB one,
        # and an old laptop does not spend ~90 MB of memory on a 300 KB batch. Capped at
        # 1 MB: on a 4 MB batch of records 0.1 % bigger than a 4 MB one, in half the time
        # and a quarter of the encoder's memory.
        dictionary = max(1 << 16, min(1 << 20, 1 << max(len(body) - 1, 1).bit_length()))
        filters = [{"id": lzma.FILTER_LZMA2, "preset": XZ_PRESET, "dict_size": dictionary}]
        return lzma.compress(body, format=lzma.FORMAT_XZ, filters=filters)
    if encoding == "gzip":
        return gzip.compress(body, compresslevel=9, mtime=0)
    if encoding == "identity":
        return body
    raise UnsupportedEncoding(details={"encoding": encoding})


def decompress(body: bytes, encoding: str | None, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Undo Content-Encoding `encoding`, refusing output larger than `limit`."""
    encoding = (encoding or "identity").strip().lower()
    if encoding == "identity":
        if len(body) > limit:
            raise BodyTooLarge(details={"limit": limit})
        return body
    if encoding == "xz":
        # memlimit: a stream asking for a huge dictionary is refused, not allocated.
        decoder: Any = lzma.LZMADecompressor(format=lzma.FORMAT_XZ, memlimit=128 << 20)
        errors: tuple[type[Exception], ...] = (lzma.LZMAError, EOFError)
    elif encoding == "gzip":
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        errors = (zlib.error,)
    else:
        raise UnsupportedEncoding(details={"encoding": encoding, "supported": list(ENCODINGS)})
    try:
        # max_length bounds each step: a bomb is stopped at `limit`, never inflated whole.
        if isinstance(decoder, lzma.LZMADecompressor):
            out = decoder.decompress(body, max_length=limit + 1)
            complete = decoder.eof
        else:
            out = decoder.decompress(body, limit + 1)
            complete = decoder.eof
    except errors as exc:
        raise BadBody(details={"error": f"{encoding}: {exc}"}) from None
    if len(out) > limit:
        raise BodyTooLarge(details={"limit": limit, "decompressed": True})
    if not complete:
        raise BadBody(details={"error": f"{encoding} stream cut off"})
    return out


def check_version(value: str | None) -> int:
    """Return the client's protocol version; refuse a missing, too old or too new one."""
    if not value:
        raise ProtocolMissing(details={"header": PROTOCOL_HEADER})
    try:
        version = int(value)
    except ValueError:
        raise ProtocolMissing(details={"header": PROTOCOL_HEADER, "value": value[:20]}) from None
    if version < MIN_PROTOCOL_VERSION:
        raise ClientTooOld(details={"client": version, "min": MIN_PROTOCOL_VERSION,
                                    "server": PROTOCOL_VERSION})
    if version > PROTOCOL_VERSION:
        raise ServerTooOld(details={"client": version, "server": PROTOCOL_VERSION})
    return version

