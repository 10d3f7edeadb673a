"""Sync failure modes learnt from other sync systems, each on a real central.

Clocks, restored and cloned databases, deletes against edits, both sides
editing one opinion, PostgreSQL commit order, many devices on two central
processes, big photos on a flaky link.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import threading
import time
import tracemalloc
import uuid

import pytest
from sqlalchemy import create_engine, select, text

from field_app import create_app
from field_app.attachments import logic as attachments
from field_app.backup.logic import backup as backup_database
from field_app.cli import upgrade_database
from field_app.extensions import db
from field_app.opinions import logic as opinions
from field_app.opinions.models import Opinion
from field_app.outbox import logic as outbox
from field_app.outbox.capture import CLOCK
from sync import auth, store
from sync import client as sync_client
from sync.client import SyncClient
from sync.clock import HybridClock
from sync.errors import SyncError
from sync.records import CORRECTABLE

from .netproxy import FaultProxy, Faults
from .sync_support import Central
from .test_sync import assert_same_records, record_forum


def central_opinion(central, opinion_id):
    return next(row for row in central.records("opinion") if row.id == opinion_id)


def set_central(central, record_id, **values):
    """Publish an office change on the wire (the office's own tables are not the point here)."""
    corrected = {name: values.pop(name) for name in list(values) if name in CORRECTABLE["opinion"]}
    with central.engine.begin() as conn:
        store.publish(conn, record_id, values, corrected, "cán bộ xã", store.central_clock(conn))


def test_one_invalid_record_in_500_does_not_block_the_others(central, laptop):
    _forum, said = record_forum(500)
    outbox.enroll(central.url, central.enrolment_code())
    # A value no form would let through (an old version's bug, a hand-edited file).
    db.session.execute(text("UPDATE opinion SET raiser_gender = 'robot' WHERE id = :id"),
                       {"id": said[250].id.hex})
    db.session.commit()

    summary = outbox.run_sync()

    assert summary.stored == 503 and summary.rejected == 1
    [refused] = outbox.rejected_records()
    assert refused.record_id == said[250].id
    assert "raiser_gender" in refused.reject_message
    assert outbox.pending_count() == 1
    assert outbox.state().held_seq >= 504  # the device's sequence still advanced
    assert central.count("opinion") == 499

    db.session.expire_all()
    fixed = db.session.get(Opinion, said[250].id)
    opinions.update_opinion(fixed, {"content": fixed.content, "raiser_gender": "female",
                                    "category_code": "construction"})
    db.session.commit()
    outbox.run_sync()
    assert outbox.pending_count() == 0 and not outbox.rejected_records()
    assert_same_records(central)


@pytest.mark.parametrize(("offset_days", "suspect"), [(-9460, False), (0.9, False), (3, True)])
def test_wrong_laptop_clock(central, laptop, monkeypatch, offset_days, suspect):
    """Year 2000 (26 years back), most of a day ahead, three days ahead."""
    wrong = time.time() + offset_days * 86400

    class LaptopTime:
        @staticmethod
        def time() -> float:
            return wrong + (time.monotonic() - started)

    started = time.monotonic()
    monkeypatch.setattr(auth, "time", LaptopTime)
    monkeypatch.setattr(sync_client, "time", LaptopTime)
    laptop.extensions[CLOCK] = HybridClock("laptopclock", wall=LaptopTime.time)
    forum, said = record_forum(3)
    outbox.enroll(central.url, central.enrolment_code())

    summary = outbox.run_sync()  # signs with the central's time after the first answer

    assert summary.stored == 7
    made_now = {forum.id, *(opinion.id for opinion in said)}
    flags = {row.clock_suspect for row in central.records() if row.id in made_now}
    assert flags == {suspect}
    # A later edit on the laptop still wins over its earlier version.
    opinions.update_opinion(said[0], {"content": "Nội dung sửa lại",
                                      "category_code": "construction"})
    db.session.commit()
    assert outbox.run_sync().stored == 1
    assert central_opinion(central, said[0].id).data["content"] == "Nội dung sửa lại"
    assert_same_records(central)


def test_central_restored_from_an_old_backup_gets_what_it_lost(sqlite_central, laptop):
    central = sqlite_central
    _forum, said = record_forum(10)
    outbox.enroll(central.url, central.enrolment_code())
    outbox.run_sync()
    set_central(central, said[0].id, status="forwarded")
    saved = central.data_dir / "before.sqlite3"
    backup_database(central.data_dir / "langnghe.sqlite3", saved)
    set_central(central, said[1].id, status="forwarded")  # lost with the restore
    record_forum(10, village_index=1)
    outbox.run_sync()
    assert central.count() == 25

    central.stop()
    central.engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        (central.data_dir / f"langnghe.sqlite3{suffix}").unlink(missing_ok=True)
    shutil.copy(saved, central.data_dir / "langnghe.sqlite3")
    central.start()
    assert central.count() == 14  # the second forum is gone from the central

    # The restored central numbers its changes from the backup's again.
    set_central(central, said[2].id, status="answered", answer_text="Đã sửa xong.")

    summary = outbox.run_sync()
    assert summary.reoffered == 11 and summary.stored == 11
    assert_same_records(central)
    db.session.expire_all()
    assert db.session.get(Opinion, said[2].id).answer_text == "Đã sửa xong."


def test_lost_checkpoint_on_the_laptop_resends_without_doubling(central, laptop):
    record_forum(8)
    outbox.enroll(central.url, central.enrolment_code())
    database = laptop.config["DATA_DIR"] / "langnghe.sqlite3"
    saved = laptop.config["DATA_DIR"] / "old.sqlite3"
    backup_database(database, saved)  # enrolled, nothing acknowledged yet
    outbox.run_sync()
    db.session.remove()
    db.engine.dispose()
    with sqlite3.connect(saved) as source, sqlite3.connect(database) as target:
        source.backup(target)  # the laptop restored from yesterday's backup
    laptop.extensions.pop(CLOCK, None)
    assert outbox.pending_count() == 12
    summary = outbox.run_sync()
    assert summary.unchanged == 12 and summary.stored == 0
    assert outbox.pending_count() == 0
    assert_same_records(central)


def test_laptop_cloned_from_another_loses_and_doubles_nothing(central, laptop, tmp_path):
    record_forum(4)
    outbox.enroll(central.url, central.enrolment_code())
    outbox.run_sync()
    copy_dir = tmp_path / "clone"
    copy_dir.mkdir()
    backup_database(laptop.config["DATA_DIR"] / "langnghe.sqlite3",
                    copy_dir / "langnghe.sqlite3")
    record_forum(5, village_index=1)  # on the original
    clone = create_app({"DATA_DIR": copy_dir, "TESTING": True, "SYNC_BACKOFF": 0.01})
    upgrade_database(clone)
    with clone.app_context():
        record_forum(6, village_index=2)  # on the clone
        outbox.run_sync()
        clone_ids = {row for row in db.session.execute(select(Opinion.id)).scalars()}
        db.session.remove()
        db.engine.dispose()
    outbox.run_sync()
    mine = set(db.session.execute(select(Opinion.id)).scalars())
    held = {row.id for row in central.records("opinion")}
    assert held == mine | clone_ids and len(held) == 4 + 5 + 6
    rows = central.records()
    assert len(rows) == len({row.id for row in rows})


def test_same_opinion_edited_on_the_laptop_and_centrally(central, laptop):
    _forum, said = record_forum(2)
    outbox.enroll(central.url, central.enrolment_code())
    outbox.run_sync()
    opinions.update_opinion(said[0], {"content": "Đường sạt lở nặng hơn sau trận mưa",
                                      "category_code": "construction"})
    db.session.commit()
    set_central(central, said[0].id, status="in_progress", responsible_unit="Phòng Kinh tế")

    outbox.run_sync()

    stored = central_opinion(central, said[0].id)
    assert stored.data["content"] == "Đường sạt lở nặng hơn sau trận mưa"  # field-owned
    assert stored.central["status"] == "in_progress"  # centrally owned, untouched by push
    db.session.expire_all()
    local = db.session.get(Opinion, said[0].id)
    assert (local.content, local.status, local.responsible_unit) == (
        "Đường sạt lở nặng hơn sau trận mưa", "in_progress", "Phòng Kinh tế")


def test_delete_is_never_undone_by_an_older_copy_or_a_central_edit(central, laptop, tmp_path):
    from sync import bundle

    _forum, said = record_forum(3)
    outbox.enroll(central.url, central.enrolment_code())
    outbox.export_bundle(tmp_path / "before-delete.bundle")  # still holds the opinion
    outbox.run_sync()
    set_central(central, said[1].id, status="forwarded")
    opinions.delete_opinion(said[1])
    db.session.commit()
    outbox.run_sync()  # the tombstone goes up; the central's edit comes down

    assert db.session.get(Opinion, said[1].id) is None  # not resurrected on the laptop
    assert central_opinion(central, said[1].id).deleted
    # The tombstone keeps what was said, for the record.
    assert central_opinion(central, said[1].id).data["content"] == said[1].content
    with open(tmp_path / "before-delete.bundle", "rb") as stream:
        result = bundle.import_bundle(central.engine, stream,
                                      store.BlobStore(central.data_dir / "blobs"))
    assert result["stored"] == 0
    assert central_opinion(central, said[1].id).deleted  # the older copy changed nothing
    with pytest.raises(SyncError):
        set_central(central, said[1].id, status="answered")
    assert_same_records(central)


def test_big_photo_on_a_flaky_link_resumes_with_bounded_memory(central, laptop):
    _forum, said = record_forum(1)
    photo = b"\xff\xd8\xff\xe0" + os.urandom(20 * 1024 * 1024)
    attachment = attachments.attach(laptop.config["DATA_DIR"], io.BytesIO(photo),
                                    "bien-ban.jpg", 32 * 1024 * 1024, opinion=said[0])
    db.session.commit()
    faults = Faults()
    with FaultProxy(central.port, faults) as proxy:
        outbox.enroll(proxy.url, central.enrolment_code())
        # Every connection dies after 2.5 MB up: mid-chunk, several times.
        faults.cut_request_after, faults.cuts = int(2.5 * 1024 * 1024), 4
        tracemalloc.start()
        try:
            summary = outbox.run_sync()
            _size, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert faults.cut_done == 4
    assert summary.blobs == 1
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes for a 20 MB photo"
    stored = store.BlobStore(central.data_dir / "blobs").path(attachment.sha256)
    assert stored.read_bytes() == photo
    assert_same_records(central)


def test_forged_photo_bytes_are_refused(central, laptop):
    _forum, said = record_forum(1)
    photo = b"\xff\xd8\xff\xe0" + os.urandom(50_000)
    attachment = attachments.attach(laptop.config["DATA_DIR"], io.BytesIO(photo),
                                    "anh.jpg", 1 << 20, opinion=said[0])
    db.session.commit()
    row = outbox.enroll(central.url, central.enrolment_code())
    outbox.push(outbox.make_client(row), row, outbox.Summary())
    client = SyncClient(central.url, row.device_id, row.secret)
    [refused] = client.upload([(attachment.sha256, 0,
                                b"\xff\xd8\xff\xe0" + b"\0" * 50_000)])["blobs"]
    assert (refused["error"], refused["offset"], refused["done"]) == ("blob_mismatch", 0, False)
    assert not store.BlobStore(central.data_dir / "blobs").path(attachment.sha256).exists()
    outbox.run_sync()  # the real bytes still go up afterwards
    assert store.BlobStore(central.data_dir / "blobs").path(attachment.sha256).read_bytes() \
        == photo


@pytest.fixture
def pg_central(tmp_path):
    from .sync_support import drop_pg_database, make_pg_database

    database = make_pg_database()
    servers = []
    for name in ("a", "b"):
        data_dir = tmp_path / f"central-{name}"
        data_dir.mkdir()
        servers.append(Central(data_dir, database).start())  # one after the other: migrations
    yield servers
    for server in servers:
        server.close()
    drop_pg_database(database)


def test_pull_cursor_never_skips_a_change_committed_late(pg_central):
    """Two PostgreSQL transactions drawing change numbers: commit order equals number order."""
    central = pg_central[0]
    client = SyncClient(central.url)
    client.enroll(central.enrolment_code(), "Máy", "r")
    villages = [{"c": "village", "id": str(uuid.uuid4()), "seq": i + 1,
                 "hlc": f"1795635179698-000{i}-laptop1", "op": "put",
                 "data": {"commune_code": 3808, "name": f"Bản {i}"}} for i in range(2)]
    opinion_ids = []
    for i, village in enumerate(villages):
        opinion_ids.append(str(uuid.uuid4()))
        client.push({"records": [village, {
            "c": "opinion", "id": opinion_ids[-1], "seq": 10 + i, "op": "put",
            "hlc": "1795635179698-0009-laptop1",
            "data": {"kind": "opinion", "channel": "direct", "village_id": village["id"],
                     "category_code": "land", "content": "Xin cấp sổ đỏ", "level": "commune"}}]})
    engine = create_engine(central.database)
    first = engine.connect()
    first.begin()
    store.publish(first, uuid.UUID(opinion_ids[0]), {"status": "forwarded"}, {}, "a",
                  store.central_clock(first))
    second_done = threading.Event()

    def second_change() -> None:
        with engine.begin() as conn:
            store.publish(conn, uuid.UUID(opinion_ids[1]), {"status": "answered"}, {},
                          "b", store.central_clock(conn))
        second_done.set()

    worker = threading.Thread(target=second_change)
    worker.start()
    # The second change waits for the first to commit instead of overtaking it.
    assert not second_done.wait(1.0)
    assert client.pull(0)["changes"] == []
    first.commit()
    first.close()
    assert second_done.wait(30)
    worker.join()
    page = client.pull(0)
    assert [change["id"] for change in page["changes"]] == opinion_ids
    assert [change["central"]["status"] for change in page["changes"]] == ["forwarded",
                                                                            "answered"]
    engine.dispose()


def test_two_central_processes_on_one_postgresql_take_many_devices_at_once(pg_central):
    devices = []
    for index in range(6):
        client = SyncClient(pg_central[index % 2].url)
        client.enroll(pg_central[0].enrolment_code(), f"Máy {index}", f"r{index}")
        devices.append(client)
    expected = set()
    plans = []
    for index, client in enumerate(devices):
        village = {"c": "village", "id": str(uuid.uuid4()), "seq": 1,
                   "hlc": "1795635179698-0000-dev", "op": "put",
                   "data": {"commune_code": 3808, "name": f"Bản số {index}"}}
        batches = [[village]]
        for part in range(4):
            batch = []
            for n in range(100):
                key = str(uuid.uuid4())
                batch.append({"c": "opinion", "id": key, "seq": 2 + part * 100 + n,
                              "hlc": "1795635179698-0001-dev", "op": "put",
                              "data": {"kind": "petition", "channel": "forum",
                                       "village_id": village["id"], "category_code": "water",
                                       "content": f"Thiếu nước sinh hoạt {n}",
                                       "level": "commune"}})
                expected.add(uuid.UUID(key))
            batches.append(batch)
        expected.add(uuid.UUID(village["id"]))
        plans.append((client, batches))
    errors: list = []

    def run(client, batches, index) -> None:
        try:
            for number, batch in enumerate(batches):
                # Alternate the two processes; send every opinion batch twice.
                client.base_url = pg_central[(index + number) % 2].url
                client.push({"records": batch})
                if number:
                    client.base_url = pg_central[(index + number + 1) % 2].url
                    client.push({"records": batch})
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(client, batches, index))
               for index, (client, batches) in enumerate(plans)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    rows = pg_central[0].records()
    assert len(rows) == len(expected) == 6 * 401
    assert {row.id for row in rows} == expected


def conflicts(central, field: str = "category_code") -> list:
    with central.engine.connect() as conn:
        return list(conn.execute(select(store.conflict).where(store.conflict.c.field == field)
                                 .order_by(store.conflict.c.id)))


def recategorise(opinion, code: str) -> None:
    opinions.update_opinion(opinion, {"content": opinion.content, "category_code": code})
    db.session.commit()


def test_office_correction_and_laptop_edit_of_the_same_field(central, laptop):
    """Newest HLC wins per field; the loser is kept as a flagged conflict at the central."""
    _forum, said = record_forum(1)
    opinion = said[0]
    outbox.enroll(central.url, central.enrolment_code())
    outbox.run_sync()

    # The office reclassifies, then the laptop (not yet synced) changes it again later.
    set_central(central, opinion.id, category_code="land", category_name="Đất đai")
    time.sleep(0.01)
    recategorise(opinion, "water")
    outbox.run_sync()
    assert central_opinion(central, opinion.id).data["category_code"] == "water"
    [first] = conflicts(central)
    assert (first.field, first.winner, first.loser, first.loser_side) == (
        "category_code", "water", "land", "central")
    db.session.expire_all()
    assert db.session.get(Opinion, opinion.id).category_code == "water"

    # The laptop edits first, the office corrects after: the office's value stands.
    recategorise(db.session.get(Opinion, opinion.id), "electricity")
    time.sleep(0.01)
    set_central(central, opinion.id, category_code="land", category_name="Đất đai")
    outbox.run_sync()
    assert central_opinion(central, opinion.id).data["category_code"] == "land"
    second = conflicts(central)[-1]
    assert (second.winner, second.loser, second.loser_side) == ("land", "electricity", "field")
    db.session.expire_all()
    assert db.session.get(Opinion, opinion.id).category_code == "land"
    assert outbox.pending_count() == 0
    # Both sides agree; syncing again changes nothing.
    outbox.run_sync()
    assert len(conflicts(central)) == 2
    assert_same_records(central)


def test_photo_answer_lost_then_resumed_file_by_file(central, laptop):
    """A multi-file upload whose answer is lost: the retry finds one file whole, one half."""
    _forum, said = record_forum(2)
    photos = [b"\xff\xd8\xff\xe0" + os.urandom(600_000) for _ in range(2)]
    for opinion, photo in zip(said, photos, strict=True):
        attachments.attach(laptop.config["DATA_DIR"], io.BytesIO(photo), "anh.jpg", 1 << 21,
                           opinion=opinion)
    db.session.commit()
    faults = Faults()
    with FaultProxy(central.port, faults) as proxy:
        row = outbox.enroll(proxy.url, central.enrolment_code())
        client = outbox.make_client(row)
        summary = outbox.Summary()
        missing = outbox.push(client, row, summary)
        assert len(missing) == 2
        client.session.close()  # the next request opens a new connection: that one is cut
        faults.cut_response_after, faults.cuts = 20, 1
        outbox.upload_blobs(client, missing, summary)
    assert faults.cut_done == 1 and summary.blobs == 2
    files = store.BlobStore(central.data_dir / "blobs")
    for attachment_row in central.records("attachment"):
        stored = files.path(attachment_row.data["sha256"]).read_bytes()
        assert stored in photos


def test_code_for_another_commune_is_refused_and_not_spent(central, laptop, tmp_path):
    code = central.enrolment_code(commune_code=3850)  # Xã Chiềng Hoa
    with pytest.raises(SyncError) as refused:
        outbox.enroll(central.url, code)
    assert refused.value.code == "wrong_commune"
    assert outbox.state().device_id is None
    fresh = create_app({"DATA_DIR": tmp_path / "fresh", "TESTING": True})
    upgrade_database(fresh)
    with fresh.app_context():
        from field_app.areas.logic import current_commune

        outbox.enroll(central.url, code)  # still usable; a new laptop takes its commune
        assert current_commune().code == 3850
        db.session.remove()
        db.engine.dispose()


def test_delete_of_an_opinion_the_office_corrected(central, laptop):
    _forum, said = record_forum(2)
    outbox.enroll(central.url, central.enrolment_code())
    outbox.run_sync()
    set_central(central, said[0].id, category_code="land", category_name="Đất đai")
    opinions.delete_opinion(said[0])
    db.session.commit()
    summary = outbox.run_sync()
    assert summary.rejected == 0 and outbox.pending_count() == 0
    assert central_opinion(central, said[0].id).deleted
    assert_same_records(central)


def test_photo_damaged_on_the_laptop_does_not_stop_the_sync(central, laptop):
    _forum, said = record_forum(1)
    attachment = attachments.attach(laptop.config["DATA_DIR"],
                                    io.BytesIO(b"\xff\xd8\xff\xe0" + os.urandom(90_000)),
                                    "anh.jpg", 1 << 20, opinion=said[0])
    db.session.commit()
    path = attachments.blob_path(laptop.config["DATA_DIR"], attachment.sha256)
    path.write_bytes(path.read_bytes()[:40_000])  # cut short by a failing disk
    outbox.enroll(central.url, central.enrolment_code())
    summary = outbox.run_sync()
    assert summary.blobs == 0 and summary.errors
    assert outbox.pending_count() == 0  # the records went up all the same
    assert_same_records(central)


def test_revoked_laptop_enrolled_again_keeps_editing_its_own_records(central, laptop):
    _forum, said = record_forum(2)
    first = outbox.enroll(central.url, central.enrolment_code()).device_id
    outbox.run_sync()
    with central.engine.begin() as conn:
        store.revoke_device(conn, first)
    opinions.update_opinion(said[0], {"content": "Sửa sau khi bị thu hồi",
                                      "category_code": "construction"})
    db.session.commit()
    with pytest.raises(SyncError) as refused:
        outbox.run_sync()
    assert refused.value.code == "device_revoked"
    second = outbox.enroll(central.url, central.enrolment_code()).device_id
    summary = outbox.run_sync()
    assert summary.stored == 1 and summary.rejected == 0
    assert central_opinion(central, said[0].id).data["content"] == "Sửa sau khi bị thu hồi"
    assert {row.device_id for row in central.records()} == {second}
    assert_same_records(central)
