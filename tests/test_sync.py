"""Sync between a real central (waitress, own process; SQLite and PostgreSQL) and a laptop.

Each test ends by checking the exact set of records at the central: none
lost, none doubled.
"""

from __future__ import annotations

import io
import threading
import unicodedata
import uuid
from datetime import datetime

import pytest
from sqlalchemy import select

from field_app.areas import logic as areas
from field_app.attachments import logic as attachments
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.opinions import logic as opinions
from field_app.opinions.models import Opinion
from field_app.outbox import logic as outbox
from field_app.outbox.models import Outbox
from sync import store
from sync.client import SyncClient
from sync.errors import SyncError

from .netproxy import Faults, FaultProxy


def record_forum(count: int = 5, village_index: int = 0, **extra) -> tuple:
    """Record a forum with `count` opinions on the laptop; return (forum, opinions)."""
    village = areas.villages()[village_index]
    forum = forums.create_forum({
        "kind": "listening", "village_id": village.id, "started_at": datetime(2026, 11, 20, 8),
        "venue": "Nhà văn hóa", "chair": "Lò Văn Minh", **extra})
    made = [opinions.create_opinion(
        {"content": f"Đề nghị sửa đường vào bản, đoạn số {i} bị sạt lở sau mưa lũ",
         "raiser_name": f"Lò Văn {i}", "category_code": "construction"}, forum)
        for i in range(count)]
    db.session.commit()
    return forum, made


def local_ids() -> set[uuid.UUID]:
    from field_app.outbox.capture import MODELS

    ids = set()
    for model in MODELS.values():
        ids |= set(db.session.execute(select(model.id)).scalars())
    return ids


def central_ids(central) -> set[uuid.UUID]:
    return {row.id for row in central.records() if not row.deleted}


def assert_same_records(central) -> None:
    """Every record on the laptop is at the central exactly once (id is the key)."""
    rows = central.records()
    assert len(rows) == len({row.id for row in rows})
    assert central_ids(central) == local_ids()


def test_forum_syncs_and_answer_comes_back(central, laptop):
    """Enrol, record a forum, sync, see it at the central; an answer comes back."""
    forum, said = record_forum(60)
    outbox.enroll(central.url, central.enrolment_code(), "Máy bản Nà Lò")
    assert outbox.pending_count() == 1 + 3 + 60  # forum, villages, opinions

    summary = outbox.run_sync()

    assert summary.stored == 64 and summary.rejected == 0
    assert outbox.pending_count() == 0
    assert_same_records(central)
    stored = {row.id: row for row in central.records("opinion")}
    assert stored[said[0].id].data["content"] == said[0].content
    assert stored[said[0].id].data["category_name"] == "Giao thông – xây dựng – thủy lợi"

    with central.engine.begin() as conn:
        store.set_central_fields(conn, said[0].id, {
            "status": "answered", "answer_text": "UBND xã sẽ sửa trong tháng 12.",
            "answer_by": "Chủ tịch UBND xã", "due_date": "2026-12-31"}, "admin",
            store.central_clock(conn))
    summary = outbox.run_sync()
    assert summary.pulled == 1
    db.session.expire_all()
    answered = db.session.get(Opinion, said[0].id)
    assert answered.status == "answered"
    assert answered.answer_text == "UBND xã sẽ sửa trong tháng 12."
    assert answered.due_date.isoformat() == "2026-12-31"
    # Applying the answer logged nothing to push back.
    assert outbox.pending_count() == 0


def test_replayed_batch_is_stored_once(central, laptop):
    record_forum(10)
    row = outbox.enroll(central.url, central.enrolment_code())
    upto = db.session.execute(select(db.func.max(Outbox.seq))).scalar()
    batch = [outbox._wire_record(rid, c, last, op, hlc)
             for rid, c, _first, last, op, hlc in outbox._pending(upto)]
    client = SyncClient(central.url, row.device_id, row.secret)
    envelope = {"device": row.device_id, "replica": row.replica, "records": batch}
    first = client.push(envelope)
    again = client.push(envelope)
    assert first["results"] == "S" * 14
    assert again["results"] == "U" * 14
    assert central.count() == 14
    assert_same_records(central)


def test_parallel_replays_of_one_batch_store_each_record_once(central, laptop):
    record_forum(200)
    row = outbox.enroll(central.url, central.enrolment_code())
    upto = db.session.execute(select(db.func.max(Outbox.seq))).scalar()
    batch = [outbox._wire_record(rid, c, last, op, hlc)
             for rid, c, _first, last, op, hlc in outbox._pending(upto)]
    envelope = {"device": row.device_id, "replica": row.replica, "records": batch}
    answers: list = []

    def push() -> None:
        answers.append(SyncClient(central.url, row.device_id, row.secret).push(envelope))

    threads = [threading.Thread(target=push) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == 6
    # Each record was stored by exactly one of the racing pushes.
    for index in range(len(batch)):
        assert sorted(answer["results"][index] for answer in answers) == ["S"] + ["U"] * 5
    assert central.count() == len(batch)
    assert_same_records(central)
