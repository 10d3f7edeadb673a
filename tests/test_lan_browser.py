"""`langnghe field --lan` in real Chromium: the laptop shows the PIN and a QR code; a
phone on the hotspot records a forum and its opinions but cannot amend or administer."""

from datetime import datetime

import pytest

from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.opinions import logic as opinions
from field_app.pwa import lan

from .browser import (
    ARTIFACTS,
    CHROMIUM_FLAGS,
    FieldServer,
    chromium_path,
    wait_for_js,
    watch_csp,
)
from .conftest import laptop_folder

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


@pytest.fixture
def lan_server(tmp_path):
    """`langnghe field --lan` with a village and one finalised forum; its id."""
    data_dir = tmp_path / "server-data"
    with laptop_folder(data_dir) as (village,):
        done = forums.create_forum({
            "kind": "listening", "village_id": village.id,
            "started_at": datetime(2026, 11, 1, 8), "venue": "Nhà văn hóa",
            "chair": "Lò Văn Minh", "secretary": "Quàng Thị Hoa",
            "officials_present": "Cầm Văn Sơn", "attendance_total": 40,
            "attendance_women": 20, "attendance_ethnic_minority": 38,
            "households_represented": 40, "agenda": "Nghe ý kiến của Nhân dân"})
        opinions.create_opinion({"content": "Đường vào bản hỏng",
                                 "category_code": "construction"}, done)
        forums.finalise_forum(done)
        db.session.commit()
        finalised = str(done.id)
    server = FieldServer(data_dir, ("--lan",)).start()
    yield server, finalised
    server.stop()


def test_phone_on_the_hotspot_records_but_cannot_amend(lan_server):
    from playwright.sync_api import sync_playwright

    server, finalised = lan_server
    address = lan.lan_addresses()[0]  # the machine's own address: not loopback
    phone_url = f"http://{address}:{server.port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(),
                                             args=CHROMIUM_FLAGS)
        laptop = browser.new_context(viewport={"width": 1366, "height": 768},
                                     locale="vi-VN").new_page()
        violations = watch_csp(laptop)
        laptop.goto(server.url + "/")
        pin = laptop.locator(".lan-banner .pin").inner_text().strip()
        assert len(pin) == 6
        assert phone_url + "/" in laptop.locator(".lan-banner").inner_text()
        laptop.get_by_text("Mã QR cho điện thoại").click()
        qr = laptop.locator(".lan-qr img").first
        qr.wait_for()
        assert qr.evaluate("img => img.complete && img.naturalWidth > 100")
        assert not violations, violations  # the QR is a same-origin image: CSP allows it

        phone = browser.new_context(viewport={"width": 390, "height": 844},
                                    locale="vi-VN", is_mobile=True).new_page()
        phone.goto(phone_url + "/")
        assert "/pin" in phone.url
        phone.fill("#pin", pin)
        phone.get_by_role("button", name="Vào").click()
        phone.wait_for_url(phone_url + "/")
        nav = phone.locator("header nav")
        assert nav.get_by_role("link", name="Hội nghị", exact=True).count() == 1
        for hidden in ("/villages", "/categories", "/sync/"):
            assert nav.locator(f'a[href="{hidden}"]').count() == 0, hidden
            assert laptop.locator(f'header nav a[href="{hidden}"]').count() == 1, hidden

        # Recording: a new forum and an opinion typed into it.
        phone.get_by_role("link", name="+ Tạo hội nghị").click()
        phone.select_option("#village_id", label="Bản Nà Lò")
        phone.fill("#venue", "Nhà văn hóa bản Nà Lò")
        phone.get_by_role("button", name="Lưu").click()
        phone.wait_for_url("**/forums/*")
        phone.fill("#op-content", "Xin sửa cầu treo qua suối")
        phone.locator("#op-content").press("Enter")
        phone.wait_for_selector("#opinions tbody tr:nth-child(1)")
        assert "Xin sửa cầu treo" in phone.locator("#opinions").inner_text()

        # Finalised minutes: no amendment from the phone, on screen or by address.
        phone.goto(f"{phone_url}/forums/{finalised}")
        assert phone.get_by_role("link", name="Đính chính").count() == 0
        answer = phone.goto(f"{phone_url}/forums/{finalised}/edit")
        assert answer.status == 403
        assert "chỉ làm được trên máy tính" in phone.content()
        assert phone.goto(f"{phone_url}/villages").status == 403
        # The laptop still amends.
        laptop.goto(f"{server.url}/forums/{finalised}")
        assert laptop.get_by_role("link", name="Đính chính").count() == 1
        browser.close()


def test_the_village_head_opens_and_closes_phone_access_with_a_button(tmp_path):
    """Plain `langnghe field` (no --lan) listens on 127.0.0.1 only: nothing answers on
    the laptop's network address (so Windows asks nothing at the first start). The
    laptop's button opens it, behind the PIN shown with the QR code; the other button
    shuts phones out again, with a page telling them whom to ask."""
    import socket
    import urllib.error
    import urllib.request

    from playwright.sync_api import sync_playwright

    data_dir = tmp_path / "server-data"
    with laptop_folder(data_dir):
        pass
    server = FieldServer(data_dir).start()
    try:
        address = lan.lan_addresses()[0]  # the machine's own address: not loopback
        phone_url = f"http://{address}:{server.port}"
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, server.port), timeout=10).close()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(),
                                                 args=CHROMIUM_FLAGS)
            phone = browser.new_context(viewport={"width": 390, "height": 844},
                                        locale="vi-VN", is_mobile=True).new_page()

            laptop = browser.new_context(viewport={"width": 1366, "height": 768},
                                         locale="vi-VN").new_page()
            violations = watch_csp(laptop)
            laptop.goto(server.url + "/")
            assert laptop.locator(".lan-banner").count() == 0
            laptop.locator("#nav-phones").click()
            laptop.get_by_role("button", name="Mở cho điện thoại").click()
            laptop.wait_for_selector("#phones-pin")
            pin = laptop.locator("#phones-pin").inner_text().strip()
            assert len(pin) == 6 and pin.isdigit()
            assert phone_url + "/" in laptop.locator("#phones").inner_text()
            qr = laptop.locator(".phones-qr img").first
            qr.wait_for()
            wait_for_js(laptop, "() => [...document.querySelectorAll('.phones-qr img')]"
                                ".every(img => img.complete && img.naturalWidth > 100)")
            assert laptop.locator(".lan-banner .pin").inner_text().strip() == pin
            laptop.screenshot(path=str(ARTIFACTS / "lan-phones-on.png"), full_page=True)
            assert not violations, violations

            phone.goto(phone_url + "/")
            assert "/pin" in phone.url
            phone.fill("#pin", pin)
            phone.get_by_role("button", name="Vào").click()
            phone.wait_for_url(phone_url + "/")
            assert phone.locator("#nav-phones").count() == 0  # never the switch on a phone
            assert phone.goto(phone_url + "/phones").status == 403

            laptop.get_by_role("button", name="Tắt, không cho điện thoại vào").click()
            laptop.wait_for_selector("#phones-on-button")
            assert laptop.locator(".lan-banner").count() == 0
            assert phone.goto(phone_url + "/").status == 403
            assert "Chưa mở cho điện thoại" in phone.content()
            assert "Mở cho điện thoại" in phone.locator("#phones-off").inner_text()
            browser.close()
        # The API says so too, in its own words.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(phone_url + "/api/v1/opinions", timeout=10)
        assert refused.value.code == 403
        assert b'"phones_off"' in refused.value.read()
    finally:
        server.stop()
