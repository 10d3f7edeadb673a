"""inbox search: each opinion's words under a GIN index instead of pg_trgm's trigrams

Revision ID: o012
Revises: o011
Create Date: 2026-11-30

The trigram indexes of o001 made every ingested opinion cost its text's trigrams in
two GIN indexes (most of the server's time in an ingest), and a search that matched
nothing still walked them. Search now finds words by prefix ("duong" finds "đường",
"sat lo cau" every opinion with those three words) in `search_words`: the folded
text's words, then the speaker's name's after "~" (inbox.projection.words_of), made
in Python by the projection. PostgreSQL keeps it as a tsvector of those words as
written (nothing to parse: to_tsvector cost as much as the trigrams) under a GIN
index; SQLite as text. The words of what the office already holds are made here, by
the same rule. pg_trgm stays installed: dropping an extension is the administrator's.

"""
import re

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

# revision identifiers, used by Alembic.
revision = 'o012'
down_revision = 'o011'
branch_labels = None
depends_on = None

# inbox.projection.words_of in SQL: each run of a-z0-9 once (at most 200 long), the
# name's after "~".
WORDS = """array_to_tsvector(ARRAY(
    SELECT DISTINCT word FROM regexp_split_to_table(folded, '[^a-z0-9]+') AS word
    WHERE word <> '' AND length(word) <= 200
    UNION SELECT DISTINCT '~' || word
    FROM regexp_split_to_table(coalesce(raiser_folded, ''), '[^a-z0-9]+') AS word
    WHERE word <> '' AND length(word) <= 200))"""


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        op.add_column('office_opinion', sa.Column('search_words', sa.Text(), nullable=True))
        _fill_sqlite(bind)
        return
    op.execute("DROP INDEX IF EXISTS ix_office_opinion_folded_trgm")
    op.execute("DROP INDEX IF EXISTS ix_office_opinion_raiser_folded_trgm")
    op.add_column('office_opinion', sa.Column('search_words', TSVECTOR(), nullable=True))
    op.execute(f"UPDATE office_opinion SET search_words = {WORDS}")
    op.execute("CREATE INDEX ix_office_opinion_search_words ON office_opinion "
               "USING gin (search_words)")


def _fill_sqlite(bind) -> None:
    word = re.compile("[a-z0-9]+")
    rows = bind.execute(sa.text("SELECT id, folded, raiser_folded FROM office_opinion")).all()
    for row in rows:
        words = [w for w in dict.fromkeys(word.findall(row.folded or "")) if len(w) <= 200]
        words += ["~" + w for w in dict.fromkeys(word.findall(row.raiser_folded or ""))
                  if len(w) <= 200]
        bind.execute(sa.text("UPDATE office_opinion SET search_words = :words WHERE id = :id"),
                     {"words": " ".join(words), "id": row.id})


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_office_opinion_search_words")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_office_opinion_folded_trgm ON office_opinion "
                   "USING gin (folded gin_trgm_ops)")
        op.execute("CREATE INDEX ix_office_opinion_raiser_folded_trgm ON office_opinion "
                   "USING gin (raiser_folded gin_trgm_ops)")
    with op.batch_alter_table('office_opinion', schema=None) as batch_op:
        batch_op.drop_column('search_words')
