"""The laptop's figures (offline, from what it holds) and the office's, after a real sync:
the same forum coverage, forums and opinions for the laptop's villages."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from field_app import create_app
from field_app.areas import logic as areas
from field_app.central.accounts.logic import create_account, create_token
from field_app.cli import upgrade_database
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.opinions import logic as opinions
from field_app.opinions.logic import vietnam_now
from field_app.outbox import logic as outbox

from .conftest import MUONG_LA


def hold(village_name: str, started_at: datetime, kind: str = "listening", said=(),
         households: int | None = None):
    village = next(v for v in areas.villages() if v.name == village_name)
    forum = forums.create_forum({"kind": kind, "village_id": village.id,
                                 "started_at": started_at, "venue": "Nhà văn hóa",
                                 "chair": "Lò Văn Minh", "attendance_total": 40,
                                 "attendance_women": 18,
                                 "households_represented": households})
    for content, category, kind_ in said:
        opinions.create_opinion({"content": content, "category_code": category,
                                 "kind": kind_, "raiser_name": "Lò Văn Hùng"}, forum)
    return forum


def number(page: str, element: str) -> str:
    found = re.search(rf'id="{element}">([^<]*)<', page)
    assert found, element
    return found.group(1).strip()


def test_the_laptop_shows_its_villages_figures_offline(laptop):
    hold("Bản Nà Lò", datetime(2026, 3, 9, 23, 30), said=[
        ("Sửa đường vào bản", "construction", "petition"), ("Nước sinh hoạt", "water", "opinion")])
    hold("Bản Đán", datetime(2026, 3, 10, 6, 0), said=[("Sau kỳ", "water", "opinion")])
    hold("Tiểu khu 1", datetime(2025, 12, 10, 8, 0), kind="chairman_dialogue")
    db.session.commit()
    page = laptop.test_client().get("/figures?period=2026-Q1").get_data(as_text=True)
    assert number(page, "coverage-held") == "1/3"
    assert number(page, "coverage-percent") == "33,3"  # a decimal comma, as the office prints
    assert number(page, "coverage-missing") == "Bản Đán, Tiểu khu 1"
    assert number(page, "forums-total") == "2"
    assert number(page, "opinions-total") == "2"
    assert number(page, "handling-open") == "2"
    assert "Lò Văn Hùng" not in page
    after = laptop.test_client().get("/figures?period=2026-H1").get_data(as_text=True)
    assert number(after, "coverage-held") == "2/3" and number(after, "opinions-total") == "3"
    assert laptop.test_client().get("/figures?period=2026-Q9").status_code == 400


@pytest.mark.timeout(120)
def test_the_office_counts_what_the_laptop_counts(central, laptop, tmp_path):
    hold("Bản Nà Lò", datetime(2026, 3, 9, 23, 30), households=55, said=[
        ("Sửa đường vào bản", "construction", "petition"), ("Nước sinh hoạt", "water", "opinion")])
    # The same households again at a village meeting: represented once, not 55 + 50.
    hold("Bản Nà Lò", datetime(2026, 2, 1, 8, 0), kind="village_meeting", households=50)
    hold("Bản Đán", datetime(2026, 3, 10, 6, 0), said=[("Sau kỳ", "water", "opinion")])
    hold("Tiểu khu 1", datetime(2025, 12, 10, 8, 0), kind="chairman_dialogue")
    db.session.commit()
    outbox.enroll(central.url, central.enrolment_code(), "Máy bản Nà Lò")
    assert outbox.run_sync().rejected == 0
    office = create_app({"ROLE": "central", "SQLALCHEMY_DATABASE_URI": central.database,
                         "DATA_DIR": tmp_path / "office"})
    upgrade_database(office)
    with office.app_context():
        token = create_token(create_account("canbo", "mat-khau-dai", "officer", MUONG_LA),
                             "báo cáo")
        db.session.commit()
        db.engine.dispose()
    import requests

    for code, held, forums_total, total in (("2026-Q1", 1, 3, 2), ("2026-H1", 2, 4, 3)):
        body = requests.get(f"{central.url}/central/api/v1/reports", params={"period": code},
                            headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
        page = laptop.test_client().get(f"/figures?period={code}").get_data(as_text=True)
        assert number(page, "coverage-held") == f"{held}/3"
        assert (body["coverage"]["held"], body["coverage"]["villages"]) == (held, 3)
        assert body["forums"]["total"] == forums_total == int(number(page, "forums-total"))
        assert body["opinions"]["total"] == total == int(number(page, "opinions-total"))
        assert body["coverage"]["dialogues"] == 1
        households = body["forums"]["attendance"]["households_represented"]
        assert households == 55
        assert f"hộ có đại diện: {households}." in page


def test_a_forum_planned_for_later_is_not_held_on_the_laptop(laptop):
    now = vietnam_now()
    hold("Bản Nà Lò", now - timedelta(hours=2))
    hold("Bản Đán", now + timedelta(days=3))
    hold("Tiểu khu 1", now + timedelta(days=3), kind="chairman_dialogue")
    db.session.commit()
    today = now.date()
    window = f"from={today - timedelta(days=10)}&to={today + timedelta(days=10)}"
    page = laptop.test_client().get(f"/figures?{window}").get_data(as_text=True)
    assert number(page, "coverage-held") == "1/3"
    assert number(page, "forums-total") == "1"
    assert "Đối thoại của Chủ tịch UBND xã: 0/2." in page


def test_households_represented_count_each_village_once(laptop):
    hold("Bản Nà Lò", datetime(2026, 1, 5, 8, 0), households=55)
    hold("Bản Nà Lò", datetime(2026, 2, 5, 8, 0), kind="village_meeting", households=50)
    hold("Bản Đán", datetime(2026, 2, 6, 8, 0), households=30)
    db.session.commit()
    page = laptop.test_client().get("/figures?period=2026-Q1").get_data(as_text=True)
    assert "hộ có đại diện: 85." in page  # 55 (Nà Lò's best) + 30, not 55 + 50 + 30
    assert "không cộng dồn các hội nghị của một bản" in page
