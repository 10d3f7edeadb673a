"""office opinion: who recorded the citizen's satisfaction, when, at which forum

Revision ID: o007
Revises: o006
Create Date: 2026-11-30

Satisfaction now comes up from the village laptop that read the answer out
(or is recorded at the office): `satisfaction_at`, `satisfaction_forum_id`
(the forum it was read out at) and `satisfaction_by` (the office account;
empty when the village recorded it). "unknown" is no longer a value.

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'o007'
down_revision = 'o006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('office_opinion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('satisfaction_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_forum_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_by', sa.String(length=120), nullable=True))
    op.execute("UPDATE office_opinion SET satisfaction = NULL WHERE satisfaction = 'unknown'")


def downgrade():
    with op.batch_alter_table('office_opinion', schema=None) as batch_op:
        batch_op.drop_column('satisfaction_by')
        batch_op.drop_column('satisfaction_forum_id')
        batch_op.drop_column('satisfaction_at')
