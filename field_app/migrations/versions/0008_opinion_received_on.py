"""opinion: the date an opinion received outside a forum reached the Front or the commune

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

MTTQ staff record petitions days after they arrived by mailbox, e-mail or
Facebook: the deadline counts from the day received, not the day typed.
Nullable: opinions recorded before this version (and forum opinions, dated
by their forum) have none.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('opinion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('opinion', schema=None) as batch_op:
        batch_op.drop_column('received_on')
