"""The central's identity, enrolment codes, devices and request nonces."""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from .clock import HybridClock, Stamp
from .errors import (
    BadEnrolmentCode,
    DeviceRevoked,
    Replayed,
    UnknownDevice,
    WrongCommune,
)
from .records import (
    CONTROL,
)
from .tables import _insert, _label, _now, change, device, enrolment, meta, nonce, record
from .text import fold

ENROLMENT_TTL = timedelta(days=7)
# Unambiguous on a phone screen or read aloud: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


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
