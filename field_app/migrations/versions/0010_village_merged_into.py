"""village: merged into another by the office

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

Two laptops that typed one village differently ("Bản Nà Lò", "Nà Lo") leave
two villages at the office; the office keeps one and merges the other into
it. A pull tells the laptop that holds the merged one: `merged_into` (the
kept village's id, which this laptop may not hold), `merged_into_name` (to
show "đã gộp vào Bản Nà Lò" either way) and `central_hlc` (the office's
stamp, so an older announcement never undoes a newer one). Empty on every
village until then.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('village', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('merged_into_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('central_hlc', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('village', schema=None) as batch_op:
        batch_op.drop_column('central_hlc')
        batch_op.drop_column('merged_into_name')
        batch_op.drop_column('merged_into')
