"""sync_state: the machine code of the last sync's error (e.g. device_revoked)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30

`last_error` keeps the office's message for the Đồng bộ page; the top bar
needs to tell a revoked laptop from a link that is merely down, whatever
language or wording that message has.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_error_code', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.drop_column('last_error_code')
