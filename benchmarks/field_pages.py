"""Field page latency with 20,000 local opinions (DESIGN.md section 7).

Builds a real SQLite database through the migrations, fills it with 20,000
opinions across 40 villages and 400 forums, then times the pages a village
head opens, through the Flask test client (no network). Prints figures;
asserts nothing.

    python benchmarks/field_pages.py [--opinions 20000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from field_app import create_app
from field_app.areas import logic as areas
from field_app.cli import upgrade_database
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


def timed(client, url: str, repeat: int) -> tuple[float, float]:
    client.get(url)  # warm up: templates compiled, pages cached by SQLite
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples), max(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATA_DIR": Path(tmp)})
        upgrade_database(app)
        with app.app_context():
            began = time.perf_counter()
            forums, villages = fill(args.opinions)
            print(f"filled {args.opinions} opinions, {len(forums)} forums in "
                  f"{time.perf_counter() - began:.1f} s")
            client = app.test_client()
            pages = [
                ("forum list", "/"),
                ("forum page (50 opinions)", f"/forums/{forums[0]['id']}"),
                ("opinion list, page 1", "/opinions"),
                ("opinion list, page 200", "/opinions?page=200"),
                ("search 'duong' (no diacritics)", "/opinions?q=" + fold("đường")),
                ("search 'sat lo cau'", "/opinions?q=sat+lo+cau"),
                ("filter village + category", f"/opinions?village_id={villages[3].id}"
                                             "&category_code=water"),
                ("minutes (HTML)", f"/forums/{forums[0]['id']}/minutes"),
                ("minutes (DOCX)", f"/forums/{forums[0]['id']}/minutes.docx"),
            ]
            print(f"{'page':34} {'median ms':>10} {'max ms':>8}")
            for label, url in pages:
                median, worst = timed(client, url, args.repeat)
                print(f"{label:34} {median:10.1f} {worst:8.1f}")
            db.engine.dispose()


if __name__ == "__main__":
    main()
