"""Run a sync from the laptop: push the outbox, upload photos, pull the answers.

Plain functions on the app's session; the `langnghe sync` command, the
"Đồng bộ" button and the background thread all call `run_sync`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import delete, func, select, update

from sync.clock import Stamp
from sync.errors import BodyTooLarge, SyncError, Unreachable
from sync.protocol import PROTOCOL_VERSION, EncodedRecords, dumps
from sync.records import (
    CENTRAL_FIELDS,
    MAX_RECORDS_PER_BATCH,
    RANK,
    category_entry_schema,
    central_opinion_schema,
    central_village_schema,
)

from ..areas.logic import current_commune
from ..areas.models import Village
from ..attachments.logic import blob_path
from ..extensions import db
from ..models_base import utcnow
from ..opinions.logic import CORRECTABLE_HERE, column_value
from ..opinions.models import Category, Opinion
from .capture import APPLYING_CENTRAL, clock, wire_data_many
from .models import Outbox, SyncState

if TYPE_CHECKING:  # requests is imported when a sync runs, not when the app starts
    from sync.client import Encoded, SyncClient

MIN_BATCH_BYTES = 16 * 1024
# A push's records as JSON, at most. The central holds a push parsed while it ingests it:
# with 4 MiB pushes it peaked at 172 MB over a 100,000-record sync, with 1 MiB at 125 MB,
# for a sync ~5% longer (benchmarks/sync_e2e.py; docs/sync-protocol.md, "Batches").
MAX_BATCH_BYTES = 1024 * 1024
CHUNK_BYTES = 1024 * 1024
# Rows read or written by one IN (…) statement: well under SQLite's parameter limit.
CHUNK = 500
# What the office decides (workflow and answer): a change of one is a "new answer".
ANSWER_FIELDS = ("status", "due_date", "answer_text", "answer_by", "answer_date",
                 "answer_doc_number", "responsible_unit")
# Said by the page and by `langnghe export-bundle` when a bundle would carry no record.
NOTHING_WAITING = _l("Không có gì chờ gửi: mọi bản ghi đã được xã xác nhận.")
_RUNNING = threading.Lock()

Progress = Callable[[str, int, int], None]


class NotEnrolled(SyncError):
    status = 409
    code = "not_enrolled"
    message = ("Máy này chưa đăng ký với máy chủ xã. Hãy nhập địa chỉ máy chủ và mã đăng ký "
               "do văn phòng xã cấp ở trang Đồng bộ.")


class SyncBusy(SyncError):
    status = 409
    code = "sync_running"
    message = "Đang đồng bộ; hãy chờ lần này xong."


@dataclass
class Summary:
    """What one sync did, for the summary line and the page."""

    pushed: int = 0
    stored: int = 0
    unchanged: int = 0
    rejected: int = 0
    blobs: int = 0
    pulled: int = 0
    # Opinions whose status or answer changed: listed under "new answers" (Ý kiến).
    answers: int = 0
    reoffered: int = 0
    central_lost: bool = False
    batches: int = 0
    round_trips: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def state() -> SyncState:
    """Return the laptop's sync checkpoint row (made by the migrations)."""
    row = db.session.get(SyncState, 1)
    if row is None:  # a database made before the migration seeded it
        row = SyncState(id=1, replica=str(uuid.uuid4()))
        db.session.add(row)
        db.session.flush()
    return row


def pending_count() -> int:
    """Return how many records wait for the central's acknowledgement."""
    return db.session.execute(select(func.count(func.distinct(Outbox.record_id)))
                              .where(Outbox.state.in_(("pending", "rejected")))).scalar_one()


_PENDING = "langnghe_pending_count"


def badge_count(row: SyncState | None) -> int:
    """Return `pending_count()` for the top bar, counted again only when it can have changed.

    Every page shows it: counting 20,000 waiting records each time is a scan a
    page. The count changes only with a new local change (a higher outbox
    seq) or a sync, a re-offer or an acknowledgement file (which move the
    checkpoint row below, or call `forget_badge_count`), in this process or
    in `langnghe sync` run beside it: those make the key.
    """
    newest = db.session.execute(select(func.max(Outbox.seq))).scalar()
    key = (newest, row.held_seq, row.last_attempt_at, row.last_sync_at, row.last_error,
           row.epoch) if row is not None else (newest,)
    known = current_app.extensions.get(_PENDING)
    if known is not None and known[0] == key:
        return known[1]
    count = pending_count()
    current_app.extensions[_PENDING] = (key, count)
    return count


def forget_badge_count() -> None:
    """Count the waiting records again on the next page (the outbox changed in place)."""
    current_app.extensions.pop(_PENDING, None)


def rejected_records() -> list[Outbox]:
    """Return the refused records with the central's reason, newest first."""
    return list(db.session.execute(select(Outbox).where(Outbox.state == "rejected")
                                   .order_by(Outbox.seq.desc())).scalars())


def _retrying(action):
    """Run one idempotent request with the configured retries and backoff."""
    from sync.client import with_retries

    return with_retries(action, attempts=current_app.config.get("SYNC_ATTEMPTS", 5),
                        base=current_app.config.get("SYNC_BACKOFF", 1.0))


def make_client(row: SyncState) -> SyncClient:
    from sync.client import SyncClient

    if not (row.server_url and row.device_id and row.secret):
        raise NotEnrolled()
    return SyncClient(row.server_url, row.device_id, row.secret,
                      timeout=current_app.config.get("SYNC_TIMEOUT", (10.0, 120.0)))


def central_base_url(typed: str) -> str:
    """Return the central's base address from what was typed or pasted.

    People paste the office page's address (…/central/) or leave out http://.
    """
    text = typed.strip()
    if not text.startswith(("http://", "https://")):
        text = "http://" + text
    for marker in ("/central", "/sync/"):
        if marker in text.split("://", 1)[1]:
            text = text[:text.index(marker, len(text.split("://", 1)[0]) + 3)]
    return text.rstrip("/")


def enroll(server_url: str, code: str, label: str | None = None) -> SyncState:
    """Trade the office's one-time code for this laptop's credential; commit it."""
    commune = current_commune()
    row = state()
    from sync.client import SyncClient

    client = SyncClient(central_base_url(server_url))
    try:
        # No label given: the central keeps the name the office gave the code.
        answer = client.enroll(code.strip(), (label or "").strip(), row.replica,
                               commune.code if commune else None)
    except Unreachable:
        raise Unreachable(
            f"Không kết nối được máy chủ xã ở {client.base_url}. Hãy kiểm tra địa chỉ "
            "(dạng http://địa-chỉ-IP:8090, như văn phòng xã cho) và mạng, rồi đăng ký "
            "lại.") from None
    if commune is None:
        from ..areas.logic import choose_commune

        choose_commune(answer["commune_code"])  # a new laptop takes the code's commune
    row.server_url = client.base_url
    row.device_id, row.secret = answer["device_id"], answer["secret"]
    row.commune_code, row.villages = answer["commune_code"], answer.get("villages")
    row.epoch, row.enrolled_at = answer.get("epoch"), utcnow()
    row.last_error = row.last_error_code = None
    db.session.commit()
    return row


# --- push ------------------------------------------------------------------------------

@dataclass(slots=True)
class Waiting:
    """One record waiting for the central, with what its unacknowledged changes touched."""

    record_id: uuid.UUID
    collection: str
    first_seq: int
    last_seq: int
    op: str
    hlc: str
    # Wire fields changed since the last acknowledged version; None: the whole record.
    fields: set[str] | None


def _waiting_pages(upto: int, size: int = CHUNK) -> Iterator[list[Waiting]]:
    """Yield the waiting records a page at a time, by their first unacknowledged change.

    Reads `size` outbox rows at a time, never the whole backlog: memory stays
    flat for 100,000 waiting records. A record comes in the page of its first
    unacknowledged change with every later change up to `upto` folded in; a
    later page skips it (acknowledged meanwhile, or still waiting from before
    that page). A village or forum is made before what hangs from it; within a
    batch the push also puts parents first whatever the order of their changes.
    """
    after = 0
    while True:
        page = db.session.execute(
            select(Outbox.seq, Outbox.record_id)
            .where(Outbox.state != "acked", Outbox.seq > after, Outbox.seq <= upto)
            .order_by(Outbox.seq).limit(size)).all()
        if not page:
            return
        ids = list(dict.fromkeys(row.record_id for row in page))
        rows = db.session.execute(
            select(Outbox.record_id, Outbox.collection, Outbox.seq, Outbox.op, Outbox.hlc,
                   Outbox.fields)
            .where(Outbox.record_id.in_(ids), Outbox.state != "acked", Outbox.seq <= upto)
            .order_by(Outbox.seq)).all()
        records: dict[uuid.UUID, Waiting] = {}
        for row in rows:
            touched = None if row.fields is None else set(filter(None, row.fields.split(",")))
            entry = records.get(row.record_id)
            if entry is None:
                records[row.record_id] = Waiting(row.record_id, row.collection, row.seq,
                                                 row.seq, row.op, row.hlc, touched)
                continue
            entry.last_seq, entry.op, entry.hlc = row.seq, row.op, row.hlc
            entry.fields = None if entry.fields is None or touched is None \
                else entry.fields | touched
        yield [entry for entry in records.values() if entry.first_seq > after]
        after = page[-1].seq


def _wire_record(entry: Waiting, data: dict[str, Any] | None) -> dict[str, Any]:
    """Return one waiting record as it goes on the wire; `data` None: it is gone."""
    head = {"c": entry.collection, "id": str(entry.record_id), "seq": entry.last_seq,
            "hlc": entry.hlc}
    if entry.op != "put" or data is None:  # deleted since: send the tombstone
        return {**head, "op": "delete"}
    item = {**head, "op": "put", "data": data}
    if entry.fields is not None:
        item["fields"] = sorted(entry.fields)
    return item


def _wire_records(entries: list[Waiting]) -> list[dict[str, Any]]:
    """Build these records for the wire: one query per collection, not one per record."""
    wanted: dict[str, list[uuid.UUID]] = defaultdict(list)
    for entry in entries:
        if entry.op == "put":
            wanted[entry.collection].append(entry.record_id)
    found: dict[str, dict[str, Any]] = {}
    for collection, ids in wanted.items():
        found.update(wire_data_many(collection, ids))
    return [_wire_record(entry, found.get(str(entry.record_id))) for entry in entries]


def waiting_records() -> list[dict[str, Any]]:
    """Return every unacknowledged record as it goes on the wire, parents first."""
    upto = db.session.execute(select(func.max(Outbox.seq))).scalar() or 0
    records = []
    for entries in _waiting_pages(upto):
        records.extend(_wire_records(entries))
    return records


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _mark_acknowledged(acked: dict[uuid.UUID, int]) -> None:
    """Mark what the central holds, a few set-based statements per 500 records.

    The newest acknowledged row of each record is kept (its stamp is offered if
    the central is restored); older rows go; a change made during the push
    (a higher seq) stays pending.
    """
    for ids in _chunks(list(acked)):
        rows = db.session.execute(select(Outbox.seq, Outbox.record_id)
                                  .where(Outbox.record_id.in_(ids))).all()
        older = [row.seq for row in rows if row.seq < acked[row.record_id]]
        newest = [row.seq for row in rows if row.seq == acked[row.record_id]]
        if older:
            db.session.execute(delete(Outbox).where(Outbox.seq.in_(older))
                               .execution_options(synchronize_session=False))
        if newest:
            db.session.execute(update(Outbox).where(Outbox.seq.in_(newest))
                               .values(state="acked", reject_code=None, reject_message=None)
                               .execution_options(synchronize_session=False))


def _apply_results(sent: list[dict[str, Any]], answer: dict[str, Any], summary: Summary) -> None:
    """Mark what the central acknowledged; keep refused records with their reason."""
    results = answer.get("results", "")
    reasons = {item["i"]: item for item in answer.get("rejections", [])}
    acked: dict[uuid.UUID, int] = {}
    for index, item in enumerate(sent):
        record_id, seq = uuid.UUID(item["id"]), item["seq"]
        letter = results[index] if index < len(results) else "?"
        if letter in "SU":
            acked[record_id] = seq
        elif letter == "R":
            reason = reasons.get(index, {})
            db.session.execute(update(Outbox).where(
                Outbox.record_id == record_id, Outbox.seq <= seq).values(
                state="rejected", reject_code=reason.get("code"),
                reject_message=reason.get("message")))
    _mark_acknowledged(acked)
    summary.stored += answer.get("stored", 0)
    summary.unchanged += answer.get("unchanged", 0)
    summary.rejected += answer.get("rejected", 0)


def _timed(action: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """Return what `action` returns and the seconds it took."""
    started = time.monotonic()
    return action(*args, **kwargs), time.monotonic() - started


@dataclass(slots=True)
class _Batch:
    """One push batch: its records in outbox order, as sent, and its body being compressed."""

    taken: list[tuple[Waiting, dict[str, Any], bytes]]
    sent: EncodedRecords
    size: int
    body: Future[Encoded]


def push(client: SyncClient, row: SyncState, summary: Summary,
         progress: Progress | None = None) -> list[dict[str, Any]]:
    """Send every waiting record in batches bounded by bytes; return the blobs missing.

    A pipeline, so that the laptop and the central do not take turns: while
    batch N is in flight (a sender thread: the request only), this thread
    reads and encodes batch N+1 and a compressor thread compresses it; N+1
    leaves as soon as N's answer is in, and N's acknowledgements are written
    while N+1 travels. One batch in flight at a time: the central sees them
    in order, and only what it acknowledged is marked.
    """
    upto = db.session.execute(select(func.max(Outbox.seq))).scalar() or 0
    total = db.session.execute(select(func.count(func.distinct(Outbox.record_id))).where(
        Outbox.state != "acked", Outbox.seq <= upto)).scalar_one()
    pages = _waiting_pages(upto)
    # Records built for the wire and not sent yet, in outbox order (a refused batch's too).
    ready: deque[tuple[Waiting, dict[str, Any], bytes]] = deque()
    missing: dict[str, dict[str, Any]] = {}
    done = 0

    def take_batch() -> _Batch | None:
        taken: list[tuple[Waiting, dict[str, Any], bytes]] = []
        # A laptop that grew its batches to 4 MiB under an older version sends 1 MiB now.
        budget, size = min(row.batch_bytes, MAX_BATCH_BYTES), 0
        while (not taken or size < budget) and len(taken) < MAX_RECORDS_PER_BATCH:
            if not ready:
                entries = next(pages, None)
                if entries is None:
                    break
                ready.extend((entry, item, dumps(item))
                             for entry, item in zip(entries, _wire_records(entries),
                                                    strict=True))
                continue
            taken.append(ready.popleft())
            size += len(taken[-1][2])
        if not taken:
            return None
        # Parents before children whatever the order of their changes: a photo taken
        # before its opinion was edited travels after the opinion's new version.
        ordered = sorted(taken, key=lambda record: RANK[record[1]["c"]])
        sent = EncodedRecords([item for _, item, _ in ordered],
                              [encoded for _, _, encoded in ordered])
        envelope = {"protocol": PROTOCOL_VERSION, "device": row.device_id,
                    "replica": row.replica, "batch": str(uuid.uuid4()), "records": sent}
        return _Batch(taken, sent, size, compressor.submit(client.prepare_push, envelope))

    from sync.client import with_retries

    retries = {"attempts": current_app.config.get("SYNC_ATTEMPTS", 5),
               "base": current_app.config.get("SYNC_BACKOFF", 1.0)}

    def send(batch: _Batch) -> Future[tuple[dict[str, Any], float]]:
        body = batch.body.result()
        return sender.submit(_timed, with_retries, lambda: client.push(body), **retries)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="langnghe-push") as sender, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="langnghe-xz") as compressor:
        batch = take_batch()
        sending = send(batch) if batch else None
        following: _Batch | None = None
        while batch is not None and sending is not None:
            if following is None:
                following = take_batch()  # read and encoded while `batch` is in flight
            try:
                answer, elapsed = sending.result()
            except Unreachable:
                row.batch_bytes = max(MIN_BATCH_BYTES, row.batch_bytes // 2)
                db.session.commit()
                raise
            except BodyTooLarge:
                if len(batch.taken) == 1:
                    raise
                # The central takes less than we sent: send the same records in smaller parts.
                row.batch_bytes = max(MIN_BATCH_BYTES, min(row.batch_bytes, batch.size) // 4)
                if following is not None:
                    ready.extendleft(reversed(following.taken))
                ready.extendleft(reversed(batch.taken))
                batch, following = take_batch(), None
                sending = send(batch) if batch else None
                continue
            # The next batch leaves now; this one's answer is written while it travels.
            sending = send(following) if following else None
            # A good link carries bigger batches next time; a slow one smaller.
            if elapsed < 5:
                row.batch_bytes = min(MAX_BATCH_BYTES, row.batch_bytes * 2)
            elif elapsed > 30:
                row.batch_bytes = max(MIN_BATCH_BYTES, row.batch_bytes // 2)
            sent = batch.sent
            _apply_results(sent, answer, summary)
            if answer.get("held_before", row.held_seq) < row.held_seq:
                summary.central_lost = True
            # Only what the central accepted: it counts its own held sequence the same way.
            results = answer.get("results", "")
            accepted = [item["seq"] for index, item in enumerate(sent)
                        if results[index:index + 1] in ("S", "U")]
            row.held_seq = max([row.held_seq, *accepted])
            row.hlc_last = max(filter(None, [row.hlc_last, *(item["hlc"] for item in sent)]))
            row.epoch = answer.get("epoch") or row.epoch
            db.session.commit()
            for blob in answer.get("missing_blobs", []):
                missing[blob["sha256"]] = blob
            summary.pushed += len(sent)
            summary.batches += 1
            done += len(sent)
            if progress:
                progress("push", done, max(total, done))
            batch, following = following, None
    return list(missing.values())


def upload_blobs(client: SyncClient, missing: list[dict[str, Any]], summary: Summary,
                 progress: Progress | None = None) -> None:
    """Upload the photos the central lacks, in chunks, resuming from its offsets.

    Reads one chunk at a time from disk: a 20 MB photo never sits in memory whole.
    """
    data_dir: Path = current_app.config["DATA_DIR"]
    todo: dict[str, dict[str, Any]] = {}
    for blob in missing:
        path = blob_path(data_dir, blob["sha256"])
        # A photo removed or damaged on this laptop since cannot be sent; the rest still go.
        if not path.exists() or path.stat().st_size != blob["size"]:
            summary.errors.append(f"{blob['sha256'][:12]}: tệp ảnh trên máy bị mất hoặc hỏng")
            continue
        todo[blob["sha256"]] = dict(blob)
    total = sum(blob["size"] for blob in todo.values()) or 1
    failures: dict[str, int] = {}
    while todo:
        chunks, budget = [], CHUNK_BYTES
        for sha, blob in list(todo.items()):
            if budget <= 0:
                break
            with open(blob_path(data_dir, sha), "rb") as stream:
                stream.seek(blob["offset"])
                data = stream.read(min(budget, blob["size"] - blob["offset"]))
            chunks.append((sha, blob["offset"], data))
            budget -= len(data)
        answer = _retrying(lambda chunks=chunks: client.upload(chunks))
        for held in answer["blobs"]:
            sha = held["sha256"]
            if sha not in todo:
                continue
            if held.get("done"):
                todo.pop(sha)
                summary.blobs += 1
            elif held.get("error") == "blob_mismatch" and failures.get(sha):
                # Twice wrong: the file on this laptop is damaged; the next sync asks again.
                todo.pop(sha)
                summary.errors.append(f"{sha[:12]}: {held.get('message')}")
            else:
                if held.get("error") == "blob_mismatch":
                    failures[sha] = 1
                todo[sha]["offset"] = held["offset"]
        if progress:
            left = sum(blob["size"] - blob["offset"] for blob in todo.values())
            progress("photos", total - left, total)


# --- pull --------------------------------------------------------------------------------

def apply_central(change: dict[str, Any], at: datetime | None = None) -> bool:
    """Apply one central change to the local record; return whether it changed anything.

    Newer central stamps win; a record deleted here stays deleted (no resurrection).
    An opinion whose status or answer changes is marked with `at` (the pull's
    start): the opinion list shows it among the new answers.
    """
    if change.get("c") == "village":
        return _apply_village(change)
    if change.get("c") != "opinion":
        return False
    opinion = db.session.get(Opinion, uuid.UUID(change["id"]))
    stamp = change.get("central_hlc")
    if opinion is None or not stamp:
        return False
    changed = _apply_corrections(opinion, change.get("corrections") or {})
    if opinion.central_hlc and opinion.central_hlc >= stamp:
        return changed
    try:
        # The wire's own schema turns dates and ids back into column values.
        central = central_opinion_schema.load(change.get("central") or {})
    except ValidationError:
        return changed  # a value this version cannot read: keep ours, never crash a sync
    before = [getattr(opinion, name) for name in ANSWER_FIELDS]
    for name in CENTRAL_FIELDS["opinion"]:
        if name in central and (name != "status" or central[name]):
            setattr(opinion, name, central[name])
    if [getattr(opinion, name) for name in ANSWER_FIELDS] != before:
        opinion.central_changed_at = at or utcnow()
    opinion.central_hlc = stamp
    clock().receive(Stamp.decode(stamp))
    return True


def _apply_village(change: dict[str, Any]) -> bool:
    """Mark a village the office merged into another (or unmerged); newer stamps win."""
    village = db.session.get(Village, uuid.UUID(change["id"]))
    stamp = change.get("central_hlc")
    if village is None or not stamp or (village.central_hlc and village.central_hlc >= stamp):
        return False
    try:
        central = central_village_schema.load(change.get("central") or {})
    except ValidationError:
        return False  # a value this version cannot read: keep ours, never crash a sync
    if central.get("merged_into") == village.id:
        return False
    for name in CENTRAL_FIELDS["village"]:
        if name in central:
            setattr(village, name, central[name])
    if village.merged_into is None:
        village.merged_into_name = None
    village.central_hlc = stamp
    clock().receive(Stamp.decode(stamp))
    return True


def apply_categories(entries: Any) -> int:
    """Take the office's category list for this commune; return how many rows changed.

    Upserted by code: a renamed one shows its new name, a deactivated one stays
    on old opinions but is no longer offered. A category only this laptop has
    is left as it is. Entries this version cannot read are skipped.
    """
    if not isinstance(entries, list):
        return 0
    changed = 0
    for entry in entries:
        try:
            value = category_entry_schema.load(entry)
        except (ValidationError, TypeError):
            continue
        category = db.session.get(Category, value["code"])
        if category is None:
            category = Category(code=value["code"])
            db.session.add(category)
        fresh = {"name": value["name"], "position": value["position"],
                 "active": value["active"]}
        if any(getattr(category, name) != new for name, new in fresh.items()):
            for name, new in fresh.items():
                setattr(category, name, new)
            changed += 1
    return changed


def apply_changes(changes: list[dict[str, Any]], row: SyncState, summary: Summary | None,
               at: datetime) -> int:
    """Apply a page of central changes; note when answers last came back."""
    applied = sum(apply_central(change, at) for change in changes)
    answers = db.session.execute(select(func.count()).select_from(Opinion).where(
        Opinion.central_changed_at == at)).scalar_one()
    if answers:
        row.answers_pulled_at = at
    if summary is not None:
        summary.answers = answers
    return applied


def _apply_corrections(opinion: Opinion, values: dict[str, Any]) -> bool:
    """Take the office's corrections of field-owned values newer than the laptop's own.

    A record with an unsent local change keeps its value: the central
    decides when that change arrives (per field: a field the laptop did not
    change keeps the office's value; a field both changed goes to the newer
    HLC, the loser kept there) and announces its value again if the office's
    stands. With nothing unsent, the central has merged every local change,
    so the corrections it still holds are the record's values.
    """
    if not values:
        return False
    unsent = db.session.execute(select(Outbox.seq).where(
        Outbox.record_id == opinion.id, Outbox.state != "acked").limit(1)).first()
    if unsent is not None:
        return False
    changed = False
    for name, wire in values.items():
        try:
            value = column_value(name, wire) if name in CORRECTABLE_HERE else None
        except ValidationError:
            continue  # a value this version cannot read: keep ours, never crash a sync
        if name in CORRECTABLE_HERE and getattr(opinion, name) != value:
            if name == "category_code" and db.session.get(Category, value) is None:
                # An office category this laptop has not seen: add it so the opinion shows.
                db.session.add(Category(code=value, name=values.get("category_name") or value,
                                        position=999, active=True))
            setattr(opinion, name, value)
            changed = True
    return changed


def pull(client: SyncClient, row: SyncState, summary: Summary,
         progress: Progress | None = None, at: datetime | None = None) -> dict[str, Any]:
    """Fetch and apply the central's changes page by page; return the last page.

    `at` marks the opinions whose answer or status changed (default: now).
    """
    at = at or utcnow()
    while True:
        page = _retrying(lambda: client.pull(row.pull_cursor))
        db.session.info[APPLYING_CENTRAL] = True
        try:
            summary.pulled += apply_changes(page["changes"], row, summary, at)
            # Only a central that keeps the commune's list sends it (on the last page).
            apply_categories(page.get("categories"))
            # The cursor moves in the same SQLite transaction as the changes it covers.
            row.pull_cursor = page["cursor"]
            db.session.commit()
        finally:
            db.session.info.pop(APPLYING_CENTRAL, None)
        if progress:
            progress("pull", summary.pulled, summary.pulled)
        if not page.get("more"):
            return page


def reoffer(client: SyncClient, summary: Summary) -> int:
    """Ask the central which acknowledged records it lacks; send those again."""
    acked = db.session.execute(select(Outbox.record_id, Outbox.hlc)
                               .where(Outbox.state == "acked")).all()
    lacking: list[uuid.UUID] = []
    for start in range(0, len(acked), 5000):
        offered = [[str(item.record_id), item.hlc] for item in acked[start:start + 5000]]
        answer = _retrying(lambda offered=offered: client.lacking(offered))
        lacking.extend(uuid.UUID(key) for key in answer["lacking"])
    for start in range(0, len(lacking), 500):
        db.session.execute(update(Outbox).where(
            Outbox.state == "acked", Outbox.record_id.in_(lacking[start:start + 500]))
            .values(state="pending"))
    db.session.commit()
    summary.reoffered += len(lacking)
    return len(lacking)


def run_sync(progress: Progress | None = None) -> Summary:
    """Push, upload photos, pull; then, if the central lost data, re-offer and push again."""
    if not _RUNNING.acquire(blocking=False):
        raise SyncBusy()
    summary = Summary()
    try:
        row = state()
        client = make_client(row)
        row.last_attempt_at = utcnow()
        db.session.commit()
        missing = push(client, row, summary, progress)
        upload_blobs(client, missing, summary, progress)
        known_held, known_epoch = row.held_seq, row.epoch
        pulled_at = utcnow()
        page = pull(client, row, summary, progress, pulled_at)
        if page.get("missing_blobs"):
            # Photos whose upload was cut for good or refused last time.
            upload_blobs(client, page["missing_blobs"], summary, progress)
        if (summary.central_lost or page.get("epoch") != known_epoch
                or page.get("held_seq", known_held) < known_held):
            # The central forgot what it had acknowledged (restored from a backup). Its
            # change numbers restart from the backup's too: pull everything again (applying
            # a change twice is harmless, its stamp is compared).
            row.pull_cursor = 0
            pull(client, row, summary, progress, pulled_at)
            if reoffer(client, summary):
                row.held_seq = page.get("held_seq", 0)
                missing = push(client, row, summary, progress)
                upload_blobs(client, missing, summary, progress)
            row.epoch = page.get("epoch")
        row.last_sync_at = utcnow()
        row.last_error = row.last_error_code = None
        summary.round_trips = client.round_trips
        summary.bytes_sent, summary.bytes_received = client.bytes_sent, client.bytes_received
        row.last_result = summary.as_dict()
        db.session.commit()
        return summary
    except SyncError as exc:
        db.session.rollback()
        row = state()
        row.last_error, row.last_error_code = exc.message, exc.code
        db.session.commit()
        raise
    finally:
        _RUNNING.release()


# --- no link at all: USB bundle and acknowledgement file -------------------------------

def export_bundle(path: Path) -> dict[str, Any]:
    """Write every unacknowledged record and its photos to a signed bundle file."""
    from sync.bundle import write_bundle

    row = state()
    if not (row.device_id and row.secret):
        raise NotEnrolled()
    records = waiting_records()
    data_dir: Path = current_app.config["DATA_DIR"]
    shas = sorted({item["data"]["sha256"] for item in records
                   if item["c"] == "attachment" and item["op"] == "put"})
    blobs = [(sha, blob_path(data_dir, sha)) for sha in shas
             if blob_path(data_dir, sha).exists()]
    manifest = write_bundle(Path(path), row.device_id, row.secret, row.replica, records, blobs)
    return {"records": len(records), "blobs": len(blobs), "batch": manifest["batch"]}


def import_ack(data: bytes) -> tuple[int, int]:
    """Read the central's acknowledgement file; return (records acknowledged, answers applied).

    Marks as acknowledged what the central holds, and applies the office's
    changes it carries, as a pull would.
    """
    from sync.bundle import read_ack

    row = state()
    if not (row.device_id and row.secret):
        raise NotEnrolled()
    held, changes, extras = read_ack(data, row.device_id, row.secret)
    acked = 0
    for record_id, hlc in held:
        newest = db.session.execute(select(func.max(Outbox.seq)).where(
            Outbox.record_id == record_id, Outbox.hlc <= hlc)).scalar()
        if newest is None:
            continue
        db.session.execute(delete(Outbox).where(Outbox.record_id == record_id,
                                                Outbox.seq < newest))
        acked += db.session.execute(update(Outbox).where(
            Outbox.seq == newest, Outbox.state != "acked").values(
            state="acked", reject_code=None, reject_message=None)).rowcount
    db.session.info[APPLYING_CENTRAL] = True
    try:
        applied = apply_changes(changes, row, None, utcnow())
        apply_categories(extras.get("categories"))
        # The office has what the file names: a failed network try before it says nothing
        # true any more, and the page's "last time" line is this file's.
        row.last_error = row.last_error_code = None
        row.last_sync_at = utcnow()
        row.last_result = {"usb": True, "acked": acked, "pulled": applied}
        db.session.commit()
    finally:
        db.session.info.pop(APPLYING_CENTRAL, None)
    forget_badge_count()
    return acked, applied
