"""Days and times as people type them, and as the browser's date inputs send them.

A village head types the Vietnamese way, day first: "05/12/2026", "05/12/2026 08:30"
(an old browser shows a date box as plain text). The browser's own date and
datetime-local inputs send ISO ("2026-12-05", "2026-12-05T08:30"). Both are taken
everywhere a day or a meeting time is read, by these two functions.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

# Day first, as written in Vietnam: 5/12/2026, 05-12-2026, 05.12.2026.
_DAY_FIRST = r"(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})"
_ISO_DAY = r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
# 08:30, 8:30:00, and "8h30" / "8h" as often written by hand.
_TIME = r"(?P<H>\d{1,2})(?::(?P<M>\d{2})(?::(?P<S>\d{2}))?|[hH](?P<hM>\d{2})?)"
DAY_PATTERNS = (re.compile(_DAY_FIRST), re.compile(_ISO_DAY))
MOMENT_PATTERNS = tuple(re.compile(day + r"(?:\s*[T ]\s*|\s+)" + _TIME)
                        for day in (_DAY_FIRST, _ISO_DAY))


def _day_of(match: re.Match) -> date:
    return date(int(match["y"]), int(match["m"]), int(match["d"]))


def parse_day(text: str) -> date:
    """Return the day typed as dd/mm/yyyy or sent as ISO yyyy-mm-dd; raise ValueError."""
    value = (text or "").strip()
    for pattern in DAY_PATTERNS:
        if match := pattern.fullmatch(value):
            return _day_of(match)
    raise ValueError(f"not a day: {text!r}")


def parse_moment(text: str) -> datetime:
    """Return the wall-clock time typed as dd/mm/yyyy hh:mm or sent as ISO
    (yyyy-mm-ddThh:mm[:ss], the datetime-local input's form); raise ValueError."""
    value = (text or "").strip()
    for pattern in MOMENT_PATTERNS:
        if match := pattern.fullmatch(value):
            minute = match["M"] or match["hM"] or "0"
            return datetime.combine(_day_of(match), time(int(match["H"]), int(minute),
                                                         int(match["S"] or 0)))
    raise ValueError(f"not a day and time: {text!r}")
