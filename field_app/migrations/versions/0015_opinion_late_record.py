"""opinion: a late answer's explanation and apology, as the office sends them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

An answer given after its due date comes with the head of the unit's explanation
and the record of the apology to the citizen (seed 003); the laptop reads them
out with the answer at the next forum.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

COLUMNS = (
    ('late_explanation', sa.Text()),
    ('late_explained_by', sa.String(length=120)),
    ('apology_on', sa.Date()),
    ('apology_how', sa.String(length=200)),
    ('apology_by', sa.String(length=120)),
)


def upgrade():
    with op.batch_alter_table('opinion', schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade():
    with op.batch_alter_table('opinion', schema=None) as batch_op:
        for name, _type in reversed(COLUMNS):
            batch_op.drop_column(name)
