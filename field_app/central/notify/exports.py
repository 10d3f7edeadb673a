"""The messages to send by hand as files an office opens in Excel or LibreOffice Calc.

A phone number is digits with a leading zero ("0912345678"): read as a number, a
spreadsheet drops the zero. The CSV writes it as the formula ="0912345678", whose value
is that text (Excel and LibreOffice show 0912345678); the XLSX types the cell as text.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC

from flask import url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from openpyxl import Workbook

from .models import Notification

# Only a phone number (digits, "+", spaces) is ever written as a formula.
_PHONE = re.compile(r"\+?[0-9 ]{1,20}")
# What a spreadsheet would run as a formula if a cell started with it.
_FORMULA_START = ("=", "+", "-", "@")


def _headers() -> list[str]:
    return [_("Mã tin"), _("Lúc tạo"), _("Số điện thoại"), _("Nội dung"), _("Vụ việc"),
            _("Ý kiến")]


def rows(messages: list[tuple[Notification, int | None]]) -> list[list]:
    """Return the file's rows: id, when made (the office's time), phone, text, case, link."""
    made = []
    for message, case_id in messages:
        at = to_user_timezone(message.created_at.replace(tzinfo=UTC))  # stored in UTC
        made.append([message.id, at.strftime("%d/%m/%Y %H:%M"), message.phone, message.text,
                     case_id or "",
                     url_for("central.opinion", record_id=message.opinion_id, _external=True)])
    return made


def phone_cell(phone: str) -> str:
    """Return a phone number as a CSV cell a spreadsheet keeps as text: ="0912345678"."""
    if _PHONE.fullmatch(phone or ""):
        return f'="{phone}"'
    return _text_cell(phone)


def _text_cell(value):
    # A cell starting with = + - @ would run as a formula when the file is opened.
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def build_csv(messages: list[tuple[Notification, int | None]]) -> str:
    """Return the list as CSV (UTF-8 with BOM, for Excel), phone numbers kept as text."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(_headers())
    for row in rows(messages):
        writer.writerow([phone_cell(value) if index == 2 else _text_cell(value)
                         for index, value in enumerate(row)])
    return out.getvalue()


def build_xlsx(messages: list[tuple[Notification, int | None]]) -> bytes:
    """Return the list as an XLSX workbook, the phone column typed as text ("@")."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Tin nhắn gửi tay")
    sheet.append(_headers())
    for row in rows(messages):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a citizen's "=..." stays text, never a formula
        sheet.cell(row=sheet.max_row, column=3).number_format = "@"
    for column, width in zip("ABCDEF", (8, 17, 14, 80, 9, 40), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
