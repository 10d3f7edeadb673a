"""Opinions: quick entry, intake outside forums, validation, search, amendments."""

import re
import unicodedata
import uuid

import pytest

from field_app.errors import Locked, ValidationFailed
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.forums.models import Amendment
from field_app.opinions import logic as opinions
from field_app.opinions.models import Opinion


def quick(content, **fields):
    data = {"op-channel": "forum", "op-kind": "petition", "op-category_code": "construction",
            "op-level": "commune", "op-content": content, "op-needs_follow_up": "y"}
    data.update({f"op-{k}": v for k, v in fields.items()})
    return data


def test_quick_entry_saves_and_returns_to_an_empty_form(client, forum):
    response = client.post(f"/forums/{forum.id}/opinions",
                           data=quick("Đường vào bản bị sạt lở", raiser_name="Lò Văn Panh"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#quick")
    assert "kind=petition" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert "Đường vào bản bị sạt lở" in page.text
    opinion = db.session.execute(db.select(Opinion)).scalar_one()
    assert (opinion.position, opinion.village_id, opinion.kind) == (1, forum.village_id,
                                                                    "petition")
    # The next speaker's form comes back empty with the kind still chosen.
    assert '<option selected value="petition">' in page.text
    assert "Lò Văn Panh</textarea>" not in page.text


def test_replayed_quick_entry_with_the_same_client_id_is_stored_once(client, forum):
    client_id = str(uuid.uuid4())
    for _ in range(2):
        client.post(f"/forums/{forum.id}/opinions", data=quick("Xin làm cầu treo",
                                                               client_id=client_id))
    assert db.session.query(Opinion).count() == 1
    assert str(db.session.execute(db.select(Opinion.id)).scalar_one()) == client_id


def test_a_quick_entry_sent_again_says_it_was_already_recorded(client, forum):
    client_id = str(uuid.uuid4())
    client.post(f"/forums/{forum.id}/opinions", data=quick("Xin làm cầu treo",
                                                           client_id=client_id),
                follow_redirects=True)
    page = client.post(f"/forums/{forum.id}/opinions",
                       data=quick("Xin làm cầu treo", client_id=client_id),
                       follow_redirects=True).text
    assert "Ý kiến số 1 đã được ghi trước đó." in page and "Đã ghi ý kiến số" not in page
    assert db.session.query(Opinion).count() == 1


def test_a_quick_entry_sent_again_with_a_change_says_the_change_is_not_saved(client, forum):
    client_id = str(uuid.uuid4())
    client.post(f"/forums/{forum.id}/opinions", data=quick("Xin làm cầu treo",
                                                           client_id=client_id))
    again = client.post(f"/forums/{forum.id}/opinions",
                        data=quick("Xin làm cầu treo qua suối", client_id=client_id))
    assert again.headers["Location"] == f"/opinions/{client_id}/edit"
    assert db.session.execute(db.select(Opinion.content)).scalar_one() == "Xin làm cầu treo"
    page = client.get(again.headers["Location"]).text
    assert "Ý kiến số 1 đã được ghi trước đó; những thay đổi vừa nhập CHƯA được lưu" in page


def test_an_intake_form_sent_again_with_a_change_says_the_change_is_not_saved(
        client, villages):
    client_id = str(uuid.uuid4())
    data = {"channel": "mttq", "kind": "petition", "category_code": "water",
            "level": "commune", "village_id": str(villages[1].id),
            "content": "Nước sinh hoạt thiếu", "needs_follow_up": "y", "client_id": client_id}
    client.post("/opinions/new", data=data)
    again = client.post("/opinions/new", data={**data, "content": "Nước sinh hoạt đục"})
    assert again.headers["Location"] == f"/opinions/{client_id}/edit"
    assert db.session.query(Opinion).count() == 1
    page = client.get(again.headers["Location"]).text
    assert "Ý kiến này đã được ghi trước đó; những thay đổi vừa nhập CHƯA được lưu" in page


def test_the_same_intake_form_sent_twice_records_one_opinion(client, villages):
    client_id = str(uuid.uuid4())
    data = {"channel": "mttq", "kind": "petition", "category_code": "water",
            "level": "commune", "village_id": str(villages[1].id),
            "content": "Nước sinh hoạt thiếu", "needs_follow_up": "y", "client_id": client_id}
    first = client.post("/opinions/new", data=data)
    again = client.post("/opinions/new", data=data)
    assert again.headers["Location"] == first.headers["Location"] == f"/opinions/{client_id}"
    assert db.session.query(Opinion).count() == 1
    assert "Ý kiến này đã được ghi trước đó" in client.get(again.headers["Location"]).text


def test_empty_content_is_refused_next_to_the_field(client, forum):
    page = client.post(f"/forums/{forum.id}/opinions", data=quick(""))
    assert page.status_code == 422
    assert "Ô này bắt buộc" in page.text
    assert db.session.query(Opinion).count() == 0


PASTED = ("Kính gửi UBND xã, bản Nà Lò kiến nghị sửa đường. " * 300)[:12_800]  # > 10,000


def test_an_over_long_text_is_refused_whole_with_its_length_never_cut(client, forum,
                                                                      villages):
    said = "Quá dài (tối đa 10000 ký tự): đang có 12800 ký tự"
    page = client.post(f"/forums/{forum.id}/opinions", data=quick(PASTED))
    assert page.status_code == 422 and said in page.text
    assert PASTED in page.text  # shown again whole, for the user to shorten
    intake = client.post("/opinions/new", data={
        "channel": "mttq", "kind": "petition", "village_id": str(villages[0].id),
        "category_code": "land", "level": "commune", "content": PASTED})
    assert said in intake.text and PASTED in intake.text
    api = client.post("/api/v1/opinions", json={"forum_id": str(forum.id), "channel": "forum",
                                                "content": PASTED})
    assert api.status_code == 422
    assert said in api.get_json()["details"]["content"]
    assert db.session.query(Opinion).count() == 0
    assert 'maxlength="10000"' in client.get(f"/forums/{forum.id}").text  # without JS


@pytest.mark.parametrize("fields, key", [
    ({"raiser_phone": "abc"}, "raiser_phone"),
    ({"raiser_phone": "09123456789012345678"}, "raiser_phone"),  # 20 digits: no number
    ({"raiser_phone": "0912 345"}, "raiser_phone"),
    ({"on_behalf_households": 0}, "on_behalf_households"),
    ({"answered_on_spot": True}, "spot_answer"),
    ({"category_code": "nope"}, "category_code"),
    ({"kind": "rumour"}, "kind"),
    ({"raiser_gender": "x"}, "raiser_gender"),
])
def test_bad_opinion_fields_are_named(forum, fields, key):
    data = {"content": "Nội dung", **fields}
    with pytest.raises(ValidationFailed) as caught:
        opinions.create_opinion(data, forum=forum)
    assert key in caught.value.details


@pytest.mark.parametrize("typed", ["0912345678", "0912 345 678", "+84 912.345.678",
                                   "(0212) 3845 678"])
def test_a_phone_number_is_taken_as_people_write_it(forum, typed):
    opinion = opinions.create_opinion({"content": "Nội dung", "raiser_phone": typed},
                                      forum=forum)
    assert opinion.raiser_phone == typed


def test_anonymous_opinion_keeps_no_personal_data(forum):
    opinion = opinions.create_opinion({"content": "Tố cáo cán bộ thôn", "kind": "denunciation",
                                       "anonymous": True, "raiser_name": "Lò Văn A",
                                       "raiser_phone": "0912345678"}, forum=forum)
    assert (opinion.raiser_name, opinion.raiser_phone) == (None, None)
    assert "lo van a" not in opinion.search_text


def test_intake_outside_a_forum_needs_a_village(client, villages):
    page = client.post("/opinions/new", data={"channel": "mttq", "kind": "petition",
                                              "category_code": "water", "level": "commune",
                                              "content": "Nước sinh hoạt thiếu"})
    assert "Hãy chọn bản/thôn" in page.text
    response = client.post("/opinions/new", data={
        "channel": "mttq", "source_org": "womens_union", "kind": "petition",
        "category_code": "water", "level": "commune", "village_id": str(villages[1].id),
        "content": "Nước sinh hoạt thiếu", "needs_follow_up": "y"})
    assert response.status_code == 302
    opinion = db.session.execute(db.select(Opinion)).scalar_one()
    assert (opinion.forum_id, opinion.source_org, opinion.channel) == (None, "womens_union",
                                                                        "mttq")


def test_forum_channel_without_a_forum_is_refused(villages):
    with pytest.raises(ValidationFailed) as caught:
        opinions.create_opinion({"content": "x", "channel": "forum",
                                 "village_id": villages[0].id})
    assert "channel" in caught.value.details


@pytest.mark.parametrize("query", ["duong", "ĐƯỜNG", "đường", "Duong   sat lo", "SẠT"])
def test_search_ignores_diacritics_and_case(forum, query):
    opinions.create_opinion({"content": "Đường vào bản bị sạt lở"}, forum=forum)
    opinions.create_opinion({"content": "Thiếu nước sinh hoạt mùa khô"}, forum=forum)
    found = opinions.search_opinions(opinions.OpinionFilter(q=query))
    assert [o.content for o in found.items] == ["Đường vào bản bị sạt lở"]
    assert found.total == 1


def test_search_page_and_filters(client, forum, villages):
    opinions.create_opinion({"content": "Đường trơn", "kind": "petition"}, forum=forum)
    opinions.create_opinion({"content": "Đường hỏng", "channel": "zalo",
                             "village_id": villages[1].id, "kind": "feedback"})
    db.session.commit()
    page = client.get("/opinions", query_string={"q": "duong", "kind": "feedback"})
    assert "Đường hỏng" in page.text and "Đường trơn" not in page.text
    page = client.get("/opinions", query_string={"village_id": str(villages[0].id)})
    assert "Đường trơn" in page.text and "Đường hỏng" not in page.text


def test_search_treats_percent_and_underscore_literally(forum):
    opinions.create_opinion({"content": "Giảm 50% phí"}, forum=forum)
    opinions.create_opinion({"content": "Giảm 500 đồng"}, forum=forum)
    assert opinions.search_opinions(opinions.OpinionFilter(q="50%")).total == 1


def test_text_is_stored_nfc(forum):
    nfd = unicodedata.normalize("NFD", "Nước sinh hoạt")
    opinion = opinions.create_opinion({"content": nfd, "raiser_name": nfd}, forum=forum)
    assert opinion.content == unicodedata.normalize("NFC", "Nước sinh hoạt")
    assert opinion.content != nfd
    assert opinions.search_opinions(opinions.OpinionFilter(q="nuoc")).total == 1


def test_opinion_text_is_escaped_on_every_page(client, forum):
    evil = "<script>alert(1)</script>"
    opinion = opinions.create_opinion({"content": evil, "raiser_name": evil}, forum=forum)
    db.session.commit()
    for url in (f"/forums/{forum.id}", "/opinions", f"/opinions/{opinion.id}"):
        page = client.get(url).text
        assert evil not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_finalised_forum_refuses_new_opinions(client, forum):
    forums.finalise_forum(forum)
    db.session.commit()
    with pytest.raises(Locked):
        opinions.create_opinion({"content": "Muộn"}, forum=forum)
    assert client.post(f"/forums/{forum.id}/opinions", data=quick("Muộn")).status_code == 409


def test_opinion_in_finalised_minutes_is_amended_with_history(client, forum):
    opinion = opinions.create_opinion({"content": "Xin làm đường", "category_code": "land"},
                                      forum=forum)
    forums.finalise_forum(forum)
    db.session.commit()
    data = {"channel": "forum", "kind": "opinion", "category_code": "construction",
            "level": "commune", "content": "Xin làm đường", "needs_follow_up": "y",
            "reason": "Ghi nhầm lĩnh vực", "author": "Quàng Thị Hoa"}
    assert client.post(f"/opinions/{opinion.id}/edit", data=data).status_code == 302
    db.session.refresh(opinion)
    assert opinion.category_code == "construction"
    row = db.session.execute(db.select(Amendment)).scalar_one()
    assert (row.target, row.field, row.old_value, row.new_value) == (
        "opinion", "category_code", "land", "construction")
    refused = client.post(f"/opinions/{opinion.id}/delete")
    assert refused.status_code == 409
    assert db.session.get(Opinion, opinion.id) is not None


def test_draft_opinion_can_be_deleted(client, forum):
    opinion = opinions.create_opinion({"content": "Nhầm"}, forum=forum)
    db.session.commit()
    assert client.post(f"/opinions/{opinion.id}/delete").status_code == 302
    assert db.session.query(Opinion).count() == 0


def test_deleting_a_draft_opinion_leaves_no_gap_in_the_minutes_numbers(client, forum):
    from field_app.outbox.models import Outbox

    said = [opinions.create_opinion({"content": f"Ý kiến thứ {n}"}, forum=forum)
            for n in (1, 2, 3, 4)]
    db.session.commit()
    assert [o.position for o in said] == [1, 2, 3, 4]
    assert client.post(f"/opinions/{said[1].id}/delete").status_code == 302
    db.session.expire_all()
    kept = [db.session.get(Opinion, o.id) for o in (said[0], said[2], said[3])]
    assert [o.position for o in kept] == [1, 2, 3]
    minutes = client.get(f"/forums/{forum.id}/minutes").text
    assert re.findall(r'class="minutes-lead"><strong>(\d+)\.', minutes) == ["1", "2", "3"]
    # The new numbers go to the office like any other change.
    waiting = {row.record_id for row in db.session.execute(db.select(Outbox)).scalars()}
    assert {said[2].id, said[3].id} <= waiting


def test_added_category_can_be_chosen(client, forum):
    client.post("/categories", data={"name": "Chuyển đổi số"})
    opinion = opinions.create_opinion({"content": "Sóng điện thoại yếu",
                                       "category_code": "chuyen_doi_so"}, forum=forum)
    assert opinion.category.name == "Chuyển đổi số"


def test_opinion_list_pages_keep_the_filters(client, forum, app):
    app.config["PAGE_SIZE"] = 2
    for number in range(5):
        opinions.create_opinion({"content": f"Đường số {number}"}, forum=forum)
    db.session.commit()
    first = client.get("/opinions", query_string={"q": "duong", "per_page": 2}).text
    assert "Trang 1 / 3" in first
    assert "q=duong" in first and "page=2" in first
    last = client.get("/opinions", query_string={"q": "duong", "page": 3}).text
    assert "Trang 3 / 3" in last and "Đường số 0" in last


# The office's handling on the laptop: answered, overdue, new at the last sync -----------


def _office(opinion, **central):
    from field_app.outbox.capture import clock

    return {"c": "opinion", "id": str(opinion.id), "central_hlc": clock().now().encode(),
            "central": central}


def test_office_filters_follow_the_pull_that_changed_status_or_answer(app, forum):
    from datetime import datetime, timedelta

    from field_app.outbox import logic as outbox

    said = [opinions.create_opinion({"content": f"Xin sửa đường đoạn {i}",
                                     "category_code": "construction"}, forum)
            for i in range(4)]
    db.session.commit()
    today = opinions.vietnam_today()
    first = datetime(2026, 11, 29, 8, 0)
    outbox.apply_changes([
        _office(said[0], status="answered", answer_text="Đã sửa.",
                due_date=str(today - timedelta(days=2))),
        _office(said[1], status="in_progress", due_date=str(today - timedelta(days=1))),
        _office(said[2], status="closed", due_date=str(today - timedelta(days=9))),
        _office(said[3], status="forwarded", due_date=str(today)),  # due today: not late
    ], outbox.state(), None, first)
    db.session.commit()

    def listed(office):
        page = opinions.search_opinions(opinions.OpinionFilter(office=office))
        return {o.content[-6:] for o in page.items}

    assert listed("answered") == {"đoạn 0"}
    assert listed("overdue") == {"đoạn 1"}
    assert [opinions.is_overdue(o, today) for o in said] == [False, True, False, False]
    assert listed("new") == {"đoạn 0", "đoạn 1", "đoạn 2", "đoạn 3"}
    assert outbox.state().answers_pulled_at == first

    # A later pull: the same values again change nothing; one new answer is "new" alone.
    later = first + timedelta(hours=5)
    outbox.apply_changes([_office(said[0], status="answered", answer_text="Đã sửa.",
                                  due_date=str(today - timedelta(days=2))),
                          _office(said[1], status="answered", answer_text="Xong.")],
                         outbox.state(), None, later)
    db.session.commit()
    assert listed("new") == {"đoạn 1"}
    assert listed("overdue") == set()
    assert opinions.count_opinions(office="new") == 1
    # A pull that changes no answer leaves the list of the last answers as it was.
    outbox.apply_changes([], outbox.state(), None, later + timedelta(hours=1))
    assert outbox.state().answers_pulled_at == later


def test_search_counts_its_matches_in_the_index_not_the_rows(forum):
    """At 20,000 opinions a scan of whole rows was half a search page's time."""
    opinions.create_opinion({"content": "Đường vào bản bị sạt lở"}, forum=forum)
    query = db.select(db.func.count()).select_from(Opinion).where(
        Opinion.search_text.like("%sat lo%", escape="\\"))
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = db.session.execute(db.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    assert "COVERING INDEX ix_opinion_created_at_search" in plan[-1][-1]
    assert db.session.execute(query).scalar_one() == 1
