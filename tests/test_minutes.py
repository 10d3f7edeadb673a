"""Minutes (biên bản): the DOCX read back with python-docx, the printable page."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Cm

from field_app.extensions import db
from field_app.forums import logic as forums
from field_app.forums import minutes
from field_app.opinions import logic as opinions

SCRIPT = "<script>alert(1)</script>"

OPINIONS = [
    {"content": "Đề nghị xã cấp giấy chứng nhận quyền sử dụng đất cho 12 hộ ở Nà Lò.",
     "raiser_name": "Lường Văn Pọm", "raiser_gender": "male", "category_code": "land",
     "kind": "petition", "on_behalf_households": 12, "answered_on_spot": True,
     "spot_answer": "Công chức địa chính sẽ về đo đạc trong tháng 12.",
     "spot_answer_by": "Phó Chủ tịch UBND xã Cầm Văn Sơn"},
    {"content": "Đường nội bản bị sạt lở đoạn qua suối Nặm Pàn.",
     "raiser_name": "Quàng Thị Ún", "raiser_gender": "female", "category_code": "construction",
     "answered_on_spot": True, "spot_answer": "Xã sẽ khảo sát và hỗ trợ xi măng.",
     "spot_answer_by": "Lò Văn Minh"},
    {"content": "Nước sinh hoạt mùa khô thiếu.", "anonymous": True, "raiser_name": "Không in",
     "category_code": "water", "kind": "feedback"},
    {"content": f"Dán từ Word {SCRIPT}\x0bdòng hai", "raiser_name": "Cà Văn Tú",
     "category_code": "land", "answered_on_spot": True,
     "spot_answer": "Trả lời: <b>không</b> dùng thẻ & ký tự lạ", "spot_answer_by": "Thư ký"},
]


def docx_text(document) -> str:
    """Return every paragraph of the body, its tables (nested too) and headers."""
    lines: list[str] = []

    def walk(container):
        for block in container.iter_inner_content():
            if isinstance(block, docx.table.Table):
                for row in block.rows:
                    for cell in row.cells:
                        walk(cell)
            else:
                lines.append(block.text)

    walk(document)
    for section in document.sections:
        for header in (section.header, section.first_page_header):
            walk(header)
    return "\n".join(lines)


@pytest.fixture
def finalised(forum):
    """The fixture forum with four opinions and a decision, finalised."""
    for data in OPINIONS:
        opinions.create_opinion(data, forum)
    forums.add_decision(forum, "Làm đường bê tông nội bản, Nhân dân góp ngày công.", 50, 4, 6)
    forums.add_decision(forum, "Thu quỹ vệ sinh 20.000 đồng/hộ/tháng.", 20, 30, 10)
    forum.ended_at = datetime(2026, 11, 20, 10, 30)
    forum.summary = "Hội nghị thống nhất các nội dung trên."
    forums.finalise_forum(forum)
    db.session.commit()
    return forum


def download(client, forum):
    response = client.get(f"/forums/{forum.id}/minutes.docx")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    return response, docx.Document(BytesIO(response.data))


def test_docx_minutes_carry_the_real_content(client, finalised):
    response, document = download(client, finalised)
    assert "bien-ban-ban-na-lo-2026-11-20.docx" in response.headers["Content-Disposition"]
    text = docx_text(document)

    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "UBND XÃ MƯỜNG LA", "BẢN NÀ LÒ", "Số: ....../BB-......",
                     "Mường La, ngày 20 tháng 11 năm 2026", "BIÊN BẢN",
                     "Chính quyền lắng nghe ý kiến Nhân dân", "Nhà văn hóa bản Nà Lò",
                     "08 giờ 00 phút", "Phó Chủ tịch UBND xã Cầm Văn Sơn",
                     "64 người (trong đó nữ: 30; người dân tộc thiểu số: 60)",
                     "70/120 hộ của Bản Nà Lò", "Nghe ý kiến của Nhân dân",
                     "Hội nghị thống nhất các nội dung trên.",
                     "Hội nghị kết thúc lúc 10 giờ 30 phút cùng ngày./."):
        assert expected in text, expected
    assert "DỰ THẢO" not in text

    # Every opinion and its answer, in the order raised.
    positions = []
    for data in OPINIONS:
        content = data["content"].replace("\x0b", "\n")
        positions.append(text.index(content))
        if data.get("spot_answer"):
            positions.append(text.index(data["spot_answer"]))
    assert positions == sorted(positions)
    assert "Ông Lường Văn Pọm (thay mặt 12 hộ)" in text
    assert "Bà Quàng Thị Ún" in text
    assert "Giấu tên" in text and "Không in" not in text
    assert "Trả lời tại chỗ (Phó Chủ tịch UBND xã Cầm Văn Sơn)" in text
    assert "Chưa trả lời tại chỗ" in text  # the water opinion
    assert "Kiến nghị, Đất đai" in text and "Phản ánh, Nước sinh hoạt" in text


def test_docx_decisions_table_has_the_hand_votes(client, finalised):
    _response, document = download(client, finalised)
    votes = next(t for t in document.tables if len(t.columns) == 6)
    rows = [[cell.text for cell in row.cells] for row in votes.rows]
    assert rows[0] == ["TT", "Nội dung biểu quyết", "Tán thành", "Không tán thành",
                       "Không biểu quyết", "Kết quả"]
    assert rows[1] == ["1", "Làm đường bê tông nội bản, Nhân dân góp ngày công.", "50", "4",
                       "6", "Thông qua"]
    assert rows[2] == ["2", "Thu quỹ vệ sinh 20.000 đồng/hộ/tháng.", "20", "30", "10",
                       "Không thông qua"]
    assert "nhiều hơn một nửa số hộ có đại diện dự họp (70 hộ)" in docx_text(document)


def test_docx_layout_is_a4_times_new_roman_with_signatures(client, finalised):
    _response, document = download(client, finalised)
    section = document.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.01)
    assert abs(section.page_height - Cm(29.7)) < Cm(0.01)
    assert abs(section.left_margin - Cm(3)) < Cm(0.01)
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "Times New Roman"
    assert fonts.get(qn("w:hAnsi")) == "Times New Roman"
    assert 13 <= normal.font.size.pt <= 14

    header = document.tables[0]
    assert "UBND XÃ MƯỜNG LA" in header.cell(0, 0).text
    assert header.cell(0, 1).text.startswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    motto = next(r for p in header.cell(0, 1).paragraphs for r in p.runs
                 if r.text == "Độc lập - Tự do - Hạnh phúc")
    assert motto.bold and motto.underline
    borders = header._tbl.tblPr.find(qn("w:tblBorders"))
    assert all(edge.get(qn("w:val")) == "nil" for edge in borders)

    signatures = document.tables[-1]
    secretary, chair = (cell.text for cell in signatures.rows[0].cells)
    assert secretary.startswith("THƯ KÝ") and secretary.rstrip().endswith("Quàng Thị Hoa")
    assert chair.startswith("CHỦ TRÌ") and chair.rstrip().endswith("Lò Văn Minh")
    title = next(p for p in document.paragraphs if p.text == "BIÊN BẢN")
    assert title.runs[0].bold and title.alignment == 1  # centred


def test_untrusted_text_stays_literal_in_a_valid_docx(client, finalised):
    response, document = download(client, finalised)
    text = docx_text(document)
    assert f"Dán từ Word {SCRIPT}\ndòng hai" in text
    assert "Trả lời: <b>không</b> dùng thẻ & ký tự lạ" in text
    assert "\x0b" not in text
    # A second reader: the raw XML parses and holds the escaped text.
    assert b"&lt;script&gt;" in document.part.blob


def test_control_characters_are_cleaned():
    assert minutes.clean("a\x0bb\x0cc\x00d\x1fe\r\nf") == "a\nb\ncde\nf"
    assert minutes.clean(None) == ""
    assert minutes.clean("Nà Lò\tđường") == "Nà Lò\tđường"


def test_html_minutes_escape_user_text(client, finalised):
    page = client.get(f"/forums/{finalised.id}/minutes")
    assert page.status_code == 200
    html = page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT not in html and "<b>không</b>" not in html
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html and "UBND XÃ MƯỜNG LA" in html
    assert "In biên bản" in html and "data-print" in html  # wired by static/js/actions.js
    assert f'href="/forums/{finalised.id}"' in html
    assert "DỰ THẢO" not in html
    # The opinions appear in the order raised on the page too.
    first, second = html.index("Đề nghị xã cấp giấy"), html.index("Đường nội bản bị sạt lở")
    assert first < second


def test_draft_minutes_are_marked_and_leave_blanks_to_fill(client, villages):
    draft = forums.create_forum({"kind": "village_meeting", "village_id": villages[1].id,
                                 "started_at": datetime(2026, 1, 5, 19, 0)})
    db.session.commit()
    page = client.get(f"/forums/{draft.id}/minutes")
    assert page.status_code == 200
    assert 'class="minutes-draft">DỰ THẢO<' in page.text
    assert "Không có ý kiến nào được ghi." in page.text
    _response, document = download(client, draft)
    text = docx_text(document)
    assert "DỰ THẢO" in text
    assert "Mường La, ngày 05 tháng 01 năm 2026" in text  # Nghị định 30: zero before 5 and 1
    assert "BẢN ĐÁN" in text and "Hội nghị thôn, bản" in text
    assert "Hội nghị kết thúc lúc ….. giờ ….. phút" in text
    assert minutes.BLANK in text  # chair, venue, attendance left for the pen


def test_amendments_after_finalising_are_listed(client, finalised):
    data = {name: getattr(finalised, name) for name in forums.FORUM_FIELDS}
    data["chair"] = "Lò Văn Mạnh"
    forums.amend_forum(finalised, data, "Ghi nhầm tên chủ trì", "Quàng Thị Hoa")
    opinion = opinions.forum_opinions(finalised)[1]
    changed = {name: getattr(opinion, name) for name in opinions.OPINION_FIELDS}
    changed["content"] = "Đường nội bản sạt lở 30 m."
    opinions.update_opinion(opinion, changed, "Bổ sung chiều dài", "Quàng Thị Hoa")
    db.session.commit()

    _response, document = download(client, finalised)
    text = docx_text(document)
    assert "ĐÍNH CHÍNH SAU KHI CHỐT BIÊN BẢN" in text
    assert "Chủ trì" in text and "Lò Văn Mạnh" in text and "Ghi nhầm tên chủ trì" in text
    assert "Ý kiến số 2 – Nội dung" in text and "Bổ sung chiều dài" in text
    assert "Đường nội bản bị sạt lở đoạn qua suối Nặm Pàn." in text  # the old value
    page = client.get(f"/forums/{finalised.id}/minutes").text
    assert "Ghi nhầm tên chủ trì" in page and "Ý kiến số 2 – Nội dung" in page
    # Amendments follow the signatures: they were not part of what was signed.
    assert text.index("ĐÍNH CHÍNH SAU KHI CHỐT") > text.index("CHỦ TRÌ")
    assert page.index("Ghi nhầm tên chủ trì") > page.index("minutes-sign")


def test_officials_present_are_one_line_in_the_minutes(client, forum):
    forum.officials_present = "Cầm Văn Sơn, Phó Chủ tịch UBND xã\nLò Thị Hạnh, công chức VH-XH"
    db.session.commit()
    _response, document = download(client, forum)
    assert ("Đại biểu, cán bộ xã dự: Cầm Văn Sơn, Phó Chủ tịch UBND xã; Lò Thị Hạnh, "
            "công chức VH-XH") in docx_text(document)


def test_denouncer_is_not_named_in_the_minutes(client, forum):
    opinions.create_opinion({"content": "Tố cáo cán bộ thu tiền sai quy định.",
                             "raiser_name": "Người Tố Cáo", "kind": "denunciation",
                             "category_code": "other"}, forum)
    db.session.commit()
    page = client.get(f"/forums/{forum.id}/minutes").text
    assert "Tố cáo cán bộ thu tiền" in page and "Người Tố Cáo" not in page
    assert "Người Tố Cáo" not in docx_text(download(client, forum)[1])


def test_filename_is_ascii(forum, villages):
    assert minutes.filename(forum) == "bien-ban-ban-na-lo-2026-11-20.docx"
    forum.village = villages[2]
    assert minutes.filename(forum) == "bien-ban-tieu-khu-1-2026-11-20.docx"


def test_docx_made_again_after_the_minutes_change(client, forum):
    """The last minutes' file is kept, and never served once what it says has changed."""
    opinions.create_opinion(OPINIONS[0], forum)
    db.session.commit()
    first = docx_text(download(client, forum)[1])
    assert first == docx_text(download(client, forum)[1])
    opinions.create_opinion(OPINIONS[1], forum)
    db.session.commit()
    second = docx_text(download(client, forum)[1])
    assert "Đường nội bản bị sạt lở đoạn qua suối Nặm Pàn." in second
    assert "Đường nội bản bị sạt lở" not in first
