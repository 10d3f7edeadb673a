"""The case pages at the office: merge from the inbox, the case page and its forms, the
opinion page's case panel, the overdue list, a handler's queue, the deadline rules and
the units (Flask test client, real SQLite central fed through the real ingest)."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from field_app.central.accounts.models import Account
from field_app.central.cases import logic as cases
from field_app.central.cases.models import DeadlineRule, OfficeCase
from field_app.central.catalogue.logic import add_unit
from field_app.central.catalogue.models import Unit
from field_app.central.inbox.models import OfficeOpinion
from field_app.central.reports import figures, periods
from field_app.extensions import db
from field_app.opinions.logic import vietnam_today

from .office_support import CHIENG_LAO, MUONG_LA, Laptop, account, login, office_app


@pytest.fixture
def office(tmp_path):
    """A central app on its own SQLite file, migrated for real."""
    with office_app(tmp_path / "office") as app:
        yield app


@pytest.fixture
def said(office):
    laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    laptop.village("Bản Nà Lò")
    laptop.village("Bản Đán")
    made = {
        "a": laptop.opinion("Bản Nà Lò", "Cầu treo Nà Lò hỏng ván", received_on="2026-11-02"),
        "b": laptop.opinion("Bản Đán", "cau treo ban Dan hong van", received_on="2026-11-04"),
        "c": laptop.opinion("Bản Đán", "Tố cáo trưởng bản thu tiền", kind="denunciation",
                            raiser_name="Hà Văn Bí Mật", received_on="2026-11-04"),
    }
    laptop.push()
    with office.app_context():
        made["unit"] = add_unit(MUONG_LA, "Ban Giao thông").id
        db.session.commit()
    account(office, "xa")
    account(office, "xem", role="viewer")
    account(office, "gt", role="handler", unit_id=made["unit"])
    return made


def test_officer_merges_from_the_inbox_and_works_the_case_page(office, said):
    client = login(office, "xa")
    inbox = client.get("/central/inbox").get_data(as_text=True)
    assert 'form="case-merge"' in inbox and "Gộp thành một vụ việc" in inbox
    assert 'form="case-merge"' not in login(office, "xem").get("/central/inbox").get_data(
        as_text=True)
    answer = client.post("/central/cases", data={"opinion_ids": [str(said["a"]),
                                                                 str(said["b"])]})
    case_id = int(re.search(r"/central/cases/(\d+)$", answer.headers["Location"])[1])
    page = client.get(f"/central/cases/{case_id}").get_data(as_text=True)
    assert "Bản Nà Lò" in page and "Bản Đán" in page and "cau treo ban Dan" in page
    assert 'id="assign-form"' in page and 'id="answer-form"' not in page  # not assigned yet
    # An illegal move is refused with its reason, and nothing changes.
    refused = client.post(f"/central/cases/{case_id}/status", data={"status": "closed"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Không chuyển được" in refused
    client.post(f"/central/cases/{case_id}/assign", data={"unit_id": str(said["unit"])})
    page = client.get(f"/central/cases/{case_id}").get_data(as_text=True)
    assert "Ban Giao thông" in page and "17/11/2026" in page  # 2/11 + 15 days
    assert 'id="answer-form"' in page
    # The unit gets a redacted forwarding slip of the case's opinions, linked from it.
    slip = re.search(r'id="slip-link" href="([^"]+)"|href="([^"]+)" id="slip-link"', page)
    link = html.unescape(slip[1] or slip[2])
    assert str(said["a"]) in link and str(said["b"]) in link
    assert client.get(link).status_code == 200
    opinion_page = client.get(f"/central/opinions/{said['b']}").get_data(as_text=True)
    assert f"vụ việc số {case_id}" in opinion_page and 'id="case-panel"' in opinion_page
    assert "gộp vào một vụ việc" in opinion_page  # the merge in the opinion's history
    assert "ý kiến đầu tiên của vụ việc" in opinion_page
    with office.app_context():
        assert db.session.get(OfficeCase, case_id).status == "forwarded"
        assert db.session.get(OfficeOpinion, said["b"]).due_on == date(2026, 11, 17)


def test_opinion_page_opens_a_case_and_merges_another_by_id(office, said):
    client = login(office, "xa")
    page = client.get(f"/central/opinions/{said['a']}").get_data(as_text=True)
    assert "Chưa thuộc vụ việc nào." in page
    client.post("/central/cases", data={"opinion_ids": [str(said["a"])]})
    with office.app_context():
        case_id = db.session.get(OfficeOpinion, said["a"]).case_id
    # One opinion's own case: its history says so, not "merged".
    alone = client.get(f"/central/cases/{case_id}").get_data(as_text=True)
    assert "mở vụ việc riêng cho ý kiến này" in alone and "gộp vào một vụ việc" not in alone
    client.post(f"/central/cases/{case_id}/opinions", data={"opinion_ids": [str(said["b"])]})
    bad = client.post(f"/central/cases/{case_id}/opinions", data={"opinion_ids": ["xyz"]},
                      follow_redirects=True).get_data(as_text=True)
    assert "Mã ý kiến không hợp lệ" in bad
    with office.app_context():
        assert db.session.get(OfficeOpinion, said["b"]).case_id == case_id
    page = client.get(f"/central/opinions/{said['c']}").get_data(as_text=True)
    assert 'id="case-join-form"' in page and f'<option value="{case_id}">' in page
    client.post(f"/central/opinions/{said['c']}/case", data={"case_id": str(case_id)})
    with office.app_context():
        assert db.session.get(OfficeOpinion, said["c"]).case_id == case_id
    split = client.post(f"/central/cases/{case_id}/split",
                        data={"opinion_ids": [str(said["a"])]}, follow_redirects=True)
    assert "Đã tách" in split.get_data(as_text=True)
    with office.app_context():
        assert db.session.get(OfficeOpinion, said["a"]).case_id not in (None, case_id)


def test_opening_a_case_for_one_opinion_says_so_not_merged(office, said):
    client = login(office, "xa")
    page = client.get(f"/central/opinions/{said['a']}").get_data(as_text=True)
    form = page.split('id="case-open-form"')[1].split("</form>")[0]
    assert "Mở vụ việc cho riêng ý kiến này" in form
    opened = client.post("/central/cases", data={"opinion_ids": [str(said["a"])]},
                         follow_redirects=True).get_data(as_text=True)
    assert "Đã mở vụ việc riêng cho ý kiến này" in opened and "Đã gộp" not in opened
    merged = client.post("/central/cases", data={"opinion_ids": [str(said["b"]),
                                                                 str(said["c"])]},
                         follow_redirects=True).get_data(as_text=True)
    assert "Đã gộp thành một vụ việc" in merged and "Đã mở vụ việc riêng" not in merged


def test_overdue_list_and_the_handlers_queue(office, said):
    with office.app_context():
        officer = db.session.execute(select(Account).where(Account.username == "xa")
                                     ).scalar_one()
        late = cases.merge(officer, [said["a"]])
        cases.assign(officer, late.id, said["unit"], today=date(2026, 11, 2))
        later = cases.merge(officer, [said["b"]])
        cases.assign(officer, later.id, said["unit"], today=date(2026, 11, 4))
        db.session.commit()
        expected = (vietnam_today() - late.due_on).days
        late_id, later_id = late.id, later.id
    overdue = login(office, "xa").get("/central/cases/overdue").get_data(as_text=True)
    assert "Ban Giao thông" in overdue and f'<td class="days-late">{expected}</td>' in overdue
    queue = login(office, "gt").get("/central/cases/queue").get_data(as_text=True)
    assert queue.index(f'id="case-{late_id}"') < queue.index(f'id="case-{later_id}"')
    assert login(office, "xem").get("/central/cases/queue").status_code == 403


def test_denouncers_name_is_not_on_the_case_page(office, said):
    client = login(office, "xa")
    client.post("/central/cases", data={"opinion_ids": [str(said["c"])]})
    with office.app_context():
        case_id = db.session.get(OfficeOpinion, said["c"]).case_id
    for who in ("xa", "xem"):
        page = login(office, who).get(f"/central/cases/{case_id}").get_data(as_text=True)
        assert "Tố cáo trưởng bản" in page and "Bí Mật" not in page


def test_deadline_rules_and_units_are_edited_on_their_pages(office, said):
    client = login(office, "xa")
    page = client.get("/central/deadline-rules").get_data(as_text=True)
    assert 'id="rule-complaint"' in page
    bad = client.post("/central/deadline-rules", data={"kind": "petition", "days": "abc"},
                      follow_redirects=True).get_data(as_text=True)
    assert "Chưa lưu thời hạn. Số ngày: hãy nhập một số." in bad
    bad = client.post("/central/deadline-rules", data={"kind": "petition", "days": "-5",
                                                       "max_extensions": "3"},
                      follow_redirects=True).get_data(as_text=True)
    assert ("Chưa lưu thời hạn. Số ngày: từ 1 đến 366; Số lần gia hạn: từ 0 đến 2."
            in html.unescape(bad))
    assert 'aria-label="Vùng xa, phức tạp"' in page and 'aria-label="remote_' not in page
    client.post("/central/deadline-rules", data={"kind": "petition", "days": "10",
                                                 "working": "on"})
    client.post("/central/units", data={"name": "Điện lực Mường La", "kind": "utility"})
    assert "Điện lực Mường La" in client.get("/central/units").get_data(as_text=True)
    with office.app_context():
        rules = db.session.execute(select(DeadlineRule)).scalars().all()
        assert [(rule.kind, rule.days, rule.working) for rule in rules] == [
            ("petition", 10, True)]
        unit = db.session.execute(select(Unit).where(Unit.name == "Điện lực Mường La")
                                  ).scalar_one()
        assert (unit.kind, unit.commune_code) == ("utility", MUONG_LA)
    assert login(office, "xem").get("/central/deadline-rules").status_code == 403


def test_a_province_admin_never_adds_a_communes_unit_for_every_commune(office, said):
    account(office, "tinh", role="admin", commune_code=None)
    client = login(office, "tinh")
    refused = client.post("/central/units", data={"name": "Bộ phận một cửa",
                                                  "kind": "commune"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Hãy chọn xã của đơn vị" in refused
    client.post("/central/units", data={"name": "Bộ phận một cửa", "kind": "commune",
                                        "commune": str(MUONG_LA)})
    client.post("/central/units", data={"name": "Sở Xây dựng", "kind": "province",
                                        "shared": "1"})
    with office.app_context():
        held = dict(db.session.execute(select(Unit.name, Unit.commune_code).where(
            Unit.name.in_(["Bộ phận một cửa", "Sở Xây dựng"]))).all())
    assert held == {"Bộ phận một cửa": MUONG_LA, "Sở Xây dựng": None}


def test_a_case_with_no_unit_to_give_it_to_says_where_units_are_added(tmp_path):
    with office_app(tmp_path / "bare") as office:
        laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
        laptop.village("Bản Nà Lò")
        first = laptop.opinion("Bản Nà Lò", "Đường vào bản sạt lở")
        laptop.push()
        account(office, "xa")
        client = login(office, "xa")
        made = client.post("/central/cases", data={"opinion_ids": [str(first)]})
        page = client.get(made.headers["Location"]).get_data(as_text=True)
        assert 'id="no-units"' in page and "Xã chưa có đơn vị xử lý nào." in page
        assert f"/central/units?commune={MUONG_LA}" in page
        client.post("/central/units", data={"name": "Ban Giao thông", "kind": "commune",
                                            "commune": str(MUONG_LA)})
        page = client.get(made.headers["Location"]).get_data(as_text=True)
        assert 'id="no-units"' not in page and "Ban Giao thông" in page


def test_english_office_pages_name_seeded_categories_and_count_duplicates_in_english(
        office, said):
    client = login(office, "xa")
    client.get("/language/en")
    inbox = client.get("/central/inbox").get_data(as_text=True)
    assert '<html lang="en">' in inbox
    assert "Transport – construction – irrigation" in inbox
    assert "Giao thông – xây dựng – thủy lợi" not in inbox
    opinion = client.get(f"/central/opinions/{said['a']}").get_data(as_text=True)
    assert "Transport – construction – irrigation" in opinion
    inbox = client.get("/central/inbox").get_data(as_text=True)  # pairs drained first
    assert "1 possible duplicate opinion</a>" in inbox


class _LateEvening(datetime):
    """30/11/2026 at 20:00 UTC: already 01/12/2026 in Vietnam."""

    @classmethod
    def now(cls, tz=None):
        moment = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
        return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)


@pytest.mark.parametrize(("members", "secret"), [(("a", "b"), False), (("a", "c"), True)])
def test_the_forwarding_slip_has_the_due_date_the_place_and_vietnams_day(
        office, said, monkeypatch, members, secret):
    client = login(office, "xa")
    made = client.post("/central/cases", data={"opinion_ids": [str(said[m]) for m in members]})
    case_id = int(re.search(r"/central/cases/(\d+)$", made.headers["Location"])[1])
    client.post(f"/central/cases/{case_id}/assign", data={"unit_id": str(said["unit"])})
    with office.app_context():
        due = db.session.get(OfficeCase, case_id).due_on
    assert due is not None
    page = client.get(f"/central/cases/{case_id}").get_data(as_text=True)
    link = html.unescape(re.search(r'href="([^"]+)" id="slip-link"', page)[1])
    monkeypatch.setattr("field_app.opinions.logic.datetime", _LateEvening)
    slip = client.get(link).get_data(as_text=True)
    assert "Mường La, ngày 01 tháng 12 năm 2026" in slip
    issuer = slip.split('id="slip-issuer">')[1].split("<br>Số")[0]
    assert issuer == "UBND TỈNH SƠN LA<br><strong>ỦY BAN NHÂN DÂN XÃ MƯỜNG LA</strong>"
    assert "Hạn xử lý:" in slip and due.strftime("%d/%m/%Y") in slip.split('id="slip-due"')[1]
    assert ('id="slip-secret"' in slip) is secret
    assert "Hà Văn Bí Mật" not in slip
    with office.app_context():
        from field_app.central.accounts.logic import create_token

        officer = db.session.execute(select(Account).where(Account.username == "xa")).scalar_one()
        headers = {"Authorization": f"Bearer {create_token(officer, 'api')}"}
        db.session.commit()
    api = office.test_client().get(
        link.replace("/central/forwarding-slip", "/central/api/v1/forwarding-slip"),
        headers=headers)
    assert api.get_json()["due_on"] == due.isoformat()
    assert api.get_json()["place"] == "Mường La" and api.get_json()["made_on"] == "2026-12-01"


@pytest.fixture(params=["sqlite", "postgresql"])
def two_communes(request, tmp_path):
    """Two communes, each with its own "Địa chính" unit and one overdue case given to it."""
    with office_app(tmp_path / "office", request.param) as app:
        made = {}
        for code, name, when in ((MUONG_LA, "Máy Mường La", "2026-11-02"),
                                 (CHIENG_LAO, "Máy Chiềng Lao", "2026-11-03")):
            laptop = Laptop(app, code, name)
            laptop.village("Bản Một")
            opinion = laptop.opinion("Bản Một", f"Đo đạc đất {name}", received_on=when)
            laptop.push()
            account(app, f"xa{code}", commune_code=code)
            with app.app_context():
                unit = add_unit(code, "Địa chính").id
                officer = db.session.execute(select(Account).where(
                    Account.username == f"xa{code}")).scalar_one()
                case = cases.merge(officer, [opinion])
                cases.assign(officer, case.id, unit, today=date(2026, 11, 2))
                db.session.commit()
                made[code] = {"unit": unit, "case": case.id}
        account(app, "tinh", role="admin", commune_code=None)
        yield app, made


def _options(page: str) -> dict[str, str]:
    box = re.search(r'<select name="unit">(.*?)</select>', page, re.S).group(1)
    return {value: html.unescape(label) for value, label in
            re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', box)}


@pytest.mark.parametrize("path", ["/central/cases", "/central/cases/overdue"])
def test_a_province_tells_same_named_units_of_two_communes_apart(two_communes, path):
    app, made = two_communes
    page = login(app, "tinh").get(path).get_data(as_text=True)
    options = _options(page)
    assert options[str(made[MUONG_LA]["unit"])] == "Địa chính — Xã Mường La (Sơn La)"
    assert options[str(made[CHIENG_LAO]["unit"])].startswith("Địa chính — Xã Chiềng")
    # A commune's account sees its own units only: the plain name.
    own = _options(login(app, f"xa{MUONG_LA}").get(path).get_data(as_text=True))
    assert own == {str(made[MUONG_LA]["unit"]): "Địa chính"}


def test_the_overdue_list_of_a_province_counts_every_commune(two_communes):
    app, made = two_communes
    page = html.unescape(login(app, "tinh").get("/central/cases/overdue").get_data(
        as_text=True))
    assert "Tất cả các xã: 2 vụ việc." in page and "Cả xã" not in page
    # One group a unit, not one for the two units' shared name.
    assert "<h2>Địa chính — Xã Mường La (Sơn La) <small>(1)</small></h2>" in page
    commune = html.unescape(login(app, f"xa{MUONG_LA}").get("/central/cases/overdue")
                            .get_data(as_text=True))
    assert "Cả xã: 1 vụ việc." in commune and "Tất cả các xã" not in commune
    assert "<h2>Địa chính <small>(1)</small></h2>" in commune


def test_a_provinces_report_names_each_communes_unit(two_communes):
    app, made = two_communes
    with app.test_request_context():
        province = db.session.execute(select(Account).where(Account.username == "tinh")
                                      ).scalar_one()
        body = figures.compute(province, periods.parse_code("2026-Y"), None,
                               date(2026, 12, 1)).as_json()
    labels = sorted(row["label"] for row in body["handling"]["by_unit"])
    assert labels[1] == "Địa chính — Xã Mường La (Sơn La)" and labels[0].startswith(
        "Địa chính — Xã Chiềng")


@pytest.fixture(params=["sqlite", "postgresql"])
def assigned_case(request, tmp_path):
    """A commune's forum, two opinions merged into a case given to a unit; every role."""
    with office_app(tmp_path / "office", request.param) as app:
        laptop = Laptop(app, MUONG_LA, "Máy bản Nà Lò")
        laptop.village("Bản Nà Lò")
        forum = laptop.forum("Bản Nà Lò", datetime(2026, 11, 2, 8, 0))
        said = [laptop.opinion("Bản Nà Lò", f"Cầu treo hỏng ván {n}", forum=forum,
                               received_on="2026-11-02") for n in (1, 2)]
        laptop.push()
        account(app, "xa")
        with app.app_context():
            unit = add_unit(MUONG_LA, "Ban Giao thông").id
            officer = db.session.execute(select(Account).where(Account.username == "xa")
                                         ).scalar_one()
            case = cases.merge(officer, said)
            cases.assign(officer, case.id, unit, today=date(2026, 11, 2))
            db.session.commit()
            case_id = case.id
        for role in ("viewer", "mttq", "handler"):
            account(app, role, role=role, unit_id=unit if role == "handler" else None)
        yield app, {"case": case_id, "opinion": said[0], "forum": forum}


@pytest.mark.parametrize("role", ["viewer", "mttq", "handler", "xa"])
def test_an_office_page_shows_only_links_its_reader_may_follow(assigned_case, role):
    app, made = assigned_case
    client = login(app, role)
    pages = ["/central/", "/central/inbox", "/central/forums", "/central/cases",
             "/central/cases/overdue", "/central/reports?period=2026-Y",
             f"/central/cases/{made['case']}", f"/central/opinions/{made['opinion']}",
             f"/central/forums/{made['forum']}"]
    links: set[str] = set()
    for path in pages:
        answer = client.get(path)
        if answer.status_code != 200:
            continue  # a page the role may not open is no page it reads links on
        found = re.findall(r'href="(/central/[^"#]*)"', answer.get_data(as_text=True))
        links |= {html.unescape(link) for link in found if "logout" not in link}
    refused = sorted(link for link in links if client.get(link).status_code == 403)
    assert refused == []
    slip = [link for link in links if link.startswith("/central/forwarding-slip")]
    assert bool(slip) == (role in ("mttq", "handler", "xa"))
