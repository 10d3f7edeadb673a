"""Ingest: store a batch of records from a device, each checked on its own.

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

import gc
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import (
    Boolean,
    Connection,
    Engine,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import InterfaceError, OperationalError, StatementError

from . import bulk
from .blobs import BlobStore
from .clock import MAX_DRIFT_MS, ClockError, Stamp
from .errors import (
    BadEnvelope,
    OutOfScope,
)
from .records import (
    CONTROL,
    FAST_CLEAN,
    MAX_RECORDS_PER_BATCH,
    OPS,
    PARENTS,
    RANK,
    SCHEMAS,
    clean_record,
    normalise,
    readable,
)
from .tables import (
    _label,
    _lock_changes,
    _now,
    among,
    change,
    conflict,
    device,
    push_log,
    record,
)
from .text import fold

# Sequence numbers and cursors are BIGINT columns: a larger one is no sequence number.
MAX_SEQ = 2**63 - 1
# A record's list of changed fields names at most this many.
MAX_FIELDS = 200


# --- ingest -------------------------------------------------------------------------------

@dataclass(slots=True)
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
    # Fields an `on_checked` listener took out of `data` before it was stored (kept apart
    # in the listener's own tables, e.g. encrypted); never written to the wire's log.
    withheld: dict[str, Any] | None = None


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
        wall_ms, hlc = Stamp.read(str(raw.get("hlc")))
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
        # A plainly valid record is normalised and checked in one pass; any other takes
        # the plain path (a dict subclass too: `normalise` keeps one as it is).
        clean = FAST_CLEAN[collection](data) if type(data) is dict else None
        if clean is not None:
            data = clean
        else:
            data, errors = clean_record(collection, normalise(data))
            if errors:
                _reject(result, index, record_id, "invalid_record", readable(errors),
                        {"fields": errors})
                return None
    return Checked(index, collection, record_id, seq, hlc, op == "delete",
                   data if op == "put" else None,
                   suspect=wall_ms - now_ms > MAX_DRIFT_MS,
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
                            .where(among(conn, record.c.id, wanted)))
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
    with _collector_paused(), _busy():
        return _ingest(conn, dev, envelope, blobs, via, size)


_ingesting = 0
_quiet_since = time.monotonic()
_busy_lock = threading.Lock()


@contextmanager
def _busy() -> Iterator[None]:
    global _ingesting, _quiet_since
    with _busy_lock:
        _ingesting += 1
    try:
        yield
    finally:
        with _busy_lock:
            _ingesting -= 1
            _quiet_since = time.monotonic()


def quiet_for() -> float:
    """Return the seconds since this process last ingested a batch, 0 while it ingests
    one: background work (pairing duplicates) waits for a quiet moment rather than take
    the processor from a laptop whose village head waits for its sync to end."""
    with _busy_lock:
        return 0.0 if _ingesting else time.monotonic() - _quiet_since


_paused = 0
_pause_lock = threading.Lock()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold Python's cycle collector off while a batch is ingested (every thread's).

    A batch makes some hundred thousand objects that live until it ends (rows,
    dicts, stamps) and leaves almost no cycles: each collection it set off walked
    them all, and every other object of the process, for nothing (a seventh of a
    SQLite ingest's time, measured). The last batch to end lets it run again.
    """
    global _paused
    with _pause_lock:
        if _paused == 0 and not gc.isenabled():  # someone else's choice: leave it be
            paused = False
        else:
            paused = True
            _paused += 1
            gc.disable()
    try:
        yield
    finally:
        if paused:
            with _pause_lock:
                _paused -= 1
                if _paused == 0:
                    gc.enable()


def _ingest(conn: Connection, dev, envelope: Any, blobs: BlobStore | None,
            via: str, size: int) -> BatchResult:
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
    # Each record written: True if it is new to the central, False if it replaced one,
    # None if the database does not say (SQLite).
    stored: dict[uuid.UUID, bool | None] = {}
    if placed:
        for prepare in _preparers.get(conn.engine, ()):
            prepare(conn, dev, placed)
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
        for listener in _listeners.get(conn.engine, ()):
            listener(conn, Stored(dev, written, push_id, via, now, new=None if any(
                stored[item.id] is None for item in written) else frozenset(
                item.id for item in written if stored[item.id])))
    return result


@dataclass
class Stored:
    """What one batch wrote, handed to listeners inside the ingest's transaction."""

    device: Any
    items: list[Checked]
    push_id: int
    via: str
    at: datetime
    # The records the central did not hold before this batch (their log rows were
    # inserted, not replaced); None when not known: a listener must look.
    new: frozenset[uuid.UUID] | None = None


# Per database (engine): each central app hooks its own tables; a process holding
# several (tests, a benchmark) never calls one app's listener on another's database.
_listeners: WeakKeyDictionary[Engine, list[Any]] = WeakKeyDictionary()


def on_stored(engine: Engine, listener) -> None:
    """Call `listener(conn, Stored)` after every batch ingested on `engine`, in its transaction.

    Whatever the listener writes commits or rolls back with the records themselves:
    a push, a USB bundle and a replay all keep the office's tables in step.
    """
    registered = _listeners.setdefault(engine, [])
    if listener not in registered:
        registered.append(listener)


_preparers: WeakKeyDictionary[Engine, list[Any]] = WeakKeyDictionary()


def on_checked(engine: Engine, listener) -> None:
    """Call `listener(conn, dev, items)` on a batch's placed records before they are stored.

    A listener may take fields out of `item.data` (setting `item.withheld`): the wire's
    log then never holds them, not even for an instant in a page of the database file.
    """
    registered = _preparers.setdefault(engine, [])
    if listener not in registered:
        registered.append(listener)


def _store(conn: Connection, dev, items: list[Checked], now: datetime,
           result: BatchResult) -> dict[uuid.UUID, bool | None]:
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
            return {}
    half = len(items) // 2
    return (_store(conn, dev, items[:half], now, result)
            | _store(conn, dev, items[half:], now, result))


def _write(conn: Connection, dev, items: list[Checked], now: datetime
           ) -> dict[uuid.UUID, bool | None]:
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


# What a laptop's record sets; `central` and `central_hlc` are the office's (NULL on a
# new record). Naming only these, each row's values come out in one step (bulk._values).
_COLUMNS = [column.name for column in record.columns
            if column.name not in ("central", "central_hlc")]


def _upsert(conn: Connection, rows: list[dict[str, Any]]) -> dict[uuid.UUID, bool | None]:
    """Insert or update records by id, newest HLC winning; return the ids written, each
    with whether it was new (None on SQLite, which does not say)."""
    statement, params = bulk.upsert_statement(conn, record, rows, _COLUMNS)
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
    )
    stored: dict[uuid.UUID, bool | None]
    if params is None:
        # A row the upsert updated carries its lock (xmax) in its new version; a row it
        # inserted has none: the listeners skip looking for what a new record replaced.
        inserted = literal_column(f"{record.name}.xmax = '0'::xid", Boolean)
        stored = dict(conn.execute(upsert.returning(record.c.id, inserted)).all())
    else:
        stored = dict.fromkeys(bulk.execute_returning(
            conn, upsert.returning(record.c.id), record, params, record.c.id))
    bulk.clear_staging(conn, record)
    # Corrections all resolved in the laptop's favour: the record has none left.
    cleared = [row["id"] for row in rows if row.get("overrides") == {} and row["id"] in stored]
    if cleared:
        conn.execute(update(record).where(among(conn, record.c.id, cleared))
                     .values(overrides=None))
    return stored


def _settle_unstored(conn: Connection, dev, items: list[Checked], result: BatchResult) -> None:
    """Tell unchanged records (a replay) from ones owned by another device."""
    if not items:
        return
    rows = conn.execute(select(record.c.id, record.c.device_id, record.c.collection,
                               record.c.hlc, record.c.deleted)
                        .where(among(conn, record.c.id, [item.id for item in items])))
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
        among(conn, record.c.id, list(by_id)), record.c.overrides.is_not(None))
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
            # A laptop that does not say what it changed changed what it sent; a field it
            # does not send at all (an older version) it cannot have changed.
            touched = name in item.data if item.fields is None else name in item.fields
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
