"""The laptop's backup page: a zip of the database and every photo taken away, and put
back on another laptop (or this one) without the command line."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import zipfile

import pytest

from field_app import create_app
from field_app.cli import upgrade_database
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.pwa import lan

from .test_attachments import jpeg_bytes, upload


def download(client) -> zipfile.ZipFile:
    response = client.post("/backup/download")
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/zip"
    assert "langnghe-sao-luu-" in response.headers["Content-Disposition"]
    body = response.data
    response.close()  # as the WSGI server does: the unnamed file made for it goes
    return zipfile.ZipFile(io.BytesIO(body))


@pytest.fixture
def other(tmp_path):
    """A second, fresh laptop (its own data folder), as one a backup is brought to."""
    app = create_app({"DATA_DIR": tmp_path / "other", "TESTING": True,
                      "WTF_CSRF_ENABLED": False})
    upgrade_database(app)
    return app


def test_a_backup_holds_the_database_and_every_photo(client, forum, app):
    photo = jpeg_bytes()
    upload(client, f"/forums/{forum.id}/attachments", photo)
    sha = hashlib.sha256(photo).hexdigest()
    page = client.get("/backup/").text
    assert "Tải tệp sao lưu" in page and 'id="nav-backup"' in page
    zipped = download(client)
    assert sorted(zipped.namelist()) == ["attachments/" + sha[:2] + "/" + sha,
                                         "langnghe.sqlite3"]
    assert zipped.read(f"attachments/{sha[:2]}/{sha}") == photo
    copy = app.config["DATA_DIR"] / "copy.sqlite3"
    copy.write_bytes(zipped.read("langnghe.sqlite3"))
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT venue FROM forum").fetchall() == [("Nhà văn hóa bản Nà Lò",)]
    assert not list((app.config["DATA_DIR"] / "backups").glob("tmp*"))  # nothing left


def test_automatic_copies_are_listed_in_the_commune_s_time(client, app):
    """A copy taken at 11:22 UTC was taken at 18:22 in Vietnam, as every other time shows."""
    import os
    from datetime import UTC, datetime

    folder = app.config["DATA_DIR"] / "backups"
    folder.mkdir(exist_ok=True)
    copy = folder / "langnghe-20261201-112200-000000-chot-bien-ban.sqlite3"
    copy.write_bytes(b"SQLite format 3\x00")
    taken = datetime(2026, 12, 1, 11, 22, tzinfo=UTC).timestamp()
    os.utime(copy, (taken, taken))
    page = client.get("/backup/").text
    assert "01/12/2026 18:22" in page and "01/12/2026 11:22" not in page


def test_another_laptop_takes_the_backup_back_with_its_photos(client, forum, app, other):
    photo = jpeg_bytes()
    upload(client, f"/forums/{forum.id}/attachments", photo)
    sha = hashlib.sha256(photo).hexdigest()
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w") as rewritten, download(client) as zipped:
        for name in zipped.namelist():
            rewritten.writestr(name, zipped.read(name))
        # An altered photo under another name is never stored under that name.
        fake = "ab" + "0" * 62
        rewritten.writestr(f"attachments/ab/{fake}", b"not what its name says")
    with other.app_context():
        restorer = other.test_client()
        # A new laptop, not set up yet, is offered the way from its set-up page.
        assert "/backup/" in restorer.get("/", follow_redirects=True).text
        refused = restorer.post("/backup/restore", data={
            "file": (io.BytesIO(body.getvalue()), "sao-luu.zip")},
            content_type="multipart/form-data", follow_redirects=True)
        assert "Hãy đánh dấu ô xác nhận" in refused.text
        assert not forums.list_forums()
        done = restorer.post("/backup/restore", data={
            "file": (io.BytesIO(body.getvalue()), "sao-luu.zip"), "confirm": "yes"},
            content_type="multipart/form-data", follow_redirects=True)
        assert "Đã khôi phục" in done.text and "1 ảnh, tệp quét được chép lại" in done.text
        db.session.remove()
        assert [f.venue for f in forums.list_forums()] == ["Nhà văn hóa bản Nà Lò"]
        data_dir = other.config["DATA_DIR"]
        assert (data_dir / "attachments" / sha[:2] / sha).read_bytes() == photo
        assert not (data_dir / "attachments" / "ab").exists()
        # What was replaced is kept, listed, and can itself be put back.
        listed = restorer.get("/backup/").text
        kept = [path.name for path in (data_dir / "backups").glob("before-restore-*")]
        assert len(kept) == 1 and kept[0] in listed
        back = restorer.post("/backup/restore", data={"copy": kept[0], "confirm": "yes"},
                             follow_redirects=True)
        assert "Đã khôi phục" in back.text
        db.session.remove()  # this test's own session read the database restored over
        assert not forums.list_forums()
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(("payload", "said"), [
    (b"not a database at all" * 100, "không phải tệp sao lưu của Lắng Nghe"),
    (None, "không có cơ sở dữ liệu bên trong"),
])
def test_a_file_that_is_no_backup_is_refused_and_nothing_changes(client, forum, app, payload,
                                                                  said):
    if payload is None:  # a zip, but not ours
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zipped:
            zipped.writestr("photo.jpg", b"x")
        payload = out.getvalue()
    answer = client.post("/backup/restore", data={
        "file": (io.BytesIO(payload), "tep.zip"), "confirm": "yes"},
        content_type="multipart/form-data", follow_redirects=True)
    assert said in answer.text and "Dữ liệu trên máy không bị thay đổi" in answer.text
    assert [f.venue for f in forums.list_forums()] == ["Nhà văn hóa bản Nà Lò"]
    for name in ("../../etc/passwd", "nothing-here.sqlite3"):
        gone = client.post("/backup/restore", data={"copy": name, "confirm": "yes"},
                           follow_redirects=True)
        assert "Không còn bản sao tự động này" in gone.text


def test_a_phone_on_the_hotspot_can_neither_take_nor_put_back_a_backup(app, forum):
    lan.enable_lan(app, "482913")
    phone = app.test_client()
    with phone.session_transaction() as session:
        session["lan"] = app.extensions["langnghe_pin"].token
    address = {"REMOTE_ADDR": "192.168.137.23"}
    assert phone.get("/", environ_base=address).status_code == 200
    assert 'id="nav-backup"' not in phone.get("/", environ_base=address).text
    for method, url in (("get", "/backup/"), ("post", "/backup/download"),
                        ("post", "/backup/restore")):
        answer = getattr(phone, method)(url, environ_base=address)
        assert answer.status_code == 403 and b"PK" not in answer.data[:2]
