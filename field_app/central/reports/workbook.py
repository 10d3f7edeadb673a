"""The report as an XLSX workbook: a cover sheet, then one sheet a table with a native
bar chart beside it."""

from __future__ import annotations

import io
import re
from datetime import date

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .exports import cell_text, sheet_name
from .figures import Figures
from .tables import Table, report_tables

DATE_FORMAT = "DD/MM/YYYY"
# A format code is the same in every language: Excel and LibreOffice print "0.0" with the
# reader's decimal separator (50,0 in Vietnamese), as the dashboard and the DOCX do.
NUMBER_FORMATS = {"int": "#,##0", "percent": "0.0", "text": "@", "number": "General",
                  "date": DATE_FORMAT}
# Characters an XLSX cell cannot hold (openpyxl refuses them).
_CELL_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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
