"""Report query and export times at a province's scale (issue 11's benchmark).

Fills a fresh PostgreSQL central's OFFICE TABLES DIRECTLY (COPY, 20,000 opinions a
statement, not the ingest path: the ingest is benchmarks/sync_ingest.py's and office_inbox.py's
subject; here only the report's reads are timed): N opinions (default 1,000,000)
over 75 communes of Sơn La and 3,000 villages, one listening forum for most
villages and a few dialogues, the office's workflow spread over the opinions
(units, due dates, answers, satisfaction) and late cases in office_case. Then,
in-process, each report panel (field_app/central/reports/figures.py PANELS) is
run `--repeat` times for one commune's officer and for the province's
administrator: p50/p95 per panel, the whole report (`compute`), and the time to
build the XLSX, the DOCX and the CSV. Prints figures; asserts nothing.

    python benchmarks/reports.py [--opinions 1000000] [--repeat 20] [--database URL]
                                 [--http N]

--http N: then `langnghe central` (waitress) serves the dashboard page and the API's
JSON to a commune's officer and to the province's administrator, N times each.

Without --database it creates a temporary database at 127.0.0.1 and drops it. A
--database a previous run filled is reused as it is (fill once, time many times).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from benchmarks.office_inbox import COMMUNES, VILLAGES_TOTAL, communes  # noqa: E402
from benchmarks.sync_ingest import central_app  # noqa: E402
from field_app.central.cases.models import OfficeCase  # noqa: E402
from field_app.central.catalogue.models import OfficeVillage, Unit  # noqa: E402
from field_app.central.inbox.models import OfficeForum, OfficeOpinion  # noqa: E402
from field_app.central.reports import exports, figures, periods  # noqa: E402
from field_app.extensions import db  # noqa: E402
from sync import bulk  # noqa: E402
from sync.records import CHANNELS, LEVELS, OPINION_KINDS, SOURCE_ORGS  # noqa: E402

CATEGORIES = ("land", "construction", "electricity", "water", "social_policy", "health",
              "procedures", "other")
CHUNK = 20_000
PERIOD = "2026-Y"


@dataclass
class Reader:
    """An account as `scoped()` reads it (an officer of one commune, or the province)."""

    commune_code: int | None
    role: str = "admin"
    unit_id: int | None = None


def fill(app, opinions: int, seed: int = 11) -> list[int]:
    """Write the office tables directly; return the communes."""
    rng = random.Random(seed)
    codes = communes(COMMUNES)
    per_commune = VILLAGES_TOTAL // len(codes)
    now = datetime(2026, 11, 1, 8, 0)
    start = date(2025, 12, 10)
    with app.app_context():
        conn = db.session.connection()
        units = {}
        for code in codes:
            ids = []
            for name in ("Địa chính – Xây dựng", "Văn phòng HĐND – UBND", "Văn hóa – Xã hội"):
                ids.append(conn.execute(insert(Unit).values(
                    commune_code=code, name=name, kind="commune", active=True,
                    created_at=now).returning(Unit.id)).scalar_one())
            units[code] = ids
        villages = []
        for code in codes:
            for n in range(per_commune):
                villages.append({"id": uuid.uuid4(), "commune_code": code,
                                 "name": f"Bản {n + 1} xã {code}", "folded": f"ban {n + 1}",
                                 "kind": "ban", "households": rng.randint(40, 300),
                                 "deleted": False})
        conn.execute(insert(OfficeVillage), villages)
        forums = []
        for village in villages:
            if rng.random() < 0.85:
                day = start + timedelta(days=rng.randrange(360))
                forums.append({"id": uuid.uuid4(), "commune_code": village["commune_code"],
                               "village_id": village["id"], "device_id": "bench",
                               "kind": "listening" if rng.random() < 0.9 else "chairman_dialogue",
                               "started_at": datetime(day.year, day.month, day.day, 8),
                               "attendance_total": 60, "attendance_women": 25,
                               "attendance_ethnic_minority": 50,
                               "households_represented": 45, "status": "finalised",
                               "deleted": False, "first_received_at": now, "updated_at": now})
        conn.execute(insert(OfficeForum), forums)
        rows = []
        for _n in range(opinions):
            village = villages[rng.randrange(len(villages))]
            received = start + timedelta(days=rng.randrange(360))
            due = received + timedelta(days=rng.choice((15, 30, 45)))
            answered = rng.random() < 0.6
            answer = received + timedelta(days=rng.randrange(1, 50)) if answered else None
            rows.append({
                "id": uuid.uuid4(), "commune_code": village["commune_code"],
                "village_id": village["id"], "device_id": "bench",
                "kind": rng.choice(OPINION_KINDS), "channel": rng.choice(CHANNELS),
                "source_org": rng.choice((None, None, *SOURCE_ORGS)),
                "level": rng.choice(LEVELS), "category_code": rng.choice(CATEGORIES),
                "content": "Ý kiến về đường vào bản", "anonymous": False,
                "answered_on_spot": rng.random() < 0.2, "needs_follow_up": rng.random() < 0.5,
                "received_on": received, "first_received_at": now, "updated_at": now,
                "deleted": False, "folded": "y kien ve duong vao ban",
                "status": "answered" if answered else rng.choice(("received", "forwarded",
                                                                  "in_progress")),
                "unit_id": rng.choice(units[village["commune_code"]]), "due_on": due,
                "answer_date": answer, "answer_text": "Đã trả lời" if answered else None,
                "satisfaction": rng.choice(("satisfied", "satisfied", "satisfied",
                                            "unsatisfied", "unknown")) if answered else None})
            if len(rows) == CHUNK:
                bulk.insert(conn, OfficeOpinion.__table__, rows)
                rows = []
        if rows:
            bulk.insert(conn, OfficeOpinion.__table__, rows)
        cases = [{"commune_code": code, "title": "Vụ việc", "kind": "petition",
                  "status": "closed", "received_on": start + timedelta(days=k),
                  "due_on": start + timedelta(days=k + 15),
                  "answer_date": start + timedelta(days=k + 15 + rng.choice((-3, 4))),
                  "late_explanation": rng.choice((None, "Hồ sơ phức tạp")),
                  "created_at": now, "updated_at": now}
                 for code in codes for k in range(0, 300, 10)]
        conn.execute(insert(OfficeCase), cases)
        db.session.commit()
        # What autovacuum does to a table after many inserts (statistics, and the
        # visibility map that lets a query read an index alone), now rather than later.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return codes


def filled(app) -> list[int]:
    """Return the communes of a database a previous run filled (none: an empty one)."""
    with app.app_context():
        return sorted(db.session.execute(select(OfficeVillage.commune_code).distinct()).scalars())


def timed(call, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return times


def line(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"  {name:<14} p50 {statistics.median(ordered):8.1f} ms   p95 {p95:8.1f} ms"


def run(app, codes: list[int], repeat: int) -> None:
    period = periods.parse_code(PERIOD)
    today = date(2026, 11, 30)
    for label, reader in ((f"one commune ({codes[0]})", Reader(codes[0], "officer")),
                          ("whole province", Reader(None))):
        print(f"{label}, period {PERIOD}:")
        with app.test_request_context():
            scope = figures.Scope(reader, reader.commune_code, period, today)
            for name, panel in figures.PANELS.items():
                print(line(name, timed(lambda panel=panel, scope=scope: panel(scope), repeat)))
                db.session.rollback()
            print(line("whole report", timed(
                lambda reader=reader: figures.compute(reader, period, None, today),
                max(3, repeat // 4))))
            made = figures.compute(reader, period, None, today, personal=True)
            for kind in exports.TYPES:
                print(line(f"build {kind}", timed(lambda kind=kind, made=made:
                                                   exports.build(kind, made), 3)))


def office_token(app, role: str, commune: int | None) -> str:
    """Return an API token of a new account (no commune: the province's)."""
    from field_app.central.accounts.logic import create_account, create_token

    with app.app_context():
        account = create_account(f"bench-{role}-{uuid.uuid4().hex[:8]}", "benchmark-password",
                                 role, commune)
        token = create_token(account, "benchmark")
        db.session.commit()
    return token


def over_http(app, url: str, tmp: Path, codes: list[int], count: int) -> None:
    """Time the dashboard page and the API's JSON as a user waits for them (waitress)."""
    import requests

    from tests.sync_support import Central

    readers = {f"one commune ({codes[0]})": office_token(app, "officer", codes[0]),
               "whole province": office_token(app, "admin", None)}
    central = Central(tmp, url).start()
    try:
        print(f"over HTTP (waitress, 127.0.0.1), period {PERIOD}, {count} requests each:")
        for label, token in readers.items():
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            for name, path in (("dashboard page", "/central/reports"),
                               ("API JSON", "/central/api/v1/reports")):
                target = f"{central.url}{path}?period={PERIOD}"
                session.get(target, timeout=600).raise_for_status()  # warm up

                def get(session=session, target=target):
                    session.get(target, timeout=600).raise_for_status()

                print(line(f"{name}", timed(get, count)).replace("  ", f"  {label}: ", 1))
    finally:
        central.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20, help="runs per panel")
    parser.add_argument("--database", help="a PostgreSQL database's URL, empty or filled "
                        "by a previous run (default: a temporary one at 127.0.0.1)")
    parser.add_argument("--http", type=int, default=0, metavar="N",
                        help="also time the dashboard page and the API N times each")
    args = parser.parse_args()
    from tests.sync_support import drop_pg_database, make_pg_database

    url = args.database or make_pg_database()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = central_app(url, Path(tmp))
            codes = filled(app)
            if codes:
                print(f"reusing the {len(codes)} communes' data already in --database")
            else:
                began = time.perf_counter()
                codes = fill(app, args.opinions)
                print(f"seeded {args.opinions:,} opinions, {VILLAGES_TOTAL:,} villages, "
                      f"{len(codes)} communes in {time.perf_counter() - began:.0f} s (direct "
                      f"inserts into the office tables)")
            run(app, codes, args.repeat)
            if args.http:
                over_http(app, url, Path(tmp), codes, args.http)
            with app.app_context():
                db.engine.dispose()
    finally:
        if not args.database:
            drop_pg_database(url)


if __name__ == "__main__":
    main()
