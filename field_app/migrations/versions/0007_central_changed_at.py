"""when the office's answer or status last reached the laptop

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

`opinion.central_changed_at`: when a pull (or an acknowledgement file)
last changed an opinion's status or answer; `sync_state.answers_pulled_at`:
when the last pull that changed any began. Together they list the answers
that came back at the last sync. Opinions changed before this version have
none (NULL): they are not new.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('opinion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('central_changed_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_opinion_central_changed_at', ['central_changed_at'])
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answers_pulled_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.drop_column('answers_pulled_at')
    with op.batch_alter_table('opinion', schema=None) as batch_op:
        batch_op.drop_index('ix_opinion_central_changed_at')
        batch_op.drop_column('central_changed_at')
