"""Likely duplicates: quality on a Vietnamese test set, the API, the pages, the scope.

Opinions come in through the real ingest (office_support.Laptop → sync.store.ingest_batch),
which finds their likely duplicates in its transaction; the central is a real SQLite
file or a real PostgreSQL database.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from field_app.central.accounts import logic as accounts
from field_app.central.accounts.models import Account
from field_app.central.duplicates import logic, text
from field_app.central.duplicates.text import compare, phrases, telling_words, terms_of
from field_app.central.inbox.models import OfficeOpinion
from field_app.extensions import db

from .office_support import CHIENG_LAO, MUONG_LA, Laptop, account, login, office_app

DATA = Path(__file__).parent / "data"
LANDSLIDE = "Đường vào bản Nà Lò bị sạt lở đoạn gần suối, xe máy không đi qua được."
LANDSLIDE_PLAIN = "duong vao ban na lo bi sat lo doan gan suoi, xe may khong qua duoc"
LIGHTS = "Đường vào bản chưa có đèn chiếu sáng, buổi tối đi lại khó khăn."
DENOUNCER = "Quàng Văn Thưởng"


@pytest.fixture(params=["sqlite", "postgresql"])
def office(request, tmp_path):
    with office_app(tmp_path / "central", request.param) as app:
        yield app


def token(app, username: str, role: str = "officer", commune_code: int | None = MUONG_LA):
    account(app, username, role, commune_code)
    with app.app_context():
        made = accounts.create_token(db.session.query(Account).filter_by(
            username=username).one(), "kiểm thử")
        db.session.commit()
        return {"Authorization": f"Bearer {made}"}


def similar(app, record_id, headers):
    answer = app.test_client().get(f"/central/api/v1/opinions/{record_id}/similar",
                                   headers=headers)
    return answer


def test_words_fold_and_boilerplate_drops():
    with_marks, plain = terms_of(LANDSLIDE).terms, terms_of(LANDSLIDE_PLAIN).terms
    assert "sat lo" in with_marks and "sat lo" in plain
    assert with_marks & plain >= {"duong", "na lo", "sat lo", "suoi"}
    assert not {"bi", "vao", "de nghi"} & terms_of("Đề nghị đường vào bản bị hỏng").terms


def test_village_synonyms_clauses_and_numbers():
    path = terms_of("Lối đi lên bản Hua Trai bị sụt lún, lưới điện chưa có").terms
    assert {"duong", "sat lo", "hua trai", "dien"} <= path
    assert not {"loi", "sut", "lun", "luoi"} & path
    road = terms_of("Đường lên bản Hua Trai bị sạt lở")
    match = compare(road.terms, path, True, {}, 10)
    assert telling_words(match, road) == ["đường hua trai sạt lở"]
    assert telling_words(match, terms_of("Lối đi lên bản Hua Trai bị sụt lún")) == [
        "lối đi hua trai sụt lún"]
    # "Nà Lò, đất đá": no pair across the comma, so no "lở đất" either.
    across = terms_of("Sạt lở đường Nà Lò, đất đá tràn xuống năm 2026").terms
    assert "na lo" in across and "lo dat" not in across and "dat da" in across
    assert not {"2026", "nam 2026"} & across


def test_reasons_quote_only_words_the_other_opinion_wrote():
    """"mùa" (season) and "mưa" (rain) fold alike: neither is quoted for the other."""
    season = terms_of("Mùa mưa đường vào bản bị ngập")
    rain = terms_of("Đường vào bản ngập khi mưa")
    match = compare(season.terms, rain.terms, True, {}, 1)
    assert telling_words(match, season, theirs=rain) == ["mưa đường ngập"]
    # Typed without marks, a word may be any of its spellings: still quoted.
    plain = terms_of("mua lon lam sat duong")
    marked = terms_of("Mưa lớn làm sạt đường")
    match = compare(marked.terms, plain.terms, True, {}, 1)
    assert telling_words(match, marked, theirs=plain) == ["mưa lớn sạt đường"]


def test_sharing_one_phrase_weighs_less(monkeypatch):
    """The same card named ("thẻ bảo hiểm y tế") is not yet the same problem."""
    card = terms_of("Hộ nghèo trong bản chưa được cấp thẻ bảo hiểm y tế").terms
    medicine = terms_of("Trạm y tế thiếu thuốc, người có thẻ bảo hiểm y tế vẫn phải mua "
                        "thuốc").terms
    same = terms_of("Thẻ bảo hiểm y tế của các hộ nghèo chưa được cấp").terms
    assert phrases(card & medicine) == 1 and phrases(card & same) == 2
    assert phrases({"sat lo", "sat", "lo", "suoi"}) == 2
    lowered = compare(card, medicine, True, {}, 100).score
    monkeypatch.setattr(text, "ONE_PHRASE", 1.0)
    assert lowered < compare(card, medicine, True, {}, 100).score
    assert compare(card, same, True, {}, 100).score > 2 * lowered


@pytest.mark.parametrize(("said", "fault"), [
    ("Đường lên bản Hua Trai bị sụt lún", "!satlo"),
    ("duong len ban hua trai bi sat lo", "!satlo"),
    ("Đường lên bản Hua Trai bị sạt lỡ", "!satlo"),  # ngã for hỏi, as the north types
    ("Cầu treo bị hư, ván mục nát", "!hong"),
    ("cau treo bi hong van", "!hong"),
    ("Điện chập chờn, lúc có lúc mất", "!mat"),
    # A fault's whole family of words, not only the most common one.
    ("Trạm biến áp quá tải, điện áp thấp, tối đến là sụt áp", "!mat"),
    ("Cả bản mất liên lạc, ốm đau không gọi được cấp cứu", "!mat"),
    ("Trạm y tế xã hay hết thuốc", "!thieu"),
    ("Rừng đầu nguồn bị chặt phá, đêm nào cũng nghe cưa máy", "!pharung"),
    ("co nguoi vao khai thac go lau trong rung", "!pharung"),
    ("Bờ suối bị nước xói lở, sát chân nhà", "!satlo"),
    ("Cầu treo lung lay, cáp bị đứt", "!hong"),
    ("Trâu của mấy nhà bị kẻ trộm dắt mất", "!trom"),
    ("Thanh niên tụ tập đánh bạc, lô đề", "!cobac"),
    ("Giống ngô xã cấp không nảy mầm", "!kemchatluong"),
])
def test_faults_are_named_whatever_the_words(said, fault):
    assert fault in terms_of(said).terms


def test_words_that_fold_like_a_fault_name_none():
    """Typed with marks, a word is only what it is: "chờ" is not "cho", "chăm" not "chậm"."""
    assert not {t for t in terms_of("Đề nghị cho các cháu được chăm sóc, mục đích sử "
                                    "dụng đất, dịch vụ, người dân tộc thiểu số").terms
                if t.startswith("!")}


def test_same_thing_with_another_fault_stays_apart():
    """One road, two problems: the landslide is not the missing lamps."""
    counts = {"": 100}
    slide = terms_of("Đường vào bản Co Mạ bị sạt lở, đất đá lấp mặt đường").terms
    slumped = terms_of("duong vao ban co ma bi sut lun mot doan").terms
    lamps = terms_of("Đường vào bản Co Mạ chưa có đèn chiếu sáng").terms
    elsewhere = terms_of("Đường vào bản Pá Sóng bị sạt lở").terms
    same = compare(slide, slumped, True, counts, 100)
    assert "!satlo" in same.shared and same.score >= text.THRESHOLD
    assert compare(slide, lamps, True, counts, 100).score < same.score / 2
    assert compare(slide, elsewhere, True, counts, 100).score < same.score


def test_a_long_letter_is_weighed_on_what_it_shares_and_its_key_terms(monkeypatch):
    """The same landslide told among the village's whole year keeps its score up."""
    short = terms_of("Đường vào bản Nà Lò bị sạt lở đoạn gần suối, xe máy không đi được.").terms
    letter = terms_of(
        "Kính gửi Ủy ban nhân dân xã. Chúng tôi là các hộ bản Nà Lò, năm nay mùa màng thất "
        "bát, giá ngô xuống thấp, con cháu đi làm ăn xa, ở nhà chỉ còn người già và trẻ nhỏ. "
        "Từ tháng bảy mưa to kéo dài, đường vào bản Nà Lò bị sạt lở đoạn gần suối, xe máy "
        "không đi được, ngô thu hoạch xong không chở ra chợ bán được, thương lái không vào, "
        "các cháu đi học phải lội bộ qua đồi. Kính mong lãnh đạo xã cho máy xúc vào dọn, "
        "sau này đổ bê tông cho bền.").terms
    kept = compare(short, letter, True, {}, 100).score
    monkeypatch.setattr(text, "KEY_TERMS", 1000)
    assert kept > compare(short, letter, True, {}, 100).score + 0.05


@pytest.mark.parametrize(("said", "kept", "dropped"), [
    ("Buổi tối các cụ đi lại khó, dây điện võng thấp", {"toi", "cu", "day"}, set()),
    ("Tôi cứ đi đây đi đó", set(), {"toi", "cu", "day"}),
    ("toi cu di day di do", set(), {"toi", "cu", "day"}),  # no marks: judged by folding
    ("Đường lên Co Mạ bị sạt lở", {"co ma", "@coma"}, set()),
])
def test_a_word_typed_with_marks_is_what_its_marks_say(said, kept, dropped):
    terms = terms_of(said).terms
    assert kept <= terms and not dropped & terms


@pytest.mark.parametrize(("other", "shares_ho"), [
    ("Xin hỗ trợ xi măng làm nhà", False),  # spelt otherwise: another word
    ("xin ho tro xi mang lam nha", True),  # typed without marks: may be either
    ("Danh sách hộ nghèo sai", True),
    ("Danh sách hô nghèo sai", True),  # its tone forgotten: the same word
])
def test_words_spelt_apart_are_not_shared(other, shares_ho):
    mine = terms_of("Bình xét hộ nghèo không công bằng").terms
    match = compare(mine, terms_of(other).terms, True, {}, 100)
    assert ("ho" in match.shared) is shares_ho


@pytest.mark.parametrize(("said", "places"), [
    ("Đường lên Co Mạ bị sạt lở", {"@coma"}),
    ("Mười hộ ở Phiêng Lanh chưa có điện, đề nghị Phòng Kinh tế xem xét", {"@phienglanh"}),
    ("Nhà ông Lò Văn Pấng bị nứt tường", set()),
    ("Huổi Mòng mất điện", set()),  # a sentence's first words: not told from a capital
    ("Ruộng của bà con Nà Sành không có nước cấy", {"@nasanh"}),  # villagers, not a person
    # Typed without capitals, what follows "bản" is a place only if it names nothing else.
    ("duong vao ban na lo bi sat lo", {"@nalo"}),
    ("Đàn lợn trong bản sốt cao, bỏ ăn rồi chết", set()),
    ("Điện ở bản thường xuyên mất", set()),
])
def test_places_are_named_without_a_place_word_before_them(said, places):
    assert {term for term in terms_of(said).terms if term.startswith("@")} == places


def test_a_place_names_no_fault_nor_thing():
    """"Huổi Sai" is a stream, not "sai" (wrong); "Pá Sóng" a village, not a phone signal."""
    assert "!sai" not in terms_of("Cầu treo bản Huổi Sai bị hỏng ván").terms
    assert "#song" not in terms_of("Điểm trường Pá Sóng chưa có nhà vệ sinh").terms
    assert "#song" in terms_of("Bản Pá Sóng chưa có sóng điện thoại").terms


def test_a_place_typed_in_lower_case_is_known_by_the_communes_capitals():
    """"pa ma", typed without capitals after no "bản", is Pá Ma where the commune's
    opinions name it so: the same place as one, another than Nà Lò."""
    counts = {"": 100, "@pama": 3, "@nalo": 3}
    plain = terms_of("dien o pa ma yeu qua, toi den quat khong quay").terms
    assert not {term for term in plain if term.startswith("@")}
    here = terms_of("Điện bản Pá Ma rất yếu, buổi tối quạt không quay được").terms
    there = terms_of("Điện bản Nà Lò rất yếu, buổi tối quạt không quay được").terms
    same = compare(plain, here, True, counts, 100).score
    assert same >= text.THRESHOLD
    assert compare(plain, there, True, counts, 100).score < same * 0.75
    # Unknown to the commune and to the other opinion: not a place at all.
    assert compare(plain, there, True, {"": 100}, 100).score > same * 0.75


@pytest.mark.parametrize(("first", "same", "other"), [
    # One school, two wants.
    ("Điểm trường bản Nậm Ét thiếu giáo viên, các cháu phải học ghép",
     "diem truong nam et can them co giao, 1 co day 2 lop",
     "Điểm trường bản Nậm Ét chưa có nhà vệ sinh, các cháu phải học xong mới về nhà"),
    # The same lack, of two things.
    ("Trạm y tế xã thiếu thuốc, bà con đi khám phải ra ngoài mua",
     "tram y te het thuoc bao hiem, phai tu mua",
     "Trạm y tế xã thiếu y sĩ, bà con đi khám phải chờ cả buổi"),
    # One stream, two crossings.
    ("Cầu treo qua suối Nậm Ét bị gãy ván, đi lại nguy hiểm",
     "cau treo nam et hong van, de nghi sua",
     "Ngầm tràn qua suối Nậm Ét mùa mưa ngập sâu, đi lại nguy hiểm"),
])
def test_two_wants_or_two_things_of_one_place_stay_apart(first, same, other):
    """Sharing more words than the duplicate does, the near-miss still scores less."""
    counts = {"": 100}
    mine = terms_of(first).terms
    duplicate = compare(mine, terms_of(same).terms, True, counts, 100).score
    assert compare(mine, terms_of(other).terms, True, counts, 100).score < duplicate


def test_api_answers_only_likely_duplicates_best_first(office):
    na_lo = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    na_lo.village("Bản Nà Lò")
    na_lo.village("Bản Pá Xa")
    road = na_lo.opinion("Bản Nà Lò", LANDSLIDE)
    same = na_lo.opinion("Bản Pá Xa", LANDSLIDE_PLAIN)
    lights = na_lo.opinion("Bản Pá Xa", LIGHTS)
    other = na_lo.opinion("Bản Pá Xa", "Trường mầm non thiếu giáo viên, một cô trông 30 cháu")
    na_lo.push()
    headers = token(office, "canbo")
    answer = similar(office, road, headers)
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert [item["id"] for item in items] == [str(same)]
    assert 0 < items[0]["score"] <= 1
    reasons = " ".join(items[0]["reasons"])
    assert "sạt lở" in reasons and "Cùng lĩnh vực" in reasons and "Bản Pá Xa" in reasons
    assert "Cùng vấn đề: «sạt lở»" in reasons
    assert [item["id"] for item in similar(office, same, headers).get_json()["items"]] == [
        str(road)]
    for alone in (lights, other):
        assert similar(office, alone, headers).get_json() == {"items": []}


def test_the_page_says_how_alike_in_words_and_the_api_keeps_the_number(office):
    na_lo = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    na_lo.village("Bản Nà Lò")
    na_lo.village("Bản Pá Xa")
    road = na_lo.opinion("Bản Nà Lò", LANDSLIDE)
    na_lo.opinion("Bản Pá Xa", LANDSLIDE_PLAIN)
    na_lo.push()
    (item,) = similar(office, road, token(office, "canbo")).get_json()["items"]
    page = login(office, "canbo").get(f"/central/opinions/{road}").get_data(as_text=True)
    badge = page.split('id="similar"')[1].split('class="badge score"')[1].split("</span>")[0]
    percent = round(item["score"] * 100)
    assert f"· {percent}%" in badge and f"{item['score']:.2f}" not in badge
    assert any(words in badge for words in ("Rất giống", "Có thể trùng", "Hơi giống"))
    with office.test_request_context():
        assert [logic.likeness(score) for score in (0.89, 0.72, 0.4, 0.16)] == [
            "Rất giống · 89%", "Có thể trùng · 72%", "Có thể trùng · 40%", "Hơi giống · 16%"]


def test_similar_is_in_the_openapi_document(office):
    document = office.test_client().get("/central/api/openapi.json").get_json()
    operation = document["paths"]["/central/api/v1/opinions/{record_id}/similar"]["get"]
    assert {"200", "401", "403", "404"} <= set(operation["responses"])
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    listed = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert set(listed["properties"]) == {"items"} and operation["security"] == [{"bearer": []}]


def one_road_in_two_communes(office):
    """Two laptops of two communes push the same landslide: two opinions in Mường La
    (with and without diacritics), one in Chiềng Lao. Return the laptops and the ids."""
    muong_la, chieng_lao = (Laptop(office, MUONG_LA, "Máy Mường La"),
                            Laptop(office, CHIENG_LAO, "Máy Chiềng Lao"))
    muong_la.village("Bản Nà Lò")
    chieng_lao.village("Bản Lọng")
    road = muong_la.opinion("Bản Nà Lò", LANDSLIDE)
    near = muong_la.opinion("Bản Nà Lò", LANDSLIDE_PLAIN)
    far = chieng_lao.opinion("Bản Lọng", "Đường vào bản Nà Lò sạt lở gần suối, xe máy "
                                         "không đi qua được")
    muong_la.push()
    chieng_lao.push()
    return muong_la, chieng_lao, (road, near, far)


def test_scope_case_and_deletion_are_respected(office):
    muong_la, chieng_lao, (road, near, far) = one_road_in_two_communes(office)
    commune, province = token(office, "xa"), token(office, "tinh", "admin", None)
    assert {i["id"] for i in similar(office, road, province).get_json()["items"]} == {
        str(near), str(far)}
    assert "Ở xã khác" in " ".join(
        next(i for i in similar(office, road, province).get_json()["items"]
             if i["id"] == str(far))["reasons"])
    assert [i["id"] for i in similar(office, road, commune).get_json()["items"]] == [str(near)]
    assert similar(office, far, commune).status_code == 404
    with office.app_context():
        officer, admin = (db.session.query(Account).filter_by(username=name).one()
                          for name in ("xa", "tinh"))
        assert logic.similar_counts(officer, [road, near]) == {road: 1, near: 1}
        assert logic.similar_counts(admin, [road, far]) == {road: 2, far: 2}
    with office.app_context():
        for key in (road, near):
            db.session.get(OfficeOpinion, key).case_id = 7
        db.session.commit()
    assert similar(office, road, commune).get_json() == {"items": []}
    with office.app_context():
        assert logic.similar_counts(officer, [road, near]) == {}
    muong_la.waiting.append({"c": "opinion", "id": str(far), "seq": 99, "op": "delete",
                             "hlc": "9999999999999-0000-" + chieng_lao.node})
    chieng_lao.waiting, muong_la.waiting = muong_la.waiting, []
    chieng_lao.push()
    assert similar(office, road, province).get_json() == {"items": []}


def test_a_province_admin_is_shown_other_communes_duplicates_but_offered_no_merge(office):
    """A case belongs to one commune (cases.merge): another commune's likely duplicate is
    shown for information, with no merge button; the inbox merges within one commune."""
    muong_la, chieng_lao, (road, near, far) = one_road_in_two_communes(office)
    account(office, "tinh", "admin", None)
    client = login(office, "tinh")
    page = client.get(f"/central/opinions/{road}").get_data(as_text=True)
    offered = page.split('id="similar"')[1].split("</section>")[0]
    assert f"/merge-with/{near}" in offered and f"/merge-with/{far}" not in offered
    assert f'id="other-commune-{far}"' in offered and "chỉ để tham khảo" in offered
    refused = client.post(f"/central/opinions/{road}/merge-with/{far}",
                          follow_redirects=True).get_data(as_text=True)
    assert "mỗi vụ việc thuộc một xã" in refused
    inbox = client.get("/central/inbox").get_data(as_text=True)
    assert 'form="case-merge"' not in inbox and 'id="merge-pick-commune"' in inbox
    one = client.get(f"/central/inbox?commune={MUONG_LA}").get_data(as_text=True)
    assert 'form="case-merge"' in one and 'id="case-merge"' in one
    assert 'id="merge-pick-commune"' not in one


def test_page_and_api_reasons_never_quote_a_word_neither_wrote_so(office):
    laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    laptop.village("Bản Nà Lò")
    season = laptop.opinion("Bản Nà Lò", "Mùa mưa đường vào bản Nà Lò bị ngập, xe máy "
                                         "không đi qua được")
    rain = laptop.opinion("Bản Nà Lò", "Đường vào bản Nà Lò ngập khi trời mưa, xe máy "
                                       "không đi qua được")
    laptop.push()
    [found] = similar(office, season, token(office, "xa")).get_json()["items"]
    assert found["id"] == str(rain)
    said = " ".join(found["reasons"])
    assert "mưa" in said and "mùa" not in said, said
    account(office, "xa2")
    page = login(office, "xa2").get(f"/central/opinions/{season}").get_data(as_text=True)
    shown = page.split('id="similar"')[1].split("</section>")[0]
    assert "mưa" in shown and "mùa" not in shown.lower(), shown


def test_changed_opinion_is_paired_again(office):
    laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    laptop.village("Bản Nà Lò")
    road = laptop.opinion("Bản Nà Lò", LANDSLIDE)
    later = laptop.opinion("Bản Nà Lò", "Trạm y tế xã thiếu thuốc cho người có thẻ bảo hiểm")
    laptop.push()
    headers = token(office, "canbo")
    assert similar(office, road, headers).get_json() == {"items": []}
    laptop.opinion("Bản Nà Lò", LANDSLIDE_PLAIN, record_id=later)
    laptop.push()
    assert [i["id"] for i in similar(office, road, headers).get_json()["items"]] == [
        str(later)]
    with office.app_context():  # what the central's thread does after the push
        while logic.drain(db.session.connection()):
            db.session.commit()
        db.session.commit()
        counts = logic.counts_for(db.session.connection(), MUONG_LA, ["", "thuoc", "sat lo"])
    assert counts[""] == 2 and counts.get("thuoc", 0) == 0 and counts["sat lo"] == 2


@pytest.mark.parametrize("backend", ["sqlite"])
def test_pages_show_suggestions_and_never_a_denouncers_name(tmp_path, backend):
    with office_app(tmp_path / "central", backend) as app:
        laptop = Laptop(app, MUONG_LA, "Máy bản Nà Lò")
        laptop.village("Bản Nà Lò")
        laptop.village("Bản Pá Xa")
        said = "Tố cáo trưởng bản thu tiền làm đường của dân trái quy định, Thưởng đã nộp"
        first = laptop.opinion("Bản Nà Lò", said, kind="denunciation", raiser_name=DENOUNCER)
        second = laptop.opinion("Bản Pá Xa", "to cao truong ban thu tien lam duong cua dan "
                                             "trai quy dinh, thuong")
        laptop.opinion("Bản Pá Xa", LIGHTS)
        laptop.push()
        account(app, "canbo")
        client = login(app, "canbo")
        page = client.get("/central/inbox").get_data(as_text=True)
        assert page.count("1 ý kiến có thể trùng") == 2
        shown = client.get(f"/central/opinions/{second}").get_data(as_text=True)
        assert f"/central/opinions/{first}" in shown and "có đơn tố cáo" in shown
        answer = similar(app, second, token(app, "api")).get_data()
        assert "có đơn tố cáo".encode() in answer
        # A tố cáo's words are never quoted in the reasons: its denouncer's name cannot be
        # told apart from them (the content itself is shown as the laptop sent it).
        assert "«" not in shown.split('id="similar"')[-1].split("</section>")[0]
        assert "«".encode() not in answer and "quàng" not in shown.lower()
        assert "Thưởng".encode() not in answer and b"thuong" not in answer.lower()
        assert DENOUNCER.encode() not in answer


@pytest.mark.parametrize(("name", "floor_precision", "floor_recall"), [
    # The aim (≥ 0.9 each) where it is met; elsewhere the figure measured, less a small
    # margin. Before faults and places were weighed apart (commit 60a07d6):
    # 0.915 / 0.890, 0.814 / 0.729 and 0.764 / 0.627. Before things, wants and whom
    # were (issue 10): 0.931 / 0.918, 0.833 / 0.833, 0.722 / 0.776, 0.684 / 0.476.
    # Figures in brackets: before branch dup6 (pairs of shared syllables out of the
    # norm, words spelt apart not shared).
    ("duplicates_vi.json", 0.9, 0.9),  # measured 0.958 / 0.932 (0.971 / 0.918)
    # Written before the matching was changed; tuned on since issue 10 (its misses were
    # read to choose words and rules), as the first set was.
    ("duplicates_vi_holdout.json", 0.9, 0.9),  # measured 0.917 / 0.917
    # Written before faults and places were added; tuned on since issue 10 too.
    ("duplicates_vi_holdout2.json", 0.9, 0.9),  # measured 0.971 / 0.985 (0.957 / 0.985)
    # Written before the issue 10 changes and measured blind at 0.814 / 0.571 (0.684 /
    # 0.476 before them); tuned on since (its misses were read to choose fault families,
    # the place rules and the weights), so no longer the honest check: holdout4 is.
    ("duplicates_vi_holdout3.json", 0.88, 0.8),  # measured 0.920 / 0.821 (0.909 / 0.833)
    # Written blind (without reading the matching code) while holdout3 was tuned on,
    # measured once with this matching: 0.772 / 0.484 (0.722 / 0.429 with the matching
    # of f5e5301). A branch then tuned on its misses (broader fault words, synonyms and
    # things for each domain; unsure readings of words typed without marks) reached
    # 0.857 / 0.791 here but did worse on holdout5 below, written blind meanwhile, and
    # was not kept (0.692 / 0.573 there, against 0.776 / 0.600 for that matching).
    # Then two general changes, no word list (pairs of shared syllables out of the norm,
    # words spelt apart not shared), each kept only as it lowered neither holdout5 figure.
    ("duplicates_vi_holdout4.json", 0.77, 0.5),  # measured 0.803 / 0.538 (0.772 / 0.484)
    # Written blind on other topics (bridges, quarry trucks, herbicide, flash floods,
    # resettlement, loans, birth papers…), with 51 near-misses; never read to choose a
    # word or a rule, only run to accept or refuse a change (branch dup6: two kept, more
    # refused), so no longer quite blind.
    ("duplicates_vi_holdout5.json", 0.76, 0.61),  # measured 0.789 / 0.645 (0.776 / 0.600)
    # Written blind on yet other topics (irrigation canals, plum traders, fords, phone
    # signal, land papers, poor-household lists, boarding meals, swine fever, sand
    # dredging, hydropower flooding…), with 50 near-misses; never read to choose a word or
    # a rule. Measured 0.804 / 0.529 before dup6 and 0.802 / 0.550 after: the honest check.
    ("duplicates_vi_holdout6.json", 0.77, 0.52),  # measured 0.802 / 0.550
    # Written blind by a helper that read neither the code nor the other sets (only the
    # file format): 154 opinions, 23 villages, 31 clusters, 46 near-misses sharing a place,
    # a word or a named project with a cluster. Measured once, nothing changed after it.
    ("duplicates_vi_holdout7.json", 0.74, 0.55),  # measured 0.765 / 0.575
])
def test_top5_precision_and_recall_on_the_vietnamese_set(tmp_path, name, floor_precision,
                                                         floor_recall):
    """A test set (tests/data/duplicates_vi*.json): problems raised by several villages,
    written differently, with and without diacritics, and near-misses that must not match."""
    opinions = json.loads((DATA / name).read_text(encoding="utf-8"))["opinions"]
    assert len(opinions) >= 50
    with office_app(tmp_path / "central", "sqlite") as app:
        laptop = Laptop(app, MUONG_LA, "Máy xã")
        for village in sorted({item["village"] for item in opinions}):
            laptop.village(village)
        ids = {laptop.opinion(item["village"], item["content"], category_code=item["category"],
                              category_name=item["category"]): item for item in opinions}
        laptop.push()
        account(app, "canbo")
        kept, right, wanted = 0, 0, 0
        with app.test_request_context():
            who = db.session.query(Account).filter_by(username="canbo").one()
            for key, item in ids.items():
                top = logic.suggestions(who, db.session.get(OfficeOpinion, key), limit=5)
                cluster = item["cluster"]
                same = [other for other in opinions
                        if cluster and other is not item and other["cluster"] == cluster]
                wanted += min(5, len(same))
                kept += len(top)
                right += sum(1 for s in top if cluster and ids[s.id]["cluster"] == cluster)
    precision, recall = right / kept, right / wanted
    print(f"\n{name}: {len(opinions)} opinions, top-5 precision {precision:.3f}, "
          f"recall {recall:.3f} ({right} right of {kept} suggested, {wanted} to find)")
    # Floors guard against getting worse: the figures measured, less a small margin.
    assert precision >= floor_precision
    assert recall >= floor_recall


def test_office_reclassification_scores_the_pair_again(office):
    laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    laptop.village("Bản Nà Lò")
    road = laptop.opinion("Bản Nà Lò", LANDSLIDE)
    same = laptop.opinion("Bản Nà Lò", "duong ban na lo sat lo, cho chung toi xin may xuc",
                          category_code="electricity", category_name="Điện")
    laptop.opinion("Bản Nà Lò", LIGHTS)
    laptop.push()
    headers = token(office, "canbo")
    before = similar(office, road, headers).get_json()["items"][0]
    assert not any("Cùng lĩnh vực" in reason for reason in before["reasons"])
    account(office, "sua")
    answer = login(office, "sua").post(f"/central/opinions/{same}", data={
        "category_code": "construction", "reason": "Phân loại lại"})
    assert answer.status_code == 302
    after = similar(office, road, headers).get_json()["items"][0]
    assert after["score"] > before["score"]
    assert any("Cùng lĩnh vực" in reason for reason in after["reasons"])


def test_a_push_only_queues_its_opinions_and_the_central_pairs_them_after(office):
    """The ingest writes one queue row per opinion; the served central's thread indexes
    and pairs them in its own transactions (scoring inside the push made it minutes)."""
    import time

    from sqlalchemy import func, select

    from field_app.central.duplicates.models import SimilarPair, SimilarPending

    laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    laptop.village("Bản Nà Lò")
    first = laptop.opinion("Bản Nà Lò", LANDSLIDE)
    second = laptop.opinion("Bản Nà Lò", LANDSLIDE_PLAIN)
    laptop.push()

    def count(model) -> int:
        with office.app_context():
            return db.session.execute(select(func.count()).select_from(model)).scalar()

    assert (count(SimilarPending), count(SimilarPair)) == (2, 0)
    thread = logic.start_drainer(office, 0.05)
    try:
        for _ in range(200):  # bounded: ten seconds at most
            if count(SimilarPending) == 0 and count(SimilarPair) == 2:
                break
            time.sleep(0.05)
    finally:
        thread.stop.set()
        thread.join(5)
    assert (count(SimilarPending), count(SimilarPair)) == (0, 2)
    with office.app_context():
        held = db.session.execute(select(SimilarPair.opinion_id, SimilarPair.other_id)).all()
    assert set(held) == {(first, second), (second, first)}


def test_the_central_pairs_once_the_pushes_stop_not_while_a_laptop_syncs(office):
    """Pairing takes the processor a laptop's sync needs: the thread waits for a quiet
    second, then pairs what came."""
    import time

    from sqlalchemy import func, select

    from field_app.central.duplicates.models import SimilarPending

    laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    laptop.village("Bản Nà Lò")
    laptop.opinion("Bản Nà Lò", LANDSLIDE)
    laptop.push()

    def waiting() -> int:
        with office.app_context():
            return db.session.execute(select(func.count()).select_from(SimilarPending)
                                      ).scalar()

    thread = logic.start_drainer(office, 0.05)
    try:
        for n in range(12):  # a push every 0.2 s for over two seconds: a sync under way
            laptop.opinion("Bản Nà Lò", f"{LANDSLIDE_PLAIN} ({n})")
            laptop.push()
            time.sleep(0.2)
        assert waiting() == 13
        for _ in range(200):  # bounded: ten seconds at most
            if waiting() == 0:
                break
            time.sleep(0.05)
    finally:
        thread.stop.set()
        thread.join(5)
    assert waiting() == 0


def test_an_upgraded_central_indexes_its_opinions_again(office):
    """Migrations o011 and o012 queue every live opinion: the new terms replace the old
    index."""
    import flask_migrate
    from sqlalchemy import func, select

    from field_app.central.duplicates.models import SimilarPair, SimilarPending

    laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    laptop.village("Bản Nà Lò")
    first = laptop.opinion("Bản Nà Lò", LANDSLIDE)
    second = laptop.opinion("Bản Nà Lò", LANDSLIDE_PLAIN)
    laptop.push()
    with office.app_context():
        while logic.drain(db.session.connection()):
            db.session.commit()
        db.session.commit()
        db.session.remove()
        flask_migrate.downgrade(revision="o010")
        flask_migrate.upgrade(revision="heads")
        queued = set(db.session.execute(select(SimilarPending.opinion_id)).scalars())
        assert queued == {first, second}
        while logic.drain(db.session.connection()):
            db.session.commit()
        db.session.commit()
        assert db.session.execute(select(func.count()).select_from(SimilarPair)).scalar() == 2


def test_a_suggestion_is_merged_into_one_case_by_its_button(office):
    from sqlalchemy import select

    from field_app.central.inbox.models import AuditEntry

    laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    laptop.village("Bản Nà Lò")
    road = laptop.opinion("Bản Nà Lò", LANDSLIDE)
    near = laptop.opinion("Bản Nà Lò", LANDSLIDE_PLAIN)
    again = laptop.opinion("Bản Nà Lò", "Đường vào bản Nà Lò sạt lở gần suối, xe máy "
                                         "không qua được")
    laptop.push()
    account(office, "xa")
    account(office, "xem", "viewer")
    button = "Gộp vào cùng vụ việc"
    assert button not in login(office, "xem").get(f"/central/opinions/{road}").get_data(
        as_text=True)
    assert login(office, "xem").post(
        f"/central/opinions/{road}/merge-with/{near}").status_code == 403
    officer = login(office, "xa")
    page = officer.get(f"/central/opinions/{road}").get_data(as_text=True)
    similar_panel = page.split('id="similar"')[1].split("</section>")[0]
    assert button in similar_panel
    assert f"/central/opinions/{road}/merge-with/{near}" in similar_panel
    # Neither has a case: a new one holds both.
    merged = officer.post(f"/central/opinions/{road}/merge-with/{near}",
                          data={"csrf_token": "x"})
    assert merged.status_code == 302 and "/central/cases/" in merged.location
    # This one has a case now: the next suggestion joins it.
    officer.post(f"/central/opinions/{road}/merge-with/{again}")
    with office.app_context():
        held = {key: db.session.get(OfficeOpinion, key).case_id for key in (road, near, again)}
        assert held[road] is not None and len(set(held.values())) == 1
        actions = [entry.action for entry in db.session.execute(
            select(AuditEntry).where(AuditEntry.record_id == again)).scalars()]
        assert "added_to_case" in actions
        assert "merged" in [entry.action for entry in db.session.execute(
            select(AuditEntry).where(AuditEntry.record_id == near)).scalars()]


@pytest.mark.parametrize("drainers", [("thread", "page"), ("page", "page"),
                                      ("thread", "thread")])
def test_two_drainers_at_once_pair_each_opinion_once(office, monkeypatch, drainers):
    """The served central's thread and a page (or two pages, two processes) drain the
    same queue at the same moment: neither stores pairs the other is storing (a
    duplicate key was a 500 on the inbox), and each opinion is paired once."""
    import threading

    from sqlalchemy import select

    from field_app.central.duplicates.models import SimilarPair, SimilarPending

    laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    laptop.village("Bản Nà Lò")
    first = laptop.opinion("Bản Nà Lò", LANDSLIDE)
    second = laptop.opinion("Bản Nà Lò", LANDSLIDE_PLAIN)
    laptop.opinion("Bản Nà Lò", LIGHTS)
    laptop.push()
    together = threading.Barrier(2, timeout=1)
    paired: list[uuid.UUID] = []
    pair_them = logic.refresh_opinions

    def held_refresh(conn, ids):
        """Keep both drainers between reading the queue and storing the pairs."""
        try:
            together.wait()
        except threading.BrokenBarrierError:
            pass  # the other could not read the queue meanwhile: it waits, or skips
        paired.extend(ids)
        return pair_them(conn, ids)

    monkeypatch.setattr(logic, "refresh_opinions", held_refresh)
    failures: list[BaseException] = []

    def thread_batch() -> None:  # what start_drainer's thread does
        with office.app_context():
            logic.drain(db.session.connection())
            db.session.commit()

    def page() -> None:  # what the inbox and the opinion page do
        with office.test_request_context():
            logic.drain_now()
            db.session.commit()

    def run(step) -> None:
        try:
            step()
        except BaseException as exc:  # noqa: BLE001 - reported below, with its kind
            failures.append(exc)

    steps = {"thread": thread_batch, "page": page}
    started = [threading.Thread(target=run, args=(steps[name],)) for name in drainers]
    for drainer in started:
        drainer.start()
    for drainer in started:
        drainer.join(30)
    assert failures == []
    with office.app_context():
        assert db.session.execute(select(SimilarPending.opinion_id)).all() == []
        held = db.session.execute(select(SimilarPair.opinion_id, SimilarPair.other_id)).all()
    assert sorted(paired) == sorted({*paired}) and len(paired) == 3
    assert set(held) == {(first, second), (second, first)} and len(held) == 2


def test_two_pages_pairing_the_two_halves_of_a_pair_at_once_store_it_once(office,
                                                                          monkeypatch):
    """Both opinions of a pair were re-classified at the village (their words kept, so no
    term count is touched, which would have kept the pages apart): two pages each re-pair
    the one they show, at the same moment. Each finds the other (indexed before): on
    PostgreSQL both stored the pair, and the second page failed on the duplicate key."""
    import threading

    from sqlalchemy import select

    from field_app.central.duplicates.models import SimilarPair, SimilarPending

    laptop = Laptop(office, MUONG_LA, "Máy bản Nà Lò")
    laptop.village("Bản Nà Lò")
    first = laptop.opinion("Bản Nà Lò", LANDSLIDE)
    second = laptop.opinion("Bản Nà Lò", LANDSLIDE_PLAIN)
    laptop.push()
    with office.app_context():
        logic.drain(db.session.connection())
        db.session.commit()
    # Both re-classified at the village, their words unchanged: both queued again.
    laptop.opinion("Bản Nà Lò", LANDSLIDE, record_id=first, category_code="transport")
    laptop.opinion("Bản Nà Lò", LANDSLIDE_PLAIN, record_id=second, category_code="transport")
    laptop.push()
    together = threading.Barrier(2, timeout=1)
    find = logic.find_similar

    def held_find(*args, **kwargs):
        """Hold each page after it cleared its opinion's old pairs, before it stores the new:
        the other page waits on those rows (PostgreSQL) or found the file held (SQLite)."""
        try:
            together.wait()
        except threading.BrokenBarrierError:
            pass
        return find(*args, **kwargs)

    monkeypatch.setattr(logic, "find_similar", held_find)
    failures: list[BaseException] = []

    def page(shown: uuid.UUID) -> None:
        try:
            with office.test_request_context():
                logic.drain_now([shown])
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below, with its kind
            failures.append(exc)

    started = [threading.Thread(target=page, args=(key,)) for key in (first, second)]
    for drainer in started:
        drainer.start()
    for drainer in started:
        drainer.join(30)
    assert failures == []
    monkeypatch.setattr(logic, "find_similar", find)
    with office.app_context():
        logic.drain(db.session.connection())  # what a page skipped, the thread does
        db.session.commit()
        assert db.session.execute(select(SimilarPending.opinion_id)).all() == []
        held = db.session.execute(select(SimilarPair.opinion_id, SimilarPair.other_id)).all()
    assert sorted(held) == sorted([(first, second), (second, first)])


@pytest.mark.parametrize("path", ["inbox", "opinion", "api"])
def test_a_page_answers_at_once_while_another_writer_holds_the_database(tmp_path, path):
    """A push (or a backup) holds the SQLite file's write lock: a page that only shows
    does not wait for it (it waited 5 s, then answered 503), it shows what is stored;
    the pairs a push queued are made at the next look."""
    import sqlite3
    import time

    from field_app.config import sqlite_file

    with office_app(tmp_path / "central") as app:
        laptop = Laptop(app, MUONG_LA, "Máy bản Nà Lò")
        laptop.village("Bản Nà Lò")
        road = laptop.opinion("Bản Nà Lò", LANDSLIDE)
        same = laptop.opinion("Bản Nà Lò", LANDSLIDE_PLAIN)
        laptop.push()
        account(app, "canbo")
        client, headers = login(app, "canbo"), token(app, "api")

        def look():
            if path == "api":
                return similar(app, road, headers)
            return client.get("/central/inbox" if path == "inbox"
                              else f"/central/opinions/{road}")

        holder = sqlite3.connect(sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"]),
                                 timeout=30, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            started = time.monotonic()
            held = look()
            took = time.monotonic() - started
        finally:
            holder.rollback()
            holder.close()
        assert held.status_code == 200, held.get_data(as_text=True)[:300]
        assert took < 2.5
        after = look()
        assert after.status_code == 200
        if path == "api":
            assert [item["id"] for item in after.get_json()["items"]] == [str(same)]
        elif path == "inbox":
            assert after.get_data(as_text=True).count("1 ý kiến có thể trùng") == 2
        else:
            assert f"/central/opinions/{same}" in after.get_data(as_text=True)
