"""office login: failed tries (throttling) and a session version per account

Like the other office tables (account, sync_*, created by 0003), these are
created in every database: the migrations make no per-role distinction, and
on a laptop they stay empty.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure'))
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index('ix_login_failure_address_at', ['address', 'at'], unique=False)
        batch_op.create_index('ix_login_failure_username_at', ['username', 'at'], unique=False)

    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('session_version')

    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failure_username_at')
        batch_op.drop_index('ix_login_failure_address_at')

    op.drop_table('login_failure')
