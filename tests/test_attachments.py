"""Attachments: content-addressed storage, type and size checks, thumbnails."""

import hashlib
from io import BytesIO

import pytest
from PIL import Image

from field_app.attachments import logic as attachments
from field_app.attachments.models import Attachment
from field_app.extensions import db


def jpeg_bytes(size=(800, 600), color=(200, 30, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def upload(client, url, payload: bytes, name="bien-ban.jpg"):
    return client.post(url, data={"file": (BytesIO(payload), name)},
                       content_type="multipart/form-data")


def test_photo_is_stored_under_its_sha256_and_shown_as_thumbnail(client, forum, app):
    photo = jpeg_bytes()
    response = upload(client, f"/forums/{forum.id}/attachments", photo)
    assert response.status_code == 302
    row = db.session.execute(db.select(Attachment)).scalar_one()
    digest = hashlib.sha256(photo).hexdigest()
    assert (row.sha256, row.size, row.mime_type) == (digest, len(photo), "image/jpeg")
    stored = attachments.blob_path(app.config["DATA_DIR"], digest)
    assert stored.read_bytes() == photo
    page = client.get(f"/forums/{forum.id}").text
    assert f"/attachments/{row.id}/thumbnail" in page
    with client.get(f"/attachments/{row.id}/thumbnail") as thumb:
        assert thumb.mimetype == "image/jpeg"
        assert max(Image.open(BytesIO(thumb.data)).size) <= 320
    with client.get(f"/attachments/{row.id}") as original:
        assert original.data == photo


def test_same_photo_twice_is_one_file(client, forum, app):
    photo = jpeg_bytes()
    upload(client, f"/forums/{forum.id}/attachments", photo)
    upload(client, f"/forums/{forum.id}/attachments", photo, "again.jpg")
    files = [p for p in (app.config["DATA_DIR"] / "attachments").rglob("*") if p.is_file()]
    assert len(files) == 1


@pytest.mark.parametrize("payload, name", [
    (b"MZ\x90\x00 not a photo", "virus.exe"),
    (b"<html><script>alert(1)</script></html>", "trick.jpg"),
    (b"", "empty.jpg"),
])
def test_wrong_type_is_refused_and_nothing_left_behind(client, forum, app, payload, name):
    response = upload(client, f"/forums/{forum.id}/attachments", payload, name)
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).text
    assert "Chỉ nhận ảnh" in follow or "Tệp rỗng" in follow
    assert db.session.query(Attachment).count() == 0
    store = app.config["DATA_DIR"] / "attachments"
    assert not store.exists() or not [p for p in store.rglob("*") if p.is_file()]


def test_oversized_file_is_refused(app, forum):
    with pytest.raises(attachments.ValidationFailed):
        attachments.attach(app.config["DATA_DIR"], BytesIO(b"\xff\xd8\xff" + b"0" * 2048),
                           "big.jpg", 1024, forum=forum)
    assert db.session.query(Attachment).count() == 0


def test_signed_minutes_can_be_attached_after_finalising(client, forum):
    from field_app.forums import logic as forums

    forums.finalise_forum(forum)
    db.session.commit()
    upload(client, f"/forums/{forum.id}/attachments", jpeg_bytes())
    assert db.session.query(Attachment).count() == 1


def test_files_of_finalised_minutes_cannot_be_removed(client, forum):
    from field_app.forums import logic as forums

    upload(client, f"/forums/{forum.id}/attachments", jpeg_bytes())
    forums.finalise_forum(forum)
    db.session.commit()
    row = db.session.execute(db.select(Attachment)).scalar_one()
    page = client.post(f"/attachments/{row.id}/delete", follow_redirects=True)
    assert "không gỡ được" in page.text
    assert db.session.query(Attachment).count() == 1
