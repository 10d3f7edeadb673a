"""The read-out list on a laptop: milliseconds to render a village's answers (issue 10, item 5).

Fills a fresh laptop database (SQLite, migrated) with `--opinions` opinions of one
village, one in ten answered by the office and not yet read out, then times, through
the app's test client, the read-out list, the list with answers already read, and
the count the forum page shows. Prints medians. Asserts nothing.

    python benchmarks/readout.py [--opinions 20000] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from field_app import create_app
    from field_app.answers import logic as answers
    from field_app.areas import logic as areas
    from field_app.cli import upgrade_database
    from field_app.extensions import db
    from field_app.forums import logic as forums
    from field_app.models_base import utcnow
    from field_app.opinions.models import Opinion
    from field_app.outbox.capture import APPLYING_CENTRAL

    app = create_app({"DATA_DIR": Path(tempfile.mkdtemp()), "TESTING": True})
    upgrade_database(app)
    with app.app_context():
        village = areas.add_village(areas.choose_commune(3808), "Bản Nà Lò", None, 120)
        forum = forums.create_forum({"kind": "listening", "village_id": village.id,
                                     "started_at": datetime(2026, 11, 20, 8), "venue": "NVH"})
        db.session.commit()
        db.session.info[APPLYING_CENTRAL] = True  # filled as a pull leaves it: nothing to push
        now = utcnow()
        for i in range(args.opinions):
            answered = i % 10 == 0
            db.session.add(Opinion(
                id=uuid.uuid4(), kind="opinion", channel="forum", forum_id=forum.id,
                village_id=village.id, position=i, category_code="construction",
                content=f"Đề nghị sửa đường vào bản, đoạn {i} bị sạt lở sau mưa lũ",
                level="commune", raiser_name=f"Lò Văn {i}",
                answer_text="UBND xã sẽ sửa trong tháng 12." if answered else None,
                answer_by="Chủ tịch UBND xã" if answered else None,
                status="answered" if answered else "received", central_changed_at=now))
        db.session.commit()
        client = app.test_client()
        for name, url in (("read-out list", f"/villages/{village.id}/answers"),
                          ("with read ones", f"/villages/{village.id}/answers?all=1")):
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                assert client.get(url).status_code == 200
                times.append(time.perf_counter() - started)
            print(f"{name:16s} {args.opinions // 10} answers: median "
                  f"{statistics.median(times) * 1000:.0f} ms")
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            answers.unread_count(village.id)
            times.append(time.perf_counter() - started)
        print(f"forum page count over {args.opinions} opinions: median "
              f"{statistics.median(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
