"""Nothing typed is lost: drafts in IndexedDB, a queue replayed once, the status badge.

A real waitress server in its own process and Debian's Chromium: the server is
killed and restarted on the same port while the page stays open, as when the
laptop's program is closed by mistake in the middle of a meeting.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import uuid

import pytest

from .browser import ARTIFACTS, wait_for_js

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

REPLAY_SECONDS = 60  # /healthz is polled every 5-20 s while the server is down


def api_get(server, path):
    with urllib.request.urlopen(server.url + path, timeout=10) as response:
        return json.load(response)


def api_post(server, path, body):
    request = urllib.request.Request(server.url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"},
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


def stored_opinions(server, forum_id):
    return api_get(server, f"/api/v1/opinions?forum_id={forum_id}&per_page=100")["items"]


def create_forum(page, server):
    page.goto(server.url + "/forums/new")
    page.select_option("#village_id", label="Bản Nà Lò")
    page.fill("#venue", "Nhà văn hóa bản Nà Lò")
    page.fill("#chair", "Lò Văn Minh")
    page.get_by_role("button", name="Lưu").click()
    # "**/forums/*" would match /forums/new itself, before the redirect.
    page.wait_for_url(re.compile(r".*/forums/[0-9a-f-]{36}(#.*)?$"), timeout=60000)
    forum_id = page.url.split("/forums/")[1].split("#")[0]
    wait_offline_ready(page)
    return forum_id


def wait_offline_ready(page):
    wait_for_js(page, "window.LangNghe !== undefined")
    page.evaluate("LangNghe.ready")


def drafts(page):
    return page.evaluate("LangNghe.drafts()")


def queue(page):
    return page.evaluate("LangNghe.items()")


def wait_for(predicate, seconds=10, what="condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def draft_of(page, key):
    return next((d for d in drafts(page) if d["key"] == key), None)


def badge_text(page):
    return page.locator("#net-status").inner_text()


def type_opinion(page, name, content):
    page.fill("#op-raiser_name", name)
    page.fill("#op-content", content)
    page.locator("#op-content").press("Enter")


def reopen_with_draft(page, url: str, key: str, field: str, value: str):
    """Wait until the draft `key` holds `value` in `field`, close the page, open `url` again."""
    wait_for(lambda: (draft_of(page, key) or {}).get("values", {}).get(field) == value,
             what=f"the draft {key} in IndexedDB")
    context = page.context
    page.close()
    again = context.new_page()
    again.goto(url)
    wait_offline_ready(again)
    return again


# (a) Drafts come back after the page was closed -----------------------------------------


def test_quick_entry_draft_comes_back_after_the_page_is_closed(field_server, page):
    forum_id = create_forum(page, field_server)
    forum_url = page.url.split("#")[0]
    page.locator("#op-raiser_name").type("Lò Văn Panh")
    page.locator("#op-content").type("Đường vào bản bị sạt lở")
    key = f"opinion-quick|/forums/{forum_id}"
    again = reopen_with_draft(page, forum_url, key, "op-content", "Đường vào bản bị sạt lở")
    notice = again.locator(".draft-notice")
    notice.wait_for()
    assert "Đã khôi phục nội dung đang gõ dở lúc" in notice.inner_text()
    assert again.locator("#op-content").input_value() == "Đường vào bản bị sạt lở"
    assert again.locator("#op-raiser_name").input_value() == "Lò Văn Panh"
    again.screenshot(path=str(ARTIFACTS / "draft-restored-quick-entry.png"), full_page=True)

    # "Bỏ bản nháp" empties the form and forgets the draft.
    notice.get_by_role("button", name="Bỏ bản nháp").click()
    assert again.locator("#op-content").input_value() == ""
    wait_for(lambda: draft_of(again, key) is None, what="the draft deleted")
    assert stored_opinions(field_server, forum_id) == []


def test_forum_edit_draft_comes_back_after_the_page_is_closed(field_server, page):
    forum_id = create_forum(page, field_server)
    edit_url = f"{field_server.url}/forums/{forum_id}/edit"
    page.goto(edit_url)
    wait_offline_ready(page)
    page.locator("#venue").fill("")
    page.locator("#venue").type("Sân bóng bản Nà Lò")
    page.locator("#summary").type("Bà con đề nghị sửa đường")
    key = f"forum|/forums/{forum_id}/edit"
    again = reopen_with_draft(page, edit_url, key, "summary", "Bà con đề nghị sửa đường")
    again.locator(".draft-notice").wait_for()
    assert again.locator("#venue").input_value() == "Sân bóng bản Nà Lò"
    assert again.locator("#summary").input_value() == "Bà con đề nghị sửa đường"
    # Nothing reached the server: it still holds the old venue.
    assert api_get(field_server, f"/api/v1/forums/{forum_id}")["venue"] == "Nhà văn hóa bản Nà Lò"


def test_a_form_the_server_sent_back_with_errors_is_not_overwritten(field_server, page):
    page.goto(field_server.url + "/forums/new")
    wait_offline_ready(page)
    page.locator("#venue").type("Nhà văn hóa")
    wait_for(lambda: draft_of(page, "forum|/forums/new"), what="the new-forum draft")
    page.get_by_role("button", name="Lưu").click()  # no village: the server refuses
    page.wait_for_selector(".has-error")
    wait_offline_ready(page)
    page.wait_for_timeout(300)
    assert page.locator(".draft-notice").count() == 0
    assert page.locator("#venue").input_value() == "Nhà văn hóa"


# (b) Saved while the server is down: queued, then replayed once -------------------------


def test_saves_while_the_server_is_down_are_queued_and_replayed_once(field_server, page):
    forum_id = create_forum(page, field_server)
    type_opinion(page, "Lò Văn Panh", "Xin sửa đường trước mùa mưa")
    page.wait_for_selector("#opinions tbody tr:nth-child(1) a")

    field_server.stop()
    speakers = [("Cầm Thị Xuân", "Xin hỗ trợ nước sinh hoạt mùa khô"),
                ("Quàng Văn Hặc", "Điện chập chờn ở cuối bản")]
    for number, (name, content) in enumerate(speakers, start=2):
        type_opinion(page, name, content)
        page.wait_for_selector(f"#opinions tbody tr:nth-child({number}) .queue-mark.pending")
        # Cleared for the next speaker, as after a normal save.
        assert page.locator("#op-content").input_value() == ""
    wait_for_js(
        page, "document.querySelector('#net-status .net-queued').textContent.includes('2')")
    assert "Chờ gửi: 2" in badge_text(page)
    assert "không trả lời" in badge_text(page)
    assert [item["body"]["content"] for item in queue(page)] == [c for _, c in speakers]
    assert all(item["appVersion"] and item["queuedAt"] for item in queue(page))
    assert page.locator("#opinions tbody tr .queue-mark").count() == 2
    page.screenshot(path=str(ARTIFACTS / "offline-badge-queued.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.evaluate("window.scrollTo(0, 0)")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the badge makes the page scroll sideways by {overflow}px"
    page.screenshot(path=str(ARTIFACTS / "offline-badge-queued-phone.png"))

    field_server.restart()
    wait_for_js(
        page, "document.querySelector('#net-status .net-queued').textContent.includes('0')",
        seconds=REPLAY_SECONDS)
    assert "đang chạy" in badge_text(page)
    assert queue(page) == []
    wait_for_js(page, "document.querySelectorAll('#opinions .queue-mark').length === 0")
    # The "kept in the browser" warning goes once everything has reached the server.
    wait_for_js(page, "document.querySelector('#quick-form .save-status').textContent === ''")

    stored = stored_opinions(field_server, forum_id)
    contents = sorted(o["content"] for o in stored)
    assert contents == sorted(["Xin sửa đường trước mùa mưa"] + [c for _, c in speakers])
    # In the order they were spoken.
    by_position = [o["content"] for o in sorted(stored, key=lambda o: o["position"])]
    assert by_position[1:] == [c for _, c in speakers]
    page.reload()
    assert page.locator("#opinions tbody tr").count() == 3


def test_queued_items_survive_closing_the_page(field_server, page):
    forum_id = create_forum(page, field_server)
    forum_url = page.url.split("#")[0]
    field_server.stop()
    type_opinion(page, "Lò Thị Dung", "Xin làm lại cầu treo")
    page.wait_for_selector("#opinions .queue-mark.pending")
    context = page.context
    page.close()

    field_server.restart()
    again = context.new_page()
    again.goto(forum_url)
    wait_offline_ready(again)
    wait_for(lambda: not queue(again), seconds=REPLAY_SECONDS, what="the queue sent")
    assert [o["content"] for o in stored_opinions(field_server, forum_id)] == [
        "Xin làm lại cầu treo"]


# (c) A queued item the server refuses: shown with its reason, fixed, saved ---------------


def test_a_rejected_queued_item_shows_its_reason_and_can_be_fixed(field_server, page):
    forum_id = create_forum(page, field_server)
    field_server.stop()
    page.fill("#op-raiser_name", "Lò Văn Panh")
    # A page cached by an older version had no maxlength: the server is the judge.
    page.locator("#op-content").evaluate(
        "el => { el.removeAttribute('maxlength'); el.removeAttribute('data-maxlength'); }")
    page.fill("#op-content", "Đường sạt lở. " + "x" * 10000)
    page.locator("#op-content").press("Enter")
    page.wait_for_selector("#opinions .queue-mark.pending")
    queued_id = queue(page)[0]["id"]

    field_server.restart()
    panel = page.locator("#queue-panel")
    panel.wait_for(state="visible", timeout=REPLAY_SECONDS * 1000)
    assert "bị từ chối: 1" in badge_text(page)
    assert "Quá dài (tối đa 10000 ký tự)" in panel.inner_text()
    assert page.locator("#opinions .queue-mark.rejected").count() == 1
    [item] = queue(page)
    assert item["status"] == "rejected" and item["httpStatus"] == 422
    page.screenshot(path=str(ARTIFACTS / "offline-rejected-panel.png"), full_page=True)

    panel.get_by_role("button", name="Sửa").click()
    assert page.locator("#op-client_id").input_value() == queued_id
    assert page.locator("#op-content").input_value().startswith("Đường sạt lở.")
    assert "Quá dài (tối đa 10000 ký tự)" in page.locator("#quick-form").inner_text()
    page.fill("#op-content", "Đường sạt lở, xin sửa trước mùa mưa")
    page.locator("#op-content").press("Enter")
    wait_for_js(page, "document.querySelectorAll('#opinions .queue-mark').length === 0")
    assert page.locator("#queue-panel").is_hidden()
    assert "bị từ chối" not in badge_text(page)
    stored = stored_opinions(field_server, forum_id)
    assert [(o["id"], o["content"]) for o in stored] == [
        (queued_id, "Đường sạt lở, xin sửa trước mùa mưa")]
    assert page.locator("#opinions tbody tr").count() == 1


def test_a_rejected_intake_item_can_be_fixed_from_another_page(field_server, page):
    """Intake outside forums queues too; "Sửa" on any page opens the intake form."""
    page.goto(field_server.url + "/opinions/new")
    wait_offline_ready(page)
    page.select_option("#village_id", label="Bản Đán")
    field_server.stop()
    # A page cached by an older version had no limit in the browser: the server judges.
    page.locator("#content").evaluate(
        "el => { el.removeAttribute('maxlength'); el.removeAttribute('data-maxlength'); }")
    page.fill("#content", "y" * 10001)
    page.get_by_role("button", name="Lưu").click()
    wait_for_js(page, "document.querySelector('.save-status').textContent.includes('chờ gửi')")
    assert page.locator("#content").input_value() == ""
    queued_id = queue(page)[0]["id"]
    field_server.restart()
    page.locator("#queue-panel").wait_for(state="visible", timeout=REPLAY_SECONDS * 1000)

    page.goto(field_server.url + "/opinions")
    wait_offline_ready(page)
    page.locator("#queue-panel").get_by_role("button", name="Sửa").click()
    page.wait_for_url("**/opinions/new#fix=*")
    wait_for_js(page, f"document.getElementById('client_id').value === '{queued_id}'")
    page.fill("#content", "Xin lắp đèn đường")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(f"**/opinions/{queued_id}")
    assert api_get(field_server, f"/api/v1/opinions/{queued_id}")["content"] == "Xin lắp đèn đường"


# (d) The same item sent twice is stored once --------------------------------------------


def test_the_same_item_replayed_twice_is_stored_once(field_server, page):
    forum_id = create_forum(page, field_server)
    body = {"id": str(uuid.uuid4()), "forum_id": forum_id, "channel": "forum",
            "content": "Xin kéo điện về cuối bản"}
    statuses = page.evaluate("""async (body) => {
        const send = () => fetch('/api/v1/opinions', {method: 'POST', body: JSON.stringify(body),
            headers: {'Content-Type': 'application/json'}}).then(r => r.status);
        return [await send(), await send()];
    }""", body)
    assert statuses == [201, 200]
    # The answer to the first send was lost: the item is still queued and replays.
    page.evaluate("""async (body) => {
        await new Promise((resolve, reject) => {
            const open = indexedDB.open('langnghe');
            open.onsuccess = () => {
                const t = open.result.transaction('queue', 'readwrite');
                t.objectStore('queue').put({id: body.id, url: '/api/v1/opinions', method: 'POST',
                    body: body, queuedAt: Date.now(), seq: 1, appVersion: '0.0.1',
                    status: 'pending'});
                t.oncomplete = () => { open.result.close(); resolve(); };
                t.onerror = () => reject(t.error);
            };
        });
        await LangNghe.replay();
    }""", body)
    assert queue(page) == []
    stored = stored_opinions(field_server, forum_id)
    assert [o["id"] for o in stored] == [body["id"]]
    assert api_post(field_server, "/api/v1/opinions", body)[0] == 200
    assert len(stored_opinions(field_server, forum_id)) == 1


# (e) A draft is deleted only after the server confirmed the save -------------------------


def test_quick_entry_draft_is_deleted_after_the_api_confirms(field_server, page):
    forum_id = create_forum(page, field_server)
    key = f"opinion-quick|/forums/{forum_id}"
    page.locator("#op-content").type("Xin hỗ trợ giống ngô")
    wait_for(lambda: draft_of(page, key), what="the draft")
    page.locator("#op-content").press("Enter")
    page.wait_for_selector("#opinions tbody tr a")
    page.wait_for_timeout(500)  # past the debounce: nothing writes the draft back
    assert draft_of(page, key) is None
    assert len(stored_opinions(field_server, forum_id)) == 1


def test_plain_form_draft_is_deleted_after_the_saved_page_and_kept_when_server_down(
        field_server, page):
    forum_id = create_forum(page, field_server)
    edit_url = f"{field_server.url}/forums/{forum_id}/edit"
    key = f"forum|/forums/{forum_id}/edit"

    # The server is down when the form is sent: the draft stays.
    page.goto(edit_url)
    wait_offline_ready(page)
    page.locator("#chair").fill("")
    page.locator("#chair").type("Cầm Văn Sơn")
    wait_for(lambda: (draft_of(page, key) or {}).get("values", {}).get("chair") == "Cầm Văn Sơn",
             what="the draft")
    field_server.stop()
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_load_state()
    field_server.restart()
    page.goto(edit_url)
    wait_offline_ready(page)
    page.locator(".draft-notice").wait_for()
    assert page.locator("#chair").input_value() == "Cầm Văn Sơn"
    assert draft_of(page, key) is not None

    # Sent and saved: the next page tells offline.js, which deletes the draft.
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(f"**/forums/{forum_id}")
    wait_offline_ready(page)
    wait_for(lambda: draft_of(page, key) is None, what="the draft deleted")
    assert api_get(field_server, f"/api/v1/forums/{forum_id}")["chair"] == "Cầm Văn Sơn"


def test_new_forum_draft_is_deleted_and_a_resent_form_makes_one_forum(field_server, page):
    page.goto(field_server.url + "/forums/new")
    wait_offline_ready(page)
    page.select_option("#village_id", label="Bản Đán")
    page.locator("#venue").type("Nhà văn hóa bản Đán")
    wait_for(lambda: draft_of(page, "forum|/forums/new"), what="the draft")
    client_id = page.locator("#client_id").input_value()
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(re.compile(r".*/forums/[0-9a-f-]{36}(#.*)?$"), timeout=60000)
    wait_offline_ready(page)
    assert page.url.split("/forums/")[1].split("#")[0] == client_id
    wait_for(lambda: draft_of(page, "forum|/forums/new") is None, what="the draft deleted")
    forums = api_get(field_server, "/api/v1/forums")["items"]
    assert [f["id"] for f in forums] == [client_id]
