"""inbox indexes that end with the inbox's order (first_received_at, id) and `deleted`

Revision ID: o002
Revises: o001
Create Date: 2026-11-30

A batch of 5,000 records shares one `first_received_at`: an index that stops at
that column left PostgreSQL sorting thousands of rows for a page of 50 (newest
first, then id). Ending each inbox index with (first_received_at, id) gives
the page straight from the index, with or without a commune, status or village
filter (benchmarks/office_inbox.py). `deleted` last: every inbox query filters
on it, and holding it in the index lets a deep page walk the index alone
(an index-only scan) before reading the 50 rows it shows.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'o002'
down_revision = 'o001'
branch_labels = None
depends_on = None

# name → (old columns, new columns)
CHANGED = {
    'ix_office_opinion_received': (['first_received_at'],
                                   ['first_received_at', 'id', 'deleted']),
    'ix_office_opinion_commune_received': (
        ['commune_code', 'first_received_at'],
        ['commune_code', 'first_received_at', 'id', 'deleted']),
    'ix_office_opinion_commune_status': (
        ['commune_code', 'status'],
        ['commune_code', 'status', 'first_received_at', 'id', 'deleted']),
    'ix_office_opinion_village': (['village_id', 'first_received_at'],
                                  ['village_id', 'first_received_at', 'id', 'deleted']),
}


def _replace(which: int) -> None:
    with op.batch_alter_table('office_opinion', schema=None) as batch_op:
        for name, columns in CHANGED.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns[which], unique=False)


def upgrade():
    _replace(1)


def downgrade():
    _replace(0)
