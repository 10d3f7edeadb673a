"""When an office answer was read out to its village (laptop only, never synced)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class AnswerReading(db.Model):
    """An opinion's answer read out at a forum: it leaves the list of answers to read out.

    Kept apart from the opinion: marking it changes nothing the central holds, so
    it never queues a push. An answer changed by the office after the reading is
    read out again (the reading is older than the answer).
    """

    __tablename__ = "answer_reading"

    opinion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("opinion.id", ondelete="CASCADE"), primary_key=True)
    # The forum it was read out at; None: read out elsewhere (a loudspeaker, a visit).
    forum_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("forum.id",
                                                                  ondelete="SET NULL"))
    read_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
