"""Both OpenAPI documents say what the servers do: schemathesis against real servers.

The field app's JSON API (``/api/openapi.json``, served by `langnghe field`)
and the sync API (``/sync/openapi.json``, served by `langnghe central`) are
run by waitress on 127.0.0.1 as on a laptop and at the commune office, and
every documented operation is called with requests generated from its
document: valid ones and, where the document says what is invalid, invalid
ones, plus methods it does not declare. Each answer must not be a 5xx, must
have a documented status, content type and body, and a 405 its ``Allow``
header; the field API must take the bodies its document describes (a refusal
of one may only come from a domain rule, never from its parser) and refuse
the ones it rules out. The documents are built at collection, to make one
test per operation, and checked to be the very ones the servers serve.

Over HTTP, not WSGI: the sync API signs the exact bytes sent (HMAC over
method, path, timestamp, nonce, body hash), and a ``requests`` auth hook sees
the final request just as `sync.client` does; the field app runs as
`langnghe field` runs it.

The central runs on PostgreSQL. The generation is bounded and derandomized
(same cases every run, no example database), so a failure is reproducible and
the file stays quick.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import uuid
import zlib
from datetime import datetime
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from PIL import Image

from field_app import create_app
from field_app.api import schemas
from field_app.api.openapi import build_spec
from field_app.areas import logic as areas
from field_app.attachments import logic as attachments
from field_app.cli import upgrade_database
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.opinions import logic as opinions
from sync import auth
from sync.client import SyncClient
from sync.clock import HybridClock
from sync.openapi import CHUNK_PATTERN, openapi_document
from sync.protocol import ENCODINGS, compress

from .browser import FieldServer
from .conftest import MUONG_LA
from .sync_support import Central, drop_pg_database, make_pg_database

# Per operation. A deeper run (say 500) is one variable away; the default keeps the file
# near a minute on two cores.
MAX_EXAMPLES = int(os.environ.get("LANGNGHE_FUZZ_EXAMPLES", "30"))
CHECKS = {
    "not_a_server_error": {"enabled": True},
    "status_code_conformance": {"enabled": True},
    "content_type_conformance": {"enabled": True},
    "response_schema_conformance": {"enabled": True},
    "response_headers_conformance": {"enabled": True},
    "allow_header_conformance": {"enabled": True},
    "unsupported_method": {"enabled": True},
    # Every refusal the documents name (426: the client's protocol is too old).
    "negative_data_rejection": {"expected-statuses": [
        "400", "401", "403", "404", "405", "409", "413", "415", "422", "426"]},
}
# Same cases every run (derandomize), nothing kept between runs (database=None). Every
# example is an HTTP round trip to a real server: no deadline, and the generation of
# the larger bodies (a batch of records) may be slow or filtered without being wrong.
HYPOTHESIS = settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None,
                      deadline=None, print_blob=False,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                             HealthCheck.data_too_large])


# The registry's "date-time-local" (a meeting time, no offset) is not known to
# schemathesis: real calendar dates, as datetime.isoformat() and the browser write them.
schemathesis.openapi.format("date-time-local", st.builds(
    lambda moment, timespec: moment.isoformat(timespec=timespec),
    st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)),
    st.sampled_from(["minutes", "seconds", "microseconds"])))


def config(generation: dict | None = None, **checks) -> schemathesis.Config:
    """Return the run's settings: bounded, derandomized, no example database."""
    return schemathesis.Config.from_dict({
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True,
                       "database": "none", **(generation or {})},
        "checks": {**CHECKS, **checks},
    })


# --- the field app's JSON API ------------------------------------------------------------

def png_bytes() -> bytes:
    out = BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def field_records(tmp_path_factory):
    """A field server for Mường La with a draft and a finalised forum, opinions, a photo.

    Module-scoped: one server for the whole run (starting one per operation would
    cost more than the run); the records give the answers every field to show.
    """
    data_dir = tmp_path_factory.mktemp("field") / "data"
    setup = create_app({"DATA_DIR": data_dir})
    upgrade_database(setup)
    with setup.app_context():
        commune = areas.choose_commune(MUONG_LA)
        village = areas.add_village(commune, "Bản Nà Lò", None, 120)
        db.session.flush()
        meeting = {"kind": "listening", "village_id": village.id,
                   "started_at": datetime(2026, 11, 20, 8, 0), "chair": "Lò Văn Minh",
                   "secretary": "Quàng Thị Hoa", "attendance_total": 64}
        draft = forums.create_forum(meeting)
        done = forums.create_forum({**meeting, "started_at": datetime(2026, 10, 2, 14, 30)})
        db.session.flush()
        opinion = opinions.create_opinion({"content": "Đường vào bản bị sạt lở."}, forum=draft)
        locked = opinions.create_opinion({"content": "Thiếu nước sinh hoạt."}, forum=done)
        db.session.flush()
        photo = attachments.attach(data_dir, BytesIO(png_bytes()), "bien-ban.png", 10**6,
                                   forum=done)
        forums.finalise_forum(done)
        db.session.commit()
        ids = {"village_id": [village.id], "forum_id": [draft.id, done.id],
               "opinion_id": [opinion.id, locked.id], "attachment_id": [photo.id]}
        db.engine.dispose()
    server = FieldServer(data_dir).start()
    yield server, {name: [str(value) for value in values] for name, values in ids.items()}, setup
    server.stop()


def field_document() -> dict:
    """Return the field API's document as the app builds it (no database needed)."""
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app({"DATA_DIR": Path(data_dir), "TESTING": True})
        with app.app_context():
            return build_spec(app).to_dict()


# Loaded at collection, to make one test per operation; the test below checks that
# the servers serve these very documents.
FIELD_DOCUMENT = field_document()
field_schema = schemathesis.openapi.from_dict(FIELD_DOCUMENT, config=config(
    # A valid request may still break a domain rule (a village name already used,
    # finalised minutes): 409 and 422, whose parsing is checked in the test itself.
    positive_data_acceptance={"expected-statuses": ["2xx", "404", "409", "422"]}))


def test_servers_serve_the_documents_under_test(field_records, sync_central):
    server, _ids, _app = field_records
    central, _signature = sync_central
    assert requests.get(f"{server.url}/api/openapi.json", timeout=10).json() == FIELD_DOCUMENT
    assert requests.get(f"{central.url}/sync/openapi.json",
                        timeout=10).json() == SYNC_DOCUMENT


def known(ids: dict[str, list[str]], name: str, value) -> str | None:
    """Return a stored record's id for three in four generated UUIDs (by the value's hash).

    Random UUIDs would only ever find nothing. A value that is not a UUID (a case
    made invalid on purpose) is left as generated.
    """
    try:
        uuid.UUID(str(value))
    except ValueError:
        return None
    pick = zlib.crc32(str(value).encode())
    if name not in ids or pick % 4 == 0:
        return None
    return ids[name][pick % len(ids[name])]


# What each operation parses its input with: a refusal of a request its document
# calls valid must come from a domain rule (a name already used, finalised minutes),
# never from the parser disagreeing with the document.
PARSERS = {
    "POST /api/v1/villages": ("body", schemas.village_create_schema),
    "POST /api/v1/forums": ("body", schemas.forum_create_schema),
    "PATCH /api/v1/forums/{forum_id}": ("body", schemas.forum_patch_schema),
    "GET /api/v1/forums": ("query", schemas.forum_query_schema),
    "POST /api/v1/opinions": ("body", schemas.opinion_create_schema),
    "PATCH /api/v1/opinions/{opinion_id}": ("body", schemas.opinion_patch_schema),
    "GET /api/v1/opinions": ("query", schemas.opinion_query_schema),
}


def assert_parsed_as_documented(case, response) -> None:
    """Check that a valid request refused with 422 passed the API's own parser."""
    if response.status_code != 422 or not case.meta.generation.mode.is_positive:
        return
    place, parser = PARSERS.get(f"{case.method.upper()} {case.path}", (None, None))
    if parser is None:
        return
    sent = response.request
    if place == "query":
        data = dict(parse_qsl(urlsplit(sent.url).query, keep_blank_values=True))
    else:
        data = json.loads(sent.body)
    try:
        parser.load(data)
    except ValidationError as exc:
        pytest.fail(f"{case.method.upper()} {case.path}: the document allows {data!r} but "
                    f"the API's schema refuses it: {exc.messages}")


@field_schema.parametrize()
@HYPOTHESIS
def test_field_api_answers_as_its_document_says(case, field_records):
    server, ids, app = field_records
    for name, value in list((case.path_parameters or {}).items()):
        case.path_parameters[name] = known(ids, name, value) or value
    if isinstance(case.body, dict):
        for name in ("village_id", "forum_id", "opinion_id"):
            if isinstance(case.body.get(name), str):
                case.body[name] = known(ids, name, case.body[name]) or case.body[name]
    response = case.call(base_url=server.url)
    case.validate_response(response)
    with app.test_request_context():
        assert_parsed_as_documented(case, response)


# --- the sync API ------------------------------------------------------------------------

SIGNED = (auth.DEVICE_HEADER, auth.TIMESTAMP_HEADER, auth.NONCE_HEADER, auth.SIGNATURE_HEADER)


def signable(headers) -> bool:
    """Tell whether the generated signature headers are all there and of the documented shape."""
    return all(name in headers for name in SIGNED) and bool(
        re.fullmatch(r"[0-9a-f]{16}", headers[auth.DEVICE_HEADER])
        and re.fullmatch(r"-?[0-9]+", headers[auth.TIMESTAMP_HEADER])
        and 0 < len(headers[auth.NONCE_HEADER]) <= 64
        and re.fullmatch(r"[0-9a-f]{64}", headers[auth.SIGNATURE_HEADER]))


class AsTheClientSends(requests.auth.AuthBase):
    """Compress a JSON body as its Content-Encoding says, then sign it, as `sync.client` does.

    A request whose generated signature headers are missing or malformed (a case made
    invalid on purpose) is sent unsigned, to be refused; the others get this device's
    real signature of the bytes sent, over the generated headers' values.
    """

    def __init__(self, device_id: str, secret: str, photo_sha: str) -> None:
        self.device_id, self.secret, self.photo_sha = device_id, secret, photo_sha

    def __call__(self, request):
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        encoding = request.headers.get("Content-Encoding", "identity")
        if encoding in ENCODINGS and encoding != "identity" and request.headers.get(
                "Content-Type", "").startswith("application/json"):
            body = compress(body, encoding)
        request.body = body
        request.headers["Content-Length"] = str(len(body))
        chunks = request.headers.get("X-LN-Chunks")
        if chunks is not None and re.fullmatch(CHUNK_PATTERN, chunks):
            # X-LN-Chunks describes the body's bytes, which no schema can say: one chunk
            # of the whole body, of the photo this device announced (another SHA-256
            # is refused, 422), as the client would send it.
            request.headers["X-LN-Chunks"] = f"{self.photo_sha}:0:{len(body)}"
        if signable(request.headers):
            request.headers.update(auth.sign(self.device_id, self.secret, request.method,
                                             urlsplit(request.url).path, body))
        return request


@pytest.fixture(scope="module")
def sync_central(tmp_path_factory):
    """A real central on PostgreSQL with one device enrolled by the real client.

    PostgreSQL, the province's database, is the stricter one: it stores no NUL
    character and has 4-byte integers, where SQLite would take both.
    """
    database = make_pg_database()
    central = Central(tmp_path_factory.mktemp("central"), database).start()
    try:
        yield central, announce_photo(central)
    finally:
        central.close()
        drop_pg_database(database)


def announce_photo(central: Central) -> AsTheClientSends:
    """Enrol a device with the real client; push a photo's record (not its bytes)."""
    client = SyncClient(central.url)
    enrolment = client.enroll(central.enrolment_code(), "Máy bản Nà Lò", str(uuid.uuid4()))
    # A photo announced by the device, for the chunks to belong to.
    photo = png_bytes()
    sha = hashlib.sha256(photo).hexdigest()
    village, forum = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = HybridClock("a1b2c3d4e5f6")
    records = [
        {"id": village, "c": "village", "data": {"commune_code": MUONG_LA, "name": "Bản Nà Lò"}},
        {"id": forum, "c": "forum", "data": {"kind": "listening", "village_id": village,
                                            "started_at": "2026-11-20T08:00:00",
                                            "status": "draft"}},
        {"id": str(uuid.uuid4()), "c": "attachment", "data": {
            "sha256": sha, "mime_type": "image/png", "size": len(photo),
            "filename": "bien-ban.png", "forum_id": forum}},
    ]
    answer = client.push({"records": [{**record, "seq": seq, "hlc": stamp.now().encode()}
                                      for seq, record in enumerate(records, 1)]})
    assert answer["results"] == "SSS", answer["rejections"]
    return AsTheClientSends(enrolment["device_id"], enrolment["secret"], sha)


SYNC_DOCUMENT = openapi_document()
# HTTP lets a request carry any header: an extra one is no invalid request.
sync_schema = schemathesis.openapi.from_dict(SYNC_DOCUMENT, config=config(
    generation={"allow-extra-parameters": False}))


@sync_schema.parametrize()
@HYPOTHESIS
def test_sync_api_answers_as_its_document_says(case, sync_central):
    central, signature = sync_central
    session = requests.Session()
    session.auth = signature
    case.call_and_validate(base_url=central.url, session=session)
