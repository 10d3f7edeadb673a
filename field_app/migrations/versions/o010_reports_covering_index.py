"""reports: a commune's opinions by day, with every column the report counts

Revision ID: o010
Revises: o009
Create Date: 2026-11-30

o009's (commune_code, received_on) found a commune's opinions of a period, but each
panel then read them from the table, one page per opinion (a commune's year: 13,000
opinions on 11,000 pages, ~100 ms a panel at 1,000,000 opinions). The same key
carrying the columns the report's panels count (PostgreSQL's INCLUDE) lets them read
the index alone. It replaces o009's index: the ingest keeps one index up to date,
as before, only wider. SQLite has no INCLUDE: there it is o009's index again.

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'o010'
down_revision = 'o009'
branch_labels = None
depends_on = None

# Every column the report's panels read (field_app/central/reports/figures.py).
COUNTED = ['deleted', 'kind', 'category_code', 'village_id', 'level', 'channel',
           'source_org', 'status', 'answered_on_spot', 'needs_follow_up', 'unit_id',
           'due_on', 'answer_date', 'satisfaction', 'case_id', 'id']


def upgrade():
    op.drop_index('ix_office_opinion_commune_day', table_name='office_opinion')
    op.create_index('ix_office_opinion_commune_day', 'office_opinion',
                    ['commune_code', 'received_on'], unique=False,
                    postgresql_include=COUNTED)


def downgrade():
    op.drop_index('ix_office_opinion_commune_day', table_name='office_opinion')
    op.create_index('ix_office_opinion_commune_day', 'office_opinion',
                    ['commune_code', 'received_on'], unique=False)
