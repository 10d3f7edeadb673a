"""Bad input at the central: each gets a clear error with a stable code, nothing is stored."""

from __future__ import annotations

import gzip
import lzma
import time
import uuid

import pytest
import requests

from sync import auth, store
from sync.client import SyncClient
from sync.protocol import MAX_BODY_BYTES, MAX_DECOMPRESSED_BYTES, dumps

STAMP = "1795635179698-0000-laptop1"


@pytest.fixture
def device(central):
    """An enrolled device of Mường La, talking straight to the central."""
    client = SyncClient(central.url)
    client.enroll(central.enrolment_code(villages=None), "Máy thử", str(uuid.uuid4()))
    return client


def village(name="Bản Nà Lò", commune=3808, **extra):
    return {"c": "village", "id": str(uuid.uuid4()), "seq": 1, "hlc": STAMP, "op": "put",
            "data": {"commune_code": commune, "name": name, "kind": "ban",
                     "households": 120, **extra}}


def signed_post(client: SyncClient, path: str, body: bytes, headers=None, **overrides):
    """POST raw bytes signed as `client` (overrides replace signature headers)."""
    signed = auth.sign(client.device_id, client.secret, "POST", f"/sync/v1{path}", body)
    signed.update({"X-LN-Protocol": "1", "Content-Type": "application/json", **(headers or {}),
                   **overrides})
    return requests.post(f"{client.base_url}/sync/v1{path}", data=body, headers=signed,
                         timeout=30)


def assert_error(response, status: int, code: str) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert body["status"] == status and body["code"] == code
    assert body["message"]  # a sentence for the village head
    return body


@pytest.mark.parametrize(("body", "headers", "status", "code"), [
    (b'{"records": [', {}, 400, "bad_body"),
    (b'\xff\xfe{"records": []}', {}, 400, "bad_body"),
    (b'[1, 2]', {}, 422, "bad_envelope"),
    (b'{"records": "many"}', {}, 422, "bad_envelope"),
    (b'garbage', {"Content-Encoding": "xz"}, 400, "bad_body"),
    (b'{}', {"Content-Encoding": "br"}, 415, "unsupported_encoding"),
])
def test_malformed_bodies_are_refused(central, device, body, headers, status, code):
    assert_error(signed_post(device, "/push", body, headers), status, code)
    assert central.count() == 0


@pytest.mark.parametrize("cursor", [True, -1, "0", 1.5])
def test_bad_pull_cursor_is_refused(central, device, cursor):
    assert_error(signed_post(device, "/pull", dumps({"cursor": cursor})), 422, "bad_envelope")


def test_oversized_body_is_refused(central, device):
    body = b" " * (MAX_BODY_BYTES + 1)
    assert_error(signed_post(device, "/push", body), 413, "body_too_large")
    assert central.count() == 0


@pytest.mark.parametrize("encoding", ["gzip", "xz"])
def test_decompression_bomb_is_stopped_at_the_limit(central, device, encoding):
    inflated = b'{"records": [' + b" " * (MAX_DECOMPRESSED_BYTES + 10) + b"]}"
    body = gzip.compress(inflated) if encoding == "gzip" else lzma.compress(inflated)
    assert len(body) < MAX_BODY_BYTES // 10  # small on the wire, huge inside
    assert_error(signed_post(device, "/push", body, {"Content-Encoding": encoding}),
                 413, "body_too_large")
    assert central.count() == 0


def test_forged_missing_replayed_and_stale_signatures_are_refused(central, device):
    body = dumps({"records": [village()]})
    assert_error(signed_post(device, "/push", body, **{"X-LN-Signature": "0" * 64}),
                 401, "bad_signature")
    bare = requests.post(f"{central.url}/sync/v1/push", data=body, timeout=30,
                         headers={"X-LN-Protocol": "1"})
    assert_error(bare, 401, "unauthenticated")
    old = str(int(time.time()) - 3600)
    stale = auth.sign(device.device_id, device.secret, "POST", "/sync/v1/push", body)
    stale[auth.TIMESTAMP_HEADER] = old
    stale[auth.SIGNATURE_HEADER] = auth.signature(device.secret, "POST", "/sync/v1/push", old,
                                                  stale[auth.NONCE_HEADER], body)
    refused = requests.post(f"{central.url}/sync/v1/push", data=body, timeout=30,
                            headers={"X-LN-Protocol": "1", **stale})
    assert "server_time" in assert_error(refused, 401, "clock_skew")["details"]
    # Tampered body under a valid signature of another body.
    headers = auth.sign(device.device_id, device.secret, "POST", "/sync/v1/push", body)
    other = dumps({"records": [village("Bản Khác")]})
    tampered = requests.post(f"{central.url}/sync/v1/push", data=other, timeout=30,
                             headers={"X-LN-Protocol": "1", **headers})
    assert_error(tampered, 401, "bad_signature")
    assert central.count() == 0
    # The same signed request twice: the copy is refused.
    headers = auth.sign(device.device_id, device.secret, "POST", "/sync/v1/push", body)
    first = requests.post(f"{central.url}/sync/v1/push", data=body, timeout=30,
                          headers={"X-LN-Protocol": "1", **headers})
    assert first.status_code == 200
    replay = requests.post(f"{central.url}/sync/v1/push", data=body, timeout=30,
                           headers={"X-LN-Protocol": "1", **headers})
    assert_error(replay, 401, "replayed_request")
    assert central.count() == 1


@pytest.mark.parametrize(("version", "status", "code"), [
    (None, 400, "protocol_missing"), ("0", 426, "client_too_old"),
    ("99", 400, "server_too_old"), ("one", 400, "protocol_missing"),
])
def test_wrong_protocol_version_gets_a_clear_answer(central, device, version, status, code):
    body = dumps({"records": [village()]})
    headers = auth.sign(device.device_id, device.secret, "POST", "/sync/v1/push", body)
    if version is not None:
        headers["X-LN-Protocol"] = version
    response = requests.post(f"{central.url}/sync/v1/push", data=body, headers=headers,
                             timeout=30)
    body = assert_error(response, status, code)
    if code == "client_too_old":
        assert "cài bản mới" in body["message"]
    assert central.count() == 0


def test_revoked_device_is_refused(central, device):
    with central.engine.begin() as conn:
        store.revoke_device(conn, device.device_id)
    with pytest.raises(Exception) as refused:
        device.push({"records": [village()]})
    assert refused.value.code == "device_revoked" and refused.value.status == 403
    assert central.count() == 0


def test_enrolment_code_works_once(central):
    code = central.enrolment_code()
    SyncClient(central.url).enroll(code, "A", "r1")
    with pytest.raises(Exception) as again:
        SyncClient(central.url).enroll(code, "B", "r2")
    assert again.value.code == "bad_enrolment_code"


def test_bad_records_are_rejected_one_by_one_and_the_rest_stored(central, device):
    good = village()
    wrong_types = village("Bản Đán")
    wrong_types["data"]["households"] = "nhiều"
    unknown = {**village("Bản X"), "c": "spaceship"}
    missing = village("Bản Y")
    del missing["data"]["name"]
    other_commune = village("Bản Z", commune=1)
    orphan = {"c": "opinion", "id": str(uuid.uuid4()), "seq": 2, "hlc": STAMP, "op": "put",
              "data": {"kind": "opinion", "channel": "direct", "village_id": str(uuid.uuid4()),
                       "category_code": "land", "content": "x", "level": "commune"}}
    bad_id = {**village("Bản W"), "id": "not-a-uuid"}
    listed = {**village("Bản V"), "c": ["village"]}
    answer = device.push({"records": [good, wrong_types, unknown, missing, other_commune,
                                      orphan, bad_id, listed]})
    assert answer["results"] == "SRRRRRRR"
    codes = {item["i"]: item["code"] for item in answer["rejections"]}
    assert codes == {1: "invalid_record", 2: "unknown_collection", 3: "invalid_record",
                     4: "out_of_scope", 5: "unknown_parent", 6: "bad_record",
                     7: "unknown_collection"}
    messages = {item["i"]: item["message"] for item in answer["rejections"]}
    assert "households" in messages[1] and "số nguyên" in messages[1]
    assert [row.id for row in central.records()] == [uuid.UUID(good["id"])]


def test_device_limited_to_villages_cannot_write_others(central):
    client = SyncClient(central.url)
    client.enroll(central.enrolment_code(villages=["Bản Nà Lò"]), "Máy Nà Lò", "r")
    answer = client.push({"records": [village("Bản Nà Lò"), village("Bản Đán")]})
    assert answer["results"] == "SR"
    assert answer["rejections"][0]["code"] == "out_of_scope"
    assert central.count() == 1


def test_unknown_fields_of_a_newer_laptop_are_kept(central, device):
    newer = village(elevation_m=850, hamlet_leader={"name": "Lò Văn Minh"})
    assert device.push({"records": [newer]})["results"] == "S"
    stored = central.records()[0].data
    assert stored["elevation_m"] == 850 and stored["hamlet_leader"] == {"name": "Lò Văn Minh"}


def test_same_text_in_nfd_and_nfc_is_one_record_stored_nfc(central, device):
    import unicodedata

    name = "Bản Nậm Păm"
    decomposed = village(unicodedata.normalize("NFD", name))
    assert device.push({"records": [decomposed]})["results"] == "S"
    composed = {**decomposed, "data": {**decomposed["data"], "name": name}}
    assert device.push({"records": [composed]})["results"] == "U"
    assert [row.data["name"] for row in central.records()] == [name]
