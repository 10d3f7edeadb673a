"""opinion: the citizen's satisfaction, recorded on the laptop; answers read out

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

`satisfaction` was the office's alone; it is now recorded where the answer is
read out (or by the office, as a correction), with when, at which forum and
which office account. "unknown" (the office's old "not known") is no longer a
value: nothing recorded. `answer_reading` notes which answers were read out
at a forum (laptop only).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('opinion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('satisfaction_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_forum_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_by', sa.String(length=120), nullable=True))
    op.execute("UPDATE opinion SET satisfaction = NULL WHERE satisfaction = 'unknown'")
    op.create_table(
        'answer_reading',
        sa.Column('opinion_id', sa.Uuid(), nullable=False),
        sa.Column('forum_id', sa.Uuid(), nullable=True),
        sa.Column('read_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['opinion_id'], ['opinion.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('opinion_id'),
    )


def downgrade():
    op.drop_table('answer_reading')
    with op.batch_alter_table('opinion', schema=None) as batch_op:
        batch_op.drop_column('satisfaction_by')
        batch_op.drop_column('satisfaction_forum_id')
        batch_op.drop_column('satisfaction_at')
