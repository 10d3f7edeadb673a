"""Writing beside a page: work a page wants done but must never wait for.

SQLite lets one connection write at a time, and pysqlite begins a transaction only
at its first write: what a connection read before that may have been changed by
another writer in between, and a page that writes waits for the lock a push holds
(busy_timeout, 5 s, then 503). PostgreSQL keeps writers apart row by row (the pairing
queue is read FOR UPDATE SKIP LOCKED), so there the work stays in the request's
transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from sync.errors import is_busy

from .extensions import db

T = TypeVar("T")


def holds_write_lock(conn: Connection) -> bool:
    """Tell whether this SQLite connection's transaction already writes (holds the lock).

    pysqlite opens a transaction only for a write (or a BEGIN of ours): one that is open
    holds the database's write lock.
    """
    return bool(conn.connection.dbapi_connection.in_transaction)  # type: ignore[union-attr]


def lock_for_writing(conn: Connection) -> None:
    """On SQLite, take the write lock before reading what is about to be written from.

    BEGIN IMMEDIATE: the reads that follow see the database as no other writer can
    change it until this transaction ends (two drainers never read the same queued
    opinions). Waits for the lock as any write does. Nothing on PostgreSQL, nor when
    this transaction writes already.
    """
    if conn.dialect.name == "sqlite" and not holds_write_lock(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def write_aside(work: Callable[[Connection], T]) -> T | None:
    """Run optional writes for a page that only shows (`work(conn)`); return what it
    returns, or None if it was skipped.

    On SQLite the work runs on a connection of its own, under BEGIN IMMEDIATE taken
    without waiting, and is committed at once: held by another writer, the work is
    skipped (the central's thread, or the page's next look, does it), so a page never
    waits for a push's lock, and the page's own reads (each in its own snapshot until it
    writes) see what was committed. A request that writes already holds the lock: the
    work joins its transaction. On PostgreSQL it runs in the request's transaction,
    committed with it.
    """
    mine = db.session.connection()
    if mine.dialect.name != "sqlite" or holds_write_lock(mine):
        return work(mine)
    with db.engine.connect() as conn:
        waits = int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0)
        conn.exec_driver_sql("PRAGMA busy_timeout=0")
        try:
            lock_for_writing(conn)
        except OperationalError as exc:
            if not is_busy(exc):
                raise
            return None
        finally:
            # Held, the work's own statements wait as any do (a checkpoint); the pool's
            # next user gets the connection as it was.
            conn.exec_driver_sql(f"PRAGMA busy_timeout={waits}")
        done = work(conn)
        conn.commit()  # on an error, leaving `with` rolls back
        return done
