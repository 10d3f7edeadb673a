"""The offline bundle: records and photos on a USB stick, signed by the device.

A bundle is a zip file::

    envelope.json   {"format": "langnghe-bundle", "protocol", "device", "sealed"}: in clear,
                    no personal data, so the central knows whose secret opens the rest
    manifest.sealed the manifest, gzipped then encrypted (AES-256-GCM, `auth.encrypt`)
                    with a key derived from the device's secret, the envelope bound to it:
                    {"format", "protocol", "device", "replica", "batch", "created_at",
                     "records": [...], "blobs": [{"sha256", "size"}]}
    signature       HMAC-SHA256 of the manifest with the device's secret (hex)
    blobs/<sha256>.sealed each photo, encrypted as the manifest, checked against its
                    hash on import

A bundle of an earlier version (``manifest.json`` in clear) is still read.

The central imports it through `store.ingest_batch`, the path a network push
takes, so a record that also arrives by network is stored once. The
acknowledgement file goes the other way: what the central holds of the
device, encrypted with the same secret.
"""

from __future__ import annotations

import base64
import io
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, select

from . import store
from .auth import check_seal, decrypt, encrypt, seal
from .errors import BadBundle, BlobMismatch, SyncError
from .protocol import (
    MAX_DECOMPRESSED_BYTES,
    PROTOCOL_VERSION,
    check_version,
    compress,
    decompress,
    dumps,
    loads,
)

FORMAT = "langnghe-bundle"
ACK_FORMAT = "langnghe-ack"
# A pull page's own keys; any other key of the last page is a `store.on_pull` extra.
PULL_KEYS = {"changes", "cursor", "more", "held_seq", "missing_blobs"}
# How a sealed file's content is packed: gzip, then AES-256-GCM (`auth.encrypt`).
SEALED = "gzip+aes-256-gcm"
# The envelope of a file is a few hundred bytes; anything larger is not one.
MAX_ENVELOPE_BYTES = 4096


def seal_content(secret: str, purpose: str, envelope: bytes, body: bytes) -> bytes:
    """Return `body` compressed and encrypted with the device's secret, bound to `envelope`."""
    return encrypt(secret, purpose, compress(body, "gzip"), envelope)


def open_content(secret: str, purpose: str, envelope: bytes, sealed: bytes) -> bytes:
    """Return what `seal_content` sealed; refuse another device's file or a changed byte."""
    packed = decrypt(secret, purpose, sealed, envelope)
    if packed is None:
        raise BadBundle(details={"signature": "sai: tệp bị sửa hoặc của máy khác"})
    try:
        return decompress(packed, "gzip")
    except SyncError:
        raise BadBundle(details={"manifest": "quá lớn hoặc hỏng"}) from None


def write_bundle(path: Path, device_id: str, secret: str, replica: str,
                 records: list[dict[str, Any]], blobs: list[tuple[str, Path]]) -> dict:
    """Write a signed bundle to `path` (via a temporary file); return its manifest."""
    manifest = {"format": FORMAT, "protocol": PROTOCOL_VERSION, "device": device_id,
                "replica": replica, "batch": str(uuid.uuid4()), "created_at": time.time(),
                "records": records,
                "blobs": [{"sha256": sha, "size": file.stat().st_size} for sha, file in blobs]}
    body = dumps(manifest)
    envelope = dumps({"format": FORMAT, "protocol": PROTOCOL_VERSION, "device": device_id,
                      "sealed": SEALED})
    tmp = Path(f"{path}.part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        out.writestr("envelope.json", envelope)
        # Encrypted bytes do not compress: gzipped before, stored as they are.
        out.writestr("manifest.sealed", seal_content(secret, FORMAT, envelope, body),
                     compress_type=zipfile.ZIP_STORED)
        out.writestr("signature", seal(secret, body))
        for sha, file in blobs:
            # A photo of the minutes shows names and signatures: encrypted as the manifest,
            # bound to its hash. Photos are compressed already: stored as they are.
            out.writestr(f"blobs/{sha}.sealed",
                         encrypt(secret, FORMAT, file.read_bytes(), _blob_bound(envelope, sha)),
                         compress_type=zipfile.ZIP_STORED)
    tmp.replace(path)
    return manifest


def _member(archive: zipfile.ZipFile, name: str, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise BadBundle(details={"missing": name}) from None
    if info.file_size > limit:
        raise BadBundle(details={name: "quá lớn"})
    return archive.read(info)


def _read_manifest(engine: Engine, archive: zipfile.ZipFile) -> tuple[bytes, str, Any]:
    """Return the manifest's bytes, its signature and the device whose secret opened it."""
    signature = _member(archive, "signature", MAX_ENVELOPE_BYTES).decode("ascii", "replace")
    if "manifest.sealed" not in archive.namelist():
        return _member(archive, "manifest.json"), signature, None  # an earlier version's
    envelope = _member(archive, "envelope.json", MAX_ENVELOPE_BYTES)
    outside = loads(envelope)
    if not isinstance(outside, dict) or outside.get("format") != FORMAT:
        raise BadBundle(details={"format": "không phải tệp đồng bộ Lắng Nghe"})
    check_version(str(outside.get("protocol", "")))
    with engine.begin() as conn:
        dev = store.get_device(conn, str(outside.get("device") or ""))
    return open_content(dev.secret, FORMAT, envelope, _member(archive, "manifest.sealed")), \
        signature, dev


# What a damaged zip raises while it is read (a USB stick pulled out mid-copy).
DAMAGED = (zipfile.BadZipFile, zlib.error, OSError, EOFError)


def import_bundle(engine: Engine, stream: IO[bytes], blobs: store.BlobStore,
                  allow: Callable[[Any], None] | None = None) -> dict[str, Any]:
    """Verify and ingest a bundle; importing it twice changes nothing.

    `allow(device)` may raise to refuse a genuine bundle (a device of another commune).
    """
    try:
        archive = zipfile.ZipFile(stream)
    except DAMAGED:
        raise BadBundle(details={"file": "không phải tệp đồng bộ"}) from None
    try:
        with archive:
            return _import(engine, archive, blobs, allow)
    except DAMAGED as exc:
        raise BadBundle(details={"file": f"tệp hỏng: {type(exc).__name__}"}) from None


def _import(engine: Engine, archive: zipfile.ZipFile, blobs: store.BlobStore,
            allow: Callable[[Any], None] | None) -> dict[str, Any]:
    """Check the seal, ingest the records in batches, store the photos it carries."""
    body, signature, dev = _read_manifest(engine, archive)
    dev_sealed = dev is not None
    manifest = loads(body)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BadBundle(details={"format": "không phải tệp đồng bộ Lắng Nghe"})
    check_version(str(manifest.get("protocol", "")))
    if dev is None or manifest.get("device") != dev.id:
        with engine.begin() as conn:
            dev = store.get_device(conn, str(manifest.get("device") or ""))
    if not check_seal(dev.secret, body, signature):
        raise BadBundle(details={"signature": "sai: tệp bị sửa hoặc của máy khác"})
    if allow is not None:
        allow(dev)
    records = manifest.get("records")
    if not isinstance(records, list):
        raise BadBundle(details={"records": "thiếu"})
    totals = {"stored": 0, "unchanged": 0, "rejected": 0}
    rejected: list[dict[str, Any]] = []
    missing: set[str] = set()
    for start in range(0, max(len(records), 1), store.MAX_RECORDS_PER_BATCH):
        part = {**manifest, "records": records[start:start + store.MAX_RECORDS_PER_BATCH]}
        with engine.begin() as conn:
            dev = store.get_device(conn, dev.id)
            result = store.ingest_batch(conn, dev, part, blobs, via="bundle",
                                        size=len(body))
        for key, value in result.counts().items():
            totals[key] += value
        rejected += [{**item, "i": item["i"] + start} for item in result.rejected]
        missing.update(blob["sha256"] for blob in result.missing_blobs)
    stored_blobs = 0
    envelope = archive.read("envelope.json") if dev_sealed else b""
    for sha in sorted(missing):
        found = _blob(archive, sha, dev.secret if dev_sealed else None, envelope)
        if found is None:
            continue
        member, size = found
        with member, engine.begin() as conn:
            try:
                blobs.put_whole(conn, sha, member, size)
            except BlobMismatch:
                raise BadBundle(details={"blob": sha}) from None
        stored_blobs += 1
    return {"device": dev.id, "label": dev.label, "batch": manifest.get("batch"),
            "records": len(records), **totals, "rejected_records": rejected,
            "blobs": stored_blobs}


def _blob_bound(envelope: bytes, sha: str) -> bytes:
    return envelope + b"\nblobs/" + sha.encode("ascii")


def _blob(archive: zipfile.ZipFile, sha: str, secret: str | None, envelope: bytes
          ) -> tuple[IO[bytes], int] | None:
    """Return (stream, size) of the photo `sha` the bundle carries, decrypted; None if absent.

    `secret`: the bundle is sealed (its photos too); None: an earlier version's, in clear.
    """
    if secret is None:
        try:
            info = archive.getinfo(f"blobs/{sha}")
        except KeyError:
            return None
        return archive.open(info), info.file_size
    try:
        info = archive.getinfo(f"blobs/{sha}.sealed")
    except KeyError:
        return None
    if info.file_size > MAX_DECOMPRESSED_BYTES:
        raise BadBundle(details={"blob": sha})
    plain = decrypt(secret, FORMAT, archive.read(info), _blob_bound(envelope, sha))
    if plain is None:
        raise BadBundle(details={"blob": sha, "signature": "sai: tệp bị sửa"})
    return io.BytesIO(plain), len(plain)


# What a user may pick by mistake instead of a bundle or an acknowledgement file: told
# apart by name, and by content too (a renamed file), for the page to say which it is.
WORD_SUFFIXES = (".doc", ".docx", ".docm", ".odt", ".rtf")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".gif", ".webp")
_PHOTO_STARTS = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF8")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003


def file_kind(name: str, data: bytes) -> str | None:
    """Say what a chosen file is: "word", "photo", "ack", "bundle", or None (unknown)."""
    suffix = Path(name or "").suffix.lower()
    names: list[str] = []
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except DAMAGED:
            names = []
    if (suffix in WORD_SUFFIXES or data[:8] == _OLE or "word/document.xml" in names
            or data[:2] == b"PK" and b"word/" in data and not names):
        return "word"
    if suffix in PHOTO_SUFFIXES or data.startswith(_PHOTO_STARTS) or data[4:12] in (
            b"ftypheic", b"ftypmif1") or data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "photo"
    if Path(name or "").name.startswith(ACK_FORMAT) or (
            data.lstrip()[:1] == b"{" and ACK_FORMAT.encode() in data[:MAX_ENVELOPE_BYTES]):
        return "ack"
    if suffix == ".bundle" or "envelope.json" in names or "manifest.json" in names:
        return "bundle"
    return None


def ack_file(conn, device_id: str) -> bytes:
    """Return, signed, what the central holds of this device and the office's changes.

    ``held``: ``[id, hlc]`` of every record of the device, so the laptop can
    stop waiting for them; ``changes``: every central change in the device's
    scope, as a pull gives them, so answers reach a laptop that never has a link.
    """
    dev = store.get_device(conn, device_id)
    held = [[str(row.id), row.hlc] for row in conn.execute(
        select(store.record.c.id, store.record.c.hlc)
        .where(store.record.c.device_id == dev.id).order_by(store.record.c.id))]
    changes: list[dict[str, Any]] = []
    cursor = 0
    while True:
        page = store.pull_changes(conn, dev, cursor, 2000, remember=False)
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            break
    # What `store.on_pull` providers add to a pull's last page (the category list).
    extras = {key: value for key, value in page.items() if key not in PULL_KEYS}
    body = dumps({**extras, "format": ACK_FORMAT, "device": dev.id,
                  "created_at": time.time(), "held": held, "changes": changes})
    envelope = dumps({"format": ACK_FORMAT, "device": dev.id, "sealed": SEALED})
    sealed = seal_content(dev.secret, ACK_FORMAT, envelope, body)
    return dumps({"envelope": envelope.decode("utf-8"),
                  "sealed": base64.b64encode(sealed).decode("ascii")})


def read_ack(data: bytes, device_id: str, secret: str
             ) -> tuple[list[tuple[uuid.UUID, str]], list[dict[str, Any]], dict[str, Any]]:
    """Check an acknowledgement file is this device's; return its held pairs, changes and
    what a pull's last page would add (the commune's categories)."""
    try:
        outer = loads(data)
    except SyncError:
        outer = None
    if isinstance(outer, dict) and isinstance(outer.get("sealed"), str):
        return _read_ack_body(_open_ack(outer, device_id, secret), device_id)
    if not isinstance(outer, dict) or not isinstance(outer.get("body"), str):
        raise BadBundle("Đây không phải tệp xác nhận của văn phòng xã (tệp .json tải ở trang "
                        "Máy đồng bộ). Hãy chọn đúng tệp.", {"file": "không phải tệp xác nhận"})
    body = outer["body"].encode("utf-8")  # an earlier version's file: signed, in clear
    if not check_seal(secret, body, str(outer.get("signature", ""))):
        raise BadBundle(details={"signature": "sai: tệp bị sửa hoặc của máy khác"})
    return _read_ack_body(body, device_id)


def _open_ack(outer: dict[str, Any], device_id: str, secret: str) -> bytes:
    """Return the content of an encrypted acknowledgement file meant for this device."""
    envelope = str(outer.get("envelope", "")).encode("utf-8")
    try:
        outside = loads(envelope)
        sealed = base64.b64decode(outer["sealed"], validate=True)
    except (SyncError, ValueError):
        raise BadBundle(details={"file": "tệp hỏng"}) from None
    if not isinstance(outside, dict) or outside.get("format") != ACK_FORMAT:
        raise BadBundle(details={"file": "không phải tệp xác nhận"})
    if outside.get("device") != device_id:
        raise BadBundle(details={"device": "tệp xác nhận của máy khác"})
    return open_content(secret, ACK_FORMAT, envelope, sealed)


def _read_ack_body(body: bytes, device_id: str
                   ) -> tuple[list[tuple[uuid.UUID, str]], list[dict[str, Any]], dict[str, Any]]:
    inner = loads(body)
    if inner.get("format") != ACK_FORMAT or inner.get("device") != device_id:
        raise BadBundle(details={"device": "tệp xác nhận của máy khác"})
    held = [(uuid.UUID(key), str(hlc)) for key, hlc in inner.get("held", [])]
    changes = [change for change in inner.get("changes", []) if isinstance(change, dict)]
    extras = {key: value for key, value in inner.items()
              if key not in ("format", "device", "created_at", "held", "changes")}
    return held, changes, extras
