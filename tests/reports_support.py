"""A hand-counted commune for the report tests, fed through the real ingest and projection.

Mường La's laptop sends four villages, four forums and eight opinions (their days
chosen around the Q1/2026 cut-offs); the office then works them through the inbox's
real `update_opinion` and records two late cases. Chiềng Lao sends one village, one
forum and one opinion (the other commune of the scope tests). EXPECTED is what the
report of 2026-Q1 must say, counted by hand from the lines below.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from field_app.central.accounts.logic import account_for_session  # noqa: F401 (warm import)
from field_app.central.accounts.models import Account
from field_app.central.cases.models import OfficeCase
from field_app.central.catalogue.logic import add_unit
from field_app.central.inbox import logic as inbox
from field_app.extensions import db

from .office_support import CHIENG_LAO, MUONG_LA, Laptop, account

Q1_TODAY = date(2026, 3, 20)  # the office prepares Q1's report after its cut-off
DENOUNCER, DENOUNCER_PHONE = "Lò Văn Tốcáo", "0987654321"
SPEAKER, SPEAKER_PHONE = "Lò Văn Pọm", "0912345678"


def build(app) -> dict:
    """Send the fixture through the real ingest; return the ids the tests need."""
    a = Laptop(app, MUONG_LA, "Máy bản Nà Lò")
    for name in ("Bản Nà Lò", "Bản Hua Păng", "Bản Co Mạ", "Bản Phiêng Ban"):
        a.village(name)
    # In Q1 (23:30 on 9 March, Vietnam time: the laptop's wall clock).
    f1 = a.forum("Bản Nà Lò", datetime(2026, 3, 9, 23, 30))
    # 06:00 on 10 March: after the cut-off (23:00 on 9 March in UTC, which must not count).
    a.forum("Bản Hua Păng", datetime(2026, 3, 10, 6, 0))
    # The chairman's dialogue on Q1's first day.
    a.forum("Bản Co Mạ", datetime(2025, 12, 10, 8, 0), kind="chairman_dialogue",
            attendance_total=50, attendance_women=20, attendance_ethnic_minority=45,
            households_represented=40)
    # The day before the reporting year: neither in Q1 nor in the year's coverage.
    a.forum("Bản Co Mạ", datetime(2025, 12, 9, 20, 0))
    o = {}
    o["spot"] = a.opinion("Bản Nà Lò", "Đường vào bản bị sạt lở", forum=f1,
                          answered_on_spot=True, spot_answer="Xã sẽ cho sửa trong tháng",
                          spot_answer_by="Chủ tịch xã")
    o["on_time"] = a.opinion("Bản Hua Păng", "Đề nghị đo đạc lại ranh giới đất",
                             kind="petition", category_code="land", category_name="Đất đai",
                             channel="mttq", source_org="womens_union",
                             received_on="2026-01-05")
    o["late"] = a.opinion("Bản Nà Lò", f"Kiến nghị cấp sổ đỏ, liên hệ {SPEAKER_PHONE}",
                          kind="petition", category_code="land", category_name="Đất đai",
                          received_on="2026-01-10")
    o["overdue"] = a.opinion("Bản Co Mạ", "Phản ánh thủ tục chứng thực chậm",
                             kind="feedback", category_code="procedures",
                             category_name="Thủ tục hành chính", channel="zalo",
                             received_on="2026-02-01")
    o["open"] = a.opinion("Bản Phiêng Ban", "Khiếu nại về bồi thường giải phóng mặt bằng",
                          kind="complaint", category_code="land", category_name="Đất đai",
                          received_on="2026-03-01")
    o["denunciation"] = a.opinion("Bản Nà Lò", "Tố cáo cán bộ thu tiền sai quy định",
                                  kind="denunciation", category_code="security",
                                  category_name="An ninh trật tự", raiser_name=DENOUNCER,
                                  raiser_phone=DENOUNCER_PHONE, received_on="2026-02-20")
    o["after"] = a.opinion("Bản Hua Păng", "Ý kiến sau kỳ Q1", category_code="procedures",
                           category_name="Thủ tục hành chính", received_on="2026-03-10")
    o["first_day"] = a.opinion("Bản Hua Păng", "Hỏi thủ tục đăng ký khai sinh",
                               category_code="procedures", category_name="Thủ tục hành chính",
                               channel="phone", level="village", received_on="2025-12-10")
    a.push()
    b = Laptop(app, CHIENG_LAO, "Máy Chiềng Lao")
    b.village("Bản Pá Xá")
    b.forum("Bản Pá Xá", datetime(2026, 2, 2, 8, 0))
    o["other_commune"] = b.opinion("Bản Pá Xá", "CHIENGLAO kiến nghị điện",
                                   received_on="2026-02-02")
    b.push()

    account(app, "canbo", "officer")
    with app.app_context():
        u1 = add_unit(MUONG_LA, "Địa chính – Xây dựng").id
        u2 = add_unit(MUONG_LA, "Văn phòng HĐND – UBND").id
        db.session.commit()
        officer = db.session.execute(select(Account).where(Account.username == "canbo")
                                     ).scalar_one()
        work = {
            "on_time": {"unit_id": u1, "due_on": "2026-01-20", "answer_date": "2026-01-18",
                        "answer_text": "Đã đo đạc lại, trả kết quả", "status": "answered",
                        "answer_by": "Chủ tịch UBND xã",
                        "satisfaction": "satisfied"},
            "late": {"unit_id": u1, "due_on": "2026-01-25", "answer_date": "2026-02-01",
                     "answer_text": f"Ông {SPEAKER} đã được hướng dẫn hồ sơ",
                     "answer_by": "Chủ tịch UBND xã", "status": "answered",
                     "satisfaction": "unsatisfied"},
            "overdue": {"unit_id": u2, "due_on": "2026-02-15", "status": "forwarded"},
            "open": {"unit_id": u2, "due_on": "2026-03-31", "status": "in_progress",
                     "satisfaction": "absent"},
            # Overdue too: listed in the late list, never with the denouncer's identity.
            "denunciation": {"due_on": "2026-03-05"},
            "first_day": {"answer_date": "2025-12-15", "answer_text": "Đã hướng dẫn",
                          "answer_by": "Chủ tịch UBND xã",
                          "status": "answered", "satisfaction": "satisfied"},
        }
        for key, values in work.items():
            inbox.update_opinion(officer, o[key], values, "Báo cáo")
        db.session.commit()
        now = datetime(2026, 3, 1, 8, 0)
        late_case = OfficeCase(commune_code=MUONG_LA, title="Cấp sổ đỏ", kind="petition",
                               status="closed", unit_id=u1, received_on=date(2026, 1, 10),
                               due_on=date(2026, 1, 25), answer_date=date(2026, 2, 1),
                               late_explanation="Hồ sơ thiếu", late_explained_by="Trưởng phòng",
                               apology_on=date(2026, 2, 2), apology_how="Gặp trực tiếp",
                               apology_by="Chủ tịch", created_at=now, updated_at=now)
        unexplained = OfficeCase(commune_code=MUONG_LA, title="Chứng thực", kind="feedback",
                                 status="answered", unit_id=u2, received_on=date(2026, 2, 2),
                                 due_on=date(2026, 2, 10), answer_date=date(2026, 2, 12),
                                 late_explanation="Thiếu người", created_at=now,
                                 updated_at=now)
        on_time_case = OfficeCase(commune_code=MUONG_LA, title="Đúng hạn", kind="petition",
                                  status="closed", unit_id=u1, received_on=date(2026, 1, 5),
                                  due_on=date(2026, 1, 20), answer_date=date(2026, 1, 18),
                                  created_at=now, updated_at=now)
        db.session.add_all([late_case, unexplained, on_time_case])
        db.session.commit()
    return {"opinions": o, "units": {"u1": u1, "u2": u2}, "villages": a.villages,
            "other_villages": b.villages}


# What the report of 2026-Q1 for Mường La says, counted by hand from `build`.
EXPECTED = {
    "forums": {"total": 2, "listening": 1, "chairman_dialogue": 1,
               "attendance": {"total": 64 + 50, "women": 30 + 20, "ethnic_minority": 60 + 45,
                              "households_represented": 70 + 40, "households": 200}},
    "coverage": {"villages": 4, "held": 1, "percent": 25.0, "met": False,
                 "missing": ["Bản Co Mạ", "Bản Hua Păng", "Bản Phiêng Ban"], "dialogues": 1,
                 "dialogues_target": 2},
    "opinions": {"total": 7, "answered_on_spot": 1,
                 "by_kind": {"opinion": 2, "petition": 2, "feedback": 1, "complaint": 1,
                             "denunciation": 1},
                 "by_category": {"land": 3, "procedures": 2, "construction": 1, "security": 1},
                 "by_channel": {"forum": 1, "mttq": 1, "direct": 3, "zalo": 1, "phone": 1},
                 "by_level": {"commune": 6, "village": 1},
                 "by_source_org": {"womens_union": 1, None: 6},
                 "by_status": {"received": 2, "forwarded": 1, "in_progress": 1,
                               "answered": 3},
                 "by_village": {"Bản Nà Lò": 3, "Bản Hua Păng": 2, "Bản Co Mạ": 1,
                                "Bản Phiêng Ban": 1}},
    "handling": {"on_time": 2, "late": 1, "overdue": 2, "open": 1, "total": 6,
                 "on_time_percent": 40.0,
                 "by_unit": {"Địa chính – Xây dựng": (1, 1, 0, 0),
                             "Văn phòng HĐND – UBND": (0, 0, 1, 1), None: (1, 0, 1, 0)},
                 # Two late cases, and the late opinion outside any case (nothing recorded).
                 "late_cases": {"total": 3, "explained": 2, "apologised": 1, "both": 1,
                                "missing": 2}},
    "satisfaction": {"attitude": (2, 1, 1, 66.7, False), "procedures": (1, 0, 0, 100.0, True),
                     "land": (1, 1, 1, 50.0, False)},
}
