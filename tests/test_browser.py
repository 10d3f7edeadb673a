"""The field app in a real headless Chromium against a real waitress server."""

import json
import re
import urllib.request

import pytest

from .browser import ARTIFACTS, wait_for_js, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def api_get(server, path):
    with urllib.request.urlopen(server.url + path, timeout=10) as response:
        return json.load(response)


def create_forum(page, server):
    page.goto(server.url + "/")
    page.get_by_role("link", name="+ Tạo hội nghị").click()
    page.select_option("#village_id", label="Bản Nà Lò")
    page.fill("#venue", "Nhà văn hóa bản Nà Lò")
    page.fill("#chair", "Lò Văn Minh")
    page.fill("#secretary", "Quàng Thị Hoa")
    page.fill("#attendance_total", "64")
    page.fill("#attendance_women", "30")
    page.get_by_role("button", name="Lưu").click()
    # "**/forums/*" would match /forums/new itself, before the redirect.
    page.wait_for_url(re.compile(r".*/forums/[0-9a-f-]{36}(#.*)?$"), timeout=60000)
    return page.url.split("/forums/")[1].split("#")[0]


def test_opinions_typed_from_the_keyboard_are_saved_once_each(field_server, page):
    forum_id = create_forum(page, field_server)
    name = page.locator("#op-raiser_name")
    wait_for_js(page, "document.activeElement.id === 'op-raiser_name'", seconds=5)
    speakers = [("Lò Văn Panh", "Đường vào ban bi sat lo, xin sua"),
                ("Cầm Thị Xuân", "Xin hỗ trợ nước sinh hoạt mùa khô"),
                ("", "Điện chập chờn ở cuối bản")]
    for number, (speaker, content) in enumerate(speakers, start=1):
        page.keyboard.type(speaker)
        page.keyboard.press("Tab")  # one Tab from the name to the content
        page.keyboard.type(content)
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#opinions tbody tr:nth-child({number})")
        # Saved, cleared, and back in the first box for the next speaker.
        assert page.locator("#op-content").input_value() == ""
        assert name.evaluate("el => el === document.activeElement")
    page.screenshot(path=str(ARTIFACTS / "forum-quick-entry.png"), full_page=True)
    stored = api_get(field_server, f"/api/v1/opinions?forum_id={forum_id}")
    assert sorted(o["content"] for o in stored["items"]) == sorted(c for _, c in speakers)
    page.reload()
    assert page.locator("#opinions tbody tr").count() == 3


def test_shift_enter_makes_a_new_line_instead_of_saving(field_server, page):
    forum_id = create_forum(page, field_server)
    page.locator("#op-content").focus()
    page.keyboard.type("Dòng một")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("Dòng hai")
    assert page.locator("#op-content").input_value() == "Dòng một\nDòng hai"
    assert api_get(field_server, f"/api/v1/opinions?forum_id={forum_id}")["total"] == 0


def test_empty_opinion_shows_the_reason_next_to_the_box(field_server, page):
    forum_id = create_forum(page, field_server)
    page.locator("#op-content").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("p.error")
    assert page.locator(".save-status").inner_text() != ""
    assert api_get(field_server, f"/api/v1/opinions?forum_id={forum_id}")["total"] == 0


def test_script_in_an_opinion_renders_as_text(field_server, page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    create_forum(page, field_server)
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    page.locator("#op-content").fill(evil)
    page.locator("#op-content").press("Enter")
    page.wait_for_selector("#opinions tbody tr")
    page.reload()
    assert page.locator("#opinions td.content").first.inner_text() == evil
    page.goto(field_server.url + "/opinions?q=script")
    assert evil[:20] in page.locator("td.content").first.inner_text()
    assert dialogs == []


def test_quick_entry_works_without_javascript(field_server, tmp_path):
    """An old browser with JavaScript off still records (plain POST)."""
    from playwright.sync_api import sync_playwright

    from .browser import CHROMIUM_FLAGS, chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(),
                                             args=CHROMIUM_FLAGS)
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        forum_id = create_forum(page, field_server)
        page.fill("#op-raiser_name", "Lò Thị Dung")
        page.fill("#op-content", "Xin làm lại cầu treo")
        page.get_by_role("button", name="Lưu ý kiến (Enter)").click()
        page.wait_for_selector("#opinions tbody tr")
        assert page.locator("#op-content").input_value() == ""
        context.close()
        browser.close()
    stored = api_get(field_server, f"/api/v1/opinions?forum_id={forum_id}")
    assert [o["content"] for o in stored["items"]] == ["Xin làm lại cầu treo"]


@pytest.mark.parametrize("width, height, name", [(1366, 768, "laptop"), (390, 844, "phone")])
def test_pages_fit_the_screen_without_horizontal_scrolling(field_server, page, width, height,
                                                           name):
    page.set_viewport_size({"width": width, "height": height})
    forum_id = create_forum(page, field_server)
    for path, shot in ((f"/forums/{forum_id}", "forum"), ("/opinions", "opinions"),
                       ("/villages", "villages"), ("/", "forums")):
        page.goto(field_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
        page.screenshot(path=str(ARTIFACTS / f"{shot}-{name}.png"), full_page=True)


def test_main_pages_run_under_the_csp_without_a_violation(field_server, page):
    """No inline script, handler or style is blocked; the page actions still work."""
    violations = watch_csp(page)
    forum_id = create_forum(page, field_server)
    page.fill("#op-content", "Xin làm đường vào bản")
    page.keyboard.press("Enter")
    page.wait_for_selector("#opinions tbody tr:nth-child(1)")
    for path in ("/", "/opinions", "/opinions/new", "/villages", "/categories", "/sync/",
                 f"/forums/{forum_id}/minutes", "/offline", "/no-such-page"):
        page.goto(field_server.url + path)
        page.wait_for_load_state("load")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    # data-autosubmit: choosing a village filters the forums without a button.
    page.goto(field_server.url + "/")
    with page.expect_navigation():
        page.select_option("#village", label="Bản Nà Lò")
    assert "village=" in page.url
    # data-confirm: the question is asked; dismissing it keeps the opinion.
    page.goto(field_server.url + "/opinions")
    page.locator("table.list a").first.click()
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Xoá").click()
    assert questions == ["Xoá ý kiến này?"]
    assert api_get(field_server, "/api/v1/opinions")["items"]
    assert violations == []


def test_a_name_typed_while_the_save_is_on_its_way_is_kept(field_server, page):
    # On an old laptop a save takes a moment; the secretary already types the next
    # speaker's name. Clearing the form when the save comes back must not wipe it.
    create_forum(page, field_server)
    held = []
    page.route("**/api/v1/opinions", lambda route: held.append(route)
               if route.request.method == "POST" else route.continue_())
    wait_for_js(page, "document.activeElement.id === 'op-raiser_name'", seconds=5)
    page.keyboard.type("Lò Văn Panh")
    page.keyboard.press("Tab")
    page.keyboard.type("Đường vào bản bị sạt lở")
    page.keyboard.press("Enter")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the save never left the page"
    page.locator("#op-raiser_name").fill("Cầm Thị Xuân")
    held[0].continue_()
    page.wait_for_selector("#opinions tbody tr:nth-child(1)")
    wait_for_js(page, "document.getElementById('op-content').value === ''", seconds=10)
    assert page.locator("#op-raiser_name").input_value() == "Cầm Thị Xuân"
