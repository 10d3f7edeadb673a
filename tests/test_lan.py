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


def test_without_lan_the_app_listens_on_the_laptop_only():
    assert lan.listen_address(False) == "127.0.0.1"
    assert lan.listen_address(True) == "0.0.0.0"


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
