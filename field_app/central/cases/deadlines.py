"""Legal deadlines of a case: days counted from the day it was received (plain Python).

A rule counts calendar days or working days. Working days skip Saturdays, Sundays
and Vietnam's public holidays, lunar ones included (Tết, Giỗ Tổ Hùng Vương) and the
days off the government moves, from the maintained `holidays` calendar rather than
a list typed here. A deadline that falls on a day off in calendar counting moves to
the next working day (Bộ luật Dân sự 2015, art. 148: the last day being a day off,
the period ends on the next working day).

Defaults (Luật Khiếu nại 2011 art. 27–28, Luật Tố cáo 2018 art. 30): khiếu nại —
accepted within 10 days, resolved within 30 days of acceptance (45 if complex; in
remote areas 45, or 60 if complex); tố cáo — 30 days, up to two extensions of 30
days each, each with a reason; kiến nghị, phản ánh, ý kiến — the commune's default,
15 days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays

# Each extension of a tố cáo needs a reason; at most this many.
MAX_EXTENSIONS = 2


@dataclass(frozen=True)
class Rule:
    """How long a kind of case may take; `working`: count working days, else calendar days."""

    kind: str
    days: int
    working: bool = False
    # khiếu nại: the acceptance (thụ lý) period; 0: no separate acceptance step.
    accept_days: int = 0
    # Longer periods for a complex case, a remote area, or both (0: same as `days`).
    complex_days: int = 0
    remote_days: int = 0
    remote_complex_days: int = 0
    # tố cáo: how long one extension is, and how many may be granted.
    extension_days: int = 0
    max_extensions: int = 0

    def period(self, complex_case: bool = False, remote: bool = False) -> int:
        """Return the resolve period in days for a case marked complex and/or remote."""
        if remote and complex_case and self.remote_complex_days:
            return self.remote_complex_days
        if remote and self.remote_days:
            return self.remote_days
        if complex_case and self.complex_days:
            return self.complex_days
        return self.days


DEFAULT_RULES: dict[str, Rule] = {
    "complaint": Rule("complaint", 30, accept_days=10, complex_days=45, remote_days=45,
                      remote_complex_days=60),
    "denunciation": Rule("denunciation", 30, extension_days=30, max_extensions=MAX_EXTENSIONS),
    "petition": Rule("petition", 15),
    "feedback": Rule("feedback", 15),
    "opinion": Rule("opinion", 15),
}


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year))


def is_day_off(day: date) -> bool:
    """Tell whether `day` is a Saturday, a Sunday or a Vietnamese public holiday."""
    return day.weekday() >= 5 or day in _holidays_of(day.year)


def next_working_day(day: date) -> date:
    """Return `day` itself if it is a working day, else the first working day after it."""
    while is_day_off(day):
        day += timedelta(days=1)
    return day


def add_days(start: date, days: int, working: bool) -> date:
    """Return the last day of a period of `days` counted from the day after `start`.

    Working days: only working days count. Calendar days: every day counts, and a
    period ending on a day off ends on the next working day.
    """
    if days < 0:
        raise ValueError("a period cannot be negative")
    if not working:
        return next_working_day(start + timedelta(days=days)) if days else start
    day = start
    left = days
    while left:
        day += timedelta(days=1)
        if not is_day_off(day):
            left -= 1
    return day


@dataclass
class Deadlines:
    """The computed deadlines of a case."""

    due_on: date
    accept_due_on: date | None = None
    extended_days: list[int] = field(default_factory=list)


def due_dates(rule: Rule, received_on: date, *, accepted_on: date | None = None,
              complex_case: bool = False, remote: bool = False,
              extensions: int = 0) -> Deadlines:
    """Return when a case received on `received_on` must be accepted and resolved.

    A rule with an acceptance step (khiếu nại) counts the resolve period from the
    day the case was accepted (`accepted_on`, or the last day it may be accepted);
    other rules count from the day received. Each extension (tố cáo) adds its
    period after the previous deadline.
    """
    if extensions < 0 or extensions > rule.max_extensions:
        raise ValueError(f"at most {rule.max_extensions} extensions")
    accept_due = add_days(received_on, rule.accept_days, rule.working) \
        if rule.accept_days else None
    start = received_on
    if accept_due is not None:
        start = min(accepted_on, accept_due) if accepted_on else accept_due
        start = max(start, received_on)
    due = add_days(start, rule.period(complex_case, remote), rule.working)
    for _ in range(extensions):
        due = add_days(due, rule.extension_days, rule.working)
    return Deadlines(due, accept_due, [rule.extension_days] * extensions)


def days_late(due_on: date | None, on: date) -> int:
    """Return how many calendar days past `due_on` the day `on` is (0 if not late)."""
    if due_on is None or on <= due_on:
        return 0
    return (on - due_on).days
