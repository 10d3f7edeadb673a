"""Cases in a real Chromium: two villages' laptops sync the same road to a real central;
the officer ticks both in the inbox, merges them, assigns a unit, answers, and edits
the commune's deadline table. Screenshots at 1366×768."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from field_app import create_app
from field_app.central.accounts.logic import create_account
from field_app.central.cases.models import DeadlineRule, OfficeCase
from field_app.central.catalogue.logic import add_unit
from field_app.extensions import db

from .browser import ARTIFACTS, watch_csp
from .office_support import MUONG_LA, PASSWORD
from .test_office_browser import field_laptop, hold_forum, log_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_officer_merges_assigns_answers_and_sets_deadlines_in_a_browser(central, tmp_path,
                                                                         page):
    a1 = field_laptop(tmp_path / "na-lo", MUONG_LA, ("Bản Nà Lò",))
    a2 = field_laptop(tmp_path / "ban-dan", MUONG_LA, ("Bản Đán",))
    for app in (a1, a2):
        app.config["CENTRAL_URL"] = central.url
    hold_forum(a1, [("Đề nghị sửa đường vào bản bị sạt lở", "Lò Văn Pọm", "0912345678")],
               central.enrolment_code(MUONG_LA), "Máy bản Nà Lò")
    hold_forum(a2, [("duong vao ban Dan bi sat lo", "Cầm Văn Sơn", "0977111222")],
               central.enrolment_code(MUONG_LA), "Máy bản Đán")
    office = create_app({"ROLE": "central", "DATA_DIR": central.data_dir,
                         "SQLALCHEMY_DATABASE_URI": central.database})
    with office.app_context():
        create_account("canbo_a", PASSWORD, role="officer", commune_code=MUONG_LA)
        add_unit(MUONG_LA, "Ban Giao thông")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    violations = watch_csp(page)

    log_in(page, central, "canbo_a")
    page.goto(central.url + "/central/inbox")
    for box in page.locator('input[form="case-merge"]').all():
        box.check()
    page.get_by_role("button", name="Gộp thành một vụ việc").click()
    page.wait_for_load_state("load")
    members = page.inner_text("#case-members")
    assert "Bản Nà Lò" in members and "Bản Đán" in members
    page.select_option("#assign-form select[name=unit_id]", label="Ban Giao thông")
    page.get_by_role("button", name="Giao", exact=True).click()
    page.wait_for_load_state("load")
    assert "Ban Giao thông" in page.inner_text("#case-unit")
    # 20/11 + 15 days = Saturday 5/12: the next working day.
    assert "07/12/2026" in page.inner_text("#case-due")
    page.get_by_role("button", name="Chuyển sang: Đang giải quyết").click()
    page.wait_for_load_state("load")
    assert page.inner_text("#case-status") == "Đang giải quyết"
    page.fill("#answer-form textarea[name=text]", "Xã đã giao Ban Giao thông san gạt.")
    page.fill("#answer-form input[name=by]", "Chủ tịch UBND xã")
    page.fill("#answer-form input[name=doc_number]", "88/UBND")
    page.get_by_role("button", name="Lưu trả lời (gửi về mọi bản)").click()
    page.wait_for_load_state("load")
    assert page.inner_text("#case-status") == "Đã trả lời"
    assert "Xã đã giao Ban Giao thông san gạt." in page.inner_text("#answer-text")
    page.screenshot(path=str(ARTIFACTS / "office-case-1366.png"), full_page=True)

    page.goto(central.url + "/central/deadline-rules")
    row = page.locator("#rule-petition")
    row.locator("input[name=days]").fill("10")
    row.locator("input[name=working]").check()
    row.get_by_role("button", name="Lưu").click()
    page.wait_for_load_state("load")
    assert "Đã lưu thời hạn" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "office-deadline-rules-1366.png"), full_page=True)
    with office.app_context():
        rule = db.session.execute(select(DeadlineRule)).scalar_one()
        assert (rule.kind, rule.days, rule.working) == ("petition", 10, True)
        assert db.session.execute(select(OfficeCase.status)).scalar_one() == "answered"
        db.session.remove()
        db.engine.dispose()
    assert violations == []


@pytest.mark.parametrize("how", ["logged out elsewhere", "cookie gone"])
def test_an_answer_typed_as_the_session_ends_is_filled_back_after_logging_in(
        central, tmp_path, page, how):
    """The trial: the session ended while an officer typed an answer; after logging in
    the browser came back to the form's POST address (405) and the text was lost."""
    from field_app.central.accounts.logic import end_sessions
    from field_app.central.accounts.models import Account
    from field_app.central.inbox.models import OfficeOpinion

    laptop = field_laptop(tmp_path / "na-lo", MUONG_LA, ("Bản Nà Lò",))
    laptop.config["CENTRAL_URL"] = central.url
    hold_forum(laptop, [("Đề nghị sửa đường vào bản bị sạt lở", "Lò Văn Pọm", "0912345678")],
               central.enrolment_code(MUONG_LA), "Máy bản Nà Lò")
    office = create_app({"ROLE": "central", "DATA_DIR": central.data_dir,
                         "SQLALCHEMY_DATABASE_URI": central.database})
    with office.app_context():
        create_account("canbo_a", PASSWORD, role="officer", commune_code=MUONG_LA)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    log_in(page, central, "canbo_a")
    page.goto(central.url + "/central/inbox")
    page.get_by_role("link", name="Đề nghị sửa đường").click()
    page.wait_for_load_state("load")
    opinion_page = page.url
    answer = "Xã đã giao Ban Giao thông khảo sát đoạn sạt lở, dự kiến san gạt trong tháng 12."
    page.fill("#workflow-form textarea[name=answer_text]", answer)
    page.fill("#workflow-form input[name=answer_by]", "Chủ tịch UBND xã")
    if how == "cookie gone":
        page.context.clear_cookies()
    else:
        with office.app_context():
            end_sessions(db.session.execute(
                select(Account).filter_by(username="canbo_a")).scalar_one())
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
    page.locator("#workflow-form").get_by_role("button", name="Lưu").click()
    page.wait_for_load_state("load")
    assert "/central/login" in page.url
    assert "Phiên làm việc đã hết nên chưa lưu gì" in page.inner_text("main")
    page.fill("#username", "canbo_a")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state("load")
    assert page.url == opinion_page  # the page, not the POST address (405 before)
    assert page.input_value("#workflow-form textarea[name=answer_text]") == answer
    notice = page.locator("#workflow-form #draft-restored")
    assert notice.is_visible()
    assert notice.inner_text() == ("Nội dung bạn nhập trước khi phiên hết hạn đã được điền "
                                   "lại; hãy kiểm tra rồi bấm Lưu.")
    assert page.input_value("#workflow-form input[name=answer_by]") == "Chủ tịch UBND xã"
    page.screenshot(path=str(ARTIFACTS / f"office-answer-kept-{how.split()[0]}.png"),
                    full_page=True)
    page.locator("#workflow-form").get_by_role("button", name="Lưu").click()
    page.wait_for_load_state("load")
    with office.app_context():
        assert db.session.execute(select(OfficeOpinion.answer_text)).scalar_one() == answer
        db.session.remove()
        db.engine.dispose()
    # Another page later: nothing typed is kept in the tab any more.
    page.goto(opinion_page)
    assert page.evaluate("sessionStorage.getItem('langnghe-draft')") is None
