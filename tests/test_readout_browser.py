"""The answers read out at the next forum, in a real browser: list, print, satisfaction, offline.

A real `langnghe field` server and Debian's Chromium. The laptop's database is
prepared as a pull from the central leaves it (`outbox.logic.apply_changes`);
tests/test_satisfaction_sync.py takes the satisfaction through a real central.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime

import pytest

from field_app.extensions import db
from field_app.models_base import utcnow

from .browser import ARTIFACTS, FieldServer, watch_csp
from .browser import wait_for_js as wait_for
from .conftest import laptop_folder

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]
ANSWER = "Xã đã giao Ban quản lý dự án sửa đoạn đường trong tháng 12/2026."
DENOUNCER = "Quàng Văn Kín"


def office_change(opinion, **central) -> dict:
    from field_app.outbox.capture import clock

    return {"c": "opinion", "id": str(opinion.id), "central_hlc": clock().now().encode(),
            "central": central}


@pytest.fixture
def answered(tmp_path):
    """A laptop whose village got three answers (one to a denunciation) and one not yet."""
    from field_app.forums import logic as forums
    from field_app.opinions import logic as opinions
    from field_app.outbox import logic as outbox

    from .test_sync import record_forum

    data_dir = tmp_path / "laptop-server"
    with laptop_folder(data_dir, (("Bản Nà Lò", 120), ("Bản Đán", 85))):
        forum, said = record_forum(3, secretary="Quàng Thị Hoa", attendance_total=60)
        secret = opinions.create_opinion({
            "kind": "denunciation", "content": "Tố cáo cán bộ thu tiền làm đường sai quy định",
            "raiser_name": DENOUNCER, "category_code": "construction"}, forum)
        forums.finalise_forum(forum)
        db.session.commit()
        row = outbox.state()
        # Enrolled at the office once; no link here (the background sync finds nobody).
        row.device_id, row.secret, row.server_url = "dev-1", "s" * 64, "http://127.0.0.1:9"
        outbox.apply_changes([
            office_change(said[0], status="answered", answer_text=ANSWER,
                          answer_by="Chủ tịch UBND xã", answer_date="2026-11-25",
                          answer_doc_number="125/UBND-VP"),
            office_change(said[1], status="answered", answer_text="Điện lực sẽ thay cột.",
                          answer_by="Điện lực Mường La", answer_date="2026-11-26",
                          answer_doc_number="88/ĐL"),
            office_change(secret, status="answered", answer_text="Đã thanh tra, xử lý.",
                          answer_by="Thanh tra huyện", answer_date="2026-11-27"),
        ], row, None, utcnow())
        reading = forums.create_forum({
            "kind": "village_meeting", "village_id": forum.village_id,
            "started_at": datetime(2026, 12, 5, 8), "venue": "Nhà văn hóa"})
        db.session.commit()
        ids = {"answered": [str(said[0].id), str(said[1].id), str(secret.id)],
               "waiting": str(said[2].id), "forum": str(reading.id),
               "village": str(forum.village_id), "village_name": forum.village.name}
    server = FieldServer(data_dir).start()
    yield server, ids, data_dir
    server.stop()


def stored(data_dir, opinion_id: str) -> tuple:
    with sqlite3.connect(data_dir / "langnghe.sqlite3") as conn:
        return conn.execute(
            "SELECT satisfaction, satisfaction_forum_id, satisfaction_at FROM opinion "
            "WHERE id = ?", (opinion_id.replace("-", ""),)).fetchone()


def said_now(page, opinion_id: str, text: str) -> None:
    wait_for(page, "([id, text]) => document.querySelector(`#answer-${id} .satisfaction-now`)"
             ".textContent.includes(text)", [opinion_id, text])


def row_of(page, opinion_id: str):
    return page.locator(f"#answer-{opinion_id}")


def test_the_list_prints_on_a4_and_records_satisfaction(answered, page):
    server, ids, data_dir = answered
    violations = watch_csp(page)
    page.goto(server.url + "/")
    page.locator("#nav-answers").click()
    page.get_by_role("link", name=ids["village_name"]).click()
    page.wait_for_url(re.compile(r".*/villages/[0-9a-f-]{36}/answers$"))
    listed = page.locator("tr.readout-item")
    assert listed.count() == 3  # the answered ones, not the one still waiting
    text = page.locator("article.readout").inner_text()
    assert ANSWER in text and "125/UBND-VP" in text and "Chủ tịch UBND xã" in text
    assert "25/11/2026" in text and "Lò Văn 0" in text
    # A denouncer is never named, on screen or on paper.
    assert DENOUNCER not in page.content()
    assert "Giữ bí mật danh tính người tố cáo" in row_of(page, ids["answered"][2]).inner_text()

    # From the forum's page: the list for that forum, its date on the sheet.
    page.goto(f"{server.url}/forums/{ids['forum']}")
    link = page.locator("#forum-answers")
    assert "3 chưa đọc" in link.inner_text()
    link.get_by_role("link").click()
    page.wait_for_url(re.compile(rf".*/answers\?forum={ids['forum']}$"))
    assert page.locator(".readout-date").inner_text() == "05/12/2026"
    assert page.locator(".readout-village").inner_text() == ids["village_name"]

    # Print: A4, no navigation or buttons, a column of boxes to tick by hand.
    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()
    assert not page.locator(".satisfaction-form").first.is_visible()
    assert page.locator(".readout-boxes").first.is_visible()
    assert "☐ Hài lòng" in row_of(page, ids["answered"][0]).inner_text()
    sizes = page.evaluate("""() => [...document.styleSheets]
        .filter(sheet => (sheet.href || '').endsWith('/css/readout.css'))
        .flatMap(sheet => [...sheet.cssRules].filter(rule => rule instanceof CSSPageRule)
                                             .map(rule => rule.style.getPropertyValue('size')))""")
    assert sizes == ["a4"]
    pdf = page.pdf(prefer_css_page_size=True, path=str(ARTIFACTS / "readout-a4.pdf"))
    box = re.search(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)
    assert box and round(float(box[1])) == 595 and round(float(box[2])) == 842  # A4 in points
    page.screenshot(path=str(ARTIFACTS / "readout-print.png"), full_page=True)
    page.emulate_media(media="screen")

    # Satisfaction, at this forum: saved at once, shown, editable.
    first = row_of(page, ids["answered"][0])
    first.get_by_role("button", name="Hài lòng", exact=True).click()
    said_now(page, ids["answered"][0], "Đã ghi: Hài lòng")
    value, forum_id, at = stored(data_dir, ids["answered"][0])
    assert (value, forum_id) == ("satisfied", ids["forum"].replace("-", "")) and at
    first.get_by_role("button", name="Không hài lòng").click()
    said_now(page, ids["answered"][0], "Đã ghi: Không hài lòng")
    assert stored(data_dir, ids["answered"][0])[0] == "unsatisfied"
    # Reloaded, it is read out, and stays on this forum's list marked with its value.
    page.reload()
    kept = row_of(page, ids["answered"][0])
    assert "is-read" in kept.get_attribute("class")
    assert "Đã ghi: Không hài lòng" in kept.inner_text()
    # "All" shows it too, with its value.
    page.get_by_role("link", name="Cả trả lời đã đọc (sửa mức độ hài lòng)").click()
    again = row_of(page, ids["answered"][0])
    assert "Đã ghi: Không hài lòng" in again.inner_text()
    assert again.get_by_role("button", name="Không hài lòng").get_attribute(
        "aria-pressed") == "true"
    # A phone on the hotspot: the list fits the screen's width.
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1366, "height": 768})
    # "Mark read out" alone, without satisfaction, for the second one.
    page.goto(f"{server.url}/villages/{ids['village']}/answers?forum={ids['forum']}")
    row_of(page, ids["answered"][1]).get_by_role("button", name="Đánh dấu đã đọc").click()
    page.wait_for_load_state()
    marked = row_of(page, ids["answered"][1])
    assert "is-read" in marked.get_attribute("class")
    assert marked.get_by_role("button", name="Đưa lại vào danh sách cần đọc").count() == 1
    assert stored(data_dir, ids["answered"][1])[0] is None
    assert violations == []


def test_the_top_bar_counts_a_satisfaction_at_once(answered, page):
    server, ids, data_dir = answered
    with sqlite3.connect(data_dir / "langnghe.sqlite3") as conn:
        conn.execute("UPDATE outbox SET state = 'acked'")  # everything is at the commune
    page.goto(f"{server.url}/villages/{ids['village']}/answers?forum={ids['forum']}")
    assert page.locator(".sync-count").inner_text() == "chưa lên xã: 0"
    row_of(page, ids["answered"][0]).get_by_role("button", name="Hài lòng", exact=True).click()
    said_now(page, ids["answered"][0], "Đã ghi: Hài lòng")
    # The satisfaction waits for the commune: counted without loading another page.
    wait_for(page, "() => document.querySelector('.sync-count').textContent"
                   " === 'chưa lên xã: 1'")


def test_the_buttons_work_without_javascript(answered, tmp_path):
    from playwright.sync_api import sync_playwright

    from .browser import CHROMIUM_FLAGS, chromium_path

    server, ids, data_dir = answered
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(),
                                             args=CHROMIUM_FLAGS)
        context = browser.new_context(java_script_enabled=False, locale="vi-VN")
        page = context.new_page()
        page.goto(f"{server.url}/villages/{ids['village']}/answers")
        row_of(page, ids["answered"][1]).get_by_role("button", name="Vắng mặt").click()
        page.wait_for_load_state()
        assert "Đã ghi mức độ hài lòng" in page.locator(".flash").inner_text()
        assert stored(data_dir, ids["answered"][1])[:2] == ("absent", None)
        context.close()
        browser.close()


def test_the_list_opens_and_records_with_the_server_stopped(answered, page):
    server, ids, data_dir = answered
    forum_list = f"{server.url}/villages/{ids['village']}/answers?forum={ids['forum']}"
    page.goto(server.url + "/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.reload()
    wait_for(page, "navigator.serviceWorker.controller !== null", seconds=20)
    # Kept ahead of time for the meeting: never opened before.
    wait_for(page, "async (url) => !!(await caches.match(url))", forum_list, seconds=30)

    server.stop()
    page.goto(forum_list)
    assert ANSWER in page.locator("article.readout").inner_text()
    wait_for(page, "window.LangNghe && LangNghe.isUp() === false")
    row_of(page, ids["answered"][0]).get_by_role("button", name="Vắng mặt").click()
    wait_for(page, "LangNghe.items().then(items => items.length === 1)")
    assert "đã giữ trong trình duyệt" in row_of(page, ids["answered"][0]).inner_text()
    page.screenshot(path=str(ARTIFACTS / "readout-offline.png"), full_page=True)

    server.start()  # the same port: the queue is sent by itself, once
    wait_for(page, "LangNghe.items().then(items => items.length === 0)", seconds=90)
    value, forum_id, _at = stored(data_dir, ids["answered"][0])
    assert (value, forum_id) == ("absent", ids["forum"].replace("-", ""))


def test_satisfaction_is_recorded_at_the_forum_opened_today_without_choosing_it(
        answered, page):
    server, ids, data_dir = answered
    # The village head opens today's forum (its start: now), then goes to the list from
    # the menu, not from the forum's page.
    page.goto(f"{server.url}/forums/new?village={ids['village']}")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(re.compile(r".*/forums/[0-9a-f-]{36}(#.*)?$"))
    today = page.url.split("/forums/")[1].split("#")[0]
    page.locator("#nav-answers").click()
    page.get_by_role("link", name=ids["village_name"]).click()
    page.wait_for_url(re.compile(r".*/villages/[0-9a-f-]{36}/answers$"))
    header = page.locator(".pagehead .muted").first.inner_text()
    assert header.startswith("Đang ghi tại hội nghị ngày")
    first = row_of(page, ids["answered"][0])
    first.get_by_role("button", name="Hài lòng", exact=True).click()
    said_now(page, ids["answered"][0], "Đã ghi: Hài lòng")
    value, forum_id, _at = stored(data_dir, ids["answered"][0])
    assert (value, forum_id) == ("satisfied", today.replace("-", ""))
