"""The office records a citizen's satisfaction; older laptops' records never undo it.

Real databases (a SQLite file and the real PostgreSQL), records through
`sync.store.ingest_batch` as a push stores them.
"""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select

from field_app.central.accounts.logic import create_account
from field_app.central.inbox import logic as inbox
from field_app.central.inbox.models import OfficeOpinion
from field_app.errors import ValidationFailed
from field_app.extensions import db
from sync import store
from sync.records import SATISFACTION_FIELDS, validate_record

from .test_office_projection import enrolled, office_app, opinion, push, village

NODE = "0123456789ab"


def now_stamp(seconds_ahead: int = 0) -> str:
    return f"{int(time.time() * 1000) + seconds_ahead * 1000:013d}-0000-{NODE}"


def pushed_opinion():
    """Return (device, officer, village id, opinion id): one opinion pushed, not answered."""
    with db.engine.begin() as conn:
        device = enrolled(conn)
    v, o = str(uuid.uuid4()), str(uuid.uuid4())
    push(device.id, [village(v, 1), opinion(o, v, 2)])
    officer = create_account("canbo", "mat-khau-xa-2026", "officer", 3808)
    db.session.commit()
    return device, officer, v, o


def answered_opinion():
    device, officer, v, o = pushed_opinion()
    inbox.update_opinion(officer, uuid.UUID(o), {"status": "answered",
                                                 "answer_text": "Xã sẽ sửa đường.",
                                                 "answer_by": "Chủ tịch UBND xã"})
    db.session.commit()
    return device, officer, v, o


def conflicts(record_id: str) -> list:
    return list(db.session.execute(select(store.conflict).where(
        store.conflict.c.record_id == uuid.UUID(record_id))))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_older_laptops_edit_keeps_the_satisfaction_the_office_recorded(tmp_path, backend):
    with office_app(tmp_path, backend):
        device, officer, v, o = answered_opinion()
        inbox.update_opinion(officer, uuid.UUID(o), {"satisfaction": "satisfied"},
                             reason="Bà con báo qua điện thoại")
        db.session.commit()
        said = db.session.get(OfficeOpinion, uuid.UUID(o))
        assert (said.satisfaction, said.satisfaction_by, said.satisfaction_forum_id) == (
            "satisfied", "canbo", None)
        recorded_at = said.satisfaction_at
        assert recorded_at is not None
        # On the wire: all four values as one correction, for the laptop to pull.
        with db.engine.connect() as conn:
            page = store.pull_changes(conn, store.get_device(conn, device.id), 0)
        corrections = page["changes"][-1]["corrections"]
        assert set(SATISFACTION_FIELDS) <= set(corrections)
        assert corrections["satisfaction_by"] == "canbo"

        # A laptop of the previous version edits the content later: it neither sends
        # the satisfaction fields nor says which fields it changed.
        older = opinion(o, v, 3, content="Đường vào bản bị sạt lở nặng hơn")
        older["hlc"] = now_stamp(60)
        assert not set(SATISFACTION_FIELDS) & set(older["data"])
        assert validate_record("opinion", older["data"]) == {}  # still a valid record
        assert push(device.id, [older]).results == ["S"]

        db.session.expire_all()
        said = db.session.get(OfficeOpinion, uuid.UUID(o))
        assert said.content == "Đường vào bản bị sạt lở nặng hơn"
        assert (said.satisfaction, said.satisfaction_by, said.satisfaction_at) == (
            "satisfied", "canbo", recorded_at)
        assert conflicts(o) == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_office_cannot_type_the_stamps_or_a_bad_value(tmp_path, backend):
    with office_app(tmp_path, backend):
        _device, officer, _v, o = answered_opinion()
        for values, said in (
                ({"satisfaction": "rất hài lòng"}, "Mức độ hài lòng: giá trị không hợp lệ"),
                ({"satisfaction": "unknown"}, "Mức độ hài lòng: giá trị không hợp lệ"),
                ({"satisfaction_by": "ai đó"}, "satisfaction_by"),
                ({"satisfaction_at": "2026-11-30T08:00:00"}, "satisfaction_at"),
                ({"satisfaction_forum_id": str(uuid.uuid4())}, "satisfaction_forum_id")):
            with pytest.raises(ValidationFailed) as refused:
                inbox.update_opinion(officer, uuid.UUID(o), values)
            assert said in refused.value.message
            db.session.rollback()
        said = db.session.get(OfficeOpinion, uuid.UUID(o))
        assert (said.satisfaction, said.satisfaction_at, said.satisfaction_by) == (
            None, None, None)

        # Recorded, then cleared: nothing recorded is what the laptops get.
        inbox.update_opinion(officer, uuid.UUID(o), {"satisfaction": "absent"})
        inbox.update_opinion(officer, uuid.UUID(o), {"satisfaction": ""})
        db.session.commit()
        said = db.session.get(OfficeOpinion, uuid.UUID(o))
        assert (said.satisfaction, said.satisfaction_at, said.satisfaction_by) == (
            None, None, None)
        history = inbox.history(said.id)
        assert [line.changes["satisfaction"] for line in history[-2:]] == [
            [None, "absent"], ["absent", None]]


def test_the_office_cannot_record_a_verdict_before_the_commune_answered(tmp_path):
    # Clicked on an opinion still waiting for its answer, "Hài lòng" counted in the
    # report's satisfaction rate; the laptop refuses it, the office now too.
    with office_app(tmp_path, "sqlite"):
        _, officer, _, o = pushed_opinion()
        for verdict in ("satisfied", "unsatisfied"):
            with pytest.raises(ValidationFailed, match="chưa có trả lời của xã"):
                inbox.update_opinion(officer, uuid.UUID(o), {"satisfaction": verdict})
            db.session.rollback()
        assert db.session.get(OfficeOpinion, uuid.UUID(o)).satisfaction is None
        # Answered in the same save: the verdict is taken.
        inbox.update_opinion(officer, uuid.UUID(o), {
            "status": "answered", "answer_text": "Xã sẽ sửa đường.",
            "answer_by": "Chủ tịch UBND xã", "satisfaction": "satisfied"})
        db.session.commit()
        assert db.session.get(OfficeOpinion, uuid.UUID(o)).satisfaction == "satisfied"
