"""The inbox: find, read and change opinions as the office holds them (plain functions).

Every query is scoped by `permissions.scoped`: the caller never sees a record
outside its account's commune (or a handler's unit). Office changes go
through `update_opinion`, which keeps the history and publishes the change
to the laptops through one thin `sync.store` call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, case, func, or_, select

from sync import store
from sync.records import (
    CHANNELS,
    CORRECTABLE,
    LEVELS,
    OPINION_KINDS,
    SCHEMAS,
    WORKFLOW_STATUSES,
    central_opinion_schema,
    normalise,
    readable,
)
from sync.text import fold

from ...errors import Forbidden, NotFound, ValidationFailed
from ...extensions import db
from ...models_base import utcnow
from ..accounts.permissions import can, scoped
from ..catalogue import logic as catalogue
from ..catalogue.models import OfficeVillage, Unit
from .models import AuditEntry, OfficeForum, OfficeOpinion

SORTS = {
    "newest": (OfficeOpinion.first_received_at.desc(), OfficeOpinion.id.desc()),
    "oldest": (OfficeOpinion.first_received_at.asc(), OfficeOpinion.id.asc()),
    "received_on": (OfficeOpinion.received_on.desc(), OfficeOpinion.id.desc()),
    "due": (OfficeOpinion.due_on.asc().nulls_last(), OfficeOpinion.id.asc()),
}
MAX_PER_PAGE = 200
# Personal data of the citizen: shown only to roles holding "personal.view".
PERSONAL = ("raiser_name", "raiser_phone", "raiser_gender")


@dataclass
class Filters:
    """What the inbox and `GET /central/api/v1/opinions` filter on (all optional)."""

    commune: int | None = None
    village: uuid.UUID | None = None
    forum: uuid.UUID | None = None
    kind: str | None = None
    category: str | None = None
    channel: str | None = None
    level: str | None = None
    status: str | None = None
    unit: int | None = None
    device: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    new: bool = False
    sort: str = "newest"

    CHOICES = {"kind": OPINION_KINDS, "channel": CHANNELS, "level": LEVELS,
               "status": WORKFLOW_STATUSES, "sort": tuple(SORTS)}

    @classmethod
    def parse(cls, args) -> Filters:
        """Read filters from query arguments; refuse a value that cannot be one (422)."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        for name in ("kind", "category", "channel", "level", "status", "device", "q", "sort"):
            value = (args.get(name) or "").strip()
            if not value:
                continue
            if name in cls.CHOICES and value not in cls.CHOICES[name]:
                errors[name] = _("phải là một trong: %(values)s",
                                 values=", ".join(cls.CHOICES[name]))
            elif len(value) > 200:
                errors[name] = _("quá dài")
            else:
                values[name] = value
        for name, parse in (("commune", int), ("unit", int), ("village", uuid.UUID),
                            ("forum", uuid.UUID), ("date_from", date.fromisoformat),
                            ("date_to", date.fromisoformat)):
            value = (args.get(name) or "").strip()
            if value:
                try:
                    values[name] = parse(value)
                except ValueError:
                    errors[name] = _("giá trị không hợp lệ")
        values["new"] = (args.get("new") or "") in ("1", "true", "yes")
        if errors:
            raise ValidationFailed(_("Bộ lọc không hợp lệ: %(fields)s",
                                     fields=", ".join(sorted(errors))), {"fields": errors})
        return cls(**values)


def opinion_query(account, filters: Filters) -> Select:
    """Return the SELECT of the opinions these filters and this account's scope give."""
    query = select(OfficeOpinion).where(OfficeOpinion.deleted.is_(False))
    query = scoped(query, account, OfficeOpinion.commune_code, OfficeOpinion.unit_id)
    column_of = {"commune": OfficeOpinion.commune_code, "forum": OfficeOpinion.forum_id,
                 "kind": OfficeOpinion.kind, "category": OfficeOpinion.category_code,
                 "channel": OfficeOpinion.channel, "level": OfficeOpinion.level,
                 "status": OfficeOpinion.status, "unit": OfficeOpinion.unit_id,
                 "device": OfficeOpinion.device_id}
    for name, column in column_of.items():
        value = getattr(filters, name)
        if value is not None:
            query = query.where(column == value)
    if filters.village is not None:
        # A village merged into this one brings its opinions along.
        merged = select(OfficeVillage.id).where(OfficeVillage.merged_into == filters.village)
        query = query.where(or_(OfficeOpinion.village_id == filters.village,
                                OfficeOpinion.village_id.in_(merged)))
    if filters.date_from is not None:
        query = query.where(OfficeOpinion.received_on >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(OfficeOpinion.received_on <= filters.date_to)
    if filters.q:
        # Every word, without diacritics or case: "duong" finds "Đường".
        searched = _searchable_text(account)
        for word in fold(filters.q).split()[:10]:
            query = query.where(OfficeOpinion.folded.contains(word, autoescape=True))
            if searched is not OfficeOpinion.folded:
                query = query.where(searched.contains(word, autoescape=True))
    if filters.new and getattr(account, "inbox_seen_at", None) is not None:
        query = query.where(OfficeOpinion.first_received_at > account.inbox_seen_at)
    return query.order_by(*SORTS[filters.sort])


def _searchable_text(account):
    """Return the folded text a search may match for this account.

    `folded` ends with the speaker's name (projection.search_text puts it last);
    a role without personal data searches the text before it, or a search by
    name would tell it who raised what. The cut is by the stored name's length,
    never shorter than its folded form (folding only drops marks): at worst it
    loses a letter of the text before, never keeps a letter of the name.
    """
    if can(account, "personal.view"):
        return OfficeOpinion.folded
    named = (OfficeOpinion.raiser_name.is_not(None)) & (OfficeOpinion.raiser_name != "") & (
        OfficeOpinion.kind != "denunciation")
    cut = func.length(OfficeOpinion.folded) - func.length(OfficeOpinion.raiser_name) - 1
    # PostgreSQL refuses a negative length: a row whose text is all name has nothing left.
    return case((named & (cut > 0), func.substr(OfficeOpinion.folded, 1, cut)),
                (named, ""), else_=OfficeOpinion.folded)


def find_opinions(account, filters: Filters, page: int = 1, per_page: int = 50):
    """Return one page (Flask-SQLAlchemy Pagination) of the inbox."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    return db.paginate(opinion_query(account, filters), page=max(1, page),
                       per_page=per_page, max_per_page=MAX_PER_PAGE, error_out=False)


def get_opinion(account, record_id: uuid.UUID) -> OfficeOpinion:
    """Return one opinion this account may see; 404 otherwise (never says it exists)."""
    query = scoped(select(OfficeOpinion).where(OfficeOpinion.id == record_id), account,
                   OfficeOpinion.commune_code, OfficeOpinion.unit_id)
    opinion = db.session.execute(query).scalar()
    if opinion is None:
        raise NotFound(_("Không có ý kiến này (hoặc không thuộc phạm vi tài khoản của bạn)."))
    return opinion


def names_for(opinions: list[OfficeOpinion]) -> dict[str, dict]:
    """Return the village and unit names the listed opinions refer to."""
    villages = {item.village_id for item in opinions if item.village_id}
    units = {item.unit_id for item in opinions if item.unit_id}
    return {
        "villages": {row.id: row.name for row in db.session.execute(
            select(OfficeVillage.id, OfficeVillage.name)
            .where(OfficeVillage.id.in_(villages)))} if villages else {},
        "units": {row.id: row.name for row in db.session.execute(
            select(Unit.id, Unit.name).where(Unit.id.in_(units)))} if units else {},
    }


def as_json(opinion: OfficeOpinion, account, names: dict[str, dict] | None = None
            ) -> dict[str, Any]:
    """Return an opinion as the office API answers it; personal data only if allowed."""
    names = names or names_for([opinion])
    hidden = not can(account, "personal.view") or opinion.identity_protected
    out: dict[str, Any] = {}
    for column in OfficeOpinion.__table__.columns:
        if column.name == "folded":
            continue
        value = getattr(opinion, column.name)
        if column.name in PERSONAL and hidden:
            value = None
        if isinstance(value, (uuid.UUID, date)):
            value = value.isoformat() if isinstance(value, date) else str(value)
        out[column.name] = value
    out["village_name"] = names["villages"].get(opinion.village_id)
    out["unit_name"] = names["units"].get(opinion.unit_id)
    out["identity_protected"] = opinion.identity_protected
    return out


def mark_seen(account) -> None:
    """Remember that the account looked at its inbox now ("new since I last looked")."""
    account.inbox_seen_at = utcnow()


def history(record_id: uuid.UUID) -> list[AuditEntry]:
    """Return a record's history, oldest first: laptop arrivals and office changes."""
    return list(db.session.execute(select(AuditEntry).where(AuditEntry.record_id == record_id)
                                   .order_by(AuditEntry.id)).scalars())


def conflicts(record_id: uuid.UUID) -> list[Any]:
    """Return the values a laptop and the office both changed (kept for a person to see)."""
    return list(db.session.execute(select(store.conflict).where(
        store.conflict.c.record_id == record_id).order_by(store.conflict.c.id)))


def forum_of(opinion: OfficeOpinion) -> OfficeForum | None:
    return db.session.get(OfficeForum, opinion.forum_id) if opinion.forum_id else None


# What the office may change on an opinion. Workflow fields are the office's own;
# `CORRECTABLE` ones correct what the laptop sent (reclassify) and go back to it.
OFFICE_FIELDS = ("status", "unit_id", "due_on", "answer_text", "answer_by", "answer_date",
                 "answer_doc_number", "satisfaction")
WIRE_NAMES = {"due_on": "due_date"}


def update_opinion(account, record_id: uuid.UUID, values: dict[str, Any],
                   reason: str | None = None) -> OfficeOpinion:
    """Change an opinion's workflow or classification; record who, old → new, and why.

    The change goes to the laptops on their next pull through `sync.store.publish`.
    Raises Forbidden outside the account's role or scope, ValidationFailed for bad values.
    """
    if not can(account, "opinion.edit"):
        raise Forbidden(_("Tài khoản của bạn không có quyền sửa ý kiến."))
    opinion = get_opinion(account, record_id)
    if opinion.deleted:
        raise NotFound(_("Ý kiến này đã bị xoá trên máy bản."))
    if values.get("category_code") and not values.get("category_name"):
        # Reclassified: the laptop shows the office's name for the category.
        names = dict(catalogue.categories(opinion.commune_code))
        if values["category_code"] not in names:
            raise ValidationFailed(_("Lĩnh vực không có trong danh mục của xã."),
                                   {"fields": {"category_code": ["unknown"]}})
        values = {**values, "category_name": names[values["category_code"]]}
    clean = _clean(values, opinion)
    if account.role == "handler" and clean.get("unit_id", opinion.unit_id) != account.unit_id:
        raise Forbidden(_("Cán bộ đơn vị chỉ xử lý ý kiến của đơn vị mình."))
    if clean.get("unit_id") is not None:
        unit = db.session.get(Unit, clean["unit_id"])
        if unit is None or unit.commune_code not in (None, opinion.commune_code):
            raise ValidationFailed(_("Đơn vị xử lý không có trong danh sách của xã."),
                                   {"fields": {"unit_id": ["unknown"]}})
    changes = {name: [_plain(getattr(opinion, name)), _plain(value)]
               for name, value in clean.items() if getattr(opinion, name) != value}
    if not changes:
        return opinion
    now = utcnow()
    for name, value in clean.items():
        setattr(opinion, name, value)
    opinion.updated_at = now
    if "category_code" in changes or "category_name" in changes:
        opinion.folded = _refold(opinion)
    db.session.add(AuditEntry(collection="opinion", record_id=opinion.id,
                              commune_code=opinion.commune_code, at=now, source="office",
                              action="updated", account_id=account.id,
                              actor=account.username, changes=changes,
                              reason=(reason or "").strip()[:2000] or None))
    db.session.flush()
    _publish(opinion, {name: clean[name] for name in changes}, account.username)
    return opinion


def _clean(values: dict[str, Any], opinion: OfficeOpinion) -> dict[str, Any]:
    """Validate office values with the wire's schemas (what the laptop must accept too)."""
    known = set(OFFICE_FIELDS) | set(CORRECTABLE["opinion"])
    unknown = set(values) - known
    if unknown:
        raise ValidationFailed(_("Trường không sửa được: %(fields)s",
                                 fields=", ".join(sorted(unknown))),
                               {"fields": {name: ["unknown"] for name in unknown}})
    values = {name: (None if value in ("", None) else value) for name, value in values.items()}
    unit = values.pop("unit_id", "absent")
    wire = {WIRE_NAMES.get(name, name): value for name, value in values.items()
            if name in OFFICE_FIELDS}
    corrected = {name: value for name, value in values.items()
                 if name in CORRECTABLE["opinion"]}
    errors = {**central_opinion_schema.validate(wire),
              **SCHEMAS["opinion"].validate(corrected, partial=True)}
    for name in ("kind", "category_code", "level"):
        if name in corrected and corrected[name] is None:
            errors[name] = ["required"]
    clean: dict[str, Any] = {}
    if unit != "absent":
        try:
            clean["unit_id"] = None if unit is None else int(unit)
        except (TypeError, ValueError):
            errors["unit_id"] = ["not a number"]
    if errors:
        raise ValidationFailed(readable(errors), {"fields": errors})
    loaded = central_opinion_schema.load(wire)
    for name in values:
        if name in OFFICE_FIELDS:
            clean[name] = loaded.get(WIRE_NAMES.get(name, name))
        else:
            clean[name] = normalise(corrected[name])
    return clean


def _publish(opinion: OfficeOpinion, changed: dict[str, Any], by: str) -> None:
    """Send the changed values to the laptops: workflow as central fields, the rest as
    corrections of what the laptop sent."""
    central: dict[str, Any] = {}
    corrected: dict[str, Any] = {}
    for name, value in changed.items():
        if name in CORRECTABLE["opinion"]:
            corrected[name] = value
        elif name == "unit_id":
            unit = db.session.get(Unit, value) if value else None
            central["responsible_unit"] = unit.name if unit else None
        else:
            central[WIRE_NAMES.get(name, name)] = _plain(value)
    conn = db.session.connection()
    if "clock" not in _CLOCK:
        _CLOCK["clock"] = store.central_clock(conn)
    store.publish(conn, opinion.id, central, corrected, by, _CLOCK["clock"])


# One clock per process, past every central stamp stored when it was made.
_CLOCK: dict[str, Any] = {}


def _refold(opinion: OfficeOpinion) -> str:
    from .projection import search_text

    return search_text({column: getattr(opinion, column) for column in (
        "content", "category_name", "spot_answer", "kind", "raiser_name")})


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value
