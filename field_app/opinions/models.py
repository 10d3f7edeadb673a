"""Opinions and the configurable list of categories (lĩnh vực)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

# The wire's vocabulary: both ends validate against the same tuples.
from sync.records import (  # noqa: F401
    CHANNELS,
    GENDERS,
    LEVELS,
    OPINION_KINDS,
    SOURCE_ORGS,
    WORKFLOW_STATUSES,
)

from ..areas.models import Village
from ..extensions import db
from ..forums.models import Forum
from ..models_base import RecordMixin

# Seed list of categories (DESIGN.md section 4); offices may add more.
SEED_CATEGORIES = (
    ("land", "Đất đai"),
    ("construction", "Giao thông – xây dựng – thủy lợi"),
    ("electricity", "Điện"),
    ("water", "Nước sinh hoạt"),
    ("social_policy", "Chế độ chính sách – an sinh xã hội"),
    ("health", "Y tế"),
    ("education", "Giáo dục"),
    ("culture", "Văn hóa – xã hội"),
    ("agriculture", "Nông – lâm nghiệp"),
    ("environment", "Tài nguyên – môi trường"),
    ("security", "An ninh trật tự"),
    ("procedures", "Thủ tục hành chính"),
    ("other", "Khác"),
)


class Category(db.Model):
    """A category (lĩnh vực) an opinion is filed under."""

    __tablename__ = "category"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    @property
    def label(self) -> str:
        """Return the name to show: a seeded one in the user's language, else as typed."""
        from ..labels import category_label

        return category_label(self.code, self.name)


class Opinion(RecordMixin, db.Model):
    """One opinion, petition or complaint raised by a citizen."""

    __tablename__ = "opinion"
    # Lists show the newest first, the id breaking ties; 20,000 opinions on a laptop must
    # not sort on each page, nor read every row before page 200 (walked backwards). The
    # folded text rides along: a search counts its matches in the index, not the rows.
    # (The central never fills this table, so PostgreSQL's index entry limit is moot.)
    __table_args__ = (Index("ix_opinion_created_at_search", "created_at", "id", "search_text"),
                      Index("ix_opinion_central_changed_at", "central_changed_at"))

    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="opinion")
    channel: Mapped[str] = mapped_column(String(20), nullable=False, default="forum")
    source_org: Mapped[str | None] = mapped_column(String(20))
    forum_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("forum.id"), index=True)
    village_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("village.id"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    anonymous: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    raiser_name: Mapped[str | None] = mapped_column(String(120))
    raiser_gender: Mapped[str | None] = mapped_column(String(10))
    raiser_phone: Mapped[str | None] = mapped_column(String(20))
    on_behalf_households: Mapped[int | None] = mapped_column(Integer)
    category_code: Mapped[str] = mapped_column(ForeignKey("category.code"), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    level: Mapped[str] = mapped_column(String(20), nullable=False, default="commune")
    answered_on_spot: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    spot_answer_by: Mapped[str | None] = mapped_column(String(120))
    spot_answer: Mapped[str | None] = mapped_column(Text)
    needs_follow_up: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Outside forums: the day received (a forum's opinions are dated by their forum).
    received_on: Mapped[date | None] = mapped_column(Date)
    # Content, name and answer folded for diacritic-insensitive search.
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")

    # Whether the citizen is satisfied with the office's answer (sync.records.SATISFACTIONS),
    # recorded when it is read out (field_app/answers) or by the office (a correction).
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    satisfaction_at: Mapped[datetime | None] = mapped_column(DateTime)
    satisfaction_forum_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # The office account that recorded it; None: recorded here, by the village.
    satisfaction_by: Mapped[str | None] = mapped_column(String(120))

    # Centrally owned (workflow and answer): written only by a pull from the central.
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="received")
    responsible_unit: Mapped[str | None] = mapped_column(String(200))
    due_date: Mapped[date | None] = mapped_column(Date)
    answer_text: Mapped[str | None] = mapped_column(Text)
    answer_by: Mapped[str | None] = mapped_column(String(120))
    answer_date: Mapped[date | None] = mapped_column(Date)
    answer_doc_number: Mapped[str | None] = mapped_column(String(60))
    merged_into: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Answered after due_date: the explanation and the apology, read out with the answer.
    late_explanation: Mapped[str | None] = mapped_column(Text)
    late_explained_by: Mapped[str | None] = mapped_column(String(120))
    apology_on: Mapped[date | None] = mapped_column(Date)
    apology_how: Mapped[str | None] = mapped_column(String(200))
    apology_by: Mapped[str | None] = mapped_column(String(120))
    central_hlc: Mapped[str | None] = mapped_column(String(100))
    # When a pull last changed the status or the answer (laptop time): "new answers".
    central_changed_at: Mapped[datetime | None] = mapped_column(DateTime)

    forum: Mapped[Forum | None] = relationship()
    village: Mapped[Village] = relationship()
    category: Mapped[Category] = relationship()

    @property
    def identity_protected(self) -> bool:
        """Tell whether who raised it must stay hidden: a denunciation (tố cáo).

        Luật Tố cáo 2018, Art. 8 and 47: the denouncer's name, address and
        handwriting are never disclosed.
        """
        return self.kind == "denunciation"
