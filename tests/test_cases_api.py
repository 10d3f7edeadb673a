"""The cases part of the office API against a real central (waitress; SQLite and
PostgreSQL) fed by a real laptop's sync; every answer checked against the OpenAPI
document the central serves; the answer reaches the laptop on its next pull."""

from __future__ import annotations

import re
from datetime import date

import requests
from openapi_schema_validator import OAS30Validator
from openapi_schema_validator import validate as validate_instance
from sqlalchemy import func, select

from field_app.central.cases.models import OfficeCase
from field_app.central.catalogue.logic import add_unit
from field_app.central.inbox.models import OfficeOpinion
from field_app.extensions import db
from field_app.opinions.models import Opinion
from field_app.outbox import logic as outbox

from .conftest import MUONG_LA
from .test_office_api import SAID, laptop_ids
from .test_office_api import office as office  # noqa: PLC0414  (the fixture, reused)

CASES = "/central/api/v1/cases"


def call(office, method: str, path: str, who: str = "officer", **kwargs) -> requests.Response:
    """Call the API as `who`; check the answer against the served document."""
    response = requests.request(method, office.central.url + path, timeout=30, headers={
        "Authorization": f"Bearer {office.tokens[who]}"}, **kwargs)
    template = re.sub(r"/cases/\d+", "/cases/{case_id}", path.split("?")[0])
    described = office.document["paths"][template][method]["responses"].get(
        str(response.status_code))
    assert described is not None, f"{method} {path}: {response.status_code} not documented"
    if "$ref" in described:
        described = office.document["components"]["responses"][
            described["$ref"].rsplit("/", 1)[1]]
    validate_instance(response.json(), {**described["content"]["application/json"]["schema"],
                                        "components": office.document["components"]},
                      cls=OAS30Validator)
    return response


def count_cases(office) -> int:
    with office.app.app_context():
        try:
            return db.session.execute(select(func.count()).select_from(OfficeCase)).scalar()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_document_describes_every_case_operation(office):
    paths = office.document["paths"]
    assert {"/central/api/v1/cases", "/central/api/v1/cases/{case_id}",
            "/central/api/v1/cases/{case_id}/split", "/central/api/v1/cases/{case_id}/assign",
            "/central/api/v1/cases/{case_id}/status", "/central/api/v1/cases/{case_id}/answer",
            "/central/api/v1/cases/{case_id}/opinions"} <= set(paths)
    assert "409" in paths["/central/api/v1/cases/{case_id}/status"]["post"]["responses"]
    listing = paths["/central/api/v1/cases"]["get"]
    assert {parameter["name"] for parameter in listing["parameters"]} == {
        "overdue", "unit", "status", "commune"}


def test_merge_assign_answer_through_the_api_reaches_the_laptop(office):
    ids = laptop_ids()
    road, land = ids[SAID[0][0]], ids[SAID[3][0]]
    with office.app.app_context():
        unit = add_unit(MUONG_LA, "Địa chính - Xây dựng").id
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    made = call(office, "post", CASES, json={"opinion_ids": [road, land], "reason": "trùng"})
    assert made.status_code == 201
    case = made.json()
    assert set(case["opinion_ids"]) == {road, land} and case["status"] == "received"
    case_id = case["id"]
    assert call(office, "get", f"{CASES}/{case_id}").json()["opinion_ids"] == case[
        "opinion_ids"]

    refused = call(office, "post", f"{CASES}/{case_id}/status", json={"status": "closed"})
    assert refused.status_code == 409 and refused.json()["code"] == "transition_refused"
    assigned = call(office, "post", f"{CASES}/{case_id}/assign", json={"unit_id": unit})
    assert assigned.status_code == 200
    body = assigned.json()
    assert body["unit_id"] == unit and body["status"] == "forwarded"
    assert date.fromisoformat(body["due_on"]) > date.fromisoformat(body["received_on"])
    assert call(office, "post", f"{CASES}/{case_id}/status",
                json={"status": "in_progress"}).json()["status"] == "in_progress"
    answered = call(office, "post", f"{CASES}/{case_id}/answer", json={
        "text": "Đã giao Ban Địa chính khảo sát, sửa trong tháng 12.",
        "by": "Chủ tịch UBND xã", "doc_number": "301/UBND"})
    assert answered.status_code == 200
    assert answered.json()["answer"]["doc_number"] == "301/UBND"
    assert answered.json()["status"] == "answered"

    listed = call(office, "get", CASES, params={"status": "answered", "unit": unit}).json()
    assert [item["id"] for item in listed["items"]] == [case_id]
    assert call(office, "get", CASES, params={"overdue": "true"}).json()["items"] == []

    # The laptop's next pull brings the answer to both opinions of the case.
    assert outbox.run_sync().rejected == 0
    db.session.expire_all()
    for record_id in (road, land):
        local = db.session.get(Opinion, __import__("uuid").UUID(record_id))
        assert (local.answer_text, local.answer_doc_number, local.status) == (
            "Đã giao Ban Địa chính khảo sát, sửa trong tháng 12.", "301/UBND", "answered")

    split = call(office, "post", f"{CASES}/{case_id}/split", json={"opinion_ids": [land]})
    assert split.status_code == 200
    assert split.json()["case"]["opinion_ids"] == [road]
    [own] = split.json()["split_into"]
    assert own["opinion_ids"] == [land] and own["answer"]["doc_number"] == "301/UBND"


def test_bad_or_outside_requests_change_nothing(office):
    ids = laptop_ids()
    road, water = ids[SAID[0][0]], ids[SAID[1][0]]
    before = count_cases(office)
    for who, body, status in (
            ("stranger", {"opinion_ids": [road, water]}, 403),  # another commune's account
            ("viewer", {"opinion_ids": [road, water]}, 403),  # read-only
            ("officer", {"opinion_ids": []}, 422),
            ("officer", {"opinion_ids": ["not-a-uuid"]}, 422),
            ("officer", {"opinion_ids": [road], "extra": 1}, 422),
            ("officer", {"opinion_ids": [road, "0b5d6f4e-1111-4222-8333-944455556666"]}, 404)):
        answer = call(office, "post", CASES, who, json=body)
        assert answer.status_code == status, (who, body, answer.text)
        assert answer.json()["message"]
    assert count_cases(office) == before
    with office.app.app_context():
        assert db.session.execute(select(func.count()).where(
            OfficeOpinion.case_id.is_not(None))).scalar() == 0
        db.session.remove()
        db.engine.dispose()
    assert call(office, "get", f"{CASES}/999999").status_code == 404
    made = call(office, "post", CASES, json={"opinion_ids": [road]}).json()
    assert call(office, "post", f"{CASES}/{made['id']}/assign",
                json={"unit_id": 999999}).status_code == 422
    assert call(office, "post", f"{CASES}/{made['id']}/answer",
                json={"text": "Trả lời", "by": "Xã"}).status_code == 409  # not assigned yet
    assert call(office, "get", CASES, params={"commune": 3901}).status_code == 403
