"""The app factory: roles, JSON or HTML errors by path, language choice."""

import pytest

from field_app import create_app


@pytest.mark.parametrize("role", ["field", "central"])
def test_factory_builds_both_roles(tmp_path, role):
    app = create_app({"DATA_DIR": tmp_path, "ROLE": role})
    assert app.config["ROLE"] == role
    assert app.test_client().get("/healthz").get_json() == {"status": "ok", "role": role}


def test_factory_refuses_an_unknown_role(tmp_path):
    with pytest.raises(ValueError, match="ROLE"):
        create_app({"DATA_DIR": tmp_path, "ROLE": "server"})


def test_unknown_api_url_answers_the_json_error_shape(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    body = response.get_json()
    assert set(body) == {"status", "code", "message", "details"}
    assert body["code"] == "not_found"


def test_unknown_page_answers_an_html_page_in_vietnamese(client, commune):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Không tìm thấy" in response.text


def test_language_switch_never_redirects_off_the_laptop(client, commune):
    response = client.get("/language/en", headers={"Referer": "http://evil.example/x"})
    assert response.headers["Location"] == "/"
    assert "lang=en" in response.headers["Set-Cookie"]


def test_secret_key_survives_a_restart(tmp_path):
    first = create_app({"DATA_DIR": tmp_path}).config["SECRET_KEY"]
    assert create_app({"DATA_DIR": tmp_path}).config["SECRET_KEY"] == first
