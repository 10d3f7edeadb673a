"""Forums: create, validate attendance, decisions, finalise, amend."""

import uuid
from datetime import datetime, timedelta

import pytest

from field_app.errors import Locked, ValidationFailed
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.forums.models import Amendment, Forum
from field_app.labels import forum_status
from field_app.opinions.logic import vietnam_now


def forum_form(village, **overrides):
    data = {"kind": "listening", "village_id": str(village.id),
            "started_at": "2026-11-20T08:00", "venue": "Nhà văn hóa", "chair": "Lò Văn Minh",
            "secretary": "Quàng Thị Hoa", "attendance_total": "64", "attendance_women": "30",
            "attendance_ethnic_minority": "60", "households_represented": "70"}
    data.update(overrides)
    return data


def test_forum_created_from_the_form(client, villages):
    response = client.post("/forums/new", data=forum_form(villages[0]))
    assert response.status_code == 302
    forum = db.session.execute(db.select(Forum)).scalar_one()
    assert forum.started_at == datetime(2026, 11, 20, 8, 0)
    assert forum.attendance_women == 30
    assert forum.status == "draft"
    page = client.get(response.headers["Location"])
    assert "Bản Nà Lò" in page.text and "Lò Văn Minh" in page.text


@pytest.mark.parametrize("typed, expected", [
    ("20/11/2026 08:30", datetime(2026, 11, 20, 8, 30)),  # as the error message asks
    ("5/11/2026 14:05", datetime(2026, 11, 5, 14, 5)),
    ("20/11/2026 8h30", datetime(2026, 11, 20, 8, 30)),
    ("2026-11-20T08:30", datetime(2026, 11, 20, 8, 30)),  # the datetime-local input's
])
def test_forum_time_is_taken_as_typed_day_first_or_as_the_browser_sends_it(
        client, villages, typed, expected):
    response = client.post("/forums/new", data=forum_form(villages[0], started_at=typed,
                                                          ended_at=""))
    assert response.status_code == 302, response.text
    assert db.session.execute(db.select(Forum)).scalar_one().started_at == expected


@pytest.mark.parametrize("field, value, message", [
    ("attendance_women", "65", "Không được lớn hơn tổng số người dự"),
    ("attendance_ethnic_minority", "99", "Không được lớn hơn tổng số người dự"),
    ("households_represented", "121", "Không được lớn hơn số hộ của Bản Nà Lò"),
    ("attendance_total", "-1", "Phải từ 0"),
    ("ended_at", "2026-11-20T07:00", "Giờ kết thúc phải sau giờ bắt đầu"),
    ("village_id", "", "Ô này bắt buộc"),
    ("started_at", "hôm qua", "Ngày giờ không hợp lệ"),
    ("started_at", "31/11/2026 08:30", "dạng ngày/tháng/năm giờ:phút"),
    ("started_at", "2062-11-20T08:00", "Ngày bắt đầu quá xa"),  # 2026 mistyped
])
def test_bad_forum_input_is_shown_next_to_the_field_and_nothing_saved(
        client, villages, field, value, message):
    page = client.post("/forums/new", data=forum_form(villages[0], **{field: value}))
    assert page.status_code == 200
    assert message in page.text
    assert 'class="field has-error"' in page.text or "has-error" in page.text
    assert db.session.query(Forum).count() == 0


def test_decision_votes_cannot_exceed_attendance(forum):
    with pytest.raises(ValidationFailed) as caught:
        forums.add_decision(forum, "Làm đường", votes_for=60, votes_against=10)
    assert "votes_for" in caught.value.details
    decision = forums.add_decision(forum, "Làm đường nội bản", 50, 4, 2)
    assert forums.decision_passed(forum, decision) is True  # 50 > 70 / 2


def test_finalise_needs_chair_secretary_and_attendance(villages):
    bare = forums.create_forum({"village_id": villages[1].id,
                                "started_at": datetime(2026, 11, 21, 14, 0)})
    with pytest.raises(ValidationFailed) as caught:
        forums.finalise_forum(bare)
    assert set(caught.value.details) == {"chair", "secretary", "attendance_total"}


def test_finalised_forum_is_locked_and_backed_up(client, forum, app):
    response = client.post(f"/forums/{forum.id}/finalise")
    assert response.status_code == 302
    db.session.refresh(forum)
    assert forum.is_finalised and forum.finalised_at is not None
    backups = list((app.config["DATA_DIR"] / "backups").glob(f"*finalised-{forum.id}.sqlite3"))
    assert len(backups) == 1
    with pytest.raises(Locked):
        forums.update_forum(forum, {"village_id": forum.village_id,
                                    "started_at": forum.started_at})
    page = client.post(f"/forums/{forum.id}/decisions", data={"d-text": "Thêm"})
    assert page.status_code == 409


def test_amendment_keeps_old_value_reason_and_author(client, forum):
    forums.finalise_forum(forum)
    db.session.commit()
    data = {name: getattr(forum, name) for name in forums.FORUM_FIELDS}
    data = {k: v.strftime("%Y-%m-%dT%H:%M") if isinstance(v, datetime) else v
            for k, v in data.items() if v is not None}
    data.update(attendance_total="66", reason="", author="")
    refused = client.post(f"/forums/{forum.id}/edit", data=data)
    assert "Ô này bắt buộc" in refused.text
    data.update(reason="Đếm sót 2 người đến muộn", author="Quàng Thị Hoa")
    assert client.post(f"/forums/{forum.id}/edit", data=data).status_code == 302
    db.session.refresh(forum)
    assert forum.attendance_total == 66
    amendment = db.session.execute(db.select(Amendment)).scalar_one()
    assert (amendment.field, amendment.old_value, amendment.new_value) == (
        "attendance_total", "64", "66")
    assert amendment.author == "Quàng Thị Hoa"
    assert "Đếm sót 2 người" in client.get(f"/forums/{forum.id}").text


def test_amendment_that_changes_nothing_is_refused(forum):
    forums.finalise_forum(forum)
    same = {name: getattr(forum, name) for name in forums.FORUM_FIELDS}
    with pytest.raises(ValidationFailed):
        forums.amend_forum(forum, same, "không đổi", "Hoa")


def test_html_forms_are_csrf_protected(tmp_path, villages, app):
    """A form posted without the page's token (e.g. from another site) is refused."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    refused = client.post("/forums/new", data=forum_form(villages[0]))
    assert refused.status_code == 400
    assert "Phiên làm việc đã hết hạn" in refused.text
    assert db.session.query(Forum).count() == 0
    page = client.get("/forums/new").text
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    accepted = client.post("/forums/new", data={**forum_form(villages[0]), "csrf_token": token})
    assert accepted.status_code == 302
    assert db.session.query(Forum).count() == 1


def test_amended_attendance_cannot_fall_below_the_votes_counted(forum):
    forums.add_decision(forum, "Làm đường nội bản", 50, 4, 2)
    forums.finalise_forum(forum)
    data = {name: getattr(forum, name) for name in forums.FORUM_FIELDS}
    with pytest.raises(ValidationFailed) as caught:
        forums.amend_forum(forum, {**data, "attendance_total": 55,
                                   "attendance_ethnic_minority": 50}, "Đếm lại", "Hoa")
    assert "attendance_total" in caught.value.details
    assert forum.attendance_total == 64


def test_forum_list_pages_newest_first_and_keeps_the_village(client, villages, app):
    app.config["PAGE_SIZE"] = 2
    for day in range(1, 6):
        forums.create_forum({"village_id": villages[0].id, "kind": "listening",
                             "started_at": datetime(2026, 11, day, 8)})
    forums.create_forum({"village_id": villages[1].id, "kind": "listening",
                         "started_at": datetime(2026, 11, 30, 8)})
    db.session.commit()
    first = client.get("/", query_string={"village": str(villages[0].id)}).text
    assert "Trang 1 / 3" in first and "05/11/2026 08:00" in first
    assert "04/11/2026" in first and "03/11/2026" not in first and "30/11/2026" not in first
    assert f"village={villages[0].id}" in first and "page=2" in first
    last = client.get("/", query_string={"village": str(villages[0].id), "page": 3}).text
    assert "Trang 3 / 3" in last and "01/11/2026 08:00" in last and "02/11/2026" not in last
    everyone = client.get("/").text
    assert "Trang 1 / 3" in everyone and "30/11/2026 08:00" in everyone


def test_a_forum_still_ahead_is_shown_as_planned_not_as_recording(client, villages):
    now = vietnam_now()
    ahead = forums.create_forum({"village_id": villages[0].id, "kind": "listening",
                                 "started_at": now + timedelta(days=2)})
    held = forums.create_forum({"village_id": villages[1].id, "kind": "listening",
                                "started_at": now - timedelta(hours=1)})
    db.session.commit()
    listed = client.get("/").text
    row = listed.split(f"{ahead.id}")[1].split("</tr>")[0]
    assert '<span class="badge planned">Sắp họp</span>' in row
    row = listed.split(f"{held.id}")[1].split("</tr>")[0]
    assert '<span class="badge draft">Đang ghi</span>' in row
    page = client.get(f"/forums/{ahead.id}").text
    assert '<span class="badge planned">Sắp họp</span>' in page and "Đang ghi" not in page


@pytest.mark.parametrize(("status", "minutes", "shown"), [
    ("draft", 1, "planned"), ("draft", -1, "draft"), ("finalised", 60, "finalised")])
def test_only_a_draft_still_ahead_is_planned(status, minutes, shown):
    now = datetime(2026, 12, 2, 9, 0)
    assert forum_status(status, now + timedelta(minutes=minutes), now) == shown


def test_the_forum_page_says_what_is_missing_instead_of_offering_to_finalise(client, villages):
    bare = forums.create_forum({"village_id": villages[1].id,
                                "started_at": datetime(2026, 11, 21, 14, 0),
                                "chair": "Lò Văn Minh"})
    db.session.commit()
    assert set(forums.finalise_missing(bare)) == {"secretary", "attendance_total"}
    page = client.get(f"/forums/{bare.id}").text
    assert f'action="/forums/{bare.id}/finalise"' not in page  # no confirm to answer first
    assert "Cần ghi thư ký." in page and "Cần ghi tổng số người dự." in page
    assert "Cần ghi người chủ trì." not in page
    assert f'href="/forums/{bare.id}/edit?finalise=1#secretary"' in page
    form = client.get(f"/forums/{bare.id}/edit?finalise=1").text
    assert "Cần ghi thư ký." in form and "Cần ghi người chủ trì." not in form
    # The server still refuses, whatever a page offered.
    refused = client.post(f"/forums/{bare.id}/finalise")
    assert refused.headers["Location"] == f"/forums/{bare.id}/edit?finalise=1"
    assert not db.session.get(Forum, bare.id).is_finalised


def test_minutes_of_a_meeting_still_to_come_are_not_finalised(client, villages):
    """The trial: a forum typed for 05/12 was finalised on 02/12 and the office counted
    the village as having held its forum."""
    from datetime import timedelta

    from field_app.opinions.logic import vietnam_now

    later = (vietnam_now() + timedelta(days=3)).replace(second=0, microsecond=0)
    planned = forums.create_forum({"village_id": villages[1].id, "started_at": later,
                                   "chair": "Lò Văn Minh", "secretary": "Quàng Thị Hoa",
                                   "attendance_total": 55})
    db.session.commit()
    assert set(forums.finalise_missing(planned)) == {"started_at"}
    page = client.get(f"/forums/{planned.id}").text
    assert f'action="/forums/{planned.id}/finalise"' not in page
    assert f"bắt đầu lúc {later:%d/%m/%Y %H:%M}, chưa đến giờ" in page
    refused = client.post(f"/forums/{planned.id}/finalise")
    assert refused.headers["Location"] == f"/forums/{planned.id}/edit?finalise=1"
    assert not db.session.get(Forum, planned.id).is_finalised
    # The start corrected to this morning: the minutes can be finalised.
    forums.update_forum(planned, {"village_id": planned.village_id,
                                  "started_at": vietnam_now() - timedelta(hours=2),
                                  "chair": "Lò Văn Minh", "secretary": "Quàng Thị Hoa",
                                  "attendance_total": 55})
    db.session.commit()
    assert client.post(f"/forums/{planned.id}/finalise").status_code == 302
    assert db.session.get(Forum, planned.id).is_finalised


def test_a_complete_forum_offers_finalising_with_its_question(client, forum):
    assert forums.finalise_missing(forum) == {}
    page = client.get(f"/forums/{forum.id}").text
    assert f'action="/forums/{forum.id}/finalise"' in page and "data-confirm=" in page
    assert 'id="finalise-missing"' not in page


def test_the_same_new_forum_form_sent_twice_makes_one_forum_and_says_so(client, villages):
    client_id = str(uuid.uuid4())
    first = client.post("/forums/new", data=forum_form(villages[0], client_id=client_id))
    assert "Đã tạo hội nghị" in client.get(first.headers["Location"]).text
    # Back, Lưu again: the forum already saved, not a second one.
    again = client.post("/forums/new", data=forum_form(villages[0], client_id=client_id))
    assert again.status_code == 302
    assert again.headers["Location"].split("#")[0] == first.headers["Location"].split("#")[0]
    assert db.session.query(Forum).count() == 1
    page = client.get(again.headers["Location"]).text
    assert "Hội nghị này đã được lưu trước đó; đây là hội nghị đã lưu." in page
    assert "Đã tạo hội nghị" not in page and "thay đổi vừa nhập CHƯA" not in page


def test_a_new_forum_form_sent_again_with_a_change_says_the_change_is_not_saved(
        client, villages):
    client_id = str(uuid.uuid4())
    client.post("/forums/new", data=forum_form(villages[0], client_id=client_id))
    # Back, the venue changed, Lưu: not a second forum, and not a silent drop either.
    again = client.post("/forums/new", data=forum_form(villages[0], client_id=client_id,
                                                       venue="Sân bóng"))
    assert again.headers["Location"] == f"/forums/{client_id}/edit"
    forum = db.session.execute(db.select(Forum)).scalar_one()
    assert forum.venue == "Nhà văn hóa"
    page = client.get(again.headers["Location"]).text
    assert ("Hội nghị này đã được lưu trước đó; những thay đổi vừa nhập CHƯA được lưu"
            in page)


def test_a_new_forum_form_sent_back_with_errors_keeps_its_client_id(client, villages):
    client_id = str(uuid.uuid4())
    page = client.post("/forums/new", data=forum_form(villages[0], client_id=client_id,
                                                      attendance_women="65"))
    assert "Không được lớn hơn tổng số người dự" in page.text
    assert f'name="client_id" type="hidden" value="{client_id}"' in page.text
    client.post("/forums/new", data=forum_form(villages[0], client_id=client_id))
    assert [str(f.id) for f in db.session.execute(db.select(Forum)).scalars()] == [client_id]
