"""Column helpers shared by every domain's models."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, Uuid
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """Return the current UTC time, naive, as stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


class RecordMixin:
    """A record with a client-made UUID and creation/update times.

    Ids are UUIDs made by whoever creates the record (the browser, the API
    client, the laptop) so that a replayed create is recognised, not doubled.
    """

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )
