"""Central ingest rate: records/s through `sync.store.ingest_batch`, SQLite and PostgreSQL.

Builds a fresh central database through the migrations for each backend and
size, enrols one device directly through `sync.store`, then times batches of
5,000 wire-format records (villages, forums, then ~300-byte Vietnamese
opinions), each batch in its own transaction as the /sync/v1/push endpoint
does. Prints figures; asserts nothing. PostgreSQL databases it makes are dropped.

    python benchmarks/sync_ingest.py [--sizes 10000 100000] [--backends sqlite postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.vietnamese import VILLAGES, opinion_fields  # noqa: E402
from field_app import create_app  # noqa: E402
from field_app.cli import upgrade_database  # noqa: E402
from field_app.extensions import db  # noqa: E402
from field_app.opinions.models import SEED_CATEGORIES  # noqa: E402
from sync import store  # noqa: E402
from sync.protocol import PROTOCOL_VERSION, dumps  # noqa: E402

COMMUNE = 3808  # Xã Mường La
BATCH = store.MAX_RECORDS_PER_BATCH  # 5,000: the most one push may carry
OPINIONS_PER_FORUM = 50
CATEGORY_NAMES = dict(SEED_CATEGORIES)


def wire_records(opinions: int, node: str = "benchlaptop01", commune: int = COMMUNE,
                 village_names: tuple[str, ...] = VILLAGES, seed: int | None = None
                 ) -> list[dict]:
    """Return villages, forums and opinions as the laptop sends them, parents first."""
    rng = random.Random(opinions if seed is None else seed)
    start = datetime(2026, 1, 5, 8)
    wall = int(time.time() * 1000) - 10 * 24 * 3600 * 1000  # stamps from ten days ago
    out: list[dict] = []

    def add(collection: str, record_id: uuid.UUID, data: dict) -> None:
        seq = len(out) + 1
        out.append({"c": collection, "id": str(record_id), "seq": seq,
                    "hlc": f"{wall + seq // 16:013d}-{seq % 16:04x}-{node}",
                    "op": "put", "data": data})

    villages = []
    for name in village_names:
        village_id = uuid.uuid4()
        villages.append((village_id, name))
        made = start.isoformat()
        add("village", village_id, {
            "created_at": made, "updated_at": made, "commune_code": commune,
            "kind": "tieu_khu" if name.startswith("Tiểu khu") else "ban", "name": name,
            "households": rng.randint(60, 320)})
    forums = []
    for i in range(-(-opinions // OPINIONS_PER_FORUM)):
        forum_id = uuid.uuid4()
        village_id, name = villages[i % len(villages)]
        began = start + timedelta(days=i % 300, hours=i % 4)
        forums.append((forum_id, village_id, name, began))
        add("forum", forum_id, {
            "created_at": began.isoformat(), "updated_at": began.isoformat(),
            "kind": "listening", "village_id": str(village_id),
            "title": f"Hội nghị lắng nghe ý kiến Nhân dân {name}",
            "started_at": began.isoformat(), "ended_at": None,
            "venue": f"Nhà văn hóa {name}", "chair": "Lò Văn Minh",
            "secretary": "Quàng Thị Hoa", "officials_present": "Phó Chủ tịch UBND xã Cầm Văn Sơn",
            "attendance_total": rng.randint(30, 90), "attendance_women": rng.randint(10, 30),
            "attendance_ethnic_minority": rng.randint(25, 30), "households_represented": 40,
            "agenda": "Nghe ý kiến, kiến nghị của Nhân dân", "summary": None,
            "status": "draft", "finalised_at": None})
    for i in range(opinions):
        forum_id, village_id, name, began = forums[i // OPINIONS_PER_FORUM]
        fields = opinion_fields(rng, name)
        made = (began + timedelta(minutes=3 * (i % OPINIONS_PER_FORUM))).isoformat()
        add("opinion", uuid.uuid4(), {
            "created_at": made, "updated_at": made, "channel": "forum",
            "forum_id": str(forum_id), "village_id": str(village_id),
            "position": i % OPINIONS_PER_FORUM + 1,
            "category_name": CATEGORY_NAMES[fields["category_code"]],
            "needs_follow_up": not fields["answered_on_spot"], **fields})
    return out


def central_app(url: str, tmp: Path):
    """Return a central app on a fresh database at `url`, schema built by the migrations.

    The central role registers the office projection (`sync.store.on_stored`):
    ingest times below include keeping the office tables up to date.
    """
    app = create_app({"ROLE": "central", "DATA_DIR": tmp, "SQLALCHEMY_DATABASE_URI": url})
    with contextlib.redirect_stderr(io.StringIO()):  # alembic's INFO lines
        upgrade_database(app)
    return app


def enrol_device(engine, commune: int, label: str = "Máy bản (benchmark)") -> str:
    """Enrol one laptop of `commune` directly through `sync.store`; return its id."""
    with engine.begin() as conn:
        code = store.create_enrolment(conn, commune, label)
        return store.enrol(conn, code, label, str(uuid.uuid4()))["device_id"]


def push(engine, device_id: str, records: list[dict], blobs: store.BlobStore,
         counts: dict, per_batch: list[float]) -> float:
    """Ingest `records` as one device's pushes of BATCH records; return the seconds spent."""
    replica = str(uuid.uuid4())
    envelopes = [{"protocol": PROTOCOL_VERSION, "device": device_id, "replica": replica,
                  "batch": str(uuid.uuid4()), "records": records[at:at + BATCH]}
                 for at in range(0, len(records), BATCH)]
    sizes = [len(dumps(envelope)) for envelope in envelopes]
    total = 0.0
    for envelope, size in zip(envelopes, sizes, strict=True):
        with engine.begin() as conn:  # the endpoint authenticates in its own transaction
            dev = store.get_device(conn, device_id)
        began = time.perf_counter()
        with engine.begin() as conn:  # … then ingests the batch in one more
            result = store.ingest_batch(conn, dev, envelope, blobs, via="network", size=size)
            store.epoch(conn)
        elapsed = time.perf_counter() - began
        per_batch.append(elapsed)
        total += elapsed
        for key, value in result.counts().items():
            counts[key] = counts.get(key, 0) + value
        if result.rejected:
            print("  first rejection:", result.rejected[0])
    return total


def ingest(url: str, records: list[dict], tmp: Path,
           office: bool = True) -> tuple[float, list[float], dict]:
    """Ingest `records` into a fresh central at `url`; return (seconds, per batch, counts).

    `office`: keep the office's tables in step (as a running central does); without
    it, the wire's tables alone, to show what the projection costs.
    """
    app = central_app(url, tmp)
    blobs = store.BlobStore(tmp / "blobs")
    counts = {"stored": 0, "unchanged": 0, "rejected": 0}
    per_batch: list[float] = []
    with app.app_context():
        engine = db.engine
        if not office:
            store._listeners.pop(engine, None)
        device_id = enrol_device(engine, COMMUNE)
        total = push(engine, device_id, records, blobs, counts, per_batch)
        db.session.remove()
        engine.dispose()
    return total, per_batch, counts


def validation_rate(records: list[dict]) -> float:
    """Records/s of the per-record checks alone (marshmallow + NFC), no database."""
    sample = records[:BATCH]
    result = store.BatchResult(results=["?"] * len(sample))
    now_ms = int(time.time() * 1000)
    began = time.perf_counter()
    for index, raw in enumerate(sample):
        store._check_shape(raw, index, now_ms, result)
    return len(sample) / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000],
                        help="opinions per run (villages and forums are added)")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])
    parser.add_argument("--wire-only", action="store_true",
                        help="also time the ingest without the office's tables")
    args = parser.parse_args()
    from tests.sync_support import drop_pg_database, make_pg_database

    print(f"batches of {BATCH} records, one transaction each; "
          f"{OPINIONS_PER_FORUM} opinions per forum, {len(VILLAGES)} villages")
    rows = []
    for size in args.sizes:
        records = wire_records(size)
        opinion_bytes = [len(item["data"]["content"].encode()) for item in records
                         if item["c"] == "opinion"]
        wire = sum(len(dumps(item)) + 1 for item in records)
        print(f"\n{size} opinions -> {len(records)} records "
              f"(content {sum(opinion_bytes) / len(opinion_bytes):.0f} B/opinion, "
              f"{wire / len(records):.0f} B/record as JSON)")
        checks = validation_rate(records)
        print(f"  checks alone (marshmallow + NFC, no database): {checks:,.0f} records/s")
        for backend, office in [(backend, office) for backend in args.backends
                                for office in ((True, False) if args.wire_only else (True,))]:
            with tempfile.TemporaryDirectory() as tmp:
                url = (make_pg_database() if backend == "postgresql"
                       else "sqlite:///" + (Path(tmp) / "central.sqlite3").as_posix())
                try:
                    total, per_batch, counts = ingest(url, records, Path(tmp), office)
                finally:
                    if backend == "postgresql":
                        drop_pg_database(url)
            rate = len(records) / total
            label = backend if office else f"{backend}, wire only"
            rows.append((label, size, len(records), total, rate))
            print(f"  {label:10} {len(records):7} records in {total:6.1f} s = "
                  f"{rate:8,.0f} records/s; batch min/max {min(per_batch):.2f}/"
                  f"{max(per_batch):.2f} s; checks ~{len(records) / checks / total:.0%} "
                  f"of the time; {counts}")
    print(f"\n{'backend':20} {'opinions':>9} {'records':>8} {'seconds':>8} {'records/s':>10}")
    for backend, size, count, total, rate in rows:  # backend: with ", wire only" if so
        print(f"{backend:20} {size:9} {count:8} {total:8.1f} {rate:10,.0f}")


if __name__ == "__main__":
    main()
