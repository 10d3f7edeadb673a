"""Central office operations: plain functions on a SQLAlchemy connection."""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Connection, func, select

from sync import store
from sync.clock import HybridClock

from ..errors import ValidationFailed
from ..extensions import db
from .models import ROLES, Account


def create_account(username: str, password: str, role: str = "admin",
                   commune_code: int | None = None) -> Account:
    """Add an office account; refuse a short password or a taken name."""
    username = (username or "").strip()
    if not username or len(password or "") < 8:
        raise ValidationFailed(_("Tên đăng nhập bắt buộc; mật khẩu ít nhất 8 ký tự."))
    if role not in ROLES:
        raise ValidationFailed(_("Vai trò không hợp lệ."))
    if db.session.execute(select(Account).where(Account.username == username)).first():
        raise ValidationFailed(_("Tên đăng nhập này đã có."))
    account = Account(username=username, role=role, commune_code=commune_code)
    account.set_password(password)
    db.session.add(account)
    db.session.flush()
    return account


def devices(conn: Connection) -> list[Any]:
    """Return every enrolled device with what it sent, newest activity first."""
    counts = dict(conn.execute(select(store.record.c.device_id, func.count())
                               .group_by(store.record.c.device_id)).all())
    rows = conn.execute(select(store.device).order_by(
        store.device.c.last_push_at.desc().nulls_last(), store.device.c.created_at.desc()))
    return [{**row._mapping, "records": counts.get(row.id, 0)} for row in rows]


def recent_pushes(conn: Connection, limit: int = 30) -> list[Any]:
    return list(conn.execute(select(store.push_log).order_by(store.push_log.c.id.desc())
                             .limit(limit)))


def received(conn: Connection, collection: str = "opinion", device_id: str | None = None,
             limit: int = 200) -> list[Any]:
    """Return received records of one collection with their village's name."""
    query = (select(store.record).where(store.record.c.collection == collection)
             .order_by(store.record.c.received_at.desc()).limit(limit))
    if device_id:
        query = query.where(store.record.c.device_id == device_id)
    rows = list(conn.execute(query))
    village_ids = {row.village_id for row in rows if row.village_id}
    names = {}
    if village_ids:
        names = {row.id: (row.data or {}).get("name") for row in conn.execute(
            select(store.record.c.id, store.record.c.data)
            .where(store.record.c.id.in_(village_ids)))}
    flagged: dict[uuid.UUID, list] = {}
    if rows:
        for item in conn.execute(select(store.conflict).where(
                store.conflict.c.record_id.in_([row.id for row in rows]))
                .order_by(store.conflict.c.id)):
            flagged.setdefault(item.record_id, []).append(item)
    return [{**row._mapping, "village_name": names.get(row.village_id),
             "conflicts": flagged.get(row.id, [])} for row in rows]


_CLOCK: dict[str, HybridClock] = {}


def update_opinion(conn: Connection, record_id: uuid.UUID, values: dict[str, Any],
                   by: str) -> dict[str, Any]:
    """Set an opinion's workflow fields; the laptops get them on their next pull."""
    clean = {name: (value if value not in ("", None) else None)
             for name, value in values.items()}
    if "clock" not in _CLOCK:
        _CLOCK["clock"] = store.central_clock(conn)
    return store.set_central_fields(conn, record_id, clean, by, _CLOCK["clock"])
