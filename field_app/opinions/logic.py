"""Record, edit, list and search opinions; plain functions, no request needed."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, false, func
from sqlalchemy.orm import selectinload

from sync.records import CORRECTABLE, SATISFACTION_FIELDS, SCHEMAS

from ..areas.logic import kept_village_id
from ..areas.models import Village
from ..dates import parse_day
from ..errors import ValidationFailed
from ..extensions import db
from ..forums.logic import check_amendment, ensure_draft, record_amendment
from ..forums.models import Forum
from ..models_base import Page, as_uuid, get_record
from ..rules import max_length, wire_errors
from ..text import fold, nfc, vietnamese_phone
from .models import CHANNELS, GENDERS, LEVELS, OPINION_KINDS, SOURCE_ORGS, Category, Opinion

PHONE_LENGTH = max_length("opinion", "raiser_phone") or 20
# Who raised it: hidden everywhere for a denunciation but on the opinion's own page.
IDENTITY_FIELDS = ("raiser_name", "raiser_gender", "raiser_phone")
OPINION_FIELDS = (
    "kind", "channel", "source_org", "village_id", "anonymous", "raiser_name", "raiser_gender",
    "raiser_phone", "on_behalf_households", "category_code", "content", "level",
    "answered_on_spot", "spot_answer_by", "spot_answer", "needs_follow_up", "received_on",
)
# Of the values the office may correct, those kept as columns here (a pull applies them)…
CORRECTABLE_HERE = tuple(name for name in CORRECTABLE["opinion"]
                         if name in OPINION_FIELDS or name in SATISFACTION_FIELDS)
# …and those the edit form shows (reclassification; satisfaction has its own buttons).
CORRECTABLE_IN_FORM = tuple(name for name in CORRECTABLE_HERE if name in OPINION_FIELDS)


def categories(active_only: bool = True) -> list[Category]:
    """Return the categories (lĩnh vực) in display order."""
    query = db.select(Category).order_by(Category.position, Category.name)
    if active_only:
        query = query.where(Category.active.is_(True))
    return list(db.session.execute(query).scalars())


def category_code_for(name: str) -> str:
    """Return the code a category gets from its name: "Điện chiếu sáng" -> "dien_chieu_sang"."""
    return re.sub(r"[^a-z0-9]+", "_", fold(name)).strip("_")[:40] or "category"


def add_category(name: str | None) -> Category:
    """Add a category to the configurable list; its code is its folded name."""
    name = nfc(name) or ""
    if not name:
        raise ValidationFailed(_("Hãy nhập tên lĩnh vực."), {"name": _("Hãy nhập tên lĩnh vực.")})
    # Every opinion carries its category's name on the wire.
    problem = wire_errors("opinion", {"category_name": name}).get("category_name")
    if problem:
        raise ValidationFailed(problem, {"name": problem})
    code = category_code_for(name)
    existing = db.session.get(Category, code)
    if existing is not None:
        if existing.active:
            raise ValidationFailed(_("Lĩnh vực này đã có."), {"name": _("Lĩnh vực này đã có.")})
        existing.active = True
        return existing
    last = db.session.execute(db.select(func.max(Category.position))).scalar() or 0
    category = Category(code=code, name=name, position=last + 1, active=True)
    db.session.add(category)
    db.session.flush()
    return category


def _choice(data, name, allowed, errors, default=None, required=True):
    value = data.get(name) or default
    if value is None and not required:
        return None
    if value not in allowed:
        errors[name] = _("Giá trị không hợp lệ.")
    return value


def _received_on(data: dict[str, Any], errors: dict[str, str]) -> date | None:
    """Return the day an opinion outside a forum was received: given, never future."""
    value = data.get("received_on")
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = parse_day(value)
        except ValueError:
            errors["received_on"] = _("Ngày không hợp lệ (dạng ngày/tháng/năm).")
            return None
    if not isinstance(value, date):
        errors["received_on"] = _("Ngày không hợp lệ (dạng ngày/tháng/năm).")
        return None
    if value > vietnam_today():
        errors["received_on"] = _("Ngày tiếp nhận không thể sau hôm nay.")
    return value


def vietnam_today() -> date:
    """Return today's date in Vietnam (UTC+7 all year), whatever the laptop's time zone."""
    return vietnam_now().date()


def vietnam_now() -> datetime:
    """Return the wall-clock time in Vietnam (UTC+7 all year), naive: how a forum's start
    is stored (the laptop's wall clock), whatever the machine's time zone."""
    return datetime.now(timezone(timedelta(hours=7))).replace(tzinfo=None)


def check_opinion(data: dict[str, Any], forum: Forum | None,
                  current: Opinion | None = None) -> dict[str, Any]:
    """Return the opinion fields cleaned; raise ValidationFailed with each problem.

    `current`: the opinion being edited, which may keep a category the office
    has since deactivated.
    """
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    clean["kind"] = _choice(data, "kind", OPINION_KINDS, errors, "opinion")
    clean["channel"] = _choice(data, "channel", CHANNELS, errors,
                               "forum" if forum else "direct")
    if forum is None and clean["channel"] == "forum":
        errors["channel"] = _("Ý kiến tại hội nghị phải gắn với một hội nghị.")
    clean["source_org"] = _choice(data, "source_org", SOURCE_ORGS, errors, required=False)
    clean["level"] = _choice(data, "level", LEVELS, errors, "commune")
    if forum is not None:
        clean["village_id"] = forum.village_id
    else:
        key = as_uuid(data.get("village_id"))
        village = db.session.get(Village, key) if key is not None else None
        if village is None:
            errors["village_id"] = _("Hãy chọn bản/thôn của người nêu ý kiến.")
        clean["village_id"] = village.id if village else None
    category = data.get("category_code") or "other"
    found = db.session.get(Category, category)
    if found is None or not (found.active or (current is not None
                                               and current.category_code == category)):
        errors["category_code"] = _("Hãy chọn lĩnh vực trong danh sách.")
    clean["category_code"] = category
    content = nfc(data.get("content")) or ""
    if not content:
        errors["content"] = _("Hãy ghi nội dung ý kiến.")
    clean["content"] = content
    anonymous = bool(data.get("anonymous"))
    clean["anonymous"] = anonymous
    # An anonymous speaker leaves no personal data behind (Nghị định 13/2023).
    clean["raiser_name"] = None if anonymous else nfc(data.get("raiser_name")) or None
    clean["raiser_phone"] = None if anonymous else nfc(data.get("raiser_phone")) or None
    clean["raiser_gender"] = None if anonymous else _choice(
        data, "raiser_gender", GENDERS, errors, required=False)
    phone = clean["raiser_phone"]
    if phone and len(phone) <= PHONE_LENGTH and vietnamese_phone(phone) is None:
        # (Longer: the wire's own length message says so.)
        errors["raiser_phone"] = _("Số điện thoại không hợp lệ: số Việt Nam có 10 hoặc 11 chữ "
                                   "số, bắt đầu bằng 0 (hoặc +84).")
    households = data.get("on_behalf_households")
    if households is not None and (isinstance(households, bool) or not isinstance(households, int)
                                   or not 1 <= households <= 100_000):
        errors["on_behalf_households"] = _("Số hộ phải từ 1 trở lên.")
    clean["on_behalf_households"] = households
    clean["answered_on_spot"] = bool(data.get("answered_on_spot"))
    clean["spot_answer_by"] = nfc(data.get("spot_answer_by")) or None
    clean["spot_answer"] = nfc(data.get("spot_answer")) or None
    if clean["answered_on_spot"] and not clean["spot_answer"]:
        errors["spot_answer"] = _("Đã trả lời tại chỗ: hãy ghi nội dung trả lời.")
    if not clean["answered_on_spot"] and clean["spot_answer"]:
        clean["answered_on_spot"] = True
    follow = data.get("needs_follow_up")
    clean["needs_follow_up"] = (not clean["answered_on_spot"]) if follow is None else bool(follow)
    clean["received_on"] = None if forum is not None else _received_on(data, errors)
    # Lengths, control characters…: the wire's rules, so the central never refuses it later.
    errors = {**wire_errors("opinion", clean), **errors}
    if errors:
        raise ValidationFailed(_("Ý kiến chưa hợp lệ; hãy sửa các ô được đánh dấu."), errors)
    return clean


def shown_corrections(opinion: Opinion) -> str:
    """Return the office-correctable values an edit form shows, to be sent back with it."""
    return json.dumps({name: getattr(opinion, name) for name in CORRECTABLE_IN_FORM})


def keep_corrections(opinion: Opinion, data: dict[str, Any], shown: str | None) -> dict[str, Any]:
    """Return `data` with each correctable value the user left as shown set to the stored one.

    The form was filled before a sync brought the office's reclassification:
    sending it back unchanged must not put the old category back. Only a value
    the person changed counts as the laptop's change (merged per field, 9.2).
    """
    try:
        before = json.loads(shown or "{}")
    except ValueError:
        return data
    if not isinstance(before, dict):
        return data
    kept = dict(data)
    for name in CORRECTABLE_IN_FORM:
        if name in before and kept.get(name) == before[name]:
            kept[name] = getattr(opinion, name)
    return kept


def column_value(name: str, value: Any) -> Any:
    """Return a wire value of the opinion as its column holds it (a datetime, a UUID)."""
    if value is None:
        return None
    return SCHEMAS["opinion"].fields[name].deserialize(value)


def search_key(fields: dict[str, Any]) -> str:
    """Return the folded text search looks in: content, speaker and answer.

    A denouncer is never found by name (Luật Tố cáo 2018, Art. 8 and 47).
    """
    speaker = None if fields.get("kind") == "denunciation" else fields.get("raiser_name")
    return fold(" ".join(filter(None, (fields.get("content"), speaker,
                                       fields.get("spot_answer"), fields.get("spot_answer_by")))))


def get_opinion(opinion_id) -> Opinion:
    """Return the opinion with this id or raise NotFound."""
    return get_record(Opinion, opinion_id, _("Không tìm thấy ý kiến này."))


def saved_opinion(opinion_id: uuid.UUID | None) -> Opinion | None:
    """Return the opinion a form with this client id already recorded, if any."""
    return db.session.get(Opinion, opinion_id) if opinion_id is not None else None


def differs_from_saved(opinion: Opinion, data: dict[str, Any]) -> bool:
    """Tell whether a create form sent again asks for other values than the opinion it made."""
    try:
        clean = check_opinion(data, opinion.forum, opinion)
    except ValidationFailed:
        return True
    if opinion.forum is None:
        clean["village_id"] = kept_village_id(clean["village_id"])
    return any(getattr(opinion, name) != value for name, value in clean.items())


def create_opinion(data: dict[str, Any], forum: Forum | None = None,
                   opinion_id: uuid.UUID | None = None) -> Opinion:
    """Record an opinion; a repeated `opinion_id` returns the stored one."""
    existing = saved_opinion(opinion_id)
    if existing is not None:
        return existing
    if forum is not None:
        ensure_draft(forum)
    clean = check_opinion(data, forum)
    if forum is None:
        # A village the office merged into another: new opinions go to the kept one.
        clean["village_id"] = kept_village_id(clean["village_id"])
    position = 0
    if forum is not None:
        position = (db.session.execute(
            db.select(func.max(Opinion.position)).where(Opinion.forum_id == forum.id)
        ).scalar() or 0) + 1
    opinion = Opinion(forum_id=forum.id if forum else None, position=position,
                      search_text=search_key(clean), **clean)
    if opinion_id is not None:
        opinion.id = opinion_id
    db.session.add(opinion)
    db.session.flush()
    return opinion


def update_opinion(opinion: Opinion, data: dict[str, Any], reason: str | None = None,
                   author: str | None = None) -> Opinion:
    """Change an opinion; in finalised minutes the change becomes an amendment.

    Finalised minutes without any amendment (no reason, no author) are
    Locked, as for the forum itself; an amendment needs both.
    """
    clean = check_opinion(data, opinion.forum, opinion)
    if opinion.identity_protected and clean["kind"] == "denunciation" and not clean["anonymous"]:
        # The edit form never shows a denouncer's identity: left empty, it is kept.
        for name in IDENTITY_FIELDS:
            if clean[name] is None:
                clean[name] = getattr(opinion, name)
    if opinion.forum is not None and opinion.forum.is_finalised:
        if reason is None and author is None:
            ensure_draft(opinion.forum)
        reason, author = check_amendment(reason, author)
        record_amendment(opinion.forum, opinion, "opinion", clean, reason, author)
    else:
        for key, value in clean.items():
            setattr(opinion, key, value)
    opinion.search_text = search_key(clean)
    db.session.flush()
    return opinion


def delete_opinion(opinion: Opinion) -> None:
    """Delete an opinion recorded by mistake; never from finalised minutes."""
    if opinion.forum is not None:
        ensure_draft(opinion.forum)
    from ..attachments.models import Attachment

    if db.session.execute(db.select(Attachment.id).where(Attachment.opinion_id == opinion.id)
                          .limit(1)).first():
        raise ValidationFailed(_("Ý kiến có tệp đính kèm: hãy xoá tệp trước."))
    if opinion.forum_id is not None:
        # The minutes number the forum's opinions 1, 2, 3…: those after it move up one, so
        # the signed paper shows no gap (each a change the office receives too).
        later = db.session.execute(db.select(Opinion).where(
            Opinion.forum_id == opinion.forum_id, Opinion.position > opinion.position)
        ).scalars()
        for other in later:
            other.position -= 1
    db.session.delete(opinion)
    db.session.flush()


@dataclass
class OpinionFilter:
    """What a list of opinions is narrowed to."""

    q: str = ""
    village_id: str | None = None
    forum_id: str | None = None
    kind: str | None = None
    category_code: str | None = None
    follow_up: bool | None = None
    # The office's handling: "answered", "overdue" or "new" (see OFFICE_FILTERS).
    office: str | None = None


# The office has finished with these: no longer overdue, whatever the due date.
DONE_STATUSES = ("answered", "closed")
OFFICE_FILTERS = ("answered", "overdue", "new")


def overdue_condition(today: date):
    """Return the SQL condition for an opinion past its due date and not answered."""
    return and_(Opinion.due_date < today, Opinion.status.not_in(DONE_STATUSES))


def is_overdue(opinion: Opinion, today: date | None = None) -> bool:
    """Tell whether `opinion` is past its due date and the office has not answered it.

    The same rule as `overdue_condition`, for one opinion already loaded.
    """
    return (opinion.due_date is not None and opinion.due_date < (today or vietnam_today())
            and opinion.status not in DONE_STATUSES)


def last_answers_at() -> datetime | None:
    """Return when the last sync that brought answers or status changes began."""
    from ..outbox.models import SyncState

    row = db.session.get(SyncState, 1)
    return row.answers_pulled_at if row else None


def office_states(opinions: list[Opinion]) -> dict[uuid.UUID, str]:
    """Return what the laptop knows of the office's handling of each opinion.

    "unsent": never acknowledged by the office yet; "changed": acknowledged, and a
    newer change still waits in the outbox; "awaiting": the office acknowledged it but
    has sent no status yet; otherwise the office's own status. A record's `status`
    column defaults to "received" before the office has seen it: never show that alone.
    """
    from ..outbox.models import Outbox

    waiting = [opinion.id for opinion in opinions if not opinion.central_hlc]
    unsent: set[uuid.UUID] = set()
    acked: set[uuid.UUID] = set()
    for start in range(0, len(waiting), 500):
        for record_id, acknowledged in db.session.execute(
                db.select(Outbox.record_id, Outbox.state == "acked").distinct().where(
                    Outbox.record_id.in_(waiting[start:start + 500]))):
            (acked if acknowledged else unsent).add(record_id)

    def state(opinion: Opinion) -> str:
        if opinion.central_hlc:
            return opinion.status
        if opinion.id in unsent:
            return "changed" if opinion.id in acked else "unsent"
        return "awaiting"

    return {opinion.id: state(opinion) for opinion in opinions}


def office_condition(office: str | None, today: date | None = None):
    """Return the SQL condition of an office filter, or None for every opinion."""
    if office == "answered":
        return Opinion.answer_text.is_not(None) & (Opinion.answer_text != "")
    if office == "overdue":
        return overdue_condition(today or vietnam_today())
    if office == "new":
        since = last_answers_at()
        return Opinion.central_changed_at >= since if since else false()
    return None


def count_opinions(office: str | None = None) -> int:
    """Return how many opinions an office filter lists (e.g. the new answers)."""
    query = db.select(func.count()).select_from(Opinion)
    condition = office_condition(office)
    if condition is not None:
        query = query.where(condition)
    return db.session.execute(query).scalar_one()


def search_opinions(filters: OpinionFilter, page: int = 1, per_page: int = 50) -> Page:
    """Return one page of opinions matching `filters`, newest first.

    Every word of `q` must occur in the folded text: "duong" finds "đường".
    """
    query = db.select(Opinion)
    for word in fold(filters.q).split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Opinion.search_text.like(f"%{escaped}%", escape="\\"))
    if as_uuid(filters.village_id):
        query = query.where(Opinion.village_id == as_uuid(filters.village_id))
    if as_uuid(filters.forum_id):
        query = query.where(Opinion.forum_id == as_uuid(filters.forum_id))
    if filters.kind in OPINION_KINDS:
        query = query.where(Opinion.kind == filters.kind)
    if filters.category_code:
        query = query.where(Opinion.category_code == filters.category_code)
    if filters.follow_up is not None:
        query = query.where(Opinion.needs_follow_up.is_(filters.follow_up))
    condition = office_condition(filters.office)
    if condition is not None:
        query = query.where(condition)
    total = db.session.execute(
        query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    ).scalar_one()
    page = max(1, page)
    # Villages and categories in two more queries, not one each as the rows render.
    items = list(db.session.execute(
        query.order_by(Opinion.created_at.desc(), Opinion.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
        .options(selectinload(Opinion.village), selectinload(Opinion.category))
    ).scalars())
    return Page(items=items, total=total, page=page, per_page=per_page)


def forum_opinions(forum: Forum) -> list[Opinion]:
    """Return a forum's opinions in the order they were raised."""
    return list(db.session.execute(
        db.select(Opinion).where(Opinion.forum_id == forum.id).order_by(Opinion.position)
        .options(selectinload(Opinion.category))
    ).scalars())
