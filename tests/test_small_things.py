"""Small things a village head noticed: Vietnam time, MTTQ intake's date and channels,
category names in English, the forum's title."""

import time
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from field_app.extensions import db
from field_app.opinions import logic as opinions
from field_app.opinions.models import Opinion
from field_app.outbox.capture import wire_data
from sync.records import CHANNELS, validate_record

VIETNAM = timezone(timedelta(hours=7))


@pytest.fixture
def utc_machine(monkeypatch):
    """A laptop whose clock is set to UTC, as many are."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_new_forum_defaults_to_vietnam_time_on_a_utc_machine(client, villages, utc_machine):
    page = client.get("/forums/new").text
    shown = page.split('id="started_at"')[1].split('value="')[1][:16]
    now = datetime.now(VIETNAM).replace(tzinfo=None)
    assert abs(datetime.fromisoformat(shown) - now) < timedelta(minutes=2)


@pytest.mark.parametrize("channel", ["email", "facebook"])
def test_mttq_intake_takes_email_and_facebook(client, villages, channel):
    page = client.get("/opinions/new").text
    assert f'value="{channel}"' in page
    made = client.post("/opinions/new", data={
        "channel": channel, "kind": "petition", "village_id": str(villages[0].id),
        "category_code": "land", "level": "commune", "content": "Thư góp ý về đất",
        "received_on": "2026-11-25"})
    assert made.status_code == 302, made.text
    stored = db.session.execute(select(Opinion)).scalar_one()
    assert stored.channel == channel and stored.received_on == date(2026, 11, 25)
    assert set(("email", "facebook")) <= set(CHANNELS)


def test_date_received_is_stored_and_goes_on_the_wire(villages):
    said = opinions.create_opinion({
        "channel": "mttq", "village_id": villages[0].id, "content": "Kiến nghị qua MTTQ",
        "category_code": "land", "received_on": "2026-11-20"})
    db.session.commit()
    data = wire_data("opinion", said)
    assert data["received_on"] == "2026-11-20"
    assert not validate_record("opinion", {**data, "id": str(said.id)})
    # An older laptop sends no such field: still valid.
    del data["received_on"]
    assert not validate_record("opinion", {**data, "id": str(said.id)})


@pytest.mark.parametrize("typed", ["25/11/2026", "2026-11-25"])
def test_date_received_is_taken_day_first_as_the_message_asks_or_iso(client, villages, typed):
    made = client.post("/opinions/new", data={
        "channel": "mttq", "kind": "petition", "village_id": str(villages[0].id),
        "category_code": "land", "level": "commune", "content": "Thư góp ý về đất",
        "received_on": typed})
    assert made.status_code == 302, made.text
    api = client.post("/api/v1/opinions", json={
        "channel": "mttq", "village_id": str(villages[0].id), "content": "Qua API",
        "category_code": "water", "received_on": typed})
    assert api.status_code == 201, api.get_json()
    stored = db.session.execute(select(Opinion.received_on)).scalars().all()
    assert stored == [date(2026, 11, 25)] * 2
    said = opinions.create_opinion({"channel": "mttq", "village_id": villages[0].id,
                                    "content": "Gọi tên hàm", "received_on": typed})
    assert said.received_on == date(2026, 11, 25)


def test_a_bad_date_received_says_the_form_to_type(client, villages):
    page = client.post("/opinions/new", data={
        "channel": "mttq", "kind": "petition", "village_id": str(villages[0].id),
        "category_code": "land", "level": "commune", "content": "Thư góp ý về đất",
        "received_on": "31/11/2026"})
    assert page.status_code == 200 and "dạng ngày/tháng/năm" in page.text
    api = client.post("/api/v1/opinions", json={
        "channel": "mttq", "village_id": str(villages[0].id), "content": "Qua API",
        "received_on": "hôm qua"})
    assert api.status_code == 422
    assert "ngày/tháng/năm" in api.get_json()["details"]["received_on"][0]


def test_date_received_cannot_be_in_the_future(villages):
    from field_app.errors import ValidationFailed

    tomorrow = (datetime.now(VIETNAM) + timedelta(days=1)).date()
    with pytest.raises(ValidationFailed) as refused:
        opinions.create_opinion({"channel": "mttq", "village_id": villages[0].id,
                                 "content": "x", "received_on": tomorrow.isoformat()})
    assert "received_on" in refused.value.details


def test_date_received_through_the_api(client, villages):
    made = client.post("/api/v1/opinions", json={
        "channel": "zalo", "village_id": str(villages[0].id), "content": "Qua Zalo",
        "category_code": "water", "received_on": "2026-11-28"})
    assert made.status_code == 201, made.text
    assert made.get_json()["received_on"] == "2026-11-28"


def test_intake_form_defaults_the_date_received_to_vietnam_today(client, villages, utc_machine):
    page = client.get("/opinions/new").text
    shown = page.split('id="received_on"')[1].split('value="')[1][:10]
    assert shown == datetime.now(VIETNAM).date().isoformat()


def test_seeded_categories_are_translated_in_the_english_ui(client, forum):
    opinions.create_opinion({"content": "Nước sạch", "category_code": "water"}, forum)
    db.session.commit()
    client.set_cookie("lang", "en")
    page = client.get(f"/forums/{forum.id}").text
    assert "Domestic water" in page and "Nước sinh hoạt" not in page
    assert "Land" in client.get("/opinions/new").text
    from flask_babel import refresh

    refresh()  # the test's app context outlives each request: forget the cached locale
    vietnamese = client.application.test_client()
    assert "Nước sinh hoạt" in vietnamese.get(f"/forums/{forum.id}").text


def test_a_category_the_office_named_keeps_its_name_in_english(client, villages):
    opinions.add_category("Cầu treo")
    db.session.commit()
    client.set_cookie("lang", "en")
    assert "Cầu treo" in client.get("/categories").text


def test_forum_title_on_its_page_and_in_the_list(client, villages):
    from field_app.forums import logic as forums

    made = forums.create_forum({"kind": "chairman_dialogue", "village_id": villages[0].id,
                                "started_at": datetime(2026, 11, 29, 8),
                                "title": "Đối thoại về thủ tục đất đai"})
    db.session.commit()
    assert "Đối thoại về thủ tục đất đai" in client.get(f"/forums/{made.id}").text
    assert "Đối thoại về thủ tục đất đai" in client.get("/").text
