"""Telling citizens their answer: an outbox of text messages, sent after the answer commits.

Real databases (SQLite file, real PostgreSQL), real ingest, the real office pages; the
default sender writes the central's log file; a sender that fails is a real function
named by the config, as a gateway's would be.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import openpyxl
import pytest
from sqlalchemy import create_engine, select, text

from field_app.central.inbox import logic as inbox
from field_app.central.notify import logic as notify
from field_app.central.notify.models import Notification
from field_app.central.notify.senders import LOG_FILE
from field_app.extensions import db

from .office_support import MUONG_LA, Laptop, account, login, office_app

PHONE, SHOWN_PHONE = "0912345678", "0912 345 678"
ANSWER = ("UBND xã đã bố trí kinh phí sửa đoạn đường vào bản Hốc, thi công xong trước "
          "ngày 31/12/2026; nhân dân bản Hốc góp ngày công san lấp mặt đường.")
SETUP = SimpleNamespace(id=None, username="can-bo-xa", role="admin", commune_code=None,
                        unit_id=None, is_authenticated=True, is_active=True)
GATEWAY = {"down": False, "seen": []}


def flaky(phone: str, message: str, config) -> None:
    """A gateway that is down while GATEWAY["down"]; it checks the message is committed."""
    engine = create_engine(config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            GATEWAY["seen"].append(conn.execute(text(
                "SELECT count(*) FROM office_notification WHERE phone = :phone"),
                {"phone": phone}).scalar())
    finally:
        engine.dispose()
    if GATEWAY["down"]:
        raise ConnectionError("SMS gateway 10.0.0.5:2775 không trả lời")


@pytest.fixture(params=["sqlite", "postgresql"])
def office(request, tmp_path):
    with office_app(tmp_path / "central", request.param,
                    **getattr(request, "param_config", {})) as app:
        GATEWAY.update(down=False, seen=[])
        yield app


def opinions(app, **extra) -> dict[str, object]:
    laptop = Laptop(app, MUONG_LA, "Máy bản Hốc")
    laptop.village("Bản Hốc")
    made = {"plain": laptop.opinion("Bản Hốc", "Đường vào bản Hốc sạt lở",
                                    raiser_phone=SHOWN_PHONE, **extra),
            "secret": laptop.opinion("Bản Hốc", "Tố cáo trưởng bản thu tiền",
                                     kind="denunciation", raiser_name="Cầm Văn Tố",
                                     raiser_phone="0987654321"),
            "bad": laptop.opinion("Bản Hốc", "Xin hỗ trợ giống lúa", raiser_phone="12"),
            "none": laptop.opinion("Bản Hốc", "Xin làm nhà văn hóa", raiser_phone=None)}
    laptop.push()
    return made


def answer(app, record_id, text_: str = ANSWER, commit: bool = True) -> None:
    with app.app_context():
        inbox.update_opinion(SETUP, record_id, {"answer_text": text_, "status": "answered",
                                                "answer_by": "Chủ tịch UBND xã"})
        db.session.commit() if commit else db.session.rollback()


def messages(app, record_id=None) -> list[Notification]:
    with app.app_context():
        query = select(Notification).order_by(Notification.id)
        if record_id is not None:
            query = query.where(Notification.opinion_id == record_id)
        found = list(db.session.execute(query).scalars())
        for item in found:
            db.session.expunge(item)
        return found


def log_text(app) -> str:
    path = app.config["DATA_DIR"] / LOG_FILE
    return path.read_text(encoding="utf-8") if path.exists() else ""


def gateway_down_answer(app, *accounts: str) -> dict[str, object]:
    """Answer the plain opinion with the gateway down (its message failed once) and make
    `accounts` (each its own role); return `opinions`'s ids."""
    app.config["NOTIFY_SENDER"] = "tests.test_notify:flaky"
    GATEWAY["down"] = True
    said = opinions(app)
    for name in accounts:
        account(app, name, name)
    answer(app, said["plain"])
    return said


def test_an_answer_is_queued_and_written_down_by_the_default_sender(office):
    app = office
    said = opinions(app)
    answer(app, said["plain"])
    [message] = messages(app, said["plain"])
    # The log file is not a gateway: written down, not sent, until a person sends it.
    assert (message.status, message.attempts, message.phone) == ("logged", 1, PHONE)
    assert message.sent_at is None and message.last_error is None
    assert "UBND xã đã bố trí kinh phí" in message.text and "Toàn văn" in message.text
    assert len(message.text) <= 200  # a short text: the gist, and where to read it all
    line = log_text(app)
    assert line.count("\n") == 1 and f"\t{PHONE}\t" in line and "UBND xã đã bố trí" in line
    # The answer changed: the citizen is told again; unchanged: nothing more.
    answer(app, said["plain"], ANSWER + " Bổ sung: thi công từ 15/12.")
    answer(app, said["plain"], ANSWER + " Bổ sung: thi công từ 15/12.")
    assert [m.status for m in messages(app, said["plain"])] == ["logged", "logged"]
    # Rolled back: no message, nothing sent.
    answer(app, said["none"], commit=False)
    answer(app, said["plain"], "Trả lời bị huỷ", commit=False)
    assert len(messages(app)) == 2 and log_text(app).count("\n") == 2


def test_no_message_for_a_denouncer_nor_without_a_valid_phone(office):
    app = office
    said = opinions(app)
    account(app, "officer", "officer")
    for key in ("secret", "bad", "none"):
        answer(app, said[key])
    assert messages(app, said["secret"]) == [] and messages(app, said["none"]) == []
    [bad] = messages(app, said["bad"])
    assert bad.status == "failed" and "không hợp lệ" in bad.last_error
    assert "0987654321" not in log_text(app)
    page = login(app, "officer").get(f"/central/opinions/{said['secret']}")
    assert 'id="no-sms"' in page.get_data(as_text=True)


def test_written_down_messages_are_listed_to_send_by_hand_then_marked_sent(office):
    app = office
    said = opinions(app)
    account(app, "officer", "officer")
    account(app, "viewer", "viewer")
    answer(app, said["plain"])
    answer(app, said["secret"])
    [message] = messages(app)
    officer = login(app, "officer")
    page = officer.get("/central/notifications").get_data(as_text=True)
    assert "Đã ghi vào sổ, chờ gửi tay" in page and 'id="by-hand-notice"' in page
    assert "Đã gửi</td>" not in page and "Gửi lại" not in page.split('id="messages"')[1]
    listed = officer.get("/central/notifications/by-hand").get_data(as_text=True)
    assert PHONE in listed and "UBND xã đã bố trí" in listed and "0987654321" not in listed
    sheet = officer.get("/central/notifications/by-hand.csv")
    assert sheet.mimetype == "text/csv"
    body = sheet.get_data(as_text=True)
    assert PHONE in body and "UBND xã đã bố trí" in body and "0987654321" not in body
    # "Gửi lại" does not write a written-down message down twice.
    officer.post(f"/central/notifications/{message.id}/retry")
    assert log_text(app).count("\n") == 1
    viewer = login(app, "viewer")
    assert viewer.get("/central/notifications/by-hand.csv").status_code == 403
    assert viewer.post("/central/notifications/mark-sent",
                       data={"ids": [message.id]}).status_code == 403
    assert messages(app)[0].status == "logged"
    done = officer.post("/central/notifications/mark-sent", data={"ids": [message.id]},
                        follow_redirects=True).get_data(as_text=True)
    assert "Đã ghi nhận 1 tin đã gửi tay" in done and "gửi tay: officer" in done
    [message] = messages(app)
    assert (message.status, message.sent_by) == ("sent", "officer")
    assert message.sent_at is not None
    assert PHONE not in officer.get("/central/notifications/by-hand").get_data(as_text=True)


def test_the_by_hand_files_keep_the_phones_leading_zero(office):
    """Excel reads 0912345678 as a number and drops the zero: the CSV writes the formula
    ="0912345678" (its value is the text), the XLSX types the cell as text."""
    app = office
    said = opinions(app)
    account(app, "officer", "officer")
    answer(app, said["plain"])
    officer = login(app, "officer")
    sheet = officer.get("/central/notifications/by-hand.csv")
    assert sheet.headers["Content-Disposition"] == 'attachment; filename="tin-nhan-gui-tay.csv"'
    text = sheet.get_data(as_text=True)
    assert text.startswith("\ufeff")
    header, row = list(csv.reader(io.StringIO(text[1:])))
    assert header[2] == "Số điện thoại"
    assert row[2] == f'="{PHONE}"' and "UBND xã đã bố trí" in row[3]
    assert "by-hand.xlsx" in officer.get("/central/notifications/by-hand").get_data(
        as_text=True)
    book = officer.get("/central/notifications/by-hand.xlsx")
    assert book.mimetype == ("application/vnd.openxmlformats-officedocument."
                             "spreadsheetml.sheet")
    rows = list(openpyxl.load_workbook(io.BytesIO(book.get_data())).active.iter_rows())
    phone = rows[1][2]
    assert (phone.value, phone.data_type, phone.number_format) == (PHONE, "s", "@")
    assert "UBND xã đã bố trí" in rows[1][3].value


@pytest.mark.parametrize("office", [pytest.param("sqlite"), pytest.param("postgresql")],
                         indirect=True)
def test_a_failing_sender_is_shown_retried_with_backoff_then_sent(office):
    app = office
    said = gateway_down_answer(app, "officer")
    [message] = messages(app, said["plain"])
    assert GATEWAY["seen"] == [1]  # sent after the answer committed, never inside it
    assert (message.status, message.attempts) == ("failed", 1)
    assert "gateway" in message.last_error
    first_wait = message.next_attempt_at - message.last_attempt_at
    assert first_wait >= timedelta(seconds=59)

    officer = login(app, "officer")
    page = officer.get("/central/notifications").get_data(as_text=True)
    assert "Gửi không được" in page and "SMS gateway 10.0.0.5:2775" in page
    assert "Gửi lại" in page and "Gửi các tin đang chờ" in page

    # Not due yet: the retry thread's pass leaves it; due: tried again, the wait doubles.
    assert notify.send_due(app) == notify.Sent(0, 0)
    with app.app_context():
        db.session.get(Notification, message.id).next_attempt_at = message.last_attempt_at
        db.session.commit()
    assert notify.send_due(app) == notify.Sent(0, 1)
    [message] = messages(app, said["plain"])
    assert message.attempts == 2
    assert message.next_attempt_at - message.last_attempt_at >= 2 * first_wait - timedelta(
        seconds=1)

    # Still down: "Gửi lại" fails, says so; the gateway is back: "Gửi lại" sends it.
    answer_page = officer.post(f"/central/notifications/{message.id}/retry",
                               follow_redirects=True).get_data(as_text=True)
    assert "chưa gửi được" in answer_page
    GATEWAY["down"] = False
    done = officer.post(f"/central/notifications/{message.id}/retry", follow_redirects=True)
    assert "Đã gửi 1 tin" in done.get_data(as_text=True)
    [message] = messages(app, said["plain"])
    assert (message.status, message.attempts, message.last_error) == ("sent", 4, None)
    assert "Đã gửi" in officer.get("/central/notifications?status=sent").get_data(
        as_text=True)


def test_the_office_api_lists_and_retries_messages(office):
    app = office
    gateway_down_answer(app, "officer")
    client = app.test_client()
    with app.app_context():
        from field_app.central.accounts.logic import create_token
        from field_app.central.accounts.models import Account

        officer = db.session.execute(select(Account).where(
            Account.username == "officer")).scalar_one()
        headers = {"Authorization": f"Bearer {create_token(officer, 'api')}"}
        db.session.commit()
    listed = client.get("/central/api/v1/notifications?status=failed", headers=headers)
    [item] = listed.get_json()["items"]
    assert (item["phone"], item["status"], item["attempts"]) == (PHONE, "failed", 1)
    assert "gateway" in item["last_error"]
    assert client.get("/central/api/v1/notifications?status=lost",
                      headers=headers).status_code == 422
    GATEWAY["down"] = False
    retried = client.post(f"/central/api/v1/notifications/{item['id']}/retry", headers=headers)
    assert retried.status_code == 200
    assert (retried.get_json()["status"], retried.get_json()["attempts"]) == ("sent", 2)
    assert client.post("/central/api/v1/notifications/999999/retry",
                       headers=headers).status_code == 404


def test_send_all_waiting_sends_the_failed_ones(office):
    app = office
    gateway_down_answer(app, "officer", "viewer")
    assert messages(app)[0].status == "failed"
    GATEWAY["down"] = False
    assert login(app, "viewer").post("/central/notifications/send").status_code == 403
    assert messages(app)[0].status == "failed"
    login(app, "officer").post("/central/notifications/send")
    assert messages(app)[0].status == "sent"



GATE = threading.Event()


def gated(phone: str, message: str, config) -> None:
    """A gateway that answers only once the test opens the gate (at most 20 s)."""
    GATE.wait(20)


def test_a_served_central_sends_from_its_thread_and_the_answer_does_not_wait(office):
    """With the sender thread running (`langnghe central`), committing an answer only wakes
    it: the answer returns while the gateway still holds the message, and the thread
    sends it long before its interval."""
    app = office
    said = opinions(app)
    app.config["NOTIFY_SENDER"] = "tests.test_notify:gated"
    GATE.clear()
    thread = notify.start_retrier(app, interval=3600)
    try:
        answer(app, said["plain"])  # would wait 20 s here if it sent the message itself
        [message] = messages(app, said["plain"])
        assert message.status == "queued"
        GATE.set()
        for _ in range(200):  # at most ~20 s, then the assertion below tells
            if messages(app, said["plain"])[0].status == "sent":
                break
            time.sleep(0.1)
        [message] = messages(app, said["plain"])
        assert (message.status, message.attempts) == ("sent", 1)
    finally:
        GATE.set()
        thread.stop.set()
        app.extensions.pop("notify_wake").set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_draft_answer_tells_the_citizen_nothing_until_the_opinion_is_answered(office):
    app = office
    said = opinions(app)
    with app.app_context():
        # The text alone, the status left "received" and no one named as answering: a draft.
        inbox.update_opinion(SETUP, said["plain"], {"answer_text": ANSWER})
        db.session.commit()
        assert inbox.get_opinion(SETUP, said["plain"]).status == "received"
    assert messages(app, said["plain"]) == []
    with app.app_context():
        inbox.update_opinion(SETUP, said["plain"], {"status": "in_progress"})
        db.session.commit()
    assert messages(app, said["plain"]) == []
    with app.app_context():  # answered now, with the same text: the citizen is told once
        inbox.update_opinion(SETUP, said["plain"], {"status": "answered",
                                                    "answer_by": "Chủ tịch UBND xã"})
        db.session.commit()
    assert [m.status for m in messages(app, said["plain"])] == ["logged"]


def test_the_unsent_messages_of_an_opinion_the_village_deleted_are_cancelled(office):
    app = office
    laptop = Laptop(app, MUONG_LA, "Máy bản Hốc")
    laptop.village("Bản Hốc")
    deleted = laptop.opinion("Bản Hốc", "Đường vào bản Hốc sạt lở", raiser_phone=PHONE)
    kept = laptop.opinion("Bản Hốc", "Xin làm nhà văn hóa", raiser_phone="0987123456")
    laptop.push()
    answer(app, deleted)
    answer(app, kept)
    app.config["NOTIFY_SENDER"] = "tests.test_notify:flaky"
    GATEWAY["down"] = True
    answer(app, deleted, ANSWER + " Bổ sung: thi công từ 15/12.")  # a failed one, retried
    assert [m.status for m in messages(app, deleted)] == ["logged", "failed"]
    laptop._add("opinion", deleted, None)  # the village deletes it
    laptop.push()
    gone = messages(app, deleted)
    assert [m.status for m in gone] == ["cancelled", "cancelled"]
    assert all("đã bị máy bản xoá" in m.last_error and m.next_attempt_at is None
               for m in gone)
    assert [m.status for m in messages(app, kept)] == ["logged"]
    GATEWAY["down"] = False
    assert notify.send_due(app, force=True).sent == 0
    account(app, "officer", "officer")
    client = login(app, "officer")
    by_hand = client.get("/central/notifications/by-hand").get_data(as_text=True)
    assert "0987 123 456" in by_hand or "0987123456" in by_hand
    assert PHONE not in by_hand and "0912 345 678" not in by_hand
    listed = client.get("/central/notifications?status=cancelled").get_data(as_text=True)
    assert "Đã huỷ, không gửi" in listed
