"""A denouncer's identity never leaves the opinion's own page (Luật Tố cáo 2018, Art. 8, 47)."""

from __future__ import annotations

import pytest

from field_app.extensions import db
from field_app.opinions import logic as opinions
from field_app.opinions.models import Opinion
from field_app.pwa.lan import enable_lan

NAME, PHONE = "Cầm Văn Tố", "0912 345 678"
PHONE_ADDRESS = {"REMOTE_ADDR": "192.168.137.23"}  # a test-client address; no packet is sent


@pytest.fixture
def denunciation(forum):
    made = opinions.create_opinion({
        "kind": "denunciation", "content": "Tố cáo trưởng thôn thu tiền sai quy định",
        "raiser_name": NAME, "raiser_phone": PHONE, "raiser_gender": "male",
        "category_code": "security"}, forum)
    opinions.create_opinion({"content": "Xin sửa đường", "raiser_name": "Lò Văn Panh",
                             "category_code": "construction"}, forum)
    db.session.commit()
    return made


@pytest.mark.parametrize(("path", "lists_others"), [
    ("/forums/{forum}", True), ("/opinions", True), ("/opinions?q=cam+van+to", False),
    ("/opinions?q=to+cao", False), ("/opinions/{opinion}", False),
    ("/opinions/{opinion}/edit", False), ("/forums/{forum}/minutes", True),
    ("/api/v1/opinions", True), ("/api/v1/opinions?q=to+cao", False),
    ("/api/v1/opinions/{opinion}", False),
])
def test_the_name_and_phone_are_on_no_page_by_default(client, denunciation, path,
                                                      lists_others):
    answer = client.get(path.format(forum=denunciation.forum_id, opinion=denunciation.id))
    assert answer.status_code == 200
    assert NAME not in answer.text and PHONE not in answer.text
    # Other speakers are still named: only the denouncer is hidden.
    assert ("Lò Văn Panh" in answer.text) == lists_others


def test_search_by_the_denouncer_s_name_finds_nothing(client, denunciation):
    found = opinions.search_opinions(opinions.OpinionFilter(q="cam van to"))
    assert found.total == 0
    assert opinions.search_opinions(opinions.OpinionFilter(q="truong thon")).total == 1


def test_the_laptop_user_reveals_it_deliberately_on_the_opinion_page(client, denunciation):
    page = client.get(f"/opinions/{denunciation.id}")
    assert "reveal-identity" in page.text
    shown = client.get(f"/opinions/{denunciation.id}?identity=1")
    assert NAME in shown.text and PHONE in shown.text
    assert "no-store" in shown.headers["Cache-Control"]  # never kept by the service worker


def test_a_phone_on_the_lan_never_sees_it(app, client, denunciation):
    enable_lan(app, "482913")
    phone = app.test_client()
    phone.post("/pin", data={"pin": "482913"}, environ_base=PHONE_ADDRESS)
    for path in (f"/opinions/{denunciation.id}?identity=1", f"/opinions/{denunciation.id}",
                 "/opinions", f"/api/v1/opinions/{denunciation.id}"):
        answer = phone.get(path, environ_base=PHONE_ADDRESS)
        assert answer.status_code == 200, path
        assert NAME not in answer.text and "reveal-identity" not in answer.text


def test_an_edit_without_the_hidden_fields_keeps_the_identity(client, denunciation):
    form = {"channel": "forum", "kind": "denunciation", "category_code": "security",
            "level": "commune", "content": "Tố cáo trưởng thôn thu tiền sai quy định (bổ sung)",
            "needs_follow_up": "y"}
    assert client.post(f"/opinions/{denunciation.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    kept = db.session.get(Opinion, denunciation.id)
    assert (kept.raiser_name, kept.raiser_phone, kept.raiser_gender) == (NAME, PHONE, "male")
    assert kept.content.endswith("(bổ sung)")
