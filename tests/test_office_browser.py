"""Issue 9's "done when", in a real Chromium: three laptops of two communes sync to a real
central; an officer of one commune finds an opinion by typing without diacritics and reads
its history; a viewer sees no names or phones. Screenshots at 1366×768 and on a phone."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask

from field_app import create_app
from field_app.areas import logic as areas
from field_app.attachments import logic as attachments
from field_app.central.accounts.logic import create_account
from field_app.cli import upgrade_database
from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.opinions import logic as opinions
from field_app.outbox import logic as outbox

from .browser import ARTIFACTS, watch_csp
from .office_support import CHIENG_LAO, MUONG_LA, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
ICON = Path(__file__).resolve().parent.parent / "static" / "icons" / "icon-192.png"
PHONE = {"width": 390, "height": 844}


def field_laptop(data_dir: Path, commune_code: int, villages: tuple[str, ...]) -> Flask:
    """A field app in this process on its own SQLite file, set up for one commune."""
    app = create_app({"DATA_DIR": data_dir, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "SYNC_BACKOFF": 0.01, "SYNC_ATTEMPTS": 4, "SYNC_TIMEOUT": (5.0, 30.0)})
    upgrade_database(app)
    with app.app_context():
        commune = areas.choose_commune(commune_code)
        for name in villages:
            areas.add_village(commune, name, None, 100)
        db.session.commit()
    return app


def hold_forum(app: Flask, said: list[tuple[str, str, str]], code: str, label: str,
               photo: bool = False) -> None:
    """Record a forum with these (content, raiser, phone) opinions, enrol and sync."""
    with app.app_context():
        village = areas.villages()[0]
        forum = forums.create_forum({
            "kind": "listening", "village_id": village.id,
            "started_at": datetime(2026, 11, 20, 8), "venue": f"Nhà văn hóa {village.name}",
            "chair": "Lò Văn Minh", "attendance_total": 58, "attendance_women": 25})
        made = [opinions.create_opinion({"content": content, "raiser_name": raiser,
                                         "raiser_phone": phone,
                                         "category_code": "construction"}, forum)
                for content, raiser, phone in said]
        if photo:
            attachments.attach(app.config["DATA_DIR"], io.BytesIO(ICON.read_bytes()),
                               "anh-doan-duong.png", app.config["ATTACHMENT_MAX_BYTES"],
                               opinion=made[0])
        db.session.commit()
        outbox.enroll(app.config["CENTRAL_URL"], code, label)
        summary = outbox.run_sync()
        assert summary.rejected == 0
        if photo:
            # The village head corrects the first opinion afterwards: a second version.
            opinions.update_opinion(made[0], {
                "content": said[0][0] + ", dài khoảng 300 m", "raiser_name": said[0][1],
                "raiser_phone": said[0][2], "category_code": "construction"})
            db.session.commit()
            assert outbox.run_sync().rejected == 0
        db.session.remove()
        db.engine.dispose()


def log_in(page, central, username: str) -> None:
    page.goto(central.url + "/central/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state("load")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_officer_finds_an_opinion_without_diacritics_and_a_viewer_sees_no_names(
        central, tmp_path, page):
    a1 = field_laptop(tmp_path / "na-lo", MUONG_LA, ("Bản Nà Lò",))
    a2 = field_laptop(tmp_path / "ban-dan", MUONG_LA, ("Bản Đán",))
    b1 = field_laptop(tmp_path / "chieng-lao", CHIENG_LAO, ("Bản Lao",))
    for app in (a1, a2, b1):
        app.config["CENTRAL_URL"] = central.url
    hold_forum(a1, [("Đề nghị sửa đường vào bản bị sạt lở", "Lò Văn Pọm", "0912345678"),
                    ("Điện chập chờn vào buổi tối", "Quàng Thị Hoa", "0987654321")],
               central.enrolment_code(MUONG_LA), "Máy bản Nà Lò", photo=True)
    hold_forum(a2, [("Trường mầm non thiếu nhà vệ sinh", "Cầm Văn Sơn", "0977111222")],
               central.enrolment_code(MUONG_LA), "Máy bản Đán")
    hold_forum(b1, [("Đường liên bản Chiềng Lao hỏng nặng", "Lường Văn Lả", "0966333444")],
               central.enrolment_code(CHIENG_LAO), "Máy Chiềng Lao")
    office = create_app({"ROLE": "central", "DATA_DIR": central.data_dir,
                         "SQLALCHEMY_DATABASE_URI": central.database})
    with office.app_context():
        create_account("canbo_a", PASSWORD, role="officer", commune_code=MUONG_LA)
        create_account("xem_a", PASSWORD, role="viewer", commune_code=MUONG_LA)
        db.session.commit()
        db.engine.dispose()
    violations = watch_csp(page)

    # The officer of Mường La sees Mường La's three opinions, not Chiềng Lao's.
    log_in(page, central, "canbo_a")
    page.goto(central.url + "/central/inbox")
    listed = page.inner_text("#records")
    assert "Trường mầm non" in listed and "Điện chập chờn" in listed
    assert "Chiềng Lao" not in listed and page.inner_text("#total") == "3 ý kiến"
    page.screenshot(path=str(ARTIFACTS / "office-inbox-1366.png"), full_page=True)
    assert no_sideways_scroll(page)

    # Typed fast, without diacritics: "duong sat lo" finds "đường … sạt lở".
    page.fill("input[name=q]", "duong sat lo")
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_load_state("load")
    assert page.inner_text("#total") == "1 ý kiến"
    page.get_by_role("link", name="Đề nghị sửa đường").click()
    page.wait_for_load_state("load")
    said = page.inner_text("#said")
    assert "dài khoảng 300 m" in said and "Lò Văn Pọm" in said and "0912345678" in said
    history = page.inner_text("#history")
    assert "nhận từ máy bản" in history and "máy bản sửa" in history
    assert "Máy bản Nà Lò" in history and "Nội dung" in history
    assert "Máy bản Nà Lò" in page.inner_text("#device")
    assert page.evaluate("document.querySelector('#photos img').naturalWidth") == 192
    page.screenshot(path=str(ARTIFACTS / "office-opinion-1366.png"), full_page=True)
    page.get_by_role("link", name="Các ý kiến của hội nghị này trong hộp thư").click()
    page.wait_for_load_state("load")
    assert page.inner_text("#total") == "2 ý kiến"
    page.goto(central.url + "/central/forums")
    assert "Bản Nà Lò" in page.inner_text("#forums") and "Bản Lao" not in page.inner_text(
        "#forums")
    page.screenshot(path=str(ARTIFACTS / "office-forums-1366.png"), full_page=True)
    page.get_by_role("link", name="2").click()  # the forum's opinions, in the inbox
    page.wait_for_load_state("load")
    assert page.inner_text("#total") == "2 ý kiến"
    page.get_by_role("link", name="Xem hội nghị").click()
    page.wait_for_load_state("load")
    assert "Đề nghị sửa đường" in page.inner_text("#opinions")
    assert page.evaluate("document.querySelector('#photos img')") is None  # photo: opinion's
    page.screenshot(path=str(ARTIFACTS / "office-forum-1366.png"), full_page=True)

    # The same pages on a phone.
    page.set_viewport_size(PHONE)
    page.goto(central.url + "/central/inbox?q=duong")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "office-inbox-phone.png"), full_page=True)
    page.get_by_role("link", name="Đề nghị sửa đường").click()
    page.wait_for_load_state("load")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "office-opinion-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/central/login")

    # A viewer reads the same opinions without any name or phone.
    log_in(page, central, "xem_a")
    page.goto(central.url + "/central/inbox")
    assert page.inner_text("#total") == "3 ý kiến"
    page.get_by_role("link", name="Đề nghị sửa đường").click()
    page.wait_for_load_state("load")
    text = page.inner_text("main")
    assert "(không hiển thị thông tin cá nhân)" in text and "Lịch sử" in text
    for secret in ("Lò Văn Pọm", "0912345678", "Quàng Thị Hoa", "0987654321",
                   "Cầm Văn Sơn"):
        assert secret not in page.content()
    page.screenshot(path=str(ARTIFACTS / "office-opinion-viewer-1366.png"), full_page=True)
    for path in ("/central/inbox", "/central/forums"):
        page.goto(central.url + path)
        assert "Lò Văn Pọm" not in page.content() and "0912345678" not in page.content()
    assert violations == []
