"""The laptop's side of sync: the outbox (change log) and the sync checkpoint."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import utcnow


class Outbox(db.Model):
    """One local change not yet acknowledged by the central, in local sequence order.

    Rows are deleted once the central acknowledges them; a row the central
    refused stays with its reason (state "rejected") and is sent again.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_record_id", "record_id"),
        # The top bar counts waiting records on every page: a covering index keeps it fast.
        Index("ix_outbox_state_record_id", "state", "record_id"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collection: Mapped[str] = mapped_column(String(20), nullable=False)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    op: Mapped[str] = mapped_column(String(6), nullable=False, default="put")
    hlc: Mapped[str] = mapped_column(String(100), nullable=False)
    # The field-owned fields this change touched, comma-separated; None: the whole
    # record (a new record, a delete, or a change logged before fields were kept).
    fields: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    reject_code: Mapped[str | None] = mapped_column(String(40))
    reject_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class SyncState(db.Model):
    """The single row saying who this laptop is to the central and how far sync got."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    # Made once per database: a laptop copied from another is told apart by it.
    replica: Mapped[str] = mapped_column(String(36), nullable=False)
    server_url: Mapped[str | None] = mapped_column(String(300))
    device_id: Mapped[str | None] = mapped_column(String(32))
    secret: Mapped[str | None] = mapped_column(String(64))
    commune_code: Mapped[int | None] = mapped_column(Integer)
    villages: Mapped[Any] = mapped_column(JSON, nullable=True)
    epoch: Mapped[str | None] = mapped_column(String(64))
    held_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    pull_cursor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    enrolled_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Its machine code (sync.errors): the top bar tells a revoked laptop from a link down.
    last_error_code: Mapped[str | None] = mapped_column(String(40))
    last_result: Mapped[Any] = mapped_column(JSON, nullable=True)
    # When the last pull that changed an opinion's status or answer began.
    answers_pulled_at: Mapped[datetime | None] = mapped_column(DateTime)
    hlc_last: Mapped[str | None] = mapped_column(String(100))
    # Uncompressed bytes a push may carry; grows on a good link, shrinks on a bad one.
    batch_bytes: Mapped[int] = mapped_column(Integer, nullable=False, default=1024 * 1024)
