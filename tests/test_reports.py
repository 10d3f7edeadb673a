"""The report's figures against a hand-counted commune (tests/reports_support.py), on
SQLite and PostgreSQL; the same numbers in the dashboard, the API, the XLSX, the CSV and
the DOCX; personal data only where the role may see it; role and commune scope."""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from field_app import create_app
from field_app.central.accounts.logic import create_token
from field_app.central.accounts.models import Account
from field_app.central.catalogue import logic as catalogue
from field_app.central.inbox import logic as inbox
from field_app.central.reports import exports, figures, periods
from field_app.central.reports.exports import cell_text
from field_app.central.reports.tables import Table, report_tables
from field_app.cli import upgrade_database
from field_app.extensions import db
from field_app.opinions.logic import vietnam_today

from .office_support import CHIENG_LAO, MUONG_LA, account, login
from .reports_support import (
    DENOUNCER,
    DENOUNCER_PHONE,
    EXPECTED,
    Q1_TODAY,
    SPEAKER,
    SPEAKER_PHONE,
    build,
)
from .sync_support import drop_pg_database, make_pg_database


def _office(tmp_path, database=None):
    config = {"ROLE": "central", "DATA_DIR": tmp_path / "office", "TESTING": True,
              "WTF_CSRF_ENABLED": False}
    if database:
        config["SQLALCHEMY_DATABASE_URI"] = database
    app = create_app(config)
    upgrade_database(app)
    return app


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path):
    database = make_pg_database() if request.param == "postgresql" else None
    app = _office(tmp_path, database)
    made = build(app)
    yield app, made
    with app.app_context():
        db.engine.dispose()
    if database:
        drop_pg_database(database)


@pytest.fixture
def sqlite_world(tmp_path):
    app = _office(tmp_path)
    made = build(app)
    yield app, made
    with app.app_context():
        db.engine.dispose()


def q1_figures(app, username="canbo", commune=None, personal=False) -> dict:
    with app.test_request_context():
        who = db.session.execute(select(Account).where(Account.username == username)
                                 ).scalar_one()
        return figures.compute(who, periods.parse_code("2026-Q1"), commune, Q1_TODAY,
                               personal).as_json()


def by_key(rows, name="key") -> dict:
    return {row[name]: row["count"] for row in rows if row["count"]}


def test_every_figure_matches_the_hand_count(world):
    app, made = world
    got = q1_figures(app)
    want = EXPECTED
    assert got["period"]["start"] == "2025-12-10" and got["period"]["end"] == "2026-03-09"
    assert got["period"]["due"] == "2026-03-10" and got["period"]["days_left"] == -10
    assert got["forums"]["total"] == want["forums"]["total"]
    kinds = by_key(got["forums"]["by_kind"])
    assert kinds == {"listening": 1, "chairman_dialogue": 1}
    assert got["forums"]["attendance"] == want["forums"]["attendance"]
    coverage = got["coverage"]
    for name in ("villages", "held", "percent", "met", "dialogues", "dialogues_target"):
        assert coverage[name] == want["coverage"][name], name
    assert sorted(row["name"] for row in coverage["missing"]) == want["coverage"]["missing"]
    opinions = got["opinions"]
    assert opinions["total"] == want["opinions"]["total"]
    assert opinions["answered_on_spot"] == want["opinions"]["answered_on_spot"]
    for name in ("by_kind", "by_category", "by_channel", "by_level", "by_status"):
        assert by_key(opinions[name]) == want["opinions"][name], name
    assert by_key(opinions["by_source_org"]) == want["opinions"]["by_source_org"]
    assert by_key(opinions["by_village"], "label") == want["opinions"]["by_village"]
    handling = got["handling"]
    for name in ("on_time", "late", "overdue", "open", "total", "on_time_percent"):
        assert handling[name] == want["handling"][name], name
    units = {row["label"] if row["key"] is not None else None:
             (row["on_time"], row["late"], row["overdue"], row["open"])
             for row in handling["by_unit"]}
    assert units == want["handling"]["by_unit"]
    assert handling["late_cases"] == want["handling"]["late_cases"]
    satisfaction = {row["key"]: (row["satisfied"], row["unsatisfied"], row["absent"],
                                 row["percent"], row["met"]) for row in got["satisfaction"]}
    assert satisfaction == want["satisfaction"]
    assert got["communes"] == []  # a commune account: its own commune only
    assert "CHIENGLAO" not in str(got)


def test_a_province_account_sees_communes_side_by_side_ranked(world):
    app, made = world
    account(app, "tinh", "admin", commune_code=None)
    got = q1_figures(app, "tinh")
    ranked = {row["commune"]: row for row in got["communes"]}
    assert set(ranked) == {MUONG_LA, CHIENG_LAO}
    # Chiềng Lao: 1 village, its listening forum held (100 %) ranks first.
    assert ranked[CHIENG_LAO]["rank"] == 1 and ranked[CHIENG_LAO]["coverage_percent"] == 100.0
    assert ranked[MUONG_LA]["rank"] == 2 and ranked[MUONG_LA]["coverage_percent"] == 25.0
    assert ranked[MUONG_LA]["opinions"] == 7 and ranked[CHIENG_LAO]["opinions"] == 1
    assert ranked[MUONG_LA]["overdue"] == 2
    assert got["opinions"]["total"] == 8
    assert {row["key"]: row["count"] for row in got["opinions"]["by_commune"]} == {
        str(MUONG_LA): 7, str(CHIENG_LAO): 1}
    # Naming one commune gives that commune's report, as its own account sees it.
    one = q1_figures(app, "tinh", commune=MUONG_LA)
    assert one["opinions"] == q1_figures(app)["opinions"]
    assert one["handling"] == q1_figures(app)["handling"]


# --- the same numbers everywhere ------------------------------------------------------------


class Cells(HTMLParser):
    """Collect the text of every table cell of the dashboard, by its section's id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.section: str | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and (attrs.get("id") or "").startswith("t-"):
            self.section = attrs["id"][2:]
            self.tables[self.section] = []
        elif tag == "tr" and self.section:
            self.tables[self.section].append([])
        elif tag in ("td", "th") and self.section:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.section:
            self.tables[self.section][-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "section":
            self.section = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def files(app, username: str, period: str = "2026-Q1") -> dict[str, bytes]:
    client = login(app, username)
    got = {kind: client.get(f"/central/reports/file.{kind}?period={period}")
           for kind in ("xlsx", "docx", "csv")}
    for kind, answer in got.items():
        assert answer.status_code == 200, (kind, answer.get_data()[:300])
    got = {kind: answer.get_data() for kind, answer in got.items()}
    got["html"] = client.get(f"/central/reports?period={period}").get_data()
    return got


def unzipped(data: bytes) -> str:
    """Return every XML part of an XLSX or DOCX as one text (to search its bytes)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        # Every part, binary ones too; openpyxl writes "ế" as "&#7871;": unescape.
        return "".join(html.unescape(archive.read(name).decode("utf-8", "replace"))
                       for name in archive.namelist())


def _read_back(cell):
    """Return an XLSX cell's value; a date cell (openpyxl reads a datetime) as a date."""
    if isinstance(cell.value, datetime):
        assert cell.number_format == "DD/MM/YYYY", cell.coordinate
        return cell.value.date()
    return cell.value


def test_exports_read_back_with_the_dashboards_numbers(sqlite_world):
    app, made = sqlite_world
    got = files(app, "canbo")
    with app.test_request_context():
        who = db.session.execute(select(Account).where(Account.username == "canbo")
                                 ).scalar_one()
        q1 = periods.parse_code("2026-Q1")
        # The files of an officer carry names in the late list; the dashboard never does.
        tables = report_tables(figures.compute(who, q1, None, vietnam_today(), True))
        shown = report_tables(figures.compute(who, q1, None, vietnam_today()))
    assert [table.key for table in tables][:3] == ["targets", "forums", "attendance"]

    book = load_workbook(io.BytesIO(got["xlsx"]))
    assert book.sheetnames[0] == "Báo cáo"
    assert len(book.sheetnames) == len(tables) + 1
    dashboard = Cells()
    dashboard.feed(got["html"].decode())
    doc = Document(io.BytesIO(got["docx"]))
    docx_tables = doc.tables[1:-1]  # the header, then one a report table, then the signature
    assert len(docx_tables) == len(tables)
    csv_rows = list(csv.reader(io.StringIO(got["csv"].decode("utf-8-sig"))))
    for index, table in enumerate(tables):
        sheet = book[book.sheetnames[index + 1]]
        assert sheet["A1"].value == table.title
        assert [cell.value for cell in sheet[2]][:len(table.headers)] == table.headers
        assert sheet.freeze_panes == "A3"
        body = [[_read_back(cell) for cell in row][:len(table.headers)]
                for row in sheet.iter_rows(min_row=3, max_row=2 + len(table.rows))]
        assert body == [[None if value == "" else value for value in row]
                        for row in table.rows], table.key
        if table.total is not None:
            total = [cell.value for cell in sheet[3 + len(table.rows)]][:len(table.headers)]
            assert total == [None if v == "" else v for v in table.total], table.key
        if table.chart and table.rows:
            assert sheet._charts, table.key  # a native Excel chart beside the table
        printed = [[cell_text(value, kind) for value, kind in zip(row, table.formats,
                                                                   strict=True)]
                   for row in table.rows]
        word = [[cell.text for cell in row.cells] for row in docx_tables[index].rows]
        assert word[0] == table.headers
        assert word[1:1 + len(printed)] == (printed or word[1:2]), table.key
        html = dashboard.tables[table.key]
        assert html[0] == shown[index].headers
        if table.rows:
            assert html[1:1 + len(printed)] == [
                [cell_text(value, kind) for value, kind in zip(row, shown[index].formats,
                                                               strict=True)]
                for row in shown[index].rows], table.key
        start = csv_rows.index([table.title])
        assert csv_rows[start + 1] == table.headers
        assert len(csv_rows[start + 2:start + 2 + len(table.rows)]) == len(table.rows)
    # The hand count, as the files print it.
    units = book["Giải quyết theo đơn vị"]
    assert [cell.value for cell in units[units.max_row]][:7] == [
        "Tổng cộng", 2, 1, 2, 1, 6, 40.0]
    assert units["B3"].number_format == "#,##0" and units["G3"].number_format == "0.0"
    missing = book[book.sheetnames[1 + [t.key for t in tables].index("coverage")]]
    assert {missing.cell(row, 1).value for row in range(3, 6)} == {
        "Bản Co Mạ", "Bản Hua Păng", "Bản Phiêng Ban"}
    sat = {row[0]: row[5] for row in dashboard.tables["satisfaction"][1:]}
    assert list(sat.values()) == ["66,7", "100,0", "50,0"]


def test_the_land_target_counts_procedures_not_roads_to_repair(sqlite_world):
    """Seed 003's 85 % is for land, construction and investment procedures: a road repair
    filed under "Giao thông – xây dựng – thủy lợi" is no procedure; a building permit, under
    a category the office added by its name, is one."""
    app, made = sqlite_world

    def land() -> tuple:
        [row] = [row for row in q1_figures(app)["satisfaction"] if row["key"] == "land"]
        return row["satisfied"], row["unsatisfied"], row["absent"]

    assert land() == (1, 1, 1)
    with app.app_context():
        officer = db.session.execute(select(Account).where(Account.username == "canbo")
                                     ).scalar_one()
        permits = catalogue.add_category(officer, MUONG_LA, "Cấp phép xây dựng").code
        db.session.commit()
        assert permits == "cap_phep_xay_dung"
        # The satisfied land opinion was a road to repair …
        inbox.update_opinion(officer, made["opinions"]["on_time"],
                             {"category_code": "construction"}, "Phân loại lại")
        db.session.commit()
    assert land() == (0, 1, 1)
    with app.app_context():
        officer = db.session.execute(select(Account).where(Account.username == "canbo")
                                     ).scalar_one()
        # … or a building permit.
        inbox.update_opinion(officer, made["opinions"]["on_time"],
                             {"category_code": permits}, "Phân loại lại")
        db.session.commit()
    assert land() == (1, 1, 1)


def test_how_the_land_target_is_counted_is_written_as_it_is_counted(sqlite_world):
    """The dashboard's "Cách tính" and the README name the categories the 85 % target
    counts (figures.LAND_CONSTRUCTION_INVESTMENT), never the road-and-canal one."""
    app, _made = sqlite_world
    page = login(app, "canbo").get("/central/reports?period=2026-Q1").get_data(as_text=True)
    note = html.unescape(re.search(r'<p class="note" id="how-counted">(.*?)</p>', page,
                                   re.S).group(1))
    assert "Giao thông – xây dựng – thủy lợi và Đầu tư" not in note
    assert "(không tính công trình Giao thông – xây dựng – thủy lợi)" in note
    for target in figures.SATISFACTION_TARGETS:
        assert f"(≥ {target.percent}%): {target.source}." in note
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    rule = " ".join(readme[readme.index("construction, investment procedures (≥ 85 %"):]
                    .split("\n* ")[0].split())
    for code in figures.LAND_CONSTRUCTION_INVESTMENT:
        assert f"`{code}`" in rule, code
    assert "Not the seeded `construction`" in rule


def test_the_docx_is_a_commune_document_of_decree_30(sqlite_world):
    app, made = sqlite_world
    doc = Document(io.BytesIO(files(app, "canbo")["docx"]))
    header = [[cell.text for cell in row.cells] for row in doc.tables[0].rows]
    assert header[0][0].splitlines() == ["UBND TỈNH SƠN LA", "ỦY BAN NHÂN DÂN XÃ MƯỜNG LA"]
    assert header[0][1].splitlines() == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                         "Độc lập - Tự do - Hạnh phúc"]
    assert header[1][0] == "Số: …… /BC-UBND"
    today = vietnam_today()
    assert header[1][1].startswith("Mường La, ngày ") and header[1][1].endswith(
        f"năm {today.year}")
    texts = [p.text for p in doc.paragraphs]
    assert "BÁO CÁO" in texts
    assert any("Quý I/2026" in text for text in texts)
    assert "(Số liệu từ ngày 10/12/2025 đến hết ngày 09/03/2026)" in texts
    assert any(text.startswith("Thực hiện") and "UBND xã Mường La báo cáo" in text
               for text in texts)
    signature = doc.tables[-1].rows[0].cells
    assert "Nơi nhận:" in signature[0].text and "TM. ỦY BAN NHÂN DÂN" in signature[1].text
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert doc.styles["Normal"].font.name == "Times New Roman"


def test_a_province_summary_is_a_document_of_the_provinces_committee(sqlite_world):
    app, made = sqlite_world
    account(app, "tinh", "admin", commune_code=None)
    got = files(app, "tinh")
    doc = Document(io.BytesIO(got["docx"]))
    header = [[cell.text for cell in row.cells] for row in doc.tables[0].rows]
    assert header[0][0].splitlines() == ["ỦY BAN NHÂN DÂN TỈNH SƠN LA"]
    assert header[1][1].startswith("Sơn La, ngày ")
    texts = [p.text for p in doc.paragraphs]
    assert any(text.startswith("Thực hiện") and "UBND tỉnh Sơn La báo cáo" in text
               for text in texts)
    recipients = doc.tables[-1].rows[0].cells[0].text.splitlines()
    assert recipients == ["Nơi nhận:", "- Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh;",
                          "- UBND các xã;", "- Lưu: VT."]
    assert "máy chủ" not in unzipped(got["docx"]).lower()


def test_a_summary_of_communes_of_several_provinces_names_no_province(sqlite_world):
    app, made = sqlite_world
    hoan_kiem = 70  # a ward of Hà Nội, beside Sơn La's Mường La
    with app.test_request_context():
        made = figures.Figures(periods.parse_code("2026-Q1"), Q1_TODAY, None, None,
                               {"communes": [{"commune": MUONG_LA}, {"commune": hoan_kiem}]})
        lines = exports.document_lines(made, Q1_TODAY)
    assert (lines["parent"], lines["body"]) == ("", "CƠ QUAN TỔNG HỢP BÁO CÁO")
    assert lines["place_date"].startswith("……, ngày ")


@pytest.mark.parametrize(("title", "expected"), [
    ("Vụ việc trễ hạn: giải trình và xin lỗi", "Vụ việc trễ hạn"),
    ("Trễ hạn: lý do", "Trễ hạn – lý do"),
    ("Bản/thôn chưa tổ chức hội nghị \"Chính quyền lắng nghe\" trong năm",
     "Bản, thôn chưa tổ chức hội nghị"),
    ("Villages that have not held a \"listening government\" forum", "Villages that have not held"),
    ("Ý kiến  [theo]   loại*?", "Ý kiến theo loại"),
    (":", "Sheet"),
])
def test_a_sheet_name_reads_as_its_title(title, expected):
    assert exports.sheet_name(Table("t", title, [], [], []), set()) == expected


def test_the_workbooks_sheet_names_read_well_and_differ(sqlite_world):
    app, made = sqlite_world
    account(app, "tinh", "admin", commune_code=None)
    names = load_workbook(io.BytesIO(files(app, "tinh")["xlsx"])).sheetnames
    assert "Vụ việc trễ hạn" in names and "Bản, thôn chưa tổ chức hội nghị" in names
    assert len({name.lower() for name in names}) == len(names)
    for name in names:
        assert len(name) <= 31 and "  " not in name and name == name.strip(), name
        assert not set(name) & set("[]:*?/\\"), name
    used = set(name.lower() for name in names)
    again = exports.sheet_name(Table("t", "Vụ việc trễ hạn: giải trình và xin lỗi", [], [],
                                     []), used)
    assert again == "Vụ việc trễ hạn (2)"


def test_the_late_list_holds_real_dates_in_every_file(sqlite_world):
    app, made = sqlite_world
    got = files(app, "canbo")
    book = load_workbook(io.BytesIO(got["xlsx"]))
    late = book[book.sheetnames[-1]]
    assert late["A1"].value == "Ý kiến trễ hạn và quá hạn"
    due, answered = late["B3"], late["C3"]
    assert isinstance(due.value, datetime) and isinstance(answered.value, datetime)
    assert due.number_format == answered.number_format == "DD/MM/YYYY"
    assert (due.value.date(), answered.value.date()) == (date(2026, 1, 25), date(2026, 2, 1))
    # Every date cell of every sheet is a real date, shown as dd/mm/yyyy.
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert not (isinstance(cell.value, str)
                            and re.fullmatch(r"\d\d/\d\d/\d{4}", cell.value)), cell
                if isinstance(cell.value, datetime):
                    assert cell.number_format == "DD/MM/YYYY", (sheet.title, cell)
    assert ["Trễ hạn", "25/01/2026", "01/02/2026"] in [
        row[:3] for row in csv.reader(io.StringIO(got["csv"].decode("utf-8-sig")))]
    dashboard = Cells()
    dashboard.feed(got["html"].decode())
    assert dashboard.tables["late_list"][1][:3] == ["Trễ hạn", "25/01/2026", "01/02/2026"]


def _chart_labels(page: str, key: str) -> list[str]:
    """Return the value labels of a dashboard table's SVG chart."""
    section = page[page.index(f'id="t-{key}"'):]
    chart = section[section.index("<svg"):section.index("</svg>")]
    return re.findall(r'<text x="[\d.]+" y="\d+">([^<]*)</text>', chart)


@pytest.mark.parametrize(("language", "labels"), [
    ("vi", ["66,7", "100,0", "50,0"]), ("en", ["66.7", "100.0", "50.0"])])
def test_chart_labels_print_numbers_as_the_tables_do(sqlite_world, language, labels):
    app, made = sqlite_world
    client = login(app, "canbo")
    client.set_cookie("lang", language)
    page = client.get("/central/reports?period=2026-Q1").get_data(as_text=True)
    dashboard = Cells()
    dashboard.feed(page)
    assert [row[5] for row in dashboard.tables["satisfaction"][1:]] == labels
    assert _chart_labels(page, "satisfaction") == labels
    # The XLSX charts print with their cells' format (the reader's separator: 50,0 in
    # Vietnamese Excel), never in General.
    xlsx = client.get("/central/reports/file.xlsx?period=2026-Q1").get_data()
    book = load_workbook(io.BytesIO(xlsx))
    sheet = book.worksheets[-2]  # a commune's ends with satisfaction, then the late list
    assert sheet["F3"].number_format == "0.0"
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        charts = [html.unescape(archive.read(name).decode()) for name in archive.namelist()
                  if name.startswith("xl/charts/chart")]
    chart = next(text for text in charts if f"<a:t>{sheet['A1'].value}</a:t>" in text)
    assert re.findall(r'<dLbls><numFmt formatCode="([^"]+)"', chart) == ["0.0"]
    assert '<showVal val="1"/>' in chart
    assert re.findall(r'<valAx>.*<numFmt formatCode="([^"]+)"', chart) == ["0.0"]


@pytest.mark.parametrize(("username", "role", "names_shown"), [
    ("xem", "viewer", False), ("canbo", "officer", True)])
def test_personal_data_only_in_files_for_roles_that_may_see_it(sqlite_world, username, role,
                                                                names_shown):
    app, made = sqlite_world
    if username != "canbo":
        account(app, username, role)
    got = files(app, username)
    texts = {"xlsx": unzipped(got["xlsx"]), "docx": unzipped(got["docx"]),
             "csv": got["csv"].decode("utf-8-sig"), "html": got["html"].decode()}
    for kind, text in texts.items():
        # A denouncer's identity: never, for any role, anywhere.
        assert DENOUNCER not in text and DENOUNCER_PHONE not in text, kind
        if kind != "html":
            assert (SPEAKER in text) == names_shown, kind
            assert (SPEAKER_PHONE in text) == names_shown, kind
        else:
            assert SPEAKER not in text and SPEAKER_PHONE not in text
    # The late list still names the late petition for everyone.
    assert "Kiến nghị cấp sổ đỏ" in texts["xlsx"]


def test_the_public_page_publishes_answers_without_personal_data(sqlite_world):
    app, made = sqlite_world
    client = app.test_client()  # no login
    answer = client.get("/public/3808?period=2026-Q1")
    assert answer.status_code == 200
    page = answer.get_data()
    for secret in (SPEAKER, SPEAKER_PHONE, DENOUNCER, DENOUNCER_PHONE):
        assert secret.encode() not in page
    text = page.decode()
    assert "Tố cáo cán bộ" not in text and "Khiếu nại về bồi thường" not in text
    # Answered in the period: the on-time petition, the late one (its name scrubbed from
    # the answer), the first day's question and the one answered at the forum.
    for said in ("Đề nghị đo đạc lại", "Đã đo đạc lại, trả kết quả", "Kiến nghị cấp sổ đỏ",
                 "Ông […] đã được hướng dẫn hồ sơ", "Hỏi thủ tục đăng ký khai sinh",
                 "Xã sẽ cho sửa trong tháng"):
        assert said in text, said
    assert "CHIENGLAO" not in text  # another commune's
    assert "Ý kiến sau kỳ Q1" not in text  # another period's
    # In English, a seeded category's heading is English too (it was the stored Vietnamese).
    import re

    from flask_babel import force_locale

    from field_app import labels

    headings = re.findall(r"<h4>([^<]+)</h4>", text)
    client.set_cookie("lang", "en")
    english = re.findall(r"<h4>([^<]+)</h4>",
                         client.get("/public/3808?period=2026-Q1").get_data(as_text=True))
    with app.test_request_context(), force_locale("en"):
        expected = [str(labels.CATEGORY_LABELS[code]) for code in labels.CATEGORY_LABELS
                    if str(labels.CATEGORY_LABELS[code]) in english]
    assert headings and len(expected) == len(set(english)) and not set(headings) & set(english)
    client.set_cookie("lang", "vi")
    assert client.get("/public/99999999").status_code == 404
    assert client.get("/public/3808?period=2026-Q5").status_code == 400


def test_a_handler_counts_its_units_cases_only(sqlite_world):
    app, made = sqlite_world
    account(app, "diachinh", "handler", unit_id=made["units"]["u1"])
    got = q1_figures(app, "diachinh")
    assert got["handling"]["total"] == 2 and got["handling"]["on_time"] == 1
    assert got["opinions"]["total"] == 2
    # Its late case, and its late opinion outside any case.
    assert got["handling"]["late_cases"]["total"] == 2
    # Villages and forums are the commune's: the same for every role.
    assert got["coverage"]["held"] == 1 and got["forums"]["total"] == 2


def test_handling_is_judged_as_it_stood_at_the_cut_off(sqlite_world):
    """An answer given after the period's end leaves the report sent on time unchanged."""
    app, made = sqlite_world
    before = q1_figures(app)["handling"]
    with app.app_context():
        officer = db.session.execute(select(Account).where(Account.username == "canbo")
                                     ).scalar_one()
        inbox.update_opinion(officer, made["opinions"]["overdue"],
                             {"answer_date": "2026-03-20", "answer_text": "Đã sửa",
                              "answer_by": "Chủ tịch UBND xã", "status": "answered"})
        db.session.commit()
    made_after = q1_figures(app)
    after = made_after["handling"]
    assert (after["late"], after["overdue"], after["late_cases"]) == (
        before["late"], before["overdue"], before["late_cases"])
    # Listed as overdue without the answer that came after the cut-off.
    listed = {row["id"]: row for row in made_after["late_list"]}
    row = listed[str(made["opinions"]["overdue"])]
    assert (row["bucket"], row["answer_date"]) == ("overdue", None)
    # The figures travel as JSON (villages' ids as text), over the API too.
    with app.app_context():
        token = create_token(db.session.execute(select(Account).where(
            Account.username == "canbo")).scalar_one(), "báo cáo")
        db.session.commit()
    answer = app.test_client().get("/central/api/v1/reports?period=2026-Q1",
                                   headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert {row["label"] for row in answer.get_json()["opinions"]["by_village"]} >= {
        "Bản Nà Lò"}


def test_a_commune_account_cannot_ask_for_another_commune(sqlite_world):
    app, made = sqlite_world
    client = login(app, "canbo")
    assert client.get(f"/central/reports?period=2026-Q1&commune={CHIENG_LAO}"
                      ).status_code == 403
    assert client.get(f"/central/reports/file.xlsx?commune={CHIENG_LAO}").status_code == 403
    assert client.get("/central/reports?commune=abc").status_code == 422


def test_a_drill_down_finds_the_records_behind_its_number(sqlite_world):
    app, made = sqlite_world
    client = login(app, "canbo")
    base = "date_from=2025-12-10&date_to=2026-03-09"
    for handling, expected in (("overdue", {"overdue", "denunciation"}), ("late", {"late"}),
                               ("on_time", {"on_time", "first_day"}), ("open", {"open"})):
        page = client.get(f"/central/inbox?handling={handling}&{base}").get_data(as_text=True)
        shown = {key for key, record in made["opinions"].items() if str(record) in page}
        assert shown == expected, handling
        # The page says it is filtered, and keeps the filter when its form is sent again.
        assert f'name="handling" value="{handling}"' in page
    page = client.get(f"/central/inbox?source_org=womens_union&{base}").get_data(as_text=True)
    assert str(made["opinions"]["on_time"]) in page and str(made["opinions"]["late"]) not in page


def test_a_citizens_text_is_never_a_formula_in_the_files(sqlite_world):
    app, made = sqlite_world
    with app.test_request_context():
        who = db.session.execute(select(Account).where(Account.username == "canbo")
                                 ).scalar_one()
        report = figures.compute(who, periods.parse_code("2026-Q1"), None, Q1_TODAY)
        report.data["late_list"][0]["content"] = '=HYPERLINK("http://x.example","bấm")'
        book = load_workbook(io.BytesIO(exports.build("xlsx", report)))
        text = exports.build_csv(report).decode("utf-8-sig")
    sheet = book["Ý kiến trễ hạn và quá hạn"]
    cell = sheet.cell(3, 7)
    assert cell.value == '=HYPERLINK("http://x.example","bấm")' and cell.data_type == "s"
    assert "'=HYPERLINK" in text
    assert text.splitlines()[0] == "Kỳ báo cáo,Quý I/2026,10/12/2025,09/03/2026,2026-Q1"


def test_each_handling_cell_links_to_its_own_records(sqlite_world):
    app, made = sqlite_world
    client = login(app, "canbo")
    page = client.get("/central/reports?period=2026-Q1").get_data(as_text=True)
    section = page[page.index('id="t-handling_unit"'):page.index('id="t-handling_commune"')]
    links = set(re.findall(r'href="([^"]+)"', section))
    u1 = made["units"]["u1"]
    # The unit's own late cell (the total row's links to every unit's).
    late = next(link for link in links if "handling=late" in link and f"unit={u1}" in link)
    assert any("handling=late" in link and "unit=" not in link for link in links)
    inbox = client.get(late.replace("&amp;", "&")).get_data(as_text=True)
    assert str(made["opinions"]["late"]) in inbox
    assert str(made["opinions"]["on_time"]) not in inbox  # the same unit, on time


def test_a_communes_handling_total_links_to_as_many_records(sqlite_world):
    """The total of "Giải quyết theo xã" leaves out what was settled at the forum, and so
    does the inbox it links to."""
    app, made = sqlite_world
    client = login(app, "canbo")
    page = client.get("/central/reports?period=2026-Q1").get_data(as_text=True)
    section = page[page.index('id="t-handling_commune"'):]
    section = section[:section.index("</table>")]
    link = next(link for link in re.findall(r'href="([^"]+)"', section)
                if "handling=any" in link)
    inbox = client.get(html.unescape(link)).get_data(as_text=True)
    total = q1_figures(app)["handling"]["total"]
    assert re.search(r'id="total">(\d+)', inbox)[1] == str(total)


def test_forum_numbers_link_to_those_forums(sqlite_world):
    app, made = sqlite_world
    client = login(app, "canbo")
    page = client.get("/central/reports?period=2026-Q1").get_data(as_text=True)
    section = page[page.index('id="t-forums"'):]
    section = section[:section.index("</table>")]
    links = {html.unescape(link) for link in re.findall(r'href="([^"]+)"', section)
             if "kind=" in link}
    by_kind = {row["key"]: row["count"] for row in q1_figures(app)["forums"]["by_kind"]}
    assert len(links) == len(by_kind) and sum(by_kind.values()) == 2
    for link in links:
        kind = re.search(r"kind=(\w+)", link)[1]
        listed = client.get(link).get_data(as_text=True)
        assert re.search(r'id="total">(\d+)', listed)[1] == str(by_kind[kind]), link
    # A typed URL's nonsense is left out, never a 500.
    assert client.get("/central/forums?kind=x&date_from=abc&village=1").status_code == 200


def test_an_unknown_commune_is_not_reported_as_zeros(sqlite_world):
    app, _made = sqlite_world
    account(app, "tinh", "viewer", commune_code=None)
    with app.app_context():
        token = create_token(db.session.execute(select(Account).where(
            Account.username == "tinh")).scalar_one(), "báo cáo")
        db.session.commit()
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    answer = client.get("/central/api/v1/reports?period=2026-Y&commune=9999", headers=headers)
    assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"
    csv_file = client.get("/central/api/v1/reports.csv?period=2026-Q1", headers=headers)
    assert csv_file.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_a_provinces_long_tables_show_their_first_rows_and_link_to_all(sqlite_world,
                                                                       monkeypatch):
    """Every number stays reachable: a cut table links to itself whole, the same rows."""
    from field_app.central.reports import views

    app, _made = sqlite_world
    account(app, "tinh", "admin", commune_code=None)
    monkeypatch.setattr(views, "PROVINCE_ROWS", 1)
    client = login(app, "tinh")

    def section(page: str, key: str) -> str:
        start = page.index(f'id="t-{key}"')
        return page[start:page.index("</section>", start)]

    page = client.get("/central/reports?period=2026-Q1").get_data(as_text=True)
    cut = section(page, "by_commune")
    assert cut.count("<tr>") == 1 + 1 + 1  # header, one row, totals
    more = html.unescape(re.search(r'<p class="more"><a href="([^"]+)"', cut).group(1))
    assert "full=by_commune" in more and "period=2026-Q1" in more
    whole = section(client.get(more).get_data(as_text=True), "by_commune")
    assert whole.count("<tr>") == 1 + 2 + 1 and '<p class="more">' not in whole
    assert whole.startswith(cut[:cut.index("</tr>", cut.index("<tbody>"))])
    # A commune's page is never cut.
    one = client.get(f"/central/reports?period=2026-Q1&commune={MUONG_LA}").get_data(
        as_text=True)
    assert '<p class="more">' not in one


def test_the_report_counts_days_in_vietnam_not_on_the_servers_clock(sqlite_world,
                                                                      monkeypatch):
    """At 17:55 UTC on 30 November it is already 1 December in Vietnam (UTC+7): the
    report offers December and dates its files the 1st."""
    import datetime as real

    from field_app.opinions import logic as opinions

    class Evening(real.datetime):
        @classmethod
        def now(cls, tz=None):
            moment = real.datetime(2026, 11, 30, 17, 55, tzinfo=real.UTC)
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    monkeypatch.setattr(opinions, "datetime", Evening)
    app, _made = sqlite_world
    client = login(app, "canbo")
    page = client.get("/central/reports?period=2026-Y").get_data(as_text=True)
    assert 'value="2026-12"' in page
    docx = client.get("/central/reports/file.docx?period=2026-Y")
    document = Document(io.BytesIO(docx.data))
    text = "\n".join([paragraph.text for paragraph in document.paragraphs]
                     + [cell.text for table in document.tables for row in table.rows
                        for cell in row.cells])
    assert re.search(r"ngày 0?1 tháng 12 năm 2026", text)


def test_a_provinces_drill_down_keeps_its_unit_chosen(sqlite_world):
    """A province's report links a commune's unit; the inbox it opens shows that unit in
    its filter, so pressing "Lọc" again keeps it."""
    app, made = sqlite_world
    account(app, "tinh", "admin", commune_code=None)
    client = login(app, "tinh")
    u1 = made["units"]["u1"]
    page = client.get(f"/central/inbox?unit={u1}&handling=any").get_data(as_text=True)
    select = page[page.index('name="unit"'):]
    assert f'<option value="{u1}" selected>' in select[:select.index("</select>")]


def test_the_ranking_links_each_number_to_its_own_records(sqlite_world):
    """"Các xã, xếp hạng": a commune's opinions and each handling state open those records;
    a rank, a count of villages or forums and a rate are not links to every opinion."""
    app, made = sqlite_world
    account(app, "tinh", "admin", commune_code=None)
    client = login(app, "tinh")
    page = client.get("/central/reports?period=2026-Q1").get_data(as_text=True)
    section = page[page.index('id="t-communes"'):]
    section = section[:section.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)[1:]
    assert rows
    states = 0
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        linked = {index: html.unescape(re.search(r'href="([^"]+)"', cell)[1])
                  for index, cell in enumerate(cells) if "href=" in cell}
        assert not set(linked) & {0, 2, 3, 4, 5, 6, 12, 13}
        for index, state in enumerate(figures.HANDLING, 8):
            if index in linked:
                assert f"handling={state}" in linked[index]
                states += 1
                shown = client.get(linked[index]).get_data(as_text=True)
                number = re.sub(r"\D", "", re.sub(r"<[^>]+>", "", cells[index]))
                assert re.search(r'id="total">(\d+)', shown)[1] == number
        assert 7 in linked and "handling" not in linked[7]
    assert states >= 2


def test_a_refused_report_leads_back_to_its_form_and_a_citizen_sees_no_office_link(
        sqlite_world):
    app, _made = sqlite_world
    client = login(app, "canbo")
    form = "http://localhost/central/reports?period=2026-Q1"
    page = client.get("/central/reports?from=2026-03-01&to=2026-01-01",
                      headers={"Referer": form})
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert f'href="{form}" id="error-back"' in text and "Về trang văn phòng" in text
    public = app.test_client().get("/public/9999")
    assert public.status_code == 404
    assert "/central/" not in public.get_data(as_text=True)


@pytest.mark.parametrize("username", ["canbo", "tinh"])
def test_every_count_on_the_dashboard_opens_as_many_records(sqlite_world, username):
    """Each count of the opinion and handling tables, their totals and their empty rows
    ("(chưa giao đơn vị)", "(chưa ghi)") among them, opens an inbox of that many records."""
    app, _made = sqlite_world
    account(app, "tinh", "admin", commune_code=None)
    client = login(app, username)
    page = client.get("/central/reports?period=2026-Q1").get_data(as_text=True)
    checked = set()
    for key in ("by_kind", "by_category", "by_village", "by_commune", "by_level",
                "by_channel", "by_source_org", "by_status", "handling_unit",
                "handling_commune"):
        if f'id="t-{key}"' not in page:
            continue
        section = page[page.index(f'id="t-{key}"'):]
        section = section[:section.index("</table>")]
        for href, number in re.findall(r'<td class="int"><a href="([^"]+)">([\d.]+)</a>',
                                       section):
            link = html.unescape(href)
            shown = client.get(link).get_data(as_text=True)
            assert re.search(r'id="total">(\d+)', shown)[1] == number.replace(".", ""), (
                key, link)
            checked.add(link)
        assert "<tfoot><tr><td" in section and "</a></td>" in section.split("<tfoot>")[1], key
    assert any("unit=0" in link for link in checked)
    assert any("source_org=none" in link for link in checked)


def test_the_csv_writes_rates_with_a_decimal_comma_for_excel_in_vietnam(sqlite_world):
    """Vietnamese Excel reads "40.0" as four hundred and "12.5" as a date: every rate is
    written "40,0"; read back the Vietnamese way, it is the dashboard's number."""
    app, made = sqlite_world
    got = files(app, "canbo")
    with app.test_request_context():
        who = db.session.execute(select(Account).where(Account.username == "canbo")
                                 ).scalar_one()
        tables = report_tables(figures.compute(who, periods.parse_code("2026-Q1"), None,
                                               vietnam_today(), True))
    rows = list(csv.reader(io.StringIO(got["csv"].decode("utf-8-sig"))))
    assert not [cell for row in rows for cell in row if re.fullmatch(r"-?\d+\.\d+", cell)]
    start = rows.index(["Giải quyết theo đơn vị"])
    unit_rows = [row for row in rows[start:] if row[:1] == ["Tổng cộng"]]
    assert unit_rows[0][:7] == ["Tổng cộng", "2", "1", "2", "1", "6", "40,0"]
    rates = 0
    for table in tables:
        start = rows.index([table.title])
        written = rows[start + 2:start + 2 + len(table.rows)]
        for row, back in zip(table.rows, written, strict=True):
            for value, cell in zip(row, back, strict=False):
                if isinstance(value, float):
                    rates += 1
                    assert re.fullmatch(r"-?\d+,\d", cell), (table.key, cell)
                    assert float(cell.replace(",", ".")) == value
                elif isinstance(value, int) and not isinstance(value, bool):
                    assert cell == str(value), (table.key, cell)
    assert rates  # the world has rates to write
