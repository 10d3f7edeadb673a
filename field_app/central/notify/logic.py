"""Tell a citizen their answer: queue a text when an opinion gets or changes its answer,
send it after the change commits, retry failures with backoff.

Never inside the ingest's or the answer's transaction: a slow or failing gateway
must not hold a database lock nor undo an answer. The message is queued in the
answer's transaction (so it exists exactly when the answer does) and sent once
that transaction has committed (`after_commit`), by a retry thread of the
central process, or by a person ("Gửi các tin đang chờ", "Gửi lại").

A denouncer (tố cáo) gets no message from here: the phone is sealed
(identity.logic), and a message through the outbox, its log file or a gateway
would tie that phone to the denunciation in clear. The result of a tố cáo is
told by the resolver in writing (Luật Tố cáo 2018), outside this outbox.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import Connection, event, func, select, update

from sync import store

from ...areas.logic import commune_label
from ...errors import NotFound
from ...extensions import db
from ...models_base import utcnow
from ...text import vietnamese_phone
from ..accounts.permissions import scoped
from ..inbox.answers import ANSWERED_STATUSES
from ..inbox.models import OfficeOpinion
from .models import Notification

log = logging.getLogger(__name__)

DEFAULT_SENDER = "field_app.central.notify.senders:log_file"
# Tries before a message waits for a person's "Gửi lại"; seconds before the first retry,
# doubled after each failure up to MAX_BACKOFF.
MAX_ATTEMPTS = 8
BACKOFF = 60.0
MAX_BACKOFF = timedelta(hours=6)
# How much of the answer the text carries: two SMS segments of Vietnamese (UCS-2).
GIST = 80
# Not sent yet: a sender may still take them, or a person send them by hand.
UNSENT = ("queued", "failed", "logged")


def sender_of(config) -> Callable[[str, str, Any], None]:
    """Return the sender the config names (`NOTIFY_SENDER = "module:function"`)."""
    name = config.get("NOTIFY_SENDER") or DEFAULT_SENDER
    if callable(name):
        return name
    module, _sep, attribute = str(name).partition(":")
    return getattr(importlib.import_module(module), attribute)


def by_hand(config) -> bool:
    """Tell whether the configured sender only writes messages down for a person to send."""
    return bool(getattr(sender_of(config), "by_hand", False))


def message_text(opinion: OfficeOpinion) -> str:
    """Return the text: who answered, the answer's gist, where to read it whole."""
    answer = " ".join((opinion.answer_text or "").split())
    gist = answer if len(answer) <= GIST else answer[:GIST].rsplit(" ", 1)[0] + "…"
    said = opinion.received_on.strftime("%d/%m/%Y") if opinion.received_on else ""
    commune = commune_label(opinion.commune_code).split(" (")[0]
    return _("%(commune)s trả lời ý kiến ông/bà gửi ngày %(day)s: %(gist)s "
             "Toàn văn: tại UBND xã hoặc buổi họp bản tới.",
             commune=commune, day=said, gist=gist)


def after_office_update(account, opinion: OfficeOpinion, changes: dict[str, Any]) -> None:
    """Queue a message when an answer is given or changed (an `inbox.logic.on_updated`
    listener, in the answer's transaction); sent once it commits.

    Given: the opinion (or its case) reaches "answered" or "closed" with an answer text,
    or its text changes there. A text saved with the status still "received" is a draft:
    the citizen must not hear "the commune answered" while the office lists it received.
    """
    if opinion.status not in ANSWERED_STATUSES or not (opinion.answer_text or "").strip():
        return  # a draft answer, or one not given yet: the citizen is told nothing
    status = changes.get("status")
    newly_answered = status is not None and status[0] not in ANSWERED_STATUSES
    if "answer_text" not in changes and not newly_answered:
        return
    if opinion.identity_protected or not opinion.raiser_phone:
        return  # a denouncer: see the module's docstring; no phone: no one to tell
    now = utcnow()
    phone = vietnamese_phone(opinion.raiser_phone)
    message = Notification(opinion_id=opinion.id, commune_code=opinion.commune_code,
                           phone=(phone or opinion.raiser_phone)[:20],
                           text=message_text(opinion), status="queued", attempts=0,
                           created_at=now, next_attempt_at=now)
    if phone is None:
        message.status, message.next_attempt_at = "failed", None
        message.last_error = _("Số điện thoại không hợp lệ: %(phone)s",
                               phone=opinion.raiser_phone)[:500]
    db.session.add(message)
    if phone is not None:
        db.session.info["notify_app"] = current_app._get_current_object()


def cancel_deleted(conn: Connection, stored: store.Stored) -> None:
    """Cancel the unsent messages of the opinions a batch deleted (a `sync.store.on_stored`
    listener after the projection, in the ingest's transaction): a village that deleted
    an opinion must not see its citizen told an answer to it."""
    ids = [item.id for item in stored.items if item.collection == "opinion" and item.deleted]
    if not ids:
        return
    gone = select(OfficeOpinion.id).where(OfficeOpinion.id.in_(ids),
                                          OfficeOpinion.deleted.is_(True))
    conn.execute(update(Notification.__table__)
                 .where(Notification.opinion_id.in_(gone),
                        Notification.status.in_(UNSENT))
                 .values(status="cancelled", next_attempt_at=None,
                         last_error=_("Ý kiến đã bị máy bản xoá: tin nhắn không gửi.")[:500]))


def _after_commit(session) -> None:
    app = session.info.pop("notify_app", None)
    if app is not None:
        wake = app.extensions.get("notify_wake")
        if wake is not None:
            # The served central: its sender thread sends now; the officer who answered a
            # case of 200 opinions does not wait for 200 messages.
            wake.set()
            return
        try:
            send_due(app)
        except Exception:  # noqa: BLE001 - the answer is committed; the retry thread sends it
            log.exception("sending queued messages failed")


def _after_rollback(session, previous_transaction) -> None:
    session.info.pop("notify_app", None)


def listen() -> None:
    """Send after every commit that queued a message (once per process)."""
    if not event.contains(db.session, "after_commit", _after_commit):
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_soft_rollback", _after_rollback)


@dataclass
class Sent:
    sent: int = 0
    failed: int = 0


def due_query(now: datetime, ids: list[int] | None = None, force: bool = False):
    query = select(Notification.id).where(Notification.status.in_(("queued", "failed")))
    if ids is not None:
        return query.where(Notification.id.in_(ids))
    if not force:
        query = query.where(Notification.next_attempt_at <= now,
                            Notification.attempts < MAX_ATTEMPTS)
    return query.order_by(Notification.id)


def send_due(app: Flask, ids: list[int] | None = None, force: bool = False) -> Sent:
    """Send the messages whose time has come (or `ids`, or all waiting if `force`).

    Runs in its own app context and session, each message committed on its own: a
    crash half-way never sends one twice, two processes never take the same one.
    """
    done = Sent()
    sender = sender_of(app.config)
    with app.app_context():
        try:
            waiting = list(db.session.execute(due_query(utcnow(), ids, force)).scalars())
            db.session.rollback()
            for key in waiting:
                query = select(Notification).where(
                    Notification.id == key, Notification.status.in_(("queued", "failed")))
                if db.engine.dialect.name == "postgresql":
                    query = query.with_for_update(skip_locked=True)
                message = db.session.execute(query).scalar()
                if message is None:
                    db.session.rollback()
                    continue
                _try(message, sender, app.config, done)
                db.session.commit()
        finally:
            db.session.remove()
    return done


def _try(message: Notification, sender, config, done: Sent) -> None:
    now = utcnow()
    message.attempts += 1
    message.last_attempt_at = now
    try:
        sender(message.phone, message.text, config)
    except Exception as exc:  # noqa: BLE001 - any sender's failure is this message's error
        message.status = "failed"
        message.last_error = (f"{type(exc).__name__}: {exc}")[:500]
        wait = min(timedelta(seconds=float(config.get("NOTIFY_BACKOFF", BACKOFF))
                             * 2 ** (message.attempts - 1)), MAX_BACKOFF)
        message.next_attempt_at = now + wait if message.attempts < MAX_ATTEMPTS else None
        done.failed += 1
        return
    if getattr(sender, "by_hand", False):
        message.status, message.next_attempt_at = "logged", None
    else:
        message.status, message.sent_at, message.next_attempt_at = "sent", now, None
    message.last_error = None
    done.sent += 1


def start_retrier(app: Flask, interval: float) -> threading.Thread:
    """Send due messages every `interval` seconds in a daemon thread (the served central)."""
    stop = threading.Event()
    wake = app.extensions["notify_wake"] = threading.Event()

    def run() -> None:
        while not stop.is_set():
            wake.wait(interval)
            wake.clear()
            if stop.is_set():
                return
            try:
                send_due(app)
            except Exception:  # noqa: BLE001 - a database hiccup: try at the next tick
                log.exception("retrying queued messages failed")

    thread = threading.Thread(target=run, name="notify-retry", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread


# --- the office's pages -------------------------------------------------------------------

def messages(account, status: str | None = None, opinion_id=None, page: int = 1,
             per_page: int = 100):
    """Return one page of the account's communes' messages, newest first."""
    query = scoped(select(Notification), account, Notification.commune_code)
    if status:
        query = query.where(Notification.status == status)
    if opinion_id is not None:
        query = query.where(Notification.opinion_id == opinion_id)
    query = query.order_by(Notification.id.desc())
    return db.paginate(query, page=max(1, page), per_page=per_page, max_per_page=200,
                       error_out=False)


def counts(account) -> dict[str, int]:
    """Return how many messages of each status the account's communes have (one GROUP BY)."""
    query = scoped(select(Notification.status, func.count()), account,
                   Notification.commune_code).group_by(Notification.status)
    return dict(db.session.execute(query).all())


def get_message(account, key: int) -> Notification:
    """Return one message of the account's communes; 404 otherwise."""
    query = scoped(select(Notification).where(Notification.id == key), account,
                   Notification.commune_code)
    found = db.session.execute(query).scalar()
    if found is None:
        raise NotFound(_("Không có tin nhắn này."))
    return found


def waiting_ids(account) -> list[int]:
    """Return the ids of the account's messages not sent yet (queued or failed)."""
    query = scoped(select(Notification.id).where(
        Notification.status.in_(("queued", "failed"))), account, Notification.commune_code)
    return list(db.session.execute(query).scalars())


def by_hand_query(account):
    """Return the account's messages written down and waiting to be sent by hand, oldest
    first, each with its opinion's case id (None: no case yet)."""
    query = (select(Notification, OfficeOpinion.case_id)
             .join(OfficeOpinion, OfficeOpinion.id == Notification.opinion_id)
             .where(Notification.status == "logged",
                    # Never a denouncer's phone (one protected after its message was queued).
                    OfficeOpinion.kind != "denunciation",
                    OfficeOpinion.anonymous_denunciation.is_(False)))
    return scoped(query, account, Notification.commune_code).order_by(Notification.id)


def to_send_by_hand(account) -> list[tuple[Notification, int | None]]:
    """Return the messages to send by hand, with their case ids (the printable list)."""
    return [tuple(row) for row in db.session.execute(by_hand_query(account)).all()]


def mark_sent_by_hand(account, ids: list[int]) -> int:
    """Mark the account's written-down messages `ids` as sent by hand, by whom and when;
    return how many were marked (one already sent is left). One outside the account's
    communes: 404, nothing marked."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return 0
    query = scoped(select(Notification).where(Notification.id.in_(ids)), account,
                   Notification.commune_code)
    found = list(db.session.execute(query).scalars())
    if len(found) != len(ids):
        raise NotFound(_("Không có tin nhắn này."))
    now = utcnow()
    marked = 0
    for message in found:
        if message.status == "logged":
            message.status, message.sent_at, message.sent_by = "sent", now, account.username
            marked += 1
    return marked
