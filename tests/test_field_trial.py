"""What a new user's first trial of the village laptop showed to be misleading."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from field_app.extensions import db
from field_app.opinions import logic as opinions
from field_app.outbox.models import Outbox


def _office(opinion, **central):
    from field_app.outbox.capture import clock

    return {"c": "opinion", "id": str(opinion.id), "central_hlc": clock().now().encode(),
            "central": central}


def _office_column(client, opinion) -> str:
    page = client.get("/opinions").text
    row = page[page.index(f"/opinions/{opinion.id}"):]
    return row[row.index('<td class="office">'):row.index("</td>", row.index('"office"'))]


def test_unsent_opinion_is_not_shown_as_received_by_the_office(client, forum):
    from field_app.outbox import logic as outbox

    said = opinions.create_opinion({"content": "Xin làm đường vào bản",
                                    "category_code": "construction"}, forum)
    db.session.commit()
    shown = client.get(f"/opinions/{said.id}").text
    assert "Chưa gửi lên xã" in shown and "Đã tiếp nhận" not in shown
    assert "Chưa gửi lên xã" in _office_column(client, said)

    # Acknowledged (a sync or an acknowledgement file) but no status from the office yet.
    db.session.execute(update(Outbox).where(Outbox.record_id == said.id).values(state="acked"))
    db.session.commit()
    assert "Đã gửi, chờ xã xử lý" in client.get(f"/opinions/{said.id}").text
    assert "Đã gửi, chờ xã xử lý" in _office_column(client, said)

    # The office's own status, once a pull brings it.
    outbox.apply_changes([_office(said, status="received")], outbox.state(), None,
                         datetime(2026, 11, 30, 8, 0))
    db.session.commit()
    assert "Đã tiếp nhận" in client.get(f"/opinions/{said.id}").text
    assert "Đã tiếp nhận" in _office_column(client, said)


def _category_select(html: str) -> str:
    start = html.index('name="op-category_code"')
    return html[start:html.index("</select>", start)]


def test_quick_entry_preselects_no_category_and_files_an_untouched_one_as_other(client, forum):
    from field_app.opinions.models import Opinion

    select = _category_select(client.get(f"/forums/{forum.id}").text)
    assert "selected" not in select
    assert select.index("— Chọn lĩnh vực —") < select.index("Đất đai")
    response = client.post(f"/forums/{forum.id}/opinions", data={
        "op-channel": "forum", "op-kind": "opinion", "op-category_code": "",
        "op-level": "commune", "op-content": "Xin kéo điện về bản", "op-needs_follow_up": "y"})
    assert response.status_code == 302
    said = db.session.execute(db.select(Opinion)).scalar_one()
    assert said.category_code == "other"
    # The speaker's chosen category is still remembered for the next one.
    client.post(f"/forums/{forum.id}/opinions", data={
        "op-channel": "forum", "op-kind": "opinion", "op-category_code": "electricity",
        "op-level": "commune", "op-content": "Điện yếu", "op-needs_follow_up": "y"})
    select = _category_select(client.get(
        f"/forums/{forum.id}?kind=opinion&category=electricity").text)
    assert '<option selected value="electricity">' in select


def test_demo_laptop_syncs_in_the_background_like_langnghe_field(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from field_app.cli import main
    from field_app.outbox import auto

    started = []
    real = auto.start_auto_sync

    def recording(app):
        stop = real(app)
        started.append((app.config["ROLE"], app.config["DATA_DIR"], stop))
        return stop

    monkeypatch.setattr(auto, "start_auto_sync", recording)
    from .browser import free_port

    done = CliRunner().invoke(main, ["demo", "--once", "--central-port", str(free_port()),
                                     "--field-port", str(free_port()),
                                     "--data", str(tmp_path / "demo")])
    assert done.exit_code == 0, done.output
    assert [(role, path) for role, path, _stop in started] == [
        ("field", tmp_path / "demo" / "field")]
    assert started[0][2].is_set()  # --once: the thread is told to stop with the demo


def test_top_bar_says_connected_and_shows_a_revoked_laptop(sqlite_central, laptop):
    import pytest

    from field_app.outbox import logic as outbox
    from sync import store
    from sync.errors import SyncError

    from .test_sync import record_forum

    client = laptop.test_client()
    page = client.get("/").text
    # The badge is the laptop's own server: never read as the commune's ("Máy chủ").
    assert 'data-up="Máy tính của bản: đang chạy"' in page and "data-revoked" not in page
    assert "Máy chủ:" not in page
    record_forum(1)
    first = outbox.enroll(sqlite_central.url, sqlite_central.enrolment_code()).device_id
    outbox.run_sync()
    with sqlite_central.engine.begin() as conn:
        store.revoke_device(conn, first)
    with pytest.raises(SyncError):
        outbox.run_sync()
    assert 'data-revoked="Máy bị thu hồi — liên hệ văn phòng xã"' in client.get("/").text
    # Enrolled again and synced: the warning goes.
    outbox.enroll(sqlite_central.url, sqlite_central.enrolment_code())
    outbox.run_sync()
    assert "data-revoked" not in client.get("/").text


def test_attachment_under_one_kilobyte_shows_its_bytes_not_zero_kb(client, forum):
    from io import BytesIO

    from PIL import Image

    tiny = BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(tiny, "PNG")
    assert len(tiny.getvalue()) < 512
    client.post(f"/forums/{forum.id}/attachments",
                data={"file": (BytesIO(tiny.getvalue()), "dau.png")},
                content_type="multipart/form-data")
    page = client.get(f"/forums/{forum.id}").text
    assert f"<small>{len(tiny.getvalue())} byte</small>" in page and "0 KB" not in page


def test_read_out_list_without_an_open_forum_says_to_open_one_and_keeps_what_was_recorded(
        client, forum):
    from .test_answers import pulled, said

    first, second = said(forum, "Đường vào bản sạt lở", "Thiếu nước sinh hoạt")
    pulled(datetime(2026, 11, 29, 8, 0), (first, "Xã sẽ sửa đường."), (second, "Xã khoan giếng."))
    village = forum.village
    url = f"/villages/{village.id}/answers"
    page = client.get(url).text  # the fixture's forum began ten days ago: not open now
    hint = page.split('id="no-forum-hint"')[1].split("</div>")[0]
    assert f"{village.name} chưa có hội nghị nào đang họp hôm nay." in hint
    assert f'href="/forums/new?village={village.id}"' in page

    recorded = client.post(f"/answers/{first.id}/satisfaction",
                           data={"satisfaction": "satisfied"}, follow_redirects=True).text
    # Still listed after the reload, marked with what was recorded, its buttons to change it.
    assert f'id="answer-{first.id}"' in recorded and f'id="answer-{second.id}"' in recorded
    row = recorded[recorded.index(f'id="answer-{first.id}"'):]
    row = row[:row.index("</tr>")]
    assert "is-read" in row and "Đã ghi: Hài lòng" in row
    assert 'value="satisfied" class="satisfaction satisfied" aria-pressed="true"' in row

    # At a forum: what was recorded there stays on that forum's list.
    client.post(f"/answers/{second.id}/satisfaction",
                data={"satisfaction": "unsatisfied", "forum_id": str(forum.id)})
    at_forum = client.get(f"{url}?forum={forum.id}").text
    assert f'id="answer-{second.id}"' in at_forum and "Đã ghi: Không hài lòng" in at_forum


def _satisfaction_form(page: str, opinion) -> dict[str, str]:
    """Return what the page's satisfaction form for `opinion` sends (its hidden inputs)."""
    import re

    start = page.index(f'action="/answers/{opinion.id}/satisfaction"')
    form = page[start:page.index("</form>", start)]
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form))


def _todays_forum(village, hours_ago: int = 1):
    from datetime import timedelta

    from field_app.api.schemas import VIETNAM
    from field_app.forums import logic as forums

    # Vietnam's wall clock, as the forum form's default start.
    now = datetime.now(VIETNAM).replace(tzinfo=None, second=0, microsecond=0)
    made = forums.create_forum({"kind": "village_meeting", "village_id": village.id,
                                "started_at": now - timedelta(hours=hours_ago)})
    db.session.commit()
    return made


def test_satisfaction_read_out_while_the_only_forum_of_today_is_held_is_recorded_at_it(
        client, forum):
    from field_app.opinions.models import Opinion

    from .test_answers import pulled, said

    [first] = said(forum, "Đường vào bản sạt lở")
    pulled(datetime(2026, 11, 29, 8, 0), (first, "Xã sẽ sửa đường."))
    today = _todays_forum(forum.village)
    url = f"/villages/{forum.village_id}/answers"
    page = client.get(url).text  # opened from the menu, not from the forum's page
    assert f"Đang ghi tại hội nghị ngày {today.started_at:%d/%m/%Y}" in page
    sent = _satisfaction_form(page, first)
    assert sent["forum_id"] == str(today.id)
    client.post(f"/answers/{first.id}/satisfaction", data={**sent, "satisfaction": "satisfied"})
    db.session.expire_all()
    recorded = db.session.get(Opinion, first.id)
    assert (recorded.satisfaction, recorded.satisfaction_forum_id) == ("satisfied", today.id)


def test_two_forums_held_today_are_not_guessed_between(client, forum):
    from .test_answers import pulled, said

    [first] = said(forum, "Đường vào bản sạt lở")
    pulled(datetime(2026, 11, 29, 8, 0), (first, "Xã sẽ sửa đường."))
    _todays_forum(forum.village, hours_ago=1), _todays_forum(forum.village, hours_ago=2)
    page = client.get(f"/villages/{forum.village_id}/answers").text
    assert "Ghi mức độ hài lòng tại hội nghị này" in page  # the choice stays the user's
    assert "forum_id" not in _satisfaction_form(page, first)
