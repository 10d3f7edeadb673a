"""A forum (meeting), its decisions and its post-finalisation amendments."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sync.records import FORUM_KINDS  # noqa: F401  (the wire's vocabulary)
from sync.records import FORUM_STATUSES as STATUSES  # noqa: F401

from ..areas.models import Village
from ..extensions import db
from ..models_base import RecordMixin, utcnow


class Forum(RecordMixin, db.Model):
    """One meeting held in a village."""

    __tablename__ = "forum"
    __table_args__ = (Index("ix_forum_started_at", "started_at"),)

    kind: Mapped[str] = mapped_column(String(30), nullable=False, default="listening")
    village_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("village.id"), nullable=False)
    title: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    venue: Mapped[str | None] = mapped_column(String(200))
    chair: Mapped[str | None] = mapped_column(String(120))
    secretary: Mapped[str | None] = mapped_column(String(120))
    officials_present: Mapped[str | None] = mapped_column(Text)
    attendance_total: Mapped[int | None] = mapped_column(Integer)
    attendance_women: Mapped[int | None] = mapped_column(Integer)
    attendance_ethnic_minority: Mapped[int | None] = mapped_column(Integer)
    households_represented: Mapped[int | None] = mapped_column(Integer)
    agenda: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="draft")
    finalised_at: Mapped[datetime | None] = mapped_column(DateTime)

    village: Mapped[Village] = relationship()
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="forum", order_by="Decision.position", cascade="all, delete-orphan"
    )
    amendments: Mapped[list[Amendment]] = relationship(
        back_populates="forum", order_by="Amendment.created_at", cascade="all, delete-orphan"
    )

    @property
    def is_finalised(self) -> bool:
        return self.status == "finalised"


class Decision(RecordMixin, db.Model):
    """A decision the meeting voted on, with the hand-vote counts."""

    __tablename__ = "decision"

    forum_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("forum.id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    votes_abstain: Mapped[int | None] = mapped_column(Integer)

    forum: Mapped[Forum] = relationship(back_populates="decisions")


class Amendment(db.Model):
    """A change made after the minutes were finalised; keeps the old value."""

    __tablename__ = "amendment"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    forum_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("forum.id"), nullable=False)
    # What changed: the forum itself or one of its opinions.
    target: Mapped[str] = mapped_column(String(12), nullable=False, default="forum")
    target_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    field: Mapped[str] = mapped_column(String(60), nullable=False)
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    author: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    forum: Mapped[Forum] = relationship(back_populates="amendments")
