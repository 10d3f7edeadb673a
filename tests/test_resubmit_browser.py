"""A form saved, shown again by the browser's Back and saved again, makes one record.

A real `langnghe field` server and Debian's Chromium: Back builds the page again
(a new record id in it) and puts back what was typed.
"""

from __future__ import annotations

import re

import pytest

from .test_pwa_offline import api_get, stored_opinions, wait_offline_ready

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
FORUM_PAGE = re.compile(r".*/forums/[0-9a-f-]{36}(#.*)?$")


def shown_id(page) -> str:
    return page.url.split("/forums/")[1].split("#")[0].split("?")[0]


def test_back_after_saving_a_new_forum_and_saving_again_shows_the_saved_forum(
        field_server, page):
    page.goto(field_server.url + "/forums/new")
    wait_offline_ready(page)
    page.select_option("#village_id", label="Bản Đán")
    page.fill("#venue", "Nhà văn hóa bản Đán")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(FORUM_PAGE, timeout=60000)
    wait_offline_ready(page)
    first = shown_id(page)
    page.go_back()
    page.wait_for_url(re.compile(r".*/forums/new$"))
    wait_offline_ready(page)
    assert page.locator("#venue").input_value() == "Nhà văn hóa bản Đán"
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(FORUM_PAGE, timeout=60000)
    assert shown_id(page) == first
    assert "Hội nghị này đã được lưu trước đó" in page.locator(".flash.info").all_inner_texts()[0]
    assert [f["id"] for f in api_get(field_server, "/api/v1/forums")["items"]] == [first]

    # A new forum asked for from the menu is a new one.
    page.goto(field_server.url + "/forums/new")
    wait_offline_ready(page)
    page.select_option("#village_id", label="Bản Nà Lò")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(FORUM_PAGE, timeout=60000)
    assert shown_id(page) != first
    assert len(api_get(field_server, "/api/v1/forums")["items"]) == 2


def test_a_new_forum_form_sent_back_with_errors_keeps_its_record_id(field_server, page):
    page.goto(field_server.url + "/forums/new")
    wait_offline_ready(page)
    client_id = page.locator("#client_id").input_value()
    page.select_option("#village_id", label="Bản Đán")
    page.fill("#attendance_total", "10")
    page.fill("#attendance_women", "12")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_selector(".has-error")
    wait_offline_ready(page)
    assert page.locator("#client_id").input_value() == client_id
    page.fill("#attendance_women", "5")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(FORUM_PAGE, timeout=60000)
    assert shown_id(page) == client_id


def test_back_after_an_intake_opinion_and_saving_again_records_it_once(field_server, page):
    page.goto(field_server.url + "/opinions/new")
    wait_offline_ready(page)
    page.select_option("#village_id", label="Bản Đán")
    page.fill("#content", "Nước sinh hoạt thiếu vào mùa khô")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(re.compile(r".*/opinions/[0-9a-f-]{36}$"), timeout=60000)
    first = page.url.rsplit("/", 1)[1]
    page.go_back()
    page.wait_for_url(re.compile(r".*/opinions/new$"))
    wait_offline_ready(page)
    assert page.locator("#content").input_value() == "Nước sinh hoạt thiếu vào mùa khô"
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(re.compile(r".*/opinions/[0-9a-f-]{36}$"), timeout=60000)
    assert page.url.rsplit("/", 1)[1] == first
    items = api_get(field_server, "/api/v1/opinions?per_page=100")["items"]
    assert [o["id"] for o in items] == [first]


def test_after_back_to_a_forum_the_next_quick_entry_is_a_new_opinion(field_server, page):
    page.goto(field_server.url + "/forums/new")
    wait_offline_ready(page)
    page.select_option("#village_id", label="Bản Đán")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(FORUM_PAGE, timeout=60000)
    wait_offline_ready(page)
    forum_id = shown_id(page)
    page.fill("#op-content", "Đường vào bản sạt lở")
    page.locator("#op-content").press("Enter")
    page.wait_for_selector("#opinions-table tbody tr, table.opinions tbody tr")
    page.goto(field_server.url + "/opinions")
    page.go_back()
    page.wait_for_url(FORUM_PAGE)
    wait_offline_ready(page)
    page.fill("#op-content", "Đường vào bản sạt lở")
    page.locator("#op-content").press("Enter")
    deadline = 50
    while len(stored_opinions(field_server, forum_id)) < 2 and deadline:
        page.wait_for_timeout(200)
        deadline -= 1
    assert len(stored_opinions(field_server, forum_id)) == 2
