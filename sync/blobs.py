"""Attachments: content-addressed files whose uploads resume after a cut."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    select,
)

from .errors import (
    BadEnvelope,
    BadOffset,
    BlobMismatch,
)
from .tables import _insert, _now, blob, record

# --- attachments (content-addressed blobs) -------------------------------------------

class BlobStore:
    """Files by SHA-256 under `root`; uploads resume from the bytes already held."""

    def __init__(self, root: Path, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def partial(self, sha: str) -> Path:
        return self.root / "partial" / f"{sha}.part"

    def offset(self, sha: str) -> int:
        part = self.partial(sha)
        return part.stat().st_size if part.exists() else 0

    def missing(self, conn: Connection, attachments: list[dict[str, Any]]) -> list[dict]:
        """Return the blobs of these attachments the central lacks, with resume offsets."""
        sizes = {item["sha256"]: int(item["size"]) for item in attachments}
        if not sizes:
            return []
        have = set(conn.execute(select(blob.c.sha256).where(blob.c.sha256.in_(list(sizes))))
                   .scalars())
        return [{"sha256": sha, "size": size, "offset": self.offset(sha)}
                for sha, size in sorted(sizes.items()) if sha not in have]

    def missing_for_device(self, conn: Connection, dev) -> list[dict]:
        """Return the photos of this device's attachments that the central lacks."""
        rows = conn.execute(select(record.c.data).where(
            record.c.collection == "attachment", record.c.device_id == dev.id,
            record.c.deleted.is_(False)))
        return self.missing(conn, [row.data for row in rows if row.data])

    def expected_size(self, conn: Connection, dev, sha: str) -> int:
        """Return the size an attachment record of this device declares for `sha`."""
        rows = conn.execute(select(record.c.data).where(
            record.c.collection == "attachment", record.c.device_id == dev.id,
            record.c.deleted.is_(False)))
        for row in rows:
            if row.data and row.data.get("sha256") == sha:
                return int(row.data["size"])
        raise BadEnvelope("Không có tệp đính kèm nào của máy này mang mã SHA-256 đó.",
                          {"sha256": sha})

    def append(self, conn: Connection, dev, sha: str, offset: int,
               chunk: bytes) -> tuple[int, int]:
        """Add `chunk` at `offset`; return (bytes held, file size)."""
        size = self.expected_size(conn, dev, sha)
        if conn.execute(select(blob.c.size).where(blob.c.sha256 == sha)).first():
            return size, size
        if size > self.max_bytes:
            raise BadEnvelope("Tệp đính kèm quá lớn.", {"limit": self.max_bytes})
        part = self.partial(sha)
        part.parent.mkdir(parents=True, exist_ok=True)
        held = self.offset(sha)
        if offset != held or offset + len(chunk) > size:
            raise BadOffset(details={"offset": held, "size": size})
        if not chunk:
            return held, size
        with open(part, "ab") as out:
            out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        held += len(chunk)
        if held == size:
            self._finish(conn, sha, size)
        return held, size

    def _finish(self, conn: Connection, sha: str, size: int) -> None:
        part = self.partial(sha)
        digest = hashlib.sha256()
        with open(part, "rb") as stream:
            while chunk := stream.read(1 << 16):
                digest.update(chunk)
        if digest.hexdigest() != sha:
            part.unlink()
            raise BlobMismatch(details={"sha256": sha, "size": size})
        final = self.path(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, final)
        conn.execute(_insert(conn, blob).values(sha256=sha, size=size, received_at=_now())
                     .on_conflict_do_nothing(index_elements=["sha256"]))

    def put_whole(self, conn: Connection, sha: str, stream, size: int) -> None:
        """Store a complete file (from a bundle), verifying its size and hash."""
        if conn.execute(select(blob.c.size).where(blob.c.sha256 == sha)).first():
            return
        if size > self.max_bytes:
            raise BlobMismatch("Tệp đính kèm quá lớn.", {"sha256": sha, "limit": self.max_bytes})
        part = self.partial(sha)
        part.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with open(part, "wb") as out:
            while chunk := stream.read(1 << 16):
                written += len(chunk)
                if written > size:
                    break
                out.write(chunk)
        if written != size:
            part.unlink()
            raise BlobMismatch(details={"sha256": sha, "size": size})
        self._finish(conn, sha, size)
