"""The report's figures against a hand-counted commune (tests/reports_support.py), on
SQLite and PostgreSQL; the same numbers in the dashboard, the API, the XLSX, the CSV and
the DOCX; personal data only where the role may see it; role and commune scope."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook

from field_app import create_app
from field_app.central.accounts.models import Account
from field_app.central.reports import figures, periods
from field_app.cli import upgrade_database
from field_app.extensions import db
from sqlalchemy import select

from .office_support import CHIENG_LAO, MUONG_LA, account, login
from .reports_support import (
    DENOUNCER,
    DENOUNCER_PHONE,
    EXPECTED,
    Q1_TODAY,
    SPEAKER,
    SPEAKER_PHONE,
    build,
)
from .sync_support import drop_pg_database, make_pg_database


def _office(tmp_path, database=None):
    config = {"ROLE": "central", "DATA_DIR": tmp_path / "office", "TESTING": True,
              "WTF_CSRF_ENABLED": False}
    if database:
        config["SQLALCHEMY_DATABASE_URI"] = database
    app = create_app(config)
    upgrade_database(app)
    return app


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path):
    database = make_pg_database() if request.param == "postgresql" else None
    app = _office(tmp_path, database)
    made = build(app)
    yield app, made
    with app.app_context():
        db.engine.dispose()
    if database:
        drop_pg_database(database)


@pytest.fixture
def sqlite_world(tmp_path):
    app = _office(tmp_path)
    made = build(app)
    yield app, made
    with app.app_context():
        db.engine.dispose()


def q1_figures(app, username="canbo", commune=None, personal=False) -> dict:
    with app.test_request_context():
        who = db.session.execute(select(Account).where(Account.username == username)
                                 ).scalar_one()
        return figures.compute(who, periods.parse_code("2026-Q1"), commune, Q1_TODAY,
                               personal).as_json()


def by_key(rows, name="key") -> dict:
    return {row[name]: row["count"] for row in rows if row["count"]}


def test_every_figure_matches_the_hand_count(world):
    app, made = world
    got = q1_figures(app)
    want = EXPECTED
    assert got["period"]["start"] == "2025-12-10" and got["period"]["end"] == "2026-03-09"
    assert got["period"]["due"] == "2026-03-10" and got["period"]["days_left"] == -10
    assert got["forums"]["total"] == want["forums"]["total"]
    kinds = by_key(got["forums"]["by_kind"])
    assert kinds == {"listening": 1, "chairman_dialogue": 1}
    assert got["forums"]["attendance"] == want["forums"]["attendance"]
    coverage = got["coverage"]
    for name in ("villages", "held", "percent", "met", "dialogues", "dialogues_target"):
        assert coverage[name] == want["coverage"][name], name
    assert sorted(row["name"] for row in coverage["missing"]) == want["coverage"]["missing"]
    opinions = got["opinions"]
    assert opinions["total"] == want["opinions"]["total"]
    assert opinions["answered_on_spot"] == want["opinions"]["answered_on_spot"]
    for name in ("by_kind", "by_category", "by_channel", "by_level", "by_status"):
        assert by_key(opinions[name]) == want["opinions"][name], name
    assert by_key(opinions["by_source_org"]) == want["opinions"]["by_source_org"]
    assert by_key(opinions["by_village"], "label") == want["opinions"]["by_village"]
    handling = got["handling"]
    for name in ("on_time", "late", "overdue", "open", "total", "on_time_percent"):
        assert handling[name] == want["handling"][name], name
    units = {row["label"] if row["key"] is not None else None:
             (row["on_time"], row["late"], row["overdue"], row["open"])
             for row in handling["by_unit"]}
    assert units == want["handling"]["by_unit"]
    assert handling["late_cases"] == want["handling"]["late_cases"]
    satisfaction = {row["key"]: (row["satisfied"], row["unsatisfied"], row["unknown"],
                                 row["percent"], row["met"]) for row in got["satisfaction"]}
    assert satisfaction == want["satisfaction"]
    assert got["communes"] == []  # a commune account: its own commune only
    assert "CHIENGLAO" not in str(got)


def test_a_province_account_sees_communes_side_by_side_ranked(world):
    app, made = world
    account(app, "tinh", "admin", commune_code=None)
    got = q1_figures(app, "tinh")
    ranked = {row["commune"]: row for row in got["communes"]}
    assert set(ranked) == {MUONG_LA, CHIENG_LAO}
    # Chiềng Lao: 1 village, its listening forum held (100 %) ranks first.
    assert ranked[CHIENG_LAO]["rank"] == 1 and ranked[CHIENG_LAO]["coverage_percent"] == 100.0
    assert ranked[MUONG_LA]["rank"] == 2 and ranked[MUONG_LA]["coverage_percent"] == 25.0
    assert ranked[MUONG_LA]["opinions"] == 7 and ranked[CHIENG_LAO]["opinions"] == 1
    assert ranked[MUONG_LA]["overdue"] == 2
    assert got["opinions"]["total"] == 8
    assert {row["key"]: row["count"] for row in got["opinions"]["by_commune"]} == {
        str(MUONG_LA): 7, str(CHIENG_LAO): 1}
    # Naming one commune gives that commune's report, as its own account sees it.
    one = q1_figures(app, "tinh", commune=MUONG_LA)
    assert one["opinions"] == q1_figures(app)["opinions"]
    assert one["handling"] == q1_figures(app)["handling"]
