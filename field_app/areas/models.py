"""The commune this laptop serves and its villages."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sync.records import VILLAGE_KINDS  # noqa: F401  (the wire's vocabulary)

from ..extensions import db
from ..models_base import RecordMixin


class Commune(db.Model):
    """A commune (xã, phường, đặc khu) from the official list, once chosen."""

    __tablename__ = "commune"

    code: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    province_code: Mapped[int] = mapped_column(Integer, nullable=False)
    province_name: Mapped[str] = mapped_column(String(120), nullable=False)

    villages: Mapped[list[Village]] = relationship(
        back_populates="commune", order_by="Village.name_folded"
    )


class Village(RecordMixin, db.Model):
    """A village (bản, thôn, tiểu khu, ấp, tổ dân phố) of a commune."""

    __tablename__ = "village"
    __table_args__ = (UniqueConstraint("commune_code", "name_folded"),)

    commune_code: Mapped[int] = mapped_column(ForeignKey("commune.code"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="ban")
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    # Folded name: "Bản Nà Lò" and "ban na lo" are the same village.
    name_folded: Mapped[str] = mapped_column(String(120), nullable=False)
    households: Mapped[int | None] = mapped_column(Integer)
    # Centrally owned: the office merged this village into another (a pull says so).
    # The kept village may be one this laptop does not hold: its name is kept too.
    merged_into: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    merged_into_name: Mapped[str | None] = mapped_column(String(120))
    central_hlc: Mapped[str | None] = mapped_column(String(100))

    commune: Mapped[Commune] = relationship(back_populates="villages")

    def __str__(self) -> str:
        return self.name

