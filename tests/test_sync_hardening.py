"""One bad record never blocks a laptop; nothing the laptop stores is refused later for its shape.

Against a real central (SQLite and the real PostgreSQL) through the laptop's
own sync, and a mutation fuzzer of signed pushes that must never see a 5xx.
"""

from __future__ import annotations

import copy
import io
import json
import random
import sqlite3
import time
import uuid
from datetime import datetime

import pytest
import requests
from sqlalchemy import text

from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.opinions import logic as opinions
from field_app.outbox import logic as outbox
from sync import auth, ingest, store
from sync.client import SyncClient
from sync.errors import ServerFailed
from sync.records import SCHEMAS, validate_record

from .test_api import png_bytes
from .test_sync import assert_same_records, record_forum
from .test_sync_input import STAMP


def test_a_stored_nul_is_rejected_alone_and_the_rest_is_stored(central, laptop):
    """A laptop that recorded a NUL before this version: that record alone is refused."""
    forum, said = record_forum(6)
    # Written behind the app's back, as an older version let it through.
    db.session.execute(text("UPDATE opinion SET content = content || char(0) || 'x' "
                            "WHERE id = :id"), {"id": said[2].id.hex})
    db.session.commit()
    outbox.enroll(central.url, central.enrolment_code(), "Máy bản Nà Lò")

    summary = outbox.run_sync()

    assert summary.rejected == 1 and not summary.errors
    assert summary.stored == 3 + 1 + 5  # villages, forum, every opinion but the bad one
    stored = {row.id for row in central.records("opinion")}
    assert stored == {opinion.id for opinion in said} - {said[2].id}
    [refused] = outbox.rejected_records()
    assert refused.record_id == said[2].id
    assert "ký tự điều khiển" in refused.reject_message
    # The village head sees which record and why on the Đồng bộ page.
    page = laptop.test_client().get("/sync/").get_data(as_text=True)
    assert str(said[2].id) in page and "ký tự điều khiển" in page

    # Fixed on the laptop (the edit form refuses the character, so it is retyped): stored.
    db.session.expire_all()
    opinions.update_opinion(opinions.get_opinion(said[2].id),
                            {"content": "Đề nghị sửa đường", "category_code": "construction"})
    db.session.commit()
    assert outbox.run_sync().rejected == 0
    assert_same_records(central)


@pytest.mark.parametrize(("collection", "field", "value"), [
    ("opinion", "content", "Đường\x00 sạt lở"),
    ("opinion", "raiser_phone", "+84 0912 345 678 9012"),
    ("opinion", "spot_answer_by", "Ông " + "A" * 120),
    ("opinion", "raiser_name", "Lò\x07 Văn Minh"),
    ("forum", "summary", "x" * 10_001),
    ("forum", "agenda", "x" * 10_001),
    ("forum", "officials_present", "x" * 10_001),
    ("forum", "venue", "Nhà\x1b văn hóa"),
    ("forum", "started_at", "0010-11-20T08:00:00"),
    ("forum", "started_at", "2150-11-20T08:00:00"),
], ids=lambda value: value if isinstance(value, str) and len(value) < 30 else "long")
def test_the_laptop_api_refuses_what_the_central_would(laptop, collection, field, value):
    client = laptop.test_client()
    village = client.get("/api/v1/villages").get_json()["items"][0]["id"]
    forum = client.post("/api/v1/forums", json={
        "village_id": village, "started_at": "2026-11-20T08:00:00"}).get_json()
    body = ({"village_id": village, "started_at": "2026-11-20T08:00:00"}
            if collection == "forum" else
            {"forum_id": forum["id"], "content": "Xin làm đường", "spot_answer": "Đã ghi nhận"})
    body[field] = value
    before = outbox.pending_count()

    answer = client.post(f"/api/v1/{collection}s", json=body)

    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["details"]
    assert outbox.pending_count() == before  # nothing stored, nothing waiting


@pytest.mark.parametrize(("field", "value"), [
    ("raiser_phone", "+84 (0)  912 345 678"),  # 20 characters: the most the wire takes
    ("raiser_name", "Đ" * 120),
    ("spot_answer_by", "Đ" * 120),
    ("content", "Đường\tvào bản\r\nsạt lở " + "x" * 9_970),
], ids=("phone-20", "name-120", "answer-by-120", "content-tab-crlf-10000"))
def test_edge_values_the_laptop_accepts_are_accepted_by_the_central(central, laptop,
                                                                    field, value):
    forum, _ = record_forum(0, summary="x" * 10_000, started_at=datetime(2000, 1, 1))
    opinion = opinions.create_opinion({"content": "Xin làm đường", "category_code": "land",
                                       "spot_answer": "Đã ghi nhận", field: value}, forum)
    db.session.commit()
    outbox.enroll(central.url, central.enrolment_code(), "Máy bản Nà Lò")

    summary = outbox.run_sync()

    assert summary.rejected == 0 and not summary.errors
    stored = {row.id: row for row in central.records("opinion")}
    assert stored[opinion.id].data[field] == value.strip()


def test_every_record_the_laptop_makes_passes_the_wire_schema(app):
    """The demo forum, fixtures, decisions, amendments, photos: each is valid on the wire."""
    from field_app.attachments.logic import attach
    from field_app.demo import record_sample
    from field_app.outbox.capture import MODELS, wire_data

    record_sample()
    forum, said = record_forum(5, summary="Tóm tắt", agenda="Chương trình",
                               secretary="Quàng Thị Hoa", attendance_total=60)
    forums.add_decision(forum, "Làm đường bê tông", 40, 2, 1)
    attach(app.config["DATA_DIR"], io.BytesIO(png_bytes()), "ảnh\x00 biên bản.png", 1 << 20,
           opinion=said[0])
    forums.finalise_forum(forum)
    forums.amend_forum(forum, {**{name: getattr(forum, name) for name in forums.FORUM_FIELDS},
                               "venue": "Nhà văn hóa bản"}, "Ghi nhầm", "Quàng Thị Hoa")
    db.session.commit()
    seen = set()
    for collection, model in MODELS.items():
        for row in db.session.execute(db.select(model)).scalars():
            assert validate_record(collection, wire_data(collection, row)) == {}, (collection,
                                                                                   row.id)
            seen.add(collection)
    assert seen == set(MODELS)


def test_a_record_the_database_refuses_is_isolated_from_its_batch(central, monkeypatch):
    """The net under the schemas: a value the database cannot store costs one record only."""
    monkeypatch.setattr(ingest, "clean_record", lambda collection, data: (data, {}))
    village = str(uuid.uuid4())
    records = [{"c": "village", "id": village, "seq": 1, "hlc": STAMP, "op": "put",
                "data": {"commune_code": 3808, "name": "Bản Nà Lò"}}]
    for seq in range(2, 9):
        content = "Đường\x00 sạt lở" if seq == 5 else f"Đường số {seq}"
        records.append({"c": "opinion", "id": str(uuid.uuid4()), "seq": seq, "hlc": STAMP,
                        "op": "put", "data": {
                            "kind": "opinion", "channel": "direct", "village_id": village,
                            "category_code": "land", "content": content, "level": "commune"}})
    with central.engine.begin() as conn:
        code = store.create_enrolment(conn, 3808, "Máy thử")
        dev = store.get_device(conn, store.enrol(conn, code, "Máy thử", None)["device_id"])
        result = store.ingest_batch(conn, dev, {"records": records})

    expected = "SSSSRSSS" if central.backend == "postgresql" else "SSSSSSSS"
    assert "".join(result.results) == expected
    assert central.count() == len(expected) - expected.count("R")
    if central.backend == "postgresql":
        assert result.rejected[0]["code"] == "unstorable"
        assert result.held_seq == 8  # the rest is acknowledged: the queue moves on


def _valid_batch(rng: random.Random) -> list[dict]:
    village = str(uuid.uuid4())
    forum = str(uuid.uuid4())
    records = [
        {"c": "village", "id": village, "seq": 1, "hlc": STAMP, "op": "put",
         "data": {"commune_code": 3808, "name": f"Bản {rng.randrange(10**6)}", "kind": "ban",
                  "households": 100}},
        {"c": "forum", "id": forum, "seq": 2, "hlc": STAMP, "op": "put",
         "data": {"kind": "listening", "village_id": village, "status": "draft",
                  "started_at": "2026-11-20T08:00:00", "venue": "Nhà văn hóa"}},
    ]
    for seq in range(3, 8):
        records.append({"c": "opinion", "id": str(uuid.uuid4()), "seq": seq, "hlc": STAMP,
                        "op": "put", "data": {
                            "kind": "petition", "channel": "forum", "village_id": village,
                            "forum_id": forum, "category_code": "land", "level": "commune",
                            "content": "Xin cấp sổ đỏ", "anonymous": False,
                            "raiser_phone": "0912345678", "on_behalf_households": 3}})
    return records


NASTY = ["\x00", "a\x00b", "\ud800", "x\udfff", "\x1b[31m", float("nan"), float("inf"),
         10 ** 30, -(10 ** 30), 2 ** 63, json.loads("[" * 20 + "1" + "]" * 20), {"\x00": 1},
         "", None, True, [], {}, "x" * 100_001, "2026-02-30T08:00:00", "0001-01-01T00:00:00",
         "9999-12-31T23:59:59", "yes", 1.5, "ĐƯỜNG", "\u202e", "'; DROP TABLE sync_record;--"]


def _mutate(rng: random.Random, records: list[dict]) -> dict:
    """Return an envelope with a few random values replaced by nasty ones."""
    envelope: dict = {"records": records, "batch": str(uuid.uuid4()), "replica": "r"}
    for _ in range(rng.randint(1, 3)):
        where = rng.random()
        value = copy.deepcopy(rng.choice(NASTY))
        if where < 0.1:
            envelope[rng.choice(["batch", "replica"])] = value
            continue
        item = rng.choice(records)
        if where < 0.25:
            item[rng.choice(["c", "id", "seq", "hlc", "op"])] = value
        elif where < 0.4:
            item["data"][rng.choice(["extra", "\x00key", "nested"])] = value
        else:
            names = list(SCHEMAS[item["c"]].fields) if item["c"] in SCHEMAS else ["x"]
            item.setdefault("data", {})
            if isinstance(item["data"], dict):
                item["data"][rng.choice(names)] = value
    return envelope


def _signed_push(session: requests.Session, url: str, client: SyncClient, body: bytes,
                 attempts: int = 5) -> requests.Response:
    """POST a signed push; a 503 "busy" (a lock held past the wait, on a loaded machine) is
    sent again, freshly signed, as the laptop does. Any other 5xx is returned."""
    for _ in range(attempts):
        headers = auth.sign(client.device_id, client.secret, "POST", "/sync/v1/push", body)
        headers.update({"X-LN-Protocol": "1", "Content-Type": "application/json"})
        response = session.post(f"{url}/sync/v1/push", data=body, headers=headers, timeout=30)
        if response.status_code != 503 or response.json().get("code") != "busy":
            return response
        time.sleep(float(response.headers["Retry-After"]) / 5)
    return response


def test_a_push_that_outwaits_a_held_lock_is_told_busy_and_the_laptop_retries(
        sqlite_central, tmp_path):
    """Another writer holds the central's SQLite file past the busy timeout: the push gets
    503 "busy" with Retry-After (not a 500), nothing is half-stored, and the same push
    goes through once the lock is let go."""
    client = SyncClient(sqlite_central.url)
    client.enroll(sqlite_central.enrolment_code(), "Máy thử", str(uuid.uuid4()))
    records = _valid_batch(random.Random(5))
    body = json.dumps({"records": records}, ensure_ascii=False).encode()
    holder = sqlite3.connect(sqlite_central.data_dir / "langnghe.sqlite3", timeout=30,
                             isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = _signed_push(requests.Session(), sqlite_central.url, client, body,
                                attempts=1)
        assert response.status_code == 503, response.text[:300]
        assert response.json()["code"] == "busy"
        assert "tự gửi lại" in response.json()["message"]
        assert int(response.headers["Retry-After"]) > 0
        with pytest.raises(ServerFailed) as failed:  # the laptop's client retries these
            client.push({"records": records})
        assert failed.value.details["code"] == "busy"
    finally:
        holder.rollback()
        holder.close()
    assert sqlite_central.count() == 0

    answer = client.push({"records": records})

    assert answer["results"] == "S" * len(records)
    assert sqlite_central.count() == len(records)


def test_mutated_signed_pushes_never_get_a_5xx(central):
    """A bounded, seeded fuzzer of signed pushes: every answer is 200 or a clear 4xx."""
    client = SyncClient(central.url)
    client.enroll(central.enrolment_code(), "Máy thử", str(uuid.uuid4()))
    rng = random.Random(20261130)
    session = requests.Session()
    answers: dict[int, int] = {}
    for _ in range(120):
        envelope = _mutate(rng, _valid_batch(rng))
        # ASCII escapes: a lone surrogate travels as \ud800, as a broken client would send it.
        body = json.dumps(envelope, ensure_ascii=True).encode()
        response = _signed_push(session, central.url, client, body)
        answers[response.status_code] = answers.get(response.status_code, 0) + 1
        assert response.status_code < 500, response.text[:500]
        assert response.json()["protocol"] == 1
    assert answers.get(200, 0) > 60  # most batches still store their good records
    rows = central.records()
    assert rows and all("\x00" not in json.dumps(row.data, ensure_ascii=False)
                        for row in rows if row.data)


def test_the_central_stores_what_the_schema_loaded_not_the_raw_value(central):
    client = SyncClient(central.url)
    client.enroll(central.enrolment_code(), "Máy thử", str(uuid.uuid4()))
    records = _valid_batch(random.Random(1))
    opinion = records[2]
    opinion["data"].update(anonymous="yes", answered_on_spot="false", future_field="kept")

    answer = client.push({"records": records})

    assert answer["results"] == "S" * len(records)
    [row] = [row for row in central.records("opinion") if str(row.id) == opinion["id"]]
    assert row.data["anonymous"] is True and row.data["answered_on_spot"] is False
    assert row.data["future_field"] == "kept"  # a newer laptop's field is kept as sent


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_lock_wait_is_told_apart_from_a_failing_database(backend, tmp_path):
    """`is_busy`: a lock held past the wait is "busy" (503, retried); a broken statement
    is not (it stays a 500 and is logged)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError

    from sync.errors import is_busy

    from .sync_support import drop_pg_database, make_pg_database

    url = make_pg_database() if backend == "postgresql" else f"sqlite:///{tmp_path}/x.sqlite3"
    engine = create_engine(url, connect_args={} if backend == "postgresql" else {"timeout": 0.1})
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (id integer PRIMARY KEY)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect() as holder, engine.connect() as waiter:
            holder.begin()
            if backend == "postgresql":
                holder.execute(text("SELECT id FROM t FOR UPDATE"))
                waiter.execute(text("SET lock_timeout = '100ms'"))
                locking = "SELECT id FROM t FOR UPDATE"
            else:
                holder.execute(text("UPDATE t SET id = 2"))
                locking = "UPDATE t SET id = 3"
            with pytest.raises(DBAPIError) as waited:
                waiter.execute(text(locking))
            assert is_busy(waited.value)
            waiter.rollback()
            with pytest.raises(DBAPIError) as broken:
                waiter.execute(text("SELECT no_such_column FROM t"))
            assert not is_busy(broken.value)
            holder.rollback()
    finally:
        engine.dispose()
        if backend == "postgresql":
            drop_pg_database(url)
