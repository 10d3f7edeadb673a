"""The sealed identities of denouncers: one row per tố cáo, encrypted with a key kept
outside the database (keys.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Integer, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db


class ProtectedIdentity(db.Model):
    """A denouncer's name, phone, gender and address, sealed (Fernet: AES and HMAC)."""

    __tablename__ = "office_protected_identity"

    opinion_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # the laptop's id
    commune_code: Mapped[int] = mapped_column(Integer, nullable=False)
    sealed: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
