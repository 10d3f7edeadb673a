"""outbox: the fields each change touched

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

The central merges a laptop's edit with the office's corrections per field:
each local change now says which field-owned fields it touched. Changes
logged before this version have none (NULL), read as "the whole record".

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fields', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('fields')
