"""One forum over a slow link: 60 opinions and 3 photos at 256 kbit/s, 300 ms round trip.

Records a forum with 60 Vietnamese opinions and three ~300 KB photos
(incompressible JPEG-like bytes) on a field app, enrols it with a real
central (`langnghe central`, waitress, SQLite, own process) through a
FaultProxy, then shapes the proxy to 32,000 bytes/s each way with 150 ms
one-way delay and times `run_sync()`. Compares the time with the bandwidth
bound (bytes at the proxy / bandwidth). Prints figures; asserts nothing.

    python benchmarks/sync_slow_link.py [--opinions 60] [--photos 3] [--photo-kb 300]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.setup import laptop_and_central  # noqa: E402
from benchmarks.vietnamese import opinion_fields  # noqa: E402
from field_app.attachments import logic as attachments  # noqa: E402
from field_app.demo import sample_forum  # noqa: E402
from field_app.extensions import db  # noqa: E402
from field_app.opinions import logic as opinions  # noqa: E402
from field_app.outbox import logic  # noqa: E402
from sync.client import SyncClient  # noqa: E402
from tests.netproxy import FaultProxy  # noqa: E402

COMMUNE = 3808  # Xã Mường La
BYTES_PER_SECOND = 32_000  # 256 kbit/s
ONE_WAY_DELAY = 0.15  # 300 ms round trip
TARGET = 1.2


def record_forum(count: int, photos: int, photo_bytes: int, data_dir: Path) -> None:
    """Record a forum with `count` opinions and `photos` photos of its minutes."""
    rng = random.Random(256)
    forum = sample_forum(COMMUNE)
    for _ in range(count):
        opinions.create_opinion(opinion_fields(rng, "Bản Nà Lò"), forum)
    for i in range(photos):
        # A JPEG's start (the app sniffs it) then noise: compresses no better than a photo.
        photo = io.BytesIO(b"\xff\xd8\xff" + os.urandom(photo_bytes - 3))
        attachments.attach(data_dir, photo, f"bien_ban_trang_{i + 1}.jpg",
                           20 * 1024 * 1024, forum=forum)
    db.session.commit()


class Requests:
    """Wrap SyncClient._send to note each request: path, bytes sent, seconds."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, int, float]] = []
        self._original = SyncClient._send

    def __enter__(self) -> Requests:
        original, log = self._original, self.log

        def send(client, method, path, body=b"", headers=None, signed=True):
            began = time.perf_counter()
            try:
                return original(client, method, path, body, headers, signed)
            finally:
                log.append((method, path, len(body), time.perf_counter() - began))

        SyncClient._send = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc) -> None:
        SyncClient._send = self._original  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=60)
    parser.add_argument("--photos", type=int, default=3)
    parser.add_argument("--photo-kb", type=int, default=300)
    args = parser.parse_args()
    with laptop_and_central() as (app, central, laptop_dir):
        with app.app_context():
            record_forum(args.opinions, args.photos, args.photo_kb * 1024, laptop_dir)
            pending = logic.pending_count()
            with FaultProxy(central.port) as proxy:
                # Enrolled on an open link: only run_sync() is shaped and counted.
                logic.enroll(proxy.url, central.enrolment_code(), "Máy bản Nà Lò")
                faults = proxy.faults
                faults.reset_counts()
                faults.one_way_delay, faults.bytes_per_second = ONE_WAY_DELAY, BYTES_PER_SECOND
                with Requests() as requests:
                    began = time.perf_counter()
                    summary = logic.run_sync()
                    elapsed = time.perf_counter() - began
                up, down, connections = faults.counts()
            db.session.remove()
            db.engine.dispose()
        held, blobs = central.count(), len(list((central.data_dir / "blobs").glob("??/*")))

    total = up + down
    bound = total / BYTES_PER_SECOND
    trips = summary.round_trips
    with_rtt = bound + trips * 2 * ONE_WAY_DELAY
    photo_total = args.photos * args.photo_kb * 1024
    print(f"link: {BYTES_PER_SECOND} B/s ({BYTES_PER_SECOND * 8 // 1000} kbit/s) each way, "
          f"{2 * ONE_WAY_DELAY * 1000:.0f} ms round trip")
    print(f"forum: {args.opinions} opinions, {args.photos} photos x {args.photo_kb} KB "
          f"({photo_total} B); {pending} records waiting")
    print(f"central afterwards: {held} records, {blobs} photo files; summary stored "
          f"{summary.stored}, rejected {summary.rejected}, photos {summary.blobs}, "
          f"pulled {summary.pulled}")
    print()
    print(f"run_sync() elapsed                       {elapsed:8.1f} s")
    print(f"bytes at proxy: up {up}, down {down}, total {total}")
    print(f"  of which photo bytes                   {photo_total:8} "
          f"({photo_total / total:.1%})")
    print(f"bandwidth bound (total bytes / {BYTES_PER_SECOND} B/s) {bound:8.1f} s")
    print(f"bound + {trips} round trips x 0.3 s          {with_rtt:8.1f} s")
    ratio = elapsed / bound
    print(f"elapsed / bandwidth bound                {ratio:8.2f}x  (target <= {TARGET}x) "
          f"{'OK' if ratio <= TARGET else 'ABOVE TARGET'}")
    print(f"elapsed / (bound + round trips)          {elapsed / with_rtt:8.2f}x")
    print(f"HTTP round trips (SyncClient): {trips}; proxy connections: {connections}")
    print()
    print(f"{'request':24} {'body bytes':>11} {'seconds':>8} {'at 32 kB/s':>10}")
    for method, path, size, seconds in requests.log:
        print(f"{method + ' ' + path:24} {size:11} {seconds:8.2f} "
              f"{size / BYTES_PER_SECOND:10.2f}")


if __name__ == "__main__":
    main()
