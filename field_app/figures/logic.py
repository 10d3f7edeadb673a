"""The figures a laptop shows for its own villages, from what it holds (no network).

The same rules as the office's report (field_app/central/reports/figures.py):
only forums held (begun, or finalised; never one planned for later), by their
start day (the laptop's wall clock is Vietnam time), opinions by the day they
were received (else their forum's day, else the day recorded), coverage over
the reporting year, handling judged as of the period's end.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, not_, select

from .. import labels
from ..areas.models import Village
from ..central.reports.figures import (
    COVERAGE_TARGET,
    DIALOGUES_TARGET,
    HANDLING,
    SATISFACTION,
    handling_case,
    held_forum,
    households_represented,
    percent,
)
from ..central.reports.periods import Period
from ..extensions import db
from ..forums.models import Forum
from ..opinions.logic import vietnam_now
from ..opinions.models import Category, Opinion


def _start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _counts(query) -> dict:
    return {key: count for key, count in db.session.execute(query)}


def laptop_figures(period: Period, today: date, now: datetime | None = None
                   ) -> dict[str, Any]:
    """Return the period's figures for the villages this laptop holds; forums held by
    `now` (default: Vietnam's now, or the end of `today` if that is not today)."""
    if now is None:
        now = vietnam_now()
        if now.date() != today:
            now = datetime.combine(today, time.max)
    held_now = held_forum(Forum.status, Forum.started_at, now)
    villages = db.session.execute(select(Village.id, Village.name, Village.households).where(
        Village.merged_into.is_(None)).order_by(Village.name)).all()
    names = {row.id: row.name for row in villages}
    year_from = _start(min(period.year_start, period.start))
    until = _start(period.end + timedelta(days=1))
    held = set(db.session.execute(select(Forum.village_id).where(
        Forum.kind == "listening", Forum.started_at >= year_from,
        Forum.started_at < until, held_now).distinct()).scalars())
    dialogues = db.session.execute(select(func.count()).select_from(Forum).where(
        Forum.kind == "chairman_dialogue", Forum.started_at >= year_from,
        Forum.started_at < until, held_now)).scalar_one()
    in_period = and_(Forum.started_at >= _start(period.start), Forum.started_at < until,
                     held_now)
    by_kind = _counts(select(Forum.kind, func.count()).where(in_period).group_by(Forum.kind))
    attendance = db.session.execute(select(
        func.coalesce(func.sum(Forum.attendance_total), 0),
        func.coalesce(func.sum(Forum.attendance_women), 0),
        func.coalesce(func.sum(Forum.attendance_ethnic_minority), 0)).where(in_period)).one()
    # Households as the office counts them: per village (a merged one in the kept one),
    # its best-attended forum's.
    kept = dict(db.session.execute(select(Village.id, Village.merged_into).where(
        Village.merged_into.is_not(None))).all())
    households = households_represented(
        (kept.get(village, village), best) for village, best in db.session.execute(
            select(Forum.village_id, func.max(Forum.households_represented)).where(
                in_period).group_by(Forum.village_id)))

    # The day an opinion counts on: received, else its forum's day, else recorded.
    day = func.coalesce(Opinion.received_on, func.date(Forum.started_at),
                        func.date(Opinion.created_at))

    def opinions(*columns):
        return select(*columns).select_from(Opinion).outerjoin(
            Forum, Forum.id == Opinion.forum_id).where(
            Opinion.merged_into.is_(None), day >= period.start.isoformat(),
            day <= period.end.isoformat())

    def grouped(column) -> dict:
        return _counts(opinions(column, func.count()).group_by(column))

    as_of = min(period.end, today)
    bucket = handling_case(Opinion.answer_date, Opinion.due_date, Opinion.status, as_of)
    handling = _counts(opinions(bucket, func.count()).where(not_(and_(
        Opinion.answered_on_spot.is_(True), Opinion.needs_follow_up.is_(False)))).group_by(
        bucket))
    categories = dict(db.session.execute(select(Category.code, Category.name)).all())
    total = sum(grouped(Opinion.kind).values())
    held_villages = [row for row in villages if row.id in held]
    return {
        "period": period,
        "coverage": {"villages": len(villages), "held": len(held_villages),
                     "percent": percent(len(held_villages), len(villages)),
                     "target": COVERAGE_TARGET,
                     "missing": [row.name for row in villages if row.id not in held],
                     "dialogues": dialogues, "dialogues_target": DIALOGUES_TARGET},
        "forums": {"total": sum(by_kind.values()),
                   "by_kind": [(str(labels.FORUM_KIND_LABELS.get(k, k)), n)
                               for k, n in sorted(by_kind.items())],
                   "attendance": {**dict(zip(("total", "women", "ethnic_minority"),
                                             attendance, strict=True)),
                                  "households_represented": households}},
        "opinions": {"total": total,
                     "by_kind": [(str(labels.OPINION_KIND_LABELS.get(k, k)), n)
                                 for k, n in grouped(Opinion.kind).items()],
                     "by_category": sorted(((labels.category_label(k, categories.get(k)), n)
                                            for k, n
                                            in grouped(Opinion.category_code).items()),
                                           key=lambda row: -row[1]),
                     "by_village": sorted(((names.get(k, "?"), n) for k, n
                                           in grouped(Opinion.village_id).items()),
                                          key=lambda row: -row[1]),
                     "answered_on_spot": grouped(Opinion.answered_on_spot).get(True, 0),
                     "answers_received": sum(n for k, n in grouped(
                         Opinion.answer_text.is_not(None)).items() if k)},
        "handling": {bucket_: handling.get(bucket_, 0) for bucket_ in HANDLING},
        "satisfaction": {value: n for value, n in grouped(Opinion.satisfaction).items()
                         if value in SATISFACTION},
    }
