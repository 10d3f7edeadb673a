"""Sync between a real central (waitress, own process; SQLite and PostgreSQL) and a laptop.

Each test ends by checking the exact set of records at the central: none
lost, none doubled.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
import uuid
from datetime import datetime

import pytest
from sqlalchemy import select

from field_app.areas import logic as areas
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.opinions import logic as opinions
from field_app.opinions.models import Opinion
from field_app.outbox import logic as outbox
from field_app.outbox.models import Outbox
from sync import store
from sync.client import SyncClient
from sync.errors import SyncError

from .netproxy import FaultProxy, Faults


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
    page = laptop.test_client().get("/sync/").get_data(as_text=True)
    assert "Lần trước: gửi 64, xã lưu 64 (mới hoặc có sửa), xã đã có sẵn 0" in page
    stored = {row.id: row for row in central.records("opinion")}
    assert stored[said[0].id].data["content"] == said[0].content
    assert stored[said[0].id].data["category_name"] == "Giao thông – xây dựng – thủy lợi"

    with central.engine.begin() as conn:
        store.publish(conn, said[0].id, {
            "status": "answered", "answer_text": "UBND xã sẽ sửa trong tháng 12.",
            "answer_by": "Chủ tịch UBND xã", "due_date": "2026-12-31"}, {}, "admin",
            store.central_clock(conn))
    summary = outbox.run_sync()
    assert summary.pulled == 1
    # Nothing left to send (as after the background sync beat the button): said so.
    page = laptop.test_client().get("/sync/").get_data(as_text=True)
    assert ("Lần trước: không còn gì chờ gửi, mọi ghi chép đã lên xã; nhận về 1 thay đổi."
            in page)
    db.session.expire_all()
    answered = db.session.get(Opinion, said[0].id)
    assert answered.status == "answered"
    assert answered.answer_text == "UBND xã sẽ sửa trong tháng 12."
    assert answered.due_date.isoformat() == "2026-12-31"
    # Applying the answer logged nothing to push back.
    assert outbox.pending_count() == 0


def test_an_edit_of_a_sent_opinion_is_shown_as_a_change_waiting_not_as_never_sent(
        central, laptop):
    forum, said = record_forum(2)
    outbox.enroll(central.url, central.enrolment_code(), "Máy bản Nà Lò")
    assert set(opinions.office_states(said).values()) == {"unsent"}
    outbox.run_sync()
    assert set(opinions.office_states(said).values()) == {"awaiting"}

    opinions.update_opinion(said[0], {"content": "Đề nghị sửa đường, đoạn qua suối",
                                      "category_code": "construction"})
    db.session.commit()
    fresh = opinions.create_opinion({"content": "Xin kéo điện về nhóm hộ cuối bản",
                                     "category_code": "electricity"}, forum)
    db.session.commit()
    states = opinions.office_states([*said, fresh])
    assert [states[o.id] for o in (said[0], said[1], fresh)] == ["changed", "awaiting",
                                                                  "unsent"]
    page = laptop.test_client().get(f"/opinions/{said[0].id}").get_data(as_text=True)
    assert "Đã gửi, có sửa đổi chờ gửi" in page and "Chưa gửi lên xã" not in page

    outbox.run_sync()
    assert set(opinions.office_states([*said, fresh]).values()) == {"awaiting"}


def test_replayed_batch_is_stored_once(central, laptop):
    record_forum(10)
    row = outbox.enroll(central.url, central.enrolment_code())
    batch = outbox.waiting_records()
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
    batch = outbox.waiting_records()
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


def enrol_through_proxy(central, faults: Faults) -> FaultProxy:
    """Enrol the laptop with the central behind a fault proxy; return the running proxy."""
    proxy = FaultProxy(central.port, faults).start()
    outbox.enroll(proxy.url, central.enrolment_code())
    return proxy


def test_response_lost_after_the_server_committed(central, laptop):
    record_forum(20)
    faults = Faults()
    with enrol_through_proxy(central, faults):
        # The central stores the batch; its answer is cut after 12 bytes.
        faults.cut_response_after, faults.cuts = 12, 1
        summary = outbox.run_sync()
    assert faults.cut_done == 1
    # The retry found everything stored already.
    assert summary.unchanged == 24 and summary.stored == 0
    assert outbox.pending_count() == 0
    assert_same_records(central)


def test_connection_cut_mid_request_body_stores_nothing_then_resumes(central, laptop):
    record_forum(300)
    faults = Faults()
    with enrol_through_proxy(central, faults):
        faults.cut_request_after, faults.cuts = 2000, 1
        summary = outbox.run_sync()
    assert faults.cut_done == 1
    assert summary.stored == 304 and summary.unchanged == 0
    assert_same_records(central)


def test_repeated_5xx_back_off_then_sync_when_the_server_recovers(central, laptop):
    record_forum(5)
    faults = Faults()
    unavailable = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                   b"Connection: close\r\n\r\n")
    with enrol_through_proxy(central, faults):
        faults.fail_with, faults.failures = unavailable, 10
        with pytest.raises(SyncError) as failed:
            outbox.run_sync()
        assert failed.value.code == "server_failed"
        assert outbox.state().last_error  # shown to the user
        assert outbox.pending_count() == 9  # nothing lost, nothing marked sent
        assert central.count() == 0
        faults.failures = 2  # fewer failures than tries: the retries get through
        summary = outbox.run_sync()
    assert summary.stored == 9
    assert_same_records(central)


def test_backoff_grows_with_jitter_and_retries_only_link_failures():
    from sync.client import with_retries
    from sync.errors import BadSignature, Unreachable

    waits: list[float] = []
    calls = {"n": 0}

    def flaky():
        calls["n"] += 1
        if calls["n"] < 5:
            raise Unreachable()
        return "ok"

    assert with_retries(flaky, attempts=5, base=1, cap=60, sleep=waits.append) == "ok"
    assert len(waits) == 4
    assert all(0 <= wait <= 2 ** i for i, wait in enumerate(waits))

    def refused():
        raise BadSignature()

    with pytest.raises(BadSignature):
        with_retries(refused, sleep=waits.append)
    assert len(waits) == 4  # a refusal is not retried


def test_laptop_killed_between_acknowledgement_and_marking_sent(central, laptop):
    record_forum(15)
    row = outbox.enroll(central.url, central.enrolment_code())
    batch = outbox.waiting_records()
    # The central acknowledged, but the laptop died before writing it down.
    SyncClient(central.url, row.device_id, row.secret).push(
        {"device": row.device_id, "records": batch})
    assert outbox.pending_count() == 19

    summary = outbox.run_sync()
    assert summary.unchanged == 19 and summary.stored == 0
    assert outbox.pending_count() == 0
    assert_same_records(central)


def test_central_killed_during_ingest_then_restarted(central, laptop, monkeypatch):
    # ~1 KB a record: 600 records in 64 KB batches make ten batches, one in flight at the
    # kill (3,000 records in 2 MB batches took ~50 s per backend for the same path).
    record_forum(600)
    outbox.enroll(central.url, central.enrolment_code())
    outbox.state().batch_bytes = 64 * 1024
    db.session.commit()
    failures: list = []
    acknowledged = threading.Event()  # the central holds the first batch
    next_batch_sent = threading.Event()
    central_dead = threading.Event()
    real_push = SyncClient.push

    def push(self, envelope):
        if acknowledged.is_set() and not central_dead.is_set():
            next_batch_sent.set()  # the kill lands while this batch goes in
        answer = real_push(self, envelope)
        acknowledged.set()
        return answer

    monkeypatch.setattr(SyncClient, "push", push)

    def sync() -> None:
        with laptop.app_context():
            try:
                outbox.run_sync()
            except SyncError as exc:
                failures.append(exc)

    # Waits on events, never on the clock: under load every step is slow, not wrong.
    worker = threading.Thread(target=sync)
    worker.start()
    assert next_batch_sent.wait(timeout=600), "the second batch never left"
    central.kill()
    central_dead.set()
    worker.join(timeout=600)
    assert not worker.is_alive()
    assert failures  # the sync stopped with a readable error, not a hang
    assert 0 < central.count() < 604
    central.start()
    monkeypatch.setattr(SyncClient, "push", real_push)
    outbox.run_sync()
    assert outbox.pending_count() == 0
    assert central.count() == 604
    assert_same_records(central)


def test_hanging_link_times_out_and_retries_without_new_local_writes(central, laptop):
    record_forum(4)
    laptop.config["SYNC_TIMEOUT"] = (2.0, 1.0)
    faults = Faults()
    with enrol_through_proxy(central, faults):
        faults.stalls = 2  # two requests hang until the client's timeout
        before = db.session.execute(select(db.func.count()).select_from(Outbox)).scalar()
        summary = outbox.run_sync()
    assert faults.stalls == 0
    assert summary.stored == 8
    # Retrying wrote nothing new locally: the same rows, now acknowledged.
    after = db.session.execute(select(db.func.count()).select_from(Outbox)).scalar()
    assert after == before
    assert_same_records(central)


LAPTOP_WRITER = """
import sys
from datetime import datetime
from field_app import create_app
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.opinions import logic as opinions
from field_app.areas import logic as areas
app = create_app({"DATA_DIR": sys.argv[1]})
with app.app_context():
    village = areas.villages()[0]
    forum = forums.create_forum({"kind": "listening", "village_id": village.id,
                                 "started_at": datetime(2026, 11, 21, 8)})
    db.session.commit()
    print("ready", flush=True)
    for n in range(100000):
        opinions.create_opinion({"content": f"Ý kiến số {n}", "category_code": "water"}, forum)
        db.session.commit()
"""


def test_laptop_killed_mid_write_keeps_every_committed_opinion_in_the_outbox(central, laptop):
    import os
    import signal
    import subprocess
    import sys

    data_dir = str(laptop.config["DATA_DIR"])
    db.session.remove()
    writer = subprocess.Popen([sys.executable, "-c", LAPTOP_WRITER, data_dir],
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    os.kill(writer.pid, signal.SIGKILL)  # power cut in the middle of a write
    writer.wait(timeout=20)
    writer.stdout.close()

    written = db.session.execute(select(db.func.count()).select_from(Opinion)).scalar()
    assert written > 10
    # Every opinion that made it to disk made it to the outbox in the same transaction.
    assert outbox.pending_count() == written + 1 + 3
    outbox.enroll(central.url, central.enrolment_code())
    outbox.run_sync()
    assert central.count("opinion") == written
    assert_same_records(central)


def test_running_laptop_syncs_by_itself_when_the_central_answers(central, laptop):
    from .browser import FieldServer

    record_forum(7)
    outbox.enroll(central.url, central.enrolment_code())
    db.session.remove()
    server = FieldServer(laptop.config["DATA_DIR"]).start()  # `langnghe field`, no click
    try:
        deadline = time.monotonic() + 60
        status: dict = {}
        while time.monotonic() < deadline:
            with urllib.request.urlopen(server.url + "/sync/status", timeout=10) as answer:
                status = json.load(answer)
            if status["last_sync_at"] and not status["running"]:
                break
            time.sleep(0.5)
    finally:
        server.stop()
    assert status["pending"] == 0
    assert central.count() == 11
    db.session.expire_all()
    assert outbox.pending_count() == 0 and outbox.state().last_sync_at is not None
    assert_same_records(central)


def test_sync_before_enrolment_says_what_to_do_every_time(laptop):
    record_forum(1)
    for _ in range(2):  # a refused sync does not leave the laptop "busy"
        with pytest.raises(SyncError) as refused:
            outbox.run_sync()
        assert refused.value.code == "not_enrolled"
        assert "mã đăng ký" in refused.value.message
    assert outbox.pending_count() == 5
