"""The office's reference lists: categories and villages per commune, and units.

Plain functions; the views commit. Laptops learn the category list on every
pull (`pull_categories`, a `sync.store.on_pull` provider) and a village
merge through the change feed (`sync.store.publish`, as an opinion's answer).
"""

from __future__ import annotations

import difflib
import re
import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite

from sync import store
from sync.records import category_entry_schema, readable
from sync.text import fold

from ...areas.logic import commune_label
from ...errors import Forbidden, NotFound, ValidationFailed
from ...extensions import db
from ...models_base import utcnow
from ..accounts.permissions import can, in_commune, scoped
from .models import UNIT_KINDS, OfficeCategory, OfficeVillage, Unit


def add_unit(commune_code: int | None, name: str, kind: str = "commune") -> Unit:
    """Add a responsible unit of a commune (None: of every commune on this server)."""
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise ValidationFailed(_("Tên đơn vị bắt buộc, tối đa 200 ký tự."),
                               {"fields": {"name": ["required"]}})
    if kind not in UNIT_KINDS:
        raise ValidationFailed(_("Loại đơn vị không hợp lệ."), {"fields": {"kind": ["choice"]}})
    found = db.session.execute(select(Unit).where(Unit.commune_code == commune_code,
                                                  Unit.name == name)).scalar()
    if found is not None:
        return found
    unit = Unit(commune_code=commune_code, name=name, kind=kind)
    db.session.add(unit)
    db.session.flush()
    return unit


# --- which commune -----------------------------------------------------------------------

def unit_label(name: str, commune_code: int | None, server_wide: bool) -> str:
    """Return a unit's name as a list shows it. A server-wide (province) account sees the
    units of every commune, several with the same name ("Địa chính"): a commune's unit
    then carries its commune ("Địa chính — Xã Mường La (Sơn La)")."""
    if not server_wide or commune_code is None:
        return name
    return f"{name} — {commune_label(commune_code)}"


def unit_labels(ids, server_wide: bool) -> dict[int, str]:
    """Return the label (`unit_label`) of each unit of `ids`."""
    ids = {unit for unit in ids if unit is not None}
    if not ids:
        return {}
    return {row.id: unit_label(row.name, row.commune_code, server_wide)
            for row in db.session.execute(select(Unit.id, Unit.name, Unit.commune_code)
                                          .where(Unit.id.in_(ids)))}


def check_manager(account, commune_code: int | None) -> None:
    """Refuse an account without "catalogue.manage" or outside the commune."""
    if not can(account, "catalogue.manage"):
        raise Forbidden(_("Tài khoản của bạn không có quyền sửa danh mục."))
    if commune_code is not None and not in_commune(account, commune_code):
        raise Forbidden(_("Tài khoản của bạn chỉ làm việc với xã của mình."))


def commune_of(account, requested: int | None) -> int | None:
    """Return the commune a catalogue page works on: the account's, else the one asked for."""
    if account.commune_code is not None:
        return account.commune_code
    return requested


def picked_commune(typed: str | None) -> int | None:
    """Return the commune a page's picker names: its code, or its name (diacritics optional).

    None if the box is empty. A name that names no commune, or several, raises
    ValidationFailed saying what to type instead.
    """
    from ...areas.logic import find_commune

    typed = (typed or "").strip()
    if not typed:
        return None
    if typed.isdigit():
        return int(typed)
    return find_commune(typed)


def known_communes(account) -> list[int]:
    """Return the communes this server has heard of (devices, villages, category lists)."""
    codes: set[int] = set()
    for column in (store.device.c.commune_code, OfficeVillage.commune_code,
                   OfficeCategory.commune_code):
        codes.update(db.session.execute(scoped(select(column).distinct(), account,
                                               column)).scalars())
    return sorted(code for code in codes if code is not None)


# --- categories (lĩnh vực) ---------------------------------------------------------------

def _seed_rows(commune_code: int) -> list[dict[str, Any]]:
    from ...opinions.models import SEED_CATEGORIES

    return [{"commune_code": commune_code, "code": code, "name": name, "position": index,
             "active": True} for index, (code, name) in enumerate(SEED_CATEGORIES)]


def ensure_categories(commune_code: int) -> None:
    """Give a commune its own category list, the seed list, the first time it is used."""
    exists = db.session.execute(select(OfficeCategory.id).where(
        OfficeCategory.commune_code == commune_code).limit(1)).first()
    if exists is not None:
        return
    conn = db.session.connection()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # Two office pages opened at once both seed: the second inserts nothing.
    db.session.execute(dialect.insert(OfficeCategory).values(_seed_rows(commune_code))
                       .on_conflict_do_nothing())


def commune_categories(commune_code: int) -> list[OfficeCategory]:
    """Return a commune's whole category list in display order, inactive ones included."""
    ensure_categories(commune_code)
    return list(db.session.execute(select(OfficeCategory).where(
        OfficeCategory.commune_code == commune_code)
        .order_by(OfficeCategory.position, OfficeCategory.id)).scalars())


def categories(commune_code: int | None) -> list[tuple[str, str]]:
    """Return a commune's active categories as (code, name to show) in display order.

    Only reads, for pages that only show (the inbox's filter, an opinion's form): until
    the office keeps a list for the commune (its category page, a reclassification),
    the seed list it would keep is shown. Storing it here made every look a write,
    waiting on SQLite for the lock a push holds.
    """
    from ...labels import category_label
    from ...opinions.models import SEED_CATEGORIES

    rows = [] if commune_code is None else db.session.execute(
        select(OfficeCategory.code, OfficeCategory.name, OfficeCategory.active)
        .where(OfficeCategory.commune_code == commune_code)
        .order_by(OfficeCategory.position, OfficeCategory.id)).all()
    if not rows:
        return [(code, category_label(code, name)) for code, name in SEED_CATEGORIES]
    return [(row.code, category_label(row.code, row.name)) for row in rows if row.active]


def _check_category(code: str, name: str, position: int = 0) -> None:
    """Validate with the wire's schema: what the office saves, every laptop must accept."""
    errors = category_entry_schema.validate({"code": code, "name": name,
                                             "position": position, "active": True})
    if not name:
        errors["name"] = [_("Hãy nhập tên lĩnh vực.")]
    if errors:
        raise ValidationFailed(readable(errors), {"fields": errors})


def add_category(account, commune_code: int, name: str | None,
                 code: str | None = None) -> OfficeCategory:
    """Add a category to a commune's list; its code is made from the name when not given."""
    from ...opinions.logic import category_code_for

    check_manager(account, commune_code)
    name = " ".join((name or "").split())
    code = (code or "").strip().lower() or category_code_for(name)
    rows = commune_categories(commune_code)
    _check_category(code, name, len(rows))
    if any(row.code == code for row in rows):
        raise ValidationFailed(_("Mã lĩnh vực “%(code)s” đã có trong danh mục của xã.",
                                 code=code), {"fields": {"code": ["taken"]}})
    if any(fold(row.name) == fold(name) for row in rows):
        raise ValidationFailed(_("Lĩnh vực “%(name)s” đã có.", name=name),
                               {"fields": {"name": ["taken"]}})
    category = OfficeCategory(commune_code=commune_code, code=code, name=name,
                              position=max((row.position for row in rows), default=-1) + 1,
                              active=True)
    db.session.add(category)
    db.session.flush()
    return category


def get_category(account, category_id: int) -> OfficeCategory:
    """Return a category of the account's communes; 404 otherwise."""
    category = db.session.get(OfficeCategory, category_id)
    if category is None or not in_commune(account, category.commune_code):
        raise NotFound(_("Không có lĩnh vực này."))
    check_manager(account, category.commune_code)
    return category


def rename_category(account, category_id: int, name: str | None) -> OfficeCategory:
    """Rename a category; laptops show the new name, opinions keep their category."""
    category = get_category(account, category_id)
    name = " ".join((name or "").split())
    _check_category(category.code, name)
    clash = db.session.execute(select(OfficeCategory.name).where(
        OfficeCategory.commune_code == category.commune_code,
        OfficeCategory.id != category.id)).scalars()
    if any(fold(other) == fold(name) for other in clash):
        raise ValidationFailed(_("Lĩnh vực “%(name)s” đã có.", name=name),
                               {"fields": {"name": ["taken"]}})
    category.name = name
    db.session.flush()
    return category


def move_category(account, category_id: int, step: int) -> OfficeCategory:
    """Move a category up (step -1) or down (+1) the list; positions are renumbered 0…n."""
    category = get_category(account, category_id)
    rows = commune_categories(category.commune_code)
    index = rows.index(category)
    target = max(0, min(len(rows) - 1, index + step))
    rows.insert(target, rows.pop(index))
    for position, row in enumerate(rows):
        row.position = position
    db.session.flush()
    return category


def set_category_active(account, category_id: int, active: bool) -> OfficeCategory:
    """Deactivate a category (kept on old opinions, no longer offered) or reactivate it."""
    category = get_category(account, category_id)
    category.active = active
    db.session.flush()
    return category


def pull_categories(conn: Connection, dev) -> dict[str, Any]:
    """Return the device's commune's category list for a pull (`sync.store.on_pull`).

    Nothing until the office keeps a list for the commune: the laptop keeps
    its seed list, which is the same. Runs in the pull's own transaction.
    """
    table = OfficeCategory.__table__
    rows = conn.execute(select(table.c.code, table.c.name, table.c.position, table.c.active)
                        .where(table.c.commune_code == dev.commune_code)
                        .order_by(table.c.position, table.c.id)).all()
    if not rows:
        return {}
    return {"categories": [{"code": row.code, "name": row.name, "position": row.position,
                            "active": bool(row.active)} for row in rows]}


# --- villages ------------------------------------------------------------------------------

# What comes before a village's own name; longest first ("tổ dân phố" before "tổ").
VILLAGE_PREFIXES = ("to dan pho", "tieu khu", "khu pho", "ban", "thon", "xom", "ap", "khu",
                    "bon", "buon")
_PREFIX = re.compile("^(?:" + "|".join(map(re.escape, VILLAGE_PREFIXES)) + r")\s+")
# A pair this alike (difflib ratio of the bare names) is shown as likely the same village.
SIMILAR_RATIO = 0.8


def bare_name(name: str) -> str:
    """Return a village name folded, without "bản", "thôn", "tiểu khu"…: "Bản Nà Lò" -> "na lo"."""
    folded = fold(name)
    bare = _PREFIX.sub("", folded, count=1)
    return bare or folded


@dataclass
class LikelyPair:
    """Two villages of one commune that are likely one, and why."""

    first: OfficeVillage
    second: OfficeVillage
    reason: str
    score: float


def _pair_reason(a: str, b: str) -> tuple[str, float] | None:
    """Return why two bare names look like one village, with a score; None if they do not."""
    if re.findall(r"\d+", a) != re.findall(r"\d+", b):
        return None  # "Nà Lò 1" and "Nà Lò 2" are two villages
    if a == b:
        return _("cùng tên khi bỏ dấu và chữ bản/thôn/tiểu khu…"), 1.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    if ratio >= SIMILAR_RATIO:
        return _("tên gần giống (%(percent)s%%)", percent=round(ratio * 100)), ratio
    words_a, words_b = set(a.split()), set(b.split())
    if words_a and words_b and (words_a <= words_b or words_b <= words_a):
        return _("tên này nằm trong tên kia"), 0.7
    return None


def likely_pairs(villages: list[OfficeVillage]) -> list[LikelyPair]:
    """Return pairs of live villages of one commune that likely are one, most alike first."""
    live = [village for village in villages if village.merged_into is None
            and not village.deleted]
    pairs = []
    for index, first in enumerate(live):
        for second in live[index + 1:]:
            if first.commune_code != second.commune_code:
                continue
            found = _pair_reason(bare_name(first.name), bare_name(second.name))
            if found is not None:
                pairs.append(LikelyPair(first, second, *found))
    return sorted(pairs, key=lambda pair: (-pair.score, fold(pair.first.name)))


def commune_villages(commune_code: int) -> list[OfficeVillage]:
    """Return a commune's villages as laptops sent them, by name (deleted ones left out)."""
    return list(db.session.execute(select(OfficeVillage).where(
        OfficeVillage.commune_code == commune_code, OfficeVillage.deleted.is_(False))
        .order_by(OfficeVillage.folded)).scalars())


def opinion_counts(commune_code: int) -> dict[uuid.UUID, int]:
    """Return how many opinions each village of a commune holds (one GROUP BY)."""
    from ..inbox.models import OfficeOpinion

    rows = db.session.execute(select(OfficeOpinion.village_id, func.count())
                              .where(OfficeOpinion.commune_code == commune_code,
                                     OfficeOpinion.deleted.is_(False))
                              .group_by(OfficeOpinion.village_id))
    return {row[0]: row[1] for row in rows}


def get_village(account, village_id: uuid.UUID) -> OfficeVillage:
    """Return a village of the account's communes; 404 otherwise."""
    village = db.session.get(OfficeVillage, village_id)
    if village is None or village.deleted or not in_commune(account, village.commune_code):
        raise NotFound(_("Không có bản/thôn này (hoặc đã bị xoá trên máy bản)."))
    check_manager(account, village.commune_code)
    return village


def merge_villages(account, keep_id: uuid.UUID, merge_id: uuid.UUID,
                   reason: str | None) -> OfficeVillage:
    """Merge village `merge_id` into `keep_id`: its opinions count under the kept one.

    Villages already merged into the merged one follow it. Each gets a history
    line (who, why) and goes to its laptop on the next pull. Returns the kept village.
    """
    keep, merged = get_village(account, keep_id), get_village(account, merge_id)
    if keep.id == merged.id:
        raise ValidationFailed(_("Hãy chọn hai bản khác nhau."),
                               {"fields": {"merge": ["same"]}})
    if keep.commune_code != merged.commune_code:
        raise ValidationFailed(_("Chỉ gộp được hai bản của cùng một xã."),
                               {"fields": {"merge": ["commune"]}})
    if keep.merged_into is not None:
        raise ValidationFailed(_("Bản “%(name)s” đã được gộp vào bản khác; hãy chọn bản giữ lại.",
                                 name=keep.name), {"fields": {"keep": ["merged"]}})
    if merged.merged_into is not None:
        raise ValidationFailed(_("Bản “%(name)s” đã được gộp rồi.", name=merged.name),
                               {"fields": {"merge": ["merged"]}})
    followers = list(db.session.execute(select(OfficeVillage).where(
        OfficeVillage.merged_into == merged.id)).scalars())
    for village in (merged, *followers):
        _set_merged(account, village, keep, reason)
    return keep


def unmerge_village(account, village_id: uuid.UUID, reason: str | None) -> OfficeVillage:
    """Undo a merge: the village counts on its own again, on the office and its laptop."""
    village = get_village(account, village_id)
    if village.merged_into is None:
        raise ValidationFailed(_("Bản này chưa được gộp."), {"fields": {"village": ["merged"]}})
    _set_merged(account, village, None, reason)
    return village


def _set_merged(account, village: OfficeVillage, keep: OfficeVillage | None,
                reason: str | None) -> None:
    from ..inbox.logic import publish_change
    from ..inbox.models import AuditEntry

    old = village.merged_into
    village.merged_into = keep.id if keep is not None else None
    db.session.add(AuditEntry(
        collection="village", record_id=village.id, commune_code=village.commune_code,
        at=utcnow(), source="office", action="merged" if keep is not None else "unmerged",
        account_id=account.id, actor=account.username,
        changes={"merged_into": [str(old) if old else None, str(keep.id) if keep else None],
                 "merged_into_name": [None, keep.name if keep else None]},
        reason=(reason or "").strip()[:2000] or None))
    db.session.flush()
    publish_change(village.id, {"merged_into": str(keep.id) if keep else None,
                                "merged_into_name": keep.name if keep else None},
                   {}, account.username)
