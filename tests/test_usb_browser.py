"""USB from the Đồng bộ page: download the bundle, upload the office's acknowledgement.

A real laptop server (`langnghe field`) with no link to the office, a real
central, and Chromium: the bundle the browser saves is imported at the central
as the office does it (`sync.bundle.import_bundle`), the office answers, and
the acknowledgement file goes back through the page's upload form.
"""

from __future__ import annotations

import json

import pytest

from field_app.extensions import db
from sync import bundle, store

from .browser import ARTIFACTS, FieldServer, free_port, watch_csp
from .conftest import laptop_folder

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]
ANSWER = "Xã đã giao Phòng Kinh tế khảo sát đoạn đường sạt lở."


@pytest.fixture
def offline_laptop(sqlite_central, tmp_path):
    """A laptop enrolled at the office once, with a forum of two opinions, now without a link."""
    from field_app.outbox import logic as outbox

    from .test_sync import record_forum

    data_dir = tmp_path / "laptop-server"
    with laptop_folder(data_dir):
        record_forum(2)
        outbox.enroll(sqlite_central.url, sqlite_central.enrolment_code())
        # Back in the village: the office's address answers no more.
        outbox.state().server_url = f"http://127.0.0.1:{free_port()}"
        db.session.commit()
        device = outbox.state().device_id
    server = FieldServer(data_dir).start()
    yield server, device
    server.stop()


def flash(page) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


def test_usb_bundle_and_acknowledgement_go_both_ways_from_the_sync_page(
        sqlite_central, offline_laptop, page, tmp_path):
    central, (laptop, device) = sqlite_central, offline_laptop
    violations = watch_csp(page)
    page.goto(laptop.url + "/sync/")
    assert page.inner_text("#sync-pending") == "4"  # the village, the forum, two opinions
    assert "export-bundle" not in page.inner_text("main")  # no command line any more

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Xuất tệp USB").click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"langnghe-{device}-")
    assert download.suggested_filename.endswith(".bundle")
    usb = tmp_path / "usb"
    usb.mkdir()
    saved = usb / download.suggested_filename
    download.save_as(saved)

    # At the office: import the file, answer one opinion, give back the acknowledgement.
    with open(saved, "rb") as stream:
        imported = bundle.import_bundle(central.engine, stream,
                                        store.BlobStore(central.data_dir / "blobs"))
    assert (imported["stored"], imported["rejected"]) == (4, 0)
    opinion = next(row for row in central.records("opinion") if "đoạn số 0" in
                   row.data["content"])
    with central.engine.begin() as conn:
        store.publish(conn, opinion.id, {"status": "answered", "answer_text": ANSWER}, {},
                      "cán bộ xã", store.central_clock(conn))
    with central.engine.connect() as conn:
        ack = bundle.ack_file(conn, device)
    (usb / "xac-nhan.json").write_bytes(ack)

    # Wrong files first: the bundle itself, then a damaged acknowledgement.
    page.set_input_files("#ack-file", str(saved))
    page.get_by_role("button", name="Nạp tệp xác nhận").click()
    assert "không phải tệp xác nhận" in flash(page)
    damaged = json.loads(ack)
    damaged["sealed"] = damaged["sealed"][:60] + ("A" if damaged["sealed"][60] != "A"
                                                  else "B") + damaged["sealed"][61:]
    (usb / "hong.json").write_text(json.dumps(damaged), encoding="utf-8")
    page.set_input_files("#ack-file", str(usb / "hong.json"))
    page.get_by_role("button", name="Nạp tệp xác nhận").click()
    assert "bị hỏng hoặc bị sửa" in flash(page)
    assert page.inner_text("#sync-pending") == "4"
    page.screenshot(path=str(ARTIFACTS / "usb-wrong-ack.png"), full_page=True)

    page.set_input_files("#ack-file", str(usb / "xac-nhan.json"))
    page.get_by_role("button", name="Nạp tệp xác nhận").click()
    assert "4 bản ghi được xã xác nhận" in flash(page)
    assert page.inner_text("#sync-pending") == "0"
    page.screenshot(path=str(ARTIFACTS / "usb-ack-loaded.png"), full_page=True)
    page.click("#new-answers-link")
    page.locator("td.office a.has-answer").click()
    assert page.inner_text("#workflow-status") == "Đã trả lời"
    assert ANSWER in page.inner_text("#central-answer-text")
    assert violations == []
