"""The report's figures: one function feeds the dashboard, the exports, the API and the
public page, so every one of them shows the same numbers.

Each panel is one GROUP BY on typed, indexed office columns (STYLE.md habit 12),
never a loop over records nor a read of the wire's JSON. What counts where:

* Forums belong to the period of their start day. `office_forum.started_at` holds
  the laptop's wall-clock time in Vietnam as sent (the projection copies it; the
  forum's day is `started_at.date()` there too), so a forum at 23:30 on 9 March
  is in Q1 and one at 06:00 on 10 March is not.
* Opinions belong to the period of `received_on` (the day the village, the Front
  or the commune received them: legal deadlines count from it).
* Only a forum held counts (`held_forum`): begun by now, or its minutes finalised. One
  set for a later day is planned, not held: no coverage, no dialogue, no attendance.
* Forum coverage and the chairman's dialogues count the reporting year up to the
  period's end (10 December before it, seed 003), against seed 000's 100 % and
  seed 003's twice a year.
* Handling, as of the period's end (or today, if sooner): answered after its due
  date: late; answered (by its due date, or with none): on time; not answered and
  past its due date: overdue; else open. An opinion answered at the forum that
  needs no follow-up is not a case to handle.
* Satisfaction (SATISFACTION_TARGETS): the share satisfied among the answers that
  said satisfied or unsatisfied; "unknown" and "not present" are shown, not counted.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, not_, or_, select, tuple_

from sync.records import (
    CHANNELS,
    FORUM_KINDS,
    LEVELS,
    OPINION_KINDS,
    SOURCE_ORGS,
    WORKFLOW_STATUSES,
)

from ... import labels
from ...areas.logic import commune_label
from ...errors import Forbidden
from ...extensions import db
from ...opinions.logic import vietnam_now, vietnam_today
from ..accounts.permissions import in_commune, scoped
from ..cases.models import OfficeCase
from ..catalogue.logic import unit_labels
from ..catalogue.models import OfficeCategory, OfficeVillage
from ..inbox.models import OfficeForum, OfficeOpinion
from .models import NO_VALUE, OpinionCount
from .periods import Period

COVERAGE_TARGET = 100  # % of villages holding the listening forum each year (seed 000)
DIALOGUES_TARGET = 2  # the chairman's dialogues a year (seed 003)
HANDLING = ("on_time", "late", "overdue", "open")
SETTLED = ("answered", "closed")  # statuses that count as answered without an answer date
HANDLING_LABELS = {"on_time": _l("Đúng hạn"), "late": _l("Trễ hạn"),
                   "overdue": _l("Quá hạn chưa trả lời"), "open": _l("Đang trong hạn")}
SATISFACTION = ("satisfied", "unsatisfied", "unknown", "absent")
SATISFACTION_LABELS = {"satisfied": _l("Hài lòng"), "unsatisfied": _l("Chưa hài lòng"),
                       "unknown": _l("Không rõ"), "absent": _l("Không có mặt")}
# Land, construction and investment procedures (seed 003's 85 %, part of the 90 % for
# administrative procedures): the seeded "land" category, and the ones an office adds
# for the other two, by the code it types or the one its name gives (catalogue's
# add_category: "Đầu tư" -> "dau_tu"). Not the seeded "construction" (Giao thông – xây
# dựng – thủy lợi): a road or a canal to repair is no procedure, and counting it
# reported the target met with no procedure behind it.
LAND_CONSTRUCTION_INVESTMENT = ("land", "dat_dai", "investment", "dau_tu", "xay_dung",
                                "construction_permit", "cap_phep_xay_dung")
PROCEDURES = ("procedures",)


@dataclass(frozen=True)
class Target:
    """A satisfaction target and the opinions it is measured on (None: every one)."""

    key: str
    label: Any
    percent: int
    source: Any
    categories: tuple[str, ...] | None


SATISFACTION_TARGETS = (
    Target("attitude", _l("Hài lòng với thái độ, tinh thần phục vụ của chính quyền"), 96,
           _l("Kế hoạch xây dựng chính quyền thân thiện, gần dân: mọi ý kiến đã trả lời có ghi "
              "mức độ hài lòng"),
           None),
    Target("procedures", _l("Hài lòng về giải quyết thủ tục hành chính"), 90,
           _l("Kế hoạch cải cách hành chính (CCHC) năm: lĩnh vực Thủ tục hành chính"), PROCEDURES),
    Target("land", _l("Hài lòng về thủ tục đất đai, xây dựng, đầu tư"), 85,
           _l("Kế hoạch cải cách hành chính (CCHC) năm: lĩnh vực Đất đai, và Đầu tư, Xây "
              "dựng hoặc Cấp phép xây dựng nếu xã thêm các lĩnh vực ấy (không tính công trình "
              "Giao thông – xây dựng – thủy lợi)"), LAND_CONSTRUCTION_INVESTMENT),
)


def percent(part: int, whole: int) -> float | None:
    """Return part/whole in % with one decimal; None when there is nothing to measure."""
    return round(100 * part / whole, 1) if whole else None


def _start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def held_forum(status, started_at, now: datetime):
    """Return the condition of a forum held by `now` from these columns (the office's
    forum, or the laptop's own): its minutes finalised, or begun (its start is the laptop's
    wall clock in Vietnam, as `now` is). A forum set for a later time is only planned."""
    return or_(status == "finalised", started_at <= now)


HOUSEHOLDS_NOTE = _l("Số hộ có đại diện: mỗi bản/thôn lấy hội nghị có nhiều hộ dự nhất trong "
                     "kỳ (cùng các hộ ấy dự mọi hội nghị), rồi cộng các bản/thôn; không cộng "
                     "dồn các hội nghị của một bản.")


def households_represented(pairs) -> int:
    """Return the households represented at a period's forums from (village, households)
    pairs, one a forum or a group of them: per village the best-attended forum's, summed
    over villages. Never summed across one village's forums: the same households come to
    each, so represented ≤ the villages' households."""
    best: dict = {}
    for village, households in pairs:
        best[village] = max(best.get(village, 0), households or 0)
    return sum(best.values())


def needs_handling():
    """Return the condition of an opinion that is a case to handle (not settled at the forum)."""
    return not_(and_(OfficeOpinion.answered_on_spot.is_(True),
                     OfficeOpinion.needs_follow_up.is_(False)))


def handling_case(answer_date, due_on, status, as_of: date):
    """Return the SQL expression of the handling state from these columns (the office's
    opinion, or the laptop's copy of what the office sent)."""
    # As things stood on `as_of`: an answer given after it was not there yet (a report
    # made again later says what the one sent on time said).
    answered_by = and_(answer_date.is_not(None), answer_date <= as_of)
    answered = or_(answered_by, and_(answer_date.is_(None), status.in_(SETTLED)))
    return case(
        (and_(answered_by, due_on.is_not(None), answer_date > due_on), "late"),
        (answered, "on_time"),
        (and_(due_on.is_not(None), due_on < as_of), "overdue"),
        else_="open")


def handling_conditions(answer_date, due_on, status, as_of: date) -> dict:
    """Return the condition of each state of `handling_case` but "open" (the rest), each
    true exactly where the CASE gives that state (NULL counts as false in a FILTER).

    A count per state FILTERed by the CASE works it out four times an opinion; these
    read each column once or twice (a province's handling, ~40 % less time).
    """
    settled = status.in_(SETTLED)
    return {
        "late": and_(answer_date <= as_of, answer_date > due_on),
        "on_time": or_(and_(answer_date <= as_of,
                            or_(due_on.is_(None), answer_date <= due_on)),
                       and_(answer_date.is_(None), settled)),
        "overdue": and_(due_on < as_of, or_(and_(answer_date.is_(None), not_(settled)),
                                            answer_date > as_of)),
    }


def handling_bucket(as_of: date):
    """Return the SQL expression giving an office opinion's handling state as of `as_of`."""
    return handling_case(OfficeOpinion.answer_date, OfficeOpinion.due_on, OfficeOpinion.status,
                         as_of)


def as_of(period: Period, today: date) -> date:
    """Return the day handling is judged on: the period's end, or today if sooner."""
    return min(period.end, today)


@dataclass
class Scope:
    """Whose records a report counts: the account's scope, and one commune or all."""

    account: Any
    commune: int | None
    period: Period
    today: date
    # The time forums are held by (`held_forum`); None: by the end of `today`.
    now: datetime | None = None

    def held_by(self) -> datetime:
        return self.now or datetime.combine(self.today, time.max)

    def opinions(self, *columns):
        query = select(*columns).where(OfficeOpinion.deleted.is_(False),
                                       OfficeOpinion.received_on >= self.period.start,
                                       OfficeOpinion.received_on <= self.period.end)
        query = scoped(query, self.account, OfficeOpinion.commune_code, OfficeOpinion.unit_id)
        if self.commune is not None:
            query = query.where(OfficeOpinion.commune_code == self.commune)
        return query

    def forums(self, *columns, start: date | None = None):
        query = select(*columns).where(
            OfficeForum.deleted.is_(False),
            OfficeForum.started_at >= _start(start or self.period.start),
            OfficeForum.started_at < _start(self.period.end + timedelta(days=1)),
            held_forum(OfficeForum.status, OfficeForum.started_at, self.held_by()))
        query = scoped(query, self.account, OfficeForum.commune_code)
        if self.commune is not None:
            query = query.where(OfficeForum.commune_code == self.commune)
        return query


def resolve_commune(account, commune: int | None) -> int | None:
    """Return the commune a report is about; refuse another commune than the account's."""
    if commune is not None and not in_commune(account, commune):
        raise Forbidden(_("Tài khoản của bạn chỉ xem được báo cáo của xã mình."),
                        {"commune": commune})
    return account.commune_code if account.commune_code is not None else commune


# --- panels: one query each (benchmarks/reports.py times them one by one) ------------------


def _dicts(result) -> list[dict]:
    """Return a result's rows as dicts (`Row._asdict` works the names out again each row:
    ~0.1 s of a province's 3,000 villages and forums)."""
    names = list(result.keys())
    return [dict(zip(names, row, strict=True)) for row in result]


def villages_panel(scope: Scope) -> list[dict]:
    """Return the villages kept by the office (merged ones folded in), with households."""
    query = scoped(select(OfficeVillage.id, OfficeVillage.commune_code, OfficeVillage.name,
                          OfficeVillage.households, OfficeVillage.merged_into,
                          OfficeVillage.deleted),
                   scope.account, OfficeVillage.commune_code)
    if scope.commune is not None:
        query = query.where(OfficeVillage.commune_code == scope.commune)
    return _dicts(db.session.execute(query))


def forums_panel(scope: Scope) -> list[dict]:
    """Return forums of the reporting year up to the period's end, per village, kind and
    whether they fall in the period, with their attendance summed."""
    in_period = OfficeForum.started_at >= _start(scope.period.start)
    query = scope.forums(
        OfficeForum.commune_code, OfficeForum.village_id, OfficeForum.kind,
        case((in_period, True), else_=False).label("in_period"),
        func.count().label("count"),
        func.coalesce(func.sum(OfficeForum.attendance_total), 0).label("total"),
        func.coalesce(func.sum(OfficeForum.attendance_women), 0).label("women"),
        func.coalesce(func.sum(OfficeForum.attendance_ethnic_minority), 0).label("ethnic"),
        # Households: the best-attended forum's (`households_represented`).
        func.coalesce(func.max(OfficeForum.households_represented), 0).label("households"),
        start=min(scope.period.year_start, scope.period.start))
    query = query.group_by(OfficeForum.commune_code, OfficeForum.village_id, OfficeForum.kind,
                           "in_period")
    return _dicts(db.session.execute(query))


DIMENSIONS = {
    "kind": OfficeOpinion.kind, "category": OfficeOpinion.category_code,
    "village": OfficeOpinion.village_id, "level": OfficeOpinion.level,
    "channel": OfficeOpinion.channel, "source_org": OfficeOpinion.source_org,
    "status": OfficeOpinion.status, "answered_on_spot": OfficeOpinion.answered_on_spot,
}


def _dimensions(scope: Scope) -> dict:
    """Return the dimensions the opinions panel counts (a province's: no village)."""
    return {name: column for name, column in DIMENSIONS.items()
            if not (name == "village" and scope.commune is None
                    and scope.account.commune_code is None)}  # a province: per commune


def summed_ahead(scope: Scope) -> bool:
    """Say whether the scope's counts can be read from office_opinion_count (models.py):
    PostgreSQL, a period of whole report months (10th to 9th), every unit's opinions."""
    period = scope.period
    return (db.session.get_bind().dialect.name == "postgresql"
            and period.start.day == 10 and (period.end + timedelta(days=1)).day == 10
            and period.start <= period.end and scope.account.role != "handler")


def opinions_panel(scope: Scope) -> dict[str, list[tuple]]:
    """Return opinion counts per commune and each dimension.

    From the counts summed ahead when the period allows (`summed_ahead`), else from the
    opinions: on PostgreSQL one scan, a commune's with GROUPING SETS (its villages among
    them), a province's by `_opinions_by_known_values`; elsewhere one GROUP BY a
    dimension. Both give the same rows (tests/test_reports_counts.py).
    """
    if summed_ahead(scope):
        return opinions_from_counts(scope)
    return opinions_from_rows(scope)


def _decode(dimension: str, value: str):
    if value == NO_VALUE and dimension in ("village", "source_org"):
        return None
    if dimension == "village":
        return uuid.UUID(value)
    if dimension == "answered_on_spot":
        return value == "true"
    return value


def _summed(scope: Scope, names) -> list[tuple]:
    """Return (commune, dimension, category, value, count) summed over the period's report
    months from office_opinion_count, counts above zero only."""
    count = func.sum(OpinionCount.count)
    keys = [OpinionCount.commune_code, OpinionCount.dimension, OpinionCount.category_code,
            OpinionCount.value]
    query = select(*keys, count).where(
        OpinionCount.month >= scope.period.start, OpinionCount.month <= scope.period.end,
        OpinionCount.dimension.in_(list(names))).group_by(*keys).having(count > 0)
    query = scoped(query, scope.account, OpinionCount.commune_code)
    if scope.commune is not None:
        query = query.where(OpinionCount.commune_code == scope.commune)
    return [tuple(row) for row in db.session.execute(query)]


def opinions_from_counts(scope: Scope) -> dict[str, list[tuple]]:
    """Return `opinions_panel`'s rows from the counts summed ahead."""
    found: dict[str, list[tuple]] = {name: [] for name in _dimensions(scope)}
    for code, dimension, _category, value, count in _summed(scope, found):
        found[dimension].append((code, _decode(dimension, value), int(count)))
    return found


def opinions_from_rows(scope: Scope) -> dict[str, list[tuple]]:
    """Return `opinions_panel`'s rows counted from the opinions themselves."""
    dimensions = _dimensions(scope)
    commune = OfficeOpinion.commune_code
    if db.session.get_bind().dialect.name == "postgresql" and "village" not in dimensions:
        return _opinions_by_known_values(scope)
    if db.session.get_bind().dialect.name == "postgresql":
        columns = list(dimensions.values())
        query = scope.opinions(commune, *columns, func.count(),
                               *(func.grouping(column) for column in columns)).group_by(
            func.grouping_sets(*(tuple_(commune, column) for column in columns)))
        found: dict[str, list[tuple]] = {name: [] for name in dimensions}
        names = list(dimensions)
        width = len(columns)
        for row in db.session.execute(query):
            flags = row[2 + width:]
            index = flags.index(0)  # the one dimension of this row's grouping set
            found[names[index]].append((row[0], row[1 + index], row[1 + width]))
        return found
    return {name: [tuple(row) for row in db.session.execute(
        scope.opinions(commune, column, func.count()).group_by(commune, column))]
        for name, column in dimensions.items()}


# The values a record may hold (sync.records), None where the column may be empty.
KNOWN_VALUES = {"kind": OPINION_KINDS, "level": LEVELS, "channel": CHANNELS,
                "source_org": (None, *SOURCE_ORGS), "status": WORKFLOW_STATUSES,
                "answered_on_spot": (False, True)}


def _opinions_by_known_values(scope: Scope) -> dict[str, list[tuple]]:
    """Return `opinions_panel`'s counts of a province (no village) on PostgreSQL.

    One GROUP BY commune and category, with a count per known value of every other
    dimension (FILTER), which PostgreSQL spreads over its workers: GROUPING SETS read a
    province's million opinions in one process, a hash table per dimension, ~3× slower.
    A value outside KNOWN_VALUES (an older laptop's, say) is counted by its own GROUP BY.
    """
    commune, category = OfficeOpinion.commune_code, OfficeOpinion.category_code
    cells = [(name, value) for name, values in KNOWN_VALUES.items() for value in values]

    def equals(name, value):
        column = DIMENSIONS[name]
        return column.is_(None) if value is None else column == value

    query = scope.opinions(commune, category, func.count(),
                           *(func.count().filter(equals(name, value))
                             for name, value in cells)).group_by(commune, category)
    found: dict[str, list[tuple]] = {name: [] for name in ("kind", "category", *KNOWN_VALUES)}
    per_commune: dict = defaultdict(lambda: defaultdict(int))
    for code, category_code, count, *counts in db.session.execute(query):
        found["category"].append((code, category_code, count))
        per_commune[code]["*"] += count
        for cell, value_count in zip(cells, counts, strict=True):
            per_commune[code][cell] += value_count
    for name, values in KNOWN_VALUES.items():
        rest = False
        for code, counts in per_commune.items():
            known = [(value, counts[(name, value)]) for value in values]
            found[name] += [(code, value, count) for value, count in known if count]
            rest = rest or sum(count for _value, count in known) < counts["*"]
        if rest:
            column = DIMENSIONS[name]
            others = column.not_in([value for value in values if value is not None])
            if None in values:
                others = and_(others, column.is_not(None))
            found[name] += [tuple(row) for row in db.session.execute(
                scope.opinions(commune, column, func.count()).where(others).group_by(
                    commune, column))]
    return found


def handling_panel(scope: Scope) -> list[tuple]:
    """Return (commune, unit, state, count) of the opinions to handle.

    From the states summed ahead when the period allows (`summed_ahead`), else from the
    opinions. Both give the same rows (tests/test_reports_counts.py).
    """
    if summed_ahead(scope):
        return handling_from_counts(scope)
    return handling_from_rows(scope)


# The day after every due date and every answer: an opinion's state as of it is the one
# office_opinion_count holds (dimension "handling", migration o015).
FOREVER = date.max


def not_final_by(as_of: date) -> tuple:
    """Return the two (disjoint) conditions of an opinion whose state as of `as_of` is not
    yet its final one (`handling_case` as of FOREVER): answered after that day; not
    answered, due on or after it and not settled by its status. Every other opinion's
    state is final. Each condition reads its own partial index alone (migration o015):
    opinions gain an answer and a due date at the office, so neither grows at ingest."""
    return (OfficeOpinion.answer_date > as_of,
            and_(OfficeOpinion.answer_date.is_(None), OfficeOpinion.due_on >= as_of,
                 OfficeOpinion.status.not_in(SETTLED)))


def handling_from_counts(scope: Scope) -> list[tuple]:
    """Return `handling_panel`'s rows from the final states summed ahead, corrected by the
    few opinions whose state as of the cut-off differs (`not_final_by`)."""
    cut_off = as_of(scope.period, scope.today)
    states: dict[tuple, int] = defaultdict(int)
    for code, _dimension, unit, state, count in _summed(scope, ("handling",)):
        states[(code, int(unit) if unit else None, state)] += int(count)
    final = handling_bucket(FOREVER).label("final")
    then = handling_bucket(cut_off).label("then")
    for condition in not_final_by(cut_off):
        query = scope.opinions(OfficeOpinion.commune_code, OfficeOpinion.unit_id, final, then,
                               func.count()).where(needs_handling(), condition).group_by(
            OfficeOpinion.commune_code, OfficeOpinion.unit_id, final, then)
        for code, unit, was, now, count in db.session.execute(query):
            states[(code, unit, was)] -= count
            states[(code, unit, now)] += count
    return [(code, unit, state, count) for (code, unit, state), count in states.items()
            if count]


def handling_from_rows(scope: Scope) -> list[tuple]:
    """Return `handling_panel`'s rows counted from the opinions themselves."""
    # Grouped by commune and unit, one count per state: grouped by the state's CASE,
    # PostgreSQL guessed a group per opinion and sorted a province's million on disk.
    conditions = handling_conditions(OfficeOpinion.answer_date, OfficeOpinion.due_on,
                                     OfficeOpinion.status, as_of(scope.period, scope.today))
    counted = [state for state in HANDLING if state in conditions]
    query = scope.opinions(OfficeOpinion.commune_code, OfficeOpinion.unit_id, func.count(),
                           *(func.count().filter(conditions[state]) for state in counted)
                           ).where(needs_handling()).group_by(
        OfficeOpinion.commune_code, OfficeOpinion.unit_id)
    found = []
    for code, unit, total, *counts in db.session.execute(query):
        states = dict(zip(counted, counts, strict=True))
        states["open"] = total - sum(counts)
        found += [(code, unit, state, states[state]) for state in HANDLING if states[state]]
    return found


def late_cases_panel(scope: Scope) -> list[tuple]:
    """Return (commune, explained, apologised, count) of the cases answered late (by the
    period's cut-off). A late opinion outside any case counts as a case of its own with
    neither recorded: the explanation and the apology are written on a case."""
    explained = case((and_(OfficeCase.late_explanation.is_not(None),
                           OfficeCase.late_explanation != ""), True), else_=False)
    apologised = case((OfficeCase.apology_on.is_not(None), True), else_=False)
    cut_off = as_of(scope.period, scope.today)
    query = select(OfficeCase.commune_code, explained.label("explained"),
                   apologised.label("apologised"), func.count()).where(
        OfficeCase.received_on >= scope.period.start, OfficeCase.received_on <= scope.period.end,
        OfficeCase.answer_date.is_not(None), OfficeCase.due_on.is_not(None),
        OfficeCase.answer_date > OfficeCase.due_on, OfficeCase.answer_date <= cut_off)
    query = scoped(query, scope.account, OfficeCase.commune_code, OfficeCase.unit_id)
    if scope.commune is not None:
        query = query.where(OfficeCase.commune_code == scope.commune)
    query = query.group_by(OfficeCase.commune_code, "explained", "apologised")
    alone = scope.opinions(OfficeOpinion.commune_code, func.count()).where(
        OfficeOpinion.case_id.is_(None), OfficeOpinion.due_on.is_not(None),
        OfficeOpinion.answer_date > OfficeOpinion.due_on, OfficeOpinion.answer_date <= cut_off
    ).group_by(OfficeOpinion.commune_code)
    return ([tuple(row) for row in db.session.execute(query)]
            + [(code, False, False, count) for code, count in db.session.execute(alone)])


def satisfaction_panel(scope: Scope) -> list[tuple]:
    """Return (commune, category, satisfaction, count) of the answers with a verdict
    (from the counts summed ahead when the period allows, as `opinions_panel`)."""
    if summed_ahead(scope):
        return satisfaction_from_counts(scope)
    return satisfaction_from_rows(scope)


def satisfaction_from_counts(scope: Scope) -> list[tuple]:
    """Return `satisfaction_panel`'s rows from the counts summed ahead."""
    return [(code, category, value, int(count))
            for code, _dimension, category, value, count in _summed(scope, ("satisfaction",))]


def satisfaction_from_rows(scope: Scope) -> list[tuple]:
    """Return `satisfaction_panel`'s rows counted from the opinions themselves."""
    query = scope.opinions(OfficeOpinion.commune_code, OfficeOpinion.category_code,
                           OfficeOpinion.satisfaction, func.count()).where(
        OfficeOpinion.satisfaction.is_not(None)).group_by(
        OfficeOpinion.commune_code, OfficeOpinion.category_code, OfficeOpinion.satisfaction)
    return [tuple(row) for row in db.session.execute(query)]


MOST_LISTED = 500  # late and overdue opinions listed by name; the inbox has them all


def late_list_panel(scope: Scope, personal: bool = False) -> list[dict]:
    """Return the opinions answered late or overdue, oldest due first (at most MOST_LISTED).

    The citizen's name and phone only when `personal` (a role holding personal.view),
    never a denouncer's nor an anonymous speaker's.
    """
    cut_off = as_of(scope.period, scope.today)
    bucket = handling_bucket(cut_off).label("bucket")
    columns = [OfficeOpinion.id, OfficeOpinion.commune_code, OfficeOpinion.village_id,
               OfficeOpinion.kind, OfficeOpinion.category_code, OfficeOpinion.content,
               OfficeOpinion.unit_id, OfficeOpinion.received_on, OfficeOpinion.due_on,
               OfficeOpinion.answer_date, bucket]
    columns += [OfficeOpinion.raiser_name, OfficeOpinion.raiser_phone,
                OfficeOpinion.anonymous]
    # First the ids, from the columns the report's index carries (migration o010: the
    # index alone on PostgreSQL), then the text and the names of those few only.
    listed = scope.opinions(OfficeOpinion.id).where(
        needs_handling(), bucket.in_(("late", "overdue"))).order_by(
        OfficeOpinion.due_on, OfficeOpinion.id).limit(MOST_LISTED)
    query = select(*columns).where(OfficeOpinion.id.in_(listed.scalar_subquery()))
    rows = _dicts(db.session.execute(query.order_by(OfficeOpinion.due_on, OfficeOpinion.id)))
    for row in rows:
        if row["answer_date"] is not None and row["answer_date"] > cut_off:
            # Overdue as the report stands: its answer came after the cut-off.
            row["answer_date"] = None
        hidden = row.pop("anonymous") or row["kind"] == "denunciation"
        if not personal:
            # The text may name its speaker or hold a phone number (a viewer, the API).
            row["content"] = scrub(row["content"], (row["raiser_name"] or "",))
            del row["raiser_name"], row["raiser_phone"]
        elif hidden:
            row["raiser_name"] = row["raiser_phone"] = None
    return rows


PANELS = {"villages": villages_panel, "forums": forums_panel, "opinions": opinions_panel,
          "handling": handling_panel, "late_cases": late_cases_panel,
          "satisfaction": satisfaction_panel, "late_list": late_list_panel}


# --- names ----------------------------------------------------------------------------------


def _label(table: dict, key: Any) -> str:
    if key is None:
        return _("(chưa ghi)")
    return str(table.get(key, key))


def _category_names(communes: set) -> dict[tuple[int, str], str]:
    if not communes:
        return {}
    rows = db.session.execute(select(OfficeCategory.commune_code, OfficeCategory.code,
                                     OfficeCategory.name).where(
        OfficeCategory.commune_code.in_(communes)))
    return {(row.commune_code, row.code): row.name for row in rows}


# --- the figures ----------------------------------------------------------------------------


@dataclass
class Figures:
    """Everything a report shows, as plain values (`as_json` is the API's answer)."""

    period: Period
    today: date
    commune: int | None
    commune_name: str | None
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Return the figures as the API answers them: `period` first, then `forums`."""
        return {"period": self.period.as_json(self.today), "forums": self.data["forums"],
                **{key: value for key, value in self.data.items() if key != "forums"}}


def _rows(counts: dict, names: dict | None = None, order: tuple | None = None,
          sort: bool = True) -> list[dict]:
    keys = list(order or ()) + [key for key in counts if not order or key not in order]
    rows = [{"key": None if key is None else str(key),
             "label": _label(names or {}, key), "count": counts.get(key, 0)} for key in keys]
    if sort:
        rows.sort(key=lambda row: (-row["count"], row["label"]))
    return rows


def compute(account, period: Period, commune: int | None = None,
            today: date | None = None, personal: bool = False,
            now: datetime | None = None) -> Figures:
    """Return the report of `period` for the account (one commune, or all it may see).

    `personal`: list late opinions with the citizen's name and phone (exports for roles
    holding personal.view); the dashboard and the API never ask for it. `now`: the time
    forums are held by (default: Vietnam's now, or the end of `today` if given).
    """
    if today is None:
        now = now or vietnam_now()
        today = now.date()
    commune = resolve_commune(account, commune)
    scope = Scope(account, commune, period, today, now)
    villages = villages_panel(scope)
    forums = forums_panel(scope)
    opinions = opinions_panel(scope)
    handling = handling_panel(scope)
    late_cases = late_cases_panel(scope)
    satisfaction = satisfaction_panel(scope)
    late_list = late_list_panel(scope, personal)

    kept = {row["id"]: row for row in villages
            if not row["deleted"] and row["merged_into"] is None}
    folded = {row["id"]: row["merged_into"] or row["id"] for row in villages}
    communes = sorted({row["commune_code"] for row in kept.values()}
                      | {row["commune_code"] for row in forums}
                      | {row[0] for rows in opinions.values() for row in rows}
                      | {row[0] for row in handling})
    if commune is not None:
        communes = [commune]

    # Forums in the period: per kind, attendance.
    by_kind: dict[str, int] = defaultdict(int)
    attendance = {"total": 0, "women": 0, "ethnic_minority": 0, "households_represented": 0}
    villages_met: set = set()
    represented: list[tuple] = []
    held_year: dict[int, set] = defaultdict(set)
    dialogues: dict[int, int] = defaultdict(int)
    forums_by_commune: dict[int, int] = defaultdict(int)
    for row in forums:
        village = folded.get(row["village_id"], row["village_id"])
        if row["kind"] == "listening":
            held_year[row["commune_code"]].add(village)
        if row["kind"] == "chairman_dialogue":
            dialogues[row["commune_code"]] += row["count"]
        if not row["in_period"]:
            continue
        by_kind[row["kind"]] += row["count"]
        forums_by_commune[row["commune_code"]] += row["count"]
        villages_met.add(village)
        attendance["total"] += row["total"]
        attendance["women"] += row["women"]
        attendance["ethnic_minority"] += row["ethnic"]
        represented.append((village, row["households"]))
    attendance["households_represented"] = households_represented(represented)
    households_of_met = sum(kept[v]["households"] or 0 for v in villages_met if v in kept)
    forums_total = sum(by_kind.values())

    # Coverage of the reporting year.
    missing = sorted((row for row in kept.values()
                      if row["id"] not in held_year[row["commune_code"]]),
                     key=lambda row: (row["commune_code"], row["name"]))
    held = len(kept) - len(missing)
    coverage_percent = percent(held, len(kept))

    # Opinions.
    category_names = {**{key: str(value) for key, value in labels.CATEGORY_LABELS.items()}}
    office_names = _category_names(set(communes))
    for (_commune, code), name in office_names.items():
        if commune is not None or code not in category_names:
            category_names[code] = name
    village_names = {row["id"]: row["name"] for row in villages}

    def counted(name: str, fold_village: bool = False) -> dict:
        counts: dict = defaultdict(int)
        for _commune, key, count in opinions.get(name, ()):
            if fold_village:
                key = folded.get(key, key)
            counts[key] += count
        return counts

    opinion_counts = {name: counted(name, name == "village") for name in opinions}
    total_opinions = sum(opinion_counts["kind"].values())
    per_commune_opinions: dict[int, int] = defaultdict(int)
    for code, _kind, count in opinions["kind"]:
        per_commune_opinions[code] += count
    spot = opinion_counts["answered_on_spot"].get(True, 0)

    # Handling.
    # Every commune side by side: each unit with its commune (names may repeat).
    unit_names = unit_labels({row[1] for row in handling}, commune is None)
    per_unit: dict = defaultdict(lambda: dict.fromkeys(HANDLING, 0))
    per_commune_handling: dict = defaultdict(lambda: dict.fromkeys(HANDLING, 0))
    for code, unit, bucket, count in handling:
        per_unit[unit][bucket] += count
        per_commune_handling[code][bucket] += count
    handling_total = dict.fromkeys(HANDLING, 0)
    for counts in per_unit.values():
        for bucket in HANDLING:
            handling_total[bucket] += counts[bucket]

    def handling_row(key, label, counts) -> dict:
        decided = counts["on_time"] + counts["late"] + counts["overdue"]
        return {"key": key, "label": label, **counts, "total": sum(counts.values()),
                "on_time_percent": percent(counts["on_time"], decided)}

    unit_rows = sorted((handling_row(unit, unit_names.get(unit, _("(chưa giao đơn vị)")),
                                     counts) for unit, counts in per_unit.items()),
                       key=lambda row: (row["key"] is None, row["label"]))
    late = {"total": 0, "explained": 0, "apologised": 0, "both": 0}
    for _code, explained, apologised, count in late_cases:
        late["total"] += count
        late["explained"] += count if explained else 0
        late["apologised"] += count if apologised else 0
        late["both"] += count if explained and apologised else 0
    late["missing"] = late["total"] - late["both"]

    # Satisfaction against the targets.
    sat_rows = []
    per_commune_sat: dict = defaultdict(lambda: [0, 0])
    for code, _category, verdict, count in satisfaction:
        if verdict == "satisfied":
            per_commune_sat[code][0] += count
        if verdict in ("satisfied", "unsatisfied"):
            per_commune_sat[code][1] += count
    for target in SATISFACTION_TARGETS:
        counts = dict.fromkeys(SATISFACTION, 0)
        for _code, category, verdict, count in satisfaction:
            if target.categories is None or category in target.categories:
                counts[verdict if verdict in counts else "unknown"] += count
        asked = counts["satisfied"] + counts["unsatisfied"]
        share = percent(counts["satisfied"], asked)
        sat_rows.append({"key": target.key, "label": str(target.label),
                         "target": target.percent, "source": str(target.source), **counts,
                         "asked": asked, "percent": share,
                         "met": None if share is None else share >= target.percent})

    # Communes side by side (a province account without a commune), ranked.
    ranking = []
    if commune is None:
        kept_by_commune: dict[int, int] = defaultdict(int)
        for row in kept.values():
            kept_by_commune[row["commune_code"]] += 1
        for code in communes:
            counts = per_commune_handling[code]
            decided = counts["on_time"] + counts["late"] + counts["overdue"]
            satisfied, asked = per_commune_sat[code]
            held_here = len([v for v in held_year[code] if v in kept])
            ranking.append({
                "commune": code, "name": commune_label(code),
                "villages": kept_by_commune[code], "villages_held": held_here,
                "coverage_percent": percent(held_here, kept_by_commune[code]),
                "dialogues": dialogues[code], "forums": forums_by_commune[code],
                "opinions": per_commune_opinions[code], **counts,
                "on_time_percent": percent(counts["on_time"], decided),
                "satisfied_percent": percent(satisfied, asked)})
        ranking.sort(key=lambda row: (-(row["coverage_percent"] or 0),
                                      -(row["on_time_percent"] or 0), row["overdue"],
                                      row["commune"]))
        for rank, row in enumerate(ranking, 1):
            row["rank"] = rank

    data = {
        "commune": commune, "commune_name": commune_label(commune) if commune else None,
        "as_of": as_of(period, today).isoformat(),
        "forums": {
            "total": forums_total,
            "by_kind": _rows(by_kind, {k: str(v) for k, v in labels.FORUM_KIND_LABELS.items()},
                             FORUM_KINDS, sort=False),
            "attendance": {**attendance, "households": households_of_met},
        },
        "coverage": {
            "from": period.year_start.isoformat(), "to": period.end.isoformat(),
            "villages": len(kept), "held": held, "percent": coverage_percent,
            "target": COVERAGE_TARGET,
            "met": None if coverage_percent is None else coverage_percent >= COVERAGE_TARGET,
            "missing": [{"id": str(row["id"]), "name": row["name"],
                         "commune": row["commune_code"]} for row in missing],
            "dialogues": sum(dialogues[code] for code in communes),
            "dialogues_target": DIALOGUES_TARGET * (len(communes) or 1),
        },
        "opinions": {
            "total": total_opinions, "answered_on_spot": spot,
            "by_kind": _rows(opinion_counts["kind"], _str(labels.OPINION_KIND_LABELS),
                             OPINION_KINDS, sort=False),
            "by_category": _rows(opinion_counts["category"], category_names),
            "by_level": _rows(opinion_counts["level"], _str(labels.LEVEL_LABELS), LEVELS,
                              sort=False),
            "by_channel": _rows(opinion_counts["channel"], _str(labels.CHANNEL_LABELS),
                                CHANNELS, sort=False),
            "by_source_org": _rows(opinion_counts["source_org"],
                                   _str(labels.SOURCE_ORG_LABELS), SOURCE_ORGS, sort=False),
            "by_status": _rows(opinion_counts["status"], _str(labels.WORKFLOW_STATUS_LABELS),
                               WORKFLOW_STATUSES, sort=False),
        },
        "handling": {**handling_total, "total": sum(handling_total.values()),
                     "on_time_percent": handling_row(None, "", handling_total)[
                         "on_time_percent"],
                     "by_unit": unit_rows,
                     "by_commune": [handling_row(code, commune_label(code),
                                                 per_commune_handling[code])
                                    for code in communes],
                     "late_cases": late},
        "satisfaction": sat_rows,
        "communes": ranking,
        "late_list": [{**{name: value for name, value in row.items() if name != "village_id"},
                       "id": str(row["id"]),
                       "village": village_names.get(row["village_id"], ""),
                       "unit": unit_names.get(row["unit_id"]) or (
                           _names_of_units(row["unit_id"], commune is None)
                           if row["unit_id"] else ""),
                       "category": category_names.get(row["category_code"],
                                                      row["category_code"]),
                       "received_on": _iso(row["received_on"]), "due_on": _iso(row["due_on"]),
                       "answer_date": _iso(row["answer_date"])} for row in late_list],
    }
    if "village" in opinion_counts:
        data["opinions"]["by_village"] = _rows(opinion_counts["village"], village_names)
        for row in data["opinions"]["by_village"]:
            # The village's UUID as text (JSON, and a drill-down filter).
            row["key"] = None if row["key"] is None else str(row["key"])
    else:
        data["opinions"]["by_commune"] = [
            {"key": str(code), "label": commune_label(code), "count": per_commune_opinions[code]}
            for code in communes]
    return Figures(period, today, commune, data["commune_name"], data)


def _str(table: dict) -> dict:
    return {key: str(value) for key, value in table.items()}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _names_of_units(unit: int, server_wide: bool = False) -> str:
    return unit_labels({unit}, server_wide).get(unit, "")


# --- công khai: what the public page publishes ---------------------------------------------

# Never published: a denouncer's matter (Luật Tố cáo, art. 47) and a complainant's own case.
UNPUBLISHED_KINDS = ("denunciation", "complaint")
MOST_PUBLISHED = 500
PHONE_LIKE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")


@dataclass
class PublicReader:
    """The scope of an unauthenticated visitor of one commune's public page."""

    commune_code: int
    role: str = "viewer"
    unit_id: None = None


# What stands where a name or a phone number was: plainly left out, not a cut-off text.
BLANKED = "[…]"


def scrub(text: str | None, names: tuple[str, ...] = ()) -> str:
    """Return text fit to publish: phone numbers and the speaker's name blanked out."""
    if not text:
        return ""
    for name in names:
        if name and len(name.strip()) > 1:
            text = re.sub(re.escape(name.strip()), BLANKED, text, flags=re.IGNORECASE)
    return PHONE_LIKE.sub(BLANKED, text)


def published_answers(commune: int, period: Period) -> list[dict]:
    """Return the answered opinions of a commune's period, by village and category,
    without any personal data (no name, no phone; never a denunciation or a complaint)."""
    reader = PublicReader(commune)
    scope = Scope(reader, commune, period, vietnam_today(), vietnam_now())
    answered = or_(OfficeOpinion.answer_text.is_not(None),
                   and_(OfficeOpinion.answered_on_spot.is_(True),
                        OfficeOpinion.spot_answer.is_not(None)))
    query = scope.opinions(
        OfficeOpinion.village_id, OfficeOpinion.category_code, OfficeOpinion.category_name,
        OfficeOpinion.content, OfficeOpinion.answer_text, OfficeOpinion.answer_date,
        OfficeOpinion.spot_answer, OfficeOpinion.spoken_on, OfficeOpinion.received_on,
        OfficeOpinion.raiser_name).where(
        answered, OfficeOpinion.kind.not_in(UNPUBLISHED_KINDS)).order_by(
        OfficeOpinion.village_id, OfficeOpinion.category_code, OfficeOpinion.received_on,
        OfficeOpinion.id).limit(MOST_PUBLISHED)
    rows = db.session.execute(query).all()
    villages = dict(db.session.execute(select(OfficeVillage.id, OfficeVillage.name).where(
        OfficeVillage.commune_code == commune)).all())
    names = _category_names({commune})
    out = []
    for row in rows:
        hidden = (row.raiser_name,) if row.raiser_name else ()
        out.append({
            "village": villages.get(row.village_id, ""),
            # A seeded category in the reader's language, unless the office renamed it.
            "category": labels.category_label(
                row.category_code, names.get((commune, row.category_code)) or row.category_name),
            "content": scrub(row.content, hidden),
            "answer": scrub(row.answer_text or row.spot_answer, hidden),
            "answered_on": _iso(row.answer_date or row.spoken_on),
            "at_forum": row.answer_text is None})
    out.sort(key=lambda item: (item["village"], item["category"]))
    return out
