"""The opinion counts summed ahead (office_opinion_count, migration o013) give the very
numbers counted from the opinions, and stay exact whatever writes the opinions.

On PostgreSQL triggers keep the counts; every test here compares them with a count
made from office_opinion itself, after the real ingest and the office's real work.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime

import pytest
from sqlalchemy import delete, func, select, update

from field_app.central.accounts.models import Account
from field_app.central.inbox import logic as inbox
from field_app.central.inbox.models import OfficeOpinion
from field_app.central.reports import figures, periods
from field_app.central.reports.models import (
    COUNTED_DIMENSIONS,
    NO_VALUE,
    OpinionCount,
    report_month,
)
from field_app.extensions import db

from .office_support import CHIENG_LAO, MUONG_LA, Laptop, account
from .reports_support import Q1_TODAY, build
from .sync_support import drop_pg_database, make_pg_database
from .test_reports import _office, world  # noqa: F401 (a fixture: SQLite and PostgreSQL)

ALIGNED = ("2026-Q1", "2026-H1", "2026-Q3", "2026-Y")


@pytest.fixture
def pg_world(tmp_path):
    database = make_pg_database()
    app = _office(tmp_path, database)
    made = build(app)
    account(app, "tinh", "admin", commune_code=None)
    yield app, made
    with app.app_context():
        db.engine.dispose()
    drop_pg_database(database)


def _text(dimension: str, value) -> str | None:
    if value is None:
        return None if dimension == "satisfaction" else NO_VALUE
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def final_state(row: OfficeOpinion) -> str | None:
    """Return an opinion's handling state once all its dates have passed (None: no case)."""
    if row.answered_on_spot and not row.needs_follow_up:
        return None
    if row.answer_date is not None and row.due_on is not None and row.answer_date > row.due_on:
        return "late"
    if row.answer_date is not None or row.status in ("answered", "closed"):
        return "on_time"
    return "open" if row.due_on is None else "overdue"


def recount() -> Counter:
    """Return what office_opinion_count must hold, counted from the opinions in Python."""
    expected: Counter = Counter()
    # The columns o015 knows (the test goes down to it): what counts, not the whole model.
    columns = [column for column in OfficeOpinion.__table__.c if column.name != "position"]
    for row in db.session.execute(select(*columns)):
        if row.deleted or row.received_on is None:
            continue
        month = report_month(row.received_on)
        if (state := final_state(row)) is not None:
            unit = "" if row.unit_id is None else str(row.unit_id)
            expected[(row.commune_code, month, "handling", unit, state)] += 1
        for dimension, column in COUNTED_DIMENSIONS.items():
            value = _text(dimension, getattr(row, column))
            if value is None:
                continue
            category = row.category_code if dimension == "satisfaction" else ""
            expected[(row.commune_code, month, dimension, category, value)] += 1
    return expected


def held() -> Counter:
    return Counter({(row.commune_code, row.month, row.dimension, row.category_code,
                     row.value): row.count
                    for row in db.session.execute(select(OpinionCount)).scalars()
                    if row.count})


def _reader(username: str):
    return db.session.execute(select(Account).where(Account.username == username)
                              ).scalar_one()


def both_ways(app, username: str, code: str, commune: int | None = None):
    """Return the opinions, satisfaction and handling panels counted ahead and from the
    rows."""
    with app.test_request_context():
        reader = _reader(username)
        scope = figures.Scope(reader, figures.resolve_commune(reader, commune),
                              periods.parse_code(code), Q1_TODAY)
        assert figures.summed_ahead(scope)
        ahead = ({name: sorted(rows, key=repr) for name, rows in
                  figures.opinions_from_counts(scope).items()},
                 sorted(figures.satisfaction_from_counts(scope), key=repr),
                 sorted(figures.handling_from_counts(scope), key=repr))
        rows = ({name: sorted(rows, key=repr) for name, rows in
                 figures.opinions_from_rows(scope).items()},
                sorted(figures.satisfaction_from_rows(scope), key=repr),
                sorted(figures.handling_from_rows(scope), key=repr))
    return ahead, rows


def test_report_months_run_from_the_10th_to_the_9th():
    assert report_month(date(2026, 3, 9)) == date(2026, 2, 10)
    assert report_month(date(2026, 3, 10)) == date(2026, 3, 10)
    assert report_month(date(2026, 1, 9)) == date(2025, 12, 10)
    assert report_month(date(2025, 12, 10)) == date(2025, 12, 10)


@pytest.mark.parametrize("code", ALIGNED)
@pytest.mark.parametrize(("username", "commune"), [("canbo", None), ("tinh", None),
                                                    ("tinh", CHIENG_LAO)])
def test_counts_summed_ahead_equal_the_opinions_counted(pg_world, code, username, commune):
    app, _made = pg_world
    ahead, rows = both_ways(app, username, code, commune)
    assert ahead == rows
    assert sum(count for _c, _k, count in ahead[0]["kind"]) > 0 or code == "2026-Q3"


def test_only_whole_report_months_on_postgresql_are_read_ahead(pg_world):
    app, _made = pg_world
    with app.test_request_context():
        officer = _reader("canbo")

        def ahead(period, role=None):
            reader = officer if role is None else type("Reader", (), {
                "commune_code": MUONG_LA, "role": role, "unit_id": 1})()
            return figures.summed_ahead(figures.Scope(reader, MUONG_LA, period, Q1_TODAY))

        assert ahead(periods.parse_code("2026-Q1"))
        assert ahead(periods.custom(date(2026, 1, 10), date(2026, 2, 9)))
        assert not ahead(periods.parse_code("2026-03"))  # a calendar month
        assert not ahead(periods.custom(date(2026, 1, 10), date(2026, 2, 10)))
        assert not ahead(periods.parse_code("2026-Q1"), role="handler")  # its unit's only


def test_counts_stay_exact_through_the_office_work_and_new_pushes(pg_world):
    app, made = pg_world
    with app.app_context():
        assert held() == recount() and held()
    # The office reclassifies, answers, records satisfaction.
    with app.app_context():
        officer = _reader("canbo")
        inbox.update_opinion(officer, made["opinions"]["open"],
                             {"category_code": "procedures", "status": "answered",
                              "answer_date": "2026-03-02", "answer_text": "Đã trả lời",
                              "answer_by": "Chủ tịch UBND xã",
                              "satisfaction": "satisfied"}, "Báo cáo")
        inbox.update_opinion(officer, made["opinions"]["after"],
                             {"status": "forwarded", "unit_id": made["units"]["u1"]})
        db.session.commit()
        assert held() == recount()
    # A laptop sends new opinions, changes one (another village, another day) and
    # deletes another, in one push (COPY, upsert and delete in one transaction).
    laptop = Laptop(app, MUONG_LA, "Máy thứ hai")
    laptop.village("Bản Mới")
    for n in range(30):
        laptop.opinion("Bản Mới", f"Ý kiến số {n}", kind="petition", channel="mttq",
                       source_org="youth_union" if n % 2 else None,
                       received_on=f"2026-0{1 + n % 6}-{1 + n % 28:02d}")
    kept = laptop.opinion("Bản Mới", "Sẽ sửa lại", received_on="2026-02-01")
    gone = laptop.opinion("Bản Mới", "Sẽ xoá", received_on="2026-02-09")
    laptop.push()
    laptop.opinion("Bản Mới", "Đã sửa lại", record_id=kept, kind="feedback",
                   received_on="2026-02-10")
    laptop._add("opinion", gone, None)
    laptop.push()
    with app.app_context():
        assert held() == recount()
        # Written by hand (a script, a repair): counted the same.
        db.session.execute(update(OfficeOpinion).where(
            OfficeOpinion.commune_code == CHIENG_LAO).values(level="province", deleted=False))
        db.session.execute(delete(OfficeOpinion).where(OfficeOpinion.id == kept))
        db.session.commit()
        assert held() == recount()
        # A transaction rolled back leaves the counts as they were.
        before = held()
        db.session.execute(update(OfficeOpinion).values(status="closed"))
        db.session.rollback()
        assert held() == before == recount()
    for code in ALIGNED:
        ahead, rows = both_ways(app, "tinh", code)
        assert ahead == rows


def test_the_upgrade_counts_the_opinions_already_there(pg_world):
    """Migrations o013 and o015 on a central holding opinions: its counts are the
    opinions'; going back to o014 takes the handling states away, and only them."""
    from flask_migrate import downgrade, upgrade

    app, _made = pg_world
    directory = app.extensions["migrate"].directory
    with app.app_context():
        expected = recount()
        db.session.rollback()  # the migrations wait for no lock of this session's
        downgrade(directory=directory, revision="o014")
        assert held() == Counter({key: count for key, count in expected.items()
                                  if key[2] != "handling"})
        db.session.rollback()
        downgrade(directory=directory, revision="o012")
        upgrade(directory=directory, revision="o015")
        assert held() == recount() == expected
        db.session.rollback()
        upgrade(directory=directory, revision="heads")  # the later office columns back
    stamp = uuid.uuid4()  # the counts keep following after the upgrade
    with app.app_context():
        row = db.session.execute(select(OfficeOpinion).limit(1)).scalar_one()
        db.session.execute(update(OfficeOpinion).where(OfficeOpinion.id == row.id).values(
            village_id=stamp, updated_at=datetime(2026, 3, 1)))
        db.session.commit()
        assert held() == recount()


@pytest.mark.parametrize("day", ["2025-12-20", "2026-01-19", "2026-01-25", "2026-02-01",
                                 "2026-02-15", "2026-02-16", "2026-03-09"])
def test_handling_counted_by_conditions_equals_its_case(world, day):  # noqa: F811
    """handling_panel's FILTER conditions give the states `handling_bucket` gives."""
    app, made = world
    as_of = date.fromisoformat(day)
    with app.app_context():
        # Settled by its status alone (no answer date): on time.
        db.session.execute(update(OfficeOpinion).where(
            OfficeOpinion.id == made["opinions"]["other_commune"]).values(status="closed"))
        db.session.commit()
    account(app, "tinh", "admin", commune_code=None)
    with app.test_request_context():
        reader = _reader("tinh")
        scope = figures.Scope(reader, None, periods.parse_code("2026-Q1"), as_of)
        bucket = figures.handling_bucket(as_of).label("bucket")
        query = scope.opinions(OfficeOpinion.commune_code, OfficeOpinion.unit_id, bucket,
                               func.count()).where(figures.needs_handling()).group_by(
            OfficeOpinion.commune_code, OfficeOpinion.unit_id, "bucket")
        by_case = sorted((tuple(row) for row in db.session.execute(query)), key=repr)
        assert sorted(figures.handling_panel(scope), key=repr) == by_case
        assert {row[2] for row in by_case} >= {"open"}


def test_handling_summed_ahead_equals_the_opinions_counted(pg_world):
    """Whatever the cut-off, the final states summed ahead corrected by the opinions not
    final by it give the states counted from every opinion."""
    app, _made = pg_world
    seen = set()
    with app.test_request_context():
        for username in ("tinh", "canbo"):
            reader = _reader(username)
            for day in ("2025-12-20", "2026-01-19", "2026-01-25", "2026-02-15", "2026-02-16",
                        "2026-03-09", "2026-03-20", "2026-07-01"):
                for code in ("2026-Q1", "2026-Y"):
                    scope = figures.Scope(reader, reader.commune_code, periods.parse_code(code),
                                          date.fromisoformat(day))
                    assert figures.summed_ahead(scope)
                    ahead = sorted(figures.handling_from_counts(scope), key=repr)
                    assert ahead == sorted(figures.handling_from_rows(scope), key=repr), (
                        username, day, code)
                    seen.update(row[2] for row in ahead)
    assert seen == set(figures.HANDLING)
