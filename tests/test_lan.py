"""`langnghe field --lan`: phones on the hotspot need the PIN shown on the laptop."""

import pytest

from field_app.pwa import lan

PHONE = {"REMOTE_ADDR": "192.168.137.23"}  # a test-client address; no packet is sent
LAPTOP = {"REMOTE_ADDR": "127.0.0.1"}


@pytest.fixture
def lan_app(app, commune):
    app.config["WTF_CSRF_ENABLED"] = False
    lan.enable_lan(app, "482913")
    return app


def test_phones_are_listened_for_on_the_laptops_addresses_once_turned_on(lan_app):
    """Until then only 127.0.0.1 (no Windows network question at the first start)."""
    import socket
    import urllib.request

    from .browser import free_port

    address = lan.lan_addresses()[0]  # the machine's own address: not loopback
    port = free_port()
    with pytest.raises(OSError):  # nothing listens there before
        socket.create_connection((address, port), timeout=5).close()
    try:
        assert lan.open_to_phones(lan_app, port) == []
        with urllib.request.urlopen(f"http://{address}:{port}/healthz", timeout=10) as answer:
            assert answer.status == 200
        listening = dict(lan_app.extensions[lan.PHONE_LISTENERS])
        assert (address, port) in listening
        assert lan.open_to_phones(lan_app, port) == []  # again: nothing new opened
        assert lan_app.extensions[lan.PHONE_LISTENERS] == listening
        # A port another program holds on that address: said, not raised.
        with socket.socket() as other:
            other.bind((address, 0))
            other.listen()
            held = other.getsockname()[1]
            failed = lan.open_to_phones(lan_app, held)
        assert failed and failed[0].startswith(address + " (")
    finally:
        for server in lan_app.extensions.get(lan.PHONE_LISTENERS, {}).values():
            stop_from_its_loop(server)


def stop_from_its_loop(server, wait: float = 5.0) -> None:
    """Close a waitress server's sockets from its own loop thread, and wait for it to end.

    Closed from this thread, a socket the loop's select() is watching (the keep-alive
    connection urlopen left) makes that thread die of EBADF, reported against whichever
    test runs next.
    """
    import threading

    def close_all() -> None:
        for dispatcher in list(server._map.values()):
            dispatcher.close()

    loops = [thread for thread in threading.enumerate()
             if thread.name.startswith("phones-")]
    server.trigger.pull_trigger(close_all)
    for thread in loops:
        thread.join(wait)


def test_pins_are_six_digits_and_change():
    pins = {lan.new_pin() for _ in range(20)}
    assert all(len(p) == 6 and p.isdigit() for p in pins) and len(pins) > 1


def test_laptop_needs_no_pin_and_sees_it_on_screen(lan_app):
    page = lan_app.test_client().get("/", environ_base=LAPTOP)
    assert page.status_code == 200
    assert "482913" in page.text


def test_phone_is_sent_to_the_pin_page_and_never_sees_the_pin(lan_app):
    phone = lan_app.test_client()
    response = phone.get("/opinions?q=duong", environ_base=PHONE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/pin?next=")
    page = phone.get(response.headers["Location"], environ_base=PHONE)
    assert "Nhập mã PIN" in page.text and "482913" not in page.text
    api = phone.get("/api/v1/opinions", environ_base=PHONE)
    assert api.status_code == 401 and api.get_json()["code"] == "pin_required"
    assert phone.get("/healthz", environ_base=PHONE).status_code == 200


def test_phone_with_the_right_pin_gets_in(lan_app):
    phone = lan_app.test_client()
    wrong = phone.post("/pin", data={"pin": "000000", "next": "/opinions"}, environ_base=PHONE)
    assert wrong.status_code == 403 and "không đúng" in wrong.text
    right = phone.post("/pin", data={"pin": "482913", "next": "/opinions"}, environ_base=PHONE)
    assert right.status_code == 302 and right.headers["Location"] == "/opinions"
    assert phone.get("/opinions", environ_base=PHONE).status_code == 200
    assert phone.get("/api/v1/opinions", environ_base=PHONE).status_code == 200
    # The laptop's PIN is still not shown to the phone.
    assert "482913" not in phone.get("/", environ_base=PHONE).text


def test_guessing_is_locked_after_five_wrong_pins(lan_app):
    phone = lan_app.test_client()
    for _ in range(lan.MAX_TRIES):
        phone.post("/pin", data={"pin": "111111"}, environ_base=PHONE)
    locked = phone.post("/pin", data={"pin": "482913"}, environ_base=PHONE)
    assert locked.status_code == 429 and "đợi" in locked.text
    assert phone.get("/opinions", environ_base=PHONE).status_code == 302


def test_a_new_start_with_a_new_pin_locks_old_phones_out(app, commune):
    app.config["WTF_CSRF_ENABLED"] = False
    first = lan.enable_lan(app, "123456")
    phone = app.test_client()
    phone.post("/pin", data={"pin": "123456"}, environ_base=PHONE)
    assert phone.get("/", environ_base=PHONE).status_code == 200
    first.pin = "654321"  # what a restart does: same secret key, new PIN
    assert phone.get("/", environ_base=PHONE).status_code == 302


@pytest.mark.parametrize("target, expected", [
    ("/forums/x", "/forums/x"), ("//evil.example/x", "/"), ("http://evil.example", "/"),
    (None, "/"),
])
def test_pin_page_only_returns_to_pages_of_this_laptop(target, expected):
    assert lan.safe_next(target) == expected


def test_pin_form_works_with_csrf_protection_on(app, commune):
    lan.enable_lan(app, "482913")
    app.config["WTF_CSRF_ENABLED"] = True
    phone = app.test_client()
    page = phone.get("/pin", environ_base=PHONE).text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = phone.post("/pin", data={"pin": "482913", "csrf_token": token},
                          environ_base=PHONE)
    assert response.status_code == 302
    assert phone.get("/", environ_base=PHONE).status_code == 200


def test_wrong_pins_from_many_addresses_lock_pin_entry_for_everyone(lan_app):
    """A guesser who changes address each time still gets 20 tries a minute in all."""
    pin_guard = lan.guard()
    phone = lan_app.test_client()
    addresses = [f"192.168.137.{n}" for n in range(100, 100 + lan.MAX_TRIES_ALL)]
    for address in addresses:  # one wrong try each: no address reaches its own limit
        wrong = phone.post("/pin", data={"pin": "111111"}, environ_base={"REMOTE_ADDR": address})
        assert wrong.status_code == 403
    honest = lan_app.test_client()
    locked = honest.post("/pin", data={"pin": "482913"}, environ_base=PHONE)
    assert locked.status_code == 429 and "mọi máy" in locked.text
    assert honest.get("/opinions", environ_base=PHONE).status_code == 302
    assert honest.get("/", environ_base=LAPTOP).status_code == 200  # the laptop needs no PIN
    # A minute later PIN entry opens again.
    pin_guard.all_failures = [t - lan.LOCK_SECONDS for t in pin_guard.all_failures]
    right = honest.post("/pin", data={"pin": "482913"}, environ_base=PHONE)
    assert right.status_code == 302


# --- Addresses and QR code ----------------------------------------------------------

FIB_TRIE = """Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.1
              /32 host LOCAL
     |-- 192.168.137.0
        /24 link UNICAST
     |-- 192.168.137.1
        /32 host LOCAL
     |-- 10.42.0.7
        /32 host LOCAL
"""


def test_addresses_come_from_every_interface_in_the_routing_trie(tmp_path):
    trie = tmp_path / "fib_trie"
    trie.write_text(FIB_TRIE, encoding="ascii")
    assert lan._from_fib_trie(trie) == {"127.0.0.1", "192.168.137.1", "10.42.0.7"}


def test_addresses_are_ipv4_not_loopback_private_first(monkeypatch):
    monkeypatch.setattr(lan, "_from_host_name", lambda: {"127.0.1.1", "203.0.113.9"})
    monkeypatch.setattr(lan, "_from_routes", lambda: {"192.168.137.1"})
    monkeypatch.setattr(lan, "_from_fib_trie", lambda: {"127.0.0.1", "10.42.0.7"})
    monkeypatch.setattr(lan, "_from_ip_command", lambda: {"fe80::1", "192.168.137.1"})
    assert lan.lan_addresses() == ["10.42.0.7", "192.168.137.1", "203.0.113.9"]


def test_this_machines_addresses_are_found_without_sending_anything():
    """The machine running the tests has a network address; none is loopback."""
    found = lan.lan_addresses()
    assert found and all(not a.startswith("127.") for a in found)


def test_laptop_shows_a_qr_code_of_each_address_served_as_svg(lan_app, monkeypatch):
    import segno

    monkeypatch.setattr(lan, "lan_addresses", lambda: ["192.168.137.1", "10.42.0.7"])
    laptop = lan_app.test_client()
    page = laptop.get("/", environ_base=LAPTOP).text
    assert 'src="/lan/qr/0.svg"' in page and 'src="/lan/qr/1.svg"' in page
    assert "http://192.168.137.1:80/" in page
    qr = laptop.get("/lan/qr/0.svg", environ_base=LAPTOP)
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    expected = segno.make("http://192.168.137.1:80/", error="m")
    assert qr.data.startswith(b"<svg") and expected.designator in ("2-M", "3-M")
    drawn = segno.make("http://192.168.137.1:80/", error="m").svg_inline(scale=5, border=2)
    assert drawn.split("d=", 1)[1][:60] in qr.text  # the same modules: the same address
    assert laptop.get("/lan/qr/5.svg", environ_base=LAPTOP).status_code == 404
    # A phone gets neither the PIN nor the code.
    phone = lan_app.test_client()
    phone.post("/pin", data={"pin": "482913"}, environ_base=PHONE)
    assert phone.get("/lan/qr/0.svg", environ_base=PHONE).status_code in (403, 404)


# --- A phone records; the rest stays on the laptop ----------------------------------


@pytest.fixture
def phone(lan_app):
    client = lan_app.test_client()
    client.post("/pin", data={"pin": "482913"}, environ_base=PHONE)
    return client


@pytest.fixture
def finalised(villages):
    from datetime import datetime

    from field_app.extensions import db
    from field_app.forums import logic as forums
    from field_app.opinions import logic as opinions

    made = forums.create_forum({
        "kind": "listening", "village_id": villages[1].id,
        "started_at": datetime(2026, 11, 1, 8), "venue": "Nhà văn hóa bản Đán",
        "chair": "Lò Văn Minh", "secretary": "Quàng Thị Hoa",
        "officials_present": "Phó Chủ tịch UBND xã Cầm Văn Sơn",
        "attendance_total": 40, "attendance_women": 20, "attendance_ethnic_minority": 38,
        "households_represented": 40, "agenda": "Nghe ý kiến của Nhân dân"})
    db.session.flush()
    opinions.create_opinion({"content": "Đường vào bản hỏng", "category_code": "construction"},
                            made)
    forums.finalise_forum(made)
    db.session.commit()
    return made


@pytest.mark.parametrize("method, path", [
    ("get", "/villages"), ("post", "/villages"), ("get", "/categories"),
    ("post", "/categories"), ("get", "/setup"), ("get", "/sync/"), ("post", "/sync/run"),
    ("post", "/sync/enroll"), ("post", "/sync/retry"), ("post", "/villages/import"),
])
def test_phone_cannot_administer_villages_categories_or_sync(phone, villages, method, path):
    response = getattr(phone, method)(path, environ_base=PHONE)
    assert response.status_code == 403
    assert "chỉ làm được trên máy tính" in response.get_data(as_text=True)


def test_phone_api_refuses_laptop_only_writes_with_a_json_error(phone, villages):
    response = phone.post("/api/v1/villages", json={"name": "Bản Mới"}, environ_base=PHONE)
    assert response.status_code == 403
    assert response.get_json()["code"] == "laptop_only"
    assert "máy tính" in response.get_json()["message"]


def test_phone_cannot_amend_or_finalise_minutes(phone, forum, finalised):
    from sqlalchemy import select

    from field_app.extensions import db
    from field_app.opinions.models import Opinion

    said = db.session.execute(select(Opinion).where(Opinion.forum_id == finalised.id)).scalar_one()
    for path in (f"/forums/{finalised.id}/edit", f"/opinions/{said.id}/edit"):
        assert phone.get(path, environ_base=PHONE).status_code == 403
    assert phone.post(f"/forums/{finalised.id}/edit", data={"reason": "x", "author": "y"},
                      environ_base=PHONE).status_code == 403
    assert phone.post(f"/forums/{forum.id}/finalise", environ_base=PHONE).status_code == 403
    assert phone.patch(f"/api/v1/opinions/{said.id}", json={"content": "khác"},
                       environ_base=PHONE).status_code == 403
    # The same pages on the laptop.
    laptop = phone.application.test_client()
    assert laptop.get(f"/forums/{finalised.id}/edit", environ_base=LAPTOP).status_code == 200


def test_phone_records_forums_opinions_and_attachments(phone, villages, forum, finalised):
    from io import BytesIO

    from PIL import Image

    made = phone.post("/forums/new", environ_base=PHONE, data={
        "kind": "listening", "village_id": str(villages[0].id),
        "started_at": "2026-11-29T08:00", "venue": "Nhà văn hóa"})
    assert made.status_code == 302, made.text
    assert phone.get(f"/forums/{forum.id}/edit", environ_base=PHONE).status_code == 200
    added = phone.post(f"/forums/{forum.id}/opinions", environ_base=PHONE,
                       data={"op-channel": "forum", "op-kind": "petition",
                             "op-category_code": "construction", "op-level": "commune",
                             "op-content": "Xin sửa cầu treo"})
    assert added.status_code == 302, added.text
    api = phone.post("/api/v1/opinions", environ_base=PHONE, json={
        "content": "Ý kiến từ điện thoại", "forum_id": str(forum.id),
        "category_code": "water"})
    assert api.status_code == 201, api.text
    photo = BytesIO()
    Image.new("RGB", (8, 8), "white").save(photo, "JPEG")
    photo.seek(0)
    # The photo of the signed minutes comes after finalising.
    uploaded = phone.post(f"/forums/{finalised.id}/attachments", environ_base=PHONE,
                          data={"file": (photo, "bien-ban.jpg")},
                          content_type="multipart/form-data")
    assert uploaded.status_code in (200, 201, 302), uploaded.text
    assert phone.get("/opinions", environ_base=PHONE).status_code == 200


def test_phone_pages_hide_the_links_it_cannot_use(phone, lan_app, forum, finalised):
    page = phone.get("/", environ_base=PHONE).text
    assert 'href="/villages"' not in page and 'href="/sync/"' not in page
    assert 'href="/categories"' not in page
    assert 'href="/opinions/new"' in page
    shown = phone.get(f"/forums/{finalised.id}", environ_base=PHONE).text
    assert f"/forums/{finalised.id}/edit" not in shown
    draft = phone.get(f"/forums/{forum.id}", environ_base=PHONE).text
    assert f"/forums/{forum.id}/edit" in draft and f"/forums/{forum.id}/finalise" not in draft
    laptop = lan_app.test_client().get("/", environ_base=LAPTOP).text
    assert 'href="/villages"' in laptop and 'href="/sync/"' in laptop


def test_the_qr_code_is_drawn_before_the_commune_is_chosen(app, monkeypatch):
    """The set-up page shows the banner too: its QR image must not redirect."""
    lan.enable_lan(app, "482913")
    monkeypatch.setattr(lan, "lan_addresses", lambda: ["192.168.137.1"])
    qr = app.test_client().get("/lan/qr/0.svg", environ_base=LAPTOP)
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"


# --- The Điện thoại page: the laptop turns phone access on and off -------------------


def _csrf(client, path="/phones"):
    page = client.get(path, environ_base=LAPTOP).text
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_with_phone_access_off_a_phone_is_told_whom_to_ask(app, forum):
    """`langnghe field` listens on every interface: the gate answers phones nothing else."""
    phone = app.test_client()
    for path in ("/", f"/forums/{forum.id}", "/pin", "/phones", "/healthz"):
        page = phone.get(path, environ_base=PHONE)
        assert page.status_code == 403, path
        assert "Chưa mở cho điện thoại" in page.text and "Mở cho điện thoại" in page.text
        assert forum.venue not in page.text and "<nav" not in page.text
    api = phone.get("/api/v1/opinions", environ_base=PHONE)
    assert api.status_code == 403 and api.get_json()["code"] == "phones_off"
    assert "trưởng bản" in api.get_json()["message"]
    # Its style sheet, at the laptop's address (a Host the check refuses while off).
    sheet = phone.get("/static/css/app.css", headers={"Host": "192.168.137.1:8080"},
                      environ_base=PHONE)
    assert sheet.status_code == 200 and sheet.mimetype == "text/css"
    sheet.close()
    # Even a foreign Host: the refusal, never the laptop's pages.
    assert phone.get("/", headers={"Host": "evil.example:8080"},
                     environ_base=PHONE).status_code == 403
    assert app.test_client().get("/", environ_base=LAPTOP).status_code == 200


def test_the_laptop_turns_phone_access_on_and_off(app, forum, monkeypatch):
    monkeypatch.setattr(lan, "lan_addresses", lambda: ["192.168.137.1"])
    app.config["WTF_CSRF_ENABLED"] = True
    laptop = app.test_client()
    assert 'id="nav-phones"' in laptop.get("/", environ_base=LAPTOP).text
    page = laptop.get("/phones", environ_base=LAPTOP).text
    assert "Đang tắt" in page and "Mở cho điện thoại" in page
    turned = laptop.post("/phones", data={"on": "1", "csrf_token": _csrf(laptop)},
                         environ_base=LAPTOP, follow_redirects=True)
    pin = lan.guard().pin
    assert turned.status_code == 200 and pin in turned.text
    assert "http://192.168.137.1:80/" in turned.text and 'src="/lan/qr/0.svg"' in turned.text
    assert pin in laptop.get("/", environ_base=LAPTOP).text  # the banner on every page

    phone = app.test_client()
    assert phone.get("/", environ_base=PHONE).headers["Location"].startswith("/pin")
    # The test's app context shares `g` (and its CSRF token) between the two clients.
    app.config["WTF_CSRF_ENABLED"] = False
    entered = phone.post("/pin", data={"pin": pin}, environ_base=PHONE)
    app.config["WTF_CSRF_ENABLED"] = True
    assert entered.status_code == 302, entered.text
    assert phone.get(f"/forums/{forum.id}", environ_base=PHONE).status_code == 200

    # Off: the phone that typed the PIN is out too.
    laptop.post("/phones", data={"on": "0", "csrf_token": _csrf(laptop)}, environ_base=LAPTOP)
    assert lan.guard() is None and app.config["LAN"] is False
    assert phone.get(f"/forums/{forum.id}", environ_base=PHONE).status_code == 403
    assert "Đang tắt" in laptop.get("/phones", environ_base=LAPTOP).text
    # On again: a new PIN, so the old session needs it again.
    laptop.post("/phones", data={"on": "1", "csrf_token": _csrf(laptop)}, environ_base=LAPTOP)
    assert phone.get(f"/forums/{forum.id}", environ_base=PHONE).status_code == 302


def test_a_second_press_of_on_keeps_the_pin_phones_were_given(app, forum):
    app.config["WTF_CSRF_ENABLED"] = False
    laptop = app.test_client()
    laptop.post("/phones", data={"on": "1"}, environ_base=LAPTOP)
    pin = lan.guard().pin
    laptop.post("/phones", data={"on": "1"}, environ_base=LAPTOP)
    assert lan.guard().pin == pin


def test_a_phone_can_never_turn_phone_access_on(app, forum):
    app.config["WTF_CSRF_ENABLED"] = False  # not even without the form token
    phone = app.test_client()
    for data in ({"on": "1"}, {}):
        assert phone.post("/phones", data=data, environ_base=PHONE).status_code == 403
    assert lan.guard() is None
    # On, and the phone holding the PIN: still neither the switch nor the page.
    lan.enable_lan(app, "482913")
    phone.post("/pin", data={"pin": "482913"}, environ_base=PHONE)
    for method, data in (("get", None), ("post", {"on": "0"}), ("post", {"on": "1"})):
        answer = getattr(phone, method)("/phones", data=data, environ_base=PHONE)
        assert answer.status_code == 403 and "482913" not in answer.text
    assert lan.guard().pin == "482913"
    assert 'id="nav-phones"' not in phone.get("/", environ_base=PHONE).text


def test_the_switch_view_itself_refuses_a_phone(app, forum):
    """Even with the gates gone (a later change), the view checks the address itself."""
    app.config["WTF_CSRF_ENABLED"] = False
    checks = app.before_request_funcs[None]
    checks.remove(lan.phones_off_refusal)
    checks.remove(lan.require_pin)
    answer = app.test_client().post("/phones", data={"on": "1"}, environ_base=PHONE)
    assert answer.status_code == 403 and lan.guard() is None


def test_a_cross_site_form_cannot_turn_phone_access_on(app, forum):
    app.config["WTF_CSRF_ENABLED"] = True
    answer = app.test_client().post("/phones", data={"on": "1"}, environ_base=LAPTOP,
                                    headers={"Origin": "http://evil.example"})
    assert answer.status_code == 400 and lan.guard() is None


def test_the_office_has_no_phone_switch(tmp_path):
    from .office_support import account, login, office_app

    with office_app(tmp_path / "office") as office:
        account(office, "admin", role="admin")
        client = login(office, "admin")
        # Sent to the office's dashboard, as every laptop page; the view refuses too.
        assert client.get("/phones").status_code == 302
        assert client.post("/phones", data={"on": "1"}).status_code == 302
        assert "langnghe_pin" not in office.extensions
