"""Typed office tables, kept up to date inside the ingest's transaction (see projection.py).

The wire's tables (sync_record) stay the log of what laptops sent; the office
reads and filters these instead. Columns marked "office" are owned by the
office: a laptop's new version never overwrites them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from sync.tables import Json, Serial

from ...extensions import db


class AnswerColumns:
    """The office's answer: a case's own, mirrored on each member opinion (and an opinion
    answered on its own page)."""

    answer_text: Mapped[str | None] = mapped_column(Text)
    answer_by: Mapped[str | None] = mapped_column(String(120))
    answer_date: Mapped[date | None] = mapped_column(Date)
    answer_doc_number: Mapped[str | None] = mapped_column(String(60))


class OfficeForum(db.Model):
    """A forum (meeting) as the office sees it."""

    __tablename__ = "office_forum"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    commune_code: Mapped[int] = mapped_column(Integer, nullable=False)
    village_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    device_id: Mapped[str] = mapped_column(String(32), nullable=False)
    push_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    title: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    venue: Mapped[str | None] = mapped_column(String(200))
    chair: Mapped[str | None] = mapped_column(String(120))
    secretary: Mapped[str | None] = mapped_column(String(120))
    attendance_total: Mapped[int | None] = mapped_column(Integer)
    attendance_women: Mapped[int | None] = mapped_column(Integer)
    attendance_ethnic_minority: Mapped[int | None] = mapped_column(Integer)
    households_represented: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    finalised_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    first_received_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)

    __table_args__ = (Index("ix_office_forum_commune_started", "commune_code", "started_at"),)


# What a report's handling reads of an opinion besides its dates (its scope and state).
HANDLING_COLUMNS = ["commune_code", "unit_id", "received_on", "deleted", "answered_on_spot",
                    "needs_follow_up", "status"]


class OfficeOpinion(AnswerColumns, db.Model):
    """An opinion as the office works it: what the laptop sent, typed, plus the workflow."""

    __tablename__ = "office_opinion"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # the laptop's id
    commune_code: Mapped[int] = mapped_column(Integer, nullable=False)
    village_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    forum_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    device_id: Mapped[str] = mapped_column(String(32), nullable=False)
    # The push (sync_push.id) that brought the version held; None for a USB bundle's.
    push_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    source_org: Mapped[str | None] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(20), nullable=False)
    category_code: Mapped[str] = mapped_column(String(40), nullable=False)
    category_name: Mapped[str | None] = mapped_column(String(120))
    content: Mapped[str] = mapped_column(Text, nullable=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    raiser_name: Mapped[str | None] = mapped_column(String(120))
    raiser_gender: Mapped[str | None] = mapped_column(String(10))
    raiser_phone: Mapped[str | None] = mapped_column(String(20))
    on_behalf_households: Mapped[int | None] = mapped_column(Integer)
    answered_on_spot: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    spot_answer_by: Mapped[str | None] = mapped_column(String(120))
    spot_answer: Mapped[str | None] = mapped_column(Text)
    needs_follow_up: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Its number in its forum's minutes ("ý kiến số 3"), as the laptop numbers it; None:
    # said outside a forum, or sent by a laptop of an earlier version (0 before a forum).
    position: Mapped[int | None] = mapped_column(Integer)
    # The day it was said at its forum (Vietnam time), if it came from one.
    spoken_on: Mapped[date | None] = mapped_column(Date)
    # The day it reached the village, the Front or the commune: the laptop's `received_on`,
    # else the forum's day, else the day it was recorded. Legal deadlines count from it.
    received_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_received_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Content, raiser (unless protected), village and category without diacritics or case.
    folded: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The speaker's name folded, searched only by roles that may see names; None for a
    # denouncer (whose identity is never searchable) and for the anonymous.
    raiser_folded: Mapped[str | None] = mapped_column(String(120))
    # What search looks in (projection.words_of): the folded text's words, then the
    # name's words each after "~" (a role that may not see names never asks for those).
    # PostgreSQL holds it as a tsvector under a GIN index (migration o012), lexemes as
    # written: nothing to parse on ingest, where trigrams of the whole text cost most of
    # it; SQLite as text, scanned.
    search_words: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))
    # office: the workflow
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="received")
    unit_id: Mapped[int | None] = mapped_column(Integer)
    due_on: Mapped[date | None] = mapped_column(Date)
    # The citizen's satisfaction with the answer (sync.records.SATISFACTIONS): recorded on
    # the village laptop where it was read out (at `satisfaction_forum_id`), or at the
    # office by `satisfaction_by`; the newer recording wins.
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    satisfaction_at: Mapped[datetime | None] = mapped_column(DateTime)
    satisfaction_forum_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    satisfaction_by: Mapped[str | None] = mapped_column(String(120))
    # A tố cáo without the denouncer's name: worked as a petition (`kind`), the laptop's
    # record still says tố cáo (identity.rules.office_kind).
    # No Python default: an upgrade projecting at an older revision leaves it out.
    anonymous_denunciation: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                         server_default=false())
    # office: the case it was merged into (cases.models.OfficeCase); None until the office
    # opens one for it.
    case_id: Mapped[int | None] = mapped_column(BigInteger)

    # The inbox's indexes end with its order (first_received_at, id): a batch's opinions
    # share one arrival time, and a page of 50 must not sort them all; then `deleted`,
    # which every inbox query filters on, so a deep page walks the index alone
    # (migration o002).
    __table_args__ = (
        Index("ix_office_opinion_commune_received", "commune_code", "first_received_at", "id",
              "deleted"),
        Index("ix_office_opinion_commune_status", "commune_code", "status",
              "first_received_at", "id", "deleted"),
        Index("ix_office_opinion_village", "village_id", "first_received_at", "id", "deleted"),
        # A handler's list (unit_id = X) and a case's opinions (case_id = X, IN …): an
        # opinion arrives with neither, and a push's rows stay out of both (o016).
        Index("ix_office_opinion_unit", "unit_id", "due_on",
              postgresql_where=text("unit_id IS NOT NULL"),
              sqlite_where=text("unit_id IS NOT NULL")),
        Index("ix_office_opinion_case_id", "case_id",
              postgresql_where=text("case_id IS NOT NULL"),
              sqlite_where=text("case_id IS NOT NULL")),
        Index("ix_office_opinion_received", "first_received_at", "id", "deleted"),
        # The reports read a commune's period by received_on (migration o009), from the
        # index alone on PostgreSQL: it carries every column a panel counts (o010).
        Index("ix_office_opinion_commune_day", "commune_code", "received_on",
              postgresql_include=["deleted", "kind", "category_code", "village_id", "level",
                                  "channel", "source_org", "status", "answered_on_spot",
                                  "needs_follow_up", "unit_id", "due_on", "answer_date",
                                  "satisfaction", "case_id", "id"]),
        # A province's late list, oldest due first: walked in order, it stops at the
        # 500th late or overdue opinion instead of sorting a million (migration o013).
        Index("ix_office_opinion_due", "due_on", "id"),
        # The late opinions outside any case (the report counts them as unexplained
        # cases): a few of a million, read from this index alone (migration o013).
        Index("ix_office_opinion_late_alone", "commune_code", "received_on",
              postgresql_include=["unit_id", "answer_date", "deleted"],
              postgresql_where=text("case_id IS NULL AND answer_date > due_on"),
              sqlite_where=text("case_id IS NULL AND answer_date > due_on")),
        # A report's handling corrects the states summed ahead by the opinions answered
        # after its cut-off, or due after it and not answered (figures.not_final_by),
        # read from these alone. Both fill at the office, not at ingest (migration o015).
        Index("ix_office_opinion_answered", "answer_date",
              postgresql_include=HANDLING_COLUMNS + ["due_on"],
              postgresql_where=text("answer_date IS NOT NULL"),
              sqlite_where=text("answer_date IS NOT NULL")),
        Index("ix_office_opinion_pending", "due_on",
              postgresql_include=HANDLING_COLUMNS + ["answer_date"],
              postgresql_where=text("answer_date IS NULL AND due_on IS NOT NULL"),
              sqlite_where=text("answer_date IS NULL AND due_on IS NOT NULL")),
    )

    @property
    def identity_protected(self) -> bool:
        """A denouncer's identity (tố cáo) is never shown (Luật Tố cáo 2018, art. 47); it is
        kept sealed apart (identity.models.ProtectedIdentity)."""
        return self.kind == "denunciation" or bool(self.anonymous_denunciation)


# A word, for search: a run of letters and digits of the folded text (punctuation, "_"
# and whatever folding left outside a-z split words); the query's words are cut the same.
WORD = "[a-z0-9]+"
# Marks a word of the speaker's name in `search_words`: no typed word begins with it.
NAME_MARK = "~"


class AuditEntry(db.Model):
    """One change of one record: by the office (who, why) or by a laptop (which device, push)."""

    __tablename__ = "office_audit"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    collection: Mapped[str] = mapped_column(String(20), nullable=False)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    commune_code: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    # "laptop" or "office"
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    # "received", "changed", "deleted" (laptop); "updated", "merged"… (office)
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    account_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str | None] = mapped_column(String(120))
    device_id: Mapped[str | None] = mapped_column(String(32))
    push_id: Mapped[int | None] = mapped_column(BigInteger)
    # {field: [old, new]}
    changes: Mapped[dict | None] = mapped_column(Json)
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_office_audit_record", "record_id", "id"),)


# Served inline as images; anything else (HTML, SVG, PDF…) only as a download.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


class OfficeAttachment(db.Model):
    """A photo or file a laptop attached to an opinion or a forum; the bytes are in the
    central's blob store under `sha256`."""

    __tablename__ = "office_attachment"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    opinion_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    forum_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    commune_code: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    mime_type: Mapped[str] = mapped_column(String(60), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    @property
    def is_photo(self) -> bool:
        """Tell whether the office shows it inline: a photo type no browser runs as code."""
        return self.mime_type.lower() in PHOTO_TYPES
