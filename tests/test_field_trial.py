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
