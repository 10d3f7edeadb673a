"""Set-up: province and commune from the official list, villages by hand and CSV."""

import pytest

from field_app.areas import logic as areas
from field_app.areas.models import Village
from field_app.errors import ValidationFailed
from field_app.extensions import db


def test_official_list_has_34_provinces_and_3321_communes():
    import vietnam_provinces as vp

    assert len(areas.provinces()) == 34
    assert sum(1 for _ in vp.Ward.iter_all()) == 3321


@pytest.mark.parametrize("query", ["muong la", "Mường La", "MUONG LA", "mường la"])
def test_commune_search_ignores_diacritics_and_ranks_whole_name_first(app, query):
    results = areas.search_communes(query)
    assert results[0].name == "Xã Mường La"
    assert int(results[0].province_code) == 14  # Sơn La


def test_commune_search_within_a_province(app):
    names = [w.name for w in areas.search_communes("la", province_code=14)]
    assert "Xã Mường La" in names
    assert all(int(w.province_code) == 14 for w in areas.search_communes("la", 14))


def test_setup_page_finds_and_chooses_the_commune(client):
    assert client.get("/").headers["Location"].endswith("/setup")
    page = client.get("/setup", query_string={"q": "muong la"})
    assert "Xã Mường La" in page.text
    response = client.post("/setup", data={"commune": "3808"})
    assert response.status_code == 302
    assert areas.current_commune().name == "Xã Mường La"
    assert areas.current_commune().province_name == "Sơn La"
    assert client.get("/").status_code == 200


def test_unknown_commune_code_is_refused(client):
    client.post("/setup", data={"commune": "999999"}, follow_redirects=True)
    assert areas.current_commune() is None


def test_village_added_by_hand_and_duplicate_refused(commune, client):
    response = client.post("/villages", data={"v-name": "Bản Nà Lò", "v-kind": "ban",
                                              "v-households": "120"})
    assert response.status_code == 302
    again = client.post("/villages", data={"v-name": "ban na lo", "v-kind": "ban"})
    assert "Đã có Bản Nà Lò" in again.text
    assert db.session.query(Village).count() == 1


def test_negative_households_get_a_message_next_to_the_field(commune, client):
    page = client.post("/villages", data={"v-name": "Bản Đán", "v-kind": "ban",
                                          "v-households": "-3"})
    assert "Số hộ phải từ 0" in page.text
    assert db.session.query(Village).count() == 0


def test_csv_import_with_header_semicolons_and_bom(commune):
    # Excel in Vietnamese groups thousands with a dot ("1.200"), in English with a comma.
    data = ("\ufeffTên bản;Số hộ;Loại\nBản Nà Lò;120;bản\nTiểu khu 1;\"1.200\";tiểu khu\n"
            "Bản Đán;85;\nBản Hốc;\"1,050\";\n")
    result = areas.import_villages_csv(commune, data.encode("utf-8"))
    db.session.commit()
    assert sorted(result.added) == ["Bản Hốc", "Bản Nà Lò", "Bản Đán", "Tiểu khu 1"]
    kinds = {v.name: (v.kind, v.households) for v in areas.villages(commune)}
    assert kinds == {"Bản Nà Lò": ("ban", 120), "Tiểu khu 1": ("tieu_khu", 1200),
                     "Bản Đán": ("ban", 85), "Bản Hốc": ("ban", 1050)}


def test_csv_import_skips_villages_already_listed(villages, commune):
    result = areas.import_villages_csv(commune, b"Ban Na Lo,120\nBan Hua Trai,40\n")
    db.session.commit()
    assert result.added == ["Ban Hua Trai"]
    assert result.skipped == ["Ban Na Lo"]
    assert len(areas.villages(commune)) == 4


def test_csv_with_one_bad_row_imports_nothing(commune):
    with pytest.raises(ValidationFailed) as caught:
        areas.import_villages_csv(commune, "Bản A,10\nBản B,mười\nBản C,5\n".encode())
    assert "Dòng 2" in " ".join(caught.value.details.values())
    db.session.rollback()
    assert areas.villages(commune) == []


def test_csv_not_utf8_gets_a_clear_error(commune, client):
    from io import BytesIO

    response = client.post("/villages/import", data={
        "csv-file": (BytesIO("Bản Nà Lò,120".encode("cp1258", errors="replace")), "x.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "UTF-8" in response.text
