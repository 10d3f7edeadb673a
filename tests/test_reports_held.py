"""Which forums a report counts as held, and the households they represent: the office's
report (dashboard, API, files, public page) and the laptop's figures, on SQLite and
PostgreSQL, with the forums sent through the real ingest."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document
from openpyxl import load_workbook

from field_app.central.accounts.logic import create_token
from field_app.central.accounts.models import Account
from field_app.extensions import db
from field_app.opinions.logic import vietnam_now

from .office_support import MUONG_LA, Laptop, account, login, office_app


@pytest.fixture(params=["sqlite", "postgresql"])
def office(request, tmp_path):
    with office_app(tmp_path / "office", request.param) as app:
        yield app


def _window() -> str:
    """Return a custom period around today (any day the tests run on)."""
    today = vietnam_now().date()
    return f"from={today - timedelta(days=10)}&to={today + timedelta(days=10)}"


def _token(app) -> dict:
    account(app, "canbo", "officer")
    with app.app_context():
        who = db.session.query(Account).filter_by(username="canbo").one()
        token = create_token(who, "báo cáo")
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_a_planned_forum_is_not_held_in_any_report(office):
    now = vietnam_now()
    laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    for name in ("Bản Nà Lò", "Bản Hua Păng", "Bản Co Mạ"):
        laptop.village(name)
    laptop.forum("Bản Nà Lò", now - timedelta(hours=2))  # begun: held, minutes still draft
    laptop.forum("Bản Hua Păng", now + timedelta(days=3))  # planned for later this month
    laptop.forum("Bản Co Mạ", now + timedelta(days=3), kind="chairman_dialogue")
    laptop.push()
    headers = _token(office)

    body = office.test_client().get(f"/central/api/v1/reports?{_window()}",
                                    headers=headers).get_json()
    coverage = body["coverage"]
    assert (coverage["held"], coverage["villages"], coverage["percent"]) == (1, 3, 33.3)
    assert sorted(row["name"] for row in coverage["missing"]) == ["Bản Co Mạ", "Bản Hua Păng"]
    assert coverage["dialogues"] == 0
    assert body["forums"]["total"] == 1
    assert body["forums"]["attendance"]["total"] == 64

    public = office.test_client().get(f"/public/{MUONG_LA}?{_window()}").get_data(
        as_text=True)
    assert '<span class="big">1/3</span>' in public

    client = login(office, "canbo")
    docx = Document(io.BytesIO(client.get(f"/central/reports/file.docx?{_window()}").data))
    targets = docx.tables[1]  # the header's table, then the targets
    assert [cell.text for cell in targets.rows[1].cells][1:3] == ["33,3", "100"]
    assert [cell.text for cell in targets.rows[2].cells][1] == "0"
    book = load_workbook(io.BytesIO(client.get(f"/central/reports/file.xlsx?{_window()}").data))
    sheet = book[book.sheetnames[1]]
    assert [sheet.cell(3, 2).value, sheet.cell(4, 2).value] == [33.3, 0]


def test_a_finalised_forum_is_held(office):
    now = vietnam_now()
    laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    laptop.village("Bản Nà Lò")
    laptop.forum("Bản Nà Lò", now + timedelta(hours=3), status="finalised",
                 finalised_at=now.isoformat())
    laptop.push()
    body = office.test_client().get(f"/central/api/v1/reports?{_window()}",
                                    headers=_token(office)).get_json()
    assert body["coverage"]["held"] == 1 and body["forums"]["total"] == 1


def test_households_represented_count_each_village_once(office):
    now = vietnam_now()
    laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    for name in ("Bản Nà Lò", "Bản Hua Păng"):
        laptop.village(name)
    laptop.forum("Bản Nà Lò", now - timedelta(days=2), households_represented=55)
    laptop.forum("Bản Nà Lò", now - timedelta(days=1), kind="village_meeting",
                 households_represented=50)
    laptop.forum("Bản Hua Păng", now - timedelta(days=1), households_represented=30)
    laptop.push()
    body = office.test_client().get(f"/central/api/v1/reports?{_window()}",
                                    headers=_token(office)).get_json()
    attendance = body["forums"]["attendance"]
    assert attendance["households_represented"] == 85  # 55 (Nà Lò's best) + 30
    assert attendance["households"] == 200


def test_households_represented_is_the_best_forum_per_village():
    from field_app.central.reports.figures import households_represented

    assert households_represented([("a", 55), ("a", 50), ("b", 30), ("c", None)]) == 85
