"""End to end: `langnghe sync` as its own process, what the village head waits for.

Records one forum with N Vietnamese opinions on a field app (own SQLite
file), starts a real central (`langnghe central`, waitress, own process; SQLite
by default, or --database postgresql+psycopg://…), enrols the laptop, then
times `langnghe sync --data DIR` as a subprocess from start to exit. Prints
records/s, and the CPU seconds of the laptop process and of the central
process apart. Prints figures; asserts nothing.

    python benchmarks/sync_e2e.py [--opinions 5000] [--database URL]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.vietnamese import opinion_fields  # noqa: E402
from field_app import create_app  # noqa: E402
from field_app.cli import upgrade_database  # noqa: E402
from field_app.demo import sample_forum  # noqa: E402
from field_app.extensions import db  # noqa: E402
from field_app.opinions import logic as opinions  # noqa: E402
from field_app.outbox import logic  # noqa: E402
from tests.sync_support import Central, drop_pg_database, make_pg_database  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """Return user + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def record_backlog(laptop_dir: Path, count: int) -> None:
    app = create_app({"DATA_DIR": laptop_dir})
    with contextlib.redirect_stderr(io.StringIO()):  # alembic's INFO lines
        upgrade_database(app)
    with app.app_context():
        rng = random.Random(2026)
        forum = sample_forum(3808)
        for i in range(count):
            opinions.create_opinion(opinion_fields(rng, "Bản Nà Lò"), forum)
            if i % 500 == 499:
                db.session.commit()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=5000)
    parser.add_argument("--database", help="the central's URL; 'postgresql' makes a fresh one "
                                           "on 127.0.0.1:5432 (default: a SQLite file)")
    args = parser.parse_args()
    database = make_pg_database() if args.database == "postgresql" else args.database
    with tempfile.TemporaryDirectory() as tmp:
        central_dir, laptop_dir = Path(tmp) / "central", Path(tmp) / "laptop"
        central_dir.mkdir()
        began = time.perf_counter()
        record_backlog(laptop_dir, args.opinions)
        print(f"recorded {args.opinions} opinions in {time.perf_counter() - began:.1f} s")
        central = Central(central_dir, database).start()
        try:
            app = create_app({"DATA_DIR": laptop_dir})
            with app.app_context():
                logic.enroll(central.url, central.enrolment_code(), "Máy bản Nà Lò")
                waiting = logic.pending_count()
                db.session.remove()
                db.engine.dispose()
            assert central.process is not None
            central_before = cpu_seconds(central.process.pid)
            children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            began = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "field_app.cli", "sync", "--data",
                                   str(laptop_dir)], capture_output=True, text=True, check=True)
            elapsed = time.perf_counter() - began
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            central_cpu = cpu_seconds(central.process.pid) - central_before
            held = central.count()
        finally:
            central.close()
            if args.database == "postgresql" and database:
                drop_pg_database(database)
    laptop_cpu = (children.ru_utime - children_before.ru_utime
                  + children.ru_stime - children_before.ru_stime)
    print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "")
    print(f"central: {central.backend}; records waiting {waiting}, central holds {held}")
    print(f"langnghe sync: {elapsed:.2f} s wall = {waiting / elapsed:,.0f} records/s")
    print(f"laptop process CPU {laptop_cpu:.2f} s ({laptop_cpu / waiting * 1000:.3f} ms a "
          f"record); central CPU {central_cpu:.2f} s ({central_cpu / waiting * 1000:.3f} ms "
          "a record)")


if __name__ == "__main__":
    main()
