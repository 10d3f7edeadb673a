"""The report as a DOCX in the form of a commune administrative document (Nghị định
30/2020), laid out with the forum minutes' helpers."""

from __future__ import annotations

import io
from datetime import date

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask_babel import gettext as _

from ...forums.minutes import clean
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
from .exports import cell_text, document_lines, recipients, reporter
from .figures import Figures
from .tables import Table, report_tables


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
                 body=reporter(figures), p=figures.period.label))
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
    for line in recipients(figures):
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
