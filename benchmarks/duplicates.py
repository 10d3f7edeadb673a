"""Likely duplicates at a province's scale (PostgreSQL): one opinion's suggestions, and a push.

Seeds a fresh PostgreSQL central (migrated for real) with N opinions over C communes
of Sơn La. For speed the seeding writes DIRECTLY into the office tables with COPY
(office_opinion, and the duplicate finder's index: office_opinion_term,
office_opinion_terms and office_term_count, computed by the real
`duplicates.text.terms_of`), not through the ingest; the pairs of the last 2,000
seeded opinions are then found by the real
`duplicates.logic.refresh_opinions`, so reads have pairs to show. Texts come from
benchmarks/vietnamese.py's petitions, each with a random part of its words left out
and a clause of another petition added, a third typed without diacritics.

Then it prints:
* p50/p95 of the suggestions for one opinion as the opinion page and the API read
  them (`logic.suggestions`: stored pairs, scoped, explained), over 200 opinions;
* p50/p95 of finding one opinion's duplicates from scratch (`logic.find_similar`,
  the search the ingest runs for each arriving opinion);
* the time to find the duplicates of a whole new push of 500 opinions
  (`logic.refresh_opinions`, as the ingest's listener runs it, rows already projected);
* the inbox count for a page of 50 rows (`logic.similar_counts`).
Prints figures; asserts nothing.

    python benchmarks/duplicates.py [--opinions 20000] [--communes 75] [--database URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from benchmarks.office_inbox import communes  # noqa: E402
from benchmarks.sync_ingest import central_app  # noqa: E402
from benchmarks.vietnamese import VILLAGES, opinion_fields  # noqa: E402
from field_app.central.duplicates import logic  # noqa: E402
from field_app.central.duplicates.text import terms_of  # noqa: E402
from field_app.central.inbox.models import OfficeOpinion  # noqa: E402
from field_app.central.inbox.projection import search_text  # noqa: E402
from field_app.extensions import db  # noqa: E402
from sync import bulk  # noqa: E402
from sync.text import fold  # noqa: E402


def petition(rng: random.Random, village: str) -> dict:
    """Return one opinion's fields: a petition, partly reworded, maybe without diacritics."""
    fields = opinion_fields(rng, village)
    words = fields["content"].split()
    kept = [word for word in words if rng.random() < 0.7]
    extra = opinion_fields(rng, village)["content"].split()
    start = rng.randrange(max(1, len(extra) - 8))
    content = " ".join(kept + extra[start:start + rng.randint(3, 8)])
    if rng.random() < 0.33:
        content = fold(content)
    fields["content"] = content
    return fields


def rows_for(rng, count: int, codes: list[int], villages: dict, start: datetime) -> list[dict]:
    rows = []
    for i in range(count):
        commune = codes[i % len(codes)]
        village_id, name = rng.choice(villages[commune])
        fields = petition(rng, name)
        row = {"id": uuid.uuid4(), "commune_code": commune, "village_id": village_id,
               "device_id": f"bench{commune}", "kind": fields["kind"], "channel": "forum",
               "level": fields["level"], "category_code": fields["category_code"],
               "category_name": None, "content": fields["content"], "anonymous": False,
               "raiser_name": fields["raiser_name"], "answered_on_spot": False,
               "needs_follow_up": False, "received_on": start.date(),
               "first_received_at": start + timedelta(seconds=i),
               "updated_at": start + timedelta(seconds=i), "deleted": False,
               "status": "received"}
        row["folded"], row["raiser_folded"] = search_text(row), None
        rows.append(row)
    return rows


def seed(conn, rows: list[dict]) -> None:
    """COPY opinions, their terms and the term counts (the index the ingest would build)."""
    bulk.insert(conn, OfficeOpinion.__table__, rows)
    postings, counts, kept = [], Counter(), []
    for row in rows:
        every = terms_of(row["content"]).terms
        terms = logic.indexed(every)
        postings += [{"term": t, "commune_code": row["commune_code"], "opinion_id": row["id"]}
                     for t in terms]
        kept.append({"opinion_id": row["id"],
                     "terms": logic.TERMS_SEPARATOR.join(sorted(every))})
        counts.update((row["commune_code"], t) for t in terms)
        counts[row["commune_code"], ""] += 1
    bulk.insert(conn, logic.postings, postings)
    bulk.insert(conn, logic.kept_terms, kept)
    logic._add_counts(conn, dict(counts))


def percentiles(times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1000:7.1f} ms  p95 {cuts[94] * 1000:7.1f} ms"


def run(url: str, opinions: int, commune_count: int) -> None:
    rng = random.Random(11)
    codes = communes(commune_count)
    villages = {code: [(uuid.uuid4(), VILLAGES[(i + k) % len(VILLAGES)]) for k in range(40)]
                for i, code in enumerate(codes)}
    start = datetime(2026, 1, 1, 8)
    with tempfile.TemporaryDirectory() as tmp:
        app = central_app(url, Path(tmp))
        with app.app_context():
            engine = db.engine
            began = time.perf_counter()
            chunk = 50_000
            for first in range(0, opinions, chunk):
                with engine.begin() as conn:
                    seed(conn, rows_for(rng, min(chunk, opinions - first), codes, villages,
                                        start + timedelta(days=first // chunk)))
                print(f"  seeded {min(first + chunk, opinions):,} opinions "
                      f"({time.perf_counter() - began:.0f} s)", flush=True)
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
                last = list(conn.execute(select(OfficeOpinion.id).order_by(
                    OfficeOpinion.first_received_at.desc()).limit(2000)).scalars())
                began = time.perf_counter()
                pairs = logic.refresh_opinions(conn, last)
                print(f"pairs of the last 2,000 seeded: {pairs:,} found in "
                      f"{time.perf_counter() - began:.1f} s", flush=True)
            admin = SimpleNamespace(commune_code=None, role="admin", is_authenticated=True,
                                    is_active=True)
            sample = rng.sample(last, 200)
            with app.test_request_context():
                times, shown = [], 0
                for key in sample:
                    item = db.session.get(OfficeOpinion, key)
                    began = time.perf_counter()
                    shown += len(logic.suggestions(admin, item))
                    times.append(time.perf_counter() - began)
                print(f"suggestions for one opinion (read, explained), 200 opinions: "
                      f"{percentiles(times)}  ({shown / len(sample):.1f} shown on average)")
                conn = db.session.connection()
                times = []
                for key in sample:
                    row = conn.execute(select(logic.opinion.c.id, logic.opinion.c.commune_code,
                                              logic.opinion.c.content,
                                              logic.opinion.c.category_code)
                                       .where(logic.opinion.c.id == key)).one()
                    began = time.perf_counter()
                    mine = terms_of(row.content).terms
                    logic.find_similar(conn, row, mine,
                                       logic.counts_for(conn, row.commune_code, mine))
                    times.append(time.perf_counter() - began)
                print(f"finding one opinion's duplicates from scratch: {percentiles(times)}")
                page = sample[:50]
                times = []
                for _ in range(20):
                    began = time.perf_counter()
                    logic.similar_counts(admin, page)
                    times.append(time.perf_counter() - began)
                print(f"inbox counts for a page of 50 rows: {percentiles(times)}")
                db.session.rollback()
            push = rows_for(rng, 500, codes[:1], villages, start + timedelta(days=400))
            with engine.begin() as conn:
                bulk.insert(conn, OfficeOpinion.__table__, push)
                began = time.perf_counter()
                pairs = logic.refresh_opinions(conn, [row["id"] for row in push])
                print(f"a new push of 500 opinions (one commune): {pairs:,} pairs in "
                      f"{time.perf_counter() - began:.2f} s")
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=20_000)
    parser.add_argument("--communes", type=int, default=75)
    parser.add_argument("--database", help="an empty PostgreSQL database's URL "
                                           "(default: a temporary one, dropped after)")
    args = parser.parse_args()
    from tests.sync_support import drop_pg_database, make_pg_database

    url = args.database or make_pg_database()
    print(f"{args.opinions:,} opinions, {args.communes} communes, PostgreSQL", flush=True)
    try:
        run(url, args.opinions, args.communes)
    finally:
        if not args.database:
            drop_pg_database(url)


if __name__ == "__main__":
    main()
