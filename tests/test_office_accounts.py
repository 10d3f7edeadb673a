"""Account administration at the office (pages and logic) and its two commands."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from field_app import create_app
from field_app.central.accounts import logic
from field_app.central.accounts.models import Account
from field_app.central.catalogue.logic import add_unit
from field_app.central.catalogue.models import Unit
from field_app.cli import main, upgrade_database
from field_app.extensions import db

MUONG_LA, TO_HIEU = 3808, 3646
PASSWORD = "mat-khau-xa-2026"


def make_app(data_dir, csrf: bool = False):
    return create_app({"ROLE": "central", "DATA_DIR": data_dir, "TESTING": True,
                       "WTF_CSRF_ENABLED": csrf})


@pytest.fixture
def office(tmp_path):
    """A central on SQLite: the admin of Mường La and an officer; no server-wide admin."""
    app = make_app(tmp_path / "office")
    upgrade_database(app)
    with app.app_context():
        logic.create_account("quantri", PASSWORD, "admin", MUONG_LA)
        logic.create_account("canbo", PASSWORD, "officer", MUONG_LA)
        add_unit(MUONG_LA, "Địa chính xã")
        add_unit(TO_HIEU, "Địa chính phường")
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def logged_in(app, username: str, password: str = PASSWORD):
    client = app.test_client()
    answer = client.post("/central/login", data={"username": username, "password": password})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return client


def account(app, username: str) -> Account | None:
    with app.app_context():
        found = db.session.execute(select(Account).where(Account.username == username)).scalar()
        if found is not None:
            db.session.expunge(found)
        return found


def unit_id(app, name: str) -> int:
    with app.app_context():
        return db.session.execute(select(Unit.id).where(Unit.name == name)).scalar_one()


def test_an_admin_creates_a_handler_of_its_commune_by_name(office):
    client = logged_in(office, "quantri")
    page = client.get("/central/accounts").get_data(as_text=True)
    assert "canbo" in page and "Địa chính xã" in page and "Địa chính phường" not in page
    made = client.post("/central/accounts", data={
        "username": "diachinh", "password": PASSWORD, "role": "handler",
        "commune": "muong la", "unit_id": unit_id(office, "Địa chính xã")})
    assert made.status_code == 302
    handler = account(office, "diachinh")
    assert (handler.role, handler.commune_code, handler.unit_id) == (
        "handler", MUONG_LA, unit_id(office, "Địa chính xã"))
    assert "Đã tạo tài khoản diachinh" in client.get(made.headers["Location"]).get_data(
        as_text=True)


@pytest.mark.parametrize(("form", "field", "message", "status"), [
    ({"username": "", "password": PASSWORD, "role": "officer"}, "username",
     "Hãy nhập tên đăng nhập.", 422),
    ({"username": "canbo", "password": PASSWORD, "role": "officer"}, "username",
     "Tên đăng nhập này đã có.", 422),
    ({"username": "moi", "password": "ngan", "role": "officer"}, "password",
     "Mật khẩu phải có ít nhất 8 ký tự.", 422),
    ({"username": "moi", "password": PASSWORD, "role": "truong_ban"}, "role",
     "Vai trò không hợp lệ.", 422),
    ({"username": "moi", "password": PASSWORD, "role": "handler"}, "unit_id",
     "Cán bộ đơn vị xử lý phải thuộc một đơn vị", 422),
    ({"username": "moi", "password": PASSWORD, "role": "handler", "unit_id": "other"},
     "unit_id", "Đơn vị này không thuộc xã của tài khoản.", 422),
    ({"username": "moi", "password": PASSWORD, "role": "officer", "commune": "khong co xa"},
     "commune", "Không tìm thấy xã", 422),
    ({"username": "moi", "password": PASSWORD, "role": "officer", "commune": str(TO_HIEU)},
     "commune", "Bạn chỉ quản lý tài khoản của xã mình.", 403),
    ({"username": "moi", "password": PASSWORD, "role": "officer", "commune": ""},
     "commune", "không tạo được tài khoản cho mọi xã", 403),
])
def test_a_wrong_account_form_says_why_next_to_the_field(office, form, field, message,
                                                          status):
    client = logged_in(office, "quantri")
    data = {"commune": str(MUONG_LA), **form}
    if data.get("unit_id") == "other":
        data["unit_id"] = unit_id(office, "Địa chính phường")
    answer = client.post("/central/accounts", data=data)
    page = answer.get_data(as_text=True)
    assert answer.status_code == status
    error = re.search(rf'<p class="error" id="{field}-error"[^>]*>([^<]*)</p>', page)
    assert error and message in error.group(1), page[-3000:]
    assert "Chưa tạo được tài khoản" in page
    assert PASSWORD not in page  # the password is never sent back
    if form["username"] == "moi":
        assert account(office, "moi") is None


def test_a_server_wide_admin_creates_accounts_anywhere_and_for_every_commune(office):
    with office.app_context():
        logic.create_account("tinh", PASSWORD, "admin")
        db.session.commit()
    client = logged_in(office, "tinh")
    for name, commune in (("phuong", str(TO_HIEU)), ("toantinh", "")):
        assert client.post("/central/accounts", data={
            "username": name, "password": PASSWORD, "role": "viewer",
            "commune": commune}).status_code == 302
    assert account(office, "phuong").commune_code == TO_HIEU
    assert account(office, "toantinh").commune_code is None
    # The commune's admin sees neither the province's accounts nor another commune's.
    page = logged_in(office, "quantri").get("/central/accounts").get_data(as_text=True)
    assert "canbo" in page and "phuong" not in page and "toantinh" not in page


def test_the_last_admin_cannot_demote_or_disable_itself(office):
    client = logged_in(office, "quantri")
    me = account(office, "quantri").id
    demoted = client.post(f"/central/accounts/{me}", data={"role": "officer",
                                                           "commune": str(MUONG_LA)})
    assert demoted.status_code == 422
    assert "quản trị viên cuối cùng" in demoted.get_data(as_text=True)
    disabled = client.post(f"/central/accounts/{me}/disable")
    assert disabled.status_code == 422
    assert (account(office, "quantri").role, account(office, "quantri").is_active) == (
        "admin", True)
    # With a second admin, stepping down works, and the page goes where an officer may go.
    with office.app_context():
        logic.create_account("quantri2", PASSWORD, "admin", MUONG_LA)
        db.session.commit()
    stepped = client.post(f"/central/accounts/{me}", data={"role": "officer",
                                                           "commune": str(MUONG_LA)})
    assert stepped.status_code == 302 and stepped.headers["Location"].endswith("/central/inbox")
    assert account(office, "quantri").role == "officer"
    assert client.get("/central/inbox").status_code == 200  # still logged in, as an officer
    assert client.get("/central/accounts").status_code == 403


def test_disabling_stops_sessions_and_tokens_at_once_and_enabling_needs_a_new_login(office):
    admin = logged_in(office, "quantri")
    officer = logged_in(office, "canbo")
    target = account(office, "canbo").id
    made = admin.post(f"/central/accounts/{target}/tokens", data={"label": "tỉnh"})
    token = re.search(r"ln_[A-Za-z0-9_-]+", made.get_data(as_text=True)).group(0)
    api = office.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/central/api/v1/opinions", headers=bearer).status_code == 200
    assert officer.get("/central/inbox").status_code == 200

    assert admin.post(f"/central/accounts/{target}/disable").status_code == 302
    assert officer.get("/central/inbox").status_code == 302  # to the login page
    assert api.get("/central/api/v1/opinions", headers=bearer).status_code == 401
    login = office.test_client().post("/central/login", data={"username": "canbo",
                                                              "password": PASSWORD})
    assert login.status_code == 401 and "đã bị khoá" in login.get_data(as_text=True)

    assert admin.post(f"/central/accounts/{target}/enable").status_code == 302
    assert api.get("/central/api/v1/opinions", headers=bearer).status_code == 200
    assert officer.get("/central/inbox").status_code == 302  # the old cookie stays dead
    assert logged_in(office, "canbo").get("/central/inbox").status_code == 200


def test_a_token_is_shown_once_and_revoking_it_stops_it(office):
    admin = logged_in(office, "quantri")
    target = account(office, "canbo").id
    made = admin.post(f"/central/accounts/{target}/tokens", data={"label": "tỉnh"})
    token = re.search(r"ln_[A-Za-z0-9_-]+", made.get_data(as_text=True)).group(0)
    page = admin.get(f"/central/accounts/{target}").get_data(as_text=True)
    assert token not in page and "tỉnh" in page
    with office.app_context():
        assert logic.account_for_token(token).username == "canbo"
        token_id = logic.tokens_of(db.session.get(Account, target))[0].id
    assert admin.post(f"/central/accounts/{target}/tokens/{token_id}/revoke").status_code == 302
    answer = office.test_client().get("/central/api/v1/opinions",
                                      headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401


def test_a_password_reset_ends_the_accounts_sessions(office):
    admin = logged_in(office, "quantri")
    officer = logged_in(office, "canbo")
    target = account(office, "canbo").id
    short = admin.post(f"/central/accounts/{target}/password", data={"password": "ngan"})
    assert short.status_code == 422
    assert 'id="password-error"' in short.get_data(as_text=True)
    assert officer.get("/central/inbox").status_code == 200
    done = admin.post(f"/central/accounts/{target}/password",
                      data={"password": "mat-khau-moi-2027"})
    assert done.status_code == 302
    assert officer.get("/central/inbox").status_code == 302
    assert logged_in(office, "canbo", "mat-khau-moi-2027").get("/central/inbox").status_code \
        == 200
    # Resetting one's own password keeps this browser logged in (under the new version).
    me = account(office, "quantri").id
    admin.post(f"/central/accounts/{me}/password", data={"password": "mat-khau-moi-2028"})
    assert admin.get("/central/accounts").status_code == 200


def test_changing_a_role_applies_to_open_sessions_at_once(office):
    admin = logged_in(office, "quantri")
    officer = logged_in(office, "canbo")
    assert officer.get("/central/bundle").status_code == 200
    target = account(office, "canbo").id
    admin.post(f"/central/accounts/{target}", data={"role": "viewer", "commune": "3808"})
    assert account(office, "canbo").role == "viewer"
    assert officer.get("/central/bundle").status_code in (302, 403)


def test_the_accounts_link_is_shown_only_to_who_may_manage_accounts(office):
    admin_page = logged_in(office, "quantri").get("/central/inbox").get_data(as_text=True)
    officer_page = logged_in(office, "canbo").get("/central/inbox").get_data(as_text=True)
    assert 'id="nav-accounts"' in admin_page
    assert 'id="nav-accounts"' not in officer_page


def test_account_forms_need_the_csrf_token(tmp_path):
    app = make_app(tmp_path / "office", csrf=True)
    upgrade_database(app)
    with app.app_context():
        logic.create_account("quantri", PASSWORD, "admin", MUONG_LA)
        db.session.commit()
    client = app.test_client()
    login_page = client.get("/central/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    client.post("/central/login", data={"username": "quantri", "password": PASSWORD,
                                        "csrf_token": token})
    form = {"username": "moi", "password": PASSWORD, "role": "officer", "commune": "3808"}
    assert client.post("/central/accounts", data=form).status_code == 400
    assert account(app, "moi") is None
    page = client.get("/central/accounts").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/central/accounts", data={**form, "csrf_token": token}).status_code \
        == 302
    assert account(app, "moi") is not None
    with app.app_context():
        db.engine.dispose()


# --- the logic alone ------------------------------------------------------------------------


def test_a_commune_admin_can_go_when_a_server_wide_admin_remains(office):
    with office.app_context():
        province = logic.create_account("tinh", PASSWORD, "admin")
        commune_admin = db.session.execute(select(Account).where(
            Account.username == "quantri")).scalar_one()
        logic.set_disabled(province, commune_admin, True)  # the province still manages it
        assert not commune_admin.is_active
        with pytest.raises(logic.ValidationFailed, match="cuối cùng"):
            logic.change_account(province, province, "viewer", "", None)
        db.session.rollback()


# --- the commands ---------------------------------------------------------------------------


def run(data_dir, *args, input=None):
    return CliRunner().invoke(main, ["central", "--data", str(data_dir), *args], input=input)


def test_create_account_makes_a_handler_with_its_unit(tmp_path):
    data = tmp_path / "central"
    done = run(data, "create-account", "diachinh", "--role", "handler", "--commune", "3808",
               "--unit", "Địa chính xã", "--password", PASSWORD)
    assert done.exit_code == 0, done.output
    assert "Đã tạo tài khoản diachinh (handler, Xã Mường La (Sơn La), Địa chính xã)" \
        in done.output
    # The same unit name is found again, not added twice; the password is asked for.
    again = run(data, "create-account", "diachinh2", "--role", "handler", "--commune", "3808",
                "--unit", "Địa chính xã", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert again.exit_code == 0, again.output
    app = make_app(data)
    with app.app_context():
        units = db.session.execute(select(Unit)).scalars().all()
        assert [(unit.commune_code, unit.name) for unit in units] == [(MUONG_LA,
                                                                       "Địa chính xã")]
        made = db.session.execute(select(Account).order_by(Account.id)).scalars().all()
        assert [(row.username, row.role, row.commune_code, row.unit_id) for row in made] == [
            ("diachinh", "handler", MUONG_LA, units[0].id),
            ("diachinh2", "handler", MUONG_LA, units[0].id)]
        assert made[1].check_password(PASSWORD)
        db.engine.dispose()


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "handler", "--commune", "3808"], "phải thuộc một đơn vị"),
    (["--role", "officer", "--unit", "Địa chính"], "--unit chỉ dùng cho vai trò handler"),
    (["--role", "truong_ban"], "Vai trò phải là một trong"),
    (["--role", "officer", "--commune", "khong co xa nay"], "Không tìm thấy xã"),
    (["--role", "officer", "--password", "ngan"], "ít nhất 8 ký tự"),
])
def test_create_account_refuses_in_one_line(tmp_path, args, message):
    password = [] if "--password" in args else ["--password", PASSWORD]
    done = run(tmp_path / "central", "create-account", "moi", *args, *password)
    assert done.exit_code == 1
    assert done.output.startswith("Lỗi: ") and message in done.output
    assert "Traceback" not in done.output


def test_create_token_prints_a_working_token(tmp_path):
    data = tmp_path / "central"
    assert run(data, "create-account", "tinh", "--role", "viewer", "--password",
               PASSWORD).exit_code == 0
    done = run(data, "create-token", "tinh", "--label", "hệ thống của tỉnh")
    assert done.exit_code == 0, done.output
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("ln_")
    app = make_app(data)
    with app.app_context():
        assert logic.account_for_token(token).username == "tinh"
        db.engine.dispose()
    answer = app.test_client().get("/central/api/v1/opinions",
                                   headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    unknown = run(data, "create-token", "khong-co")
    assert unknown.exit_code == 1 and "Không có tài khoản khong-co" in unknown.output
