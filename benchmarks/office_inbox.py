"""Office inbox at a province's scale: ingest with the projection on, then query times.

Fills a fresh PostgreSQL central with N opinions (default 1,000,000) over 75
communes of Sơn La and 3,000 villages THROUGH THE REAL INGEST PATH: one laptop
enrolled per commune pushes its villages, forums and opinions in batches of
5,000 through `sync.store.ingest_batch`, the office projection registered (the
central role registers it), and the ingest rate is printed. The office then
works part of the inbox (statuses spread over the workflow, as months of work
would leave them; plain SQL, not timed). Then `langnghe central` runs in a
waitress subprocess on 127.0.0.1 and each case is requested ~50 times over
real HTTP, from the office API and from the inbox page, with an administrator's
API token: p50/p95/p99 are printed, with the PostgreSQL plan of each query
(`--explain`). Prints figures; asserts nothing.

The inbox counts its total only up to 1,000 matches, and not at all past the
1,000th (`field_app.central.inbox.logic.find_opinions`): the answers then carry
`total_exact: false` and a lower bound; whether a next page exists is always known.

    python benchmarks/office_inbox.py [--opinions 1000000] [--database URL]
        [--requests 50] [--explain]

Without --database it creates a temporary database at 127.0.0.1 and drops it.
With --database it keeps the database, and a database already filled by an
earlier run is reused as it is (no second fill): fill once, measure many times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import vietnam_provinces as vp  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.dialects import postgresql  # noqa: E402

from benchmarks.sync_ingest import (  # noqa: E402
    BATCH,
    central_app,
    enrol_device,
    push,
    wire_records,
)
from benchmarks.vietnamese import VILLAGES  # noqa: E402
from field_app.extensions import db  # noqa: E402
from sync import store  # noqa: E402

SON_LA = 14
COMMUNES = 75
VILLAGES_TOTAL = 3_000
STATUSES_SPREAD = ("received", "received", "forwarded", "in_progress", "answered", "closed")


def communes(count: int) -> list[int]:
    """Return `count` commune codes of Sơn La (the official list after the 2025 reform)."""
    codes = sorted(int(ward.code) for ward in vp.Ward.iter_all()
                   if int(ward.province_code) == SON_LA)
    if len(codes) < count:
        raise SystemExit(f"Sơn La has {len(codes)} communes, fewer than {count}")
    return codes[:count]


def village_names(per_commune: int) -> tuple[str, ...]:
    return tuple(f"{VILLAGES[i % len(VILLAGES)]} {i // len(VILLAGES) + 1}"
                 for i in range(per_commune))


def fill(engine, blobs: store.BlobStore, opinions: int) -> None:
    """Push every commune's records through the ingest path; print the rate."""
    codes = communes(COMMUNES)
    per_village = VILLAGES_TOTAL // COMMUNES
    counts: dict = {}
    per_batch: list[float] = []
    total_seconds, total_records = 0.0, 0
    began = time.perf_counter()
    for index, code in enumerate(codes):
        share = opinions // COMMUNES + (1 if index < opinions % COMMUNES else 0)
        records = wire_records(share, node=f"bench{index:08d}", commune=code,
                               village_names=village_names(per_village), seed=index)
        device_id = enrol_device(engine, code, f"Máy bản {index + 1}")
        total_seconds += push(engine, device_id, records, blobs, counts, per_batch)
        total_records += len(records)
        if (index + 1) % 15 == 0:
            print(f"  {index + 1}/{len(codes)} communes, {total_records:,} records, "
                  f"{total_records / total_seconds:,.0f} records/s so far "
                  f"({time.perf_counter() - began:.0f} s wall)", flush=True)
    print(f"ingest (projection on): {total_records:,} records in {total_seconds:.1f} s = "
          f"{total_records / total_seconds:,.0f} records/s; batches of {BATCH}, "
          f"min/median/max {min(per_batch):.2f}/{statistics.median(per_batch):.2f}/"
          f"{max(per_batch):.2f} s; {counts}", flush=True)


def work_the_inbox(engine) -> None:
    """Spread statuses over the workflow, as months of office work leave them (not timed)."""
    spread = "ARRAY[" + ",".join(f"'{status}'" for status in STATUSES_SPREAD) + "]"
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE office_opinion SET status = ({spread})"
                          f"[1 + abs(hashtext(id::text)) % {len(STATUSES_SPREAD)}]"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE office_opinion"))


def settle_pairing(engine) -> None:
    """Leave the duplicate finder as a server that paired opinions as they came leaves it.

    The fill queues every opinion for pairing (office_similar_pending); pairing a
    million takes hours (benchmarks/duplicates.py measures it), and a served central
    would spend the measurement doing it. The queue is emptied instead and one
    opinion in ten is stored as the likely duplicate of its commune's next one (both
    ways), so the inbox's counts read real pairs. Not timed.
    """
    with engine.begin() as conn:
        queued = conn.execute(text("SELECT count(*) FROM office_similar_pending")).scalar_one()
        if not queued:
            return
        conn.execute(text("DELETE FROM office_similar_pending"))
        conn.execute(text("""
            INSERT INTO office_similar (opinion_id, other_id, score)
            SELECT one, other, 0.5 FROM (
                SELECT id AS one, lead(id) OVER (PARTITION BY commune_code ORDER BY id) AS other,
                       row_number() OVER (PARTITION BY commune_code ORDER BY id) AS n
                FROM office_opinion) AS ordered
            WHERE n % 10 = 1 AND other IS NOT NULL
            ON CONFLICT DO NOTHING"""))
        conn.execute(text("""
            INSERT INTO office_similar (opinion_id, other_id, score)
            SELECT other_id, opinion_id, score FROM office_similar ON CONFLICT DO NOTHING"""))
        paired = conn.execute(text("SELECT count(*) FROM office_similar")).scalar_one()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE office_similar"))
        conn.execute(text("VACUUM ANALYZE office_similar_pending"))
    print(f"pairing settled: {queued:,} queued opinions marked paired, "
          f"{paired:,} stored pairs (both ways)", flush=True)


def office_token(app, role: str = "admin", commune: int | None = None) -> str:
    """Return an API token of an account (no commune: province-wide, every opinion)."""
    from field_app.central.accounts.logic import create_account, create_token
    from field_app.central.accounts.models import Account

    with app.app_context():
        account = db.session.execute(select(Account).where(
            Account.username == f"benchmark-{role}")).scalar_one_or_none()
        if account is None:  # a reused database keeps the accounts of its first run
            account = create_account(f"benchmark-{role}", "benchmark-password", role, commune)
        token = create_token(account, "benchmark")
        db.session.commit()
    return token


def cases(engine) -> dict[str, dict]:
    """Return the benchmark's filters: real values picked from the filled database."""
    from field_app.central.inbox.models import OfficeOpinion

    with engine.connect() as conn:
        commune = conn.execute(select(OfficeOpinion.commune_code).limit(1)).scalar_one()
        village = conn.execute(select(OfficeOpinion.village_id).where(
            OfficeOpinion.commune_code == commune).limit(1)).scalar_one()
    return {"no filter": {}, "commune + status": {"commune": commune, "status": "forwarded"},
            "village": {"village": str(village)}, 'search "duong"': {"q": "duong"},
            'search "sat lo dat"': {"q": "sat lo dat"},
            'search "quang xuan"': {"q": "quang xuan"},  # a name: the admin sees names
            'search "cau treo"': {"q": "cau treo"},  # matches nothing
            'commune "duong"': {"commune": commune, "q": "duong"},
            # A village's name: its villages' opinions by id (Bản Nà Lò 1…, Bản Nà Lốc…).
            'search "na lo"': {"q": "na lo"},
            'commune "na lo duong"': {"commune": commune, "q": "na lo duong"},
            "page 1000": {"page": 1000}}


def explain(app, filters: dict) -> None:
    """Print PostgreSQL's plan of the page's query and of its capped count."""
    from field_app.central.accounts.models import Account
    from field_app.central.inbox import logic as inbox
    from field_app.central.inbox.models import OfficeOpinion

    with app.app_context():
        account = db.session.execute(select(Account).where(
            Account.username == "benchmark-admin")).scalar_one()
        parsed = inbox.Filters.parse({name: str(value) for name, value in filters.items()})
        query = inbox.opinion_query(account, parsed)
        offset = (parsed.page - 1) * parsed.per_page
        counted = select(func.count()).select_from(
            query.order_by(None).with_only_columns(OfficeOpinion.id)
            .limit(inbox.COUNT_CAP + 1).subquery())
        statements = [("page ids", query.with_only_columns(OfficeOpinion.id)
                       .offset(offset).limit(parsed.per_page + 1))]
        if offset < inbox.COUNT_CAP:  # a deep page counts nothing (find_opinions)
            statements.append(("count", counted))
        for name, statement in statements:
            compiled = statement.compile(dialect=postgresql.dialect(),
                                         compile_kwargs={"render_postcompile": True})
            plan = db.session.connection().exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS OFF) " + str(compiled), compiled.params).scalars()
            print(f"    -- {name}:")
            for line in plan:
                print("      " + line)
        db.session.remove()


def timed(session: requests.Session, url: str, count: int) -> list[float]:
    for _ in range(3):  # warm the caches and the connection
        session.get(url, timeout=120).raise_for_status()
    times = []
    for _ in range(count):
        began = time.perf_counter()
        response = session.get(url, timeout=120)
        times.append(time.perf_counter() - began)
        response.raise_for_status()
    return times


def percentiles(times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return (f"p50 {cuts[49] * 1000:7.1f} ms  p95 {cuts[94] * 1000:7.1f} ms  "
            f"p99 {cuts[98] * 1000:7.1f} ms")


def run(url: str, opinions: int, count: int, show_plans: bool) -> None:
    from tests.sync_support import Central

    with tempfile.TemporaryDirectory() as tmp:
        app = central_app(url, Path(tmp))
        with app.app_context():
            engine = db.engine
            with engine.connect() as conn:
                filled = conn.execute(text("SELECT EXISTS (SELECT 1 FROM office_opinion)")
                                      ).scalar_one()
            if filled:
                print("reusing the opinions already in this database (no fill)")
            else:
                fill(engine, store.BlobStore(Path(tmp) / "blobs"), opinions)
                work_the_inbox(engine)
            settle_pairing(engine)
            held = engine.connect().execute(select(func.count()).select_from(
                text("office_opinion"))).scalar_one()
            chosen = cases(engine)
            db.session.remove()
        print(f"office_opinion rows: {held:,}")
        token = office_token(app)
        officer = office_token(app, "officer", chosen["commune + status"]["commune"])
        central = Central(Path(tmp), url).start()
        try:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            answer = session.get(central.url + "/central/api/v1/opinions?per_page=1")
            first = answer.json()
            if answer.status_code != 200:
                log = (Path(tmp) / "central.log").read_text(errors="replace")[-3000:]
                raise SystemExit(f"the API answered {answer.status_code}: {first}\n{log}")
            print(f"API total at page 1 (capped count): {first['total']:,} "
                  f"(exact: {first['total_exact']})")
            print(f"\n{count} requests each over HTTP (waitress, 127.0.0.1), 50 per page:")
            for name, filters in chosen.items():
                query = urlencode(filters)
                for where, path in (("API ", "/central/api/v1/opinions"),
                                    ("page", "/central/inbox")):
                    times = timed(session, f"{central.url}{path}?{query}", count)
                    print(f"  {name:18} {where}  {percentiles(times)}", flush=True)
                if not filters:
                    # The page of a commune's officer: its 40 villages in the filter box,
                    # not the province's 3,000.
                    session.headers["Authorization"] = f"Bearer {officer}"
                    times = timed(session, f"{central.url}/central/inbox", count)
                    session.headers["Authorization"] = f"Bearer {token}"
                    print(f"  {'(commune officer)':18} page  {percentiles(times)}", flush=True)
                if show_plans:
                    explain(app, filters)
        finally:
            central.close()
            with app.app_context():
                db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=1_000_000)
    parser.add_argument("--database", help="an empty PostgreSQL database's URL "
                                           "(default: a temporary one, dropped after)")
    parser.add_argument("--requests", type=int, default=50, help="requests per case")
    parser.add_argument("--explain", action="store_true",
                        help="print PostgreSQL's plan of each case's queries")
    args = parser.parse_args()
    from tests.sync_support import drop_pg_database, make_pg_database

    url = args.database or make_pg_database()
    print(f"{args.opinions:,} opinions, {COMMUNES} communes, {VILLAGES_TOTAL:,} villages, "
          f"PostgreSQL {url.rsplit('@', 1)[-1]}", flush=True)
    try:
        run(url, args.opinions, args.requests, args.explain)
    finally:
        if not args.database:
            drop_pg_database(url)


if __name__ == "__main__":
    main()
