"""Column helpers shared by every domain's models."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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


def field_values(record, names) -> dict:
    """Return a record's current values of `names`, as domain functions take them."""
    return {name: getattr(record, name) for name in names}


def as_uuid(value) -> uuid.UUID | None:
    """Return `value` as a UUID, or None if it is not one (a typo in a URL, "")."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def get_record(model, record_id, message: str):
    """Return the record of `model` with this id, or raise NotFound with `message`."""
    from .errors import NotFound
    from .extensions import db

    key = as_uuid(record_id)
    record = db.session.get(model, key) if key is not None else None
    if record is None:
        raise NotFound(message)
    return record


@dataclass
class Page:
    """One page of a list (the field app's opinions and forums)."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
