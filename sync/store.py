"""The central's sync storage: devices, records as received, central changes.

Plain SQLAlchemy Core on a connection the caller opens: the Flask blueprint,
the bundle import and the benchmarks all go through `ingest_batch`, so a
record arriving by network and by USB takes the same path and is stored once.

Exactly-once is enforced by the database, not by read-then-write checks:
every record has its client-made UUID as primary key and is written with
``INSERT … ON CONFLICT (id) DO UPDATE … WHERE excluded.hlc > stored.hlc``,
so a replay, a lost response re-sent or two racing pushes change nothing the
second time.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
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
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, StatementError

from .clock import MAX_DRIFT_MS, ClockError, HybridClock, Stamp
from .errors import (
    BadEnrolmentCode,
    BadEnvelope,
    BadOffset,
    BlobMismatch,
    DeviceRevoked,
    OutOfScope,
    Replayed,
    SyncError,
    UnknownDevice,
    WrongCommune,
)
from .records import (
    COLLECTIONS,
    CONTROL,
    OPS,
    PARENTS,
    SCHEMAS,
    clean_record,
    normalise,
    readable,
)
from .text import fold

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

MAX_RECORDS_PER_BATCH = 5000
# Sequence numbers and cursors are BIGINT columns: a larger one is no sequence number.
MAX_SEQ = 2**63 - 1
# Collections in parent-first order (sync.records.COLLECTIONS).
RANK = {name: rank for rank, name in enumerate(COLLECTIONS)}
# A record's list of changed fields names at most this many.
MAX_FIELDS = 200
ENROLMENT_TTL = timedelta(days=7)
# Unambiguous on a phone screen or read aloud: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _now() -> datetime:
    from datetime import UTC

    return datetime.now(UTC).replace(tzinfo=None)


def _insert(conn: Connection, table: Table):
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _among(conn: Connection, column, values):
    """Return `column IN values`; one array parameter on PostgreSQL, not thousands."""
    values = list(values)
    if conn.dialect.name == "postgresql":
        return column == any_(literal(values, postgresql.ARRAY(column.type)))
    return column.in_(values)


def _lock_changes(conn: Connection) -> None:
    """Serialise central changes so their sequence numbers commit in order.

    Two PostgreSQL transactions may take seq 7 and 8 and commit 8 first; a
    pull in between would move its cursor past 7 for ever. Holding this lock
    from before the sequence is drawn until commit makes commit order equal
    sequence order. SQLite writers are serialised already.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7402)"))


# --- the central's identity -------------------------------------------------------------

def epoch(conn: Connection) -> str:
    """Return this central database's epoch, made once when it is first used."""
    conn.execute(_insert(conn, meta).values(key="epoch", value=uuid.uuid4().hex)
                 .on_conflict_do_nothing(index_elements=["key"]))
    return conn.execute(select(meta.c.value).where(meta.c.key == "epoch")).scalar_one()


def central_clock(conn: Connection) -> HybridClock:
    """Return an HLC for central changes, past every central stamp already stored."""
    last = conn.execute(select(func.max(change.c.hlc))).scalar()
    node = f"central-{os.getpid()}"
    clock = HybridClock(node)
    if last:
        clock.receive(Stamp.decode(last))
    return clock


# --- enrolment and devices ----------------------------------------------------------

def _hash_code(code: str) -> str:
    bare = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(bare.encode("ascii", "ignore")).hexdigest()


def create_enrolment(conn: Connection, commune_code: int, label: str,
                     villages: Iterable[str] | None = None) -> str:
    """Create a one-time enrolment code for a laptop of this commune; return it."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    code = "-".join(raw[i:i + 4] for i in range(0, 12, 4))
    names = sorted({fold(CONTROL.sub("", name)) for name in villages or ()
                    if fold(CONTROL.sub("", name))}) or None
    now = _now()
    conn.execute(enrolment.insert().values(
        code_hash=_hash_code(code), commune_code=commune_code, villages=names,
        label=_label(label.strip(), 120) or "Máy", created_at=now, expires_at=now + ENROLMENT_TTL))
    return code


def enrolment_expires_at(conn: Connection, code: str) -> datetime | None:
    """Return when an enrolment code stops being valid (None: no such code)."""
    return conn.execute(select(enrolment.c.expires_at).where(
        enrolment.c.code_hash == _hash_code(code))).scalar()


def enrol(conn: Connection, code: str, label: str | None, replica: str | None,
          commune_code: int | None = None) -> dict[str, Any]:
    """Trade a one-time code for a device id and secret; refuse a used or expired code.

    A laptop already set up for a commune names it: a code for another commune
    is refused without being spent.
    """
    now = _now()
    replica = _label(replica, 36)
    device_id = secrets.token_hex(8)
    usable = (enrolment.c.code_hash == _hash_code(code or ""), enrolment.c.used_at.is_(None),
              enrolment.c.expires_at > now)
    # One UPDATE both checks and spends the code: two laptops racing get one device.
    spent = conn.execute(
        update(enrolment)
        .where(*usable, *([enrolment.c.commune_code == commune_code] if commune_code else []))
        .values(used_at=now, device_id=device_id)
        .returning(enrolment.c.commune_code, enrolment.c.villages, enrolment.c.label)
    ).first()
    if spent is None:
        other = conn.execute(select(enrolment.c.commune_code).where(*usable)).scalar()
        if other is not None:
            raise WrongCommune(details={"laptop": commune_code, "code": other})
        raise BadEnrolmentCode()
    secret = secrets.token_hex(32)
    conn.execute(device.insert().values(
        id=device_id, label=_label((label or "").strip(), 120) or spent.label,
        commune_code=spent.commune_code, villages=spent.villages, secret=secret,
        created_at=now, replica=replica))
    if replica:
        _take_over(conn, device_id, replica, spent.commune_code, now)
    return {"device_id": device_id, "secret": secret, "commune_code": spent.commune_code,
            "villages": spent.villages, "epoch": epoch(conn)}


def _take_over(conn: Connection, device_id: str, replica: str, commune_code: int,
               now: datetime) -> None:
    """Give a re-enrolled laptop its own earlier records; retire its old credentials.

    The same database (replica) enrolling again — after a revocation, or
    against a moved server — keeps editing what it recorded; without this its
    edits would be refused as another device's.
    """
    earlier = [row.id for row in conn.execute(select(device.c.id).where(
        device.c.replica == replica, device.c.commune_code == commune_code,
        device.c.id != device_id))]
    if not earlier:
        return
    conn.execute(update(record).where(record.c.device_id.in_(earlier))
                 .values(device_id=device_id))
    conn.execute(update(device).where(device.c.id.in_(earlier), device.c.revoked_at.is_(None))
                 .values(revoked_at=now))


def get_device(conn: Connection, device_id: str | None):
    """Return the device row, refusing an unknown or revoked device."""
    row = conn.execute(select(device).where(device.c.id == (device_id or ""))).first()
    if row is None:
        raise UnknownDevice()
    if row.revoked_at is not None:
        raise DeviceRevoked()
    return row


def revoke_device(conn: Connection, device_id: str) -> bool:
    """Revoke a device's right to sync; return False if no device has this id."""
    done = conn.execute(update(device).where(device.c.id == device_id)
                        .values(revoked_at=func.coalesce(device.c.revoked_at, _now())))
    return done.rowcount == 1


def remember_nonce(conn: Connection, device_id: str, value: str) -> None:
    """Record a request's nonce; refuse one already seen (a replayed request)."""
    if not value or len(value) > 64:
        raise Replayed(details={"nonce": "missing"})
    try:
        with conn.begin_nested():
            conn.execute(nonce.insert().values(device_id=device_id, nonce=value,
                                               seen_at=_now()))
    except IntegrityError:
        raise Replayed() from None
    # Nonces older than twice the signature window can never be replayed in time.
    if secrets.randbelow(200) == 0:
        conn.execute(nonce.delete().where(nonce.c.seen_at < _now() - timedelta(minutes=15)))


# --- ingest -------------------------------------------------------------------------------

@dataclass
class Checked:
    """One record of a batch after validation."""

    index: int
    collection: str
    id: uuid.UUID
    seq: int
    hlc: str
    deleted: bool
    data: dict[str, Any] | None
    suspect: bool = False
    commune_code: int | None = None
    village_id: uuid.UUID | None = None
    # None: keep the stored overrides; {}: none left after resolving.
    overrides: dict[str, str] | None = None
    # The field-owned fields the laptop changed since its last acknowledged version;
    # None: all of them (a new record, or a laptop that does not say).
    fields: frozenset[str] | None = None


@dataclass
class BatchResult:
    results: list[str]
    rejected: list[dict[str, Any]] = field(default_factory=list)
    missing_blobs: list[dict[str, Any]] = field(default_factory=list)
    held_seq: int = 0
    # What the central held for the device before this batch: lower than the laptop
    # remembers means the central was restored from a backup.
    held_before: int = 0

    def counts(self) -> dict[str, int]:
        return {"stored": self.results.count("S"), "unchanged": self.results.count("U"),
                "rejected": self.results.count("R")}

    def as_json(self) -> dict[str, Any]:
        # One letter a record (S stored, U unchanged, R rejected): answers stay tiny.
        return {"results": "".join(self.results), "rejections": self.rejected,
                "missing_blobs": self.missing_blobs, "held_seq": self.held_seq,
                "held_before": self.held_before,
                **self.counts()}


def _label(value: Any, size: int) -> str | None:
    """Return an envelope's free-text label as it can be stored: short, no control chars."""
    return CONTROL.sub("", str(value or ""))[:size] or None


def _reject(result: BatchResult, index: int, record_id: Any, code: str, message: str,
            details: dict | None = None) -> None:
    result.results[index] = "R"
    result.rejected.append({"i": index, "id": CONTROL.sub("?", str(record_id))[:60], "code": code,
                            "message": message, "details": details or {}})


def _check_shape(raw: Any, index: int, now_ms: int, result: BatchResult) -> Checked | None:
    if not isinstance(raw, dict):
        _reject(result, index, None, "bad_record", "Bản ghi phải là một đối tượng JSON.")
        return None
    collection, op = raw.get("c"), raw.get("op", "put")
    if not isinstance(collection, str) or not isinstance(op, str):
        collection = op = "?"
    try:
        record_id = uuid.UUID(str(raw.get("id")))
    except ValueError:
        _reject(result, index, raw.get("id"), "bad_record", "Mã bản ghi (id) không phải UUID.")
        return None
    if collection not in SCHEMAS or op not in OPS:
        _reject(result, index, record_id, "unknown_collection",
                f"Loại bản ghi không được hỗ trợ: {str(collection)[:30]}/{str(op)[:10]}.")
        return None
    seq = raw.get("seq")
    if type(seq) is not int or not 1 <= seq <= MAX_SEQ:
        _reject(result, index, record_id, "bad_record", "Số thứ tự (seq) không hợp lệ.")
        return None
    try:
        stamp = Stamp.decode(str(raw.get("hlc")))
    except ClockError:
        _reject(result, index, record_id, "bad_record", "Dấu thời gian (hlc) không hợp lệ.")
        return None
    changed = raw.get("fields")
    if changed is not None and not (isinstance(changed, list) and len(changed) <= MAX_FIELDS
                                    and all(type(name) is str and len(name) <= 60
                                            for name in changed)):
        _reject(result, index, record_id, "bad_record",
                "Danh sách trường đã sửa (fields) không hợp lệ.")
        return None
    data = raw.get("data")
    if op == "put":
        if not isinstance(data, dict):
            _reject(result, index, record_id, "bad_record", "Bản ghi thiếu dữ liệu (data).")
            return None
        # Normalised first: decomposed text near a length limit is not refused for it.
        data, errors = clean_record(collection, normalise(data))
        if errors:
            _reject(result, index, record_id, "invalid_record", readable(errors),
                    {"fields": errors})
            return None
    return Checked(index, collection, record_id, seq, stamp.encode(), op == "delete",
                   data if op == "put" else None,
                   suspect=stamp.wall_ms - now_ms > MAX_DRIFT_MS,
                   fields=None if changed is None else frozenset(changed))


def _allowed_villages(conn: Connection, dev, batch_villages: list[Checked]) -> set | None:
    """Return the village ids this device may write under, or None for the whole commune."""
    if not dev.villages:
        return None
    names = set(dev.villages)
    allowed = {item.id for item in batch_villages
               if item.data and fold(item.data.get("name")) in names}
    rows = conn.execute(select(record.c.id, record.c.data).where(
        record.c.collection == "village", record.c.commune_code == dev.commune_code))
    allowed.update(row.id for row in rows if row.data and fold(row.data.get("name")) in names)
    return allowed


def _parent_of(item: Checked) -> tuple[str, uuid.UUID] | None:
    """Return (field, id) of the record a record hangs from; None for a village."""
    if item.data is None:
        return None
    for name in PARENTS[item.collection]:
        value = item.data.get(name)
        if value:
            return name, uuid.UUID(str(value))
    return None


def _place(conn: Connection, dev, items: list[Checked], result: BatchResult) -> list[Checked]:
    """Give each record its commune and village through its parents; drop out-of-scope ones."""
    # Parents first, whatever the order of their changes on the laptop: a photo of an
    # opinion edited after it was taken must meet the opinion already placed.
    items = sorted(items, key=lambda item: RANK[item.collection])
    by_id = {item.id: item for item in items}
    parents = {item.id: _parent_of(item) for item in items
               if not item.deleted and item.collection != "village"}
    wanted = {found[1] for found in parents.values() if found}
    known: dict[uuid.UUID, Any] = {}
    if wanted:
        rows = conn.execute(select(record.c.id, record.c.commune_code, record.c.village_id)
                            .where(_among(conn, record.c.id, wanted)))
        known = {row.id: row for row in rows}
    allowed = _allowed_villages(conn, dev, [i for i in items if i.collection == "village"])
    placed = []
    for item in items:
        if item.deleted:
            item.commune_code = dev.commune_code
        elif item.collection == "village":
            assert item.data is not None
            item.commune_code, item.village_id = item.data.get("commune_code"), item.id
        elif (found := parents[item.id]) is not None:
            name, key = found
            parent = by_id.get(key)
            if parent is None or parent.commune_code is None:  # not in the batch, or refused
                parent = known.get(key)
            if parent is None:
                _reject(result, item.index, item.id, "unknown_parent",
                        f"Chưa có bản ghi cha ({name} = {key}) ở máy chủ; "
                        "sẽ gửi lại ở lần đồng bộ sau.")
                continue
            item.commune_code, item.village_id = parent.commune_code, parent.village_id
        if not item.deleted and (item.commune_code != dev.commune_code or (
                allowed is not None and item.village_id not in allowed)):
            _reject(result, item.index, item.id, OutOfScope.code, OutOfScope.message)
            continue
        placed.append(item)
    return placed


def ingest_batch(conn: Connection, dev, envelope: Any, blobs: BlobStore | None = None,
                 via: str = "network", size: int = 0) -> BatchResult:
    """Store a batch of records from device `dev` in the caller's transaction.

    Each record is validated on its own: a bad one is rejected with a reason
    and the rest are stored. Returns one result letter per record.
    """
    if not isinstance(envelope, dict) or not isinstance(envelope.get("records"), list):
        raise BadEnvelope(details={"records": "một danh sách là bắt buộc"})
    for name in ("replica", "batch"):
        if envelope.get(name) is not None and (not isinstance(envelope[name], str)
                                               or CONTROL.search(envelope[name])):
            raise BadEnvelope(details={name: "phải là chuỗi ký tự, không có ký tự điều khiển"})
    raws = envelope["records"]
    if len(raws) > MAX_RECORDS_PER_BATCH:
        raise BadEnvelope(f"Một lần gửi tối đa {MAX_RECORDS_PER_BATCH} bản ghi.",
                          {"limit": MAX_RECORDS_PER_BATCH, "got": len(raws)})
    now = _now()
    now_ms = int(now.timestamp() * 1000)
    result = BatchResult(results=["?"] * len(raws))
    checked = [item for index, raw in enumerate(raws)
               if (item := _check_shape(raw, index, now_ms, result)) is not None]
    # The same record twice in one batch: keep its newest version only.
    newest: dict[uuid.UUID, Checked] = {}
    for item in checked:
        if item.id not in newest or item.hlc > newest[item.id].hlc:
            newest[item.id] = item
    for item in checked:
        if newest[item.id] is not item:
            result.results[item.index] = "U"
    placed = _place(conn, dev, list(newest.values()), result)
    stored: set[uuid.UUID] = set()
    if placed:
        stored = _store(conn, dev, placed, now, result)
        placed = [item for item in placed if result.results[item.index] != "R"]
        _settle_unstored(conn, dev, [item for item in placed if item.id not in stored], result)
        for item in placed:
            if item.id in stored:
                result.results[item.index] = "S"
        if blobs is not None:
            result.missing_blobs = blobs.missing(conn, [
                item.data for item in placed if item.collection == "attachment"
                and item.data and result.results[item.index] != "R"])
    accepted = [item.seq for item in checked if result.results[item.index] != "R"]
    held = max([dev.held_seq, *accepted])
    replica = _label(envelope.get("replica"), 36)
    conn.execute(update(device).where(device.c.id == dev.id).values(
        held_seq=func.greatest(device.c.held_seq, held)
        if conn.dialect.name == "postgresql" else func.max(device.c.held_seq, held),
        last_push_at=now, last_seen_at=now,
        replica=func.coalesce(device.c.replica, replica),
        cloned=device.c.cloned | ((device.c.replica.is_not(None)) & (device.c.replica != replica))
        if replica else device.c.cloned))
    result.held_seq, result.held_before = held, dev.held_seq
    counts = result.counts()
    push_id = conn.execute(push_log.insert().values(
        device_id=dev.id, at=now, via=via, batch_id=_label(envelope.get("batch"), 36),
        records=len(raws), bytes=size, **counts).returning(push_log.c.id)).scalar_one()
    written = [item for item in placed if item.id in stored]
    if written:
        for listener in _listeners:
            listener(conn, Stored(dev, written, push_id, via, now))
    return result


@dataclass
class Stored:
    """What one batch wrote, handed to listeners inside the ingest's transaction."""

    device: Any
    items: list[Checked]
    push_id: int
    via: str
    at: datetime


_listeners: list[Any] = []


def on_stored(listener) -> None:
    """Call `listener(conn, Stored)` after every batch, in its transaction (the office's tables).

    Whatever the listener writes commits or rolls back with the records themselves:
    a push, a USB bundle and a replay all keep the office in step.
    """
    if listener not in _listeners:
        _listeners.append(listener)


def _store(conn: Connection, dev, items: list[Checked], now: datetime,
           result: BatchResult) -> set[uuid.UUID]:
    """Write `items`; a record the database refuses is rejected alone, the rest stored.

    The schemas refuse what is known to fail (NUL, surrogates, NaN); this is the
    net for what they miss. On PostgreSQL the batch is written whole in a
    savepoint; if the database refuses it, each half is tried again, down to the
    one bad record, so a single record never blocks a laptop's queue and never
    answers 500. SQLite stores any text or JSON the schemas pass, and a
    savepoint there would open its transaction early (pysqlite begins on the
    first write, not on SAVEPOINT): racing pushes would then fail to upgrade
    their read lock instead of waiting their turn.
    """
    if conn.dialect.name != "postgresql":
        return _write(conn, dev, items, now)
    try:
        with conn.begin_nested():
            return _write(conn, dev, items, now)
    except Exception as exc:  # noqa: BLE001 - sorted by _refused_value, re-raised otherwise
        if not _refused_value(exc):
            raise
        if len(items) == 1:
            _reject(result, items[0].index, items[0].id, "unstorable",
                    "Máy chủ không lưu được bản ghi này (có giá trị cơ sở dữ liệu không nhận); "
                    "hãy sửa nội dung bản ghi trên máy.", {"error": type(exc).__name__})
            return set()
    half = len(items) // 2
    return (_store(conn, dev, items[:half], now, result)
            | _store(conn, dev, items[half:], now, result))


def _write(conn: Connection, dev, items: list[Checked], now: datetime) -> set[uuid.UUID]:
    _resolve_corrections(conn, dev, items, now)
    return _upsert(conn, [{
        "id": item.id, "collection": item.collection, "device_id": dev.id,
        "commune_code": item.commune_code, "village_id": item.village_id,
        "hlc": item.hlc, "deleted": item.deleted, "data": item.data,
        "received_at": now, "clock_suspect": item.suspect,
        "overrides": item.overrides} for item in items])


def _refused_value(exc: Exception) -> bool:
    """Tell a value the database refuses (the record's fault) from a failing database."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return False
    if isinstance(exc, (StatementError, ValueError, OverflowError)):
        return True
    try:
        import psycopg
    except ImportError:  # a laptop-only install
        return False
    # COPY runs on the driver's own cursor: its errors are psycopg's, not SQLAlchemy's.
    return isinstance(exc, (psycopg.DataError, psycopg.IntegrityError))


# The batch is COPYed into this per-session temporary table on PostgreSQL, then merged
# with one INSERT … SELECT … ON CONFLICT: a multi-row VALUES statement of 5,000
# records spends most of its time in the driver, COPY does not.
incoming = Table("sync_incoming", MetaData(), *(column._copy() for column in record.columns),
                 prefixes=["TEMPORARY"], postgresql_on_commit="DELETE ROWS")
_COLUMNS = [column.name for column in record.columns]


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _upsert(conn: Connection, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert or update records by id, newest HLC winning; return the ids written."""
    if conn.dialect.name == "postgresql":
        from psycopg.types.json import Jsonb

        json_columns = {"data", "central", "overrides"}
        incoming.create(conn, checkfirst=True)
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(f"COPY sync_incoming ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([Jsonb(row.get(name), dumps=_compact)
                                    if name in json_columns
                                    and row.get(name) is not None else row.get(name)
                                    for name in _COLUMNS])
        statement = postgresql.insert(record).from_select(_COLUMNS, select(incoming))
    else:
        statement = _insert(conn, record)
    excluded, current = statement.excluded, record.c
    upsert = statement.on_conflict_do_update(
        index_elements=["id"],
        set_={
            "hlc": excluded.hlc,
            # A tombstone keeps the last data for the record; nothing resurrects it.
            "data": func.coalesce(excluded.data, current.data),
            "deleted": excluded.deleted,
            "received_at": excluded.received_at,
            "clock_suspect": excluded.clock_suspect,
            "village_id": func.coalesce(excluded.village_id, current.village_id),
            "overrides": func.coalesce(excluded.overrides, current.overrides),
        },
        # An office correction made since `_resolve_corrections` read the row makes
        # this record wait for the next push (see `_settle_unstored`), never lost.
        where=(excluded.hlc > current.hlc) & (current.device_id == excluded.device_id)
        & (current.collection == excluded.collection) & current.deleted.is_(False)
        & (current.overrides.is_(None) | excluded.overrides.is_not(None)),
    ).returning(record.c.id)
    if conn.dialect.name == "postgresql":
        stored = set(conn.execute(upsert).scalars())
        conn.execute(incoming.delete())
    else:
        stored = set(conn.execute(upsert, rows).scalars())
    # Corrections all resolved in the laptop's favour: the record has none left.
    cleared = [row["id"] for row in rows if row.get("overrides") == {} and row["id"] in stored]
    if cleared:
        conn.execute(update(record).where(_among(conn, record.c.id, cleared))
                     .values(overrides=None))
    return stored


def _settle_unstored(conn: Connection, dev, items: list[Checked], result: BatchResult) -> None:
    """Tell unchanged records (a replay) from ones owned by another device."""
    if not items:
        return
    rows = conn.execute(select(record.c.id, record.c.device_id, record.c.collection,
                               record.c.hlc, record.c.deleted)
                        .where(_among(conn, record.c.id, [item.id for item in items])))
    owners = {row.id: row for row in rows}
    for item in items:
        owner = owners.get(item.id)
        if owner is not None and (owner.device_id != dev.id
                                  or owner.collection != item.collection):
            _reject(result, item.index, item.id, "not_owner",
                    "Mã bản ghi này đã thuộc về máy khác hoặc loại bản ghi khác.")
        elif owner is not None and not owner.deleted and owner.hlc < item.hlc:
            _reject(result, item.index, item.id, "retry",
                    "Văn phòng xã vừa sửa bản ghi này; sẽ gửi lại ở lần đồng bộ sau.")
        else:
            result.results[item.index] = "U"


def _resolve_corrections(conn: Connection, dev, items: list[Checked], now: datetime) -> None:
    """Merge a laptop's new version with the office's corrections, field by field.

    A field the laptop did not change keeps the office's value, whatever the
    stamps: the laptop merely sent back what it had. A field both changed is a
    true conflict: the newer HLC wins and the loser is kept in `sync_conflict`
    (flagged for a person). Whenever the office's value stands over what the
    laptop sent, the change is announced again so the laptop pulls it.
    """
    by_id = {item.id: item for item in items}
    if not by_id:
        return
    query = select(record.c.id, record.c.hlc, record.c.data, record.c.overrides,
                   record.c.collection, record.c.commune_code, record.c.village_id).where(
        _among(conn, record.c.id, list(by_id)), record.c.overrides.is_not(None))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    for row in conn.execute(query).all():
        item = by_id[row.id]
        if item.deleted:
            item.overrides = {}  # a delete is final: the office's corrections go with it
            continue
        if not row.overrides or item.hlc <= row.hlc or item.data is None:
            continue
        kept: dict[str, str] = {}
        central_won: dict[str, Any] = {}
        for name, stamp in row.overrides.items():
            mine, theirs = item.data.get(name), (row.data or {}).get(name)
            touched = item.fields is None or name in item.fields
            if not touched or item.hlc < stamp:
                kept[name] = stamp
                item.data[name] = theirs
                if mine != theirs:
                    central_won[name] = theirs
                    if touched:
                        _conflict(conn, row, name, theirs, mine, "field", stamp, item.hlc, now)
            elif mine != theirs:
                _conflict(conn, row, name, mine, theirs, "central", item.hlc, stamp, now)
        item.overrides = kept
        if central_won:
            _lock_changes(conn)
            conn.execute(change.insert().values(
                collection=row.collection, record_id=row.id, commune_code=row.commune_code,
                village_id=row.village_id, changed_at=now, changed_by="sync",
                hlc=max(kept.values()), values=central_won))


def _conflict(conn: Connection, row, name: str, winner: Any, loser: Any, loser_side: str,
              winner_hlc: str, loser_hlc: str, now: datetime) -> None:
    conn.execute(conflict.insert().values(
        collection=row.collection, record_id=row.id, field=name, winner=winner, loser=loser,
        loser_side=loser_side, winner_hlc=winner_hlc, loser_hlc=loser_hlc, at=now))


def lacking(conn: Connection, dev, offered: Any) -> list[str]:
    """Return the ids of offered ``[id, hlc]`` pairs the central lacks or holds older."""
    if not isinstance(offered, list) or len(offered) > 20_000:
        raise BadEnvelope(details={"offered": "tối đa 20000 cặp [id, hlc]"})
    pairs: dict[uuid.UUID, str] = {}
    for pair in offered:
        if not (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(part, str) for part in pair)):
            raise BadEnvelope(details={"offered": "mỗi phần tử là [id, hlc]"})
        try:
            pairs[uuid.UUID(pair[0])] = pair[1]
        except ValueError:
            continue  # not a UUID: no record has this id, none can be sent again
    held: dict[uuid.UUID, str] = {}
    ids = list(pairs)
    for start in range(0, len(ids), 1000):
        rows = conn.execute(select(record.c.id, record.c.hlc).where(
            record.c.id.in_(ids[start:start + 1000]), record.c.device_id == dev.id))
        held.update((row.id, row.hlc) for row in rows)
    return [str(key) for key, hlc in pairs.items() if key not in held or held[key] < hlc]


# --- central changes and pull ----------------------------------------------------------

def publish(conn: Connection, record_id: uuid.UUID, central: dict[str, Any],
            corrected: dict[str, Any], by: str, clock: HybridClock) -> None:
    """Announce an office change of a record to its laptops (their next pull brings it).

    `central`: centrally owned values (status, answer…); `corrected`: field-owned
    values the office corrected, which a later laptop edit may contest field by
    field (see `_resolve_corrections`). The office validates; this only records.
    """
    _lock_changes(conn)
    row = conn.execute(select(record).where(record.c.id == record_id)
                       .with_for_update()).first()
    if row is None or row.deleted:
        raise SyncError("Không tìm thấy bản ghi này (hoặc đã bị xoá).")
    stamp = clock.now().encode()
    changes: dict[str, Any] = {"central_hlc": stamp,
                               "central": {**(row.central or {}), **normalise(central)}}
    if corrected:
        changes["data"] = {**(row.data or {}), **normalise(corrected)}
        changes["overrides"] = {**(row.overrides or {}), **{name: stamp for name in corrected}}
    conn.execute(update(record).where(record.c.id == record_id).values(**changes))
    conn.execute(change.insert().values(
        collection=row.collection, record_id=record_id, commune_code=row.commune_code,
        village_id=row.village_id, changed_at=_now(), changed_by=by[:120], hlc=stamp,
        values=normalise({**central, **corrected})))


def pull_changes(conn: Connection, dev, cursor: int, limit: int = 500,
                 blobs: BlobStore | None = None, remember: bool = True) -> dict[str, Any]:
    """Return the central changes in the device's scope after `cursor`, oldest first.

    Also names the device's photos the central still lacks (an upload cut
    for good, or refused): the laptop sends them again.
    """
    limit = max(1, min(int(limit), 2000))
    query = (select(change.c.seq, change.c.record_id)
             .where(change.c.seq > cursor, change.c.commune_code == dev.commune_code)
             .order_by(change.c.seq).limit(limit))
    allowed = _allowed_villages(conn, dev, [])
    if allowed is not None:
        query = query.where(change.c.village_id.in_(allowed))
    rows = conn.execute(query).all()
    latest: dict[uuid.UUID, int] = {}
    for row in rows:
        latest[row.record_id] = row.seq
    records = {}
    if latest:
        found = conn.execute(select(record.c.id, record.c.collection, record.c.central,
                                    record.c.central_hlc, record.c.deleted, record.c.data,
                                    record.c.overrides)
                             .where(record.c.id.in_(list(latest))))
        records = {row.id: row for row in found}
    changes = [_change_of(records[key], seq)
               for key, seq in sorted(latest.items(), key=lambda pair: pair[1])
               if key in records]
    new_cursor = rows[-1].seq if rows else cursor
    held = conn.execute(select(device.c.held_seq).where(device.c.id == dev.id)).scalar()
    if remember:
        conn.execute(update(device).where(device.c.id == dev.id)
                     .values(pull_cursor=new_cursor, last_seen_at=_now()))
    # Once per pull, on its last page: it reads every attachment record of the device.
    more = len(rows) == limit
    missing = blobs.missing_for_device(conn, dev) if blobs is not None and not more else []
    return {"changes": changes, "cursor": new_cursor, "more": more,
            "held_seq": held, "missing_blobs": missing}


def _change_of(row, seq: int) -> dict[str, Any]:
    """Return what a laptop needs of a centrally changed record."""
    overrides = row.overrides or {}
    return {"c": row.collection, "id": str(row.id), "seq": seq, "central": row.central or {},
            "central_hlc": row.central_hlc, "deleted": row.deleted,
            "corrections": {name: (row.data or {}).get(name) for name in overrides},
            "corrections_hlc": overrides}


# --- attachments (content-addressed blobs) -------------------------------------------

class BlobStore:
    """Files by SHA-256 under `root`; uploads resume from the bytes already held."""

    def __init__(self, root: Path, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def partial(self, sha: str) -> Path:
        return self.root / "partial" / f"{sha}.part"

    def offset(self, sha: str) -> int:
        part = self.partial(sha)
        return part.stat().st_size if part.exists() else 0

    def missing(self, conn: Connection, attachments: list[dict[str, Any]]) -> list[dict]:
        """Return the blobs of these attachments the central lacks, with resume offsets."""
        sizes = {item["sha256"]: int(item["size"]) for item in attachments}
        if not sizes:
            return []
        have = set(conn.execute(select(blob.c.sha256).where(blob.c.sha256.in_(list(sizes))))
                   .scalars())
        return [{"sha256": sha, "size": size, "offset": self.offset(sha)}
                for sha, size in sorted(sizes.items()) if sha not in have]

    def missing_for_device(self, conn: Connection, dev) -> list[dict]:
        """Return the photos of this device's attachments that the central lacks."""
        rows = conn.execute(select(record.c.data).where(
            record.c.collection == "attachment", record.c.device_id == dev.id,
            record.c.deleted.is_(False)))
        return self.missing(conn, [row.data for row in rows if row.data])

    def expected_size(self, conn: Connection, dev, sha: str) -> int:
        """Return the size an attachment record of this device declares for `sha`."""
        rows = conn.execute(select(record.c.data).where(
            record.c.collection == "attachment", record.c.device_id == dev.id,
            record.c.deleted.is_(False)))
        for row in rows:
            if row.data and row.data.get("sha256") == sha:
                return int(row.data["size"])
        raise BadEnvelope("Không có tệp đính kèm nào của máy này mang mã SHA-256 đó.",
                          {"sha256": sha})

    def append(self, conn: Connection, dev, sha: str, offset: int,
               chunk: bytes) -> tuple[int, int]:
        """Add `chunk` at `offset`; return (bytes held, file size)."""
        size = self.expected_size(conn, dev, sha)
        if conn.execute(select(blob.c.size).where(blob.c.sha256 == sha)).first():
            return size, size
        if size > self.max_bytes:
            raise BadEnvelope("Tệp đính kèm quá lớn.", {"limit": self.max_bytes})
        part = self.partial(sha)
        part.parent.mkdir(parents=True, exist_ok=True)
        held = self.offset(sha)
        if offset != held or offset + len(chunk) > size:
            raise BadOffset(details={"offset": held, "size": size})
        if not chunk:
            return held, size
        with open(part, "ab") as out:
            out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        held += len(chunk)
        if held == size:
            self._finish(conn, sha, size)
        return held, size

    def _finish(self, conn: Connection, sha: str, size: int) -> None:
        part = self.partial(sha)
        digest = hashlib.sha256()
        with open(part, "rb") as stream:
            while chunk := stream.read(1 << 16):
                digest.update(chunk)
        if digest.hexdigest() != sha:
            part.unlink()
            raise BlobMismatch(details={"sha256": sha, "size": size})
        final = self.path(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, final)
        conn.execute(_insert(conn, blob).values(sha256=sha, size=size, received_at=_now())
                     .on_conflict_do_nothing(index_elements=["sha256"]))

    def put_whole(self, conn: Connection, sha: str, stream, size: int) -> None:
        """Store a complete file (from a bundle), verifying its size and hash."""
        if conn.execute(select(blob.c.size).where(blob.c.sha256 == sha)).first():
            return
        if size > self.max_bytes:
            raise BlobMismatch("Tệp đính kèm quá lớn.", {"sha256": sha, "limit": self.max_bytes})
        part = self.partial(sha)
        part.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with open(part, "wb") as out:
            while chunk := stream.read(1 << 16):
                written += len(chunk)
                if written > size:
                    break
                out.write(chunk)
        if written != size:
            part.unlink()
            raise BlobMismatch(details={"sha256": sha, "size": size})
        self._finish(conn, sha, size)
