"""Devices as the office sees them, within the account's communes (plain functions)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Connection, func, select

from sync import store

from ...errors import Forbidden, NotFound
from ..accounts.permissions import in_commune, scoped


def devices(conn: Connection, account) -> list[Any]:
    """Return the enrolled devices the account may see, with what each sent, newest first."""
    rows = conn.execute(scoped(select(store.device), account, store.device.c.commune_code)
                        .order_by(store.device.c.last_push_at.desc().nulls_last(),
                                  store.device.c.created_at.desc())).all()
    counts: dict[str, int] = {}
    if rows:
        counts = dict(conn.execute(
            select(store.record.c.device_id, func.count())
            .where(store.record.c.device_id.in_([row.id for row in rows]))
            .group_by(store.record.c.device_id)).all())
    return [{**row._mapping, "records": counts.get(row.id, 0)} for row in rows]


def recent_pushes(conn: Connection, account, limit: int = 30) -> list[Any]:
    query = select(store.push_log).join(store.device,
                                        store.device.c.id == store.push_log.c.device_id)
    query = scoped(query, account, store.device.c.commune_code)
    return list(conn.execute(query.order_by(store.push_log.c.id.desc()).limit(limit)))


def device_in_scope(conn: Connection, account, device_id: str):
    """Return the device row if the account may act on it; 404 if unknown, 403 if not its."""
    row = conn.execute(select(store.device).where(store.device.c.id == device_id)).first()
    if row is None:
        raise NotFound(_("Không có máy nào mang mã %(id)s.", id=device_id))
    if not in_commune(account, row.commune_code):
        raise Forbidden(_("Máy này thuộc xã khác."))
    return row


def check_commune(account, commune_code: int) -> None:
    """Refuse to act for a commune outside the account's (an enrolment code, a bundle)."""
    if not in_commune(account, commune_code):
        raise Forbidden(_("Tài khoản của bạn chỉ làm việc với xã của mình."))


def labels(conn: Connection, device_ids: set[str]) -> dict[str, str]:
    """Return the label the office gave each of these devices (sync_device.label)."""
    if not device_ids:
        return {}
    return dict(conn.execute(select(store.device.c.id, store.device.c.label)
                             .where(store.device.c.id.in_(device_ids))).all())


def pushes(conn: Connection, push_ids: set[int]) -> dict[int, Any]:
    """Return these pushes (sync_push rows: when, via network or USB bundle, counts)."""
    if not push_ids:
        return {}
    return {row.id: row for row in conn.execute(
        select(store.push_log).where(store.push_log.c.id.in_(push_ids)))}
