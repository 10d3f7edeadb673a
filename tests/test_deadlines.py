"""Legal deadlines of cases: calendar and working days over Vietnam's real holidays
(the `holidays` package's calendar, lunar ones included)."""

from __future__ import annotations

from datetime import date

import pytest

from field_app.central.cases.deadlines import (
    DEFAULT_RULES,
    Rule,
    add_days,
    days_late,
    due_dates,
    is_day_off,
    next_working_day,
)


@pytest.mark.parametrize(("day", "off"), [
    (date(2026, 2, 17), True),   # Tết Bính Ngọ (lunar 1/1)
    (date(2026, 2, 16), True),   # the eve of Tết
    (date(2026, 2, 20), True),   # the fourth day of Tết
    (date(2026, 2, 23), False),  # back to work after Tết
    (date(2027, 2, 6), True),    # Tết Đinh Mùi: a different solar date each year
    (date(2026, 4, 26), True),   # Giỗ Tổ Hùng Vương (lunar 10/3), a Sunday…
    (date(2026, 4, 27), True),   # …taken off on the Monday
    (date(2027, 4, 16), True),   # Giỗ Tổ Hùng Vương 2027, a Friday
    (date(2026, 4, 30), True),
    (date(2026, 5, 1), True),
    (date(2026, 9, 2), True),
    (date(2026, 9, 1), True),
    (date(2026, 1, 1), True),
    (date(2026, 11, 28), True),  # a Saturday
    (date(2026, 11, 29), True),  # a Sunday
    (date(2026, 11, 30), False),  # a plain Monday
])
def test_days_off_are_weekends_and_vietnamese_holidays(day, off):
    assert is_day_off(day) is off


@pytest.mark.parametrize(("start", "days", "working", "expected"), [
    # Working days across Tết 2026 (16–20/2 off, then a weekend).
    (date(2026, 2, 13), 5, True, date(2026, 2, 27)),
    (date(2026, 2, 13), 1, True, date(2026, 2, 23)),
    # 30/4–1/5 and the weekend after.
    (date(2026, 4, 29), 1, True, date(2026, 5, 4)),
    # Giỗ Tổ Hùng Vương: 2026 on a Sunday (Monday off), 2027 on a Friday.
    (date(2026, 4, 24), 1, True, date(2026, 4, 28)),
    (date(2027, 4, 15), 1, True, date(2027, 4, 19)),
    # 2/9 (with 31/8 and 1/9 off in 2026).
    (date(2026, 8, 28), 1, True, date(2026, 9, 3)),
    # Over the new year: 1/1/2027 is a Friday.
    (date(2026, 12, 30), 3, True, date(2027, 1, 5)),
    # Weekends only.
    (date(2026, 11, 27), 1, True, date(2026, 11, 30)),
    (date(2026, 11, 30), 5, True, date(2026, 12, 7)),
    (date(2026, 11, 30), 15, True, date(2026, 12, 21)),
    # Calendar days: every day counts; a period ending on a day off ends on the next
    # working day (Tết: 19/2 → 23/2).
    (date(2026, 1, 20), 30, False, date(2026, 2, 23)),
    (date(2026, 11, 2), 30, False, date(2026, 12, 2)),
    (date(2026, 11, 9), 5, False, date(2026, 11, 16)),  # Saturday 14 → Monday 16
    (date(2026, 12, 2), 30, False, date(2027, 1, 4)),   # 1/1 then a weekend
    (date(2026, 11, 2), 0, False, date(2026, 11, 2)),
    (date(2026, 11, 2), 0, True, date(2026, 11, 2)),
])
def test_periods_count_calendar_or_working_days(start, days, working, expected):
    assert add_days(start, days, working) == expected


def test_a_negative_period_is_refused():
    with pytest.raises(ValueError):
        add_days(date(2026, 11, 2), -1, True)


def test_next_working_day_leaves_a_working_day_alone():
    assert next_working_day(date(2026, 11, 30)) == date(2026, 11, 30)
    assert next_working_day(date(2026, 2, 14)) == date(2026, 2, 23)


COMPLAINT = DEFAULT_RULES["complaint"]


@pytest.mark.parametrize(("complex_case", "remote", "due"), [
    (False, False, date(2026, 12, 14)),  # 12/11 + 30 = Saturday 12/12 → Monday
    (True, False, date(2026, 12, 28)),   # + 45 = Sunday 27/12 → Monday
    (False, True, date(2026, 12, 28)),   # remote: 45
    (True, True, date(2027, 1, 11)),     # remote and complex: 60
])
def test_a_complaint_is_accepted_in_10_days_and_resolved_in_30_45_or_60(complex_case, remote,
                                                                       due):
    deadlines = due_dates(COMPLAINT, date(2026, 11, 2), complex_case=complex_case,
                          remote=remote)
    assert deadlines.accept_due_on == date(2026, 11, 12)
    assert deadlines.due_on == due


def test_a_complaint_resolves_from_the_day_it_was_accepted():
    deadlines = due_dates(COMPLAINT, date(2026, 11, 2), accepted_on=date(2026, 11, 5))
    assert deadlines.due_on == date(2026, 12, 7)  # 5/11 + 30 = Saturday 5/12 → Monday
    # Accepted late: the law's 10 days still bound the start.
    late = due_dates(COMPLAINT, date(2026, 11, 2), accepted_on=date(2026, 11, 25))
    assert late.due_on == date(2026, 12, 14)


DENUNCIATION = DEFAULT_RULES["denunciation"]


@pytest.mark.parametrize(("extensions", "due"), [
    (0, date(2026, 12, 2)),
    (1, date(2027, 1, 4)),   # 2/12 + 30 = 1/1 (holiday), weekend → Monday 4/1
    (2, date(2027, 2, 3)),   # 4/1 + 30
])
def test_a_denunciation_takes_30_days_and_two_extensions_at_most(extensions, due):
    deadlines = due_dates(DENUNCIATION, date(2026, 11, 2), extensions=extensions)
    assert deadlines.accept_due_on is None
    assert deadlines.due_on == due
    assert deadlines.extended_days == [30] * extensions


def test_a_third_extension_is_refused():
    with pytest.raises(ValueError):
        due_dates(DENUNCIATION, date(2026, 11, 2), extensions=3)
    with pytest.raises(ValueError):
        due_dates(DEFAULT_RULES["petition"], date(2026, 11, 2), extensions=1)


@pytest.mark.parametrize("kind", ["petition", "feedback", "opinion"])
def test_petitions_feedback_and_opinions_take_the_commune_default(kind):
    assert due_dates(DEFAULT_RULES[kind], date(2026, 11, 2)).due_on == date(2026, 11, 17)


def test_a_commune_rule_in_working_days_skips_tet():
    rule = Rule("petition", 15, working=True)
    # From Monday 8/2/2027: 9–10/2 still off for Tết, so 15 working days end on 3/3.
    assert due_dates(rule, date(2027, 2, 8)).due_on == date(2027, 3, 3)


@pytest.mark.parametrize(("due", "on", "late"), [
    (date(2026, 12, 2), date(2026, 12, 2), 0),
    (date(2026, 12, 2), date(2026, 12, 1), 0),
    (date(2026, 12, 2), date(2026, 12, 5), 3),
    (date(2026, 12, 30), date(2027, 1, 2), 3),
    (None, date(2027, 1, 2), 0),
])
def test_days_late_count_calendar_days_past_the_due_date(due, on, late):
    assert days_late(due, on) == late
