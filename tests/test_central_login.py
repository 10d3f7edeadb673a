"""The office's login: throttled guessing, no name told by timing, logout that really ends it.

In-process apps on SQLite and on the real PostgreSQL, and real `langnghe central`
processes (waitress, CSRF on) where cookies, CSRF and several processes matter.
"""

from __future__ import annotations

import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from click.testing import CliRunner

from field_app import create_app
from field_app.central.accounts.logic import create_account
from field_app.cli import main, upgrade_database
from field_app.extensions import db

from .sync_support import Central, drop_pg_database, make_pg_database

PASSWORD = "mat-khau-xa-2026"
COOKIE = "langnghe_central"


@pytest.fixture(params=["sqlite", "postgresql"])
def office_app(request, tmp_path):
    """A central app in this process (SQLite file or PostgreSQL) with the officer `canbo`."""
    database = make_pg_database() if request.param == "postgresql" else None
    config = {"ROLE": "central", "DATA_DIR": tmp_path / "office", "TESTING": True,
              "WTF_CSRF_ENABLED": False}
    if database:
        config["SQLALCHEMY_DATABASE_URI"] = database
    app = create_app(config)
    upgrade_database(app)
    with app.app_context():
        create_account("canbo", PASSWORD)
        create_account("thuky", PASSWORD, "officer")
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()
    if database:
        drop_pg_database(database)


def log_in(client, username, password, address="127.0.0.1"):
    return client.post("/central/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_wrong_passwords_then_the_right_one_is_refused_until_the_window_passes(office_app):
    office_app.config["LOGIN_FAILURE_WINDOW"] = 5
    client = office_app.test_client()
    started = time.monotonic()
    for _try in range(5):
        assert log_in(client, "canbo", "doan-bua-thoi").status_code == 401
    refused = log_in(client, "canbo", PASSWORD)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Đã nhập sai quá nhiều lần. Hãy thử lại sau" in page
    assert re.search(r"sau \d\d:\d\d \(khoảng 1 phút nữa\)", page)
    assert 1 <= int(refused.headers["Retry-After"]) <= 5
    # The name is throttled from any address; another officer at this address is not.
    assert log_in(client, "canbo", PASSWORD, "10.0.0.7").status_code == 429
    assert log_in(office_app.test_client(), "thuky", PASSWORD).status_code == 302

    time.sleep(max(0.0, started + 5.5 - time.monotonic()))
    assert log_in(client, "canbo", PASSWORD).status_code == 302
    assert client.get("/central/").status_code == 200


def test_one_address_guessing_many_names_is_throttled(office_app):
    office_app.config["LOGIN_FAILURE_WINDOW"] = 600
    client = office_app.test_client()
    for number in range(20):
        assert log_in(client, f"doan{number}", "doan-bua", "10.0.0.9").status_code == 401
    assert log_in(client, "canbo", PASSWORD, "10.0.0.9").status_code == 429
    assert log_in(client, "canbo", PASSWORD, "10.0.0.10").status_code == 302


def test_a_good_login_clears_the_names_earlier_failures(office_app):
    client = office_app.test_client()
    for _try in range(4):
        assert log_in(client, "canbo", "go-nham").status_code == 401
    assert log_in(client, "canbo", PASSWORD).status_code == 302
    for _try in range(4):
        assert log_in(client, "canbo", "go-nham").status_code == 401
    assert log_in(client, "canbo", PASSWORD).status_code == 302


def test_unknown_name_takes_as_long_as_a_known_one(office_app):
    """A behaviour check, not a benchmark: both paths check one password hash."""
    office_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 1000
    office_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 1000
    client = office_app.test_client()
    log_in(client, "khong-co-ai", "x")  # first requests warm caches on both paths
    log_in(client, "canbo", "x")
    known, unknown = [], []
    for _round in range(5):
        for username, times in (("canbo", known), ("khong-co-ai", unknown)):
            started = time.perf_counter()
            assert log_in(client, username, "sai-mat-khau").status_code == 401
            times.append(time.perf_counter() - started)
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 1 / 3 < ratio < 3, (known, unknown)


def test_logout_is_not_done_by_get(office_app):
    client = office_app.test_client()
    assert log_in(client, "canbo", PASSWORD).status_code == 302
    assert client.get("/central/logout").status_code == 405
    assert client.get("/central/").status_code == 200  # still logged in


def start_session(url: str) -> tuple[requests.Session, str]:
    """Open the login page like a browser; return the session and the form's CSRF token."""
    browser = requests.Session()
    return browser, csrf_token(browser.get(url + "/central/login").text)


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def create_admin(central: Central) -> None:
    made = CliRunner().invoke(main, ["central", "--database", central.database, "--data",
                                     str(central.data_dir), "create-admin", "canbo",
                                     "--password", PASSWORD])
    assert made.exit_code == 0, made.output


def test_saved_cookie_is_refused_after_logout(central):
    create_admin(central)
    browser, token = start_session(central.url)
    done = browser.post(central.url + "/central/login", allow_redirects=False,
                        data={"username": "canbo", "password": PASSWORD, "csrf_token": token})
    assert done.status_code == 302
    saved = browser.cookies.get(COOKIE)
    office = browser.get(central.url + "/central/")
    assert office.status_code == 200 and 'action="/central/logout"' in office.text

    # Another site's form cannot log the officer out: no CSRF token, no logout.
    forged = browser.post(central.url + "/central/logout", allow_redirects=False)
    assert forged.status_code == 400
    assert browser.get(central.url + "/central/", allow_redirects=False).status_code == 200
    assert requests.get(central.url + "/central/logout").status_code == 405

    out = browser.post(central.url + "/central/logout", allow_redirects=False,
                       data={"csrf_token": csrf_token(office.text)})
    assert out.status_code == 302
    replayed = requests.get(central.url + "/central/", cookies={COOKIE: saved},
                            allow_redirects=False)
    assert replayed.status_code == 302 and "/central/login" in replayed.headers["Location"]

    # Logging in again works: only the old sessions ended.
    browser, token = start_session(central.url)
    again = browser.post(central.url + "/central/login", allow_redirects=False,
                         data={"username": "canbo", "password": PASSWORD, "csrf_token": token})
    assert again.status_code == 302
    assert browser.get(central.url + "/central/", allow_redirects=False).status_code == 200


def test_failures_are_counted_across_central_processes(tmp_path):
    """Two `langnghe central` processes on one PostgreSQL count the same tries."""
    database = make_pg_database()
    servers = []
    try:
        for name in ("one", "two"):
            data_dir = tmp_path / name
            data_dir.mkdir()
            servers.append(Central(data_dir, database).start())
        create_admin(servers[0])
        for server, tries in zip(servers, (3, 2), strict=True):
            browser, token = start_session(server.url)
            for _try in range(tries):
                wrong = browser.post(server.url + "/central/login", data={
                    "username": "canbo", "password": "doan-bua", "csrf_token": token})
                assert wrong.status_code == 401
        browser, token = start_session(servers[0].url)
        refused = browser.post(servers[0].url + "/central/login", data={
            "username": "canbo", "password": PASSWORD, "csrf_token": token})
        assert refused.status_code == 429
        assert "Hãy thử lại sau" in refused.text

        # Twelve wrong tries at once for another name, on both processes: a try is
        # counted before its slow password check, so about five get an answer, not twelve.
        prepared = [(server, *start_session(server.url)) for server in servers * 6]

        def guess(item):
            server, browser, token = item
            return browser.post(server.url + "/central/login", data={
                "username": "thuky", "password": "doan-bua", "csrf_token": token}).status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(guess, prepared))
        assert set(answers) == {401, 429} and 5 <= answers.count(401) <= 7, answers
    finally:
        for server in servers:
            server.close()
        drop_pg_database(database)


def test_behind_a_trusted_proxy_addresses_come_from_x_forwarded_for(tmp_path):
    """One guesser behind the proxy does not lock out every officer behind it."""
    data_dir = tmp_path / "central"
    data_dir.mkdir()
    central = Central(data_dir, options=("--trusted-proxy", "127.0.0.1")).start()
    try:
        create_admin(central)

        def try_login(username, password, forwarded_for):
            browser, token = start_session(central.url)
            return browser.post(central.url + "/central/login", allow_redirects=False, headers={
                "X-Forwarded-For": forwarded_for}, data={
                "username": username, "password": password, "csrf_token": token}).status_code

        assert [try_login(f"doan{n}", "x", "203.0.113.9") for n in range(20)] == [401] * 20
        assert try_login("canbo", PASSWORD, "203.0.113.9") == 429
        assert try_login("canbo", PASSWORD, "198.51.100.4") == 302
    finally:
        central.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_office_database_from_before_keeps_its_accounts(tmp_path, backend):
    """Migration 0004 on a central already at 0003: accounts stay and can log in."""
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    database = make_pg_database() if backend == "postgresql" else None
    config = {"ROLE": "central", "DATA_DIR": tmp_path / "old", "TESTING": True,
              "WTF_CSRF_ENABLED": False}
    if database:
        config["SQLALCHEMY_DATABASE_URI"] = database
    try:
        app = create_app(config)
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory, revision="0003")
            db.session.execute(db.text(
                "INSERT INTO account (username, password_hash, role, created_at) "
                "VALUES ('canbo', :hash, 'admin', CURRENT_TIMESTAMP)"),
                {"hash": generate_password_hash(PASSWORD)})
            db.session.commit()
            db.session.remove()
        upgrade_database(app)
        with app.app_context():
            client = app.test_client()
            assert log_in(client, "canbo", PASSWORD).status_code == 302
            assert client.get("/central/").status_code == 200
            db.session.remove()
            db.engine.dispose()
    finally:
        if database:
            drop_pg_database(database)


def test_an_officer_starts_at_the_inbox_or_at_the_page_that_sent_them(office_app):
    # (Not logged in first: this test's app context would keep the user of a login.)
    client = office_app.test_client()
    asked = client.get("/central/cases?overdue=1")
    assert asked.status_code == 302 and "/central/login?next=" in asked.headers["Location"]
    back = client.post(asked.headers["Location"], data={"username": "thuky",
                                                        "password": PASSWORD})
    assert back.headers["Location"] == "/central/cases?overdue=1"
    elsewhere = office_app.test_client().post(
        "/central/login?next=//evil.example/x", data={"username": "thuky",
                                                      "password": PASSWORD})
    assert elsewhere.headers["Location"] == "/"
    landed = log_in(office_app.test_client(), "thuky", PASSWORD)
    assert landed.status_code == 302 and landed.headers["Location"] == "/central/inbox"
