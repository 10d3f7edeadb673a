"""Reporting periods: seed 003's windows, their cut-offs, due dates and bad codes."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from field_app import create_app
from field_app.central.reports import periods
from field_app.central.reports.periods import BadPeriod


@pytest.fixture(autouse=True)
def _babel(tmp_path):
    """Messages need an app (Flask-Babel), not a database."""
    app = create_app({"ROLE": "central", "DATA_DIR": tmp_path / "c", "TESTING": True})
    with app.test_request_context():
        yield


def contains(period: periods.Period, day: date) -> bool:
    return period.start <= day <= period.end


@pytest.mark.parametrize(("code", "start", "end", "due"), [
    ("2026-Q1", date(2025, 12, 10), date(2026, 3, 9), date(2026, 3, 10)),
    ("2026-H1", date(2025, 12, 10), date(2026, 6, 9), date(2026, 6, 10)),
    ("2026-Q3", date(2026, 6, 10), date(2026, 9, 9), date(2026, 9, 10)),
    ("2026-Y", date(2025, 12, 10), date(2026, 12, 9), date(2026, 12, 10)),
    ("2026-03", date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 10)),
    ("2026-12", date(2026, 12, 1), date(2026, 12, 31), date(2027, 1, 10)),  # year rollover
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), date(2024, 3, 10)),  # leap year
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28), date(2026, 3, 10)),
    ("2025-Q1", date(2024, 12, 10), date(2025, 3, 9), date(2025, 3, 10)),
])
def test_codes_name_seed_003_windows_and_months(code, start, end, due):
    period = periods.parse_code(code)
    assert (period.start, period.end, period.due) == (start, end, due)


def test_q1_holds_9_march_and_not_10_march_and_starts_the_year_before():
    q1 = periods.parse_code("2026-Q1")
    assert contains(q1, date(2026, 3, 9)) and not contains(q1, date(2026, 3, 10))
    assert contains(q1, date(2025, 12, 10)) and not contains(q1, date(2025, 12, 9))
    assert contains(q1, date(2026, 2, 28))
    # 2028 is a leap year: 29 February is inside its Q1.
    assert contains(periods.parse_code("2028-Q1"), date(2028, 2, 29))


def test_days_left_counts_to_the_due_date():
    q1 = periods.parse_code("2026-Q1")
    assert q1.days_left(date(2026, 3, 1)) == 9
    assert q1.days_left(date(2026, 3, 10)) == 0
    assert q1.days_left(date(2026, 3, 20)) == -10
    # Across February of a leap year.
    assert periods.parse_code("2024-Q1").days_left(date(2024, 2, 28)) == 11


@pytest.mark.parametrize(("today", "code"), [
    (date(2026, 3, 9), "2026-Q1"), (date(2026, 3, 10), "2026-H1"),
    (date(2026, 6, 10), "2026-Q3"), (date(2026, 9, 10), "2026-Y"),
    (date(2026, 12, 9), "2026-Y"), (date(2026, 12, 10), "2027-Q1"),
])
def test_the_current_period_is_the_window_being_prepared(today, code):
    assert periods.current(today).code == code


def test_a_custom_range_includes_both_days():
    period = periods.from_args(MultiDict({"from": "2026-01-01", "to": "2026-01-31"}),
                               date(2026, 5, 1))
    assert (period.start, period.end, period.due) == (date(2026, 1, 1), date(2026, 1, 31),
                                                      date(2026, 2, 10))
    assert periods.reporting_year_start(date(2026, 12, 10)) == date(2026, 12, 10)
    assert periods.reporting_year_start(date(2026, 12, 9)) == date(2025, 12, 10)


@pytest.mark.parametrize("args", [
    {"period": "2026-Q2"}, {"period": "2026-13"}, {"period": "2026-00"}, {"period": "Q1"},
    {"period": "1999-Q1"}, {"period": "2026-q1 OR 1=1"}, {"from": "2026-02-30", "to": "2026-03-01"},
    {"from": "2026-03-01"}, {"from": "2026-03-02", "to": "2026-03-01"},
    {"period": "2026-Q1", "from": "2026-01-01", "to": "2026-01-02"},
    {"from": "2020-01-01", "to": "2026-01-01"},
])
def test_a_bad_period_is_refused_with_a_message(args):
    with pytest.raises(BadPeriod) as refused:
        periods.from_args(MultiDict(args), date(2026, 5, 1))
    assert refused.value.status == 400 and refused.value.message
