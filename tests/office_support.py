"""A central office in this process (real SQLite, real migrations) fed through the real ingest.

Records are built in the wire's format and stored by `sync.store.ingest_batch`, as a
push does: the office's tables are projected inside that transaction.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from flask import Flask

from field_app import create_app
from field_app.central.accounts.logic import create_account
from field_app.cli import upgrade_database
from field_app.extensions import db
from sync import store

from .sync_support import drop_pg_database, make_pg_database

MUONG_LA = 3808
CHIENG_LAO = 3814  # another commune of Sơn La
PASSWORD = "mat-khau-xa-2026"


@contextmanager
def office_app(data_dir: Path, backend: str = "sqlite", **config) -> Iterator[Flask]:
    """A central app (real migrations) on a fresh SQLite file or PostgreSQL database,
    dropped after; no app context held (each request has its own, as in production)."""
    url = make_pg_database() if backend == "postgresql" else None
    settings = {"ROLE": "central", "DATA_DIR": data_dir, "TESTING": True,
                "WTF_CSRF_ENABLED": False, **config}
    if url:
        settings["SQLALCHEMY_DATABASE_URI"] = url
    try:
        app = create_app(settings)
        upgrade_database(app)
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        if url:
            drop_pg_database(url)


class Laptop:
    """One enrolled laptop: builds wire records and pushes them through `ingest_batch`."""

    def __init__(self, app: Flask, commune_code: int, label: str) -> None:
        self.app = app
        self.commune_code = commune_code
        self.node = uuid.uuid4().hex[:12]
        self.seq = 0
        self.wall = int(time.time() * 1000) - 3600 * 1000
        with app.app_context(), db.engine.begin() as conn:
            code = store.create_enrolment(conn, commune_code, label)
            self.device_id = store.enrol(conn, code, label, str(uuid.uuid4()))["device_id"]
        self.waiting: list[dict] = []
        self.villages: dict[str, uuid.UUID] = {}

    def _add(self, collection: str, record_id: uuid.UUID, data: dict | None) -> uuid.UUID:
        self.seq += 1
        self.waiting.append({"c": collection, "id": str(record_id), "seq": self.seq,
                             "hlc": f"{self.wall + self.seq:013d}-0000-{self.node}",
                             "op": "put" if data is not None else "delete",
                             **({"data": data} if data is not None else {})})
        return record_id

    def village(self, name: str) -> uuid.UUID:
        self.villages[name] = self._add("village", uuid.uuid4(), {
            "commune_code": self.commune_code, "name": name, "kind": "ban",
            "households": 100})
        return self.villages[name]

    def forum(self, village: str, started_at: datetime, record_id: uuid.UUID | None = None,
              **extra) -> uuid.UUID:
        return self._add("forum", record_id or uuid.uuid4(), {
            "kind": "listening", "village_id": str(self.villages[village]),
            "title": f"Hội nghị lắng nghe ý kiến Nhân dân {village}",
            "started_at": started_at.isoformat(), "venue": f"Nhà văn hóa {village}",
            "chair": "Lò Văn Minh", "secretary": "Quàng Thị Hoa", "attendance_total": 64,
            "attendance_women": 30, "attendance_ethnic_minority": 60,
            "households_represented": 70, "status": "draft", **extra})

    def opinion(self, village: str, content: str, record_id: uuid.UUID | None = None,
                forum: uuid.UUID | None = None, **extra) -> uuid.UUID:
        data = {"kind": "opinion", "channel": "forum" if forum else "direct",
                "village_id": str(self.villages[village]), "category_code": "construction",
                "category_name": "Giao thông – xây dựng – thủy lợi", "content": content,
                "level": "commune", "raiser_name": "Lò Văn Pọm", "raiser_phone": "0912345678",
                "raiser_gender": "male", "created_at": "2026-11-20T08:30:00", **extra}
        if forum:
            data["forum_id"] = str(forum)
        return self._add("opinion", record_id or uuid.uuid4(), data)

    def attachment(self, content: bytes, filename: str, mime_type: str, *,
                   opinion: uuid.UUID | None = None, forum: uuid.UUID | None = None
                   ) -> tuple[uuid.UUID, str]:
        import hashlib

        sha = hashlib.sha256(content).hexdigest()
        data = {"sha256": sha, "mime_type": mime_type, "size": len(content),
                "filename": filename}
        if opinion:
            data["opinion_id"] = str(opinion)
        if forum:
            data["forum_id"] = str(forum)
        return self._add("attachment", uuid.uuid4(), data), sha

    def push(self, via: str = "network") -> store.BatchResult:
        """Send what waits in one batch, as /sync/v1/push does; refuse a rejection."""
        blobs = store.BlobStore(self.app.config["CENTRAL_BLOBS"])
        with self.app.app_context():
            with db.engine.begin() as conn:
                dev = store.get_device(conn, self.device_id)
            with db.engine.begin() as conn:
                result = store.ingest_batch(conn, dev, {"records": self.waiting,
                                                        "replica": self.node}, blobs, via=via)
        assert result.rejected == [], result.rejected
        self.waiting = []
        return result

    def upload(self, content: bytes, sha: str) -> None:
        """Upload a photo's bytes, as /sync/v1/blobs does."""
        blobs = store.BlobStore(Path(self.app.config["CENTRAL_BLOBS"]))
        with self.app.app_context(), db.engine.begin() as conn:
            dev = store.get_device(conn, self.device_id)
            blobs.append(conn, dev, sha, 0, content)


def account(app: Flask, username: str, role: str = "officer",
            commune_code: int | None = MUONG_LA, unit_id: int | None = None) -> int:
    """Create an office account; return its id."""
    with app.app_context():
        made = create_account(username, PASSWORD, role=role, commune_code=commune_code,
                              unit_id=unit_id)
        db.session.commit()
        return made.id


def login(app: Flask, username: str):
    """Return a test client logged in as `username`.

    Call it outside an app context: requests sharing one would share `g` (and the
    logged-in account) as well.
    """
    client = app.test_client()
    answer = client.post("/central/login", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client
