"""Bytes on the wire per record: a real sync against `xz -9` of the same records.

Records one forum with 2,000 Vietnamese opinions on a field app (own SQLite
file), starts a real central (`langnghe central`, waitress, SQLite) in a
subprocess, enrols the laptop through a FaultProxy without faults and runs
`run_sync()`. Compares what crossed the proxy (both directions, HTTP headers
included) with the same records as canonical JSON lines compressed by
`xz -9`. Prints figures; asserts nothing.

Then (unless --no-edits) the secretary corrects the content of every
opinion and syncs again: the bytes of that second sync show what an edited
record costs, including the list of fields it changed (per-field merge).

    python benchmarks/sync_wire.py [--opinions 2000] [--no-edits]
"""

from __future__ import annotations

import argparse
import contextlib
import lzma
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.setup import laptop_and_central  # noqa: E402
from benchmarks.vietnamese import opinion_fields  # noqa: E402
from field_app.demo import sample_forum  # noqa: E402
from field_app.extensions import db  # noqa: E402
from field_app.opinions import logic as opinions  # noqa: E402
from field_app.outbox import logic  # noqa: E402
from sync.client import SyncClient  # noqa: E402
from sync.protocol import compress, dumps  # noqa: E402
from tests.netproxy import FaultProxy  # noqa: E402

COMMUNE = 3808  # Xã Mường La
TARGET = 1.10


def record_forum(count: int) -> None:
    """Record one forum in Bản Nà Lò with `count` opinions, as a secretary would."""
    rng = random.Random(2026)
    forum = sample_forum(COMMUNE)
    db.session.commit()
    for i in range(count):
        opinions.create_opinion(opinion_fields(rng, "Bản Nà Lò"), forum)
        if i % 250 == 249:
            db.session.commit()
    db.session.commit()


def xz9(data: bytes) -> tuple[int, str]:
    """Return the size of `data` compressed by `xz -9` (the binary if present)."""
    binary = shutil.which("xz")
    if binary:
        done = subprocess.run([binary, "-9", "-c"], input=data, capture_output=True,
                              check=True)
        return len(done.stdout), "xz -9 -c (binary)"
    return (len(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)),
            "lzma preset 9|EXTREME (no xz binary)")


@contextlib.contextmanager
def pushes_seen(seen: list[bytes]):
    """Note the JSON of every envelope `SyncClient.push` sends (before compression)."""
    original = SyncClient.push

    def push(client, envelope):
        seen.append(dumps(envelope))
        return original(client, envelope)

    SyncClient.push = push  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        SyncClient.push = original  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=2000)
    parser.add_argument("--no-edits", action="store_true",
                        help="skip the second sync of edited opinions")
    args = parser.parse_args()
    edits: tuple[int, int, float] | None = None
    with laptop_and_central() as (app, central, laptop_dir):
        with app.app_context():
            began = time.perf_counter()
            record_forum(args.opinions)
            records = logic.waiting_records()
            print(f"recorded {args.opinions} opinions ({len(records)} records with "
                  f"villages and forum) in {time.perf_counter() - began:.1f} s")
            lines = b"".join(dumps(item) + b"\n" for item in records)
            packed, how = xz9(lines)
            with FaultProxy(central.port) as proxy:
                logic.enroll(proxy.url, central.enrolment_code(), "Máy bản Nà Lò")
                faults = proxy.faults
                enrol_bytes = faults.reset_counts()
                with pushes_seen([]) as envelopes:
                    began = time.perf_counter()
                    summary = logic.run_sync()
                    elapsed = time.perf_counter() - began
                up, down, connections = faults.counts()
                if not args.no_edits:
                    edits = edit_and_sync(faults)
            db.session.remove()
            db.engine.dispose()
        held = central.count()
    count = len(records)
    wire = up + down
    bodies = summary.bytes_sent + summary.bytes_received
    print(f"sync: {elapsed:.1f} s, stored {summary.stored}, rejected {summary.rejected}, "
          f"{summary.batches} push batches, {summary.round_trips} round trips, "
          f"{connections} proxy connection(s); central holds {held} records")
    print(f"(enrolment before it: {enrol_bytes} B at the proxy, not counted below)")
    print()
    print(f"{'':46} {'bytes':>10} {'B/record':>9}")
    rows = [
        ("canonical JSON lines, uncompressed", len(lines)),
        (f"same lines, {how}", packed),
        ("sync at the proxy, up (requests)", up),
        ("sync at the proxy, down (answers)", down),
        ("sync at the proxy, up + down", wire),
        ("sync bodies only (SyncClient counters)", bodies),
    ]
    for label, size in rows:
        print(f"{label:46} {size:10} {size / count:9.1f}")
    print()
    ratio = wire / packed
    print(f"wire / xz -9: {ratio:.3f}x  (target <= {TARGET:.2f}x) "
          f"{'OK' if ratio <= TARGET else 'ABOVE TARGET'}")
    print(f"bodies only / xz -9: {bodies / packed:.3f}x; HTTP headers and framing: "
          f"{wire - bodies} B ({(wire - bodies) / summary.round_trips:.0f} B per round trip)")
    # Where the bytes above xz -9 come from: the push bodies, compressed per batch.
    sent = sum(len(compress(body, "xz")) for body in envelopes)
    extreme = sum(len(lzma.compress(body, preset=6 | lzma.PRESET_EXTREME))
                  for body in envelopes)
    print()
    print(f"push bodies as sent ({len(envelopes)} batches of "
          f"{', '.join(str(len(body)) for body in envelopes)} B JSON, each compressed by "
          f"sync.protocol.compress 'xz'): "
          f"{sent} B = {sent / packed:.3f}x xz -9")
    print(f"  same batches at preset 6|EXTREME (what-if): {extreme} B = "
          f"{extreme / packed:.3f}x; wire would be ~{(wire - sent + extreme) / packed:.3f}x")
    if edits is not None:
        edited, edit_wire, edit_seconds = edits
        print()
        print(f"content of {edited} opinions corrected, synced again: {edit_seconds:.1f} s, "
              f"{edit_wire} B at the proxy (up + down) = {edit_wire / edited:.1f} B per "
              f"edited record")


def edit_and_sync(faults) -> tuple[int, int, float]:
    """Correct every opinion's content on the laptop, sync; return (records, bytes, s)."""
    from field_app.opinions.models import Opinion

    edited = 0
    for opinion in db.session.execute(db.select(Opinion)).scalars():
        values = {name: getattr(opinion, name) for name in opinions.OPINION_FIELDS}
        opinions.update_opinion(opinion, {**values, "content": opinion.content + " (đã sửa)"})
        edited += 1
    db.session.commit()
    faults.reset_counts()
    began = time.perf_counter()
    logic.run_sync()
    elapsed = time.perf_counter() - began
    up, down, _connections = faults.counts()
    return edited, up + down, elapsed


if __name__ == "__main__":
    main()
