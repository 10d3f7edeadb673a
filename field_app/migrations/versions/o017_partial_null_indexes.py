"""office_opinion: the unit and case indexes hold only the opinions that have one

Revision ID: o017
Revises: o016
Create Date: 2026-11-30

An opinion arrives with no unit and no case: every row a push COPYs into
office_opinion put one more NULL entry into `ix_office_opinion_unit` and
`ix_office_opinion_case_id`, which no query reads (a handler's list asks for
`unit_id = X`, a case for `case_id = X` or `IN (…)`, and both databases take a
partial index for those). Measured on PostgreSQL (benchmarks/sync_ingest.py,
server CPU per record): the three all-NULL indexes (these two and
`ix_office_opinion_due`) cost ~6 µs of ~65; `ix_office_opinion_due` stays whole:
the inbox's "due" order walks it, NULLs last.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'o017'
down_revision = 'o016'
branch_labels = None
depends_on = None

PARTIAL = {
    "ix_office_opinion_unit": (["unit_id", "due_on"], "unit_id IS NOT NULL"),
    "ix_office_opinion_case_id": (["case_id"], "case_id IS NOT NULL"),
}


def upgrade():
    for name, (columns, where) in PARTIAL.items():
        op.drop_index(name, table_name='office_opinion')
        op.create_index(name, 'office_opinion', columns, unique=False,
                        postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def downgrade():
    for name, (columns, _where) in PARTIAL.items():
        op.drop_index(name, table_name='office_opinion')
        op.create_index(name, 'office_opinion', columns, unique=False)
