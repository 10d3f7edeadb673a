"""The OpenAPI document of the sync API (sync/openapi.py) against the blueprint itself."""

import hashlib
import uuid

import pytest
from flask import Flask
from openapi_schema_validator import OAS30Validator
from openapi_schema_validator import validate as validate_instance
from openapi_spec_validator import validate
from sqlalchemy import create_engine

from sync import auth, store
from sync.clock import HybridClock
from sync.errors import ERRORS
from sync.openapi import ERROR_RESPONSES, HLC_PATTERN, openapi_document
from sync.protocol import PROTOCOL_HEADER, dumps
from sync.server import create_blueprint

# Codes of sync/errors.py no /sync/v1 view answers with an HTTP status, and why.
OFF_THE_WIRE = {
    "bad_request": "the base class; raised only by office operations (publish)",
    "bad_offset": "a per-file entry in a 200 /blobs answer",
    "blob_mismatch": "a per-file entry in a 200 /blobs answer",
    "out_of_scope": "a per-record rejection inside a 200 push answer",
    "bad_bundle": "USB bundle and acknowledgement files, not HTTP",
    "unreachable": "made by the client when the central does not answer",
    "server_failed": "made by the client on a 5xx or unreadable answer",
}


@pytest.fixture(scope="module")
def document():
    return openapi_document()


def sync_routes(app: Flask) -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("sync."):
            methods = {method.lower() for method in rule.methods or ()} - {"head", "options"}
            routes.setdefault(rule.rule, set()).update(methods)
    return routes


def test_document_is_valid_openapi_3_0_3(document):
    validate(document)
    assert document["openapi"] == "3.0.3"


def test_every_route_of_the_blueprint_is_documented_and_nothing_else():
    app = Flask(__name__)
    app.register_blueprint(create_blueprint(lambda: None, lambda: None))
    routes = sync_routes(app)
    paths = openapi_document()["paths"]
    assert len(routes) == 6
    for path, methods in routes.items():
        assert path in paths, f"{path} is not in the OpenAPI document"
        assert methods == set(paths[path]), path
    assert set(paths) == set(routes)


def test_every_error_code_is_documented_or_known_to_stay_off_the_wire(document):
    described = "\n".join(response["description"]
                          for response in document["components"]["responses"].values())
    for code in ERRORS:
        assert f"`{code}`" in described or code in OFF_THE_WIRE, code
    for status, (_name, _meaning, classes) in ERROR_RESPONSES.items():
        assert all(cls.status == status for cls in classes), status


def test_hlc_pattern_matches_the_clock():
    import re

    stamp = HybridClock("a1b2c3d4e5f6").now().encode()
    assert re.fullmatch(HLC_PATTERN, stamp)


# --- what the blueprint really sends and takes matches the document ----------------------

class Wire:
    """The blueprint on SQLite, one enrolled device, requests checked against the document."""

    def __init__(self, tmp_path, document):
        self.document = document
        self.engine = create_engine(f"sqlite:///{tmp_path / 'central.sqlite3'}")
        store.metadata.create_all(self.engine)
        app = Flask(__name__)
        app.register_blueprint(create_blueprint(lambda: self.engine,
                                                lambda: tmp_path / "blobs"))
        self.client = app.test_client()
        self.clock = HybridClock("a1b2c3d4e5f6")
        self.device: dict = {}

    def check(self, name: str, instance) -> None:
        validate_instance(instance, {"$ref": f"#/components/schemas/{name}",
                                     "components": self.document["components"]},
                          cls=OAS30Validator)

    def post(self, path: str, body: bytes, headers: dict | None = None, signed: bool = True):
        headers = {PROTOCOL_HEADER: "1", **(headers or {})}
        if signed:
            headers.update(auth.sign(self.device["device_id"], self.device["secret"], "POST",
                                     f"/sync/v1{path}", body))
        return self.client.post(f"/sync/v1{path}", data=body, headers=headers)

    def send(self, path: str, request_schema: str, payload: dict, answer_schema: str,
             status: int = 200, signed: bool = True) -> dict:
        self.check(request_schema, payload)
        response = self.post(path, dumps(payload), signed=signed)
        assert response.status_code == status, response.get_json()
        self.check(answer_schema, response.get_json())
        return response.get_json()

    def record(self, collection: str, data: dict, seq: int) -> dict:
        return {"c": collection, "id": data.pop("id"), "seq": seq,
                "hlc": self.clock.now().encode(), "op": "put", "data": data}


def test_real_answers_and_requests_match_the_document(tmp_path, document):
    wire = Wire(tmp_path, document)
    hello = wire.client.get("/sync/v1/hello", headers={PROTOCOL_HEADER: "1"})
    wire.check("Hello", hello.get_json())

    with wire.engine.begin() as conn:
        code = store.create_enrolment(conn, 3808, "Máy bản")
    wire.device = wire.send("/enroll", "EnrollRequest",
                            {"code": code.lower(), "label": "Máy bản Nà Lò",
                             "replica": str(uuid.uuid4())}, "Enrolment", 201, signed=False)

    village, forum, opinion = (str(uuid.uuid4()) for _ in range(3))
    photo = b"\xff\xd8 not really a photo " * 40
    sha = hashlib.sha256(photo).hexdigest()
    records = [
        wire.record("village", {"id": village, "commune_code": 3808, "name": "Bản Nà Lò",
                                "kind": "ban", "households": 120}, 1),
        wire.record("forum", {"id": forum, "kind": "listening", "village_id": village,
                              "started_at": "2026-11-20T08:00:00", "status": "draft",
                              "title": "Hội nghị lắng nghe ý kiến Nhân dân"}, 2),
        wire.record("opinion", {"id": opinion, "kind": "opinion", "channel": "forum",
                                "village_id": village, "forum_id": forum,
                                "category_code": "giao_thong", "content": "Đường vào bản "
                                "bị sạt lở.", "level": "commune", "unknown_later": 1}, 3),
        wire.record("attachment", {"id": str(uuid.uuid4()), "sha256": sha,
                                   "mime_type": "image/jpeg", "size": len(photo),
                                   "filename": "sat-lo.jpg", "opinion_id": opinion}, 4),
        wire.record("decision", {"id": str(uuid.uuid4()), "forum_id": str(uuid.uuid4()),
                                 "text": "Sửa đường"}, 5),
    ]
    pushed = wire.send("/push", "PushRequest",
                       {"protocol": 1, "device": wire.device["device_id"],
                        "replica": str(uuid.uuid4()), "batch": str(uuid.uuid4()),
                        "records": records}, "PushResult")
    assert pushed["results"] == "SSSSR"
    assert pushed["rejections"][0]["code"] == "unknown_parent"
    assert [blob["sha256"] for blob in pushed["missing_blobs"]] == [sha]

    with wire.engine.begin() as conn:
        store.publish(conn, uuid.UUID(opinion), {"status": "forwarded", "due_date": "2026-12-31"},
                      {"level": "province"}, "office", store.central_clock(conn))
    page = wire.send("/pull", "PullRequest", {"cursor": 0, "limit": 100}, "PullPage")
    assert [change["id"] for change in page["changes"]] == [opinion]
    assert page["changes"][0]["corrections"] == {"level": "province"}
    assert [blob["sha256"] for blob in page["missing_blobs"]] == [sha]

    lacking = wire.send("/lacking", "LackingRequest",
                        {"offered": [[village, records[0]["hlc"]],
                                     [str(uuid.uuid4()), records[1]["hlc"]]]},
                        "LackingAnswer")
    assert len(lacking["lacking"]) == 1

    half = len(photo) // 2
    chunks = f"{sha}:0:{half},{sha}:{half}:{len(photo) - half}"
    uploaded = wire.post("/blobs", photo, {"X-LN-Chunks": chunks,
                                           "Content-Type": "application/octet-stream"})
    assert uploaded.status_code == 200
    wire.check("BlobsAnswer", uploaded.get_json())
    assert uploaded.get_json()["blobs"][-1]["done"] is True

    refusals = (wire.client.get("/sync/v1/hello"),
                    wire.post("/pull", dumps({"cursor": -1})),
                    wire.client.post("/sync/v1/push", data=b"{}", headers={
                        PROTOCOL_HEADER: "1", **auth.sign(wire.device["device_id"],
                                                          "00" * 32, "POST",
                                                          "/sync/v1/push", b"{}")}))
    for refused, code in zip(refusals, ("protocol_missing", "bad_envelope", "bad_signature"),
                             strict=True):
        assert refused.get_json()["code"] == code
        assert refused.status_code == ERRORS[code].status
        wire.check("Error", refused.get_json())
    wire.engine.dispose()


@pytest.fixture
def enrolled_wire(tmp_path, document):
    wire = Wire(tmp_path, document)
    with wire.engine.begin() as conn:
        code = store.create_enrolment(conn, 3808, "Máy bản")
    wire.device = wire.send("/enroll", "EnrollRequest", {"code": code}, "Enrolment", 201,
                            signed=False)
    yield wire
    wire.engine.dispose()


@pytest.mark.parametrize("path, payload, field", [
    ("/lacking", {"offered": [[str(uuid.uuid4()), "x", "y"]]}, "offered"),
    ("/lacking", {"offered": [[str(uuid.uuid4()), 17]]}, "offered"),
    ("/push", {"records": [], "replica": 5}, "replica"),
    ("/push", {"records": [], "batch": False}, "batch"),
    # PostgreSQL holds no NUL character: a 500 there before it was checked.
    ("/push", {"records": [], "replica": "9e2a41c0\u0000"}, "replica"),
    ("/enroll", {"code": "ABCD-EFGH-JKMN", "label": "Máy\u0000"}, "label"),
    ("/enroll", {"code": "ABCD-EFGH-JKMN", "label": ["Máy"]}, "label"),
    ("/enroll", {"code": "ABCD-EFGH-JKMN", "commune_code": "3808"}, "commune_code"),
    # Too big for the database's integer: a 500 on SQLite before it was checked.
    ("/enroll", {"code": "ABCD-EFGH-JKMN", "commune_code": 2**64}, "commune_code"),
])
def test_envelope_field_of_the_wrong_type_is_refused(enrolled_wire, path, payload, field):
    response = enrolled_wire.post(path, dumps(payload), signed=path != "/enroll")
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "bad_envelope"
    assert field in response.get_json()["details"]
    enrolled_wire.check("Error", response.get_json())


def test_offered_pair_whose_id_is_not_a_uuid_is_ignored(enrolled_wire):
    answer = enrolled_wire.send("/lacking", "LackingRequest",
                                {"offered": [["not-a-record", "x"]]}, "LackingAnswer")
    assert answer["lacking"] == []


def test_sequence_number_beyond_the_database_integer_is_refused(enrolled_wire):
    # Both answered 500 (integer overflow in the database) before they were bounded.
    page = enrolled_wire.post("/pull", dumps({"cursor": 2**64}))
    assert (page.status_code, page.get_json()["code"]) == (422, "bad_envelope")
    record = {"c": "village", "id": str(uuid.uuid4()), "seq": 2**64,
              "hlc": enrolled_wire.clock.now().encode(),
              "data": {"commune_code": 3808, "name": "Bản Nà Lò"}}
    pushed = enrolled_wire.post("/push", dumps({"records": [record]}))
    assert pushed.status_code == 200
    enrolled_wire.check("PushResult", pushed.get_json())
    assert pushed.get_json()["results"] == "R"
    assert pushed.get_json()["rejections"][0]["code"] == "bad_record"


@pytest.mark.parametrize("data", [{"name": "Bản\u0000Nà Lò"}, {"name": "Bản Nà Lò", "x\u0000": 1}])
def test_record_holding_a_nul_character_is_rejected_on_its_own(enrolled_wire, data):
    # PostgreSQL stores no NUL in text or JSON: the batch failed there with a 500.
    records = [enrolled_wire.record("village", {"id": str(uuid.uuid4()), "commune_code": 3808,
                                                **data}, 1),
               enrolled_wire.record("village", {"id": str(uuid.uuid4()), "commune_code": 3808,
                                                "name": "Bản Đán"}, 2)]
    pushed = enrolled_wire.send("/push", "PushRequest", {"records": records}, "PushResult")
    assert pushed["results"] == "RS"
    assert pushed["rejections"][0]["code"] == "invalid_record"  # its schema refuses it


def test_pull_page_carrying_the_category_list_and_a_village_merge_matches_the_document(
        enrolled_wire):
    # The office's provider (field_app.central.catalogue) adds the list on its database.
    store.on_pull(enrolled_wire.engine, lambda conn, dev: {"categories": [
        {"code": "land", "name": "Đất đai", "position": 0, "active": True},
        {"code": "water", "name": "Nước sinh hoạt", "position": 1, "active": False}]})
    village, kept = str(uuid.uuid4()), str(uuid.uuid4())
    enrolled_wire.send("/push", "PushRequest", {"records": [enrolled_wire.record(
        "village", {"id": village, "commune_code": 3808, "name": "Nà Lo"}, 1)]}, "PushResult")
    with enrolled_wire.engine.begin() as conn:
        store.publish(conn, uuid.UUID(village), {"merged_into": kept,
                                                 "merged_into_name": "Bản Nà Lò"},
                      {}, "office", store.central_clock(conn))
    page = enrolled_wire.send("/pull", "PullRequest", {"cursor": 0}, "PullPage")
    assert [entry["code"] for entry in page["categories"]] == ["land", "water"]
    assert page["changes"][0]["central"] == {"merged_into": kept,
                                             "merged_into_name": "Bản Nà Lò"}
