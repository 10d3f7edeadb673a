"""messages to citizens: written to the log is not sent; who sent it by hand

Revision ID: o021
Revises: o020
Create Date: 2026-11-30

The default sender only appends to sms-outbox.log: its messages are now "logged" until
an officer sends them by hand and marks them sent (`sent_by`). Rows already "sent"
stay so: the database cannot tell which sender took them.

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'o021'
down_revision = 'o020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('office_notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_by', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('office_notification', schema=None) as batch_op:
        batch_op.drop_column('sent_by')
