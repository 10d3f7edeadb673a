"""Field page latency with 20,000 local opinions (DESIGN.md section 7).

Builds a real SQLite database through the migrations, fills it with 20,000
opinions across 40 villages and 400 forums, then starts `langnghe field`
(waitress, its own process) on it and times the pages a village head opens
over real HTTP, one request at a time on a kept-alive connection: p50, p95,
p99 and max in ms, and the server process's CPU per request (from /proc, so
the client's own work is not counted). Prints figures; asserts nothing.

`--against DIR` serves another checkout too (e.g. `git archive main | tar -x
-C DIR`), on the same data filled by its own code and migrations, pages timed
A B A B: a before/after in one run on a shared, noisy machine.

    python benchmarks/field_pages.py [--opinions 20000] [--repeat 120] [--against DIR]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from field_app.areas import logic as areas
from field_app.extensions import db
from field_app.forums.models import Forum
from field_app.opinions.logic import search_key
from field_app.opinions.models import SEED_CATEGORIES, Opinion
from field_app.outbox.models import Outbox
from field_app.text import fold

WORDS = ("đường", "nước", "điện", "trường", "trạm y tế", "đất", "cầu", "mương", "hỗ trợ",
         "hộ nghèo", "sạt lở", "thủ tục", "giấy chứng nhận", "bảo hiểm", "lúa", "ngô")


def fill(opinions: int) -> tuple[list, list]:
    rng = random.Random(7)
    commune = areas.choose_commune(3808)
    villages = [areas.add_village(commune, f"Bản {i:02d}", None, 200) for i in range(40)]
    start = datetime(2026, 1, 1, 8)
    forums = []
    for i in range(opinions // 50):
        forums.append({"id": uuid.uuid4(), "kind": "listening",
                       "village_id": villages[i % 40].id, "status": "draft",
                       "started_at": start + timedelta(days=i % 300, hours=i % 5),
                       "chair": "Lò Văn Minh", "secretary": "Quàng Thị Hoa",
                       "attendance_total": 60, "created_at": start, "updated_at": start})
    db.session.execute(db.insert(Forum), forums)
    rows = []
    for i in range(opinions):
        forum = forums[i % len(forums)]
        content = " ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "."
        fields = {"content": content, "raiser_name": f"Lò Văn {i}"}
        rows.append({"id": uuid.uuid4(), "forum_id": forum["id"],
                     "village_id": forum["village_id"], "position": i // len(forums) + 1,
                     "kind": "petition", "channel": "forum", "level": "commune",
                     "category_code": SEED_CATEGORIES[i % len(SEED_CATEGORIES)][0],
                     "anonymous": False, "answered_on_spot": False, "needs_follow_up": True,
                     "search_text": search_key(fields),
                     "created_at": start + timedelta(minutes=i),
                     "updated_at": start + timedelta(minutes=i), **fields})
    db.session.execute(db.insert(Opinion), rows)
    # Nothing synced yet: every record waits in the outbox (the top bar counts them).
    stamp = f"{int(time.time() * 1000):013d}-0000-bench"
    db.session.execute(db.insert(Outbox), [
        {"collection": collection, "record_id": row["id"], "op": "put", "hlc": stamp,
         "state": "pending", "created_at": start}
        for collection, batch in (("forum", forums), ("opinion", rows)) for row in batch])
    db.session.commit()
    return forums, villages


FILL = """
import json, sys, time
from pathlib import Path
from benchmarks.field_pages import fill
from field_app import create_app
from field_app.cli import upgrade_database
from field_app.extensions import db
app = create_app({"DATA_DIR": Path(sys.argv[1])})
upgrade_database(app)
with app.app_context():
    began = time.perf_counter()
    forums, villages = fill(int(sys.argv[2]))
    print(f"filled {sys.argv[2]} opinions, {len(forums)} forums in "
          f"{time.perf_counter() - began:.1f} s", file=sys.stderr)
    print(json.dumps([str(forums[0]["id"]), str(villages[3].id)]))
"""


def fill_folder(tree: Path, folder: Path, opinions: int) -> tuple[str, str]:
    """Fill `folder` with checkout `tree`'s code; return a forum's id and a village's."""
    folder.mkdir()
    done = subprocess.run([sys.executable, "-c", FILL, str(folder), str(opinions)], cwd=tree,
                          env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True,
                          text=True, check=True)
    print(f"{tree.name}: {done.stderr.strip().splitlines()[-1]}", flush=True)
    forum_id, village_id = json.loads(done.stdout.strip().splitlines()[-1])
    return forum_id, village_id


def cpu_seconds(pid: int) -> float:
    """Return user + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`langnghe field` of checkout `tree` on a data folder, in its own process."""

    def __init__(self, tree: Path, data: Path) -> None:
        self.port = free_port()
        env = {**os.environ, "PYTHONPATH": str(tree)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "field_app.cli", "field", "--port", str(self.port),
             "--data", str(data)], cwd=tree, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.get("/healthz")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"the field app of {tree} did not start") from None
                time.sleep(0.05)

    def get(self, url: str) -> float:
        """GET `url` on the kept connection; return milliseconds until the whole body."""
        began = time.perf_counter()
        self.connection.request("GET", url)
        response = self.connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - began) * 1000
        assert response.status == 200, (url, response.status)
        return elapsed

    def close(self) -> None:
        self.connection.close()
        self.process.terminate()
        self.process.wait()


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(server: Server, url: str, repeat: int) -> tuple[list[float], float]:
    """Return the request times (ms) and the server's CPU ms a request."""
    for _ in range(3):
        server.get(url)  # warm up: templates compiled, pages cached by SQLite
    before = cpu_seconds(server.process.pid)
    samples = [server.get(url) for _ in range(repeat)]
    return samples, (cpu_seconds(server.process.pid) - before) * 1000 / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=120)
    parser.add_argument("--against", type=Path, help="another checkout, served in turn")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    trees = [("this", root)] + ([("against", args.against.resolve())] if args.against else [])
    with tempfile.TemporaryDirectory() as tmp:
        # Each checkout fills its own folder through its own migrations: a database at
        # this checkout's newest revision is one an older checkout cannot open.
        made = {name: fill_folder(tree, Path(tmp) / name, args.opinions)
                for name, tree in trees}
        pages = {name: [
            ("forum list", "/"),
            ("forum page (50 opinions)", f"/forums/{forum_id}"),
            ("opinion list, page 1", "/opinions"),
            ("opinion list, page 200", "/opinions?page=200"),
            ("search 'duong' (no diacritics)", "/opinions?q=" + fold("đường")),
            ("search 'sat lo cau'", "/opinions?q=sat+lo+cau"),
            ("filter village + category", f"/opinions?village_id={village_id}"
                                         "&category_code=water"),
            ("minutes (HTML)", f"/forums/{forum_id}/minutes"),
            ("minutes (DOCX)", f"/forums/{forum_id}/minutes.docx"),
            ("sync page", "/sync/"),
        ] for name, (forum_id, village_id) in made.items()}
        servers = {name: Server(tree, Path(tmp) / name) for name, tree in trees}
        try:
            print(f"{'page':32} {'laptop':8} {'p50 ms':>7} {'p95':>7} {'p99':>7} {'max':>7} "
                  f"{'server CPU ms':>13}")
            for index, (label, _) in enumerate(pages["this"]):
                for name, server in servers.items():
                    samples, cpu = timed(server, pages[name][index][1], args.repeat)
                    print(f"{label:32} {name:8} {percentile(samples, 0.5):7.1f} "
                          f"{percentile(samples, 0.95):7.1f} {percentile(samples, 0.99):7.1f} "
                          f"{max(samples):7.1f} {cpu:13.1f}", flush=True)
        finally:
            for server in servers.values():
                server.close()


if __name__ == "__main__":
    main()
