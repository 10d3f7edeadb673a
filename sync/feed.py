"""Central changes: the office publishes, laptops pull them in order (the change feed)."""

from __future__ import annotations

import uuid
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    select,
    update,
)

from .blobs import BlobStore
from .clock import HybridClock
from .errors import (
    SyncError,
)
from .ingest import _allowed_villages
from .records import (
    normalise,
)
from .tables import _lock_changes, _now, among, change, device, record

# --- central changes and pull ----------------------------------------------------------

def publish(conn: Connection, record_id: uuid.UUID, central: dict[str, Any],
            corrected: dict[str, Any], by: str, clock: HybridClock) -> None:
    """Announce an office change of a record to its laptops (their next pull brings it).

    `central`: centrally owned values (status, answer…); `corrected`: field-owned
    values the office corrected, which a later laptop edit may contest field by
    field (see `_resolve_corrections`). The office validates; this only records.
    """
    publish_many(conn, [(record_id, central, corrected)], by, clock)


def publish_many(conn: Connection, changes: list[tuple[uuid.UUID, dict[str, Any],
                                                       dict[str, Any]]],
                 by: str, clock: HybridClock) -> None:
    """Announce several office changes `(record_id, central, corrected)` at once, in order:
    a case's answer reaches its 200 opinions in a few statements, not 800."""
    if not changes:
        return
    _lock_changes(conn)
    held = {row.id: row._asdict() for row in conn.execute(
        select(record.c.id, record.c.collection, record.c.commune_code, record.c.village_id,
               record.c.deleted, record.c.central, record.c.data, record.c.overrides)
        .where(among(conn, record.c.id, {key for key, _central, _corrected in changes}))
        .with_for_update())}
    now, lines = _now(), []
    for record_id, central, corrected in changes:
        row = held.get(record_id)
        if row is None or row["deleted"]:
            raise SyncError("Không tìm thấy bản ghi này (hoặc đã bị xoá).")
        stamp = clock.now().encode()
        row["central_hlc"] = stamp
        row["central"] = {**(row["central"] or {}), **normalise(central)}
        if corrected:
            row["data"] = {**(row["data"] or {}), **normalise(corrected)}
            row["overrides"] = {**(row["overrides"] or {}),
                                **{name: stamp for name in corrected}}
            row["corrected"] = True
        lines.append({"collection": row["collection"], "record_id": record_id,
                      "commune_code": row["commune_code"], "village_id": row["village_id"],
                      "changed_at": now, "changed_by": by[:120], "hlc": stamp,
                      "values": normalise({**central, **corrected})})
    touched = [row for row in held.values() if "central_hlc" in row]
    for with_data in (False, True):
        names = ("central_hlc", "central") + (("data", "overrides") if with_data else ())
        rows = [{"b_id": row["id"], **{f"b_{name}": row[name] for name in names}}
                for row in touched if row.get("corrected", False) is with_data]
        if rows:
            conn.execute(update(record).where(record.c.id == bindparam("b_id"))
                         .values({name: bindparam(f"b_{name}") for name in names}), rows)
    conn.execute(change.insert(), lines)


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
    page = {"changes": changes, "cursor": new_cursor, "more": more,
            "held_seq": held, "missing_blobs": missing}
    if not more:
        for provider in _pull_providers.get(conn.engine, ()):
            page.update(provider(conn, dev))
    return page


# Per database (engine), like the ingest's listeners.
_pull_providers: WeakKeyDictionary[Engine, list[Any]] = WeakKeyDictionary()


def on_pull(engine: Engine, provider) -> None:
    """Add `provider(conn, dev)`'s keys to the last page of every pull (and acknowledgement file).

    The office sends its reference lists this way (the commune's categories):
    whole, on every pull, so a laptop that missed one still ends up with the
    current list. A laptop that does not know a key ignores it.
    """
    registered = _pull_providers.setdefault(engine, [])
    if provider not in registered:
        registered.append(provider)


def _change_of(row, seq: int) -> dict[str, Any]:
    """Return what a laptop needs of a centrally changed record."""
    overrides = row.overrides or {}
    return {"c": row.collection, "id": str(row.id), "seq": seq, "central": row.central or {},
            "central_hlc": row.central_hlc, "deleted": row.deleted,
            "corrections": {name: (row.data or {}).get(name) for name in overrides},
            "corrections_hlc": overrides}
