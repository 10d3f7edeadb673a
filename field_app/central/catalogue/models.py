"""Villages, categories (lĩnh vực) and responsible units, owned by the commune office."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...models_base import utcnow

# A commune department; a province department; a utility (the power company, the water
# company); any other outside body.
UNIT_KINDS = ("commune", "province", "utility", "outside")


class OfficeVillage(db.Model):
    """A village as laptops sent it; `merged_into` names the one the office kept."""

    __tablename__ = "office_village"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    commune_code: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    # The name without diacritics or case, to find likely pairs ("Bản Nà Lò" / "Nà Lo").
    folded: Mapped[str] = mapped_column(String(120), nullable=False)
    kind: Mapped[str | None] = mapped_column(String(20))
    households: Mapped[int | None] = mapped_column(Integer)
    device_id: Mapped[str | None] = mapped_column(String(32))
    merged_into: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (Index("ix_office_village_commune_folded", "commune_code", "folded"),)


class OfficeCategory(db.Model):
    """A category (lĩnh vực) of one commune's list; laptops receive the list on pull."""

    __tablename__ = "office_category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_code: Mapped[int] = mapped_column(Integer, nullable=False)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    __table_args__ = (UniqueConstraint("commune_code", "code",
                                       name="uq_office_category_commune_code"),)


class Unit(db.Model):
    """A body that handles cases: a commune department, or an outside body (power company)."""

    __tablename__ = "office_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None: a body every commune of this server sends to (a province department).
    commune_code: Mapped[int | None] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="commune")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
