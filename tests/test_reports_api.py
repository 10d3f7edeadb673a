"""The reports API on a real central fed by a real laptop sync (tests/test_office_api.py's
Office): its answers conform to the OpenAPI document; bad periods are a 400."""

from __future__ import annotations

import io

import requests
from openapi_spec_validator import validate
from openpyxl import load_workbook

from .test_office_api import OTHER_COMMUNE, Office, office  # noqa: F401 (fixture)


def test_reports_are_in_the_openapi_document(office):  # noqa: F811
    validate(office.document)
    operation = office.document["paths"]["/central/api/v1/reports"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"period", "from", "to", "commune"}
    assert {"200", "400", "401", "403", "422"} <= set(operation["responses"])
    xlsx = office.document["paths"]["/central/api/v1/reports.xlsx"]["get"]["responses"]["200"]
    assert "spreadsheetml" in next(iter(xlsx["content"]))


def test_the_synced_forum_and_opinions_are_counted(office):  # noqa: F811
    answer = office.get("/central/api/v1/reports", "officer", period="2026-Y")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert list(body)[:2] == ["period", "forums"]
    assert body["period"] == {**body["period"], "code": "2026-Y", "start": "2025-12-10",
                              "end": "2026-12-09", "due": "2026-12-10"}
    # The laptop's forum of 20 November 2026 and its five opinions, and the denunciation
    # put in the mailbox (received the day the laptop recorded it, inside 2026-Y too).
    assert body["forums"]["total"] == 1
    assert body["forums"]["by_kind"][0] == {"key": "listening", "count": 1,
                                            "label": body["forums"]["by_kind"][0]["label"]}
    assert body["coverage"]["held"] == 1
    assert body["opinions"]["total"] == 6
    assert {r["key"]: r["count"] for r in body["opinions"]["by_kind"] if r["count"]} == {
        "petition": 2, "opinion": 2, "feedback": 1, "denunciation": 1}
    # Another quarter holds none of them.
    empty = office.get("/central/api/v1/reports", "officer", period="2026-Q1").json()
    assert empty["forums"]["total"] == 0 and empty["opinions"]["total"] == 0
    custom = office.get("/central/api/v1/reports", "officer", **{"from": "2026-11-20",
                                                                   "to": "2026-11-20"}).json()
    assert custom["forums"]["total"] == 1 and custom["period"]["due"] == "2026-12-10"


def test_bad_periods_and_communes_are_refused(office):  # noqa: F811
    for params in ({"period": "2026-Q2"}, {"period": "2026-13"}, {"from": "2026-02-30",
                                                                  "to": "2026-03-01"}):
        answer = office.get("/central/api/v1/reports", "officer", **params)
        assert answer.status_code == 400 and answer.json()["code"] == "bad_period", params
        assert answer.json()["message"]
    answer = download(office, "xlsx", "officer", period="2026-Q4")
    assert answer.status_code == 400 and answer.json()["code"] == "bad_period"
    answer = office.get("/central/api/v1/reports", "officer", period="2026-Y",
                        commune=OTHER_COMMUNE)
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    answer = office.get("/central/api/v1/reports", "officer", period="2026-Y", commune="x")
    assert answer.status_code == 422


def download(office, kind: str, who: str = "viewer", **params) -> requests.Response:  # noqa: F811
    """Fetch a file (Office.get checks JSON answers against the document; a file is not)."""
    return requests.get(f"{office.central.url}/central/api/v1/reports.{kind}", params=params,
                        headers={"Authorization": f"Bearer {office.tokens[who]}"}, timeout=60)


def test_the_files_come_with_their_type_and_name(office):  # noqa: F811
    answer = download(office, "xlsx", period="2026-Y")
    assert answer.status_code == 200
    assert "bao-cao-3808-2026-Y.xlsx" in answer.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(answer.content))
    assert "Ý kiến theo loại" in book.sheetnames
    for kind, magic in (("docx", b"PK"), ("csv", "\ufeff".encode())):
        answer = download(office, kind, period="2026-Y")
        assert answer.status_code == 200 and answer.content.startswith(magic)
