"""The office API (/central/api/v1) against a real central, fed by a real laptop's sync.

The central runs in its own waitress process (SQLite and PostgreSQL); accounts
and API tokens are made on its database; a laptop records opinions and syncs
them through the real push. Every answer is checked against the OpenAPI
document the central serves.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from openapi_schema_validator import OAS30Validator
from openapi_schema_validator import validate as validate_instance
from openapi_spec_validator import validate

from field_app import create_app
from field_app.areas import logic as areas
from field_app.central.accounts.logic import create_account, create_token
from field_app.central.accounts.models import ApiToken
from field_app.cli import upgrade_database
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.models_base import utcnow
from field_app.opinions import logic as opinions
from field_app.opinions.models import Opinion
from field_app.outbox import logic as outbox

from .conftest import MUONG_LA

OTHER_COMMUNE = 3901  # another commune of Sơn La
SAID = (
    ("Đề nghị sửa đường vào bản, đoạn qua suối bị sạt lở", "construction", "petition"),
    ("Xin hỗ trợ nước sinh hoạt cho các hộ cuối bản", "water", "opinion"),
    ("Đường điện hay mất vào buổi tối", "electricity", "feedback"),
    ("Cấp giấy chứng nhận quyền sử dụng đất còn chậm", "land", "petition"),
    ("Trạm y tế thiếu thuốc theo bảo hiểm", "health", "opinion"),
)


class Office:
    """A real central with accounts and tokens, and the answers checked against its document."""

    def __init__(self, central, tmp_path):
        self.central = central
        self.app = create_app({"ROLE": "central", "SQLALCHEMY_DATABASE_URI": central.database,
                               "DATA_DIR": tmp_path / "office"})
        upgrade_database(self.app)
        self.tokens: dict[str, str] = {}
        with self.app.app_context():
            for name, role, commune in (("admin", "admin", None),
                                        ("officer", "officer", MUONG_LA),
                                        ("stranger", "officer", OTHER_COMMUNE),
                                        ("viewer", "viewer", MUONG_LA),
                                        ("revoked", "officer", MUONG_LA)):
                account = create_account(name, "mat-khau-dai", role, commune)
                self.tokens[name] = create_token(account, name)
            db.session.execute(db.update(ApiToken).where(ApiToken.label == "revoked")
                               .values(revoked_at=utcnow()))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        self.document = requests.get(central.url + "/central/api/openapi.json", timeout=10).json()

    def get(self, path: str, who: str | None = "admin", **params) -> requests.Response:
        return self.call("get", path, who, params=params)

    def call(self, method: str, path: str, who: str | None = "admin",
             **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        headers.update(kwargs.pop("headers", {}))
        response = requests.request(method, self.central.url + path, headers=headers,
                                    timeout=30, **kwargs)
        if path.startswith("/central/api/v1"):
            self.conforms(method, path, response)
        return response

    def conforms(self, method: str, path: str, response: requests.Response) -> None:
        """Check the answer's status and body against the operation the document gives."""
        template = re.sub(r"/[0-9a-f-]{36}$", "/{record_id}", path.split("?")[0])
        if template not in self.document["paths"]:  # no route: the app's JSON 404
            described = {"$ref": "#/components/responses/NotFound"}
        else:
            described = self.document["paths"][template][method]["responses"].get(
                str(response.status_code))
        assert described is not None, f"{method} {path}: {response.status_code} not documented"
        if "$ref" in described:
            name = described["$ref"].rsplit("/", 1)[1]
            described = self.document["components"]["responses"][name]
        schema = described["content"]["application/json"]["schema"]
        validate_instance(response.json(), {**schema, "components": self.document["components"]},
                          cls=OAS30Validator)

    def page_ids(self, who: str = "admin", **params) -> list[str]:
        """Return the ids the inbox page lists, in its order (the page takes the token too)."""
        response = self.call("get", "/central/inbox", who, params=params)
        assert response.status_code == 200
        return re.findall(r'<tr id="r-([0-9a-f-]{36})"', response.text)


@pytest.fixture
def office(central, laptop, tmp_path):
    """A central holding a laptop's forum of five opinions (and one raised outside it)."""
    village = areas.villages()[0]
    forum = forums.create_forum({"kind": "listening", "village_id": village.id,
                                 "started_at": datetime(2026, 11, 20, 8), "venue": "Nhà văn hóa",
                                 "chair": "Lò Văn Minh"})
    for content, category, kind in SAID:
        opinions.create_opinion({"content": content, "category_code": category, "kind": kind,
                                 "raiser_name": "Lò Văn Hùng", "raiser_phone": "0912345678"},
                                forum)
    opinions.create_opinion({"content": "Tố cáo cán bộ thu tiền sai quy định",
                             "category_code": "security", "kind": "denunciation",
                             "village_id": areas.villages()[1].id,
                             "raiser_name": "Quàng Thị Hoa", "channel": "mailbox"})
    db.session.commit()
    outbox.enroll(central.url, central.enrolment_code(), "Máy bản Nà Lò")
    assert outbox.run_sync().rejected == 0
    return Office(central, tmp_path)


def laptop_ids() -> dict[str, str]:
    """Return {content: id} of the laptop's opinions."""
    return {item.content: str(item.id) for item in db.session.execute(
        db.select(Opinion)).scalars()}


def test_document_is_valid_openapi_with_bearer_security(office):
    validate(office.document)
    assert office.document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    paths = office.document["paths"]
    assert set(paths) == {"/central/api/openapi.json", "/central/api/v1/opinions",
                          "/central/api/v1/opinions/{record_id}",
                          "/central/api/v1/opinions/{record_id}/similar",
                          "/central/api/v1/opinions/{record_id}/identity",
                          "/central/api/v1/forwarding-slip", "/central/api/v1/notifications",
                          "/central/api/v1/notifications/{key}/retry",
                          "/central/api/v1/enrolments", "/central/api/v1/devices",
                          "/central/api/v1/cases", "/central/api/v1/cases/{case_id}",
                          "/central/api/v1/cases/{case_id}/opinions",
                          "/central/api/v1/cases/{case_id}/split",
                          "/central/api/v1/cases/{case_id}/assign",
                          "/central/api/v1/cases/{case_id}/status",
                          "/central/api/v1/cases/{case_id}/answer",
                          "/central/api/v1/reports", "/central/api/v1/reports.xlsx",
                          "/central/api/v1/reports.docx", "/central/api/v1/reports.csv"}
    listing = paths["/central/api/v1/opinions"]["get"]
    assert {parameter["name"] for parameter in listing["parameters"]} == {
        "commune", "village", "forum", "kind", "category", "channel", "level", "status", "unit",
        "device", "date_from", "date_to", "q", "new", "sort", "page", "per_page", "source_org",
        "handling"}
    assert {"401", "403", "422"} <= set(listing["responses"])
    assert listing["security"] == [{"bearer": []}]
    assert paths["/central/api/openapi.json"]["get"]["security"] == []


def test_api_answers_the_laptops_ids_and_values(office):
    ids = laptop_ids()
    answer = office.get("/central/api/v1/opinions", per_page=50).json()
    assert answer["total"] == 6 and answer["total_exact"] is True
    assert {item["id"] for item in answer["items"]} == set(ids.values())
    one = office.get(f"/central/api/v1/opinions/{ids[SAID[0][0]]}").json()
    assert one["content"] == SAID[0][0]
    assert one["village_name"] == areas.villages()[0].name and one["status"] == "received"
    assert one["raiser_phone"] == "0912345678"
    assert "folded" not in one
    # A viewer never sees personal data; nobody sees a denouncer's name.
    assert office.get(f"/central/api/v1/opinions/{ids[SAID[0][0]]}",
                      "viewer").json()["raiser_name"] is None
    denounced = office.get(f"/central/api/v1/opinions/{ids['Tố cáo cán bộ thu tiền sai quy định']}")
    assert denounced.json()["raiser_name"] is None
    assert denounced.json()["identity_protected"] is True


SAME_FILTERS = [
    {}, {"q": "duong"}, {"kind": "petition"}, {"status": "received", "commune": MUONG_LA},
    {"channel": "mailbox"}, {"category": "water"}, {"level": "commune", "sort": "oldest"},
    {"date_from": "2026-11-20", "date_to": "2026-11-20"}, {"per_page": 2, "page": 2},
    {"date_from": "20/11/2026", "date_to": "20/11/2026"},  # as an officer types it
    {"sort": "due", "per_page": 4}, {"kind": "petition", "q": "dat"},
]


def test_api_answers_the_same_opinions_as_the_inbox_page(office):
    # One central for every case: each filter is a query, not a new server.
    for filters in [*SAME_FILTERS, {"village": str(areas.villages()[0].id)}]:
        api = office.get("/central/api/v1/opinions", **filters)
        assert api.status_code == 200, api.json()
        listed = [item["id"] for item in api.json()["items"]]
        assert listed, filters
        assert listed == office.page_ids(**filters), filters


def test_search_ignores_diacritics_and_case(office):
    ids = laptop_ids()
    found = office.get("/central/api/v1/opinions", q="DUONG").json()["items"]
    # "đường" (road) and "Đường điện" (power line); not "nước", not "đất".
    assert {item["id"] for item in found} == {ids[SAID[0][0]], ids[SAID[2][0]]}
    both = office.get("/central/api/v1/opinions", q="duong sat lo").json()["items"]
    assert [item["id"] for item in both] == [ids[SAID[0][0]]]
    assert office.get("/central/api/v1/opinions", q="đường   ĐIỆN").json()["total"] == 1
    assert office.get("/central/api/v1/opinions", q="100%_").json()["total"] == 0


def test_pages_cover_every_opinion_once(office):
    seen: list[str] = []
    for number in (1, 2, 3, 4):
        answer = office.get("/central/api/v1/opinions", per_page=2, page=number,
                            sort="oldest").json()
        assert answer["page"] == number and answer["per_page"] == 2
        assert answer["total"] == 6
        seen += [item["id"] for item in answer["items"]]
    assert len(seen) == len(set(seen)) == 6
    assert sorted(seen) == sorted(laptop_ids().values())


def test_total_is_a_lower_bound_past_the_count_cap(office, monkeypatch):
    from field_app.central.accounts.models import Account
    from field_app.central.inbox import logic as inbox

    monkeypatch.setattr(inbox, "COUNT_CAP", 2)
    with office.app.app_context():
        admin = db.session.execute(db.select(Account).filter_by(username="admin")).scalar_one()
        for (page, per_page), (shown, total, exact) in {
                (1, 10): (6, 6, True), (1, 1): (1, 2, False),  # counted up to the cap
                (3, 1): (1, 4, False),  # deep: what lies before, itself and one more
                (6, 1): (1, 6, True), (7, 1): (0, 6, True), (4, 2): (0, 6, True)}.items():
            found = inbox.find_opinions(admin, inbox.Filters(page=page, per_page=per_page))
            assert (len(found.items), found.total, found.total_exact) == (shown, total, exact)
            assert found.has_next == (page * per_page < 6)
        # A search counts up to its own cap: two opinions say "đường".
        monkeypatch.setattr(inbox, "SEARCH_COUNT_CAP", 1)
        everything = inbox.find_opinions(admin, inbox.Filters(q="duong", page=1, per_page=50))
        assert (everything.total, everything.total_exact) == (2, True)
        searched = inbox.find_opinions(admin, inbox.Filters(q="duong", page=1, per_page=1))
        assert (len(searched.items), searched.total, searched.total_exact) == (1, 2, False)
        assert searched.has_next
        db.session.remove()
        db.engine.dispose()


def test_missing_wrong_or_revoked_token_is_refused(office):
    for who, headers in ((None, {}), (None, {"Authorization": "Bearer ln_wrong"}),
                         (None, {"Authorization": f"Basic {office.tokens['admin']}"}),
                         ("revoked", {})):
        for path in ("/central/api/v1/opinions", "/central/api/v1/devices",
                     f"/central/api/v1/opinions/{uuid.uuid4()}"):
            response = office.call("get", path, who, headers=headers)
            assert response.status_code == 401, (who, headers, path)
            assert response.json()["code"] == "unauthorized"
    refused = office.call("post", "/central/api/v1/enrolments", None,
                          json={"commune_code": MUONG_LA, "label": "Máy"})
    assert refused.status_code == 401


def test_outside_role_or_commune_is_forbidden_or_not_found(office):
    ids = laptop_ids()
    forbidden = (
        office.call("post", "/central/api/v1/enrolments", "viewer",
                    json={"commune_code": MUONG_LA, "label": "Máy bản"}),
        office.call("post", "/central/api/v1/enrolments", "officer",
                    json={"commune_code": OTHER_COMMUNE, "label": "Máy bản"}),
        office.get("/central/api/v1/opinions", "officer", commune=OTHER_COMMUNE),
    )
    for response in forbidden:
        assert response.status_code == 403, response.json()
        assert response.json()["code"] == "forbidden"
    # Another commune's account sees none of them, and is not told they exist.
    assert office.get("/central/api/v1/opinions", "stranger").json()["total"] == 0
    assert office.get("/central/api/v1/devices", "stranger").json()["items"] == []
    hidden = office.get(f"/central/api/v1/opinions/{ids[SAID[0][0]]}", "stranger")
    unknown = office.get(f"/central/api/v1/opinions/{uuid.uuid4()}")
    for response in (hidden, unknown):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert office.get("/central/api/v1/opinions/not-a-uuid").status_code == 404


BAD_FILTERS = [
    ("kind", "ykien"), ("status", "done"), ("sort", "random"), ("channel", "fax"),
    ("level", "world"), ("commune", "Mường La"), ("commune", str(2**40)), ("unit", "-3"),
    ("village", "not-a-uuid"), ("forum", "12"), ("date_from", "2026-13-01"),
    ("date_to", "31/11/2026"), ("date_to", "2026/11/20"), ("new", "maybe"), ("page", "0"),
    ("page", "x"),
    ("page", str(10**12)), ("per_page", "0"), ("per_page", "201"), ("q", "đường\x00"),
    ("q", "x" * 201), ("device", "d" * 33), ("category", "a\x07"), ("villages", "Nà Lò"),
]


def test_bad_filter_is_refused_with_the_field_named(office):
    for name, value in BAD_FILTERS:
        response = office.get("/central/api/v1/opinions", **{name: value})
        assert response.status_code == 422, (name, value, response.text)
        body = response.json()
        assert body["code"] == "validation_failed" and name in body["details"], (name, body)
        assert body["message"]
        if name.startswith("date_"):  # says what to type, not only which box
            assert "ngày/tháng/năm" in body["message"], body


def test_enrolment_code_is_made_and_listed_devices_carry_their_records(office):
    made = office.call("post", "/central/api/v1/enrolments", "officer",
                       json={"commune_code": MUONG_LA, "label": "Máy MTTQ",
                             "villages": ["Bản Nà Lò", "Bản Đán"]})
    assert made.status_code == 201, made.json()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", made.json()["code"])
    expires_at = datetime.fromisoformat(made.json()["expires_at"])
    assert expires_at.utcoffset() == timedelta(0)
    assert timedelta(days=6) < expires_at - datetime.now(UTC) <= timedelta(days=7)
    devices = office.get("/central/api/v1/devices", "officer").json()["items"]
    assert [device["label"] for device in devices] == ["Máy bản Nà Lò"]
    assert devices[0]["records"] == 1 + 3 + 6  # forum, villages, opinions


BAD_ENROLMENTS = [
    ({"label": "Máy"}, "commune_code"),
    ({"commune_code": "3808", "label": "Máy"}, "commune_code"),
    ({"commune_code": MUONG_LA}, "label"),
    ({"commune_code": MUONG_LA, "label": ""}, "label"),
    ({"commune_code": MUONG_LA, "label": "Máy\x00"}, "label"),
    ({"commune_code": MUONG_LA, "label": "Máy", "villages": "Bản Nà Lò"}, "villages"),
    ({"commune_code": MUONG_LA, "label": "Máy", "villages": [3]}, "villages"),
    ({"commune_code": MUONG_LA, "label": "Máy", "secret": "x"}, "secret"),
    ({"commune_code": 2**40, "label": "Máy"}, "commune_code"),
]


def test_bad_enrolment_is_refused(office):
    for body, field in BAD_ENROLMENTS:
        response = office.call("post", "/central/api/v1/enrolments", json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.json()["details"], (body, response.json())
    unknown = office.call("post", "/central/api/v1/enrolments",
                          json={"commune_code": 99999, "label": "Máy"})
    assert unknown.status_code == 422
    not_json = office.call("post", "/central/api/v1/enrolments", data="commune_code=3808")
    assert not_json.status_code == 415
    broken = office.call("post", "/central/api/v1/enrolments", data="{",
                         headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
