"""The central's sync tables (SQLAlchemy Core) and the small helpers every part shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    any_,
    literal,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite

from .records import CONTROL

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)
# None is SQL NULL, not JSON null: COALESCE and IS NULL below rely on it.
Json = JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
# SQLite only autoincrements an INTEGER PRIMARY KEY.
Serial = BigInteger().with_variant(Integer(), "sqlite")

meta = Table("sync_meta", metadata,
             Column("key", String(40), primary_key=True),
             Column("value", String(200), nullable=False))

device = Table(
    "sync_device", metadata,
    Column("id", String(32), primary_key=True),
    Column("label", String(120), nullable=False),
    Column("commune_code", Integer, nullable=False),
    # Folded village names the device may write; None: the whole commune.
    Column("villages", Json),
    Column("secret", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
    Column("last_seen_at", DateTime),
    Column("last_push_at", DateTime),
    # Highest outbox sequence of this device the central holds.
    Column("held_seq", BigInteger, nullable=False, server_default="0"),
    Column("replica", String(36)),
    # Two databases pushing under one credential: a laptop copied from another.
    Column("cloned", Boolean, nullable=False, server_default=text("false")),
    Column("pull_cursor", BigInteger, nullable=False, server_default="0"),
)

enrolment = Table(
    "sync_enrolment", metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("commune_code", Integer, nullable=False),
    Column("villages", Json),
    Column("label", String(120), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_at", DateTime),
    Column("device_id", String(32)),
)

nonce = Table(
    "sync_nonce", metadata,
    Column("device_id", String(32), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("seen_at", DateTime, nullable=False, index=True),
)

record = Table(
    "sync_record", metadata,
    Column("id", Uuid, primary_key=True),
    Column("collection", String(20), nullable=False),
    Column("device_id", String(32), nullable=False, index=True),
    Column("commune_code", Integer, nullable=False, index=True),
    Column("village_id", Uuid),
    Column("hlc", String(100), nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("data", Json),
    Column("received_at", DateTime, nullable=False),
    Column("clock_suspect", Boolean, nullable=False),
    Column("central", Json),
    Column("central_hlc", String(100)),
    # {field: hlc} of field-owned values the office corrected; None: none.
    Column("overrides", Json),
)

change = Table(
    "sync_change", metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("collection", String(20), nullable=False),
    Column("record_id", Uuid, nullable=False),
    Column("commune_code", Integer, nullable=False),
    Column("village_id", Uuid),
    Column("changed_at", DateTime, nullable=False),
    Column("changed_by", String(120), nullable=False),
    Column("hlc", String(100), nullable=False),
    Column("values", Json, nullable=False),
    Index("ix_sync_change_commune_seq", "commune_code", "seq"),
)

conflict = Table(
    "sync_conflict", metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("collection", String(20), nullable=False),
    Column("record_id", Uuid, nullable=False, index=True),
    Column("field", String(60), nullable=False),
    Column("winner", Json),
    Column("loser", Json),
    Column("loser_side", String(10), nullable=False),
    Column("winner_hlc", String(100), nullable=False),
    Column("loser_hlc", String(100), nullable=False),
    Column("at", DateTime, nullable=False),
)

blob = Table(
    "sync_blob", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("received_at", DateTime, nullable=False),
)

push_log = Table(
    "sync_push", metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("device_id", String(32), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("via", String(10), nullable=False),
    Column("batch_id", String(36)),
    Column("records", Integer, nullable=False),
    Column("stored", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("bytes", Integer, nullable=False),
)

def _now() -> datetime:
    from datetime import UTC

    return datetime.now(UTC).replace(tzinfo=None)


def _insert(conn: Connection, table: Table):
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def among(conn: Connection, column, values):
    """Return `column IN values`; one array parameter on PostgreSQL, not thousands."""
    values = list(values)
    if conn.dialect.name == "postgresql":
        return column == any_(literal(values, postgresql.ARRAY(column.type)))
    return column.in_(values)

def _label(value: Any, size: int) -> str | None:
    """Return an envelope's free-text label as it can be stored: short, no control chars."""
    return CONTROL.sub("", str(value or ""))[:size] or None


def _lock_changes(conn: Connection) -> None:
    """Serialise central changes so their sequence numbers commit in order.

    Two PostgreSQL transactions may take seq 7 and 8 and commit 8 first; a
    pull in between would move its cursor past 7 for ever. Holding this lock
    from before the sequence is drawn until commit makes commit order equal
    sequence order. SQLite writers are serialised already.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7402)"))
