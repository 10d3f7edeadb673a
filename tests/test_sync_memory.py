"""What a central holds in memory while laptops push: bounded, whatever the batches' sizes.

A 100,000-record sync grew a SQLite central to 433 MB: Python's sqlite3 kept 128 prepared
statements a connection, and nearly every push made new big ones (`id IN (…ids)` and
multi-row inserts, ~1 MB each, one shape a batch size).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import uuid

import pytest
from sqlalchemy import Column, MetaData, String, Table, bindparam, create_engine, event
from sqlalchemy.dialects import sqlite

from field_app.extensions import db
from sync import bulk

from .office_support import MUONG_LA, Laptop, office_app


def test_a_multi_row_insert_takes_a_handful_of_shapes_whatever_the_batch(tmp_path):
    table = Table("item", MetaData(), Column("id", String, primary_key=True),
                  Column("text", String))
    engine = create_engine(f"sqlite:///{tmp_path / 'bulk.sqlite3'}")
    table.metadata.create_all(engine)
    shapes: set[str] = set()
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: shapes.add(statement)
                 if statement.startswith("INSERT") else None)
    statement = sqlite.insert(table).values(id=bindparam("id"), text=bindparam("text")
                                            ).returning(table.c.id)
    sent = 0
    for count in (1, 3, 255, 257, 700, 999, 1000, 4999):
        rows = [{"id": uuid.uuid4().hex, "text": f"ý kiến {n}"} for n in range(count)]
        with engine.begin() as conn:
            returned = bulk.execute_returning(conn, statement, table, rows, table.c.id)
        assert sorted(returned) == sorted(row["id"] for row in rows)
        sent += count
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM item").scalar_one() == sent
    # 256, 128, …, 1 rows a statement: nine shapes for eight batch sizes and 8,134 rows.
    assert len(shapes) <= bulk.ROWS_PER_STATEMENT.bit_length()
    engine.dispose()


def _sqlite_bytes_in_use() -> int:
    """Return the bytes SQLite holds in this process (the library Python's sqlite3 uses)."""
    library = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
    library.sqlite3_memory_used.restype = ctypes.c_int64
    return library.sqlite3_memory_used()


@pytest.mark.skipif(not ctypes.util.find_library("sqlite3"),
                    reason="Python's sqlite3 is linked statically here")
def test_a_sqlite_central_does_not_keep_every_batch_size_prepared(tmp_path):
    with office_app(tmp_path / "central", "sqlite") as app:
        laptop = Laptop(app, MUONG_LA, "Máy bản")
        laptop.village("Bản Nà Lò")
        laptop.push()
        before = _sqlite_bytes_in_use()
        for count in range(600, 1400, 100):  # eight batch sizes, as a long sync sends
            for n in range(count):
                laptop.opinion("Bản Nà Lò", f"Đường vào bản bị sạt lở đoạn số {n}")
            laptop.push()
        grown = _sqlite_bytes_in_use() - before
        with app.app_context():
            db.engine.dispose()
    assert grown < 6 * 1024 * 1024, f"SQLite holds {grown / 1e6:.1f} MB more"
