"""Find and keep an opinion's likely duplicates; read them back within an account's scope.

Where the work is done (measured in benchmarks/duplicates.py): just after opinions
arrive. `refresh` runs in the ingest's transaction and only queues the new or changed
opinions (office_similar_pending); `drain`, in its own transactions (a thread of the
served central every few seconds, and before any page or API answer that shows
pairs), updates the inverted index and the term counts, looks each queued opinion's
candidates up by its rarest terms, scores them (text.compare) and stores the pairs
over the threshold both ways. Reading is then an indexed lookup: the opinion page
and the API read ≤ 10 pairs and explain them; a page of 50 inbox rows counts its
pairs in one GROUP BY. A score is the one computed when the later of the two
opinions arrived; it is not recomputed as the commune's word counts drift.

Pairs across communes are stored too, from the rarest word pairs only; only an
account without a commune (the province) is shown them (`scoped`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite

from sync import bulk, store

from ...database import lock_for_writing, write_aside
from ...extensions import db
from ..accounts.permissions import scoped
from ..inbox.models import OfficeOpinion
from .models import OpinionTerm, OpinionTerms, SimilarPair, SimilarPending, TermCount
from .text import (
    FAULT_MARK,
    MAYBE_PLACE_MARK,
    SPELLING_MARK,
    THING_MARK,
    THRESHOLD,
    UNWEIGHED,
    Match,
    Terms,
    compare,
    place_term,
    telling_words,
    terms_of,
)

postings, counts_table, pairs, pending = (OpinionTerm.__table__, TermCount.__table__,
                                          SimilarPair.__table__, SimilarPending.__table__)
kept_terms = OpinionTerms.__table__
# Between an opinion's terms where they are kept: no term holds a line break.
TERMS_SEPARATOR = "\n"
# Opinions indexed and paired in one transaction of `drain`.
DRAIN_BATCH = 200
# The served central's thread pairs in small batches and lets go of the database
# between them: on SQLite a push waits for the write lock at most busy_timeout (5 s),
# and a batch of 200 held it 8-11 s on a loaded 2-core machine ("database is locked").
THREAD_BATCH = 20
BREATH = 0.25
# The thread pairs once no push has come for this long (a laptop sends its next batch
# within a second), or once it has waited the longest: a central that never falls quiet
# still pairs. Pairing as the batches came took a third of a long sync's time.
QUIET = 1.0
LONGEST_WAIT = 30.0
opinion = OfficeOpinion.__table__

MAX_SHOWN = 10
# Candidates scored per opinion, after the cheap first cut by shared rare terms.
CANDIDATES = 30
# Terms looked up per opinion: the rarest ones; a term in more than this share of the
# commune's opinions is too common to find anything by.
LOOKUP_TERMS = 10
COMMON_SHARE = 0.05
CROSS_LOOKUP_TERMS = 5
CROSS_POSTINGS = 400
# Pairs kept per arriving opinion: a page shows 10; a template letter copied by a whole
# district must not write thousands.
MAX_PAIRS = 20


# --- keeping the index -------------------------------------------------------------


def _add_counts(conn: Connection, deltas: dict[tuple[int, str], int]) -> None:
    """Add to the term counts (sorted: two pushes lock the rows in one order)."""
    rows = [{"commune_code": commune, "term": term, "opinions": delta}
            for (commune, term), delta in sorted(deltas.items()) if delta]
    if not rows:
        return
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)
    statement = insert(counts_table)
    conn.execute(statement.on_conflict_do_update(
        index_elements=["commune_code", "term"],
        set_={"opinions": counts_table.c.opinions + statement.excluded.opinions}), rows)


def counts_for(conn: Connection, commune_code: int, terms: Iterable[str]) -> dict[str, int]:
    """Return {term: opinions using it} in a commune, 0 if none; "" is the number of
    opinions. A lower-case pair of words that may be a place ("?pama") is counted as
    the place ("@pama"): it is one where the commune names it with capitals."""
    wanted = _counted(terms)
    found = {term: 0 for term in wanted if term}
    found.update((row.term, row.opinions) for row in conn.execute(
        select(counts_table.c.term, counts_table.c.opinions).where(
            counts_table.c.commune_code == commune_code,
            store.among(conn, counts_table.c.term, wanted | {""}))))
    return found


def _counted(terms: Iterable[str]) -> set[str]:
    """Return the terms whose counts tell of these (a pair that may be a place: the
    place's)."""
    return {place_term(term) if term[:1] == MAYBE_PLACE_MARK else term for term in terms
            if term[:1] != SPELLING_MARK}


def indexed(terms: Iterable[str]) -> list[str]:
    """Return the terms of an opinion its postings hold: a lower-case pair of words that
    may be a place is looked up as one (counts_for), never indexed (it would double a
    lower-case opinion's postings)."""
    return [term for term in terms if term[0] not in UNWEIGHED]


def refresh(conn: Connection, stored: store.Stored) -> None:
    """Queue the opinions a batch wrote to be indexed and paired after its commit
    (sync.store.on_stored listener, registered after the office projection)."""
    ids = list(dict.fromkeys(item.id for item in stored.items if item.collection == "opinion"))
    if not ids:
        return
    if conn.dialect.name == "postgresql":  # one statement, not one a row
        # An opinion new to the central cannot be queued yet: those go straight in (COPY).
        new = stored.new or frozenset()
        bulk.insert(conn, pending, ({"opinion_id": key, "queued_at": stored.at}
                                    for key in ids if key in new))
        ids = [key for key in ids if key not in new]
        if not ids:
            return
        conn.execute(postgresql.insert(pending).from_select(
            ["opinion_id", "queued_at"],
            select(func.unnest(literal(ids, postgresql.ARRAY(pending.c.opinion_id.type))),
                   literal(stored.at, pending.c.queued_at.type)))
            .on_conflict_do_nothing())
        return
    columns = {name: bindparam(name) for name in ("opinion_id", "queued_at")}
    bulk.execute_rows(conn, sqlite.insert(pending).values(columns).on_conflict_do_nothing(),
                      pending, [{"opinion_id": key, "queued_at": stored.at} for key in ids])


def _queued(conn: Connection, limit: int, among: Iterable[uuid.UUID] | None):
    """Return the SELECT of up to `limit` queued opinions, oldest first (`among`: only
    these, if queued)."""
    query = select(pending.c.opinion_id).order_by(pending.c.queued_at).limit(limit)
    if among is not None:
        query = query.where(store.among(conn, pending.c.opinion_id, list(among)))
    return query


def drain(conn: Connection, limit: int = DRAIN_BATCH,
          among: Iterable[uuid.UUID] | None = None) -> int:
    """Index and pair up to `limit` queued opinions, oldest first; return how many.

    `among`: only these opinions, if queued (a page's rows). Two drainers never pair
    the same opinions: on PostgreSQL (two central processes, a page and the thread)
    the queue's rows are locked, SKIP LOCKED; on SQLite the queue is read under the
    write lock, taken first (read before it, by a page and the thread at once, both
    stored the same pairs: a duplicate key). The caller commits.
    """
    query = _queued(conn, limit, among)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    lock_for_writing(conn)
    ids = list(conn.execute(query).scalars())
    if ids:
        refresh_opinions(conn, ids)
        conn.execute(delete(pending).where(store.among(conn, pending.c.opinion_id, ids)))
    return len(ids)


def drain_aside(limit: int = DRAIN_BATCH, among: Iterable[uuid.UUID] | None = None
                ) -> int | None:
    """Drain beside the request or the thread (database.write_aside): never waiting for
    another writer on SQLite; return how many were paired, None if skipped."""
    return write_aside(lambda conn: drain(conn, limit, among))


def drain_now(among: Iterable[uuid.UUID] | None = None) -> None:
    """Bring the pairs up to date before a page or an API answer shows them: what the
    served central's thread has not reached yet (a push just in) is done here, one
    batch at most (a big push is the thread's work); `among`: only these opinions' (a
    page of the inbox pairs the rows it shows, not the queue's oldest 200: ~15 ms each,
    seconds when a push has just queued many).

    Optional work: while a push holds SQLite's write lock it is skipped, and the page
    shows the pairs stored so far rather than wait (it waited 5 s, then answered 503).
    Kept once done, not redone by every look until the thread gets there.
    """
    conn = db.session.connection()
    if conn.execute(_queued(conn, 1, among)).first() is not None:  # no lock for nothing
        drain_aside(among=among)


def start_drainer(app, interval: float):
    """Drain the queue every `interval` seconds in a daemon thread (the served central)."""
    import logging
    import threading

    from ...extensions import db

    stop = threading.Event()

    def quiet() -> bool:
        """Wait until no push has come for QUIET seconds (LONGEST_WAIT at most); return
        False if the central is stopping."""
        waited = 0.0
        while waited < LONGEST_WAIT and (busy := QUIET - store.quiet_for()) > 0:
            if stop.wait(busy):
                return False
            waited += busy
        return True

    def run() -> None:
        while not stop.wait(interval):
            try:
                with app.app_context():
                    # Beside the pushes: held by one on SQLite, the batch waits for the
                    # next tick rather than for the lock (the push would wait on it next).
                    while quiet() and drain_aside(THREAD_BATCH):
                        db.session.commit()
                        # A push waiting for the lock polls every 100 ms at most: a drain
                        # taking it straight back would starve it.
                        if stop.wait(BREATH):
                            return
                    db.session.commit()
            except Exception:  # noqa: BLE001 - a database hiccup: try at the next tick
                logging.getLogger(__name__).exception("pairing queued opinions failed")

    thread = threading.Thread(target=run, name="duplicates-drain", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread


def after_office_update(account, opinion, changes: dict) -> None:
    """A reclassified opinion's likely duplicates weigh its new category (inbox.logic
    on_updated listener)."""
    if "category_code" in changes:
        refresh_opinions(db.session.connection(), [opinion.id])


def refresh_opinions(conn: Connection, ids: list[uuid.UUID]) -> int:
    """Re-index these opinions and store their pairs again; return the pairs stored.

    On SQLite under the write lock, taken first if this transaction has not written yet:
    the postings and pairs it replaces are read as no one else can change them.
    """
    lock_for_writing(conn)
    rows = {row.id: row for row in conn.execute(
        select(opinion.c.id, opinion.c.commune_code, opinion.c.content,
               opinion.c.category_code, opinion.c.deleted)
        .where(store.among(conn, opinion.c.id, ids)))}
    old: dict[uuid.UUID, set[tuple[int, str]]] = defaultdict(set)
    for row in conn.execute(select(postings.c.opinion_id, postings.c.commune_code,
                                   postings.c.term)
                            .where(store.among(conn, postings.c.opinion_id, ids))):
        old[row.opinion_id].add((row.commune_code, row.term))
    terms: dict[uuid.UUID, frozenset[str]] = {}
    added, removed = [], []
    deltas: dict[tuple[int, str], int] = defaultdict(int)
    for key, row in rows.items():
        new = set()
        if not row.deleted:
            terms[key] = terms_of(row.content).terms
            new = {(row.commune_code, term) for term in indexed(terms[key])}
        was = old.get(key, set())
        for commune, term in new - was:
            added.append({"term": term, "commune_code": commune, "opinion_id": key})
            deltas[commune, term] += 1
        for commune, term in was - new:
            removed.append((term, commune, key))
            deltas[commune, term] -= 1
        if new and not was:
            deltas[row.commune_code, ""] += 1
        elif was and not new:
            deltas[next(iter(was))[0], ""] -= 1
    if removed:
        conn.execute(delete(postings).where(tuple_(
            postings.c.term, postings.c.commune_code, postings.c.opinion_id).in_(removed)))
    _insert_unless_there(conn, postings, added)
    _add_counts(conn, deltas)
    conn.execute(delete(kept_terms).where(store.among(conn, kept_terms.c.opinion_id, ids)))
    bulk.insert(conn, kept_terms, [{"opinion_id": key, "terms": TERMS_SEPARATOR.join(sorted(mine))}
                                   for key, mine in terms.items()])
    conn.execute(delete(pairs).where(or_(store.among(conn, pairs.c.opinion_id, ids),
                                         store.among(conn, pairs.c.other_id, ids))))
    found: dict[tuple[uuid.UUID, uuid.UUID], float] = {}
    by_commune: dict[int, list] = defaultdict(list)
    for key, row in rows.items():
        if key in terms:
            by_commune[row.commune_code].append(row)
    for commune, members in by_commune.items():
        counts = counts_for(conn, commune, set().union(*(terms[row.id] for row in members)))
        for row in members:
            for other, match in find_similar(conn, row, terms[row.id], counts)[:MAX_PAIRS]:
                found[min(row.id, other), max(row.id, other)] = match.score
    stored_rows = []
    for (first, second), score in found.items():
        stored_rows += [{"opinion_id": first, "other_id": second, "score": score},
                        {"opinion_id": second, "other_id": first, "score": score}]
    _insert_unless_there(conn, pairs, stored_rows)
    return len(found)


def _insert_unless_there(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, leaving out those another transaction stored meanwhile.

    On PostgreSQL two drainers (the thread, a page, another central process) take
    different queued opinions, but X and Y that pair with each other are found by both,
    and an office reclassification refreshes an opinion a drainer may hold: the second
    insert of the same pair would fail the page. SQLite's drainers hold the one write
    lock (`lock_for_writing`): a plain insert.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(table).on_conflict_do_nothing(), rows)
    else:
        bulk.insert(conn, table, rows)


def _lookup(conn: Connection, row: Any, mine: frozenset[str], counts: dict[str, int]
            ) -> dict[uuid.UUID, float]:
    """Return candidates sharing the opinion's rarest terms, with a rough first score."""
    opinions = counts.get("", 1)
    common = max(30, int(opinions * COMMON_SHARE))
    # A term only this opinion uses (its own posting is in already) finds nothing.
    ranked = sorted((term for term in indexed(mine) if counts.get(term, 1) > 1),
                    key=lambda term: (counts.get(term, 1), term))
    chosen = [term for term in ranked if counts.get(term, 1) <= common][:LOOKUP_TERMS]
    chosen = chosen if len(chosen) >= 3 else ranked[:3]
    rough: dict[uuid.UUID, float] = defaultdict(float)
    if chosen:
        # Summed and ranked by the database: in a commune of thousands of alike opinions
        # the chosen terms have thousands of postings, and a Python step for each cost a
        # third of the pairing (benchmarks/duplicates.py).
        weight = func.sum(case({term: 1.0 / max(1, counts.get(term, 1)) for term in chosen},
                               value=postings.c.term)).label("weight")
        rough.update(conn.execute(
            select(postings.c.opinion_id, weight).where(
                postings.c.commune_code == row.commune_code,
                store.among(conn, postings.c.term, chosen), postings.c.opinion_id != row.id)
            .group_by(postings.c.opinion_id)
            .order_by(weight.desc(), postings.c.opinion_id).limit(CANDIDATES)).all())
    cross = sorted((term for term in mine if " " in term),
                   key=lambda term: (counts.get(term, 1), term))[:CROSS_LOOKUP_TERMS]
    if cross:
        for hit in conn.execute(select(postings.c.opinion_id, postings.c.term).where(
                store.among(conn, postings.c.term, cross),
                postings.c.commune_code != row.commune_code).limit(CROSS_POSTINGS)):
            rough[hit.opinion_id] += 1.0 / max(1, counts.get(hit.term, 1))
    return rough


def find_similar(conn: Connection, row: Any, mine: frozenset[str], counts: dict[str, int]
                 ) -> list[tuple[uuid.UUID, Match]]:
    """Return the opinions likely to duplicate `row` (a live office_opinion row), best first.

    `counts` must hold the commune's counts of `mine`; the candidates' own terms
    are counted here.
    """
    rough = _lookup(conn, row, mine, counts)
    best = sorted(rough, key=lambda key: -rough[key])[:CANDIDATES]
    if not best:
        return []
    others = conn.execute(select(opinion.c.id, opinion.c.commune_code, opinion.c.content,
                                 opinion.c.category_code, kept_terms.c.terms)
                          .outerjoin(kept_terms, kept_terms.c.opinion_id == opinion.c.id)
                          .where(store.among(conn, opinion.c.id, best),
                                 opinion.c.deleted.is_(False))).all()
    theirs = {other.id: frozenset(other.terms.split(TERMS_SEPARATOR)) if other.terms
              else terms_of(other.content).terms for other in others}
    # The candidates' lower-case pairs of words are not looked up as places (hundreds of
    # terms): they are places where this opinion names them, or its own pairs are known.
    unknown = {term for term in set().union(*theirs.values())
               if term[0] not in UNWEIGHED} - set(counts) if theirs else set()
    if unknown:
        counts.update(counts_for(conn, row.commune_code, unknown))
    opinions = counts.get("", 1)
    found: list[tuple[uuid.UUID, Match]] = []
    cache: dict[str, float] = {}
    for other in others:
        match = compare(mine, theirs[other.id], other.category_code == row.category_code,
                        counts, opinions, cache)
        if match.score >= THRESHOLD:
            found.append((other.id, match))
    found.sort(key=lambda pair: (-pair[1].score, str(pair[0])))
    return found


# --- reading, within an account's scope ---------------------------------------------


def _visible(account, me):
    """Return the SELECT of `me`'s stored pairs the account may see: live, not in its case."""
    other = OfficeOpinion.__table__.alias("other")
    query = (select(pairs.c.opinion_id, pairs.c.other_id, pairs.c.score)
             .join(other, other.c.id == pairs.c.other_id)
             .join(me, me.c.id == pairs.c.opinion_id)
             .where(other.c.deleted.is_(False),
                    or_(me.c.case_id.is_(None), other.c.case_id.is_(None),
                        me.c.case_id != other.c.case_id)))
    return scoped(query, account, other.c.commune_code, other.c.unit_id), other


def similar_counts(account, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Return {opinion id: likely duplicates the account may see} for a page of opinions.

    Two lookups by primary key (the page's pairs, then the opinions they name), never a
    join the planner could turn into a scan of every opinion.
    """
    from ...extensions import db

    ids = list(ids)
    if not ids:
        return {}
    drain_now(among=ids)
    conn = db.session.connection()
    found = conn.execute(select(pairs.c.opinion_id, pairs.c.other_id)
                         .where(store.among(conn, pairs.c.opinion_id, ids))).all()
    if not found:
        return {}
    wanted = {row.other_id for row in found} | set(ids)
    cases: dict[uuid.UUID, Any] = {}
    visible: set[uuid.UUID] = set()
    query = scoped(select(opinion.c.id, opinion.c.case_id, opinion.c.deleted)
                   .where(store.among(conn, opinion.c.id, wanted)),
                   account, opinion.c.commune_code, opinion.c.unit_id)
    for row in conn.execute(query):
        cases[row.id] = row.case_id
        if not row.deleted:
            visible.add(row.id)
    counts: dict[uuid.UUID, int] = defaultdict(int)
    for row in found:
        mine, theirs = cases.get(row.opinion_id), cases.get(row.other_id)
        if row.other_id in visible and (mine is None or mine != theirs):
            counts[row.opinion_id] += 1
    return dict(counts)


@dataclass
class Suggestion:
    """One likely duplicate as shown: the other opinion, its score, and why."""

    id: uuid.UUID
    score: float
    reasons: list[str]
    content: str
    commune_code: int
    village_id: uuid.UUID | None
    village: str | None
    case_id: int | None = None

    @property
    def likeness(self) -> str:
        """Say how alike the two are in an officer's words ("Rất giống · 89%")."""
        return likeness(self.score)


# Where a score starts to read as each of these words (the floor of the list is THRESHOLD,
# under which nothing is suggested): a bare 0.89 means nothing to a commune officer.
LIKENESS_WORDS = ((0.8, _l("Rất giống")), (0.4, _l("Có thể trùng")), (0.0, _l("Hơi giống")))


def likeness(score: float) -> str:
    """Return a score as a commune officer reads it: words, then a percentage."""
    words = next(words for floor, words in LIKENESS_WORDS if score >= floor)
    return _("%(words)s · %(percent)d%%", words=words, percent=round(score * 100))


def suggestions(account, item: OfficeOpinion, limit: int = MAX_SHOWN) -> list[Suggestion]:
    """Return the likely duplicates of `item` the account may see, best first, explained."""
    from ...extensions import db
    from ..inbox.logic import names_of

    drain_now()
    me = OfficeOpinion.__table__.alias("me")
    query, other = _visible(account, me)
    query = (query.add_columns(other.c.content, other.c.category_code, other.c.category_name,
                               other.c.commune_code, other.c.village_id, other.c.kind,
                               other.c.case_id)
             .where(pairs.c.opinion_id == item.id)
             .order_by(pairs.c.score.desc(), pairs.c.other_id).limit(limit))
    rows = db.session.execute(query).all()
    if not rows:
        return []
    conn = db.session.connection()
    mine = terms_of(item.content)
    theirs = {row.other_id: terms_of(row.content) for row in rows}
    counts = counts_for(conn, item.commune_code,
                        mine.terms.union(*(t.terms for t in theirs.values())))
    villages = names_of({row.village_id for row in rows if row.village_id}
                        | ({item.village_id} if item.village_id else set()), set())["villages"]
    found = []
    for row in rows:
        match = compare(mine.terms, theirs[row.other_id].terms,
                        row.category_code == item.category_code, counts, counts.get("", 1))
        found.append(Suggestion(row.other_id, round(row.score, 2),
                                reasons(match, mine, item, row, villages,
                                        theirs[row.other_id]),
                                row.content, row.commune_code, row.village_id,
                                villages.get(row.village_id), row.case_id))
    return found


def reasons(match: Match, mine: Terms, item: OfficeOpinion, row: Any, villages: dict,
            theirs: Terms | None = None) -> list[str]:
    """Say in Vietnamese why two opinions look alike.

    A tố cáo's words are never quoted: its identity is sealed (central/identity), so no
    name can be told apart from the rest of what it says.
    """
    said = []
    if "denunciation" in (item.kind, row.kind):
        said.append(_("Nội dung gần giống (không trích dẫn: có đơn tố cáo)"))
    elif words := telling_words(match, mine, theirs=theirs):
        said.append(_("Cùng nói về: %(words)s", words=", ".join(f"«{w}»" for w in words)))
    if "denunciation" not in (item.kind, row.kind) and (faults := [
            mine.written[term] for term in match.shared
            if term[0] == FAULT_MARK and term in mine.written]):
        said.append(_("Cùng vấn đề: %(faults)s", faults=", ".join(f"«{w}»" for w in faults)))
    if "denunciation" not in (item.kind, row.kind) and (things := [
            mine.written[term] for term in match.shared
            if term[0] == THING_MARK and term in mine.written]):
        said.append(_("Cùng đối tượng: %(things)s",
                      things=", ".join(f"«{w}»" for w in things)))
    if match.same_category:
        said.append(_("Cùng lĩnh vực: %(name)s",
                      name=row.category_name or item.category_name or row.category_code))
    if row.commune_code != item.commune_code:
        from ...areas.logic import commune_label

        said.append(_("Ở xã khác: %(commune)s", commune=commune_label(row.commune_code)))
    elif item.village_id and row.village_id == item.village_id:
        said.append(_("Cùng bản/thôn: %(village)s", village=villages.get(row.village_id, "")))
    elif row.village_id:
        said.append(_("Bản/thôn khác cùng xã nêu: %(village)s",
                      village=villages.get(row.village_id, "")))
    return said

