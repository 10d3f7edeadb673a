"""Feed the outbox from every create, update and delete of a synced record.

A session hook, not calls sprinkled through the domains: whatever path
changes a forum or an opinion (form, JSON API, amendment, CSV import), the
change is logged in the same transaction, so no recorded word can be
missed by sync.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import String, Uuid, event, func, inspect, select, type_coerce
from sqlalchemy.orm import Session

from sync.clock import HybridClock, Stamp
from sync.records import PARENTS, SCHEMAS

from ..areas.models import Village
from ..attachments.models import Attachment
from ..errors import ValidationFailed
from ..extensions import db
from ..forums.models import Amendment, Decision, Forum
from ..opinions.models import Category, Opinion
from ..rules import plain, wire_errors
from .models import Outbox, SyncState

MODELS: dict[str, type] = {
    "village": Village, "forum": Forum, "decision": Decision, "amendment": Amendment,
    "opinion": Opinion, "attachment": Attachment,
}
COLLECTION_OF = {model: name for name, model in MODELS.items()}
# What travels: the schema's fields that are columns of the model (never central-owned ones).
WIRE_COLUMNS = {
    name: tuple(column for column in SCHEMAS[name].fields
                if column in inspect(model).columns)  # type: ignore[union-attr]
    for name, model in MODELS.items()
}
# Set on a session while it applies what the central sent: those changes are not ours to push.
APPLYING_CENTRAL = "applying_central"
CLOCK = "langnghe_clock"


def wire_data(collection: str, row: Any) -> dict[str, Any]:
    """Return a record's field-owned values as they go on the wire."""
    data = {name: plain(getattr(row, name)) for name in WIRE_COLUMNS[collection]}
    if collection == "opinion":
        data["category_name"] = row.category.name if row.category else None
    return data


def wire_data_many(collection: str, ids: list[uuid.UUID]) -> dict[str, dict[str, Any]]:
    """Return `wire_data` of these records by id (as text), in one query; a deleted one is absent.

    Columns, not ORM objects: building a push batch this way costs a tenth of
    loading each row (and its category) into the session.
    """
    table = MODELS[collection].__table__
    names = WIRE_COLUMNS[collection]
    # Ids read as the stored text: making a UUID of each and a string of it again was a
    # fifth of the push's CPU.
    ids_at = {index for index, name in enumerate(names)
              if isinstance(table.c[name].type, Uuid)}
    columns = [type_coerce(table.c[name], String) if index in ids_at else table.c[name]
               for index, name in enumerate(names)]
    query = select(type_coerce(table.c.id, String), *columns).where(table.c.id.in_(ids))
    if collection == "opinion":  # its category's name travels with it
        query = query.add_columns(Category.name).outerjoin(
            Category, Category.code == table.c.category_code)
        names = (*names, "category_name")
    made: dict[str, dict[str, Any]] = {}
    for row in db.session.execute(query):
        made[uuid_text(row[0])] = {
            name: (uuid_text(value) if index in ids_at else plain(value))
            for index, (name, value) in enumerate(zip(names, row[1:], strict=True))}
    return made


def uuid_text(value: Any) -> str | None:
    """Return a stored UUID (32 hex digits on SQLite, or a UUID) as its canonical text."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(uuid.UUID(str(value)))


def clock() -> HybridClock:
    """Return this laptop's hybrid logical clock, resumed past every stamp it made."""
    existing = current_app.extensions.get(CLOCK)
    if existing is not None:
        return existing
    state = db.session.get(SyncState, 1)
    replica = state.replica if state else "unset"
    last = max(filter(None, [state.hlc_last if state else None,
                             db.session.execute(select(func.max(Outbox.hlc))).scalar()]),
               default=None)
    made = HybridClock(replica.replace("-", "")[:12],
                       last=Stamp.decode(last) if last else None)
    current_app.extensions[CLOCK] = made
    return made


def _changed(session: Session, obj: Any) -> bool:
    return session.is_modified(obj, include_collections=False)


# Always sent, never a change of what was said: they do not count as touched.
_STAMPS = {"created_at", "updated_at"}


def _touched(collection: str, obj: Any) -> str:
    """Return the wire fields this change of `obj` touched, comma-separated.

    The central merges per field: a field the laptop did not touch keeps an
    office correction the laptop has not pulled yet.
    """
    state = inspect(obj)
    names = {name for name in WIRE_COLUMNS[collection]
             if name not in _STAMPS and state.attrs[name].history.has_changes()}
    if "category_code" in names:
        names.add("category_name")  # travels with its code
    return ",".join(sorted(names))


def _pending_wire_data(collection: str, obj: Any) -> dict[str, Any]:
    """Return `wire_data` before the flush has copied parents' ids into foreign keys."""
    data = wire_data(collection, obj)
    for name in PARENTS[collection]:
        parent = getattr(obj, name.removesuffix("_id"), None) if data.get(name) is None else None
        if parent is not None:
            data[name] = plain(parent.id)
    return data


def _before_flush(session: Session, flush_context, instances) -> None:
    if session.info.get(APPLYING_CENTRAL):
        return
    try:
        if current_app.config.get("ROLE") != "field":
            return
    except RuntimeError:  # no app: nothing to sync from
        return
    changes: list[tuple[str, Any, str, str | None]] = []
    for obj in session.new:
        if type(obj) in COLLECTION_OF:
            changes.append((COLLECTION_OF[type(obj)], obj, "put", None))
    for obj in session.dirty:
        if type(obj) in COLLECTION_OF and _changed(session, obj):
            collection = COLLECTION_OF[type(obj)]
            changes.append((collection, obj, "put", _touched(collection, obj)))
    for obj in session.deleted:
        if type(obj) in COLLECTION_OF:
            changes.append((COLLECTION_OF[type(obj)], obj, "delete", None))
    if not changes:
        return
    for _collection, obj, _op, _fields in changes:
        if obj.id is None:
            obj.id = uuid.uuid4()
    for collection, obj, op, _fields in changes:
        # The last guard of "nothing stored here is refused there for its shape":
        # whatever path changed the record, it is judged as the central will judge it.
        errors = wire_errors(collection, _pending_wire_data(collection, obj), whole=True) \
            if op == "put" else {}
        if errors:
            raise ValidationFailed(_("Có ô chưa hợp lệ; hãy sửa các ô được đánh dấu."), errors)
    hlc = clock()
    for collection, obj, op, fields in changes:
        session.add(Outbox(collection=collection, record_id=obj.id, op=op, fields=fields,
                           hlc=hlc.now().encode()))


def install() -> None:
    """Listen on every session once per process (the role is checked per flush)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
