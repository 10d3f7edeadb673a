"""The read-out list on the laptop: which answers wait, what a changed answer does, offline pages.

The laptop's database is prepared as a pull leaves it (`outbox.logic.apply_changes`).
"""

from __future__ import annotations

from datetime import timedelta

from field_app.answers import logic as answers
from field_app.extensions import db
from field_app.models_base import utcnow
from field_app.opinions import logic as opinions
from field_app.outbox import logic as outbox
from field_app.outbox.capture import APPLYING_CENTRAL, clock
from field_app.outbox.models import Outbox


def pulled(at, *pairs):
    """Apply the office's answers as a pull does, at `at` (an answer's text, or its fields)."""
    changes = [{"c": "opinion", "id": str(opinion.id), "central_hlc": clock().now().encode(),
                "central": {"status": "answered",
                            **(answer if isinstance(answer, dict) else {"answer_text": answer})}}
               for opinion, answer in pairs]
    db.session.info[APPLYING_CENTRAL] = True
    try:
        outbox.apply_changes(changes, outbox.state(), None, at)
    finally:
        db.session.info.pop(APPLYING_CENTRAL)
    db.session.commit()


def said(forum, *texts):
    made = [opinions.create_opinion({"content": text, "raiser_name": "Lò Văn Pọm",
                                     "category_code": "construction"}, forum)
            for text in texts]
    db.session.commit()
    return made


def test_a_changed_answer_comes_back_to_be_read_out_again(app, forum):
    first, second = said(forum, "Đường vào bản sạt lở", "Thiếu nước sinh hoạt")
    pulled(utcnow() - timedelta(days=2), (first, "Xã sẽ sửa đường."))
    village = forum.village
    assert [item.opinion.id for item in answers.answers(village)] == [first.id]
    assert answers.unread_count(village.id) == 1 == answers.unread_counts()[village.id]

    before = db.session.query(Outbox).count()
    answers.mark_read_out(first.id, forum.id)
    db.session.commit()
    assert answers.answers(village) == [] and answers.unread_count(village.id) == 0
    assert [item.read_out for item in answers.answers(village, include_read=True)] == [True]
    # Reading out is the laptop's own note: nothing to send to the office.
    assert db.session.query(Outbox).count() == before

    # The office answers again (a correction of its answer): read out again.
    pulled(utcnow(), (first, "Xã sửa đường xong trước Tết."),
           (second, "Xã sẽ khoan giếng."))
    listed = answers.answers(village)
    assert [item.opinion.answer_text for item in listed] == [
        "Xã sửa đường xong trước Tết.", "Xã sẽ khoan giếng."]
    assert answers.unread_count(village.id) == 2
    assert db.session.query(Outbox).count() == before

    # Put back on the list by hand, then recorded: recording marks it read out.
    answers.record_satisfaction(second.id, "satisfied", forum.id)
    db.session.commit()
    assert [item.opinion.id for item in answers.answers(village)] == [first.id]
    answers.mark_read_out(second.id, read=False)
    db.session.commit()
    assert {item.opinion.id for item in answers.answers(village)} == {first.id, second.id}
    assert db.session.get(type(second), second.id).satisfaction == "satisfied"


def test_the_same_recording_twice_sends_nothing_new(app, forum):
    (first,) = said(forum, "Đường vào bản sạt lở")
    pulled(utcnow(), (first, "Xã sẽ sửa đường."))
    answers.record_satisfaction(first.id, "absent", forum.id)
    db.session.commit()
    queued = db.session.query(Outbox).count()
    answers.record_satisfaction(first.id, "absent", forum.id)
    db.session.commit()
    assert db.session.query(Outbox).count() == queued
    # Another value is a new recording: one more change to send, all four fields.
    answers.record_satisfaction(first.id, "satisfied", forum.id)
    db.session.commit()
    last = db.session.query(Outbox).order_by(Outbox.seq.desc()).first()
    assert set(last.fields.split(",")) >= {"satisfaction", "satisfaction_at",
                                           "satisfaction_forum_id", "satisfaction_by"}


def test_the_meeting_pages_keep_the_read_out_lists(app, client, forum):
    (first,) = said(forum, "Đường vào bản sạt lở")
    pages = client.get("/offline-pages.json").get_json()["pages"]
    assert "/answers" in pages
    assert not any(page.startswith(f"/villages/{forum.village_id}/answers") for page in pages)
    pulled(utcnow(), (first, "Xã sẽ sửa đường."))
    pages = client.get("/offline-pages.json").get_json()["pages"]
    assert f"/villages/{forum.village_id}/answers" in pages
    assert f"/villages/{forum.village_id}/answers?forum={forum.id}" in pages


def test_bad_satisfaction_through_the_json_endpoint_is_refused_with_a_reason(app, client,
                                                                             forum):
    (first,) = said(forum, "Đường vào bản sạt lở")
    url = f"/api/v1/opinions/{first.id}/satisfaction"
    # Not answered yet.
    refused = client.post(url, json={"satisfaction": "satisfied"})
    assert refused.status_code == 422
    assert "chưa có trả lời của xã" in refused.get_json()["message"]
    pulled(utcnow(), (first, "Xã sẽ sửa đường."))
    queued = db.session.query(Outbox).count()
    for body, status, said_ in (
            ({"satisfaction": "bogus"}, 422, "Mức độ hài lòng không hợp lệ"),
            ({"satisfaction": 5}, 422, "Mức độ hài lòng không hợp lệ"),
            ({"satisfaction": "satisfied", "forum_id": "không-phải-mã"}, 422,
             "không phải của bản/thôn có ý kiến"),
            ([1, 2], 422, "đối tượng JSON")):
        answer = client.post(url, json=body)
        assert answer.status_code == status, body
        assert said_ in answer.get_json()["message"], body
    assert client.post(url, data="satisfied").status_code == 415
    missing = client.post("/api/v1/opinions/00000000-0000-4000-8000-000000000000/satisfaction",
                          json={"satisfaction": "satisfied"})
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"
    db.session.expire_all()
    assert db.session.get(type(first), first.id).satisfaction is None
    assert db.session.query(Outbox).count() == queued

    # A good one, sent twice (a replayed queue item): one change to send.
    for _ in range(2):
        done = client.post(url, json={"satisfaction": "absent", "forum_id": str(forum.id),
                                      "content": "Vắng mặt — Đường vào bản sạt lở"})
        assert done.status_code == 200
        assert done.get_json()["satisfaction"] == "absent"
    assert db.session.query(Outbox).count() == queued + 1


def test_the_forum_offered_is_the_one_being_held_not_the_one_that_raised_it(app, forum):
    """Answers are read out at the village's next forum: a draft forum of 20/11 (where the
    petition was raised) is not where satisfaction is recorded on 30/11."""
    from datetime import datetime

    from field_app.forums import logic as forums

    with app.app_context():
        village = db.session.get(type(forum.village), forum.village_id)
        assert answers.next_forum(village, now=datetime(2026, 11, 20, 15, 0)).id == forum.id
        assert answers.next_forum(village, now=datetime(2026, 11, 30, 9, 0)) is None
        today = forums.create_forum({
            "kind": "listening", "village_id": village.id,
            "started_at": datetime(2026, 11, 30, 8, 0), "venue": "Nhà văn hóa",
            "chair": "Lò Văn Minh", "secretary": "Quàng Thị Hoa"})
        db.session.commit()
        assert answers.next_forum(village, now=datetime(2026, 11, 30, 9, 0)).id == today.id


def test_who_answered_is_named_as_the_office_names_it(app, client, forum):
    """The office types who answered (a body or a person); the read-out says the same."""
    from field_app import labels

    (first,) = said(forum, "Đường vào bản sạt lở")
    pulled(utcnow(), (first, "Xã sẽ sửa đường."))
    page = client.get(f"/villages/{forum.village_id}/answers").get_data(as_text=True)
    assert f'{labels.FIELD_LABELS["answer_by"]}: <span class="answer-by">' in page
    assert "Cơ quan/người trả lời:" in page and "Cơ quan trả lời" not in page


def test_with_no_forum_open_the_read_out_says_how_to_open_one_and_come_back(app, client,
                                                                             forum):
    """The forum of 20/11 is over: the village head is told to open today's forum, given
    the button, and its page leads back to the list, now recording at that forum."""
    from datetime import datetime

    from field_app.forums import logic as forums

    (first,) = said(forum, "Đường vào bản sạt lở")
    pulled(utcnow(), (first, "Xã sẽ sửa đường."))
    village_id = forum.village_id
    page = client.get(f"/villages/{village_id}/answers").get_data(as_text=True)
    hint = page.split('id="no-forum-hint"')[1].split("</div>")[0]
    assert "Bản Nà Lò chưa có hội nghị nào đang họp hôm nay." in hint
    assert f'href="/forums/new?village={village_id}"' in hint
    assert "Mở hội nghị của Bản Nà Lò" in hint and "bấm «Lưu»" in hint
    assert "Trả lời của xã cần đọc tại hội nghị này" in hint
    form = client.get(f"/forums/new?village={village_id}").get_data(as_text=True)
    assert f'selected value="{village_id}"' in form
    today = forums.create_forum({"kind": "listening", "village_id": village_id,
                                 "started_at": datetime.now().replace(microsecond=0),
                                 "venue": "Nhà văn hóa", "chair": "Lò Văn Minh"})
    db.session.commit()
    forum_page = client.get(f"/forums/{today.id}").get_data(as_text=True)
    back = f"/villages/{village_id}/answers?forum={today.id}"
    assert f'href="{back}">Trả lời của xã cần đọc tại hội nghị này' in forum_page
    listed = client.get(back).get_data(as_text=True)
    assert 'id="no-forum-hint"' not in listed and "Đang ghi tại hội nghị ngày" in listed
    assert f'name="forum_id" value="{today.id}"' in listed


def test_with_today_s_forum_finalised_the_read_out_says_so(app, client, forum):
    """Today's forum was held and its minutes finalised before the answers were read: the
    list says that forum is closed, not that the village held none."""
    from datetime import datetime

    from field_app.forums import logic as forums

    (first,) = said(forum, "Đường vào bản sạt lở")
    pulled(utcnow(), (first, "Xã sẽ sửa đường."))
    today = forums.create_forum({
        "kind": "listening", "village_id": forum.village_id,
        "started_at": datetime.now().replace(microsecond=0), "venue": "Nhà văn hóa",
        "chair": "Lò Văn Minh", "secretary": "Quàng Thị Hoa", "attendance_total": 40,
        "attendance_women": 20, "attendance_ethnic_minority": 38,
        "households_represented": 35})
    forums.finalise_forum(today)
    db.session.commit()
    page = client.get(f"/villages/{forum.village_id}/answers").get_data(as_text=True)
    hint = page.split('id="no-forum-hint"')[1].split("</div>")[0]
    assert (f"Hội nghị ngày {today.started_at:%d/%m/%Y} của Bản Nà Lò đã chốt biên bản"
            in hint)
    assert "chưa có hội nghị nào đang họp hôm nay" not in hint


def test_a_case_s_answer_is_read_out_once_with_each_citizen_beside_it(app, client, forum):
    """Two citizens of the village raised the same thing; the office merged them into one
    case and answered it: the list (and its printout) shows the answer once, each citizen's
    opinion beside it with their own satisfaction."""
    road, again, water = [
        opinions.create_opinion({"content": text, "raiser_name": name,
                                 "category_code": "construction"}, forum)
        for text, name in (("Đường vào bản sạt lở", "Lò Văn Pọm"),
                           ("Đường vào bản bị sạt, xe máy không qua được", "Quàng Thị Xuân"),
                           ("Thiếu nước sinh hoạt", "Cầm Văn Sơn"))]
    db.session.commit()
    answer = {"answer_text": "Xã sẽ sửa đoạn đường sạt trước Tết.",
              "answer_by": "Chủ tịch UBND xã", "answer_doc_number": "12/UBND-VP",
              "answer_date": "2026-11-25"}
    pulled(utcnow(), (road, answer), (again, {**answer, "merged_into": str(road.id)}),
           (water, "Xã sẽ khoan giếng."))
    village = forum.village
    groups = answers.grouped(answers.answers(village))
    assert [[item.opinion.id for item in group.items] for group in groups] == [
        [road.id, again.id], [water.id]]

    answers.record_satisfaction(again.id, "unsatisfied", forum.id)
    db.session.commit()
    page = client.get(f"/villages/{village.id}/answers?all=1").get_data(as_text=True)
    table = page.split('class="readout-table"')[1].split("</table>")[0]
    assert table.count("Xã sẽ sửa đoạn đường sạt trước Tết.") == 1
    assert table.count("12/UBND-VP") == 1 and 'rowspan="2"' in table
    assert "Trả lời chung cho 2 ý kiến trùng nhau của bản" in table
    shared = table.split(f'id="answer-{road.id}"')[1].split(f'id="answer-{water.id}"')[0]
    for opinion, name in ((road, "Lò Văn Pọm"), (again, "Quàng Thị Xuân")):
        assert name in shared
        row = shared.split(f'id="answer-{opinion.id}"')[-1].split("</tr>")[0]
        # Each citizen: their own buttons, and their own box to tick on paper.
        assert f'action="/answers/{opinion.id}/satisfaction"' in row
        assert row.count('class="readout-boxes print-only"') == 1
    again_row = shared.split(f'id="answer-{again.id}"')[1].split("</tr>")[0]
    assert "Đã ghi: Không hài lòng" in again_row
    road_row = shared.split(f'id="answer-{again.id}"')[0]
    assert "Chưa ghi mức độ hài lòng" in road_row
    # The numbering counts answers read out: two, not three.
    assert [cell.split("</td>")[0] for cell in table.split('<td class="n"')[1:]] == [
        ' rowspan="2">1', ' rowspan="1">2']
