"""office cases: opinions merged into one piece of work with a unit, a deadline, an answer

Revision ID: o004
Revises: o003
Create Date: 2026-11-30

A case carries the workflow; its member opinions point at it (`case_id`) and keep
what their village said. Nothing to backfill: no case exists before this.

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'o004'
down_revision = 'o003'
branch_labels = None
depends_on = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table('office_case',
    sa.Column('id', SERIAL, autoincrement=True, nullable=False),
    sa.Column('commune_code', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('assigned_on', sa.Date(), nullable=True),
    sa.Column('accept_due_on', sa.Date(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('complex', sa.Boolean(), nullable=False),
    sa.Column('remote', sa.Boolean(), nullable=False),
    sa.Column('extensions', JSON, nullable=True),
    sa.Column('answer_text', sa.Text(), nullable=True),
    sa.Column('answer_by', sa.String(length=120), nullable=True),
    sa.Column('answer_date', sa.Date(), nullable=True),
    sa.Column('answer_doc_number', sa.String(length=60), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('late_explanation', sa.Text(), nullable=True),
    sa.Column('late_explained_by', sa.String(length=120), nullable=True),
    sa.Column('apology_on', sa.Date(), nullable=True),
    sa.Column('apology_how', sa.String(length=200), nullable=True),
    sa.Column('apology_by', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office_case'))
    )
    with op.batch_alter_table('office_case', schema=None) as batch_op:
        batch_op.create_index('ix_office_case_commune_status_due',
                              ['commune_code', 'status', 'due_on'], unique=False)
        batch_op.create_index('ix_office_case_unit_due', ['unit_id', 'due_on'], unique=False)
    with op.batch_alter_table('office_opinion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_office_opinion_case_id'), ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('office_opinion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_opinion_case_id'))
        batch_op.drop_column('case_id')
    op.drop_table('office_case')
