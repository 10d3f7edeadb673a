"""The central office pages (Flask test client on a real SQLite central) and the demo."""

from __future__ import annotations

import io
import sqlite3

import pytest
from click.testing import CliRunner

from field_app import create_app
from field_app.central.accounts.logic import create_account
from field_app.cli import main, upgrade_database
from field_app.extensions import db
from sync import store

from .browser import free_port
from .test_sync_bundle import word_document


@pytest.fixture
def office(tmp_path):
    """A central app on its own SQLite file with one officer logged in."""
    app = create_app({"ROLE": "central", "DATA_DIR": tmp_path / "office", "TESTING": True,
                      "WTF_CSRF_ENABLED": False})
    upgrade_database(app)
    with app.app_context():
        create_account("canbo", "mat-khau-xa-2026")
        db.session.commit()
        client = app.test_client()
        client.post("/central/login", data={"username": "canbo",
                                            "password": "mat-khau-xa-2026"})
        yield app, client
        db.session.remove()
        db.engine.dispose()


def test_office_pages_need_a_login(tmp_path):
    app = create_app({"ROLE": "central", "DATA_DIR": tmp_path / "c", "TESTING": True,
                      "WTF_CSRF_ENABLED": False})
    upgrade_database(app)
    with app.app_context():
        client = app.test_client()
        for path in ("/central/", "/central/inbox", "/central/bundle", "/"):
            response = client.get(path)
            assert response.status_code == 302
            assert "/central/" in response.headers["Location"]
        bad = client.post("/central/login", data={"username": "x", "password": "y"})
        assert bad.status_code == 401 and "Sai tên đăng nhập" in bad.get_data(as_text=True)
        db.engine.dispose()


def test_office_makes_a_code_and_revokes_a_device(office):
    app, client = office
    made = client.post("/central/enrolments", data={"commune": "muong la",
                                                    "label": "Máy bản Đán",
                                                    "villages": "Bản Đán, Bản Nà Lò"})
    code = made.headers["Location"].split("code=")[1].split("&")[0]
    page = client.get(f"/central/?code={code}").get_data(as_text=True)
    assert code in page
    with db.engine.begin() as conn:
        device = store.enrol(conn, code, "", None)
    assert device["commune_code"] == 3808 and device["villages"] == ["ban dan", "ban na lo"]
    assert "Máy bản Đán" in client.get("/central/").get_data(as_text=True)
    client.post(f"/central/devices/{device['device_id']}/revoke")
    with db.engine.connect() as conn, pytest.raises(Exception) as refused:
        store.get_device(conn, device["device_id"])
    assert refused.value.code == "device_revoked"
    unknown = client.post("/central/enrolments", data={"commune": "khong co xa nay"})
    assert "Không tìm thấy xã" in client.get(unknown.headers["Location"]).get_data(as_text=True)


def test_revoking_an_unknown_device_says_not_found(office):
    _app, client = office
    answer = client.post("/central/devices/khong-co-may-nay/revoke")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 404
    assert "Không có máy nào mang mã khong-co-may-nay" in page and "Đã thu hồi" not in page
    with db.engine.connect() as conn:
        assert not store.revoke_device(conn, "khong-co-may-nay")


def test_bundle_uploaded_through_the_office_page(office, laptop, tmp_path):
    from field_app.outbox import logic as outbox

    from .test_sync import record_forum

    app, client = office
    with app.app_context():
        with db.engine.begin() as conn:
            code = store.create_enrolment(conn, 3808, "Máy bản")
            device = store.enrol(conn, code, "", None)
    record_forum(4)
    row = outbox.state()
    row.device_id, row.secret, row.server_url = device["device_id"], device["secret"], "x"
    db.session.commit()
    path = tmp_path / "usb.bundle"
    outbox.export_bundle(path)
    with app.app_context():
        answer = client.post("/central/bundle", data={
            "bundle": (io.BytesIO(path.read_bytes()), "langnghe.bundle")},
            content_type="multipart/form-data")
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200
        assert "8 bản ghi — lưu 8 (mới hoặc có sửa), đã có sẵn 0, từ chối 0" in page
        # The village is pointed to its Đồng bộ page's button, not to a command.
        assert "Nạp tệp xác nhận" in page and "langnghe import-ack" not in page
        again = client.post("/central/bundle", data={
            "bundle": (io.BytesIO(path.read_bytes()), "langnghe.bundle")},
            content_type="multipart/form-data").get_data(as_text=True)
        assert "lưu 0 (mới hoặc có sửa), đã có sẵn 8" in again
        junk = client.post("/central/bundle", data={
            "bundle": (io.BytesIO(b"not a zip"), "x.bundle")},
            content_type="multipart/form-data")
        assert junk.status_code == 422
        assert "Tệp «x.bundle» đã hỏng" in junk.get_data(as_text=True)
        ack = client.get(f"/central/devices/{device['device_id']}/ack")
        assert ack.status_code == 200
    assert outbox.import_ack(ack.data) == (8, 0)
    assert outbox.pending_count() == 0


ACK = b'{"envelope": "{\\"format\\": \\"langnghe-ack\\"}", "sealed": "x"}'


@pytest.mark.parametrize(("name", "data", "said"), [
    ("langnghe-ack-dev-1.json", ACK,
     "là tệp xác nhận văn phòng gửi về máy bản, không phải tệp USB của máy bản"),
    ("tai-ve.json", ACK, "là tệp xác nhận văn phòng gửi về máy bản"),  # renamed
    ("Cong van.docx", word_document(), "là văn bản Word, không phải tệp USB của máy bản"),
    ("usb.bundle", word_document(), "là văn bản Word"),  # renamed, still Word
    ("anh.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100, "là ảnh, không phải tệp USB của máy bản"),
    ("ghi-chu.txt", b"ghi chep", "không phải tệp USB của máy bản, hoặc đã hỏng"),
])
def test_a_wrong_file_chosen_as_a_usb_bundle_is_named_and_the_right_one_described(
        office, name, data, said):
    _app, client = office
    answer = client.post("/central/bundle", data={"bundle": (io.BytesIO(data), name)},
                         content_type="multipart/form-data")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    message = page.split('class="flash error"')[1].split("</div>")[0]
    assert f"Tệp «{name}» {said}" in message, message
    assert "Hãy chọn tệp langnghe-&lt;mã máy&gt;-&lt;ngày&gt;.bundle mà máy bản xuất ở trang " \
           "Đồng bộ." in message, message


def test_sync_openapi_is_served_by_the_central(office):
    from openapi_spec_validator import validate

    _app, client = office
    document = client.get("/sync/openapi.json").get_json()
    validate(document)
    assert "/push" in document["paths"] or "/sync/v1/push" in str(document["paths"])


def test_demo_syncs_a_central_and_a_laptop_both_ways(tmp_path):
    done = CliRunner().invoke(main, ["demo", "--once", "--central-port", str(free_port()),
                                     "--field-port", str(free_port()),
                                     "--data", str(tmp_path / "demo")])
    assert done.exit_code == 0, done.output
    assert "Máy bản → xã: gửi 10 bản ghi, 10 xã lưu" in done.output
    assert "Xã → máy bản: mang về 1 trả lời." in done.output
    assert "admin / langnghe-demo" in done.output
    # The sample answer (a survey of the school's toilets) is given to the school opinion.
    with sqlite3.connect(tmp_path / "demo" / "central" / "langnghe.sqlite3") as conn:
        answered = conn.execute("SELECT content FROM office_opinion "
                                "WHERE answer_text IS NOT NULL").fetchall()
    assert answered == [("Điểm trường mầm non của bản thiếu nhà vệ sinh, đề nghị xã hỗ trợ "
                         "xây dựng.",)]


def test_demo_runs_again_on_the_same_folder(tmp_path):
    for expected in ("gửi 10 bản ghi, 10 xã lưu", "gửi 0 bản ghi, 0 xã lưu"):
        done = CliRunner().invoke(main, ["demo", "--once", "--central-port", str(free_port()),
                                         "--field-port", str(free_port()),
                                         "--data", str(tmp_path / "demo")])
        assert done.exit_code == 0, done.output
        assert expected in done.output


def test_office_is_told_when_a_name_fits_several_communes(office):
    _app, client = office
    answer = client.post("/central/enrolments", data={"commune": "muong"})
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Nhiều xã khớp" in page and "Xã Mường La (Sơn La)" not in page.split("Nhiều")[0]
    made = client.post("/central/enrolments", data={"commune": "Mường La"})
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Mã đăng ký cho Xã Mường La (Sơn La)" in page
