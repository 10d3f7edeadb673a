"""A case: the office's unit of work. One or more opinions (the same petition raised in
several villages) share it; the case carries the workflow (unit, deadline, status,
answer, late explanation and apology), each member opinion keeps what its village said.

The case's workflow values are mirrored on its member opinions' office columns
(`OfficeOpinion.status`, `unit_id`, `due_on`, `answer_*`), so the inbox, the reports
and the laptops (through the change feed) read them per opinion.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from sync.tables import Json, Serial

from ...extensions import db
from ..inbox.models import AnswerColumns


class OfficeCase(AnswerColumns, db.Model):
    """A case of one commune; its members are the opinions whose `case_id` is its id."""

    __tablename__ = "office_case"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    commune_code: Mapped[int] = mapped_column(Integer, nullable=False)
    # A short title for lists; by default the first member's content, shortened.
    title: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    # The legal kind that sets the deadline (sync.records.OPINION_KINDS).
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    # sync.records.WORKFLOW_STATUSES: received → forwarded → in_progress → answered → closed
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="received")
    unit_id: Mapped[int | None] = mapped_column(Integer)
    # The earliest member's received_on: deadlines count from it.
    received_on: Mapped[date | None] = mapped_column(Date)
    assigned_on: Mapped[date | None] = mapped_column(Date)
    # khiếu nại: the day by which it must be accepted (thụ lý).
    accept_due_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    complex: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    remote: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # tố cáo: [{"days": 30, "reason": "…", "by": "username", "at": "ISO time"}], at most two.
    extensions: Mapped[list | None] = mapped_column(Json)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Answered after due_on: the head of the unit's explanation and the apology to the
    # citizen (seed 003) must be recorded before the case may be closed.
    late_explanation: Mapped[str | None] = mapped_column(Text)
    late_explained_by: Mapped[str | None] = mapped_column(String(120))
    apology_on: Mapped[date | None] = mapped_column(Date)
    apology_how: Mapped[str | None] = mapped_column(String(200))
    apology_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    created_by: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    # The case's own id in the audit log (whose record ids are UUIDs): its case-level
    # history (late explanation, extensions) is kept under it (migration o005).
    record_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, unique=True)

    __table_args__ = (
        Index("ix_office_case_commune_status_due", "commune_code", "status", "due_on"),
        Index("ix_office_case_unit_due", "unit_id", "due_on"),
    )

    @property
    def answered_late(self) -> bool:
        """Tell whether the answer came after the due date."""
        return (self.due_on is not None and self.answer_date is not None
                and self.answer_date > self.due_on)


class DeadlineRule(db.Model):
    """A commune's deadline for one legal kind (see deadlines.Rule); none: the defaults."""

    __tablename__ = "office_deadline_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_code: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    days: Mapped[int] = mapped_column(Integer, nullable=False)
    # Working days skip weekends and public holidays; else calendar days.
    working: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    accept_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    complex_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    remote_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    remote_complex_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    extension_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_extensions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    updated_by: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (UniqueConstraint("commune_code", "kind",
                                       name="uq_office_deadline_rule_commune_kind"),)
