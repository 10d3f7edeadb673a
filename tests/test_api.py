"""The JSON API under /api/v1: create, read, change, search, errors, idempotent replay."""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from io import BytesIO

import pytest
from PIL import Image

from field_app.api.errors import MARSHMALLOW_MESSAGES
from field_app.attachments import logic as attachments
from field_app.attachments.models import Attachment
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.forums.models import Amendment, Forum
from field_app.opinions.models import Opinion

ERROR_KEYS = {"status", "code", "message", "details"}


def png_bytes(size=(40, 30), color=(20, 120, 200)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def forum_body(village_id, **fields) -> dict:
    body = {"kind": "listening", "village_id": str(village_id),
            "started_at": "2026-12-05T08:00:00", "venue": "Nhà văn hóa bản Đán",
            "chair": "Lò Văn Minh", "secretary": "Quàng Thị Hoa",
            "attendance_total": 50, "attendance_women": 20}
    body.update(fields)
    return body


def opinion_body(forum_id, **fields) -> dict:
    body = {"forum_id": str(forum_id), "kind": "petition", "category_code": "construction",
            "raiser_name": "Lò Văn Panh", "content": "Đường vào bản bị sạt lở, xin sửa"}
    body.update(fields)
    return body


def finalise(forum: Forum) -> None:
    forums.finalise_forum(forum)
    db.session.commit()


def count(model) -> int:
    return db.session.query(model).count()


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == ERROR_KEYS
    assert (body["status"], body["code"]) == (status, code)
    assert body["message"]
    return body


# Villages --------------------------------------------------------------------------


def test_village_is_created_listed_and_shown(client, villages):
    response = client.post("/api/v1/villages", json={"name": "Bản Mòng", "households": 95})
    assert response.status_code == 201
    created = response.get_json()
    assert (created["name"], created["kind"], created["households"]) == ("Bản Mòng", "ban", 95)
    assert response.headers["Location"].endswith(f"/api/v1/villages/{created['id']}")
    # Vietnamese travels as UTF-8, not \u escapes.
    assert "Bản Mòng".encode() in response.data
    listed = client.get("/api/v1/villages").get_json()["items"]
    assert [v["name"] for v in listed] == ["Bản Đán", "Bản Mòng", "Bản Nà Lò", "Tiểu khu 1"]
    assert client.get(f"/api/v1/villages/{created['id']}").get_json() == created


def test_village_before_the_commune_is_chosen_is_refused(client, app):
    response = client.post("/api/v1/villages", json={"name": "Bản Mòng"})
    assert_error(response, 409, "commune_not_set")


def test_same_village_name_twice_is_a_field_error(client, villages):
    response = client.post("/api/v1/villages", json={"name": "ban na lo"})
    body = assert_error(response, 422, "validation_failed")
    assert "Bản Nà Lò" in body["details"]["name"]


# Forums ----------------------------------------------------------------------------


def test_forum_is_created_shown_listed_and_patched(client, villages):
    response = client.post("/api/v1/forums", json=forum_body(villages[1].id))
    assert response.status_code == 201
    created = response.get_json()
    assert (created["status"], created["started_at"]) == ("draft", "2026-12-05T08:00:00")
    assert created["decisions"] == [] and created["amendments"] == []
    assert client.get(f"/api/v1/forums/{created['id']}").get_json() == created

    in_village = client.get(f"/api/v1/forums?village_id={villages[1].id}&status=draft")
    assert [f["id"] for f in in_village.get_json()["items"]] == [created["id"]]
    elsewhere = client.get(f"/api/v1/forums?village_id={villages[0].id}").get_json()
    assert elsewhere["items"] == []

    patched = client.patch(f"/api/v1/forums/{created['id']}",
                           json={"venue": "Sân bóng bản Đán", "attendance_women": 25})
    assert patched.status_code == 200
    assert (patched.get_json()["venue"], patched.get_json()["attendance_women"]) == (
        "Sân bóng bản Đán", 25)
    stored = db.session.get(Forum, uuid.UUID(created["id"]))
    assert (stored.venue, stored.chair) == ("Sân bóng bản Đán", "Lò Văn Minh")


@pytest.mark.parametrize("started_at", [
    "2026-12-05T08:00:00", "2026-12-05T08:00:00+07:00", "2026-12-05T01:00:00Z",
])
def test_meeting_time_is_stored_as_vietnam_wall_clock(client, villages, started_at):
    response = client.post("/api/v1/forums",
                           json=forum_body(villages[1].id, started_at=started_at))
    assert response.get_json()["started_at"] == "2026-12-05T08:00:00"


@pytest.mark.parametrize("started_at", ["9999-12-31T23:00:00-05:00", "0001-01-01T03:00:00+08:00"])
def test_meeting_time_beyond_the_calendar_in_vietnam_is_refused(client, villages, started_at):
    # Converted to UTC+7 it falls outside years 1-9999: a field error, never a 500.
    response = client.post("/api/v1/forums",
                           json=forum_body(villages[1].id, started_at=started_at))
    assert "started_at" in assert_error(response, 422, "validation_failed")["details"]


def test_finalised_forum_changes_only_by_amendment_keeping_the_old_value(client, forum):
    finalise(forum)
    url = f"/api/v1/forums/{forum.id}"
    assert_error(client.patch(url, json={"attendance_total": 66}), 409, "forum_finalised")
    assert db.session.get(Forum, forum.id).attendance_total == 64

    incomplete = client.patch(url, json={"attendance_total": 66,
                                         "amendment": {"reason": "Đếm lại"}})
    body = assert_error(incomplete, 422, "validation_failed")
    assert body["details"] == {"amendment": {"author": ["Ô này bắt buộc."]}}

    amended = client.patch(url, json={"attendance_total": 66, "amendment": {
        "reason": "Đếm sót hai người đến muộn", "author": "Quàng Thị Hoa"}})
    assert amended.status_code == 200
    assert amended.get_json()["attendance_total"] == 66
    row = db.session.execute(db.select(Amendment)).scalar_one()
    assert (row.target, row.field, row.old_value, row.new_value, row.author) == (
        "forum", "attendance_total", "64", "66", "Quàng Thị Hoa")
    assert amended.get_json()["amendments"][0]["old_value"] == "64"


# Opinions --------------------------------------------------------------------------


def test_opinion_is_created_shown_patched_and_deleted(client, forum):
    response = client.post("/api/v1/opinions", json=opinion_body(forum.id))
    assert response.status_code == 201
    created = response.get_json()
    assert (created["position"], created["village_id"], created["channel"]) == (
        1, str(forum.village_id), "forum")
    url = f"/api/v1/opinions/{created['id']}"
    assert client.get(url).get_json() == created

    patched = client.patch(url, json={"answered_on_spot": True, "spot_answer": "Xã sẽ kiểm tra",
                                      "spot_answer_by": "Cầm Văn Sơn"})
    assert patched.status_code == 200
    # Fields the patch leaves out keep their stored values.
    assert (patched.get_json()["answered_on_spot"], patched.get_json()["content"],
            patched.get_json()["raiser_name"]) == (True, created["content"], "Lò Văn Panh")

    assert client.delete(url).status_code == 204
    assert_error(client.get(url), 404, "not_found")
    assert count(Opinion) == 0


def test_opinion_outside_a_forum_needs_its_village(client, villages):
    body = {"channel": "mttq", "source_org": "womens_union", "content": "Xin hỗ trợ giống lúa"}
    refused = client.post("/api/v1/opinions", json=body)
    assert "village_id" in assert_error(refused, 422, "validation_failed")["details"]
    body["village_id"] = str(villages[2].id)
    response = client.post("/api/v1/opinions", json=body)
    assert response.status_code == 201
    assert (response.get_json()["forum_id"], response.get_json()["position"]) == (None, 0)


def test_opinion_in_finalised_minutes_changes_only_by_amendment(client, forum):
    opinion_id = client.post("/api/v1/opinions", json=opinion_body(forum.id)).get_json()["id"]
    finalise(forum)
    url = f"/api/v1/opinions/{opinion_id}"
    assert_error(client.patch(url, json={"content": "Sửa"}), 409, "forum_finalised")
    assert_error(client.delete(url), 409, "forum_finalised")
    amended = client.patch(url, json={"category_code": "land", "amendment": {
        "reason": "Ghi nhầm lĩnh vực", "author": "Quàng Thị Hoa"}})
    assert amended.status_code == 200
    row = db.session.execute(db.select(Amendment)).scalar_one()
    assert (row.target, row.field, row.old_value, row.new_value) == (
        "opinion", "category_code", "construction", "land")


def test_opinion_for_a_finalised_forum_is_refused(client, forum):
    finalise(forum)
    response = client.post("/api/v1/opinions", json=opinion_body(forum.id))
    assert_error(response, 409, "forum_finalised")
    assert count(Opinion) == 0


@pytest.mark.parametrize("query, expected", [
    ("q=duong", ["Đường vào bản bị sạt lở"]),
    ("q=DUONG%20lo", ["Đường vào bản bị sạt lở"]),
    ("q=nuoc", ["Xin hỗ trợ nước sinh hoạt"]),
    ("q=dien", ["Điện chập chờn cuối bản"]),
    ("kind=complaint", ["Điện chập chờn cuối bản"]),
    ("category_code=water", ["Xin hỗ trợ nước sinh hoạt"]),
    ("follow_up=false", ["Xin hỗ trợ nước sinh hoạt"]),
    ("q=khong+co", []),
])
def test_search_ignores_diacritics_and_filters(client, forum, query, expected):
    for content, fields in (
        ("Đường vào bản bị sạt lở", {}),
        ("Xin hỗ trợ nước sinh hoạt", {"category_code": "water", "answered_on_spot": True,
                                       "spot_answer": "Đã có kế hoạch"}),
        ("Điện chập chờn cuối bản", {"kind": "complaint", "category_code": "electricity"}),
    ):
        client.post("/api/v1/opinions", json=opinion_body(forum.id, content=content, **fields))
    page = client.get(f"/api/v1/opinions?forum_id={forum.id}&{query}").get_json()
    assert sorted(o["content"] for o in page["items"]) == expected
    assert (page["total"], page["page"], page["per_page"]) == (len(expected), 1, 50)


def test_opinions_come_in_pages(client, forum):
    for number in range(5):
        client.post("/api/v1/opinions", json=opinion_body(forum.id, content=f"Ý kiến {number}"))
    page = client.get(f"/api/v1/opinions?forum_id={forum.id}&per_page=2&page=3").get_json()
    assert (len(page["items"]), page["total"], page["page"], page["per_page"]) == (1, 5, 3, 2)


def test_unfiltered_total_counts_every_opinion(client, forum):
    for number in range(3):
        client.post("/api/v1/opinions", json=opinion_body(forum.id, content=f"Ý kiến {number}"))
    assert client.get("/api/v1/opinions").get_json()["total"] == 3


def test_text_typed_decomposed_is_stored_composed(client, forum):
    typed = unicodedata.normalize("NFD", "Xin làm đường điện vào bản")
    assert typed != unicodedata.normalize("NFC", typed)
    created = client.post("/api/v1/opinions", json=opinion_body(forum.id, content=typed,
                                                                 raiser_name="Cầm Thị Xuân"))
    composed = "Xin làm đường điện vào bản"
    assert created.get_json()["content"] == composed
    assert db.session.execute(db.select(Opinion.content)).scalar_one() == composed
    found = client.get("/api/v1/opinions?q=" + unicodedata.normalize("NFD", "đường")).get_json()
    assert [o["content"] for o in found["items"]] == [composed]


def test_categories_are_listed_in_vietnamese(client, app):
    response = client.get("/api/v1/categories")
    names = {c["code"]: c["name"] for c in response.get_json()["items"]}
    assert names["land"] == "Đất đai"
    assert "Đất đai".encode() in response.data


# Idempotent creates ----------------------------------------------------------------


CREATES = {
    "village": ("/api/v1/villages", lambda v, f: {"name": "Bản Mòng", "households": 40}),
    "forum": ("/api/v1/forums", lambda v, f: forum_body(v[1].id)),
    "opinion": ("/api/v1/opinions", lambda v, f: opinion_body(f.id)),
    "opinion_outside_forum": ("/api/v1/opinions", lambda v, f: {
        "village_id": str(v[2].id), "channel": "zalo", "content": "Xin lắp đèn đường"}),
}


@pytest.mark.parametrize("kind", CREATES)
def test_replayed_create_is_stored_once(client, villages, forum, kind):
    url, make = CREATES[kind]
    record_id = str(uuid.uuid4())
    body = {"id": record_id, **make(villages, forum)}
    first = client.post(url, json=body)
    second = client.post(url, json=body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json() == second.get_json()
    assert first.get_json()["id"] == record_id
    listed = client.get(url).get_json()["items"]
    assert [item["id"] for item in listed].count(record_id) == 1


# Errors ----------------------------------------------------------------------------


INVALID = {
    "missing content": ("/api/v1/opinions", lambda v, f: opinion_body(f.id, content=None),
                        "content", "Ô này không được để trống (null)."),
    "no content at all": ("/api/v1/opinions",
                          lambda v, f: {"forum_id": str(f.id), "kind": "petition"},
                          "content", "Ô này bắt buộc."),
    "blank content": ("/api/v1/opinions", lambda v, f: opinion_body(f.id, content="  "),
                      "content", "Hãy ghi nội dung ý kiến."),
    "women above total": ("/api/v1/forums",
                          lambda v, f: forum_body(v[0].id, attendance_women=51),
                          "attendance_women", "Không được lớn hơn tổng số người dự (50)."),
    "unknown field": ("/api/v1/forums", lambda v, f: forum_body(v[0].id, colour="đỏ"),
                      "colour", "Trường này không được chấp nhận."),
    "read-only field": ("/api/v1/forums", lambda v, f: forum_body(v[0].id, status="finalised"),
                        "status", "Trường này không được chấp nhận."),
    "count as text": ("/api/v1/forums", lambda v, f: forum_body(v[0].id, attendance_total="50"),
                      "attendance_total", "Phải là số nguyên."),
    "bad date": ("/api/v1/forums", lambda v, f: forum_body(v[0].id, started_at="20/11/2026"),
                 "started_at", None),
    "bad uuid": ("/api/v1/opinions", lambda v, f: opinion_body(f.id, id="123"),
                 "id", "Mã định danh (UUID) không hợp lệ."),
    "unknown village": ("/api/v1/forums", lambda v, f: forum_body(uuid.uuid4()),
                        "village_id", "Hãy chọn bản/thôn."),
    "unknown forum": ("/api/v1/opinions", lambda v, f: opinion_body(uuid.uuid4()),
                      "forum_id", "Không tìm thấy hội nghị này."),
    "bad choice": ("/api/v1/opinions", lambda v, f: opinion_body(f.id, kind="rumour"),
                   "kind", None),
    "households as text": ("/api/v1/opinions",
                           lambda v, f: opinion_body(f.id, on_behalf_households="năm"),
                           "on_behalf_households", "Phải là số nguyên."),
    "not an object": ("/api/v1/forums", lambda v, f: ["a list"], "_schema", None),
}


@pytest.mark.parametrize("case", INVALID)
def test_invalid_body_is_refused_with_field_details(client, villages, forum, case):
    url, make, field, message = INVALID[case]
    before = (count(Forum), count(Opinion))
    body = assert_error(client.post(url, json=make(villages, forum)), 422, "validation_failed")
    assert field in body["details"]
    got = body["details"][field]
    if message is not None:
        assert got in (message, [message])
    # Nothing English leaks to the village head.
    english = {str(key) for key in MARSHMALLOW_MESSAGES}
    assert not english & set(got if isinstance(got, list) else [got])
    assert (count(Forum), count(Opinion)) == before


def test_unknown_field_is_named_in_the_message(client, forum):
    response = client.post("/api/v1/opinions", json=opinion_body(forum.id, colour="đỏ",
                                                                 urgent=True))
    body = assert_error(response, 422, "validation_failed")
    assert "colour, urgent" in body["message"]


@pytest.mark.parametrize("query, field", [
    ("per_page=201", "per_page"), ("page=0", "page"), ("page=abc", "page"),
    ("follow_up=maybe", "follow_up"), ("kind=rumour", "kind"), ("colour=red", "colour"),
    # Its offset would not fit the database's integer: a 500 before pages were bounded.
    (f"page={2**64}", "page"),
])
def test_bad_search_parameters_are_refused(client, app, query, field):
    body = assert_error(client.get(f"/api/v1/opinions?{query}"), 422, "validation_failed")
    assert field in body["details"]


def test_page_size_limit_is_named(client, app):
    body = client.get("/api/v1/opinions?per_page=500").get_json()
    assert body["details"]["per_page"] == ["Phải từ 1 đến 200."]


@pytest.mark.parametrize("data, content_type, status, code", [
    ('{"content": "Đường', "application/json", 400, "bad_json"),
    ("", "application/json", 400, "bad_json"),
    (b'{"content": "\xff"}', "application/json", 400, "bad_json"),
    ("content=Đường", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ('{"content": "Đường"}', "text/plain", 415, "unsupported_media_type"),
])
def test_body_that_is_not_json_is_refused(client, forum, data, content_type, status, code):
    response = client.post("/api/v1/opinions", data=data, content_type=content_type)
    assert_error(response, status, code)
    assert count(Opinion) == 0


@pytest.mark.parametrize("path", [
    "/api/v1/nothing-here",
    "/api/v2/forums",
    "/api/v1/forums/not-a-uuid",
    "/api/v1/forums/{id}",
    "/api/v1/opinions/{id}",
    "/api/v1/villages/{id}",
    "/api/v1/attachments/{id}",
    "/api/v1/attachments/{id}/content",
])
def test_unknown_url_or_id_answers_the_json_error_shape(client, villages, path):
    response = client.get(path.format(id=uuid.uuid4()))
    body = assert_error(response, 404, "not_found")
    assert body["details"] == {}


def test_wrong_method_answers_the_json_error_shape_with_the_allowed_methods(client, forum):
    response = client.delete(f"/api/v1/forums/{forum.id}")
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PATCH"}
    assert response.mimetype == "application/json"


# Attachments -----------------------------------------------------------------------


def upload(client, payload: bytes, name="bien-ban.png", **fields):
    data = {"file": (BytesIO(payload), name), **{k: str(v) for k, v in fields.items()}}
    return client.post("/api/v1/attachments", data=data, content_type="multipart/form-data")


def test_photo_upload_is_stored_under_its_sha256(client, forum, app):
    photo = png_bytes()
    attachment_id = str(uuid.uuid4())
    response = upload(client, photo, forum_id=forum.id, id=attachment_id)
    assert response.status_code == 201
    meta = response.get_json()
    digest = hashlib.sha256(photo).hexdigest()
    assert (meta["id"], meta["sha256"], meta["size"], meta["mime_type"], meta["forum_id"]) == (
        attachment_id, digest, len(photo), "image/png", str(forum.id))
    assert attachments.blob_path(app.config["DATA_DIR"], digest).read_bytes() == photo
    assert client.get(f"/api/v1/attachments/{attachment_id}").get_json() == meta
    with client.get(meta["content_url"]) as content:
        assert (content.status_code, content.mimetype, content.data) == (200, "image/png", photo)

    replay = upload(client, photo, forum_id=forum.id, id=attachment_id)
    assert (replay.status_code, replay.get_json()) == (200, meta)
    assert count(Attachment) == 1


def test_photo_can_be_attached_to_an_opinion(client, forum):
    opinion_id = client.post("/api/v1/opinions", json=opinion_body(forum.id)).get_json()["id"]
    response = upload(client, png_bytes(), opinion_id=opinion_id)
    assert (response.status_code, response.get_json()["opinion_id"]) == (201, opinion_id)
    # An opinion with a file is not deleted behind the file's back.
    assert_error(client.delete(f"/api/v1/opinions/{opinion_id}"), 422, "validation_failed")


@pytest.mark.parametrize("payload, name, owners, field", [
    (b"Bien ban hop ban Na Lo\n", "bien-ban.txt", {"forum"}, "file"),
    (b"", "empty.png", {"forum"}, "file"),
    (png_bytes(), "bien-ban.png", set(), "forum_id"),
    (png_bytes(), "bien-ban.png", {"forum", "opinion"}, "opinion_id"),
    (png_bytes(), "bien-ban.png", {"stray"}, "forum_id"),
])
def test_bad_upload_is_refused_and_nothing_stored(client, forum, app, payload, name, owners,
                                                  field):
    opinion_id = client.post("/api/v1/opinions", json=opinion_body(forum.id)).get_json()["id"]
    fields = {"forum": {"forum_id": forum.id}, "opinion": {"opinion_id": opinion_id},
              "stray": {"forum_id": uuid.uuid4()}}
    chosen = {k: v for owner in owners for k, v in fields[owner].items()}
    body = assert_error(upload(client, payload, name, **chosen), 422, "validation_failed")
    assert field in body["details"]
    assert count(Attachment) == 0
    store = app.config["DATA_DIR"] / "attachments"
    assert not store.exists() or not [p for p in store.rglob("*") if p.is_file()]


def test_upload_without_a_file_or_as_json_is_refused(client, forum):
    no_file = client.post("/api/v1/attachments", data={"forum_id": str(forum.id)},
                          content_type="multipart/form-data")
    assert "file" in assert_error(no_file, 422, "validation_failed")["details"]
    as_json = client.post("/api/v1/attachments", json={"forum_id": str(forum.id)})
    assert_error(as_json, 415, "unsupported_media_type")


# The OpenAPI document --------------------------------------------------------------


ENDPOINTS = {
    "/api/v1/villages": {"get", "post"},
    "/api/v1/villages/{village_id}": {"get"},
    "/api/v1/forums": {"get", "post"},
    "/api/v1/forums/{forum_id}": {"get", "patch"},
    "/api/v1/opinions": {"get", "post"},
    "/api/v1/opinions/{opinion_id}": {"get", "patch", "delete"},
    "/api/v1/categories": {"get"},
    "/api/v1/attachments": {"post"},
    "/api/v1/attachments/{attachment_id}": {"get"},
    "/api/v1/attachments/{attachment_id}/content": {"get"},
}


def test_openapi_document_lists_every_endpoint_with_its_schemas(client, app):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    for path, methods in ENDPOINTS.items():
        assert methods <= set(spec["paths"][path]), path
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    assert len(routes) == len(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert set(schemas["Error"]["properties"]) == ERROR_KEYS
    create = spec["paths"]["/api/v1/forums"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Forum"}
    assert set(create["responses"]) >= {"200", "201", "422"}
    assert create["responses"]["422"] == {"$ref": "#/components/responses/ValidationFailed"}
    assert "amendment" in schemas["ForumPatch"]["properties"]
    assert "content" in schemas["Opinion"]["required"]
    assert "required" not in schemas["OpinionPatch"]
    upload_body = spec["paths"]["/api/v1/attachments"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload_body


def test_openapi_document_is_valid(client, app):
    from openapi_spec_validator import validate

    validate(client.get("/api/openapi.json").get_json())


def test_a_write_that_outwaits_a_held_lock_is_told_busy_and_changes_nothing(client, app,
                                                                           villages):
    """Another program holds the laptop's database (a backup, the sync of another
    window) past the busy timeout: 503 "busy" with Retry-After, nothing stored; the same
    request succeeds once the lock is let go."""
    import sqlite3

    holder = sqlite3.connect(app.config["DATA_DIR"] / "langnghe.sqlite3", timeout=30,
                             isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post("/api/v1/villages", json={"name": "Bản Mòng"})
    finally:
        holder.rollback()
        holder.close()
    body = assert_error(response, 503, "busy")
    assert response.headers["Retry-After"] == "5"
    assert "thử lại" in body["message"]
    assert "Bản Mòng" not in [v["name"] for v in client.get("/api/v1/villages")
                              .get_json()["items"]]
    assert client.post("/api/v1/villages", json={"name": "Bản Mòng"}).status_code == 201
