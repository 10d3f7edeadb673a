"""The inbox: find, read and change opinions as the office holds them (plain functions).

Every query is scoped by `permissions.scoped`: the caller never sees a record
outside its account's commune (or a handler's unit). Office changes go
through `update_opinion`, which keeps the history and publishes the change
to the laptops through one thin `sync.store` call.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, RAISE, ValidationError
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    cast,
    false,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm.attributes import set_committed_value

from sync import store
from sync.records import (
    CORRECTABLE,
    FORUM_KINDS,
    SATISFACTION_FIELDS,
    SCHEMAS,
    central_opinion_schema,
    normalise,
    said_of,
)
from sync.text import fold

from ...api.errors import translate
from ...database import write_aside
from ...dates import parse_day
from ...errors import Forbidden, NotFound, ValidationFailed
from ...extensions import db
from ...models_base import Page, utcnow
from ...opinions.logic import vietnam_today
from ...text import count
from ..accounts.models import Account
from ..accounts.permissions import can, in_commune, scoped
from ..catalogue import logic as catalogue
from ..catalogue.models import OfficeVillage, Unit
from . import schemas
from .answers import ANSWERED_STATUSES, answer_errors, message_of
from .history import FIELD_NAMES
from .models import (
    NAME_MARK,
    WORD,
    AuditEntry,
    OfficeAttachment,
    OfficeForum,
    OfficeOpinion,
)
from .projection import name_text, plain, search_text, words_of

SORTS = {
    "newest": (OfficeOpinion.first_received_at.desc(), OfficeOpinion.id.desc()),
    "oldest": (OfficeOpinion.first_received_at.asc(), OfficeOpinion.id.asc()),
    "received_on": (OfficeOpinion.received_on.desc(), OfficeOpinion.id.desc()),
    "due": (OfficeOpinion.due_on.asc().nulls_last(), OfficeOpinion.id.asc()),
}
assert tuple(SORTS) == schemas.SORTS
# A forum's own page lists its opinions as its minutes number them (not a filter's choice).
ORDERS = {**SORTS, "minutes": (OfficeOpinion.position.asc().nulls_last(),
                               OfficeOpinion.first_received_at.asc(), OfficeOpinion.id.asc())}
MAX_PER_PAGE = schemas.MAX_PER_PAGE
# Counting every match of a province's million opinions costs more than the page itself:
# past this many the total is a lower bound (see find_opinions).
COUNT_CAP = 1_000
# A search counts fewer: its matches are found by reading opinions until enough match,
# and a name shared by 1 % of a million took 60–300 ms to reach 1,000 (where the scan
# happened to start), ~5× less to reach 200.
SEARCH_COUNT_CAP = 200
# Personal data of the citizen: shown only to roles holding "personal.view".
PERSONAL = ("raiser_name", "raiser_phone", "raiser_gender")


# The inbox form's boxes, as it labels them: a refused filter is named so.
FILTER_LABELS = {
    "commune": _l("Xã"), "village": _l("Bản/thôn"), "forum": _l("Hội nghị"),
    "kind": _l("Loại"), "category": _l("Lĩnh vực"), "channel": _l("Kênh"), "level": _l("Cấp"),
    "status": _l("Trạng thái"), "source_org": _l("Tổ chức chuyển đến"),
    "handling": _l("Tình trạng xử lý"), "unit": _l("Đơn vị xử lý"), "device": _l("Máy gửi"),
    "date_from": _l("Ngày tiếp nhận từ"), "date_to": _l("Ngày tiếp nhận đến"),
    "q": _l("Tìm"), "new": _l("Chỉ ý kiến mới từ lần xem trước"), "sort": _l("Sắp xếp"),
    "page": _l("Trang"), "per_page": _l("Số ý kiến mỗi trang"),
}


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
    source_org: str | None = None
    handling: str | None = None
    unit: int | None = None
    device: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    new: bool = False
    sort: str = "newest"
    page: int = 1
    per_page: int = 50

    @classmethod
    def parse(cls, args, strict: bool = False) -> Filters:
        """Read filters and paging from query arguments; refuse a value that cannot be one.

        An empty value is no filter (the inbox form sends every box). `strict`
        (the API) also refuses an argument that is not a filter: a misspelt
        filter must not answer every opinion.
        """
        values = {name: value.strip() for name, value in args.items() if value.strip()}
        try:
            loaded = schemas.inbox_query_schema.load(values, unknown=RAISE if strict else EXCLUDE)
        except ValidationError as exc:
            messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
            said = translate(messages)
            # Each box's own reason, so the officer knows what to type ("05/12/2026").
            # Each box by the label the form gives it; `details` keep the field names.
            reasons = "; ".join(f"{FILTER_LABELS.get(name, name)}: {' '.join(map(str, reason))}"
                                if isinstance(reason, list) else str(FILTER_LABELS.get(name, name))
                                for name, reason in sorted(said.items()))
            raise ValidationFailed(_("Bộ lọc không hợp lệ: %(fields)s",
                                     fields=reasons), said) from None
        return cls(**loaded)


def check_filters(account, filters: Filters) -> None:
    """Refuse a commune filter outside the account's commune (403), rather than answer none."""
    if filters.commune is not None and not in_commune(account, filters.commune):
        raise Forbidden(_("Tài khoản của bạn chỉ xem được ý kiến của xã mình."),
                        {"commune": filters.commune})


WORD_PATTERN = re.compile(WORD)


def search_terms(q: str) -> list[str]:
    """Return the words a search looks for, folded, cut as the index cuts them (at most 10)."""
    return WORD_PATTERN.findall(fold(q))[:10]


def has_words(words: list[str], named: bool) -> ColumnElement[bool]:
    """Return the condition that every word begins a word of an opinion's text, or of its
    speaker's name when `named` (each word may be in either).

    Both backends look in `search_words` (projection.words_of): PostgreSQL through its
    GIN index (`'duong':* & 'vao':*`, and `('duong':* | '~duong':*)` for a name too),
    SQLite by GLOB (a word begins after a space, a name's after " ~").
    """
    marks = ("", NAME_MARK) if named else ("",)
    if db.session.get_bind().dialect.name == "postgresql":
        # Quoted lexemes are taken as written: no parser between the words and the index.
        terms = " & ".join("(" + " | ".join(f"'{mark}{word}':*" for mark in marks) + ")"
                           for word in words)
        return OfficeOpinion.search_words.bool_op("@@")(cast(terms, TSQUERY))
    spaced = literal_column("' '").concat(OfficeOpinion.search_words)
    return and_(*(or_(*(spaced.op("GLOB", is_comparison=True)(f"* {mark}{word}*")
                        for mark in marks)) for word in words))


def villages_named(account, words: list[str], commune: int | None = None
                   ) -> dict[str, list[uuid.UUID]]:
    """Return, for each word that begins a word of a village's name, the villages whose
    name it is in, and those merged into them (whose opinions are listed under them).

    Read from the account's communes' villages (or the one filtered on): a commune's few
    dozen, a province's few thousand; their folded names are cut here as the index cuts
    an opinion's words.
    """
    query = scoped(select(OfficeVillage.id, OfficeVillage.folded, OfficeVillage.merged_into)
                   .where(or_(*(OfficeVillage.folded.contains(word) for word in words))),
                   account, OfficeVillage.commune_code)
    if commune is not None:
        query = query.where(OfficeVillage.commune_code == commune)
    rows = [(row.id, WORD_PATTERN.findall(row.folded)) for row in db.session.execute(query)]
    named: dict[str, list[uuid.UUID]] = {}
    for word in dict.fromkeys(words):
        found = {key for key, parts in rows if any(part.startswith(word) for part in parts)}
        if found:
            named[word] = sorted(found)
    if named:  # a village merged into a named one: its opinions are listed under that one
        everyone = set().union(*named.values())
        merged: dict[uuid.UUID, set[uuid.UUID]] = {}
        for key, kept in db.session.execute(select(OfficeVillage.id, OfficeVillage.merged_into)
                                            .where(OfficeVillage.merged_into.in_(everyone))):
            merged.setdefault(kept, set()).add(key)
        named = {word: sorted({*found, *(key for kept in found for key in merged.get(kept, ()))})
                 for word, found in named.items()}
    return named


def matches_words(account, words: list[str], commune: int | None = None
                  ) -> ColumnElement[bool]:
    """Return the condition that each word begins a word of the opinion (has_words) or of
    its village's name: "na lo" finds Bản Nà Lò's opinions, "na lo duong" its roads.

    The village is matched by id, never by a copy of its name on each opinion: the office
    renames and merges villages, and their opinions follow at once. A word naming no
    village joins the others in one look-up of the search index, as before.
    """
    named = can(account, "personal.view")
    villages = villages_named(account, words, commune)
    plain_words = [word for word in words if word not in villages]
    conditions = [has_words(plain_words, named)] if plain_words else []
    conditions += [or_(has_words([word], named), OfficeOpinion.village_id.in_(ids))
                   for word, ids in villages.items()]
    return and_(*conditions)


def opinion_query(account, filters: Filters, new_since: datetime | None = None) -> Select:
    """Return the SELECT of the opinions these filters and this account's scope give.

    `filters.new` keeps what arrived after `new_since` (the inbox page passes the start of
    the previous visit), else after the account's `inbox_seen_at`.
    """
    query = select(OfficeOpinion).where(OfficeOpinion.deleted.is_(False))
    query = scoped(query, account, OfficeOpinion.commune_code, OfficeOpinion.unit_id)
    column_of = {"commune": OfficeOpinion.commune_code, "forum": OfficeOpinion.forum_id,
                 "kind": OfficeOpinion.kind, "category": OfficeOpinion.category_code,
                 "channel": OfficeOpinion.channel, "level": OfficeOpinion.level,
                 "status": OfficeOpinion.status, "unit": OfficeOpinion.unit_id,
                 "source_org": OfficeOpinion.source_org,
                 "device": OfficeOpinion.device_id}
    for name, column in column_of.items():
        value = getattr(filters, name)
        if (name, value) in (("unit", schemas.NO_UNIT), ("source_org", schemas.NONE)):
            query = query.where(column.is_(None))
        elif value is not None:
            query = query.where(column == value)
    if filters.village is not None:
        # A village merged into this one brings its opinions along. Looked up first: an
        # IN (subquery) inside an OR kept PostgreSQL off the village index (a full scan).
        merged = db.session.execute(select(OfficeVillage.id).where(
            OfficeVillage.merged_into == filters.village)).scalars().all()
        query = query.where(OfficeOpinion.village_id.in_([filters.village, *merged]))
    if filters.handling is not None:
        # The report's rule, as of the report's end (date_to) or today if sooner: a
        # drill-down from a report finds the very records its number counted.
        from ..reports.figures import handling_bucket, needs_handling

        as_of = min(vietnam_today(), filters.date_to or vietnam_today())
        query = query.where(needs_handling())
        if filters.handling != "any":  # "any": every one the report's totals count
            query = query.where(handling_bucket(as_of) == filters.handling)
    if filters.date_from is not None:
        query = query.where(OfficeOpinion.received_on >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(OfficeOpinion.received_on <= filters.date_to)
    if filters.q:
        # Every word, without diacritics or case: "duong" finds "Đường".
        # Names only for roles that may see them: a search by name would tell who raised what.
        # Typed with no letter or digit ("?!"): nothing is said like that, so nothing found.
        words = search_terms(filters.q)
        query = query.where(matches_words(account, words, filters.commune) if words
                            else false())
    since = new_since if new_since is not None else getattr(account, "inbox_seen_at", None)
    if filters.new and since is not None:
        query = query.where(OfficeOpinion.first_received_at > since)
    return query.order_by(*ORDERS[filters.sort])


@dataclass
class InboxPage(Page):
    """One page of the inbox; `total` is exact only when `total_exact`."""

    total_exact: bool = True

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def find_opinions(account, filters: Filters, new_since: datetime | None = None) -> InboxPage:
    """Return one page of the inbox; count its total only where counting is cheap.

    The page is read with one row more than it shows, so whether a next page
    exists is always known. Past the last page shown, matches are counted up
    to COUNT_CAP only (SEARCH_COUNT_CAP for a search): a bounded count lets
    PostgreSQL stop early, where an exact one over a million opinions, or over
    every "duong", cost more than the page itself; a deep page counts nothing
    more. A total that is a lower bound says so (`total_exact` false).
    """
    check_filters(account, filters)
    query = opinion_query(account, filters, new_since)
    offset = (filters.page - 1) * filters.per_page
    # The ids first, then their rows: a deep page's offset walks the index alone.
    rows = list(db.session.execute(query.with_only_columns(OfficeOpinion.id)
                                   .offset(offset).limit(filters.per_page + 1)).scalars())
    more = len(rows) > filters.per_page
    shown = rows[:filters.per_page]
    found = {item.id: item for item in db.session.execute(
        select(OfficeOpinion).where(OfficeOpinion.id.in_(shown))).scalars()} if shown else {}
    items = [found[record_id] for record_id in shown if record_id in found]
    if not more and (items or offset == 0):
        return InboxPage(items, offset + len(items), filters.page, filters.per_page)

    def count(most: int) -> int:
        matches = query.order_by(None).with_only_columns(OfficeOpinion.id).limit(most)
        return db.session.execute(select(func.count()).select_from(matches.subquery())
                                  ).scalar_one()

    if not items:  # past the last page: fewer matches than the offset, counted exactly
        return InboxPage(items, count(offset), filters.page, filters.per_page)
    cap = SEARCH_COUNT_CAP if filters.q else COUNT_CAP
    if offset >= cap:
        # A deep page: at least what lies before it, itself and the one row read past it.
        return InboxPage(items, offset + len(rows), filters.page, filters.per_page, False)
    total = count(cap + 1)
    if total <= cap:
        return InboxPage(items, total, filters.page, filters.per_page)
    # At least the cap, and never less than what was read (a next page is known to exist).
    return InboxPage(items, max(cap, offset + len(rows)), filters.page, filters.per_page,
                     False)


def get_opinion(account, record_id: uuid.UUID) -> OfficeOpinion:
    """Return one opinion this account may see; 404 otherwise (never says it exists)."""
    query = scoped(select(OfficeOpinion).where(OfficeOpinion.id == record_id), account,
                   OfficeOpinion.commune_code, OfficeOpinion.unit_id)
    opinion = db.session.execute(query).scalar()
    if opinion is None:
        raise NotFound(_("Không có ý kiến này (hoặc không thuộc phạm vi tài khoản của bạn)."))
    return opinion


def get_opinions(account, record_ids: list[uuid.UUID]) -> list[OfficeOpinion]:
    """Return these opinions in the given order, all in the account's scope; 404 if one
    is not (never says which exists)."""
    wanted = list(dict.fromkeys(record_ids))
    found = {item.id: item for item in db.session.execute(scoped(
        select(OfficeOpinion).where(OfficeOpinion.id.in_(wanted)), account,
        OfficeOpinion.commune_code, OfficeOpinion.unit_id)).scalars()}
    if len(found) != len(wanted):
        raise NotFound(_("Không có ý kiến này (hoặc không thuộc phạm vi tài khoản của bạn)."))
    return [found[key] for key in wanted]


def names_for(opinions: list[OfficeOpinion]) -> dict[str, dict]:
    """Return the village and unit names the listed opinions refer to."""
    return names_of({item.village_id for item in opinions if item.village_id},
                    {item.unit_id for item in opinions if item.unit_id})


def names_of(villages: set, units: set) -> dict[str, dict]:
    """Return {"villages": {id: name}, "units": {id: name}} for these ids."""
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
    values = {column.name: getattr(opinion, column.name)
              for column in OfficeOpinion.__table__.columns}
    if hidden:
        values.update(dict.fromkeys(PERSONAL))
    values["village_name"] = names["villages"].get(opinion.village_id)
    values["unit_name"] = names["units"].get(opinion.unit_id)
    values["identity_protected"] = opinion.identity_protected
    return schemas.office_opinion_schema.dump(values)


def mark_seen(account) -> None:
    """Remember that the account looked at its inbox now ("new since I last looked")."""
    account.inbox_seen_at = utcnow()


# Looking again after this long starts a new visit: what arrived since the last look is new.
VISIT_GAP = timedelta(minutes=30)


def visit(account, held: dict | None, now: datetime | None = None
          ) -> tuple[datetime | None, dict]:
    """Return (new since, visit to keep) for one look at the inbox; mark the account seen.

    "New" means arrived after the account's last look before this visit. That moment is
    kept (in the session) so that paging, filtering and the "only new" box all compare
    with it, though every look moves `inbox_seen_at`; a look after `VISIT_GAP` of quiet,
    or by another account, starts a new visit. None: never looked, everything is new.
    """
    now = now or utcnow()
    fresh = (not held or held.get("account") != account.id
             or datetime.fromisoformat(held["last"]) < now - VISIT_GAP)
    if fresh:
        since = account.inbox_seen_at
    else:
        since = datetime.fromisoformat(held["since"]) if held.get("since") else None
    stamp_seen(account, now)
    return since, {"account": account.id, "since": since.isoformat() if since else None,
                   "last": now.isoformat()}


def stamp_seen(account, now: datetime) -> None:
    """Move `inbox_seen_at` for a look at the inbox, beside the page (database.write_aside).

    A look only reads: while a push holds SQLite's write lock the stamp is skipped (the
    visit kept in the session still knows what is new; the next look stamps), never
    waited for (the page waited 5 s, then answered 503).
    """
    table = Account.__table__
    stamped = write_aside(lambda conn: conn.execute(
        update(table).where(table.c.id == account.id).values(inbox_seen_at=now)))
    if stamped is not None:
        # As loaded, not as changed: the page's session has nothing of its own to write.
        set_committed_value(account, "inbox_seen_at", now)


def communes_seen(account) -> list[int]:
    """Return the communes whose opinions the account may see (a server-wide account's list).

    Read from the enrolled laptops, whose commune every opinion takes: a handful of
    rows, where a DISTINCT over the opinions scans a province's million on every page.
    """
    query = scoped(select(store.device.c.commune_code).distinct(), account,
                   store.device.c.commune_code)
    return sorted(db.session.execute(query).scalars())


@dataclass(frozen=True)
class ForumFilters:
    """What the forum list narrows to: a village, a kind, a commune, days (Vietnam time,
    as the laptop wrote them; `date_to` included) — a report's drill-down among them."""

    village: uuid.UUID | None = None
    kind: str | None = None
    commune: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def parse(cls, args) -> ForumFilters:
        """Read the query string; a value that is not one (a typed URL) is left out."""
        def day(name: str) -> date | None:
            try:
                return parse_day(args.get(name) or "")
            except ValueError:
                return None

        try:
            village = uuid.UUID(args.get("village") or "")
        except ValueError:
            village = None
        kind = args.get("kind")
        return cls(village=village, kind=kind if kind in FORUM_KINDS else None,
                   commune=args.get("commune", type=int), date_from=day("date_from"),
                   date_to=day("date_to"))


def forum_query(account, filters: ForumFilters = ForumFilters()) -> Select:
    """Return the SELECT of the forums the account may see, newest first."""
    if filters.commune is not None and not in_commune(account, filters.commune):
        raise Forbidden(_("Tài khoản của bạn chỉ xem được dữ liệu của xã mình."))
    query = scoped(select(OfficeForum).where(OfficeForum.deleted.is_(False)), account,
                   OfficeForum.commune_code)
    if filters.village is not None:
        query = query.where(OfficeForum.village_id == filters.village)
    if filters.kind is not None:
        query = query.where(OfficeForum.kind == filters.kind)
    if filters.commune is not None:
        query = query.where(OfficeForum.commune_code == filters.commune)
    if filters.date_from is not None:
        query = query.where(OfficeForum.started_at >= datetime.combine(filters.date_from,
                                                                      datetime.min.time()))
    if filters.date_to is not None:
        query = query.where(OfficeForum.started_at < datetime.combine(
            filters.date_to + timedelta(days=1), datetime.min.time()))
    return query.order_by(OfficeForum.started_at.desc().nulls_last(), OfficeForum.id.desc())


def find_forums(account, page: int = 1, per_page: int = 50,
                filters: ForumFilters = ForumFilters()):
    """Return one page of forums (Flask-SQLAlchemy Pagination)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    return db.paginate(forum_query(account, filters), page=max(1, page), per_page=per_page,
                       max_per_page=MAX_PER_PAGE, error_out=False)


def opinion_counts(account, forum_ids: set[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Return how many opinions of each forum the account may see (one GROUP BY)."""
    if not forum_ids:
        return {}
    query = scoped(select(OfficeOpinion.forum_id, func.count())
                   .where(OfficeOpinion.deleted.is_(False),
                          OfficeOpinion.forum_id.in_(forum_ids)),
                   account, OfficeOpinion.commune_code, OfficeOpinion.unit_id)
    return dict(db.session.execute(query.group_by(OfficeOpinion.forum_id)).all())


def get_forum(account, forum_id: uuid.UUID) -> OfficeForum:
    """Return one forum within the account's commune; 404 otherwise."""
    query = scoped(select(OfficeForum).where(OfficeForum.id == forum_id), account,
                   OfficeForum.commune_code)
    forum = db.session.execute(query).scalar()
    if forum is None:
        raise NotFound(_("Không có hội nghị này (hoặc không thuộc phạm vi tài khoản của bạn)."))
    return forum


def attachments_of(opinion_id: uuid.UUID | None = None,
                   forum_id: uuid.UUID | None = None) -> list[OfficeAttachment]:
    """Return the live attachments of one opinion or one forum, in filename order."""
    column = OfficeAttachment.opinion_id if opinion_id else OfficeAttachment.forum_id
    return list(db.session.execute(select(OfficeAttachment).where(
        column == (opinion_id or forum_id), OfficeAttachment.deleted.is_(False))
        .order_by(OfficeAttachment.filename, OfficeAttachment.id)).scalars())


def get_attachment(account, attachment_id: uuid.UUID) -> OfficeAttachment:
    """Return an attachment whose opinion or forum the account may see; 404 otherwise."""
    item = db.session.get(OfficeAttachment, attachment_id)
    if item is None or item.deleted or not in_commune(account, item.commune_code):
        raise NotFound(_("Không có tệp đính kèm này."))
    # The parent decides: a handler sees only its unit's opinions, and their photos.
    if item.opinion_id is not None:
        get_opinion(account, item.opinion_id)
    elif item.forum_id is not None:
        get_forum(account, item.forum_id)
    else:
        raise NotFound(_("Không có tệp đính kèm này."))
    return item


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


def satisfaction_forum(opinion: OfficeOpinion) -> OfficeForum | None:
    """Return the forum the village recorded the citizen's satisfaction at (its own commune's)."""
    if opinion.satisfaction_forum_id is None:
        return None
    forum = db.session.get(OfficeForum, opinion.satisfaction_forum_id)
    return forum if forum is not None and forum.commune_code == opinion.commune_code else None


# What the office may change on an opinion. Workflow fields are the office's own;
# `CORRECTABLE` ones correct what the laptop sent (reclassify) and go back to it.
OFFICE_FIELDS = ("status", "unit_id", "due_on", "answer_text", "answer_by", "answer_date",
                 "answer_doc_number")
# Set with the satisfaction the office records, never typed: when, by whom, no forum.
SATISFACTION_STAMPS = tuple(name for name in SATISFACTION_FIELDS if name != "satisfaction")
WIRE_NAMES = {"due_on": "due_date"}


def update_opinion(account, record_id: uuid.UUID, values: dict[str, Any],
                   reason: str | None = None, from_case: bool = False) -> OfficeOpinion:
    """Change an opinion's workflow or classification; record who, old → new, and why.

    The change goes to the laptops on their next pull through `sync.store.publish`.
    The workflow of an opinion in a case is the case's: only the case (`from_case`)
    changes it, so that its members never drift apart.
    Raises Forbidden outside the account's role or scope, ValidationFailed for bad values.
    """
    if not can(account, "opinion.edit"):
        raise Forbidden(_("Tài khoản của bạn không có quyền sửa ý kiến."))
    return update_opinions(account, [get_opinion(account, record_id)], values, reason,
                           from_case)[0]


def update_opinions(account, opinions: list[OfficeOpinion], values: dict[str, Any],
                    reason: str | None = None,
                    from_case: bool = False) -> list[OfficeOpinion]:
    """`update_opinion` for opinions already read in the account's scope (`get_opinions`):
    all checked before any changes, then written, audited and published together."""
    if not can(account, "opinion.edit"):
        raise Forbidden(_("Tài khoản của bạn không có quyền sửa ý kiến."))
    with db.session.no_autoflush:
        planned = [(opinion, *_planned(account, opinion, values, from_case))
                   for opinion in opinions]
    now = utcnow()
    published: list[tuple[uuid.UUID, dict[str, Any], dict[str, Any]]] = []
    changed = []
    for opinion, clean, changes in planned:
        if not changes:
            continue
        for name, value in clean.items():
            setattr(opinion, name, value)
        opinion.updated_at = now
        if {"category_code", "category_name", "kind"} & set(changes):
            _refold(opinion)
        db.session.add(AuditEntry(collection="opinion", record_id=opinion.id,
                                  commune_code=opinion.commune_code, at=now, source="office",
                                  action="updated", account_id=account.id,
                                  actor=account.username, changes=changes,
                                  reason=(reason or "").strip()[:2000] or None))
        sent = {name: clean[name] for name in changes}
        if "satisfaction" in changes:
            # One recording, sent whole: a laptop's concurrent one never mixes with it
            # per field.
            sent.update({name: clean[name] for name in SATISFACTION_STAMPS})
        published.append((opinion.id, *_wire_values(sent)))
        changed.append((opinion, changes))
    if not changed:
        return opinions
    db.session.flush()
    publish_changes(published, account.username)
    for opinion, changes in changed:
        for listener in _updated:
            listener(account, opinion, changes)
    return opinions


def _planned(account, opinion: OfficeOpinion, values: dict[str, Any],
             from_case: bool) -> tuple[dict[str, Any], dict[str, list]]:
    """Return what `values` would set on `opinion` and its changes (old → new); raise
    if the account may not make them."""
    if opinion.deleted:
        raise NotFound(_("Ý kiến này đã bị xoá trên máy bản."))
    if (values.get("category_code") and not values.get("category_name")
            and values["category_code"] != opinion.category_code):
        # Reclassified: the laptop shows the office's name for the category. Left as it
        # was, a category since deactivated (or only a laptop's) is kept, not refused.
        names = {row.code: row.name for row in catalogue.commune_categories(opinion.commune_code)
                 if row.active}
        if values["category_code"] not in names:
            raise ValidationFailed(_("Lĩnh vực không có trong danh mục của xã."),
                                   {"fields": {"category_code": ["unknown"]}})
        values = {**values, "category_name": names[values["category_code"]]}
    clean = _clean(values)
    if (clean.get("satisfaction") in ("satisfied", "unsatisfied")
            and not clean.get("answer_text", opinion.answer_text)):
        # A verdict on an answer not given yet would count in the report's satisfaction
        # rate (the laptop refuses it too: answers.logic._answered_opinion).
        raise ValidationFailed(_("Ý kiến này chưa có trả lời của xã: chưa thể ghi hài lòng "
                                 "hay không hài lòng."),
                               {"fields": {"satisfaction": ["no_answer"]}})
    if "satisfaction" in clean and clean["satisfaction"] != opinion.satisfaction:
        # Recorded at the office: the newest recording, the laptop's older one is kept as
        # a conflict should both change it (sync.ingest._resolve_corrections).
        recorded = clean["satisfaction"] is not None
        clean.update(satisfaction_at=utcnow() if recorded else None,
                     satisfaction_forum_id=None,
                     satisfaction_by=account.username[:120] if recorded else None)
    drifting = sorted(name for name in OFFICE_FIELDS
                      if name in clean and clean[name] != getattr(opinion, name))
    if opinion.case_id is not None and not from_case and drifting:
        raise ValidationFailed(
            _("Ý kiến này thuộc vụ việc số %(n)s: trạng thái, đơn vị, hạn và trả lời được "
              "sửa ở trang vụ việc, để mọi ý kiến của vụ việc cùng nhận.", n=opinion.case_id),
            {"fields": {name: ["in_case"] for name in drifting}})
    if not from_case:
        # A case's answer and unit were checked by the case (cases.logic.answer, move).
        _check_answer(opinion, clean)
        _check_forwarded(opinion, clean)
    if account.role == "handler" and clean.get("unit_id", opinion.unit_id) != account.unit_id:
        raise Forbidden(_("Cán bộ đơn vị chỉ xử lý ý kiến của đơn vị mình."))
    if clean.get("unit_id") is not None:
        unit = db.session.get(Unit, clean["unit_id"])
        if unit is None or unit.commune_code not in (None, opinion.commune_code):
            raise ValidationFailed(_("Đơn vị xử lý không có trong danh sách của xã."),
                                   {"fields": {"unit_id": ["unknown"]}})
    changes = {name: [plain(getattr(opinion, name)), plain(value)]
               for name, value in clean.items() if getattr(opinion, name) != value}
    return clean, changes


def _check_forwarded(opinion: OfficeOpinion, clean: dict[str, Any]) -> None:
    """Refuse "forwarded" without a responsible unit (as a case: cases.logic.move): an
    opinion forwarded to no one is handled by no one, and no report can chase it."""
    status = clean.get("status", opinion.status)
    unit_id = clean.get("unit_id", opinion.unit_id)
    touched = any(name in clean and clean[name] != getattr(opinion, name)
                  for name in ("status", "unit_id"))
    if touched and status == "forwarded" and unit_id is None:
        raise ValidationFailed(
            _("Chưa chuyển được: ý kiến \"Đã chuyển\" phải có đơn vị xử lý. Hãy chọn đơn vị "
              "xử lý rồi lưu lại."),
            {"fields": {"unit_id": ["required"]}})


ANSWER_FIELDS = {"text": "answer_text", "by": "answer_by", "doc_number": "answer_doc_number",
                 "date": "answer_date"}


def _check_answer(opinion: OfficeOpinion, clean: dict[str, Any]) -> None:
    """Refuse "answered" or "closed" without an answer and who gave it, and an answer
    date after today or before the opinion came; fill a missing date with today."""
    touched = {"status", *ANSWER_FIELDS.values()} & {
        name for name in clean if clean[name] != getattr(opinion, name)}
    if not touched:
        return
    after = {name: clean.get(name, getattr(opinion, name))
             for name in ("status", *ANSWER_FIELDS.values())}
    if (after["answer_text"] and after["answer_by"] and after["status"] == opinion.status
            and after["status"] not in ANSWERED_STATUSES
            and after["answer_text"] != opinion.answer_text):
        # A whole answer saved with the status left as it was: the laptops get it (and
        # read it out) at once, so it is answered; left "received", the inbox and the
        # reports would count it as waiting. A status moved on purpose keeps a draft.
        clean["status"] = after["status"] = "answered"
    answered = after["status"] in ANSWERED_STATUSES
    today = vietnam_today()
    if answered and after["answer_date"] is None:
        clean["answer_date"] = after["answer_date"] = today
    errors = answer_errors(after["answer_text"], after["answer_by"],
                           after["answer_doc_number"], after["answer_date"],
                           opinion.received_on, today)
    if not answered:
        # Not answered yet: a draft answer may be partial, but never dated ahead.
        errors = {name: error for name, error in errors.items() if name == "date"}
    if errors:
        raise ValidationFailed(message_of(errors), {"fields": {
            ANSWER_FIELDS[name]: [code] for name, (code, _m) in errors.items()}})
    due_on = clean.get("due_on", opinion.due_on)
    if (after["status"] == "closed" and opinion.status != "closed" and opinion.case_id is None
            and due_on is not None and after["answer_date"] is not None
            and after["answer_date"] > due_on):
        # As a case (cases.logic.move): a late answer is closed only with the head's
        # explanation and the apology, which are recorded on a case.
        raise ValidationFailed(
            _("Ý kiến trả lời chậm %(n)s ngày: hãy mở vụ việc cho ý kiến này (mục Vụ việc) "
              "để ghi giải trình của người đứng đầu đơn vị và việc xin lỗi người dân trước "
              "khi đóng.", n=(after["answer_date"] - due_on).days),
            {"fields": {"status": ["late_record"]}})


# Called as `listener(account, opinion, changes)` after every office change, in its
# transaction: a kind changed to or from tố cáo moves the identity, an answer tells the
# citizen (identity.logic, notify.logic).
_updated: list[Any] = []


def on_updated(listener) -> None:
    """Call `listener(account, opinion, changes)` after every `update_opinion` that changed."""
    if listener not in _updated:
        _updated.append(listener)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Validate office values with the wire's schemas (what the laptop must accept too)."""
    known = (set(OFFICE_FIELDS) | set(CORRECTABLE["opinion"])) - set(SATISFACTION_STAMPS)
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
        raise ValidationFailed(refusal(errors), {"fields": errors})
    loaded = central_opinion_schema.load(wire)
    for name in values:
        if name in OFFICE_FIELDS:
            clean[name] = loaded.get(WIRE_NAMES.get(name, name))
        else:
            clean[name] = normalise(corrected[name])
    return clean


_LONGER = re.compile(r"Longer than maximum length (\d+)")


def refusal(errors: dict[str, Any]) -> str:
    """Return the schemas' refusal of an office change as the form says it: each field by
    its label, a too-long text with its limit ("Nội dung trả lời: quá dài (tối đa 10.000
    ký tự)"), and that nothing was saved."""
    names = {wire: name for name, wire in WIRE_NAMES.items()}
    parts = []
    for name, messages in sorted(errors.items()):
        message = str(messages[0] if isinstance(messages, list) and messages else messages)
        longest = _LONGER.match(message)
        said = (_("quá dài (tối đa %(n)s ký tự)", n=count(int(longest.group(1))))
                if longest else said_of(message))
        parts.append(f"{FIELD_NAMES.get(names.get(name, name), name)}: {said}")
    return _("%(reasons)s; chưa lưu gì.", reasons="; ".join(parts))


def _wire_values(changed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split changed values as the laptops receive them: workflow as central fields, the
    rest as corrections of what the laptop sent."""
    central: dict[str, Any] = {}
    corrected: dict[str, Any] = {}
    for name, value in changed.items():
        if name in CORRECTABLE["opinion"]:
            corrected[name] = plain(value)
        elif name == "unit_id":
            unit = db.session.get(Unit, value) if value else None
            central["responsible_unit"] = unit.name if unit else None
        else:
            central[WIRE_NAMES.get(name, name)] = plain(value)
    return central, corrected


def publish_change(record_id: uuid.UUID, central: dict[str, Any], corrected: dict[str, Any],
                   by: str) -> None:
    """Announce an office change of a record (opinion, village) in this session's transaction."""
    publish_changes([(record_id, central, corrected)], by)


def publish_changes(changes: list[tuple[uuid.UUID, dict[str, Any], dict[str, Any]]],
                    by: str) -> None:
    """Announce office changes `(record_id, central, corrected)` together, in order."""
    conn = db.session.connection()
    if "clock" not in _CLOCK:
        _CLOCK["clock"] = store.central_clock(conn)
    store.publish_many(conn, changes, by, _CLOCK["clock"])


# One clock per process, past every central stamp stored when it was made.
_CLOCK: dict[str, Any] = {}


def _refold(opinion: OfficeOpinion) -> None:
    """Fold again what a search matches, after a reclassification (a new kind may hide a name)."""
    said = {column: getattr(opinion, column) for column in (
        "content", "category_name", "spot_answer", "kind", "raiser_name")}
    opinion.folded, opinion.raiser_folded = search_text(said), name_text(said)
    opinion.search_words = words_of(opinion.folded, opinion.raiser_folded)


