"""Create, edit, finalise and amend forums; plain functions, no request needed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from ..areas.logic import kept_village_id
from ..areas.models import Village
from ..errors import Locked, NotFound, ValidationFailed
from ..extensions import db
from ..labels import forum_status
from ..models_base import Page, as_uuid, get_record, utcnow
from ..rules import wire_errors
from ..text import nfc
from .models import FORUM_KINDS, Amendment, Decision, Forum

TEXT_FIELDS = ("title", "venue", "chair", "secretary", "officials_present", "agenda", "summary")
COUNT_FIELDS = ("attendance_total", "attendance_women", "attendance_ethnic_minority",
                "households_represented")
# How far ahead a forum may be set: one planned for next season, not a mistyped year (the
# laptop's clock may lag a little too).
FARTHEST_AHEAD = timedelta(days=366)
FORUM_FIELDS = ("kind", "village_id", "started_at", "ended_at", *TEXT_FIELDS, *COUNT_FIELDS)
MAX_COUNT = 100_000


def check_counts(values: dict[str, Any], fields: tuple[str, ...], errors: dict) -> None:
    """Put an error in `errors` for each count that is negative or absurd."""
    for name in fields:
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            errors[name] = _("Phải là số nguyên.")
        elif not 0 <= value <= MAX_COUNT:
            errors[name] = _("Phải từ 0 đến %(max)d.", max=MAX_COUNT)


def check_attendance(values: dict[str, Any], village: Village | None) -> dict[str, str]:
    """Return the attendance figures that do not add up, by field.

    Women and ethnic-minority attendees are part of the total; households
    represented cannot exceed the village's households.
    """
    errors: dict[str, str] = {}
    check_counts(values, COUNT_FIELDS, errors)
    total = values.get("attendance_total")
    if total is not None and "attendance_total" not in errors:
        for name in ("attendance_women", "attendance_ethnic_minority"):
            part = values.get(name)
            if part is not None and name not in errors and part > total:
                errors[name] = _("Không được lớn hơn tổng số người dự (%(total)d).", total=total)
    households = values.get("households_represented")
    if (households is not None and "households_represented" not in errors
            and village is not None and village.households is not None
            and households > village.households):
        errors["households_represented"] = _(
            "Không được lớn hơn số hộ của %(village)s (%(n)d hộ).",
            village=village.name, n=village.households)
    return errors


def check_forum(data: dict[str, Any]) -> dict[str, Any]:
    """Return the forum fields cleaned (NFC text); raise ValidationFailed if bad."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    kind = data.get("kind") or "listening"
    if kind not in FORUM_KINDS:
        errors["kind"] = _("Loại hội nghị không hợp lệ.")
    clean["kind"] = kind
    village = None
    village_id = data.get("village_id")
    if village_id:
        village = db.session.get(Village, as_uuid(village_id))
    if village is None:
        errors["village_id"] = _("Hãy chọn bản/thôn.")
    clean["village_id"] = village.id if village else None
    started, ended = data.get("started_at"), data.get("ended_at")
    if not isinstance(started, datetime):
        errors["started_at"] = _("Hãy nhập ngày giờ bắt đầu.")
    elif started > datetime.now() + FARTHEST_AHEAD:
        # A year typed wrong (2062 for 2026) puts the forum in no report anyone reads.
        errors["started_at"] = _("Ngày bắt đầu quá xa (sau %(d)s): hãy xem lại năm.",
                                 d=f"{datetime.now() + FARTHEST_AHEAD:%d/%m/%Y}")
    if ended is not None and isinstance(started, datetime) and ended < started:
        errors["ended_at"] = _("Giờ kết thúc phải sau giờ bắt đầu.")
    clean["started_at"], clean["ended_at"] = started, ended
    for name in TEXT_FIELDS:
        clean[name] = nfc(data.get(name)) or None
    for name in COUNT_FIELDS:
        clean[name] = data.get(name)
    errors.update(check_attendance(clean, village))
    # Lengths, control characters, dates in range: the wire's rules, judged here first.
    errors = {**wire_errors("forum", clean), **errors}
    if errors:
        raise ValidationFailed(_("Thông tin hội nghị chưa hợp lệ; hãy sửa các ô được đánh dấu."),
                               errors)
    return clean


def get_forum(forum_id) -> Forum:
    """Return the forum with this id or raise NotFound."""
    return get_record(Forum, forum_id, _("Không tìm thấy hội nghị này."))


def saved_forum(forum_id: uuid.UUID | None) -> Forum | None:
    """Return the forum a form with this client id already made, if any."""
    return db.session.get(Forum, forum_id) if forum_id is not None else None


def differs_from_saved(forum: Forum, data: dict[str, Any]) -> bool:
    """Tell whether a create form sent again asks for other values than the forum it made.

    Back to the form, a field changed, Lưu: the forum is not made twice, and the
    change must not be dropped without a word.
    """
    try:
        clean = check_forum(data)
    except ValidationFailed:
        return True
    clean["village_id"] = kept_village_id(clean["village_id"])
    return any(getattr(forum, name) != value for name, value in clean.items())


def deleted_forum(forum_id: uuid.UUID | None) -> bool:
    """Tell whether a forum with this id was deleted here (its newest outbox row says so).

    The office keeps its tombstone for good: the same id made again would be refused.
    """
    from ..outbox.models import Outbox

    if forum_id is None:
        return False
    return db.session.execute(
        db.select(Outbox.op).where(Outbox.collection == "forum", Outbox.record_id == forum_id)
        .order_by(Outbox.seq.desc()).limit(1)).scalar() == "delete"


def create_forum(data: dict[str, Any], forum_id: uuid.UUID | None = None) -> Forum:
    """Create a draft forum; a repeated `forum_id` returns the stored one."""
    existing = saved_forum(forum_id)
    if existing is not None:
        return existing
    if deleted_forum(forum_id):
        raise ValidationFailed(_("Hội nghị này đã bị xoá; hãy tạo hội nghị mới."))
    clean = check_forum(data)
    # A village the office merged into another: new forums go to the kept one.
    clean["village_id"] = kept_village_id(clean["village_id"])
    forum = Forum(**clean, status="draft")
    if forum_id is not None:
        forum.id = forum_id
    db.session.add(forum)
    db.session.flush()
    return forum


def ensure_draft(forum: Forum) -> None:
    """Refuse a plain change to a finalised forum."""
    if forum.is_finalised:
        raise Locked(_("Biên bản đã chốt; mọi thay đổi phải ghi thành đính chính "
                       "(có lý do và người sửa)."))


def check_votes_fit(forum: Forum, clean: dict[str, Any]) -> None:
    """Refuse an attendance total smaller than the votes already counted."""
    total = clean.get("attendance_total")
    if total is None:
        return
    cast = max((sum(v or 0 for v in (d.votes_for, d.votes_against, d.votes_abstain))
                for d in forum.decisions), default=0)
    if cast > total:
        raise ValidationFailed(
            _("Tổng số người dự nhỏ hơn số phiếu đã ghi ở phần biểu quyết."),
            {"attendance_total": _("Không được nhỏ hơn %(cast)d (số phiếu đã biểu quyết).",
                                   cast=cast)})


def update_forum(forum: Forum, data: dict[str, Any]) -> Forum:
    """Change a draft forum."""
    ensure_draft(forum)
    clean = check_forum(data)
    check_votes_fit(forum, clean)
    for key, value in clean.items():
        setattr(forum, key, value)
    db.session.flush()
    return forum


def check_amendment(reason: str | None, author: str | None) -> tuple[str, str]:
    """Return reason and author cleaned; both are required for an amendment."""
    errors = {}
    reason, author = nfc(reason) or "", nfc(author) or ""
    if not reason:
        errors["reason"] = _("Hãy ghi lý do đính chính.")
    if not author:
        errors["author"] = _("Hãy ghi tên người đính chính.")
    errors = {**wire_errors("amendment", {"reason": reason, "author": author}), **errors}
    if errors:
        raise ValidationFailed(_("Đính chính cần lý do và người sửa."), errors)
    return reason, author


def _as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def record_amendment(forum: Forum, target, target_kind: str, changes: dict[str, Any],
                     reason: str, author: str) -> list[Amendment]:
    """Apply `changes` to `target`, keeping each old value in an amendment row."""
    rows = []
    for name, new in changes.items():
        old = getattr(target, name)
        if old == new:
            continue
        rows.append(Amendment(forum=forum, target=target_kind, target_id=target.id, field=name,
                              old_value=_as_text(old), new_value=_as_text(new),
                              reason=reason, author=author))
        setattr(target, name, new)
    if not rows:
        raise ValidationFailed(_("Không có gì thay đổi so với biên bản đã chốt."))
    db.session.add_all(rows)
    db.session.flush()
    return rows


def amend_forum(forum: Forum, data: dict[str, Any], reason: str | None,
                author: str | None) -> list[Amendment]:
    """Change a finalised forum, recording reason, author, time and old values."""
    if not forum.is_finalised:
        raise ValidationFailed(_("Hội nghị chưa chốt biên bản: hãy sửa trực tiếp."))
    reason, author = check_amendment(reason, author)
    clean = check_forum(data)
    check_votes_fit(forum, clean)
    return record_amendment(forum, forum, "forum", clean, reason, author)


def finalise_missing(forum: Forum) -> dict[str, str]:
    """Return what the minutes still lack before they can be finalised, by form field
    (empty: they can be). The forum page shows it before offering the button."""
    missing = {}
    if not forum.chair:
        missing["chair"] = _("Cần ghi người chủ trì.")
    if not forum.secretary:
        missing["secretary"] = _("Cần ghi thư ký.")
    if forum.attendance_total is None:
        missing["attendance_total"] = _("Cần ghi tổng số người dự.")
    from ..opinions.logic import vietnam_now

    if forum.started_at is not None and forum.started_at > vietnam_now():
        # Minutes of a meeting still to come: the office would count it as held.
        missing["started_at"] = _(
            "Hội nghị ghi bắt đầu lúc %(at)s, chưa đến giờ: chỉ chốt biên bản sau khi đã "
            "họp. Nếu ghi nhầm ngày giờ, hãy sửa giờ bắt đầu.",
            at=forum.started_at.strftime("%d/%m/%Y %H:%M"))
    return missing


def finalise_forum(forum: Forum) -> Forum:
    """Lock the minutes; they need a chair, a secretary and the attendance."""
    ensure_draft(forum)
    missing = finalise_missing(forum)
    if missing:
        raise ValidationFailed(_("Chưa thể chốt biên bản: còn thiếu thông tin."), missing)
    forum.status = "finalised"
    forum.finalised_at = utcnow()
    if forum.ended_at is None:
        # Meeting times are local wall-clock minutes, like the form's.
        forum.ended_at = max(datetime.now().replace(second=0, microsecond=0), forum.started_at)
    db.session.flush()
    return forum


def add_decision(forum: Forum, text: str | None, votes_for=None, votes_against=None,
                 votes_abstain=None) -> Decision:
    """Add a decision with its hand-vote counts to a draft forum."""
    ensure_draft(forum)
    errors: dict[str, str] = {}
    text = nfc(text) or ""
    if not text:
        errors["text"] = _("Hãy ghi nội dung quyết định.")
    votes = {"votes_for": votes_for, "votes_against": votes_against,
             "votes_abstain": votes_abstain}
    check_counts(votes, tuple(votes), errors)
    errors = {**wire_errors("decision", {"text": text}), **errors}
    cast = sum(v for v in votes.values() if isinstance(v, int) and not isinstance(v, bool))
    if (not errors and forum.attendance_total is not None and cast > forum.attendance_total):
        errors["votes_for"] = _("Tổng số phiếu (%(cast)d) vượt số người dự (%(total)d).",
                                cast=cast, total=forum.attendance_total)
    if errors:
        raise ValidationFailed(_("Quyết định chưa hợp lệ."), errors)
    decision = Decision(forum=forum, text=text, position=len(forum.decisions) + 1, **votes)
    db.session.add(decision)
    db.session.flush()
    return decision


def remove_decision(forum: Forum, decision_id) -> None:
    """Remove a decision from a draft forum."""
    ensure_draft(forum)
    decision = db.session.get(Decision, as_uuid(decision_id))
    if decision is None or decision.forum_id != forum.id:
        raise NotFound(_("Không tìm thấy quyết định này."))
    forum.decisions.remove(decision)
    db.session.flush()


def delete_forum(forum: Forum) -> None:
    """Delete a draft forum made by mistake; refuse one that holds what was said or done.

    The deletion is a tombstone in the outbox (outbox.capture): the office stops
    counting the forum and its attendance once the laptop syncs.
    """
    from ..answers.models import AnswerReading
    from ..attachments.models import Attachment
    from ..opinions.models import Opinion

    if forum.is_finalised:
        raise Locked(_("Biên bản đã chốt: không xoá được hội nghị đã họp. Nếu có sai sót, "
                       "hãy ghi đính chính."))

    def holds(query) -> bool:
        return db.session.execute(query.limit(1)).first() is not None

    if holds(db.select(Opinion.id).where(Opinion.forum_id == forum.id)):
        raise ValidationFailed(_("Không xoá được: hội nghị đã có ý kiến được ghi. Chỉ xoá được "
                                 "hội nghị tạo nhầm, chưa có ý kiến nào; nếu các ý kiến cũng "
                                 "ghi nhầm, hãy xoá từng ý kiến trước."))
    if holds(db.select(Opinion.id).where(Opinion.satisfaction_forum_id == forum.id)):
        raise ValidationFailed(_("Không xoá được: mức độ hài lòng của người dân với câu trả "
                                 "lời của xã đã được ghi tại hội nghị này."))
    if forum.decisions:
        raise ValidationFailed(_("Không xoá được: hội nghị đã có quyết định biểu quyết; hãy "
                                 "xoá các quyết định trước."))
    if holds(db.select(Attachment.id).where(Attachment.forum_id == forum.id)):
        raise ValidationFailed(_("Không xoá được: hội nghị có tệp đính kèm; hãy xoá tệp "
                                 "trước."))
    # Answers marked as read out there: read out at no forum (never synced, laptop only).
    db.session.execute(db.update(AnswerReading).where(AnswerReading.forum_id == forum.id)
                       .values(forum_id=None))
    db.session.delete(forum)
    db.session.flush()


def decision_passed(forum: Forum, decision: Decision) -> bool | None:
    """Tell whether a decision passed: more than half of those voting.

    Village meetings pass with more than half of the household
    representatives present (Luật Thực hiện dân chủ ở cơ sở 2022); without
    that figure, more than half of the attendees.
    """
    if decision.votes_for is None:
        return None
    base = forum.households_represented or forum.attendance_total
    if not base:
        return None
    return decision.votes_for * 2 > base


@dataclass(frozen=True, slots=True)
class ListedForum:
    """A row of the forum list: what the page shows of a forum, no ORM object."""

    id: str
    started: str  # the meeting's wall time as the list shows it, "dd/mm/yyyy hh:mm"
    kind: str
    title: str | None
    status: str
    village: SimpleNamespace  # .name


def listed_forums(village_id=None, status: str | None = None, page: int = 1,
                  per_page: int = 50) -> Page:
    """Return one page of the forum list's rows, newest first, optionally of one village
    or status.

    Columns in one query: loading 400 forums as ORM objects was half the page's CPU.
    The id and date as the page prints them, made here in one loop: through the
    template's filters they were a third of what remained. A page of `per_page`: all
    400 of a laptop holding 20,000 opinions took ~30 ms to render.
    """
    query = db.select(Forum.id, Forum.started_at, Forum.kind, Forum.title, Forum.status,
                      Village.name).join(Village, Village.id == Forum.village_id)
    if village_id:
        query = query.where(Forum.village_id == as_uuid(village_id))
    if status in ("draft", "finalised"):
        query = query.where(Forum.status == status)
    total = db.session.execute(
        query.with_only_columns(func.count(), maintain_column_froms=True)).scalar_one()
    page = max(1, page)
    names: dict[str, SimpleNamespace] = {}
    rows = db.session.execute(query.order_by(Forum.started_at.desc(), Forum.id.desc())
                              .limit(per_page).offset((page - 1) * per_page))
    # Stored times are the laptop's wall time as typed: shown as is (the `dt` filter's way).
    # The status as shown: a draft still ahead is "planned".
    return Page(items=[ListedForum(str(row[0]), row[1].strftime("%d/%m/%Y %H:%M"), row[2],
                                   row[3], forum_status(row[4], row[1]),
                                   names.setdefault(row[5], SimpleNamespace(name=row[5])))
                       for row in rows], total=total, page=page, per_page=per_page)


def list_forums(village_id=None, status: str | None = None) -> list[Forum]:
    """Return forums, newest first, optionally of one village or status."""
    # Each forum's village in one more query, not one per village as the rows render.
    query = db.select(Forum).options(selectinload(Forum.village)).order_by(
        Forum.started_at.desc())
    if village_id:
        query = query.where(Forum.village_id == as_uuid(village_id))
    if status in ("draft", "finalised"):
        query = query.where(Forum.status == status)
    return list(db.session.execute(query).scalars())
