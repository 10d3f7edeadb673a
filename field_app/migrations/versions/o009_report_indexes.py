"""reports: opinions of a commune by the day they were received

Revision ID: o009
Revises: o008
Create Date: 2026-11-30

Every report panel of one commune reads its opinions of a period by `received_on`
(field_app/central/reports/figures.py); without this index PostgreSQL read every
opinion of the commune by arrival order instead.

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'o009'
down_revision = 'o008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_office_opinion_commune_day', 'office_opinion',
                    ['commune_code', 'received_on'], unique=False)


def downgrade():
    op.drop_index('ix_office_opinion_commune_day', table_name='office_opinion')
