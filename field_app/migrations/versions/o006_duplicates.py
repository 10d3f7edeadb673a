"""likely duplicates: an inverted index of opinions' terms, term counts, the pairs found

Revision ID: o006
Revises: o005
Create Date: 2026-11-30

The opinions already held are queued: the served central indexes and pairs them
(duplicates.logic.drain), as o014 and the later re-indexing revisions do. They were
paired here by today's code once, which failed when that code came to use a table a
later revision makes (o020's office_opinion_terms).

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'o006'
down_revision = 'o005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('office_opinion_term',
    sa.Column('term', sa.String(length=60), nullable=False),
    sa.Column('commune_code', sa.Integer(), nullable=False),
    sa.Column('opinion_id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('term', 'commune_code', 'opinion_id',
                            name=op.f('pk_office_opinion_term'))
    )
    with op.batch_alter_table('office_opinion_term', schema=None) as batch_op:
        batch_op.create_index('ix_office_opinion_term_opinion', ['opinion_id'], unique=False)
    op.create_table('office_term_count',
    sa.Column('commune_code', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=60), nullable=False),
    sa.Column('opinions', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('commune_code', 'term', name=op.f('pk_office_term_count'))
    )
    op.create_table('office_similar',
    sa.Column('opinion_id', sa.Uuid(), nullable=False),
    sa.Column('other_id', sa.Uuid(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('opinion_id', 'other_id', name=op.f('pk_office_similar'))
    )
    with op.batch_alter_table('office_similar', schema=None) as batch_op:
        batch_op.create_index('ix_office_similar_other', ['other_id'], unique=False)
    # Opinions still to index and pair: the ingest queues them, the central drains.
    op.create_table('office_similar_pending',
    sa.Column('opinion_id', sa.Uuid(), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('opinion_id', name=op.f('pk_office_similar_pending'))
    )
    op.execute("""
        INSERT INTO office_similar_pending (opinion_id, queued_at)
        SELECT o.id, o.first_received_at FROM office_opinion o WHERE o.deleted = false
    """)


def downgrade():
    op.drop_table('office_similar_pending')
    op.drop_table('office_similar')
    op.drop_table('office_term_count')
    op.drop_table('office_opinion_term')
