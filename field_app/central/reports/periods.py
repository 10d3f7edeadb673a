"""Reporting periods: the official windows of seed 003, calendar months and custom ranges.

Seed 003 (Kế hoạch CCHC) fixes the data cut-offs: Q1 runs from 10 December of
the previous year to 9 March; the half-year from 10 December to 9 June; Q3
from 10 June to 9 September; the year from 10 December to 9 December. A report
is due by the 10th of the last month of its period, i.e. the day after a
seed-003 cut-off. For a calendar month or a custom range the same rule gives
the first 10th after the range ends (March 2026 is due on 10 April 2026).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from ...errors import AppError

CUT_OFF_DAY = 10  # the 10th: a window starts on it, a report is due on it
# Seed 003's windows: (start month, start in the previous year?, end month).
OFFICIAL = {
    "Q1": (12, True, 3),
    "H1": (12, True, 6),
    "Q3": (6, False, 9),
    "Y": (12, True, 12),
}
CODE = re.compile(r"^(?P<year>\d{4})-(?P<part>Q1|H1|Q3|Y|\d{2})$")
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
# A custom range longer than this is a typing slip, not a report.
LONGEST_DAYS = 3 * 366


class BadPeriod(AppError):
    """A period code or range that names no period."""

    status = 400
    code = "bad_period"


@dataclass(frozen=True)
class Period:
    """A reporting window, both ends included, and the day its report is due."""

    code: str
    start: date
    end: date

    @property
    def due(self) -> date:
        """Return the first 10th of a month after the end (seed 003's due day)."""
        after = self.end + timedelta(days=1)
        if after.day <= CUT_OFF_DAY:
            return after.replace(day=CUT_OFF_DAY)
        following = (after.replace(day=1) + timedelta(days=32)).replace(day=CUT_OFF_DAY)
        return following

    def days_left(self, today: date) -> int:
        """Return the days from `today` to the due date (negative once it has passed)."""
        return (self.due - today).days

    @property
    def label(self) -> str:
        """Return the period's name as the office says it ("Quý I/2026"), as it reads
        after "Báo cáo" ("Báo cáo từ 01/01/2026 đến 28/02/2026")."""
        found = CODE.match(self.code)
        if found is None:
            return _("từ %(start)s đến %(end)s", start=f"{self.start:%d/%m/%Y}",
                     end=f"{self.end:%d/%m/%Y}")
        year, part = found["year"], found["part"]
        names = {"Q1": _("Quý I/%(year)s", year=year),
                 "H1": _("6 tháng đầu năm %(year)s", year=year),
                 "Q3": _("Quý III/%(year)s", year=year),
                 "Y": _("Năm %(year)s", year=year)}
        return names.get(part) or _("Tháng %(month)s/%(year)s", month=part, year=year)

    @property
    def year_start(self) -> date:
        """Return the start of the reporting year the period ends in (10 Dec before)."""
        return reporting_year_start(self.end)

    def as_json(self, today: date) -> dict:
        return {"code": self.code, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "due": self.due.isoformat(), "days_left": self.days_left(today),
                "label": self.label, "year_start": self.year_start.isoformat()}


def reporting_year_start(day: date) -> date:
    """Return 10 December that opens the reporting year holding `day`."""
    opening = date(day.year, 12, CUT_OFF_DAY)
    return opening if day >= opening else date(day.year - 1, 12, CUT_OFF_DAY)


def _month_end(year: int, month: int) -> date:
    return (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def official(year: int, part: str) -> Period:
    """Return one of seed 003's windows (`part` Q1, H1, Q3 or Y) of `year`."""
    start_month, previous_year, end_month = OFFICIAL[part]
    start = date(year - 1 if previous_year else year, start_month, CUT_OFF_DAY)
    end = date(year, end_month, CUT_OFF_DAY - 1)
    return Period(f"{year}-{part}", start, end)


def month(year: int, number: int) -> Period:
    """Return a calendar month."""
    return Period(f"{year}-{number:02d}", date(year, number, 1), _month_end(year, number))


def custom(start: date, end: date) -> Period:
    """Return a custom range, both days included."""
    if end < start:
        raise BadPeriod(_("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu."),
                        {"from": start.isoformat(), "to": end.isoformat()})
    if (end - start).days > LONGEST_DAYS:
        raise BadPeriod(_("Khoảng thời gian dài quá 3 năm."),
                        {"from": start.isoformat(), "to": end.isoformat()})
    return Period(f"{start.isoformat()}..{end.isoformat()}", start, end)


def parse_code(code: str) -> Period:
    """Return the period a code names: 2026-Q1, 2026-H1, 2026-Q3, 2026-Y or 2026-03."""
    found = CODE.match(code.strip())
    if found is None:
        raise BadPeriod(_("Mã kỳ báo cáo không hợp lệ: %(code)s. Hãy dùng dạng 2026-Q1, "
                          "2026-H1, 2026-Q3, 2026-Y hoặc 2026-03.", code=code[:40]),
                        {"period": code[:40]})
    year, part = int(found["year"]), found["part"]
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise BadPeriod(_("Năm phải từ %(min)d đến %(max)d.", min=EARLIEST_YEAR,
                          max=LATEST_YEAR), {"period": code[:40]})
    if part in OFFICIAL:
        return official(year, part)
    if not 1 <= int(part) <= 12:
        raise BadPeriod(_("Tháng phải từ 01 đến 12."), {"period": code[:40]})
    return month(year, int(part))


def _day(value: str, name: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise BadPeriod(_("Ngày không hợp lệ (hãy viết YYYY-MM-DD): %(value)s",
                          value=value[:20]), {name: value[:20]}) from None
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise BadPeriod(_("Năm phải từ %(min)d đến %(max)d.", min=EARLIEST_YEAR,
                          max=LATEST_YEAR), {name: value[:20]})
    return day


def current(today: date) -> Period:
    """Return the shortest seed-003 window holding `today` (the report being prepared)."""
    year = today.year + 1 if today >= date(today.year, 12, CUT_OFF_DAY) else today.year
    for part in ("Q1", "H1", "Q3", "Y"):
        window = official(year, part)
        if window.start <= today <= window.end:
            return window
    return official(year, "Y")


def from_args(args, today: date) -> Period:
    """Read `period=CODE` or `from=…&to=…` from query arguments; none: the current window."""
    code = (args.get("period") or "").strip()
    start, end = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    if code and (start or end):
        raise BadPeriod(_("Hãy chọn hoặc mã kỳ báo cáo, hoặc khoảng từ ngày – đến ngày."),
                        {"period": code[:40]})
    if start or end:
        if not (start and end):
            raise BadPeriod(_("Hãy nhập cả từ ngày và đến ngày."), {})
        return custom(_day(start, "from"), _day(end, "to"))
    if code:
        return parse_code(code)
    return current(today)


def choices(today: date) -> list[Period]:
    """Return the periods the picker offers: this and last year's windows, recent months."""
    year = current(today).end.year
    offered = [official(y, part) for y in (year, year - 1) for part in ("Q1", "H1", "Q3", "Y")]
    first = date(today.year, today.month, 1)
    for back in range(12):
        day = first
        for _step in range(back):
            day = (day - timedelta(days=1)).replace(day=1)
        offered.append(month(day.year, day.month))
    return offered
