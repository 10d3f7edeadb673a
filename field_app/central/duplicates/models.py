"""The duplicate finder's tables, kept in step with office_opinion shortly after it.

An opinion's text is cut into terms (syllables and syllable pairs, folded, without
stop words; see text.py). `office_opinion_term` is the inverted index the finder
looks candidates up in, `office_term_count` how many opinions of a commune use a
term (a rare term weighs more), and `office_similar` the likely pairs found when an
opinion arrived, both ways, so a page of the inbox counts them with one query.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db


class OpinionTerm(db.Model):
    """One term of one opinion (a posting of the inverted index)."""

    __tablename__ = "office_opinion_term"

    term: Mapped[str] = mapped_column(String(60), primary_key=True)
    commune_code: Mapped[int] = mapped_column(Integer, primary_key=True)
    opinion_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)

    # An opinion's own terms, to tell what changed when a laptop sends it again.
    __table_args__ = (Index("ix_office_opinion_term_opinion", "opinion_id"),)


class OpinionTerms(db.Model):
    """An indexed opinion's terms as `text.compare` reads them, one a line.

    A candidate's terms are read back rather than cut again from its text: that was a
    third of the pairing's time in a commune of thousands of alike opinions
    (benchmarks/duplicates.py). A migration that changes what the terms are empties this
    table as it queues every opinion again: an opinion not in it is cut from its text.
    """

    __tablename__ = "office_opinion_terms"

    opinion_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    terms: Mapped[str] = mapped_column(Text, nullable=False)


class TermCount(db.Model):
    """How many live opinions of a commune use a term; the term "" counts the opinions."""

    __tablename__ = "office_term_count"

    commune_code: Mapped[int] = mapped_column(Integer, primary_key=True)
    term: Mapped[str] = mapped_column(String(60), primary_key=True)
    opinions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class SimilarPair(db.Model):
    """A likely duplicate, stored both ways (a → b and b → a) with the same score."""

    __tablename__ = "office_similar"

    opinion_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    other_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    score: Mapped[float] = mapped_column(Float, nullable=False)

    __table_args__ = (Index("ix_office_similar_other", "other_id"),)


class SimilarPending(db.Model):
    """An opinion that arrived or changed and is still to be indexed and paired.

    The ingest only queues it (one cheap row): scoring a push's opinions there cost
    ~15 ms each (a 10,000-record push: minutes) and serialised two laptops of a commune
    on its term counts. `logic.drain` does the work after the push's commit.
    """

    __tablename__ = "office_similar_pending"

    opinion_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
