"""inbox search: a GIN index of words instead of pg_trgm's trigrams

Revision ID: o012
Revises: o011
Create Date: 2026-11-30

The trigram indexes of o001 made every ingested opinion cost its text's trigrams in
two GIN indexes (about 2.5 s of the server's time per 10,000 opinions, most of the
ingest), and a search that matched nothing still walked them. Search now finds words
by prefix ("duong" finds "đường", "sat lo cau" every opinion with those three words):
a GIN index of each folded column's words (inbox.models.search_words), PostgreSQL's
only. SQLite had no index for search and gets none. pg_trgm stays installed: nothing
else here uses it, and dropping an extension is the server administrator's call.

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'o012'
down_revision = 'o011'
branch_labels = None
depends_on = None

# inbox.models.search_words, spelled as PostgreSQL stores it.
WORDS = "to_tsvector('simple'::regconfig, regexp_replace({}, '[^a-z0-9]+', ' ', 'g'))"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_office_opinion_folded_trgm")
    op.execute("DROP INDEX IF EXISTS ix_office_opinion_raiser_folded_trgm")
    op.execute("CREATE INDEX ix_office_opinion_folded_words ON office_opinion "
               f"USING gin ({WORDS.format('folded')})")
    op.execute("CREATE INDEX ix_office_opinion_raiser_folded_words ON office_opinion "
               f"USING gin ({WORDS.format('raiser_folded')})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_office_opinion_folded_words")
    op.execute("DROP INDEX IF EXISTS ix_office_opinion_raiser_folded_words")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_office_opinion_folded_trgm ON office_opinion "
               "USING gin (folded gin_trgm_ops)")
    op.execute("CREATE INDEX ix_office_opinion_raiser_folded_trgm ON office_opinion "
               "USING gin (raiser_folded gin_trgm_ops)")
