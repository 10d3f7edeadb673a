"""What storing one pushed record costs PostgreSQL itself, table by table and index by index.

`benchmarks/sync_ingest.py` times ingest as a whole; this shows where the
database's share goes, with Python out of the way. It ingests N opinions through
the real path (`sync.store.ingest_batch`, office projection on) into a fresh
database, then, inside transactions it rolls back, copies those rows again with
new keys (`INSERT … SELECT`) into a copy of each table:

* the wire's log (`sync_record`), the office's opinion row (`office_opinion`)
  and its history line (`office_audit`), each with all its indexes;
* `office_opinion` without its GIN search index, then with its primary key only.

Prints the server's milliseconds for N rows and microseconds per row (best of
`--repeat`). Asserts nothing; the database it makes is dropped.

    python benchmarks/ingest_storage.py [--opinions 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from benchmarks.sync_ingest import ingest, wire_records  # noqa: E402

# (label, table, what of its indexes to keep: "all", "no_gin", "pk")
CASES = (
    ("sync_record, all indexes", "sync_record", "all"),
    ("office_opinion, all indexes", "office_opinion", "all"),
    ("office_opinion, without the GIN search index", "office_opinion", "no_gin"),
    ("office_opinion, primary key only", "office_opinion", "pk"),
    ("office_audit, all indexes", "office_audit", "all"),
)
# A fresh key for each copied row, so that every index takes new entries.
NEW_KEY = {"sync_record": "id = gen_random_uuid()",
           "office_opinion": "id = gen_random_uuid()",
           "office_audit": "id = id + 1000000000, record_id = gen_random_uuid()"}


def copy_cost(conn, table: str, keep: str, repeat: int) -> tuple[int, float]:
    """Return (rows, best seconds) of copying `table`'s rows again into a copy of it."""
    conn.execute(text(f"DROP TABLE IF EXISTS bench_src, bench_{table}"))
    conn.execute(text(f"CREATE TABLE bench_src AS SELECT * FROM {table}"))
    conn.execute(text(f"UPDATE bench_src SET {NEW_KEY[table]}"))
    conn.execute(text(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)"))
    conn.execute(text(f"INSERT INTO bench_{table} SELECT * FROM {table}"))
    indexes = conn.execute(text(
        "SELECT c.relname, i.indisprimary, am.amname FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
        "WHERE i.indrelid = CAST(:t AS regclass)"), {"t": f"bench_{table}"}).all()
    for name, primary, method in indexes:
        if (keep == "no_gin" and method == "gin") or (keep == "pk" and not primary):
            conn.execute(text(f'DROP INDEX "{name}"'))
    conn.execute(text("ANALYZE"))
    rows = conn.execute(text("SELECT count(*) FROM bench_src")).scalar_one()
    best = float("inf")
    for _ in range(repeat):
        conn.execute(text("BEGIN"))
        began = time.perf_counter()
        conn.execute(text(f"INSERT INTO bench_{table} SELECT * FROM bench_src"))
        best = min(best, time.perf_counter() - began)
        conn.execute(text("ROLLBACK"))
    conn.execute(text(f"DROP TABLE bench_src, bench_{table}"))
    return rows, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from tests.sync_support import drop_pg_database, make_pg_database

    url = make_pg_database()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            records = wire_records(args.opinions)
            seconds, _per_batch, counts = ingest(url, records, Path(tmp))
        print(f"ingested {len(records)} records through ingest_batch in {seconds:.1f} s "
              f"({len(records) / seconds:,.0f} records/s): {counts}")
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CHECKPOINT"))
            print(f"\n{'copied again (INSERT … SELECT, server time)':48} {'rows':>7} "
                  f"{'ms':>8} {'µs/row':>8}")
            for label, table, keep in CASES:
                rows, best = copy_cost(conn, table, keep, args.repeat)
                print(f"{label:48} {rows:7} {best * 1000:8.0f} {best / rows * 1e6:8.1f}")
        engine.dispose()
    finally:
        drop_pg_database(url)


if __name__ == "__main__":
    main()
