"""The office's reference lists: units (and, with the catalogue work, categories, villages)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ...errors import ValidationFailed
from ...extensions import db
from .models import UNIT_KINDS, Unit


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


def categories(commune_code: int | None) -> list[tuple[str, str]]:
    """Return a commune's category list as (code, name): the office's, else the seed list."""
    from ...opinions.models import SEED_CATEGORIES
    from .models import OfficeCategory

    if commune_code is not None:
        rows = db.session.execute(select(OfficeCategory.code, OfficeCategory.name).where(
            OfficeCategory.commune_code == commune_code, OfficeCategory.active.is_(True))
            .order_by(OfficeCategory.position, OfficeCategory.name)).all()
        if rows:
            return [(row.code, row.name) for row in rows]
    return list(SEED_CATEGORIES)
