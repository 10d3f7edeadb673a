"""likely duplicates: keep each indexed opinion's terms

Revision ID: o020
Revises: o018
Create Date: 2026-11-30

Pairing an opinion cut each of its thirty candidates' texts into terms again: a third
of its time in a commune of thousands of alike opinions. `office_opinion_terms` keeps
them as the index is kept (duplicates.logic.refresh_opinions); an opinion not in it yet
is cut from its text as before, so nothing needs filling here.

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'o020'
down_revision = 'o018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('office_opinion_terms',
    sa.Column('opinion_id', sa.Uuid(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('opinion_id', name=op.f('pk_office_opinion_terms'))
    )


def downgrade():
    op.drop_table('office_opinion_terms')
