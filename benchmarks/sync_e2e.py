"""End to end: `langnghe sync` as its own process, what the village head waits for.

Records one forum with N Vietnamese opinions on a field app (own SQLite
file, made once per N and copied for every run; above 10,000 the 10,000
recorded ones are copied in SQL with new ids, seqs and stamps), starts a real central
(`langnghe central`, waitress, own process; a SQLite file or a fresh
PostgreSQL database) for every run, enrols the laptop, then times
`langnghe sync --data DIR` as a subprocess from start to exit. Before it, the
`langnghe sync` of a second laptop with nothing waiting gives the fixed cost
(start-up, pull) on the central at rest, which is taken out in the "net" columns.

Prints, a row per run: wall seconds, records/s (whole and net), the laptop
process's CPU per record (whole and net) and peak memory, and the central
process's CPU per record and peak memory (VmHWM). Asserts nothing.

`--against DIR` runs the laptop side of another checkout too (e.g. `git
archive main | tar -x -C DIR`), A B A B in the same run against the same
central code: a before/after on a shared, noisy machine.

    python benchmarks/sync_e2e.py [--opinions 10000 100000] [--database sqlite postgresql]
                                  [--runs 2] [--against DIR] [--cache DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
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


# Above this, the backlog is the recorded one copied in SQL (new ids, seqs and stamps):
# recording 100,000 opinions through the app takes half an hour on a loaded machine.
RECORDED = 10_000


def grow_backlog(recorded: Path, laptop_dir: Path, count: int) -> None:
    """Make a backlog of `count` opinions from a recorded one: its opinions copied in SQL."""
    shutil.copytree(recorded, laptop_dir)
    with contextlib.closing(sqlite3.connect(laptop_dir / "langnghe.sqlite3")) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(opinion)")]
        originals = conn.execute(f"SELECT {', '.join(columns)} FROM opinion").fetchall()
        last = conn.execute("SELECT max(hlc) FROM outbox").fetchone()[0]
        millis, replica = int(last.split("-")[0]), last.split("-")[2]
        at = {name: index for index, name in enumerate(columns)}
        made = len(originals)
        while made < count:
            rows, changes = [], []
            for original in originals[:count - made]:
                row = list(original)
                row[at["id"]] = uuid.uuid4().hex
                row[at["position"]] += made
                millis += 1
                rows.append(row)
                changes.append(("opinion", row[at["id"]], "put", f"{millis:013d}-0000-{replica}",
                                "pending", original[at["created_at"]]))
            conn.executemany(f"INSERT INTO opinion ({', '.join(columns)}) VALUES "
                             f"({', '.join('?' * len(columns))})", rows)
            conn.executemany("INSERT INTO outbox (collection, record_id, op, hlc, state, "
                             "created_at) VALUES (?, ?, ?, ?, ?, ?)", changes)
            made += len(rows)
        conn.commit()


@dataclass
class Run:
    """One `langnghe sync` process: what it cost the laptop and the central."""

    wall: float
    cpu: float
    peak_mb: float
    central_cpu: float
    central_peak_mb: float  # the central process's peak resident memory so far
    output: str


def peak_mb(pid: int) -> float:
    """Return a running process's peak resident memory in MB (Linux /proc, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_sync(laptop_dir: Path, central: Central, tree: Path) -> Run:
    """Time `langnghe sync` of the checkout `tree` as a child process, with its own rusage."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    assert central.process is not None
    central_before = cpu_seconds(central.process.pid)
    with tempfile.TemporaryFile() as out:
        began = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "field_app.cli", "sync", "--data",
                                  str(laptop_dir)], stdout=out, stderr=subprocess.STDOUT,
                                 cwd=tree, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        central_cpu = cpu_seconds(central.process.pid) - central_before
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if child.returncode:
        raise SystemExit(f"langnghe sync failed ({tree}):\n{text}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, central_cpu,
               peak_mb(central.process.pid), text.strip().splitlines()[-1] if text.strip() else "")


def one(backlog: Path, database: str, tree: Path) -> tuple[int, Run, Run, int]:
    """Sync a copy of `backlog` to a fresh central; return (waiting, run, fixed run, held)."""
    url = make_pg_database() if database == "postgresql" else None
    with tempfile.TemporaryDirectory() as tmp:
        central_dir, laptop_dir = Path(tmp) / "central", Path(tmp) / "laptop"
        central_dir.mkdir()
        shutil.copytree(backlog, laptop_dir)
        empty_dir = Path(tmp) / "empty"
        central = Central(central_dir, url).start()
        try:
            waiting = {}
            for folder, label in ((empty_dir, "Máy trống"), (laptop_dir, "Máy bản Nà Lò")):
                app = create_app({"DATA_DIR": folder})
                with contextlib.redirect_stderr(io.StringIO()):  # alembic's INFO lines
                    upgrade_database(app)
                with app.app_context():
                    logic.enroll(central.url, central.enrolment_code(), label)
                    waiting[folder] = logic.pending_count()
                    db.session.remove()
                    db.engine.dispose()
            # A laptop with nothing to send, first, on a central at rest: start-up and
            # pull. (After a big sync the central pairs the new opinions for minutes.)
            fixed = run_sync(empty_dir, central, tree)
            whole = run_sync(laptop_dir, central, tree)
            held = central.count()
        finally:
            central.close()
            if url:
                drop_pg_database(url)
    return waiting[laptop_dir], whole, fixed, held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, nargs="+", default=[10_000])
    parser.add_argument("--database", nargs="+", default=["sqlite"],
                        choices=["sqlite", "postgresql"],
                        help="the central's database; postgresql makes a fresh one on "
                             "127.0.0.1:5432 for every run")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--against", type=Path, help="another checkout's laptop side, run "
                                                     "in turn with this one")
    parser.add_argument("--cache", type=Path, help="keep the recorded backlogs here")
    args = parser.parse_args()
    trees = [("this", ROOT)] + ([("against", args.against.resolve())] if args.against else [])
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or Path(tmp)
        print(f"{'laptop':8} {'central':10} {'records':>8} {'wall s':>7} {'rec/s':>7} "
              f"{'net rec/s':>9} {'laptop ms/rec':>13} {'net':>6} {'peak MB':>7} "
              f"{'central ms/rec':>14} {'central MB':>10} {'fixed s':>7}")
        for count in args.opinions:
            recorded = cache / f"backlog-{min(count, RECORDED)}"
            if not recorded.exists():
                began = time.perf_counter()
                record_backlog(recorded, min(count, RECORDED))
                print(f"recorded {min(count, RECORDED)} opinions in "
                      f"{time.perf_counter() - began:.1f} s")
            backlog = cache / f"backlog-{count}"
            if not backlog.exists():
                grow_backlog(recorded, backlog, count)
                print(f"copied the recorded opinions in SQL up to {count}")
            for database in args.database:
                rates: dict[str, list[float]] = {name: [] for name, _ in trees}
                for _ in range(args.runs):
                    for name, tree in trees:
                        waiting, run, fixed, held = one(backlog, database, tree)
                        net_wall = max(run.wall - fixed.wall, 1e-6)
                        rates[name].append(waiting / run.wall)
                        print(f"{name:8} {database:10} {waiting:8} {run.wall:7.2f} "
                              f"{waiting / run.wall:7,.0f} {waiting / net_wall:9,.0f} "
                              f"{run.cpu / waiting * 1000:13.3f} "
                              f"{(run.cpu - fixed.cpu) / waiting * 1000:6.3f} "
                              f"{run.peak_mb:7.0f} "
                              f"{run.central_cpu / waiting * 1000:14.3f} "
                              f"{run.central_peak_mb:10.0f} {fixed.wall:7.2f}",
                              flush=True)
                        if held < waiting:
                            print(f"  the central holds {held} of {waiting}: {run.output}")
                if len(trees) > 1:
                    ratio = statistics.median(rates["this"]) / statistics.median(rates["against"])
                    print(f"  {database}, {count}: records/s this/against = {ratio:.2f}x")


if __name__ == "__main__":
    main()
