"""inbox search: a GIN index of words instead of pg_trgm's trigrams

Revision ID: o012
Revises: o011
Create Date: 2026-11-30

The trigram indexes of o001 made every ingested opinion cost its text's trigrams in
two GIN indexes (about 2.5 s of the server's time per 10,000 opinions, most of the
ingest), and a search that matched nothing still walked them. Search now finds words
by prefix ("duong" finds "đường", "sat lo cau" every opinion with those three words):
PostgreSQL keeps each opinion's words in a generated column, `search_words`, the
folded text's words weighted A and the speaker's name's B (a role that may not see
names asks for A only), under one GIN index. Stored rather than an expression index:
a page of a common word walks the inbox's order index and tests each row, which must
not parse its text again. Not a model column (SQLite has no tsvector: it scans a
commune's opinions, inbox.logic.has_words). pg_trgm stays installed: dropping an
extension is the server administrator's call.

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'o012'
down_revision = 'o011'
branch_labels = None
depends_on = None

# A word: a run of a-z0-9 of the folded text (inbox.models.WORD), cut by the regular
# expression rather than the text parser ("12/2024" is no path here), as SQLite cuts it.
WORDS = "to_tsvector('simple', regexp_replace({}, '[^a-z0-9]+', ' ', 'g'))"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_office_opinion_folded_trgm")
    op.execute("DROP INDEX IF EXISTS ix_office_opinion_raiser_folded_trgm")
    op.execute("ALTER TABLE office_opinion ADD COLUMN search_words tsvector GENERATED ALWAYS AS ("
               f"setweight({WORDS.format('folded')}, 'A') || "
               f"setweight({WORDS.format('coalesce(raiser_folded, ' + chr(39) * 2 + ')')}, 'B')"
               ") STORED")
    op.execute("CREATE INDEX ix_office_opinion_search_words ON office_opinion "
               "USING gin (search_words)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_office_opinion_search_words")
    op.execute("ALTER TABLE office_opinion DROP COLUMN IF EXISTS search_words")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_office_opinion_folded_trgm ON office_opinion "
               "USING gin (folded gin_trgm_ops)")
    op.execute("CREATE INDEX ix_office_opinion_raiser_folded_trgm ON office_opinion "
               "USING gin (raiser_folded gin_trgm_ops)")
