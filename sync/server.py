"""The central's side of the wire: a Flask blueprint the central role mounts.

It parses and checks (protocol version, size, signature, nonce), calls the
plain functions of `sync.store` in one transaction, and answers JSON. It
imports nothing from the web application.
"""

from __future__ import annotations

import gzip
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import RequestEntityTooLarge

from . import store
from .auth import (
    DEVICE_HEADER,
    MAX_AGE_SECONDS,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)
from .errors import (
    BadBody,
    BadEnvelope,
    BadOffset,
    BadSignature,
    BlobMismatch,
    BodyTooLarge,
    Busy,
    ClockSkew,
    SyncError,
    Unauthenticated,
    is_busy,
)
from .protocol import (
    ENCODINGS,
    MAX_BODY_BYTES,
    MAX_UNSIGNED_BODY_BYTES,
    MIN_PROTOCOL_VERSION,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    check_version,
    decompress,
    dumps,
    loads,
)
from .records import CONTROL

PREFIX = "/sync/v1"
# One request of chunks carries at most this much photo data.
MAX_CHUNK_BYTES = 4 * 1024 * 1024
# Integers a client sends that reach a database column: INTEGER on PostgreSQL.
MAX_INT = 2**31 - 1
_CHUNK = re.compile(r"^([0-9a-f]{64}):(\d{1,12}):(\d{1,9})$")


def answer(payload: dict[str, Any], status: int = 200) -> Response:
    """Return `payload` as UTF-8 JSON with the server's time; gzip it when it pays."""
    payload = {"protocol": PROTOCOL_VERSION, "server_time": time.time(), **payload}
    body = dumps(payload)
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if len(body) > 1024 and "gzip" in request.headers.get("Accept-Encoding", ""):
        body = gzip.compress(body, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(body, status=status, headers=headers)


def create_blueprint(get_engine: Callable[[], Engine],
                     blob_root: Callable[[], Path]) -> Blueprint:
    """Return the sync API; `get_engine` and `blob_root` are read per request."""
    bp = Blueprint("sync", __name__, url_prefix=PREFIX)

    @bp.errorhandler(SyncError)
    def sync_error(exc: SyncError):
        payload = exc.as_json()
        if isinstance(exc, ClockSkew):
            payload["details"]["server_time"] = time.time()
        return answer(payload, exc.status)

    @bp.errorhandler(DBAPIError)
    def database_busy(exc: DBAPIError):
        """A lock held past the wait: 503 and Retry-After, which the laptop retries."""
        if not is_busy(exc):
            raise exc
        response = answer(Busy().as_json(), Busy.status)
        response.headers["Retry-After"] = str(Busy.retry_after)
        return response

    def raw_body(limit: int = MAX_BODY_BYTES) -> bytes:
        """Return the body as sent, refusing one over `limit` bytes before reading it."""
        if (request.content_length or 0) > limit:
            raise BodyTooLarge(details={"limit": limit})
        # Bounds the read of a body without Content-Length (chunked) too.
        request.max_content_length = limit
        try:
            body = request.get_data(cache=True)
        except RequestEntityTooLarge:
            raise BodyTooLarge(details={"limit": limit}) from None
        if len(body) > limit:
            raise BodyTooLarge(details={"limit": limit})
        return body

    def authenticate(conn, body: bytes):
        """Return the signing device's row; refuse forged, old or replayed requests."""
        if not request.headers.get(DEVICE_HEADER):
            raise Unauthenticated()
        dev = store.get_device(conn, request.headers.get(DEVICE_HEADER))
        stamp = request.headers.get(TIMESTAMP_HEADER, "")
        try:
            skew = abs(time.time() - int(stamp))
        except ValueError:
            raise BadSignature(details={"header": TIMESTAMP_HEADER}) from None
        if skew > MAX_AGE_SECONDS:
            raise ClockSkew(details={"max_seconds": MAX_AGE_SECONDS})
        given_nonce = request.headers.get(NONCE_HEADER, "")
        if not verify(dev.secret, request.method, request.path, stamp, given_nonce, body,
                      request.headers.get(SIGNATURE_HEADER, "")):
            raise BadSignature()
        store.remember_nonce(conn, dev.id, given_nonce)
        return dev

    def signed_json() -> tuple[Any, Any, int]:
        """Check version and signature (nonce committed at once); return (device, body, size)."""
        check_version(request.headers.get(PROTOCOL_HEADER))
        raw = raw_body()
        with get_engine().begin() as conn:
            dev = authenticate(conn, raw)
        payload = loads(decompress(raw, request.headers.get("Content-Encoding")))
        if not isinstance(payload, dict):
            raise BadEnvelope(details={"body": "phải là một đối tượng JSON"})
        return dev, payload, len(raw)

    @bp.get("/hello")
    def hello():
        """Tell the protocol versions, encodings, epoch and server time (no signature)."""
        check_version(request.headers.get(PROTOCOL_HEADER))
        with get_engine().begin() as conn:
            epoch = store.epoch(conn)
        return answer({"min_protocol": MIN_PROTOCOL_VERSION, "encodings": list(ENCODINGS),
                       "epoch": epoch})

    @bp.post("/enroll")
    def enroll():
        """Trade a one-time enrolment code for this device's id and secret."""
        check_version(request.headers.get(PROTOCOL_HEADER))
        # Unauthenticated: a few KB, as sent and inflated, so bombs cost the central nothing.
        try:
            payload = loads(decompress(raw_body(MAX_UNSIGNED_BODY_BYTES),
                                       request.headers.get("Content-Encoding"),
                                       limit=MAX_UNSIGNED_BODY_BYTES))
        except BodyTooLarge as exc:
            raise BodyTooLarge("Yêu cầu đăng ký máy quá lớn; một yêu cầu đăng ký chỉ vài trăm "
                               "byte.", exc.details) from None
        if not isinstance(payload, dict) or not isinstance(payload.get("code"), str):
            raise BadEnvelope(details={"code": "bắt buộc"})
        for name in ("label", "replica"):
            if payload.get(name) is not None and (not isinstance(payload[name], str)
                                                  or CONTROL.search(payload[name])):
                raise BadEnvelope(details={name: "phải là chuỗi ký tự, không có ký tự điều khiển"})
        commune = payload.get("commune_code")
        # 0 has always meant "no commune yet", like null.
        if commune is not None and (type(commune) is not int or not 0 <= commune <= MAX_INT):
            raise BadEnvelope(details={"commune_code": "số nguyên"})
        with get_engine().begin() as conn:
            device = store.enrol(conn, payload["code"], payload.get("label") or "",
                                 (payload.get("replica") or "")[:36] or None, commune)
        return answer(device, 201)

    @bp.post("/push")
    def push():
        """Store a batch of records; answer one result letter per record."""
        dev, envelope, size = signed_json()
        with get_engine().begin() as conn:
            result = store.ingest_batch(conn, dev, envelope, store.BlobStore(blob_root()),
                                        via="network", size=size)
            epoch = store.epoch(conn)
        return answer({**result.as_json(), "epoch": epoch})

    @bp.post("/pull")
    def pull():
        """Return the central changes in the device's scope after its cursor."""
        dev, payload, _ = signed_json()
        cursor, limit = payload.get("cursor", 0), payload.get("limit", 500)
        if type(cursor) is not int or type(limit) is not int or not 0 <= cursor <= store.MAX_SEQ:
            raise BadEnvelope(details={"cursor": "số nguyên ≥ 0", "limit": "số nguyên"})
        with get_engine().begin() as conn:
            page = store.pull_changes(conn, dev, cursor, limit, store.BlobStore(blob_root()))
            page["epoch"] = store.epoch(conn)
        return answer(page)

    @bp.post("/lacking")
    def lacking():
        """Answer which of the offered [id, hlc] pairs the central lacks."""
        dev, payload, _ = signed_json()
        with get_engine().begin() as conn:
            missing = store.lacking(conn, dev, payload.get("offered"))
            epoch = store.epoch(conn)
        return answer({"lacking": missing, "held_seq": dev.held_seq, "epoch": epoch})

    @bp.post("/blobs")
    def blobs() -> Response:
        """Take chunks of photo files, each at the offset the central holds."""
        check_version(request.headers.get(PROTOCOL_HEADER))
        raw = raw_body()
        spec = request.headers.get("X-LN-Chunks", "")
        chunks = [_CHUNK.match(part.strip()) for part in spec.split(",") if part.strip()]
        if not chunks or None in chunks or len(chunks) > 64:
            raise BadEnvelope(details={"X-LN-Chunks": "sha256:offset:length,…"})
        if sum(int(m.group(3)) for m in chunks if m) != len(raw) or len(raw) > MAX_CHUNK_BYTES:
            raise BadBody(details={"X-LN-Chunks": "độ dài các phần không khớp thân yêu cầu"})
        with get_engine().begin() as conn:
            dev = authenticate(conn, raw)
        files = store.BlobStore(blob_root())
        held, position = [], 0
        for match in chunks:
            assert match is not None
            sha, offset, length = match.group(1), int(match.group(2)), int(match.group(3))
            entry: dict[str, Any] = {"sha256": sha}
            try:
                with get_engine().begin() as conn:
                    entry["offset"], entry["size"] = files.append(
                        conn, dev, sha, offset, raw[position:position + length])
            except (BadOffset, BlobMismatch) as exc:
                # Per file: one refused chunk must not stop the others in the request.
                entry.update(error=exc.code, message=exc.message, offset=files.offset(sha),
                             size=exc.details.get("size"))
            entry["done"] = entry.get("size") is not None and entry["offset"] == entry["size"]
            position += length
            held.append(entry)
        return answer({"blobs": held})

    return bp
