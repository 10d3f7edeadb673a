"""A case's answer reaches every village that raised it: two real laptops, one by a real
sync to a real central (waitress, SQLite and PostgreSQL), one by USB bundle and the
acknowledgement file the devices page gives; the office works through its pages."""

from __future__ import annotations

import re
import uuid
from datetime import date

from sqlalchemy import select

from field_app import create_app
from field_app.areas import logic as areas
from field_app.central.catalogue.logic import add_unit
from field_app.central.inbox.models import AuditEntry, OfficeOpinion
from field_app.cli import upgrade_database
from field_app.extensions import db
from field_app.opinions import logic as opinions
from field_app.opinions.models import Opinion
from field_app.outbox import logic as outbox

from .conftest import MUONG_LA
from .office_support import account, login

ANSWER = "UBND xã đã giao Ban Địa chính san gạt đoạn sạt lở trước ngày 15/12."
LATE = ("Mưa lũ kéo dài, máy không vào được", "Trưởng ban Địa chính", date.today(),
        "Gặp trực tiếp tại nhà văn hóa", "Phó Chủ tịch xã")


def test_merged_case_answer_reaches_both_laptops_and_a_laptop_edit_still_lands(
        central, laptop, tmp_path):
    # Laptop A (online): Bản Nà Lò raises the road.
    village_a = next(item for item in areas.villages() if item.name == "Bản Nà Lò")
    said_a = opinions.create_opinion({
        "content": "Đường vào bản Nà Lò sạt lở", "category_code": "construction",
        "kind": "petition", "village_id": village_a.id, "channel": "mailbox",
        "received_on": "2026-11-05", "raiser_name": "Lò Văn Hùng"})
    db.session.commit()
    id_a = said_a.id
    outbox.enroll(central.url, central.enrolment_code(), "Máy bản Nà Lò")
    assert outbox.run_sync().rejected == 0

    # Laptop B (no link after enrolment): Bản Đán raised it first; a USB bundle carries it.
    b_app = create_app({"DATA_DIR": tmp_path / "laptop-b", "TESTING": True,
                        "SYNC_BACKOFF": 0.01})
    upgrade_database(b_app)
    with b_app.app_context():
        commune = areas.choose_commune(MUONG_LA)
        village_b = areas.add_village(commune, "Bản Đán", None, 85)
        said_b = opinions.create_opinion({
            "content": "duong vao ban Dan bi sat lo", "category_code": "construction",
            "kind": "petition", "village_id": village_b.id, "channel": "mailbox",
            "received_on": "2026-11-03", "raiser_name": "Quàng Thị Xuân"})
        db.session.commit()
        id_b = said_b.id
        outbox.enroll(central.url, central.enrolment_code(), "Máy bản Đán")
        device_b = outbox.state().device_id
        outbox.export_bundle(tmp_path / "ban-dan.bundle")
        db.session.remove()

    office = create_app({"ROLE": "central", "SQLALCHEMY_DATABASE_URI": central.database,
                         "DATA_DIR": tmp_path / "office", "TESTING": True,
                         "WTF_CSRF_ENABLED": False})
    account(office, "xa")
    with office.app_context():
        unit = add_unit(MUONG_LA, "Địa chính - Xây dựng").id
        db.session.commit()
    client = login(office, "xa")
    with open(tmp_path / "ban-dan.bundle", "rb") as stream:
        imported = client.post("/central/bundle", data={"bundle": (stream, "usb.bundle")},
                               content_type="multipart/form-data")
    assert imported.status_code in (200, 302)

    # The officer merges the two, assigns, answers (late), explains, apologises, closes.
    merged = client.post("/central/cases", data={"opinion_ids": [str(id_a), str(id_b)],
                                                  "reason": "cùng đoạn đường"})
    assert merged.status_code == 302
    case_id = int(re.search(r"/central/cases/(\d+)$", merged.headers["Location"])[1])
    assert client.post(f"/central/cases/{case_id}/assign",
                       data={"unit_id": str(unit)}).status_code == 302
    page = client.get(f"/central/cases/{case_id}").get_data(as_text=True)
    assert "Bản Nà Lò" in page and "Bản Đán" in page and "18/11/2026" in page  # 3/11 + 15
    assert client.post(f"/central/cases/{case_id}/status",
                       data={"status": "in_progress"}).status_code == 302
    client.post(f"/central/cases/{case_id}/answer", data={
        "text": ANSWER, "by": "Chủ tịch UBND xã", "doc_number": "215/UBND-ĐC",
        "date": date.today().isoformat()})
    refused = client.post(f"/central/cases/{case_id}/status", data={"status": "closed"},
                          follow_redirects=True).get_data(as_text=True)
    assert "giải trình" in refused
    client.post(f"/central/cases/{case_id}/late", data={
        "late_explanation": LATE[0], "late_explained_by": LATE[1],
        "apology_on": LATE[2].isoformat(), "apology_how": LATE[3], "apology_by": LATE[4]})
    client.post(f"/central/cases/{case_id}/status", data={"status": "closed"})

    # Laptop A edits its opinion (now merged) and syncs: the edit lands, the answer comes.
    opinions.update_opinion(said_a, {
        "content": "Đường vào bản Nà Lò sạt lở nặng hơn", "category_code": "construction",
        "kind": "petition", "village_id": village_a.id, "channel": "mailbox",
        "received_on": "2026-11-05", "raiser_name": "Lò Văn Hùng"})
    db.session.commit()
    summary = outbox.run_sync()
    assert summary.rejected == 0
    db.session.expire_all()
    local_a = db.session.get(Opinion, id_a)
    assert (local_a.content, local_a.answer_text, local_a.answer_doc_number, local_a.status) == (
        "Đường vào bản Nà Lò sạt lở nặng hơn", ANSWER, "215/UBND-ĐC", "closed")
    assert local_a.merged_into == id_b  # merged into the case's first opinion
    # Answered late: the explanation and the apology came with it, to be read out.
    assert (local_a.late_explanation, local_a.late_explained_by, local_a.apology_on,
            local_a.apology_how, local_a.apology_by) == LATE
    shown = laptop.test_client().get(f"/opinions/{id_a}").get_data(as_text=True)
    late_days = (date.today() - local_a.due_date).days
    assert f"Trả lời chậm {late_days} ngày" in shown
    assert "Giải trình của Trưởng ban Địa chính: Mưa lũ kéo dài" in shown
    assert (f"Đã xin lỗi người dân ngày {date.today():%d/%m/%Y}: Gặp trực tiếp tại nhà văn "
            "hóa (Phó Chủ tịch xã)." in shown)
    # … and on the list read out at the village's next forum, printed or on screen.
    read_out = laptop.test_client().get(f"/villages/{village_a.id}/answers").get_data(
        as_text=True)
    assert f"Trả lời chậm {late_days} ngày" in read_out and "Phó Chủ tịch xã" in read_out
    with office.app_context():
        held = db.session.get(OfficeOpinion, id_a)
        assert (held.content, held.case_id, held.deleted, held.status) == (
            "Đường vào bản Nà Lò sạt lở nặng hơn", case_id, False, "closed")
        actions = [entry.action for entry in db.session.execute(select(AuditEntry).where(
            AuditEntry.record_id == id_a).order_by(AuditEntry.id)).scalars()]
        assert actions[0] == "received" and "merged" in actions and actions[-1] == "changed"
        db.session.remove()  # the connection back to the pool, then the pool closed
        db.engine.dispose()
    history = client.get(f"/central/opinions/{id_a}").get_data(as_text=True)
    assert f"vụ việc số {case_id}" in history

    # Laptop B takes the acknowledgement file from the devices page: the answer is there.
    ack = client.get(f"/central/devices/{device_b}/ack")
    assert ack.status_code == 200
    with b_app.app_context():
        outbox.import_ack(ack.get_data())
        local_b = db.session.get(Opinion, id_b)
        assert (local_b.answer_text, local_b.answer_by, local_b.status, local_b.merged_into) == (
            ANSWER, "Chủ tịch UBND xã", "closed", None)
        assert (local_b.late_explanation, local_b.late_explained_by, local_b.apology_on,
                local_b.apology_how, local_b.apology_by) == LATE
        db.session.remove()
        db.engine.dispose()
    with office.app_context():
        db.engine.dispose()


def test_publishing_many_changes_at_once_keeps_each_line_and_merges_a_record_twice(tmp_path):
    """`sync.store.publish_many` (a case's answer to all its members): one feed line per
    change in order, a record named twice ends with both changes, corrections apart."""
    import pytest

    from sync import store
    from sync.errors import SyncError

    from .office_support import MUONG_LA as COMMUNE
    from .office_support import Laptop, office_app

    with office_app(tmp_path / "central", "postgresql") as app:
        laptop = Laptop(app, COMMUNE, "Máy bản Hốc")
        laptop.village("Bản Hốc")
        first = laptop.opinion("Bản Hốc", "Đường vào bản sạt lở")
        second = laptop.opinion("Bản Hốc", "Xin hỗ trợ giống lúa")
        laptop.push()
        with app.app_context():
            conn = db.session.connection()
            clock = store.central_clock(conn)
            before = conn.execute(select(store.change.c.seq)).all()
            store.publish_many(conn, [(first, {"status": "forwarded"}, {}),
                                      (second, {"status": "answered"}, {"level": "district"}),
                                      (first, {"answer_text": "Đã sửa"}, {})], "xa", clock)
            lines = conn.execute(select(store.change).order_by(store.change.c.seq)).all()
            lines = lines[len(before):]
            assert [(row.record_id, row.values) for row in lines] == [
                (first, {"status": "forwarded"}),
                (second, {"status": "answered", "level": "district"}),
                (first, {"answer_text": "Đã sửa"})]
            assert lines[0].hlc < lines[1].hlc < lines[2].hlc
            held = {row.id: row for row in conn.execute(select(store.record).where(
                store.record.c.id.in_([first, second])))}
            assert held[first].central == {"status": "forwarded", "answer_text": "Đã sửa"}
            assert held[first].central_hlc == lines[2].hlc and held[first].overrides is None
            assert held[second].data["level"] == "district"
            assert held[second].overrides == {"level": lines[1].hlc}
            db.session.commit()
            # An unknown record refuses the whole call: nothing of it is announced.
            with pytest.raises(SyncError):
                store.publish_many(db.session.connection(),
                                   [(first, {"status": "closed"}, {}),
                                    (uuid.uuid4(), {"status": "closed"}, {})], "xa", clock)
            db.session.rollback()
            assert db.session.get(OfficeOpinion, first) is not None
            held = db.session.execute(select(store.record.c.central).where(
                store.record.c.id == first)).scalar_one()
            assert held["status"] == "forwarded"
