"""Write thousands of rows at once: COPY on PostgreSQL, executemany on SQLite.

A multi-row INSERT of 5,000 records spends most of its time in the driver;
COPY into a per-session temporary table, then one INSERT … SELECT … ON
CONFLICT, does not. Used by the ingest (sync_record) and by listeners that
keep other tables in step inside the same transaction (the office).

On SQLite, SQLAlchemy's own executemany works out every row's parameters
anew (most of an ingest's time there): `driver_rows` takes each column's
bind processor once and the statement goes to the driver as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Column, Connection, MetaData, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from .protocol import compact

_STAGING: dict[str, Table] = {}

def staging(table: Table) -> Table:
    """Return a temporary table with `table`'s columns (no keys), emptied at commit."""
    if table.name not in _STAGING:
        _STAGING[table.name] = Table(
            f"{table.name}_incoming", MetaData(),
            *(Column(column.name, column.type) for column in table.columns),
            prefixes=["TEMPORARY"], postgresql_on_commit="DELETE ROWS")
    return _STAGING[table.name]


def copy_rows(conn: Connection, table: Table, rows: Iterable[dict[str, Any]],
              columns: Sequence[str]) -> None:
    """COPY `rows` (their `columns`) into `table` on PostgreSQL.

    JSON values go as their text (COPY's text format: the server reads the jsonb).
    `rows` may be made as they are sent (a generator): the server then stores each
    while the next is made.
    """
    json_columns = {column.name for column in table.columns
                    if isinstance(column.type, JSON)
                    or isinstance(getattr(column.type, "impl", None), JSON)}
    json_at = [at for at, name in enumerate(columns) if name in json_columns]
    values_of = _row_values(columns)
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            write = copy.write_row
            if json_at:
                for row in rows:
                    write(_with_json(values_of(row), json_at))
            else:
                for row in rows:
                    write(values_of(row))


def _with_json(row: Sequence[Any], json_at: list[int]) -> list[Any]:
    values = list(row)
    for at in json_at:
        if values[at] is not None:
            values[at] = compact(values[at])
    return values


def _row_values(names: Sequence[str]):
    """Return a function giving a row's values of `names` as a tuple, None where the row
    lacks one (itemgetter builds the tuple in C; the slow way only for such a row)."""
    get = itemgetter(*names) if len(names) > 1 else None

    def values(row: dict[str, Any]) -> tuple:
        try:
            return get(row) if get is not None else (row[names[0]],)
        except KeyError:  # a row without some column: None for what it lacks
            return tuple(row.get(name) for name in names)

    return values


def _values(rows: Sequence[dict[str, Any]], names: Sequence[str]) -> list[tuple]:
    """Return each row's values of `names` as a tuple, None where a row lacks one.

    itemgetter builds the tuples in C: a Python step per value costs most of the time
    when a batch writes thousands of rows of thirty columns.
    """
    if not names:
        return [() for _ in rows]
    get = itemgetter(*names)
    try:
        found = list(map(get, rows))
    except KeyError:  # a row without some column: row by row, None for what it lacks
        return list(map(_row_values(names), rows))
    return found if len(names) > 1 else [(value,) for value in found]


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
    return sqlite.insert(table).values({name: bindparam(name) for name in columns}), list(rows)


def driver_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
                names: Sequence[str]) -> list[tuple] | None:
    """Return `rows` as the driver takes them for parameters `names`, each value through its
    column's bind processor; None when SQLAlchemy must do it (a Python-side default of a
    column the rows leave out, a parameter that is no column of `table`).
    """
    dialect = conn.dialect
    given = set(names)
    if not given <= set(table.c.keys()) or any(
            column.default is not None and column.name not in given for column in table.c):
        return None
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in names]
    if all(process is None for process in processors):
        return _values(rows, names)
    # Column by column: `map` runs each processor over a column without a Python step
    # per value (a row at a time, the generator cost a fifth of a SQLite ingest).
    columns = []
    for name, process in zip(names, processors, strict=True):
        try:
            values = list(map(itemgetter(name), rows))
        except KeyError:  # a row without this column: None for it
            values = [row.get(name) for row in rows]
        if process is not None:
            first = values[0] if values else None
            # One object for the whole batch (its time, its device): processed once.
            values = ([process(first)] * len(values) if len(set(map(id, values))) == 1
                      else list(map(process, values)))
        columns.append(values)
    return list(zip(*columns, strict=True))


def execute_rows(conn: Connection, statement, table: Table,
                 rows: Sequence[dict[str, Any]]) -> None:
    """Execute a SQLite INSERT (`statement`, its values bound by column name) for every row."""
    compiled = statement.compile(dialect=conn.dialect)
    names = compiled.positiontup or []
    params = driver_rows(conn, table, rows, names)
    if params is None or compiled.literal_execute_params or compiled.post_compile_params:
        conn.execute(statement, list(rows))
        return
    conn.exec_driver_sql(compiled.string, params)


# Rows in one multi-row statement, at most. The driver keeps the statements it prepared
# (the last 16 a connection, config.py), ~1.6 kB a row of a dozen values: chunks of any
# length made a new shape nearly every push, and 128 kept held ~70 MB after 100,000 records.
ROWS_PER_STATEMENT = 256


def _chunk_sizes(count: int, most: int) -> Iterator[int]:
    """Yield chunk lengths adding up to `count`: full pages, then powers of two, so that
    a table's statements take a handful of shapes (log2 of the page), whatever the batch."""
    page = 1 << (max(1, min(most, ROWS_PER_STATEMENT)).bit_length() - 1)
    while count:
        size = page if count >= page else 1 << (count.bit_length() - 1)
        yield size
        count -= size


def execute_returning(conn: Connection, statement, table: Table,
                      rows: Sequence[dict[str, Any]], column) -> list[Any]:
    """Execute a SQLite INSERT … RETURNING `column` (its values bound by column name) for
    every row; return the values returned, as `column`'s type reads them.

    Many rows a statement, as SQLAlchemy's own "insertmanyvalues" sends them, without
    working out each row's parameters anew.
    """
    dialect = conn.dialect
    compiled = statement.compile(dialect=dialect)
    names = compiled.positiontup or []
    params = driver_rows(conn, table, rows, names)
    group = "(" + ", ".join(["?"] * len(names)) + ")"
    if params is None or not names or compiled.string.count(group) != 1 \
            or compiled.literal_execute_params or compiled.post_compile_params:
        return list(conn.execute(statement, list(rows)).scalars())
    process = column.type.dialect_impl(dialect).result_processor(dialect, None)
    found: list[Any] = []
    start = 0
    for size in _chunk_sizes(len(params), min(dialect.insertmanyvalues_page_size,
                                              dialect.insertmanyvalues_max_parameters
                                              // len(names))):
        chunk = params[start:start + size]
        start += size
        sql = compiled.string.replace(group, ", ".join([group] * size))
        values = [value for row in chunk for value in row]
        found += (row[0] for row in conn.exec_driver_sql(sql, tuple(values)))
    return found if process is None else [process(value) for value in found]


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
    if params is None:
        conn.execute(statement)
    else:
        execute_rows(conn, statement, table, params)
    clear_staging(conn, table)


def insert(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Append rows (no conflicts possible: a serial key, or rows known to be new).

    `rows` may be a generator: on PostgreSQL each row is sent as soon as it is made.
    """
    given = iter(rows)
    first = next(given, None)
    if first is None:
        return
    columns = list(first)
    if conn.dialect.name == "postgresql":
        copy_rows(conn, table, chain([first], given), columns)
    else:
        execute_rows(conn, sqlite.insert(table).values(
            {name: bindparam(name) for name in columns}), table, [first, *given])
