"""A draft forum made by mistake is deleted on the laptop, and the office stops counting it.

The laptop's pages through Flask's test client on a real SQLite file; the office is a
real central (`langnghe central`, waitress) on SQLite and on PostgreSQL, reached by a sync.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from field_app.central.inbox.models import OfficeForum
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.forums.models import Forum
from field_app.opinions import logic as opinions
from field_app.outbox import logic as outbox
from field_app.outbox.models import Outbox

from .test_office_api import office  # noqa: F401 (fixture)

DELETE = "Xoá buổi họp"


def made_by_mistake(village_id, **extra) -> Forum:
    forum = forums.create_forum({"kind": "listening", "village_id": village_id,
                                 "started_at": datetime(2026, 11, 21, 8), **extra})
    db.session.commit()
    return forum


def test_a_draft_forum_without_opinions_is_deleted_after_confirming(client, villages):
    forum = made_by_mistake(villages[0].id)
    page = client.get(f"/forums/{forum.id}").text
    action = page.index(f'action="/forums/{forum.id}/delete"')
    button = page[page.rindex("<form", 0, action):]
    button = button[:button.index("</form>")]
    assert 'data-confirm="Xoá buổi họp này?' in button and DELETE in button
    done = client.post(f"/forums/{forum.id}/delete", follow_redirects=True)
    assert done.request.path == "/"
    assert "Đã xoá hội nghị." in done.text
    assert db.session.get(Forum, forum.id) is None
    # A tombstone for the next sync.
    assert db.session.execute(select(Outbox.op).where(Outbox.record_id == forum.id)
                              .order_by(Outbox.seq.desc())).scalars().first() == "delete"


def test_a_forum_with_opinions_is_not_deleted_and_says_why(client, forum):
    opinions.create_opinion({"content": "Xin làm đường vào bản"}, forum)
    db.session.commit()
    page = client.get(f"/forums/{forum.id}").text
    assert DELETE not in page
    # Where the button would be, a hint says why there is none.
    assert "Chỉ xoá được hội nghị tạo nhầm, chưa có ý kiến nào." in page
    refused = client.post(f"/forums/{forum.id}/delete", follow_redirects=True)
    assert refused.request.path == f"/forums/{forum.id}"
    assert "Không xoá được: hội nghị đã có ý kiến được ghi." in refused.text
    assert db.session.get(Forum, forum.id) is not None


def test_a_finalised_forum_is_not_deleted(client, forum):
    forums.finalise_forum(forum)
    db.session.commit()
    page = client.get(f"/forums/{forum.id}").text
    assert DELETE not in page and "Chỉ xoá được hội nghị tạo nhầm" not in page
    refused = client.post(f"/forums/{forum.id}/delete", follow_redirects=True)
    assert "Biên bản đã chốt: không xoá được hội nghị đã họp." in refused.text
    assert db.session.get(Forum, forum.id) is not None


def test_the_form_of_a_deleted_forum_sent_again_makes_no_forum(client, villages):
    client_id = str(uuid.uuid4())
    data = {"kind": "listening", "village_id": str(villages[0].id),
            "started_at": "2026-11-21T08:00", "client_id": client_id}
    client.post("/forums/new", data=data)
    client.post(f"/forums/{client_id}/delete")
    again = client.post("/forums/new", data=data, follow_redirects=True)
    assert again.request.path == "/forums/new"
    assert "Hội nghị này đã bị xoá; hãy tạo hội nghị mới." in again.text
    assert db.session.query(Forum).count() == 0


def test_a_deleted_forum_stops_counting_at_the_office_after_a_sync(office, laptop):  # noqa: F811
    client = laptop.test_client()
    kept = db.session.execute(select(Forum)).scalar_one()
    mistake = made_by_mistake(kept.village_id, attendance_total=40, attendance_women=20)
    assert outbox.run_sync().rejected == 0

    def counted() -> tuple[int, int]:
        body = office.get("/central/api/v1/reports", "officer", period="2026-Y").json()
        return body["forums"]["total"], body["coverage"]["held"]

    def listed() -> str:
        return office.call("get", "/central/forums", "officer").text

    assert counted()[0] == 2 and f'id="f-{mistake.id}"' in listed()

    assert client.post(f"/forums/{mistake.id}/delete").status_code == 302
    assert outbox.run_sync().rejected == 0

    with office.central.engine.connect() as conn:
        row = conn.execute(select(OfficeForum.__table__.c.deleted).where(
            OfficeForum.__table__.c.id == mistake.id)).one()
    assert row.deleted is True
    assert counted() == (1, 1)
    page = listed()
    assert f'id="f-{mistake.id}"' not in page and f'id="f-{kept.id}"' in page
