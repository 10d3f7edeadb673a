"""The report as files: XLSX (one sheet a table, native charts), CSV, and a DOCX in the
form of a commune administrative document (Nghị định 30/2020).

All three lay out `report_tables(figures)`: the numbers are the dashboard's.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from functools import lru_cache

from babel.numbers import get_decimal_symbol, get_group_symbol
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask_babel import get_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from ...areas.logic import province_of
from ...forums.minutes import clean, commune_short_name, nd30_date
from ...forums.minutes_docx import (
    SMALL_SIZE,
    _cell_para,
    _no_borders,
    _page_field,
    _para,
    _set_fonts,
    _widths,
    decree_30_page,
)
from .figures import Figures
from .tables import Table, report_tables

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV_TYPE = "text/csv; charset=utf-8"
DATE_FORMAT = "DD/MM/YYYY"
# A format code is the same in every language: Excel and LibreOffice print "0.0" with the
# reader's decimal separator (50,0 in Vietnamese), as the dashboard and the DOCX do.
NUMBER_FORMATS = {"int": "#,##0", "percent": "0.0", "text": "@", "number": "General",
                  "date": DATE_FORMAT}
# Excel refuses these in a sheet name; a name holds at most 31 characters.
SHEET_NAME_MOST = 31
_SHEET_UNSAFE = re.compile(r"[\[\]*?\\]")
_SHEET_COLON = re.compile(r"\s*:\s*")
_SHEET_SLASH = re.compile(r"\s*/\s*")
# A cut title does not end on a word that needs the next one ("…và", "…of the").
_DANGLING = frozenset("và của có theo do các trong với cho the a an and of by to for with in"
                      .split())
# Characters an XLSX cell cannot hold (openpyxl refuses them).
_CELL_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _province(figures: Figures) -> str | None:
    """Return the full name of the report's province ("Tỉnh Sơn La"): the commune's, or
    the one every commune of an all-communes report belongs to; None if not one."""
    codes = ([figures.commune] if figures.commune
             else [row["commune"] for row in figures.data.get("communes", [])])
    names = {province_of(code) for code in codes}
    return names.pop() if len(names) == 1 else None


def _place(figures: Figures) -> str:
    """Return the place a document is issued at: the commune, else the province."""
    if figures.commune_name:
        return commune_short_name(figures.commune_name.split(" (")[0])
    province = _province(figures)
    # Unknown: left as dots, for the office to write in (a form's blank).
    return province.removeprefix("Tỉnh ").removeprefix("Thành phố ") if province else "……"


def filename(figures: Figures, extension: str) -> str:
    """Return "bao-cao-3808-2026-Q1.xlsx"."""
    code = figures.period.code.replace("..", "_")
    return f"bao-cao-{figures.commune or 'tinh'}-{code}.{extension}"


def _words_within(text: str, most: int) -> str:
    """Return `text` cut at the last word boundary within `most` characters."""
    if len(text) <= most:
        return text
    if " " not in text[:most + 1]:
        return text[:most]
    words = text[:most + 1].rsplit(" ", 1)[0].split()
    while len(words) > 1 and (words[-1].lower().strip("–-,;(") or "và") in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(" –-,;(")


def sheet_name(table: Table, used: set[str]) -> str:
    """Return a sheet name that reads as the table's title, unique in the workbook.

    Excel refuses ":" and "/" and holds 31 characters: "Trễ hạn: lý do" becomes "Trễ hạn
    – lý do", "Bản/thôn" "Bản, thôn"; a longer title keeps what comes before its colon
    ("Vụ việc trễ hạn: giải trình và xin lỗi": "Vụ việc trễ hạn"), else is cut at a word,
    never in the middle of one nor after a word that needs the next ("và", "of").
    """
    title = _SHEET_SLASH.sub(", ", _SHEET_COLON.sub(" – ", table.title))
    title = " ".join(_SHEET_UNSAFE.sub(" ", title).split()).strip("'– ")
    if len(title) > SHEET_NAME_MOST and " – " in title:
        title = title.split(" – ")[0]  # the part before the colon says what the table is
    base = _words_within(title, SHEET_NAME_MOST) or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = _words_within(base, SHEET_NAME_MOST - len(suffix)) + suffix, n + 1
    used.add(name.lower())
    return name


def _cell(value):
    if isinstance(value, str):
        return _CELL_UNSAFE.sub("", value)
    return value


def _append(sheet, values) -> None:
    """Append a row; a text starting with "=" (a citizen's words) stays text, never a formula."""
    sheet.append([_cell(value) for value in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def build_xlsx(figures: Figures) -> bytes:
    """Return the report as an XLSX workbook: a cover sheet, then one sheet a table."""
    book = Workbook()
    cover = book.active
    cover.title = _("Báo cáo")
    bold = Font(bold=True)
    period = figures.period
    facts = [(_("Báo cáo kết quả \"Chính quyền lắng nghe ý kiến Nhân dân\""), ""),
             (_("Đơn vị"), figures.commune_name or _("Toàn tỉnh (mọi xã)")),
             (_("Kỳ báo cáo"), period.label), (_("Từ ngày"), period.start),
             (_("Đến hết ngày"), period.end), (_("Hạn gửi báo cáo"), period.due),
             (_("Số liệu tính đến ngày"), date.fromisoformat(figures.data["as_of"]))]
    for row in facts:
        cover.append(list(row))
    cover["A1"].font = Font(bold=True, size=14)
    for cells in cover.iter_rows(min_row=4, max_row=7, min_col=2, max_col=2):
        for cell in cells:
            cell.number_format = DATE_FORMAT
    cover.column_dimensions["A"].width = 34
    cover.column_dimensions["B"].width = 40
    thin = Side(style="thin", color="999999")
    fill = PatternFill("solid", fgColor="DDEBDD")
    used = {cover.title.lower()}
    for table in report_tables(figures):
        sheet = book.create_sheet(sheet_name(table, used))
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(table.headers)
        for cell in sheet[2]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            cell.border = Border(bottom=thin)
        for row in table.rows:
            _append(sheet, row)
        last = sheet.max_row
        if table.total is not None:
            _append(sheet, table.total)
            for cell in sheet[sheet.max_row]:
                cell.font = bold
                cell.border = Border(top=thin)
        for index, kind in enumerate(table.formats, 1):
            for cells in sheet.iter_rows(min_row=3, max_row=sheet.max_row, min_col=index,
                                         max_col=index):
                for cell in cells:
                    if isinstance(cell.value, date):  # a real date, whatever the column
                        cell.number_format = DATE_FORMAT
                    elif kind != "text" or isinstance(cell.value, str):
                        cell.number_format = NUMBER_FORMATS[kind]
            widest = max([len(str(table.headers[index - 1]))]
                         + [len(cell_text(row[index - 1], kind)) for row in table.rows[:200]])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(10, widest + 2),
                                                                          60)
        sheet.freeze_panes = "A3"  # the title and the header stay in view
        if table.note:
            sheet.append([])
            sheet.append([table.note])
        if table.chart and table.rows:
            _chart(sheet, table, last)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _chart(sheet, table: Table, last: int) -> None:
    """Add a native Excel bar chart of the table's chart columns beside it."""
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = table.title
    if table.chart == "stacked":
        chart.grouping, chart.overlap = "stacked", 100
    for column in table.chart_columns:
        data = Reference(sheet, min_col=column + 1, min_row=2, max_row=last)
        chart.add_data(data, titles_from_data=True)
    labels = Reference(sheet, min_col=table.label_column + 1, min_row=3, max_row=last)
    chart.set_categories(labels)
    # The axis and the bars' labels print as the cells do ("0.0": 50,0 for a Vietnamese
    # reader), not in the spreadsheet's default General.
    code = NUMBER_FORMATS[table.formats[table.chart_columns[0]]]
    chart.y_axis.number_format = code
    if len(table.chart_columns) == 1:  # a stack's parts would crowd their bars
        # Each flag said: Excel reads a missing one as shown (series and category names too).
        chart.dataLabels = DataLabelList(numFmt=code, showVal=True, showLegendKey=False,
                                         showCatName=False, showSerName=False,
                                         showPercent=False, showBubbleSize=False)
    chart.height = max(7.5, 0.6 * (last - 2) + 3)
    chart.width = 18
    sheet.add_chart(chart, f"{get_column_letter(len(table.headers) + 2)}2")


def build_csv(figures: Figures) -> bytes:
    """Return every table one after another in one CSV (UTF-8 with BOM, for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Kỳ báo cáo"), figures.period.code, figures.period.start.isoformat(),
                     figures.period.end.isoformat()])
    for table in report_tables(figures):
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.headers)
        writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
        if table.total is not None:
            writer.writerow([_csv_cell(value) for value in table.total])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value):
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    # A cell starting with = + - @ would run as a formula when the file is opened.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


# --- DOCX ----------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _separators(locale: str) -> tuple[str, str]:
    return get_group_symbol(locale), get_decimal_symbol(locale)


def cell_text(value, kind: str) -> str:
    """Return a cell as the DOCX, the dashboard and its charts print it, with the
    language's separators ("1.234", "96,5" in Vietnamese; "1,234", "96.5" in English)."""
    if value is None or value == "":
        return "–" if kind not in ("text", "date") else ""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if kind == "number":
        kind = "int" if isinstance(value, int) else "percent"
    if kind in ("int", "percent") and isinstance(value, (int, float)):
        group, decimal = _separators(str(get_locale() or "vi"))
        if kind == "int" and isinstance(value, int):
            return f"{value:,}".replace(",", group)
        return f"{value:.1f}".replace(".", decimal)
    return clean(value)


def _commune_name(figures: Figures) -> str:
    """Return "xã Mường La" from "Xã Mường La (Sơn La)", as a sentence names it."""
    name = (figures.commune_name or "").split(" (")[0]
    return name[:1].lower() + name[1:]


def document_lines(figures: Figures, issued: date) -> dict[str, str]:
    """Return the header lines of the DOCX (also what the tests read back)."""
    place = _place(figures)
    province = _province(figures)
    # Nghị định 30/2020: the issuing body in full; its parent may be abbreviated.
    if figures.commune:
        body = _("Ủy ban nhân dân %(commune)s", commune=_commune_name(figures)).upper()
        parent = _("UBND %(province)s", province=province).upper() if province else ""
    else:  # all communes: a document of the province's committee
        body = (_("Ủy ban nhân dân %(province)s", province=province).upper() if province
                else _("CƠ QUAN TỔNG HỢP BÁO CÁO"))
        parent = ""
    return {"parent": parent, "body": body,
            "nation": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "motto": "Độc lập - Tự do - Hạnh phúc",
            "number": _("Số: …… /BC-UBND"),
            "place_date": f"{place}, {nd30_date(issued)}",
            "kind": _("BÁO CÁO"),
            "title": _("Kết quả thực hiện \"Chính quyền lắng nghe ý kiến Nhân dân\" %(p)s",
                       p=figures.period.label),
            "span": _("(Số liệu từ ngày %(start)s đến hết ngày %(end)s)",
                      start=f"{figures.period.start:%d/%m/%Y}",
                      end=f"{figures.period.end:%d/%m/%Y}")}


def _reporter(figures: Figures) -> str:
    """Return who reports, as the opening sentence names it ("UBND xã Mường La")."""
    if figures.commune:
        return _("UBND %(commune)s", commune=_commune_name(figures))
    province = _province(figures)
    if province:
        return _("UBND %(province)s", province=province[:1].lower() + province[1:])
    return _("cơ quan tổng hợp báo cáo")


def _recipients(figures: Figures) -> tuple[str, ...]:
    """Return the lines of "Nơi nhận": a commune's report goes up, a province's summary
    goes to its Front and back to the communes."""
    if figures.commune:
        return (_("- UBND tỉnh (qua Sở Nội vụ);"), _("- Ủy ban MTTQ Việt Nam xã;"),
                _("- Các bản, thôn;"), _("- Lưu: VT."))
    return (_("- Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh;"), _("- UBND các xã;"),
            _("- Lưu: VT."))


def build_docx(figures: Figures, issued: date | None = None) -> bytes:
    """Return the report as a commune's administrative document (Nghị định 30/2020)."""
    issued = issued or figures.today
    lines = document_lines(figures, issued)
    doc = Document()
    decree_30_page(doc)
    section = doc.sections[0]
    for style in ("Table Grid",):
        _set_fonts(doc.styles[style].element.get_or_add_rPr())
    doc.core_properties.title = lines["title"]
    doc.core_properties.author = "Lắng Nghe"
    doc.core_properties.language = "vi-VN"
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(header)

    top = doc.add_table(rows=2, cols=2)
    top.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(top)
    _widths(top, (Cm(6.5), Cm(9.5)))
    left, right = top.rows[0].cells
    if lines["parent"]:
        _cell_para(left, lines["parent"], first=True, size=SMALL_SIZE)
    _cell_para(left, lines["body"], first=not lines["parent"], bold=True, underline=True,
               size=SMALL_SIZE)
    _cell_para(right, lines["nation"], first=True, bold=True, size=Pt(12))
    _cell_para(right, lines["motto"], bold=True, underline=True, size=SMALL_SIZE)
    number, place = top.rows[1].cells
    _cell_para(number, lines["number"], first=True, size=SMALL_SIZE)
    _cell_para(place, lines["place_date"], first=True, italic=True, size=SMALL_SIZE)

    _para(doc, lines["kind"], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
          after=Pt(0)).paragraph_format.space_before = Pt(12)
    _para(doc, lines["title"], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
          after=Pt(0))
    _para(doc, lines["span"], italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _para(doc, _("Thực hiện Kế hoạch cải cách hành chính và mô hình \"Chính quyền lắng nghe ý "
                 "kiến Nhân dân\", %(body)s báo cáo kết quả %(p)s như sau:",
                 body=_reporter(figures), p=figures.period.label))
    for number_, table in enumerate(report_tables(figures), 1):
        _para(doc, f"{number_}. {table.title}", bold=True, keep_next=True,
              align=WD_ALIGN_PARAGRAPH.LEFT)
        if table.note:
            _para(doc, table.note, italic=True, size=Pt(12))
        _docx_table(doc, table)
    _para(doc, _("Trên đây là báo cáo kết quả %(p)s./.", p=figures.period.label))

    sign = doc.add_table(rows=1, cols=2)
    _no_borders(sign)
    _widths(sign, (Cm(8), Cm(8)))
    left, right = sign.rows[0].cells
    _cell_para(left, _("Nơi nhận:"), first=True, bold=True, italic=True, size=Pt(12),
               align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in _recipients(figures):
        _cell_para(left, line, size=Pt(11), align=WD_ALIGN_PARAGRAPH.LEFT)
    _cell_para(right, _("TM. ỦY BAN NHÂN DÂN"), first=True, bold=True, size=Pt(13))
    _cell_para(right, _("CHỦ TỊCH"), bold=True, size=Pt(13))
    _cell_para(right, "")
    _cell_para(right, "")
    _cell_para(right, "")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# A document, not a data set: a long list (a province's villages, the late list) is cut
# here, said so under the table, and given whole in the XLSX and the CSV.
DOCX_MOST_ROWS = 100


def _docx_table(doc, table: Table) -> None:
    rows = table.rows[:DOCX_MOST_ROWS] if table.rows else [[""] * len(table.headers)]
    grid = doc.add_table(rows=1, cols=len(table.headers))
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    size = Pt(11) if len(table.headers) > 5 else Pt(12)
    for cell, head in zip(grid.rows[0].cells, table.headers, strict=True):
        _cell_para(cell, clean(head), first=True, bold=True, size=size)
    _repeat_header(grid.rows[0])
    for row in rows + ([table.total] if table.total is not None else []):
        cells = grid.add_row().cells
        for cell, value, kind in zip(cells, row, table.formats, strict=True):
            _cell_para(cell, cell_text(value, kind), first=True, size=size,
                       bold=row is table.total,
                       align=WD_ALIGN_PARAGRAPH.LEFT if kind == "text"
                       else WD_ALIGN_PARAGRAPH.RIGHT)
    if len(table.rows) > DOCX_MOST_ROWS:
        _para(doc, _("(Còn %(n)d dòng nữa: xem đầy đủ trong tệp XLSX.)",
                     n=len(table.rows) - DOCX_MOST_ROWS), italic=True, size=Pt(12))
    doc.add_paragraph().paragraph_format.space_after = Pt(0)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    mark = OxmlElement("w:tblHeader")
    mark.set(qn("w:val"), "true")
    tr_pr.append(mark)

