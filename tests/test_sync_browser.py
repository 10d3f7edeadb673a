"""The whole loop in a real Chromium: office enrols a laptop, the laptop syncs, answers return."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from field_app.cli import main
from field_app.extensions import db

from .browser import ARTIFACTS, FieldServer, wait_for_js, watch_csp
from .conftest import laptop_folder

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]
HOSTILE = "<script>window.hacked = 1</script>Xin sửa cầu treo"


@pytest.fixture
def recorded_laptop(tmp_path):
    """A laptop server (`langnghe field`) with one forum of three opinions, not enrolled."""
    from .test_sync import record_forum

    data_dir = tmp_path / "laptop-server"
    with laptop_folder(data_dir):
        from field_app.opinions import logic as opinions

        forum, _said = record_forum(2)
        opinions.create_opinion({"raiser_name": "Lò Văn Pọm", "content": HOSTILE,
                                 "category_code": "construction"}, forum)
        db.session.commit()
    server = FieldServer(data_dir).start()
    yield server
    server.stop()


def office_code(page, central) -> str:
    """Log in to the office as a new officer and make a one-time code for Mường La."""
    made = CliRunner().invoke(main, ["central", "--database", central.database, "--data",
                                     str(central.data_dir), "create-admin", "canbo",
                                     "--password", "mat-khau-xa-2026"])
    assert made.exit_code == 0, made.output
    page.goto(central.url + "/central/")
    page.fill("#username", "canbo")
    page.fill("#password", "mat-khau-xa-2026")
    page.get_by_role("button", name="Đăng nhập").click()
    page.fill("#commune", "muong la")
    page.fill("#label", "Máy bản Nà Lò")
    page.get_by_role("button", name="Tạo mã").click()
    return page.locator("#new-code strong").inner_text()


def test_office_enrols_laptop_syncs_and_answer_comes_back(sqlite_central, recorded_laptop,
                                                           page):
    central, laptop = sqlite_central, recorded_laptop
    violations = watch_csp(page)  # office pages and laptop pages alike
    code = office_code(page, central)
    assert len(code) == 14

    # The village head enrols the laptop and presses Đồng bộ.
    page.goto(laptop.url + "/sync/")
    page.fill("#server_url", central.url)
    page.fill("#code", code)
    page.get_by_role("button", name="Đăng ký").click()
    assert "Đã đăng ký máy" in page.inner_text("main")
    assert page.inner_text("#sync-pending") == "5"  # the village, the forum, three opinions
    page.evaluate("window.beforeSync = true")
    page.get_by_role("button", name="Đồng bộ").click()
    # The page reloads itself once the sync is done: wait for that new page, or the next
    # navigation would be cut short by it.
    wait_for_js(
        page, "!window.beforeSync && document.readyState === 'complete' && "
        "document.getElementById('sync-pending') && "
        "document.getElementById('sync-pending').textContent.trim() === '0'", seconds=30)
    page.screenshot(path=str(ARTIFACTS / "sync-laptop-after.png"), full_page=True)
    assert central.count("opinion") == 3

    # The office sees the opinions (hostile text shown as text) and answers one.
    page.goto(central.url + "/central/inbox")
    assert "<script>" in page.inner_text("#records")
    assert page.evaluate("window.hacked") is None
    page.locator("tr", has_text="Lò Văn Pọm").locator("a").first.click()
    form = page.locator("#workflow form")
    form.locator("select[name=status]").select_option("answered")
    form.locator("textarea[name=answer_text]").fill("Xã sẽ sửa cầu treo trong quý I/2027.")
    form.locator("input[name=answer_by]").fill("Chủ tịch UBND xã")
    form.get_by_role("button", name="Lưu").click()
    assert "Đã lưu" in page.inner_text("main")
    assert "quý I/2027" in page.inner_text("#history")
    page.goto(central.url + "/central/")
    assert "Máy bản Nà Lò" in page.inner_text("#devices")
    page.screenshot(path=str(ARTIFACTS / "sync-central-devices.png"), full_page=True)
    # The officer logs out with the top bar's button (a POST form, CSRF token included).
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/central/login")
    page.goto(central.url + "/central/inbox")
    assert "/central/login" in page.url

    # Back on the laptop: sync, and the answer is there to read out at the next meeting.
    page.goto(laptop.url + "/sync/")
    page.get_by_role("button", name="Đồng bộ").click()
    # This sync or the laptop's own background sync (under load it may come first)
    # brings the answer: read the opinion until it shows (bounded).
    page.goto(laptop.url + "/opinions?q=cau treo")
    page.get_by_text("Xin sửa cầu treo").first.click()
    deadline = time.monotonic() + 30
    while page.inner_text("#workflow-status") != "Đã trả lời" and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    assert page.inner_text("#workflow-status") == "Đã trả lời"
    assert "quý I/2027" in page.inner_text("#central-answer-text")
    page.screenshot(path=str(ARTIFACTS / "sync-answer-on-laptop.png"), full_page=True)
    assert violations == []
