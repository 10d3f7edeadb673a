"""The office inbox, forums, photos and history (Flask test client, real SQLite central,
records stored through the real ingest)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from markupsafe import escape

from field_app.central.accounts.models import Account
from field_app.central.inbox import logic
from field_app.central.inbox.models import OfficeAttachment, OfficeForum
from field_app.extensions import db
from field_app.opinions.logic import vietnam_now, vietnam_today

from .office_support import CHIENG_LAO, MUONG_LA, Laptop, account, login, office_app

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
       b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def office(tmp_path):
    """A central app on its own SQLite file, migrated for real."""
    with office_app(tmp_path / "office") as app:
        yield app


@pytest.fixture
def communes(office):
    """Two laptops of Mường La and one of Chiềng Lao, each with a forum and opinions."""
    na_lo = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    na_lo.village("Bản Nà Lò")
    forum = na_lo.forum("Bản Nà Lò", datetime(2026, 11, 20, 8))
    said = {
        "road": na_lo.opinion("Bản Nà Lò", "Đề nghị sửa đường vào bản bị sạt lở", forum=forum),
        "power": na_lo.opinion("Bản Nà Lò", "Điện chập chờn vào buổi tối", forum=forum,
                               kind="petition", category_code="electricity",
                               category_name="Điện", level="province"),
        "land": na_lo.opinion("Bản Nà Lò", "Xin cấp giấy chứng nhận đất ở", channel="mttq",
                              category_code="land", category_name="Đất đai",
                              received_on="2026-10-02"),
    }
    na_lo.push()
    dan = Laptop(office, MUONG_LA, "Máy bản Đán")
    dan.village("Bản Đán")
    said["school"] = dan.opinion("Bản Đán", "Trường mầm non thiếu nhà vệ sinh",
                                 category_code="education", category_name="Giáo dục",
                                 raiser_name="Quàng Thị Xuân")
    dan.push()
    lao = Laptop(office, CHIENG_LAO, "Máy Chiềng Lao")
    lao.village("Bản Lao")
    other_forum = lao.forum("Bản Lao", datetime(2026, 11, 21, 8))
    said["other"] = lao.opinion("Bản Lao", "Đường liên bản Chiềng Lao hỏng nặng",
                                forum=other_forum)
    lao.push()
    account(office, "xa_a")
    return {"laptops": (na_lo, dan, lao), "said": said, "forum": forum,
            "other_forum": other_forum}


def _ids(page: str, said: dict) -> set[str]:
    return {name for name, record_id in said.items() if f"r-{record_id}" in page}


def test_an_officer_sees_only_their_commune(office, communes):
    page = login(office, "xa_a").get("/central/inbox").get_data(as_text=True)
    assert _ids(page, communes["said"]) == {"road", "power", "land", "school"}
    assert "Xã Chiềng Lao" not in page
    other = communes["said"]["other"]
    assert login(office, "xa_a").get(f"/central/opinions/{other}").status_code == 404


def test_a_server_wide_account_sees_every_commune_and_filters_by_one(office, communes):
    account(office, "tinh", role="viewer", commune_code=None)
    client = login(office, "tinh")
    page = client.get("/central/inbox").get_data(as_text=True)
    assert _ids(page, communes["said"]) == set(communes["said"])
    assert "Xã Chiềng Lao (Sơn La)" in page and "Xã Mường La (Sơn La)" in page
    assert 'name="commune"' in page
    # Villages are offered once a commune is chosen, and then only that commune's.
    assert 'name="village"' not in page and "Chọn xã rồi bấm Lọc" in page
    only = client.get(f"/central/inbox?commune={CHIENG_LAO}").get_data(as_text=True)
    assert _ids(only, communes["said"]) == {"other"}
    assert '<select name="village">' in only and ">Bản Lao</option>" in only
    assert ">Bản Nà Lò</option>" not in only


@pytest.mark.parametrize(("query", "expected"), [
    ("kind=petition", {"power"}),
    ("category=land", {"land"}),
    ("channel=mttq", {"land"}),
    ("level=province", {"power"}),
    ("status=received", {"road", "power", "land", "school"}),
    ("status=answered", set()),
    ("date_from=2026-10-01&date_to=2026-10-31", {"land"}),
    ("date_from=01/10/2026&date_to=31/10/2026", {"land"}),  # typed the Vietnamese way
    ("date_from=1/10/2026&date_to=2026-10-31", {"land"}),
    ("date_to=2026-09-30", set()),
    ("q=duong", {"road"}),
    ("q=DUONG+sat+lo", {"road"}),
    ("q=đường", {"road"}),
    ("q=xuan", {"school"}),  # the raiser's name, folded
    ("q=dien&kind=opinion", set()),
])
def test_filters_and_search_narrow_the_inbox(office, communes, query, expected):
    page = login(office, "xa_a").get(f"/central/inbox?{query}").get_data(as_text=True)
    assert _ids(page, communes["said"]) == expected


@pytest.mark.parametrize("typed", ["31/02/2026", "32/12/2026", "2026-13-01", "hôm qua"])
def test_a_bad_date_filter_says_what_to_type(office, communes, typed):
    page = login(office, "xa_a").get(f"/central/inbox?date_from={typed}")
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "hãy gõ dạng ngày/tháng/năm, ví dụ 05/12/2026" in text
    # The form again, the box named by its label and marked, what was typed kept; no list.
    assert "Bộ lọc không hợp lệ: Ngày tiếp nhận từ: Ngày không hợp lệ" in text
    assert 'id="filters"' in text and "date_from:" not in text
    assert f'name="date_from" value="{escape(typed)}" aria-invalid="true"' in text
    assert _ids(text, communes["said"]) == set()


def test_village_forum_and_device_filters(office, communes):
    client = login(office, "xa_a")
    na_lo, dan, _lao = communes["laptops"]
    said = communes["said"]
    village = client.get(f"/central/inbox?village={dan.villages['Bản Đán']}")
    assert _ids(village.get_data(as_text=True), said) == {"school"}
    forum = client.get(f"/central/inbox?forum={communes['forum']}").get_data(as_text=True)
    assert _ids(forum, said) == {"road", "power"}
    assert "Chỉ ý kiến của một hội nghị" in forum
    device = client.get(f"/central/inbox?device={na_lo.device_id}").get_data(as_text=True)
    assert _ids(device, said) == {"road", "power", "land"}
    # The device box offers the commune's laptops by name, not another commune's.
    assert f'<option value="{na_lo.device_id}" selected>Máy bản Nà Lò</option>' in device
    assert "Máy bản Đán" in device and "Máy Chiềng Lao" not in device
    # Another commune's forum is outside the scope whatever the filter says.
    other = client.get(f"/central/inbox?forum={communes['other_forum']}")
    assert _ids(other.get_data(as_text=True), said) == set()


def test_a_bad_filter_value_is_refused(office, communes):
    answer = login(office, "xa_a").get("/central/inbox?kind=rumour")
    assert answer.status_code == 422


def test_paging_keeps_the_filters(office, communes):
    na_lo = communes["laptops"][0]
    made = [na_lo.opinion("Bản Nà Lò", f"Đường nội đồng số {i} lầy lội") for i in range(30)]
    na_lo.push()
    client = login(office, "xa_a")
    first = client.get("/central/inbox?q=duong+noi+dong&per_page=20").get_data(as_text=True)
    assert "Trang 1 / 2" in first
    assert 'href="/central/inbox?page=2&amp;q=duong+noi+dong&amp;per_page=20"' in first
    second = client.get("/central/inbox?page=2&q=duong+noi+dong&per_page=20")
    shown = {record_id for record_id in made
             if f"r-{record_id}" in first} | {record_id for record_id in made
                                               if f"r-{record_id}" in second.get_data(
                                                   as_text=True)}
    assert shown == set(made)
    assert communes["said"]["road"] not in shown


def test_new_since_the_previous_visit(office, communes):
    na_lo = communes["laptops"][0]
    client = login(office, "xa_a")
    first = client.get("/central/inbox").get_data(as_text=True)
    assert first.count('class="new"') == 4  # never looked: everything is new
    # Another day: a new visit, then two more opinions arrive.
    with client.session_transaction() as session:
        session.pop("inbox_visit")
    client.get("/central/inbox")
    fresh = {na_lo.opinion("Bản Nà Lò", f"Ý kiến mới số {i}") for i in range(2)}
    na_lo.push()
    with client.session_transaction() as session:
        session.pop("inbox_visit")
    listed = client.get("/central/inbox").get_data(as_text=True)
    assert {record_id for record_id in fresh if f'id="r-{record_id}" class="new"' in listed} \
        == fresh
    assert listed.count('class="new"') == 2
    # Within the visit, the box and the pages compare with the same moment.
    for _look in range(2):
        only = client.get("/central/inbox?new=1").get_data(as_text=True)
        assert "2 ý kiến" in only and only.count('class="new"') == 2
    paged = client.get("/central/inbox?per_page=1&page=2").get_data(as_text=True)
    assert paged.count('class="new"') == 1
    # "Mark all seen": nothing new any more.
    client.post("/central/inbox/seen")
    assert "0 ý kiến" in client.get("/central/inbox?new=1").get_data(as_text=True)


def test_a_visit_ends_after_a_quiet_gap(office, communes):
    with office.app_context():
        officer = db.session.execute(db.select(Account)).scalars().one()
        start = datetime(2026, 11, 30, 8)
        since, held = logic.visit(officer, None, start)
        assert since is None
        again, held = logic.visit(officer, held, start + timedelta(minutes=20))
        assert again is None and officer.inbox_seen_at == start + timedelta(minutes=20)
        later, held = logic.visit(officer, held, start + timedelta(hours=2))
        assert later == start + timedelta(minutes=20)
        # Another account in the same browser starts its own visit.
        other = Account(id=officer.id + 1, inbox_seen_at=start)
        assert logic.visit(other, held, start + timedelta(hours=2, minutes=1))[0] == start


def test_forum_list_and_forum_page(office, communes):
    client = login(office, "xa_a")
    listed = client.get("/central/forums").get_data(as_text=True)
    forum, other = communes["forum"], communes["other_forum"]
    assert f"f-{forum}" in listed and f"f-{other}" not in listed
    row = listed.split(f'id="f-{forum}"')[1].split("</tr>")[0]
    assert "20/11/2026" in row and "Bản Nà Lò" in row and "64" in row
    assert f'href="/central/inbox?forum={forum}">2</a>' in row
    page = client.get(f"/central/forums/{forum}").get_data(as_text=True)
    assert "Nhà văn hóa Bản Nà Lò" in page and "Máy bản Nà Lò" in page
    assert _ids(page, communes["said"]) == {"road", "power"}
    assert f"/central/inbox?forum={forum}" in page
    assert client.get(f"/central/forums/{other}").status_code == 404


def test_a_forum_still_ahead_is_listed_as_planned(office, communes):
    forum = communes["forum"]
    with office.app_context():
        row = db.session.get(OfficeForum, forum)
        assert row.status == "draft"
        row.started_at = vietnam_now() + timedelta(days=3)
        db.session.commit()
    listed = login(office, "xa_a").get("/central/forums").get_data(as_text=True)
    row_html = listed.split(f'id="f-{forum}"')[1].split("</tr>")[0]
    assert "Sắp họp" in row_html and "Đang ghi" not in row_html


def test_photos_are_served_only_within_scope_and_never_as_html(office, communes):
    na_lo, _dan, lao = communes["laptops"]
    road = communes["said"]["road"]
    photo, sha = na_lo.attachment(PNG, "bien-ban.png", "image/png", opinion=road)
    page_file, page_sha = na_lo.attachment(b"<html><script>alert(1)</script></html>",
                                           "trang.html", "text/html",
                                           forum=communes["forum"])
    other_photo, other_sha = lao.attachment(PNG + b"x", "anh.png", "image/png",
                                            opinion=communes["said"]["other"])
    na_lo.push()
    lao.push()
    na_lo.upload(PNG, sha)
    na_lo.upload(b"<html><script>alert(1)</script></html>", page_sha)
    lao.upload(PNG + b"x", other_sha)
    with office.app_context():
        row = db.session.get(OfficeAttachment, photo)
        assert (row.opinion_id, row.commune_code, row.size) == (road, MUONG_LA, len(PNG))

    client = login(office, "xa_a")
    answer = _fetch(client, f"/central/attachments/{photo}")
    assert answer.status_code == 200 and answer.data == PNG
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    html = _fetch(client, f"/central/attachments/{page_file}")
    assert html.status_code == 200
    assert html.headers["Content-Type"] == "application/octet-stream"
    assert html.headers["Content-Disposition"].startswith("attachment")
    assert html.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert _fetch(client, f"/central/attachments/{other_photo}").status_code == 404
    assert _fetch(client, f"/central/attachments/{uuid.uuid4()}").status_code == 404
    # Thumbnails on the opinion and forum pages.
    opinion_page = client.get(f"/central/opinions/{road}").get_data(as_text=True)
    assert f'<img src="/central/attachments/{photo}"' in opinion_page
    forum_page = client.get(f"/central/forums/{communes['forum']}").get_data(as_text=True)
    assert "trang.html" in forum_page and f"<img src=\"/central/attachments/{page_file}" \
        not in forum_page
    # A unit handler sees only its unit's cases, and their photos.
    from field_app.central.catalogue.logic import add_unit

    with office.app_context():
        unit = add_unit(MUONG_LA, "Phòng Kinh tế").id
        db.session.commit()
    account(office, "donvi", role="handler", unit_id=unit)
    assert _fetch(login(office, "donvi"), f"/central/attachments/{photo}").status_code == 404
    # A deleted photo is gone for everyone.
    na_lo._add("attachment", photo, None)
    na_lo.push()
    assert _fetch(client, f"/central/attachments/{photo}").status_code == 404


def _fetch(client, path: str):
    """GET a file and close its stream (read whole: the files here are tiny)."""
    answer = client.get(path)
    answer.get_data()
    answer.close()
    return answer


def test_a_photo_not_yet_uploaded_says_so(office, communes):
    na_lo = communes["laptops"][0]
    photo, _sha = na_lo.attachment(PNG, "anh.png", "image/png",
                                   opinion=communes["said"]["road"])
    na_lo.push()
    client = login(office, "xa_a")
    answer = client.get(f"/central/attachments/{photo}")
    assert answer.status_code == 404 and "chưa gửi xong" in answer.get_data(as_text=True)
    # A small file's size in bytes, not "0 KB".
    shown = client.get(f"/central/opinions/{communes['said']['road']}").get_data(as_text=True)
    assert f"{len(PNG)} byte" in shown and "0 KB" not in shown


def test_history_shows_laptop_and_office_changes_in_words(office, communes):
    na_lo = communes["laptops"][0]
    road = communes["said"]["road"]
    na_lo.opinion("Bản Nà Lò", "Đề nghị sửa đường vào bản bị sạt lở, dài 300 m", record_id=road,
                  forum=communes["forum"], level="province")
    na_lo.push()
    from field_app.central.catalogue.logic import add_unit

    with office.app_context():
        unit_id = add_unit(MUONG_LA, "Phòng Kinh tế xã").id
        db.session.commit()
    client = login(office, "xa_a")
    saved = client.post(f"/central/opinions/{road}", data={
        "status": "forwarded", "unit_id": str(unit_id), "due_on": "2026-12-31",
        "reason": "Chuyển phòng Kinh tế"})
    assert saved.status_code == 302
    page = client.get(f"/central/opinions/{road}").get_data(as_text=True)
    history = page.split('id="history"')[1]
    assert history.count("<li class=\"history-") == 3
    assert "<strong>Máy bản Nà Lò</strong>" in history and "nhận từ máy bản" in history
    assert "máy bản sửa" in history and history.count("lần gửi số") == 2
    assert "Nội dung" in history and "dài 300 m" in history
    assert "Cấp giải quyết" in history and "<del>Xã</del> → <ins>Tỉnh</ins>" in history
    assert "sửa trên máy chủ xã" in history and "xa_a" in history
    assert "<del>Đã tiếp nhận</del> → <ins>Đã chuyển</ins>" in history
    assert "Hạn xử lý" in history and "31/12/2026" in history
    assert "Chuyển phòng Kinh tế" in history
    # The device and the push the current version came with.
    device = page.split('id="device"')[1].split("</section>")[0]
    assert "Máy bản Nà Lò" in device and "số 4" in device and "qua mạng" in device


@pytest.mark.parametrize(("role", "kind", "shown"), [
    ("officer", "opinion", True),
    ("viewer", "opinion", False),
    ("officer", "denunciation", False),
])
def test_personal_values_are_hidden_where_they_must_be(office, communes, role, kind, shown):
    na_lo = communes["laptops"][0]
    record = na_lo.opinion("Bản Nà Lò", "Nội dung cần xem", kind=kind, forum=communes["forum"],
                           raiser_name="Cầm Thị Mai", raiser_phone="0987654321")
    na_lo.push()
    na_lo.opinion("Bản Nà Lò", "Nội dung cần xem", record_id=record, kind=kind,
                  forum=communes["forum"], raiser_name="Cầm Thị Mai Anh",
                  raiser_phone="0987000000")
    na_lo.push()
    if role != "officer":
        account(office, "xem", role=role)
    client = login(office, "xa_a" if role == "officer" else "xem")
    page = client.get(f"/central/opinions/{record}").get_data(as_text=True)
    for value in ("Cầm Thị Mai", "0987654321", "0987000000"):  # the history's old values too
        assert (value in page) == shown, value
    for path in ("/central/inbox", "/central/inbox?q=noi+dung+can+xem",
                 f"/central/forums/{communes['forum']}"):
        assert ("Cầm Thị Mai" in client.get(path).get_data(as_text=True)) == shown, path
    if not shown and kind == "denunciation":
        # A denouncer's identity is sealed apart before it is stored: the history has no
        # change of it to hide (tests/test_protected_identity.py).
        assert "Người nêu" not in page.split('id="history"')[-1]
    elif not shown:
        assert "(ẩn thông tin cá nhân)" in client.get(f"/central/opinions/{record}").get_data(
            as_text=True)


def test_untrusted_text_is_escaped_everywhere(office, communes):
    na_lo = communes["laptops"][0]
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    forum = na_lo.forum("Bản Nà Lò", datetime(2026, 11, 25, 8), title=hostile, venue=hostile)
    record = na_lo.opinion("Bản Nà Lò", hostile, forum=forum, raiser_name=hostile,
                           spot_answer=hostile, answered_on_spot=True)
    na_lo.attachment(PNG, hostile, "image/png", opinion=record)
    na_lo.push()
    na_lo.opinion("Bản Nà Lò", hostile + " ", record_id=record, forum=forum,
                  raiser_name=hostile + "!")
    na_lo.push()
    client = login(office, "xa_a")
    for path in ("/central/inbox", f"/central/opinions/{record}", "/central/forums",
                 f"/central/forums/{forum}"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;" in page, path


def test_attachments_already_held_are_projected_by_the_upgrade(office, communes):
    """A central upgraded to o003 gets the attachment records it already held."""
    from field_app.central.inbox.projection import project_everything

    na_lo = communes["laptops"][0]
    photo, _sha = na_lo.attachment(PNG, "anh.png", "image/png",
                                   opinion=communes["said"]["road"])
    na_lo.push()
    with office.app_context(), db.engine.begin() as conn:
        conn.execute(OfficeAttachment.__table__.delete())
        assert project_everything(conn, ("attachment",)) == 1
    with office.app_context():
        assert db.session.get(OfficeAttachment, photo).filename == "anh.png"


def test_the_opinion_form_shows_the_unit_it_holds_to_a_server_wide_account(office, communes):
    """Saving the form as shown must not drop the unit: it is offered, and selected."""
    from field_app.central.catalogue.logic import add_unit

    road = communes["said"]["road"]
    account(office, "tinh", role="admin", commune_code=None)
    with office.app_context():
        unit = add_unit(MUONG_LA, "Phòng Kinh tế xã")
        officer = db.session.execute(db.select(Account).where(Account.username == "xa_a")) \
            .scalar_one()
        logic.update_opinion(officer, uuid.UUID(str(road)), {"unit_id": unit.id})
        db.session.commit()
        unit_id = unit.id
    for name in ("xa_a", "tinh"):
        page = login(office, name).get(f"/central/opinions/{road}").get_data(as_text=True)
        assert f'<option value="{unit_id}" selected>Phòng Kinh tế xã</option>' in page, name


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_search_finds_words_by_their_beginning_alike_on_both_backends(tmp_path, backend):
    """Each typed word begins a word of the text (or of the name, for a role that sees
    names): "duong" and "đườ" find "đường", "uong" does not; words split at punctuation."""
    with office_app(tmp_path / "office", backend) as app:
        laptop = Laptop(app, MUONG_LA, "Máy bản Nà Lò")
        laptop.village("Bản Nà Lò")
        said = {
            "road": laptop.opinion("Bản Nà Lò", "Đề nghị sửa đường vào bản bị sạt lở"),
            "bridge": laptop.opinion("Bản Nà Lò", "Cầu treo (km15) hỏng từ 12/2024, xã-huyện "
                                     "chưa sửa", raiser_name="Quàng Thị Xuân"),
        }
        laptop.push()
        account(app, "xa_a")
        client = login(app, "xa_a")
        for query, expected in (("duong", {"road"}), ("đườ", {"road"}), ("uong", set()),
                                ("sat lo cau", set()), ("sua", {"road", "bridge"}),
                                ("cau treo", {"bridge"}), ("treo cau", {"bridge"}),
                                ("km1", {"bridge"}), ("15", set()), ("2024", {"bridge"}),
                                ("huyen", {"bridge"}), ("quang xu", {"bridge"}),
                                ("xuan sat", set()), ("pom sat", {"road"}),
                                ("(cau)", {"bridge"}), ("100%_", set()),
                                ("a' | b:*", set()), ("?!", set())):
            page = client.get("/central/inbox", query_string={"q": query})
            assert _ids(page.get_data(as_text=True), said) == expected, query


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_search_finds_a_village_s_opinions_by_its_name_on_the_page_and_the_api(tmp_path,
                                                                              backend):
    """A village's name, typed with or without marks, finds its opinions (each word in
    the text or in the village's name); a village merged into it comes along; the API's
    `q` answers what the page lists."""
    from field_app.central.accounts.logic import create_token
    from field_app.central.catalogue.logic import merge_villages

    with office_app(tmp_path / "office", backend) as app:
        laptop = Laptop(app, MUONG_LA, "Máy bản Nà Lò")
        for name in ("Bản Nà Lò", "Nà Lo", "Bản Đán"):
            laptop.village(name)
        said = {
            "road": laptop.opinion("Bản Nà Lò", "Đề nghị sửa đường vào bản bị sạt lở"),
            "water": laptop.opinion("Bản Nà Lò", "Thiếu nước sinh hoạt mùa khô"),
            "typo": laptop.opinion("Nà Lo", "Xin hỗ trợ giống ngô"),
            "school": laptop.opinion("Bản Đán", "Đường lên trường mầm non hỏng"),
            "word": laptop.opinion("Bản Đán", "Nhà văn hóa dột, lò sưởi hỏng"),
        }
        laptop.push()
        other = Laptop(app, CHIENG_LAO, "Máy Chiềng Lao")
        other.village("Bản Nà Lò")  # the same name in another commune: not this account's
        said["elsewhere"] = other.opinion("Bản Nà Lò", "Thiếu nước sinh hoạt")
        other.push()
        officer_id = account(app, "xa_a")
        with app.app_context():
            officer = db.session.get(Account, officer_id)
            headers = {"Authorization": f"Bearer {create_token(officer, 'api')}"}
            db.session.commit()
        client = login(app, "xa_a")

        def found(query: str) -> set[str]:
            page = client.get("/central/inbox", query_string={"q": query})
            listed = _ids(page.get_data(as_text=True), said)
            api = client.get("/central/api/v1/opinions", query_string={"q": query},
                             headers=headers).get_json()
            assert {name for name, record_id in said.items()
                    if str(record_id) in {item["id"] for item in api["items"]}} == listed
            assert api["total"] == len(listed), query
            return listed

        # "na lo" begins words of "Nà Lo" too (a village typed twice, not merged yet).
        for query in ("na lo", "Nà Lò", "NA LO", "nà"):
            assert found(query) == {"road", "water", "typo"}, query
        assert found("bản nà") == {"road", "water"}  # "Nà Lo" has no "Bản"
        assert found("na lo nuoc") == {"water"}
        assert found("nà lò đường") == {"road"}
        assert found("dan") == {"school", "word"}
        assert found("duong") == {"road", "school"}  # the text still, as before
        assert found("lo suoi") == {"word"}  # "lò" of the text; no village "suoi"
        assert found("dan nuoc") == set()
        with app.app_context():
            officer = db.session.get(Account, officer_id)
            merge_villages(officer, laptop.villages["Bản Nà Lò"], laptop.villages["Nà Lo"],
                           "trùng tên")
            db.session.commit()
        # Merged: found under the name the office kept, whatever the other was called.
        assert found("ban na lo") == {"road", "water", "typo"}
        assert found("na lo ngo") == {"typo"}


def test_times_a_machine_stamped_are_shown_in_vietnam_time(office, communes):
    """A laptop stamps UTC (finalised, satisfaction recorded); the office shows them in the
    commune's time, as every other time it shows; a forum's start is shown as typed."""
    from field_app.central.inbox.history import shown

    laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    laptop.village("Bản Nà Lò")
    forum = laptop.forum("Bản Nà Lò", datetime(2026, 11, 30, 20, 0), status="finalised",
                         finalised_at="2026-11-30T22:45:00")
    laptop.push()
    page = login(office, "xa_a").get(f"/central/forums/{forum}").get_data(as_text=True)
    assert "01/12/2026 05:45" in page and "22:45" not in page
    assert "30/11/2026 20:00" in page
    with office.test_request_context():
        assert shown("satisfaction_at", "2026-11-30T22:46:00", {}) == "01/12/2026 05:46"
        assert shown("finalised_at", "2026-11-30T22:46:00", {}) == "01/12/2026 05:46"
        assert shown("started_at", "2026-11-30T22:46:00", {}) == "30/11/2026 22:46"
        assert shown("answer_date", "2026-11-30", {}) == "30/11/2026"


@pytest.mark.parametrize(("form", "said"), [
    ({"status": "answered", "answer_text": "", "answer_by": "Chủ tịch UBND xã"},
     "Chưa có nội dung trả lời."),
    ({"status": "closed", "answer_text": "Đã sửa xong đoạn đường.", "answer_by": ""},
     "Chưa ghi cơ quan/người trả lời."),
    ({"status": "answered", "answer_text": "Đã sửa xong đoạn đường.",
      "answer_by": "Chủ tịch UBND xã", "answer_date": "2099-01-01"},
     "Ngày trả lời không được sau hôm nay"),
    ({"status": "in_progress", "answer_text": "Dự thảo trả lời",
      "answer_date": "2099-01-01"}, "Ngày trả lời không được sau hôm nay"),
    ({"status": "answered", "answer_text": "Đã sửa xong.", "answer_by": "Chủ tịch UBND xã",
      "answer_date": "2026-09-01"}, "không được trước ngày tiếp nhận (02/10/2026)"),
])
def test_an_opinion_is_not_marked_answered_without_a_whole_answer(office, communes, form,
                                                                  said):
    land = communes["said"]["land"]
    client = login(office, "xa_a")
    typed = {"category_code": "land", "kind": "opinion", "level": "commune",
             "reason": "Đã họp với phòng Tài nguyên", **form}
    refused = client.post(f"/central/opinions/{land}", data=typed)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and said in page
    # What the officer typed is shown again, not lost.
    workflow = page.split('id="workflow-form"')[1].split("</form>")[0]
    for name in ("answer_text", "answer_by", "answer_date"):
        if typed.get(name):
            assert typed[name] in workflow, name
    assert "Đã họp với phòng Tài nguyên" in workflow
    assert f'<option value="{form["status"]}" selected>' in workflow
    with office.app_context():
        stored = logic.get_opinion(SimpleNamespace(commune_code=None, role="admin"),
                                   uuid.UUID(str(land)))
        assert (stored.status, stored.answer_text) == ("received", None)


def test_a_whole_answer_saved_with_the_status_left_as_it_was_is_answered(office, communes):
    """The laptops read out whatever answer they get: one saved whole, with "Đã tiếp nhận"
    left in the status box, is answered (the inbox filter and the reports count it)."""
    land = communes["said"]["land"]
    client = login(office, "xa_a")
    typed = {"category_code": "land", "kind": "opinion", "level": "commune",
             "status": "received", "answer_text": "UBND xã sẽ đo đạc trong tháng 12.",
             "answer_by": "Chủ tịch UBND xã", "answer_doc_number": "125/UBND-KT"}
    assert client.post(f"/central/opinions/{land}", data=typed).status_code == 302
    admin = SimpleNamespace(commune_code=None, role="admin")
    with office.app_context():
        stored = logic.get_opinion(admin, uuid.UUID(str(land)))
        assert (stored.status, stored.answer_date) == ("answered", vietnam_today())
    listed = client.get("/central/inbox?status=answered").get_data(as_text=True)
    assert str(land) in listed


def test_an_answer_with_who_gave_it_is_dated_today_when_no_date_is_given(office, communes):
    from field_app.opinions.logic import vietnam_today

    land = communes["said"]["land"]
    client = login(office, "xa_a")
    saved = client.post(f"/central/opinions/{land}", data={
        "status": "answered", "answer_text": "UBND xã sẽ đo đạc trong tháng 12.",
        "answer_by": "Chủ tịch UBND xã", "answer_date": ""})
    assert saved.status_code == 302
    with office.app_context():
        stored = logic.get_opinion(SimpleNamespace(commune_code=None, role="admin"),
                                   uuid.UUID(str(land)))
        assert (stored.status, stored.answer_date) == ("answered", vietnam_today())
    # Who answered is a body or a person, named alike here and on the laptop's read-out.
    page = client.get(f"/central/opinions/{land}").get_data(as_text=True)
    assert "Cơ quan/người trả lời <input" in page and "Người trả lời <input" not in page


def test_the_unit_filter_tells_a_server_wide_account_to_pick_a_commune_first(office, communes):
    from field_app.central.catalogue.logic import add_unit

    with office.app_context():
        add_unit(MUONG_LA, "Phòng Kinh tế xã")
        db.session.commit()
    account(office, "tinh", role="viewer", commune_code=None)
    client = login(office, "tinh")
    page = client.get("/central/inbox").get_data(as_text=True)
    assert 'id="unit-hint"' in page and "chọn xã rồi bấm Lọc" in page
    assert ">Phòng Kinh tế xã</option>" not in page
    chosen = client.get(f"/central/inbox?commune={MUONG_LA}").get_data(as_text=True)
    assert 'id="unit-hint"' not in chosen and ">Phòng Kinh tế xã</option>" in chosen
    assert 'id="unit-hint"' not in login(office, "xa_a").get("/central/inbox").get_data(
        as_text=True)


def test_a_late_answer_is_not_closed_on_the_opinion_page_without_the_apology(office, communes):
    # The case page asks for the head's explanation and the apology before closing a late
    # answer; the opinion page closed it without them, and the report then counted one
    # late answer "còn thiếu" with no page to record them on.
    land = communes["said"]["land"]
    client = login(office, "xa_a")
    typed = {"category_code": "land", "kind": "opinion", "level": "commune",
             "due_on": "2026-10-17", "answer_text": "UBND xã sẽ đo đạc trong tháng 12.",
             "answer_by": "Chủ tịch UBND xã", "answer_date": "2026-11-20"}
    assert client.post(f"/central/opinions/{land}",
                       data={**typed, "status": "answered"}).status_code == 302
    refused = client.post(f"/central/opinions/{land}", data={**typed, "status": "closed"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "trả lời chậm 34 ngày" in page
    assert "mở vụ việc cho ý kiến này" in page
    with office.app_context():
        stored = logic.get_opinion(SimpleNamespace(commune_code=None, role="admin"),
                                   uuid.UUID(str(land)))
        assert stored.status == "answered"
    # The way offered: its own case keeps the late answer and asks for the explanation.
    opened = client.post("/central/cases", data={"opinion_ids": [str(land)]})
    case_page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert 'name="late_explanation"' in case_page and "trả lời chậm 34 ngày" in case_page


def test_an_opinion_is_not_forwarded_to_no_unit(office, communes):
    """"Đã chuyển" names who it went to: without a unit it is refused, nothing changed."""
    from field_app.central.catalogue.logic import add_unit

    with office.app_context():
        unit_id = add_unit(MUONG_LA, "Phòng Kinh tế xã").id
        db.session.commit()
    land = communes["said"]["land"]
    client = login(office, "xa_a")
    typed = {"category_code": "land", "kind": "opinion", "level": "commune",
             "status": "forwarded", "unit_id": "", "due_on": "2026-12-31"}
    refused = client.post(f"/central/opinions/{land}", data=typed)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "phải có đơn vị xử lý" in page and "Hãy chọn đơn vị xử lý" in page
    admin = SimpleNamespace(commune_code=None, role="admin")
    with office.app_context():
        stored = logic.get_opinion(admin, uuid.UUID(str(land)))
        assert (stored.status, stored.unit_id, stored.due_on) == ("received", None, None)
        assert [entry.source for entry in logic.history(stored.id)] == ["laptop"]
    # With its unit it goes; taking the unit away later is refused the same way.
    assert client.post(f"/central/opinions/{land}",
                       data={**typed, "unit_id": str(unit_id)}).status_code == 302
    assert client.post(f"/central/opinions/{land}", data=typed).status_code == 422
    with office.app_context():
        stored = logic.get_opinion(admin, uuid.UUID(str(land)))
        assert (stored.status, stored.unit_id) == ("forwarded", unit_id)


def test_a_look_while_the_database_is_held_is_shown_and_stamped_at_the_next(office, communes):
    """Looking at the inbox only reads: with another writer holding the SQLite file, the
    look is not stamped (it waited 5 s for the lock, then answered 503); the next one is."""
    import sqlite3
    import time

    from sqlalchemy import select

    from field_app.config import sqlite_file

    client = login(office, "xa_a")

    def seen() -> datetime | None:
        with office.app_context():
            return db.session.execute(select(Account.inbox_seen_at)).scalar_one()

    holder = sqlite3.connect(sqlite_file(office.config["SQLALCHEMY_DATABASE_URI"]),
                             timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        held = client.get("/central/inbox")
        took = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert held.status_code == 200 and took < 2.5
    assert held.get_data(as_text=True).count('class="new"') == 4
    assert seen() is None
    assert client.get("/central/inbox").status_code == 200
    assert seen() is not None


def test_a_too_long_answer_is_refused_by_its_label_and_limit(office, communes):
    land = communes["said"]["land"]
    client = login(office, "xa_a")
    page = client.get(f"/central/opinions/{land}").get_data(as_text=True)
    assert '<textarea name="answer_text" maxlength="10000"' in page
    refused = client.post(f"/central/opinions/{land}", data={
        "status": "received", "answer_text": "a" * 11_999})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Nội dung trả lời: quá dài (tối đa 10.000 ký tự); chưa lưu gì." in text
    assert "answer_text:" not in text
