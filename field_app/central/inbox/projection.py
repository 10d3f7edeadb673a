"""Keep the office's tables in step with what laptops send, inside the ingest's transaction.

`sync.store.ingest_batch` calls `project` with the records a batch wrote (a
push, a USB bundle: one path). Laptop-owned columns are written from the
record as stored; office-owned ones (status, unit, due date, answer) are only
set on a new row. Every record that arrived leaves one line in its history:
"received" when new, "changed" with old → new values, "deleted".
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, select

from sync import bulk, store
from sync.text import fold

from ..catalogue.models import OfficeVillage
from ..identity.rules import office_kind
from .models import NAME_MARK, WORD, AuditEntry, OfficeAttachment, OfficeForum, OfficeOpinion

VILLAGE_COLUMNS = ("commune_code", "name", "folded", "kind", "households", "device_id",
                   "deleted")
FORUM_COLUMNS = ("commune_code", "village_id", "device_id", "push_id", "kind", "title",
                 "started_at", "ended_at", "venue", "chair", "secretary", "attendance_total",
                 "attendance_women", "attendance_ethnic_minority", "households_represented",
                 "status", "finalised_at", "deleted", "updated_at")
OPINION_COLUMNS = ("commune_code", "village_id", "forum_id", "position", "device_id", "push_id",
                   "kind",
                   "channel", "source_org", "level", "category_code", "category_name",
                   "content", "anonymous", "raiser_name", "raiser_gender", "raiser_phone",
                   "on_behalf_households", "answered_on_spot", "spot_answer_by",
                   "spot_answer", "needs_follow_up", "spoken_on", "received_on",
                   "recorded_at", "deleted", "folded", "raiser_folded", "search_words",
                   "updated_at",
                   "satisfaction", "satisfaction_at", "satisfaction_forum_id",
                   "satisfaction_by", "anonymous_denunciation")
ATTACHMENT_COLUMNS = ("opinion_id", "forum_id", "commune_code", "sha256", "mime_type", "size",
                      "filename", "deleted")
# Parents first, as ingest places them.
COLLECTIONS = ("village", "forum", "opinion", "attachment")
# What a history line compares: what was said, not the bookkeeping.
# `position`: renumbered when an earlier opinion of its forum is deleted, not its own change.
NOT_AUDITED = {"position", "push_id", "updated_at", "device_id", "folded", "raiser_folded",
               "search_words", "commune_code", "satisfaction_forum_id", "anonymous_denunciation"}


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _day(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else None


def _uuid(value: Any) -> uuid.UUID | None:
    return _parsed_uuid(value) if isinstance(value, str) else value


# A batch's opinions name the same few forums again and again; UUID() is pure Python.
_parsed_uuid = functools.lru_cache(maxsize=4096)(uuid.UUID)


def search_text(row: dict[str, Any]) -> str:
    """Return what every role's search matches an opinion on, folded (no personal data)."""
    parts = [row.get("content"), row.get("category_name"), row.get("spot_answer")]
    return fold(" ".join(part for part in parts if part))


_WORD = re.compile(WORD)
# Each byte of UTF-8 text that WORD does not take, made a space: the text's words are then
# its split (a letter outside ASCII is bytes of 0x80 and above), in half the regex's time.
_NOT_WORD = bytes(code if _WORD.fullmatch(chr(code)) else 0x20 for code in range(256))
# PostgreSQL refuses a lexeme over 2,047 bytes; no one types a word a tenth as long.
_LONGEST_WORD = 200


def _words(folded: str) -> list[bytes]:
    """Return each word of `folded` once (WORD's runs, at most _LONGEST_WORD long)."""
    words = list(dict.fromkeys(folded.encode().translate(_NOT_WORD).split()))
    if words and max(map(len, words)) > _LONGEST_WORD:
        words = [word for word in words if len(word) <= _LONGEST_WORD]
    return words


def words_of(folded: str, raiser_folded: str | None) -> str:
    """Return what search looks in: each word of the text once, then each of the name's
    after NAME_MARK, space-separated (PostgreSQL reads it as a tsvector as it is)."""
    words = _words(folded)
    if raiser_folded:
        mark = NAME_MARK.encode()
        words += [mark + word for word in _words(raiser_folded)]
    return b" ".join(words).decode("ascii")


def name_text(row: dict[str, Any]) -> str | None:
    """Return the speaker's name folded, for roles that may search by it; never a denouncer's."""
    if row.get("kind") == "denunciation" or not row.get("raiser_name"):
        return None
    return fold(row["raiser_name"])[:120]


def village_row(item: store.Checked, device_id: str) -> dict[str, Any]:
    data = item.data or {}
    name = data.get("name") or ""
    return {"id": item.id, "commune_code": item.commune_code, "name": name,
            "folded": fold(name)[:120], "kind": data.get("kind"),
            "households": data.get("households"), "device_id": device_id,
            "deleted": item.deleted}


def forum_row(item: store.Checked, device_id: str, push_id: int | None,
              now: datetime) -> dict[str, Any]:
    data = item.data or {}
    return {"id": item.id, "commune_code": item.commune_code, "village_id": item.village_id,
            "device_id": device_id, "push_id": push_id, "kind": data.get("kind") or "other",
            "title": data.get("title"), "started_at": _when(data.get("started_at")),
            "ended_at": _when(data.get("ended_at")), "venue": data.get("venue"),
            "chair": data.get("chair"), "secretary": data.get("secretary"),
            "attendance_total": data.get("attendance_total"),
            "attendance_women": data.get("attendance_women"),
            "attendance_ethnic_minority": data.get("attendance_ethnic_minority"),
            "households_represented": data.get("households_represented"),
            "status": data.get("status") or "draft",
            "finalised_at": _when(data.get("finalised_at")), "deleted": item.deleted,
            "first_received_at": now, "updated_at": now}


def opinion_row(item: store.Checked, device_id: str, push_id: int | None, now: datetime,
                forum_days: dict[uuid.UUID, date | None]) -> dict[str, Any]:
    data = item.data or {}
    forum_id = _uuid(data.get("forum_id"))
    recorded_at = _when(data.get("created_at"))
    spoken_on = forum_days.get(forum_id) if forum_id else None
    # A tố cáo's identity was taken out before storing (identity.logic.withhold).
    kind, anonymous_denunciation = office_kind(data, item.withheld)
    row = {"id": item.id, "commune_code": item.commune_code, "village_id": item.village_id,
           "forum_id": forum_id, "position": (data.get("position") or None) if forum_id else None,
           "device_id": device_id, "push_id": push_id,
           "kind": kind, "anonymous_denunciation": anonymous_denunciation,
           "channel": data.get("channel") or "other",
           "source_org": data.get("source_org"), "level": data.get("level") or "commune",
           "category_code": data.get("category_code") or "other",
           "category_name": data.get("category_name"), "content": data.get("content") or "",
           "anonymous": bool(data.get("anonymous")), "raiser_name": data.get("raiser_name"),
           "raiser_gender": data.get("raiser_gender"),
           "raiser_phone": data.get("raiser_phone"),
           "on_behalf_households": data.get("on_behalf_households"),
           "answered_on_spot": bool(data.get("answered_on_spot")),
           "spot_answer_by": data.get("spot_answer_by"),
           "spot_answer": data.get("spot_answer"),
           "needs_follow_up": bool(data.get("needs_follow_up")),
           "spoken_on": spoken_on,
           "received_on": _day(data.get("received_on")) or spoken_on
           or (recorded_at.date() if recorded_at else now.date()),
           "recorded_at": recorded_at, "deleted": item.deleted,
           "first_received_at": now, "updated_at": now, "status": "received",
           # Recorded at the forum the answer was read out at, or the office's correction
           # standing over the laptop's older value (ingest resolved it into the data).
           "satisfaction": data.get("satisfaction"),
           "satisfaction_at": _when(data.get("satisfaction_at")),
           "satisfaction_forum_id": _uuid(data.get("satisfaction_forum_id")),
           "satisfaction_by": data.get("satisfaction_by")}
    row["folded"], row["raiser_folded"] = search_text(row), name_text(row)
    row["search_words"] = words_of(row["folded"], row["raiser_folded"])
    return row


def attachment_row(item: store.Checked) -> dict[str, Any]:
    data = item.data or {}
    return {"id": item.id, "opinion_id": _uuid(data.get("opinion_id")),
            "forum_id": _uuid(data.get("forum_id")), "commune_code": item.commune_code,
            "sha256": data.get("sha256") or "", "mime_type": data.get("mime_type") or "",
            "size": data.get("size") or 0, "filename": data.get("filename") or "",
            "deleted": item.deleted}


def _previous(conn: Connection, table: Table, ids: list[uuid.UUID],
              columns: tuple[str, ...]) -> dict[uuid.UUID, dict[str, Any]]:
    if not ids:
        return {}
    found = conn.execute(select(table.c.id, *(table.c[name] for name in columns))
                         .where(store.among(conn, table.c.id, ids)))
    return {row.id: row._asdict() for row in found}


def _history(collection: str, rows: list[dict[str, Any]], before: dict[uuid.UUID, dict],
             columns: tuple[str, ...], stored: store.Stored) -> list[dict[str, Any]]:
    """Return one history line per record: received, changed (old → new) or deleted."""
    lines = []
    label = (stored.device.label or stored.device.id)[:120]
    for row in rows:
        old = before.get(row["id"])
        if old is None:
            action, changes = ("deleted" if row["deleted"] else "received"), None
        elif row["deleted"]:
            if old.get("deleted"):
                continue
            action, changes = "deleted", None
        else:
            changes = {name: [plain(old.get(name)), plain(row.get(name))]
                       for name in columns if name not in NOT_AUDITED
                       and old.get(name) != row.get(name)}
            if any(side.get("kind") == "denunciation" or side.get("anonymous_denunciation")
                   for side in (row, old)):
                # A denouncer's identity is never written anywhere it could be shown.
                changes = {name: ([None, None] if name.startswith("raiser_") else pair)
                           for name, pair in changes.items()}
            action = "changed"
        lines.append({"collection": collection, "record_id": row["id"],
                      "commune_code": row.get("commune_code"), "at": stored.at,
                      "source": "laptop", "action": action, "actor": label,
                      "device_id": stored.device.id,
                      "push_id": stored.push_id,
                      "changes": changes or None, "account_id": None, "reason": None})
    return lines


def plain(value: Any) -> Any:
    """Return a value as JSON holds it (dates as ISO text, ids as text)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def project(conn: Connection, stored: store.Stored,
            present: dict[str, frozenset[str]] | None = None) -> None:
    """Write what a batch stored into the office's tables (sync.store.on_stored listener).

    `present`: the columns each table has in the database, when an office migration
    projects before the later ones added theirs (see `project_everything`).
    """
    groups: dict[str, list[store.Checked]] = {}
    for item in stored.items:
        groups.setdefault(item.collection, []).append(item)
    dev_id, now = stored.device.id, stored.at
    history: list[dict[str, Any]] = []
    _keep_tombstones(conn, OfficeVillage.__table__, groups.get("village", []),
                     lambda item: village_row(item, dev_id), VILLAGE_COLUMNS, history,
                     "village", stored, present)
    forums = _keep_tombstones(conn, OfficeForum.__table__, groups.get("forum", []),
                              lambda item: forum_row(item, dev_id, stored.push_id, now),
                              FORUM_COLUMNS, history, "forum", stored, present)
    forum_days = {row["id"]: row["started_at"].date() if row["started_at"] else None
                  for row in forums if not row["deleted"]}
    opinions_in = groups.get("opinion", [])
    wanted = {_uuid((item.data or {}).get("forum_id")) for item in opinions_in} - {None}
    missing = [key for key in wanted if key not in forum_days]
    if missing:
        found = conn.execute(select(OfficeForum.id, OfficeForum.started_at)
                             .where(store.among(conn, OfficeForum.id, missing)))
        forum_days.update((row.id, row.started_at.date() if row.started_at else None)
                          for row in found)
    _keep_tombstones(conn, OfficeOpinion.__table__, opinions_in,
                     lambda item: opinion_row(item, dev_id, stored.push_id, now, forum_days),
                     OPINION_COLUMNS, history, "opinion", stored, present)
    _keep_tombstones(conn, OfficeAttachment.__table__, groups.get("attachment", []),
                     attachment_row, ATTACHMENT_COLUMNS, history, "attachment", stored, present)
    bulk.insert(conn, AuditEntry.__table__, history)


def _keep_tombstones(conn: Connection, table: Table, items: list[store.Checked],
                     make: Callable[[store.Checked], dict[str, Any]], columns: tuple[str, ...],
                     history: list[dict[str, Any]], collection: str, stored: store.Stored,
                     present: dict[str, frozenset[str]] | None = None) -> list[dict[str, Any]]:
    """Upsert the rows `make` builds for `items`; a delete only marks the row held (its last
    words stay readable). Return the rows built (all columns), in the order of `items`."""
    if not items:
        return []
    have = None if present is None else present[table.name]
    if have is not None:
        # Projected by an office migration: only the columns made so far (the later
        # migrations fill their own).
        columns = tuple(name for name in columns if name in have)
    # A record new to the central has no office row yet (ingest inserted its log row in
    # this transaction): only the others are looked for.
    new = stored.new or frozenset()
    before = _previous(conn, table, [item.id for item in items if item.id not in new], columns)
    made: dict[uuid.UUID, dict[str, Any]] = {}

    def build(item: store.Checked) -> dict[str, Any]:
        row = made[item.id] = make(item)
        return row if have is None else {name: value for name, value in row.items()
                                         if name in have}

    # A row the office does not hold yet is new for certain: only this projection inserts
    # here, and ingest wrote its record in this transaction (a racing push of the same
    # record waits for it). New ones go straight in (COPY), each built as the previous
    # one is sent: the database indexes the rows while the next are made.
    bulk.insert(conn, table, (build(item) for item in items
                              if not item.deleted and item.id not in before))
    bulk.upsert(conn, table, [build(item) for item in items
                              if not item.deleted and item.id in before], columns)
    gone = [item.id for item in items if item.deleted and item.id in before]
    if gone:
        marks = {"deleted": True, "updated_at": stored.at, "push_id": stored.push_id}
        conn.execute(table.update().where(store.among(conn, table.c.id, gone))
                     .values({name: value for name, value in marks.items() if name in table.c}))
    rows = [made.get(item.id) or make(item) for item in items
            if not item.deleted or item.id in before]
    history.extend(_history(collection, rows, before, columns, stored))
    return rows


def project_everything(conn: Connection, collections: tuple[str, ...] = COLLECTIONS,
                       chunk: int = 2000) -> int:
    """Project every record of `collections` the central already holds (a central upgraded
    to office tables); each migration names the collections whose tables it made.

    Returns how many records were projected. Parents first, as ingest does.
    """
    from types import SimpleNamespace

    from sqlalchemy import inspect

    devices = {row.id: row for row in conn.execute(select(store.device.c.id,
                                                          store.device.c.label))}
    found = inspect(conn)
    present = {table: frozenset(column["name"] for column in found.get_columns(table))
               for table in (OfficeVillage.__tablename__, OfficeForum.__tablename__,
                             OfficeOpinion.__tablename__, OfficeAttachment.__tablename__)
               if found.has_table(table)}
    record = store.record
    done = 0
    for collection in (name for name in COLLECTIONS if name in collections):
        query = (select(record.c.id, record.c.device_id, record.c.commune_code,
                        record.c.village_id, record.c.hlc, record.c.deleted, record.c.data,
                        record.c.received_at)
                 .where(record.c.collection == collection).order_by(record.c.received_at))
        batch: list[Any] = []
        for row in conn.execute(query).all():
            batch.append(row)
            if len(batch) == chunk:
                done += _project_rows(conn, collection, batch, devices, SimpleNamespace,
                                      present)
                batch = []
        if batch:
            done += _project_rows(conn, collection, batch, devices, SimpleNamespace, present)
    return done


def _project_rows(conn: Connection, collection: str, rows: list[Any], devices: dict,
                  namespace, present: dict[str, frozenset[str]]) -> int:
    by_device: dict[str, list[store.Checked]] = {}
    for row in rows:
        by_device.setdefault(row.device_id, []).append(store.Checked(
            0, collection, row.id, 1, row.hlc, row.deleted,
            None if row.deleted else row.data, commune_code=row.commune_code,
            village_id=row.village_id))
    at = max(row.received_at for row in rows)
    for device_id, items in by_device.items():
        device = devices.get(device_id) or namespace(id=device_id, label=device_id)
        project(conn, store.Stored(device, items, None, "upgrade", at), present)
    return len(rows)
