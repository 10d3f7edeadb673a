"""Cases: merge, add, split; route to a unit with its legal deadline; move along the
workflow; answer; explain and apologise for lateness (plain functions, flush only).

Every query goes through `permissions.scoped`. The case's workflow values are
mirrored on its member opinions through `inbox.logic.update_opinions`, the one path
of an office change: it writes each opinion's history and publishes the change to
the laptops that hold it. A merge tells those laptops which opinion theirs was
merged into (the wire's `merged_into`: the case's first opinion); a split clears it.
Nothing here deletes an opinion.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from sync.records import OPINION_KINDS, WORKFLOW_STATUSES

from ...errors import AppError, Forbidden, NotFound, ValidationFailed
from ...extensions import db
from ...models_base import utcnow
from ...opinions.logic import vietnam_today
from ...text import has_diacritics
from ..accounts.permissions import can, in_commune, scoped
from ..catalogue.models import OfficeVillage, Unit
from ..inbox import logic as inbox
from ..inbox.answers import answer_errors, message_of
from ..inbox.models import AuditEntry, OfficeOpinion
from . import deadlines
from .models import DeadlineRule, OfficeCase

# The allowed moves of a case's status; each one is recorded. "forwarded" needs a unit
# (assign), "answered" an answer (answer), "closed" after a late answer its explanation
# and apology (record_late).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("forwarded",),
    "forwarded": ("in_progress", "answered"),
    "in_progress": ("answered",),
    # Reopened when the answer did not settle it.
    "answered": ("closed", "in_progress"),
    "closed": (),
}
assert set(TRANSITIONS) == set(WORKFLOW_STATUSES)
# Which kind a merged case takes when its members differ: the strictest legal procedure.
KIND_PRECEDENCE = ("denunciation", "complaint", "petition", "feedback", "opinion")
assert set(KIND_PRECEDENCE) == set(OPINION_KINDS)
OPEN_STATUSES = ("received", "forwarded", "in_progress")
# What the case mirrors on its members (OfficeOpinion's office columns).
MIRRORED = ("status", "unit_id", "due_on", "answer_text", "answer_by", "answer_date",
            "answer_doc_number")
# A late answer's record (seed 003), kept on the case and sent to its members' laptops
# (sync.records.CentralOpinion has the same names).
LATE_FIELDS = ("late_explanation", "late_explained_by", "apology_on", "apology_how",
               "apology_by")
MAX_MEMBERS = 500
TITLE_LENGTH = 120


class TransitionRefused(AppError):
    """A status move the workflow does not allow, or whose conditions are not met."""

    status = 409
    code = "transition_refused"


# --- reading -----------------------------------------------------------------------------

def case_query(account) -> Select:
    """Return the SELECT of the cases this account may see (a handler: its unit's)."""
    return scoped(select(OfficeCase), account, OfficeCase.commune_code, OfficeCase.unit_id)


def get_case(account, case_id: int) -> OfficeCase:
    """Return one case the account may see; 404 otherwise (never says it exists)."""
    case = db.session.execute(case_query(account).where(OfficeCase.id == case_id)).scalar()
    if case is None:
        raise NotFound(_("Không có vụ việc này (hoặc không thuộc phạm vi tài khoản của bạn)."))
    return case


def members(case: OfficeCase) -> list[OfficeOpinion]:
    """Return the case's opinions, the first received first (the first is the lead)."""
    return list(db.session.execute(
        select(OfficeOpinion).where(OfficeOpinion.case_id == case.id)
        .order_by(OfficeOpinion.received_on.asc().nulls_last(),
                  OfficeOpinion.first_received_at, OfficeOpinion.id)).scalars())


def live_members(case: OfficeCase) -> list[OfficeOpinion]:
    """Return the members a laptop has not deleted: the ones the workflow reaches.

    A deleted one stays listed in its case (what it said is kept) but is never
    written to again: the office must not bring back what a village deleted.
    """
    return [item for item in members(case) if not item.deleted]


def case_of(opinion: OfficeOpinion) -> OfficeCase | None:
    return db.session.get(OfficeCase, opinion.case_id) if opinion.case_id else None


@dataclass
class CaseRow:
    case: OfficeCase
    unit_name: str | None
    members: int
    days_late: int


def list_cases(account, *, overdue: bool = False, unit: int | None = None,
               status: str | None = None, commune: int | None = None,
               today: date | None = None, limit: int = 500) -> list[CaseRow]:
    """Return cases by due date (the earliest first); `overdue`: open ones past due only,
    the latest first."""
    today = today or vietnam_today()
    if commune is not None and not in_commune(account, commune):
        raise Forbidden(_("Tài khoản của bạn chỉ xem được vụ việc của xã mình."),
                        {"commune": commune})
    query = case_query(account)
    if commune is not None:
        query = query.where(OfficeCase.commune_code == commune)
    if unit is not None:
        query = query.where(OfficeCase.unit_id == unit)
    if status is not None:
        if status not in WORKFLOW_STATUSES:
            raise ValidationFailed(_("Trạng thái không hợp lệ."),
                                   {"fields": {"status": ["choice"]}})
        query = query.where(OfficeCase.status == status)
    if overdue:
        query = query.where(OfficeCase.status.in_(OPEN_STATUSES), OfficeCase.due_on < today)
        query = query.order_by(OfficeCase.due_on.asc(), OfficeCase.id)
    else:
        query = query.order_by(OfficeCase.due_on.asc().nulls_last(), OfficeCase.id)
    cases = list(db.session.execute(query.limit(limit)).scalars())
    ids = [case.id for case in cases]
    counts = dict(db.session.execute(
        select(OfficeOpinion.case_id, func.count()).where(OfficeOpinion.case_id.in_(ids))
        .group_by(OfficeOpinion.case_id)).all()) if ids else {}
    units = unit_names({case.unit_id for case in cases} - {None})
    return [CaseRow(case, units.get(case.unit_id), counts.get(case.id, 0),
                    deadlines.days_late(case.due_on, case.answer_date or today)
                    if case.status in OPEN_STATUSES or case.answered_late else 0)
            for case in cases]


def unit_names(ids: set[int]) -> dict[int, str]:
    return dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all()
                ) if ids else {}


def village_names(opinions: list[OfficeOpinion]) -> dict[uuid.UUID, str]:
    ids = {item.village_id for item in opinions} - {None}
    return dict(db.session.execute(select(OfficeVillage.id, OfficeVillage.name).where(
        OfficeVillage.id.in_(ids))).all()) if ids else {}


def units_for(commune_code: int) -> list[Unit]:
    """Return the active units a case of this commune may go to (its own and the server's)."""
    return list(db.session.execute(select(Unit).where(
        Unit.active.is_(True),
        Unit.commune_code.is_(None) | (Unit.commune_code == commune_code))
        .order_by(Unit.kind, Unit.name)).scalars())


def case_history(case: OfficeCase) -> list[AuditEntry]:
    """Return the case's history, oldest first: its own changes, and each member's
    merge, addition and split (a member's mirrored copy of a case change is in that
    opinion's own history, not repeated here)."""
    ids = [item.id for item in members(case)]
    query = AuditEntry.record_id.in_(ids) & AuditEntry.action.in_(MEMBERSHIP_ACTIONS) \
        if ids else None
    if case.record_id:
        own = AuditEntry.record_id == case.record_id
        query = own if query is None else (query | own)
    if query is None:
        return []
    return list(db.session.execute(select(AuditEntry).where(query, AuditEntry.source == "office")
                                   .order_by(AuditEntry.id)).scalars())


MEMBERSHIP_ACTIONS = ("merged", "opened", "added_to_case", "split")


# --- deadline rules ----------------------------------------------------------------------

RULE_FIELDS = ("days", "working", "accept_days", "complex_days", "remote_days",
               "remote_complex_days", "extension_days", "max_extensions")
MAX_DAYS = 366
# The deadline table's columns, as its page names them.
RULE_LABELS = {"days": _l("Số ngày"), "working": _l("Ngày làm việc"),
               "accept_days": _l("Thụ lý trong"), "complex_days": _l("Phức tạp"),
               "remote_days": _l("Vùng xa"), "remote_complex_days": _l("Vùng xa, phức tạp"),
               "extension_days": _l("Mỗi lần gia hạn"), "max_extensions": _l("Số lần gia hạn")}


def rules_for(commune_code: int) -> dict[str, deadlines.Rule]:
    """Return the commune's rule of each kind: its own row, else the law's default."""
    rules = dict(deadlines.DEFAULT_RULES)
    for row in db.session.execute(select(DeadlineRule).where(
            DeadlineRule.commune_code == commune_code)).scalars():
        rules[row.kind] = deadlines.Rule(row.kind, **{name: getattr(row, name)
                                                      for name in RULE_FIELDS})
    return rules


def save_rule(account, commune_code: int, kind: str, values: dict[str, Any]) -> DeadlineRule:
    """Set a commune's deadline rule for one kind; refuse a value that is not a period."""
    if not can(account, "catalogue.manage"):
        raise Forbidden(_("Tài khoản của bạn không có quyền sửa danh mục."))
    if not in_commune(account, commune_code):
        raise Forbidden(_("Tài khoản của bạn chỉ làm việc với xã của mình."))
    if kind not in OPINION_KINDS:
        raise ValidationFailed(_("Loại ý kiến không hợp lệ."), {"fields": {"kind": ["choice"]}})
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    problems: list[str] = []
    for name in RULE_FIELDS:
        value = values.get(name)
        if name == "working":
            clean[name] = value in (True, "1", "on", "true", "yes")
            continue
        label = RULE_LABELS[name]
        try:
            number = int(str(value).strip() or 0) if value is not None else 0
        except ValueError:
            errors[name] = ["not a number"]
            problems.append(_("%(field)s: hãy nhập một số", field=label))
            continue
        least = 1 if name == "days" else 0
        top = deadlines.MAX_EXTENSIONS if name == "max_extensions" else MAX_DAYS
        if not least <= number <= top:
            errors[name] = [f"{least}..{top}"]
            problems.append(_("%(field)s: từ %(least)d đến %(top)d", field=label, least=least,
                              top=top))
        clean[name] = number
    if not errors and clean["max_extensions"] and not clean["extension_days"]:
        errors["extension_days"] = ["required"]
        problems.append(_("%(field)s: hãy nhập số ngày của mỗi lần gia hạn",
                          field=RULE_LABELS["extension_days"]))
    if errors:
        raise ValidationFailed(_("Chưa lưu thời hạn. %(problems)s.",
                                 problems="; ".join(problems)), {"fields": errors})
    row = db.session.execute(select(DeadlineRule).where(
        DeadlineRule.commune_code == commune_code, DeadlineRule.kind == kind)).scalar()
    if row is None:
        row = DeadlineRule(commune_code=commune_code, kind=kind)
        db.session.add(row)
    for name, value in clean.items():
        setattr(row, name, value)
    row.updated_at, row.updated_by = utcnow(), account.username
    db.session.flush()
    return row


# --- merge, add, split -------------------------------------------------------------------

def _check_manage(account) -> None:
    if not can(account, "cases.manage"):
        raise Forbidden(_("Tài khoản của bạn không có quyền gộp, tách, giao vụ việc."))


def _opinions(account, opinion_ids: list[uuid.UUID]) -> list[OfficeOpinion]:
    """Return the named opinions, refusing (403) any outside the account's communes and
    (404) any that does not exist; nothing is changed before all are checked."""
    ids = list(dict.fromkeys(opinion_ids))
    if not ids:
        raise ValidationFailed(_("Hãy chọn ít nhất một ý kiến."),
                               {"fields": {"opinion_ids": ["required"]}})
    if len(ids) > MAX_MEMBERS:
        raise ValidationFailed(_("Tối đa %(n)s ý kiến một lần.", n=MAX_MEMBERS),
                               {"fields": {"opinion_ids": ["too many"]}})
    found = {item.id: item for item in db.session.execute(
        select(OfficeOpinion).where(OfficeOpinion.id.in_(ids))).scalars()}
    outside = [str(key) for key, item in found.items()
               if not in_commune(account, item.commune_code)]
    if outside:
        raise Forbidden(_("Có ý kiến không thuộc xã của tài khoản; không gộp được."),
                        {"opinion_ids": outside})
    visible = set(db.session.execute(
        scoped(select(OfficeOpinion.id).where(OfficeOpinion.id.in_(ids)), account,
               OfficeOpinion.commune_code, OfficeOpinion.unit_id)).scalars())
    missing = [str(key) for key in ids if key not in found or key not in visible]
    if missing:
        raise NotFound(_("Không có ý kiến này (hoặc không thuộc phạm vi tài khoản của bạn)."),
                       {"opinion_ids": missing})
    gone = [str(key) for key in ids if found[key].deleted]
    if gone:
        raise ValidationFailed(_("Ý kiến đã bị xoá trên máy bản không gộp được."),
                               {"opinion_ids": gone})
    return [found[key] for key in ids]


def _audit(account, record_id: uuid.UUID, commune_code: int, action: str,
           changes: dict[str, list], reason: str | None = None) -> None:
    db.session.add(AuditEntry(collection="opinion" if action != "case" else "case",
                              record_id=record_id, commune_code=commune_code, at=utcnow(),
                              source="office", action=action, account_id=account.id,
                              actor=account.username, changes=changes,
                              reason=(reason or "").strip()[:2000] or None))


def _lead_first(opinions: list[OfficeOpinion]) -> list[OfficeOpinion]:
    return sorted(opinions, key=lambda item: (item.received_on or date.max,
                                              item.first_received_at, str(item.id)))


def case_title(ordered: list[OfficeOpinion]) -> str:
    """Return a case's title from its members, lead first: the lead's words, unless it
    was typed without diacritics and another member has them (the first such, in the
    same order), so that the title reads as Vietnamese. Only the members decide it:
    the same case always gets the same title."""
    source = next((item for item in ordered if has_diacritics(item.content)), ordered[0])
    return _clipped(" ".join(source.content.split()), TITLE_LENGTH)


def _clipped(text: str, most: int) -> str:
    """Return `text` if it fits in `most` characters, else its first words with "…"
    (a word cut in half only when the first half of the room holds no space)."""
    if len(text) <= most:
        return text
    cut = text[:most - 1]
    space = cut.rfind(" ")
    if space > most // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-–") + "…"


def _received_on(opinion: OfficeOpinion) -> date:
    return opinion.received_on or opinion.first_received_at.date()


def _join(account, case: OfficeCase, opinions: list[OfficeOpinion], action: str,
          reason: str | None) -> None:
    """Put opinions into `case`: record it, mirror the case's workflow, tell the laptops."""
    moves = {}
    for opinion in opinions:
        moves[opinion.id] = opinion.case_id
        opinion.case_id = case.id
    db.session.flush()
    lead = live_members(case)[0]
    for opinion in opinions:
        target = None if opinion.id == lead.id else str(lead.id)
        _audit(account, opinion.id, opinion.commune_code, action,
               {"case_id": [moves[opinion.id], case.id], "merged_into": [None, target]},
               reason)
    _point_at_lead(account, case)
    _mirror(account, case, opinions, reason)


def _point_at_lead(account, case: OfficeCase) -> None:
    """Tell each member's laptop which opinion it was merged into (the case's first; none
    for the first itself): its village sees "đã gộp" and still owns what it said."""
    held = live_members(case)
    inbox.publish_changes([(opinion.id, {"merged_into": None if opinion is held[0]
                                          else str(held[0].id)}, {}) for opinion in held],
                          account.username)


def _mirror(account, case: OfficeCase, opinions: list[OfficeOpinion] | None = None,
            reason: str | None = None) -> None:
    """Copy the case's workflow values on its members through `update_opinions`."""
    values = {name: getattr(case, name) for name in MIRRORED}
    values = {name: (value.isoformat() if isinstance(value, date) else value)
              for name, value in values.items()}
    held = opinions if opinions is not None else live_members(case)
    inbox.update_opinions(account, inbox.get_opinions(account, [item.id for item in held]),
                          values, reason, from_case=True)
    if any(getattr(case, name) for name in LATE_FIELDS):
        _send_late(account, case, held)


def _send_late(account, case: OfficeCase, held: list[OfficeOpinion]) -> None:
    """Send a late answer's explanation and apology to the laptops of `held` (the case's
    members): read out with the answer at the village's next forum. The case keeps them."""
    late = {name: inbox.plain(getattr(case, name)) for name in LATE_FIELDS}
    inbox.publish_changes([(opinion.id, late, {}) for opinion in held], account.username)


def _absorb(account, opinions: list[OfficeOpinion], into: OfficeCase | None) -> None:
    """Refuse an opinion held by another case with other members; free single ones."""
    for opinion in opinions:
        if opinion.case_id is None or (into is not None and opinion.case_id == into.id):
            continue
        others = db.session.execute(select(func.count()).where(
            OfficeOpinion.case_id == opinion.case_id, OfficeOpinion.id.not_in(
                [item.id for item in opinions]))).scalar_one()
        if others:
            raise ValidationFailed(
                _("Ý kiến đã thuộc vụ việc số %(case)s cùng ý kiến khác: hãy tách ra trước, "
                  "hoặc thêm vào vụ việc đó.", case=opinion.case_id),
                {"opinion_ids": [str(opinion.id)], "case_id": opinion.case_id})


def _keep_answers(opinions: list[OfficeOpinion], answer_text: str | None) -> None:
    """Refuse to move an answered opinion where its answer would be replaced or wiped:
    its village has it already (on the laptop, perhaps read out at a forum)."""
    for opinion in opinions:
        if opinion.answer_text and opinion.answer_text != answer_text:
            raise ValidationFailed(
                _("Ý kiến “%(title)s…” đã có trả lời gửi về bản; gộp như vậy sẽ xoá trả lời "
                  "đó. Hãy mở vụ việc của ý kiến đã trả lời rồi thêm các ý kiến trùng vào "
                  "vụ việc ấy.", title=" ".join(opinion.content.split())[:60]),
                {"opinion_ids": [str(opinion.id)]})


def _drop_empty(case_ids: set[int]) -> None:
    """Remove cases left without a member (their history stays in the audit log)."""
    for case_id in case_ids:
        left = db.session.execute(select(func.count()).where(
            OfficeOpinion.case_id == case_id)).scalar_one()
        if not left:
            case = db.session.get(OfficeCase, case_id)
            if case is not None:
                db.session.delete(case)


def strictest(kinds: set[str]) -> str:
    """Return the kind whose legal procedure binds a case holding these kinds."""
    return next(kind for kind in KIND_PRECEDENCE if kind in kinds)


def _new_case(account, opinions: list[OfficeOpinion], template: OfficeCase | None = None,
              workflow: OfficeOpinion | None = None) -> OfficeCase:
    ordered = _lead_first(opinions)
    lead = ordered[0]
    kind = strictest({item.kind for item in opinions})
    now = utcnow()
    case = OfficeCase(commune_code=lead.commune_code, kind=kind,
                      title=case_title(ordered),
                      received_on=min(_received_on(item) for item in opinions),
                      created_at=now, updated_at=now, created_by=account.username,
                      record_id=uuid.uuid4(), complex=False, remote=False)
    if template is not None:
        # A split keeps the workflow it had (its unit, its answer: what its citizen was
        # told stays true); its deadline counts again from its own day, by its own kind.
        for name in ("status", "unit_id", "assigned_on", "complex", "remote", "extensions",
                     "answer_text", "answer_by", "answer_date", "answer_doc_number",
                     "answered_at", "closed_at"):
            setattr(case, name, getattr(template, name))
        if case.unit_id is not None:
            found = _deadlines(case)
            case.accept_due_on, case.due_on = found.accept_due_on, found.due_on
        if case.answered_late:  # the same late answer: the same explanation and apology
            for name in ("late_explanation", "late_explained_by", "apology_on",
                         "apology_how", "apology_by"):
                setattr(case, name, getattr(template, name))
    else:  # a merge takes the lead's workflow so far (or the one `workflow` names)
        source = workflow or lead
        case.status = source.status
        for name in MIRRORED[1:]:
            setattr(case, name, getattr(source, name))
    db.session.add(case)
    db.session.flush()
    return case


def merge(account, opinion_ids: list[uuid.UUID], reason: str | None = None) -> OfficeCase:
    """Merge opinions of one commune into a case; return it.

    Opinions on their own make a new case. A whole case ticked with them keeps its
    number, unit, due date and answer: the others are added to it (of several whole
    cases, an answered one, else the one received first). One sharing a case with
    opinions not ticked is refused (split it first, or add to that case).
    """
    _check_manage(account)
    opinions = _opinions(account, opinion_ids)
    if len({item.commune_code for item in opinions}) > 1:
        raise ValidationFailed(_("Chỉ gộp được ý kiến của cùng một xã: mỗi vụ việc thuộc một "
                                 "xã. Ý kiến trùng ở xã khác chỉ để tham khảo."),
                               {"fields": {"opinion_ids": ["communes"]}})
    _absorb(account, opinions, None)
    held = [get_case(account, case_id)
            for case_id in sorted({item.case_id for item in opinions} - {None})]
    if held and not any(item.answer_text and item.case_id is None for item in opinions):
        # A newcomer joined to a case already routed: it must not reset the routing.
        kept = next((case for case in held if case.answer_text),
                    min(held, key=lambda case: (case.received_on or date.max, case.id)))
        return add_to_case(account, kept.id, [item.id for item in opinions], reason)
    # The case takes the lead's workflow so far, or that of an opinion answered on its own
    # page (no case): a duplicate joining it gets the answer its village already has.
    ordered = _lead_first(opinions)
    workflow = next((item for item in ordered if item.answer_text and item.case_id is None),
                    ordered[0])
    _keep_answers(opinions, workflow.answer_text)
    old = {item.case_id for item in opinions} - {None}
    case = _new_case(account, opinions, workflow=workflow)
    # One opinion alone is not a merge: its history says a case was opened for it.
    _join(account, case, opinions, "merged" if len(opinions) > 1 else "opened", reason)
    _drop_empty(old)
    db.session.flush()
    return case


def add_to_case(account, case_id: int, opinion_ids: list[uuid.UUID],
                reason: str | None = None) -> OfficeCase:
    """Add opinions to an existing case: they take its workflow and its answer."""
    _check_manage(account)
    case = get_case(account, case_id)
    opinions = [item for item in _opinions(account, opinion_ids) if item.case_id != case.id]
    if any(item.commune_code != case.commune_code for item in opinions):
        raise ValidationFailed(_("Chỉ gộp được ý kiến của cùng một xã: mỗi vụ việc thuộc một "
                                 "xã. Ý kiến trùng ở xã khác chỉ để tham khảo."),
                               {"fields": {"opinion_ids": ["communes"]}})
    if not opinions:
        return case
    _absorb(account, opinions, case)
    _keep_answers(opinions, case.answer_text)
    old = {item.case_id for item in opinions} - {None}
    received = min(_received_on(item) for item in opinions)
    if case.received_on is None or received < case.received_on:
        case.received_on = received
    _join(account, case, opinions, "added_to_case", reason)
    case.updated_at = utcnow()
    if not has_diacritics(case.title):
        # Typed without diacritics so far: an added member that has them names it now.
        case.title = case_title(members(case))
    _drop_empty(old)
    # A stricter kind joined (a tố cáo into a kiến nghị): the case follows its procedure;
    # an earlier one: its deadline counts from that day.
    values: dict[str, Any] = {"kind": strictest({case.kind, *(item.kind for item in opinions)})}
    if case.unit_id is not None:
        kind, case.kind = case.kind, values["kind"]
        found = _deadlines(case)
        case.kind = kind
        values.update(accept_due_on=found.accept_due_on, due_on=found.due_on)
    _set(account, case, values, reason)
    db.session.flush()
    return case


def merge_with(account, opinion_id: uuid.UUID, other_id: uuid.UUID,
               reason: str | None = None) -> OfficeCase:
    """Put a likely duplicate and the opinion shown in one case (its page's suggestion):
    the shown one's case if it has one, else the other's, else a new case."""
    _check_manage(account)
    if opinion_id == other_id:
        raise ValidationFailed(_("Không gộp được một ý kiến với chính nó."),
                               {"fields": {"opinion_ids": ["same"]}})
    shown, other = _opinions(account, [opinion_id, other_id])
    if shown.case_id is not None:
        return add_to_case(account, shown.case_id, [other.id], reason)
    if other.case_id is not None:
        return add_to_case(account, other.case_id, [shown.id], reason)
    return merge(account, [shown.id, other.id], reason)


def split(account, case_id: int, opinion_ids: list[uuid.UUID],
          reason: str | None = None) -> list[OfficeCase]:
    """Take opinions out of a case, each back to a case of its own (keeping the workflow
    it had); return the new cases. The case keeps at least one opinion."""
    _check_manage(account)
    case = get_case(account, case_id)
    held = {item.id: item for item in members(case)}
    wanted = list(dict.fromkeys(opinion_ids))
    strangers = [str(key) for key in wanted if key not in held]
    if not wanted or strangers:
        raise ValidationFailed(_("Hãy chọn ý kiến thuộc vụ việc này để tách."),
                               {"opinion_ids": strangers or ["required"]})
    if len(wanted) >= len(held):
        raise ValidationFailed(_("Vụ việc phải còn ít nhất một ý kiến; không tách hết được."),
                               {"opinion_ids": ["all"]})
    made = []
    for key in wanted:
        opinion = held[key]
        own = _new_case(account, [opinion], template=case)
        opinion.case_id = own.id
        if not opinion.deleted:
            _mirror(account, own, [opinion], reason)
        _audit(account, opinion.id, opinion.commune_code, "split",
               {"case_id": [case.id, own.id], "merged_into": ["", None]}, reason)
        if not opinion.deleted:
            inbox.publish_change(opinion.id, {"merged_into": None}, {}, account.username)
        made.append(own)
    db.session.flush()
    # The lead may have left: the others now point at the new first opinion.
    _point_at_lead(account, case)
    rest = members(case)
    case.title = case_title(rest)
    case.received_on = min(_received_on(item) for item in rest)
    case.updated_at = utcnow()
    db.session.flush()
    return made


# --- routing and workflow ------------------------------------------------------------------

def _check_work(account) -> None:
    if not can(account, "cases.work"):
        raise Forbidden(_("Tài khoản của bạn không có quyền xử lý vụ việc."))


def _case_event(account, case: OfficeCase, changes: dict[str, list],
                reason: str | None = None) -> None:
    if case.record_id is None:
        case.record_id = uuid.uuid4()
    _audit(account, case.record_id, case.commune_code, "case", changes, reason)
    case.updated_at = utcnow()


def _deadlines(case: OfficeCase) -> deadlines.Deadlines:
    rule = rules_for(case.commune_code)[case.kind]
    # Extensions granted before the commune lowered its limit still count, up to it.
    granted = min(len(case.extensions or []), rule.max_extensions)
    return deadlines.due_dates(rule, case.received_on or case.created_at.date(),
                               accepted_on=case.assigned_on, complex_case=case.complex,
                               remote=case.remote, extensions=granted)


def _set(account, case: OfficeCase, values: dict[str, Any], reason: str | None = None
         ) -> dict[str, list]:
    """Change case columns, record old → new, mirror the changed workflow on members."""
    changes = {name: [inbox.plain(getattr(case, name)), inbox.plain(value)]
               for name, value in values.items() if getattr(case, name) != value
               and name not in ("answered_at", "closed_at")}  # the line's own time says it
    if not changes:
        return changes
    for name, value in values.items():
        setattr(case, name, value)
    _case_event(account, case, changes, reason)
    db.session.flush()
    if set(changes) & set(MIRRORED):
        _mirror(account, case, reason=reason)
    elif set(changes) & set(LATE_FIELDS):
        _send_late(account, case, live_members(case))
    return changes


def assign(account, case_id: int, unit_id: int, today: date | None = None,
           reason: str | None = None) -> OfficeCase:
    """Send a case to a unit; its due date follows from the commune's rule table.

    A case just received moves to "forwarded". Assigning is accepting (thụ lý):
    a khiếu nại's resolve period counts from that day.
    """
    _check_manage(account)
    case = get_case(account, case_id)
    if case.status in ("answered", "closed"):
        raise TransitionRefused(_("Vụ việc đã trả lời hoặc đã đóng; không giao lại được."),
                                {"status": case.status})
    unit = db.session.get(Unit, unit_id) if isinstance(unit_id, int) else None
    if unit is None or not unit.active or unit.commune_code not in (None, case.commune_code):
        raise ValidationFailed(_("Đơn vị xử lý không có trong danh sách của xã."),
                               {"fields": {"unit_id": ["unknown"]}})
    today = today or vietnam_today()
    values: dict[str, Any] = {"unit_id": unit.id, "assigned_on": case.assigned_on or today}
    case.assigned_on = values["assigned_on"]
    found = _deadlines(case)
    values.update(accept_due_on=found.accept_due_on, due_on=found.due_on)
    if case.status == "received":
        values["status"] = "forwarded"
    _set(account, case, values, reason)
    return case


def set_flags(account, case_id: int, complex_case: bool, remote: bool,
              reason: str | None = None) -> OfficeCase:
    """Mark a case complex and/or in a remote area; an assigned case's due date follows."""
    _check_manage(account)
    case = get_case(account, case_id)
    case_values: dict[str, Any] = {"complex": bool(complex_case), "remote": bool(remote)}
    if case.unit_id is not None:
        old = case.complex, case.remote
        case.complex, case.remote = case_values["complex"], case_values["remote"]
        case_values["due_on"] = _deadlines(case).due_on
        case.complex, case.remote = old
    _set(account, case, case_values, reason)
    return case


def extend(account, case_id: int, reason: str) -> OfficeCase:
    """Extend a case's deadline by its rule's period (tố cáo: twice at most, with a reason)."""
    _check_manage(account)
    case = get_case(account, case_id)
    rule = rules_for(case.commune_code)[case.kind]
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(_("Gia hạn phải ghi rõ lý do."),
                               {"fields": {"reason": ["required"]}})
    done = list(case.extensions or [])
    if len(done) >= rule.max_extensions:
        raise TransitionRefused(_("Loại vụ việc này không được gia hạn thêm (tối đa %(n)s lần).",
                                  n=rule.max_extensions), {"extensions": len(done)})
    if case.due_on is None or case.status not in OPEN_STATUSES:
        raise TransitionRefused(_("Chỉ gia hạn được vụ việc đã giao và chưa trả lời."),
                                {"status": case.status})
    extended = [*done, {"days": rule.extension_days, "reason": reason[:2000],
                        "by": account.username, "at": utcnow().isoformat()}]
    case.extensions = extended
    due = _deadlines(case).due_on
    case.extensions = done
    _set(account, case, {"extensions": extended, "due_on": due}, reason)
    return case


def move(account, case_id: int, status: str, reason: str | None = None) -> OfficeCase:
    """Move a case along the workflow; refuse a move it does not allow, saying why."""
    _check_work(account)
    case = get_case(account, case_id)
    if status not in WORKFLOW_STATUSES:
        raise ValidationFailed(_("Trạng thái không hợp lệ."), {"fields": {"status": ["choice"]}})
    allowed = TRANSITIONS[case.status]
    if status not in allowed:
        raise TransitionRefused(
            _("Không chuyển được từ \"%(old)s\" sang \"%(new)s\"; được chuyển sang: %(allowed)s.",
              old=status_label(case.status), new=status_label(status),
              allowed=", ".join(status_label(item) for item in allowed) or _("(không)")),
            {"from": case.status, "to": status, "allowed": list(allowed)})
    if status == "forwarded" and case.unit_id is None:
        raise TransitionRefused(_("Hãy giao vụ việc cho một đơn vị xử lý trước."),
                                {"unit_id": None})
    if status == "answered" and not case.answer_text:
        raise TransitionRefused(_("Hãy nhập nội dung trả lời trước (mục Trả lời)."),
                                {"answer_text": None})
    if status == "closed" and case.answered_late and not late_record_complete(case):
        raise TransitionRefused(
            _("Vụ việc trả lời chậm %(n)s ngày: hãy ghi giải trình của người đứng đầu đơn vị "
              "và việc xin lỗi người dân (ngày, hình thức, người xin lỗi) trước khi đóng.",
              n=deadlines.days_late(case.due_on, case.answer_date)),
            {"late_explanation": case.late_explanation, "apology_on": plain_date(
                case.apology_on)})
    values: dict[str, Any] = {"status": status}
    if status == "closed":
        values["closed_at"] = utcnow()
    _set(account, case, values, reason)
    return case


def answer(account, case_id: int, text: str, by: str, doc_number: str | None,
           on: date | None = None) -> OfficeCase:
    """Give the case's answer; it reaches every member opinion (and every laptop that
    sent one). The case becomes "answered"."""
    _check_work(account)
    case = get_case(account, case_id)
    if case.status not in ("forwarded", "in_progress", "answered"):
        raise TransitionRefused(
            _("Chỉ trả lời được vụ việc đã giao cho đơn vị (trạng thái hiện tại: %(s)s).",
              s=status_label(case.status)), {"status": case.status})
    on = on or vietnam_today()
    errors = answer_errors(text, by, doc_number, on, case.received_on, vietnam_today())
    if errors:
        raise ValidationFailed(message_of(errors),
                               {"fields": {name: [code] for name, (code, _m) in errors.items()}})
    text = (text or "").strip()
    by = " ".join((by or "").split())
    doc_number = " ".join((doc_number or "").split()) or None
    _set(account, case, {"answer_text": text, "answer_by": by, "answer_doc_number": doc_number,
                         "answer_date": on, "answered_at": utcnow(), "status": "answered"})
    return case


def late_record_complete(case: OfficeCase) -> bool:
    return bool(case.late_explanation and case.late_explained_by and case.apology_on
                and case.apology_how and case.apology_by)


def record_late(account, case_id: int, values: dict[str, Any]) -> OfficeCase:
    """Record the head of unit's explanation and the apology to the citizen (seed 003)."""
    _check_work(account)
    case = get_case(account, case_id)
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, most in (("late_explanation", 10_000), ("late_explained_by", 120),
                       ("apology_how", 200), ("apology_by", 120)):
        value = (values.get(name) or "").strip()
        if name != "late_explanation":
            value = " ".join(value.split())
        if not value or len(value) > most:
            errors[name] = [f"required, at most {most}"]
        clean[name] = value
    on = values.get("apology_on")
    if isinstance(on, str):
        try:
            on = date.fromisoformat(on.strip())
        except ValueError:
            on = None
    if not isinstance(on, date) or on > vietnam_today():
        errors["apology_on"] = ["a date, not after today"]
    clean["apology_on"] = on
    if errors:
        raise ValidationFailed(_("Cần đủ: giải trình, người giải trình (người đứng đầu đơn vị), "
                                 "ngày xin lỗi (không sau hôm nay), hình thức và người xin lỗi."),
                               {"fields": errors})
    _set(account, case, clean)
    return case


# --- words -------------------------------------------------------------------------------

def status_label(status: str) -> str:
    from ... import labels

    return str(labels.WORKFLOW_STATUS_LABELS.get(status, status))


def plain_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def as_json(case: OfficeCase, account) -> dict[str, Any]:
    """Return a case as the office API answers it: its workflow and its members' ids."""
    held = members(case)
    units = unit_names({case.unit_id} - {None})
    return {
        "id": case.id, "commune_code": case.commune_code, "title": case.title,
        "kind": case.kind, "status": case.status, "unit_id": case.unit_id,
        "unit_name": units.get(case.unit_id), "received_on": plain_date(case.received_on),
        "assigned_on": plain_date(case.assigned_on),
        "accept_due_on": plain_date(case.accept_due_on), "due_on": plain_date(case.due_on),
        "complex": case.complex, "remote": case.remote,
        "extensions": case.extensions or [],
        "answer": {"text": case.answer_text, "by": case.answer_by,
                   "date": plain_date(case.answer_date),
                   "doc_number": case.answer_doc_number} if case.answer_text else None,
        "answered_late": case.answered_late,
        "days_late": deadlines.days_late(case.due_on, case.answer_date or vietnam_today())
        if case.status in OPEN_STATUSES or case.answered_late else 0,
        "late_explanation": case.late_explanation,
        "late_explained_by": case.late_explained_by,
        "apology": {"on": plain_date(case.apology_on), "how": case.apology_how,
                    "by": case.apology_by} if case.apology_on else None,
        "allowed_statuses": list(TRANSITIONS[case.status]),
        "opinion_ids": [str(item.id) for item in held],
        "created_at": _iso(case.created_at), "updated_at": _iso(case.updated_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None
