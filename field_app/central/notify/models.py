"""The outbox of messages to citizens (one row per message, with its sending history)."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from sync.tables import Serial

from ...extensions import db

# "logged": a sender that only writes it down (senders.log_file) took it; a person still
# has to send it by hand, then marks it sent (`sent_by`).
# "cancelled": never to be sent (its opinion was deleted); `last_error` says why.
STATUSES = ("queued", "logged", "sent", "failed", "cancelled")
STATUS_LABELS = {"queued": _l("Đang chờ gửi"), "logged": _l("Đã ghi vào sổ, chờ gửi tay"),
                 "sent": _l("Đã gửi"), "failed": _l("Gửi không được"),
                 "cancelled": _l("Đã huỷ, không gửi")}


class Notification(db.Model):
    """A short text to a citizen who left a phone number, telling them their answer."""

    __tablename__ = "office_notification"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    opinion_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    commune_code: Mapped[int] = mapped_column(Integer, nullable=False)
    phone: Mapped[str] = mapped_column(String(20), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    # queued → sent (a gateway) or logged (the log file, then sent by hand);
    # a failed try → failed (tried again after `next_attempt_at`); any not sent yet →
    # cancelled when its opinion is deleted.
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Who marked it sent by hand (an office account's username); None: a gateway sent it.
    sent_by: Mapped[str | None] = mapped_column(String(80))

    __table_args__ = (
        Index("ix_office_notification_status_next", "status", "next_attempt_at"),
        Index("ix_office_notification_commune_created", "commune_code", "created_at"),
    )
