"""The report as files: XLSX (one sheet a table, native charts), CSV, and a DOCX in the
form of a commune administrative document (Nghị định 30/2020).

All three lay out `report_tables(figures)`: the numbers are the dashboard's. The XLSX and
the DOCX are written in `workbook` and `document`, loaded when a file is asked for:
openpyxl and python-docx are ~16 MB a central process need not hold to ingest and answer.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from functools import lru_cache

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask_babel import get_locale
from flask_babel import gettext as _

from ...areas.logic import issuing_body, province_of
from ...forums.minutes import clean, commune_short_name, nd30_date
from .figures import Figures
from .tables import Table, report_tables

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV_TYPE = "text/csv; charset=utf-8"
TYPES = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE, "docx": DOCX_TYPE}
# Excel refuses these in a sheet name; a name holds at most 31 characters.
SHEET_NAME_MOST = 31
_SHEET_UNSAFE = re.compile(r"[\[\]*?\\]")
_SHEET_COLON = re.compile(r"\s*:\s*")
_SHEET_SLASH = re.compile(r"\s*/\s*")
# A cut title does not end on a word that needs the next one ("…và", "…of the").
_DANGLING = frozenset("và của có theo do các trong với cho the a an and of by to for with in"
                      .split())


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


def build_csv(figures: Figures) -> bytes:
    """Return every table one after another in one CSV (UTF-8 with BOM, for Excel;
    dates dd/mm/yyyy and rates with a decimal comma, as Excel in Vietnam reads them)."""
    out = io.StringIO()
    writer = csv.writer(out)
    # As the office says it ("Quý I/2026", dates as dd/mm/yyyy), then the code scripts ask by.
    writer.writerow([_("Kỳ báo cáo"), figures.period.label, _csv_cell(figures.period.start),
                     _csv_cell(figures.period.end), figures.period.code])
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
    if isinstance(value, float | Decimal):
        # Excel in Vietnam takes "," for the decimal mark and "." between thousands: it
        # would read "40.0" as 400 and "12.5" as a date. Rates have one decimal.
        return f"{value:.1f}".replace(".", ",")
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
        parent, body = issuing_body(figures.commune)
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


def reporter(figures: Figures) -> str:
    """Return who reports, as the opening sentence names it ("UBND xã Mường La")."""
    if figures.commune:
        return _("UBND %(commune)s", commune=_commune_name(figures))
    province = _province(figures)
    if province:
        return _("UBND %(province)s", province=province[:1].lower() + province[1:])
    return _("cơ quan tổng hợp báo cáo")


def recipients(figures: Figures) -> tuple[str, ...]:
    """Return the lines of "Nơi nhận": a commune's report goes up, a province's summary
    goes to its Front and back to the communes."""
    if figures.commune:
        return (_("- UBND tỉnh (qua Sở Nội vụ);"), _("- Ủy ban MTTQ Việt Nam xã;"),
                _("- Các bản, thôn;"), _("- Lưu: VT."))
    return (_("- Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh;"), _("- UBND các xã;"),
            _("- Lưu: VT."))


def build(kind: str, figures: Figures) -> bytes:
    """Return the report as a file of `kind` ("xlsx", "csv" or "docx")."""
    if kind == "csv":
        return build_csv(figures)
    if kind == "xlsx":
        from .workbook import build_xlsx
        return build_xlsx(figures)
    from .document import build_docx
    return build_docx(figures)
