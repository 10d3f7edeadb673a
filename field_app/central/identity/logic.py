"""Keep a denouncer's identity apart: sealed at ingest, moved when the kind changes,
revealed only to a role allowed to see it (each look in the audit), redacted on the
copy a unit receives.

Where it could otherwise stay in clear at the central, and what happens there:

* `sync_record.data` (the wire's log): `withhold` takes the fields out before the
  record is written (`sync.store.on_checked`), `settle` seals them after
  (`sync.store.on_stored`, registered before the office projection), both in the
  ingest's transaction; a laptop's later edit arrives whole and is stripped again.
* `office_opinion`: the projection writes what the log holds, so nothing.
* `office_audit` and `sync_conflict`: scrubbed for a record that becomes a tố cáo.
* pulls and the USB acknowledgement file carry central fields and the office's
  corrections (kind, category, level) only, never a raiser field.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Connection, delete, select, update

from sync import store

from ...areas.logic import place_name
from ...errors import Forbidden, NotFound, ValidationFailed
from ...extensions import db
from ...models_base import utcnow
from ...opinions.logic import vietnam_today
from ..accounts.permissions import can
from ..catalogue.models import Unit
from ..inbox import logic as inbox
from ..inbox.models import AuditEntry, OfficeOpinion
from ..inbox.projection import name_text, words_of
from .keys import InvalidToken, Sealer, sealer_for
from .models import ProtectedIdentity
from .rules import COLUMNS, PROTECTED, is_protected, office_kind

identities = ProtectedIdentity.__table__
# A forwarding slip lists at most this many opinions (one unit, one sheet or a few).
MAX_SLIP = 50


# --- at ingest (sync listeners, plain SQLAlchemy Core on the ingest's connection) --------

def withhold(conn: Connection, dev, items: list[store.Checked]) -> None:
    """Take a tố cáo's identity out of the record before the wire's log stores it."""
    for item in items:
        if item.collection == "opinion" and not item.deleted and is_protected(item.data):
            assert item.data is not None
            item.withheld = {name: item.data.pop(name) for name in PROTECTED
                             if name in item.data}


def settler(sealer: Sealer):
    """Return the `on_stored` listener that seals what `withhold` took, for this key."""

    def settle(conn: Connection, stored: store.Stored) -> None:
        seal_stored(conn, sealer, stored)

    return settle


def seal_stored(conn: Connection, sealer: Sealer, stored: store.Stored) -> None:
    """Seal the identities of the tố cáo a batch stored; release those no longer one.

    The kind stored may differ from the one `withhold` saw: an office correction of the
    kind wins over a laptop that did not change it (`_resolve_corrections`).
    """
    opinions = [item for item in stored.items if item.collection == "opinion"
                and not item.deleted and item.data is not None]
    if not opinions:
        return
    # An opinion new to the central has no sealed identity yet: only the others can.
    new = stored.new or frozenset()
    known = [item.id for item in opinions if item.id not in new]
    held = set(conn.execute(select(identities.c.opinion_id).where(
        store.among(conn, identities.c.opinion_id, known))).scalars()) if known else set()
    rewrite: dict[uuid.UUID, dict] = {}
    newly: list[uuid.UUID] = []
    for item in opinions:
        data = item.data
        assert data is not None
        if is_protected(data):
            present = {name: data.pop(name) for name in PROTECTED if name in data}
            if present:  # turned into a tố cáo by the office's correction, just now
                rewrite[item.id] = data
            identity = {**(item.withheld or {}), **present}
            if not identity and item.id in held:
                identity = _open(conn, sealer, item.id)  # sent none of it: keep what is held
            _keep(conn, sealer, item.id, item.commune_code, identity, stored.at)
            if item.id not in held:
                newly.append(item.id)
            item.withheld = identity
        else:
            restored = dict(item.withheld or {})
            if not restored and item.id in held and not any(name in data for name in PROTECTED):
                restored = _open(conn, sealer, item.id)
            if restored:
                data.update(restored)
                rewrite[item.id] = data
            item.withheld = None
            if item.id in held:
                conn.execute(delete(identities).where(identities.c.opinion_id == item.id))
    for record_id, data in rewrite.items():
        conn.execute(update(store.record).where(store.record.c.id == record_id)
                     .values(data=data))
    if newly:
        scrub(conn, newly)


def _open(conn: Connection, sealer: Sealer, opinion_id: uuid.UUID) -> dict[str, Any]:
    sealed = conn.execute(select(identities.c.sealed).where(
        identities.c.opinion_id == opinion_id)).scalar()
    return sealer.open(sealed) if sealed else {}


def _keep(conn: Connection, sealer: Sealer, opinion_id: uuid.UUID, commune_code: int | None,
          identity: dict[str, Any], now: datetime) -> None:
    """Store the sealed identity, replacing any; nothing left of it: none kept."""
    values = {name: value for name, value in identity.items() if value not in (None, "")}
    conn.execute(delete(identities).where(identities.c.opinion_id == opinion_id))
    if values:
        conn.execute(identities.insert().values(
            opinion_id=opinion_id, commune_code=commune_code or 0,
            sealed=sealer.seal(values), updated_at=now))


def scrub(conn: Connection, record_ids: list[uuid.UUID]) -> None:
    """Blank the identity in the history and the conflicts of records now protected."""
    audit = AuditEntry.__table__
    rows = conn.execute(select(audit.c.id, audit.c.changes).where(
        store.among(conn, audit.c.record_id, record_ids), audit.c.changes.is_not(None)))
    for row in rows.all():
        if any(name in PROTECTED for name in row.changes):
            changes = {name: ([None, None] if name in PROTECTED else pair)
                       for name, pair in row.changes.items()}
            conn.execute(update(audit).where(audit.c.id == row.id).values(changes=changes))
    conn.execute(update(store.conflict).where(
        store.among(conn, store.conflict.c.record_id, record_ids),
        store.conflict.c.field.in_(PROTECTED)).values(winner=None, loser=None))


def seal_existing(conn: Connection, sealer: Sealer) -> int:
    """Seal what a central kept in clear before this version (run once, by migration o008).

    Returns how many tố cáo were sealed.
    """
    rows = conn.execute(select(store.record.c.id, store.record.c.commune_code,
                               store.record.c.data).where(
        store.record.c.collection == "opinion")).all()
    done: list[uuid.UUID] = []
    now = utcnow()
    table = OfficeOpinion.__table__
    for row in rows:
        data = dict(row.data or {})
        if not is_protected(data):
            continue
        office = conn.execute(select(*(table.c[name] for name in COLUMNS))
                              .where(table.c.id == row.id)).first()
        identity = {**(office._asdict() if office else {}),
                    **{name: data.pop(name) for name in PROTECTED if name in data}}
        _keep(conn, sealer, row.id, row.commune_code, identity, now)
        conn.execute(update(store.record).where(store.record.c.id == row.id).values(data=data))
        kind, anonymous = office_kind(data, identity)
        # Run by o008, before search_words exists: o012 makes them from raiser_folded.
        conn.execute(update(table).where(table.c.id == row.id).values(
            **dict.fromkeys(COLUMNS), raiser_folded=None, kind=kind,
            anonymous_denunciation=anonymous))
        done.append(row.id)
    if done:
        scrub(conn, done)
    return len(done)


# --- in the office (the request's session) ------------------------------------------------

def after_office_update(account, opinion: OfficeOpinion, changes: dict[str, Any]) -> None:
    """Move the identity when the office reclassifies an opinion to or from tố cáo
    (an `inbox.logic.on_updated` listener, in the change's transaction)."""
    if "kind" not in changes:
        return
    sealer = sealer_for(current_app)
    conn = db.session.connection()
    data = dict(conn.execute(select(store.record.c.data).where(
        store.record.c.id == opinion.id)).scalar() or {})
    held = db.session.get(ProtectedIdentity, opinion.id)
    now = utcnow()
    if is_protected(data):
        identity = {name: getattr(opinion, name) for name in COLUMNS}
        identity.update({name: data.pop(name) for name in PROTECTED if name in data})
        if held is not None:
            identity = {**sealer.open(held.sealed),
                        **{name: value for name, value in identity.items() if value}}
            db.session.delete(held)
            db.session.flush()
        _keep(conn, sealer, opinion.id, opinion.commune_code, identity, now)
        conn.execute(update(store.record).where(store.record.c.id == opinion.id)
                     .values(data=data))
        for name in COLUMNS:
            setattr(opinion, name, None)
        opinion.raiser_folded = None
        opinion.search_words = words_of(opinion.folded, None)
        opinion.kind, opinion.anonymous_denunciation = office_kind(data, identity)
        scrub(conn, [opinion.id])
        action = "identity_sealed"
    elif held is not None:
        identity = sealer.open(held.sealed)
        data.update(identity)
        conn.execute(update(store.record).where(store.record.c.id == opinion.id)
                     .values(data=data))
        for name in COLUMNS:
            setattr(opinion, name, identity.get(name))
        opinion.anonymous_denunciation = False
        opinion.raiser_folded = name_text({"kind": opinion.kind,
                                           "raiser_name": opinion.raiser_name})
        opinion.search_words = words_of(opinion.folded, opinion.raiser_folded)
        db.session.delete(held)
        action = "identity_released"
    else:
        return
    db.session.add(AuditEntry(collection="opinion", record_id=opinion.id,
                              commune_code=opinion.commune_code, at=now, source="office",
                              action=action, account_id=account.id, actor=account.username))


def reveal(account, opinion_id: uuid.UUID) -> dict[str, Any]:
    """Return a denouncer's identity to a role allowed to see it; the look is audited.

    Raises Forbidden for any other role, NotFound outside the account's scope or when
    nothing is protected.
    """
    if not can(account, "identity.view"):
        raise Forbidden(_("Tài khoản của bạn không được xem danh tính người tố cáo."))
    opinion = inbox.get_opinion(account, opinion_id)
    held = db.session.get(ProtectedIdentity, opinion.id)
    if held is None:
        raise NotFound(_("Ý kiến này không có danh tính người tố cáo được bảo vệ."))
    try:
        identity = sealer_for(current_app).open(held.sealed)
    except InvalidToken:
        raise ValidationFailed(_("Không giải mã được danh tính: khoá bảo vệ danh tính của "
                                 "máy chủ không phải khoá đã dùng để niêm phong (xem README, "
                                 "sao lưu khoá).")) from None
    db.session.add(AuditEntry(collection="opinion", record_id=opinion.id,
                              commune_code=opinion.commune_code, at=utcnow(), source="office",
                              action="identity_viewed", account_id=account.id,
                              actor=account.username))
    return {name: identity.get(name) for name in PROTECTED}


# --- the forwarding slip (phiếu chuyển): the copy a unit receives -------------------------

@dataclass
class SlipLine:
    """One opinion on a forwarding slip, its raiser redacted when protected."""

    opinion: OfficeOpinion
    village: str | None
    protected: bool
    raiser: str | None


@dataclass
class Slip:
    unit: Unit
    commune_code: int
    lines: list[SlipLine]
    made_on: date  # in Vietnam: a slip printed at 6 a.m. is not dated the day before
    place: str | None = None  # "Mường La", before "ngày …" as on every administrative paper

    @property
    def due_on(self) -> date | None:
        """The earliest due date of its opinions (a case's members share the case's)."""
        return min((line.opinion.due_on for line in self.lines if line.opinion.due_on),
                   default=None)

    @property
    def holds_denunciation(self) -> bool:
        """Tell whether a denouncer's identity was kept off it (and the unit must keep it so)."""
        return any(line.protected for line in self.lines)


def forwarding_slip(account, unit_id: int | None, opinion_ids: list[uuid.UUID]) -> Slip:
    """Return the forwarding slip of these opinions to a unit, identities redacted.

    A tố cáo's denouncer is never on it (Luật Tố cáo 2018, Art. 47: stripped from copies
    sent for verification); another citizen's name only when the account may see names,
    a phone never (the unit reaches the citizen through the commune).
    """
    if not opinion_ids:
        raise ValidationFailed(_("Hãy chọn ít nhất một ý kiến để chuyển."),
                               {"fields": {"opinion": ["required"]}})
    if len(opinion_ids) > MAX_SLIP:
        raise ValidationFailed(_("Một phiếu chuyển có tối đa %(n)s ý kiến.", n=MAX_SLIP),
                               {"fields": {"opinion": ["too many"]}, "limit": MAX_SLIP})
    opinions = [inbox.get_opinion(account, key) for key in dict.fromkeys(opinion_ids)]
    communes = {item.commune_code for item in opinions}
    unit = db.session.get(Unit, unit_id) if unit_id is not None else None
    if unit is None or (unit.commune_code is not None and communes != {unit.commune_code}):
        raise ValidationFailed(_("Đơn vị nhận không có trong danh sách của xã."),
                               {"fields": {"unit": ["unknown"]}})
    if len(communes) > 1:
        raise ValidationFailed(_("Một phiếu chuyển chỉ gồm ý kiến của một xã."),
                               {"fields": {"opinion": ["several communes"]}})
    names = inbox.names_for(opinions)["villages"]
    personal = can(account, "personal.view")
    lines = []
    for item in opinions:
        protected = item.identity_protected
        raiser = None if protected or not personal else item.raiser_name
        lines.append(SlipLine(item, names.get(item.village_id), protected, raiser))
    commune = communes.pop()
    return Slip(unit, commune, lines, vietnam_today(), place_name(commune))

