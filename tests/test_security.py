"""Other web pages cannot reach the laptop's app; every response carries protective headers."""

from __future__ import annotations

import uuid
from io import BytesIO

import pytest
import requests
from PIL import Image

from field_app import create_app
from field_app.attachments.models import Attachment
from field_app.extensions import db
from field_app.pwa import lan

PHONE = {"REMOTE_ADDR": "192.168.137.23"}
EVIL_HOST = "rebind.evil.example"


def png_bytes() -> bytes:
    out = BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def api_upload(client, forum, payload: bytes, name="anh.png", headers=None):
    data = {"file": (BytesIO(payload), name), "forum_id": str(forum.id)}
    return client.post("/api/v1/attachments", data=data, content_type="multipart/form-data",
                       headers=headers or {})


# Host: only the names this laptop serves (DNS rebinding) ---------------------------


@pytest.mark.parametrize("host", ["localhost", "localhost:8080", "127.0.0.1",
                                  "127.0.0.1:8080", "[::1]:8080", "LOCALHOST:8080"])
def test_loopback_names_are_served(client, forum, host):
    assert client.get("/api/v1/forums", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", [EVIL_HOST, f"{EVIL_HOST}:8080", "192.168.1.5:8080",
                                  "localhost.evil.example", "127.0.0.1.nip.io", ""])
def test_a_foreign_host_gets_no_record(client, forum, host):
    response = client.get("/api/v1/forums", headers={"Host": host})
    body = response.get_json()
    assert (response.status_code, body["code"]) == (400, "host_not_allowed")
    assert "items" not in body and "Lắng Nghe" in body["message"]
    page = client.get("/", headers={"Host": host})
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "không phải của Lắng Nghe" in page.text


def test_with_lan_phones_may_use_the_laptops_ip_but_not_a_name(app, commune):
    app.config["WTF_CSRF_ENABLED"] = False
    lan.enable_lan(app, "482913")
    phone = app.test_client()
    assert phone.get("/healthz", headers={"Host": "192.168.137.1:8080"},
                     environ_base=PHONE).status_code == 200
    assert phone.get("/healthz", headers={"Host": "[fe80::1]:8080"},
                     environ_base=PHONE).status_code == 200
    refused = phone.get("/pin", headers={"Host": f"{EVIL_HOST}:8080"}, environ_base=PHONE)
    assert refused.status_code == 400  # checked before the PIN page, not after


def test_the_central_answers_any_host(tmp_path):
    central = create_app({"ROLE": "central", "DATA_DIR": tmp_path / "central",
                          "TESTING": True})
    response = central.test_client().get("/healthz", headers={"Host": "xa-muong-la.gov.vn"})
    assert response.status_code == 200


# Origin: API writes only from this very site ---------------------------------------


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost:9999",
                                    "https://localhost", "http://127.0.0.1.evil.example"])
def test_cross_origin_api_write_is_refused_and_nothing_stored(client, forum, app, origin):
    response = api_upload(client, forum, png_bytes(), headers={"Origin": origin})
    body = response.get_json()
    assert (response.status_code, body["code"]) == (403, "cross_origin")
    assert body["message"] and db.session.query(Attachment).count() == 0
    opinion = client.post("/api/v1/opinions", headers={"Origin": origin},
                          json={"forum_id": str(forum.id), "content": "x"})
    assert opinion.status_code == 403


@pytest.mark.parametrize("headers", [{}, {"Origin": "http://localhost"},
                                     {"Origin": "http://localhost:8080",
                                      "Host": "localhost:8080"}])
def test_same_origin_or_no_origin_api_write_is_allowed(client, forum, headers):
    assert api_upload(client, forum, png_bytes(), headers=headers).status_code == 201


def test_refusals_speak_english_when_chosen(client, forum):
    client.set_cookie("lang", "en")
    refused = api_upload(client, forum, png_bytes(), headers={"Origin": "http://evil.example"})
    assert refused.get_json()["message"] == ("Another website may not write to Lắng Nghe; "
                                             "only the app itself may.")


def test_real_field_server_refuses_rebinding_and_cross_site_upload(field_server):
    url = field_server.url
    rebound = requests.get(f"{url}/api/v1/forums", headers={"Host": EVIL_HOST}, timeout=10)
    assert (rebound.status_code, rebound.json()["code"]) == (400, "host_not_allowed")
    forums = requests.get(f"{url}/api/v1/forums", timeout=10)
    assert forums.status_code == 200
    files = {"file": ("anh.png", png_bytes(), "image/png")}
    data = {"forum_id": str(uuid.uuid4())}
    evil = requests.post(f"{url}/api/v1/attachments", files=files, data=data,
                         headers={"Origin": "http://evil.example"}, timeout=10)
    assert (evil.status_code, evil.json()["code"]) == (403, "cross_origin")
    own = requests.post(f"{url}/api/v1/attachments", files=files, data=data,
                        headers={"Origin": url}, timeout=10)
    assert own.status_code == 422  # past the origin check: the forum id is unknown


# Headers on every response of both roles -------------------------------------------


def assert_protected(response):
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "worker-src 'self'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", "/forums/new", "/api/v1/forums", "/sw.js",
                                  "/static/css/app.css", "/healthz", "/no-such-page",
                                  "/api/v1/nothing"])
def test_field_responses_carry_the_headers(client, forum, path):
    with client.get(path) as response:
        assert_protected(response)


@pytest.mark.parametrize("path", ["/central/login", "/central/", "/healthz",
                                  "/sync/openapi.json"])
def test_central_responses_carry_the_headers(tmp_path, path):
    from field_app.cli import upgrade_database

    central = create_app({"ROLE": "central", "DATA_DIR": tmp_path / "central",
                          "TESTING": True})
    upgrade_database(central)
    assert_protected(central.test_client().get(path))


def test_no_inline_script_handler_or_style_attribute_in_templates():
    """The CSP has no 'unsafe-inline': a stray inline script or style would be blocked."""
    import re

    from field_app import asset_dir

    inline = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+=|\sstyle=|<style", re.I)
    offenders = [f"{path.name}: {match.group(0)}"
                 for path in asset_dir("templates").rglob("*.html")
                 for match in inline.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []


# Served files: only a verified image is shown inline -------------------------------


def stored(app, forum, payload: bytes, name: str) -> Attachment:
    from field_app.attachments import logic

    attachment = logic.attach(app.config["DATA_DIR"], BytesIO(payload), name,
                              app.config["ATTACHMENT_MAX_BYTES"], forum=forum)
    db.session.commit()
    return attachment


@pytest.mark.parametrize("url", ["/attachments/{id}", "/api/v1/attachments/{id}/content"])
@pytest.mark.parametrize("payload, name, mime, inline", [
    (png_bytes(), "anh.png", "image/png", True),
    (jpeg_bytes(), "anh.jpg", "image/jpeg", True),
    # A JPEG with a page after it: still decoded as a JPEG, sent as one, never sniffed.
    (jpeg_bytes() + b"<html><script>alert(1)</script></html>", "x.jpg", "image/jpeg", True),
    # JPEG magic, then no picture: not verified, so downloaded, never shown.
    (b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>", "x.jpg", "image/jpeg", False),
    (b"%PDF-1.4\n/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", "x.pdf",
     "application/pdf", False),
])
def test_only_verified_images_are_served_inline(app, client, forum, url, payload, name, mime,
                                                inline):
    attachment = stored(app, forum, payload, name)
    with client.get(url.format(id=attachment.id)) as response:
        assert response.status_code == 200 and response.mimetype == mime
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("inline" if inline else "attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert not list(app.config["DATA_DIR"].rglob("*.part"))  # no half thumbnail left
