"""Issue 11's "done when", in a real Chromium against a real central: pick "Quý I/2026",
see which villages have not held their forum and which petitions are late, follow the
drill-down to the inbox, download the XLSX and the DOCX and find the same numbers, open
the public page and find no name or phone. Screenshots at 1366×768 and on a phone."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook

from field_app import create_app
from field_app.cli import upgrade_database
from field_app.extensions import db

from .browser import ARTIFACTS, watch_csp
from .reports_support import DENOUNCER, DENOUNCER_PHONE, SPEAKER, SPEAKER_PHONE, build
from .sync_support import Central
from .test_office_browser import PHONE, log_in, no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture
def filled_central(tmp_path):
    data_dir = tmp_path / "central"
    data_dir.mkdir()
    app = create_app({"ROLE": "central", "DATA_DIR": data_dir, "TESTING": True})
    upgrade_database(app)
    build(app)
    with app.app_context():
        db.engine.dispose()
    server = Central(data_dir).start()
    yield server
    server.close()


def test_an_officer_reads_q1_follows_a_number_and_downloads_the_files(filled_central, page):
    central = filled_central
    violations = watch_csp(page)
    log_in(page, central, "canbo")
    page.get_by_role("link", name="Báo cáo").click()
    page.select_option("#period-picker select[name=period]", label=None,
                       value="2026-Q1")
    page.locator("#period-picker button").click()
    page.wait_for_load_state("load")
    assert "Quý I/2026" in page.locator("h1").inner_text()
    missing = page.locator("#t-coverage tbody").inner_text()
    for village in ("Bản Co Mạ", "Bản Hua Păng", "Bản Phiêng Ban"):
        assert village in missing
    assert "Bản Nà Lò" not in missing
    assert page.locator("#tile-overdue").inner_text() == "2"
    assert page.locator("#tile-late").inner_text() == "1"
    assert page.locator("#t-by_kind svg").count() == 1  # the chart above its table
    page.screenshot(path=str(ARTIFACTS / "reports-1366.png"), full_page=False)
    page.screenshot(path=str(ARTIFACTS / "reports-1366-full.png"), full_page=True)
    assert no_sideways_scroll(page)

    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Tải XLSX").click()
    assert xlsx_download.value.suggested_filename == "bao-cao-3808-2026-Q1.xlsx"
    book = load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes()))
    sheet = book["Giải quyết theo đơn vị"]
    totals = [cell.value for cell in sheet[sheet.max_row]]
    assert totals[:6] == ["Tổng cộng", 2, 1, 2, 1, 6]
    with page.expect_download() as docx_download:
        page.get_by_role("link", name="Tải DOCX").click()
    doc = Document(io.BytesIO(docx_download.value.path().read_bytes()))
    header = doc.tables[0].rows[0].cells[1].text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header
    assert any("Quý I/2026" in p.text for p in doc.paragraphs)

    page.locator("#tile-overdue").click()
    page.wait_for_load_state("load")
    body = page.locator("main").inner_text()
    assert "Phản ánh thủ tục chứng thực chậm" in body and "Tố cáo cán bộ" in body
    assert "Khiếu nại về bồi thường" not in body

    page.set_viewport_size(PHONE)
    page.goto(central.url + "/central/reports?period=2026-Q1")
    page.screenshot(path=str(ARTIFACTS / "reports-phone.png"), full_page=False)
    assert no_sideways_scroll(page)
    assert violations == []


def test_the_public_page_needs_no_login_and_shows_no_name_or_phone(filled_central, page):
    central = filled_central
    page.goto(central.url + "/public/3808?period=2026-Q1")
    assert page.url.endswith("/public/3808?period=2026-Q1")  # no login asked
    text = page.locator("main").inner_text()
    assert "Đã đo đạc lại, trả kết quả" in text and "Bản Hua Păng" in text
    html = page.content()
    for secret in (SPEAKER, SPEAKER_PHONE, DENOUNCER, DENOUNCER_PHONE, "Tố cáo cán bộ"):
        assert secret not in html
    page.screenshot(path=str(ARTIFACTS / "public-1366.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    assert no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "public-phone.png"), full_page=False)
