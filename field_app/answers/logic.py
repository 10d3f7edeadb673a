"""Answers to read out at a village's next forum; the citizen's satisfaction with each.

The office's answer reaches the laptop with a pull (centrally owned fields of
the opinion). The village head reads it out at the next forum and notes, for
each, whether the citizen is satisfied; that goes back up with the next sync
(`satisfaction*` are field-owned values of the opinion, see sync.records).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm.attributes import flag_modified

from sync.records import SATISFACTION_FIELDS, SATISFACTIONS

from ..api.schemas import VIETNAM
from ..areas.models import Village
from ..errors import ValidationFailed
from ..extensions import db
from ..forums.models import Forum
from ..models_base import as_uuid, get_record, utcnow
from ..opinions.models import Opinion
from .models import AnswerReading


@dataclass
class Answer:
    """One answered opinion on the read-out list."""

    opinion: Opinion
    reading: AnswerReading | None

    @property
    def read_out(self) -> bool:
        """Tell whether this answer (as it is now) was read out already."""
        return _read_out(self.opinion, self.reading)


@dataclass
class AnswerGroup:
    """One answer on the read-out list and the opinions it answers: a case's members of
    the village (two citizens raised the same thing) hear it once, and each citizen's
    satisfaction is still recorded on their own opinion."""

    items: list[Answer]

    @property
    def answer(self) -> Opinion:
        """Return the opinion whose answer fields are shown (all of the group's are alike)."""
        return self.items[0].opinion


def _answer_key(opinion: Opinion) -> tuple:
    # A case's opinions name its first one in `merged_into` (the first names none), and
    # the case's answer fans out to each: alike, they are one answer to read out.
    return (opinion.merged_into or opinion.id, opinion.answer_text, opinion.answer_by,
            opinion.answer_doc_number, opinion.answer_date)


def grouped(items: list[Answer]) -> list[AnswerGroup]:
    """Return the list's answers once each, with the opinions each answers, in list order."""
    groups: dict[tuple, AnswerGroup] = {}
    for item in items:
        groups.setdefault(_answer_key(item.opinion), AnswerGroup([])).items.append(item)
    return list(groups.values())


def _read_out(opinion: Opinion, reading: AnswerReading | None) -> bool:
    if reading is None:
        return False
    # The office changed its answer after the reading: the new one is read out again.
    return opinion.central_changed_at is None or reading.read_at >= opinion.central_changed_at


def get_village(village_id) -> Village:
    """Return the village with this id or raise NotFound."""
    return get_record(Village, village_id, _("Không tìm thấy bản/thôn này."))


def _village_ids(village: Village) -> list[uuid.UUID]:
    """Return the village and those the office merged into it: their answers are read here."""
    merged = db.session.execute(select(Village.id).where(Village.merged_into == village.id))
    return [village.id, *merged.scalars()]


def _answered():
    return and_(Opinion.answer_text.is_not(None), Opinion.answer_text != "")


def answers(village: Village, include_read: bool = False, forum: Forum | None = None,
            now: datetime | None = None) -> list[Answer]:
    """Return the village's answered opinions, oldest answer first.

    By default the unread ones, and those read out at this sitting: at `forum`,
    or at no forum since yesterday (next_forum's window). A satisfaction just
    recorded stays in sight to be checked or changed instead of leaving the list.
    """
    rows = db.session.execute(
        select(Opinion, AnswerReading)
        .outerjoin(AnswerReading, AnswerReading.opinion_id == Opinion.id)
        # An opinion the office merged into another keeps its answer (the case's answer
        # fans out to every member): its village hears it too.
        .where(Opinion.village_id.in_(_village_ids(village)), _answered())
        .order_by(Opinion.answer_date.is_(None), Opinion.answer_date, Opinion.created_at,
                  Opinion.id)).all()
    found = [Answer(opinion, reading) for opinion, reading in rows]
    if include_read:
        return found
    since = (now or utcnow()) - timedelta(days=1)
    return [item for item in found if not item.read_out or _read_at_this_sitting(
        item.reading, forum, since)]


def _read_at_this_sitting(reading: AnswerReading | None, forum: Forum | None,
                          since: datetime) -> bool:
    if reading is None:
        return False
    if forum is not None and reading.forum_id == forum.id:
        return True
    return reading.forum_id is None and reading.read_at >= since


def _unread():
    return or_(AnswerReading.read_at.is_(None), AnswerReading.read_at < Opinion.central_changed_at)


def unread_count(village_id) -> int:
    """Return how many answers wait to be read out in one village (and those merged into it)."""
    village = db.session.get(Village, village_id)
    if village is None:
        return 0
    return db.session.execute(
        select(func.count()).select_from(Opinion)
        .outerjoin(AnswerReading, AnswerReading.opinion_id == Opinion.id)
        .where(Opinion.village_id.in_(_village_ids(village)), _answered(),
               _unread())).scalar_one()


def unread_counts() -> dict[uuid.UUID, int]:
    """Return, per village id, how many answers wait to be read out (none: left out)."""
    rows = db.session.execute(
        select(Opinion.village_id, func.count())
        .outerjoin(AnswerReading, AnswerReading.opinion_id == Opinion.id)
        .where(_answered(), _unread())
        .group_by(Opinion.village_id)).all()
    counts: dict[uuid.UUID, int] = {}
    kept = dict(db.session.execute(select(Village.id, Village.merged_into)
                                   .where(Village.merged_into.is_not(None))).all())
    for village_id, count in rows:
        key = kept.get(village_id) or village_id
        counts[key] = counts.get(key, 0) + count
    return counts


def next_forum(village: Village, now: datetime | None = None,
               status: str = "draft") -> Forum | None:
    """Return the forum the answers are being read out at: the village's latest draft one
    that began since yesterday (its start is the laptop's wall clock). An older draft is
    not it: the answers came after it; the village head opens today's forum first.

    `status="finalised"`: today's forum whose minutes are already finalised (the list then
    says so, rather than that the village held none)."""
    since = (now or datetime.now()) - timedelta(days=1)
    return db.session.execute(
        select(Forum).where(Forum.village_id == village.id, Forum.status == status,
                            Forum.started_at >= since)
        .order_by(Forum.started_at.desc()).limit(1)).scalar_one_or_none()


def todays_forum(village: Village, now: datetime | None = None) -> Forum | None:
    """Return the village's forum being held today, if it is the only one: satisfaction
    read out there is recorded at it without the user choosing it first.

    A draft forum that began since yesterday (next_forum's window) and not after today;
    none, or two of them (which one?), give None and the list offers the choice. Today
    is Vietnam's, as the forum form's default start (a laptop set to UTC is 7 h behind).
    """
    now = now or datetime.now(VIETNAM).replace(tzinfo=None)
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
    found = db.session.execute(
        select(Forum).where(Forum.village_id == village.id, Forum.status == "draft",
                            Forum.started_at >= now - timedelta(days=1),
                            Forum.started_at < tomorrow).limit(2)).scalars().all()
    return found[0] if len(found) == 1 else None


def forum_for(village: Village, forum_id) -> Forum | None:
    """Return the forum named by `forum_id`, which must be one of the village's; None if empty."""
    if forum_id in (None, ""):
        return None
    key = as_uuid(forum_id)
    forum = db.session.get(Forum, key) if key is not None else None
    if forum is None or forum.village_id not in _village_ids(village):
        message = _("Hội nghị này không phải của bản/thôn có ý kiến; hãy chọn lại hội nghị.")
        raise ValidationFailed(message, {"forum_id": message})
    return forum


def _answered_opinion(opinion_id) -> Opinion:
    opinion = get_record(Opinion, opinion_id, _("Không tìm thấy ý kiến này."))
    if not opinion.answer_text:
        message = _("Ý kiến này chưa có trả lời của xã: chưa thể đọc hay ghi mức độ hài lòng.")
        raise ValidationFailed(message, {"opinion_id": message})
    return opinion


def mark_read_out(opinion_id, forum_id=None, read: bool = True,
                  at: datetime | None = None) -> AnswerReading | None:
    """Note that the answer was read out (at a forum, if given), or undo it; flushes."""
    opinion = _answered_opinion(opinion_id)
    forum = forum_for(opinion.village, forum_id)
    reading = db.session.get(AnswerReading, opinion.id)
    if not read:
        if reading is not None:
            db.session.delete(reading)
            db.session.flush()
        return None
    if reading is None:
        reading = AnswerReading(opinion_id=opinion.id)
        db.session.add(reading)
    reading.forum_id = forum.id if forum else None
    reading.read_at = at or utcnow()
    db.session.flush()
    return reading


def record_satisfaction(opinion_id, value: str | None, forum_id=None,
                        at: datetime | None = None) -> Opinion:
    """Record whether the citizen is satisfied with the answer (empty: not recorded); flushes.

    Noted with when and at which forum, by the village (no office account); the
    answer counts as read out. The next sync takes it to the office.
    """
    opinion = _answered_opinion(opinion_id)
    value = (value or "").strip() or None
    if value is not None and value not in SATISFACTIONS:
        message = _("Mức độ hài lòng không hợp lệ: chọn Hài lòng, Không hài lòng hoặc Vắng mặt.")
        raise ValidationFailed(message, {"satisfaction": message})
    forum = forum_for(opinion.village, forum_id)
    at = at or utcnow()
    if value != opinion.satisfaction or (value is not None and (
            opinion.satisfaction_by is not None
            or opinion.satisfaction_forum_id != (forum.id if forum else None))):
        opinion.satisfaction = value
        opinion.satisfaction_at = at if value else None
        opinion.satisfaction_forum_id = forum.id if forum and value else None
        opinion.satisfaction_by = None
        # One recording, sent whole (all four fields count as changed): the central merges
        # per field, and a concurrent office recording must never mix with this one.
        for name in SATISFACTION_FIELDS:
            flag_modified(opinion, name)
    if value is not None and not _read_out(opinion, db.session.get(AnswerReading, opinion.id)):
        mark_read_out(opinion.id, forum.id if forum else None, at=at)
    db.session.flush()
    return opinion


def satisfaction_forums(opinions: list[Opinion]) -> dict[uuid.UUID, Forum]:
    """Return the forums satisfaction was recorded at, by id."""
    ids = {opinion.satisfaction_forum_id for opinion in opinions} - {None}
    if not ids:
        return {}
    return {forum.id: forum for forum in db.session.execute(
        select(Forum).where(Forum.id.in_(ids))).scalars()}


def answers_pages(drafts: list[Forum]) -> list[str]:
    """Return the read-out pages a meeting needs offline (pwa.logic.meeting_pages).

    The village list, each village with answers waiting, and each draft forum's
    own list (where satisfaction is recorded at that forum).
    """
    from flask import url_for

    counts = unread_counts()
    pages = [url_for("answers.index")]
    pages += [url_for("answers.read_out", village_id=village_id) for village_id in counts]
    pages += [url_for("answers.read_out", village_id=forum.village_id, forum=forum.id)
              for forum in drafts if forum.village_id in counts]
    return pages
