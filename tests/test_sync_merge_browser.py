"""Per-field merge seen in a real Chromium: the office reclassifies, the village head edits."""

from __future__ import annotations

import time

import pytest

from .browser import ARTIFACTS, wait_for_js
from .test_sync_browser import (
    office_code,
    recorded_laptop,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


def press_sync(page, laptop) -> None:
    page.goto(laptop.url + "/sync/")
    page.get_by_role("button", name="Đồng bộ").click()
    wait_for_js(page, "document.getElementById('sync-pending') && "
                "document.getElementById('sync-pending').textContent.trim() === '0'",
                seconds=30)


def test_office_category_survives_a_content_edit_on_the_laptop(sqlite_central,
                                                                recorded_laptop, page):  # noqa: F811 - the fixture
    central, laptop = sqlite_central, recorded_laptop
    code = office_code(page, central)
    page.goto(laptop.url + "/sync/")
    page.fill("#server_url", central.url)
    page.fill("#code", code)
    page.get_by_role("button", name="Đăng ký").click()
    press_sync(page, laptop)

    # The office reclassifies Lò Văn Pọm's opinion as public order.
    page.goto(central.url + "/central/inbox")
    page.locator("tr", has_text="Lò Văn Pọm").locator("a").first.click()
    opinion_page = page.url
    form = page.locator("#workflow form")
    form.locator("select[name=category_code]").select_option(label="An ninh trật tự")
    form.get_by_role("button", name="Lưu").click()
    assert "Đã lưu" in page.inner_text("main")

    # Before any sync the village head corrects what was said, nothing else.
    time.sleep(0.01)
    page.goto(laptop.url + "/opinions?q=po")
    page.get_by_text("Xin sửa cầu treo").first.click()
    page.get_by_role("link", name="Sửa").first.click()
    page.fill("#content", "Xin sửa cầu treo qua suối Nặm Pàn trước mùa mưa")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url("**/opinions/*")
    press_sync(page, laptop)

    # Both stand: the office's category and the village's words, on both sides.
    page.goto(opinion_page)
    assert "Nặm Pàn" in page.inner_text("#said")
    assert page.locator("#workflow select[name=category_code] option:checked").inner_text() \
        == "An ninh trật tự"
    assert "Xung đột" not in page.inner_text("main")
    page.goto(laptop.url + "/opinions?q=nam pan")
    page.get_by_text("Nặm Pàn").first.click()
    assert "An ninh trật tự" in page.inner_text("dl.facts")
    page.screenshot(path=str(ARTIFACTS / "merge-category-kept-on-laptop.png"), full_page=True)
