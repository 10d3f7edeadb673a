"""The answers that came back from the office, found on the laptop's opinion list.

A real `langnghe field` server and Chromium. The laptop's database is
prepared as a pull from the central leaves it (`outbox.logic.apply_changes`,
the function a pull and an acknowledgement file call), so no central runs here;
tests/test_usb_browser.py brings the answers back through a real one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from field_app.extensions import db
from field_app.models_base import utcnow

from .browser import ARTIFACTS, FieldServer, watch_csp
from .conftest import laptop_folder

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
ANSWER = "Xã đã giao Phòng Kinh tế sửa đoạn đường trong tháng 12."


def office_change(opinion, **central) -> dict:
    from field_app.outbox.capture import clock

    return {"c": "opinion", "id": str(opinion.id), "central_hlc": clock().now().encode(),
            "central": central}


@pytest.fixture
def answered_laptop(tmp_path):
    """A laptop with four opinions: answered, overdue, in progress (due later), untouched."""
    from field_app.outbox import logic as outbox

    from .test_sync import record_forum

    data_dir = tmp_path / "laptop-server"
    with laptop_folder(data_dir):
        _forum, said = record_forum(4)
        row = outbox.state()
        # Enrolled at the office once; no link here (the background sync finds nobody).
        row.device_id, row.secret, row.server_url = "dev-1", "s" * 64, "http://127.0.0.1:9"
        today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()  # the commune's day
        changes = [
            office_change(said[0], status="answered", answer_text=ANSWER,
                          due_date=str(today - timedelta(days=3))),
            office_change(said[1], status="in_progress", responsible_unit="Phòng Kinh tế",
                          due_date=str(today - timedelta(days=5))),
            office_change(said[2], status="forwarded", due_date=str(today + timedelta(days=20))),
        ]
        outbox.apply_changes(changes, row, None, utcnow())
        db.session.commit()
        ids = [str(opinion.id) for opinion in said]
    server = FieldServer(data_dir).start()
    yield server, ids
    server.stop()


def listed(page) -> list[str]:
    return page.locator("table.opinions tbody tr td.content").all_inner_texts()


def test_status_answer_and_overdue_show_and_filter_on_the_opinion_list(answered_laptop, page):
    server, ids = answered_laptop
    violations = watch_csp(page)
    page.goto(server.url + "/opinions")
    rows = {row.locator("td.content").inner_text(): row
            for row in page.locator("table.opinions tbody tr").all()}
    assert len(rows) == 4
    office = {text[-30:]: row.locator("td.office").inner_text() for text, row in rows.items()}
    answered = next(v for k, v in office.items() if "đoạn số 0" in k)
    assert "Đã trả lời" in answered and "Có trả lời" in answered and "Quá hạn" not in answered
    late = next(v for k, v in office.items() if "đoạn số 1" in k)
    assert "Đang giải quyết" in late and "Quá hạn 5 ngày" in late
    later = next(v for k, v in office.items() if "đoạn số 2" in k)
    assert "Đã chuyển" in later and "Quá hạn" not in later
    untouched = next(v for k, v in office.items() if "đoạn số 3" in k)
    assert "Chưa gửi lên xã" in untouched  # never sent: no office status yet
    page.screenshot(path=str(ARTIFACTS / "opinions-office-status.png"), full_page=True)

    page.select_option("#office", label="Xã đã trả lời")
    page.get_by_role("button", name="Tìm").click()
    assert [t for t in listed(page) if "đoạn số 0" in t] == listed(page) != []
    page.locator("td.office a.has-answer").click()
    assert ANSWER in page.inner_text("#central-answer-text")

    page.goto(server.url + "/opinions")
    page.select_option("#office", label="Quá hạn, chưa trả lời")
    page.get_by_role("button", name="Tìm").click()
    assert len(listed(page)) == 1 and "đoạn số 1" in listed(page)[0]
    page.get_by_text("đoạn số 1").first.click()
    assert "Quá hạn 5 ngày" in page.inner_text("#central-answer")

    # The Đồng bộ page links to what the last sync brought back.
    page.goto(server.url + "/sync/")
    assert "3 ý kiến" in page.inner_text("#new-answers")
    page.click("#new-answers-link")
    assert "office=new" in page.url
    assert len(listed(page)) == 3 and not any("đoạn số 3" in t for t in listed(page))
    assert page.locator("span.new-answer").count() == 3
    page.screenshot(path=str(ARTIFACTS / "opinions-new-answers.png"), full_page=True)
    assert violations == []
