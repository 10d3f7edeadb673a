"""Write thousands of rows at once: COPY on PostgreSQL, executemany on SQLite.

A multi-row INSERT of 5,000 records spends most of its time in the driver;
COPY into a per-session temporary table, then one INSERT … SELECT … ON
CONFLICT, does not. Used by the ingest (sync_record) and by listeners that
keep other tables in step inside the same transaction (the office).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import JSON, Column, Connection, MetaData, Table, select
from sqlalchemy.dialects import postgresql, sqlite

_STAGING: dict[str, Table] = {}


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def staging(table: Table) -> Table:
    """Return a temporary table with `table`'s columns (no keys), emptied at commit."""
    if table.name not in _STAGING:
        _STAGING[table.name] = Table(
            f"{table.name}_incoming", MetaData(),
            *(Column(column.name, column.type) for column in table.columns),
            prefixes=["TEMPORARY"], postgresql_on_commit="DELETE ROWS")
    return _STAGING[table.name]


def copy_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
              columns: Sequence[str]) -> None:
    """COPY `rows` (their `columns`) into `table` on PostgreSQL."""
    from psycopg.types.json import Jsonb

    json_columns = {column.name for column in table.columns
                    if isinstance(column.type, JSON)
                    or isinstance(getattr(column.type, "impl", None), JSON)}
    wrap = [name in json_columns for name in columns]
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([Jsonb(value, dumps=_compact) if json and value is not None
                                else value
                                for value, json in zip((row.get(name) for name in columns),
                                                       wrap, strict=True)])


def upsert_statement(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
                     columns: Sequence[str]):
    """Return (INSERT statement, rows to execute it with) for rows keyed by `id`.

    On PostgreSQL the rows are COPYed into the staging table first and the
    statement selects from it (execute it without rows, then `clear_staging`).
    The caller adds its ON CONFLICT clause through the statement's `excluded`.
    """
    if conn.dialect.name == "postgresql":
        temp = staging(table)
        temp.create(conn, checkfirst=True)
        copy_rows(conn, temp, rows, columns)
        return postgresql.insert(table).from_select(
            list(columns), select(*(temp.c[name] for name in columns))), None
    return sqlite.insert(table), list(rows)


def clear_staging(conn: Connection, table: Table) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(staging(table).delete())


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
           update: Iterable[str]) -> None:
    """Insert rows by `id`, or set the `update` columns of the rows already there."""
    if not rows:
        return
    statement, params = upsert_statement(conn, table, rows, list(rows[0]))
    statement = statement.on_conflict_do_update(
        index_elements=["id"], set_={name: statement.excluded[name] for name in update})
    conn.execute(statement, params) if params is not None else conn.execute(statement)
    clear_staging(conn, table)


def insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Append rows (no conflicts possible: a serial key)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        copy_rows(conn, table, rows, list(rows[0]))
    else:
        conn.execute(table.insert(), list(rows))
