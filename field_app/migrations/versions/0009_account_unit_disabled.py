"""account: a handler's unit, disabled accounts, when the inbox was last looked at

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

The account table is in every database (see 0004); these columns stay empty
on a laptop. The office's own tables are in the "office" branch (o001…).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('inbox_seen_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('inbox_seen_at')
        batch_op.drop_column('disabled_at')
        batch_op.drop_column('unit_id')
