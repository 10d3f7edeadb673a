"""No link at all: a signed bundle on a USB stick, imported at the central, acked back."""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile

import pytest
from click.testing import CliRunner

from field_app.attachments import logic as attachments
from field_app.cli import main
from field_app.extensions import db
from field_app.outbox import logic as outbox
from sync import auth, bundle, store
from sync.errors import SyncError

from .test_sync import assert_same_records, record_forum


def import_file(central, path):
    with open(path, "rb") as stream:
        return bundle.import_bundle(central.engine, stream,
                                    store.BlobStore(central.data_dir / "blobs"))


@pytest.fixture
def exported(central, laptop, tmp_path):
    """A forum with a photo, exported to a bundle by a laptop enrolled but never synced."""
    _forum, said = record_forum(12)
    photo = b"\xff\xd8\xff\xe0" + os.urandom(300_000)
    attachments.attach(laptop.config["DATA_DIR"], io.BytesIO(photo), "bien-ban.jpg",
                       1 << 22, opinion=said[0])
    db.session.commit()
    outbox.enroll(central.url, central.enrolment_code())
    path = tmp_path / "usb" / "langnghe.bundle"
    path.parent.mkdir()
    made = outbox.export_bundle(path)
    assert made == {"records": 17, "blobs": 1, "batch": made["batch"]}
    return path, photo


def test_bundle_imported_twice_changes_nothing_the_second_time(central, laptop, exported):
    path, photo = exported
    first = import_file(central, path)
    assert (first["stored"], first["unchanged"], first["rejected"], first["blobs"]) == (
        17, 0, 0, 1)
    second = import_file(central, path)
    assert (second["stored"], second["unchanged"], second["blobs"]) == (0, 17, 0)
    assert_same_records(central)
    [attachment] = central.records("attachment")
    assert store.BlobStore(central.data_dir / "blobs").path(
        attachment.data["sha256"]).read_bytes() == photo
    # Then the same records arrive over the network too: still one of each.
    summary = outbox.run_sync()
    assert summary.unchanged == 17 and summary.stored == 0 and summary.blobs == 0
    assert_same_records(central)


def test_acknowledgement_file_clears_the_queue_and_brings_the_answers(central, laptop,
                                                                        exported):
    from field_app.opinions.models import Opinion

    path, _photo = exported
    import_file(central, path)
    opinion_id = central.records("opinion")[0].id
    with central.engine.begin() as conn:
        store.publish(conn, opinion_id, {
            "status": "answered", "answer_text": "Đã giao Phòng Kinh tế khảo sát."}, {},
            "cán bộ xã", store.central_clock(conn))
    with central.engine.connect() as conn:
        ack = bundle.ack_file(conn, outbox.state().device_id)
    assert outbox.pending_count() == 17
    # An automatic try failed while the office's server was off: the file makes it stale.
    outbox.state().last_error = "Không kết nối được máy chủ xã."
    db.session.commit()
    assert outbox.import_ack(ack) == (17, 1)
    assert outbox.pending_count() == 0
    page = laptop.test_client().get("/sync/").get_data(as_text=True)
    assert "Không kết nối được máy chủ xã" not in page
    assert ("Lần trước (tệp xác nhận qua USB): xã xác nhận 17 bản ghi, nhận về 1 thay đổi."
            in page)
    answered = db.session.get(Opinion, opinion_id)
    assert (answered.status, answered.answer_text) == ("answered",
                                                       "Đã giao Phòng Kinh tế khảo sát.")
    assert outbox.import_ack(ack) == (0, 0)  # reading it twice changes nothing
    with pytest.raises(SyncError) as wrong_file:
        outbox.import_ack(path.read_bytes())
    assert "không phải tệp xác nhận" in wrong_file.value.message
    forged = json.loads(ack)
    sealed = bytearray(base64.b64decode(forged["sealed"]))
    sealed[40] ^= 1  # one bit of the content changed on the way
    forged["sealed"] = base64.b64encode(bytes(sealed)).decode()
    with pytest.raises(SyncError) as refused:
        outbox.import_ack(json.dumps(forged).encode())
    assert refused.value.code == "bad_bundle"


def test_tampered_bundle_is_refused_and_stores_nothing(central, laptop, exported, tmp_path):
    path, _photo = exported
    tampered = tmp_path / "tampered.bundle"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "manifest.sealed":
                data = data[:-100] + bytes([data[-100] ^ 1]) + data[-99:]
            target.writestr(item, data)
    with pytest.raises(SyncError) as refused:
        import_file(central, tampered)
    assert refused.value.code == "bad_bundle"
    assert central.count() == 0


def test_bundle_of_another_device_or_not_a_bundle_is_refused(central, laptop, exported,
                                                             tmp_path):
    path, _photo = exported
    forged = tmp_path / "forged.bundle"
    other = store  # another enrolled device signs with its own secret
    with central.engine.begin() as conn:
        thief = other.enrol(conn, central.enrolment_code(), "Máy khác", None)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(forged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "envelope.json":
                envelope = json.loads(data)
                envelope["device"] = thief["device_id"]  # claims to be the other laptop
                data = json.dumps(envelope, ensure_ascii=False).encode()
            target.writestr(item, data)
    cut = tmp_path / "cut.bundle"
    cut.write_bytes(path.read_bytes()[:-200_000])  # the USB stick pulled out mid-copy
    for bad in (forged, __file__, cut):
        with pytest.raises(SyncError) as refused:
            import_file(central, bad)
        assert refused.value.code == "bad_bundle"
    assert central.count() == 0


def test_bundle_round_trip_through_the_command_line(central, laptop, tmp_path):
    record_forum(3)
    outbox.enroll(central.url, central.enrolment_code())
    runner = CliRunner()
    data = str(laptop.config["DATA_DIR"])
    path = tmp_path / "cli.bundle"
    done = runner.invoke(main, ["export-bundle", str(path), "--data", data])
    assert done.exit_code == 0, done.output
    assert "Đã ghi 7 bản ghi" in done.output
    done = runner.invoke(main, ["central", "--database", central.database, "--data",
                                str(central.data_dir), "import-bundle", str(path)])
    assert done.exit_code == 0, done.output
    assert "7 xã lưu (mới hoặc có sửa)" in done.output
    done = runner.invoke(main, ["central", "--database", central.database, "--data",
                                str(central.data_dir), "import-bundle", str(path)])
    assert "0 xã lưu (mới hoặc có sửa), 7 xã đã có" in done.output
    ack = tmp_path / "ack.json"
    with central.engine.connect() as conn:
        ack.write_bytes(bundle.ack_file(conn, outbox.state().device_id))
    done = runner.invoke(main, ["import-ack", str(ack), "--data", data])
    assert done.exit_code == 0, done.output
    assert "7 bản ghi đã được xã xác nhận; 0 bản ghi còn chờ" in done.output
    assert_same_records(central)


def test_nothing_waiting_makes_no_usb_file_and_says_so(central, laptop, tmp_path):
    """Everything acknowledged: the page offers no empty file; the command line still
    writes one (a script may expect it) but says the same."""
    record_forum(2)
    outbox.enroll(central.url, central.enrolment_code())
    outbox.run_sync()
    assert outbox.pending_count() == 0
    client = laptop.test_client()
    answer = client.post("/sync/bundle")
    assert answer.status_code == 302 and answer.headers["Location"] == "/sync/"
    assert "Không có gì chờ gửi: mọi bản ghi đã được xã xác nhận." in client.get("/sync/").text
    leftovers = laptop.config["DATA_DIR"] / "tmp"
    assert not leftovers.exists() or not any(leftovers.iterdir())
    done = CliRunner().invoke(main, ["export-bundle", str(tmp_path / "empty.bundle"),
                                     "--data", str(laptop.config["DATA_DIR"])])
    assert done.exit_code == 0, done.output
    assert "Không có gì chờ gửi: mọi bản ghi đã được xã xác nhận." in done.output
    assert (tmp_path / "empty.bundle").exists()


def test_usb_forms_say_plainly_what_is_wrong(laptop):
    """Not enrolled, no file, not an acknowledgement file: a reason, nothing changed."""
    client = laptop.test_client()
    refused = client.post("/sync/bundle")
    assert refused.status_code == 409
    assert "chưa đăng ký" in refused.get_data(as_text=True)
    outbox.state().device_id, outbox.state().secret = "dev-1", "s" * 64
    db.session.commit()
    empty = client.post("/sync/ack", data={}, content_type="multipart/form-data")
    assert empty.status_code == 422
    assert "Hãy chọn tệp xác nhận" in empty.get_data(as_text=True)
    for junk in (b"PK\x03\x04 not json", b'{"body": "{}", "signature": "00"}'):
        answer = client.post("/sync/ack", data={"ack": (io.BytesIO(junk), "x.json")},
                             content_type="multipart/form-data")
        assert answer.status_code == 422
        assert "tệp xác nhận" in answer.get_data(as_text=True)
    leftovers = laptop.config["DATA_DIR"] / "tmp"  # the refused export left no file
    assert not leftovers.exists() or not any(leftovers.iterdir())


def _members(path) -> bytes:
    """Every byte a USB stick's file holds: the zip as stored and each member unpacked."""
    with zipfile.ZipFile(path) as archive:
        return path.read_bytes() + b"".join(archive.read(name) for name in archive.namelist())


def test_a_lost_usb_stick_shows_no_citizen_and_no_answer(central, laptop, exported, tmp_path):
    """Names, phones, what was said and the photos travel encrypted; only the central
    opens them."""
    path, photo = exported
    with zipfile.ZipFile(path) as archive:
        assert set(archive.namelist()) >= {"envelope.json", "manifest.sealed", "signature"}
        assert "manifest.json" not in archive.namelist()
        envelope = json.loads(archive.read("envelope.json"))
    assert envelope == {"format": "langnghe-bundle", "protocol": envelope["protocol"],
                        "device": outbox.state().device_id, "sealed": bundle.SEALED}
    carried = _members(path)
    for clear in ("Lò Văn", "sạt lở", "mưa lũ"):
        assert clear.encode() not in carried
    assert photo[1000:1064] not in carried  # the photo of the minutes too
    assert import_file(central, path)["stored"] == 17
    assert {row.data.get("raiser_name") for row in central.records("opinion")} >= {"Lò Văn 3"}

    answer = "Đã giao Phòng Kinh tế khảo sát đoạn đường Nà Lò."
    with central.engine.begin() as conn:
        store.publish(conn, central.records("opinion")[0].id,
                      {"status": "answered", "answer_text": answer}, {}, "cán bộ xã",
                      store.central_clock(conn))
    with central.engine.connect() as conn:
        ack = bundle.ack_file(conn, outbox.state().device_id)
    assert answer.encode() not in ack and "Phòng Kinh tế".encode() not in ack
    assert outbox.import_ack(ack) == (17, 1)


def test_a_bundle_or_acknowledgement_of_the_earlier_version_is_still_read(central, laptop,
                                                                          exported, tmp_path):
    """A laptop not yet updated writes the manifest in clear, signed: the central reads it."""
    path, photo = exported
    row = outbox.state()
    manifest = json.loads(bundle.open_content(
        row.secret, bundle.FORMAT, zipfile.ZipFile(path).read("envelope.json"),
        zipfile.ZipFile(path).read("manifest.sealed")))
    older = tmp_path / "older.bundle"
    body = json.dumps(manifest, ensure_ascii=False).encode()
    [sha] = [blob["sha256"] for blob in manifest["blobs"]]
    with zipfile.ZipFile(older, "w") as out:
        out.writestr("manifest.json", body)
        out.writestr("signature", auth.seal(row.secret, body))
        out.writestr(f"blobs/{sha}", photo)
    imported = import_file(central, older)
    assert (imported["stored"], imported["blobs"]) == (17, 1)
    assert store.BlobStore(central.data_dir / "blobs").path(sha).read_bytes() == photo
    body = json.dumps({"format": bundle.ACK_FORMAT, "device": row.device_id, "held": [],
                       "changes": []}).encode()
    older_ack = json.dumps({"body": body.decode(), "signature": auth.seal(row.secret, body)})
    assert outbox.import_ack(older_ack.encode()) == (0, 0)


def word_document() -> bytes:
    """A .docx as Word writes it: a ZIP holding word/document.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as made:
        made.writestr("[Content_Types].xml", "<Types/>")
        made.writestr("word/document.xml", "<w:document>Công văn số 12</w:document>")
    return out.getvalue()


@pytest.mark.parametrize(("name", "data", "said"), [
    ("Cong van tra loi.docx", word_document(), "là văn bản Word, không phải tệp xác nhận"),
    ("tep-xac-nhan.json", word_document(), "là văn bản Word"),  # renamed, still Word
    ("langnghe-dev-1-20261202.bundle", b"PK\x03\x04 a bundle",
     "là tệp USB máy này gửi lên xã, không phải tệp xác nhận xã gửi về"),
    ("anh.jpg", b"\xff\xd8\xff\xe0", "không phải tệp xác nhận của văn phòng xã"),
])
def test_a_wrong_acknowledgement_file_is_named_and_the_right_one_described(
        laptop, name, data, said):
    client = laptop.test_client()
    outbox.state().device_id, outbox.state().secret = "dev-1", "s" * 64
    db.session.commit()
    answer = client.post("/sync/ack", data={"ack": (io.BytesIO(data), name)},
                         content_type="multipart/form-data")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    message = page.split('class="flash error"')[1].split("</div>")[0]
    assert f"Tệp «{name}» {said}" in message, message
    assert "tệp xác nhận văn phòng xã đưa cho máy này" in message
    assert "langnghe-ack-dev-1.json" in message
    if not name.endswith(".bundle"):  # a .bundle is named only when one was picked
        assert ".bundle" not in message

