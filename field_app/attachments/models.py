"""An attachment row points at a content-addressed file (SHA-256)."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import RecordMixin


class Attachment(RecordMixin, db.Model):
    """A photo or scan attached to a forum or an opinion."""

    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint(
            "(forum_id IS NULL) != (opinion_id IS NULL)", name="one_owner"
        ),
    )

    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    mime_type: Mapped[str] = mapped_column(String(60), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    forum_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("forum.id"), index=True)
    opinion_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("opinion.id"), index=True)
