"""The citizen's satisfaction with an answer: recorded on the laptop or at the office, synced.

A real central (`langnghe central`, waitress) on SQLite and on PostgreSQL, a
laptop in this process with its own SQLite file; the office is used through
its own pages (logged in as a browser would), the laptop through its pages.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import requests
from click.testing import CliRunner
from sqlalchemy import select

from field_app.answers.models import AnswerReading
from field_app.central.inbox.models import OfficeOpinion
from field_app.cli import main
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.opinions.models import Opinion
from field_app.outbox import logic as outbox
from field_app.outbox.models import Outbox
from sync import store

from .test_sync import record_forum

PASSWORD = "mat-khau-xa-2026"
ANSWER = "UBND xã đã giao Ban quản lý dự án sửa đoạn đường trong tháng 12/2026."


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def office_session(central) -> requests.Session:
    """Create the admin `canbo` at the central and log in as a browser does."""
    made = CliRunner().invoke(main, ["central", "--database", central.database, "--data",
                                     str(central.data_dir), "create-admin", "canbo",
                                     "--password", PASSWORD])
    assert made.exit_code == 0, made.output
    browser = requests.Session()
    token = csrf_token(browser.get(central.url + "/central/login").text)
    done = browser.post(central.url + "/central/login", allow_redirects=False,
                        data={"username": "canbo", "password": PASSWORD, "csrf_token": token})
    assert done.status_code == 302
    return browser


def office_post(browser, central, opinion_id, **values) -> str:
    """Submit the office's form on the opinion page; return the page it leads to."""
    url = f"{central.url}/central/opinions/{opinion_id}"
    token = csrf_token(browser.get(url).text)
    answer = browser.post(url, data={"csrf_token": token, **values})
    # 422: refused, the form shown again as typed with the reason.
    assert answer.status_code in (200, 422), answer.status_code
    return answer.text


def office_row(central, opinion_id) -> dict:
    with central.engine.connect() as conn:
        row = conn.execute(select(OfficeOpinion.__table__).where(
            OfficeOpinion.__table__.c.id == opinion_id)).one()
    return row._asdict()


def conflicts(central, opinion_id) -> list:
    with central.engine.connect() as conn:
        return list(conn.execute(select(store.conflict).where(
            store.conflict.c.record_id == opinion_id).order_by(store.conflict.c.id)))


def answered_at_the_office(central, laptop):
    """Sync a forum of three opinions; the office answers the first through its page."""
    forum, said = record_forum(3)
    outbox.enroll(central.url, central.enrolment_code(), "Máy bản Nà Lò")
    outbox.run_sync()
    browser = office_session(central)
    office_post(browser, central, said[0].id, status="answered", answer_text=ANSWER,
                answer_by="Chủ tịch UBND xã", answer_date="2026-11-25",
                answer_doc_number="125/UBND-VP")
    outbox.run_sync()
    db.session.expire_all()
    assert db.session.get(Opinion, said[0].id).answer_text == ANSWER
    # The next forum of the village, where the answer is read out.
    reading = forums.create_forum({"kind": "village_meeting", "village_id": forum.village_id,
                                   "started_at": datetime(2026, 12, 5, 8), "venue": "Nhà văn hóa"})
    db.session.commit()
    return browser, said, reading


def laptop_records(laptop, opinion_id, value, forum_id=None):
    client = laptop.test_client()
    data = {"satisfaction": value, **({"forum_id": str(forum_id)} if forum_id else {})}
    return client.post(f"/answers/{opinion_id}/satisfaction", data=data, follow_redirects=True)


def test_satisfaction_recorded_at_the_forum_reaches_the_office(central, laptop):
    browser, said, reading = answered_at_the_office(central, laptop)
    client = laptop.test_client()
    listed = client.get(f"/villages/{reading.village_id}/answers?forum={reading.id}")
    assert ANSWER in listed.get_data(as_text=True)

    shown = laptop_records(laptop, said[0].id, "satisfied", reading.id)
    assert "Đã ghi mức độ hài lòng" in shown.get_data(as_text=True)
    db.session.expire_all()
    mine = db.session.get(Opinion, said[0].id)
    assert (mine.satisfaction, mine.satisfaction_forum_id, mine.satisfaction_by) == (
        "satisfied", reading.id, None)
    assert db.session.get(AnswerReading, said[0].id).forum_id == reading.id
    # Read out: no longer waiting; on the list of the forum being held it stays, marked.
    from field_app.answers.logic import unread_count

    assert unread_count(reading.village_id) == 0
    assert f'id="answer-{said[0].id}" class="readout-item is-read"' in client.get(
        f"/villages/{reading.village_id}/answers").get_data(as_text=True)
    assert outbox.pending_count() == 1 + 1  # the opinion, and the new forum

    summary = outbox.run_sync()

    assert summary.rejected == 0 and outbox.pending_count() == 0
    row = office_row(central, said[0].id)
    assert row["satisfaction"] == "satisfied"
    assert row["satisfaction_forum_id"] == reading.id and row["satisfaction_by"] is None
    assert row["satisfaction_at"] == mine.satisfaction_at
    page = browser.get(f"{central.url}/central/opinions/{said[0].id}").text
    section = page.split('id="satisfaction"')[1].split("</section>")[0]
    assert "<strong>Hài lòng</strong>" in section and "bản/thôn ghi tại hội nghị" in section
    assert "05/12/2026" in section  # the forum it was read out at
    # The office's history says the village changed it.
    assert "Mức độ hài lòng" in page.split('id="history"')[1]


def test_satisfaction_recorded_at_the_office_reaches_the_laptop(central, laptop):
    browser, said, _reading = answered_at_the_office(central, laptop)

    page = office_post(browser, central, said[0].id, satisfaction="unsatisfied",
                       reason="Bà con gọi điện lên xã")
    assert "văn phòng xã ghi (canbo)" in page.split('id="satisfaction"')[1]
    summary = outbox.run_sync()

    db.session.expire_all()
    mine = db.session.get(Opinion, said[0].id)
    assert summary.pulled >= 1
    assert (mine.satisfaction, mine.satisfaction_by, mine.satisfaction_forum_id) == (
        "unsatisfied", "canbo", None)
    assert mine.satisfaction_at is not None
    assert outbox.pending_count() == 0  # applying the office's value sends nothing back
    listed = laptop.test_client().get(
        f"/villages/{mine.village_id}/answers?all=1").get_data(as_text=True)
    assert "văn phòng xã ghi (canbo)" in listed
    shown = laptop.test_client().get(f"/opinions/{mine.id}").get_data(as_text=True)
    assert "<strong>Không hài lòng</strong>" in shown.split('id="opinion-satisfaction"')[1]
    # A later laptop edit of the opinion's content keeps the office's satisfaction.
    from field_app.opinions import logic as opinions

    opinions.update_opinion(mine, {"content": mine.content + " (bổ sung)",
                                   "category_code": "construction"})
    db.session.commit()
    outbox.run_sync()
    assert office_row(central, said[0].id)["satisfaction"] == "unsatisfied"
    assert conflicts(central, said[0].id) == []


def test_both_record_it_the_newer_wins_and_the_other_is_kept(central, laptop):
    browser, said, reading = answered_at_the_office(central, laptop)

    # The laptop first (not synced yet), then the office: the office's is newer.
    laptop_records(laptop, said[0].id, "satisfied", reading.id)
    office_post(browser, central, said[0].id, satisfaction="absent")
    outbox.run_sync()

    db.session.expire_all()
    assert db.session.get(Opinion, said[0].id).satisfaction == "absent"
    assert office_row(central, said[0].id)["satisfaction"] == "absent"
    lost = [row for row in conflicts(central, said[0].id) if row.field == "satisfaction"]
    assert [(row.winner, row.loser, row.loser_side) for row in lost] == [
        ("absent", "satisfied", "field")]

    # The office first, then the laptop (before it pulls): the laptop's is newer.
    office_post(browser, central, said[1].id, status="answered", answer_text=ANSWER,
                answer_by="Chủ tịch UBND xã")
    outbox.run_sync()
    office_post(browser, central, said[1].id, satisfaction="satisfied")
    laptop_records(laptop, said[1].id, "unsatisfied", reading.id)
    outbox.run_sync()
    outbox.run_sync()

    db.session.expire_all()
    mine = db.session.get(Opinion, said[1].id)
    assert (mine.satisfaction, mine.satisfaction_by) == ("unsatisfied", None)
    row = office_row(central, said[1].id)
    assert (row["satisfaction"], row["satisfaction_by"], row["satisfaction_forum_id"]) == (
        "unsatisfied", None, reading.id)
    lost = [row for row in conflicts(central, said[1].id) if row.field == "satisfaction"]
    assert [(row.winner, row.loser, row.loser_side) for row in lost] == [
        ("unsatisfied", "satisfied", "central")]
    assert outbox.pending_count() == 0


def test_bad_satisfaction_values_are_refused_and_change_nothing(central, laptop):
    browser, said, reading = answered_at_the_office(central, laptop)
    before = db.session.execute(select(Outbox.seq)).scalars().all()

    shown = laptop_records(laptop, said[0].id, "rất hài lòng", reading.id)
    assert "Mức độ hài lòng không hợp lệ" in shown.get_data(as_text=True)
    # Not answered yet: nothing to be satisfied with.
    shown = laptop_records(laptop, said[2].id, "satisfied")
    assert "chưa có trả lời của xã" in shown.get_data(as_text=True)
    # A forum of another village.
    other = forums.create_forum({"kind": "listening", "village_id": _other_village(said[0]),
                                 "started_at": datetime(2026, 12, 6, 8), "venue": "Sân bóng"})
    db.session.commit()
    before = db.session.execute(select(Outbox.seq)).scalars().all()
    shown = laptop_records(laptop, said[0].id, "satisfied", other.id)
    assert "không phải của bản/thôn có ý kiến" in shown.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Opinion, said[0].id).satisfaction is None
    assert db.session.get(AnswerReading, said[0].id) is None
    assert db.session.execute(select(Outbox.seq)).scalars().all() == before

    page = office_post(browser, central, said[0].id, satisfaction="maybe")
    assert "Mức độ hài lòng: giá trị không hợp lệ" in page
    assert office_row(central, said[0].id)["satisfaction"] is None

    # On the wire: a laptop's record with a value outside the vocabulary is refused alone.
    with central.engine.begin() as conn:
        dev = store.get_device(conn, outbox.state().device_id)
        row = next(r for r in central.records("opinion") if r.id == said[1].id)
        result = store.ingest_batch(conn, dev, {"records": [{
            "c": "opinion", "id": str(said[1].id), "seq": 10_000, "hlc": _later(row.hlc),
            "data": {**row.data, "satisfaction": "maybe"}}]})
    assert result.results == ["R"]
    assert "satisfaction" in result.rejected[0]["message"]


def _other_village(opinion) -> uuid.UUID:
    from field_app.areas import logic as areas

    return next(v.id for v in areas.villages() if v.id != opinion.village_id)


def _later(hlc: str) -> str:
    wall, counter, node = hlc.split("-")
    return f"{int(wall) + 1000:013d}-{counter}-{node}"
