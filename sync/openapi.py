"""The OpenAPI 3.0.3 document of the sync HTTP API (``/sync/v1``), for client writers.

Built with apispec. The record formats are the marshmallow schemas the
central validates with (`sync.records`, through apispec's MarshmallowPlugin);
the envelopes around them are written here as plain JSON schemas, from what
`sync.server` and `sync.store` read and answer. docs/sync-protocol.md says
how the pieces behave; this says what goes over the wire.

Like the rest of `sync`, it imports nothing from `field_app`.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields

from .auth import (
    DEVICE_HEADER,
    MAX_AGE_SECONDS,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
)
from .clock import _ENCODED as _HLC
from .errors import (
    BadBody,
    BadEnrolmentCode,
    BadEnvelope,
    BadOffset,
    BadSignature,
    BlobMismatch,
    BodyTooLarge,
    ClientTooOld,
    ClockSkew,
    DeviceRevoked,
    ProtocolMissing,
    Replayed,
    ServerTooOld,
    SyncError,
    Unauthenticated,
    UnknownDevice,
    UnsupportedEncoding,
    WrongCommune,
)
from .protocol import (
    ENCODINGS,
    MAX_BODY_BYTES,
    MAX_DECOMPRESSED_BYTES,
    MAX_UNSIGNED_BODY_BYTES,
    MIN_PROTOCOL_VERSION,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
)
from .records import (
    CORRECTABLE,
    OPS,
    SCHEMAS,
    TEXT_PATTERN,
    CategoryEntry,
    CentralOpinion,
    CentralVillage,
)
from .server import MAX_CHUNK_BYTES, MAX_INT, PREFIX
from .store import MAX_FIELDS, MAX_RECORDS_PER_BATCH, MAX_SEQ

OPENAPI_VERSION = "3.0.3"
HLC_PATTERN = _HLC.pattern
UUID = {"type": "string", "format": "uuid"}
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
# A string the central stores as it is: any text but NUL, which PostgreSQL cannot hold.
# Limits written as literals in sync/store.py (lacking, pull_changes) and sync/server.py.
MAX_OFFERED = 20_000
MAX_PULL_LIMIT = 2000
MAX_CHUNKS = 64
CHUNK_PATTERN = r"^[0-9a-f]{64}:[0-9]{1,12}:[0-9]{1,9}(,[0-9a-f]{64}:[0-9]{1,12}:[0-9]{1,9})*$"
# Per-record rejection codes (inside a 200 answer to a push, never an HTTP status).
REJECTION_CODES = ("bad_record", "unknown_collection", "invalid_record", "unknown_parent",
                   "out_of_scope", "not_owner", "retry", "unstorable")

# Error statuses of the sync API → (component name, what it means, the codes it carries).
# Only codes the /sync/v1 views can answer: out_of_scope is a per-record rejection,
# bad_bundle belongs to the USB import, unreachable/server_failed are made by the client.
ERROR_RESPONSES: dict[int, tuple[str, str, tuple[type[SyncError], ...]]] = {
    400: ("BadRequest", "Missing or unreadable X-LN-Protocol, a version newer than this "
                        "central, or a body that is not UTF-8 JSON or not a complete "
                        "compressed stream (for blobs: chunk lengths that do not add up to "
                        "the body, or a body over the chunk limit).",
          (ProtocolMissing, ServerTooOld, BadBody)),
    401: ("Unauthorized", "The request is not signed by a known device, is outside the "
                          f"±{MAX_AGE_SECONDS} s window, or was seen before.",
          (Unauthenticated, UnknownDevice, BadSignature, ClockSkew, Replayed)),
    403: ("Forbidden", "The device was revoked, or the enrolment code is wrong, used or "
                       "expired.", (DeviceRevoked, BadEnrolmentCode)),
    409: ("Conflict", "The enrolment code is for another commune than the one the laptop "
                     "is set up for; the code is not spent.", (WrongCommune,)),
    413: ("BodyTooLarge", f"Body over {MAX_BODY_BYTES} bytes as sent, or over "
                         f"{MAX_DECOMPRESSED_BYTES} bytes once decompressed (enroll: over "
                         f"{MAX_UNSIGNED_BODY_BYTES} bytes either way).",
          (BodyTooLarge,)),
    415: ("UnsupportedEncoding", "Content-Encoding is not one of "
                                 f"{', '.join(ENCODINGS)}.", (UnsupportedEncoding,)),
    422: ("Unprocessable", "The JSON is read but its shape is wrong (bad_envelope).",
          (BadEnvelope,)),
    426: ("ClientTooOld", f"X-LN-Protocol is below {MIN_PROTOCOL_VERSION}, the oldest this "
                         "central speaks.", (ClientTooOld,)),
}
UNSIGNED_ERRORS = (400, 403, 409, 413, 415, 422, 426)
SIGNED_ERRORS = (400, 401, 403, 413, 415, 422, 426)
BLOB_ERRORS = (400, 401, 403, 413, 422, 426)

DESCRIPTION = f"""\
The wire between a Lắng Nghe field laptop and the commune's central server.
The full behaviour (ordering, acknowledgement, conflicts, USB bundles) is in
docs/sync-protocol.md.

* Every request carries `{PROTOCOL_HEADER}: {PROTOCOL_VERSION}` (this central accepts
  {MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}).
* JSON bodies are UTF-8 (never ASCII-escaped) and may be compressed: `Content-Encoding`
  one of {", ".join(ENCODINGS)}. At most {MAX_BODY_BYTES} bytes as sent and
  {MAX_DECOMPRESSED_BYTES} bytes decompressed; the unsigned enroll body at most
  {MAX_UNSIGNED_BODY_BYTES} bytes, as sent and decompressed.
* push, pull, lacking and blobs are signed: `{SIGNATURE_HEADER}` is the hex
  HMAC-SHA256, keyed with the device secret (hex-decoded), of
  `METHOD \\n PATH \\n {TIMESTAMP_HEADER} \\n {NONCE_HEADER} \\n hex(SHA-256(body as sent))`.
  The timestamp (Unix seconds) must be within {MAX_AGE_SECONDS} s of the central's clock;
  a nonce is accepted once.
* Every JSON answer, errors included, carries `protocol` and `server_time` (Unix
  seconds, float); answers over 1024 bytes are gzip-compressed when the request's
  `Accept-Encoding` names gzip.
* Every error is `{{"status", "code", "message", "details"}}`: `code` is stable,
  `message` is Vietnamese for the village head.
"""


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _described(name: str, description: str) -> dict[str, Any]:
    """Return a reference with its own description (OpenAPI 3.0 ignores $ref siblings)."""
    return {"allOf": [_ref(name)], "description": description}


def _object(required: tuple[str, ...], **properties: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:  # OpenAPI 3.0 refuses an empty list
        schema["required"] = list(required)
    return schema


def _answer(required: tuple[str, ...], **properties: Any) -> dict[str, Any]:
    """Return the schema of a success answer: its fields plus protocol and server_time."""
    return _object(("protocol", "server_time", *required),
                   protocol={"type": "integer", "example": PROTOCOL_VERSION},
                   server_time={"type": "number", "description": "The central's clock, "
                                "Unix seconds: sign the next request with it."},
                   **properties)


def _naive_datetime(self, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """Describe marshmallow's NaiveDateTime, which refuses a time with an offset."""
    if isinstance(field, fields.NaiveDateTime):
        return {"description": "ISO 8601 date and time without a UTC offset "
                               "(e.g. 2026-11-20T08:00:00); one with an offset is refused."}
    return {}


def _record_schema(collection: str, data_schema: str) -> dict[str, Any]:
    return _object(
        ("c", "id", "seq", "hlc"),
        c={"type": "string", "enum": [collection]},
        id={**UUID, "description": "Made by the laptop; the record's key for ever."},
        seq={"type": "integer", "minimum": 1, "maximum": MAX_SEQ,
             "description": "The laptop's outbox sequence number of this version."},
        hlc={"type": "string", "pattern": HLC_PATTERN,
             "description": "Hybrid logical clock stamp: 13-digit milliseconds, 4 hex "
                            "counter, node."},
        op={"type": "string", "enum": list(OPS), "default": "put"},
        data=_described(data_schema, "Required for put (validated against this schema; "
                                     "unknown fields are kept); ignored for delete."),
        fields={"type": "array", "maxItems": MAX_FIELDS,
                "items": {"type": "string", "maxLength": 60},
                "description": "For put: the field-owned fields changed since the central "
                               "last acknowledged the record; missing: all of them. Office "
                               "corrections of the other fields are kept."},
    )


def _schemas(spec: APISpec) -> None:
    spec.components.schema("Error", _object(
        ("status", "code", "message", "details"),
        status={"type": "integer"},
        code={"type": "string", "description": "Stable; clients branch on it."},
        message={"type": "string", "description": "Vietnamese, says what to do."},
        details={"type": "object", "additionalProperties": True},
        protocol={"type": "integer", "description": "Absent on errors of the app itself "
                                                    "(404, 405, 500)."},
        server_time={"type": "number", "description": "Also in details for clock_skew."}))
    for schema in (*SCHEMAS.values(), CentralOpinion(), CentralVillage(), CategoryEntry()):
        spec.components.schema(type(schema).__name__, schema=type(schema))
    mapping = {}
    for collection, schema in SCHEMAS.items():
        name = f"{collection.capitalize()}Record"
        spec.components.schema(name, _record_schema(collection, type(schema).__name__))
        mapping[collection] = f"#/components/schemas/{name}"
    spec.components.schema("Record", {
        "oneOf": [{"$ref": target} for target in mapping.values()],
        "discriminator": {"propertyName": "c", "mapping": mapping},
    })
    spec.components.schema("Hello", _answer(
        ("min_protocol", "encodings", "epoch"),
        min_protocol={"type": "integer"},
        encodings={"type": "array", "items": {"type": "string", "enum": list(ENCODINGS)}},
        epoch={"type": "string", "description": "Made once per central database: a new "
                                                 "one means the database was replaced."}))
    spec.components.schema("EnrollRequest", _object(
        ("code",),
        code={"type": "string", "example": "ABCD-EFGH-JKMN",
              "description": "The office's one-time code; case, dashes and spaces ignored."},
        label={"type": "string", "nullable": True, "pattern": TEXT_PATTERN,
               "description": "Name the office sees (first 120 characters; empty or null: "
                              "the code's label)."},
        replica={"type": "string", "nullable": True, "pattern": TEXT_PATTERN,
                 "description": "The laptop database's UUID (first 36 characters kept)."},
        commune_code={"type": "integer", "nullable": True, "minimum": 0, "maximum": MAX_INT,
                      "description": "The commune the laptop is set up for (null or 0: none "
                                     "yet): a code made for another commune answers 409 "
                                     "wrong_commune."}))
    spec.components.schema("Enrolment", _answer(
        ("device_id", "secret", "commune_code", "villages", "epoch"),
        device_id={"type": "string", "pattern": "^[0-9a-f]{16}$"},
        secret={"type": "string", "pattern": "^[0-9a-f]{64}$",
                "description": "HMAC key (hex). Shown once; keep it."},
        commune_code={"type": "integer"},
        villages={"type": "array", "items": {"type": "string"}, "nullable": True,
                  "description": "Folded village names the device may write; null: the "
                                 "whole commune."},
        epoch={"type": "string"}))
    spec.components.schema("PushRequest", _object(
        ("records",),
        # Each item is judged on its own: anything but a valid Record is one R in the
        # 200 answer, never a refusal of the batch (any value is a valid item).
        records={"type": "array", "maxItems": MAX_RECORDS_PER_BATCH,
                 "items": {"anyOf": [_ref("Record"), {}],
                           "description": "A Record. Anything else is rejected on its own "
                                          "(R, bad_record) and the rest are stored."}},
        replica={"type": "string", "nullable": True, "pattern": TEXT_PATTERN,
                 "description": "The laptop database's UUID: two replicas on one device "
                                "mark it cloned."},
        batch={"type": "string", "nullable": True, "pattern": TEXT_PATTERN,
               "description": "A UUID for the central's push log."},
        # Any value: what the central does not read it does not check either.
        protocol={"description": "Not read by the central (the client sends its protocol "
                                 "version)."},
        device={"description": "Not read by the central (the client sends its device id; "
                               f"the {DEVICE_HEADER} header counts)."}))
    spec.components.schema("Rejection", _object(
        ("i", "id", "code", "message", "details"),
        i={"type": "integer", "description": "Index of the record in the batch."},
        id={"type": "string", "description": "The record's id (as sent when not a UUID)."},
        code={"type": "string", "enum": list(REJECTION_CODES)},
        message={"type": "string"},
        details={"type": "object", "additionalProperties": True}))
    spec.components.schema("MissingBlob", _object(
        ("sha256", "size", "offset"),
        sha256=SHA256, size={"type": "integer"},
        offset={"type": "integer", "description": "Bytes the central already holds."}))
    spec.components.schema("PushResult", _answer(
        ("results", "rejections", "missing_blobs", "held_seq", "held_before", "stored",
         "unchanged", "rejected", "epoch"),
        results={"type": "string", "pattern": "^[SUR]*$",
                 "description": "One letter per record sent, in order: S stored, "
                                "U unchanged (already held), R rejected."},
        rejections={"type": "array", "items": _ref("Rejection")},
        missing_blobs={"type": "array", "items": _ref("MissingBlob")},
        held_seq={"type": "integer", "description": "Highest accepted seq of this device."},
        held_before={"type": "integer", "description": "held_seq before this batch: lower "
                                                       "than the laptop's means the central "
                                                       "was restored."},
        stored={"type": "integer"}, unchanged={"type": "integer"},
        rejected={"type": "integer"}, epoch={"type": "string"}))
    spec.components.schema("PullRequest", _object(
        (),
        cursor={"type": "integer", "minimum": 0, "maximum": MAX_SEQ, "default": 0},
        limit={"type": "integer", "default": 500,
               "description": f"Clamped to 1–{MAX_PULL_LIMIT}."}))
    spec.components.schema("Change", _object(
        ("c", "id", "seq", "central", "central_hlc", "deleted", "corrections",
         "corrections_hlc"),
        c={"type": "string", "enum": list(SCHEMAS)},
        id=UUID,
        seq={"type": "integer"},
        central={"anyOf": [_ref("CentralOpinion"), _ref("CentralVillage")],
                 "description": "All central-owned values set so far (merged): "
                                "CentralOpinion for an opinion, CentralVillage for a "
                                "village (the office merged it into another)."},
        central_hlc={"type": "string", "pattern": HLC_PATTERN, "nullable": True},
        deleted={"type": "boolean"},
        corrections={"type": "object", "additionalProperties": True,
                     "description": "Field-owned values the office corrected and that "
                                    "stand, with their current value: "
                                    f"{', '.join(CORRECTABLE['opinion'])} of an opinion."},
        corrections_hlc={"type": "object",
                         "additionalProperties": {"type": "string", "pattern": HLC_PATTERN},
                         "description": "The HLC stamp of each correction."}))
    spec.components.schema("PullPage", _answer(
        ("changes", "cursor", "more", "held_seq", "missing_blobs", "epoch"),
        changes={"type": "array", "items": _ref("Change")},
        cursor={"type": "integer", "description": "Send it as the next cursor."},
        more={"type": "boolean", "description": "The page was full: ask again."},
        held_seq={"type": "integer"},
        missing_blobs={"type": "array", "items": _ref("MissingBlob"),
                       "description": "Files of this device's attachments the central "
                                      "still lacks: upload them."},
        categories={"type": "array", "items": _ref("CategoryEntry"),
                    "description": "Only on the last page, and only once the office "
                                   "keeps a category list for the device's commune: the "
                                   "whole list, inactive ones included (a laptop keeps "
                                   "them on old opinions but no longer offers them). "
                                   "Missing: keep the list the laptop has."},
        epoch={"type": "string"}))
    spec.components.schema("LackingRequest", _object(
        ("offered",),
        offered={"type": "array", "maxItems": MAX_OFFERED,
                 "items": {"type": "array", "minItems": 2, "maxItems": 2,
                           "items": {"type": "string"},
                           "description": "[record id, hlc] of an acknowledged record; a "
                                          "pair whose id is not a UUID names no record and "
                                          "is ignored."}}))
    spec.components.schema("LackingAnswer", _answer(
        ("lacking", "held_seq", "epoch"),
        lacking={"type": "array", "items": UUID,
                 "description": "Offered ids this device's records lack or hold older."},
        held_seq={"type": "integer"}, epoch={"type": "string"}))
    spec.components.schema("BlobsAnswer", _answer(
        ("blobs",),
        blobs={"type": "array", "items": _object(
            ("sha256", "offset", "done"),
            sha256=SHA256, offset={"type": "integer"},
            size={"type": "integer", "nullable": True}, done={"type": "boolean"},
            error={"type": "string", "enum": [BadOffset.code, BlobMismatch.code],
                   "description": "This file's chunk was refused: `bad_offset` (resume at "
                                  "`offset`) or `blob_mismatch` (the whole file did not hash "
                                  "to its SHA-256; start again at 0). The other files of the "
                                  "request are unaffected."},
            message={"type": "string"})}))


def _parameters(spec: APISpec) -> None:
    spec.components.parameter("Protocol", "header", {
        "name": PROTOCOL_HEADER, "required": True,
        "schema": {"type": "integer", "minimum": MIN_PROTOCOL_VERSION,
                   "maximum": PROTOCOL_VERSION, "example": PROTOCOL_VERSION},
        "description": "Protocol version of the client: below the minimum the answer is 426 "
                       "client_too_old, above the maximum 400 server_too_old."})
    spec.components.parameter("ContentEncoding", "header", {
        "name": "Content-Encoding", "required": False,
        "schema": {"type": "string", "enum": list(ENCODINGS), "default": "identity"},
        "description": "Compression of the JSON body (the signature covers the compressed "
                       "bytes)."})
    spec.components.parameter("Device", "header", {
        "name": DEVICE_HEADER, "required": True,
        "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"}})
    spec.components.parameter("Timestamp", "header", {
        "name": TIMESTAMP_HEADER, "required": True,
        "schema": {"type": "integer"},
        "description": f"Unix seconds by the central's clock, within {MAX_AGE_SECONDS} s."})
    spec.components.parameter("Nonce", "header", {
        "name": NONCE_HEADER, "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 64},
        "description": "Random, never reused by this device."})
    spec.components.parameter("Signature", "header", {
        "name": SIGNATURE_HEADER, "required": True,
        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "description": "Hex HMAC-SHA256 of method, path, timestamp, nonce and body hash."})
    spec.components.parameter("Chunks", "header", {
        "name": "X-LN-Chunks", "required": True,
        "schema": {"type": "string", "pattern": CHUNK_PATTERN},
        "description": f"sha256:offset:length for each part of the body, in order "
                       f"(1 to {MAX_CHUNKS} parts)."})


def _operation(operation_id: str, summary: str, description: str, parameters: list[str],
               responses: dict[str, Any], errors: tuple[int, ...],
               body: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": operation_id, "tags": ["sync"], "summary": summary,
                          "description": description, "parameters": parameters}
    if body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": body}}}
    op["responses"] = {**responses, **{str(status): ERROR_RESPONSES[status][0]
                                       for status in errors}}
    op["responses"]["5XX"] = "ServerFailed"
    return op


def _ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.0.3 document of the six endpoints under /sync/v1."""
    plugin = MarshmallowPlugin()
    spec = APISpec(title="Lắng Nghe sync API", version=str(PROTOCOL_VERSION),
                   openapi_version=OPENAPI_VERSION, plugins=[plugin],
                   info={"description": DESCRIPTION},
                   tags=[{"name": "sync", "description": "Field laptop ↔ central server"}])
    assert plugin.converter is not None
    plugin.converter.map_to_openapi_type(fields.NaiveDateTime, "string", None)
    plugin.converter.add_attribute_function(_naive_datetime)
    _schemas(spec)
    _parameters(spec)
    for name, meaning, classes in ERROR_RESPONSES.values():
        codes = "\n".join(f"* `{cls.code}`: {cls.message}" for cls in classes)
        spec.components.response(name, {
            "description": f"{meaning}\n\n{codes}",
            "content": {"application/json": {"schema": "Error"}}})
    spec.components.response("ServerFailed", {
        "description": "The central (or a proxy before it) failed. Every call is safe to "
                       "repeat; the reference client retries with exponential backoff and "
                       "full jitter. A 503 with code `busy` and a Retry-After header: "
                       "the central's database was held by another writer longer than it "
                       "waits; nothing of the request was stored."})
    signed = ["Protocol", "ContentEncoding", "Device", "Timestamp", "Nonce", "Signature"]
    operations = {
        "/hello": {"get": _operation(
            "hello", "Versions, encodings, epoch and time of the central",
            "Not signed. A client uses it to check the version and learn the clock offset.",
            ["Protocol"], {"200": _ok("Hello")}, (400, 426))},
        "/enroll": {"post": _operation(
            "enroll", "Trade a one-time enrolment code for a device id and secret",
            "Not signed. The code is spent by this call (a second use answers "
            f"bad_enrolment_code). The body may be at most {MAX_UNSIGNED_BODY_BYTES} bytes, "
            "as sent and once decompressed (413 body_too_large).",
            ["Protocol", "ContentEncoding"],
            {"201": _ok("Enrolment", "Enrolled.")}, UNSIGNED_ERRORS, body="EnrollRequest")},
        "/push": {"post": _operation(
            "push", "Store a batch of records; one result letter per record",
            f"At most {MAX_RECORDS_PER_BATCH} records. Each record is validated on its "
            "own: a bad one is rejected (R with a reason in `rejections`), the rest are "
            "stored. Stored once by id: repeating a push changes nothing.", signed,
            {"200": _ok("PushResult")}, SIGNED_ERRORS, body="PushRequest")},
        "/pull": {"post": _operation(
            "pull", "Central-owned changes in the device's scope after a cursor",
            "Oldest first, one entry per record per page (its latest change).", signed,
            {"200": _ok("PullPage")}, SIGNED_ERRORS, body="PullRequest")},
        "/lacking": {"post": _operation(
            "lacking", "Which acknowledged records the central lacks",
            "After a restore from backup: the laptop offers [id, hlc] pairs it thought "
            "acknowledged; the answer lists those to send again.", signed,
            {"200": _ok("LackingAnswer")}, SIGNED_ERRORS, body="LackingRequest")},
        "/blobs": {"post": {
            **_operation(
                "blobs", "Upload chunks of photo files, each at the offset the central holds",
                "The body is the chunks' bytes back to back (never compressed; "
                "Content-Encoding is ignored), described by X-LN-Chunks; at most "
                f"{MAX_CHUNK_BYTES} bytes. Each file needs an attachment record of this "
                "device pushed first; a completed file is checked against its SHA-256.",
                [name for name in signed if name != "ContentEncoding"] + ["Chunks"],
                {"200": _ok("BlobsAnswer")}, BLOB_ERRORS),
            "requestBody": {"required": True, "content": {"application/octet-stream": {
                "schema": {"type": "string", "format": "binary",
                           "maxLength": MAX_CHUNK_BYTES}}}}}},
    }
    for path, ops in operations.items():
        spec.path(path=PREFIX + path, operations=ops)
    return spec.to_dict()
