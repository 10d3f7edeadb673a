"""The laptop's side of the wire: push, pull, photo chunks and enrolment over HTTP.

Transport only: it knows requests, signatures, compression and errors, not
the field app's database. `field_app.outbox` decides what to send and
applies what comes back.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests

from .auth import sign
from .errors import (
    ClockSkew,
    ServerFailed,
    SyncError,
    Unreachable,
    UnsupportedEncoding,
    from_json,
)
from .protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    EncodedRecords,
    compress,
    dumps,
    envelope_body,
)

T = TypeVar("T")
USER_AGENT = f"langnghe-sync/{PROTOCOL_VERSION}"


@dataclass(frozen=True, slots=True)
class Encoded:
    """A request body as sent (`body`, `headers`) and before compression (`plain`)."""

    plain: bytes
    body: bytes
    headers: dict[str, str]
    encoding: str


class SyncClient:
    """Talks to one central server as one enrolled device."""

    def __init__(self, base_url: str, device_id: str | None = None, secret: str | None = None,
                 encoding: str = "xz", timeout: tuple[float, float] = (10.0, 120.0),
                 clock_offset: float = 0.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.device_id, self.secret = device_id, secret
        self.encoding = encoding
        self.timeout = timeout
        # Seconds to add to this laptop's clock to get the central's: laptops are often off.
        self.clock_offset = clock_offset
        self.session = requests.Session()
        self.session.headers.update({PROTOCOL_HEADER: str(PROTOCOL_VERSION),
                                     "User-Agent": USER_AGENT,
                                     "Accept-Encoding": "gzip"})
        self.round_trips = 0
        self.bytes_sent = 0
        self.bytes_received = 0

    def _url(self, path: str) -> str:
        return f"{self.base_url}/sync/v1{path}"

    def _send(self, method: str, path: str, body: bytes = b"",
              headers: dict[str, str] | None = None, signed: bool = True) -> Any:
        headers = dict(headers or {})
        if signed:
            if not (self.device_id and self.secret):
                raise SyncError("Máy này chưa đăng ký với máy chủ xã.")
            headers.update(sign(self.device_id, self.secret, method,
                                f"/sync/v1{path}", body, self.clock_offset))
        sent_at = time.time()
        self.round_trips += 1
        self.bytes_sent += len(body)
        try:
            response = self.session.request(method, self._url(path), data=body or None,
                                            headers=headers, timeout=self.timeout)
            content = response.content
        except requests.RequestException as exc:
            raise Unreachable(details={"error": type(exc).__name__}) from None
        self.bytes_received += int(response.headers.get("Content-Length") or len(content))
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if isinstance(payload, dict) and isinstance(payload.get("server_time"), (int, float)):
            # The answer left the server between send and receive: take the midpoint.
            self.clock_offset = payload["server_time"] - (sent_at + time.time()) / 2
        if payload is None and response.status_code < 500:
            # Not JSON: the answer was cut off on the way (or a proxy answered). Retry.
            raise Unreachable(details={"status": response.status_code, "error": "cut answer"})
        if response.status_code >= 400 or payload is None:
            error = from_json(response.status_code, payload)
            if response.status_code >= 500 and not isinstance(error, ServerFailed):
                error = ServerFailed(error.message, {"code": error.code, **error.details})
            raise error
        return payload

    def _json(self, path: str, payload: dict[str, Any], signed: bool = True) -> Any:
        return self._post(path, dumps(payload), signed)

    def encode(self, plain_body: bytes) -> Encoded:
        """Compress an uncompressed JSON body with this client's encoding, ready to send."""
        encoding, body = self.encoding, plain_body
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if encoding != "identity" and len(body) > 512:
            body = compress(body, encoding)
            headers["Content-Encoding"] = encoding
        return Encoded(plain_body, body, headers, encoding)

    def _post(self, path: str, plain_body: bytes, signed: bool = True,
              encoded: Encoded | None = None) -> Any:
        """POST an uncompressed JSON body, compressed with this client's encoding.

        `encoded`: the same body compressed ahead (`encode`), used unless the
        encoding fell back since.
        """
        if encoded is None or encoded.encoding != self.encoding:
            encoded = self.encode(plain_body)
        body, headers = encoded.body, encoded.headers
        try:
            return self._send("POST", path, body, headers, signed)
        except ClockSkew:
            # The answer carried the central's time: sign again with it, once.
            return self._send("POST", path, body, headers, signed)
        except UnsupportedEncoding:
            if self.encoding == "gzip":
                raise
            self.encoding = "gzip"  # an older central without xz
            return self._post(path, plain_body, signed)

    def hello(self) -> dict[str, Any]:
        """Ask the central for its versions, encodings, epoch and time."""
        return self._send("GET", "/hello", signed=False)

    def enroll(self, code: str, label: str, replica: str,
               commune_code: int | None = None) -> dict[str, Any]:
        """Trade a one-time enrolment code for this laptop's device id and secret."""
        answer = self._json("/enroll", {"code": code, "label": label, "replica": replica,
                                        "commune_code": commune_code}, signed=False)
        self.device_id, self.secret = answer["device_id"], answer["secret"]
        return answer

    def prepare_push(self, envelope: dict[str, Any]) -> Encoded:
        """Encode and compress one batch ahead of `push` (e.g. while another is in flight)."""
        records = envelope.get("records")
        if isinstance(records, EncodedRecords):
            return self.encode(envelope_body(envelope, records.encoded))
        return self.encode(dumps(envelope))

    def push(self, envelope: dict[str, Any] | Encoded) -> dict[str, Any]:
        """Send one batch. Safe to repeat: the central stores each record once."""
        encoded = envelope if isinstance(envelope, Encoded) else self.prepare_push(envelope)
        return self._post("/push", encoded.plain, encoded=encoded)

    def pull(self, cursor: int, limit: int = 500) -> dict[str, Any]:
        return self._json("/pull", {"cursor": cursor, "limit": limit})

    def lacking(self, offered: list[list[str]]) -> dict[str, Any]:
        return self._json("/lacking", {"offered": offered})

    def upload(self, chunks: list[tuple[str, int, bytes]]) -> dict[str, Any]:
        """Send photo chunks ``(sha256, offset, bytes)`` in one request (not compressed)."""
        spec = ",".join(f"{sha}:{offset}:{len(data)}" for sha, offset, data in chunks)
        body = b"".join(data for _, _, data in chunks)
        headers = {"Content-Type": "application/octet-stream", "X-LN-Chunks": spec}
        try:
            return self._send("POST", "/blobs", body, headers)
        except ClockSkew:
            return self._send("POST", "/blobs", body, headers)


def with_retries(action: Callable[[], T], attempts: int = 5, base: float = 1.0,
                 cap: float = 60.0, sleep: Callable[[float], None] = time.sleep,
                 on_retry: Callable[[int, float, SyncError], None] | None = None) -> T:
    """Run `action`, retrying on a cut link or a 5xx with exponential backoff and jitter.

    Only for idempotent actions: every push, pull and chunk is (the central
    keys records by UUID and chunks by offset), which is why retrying a POST
    is safe here.
    """
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except (Unreachable, ServerFailed) as exc:
            if attempt == attempts:
                raise
            # Full jitter: many laptops coming back online at once do not retry in step.
            delay = random.uniform(0, min(cap, base * 2 ** (attempt - 1)))
            if on_retry:
                on_retry(attempt, delay, exc)
            sleep(delay)
    raise AssertionError("unreachable")
