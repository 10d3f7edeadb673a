"""office case workflow: the commune's deadline rules, and a case's id in the audit log

Revision ID: o005
Revises: o004
Create Date: 2026-11-30

`office_deadline_rule`: a commune's deadline per legal kind (no row: the law's
defaults, cases/deadlines.py). `office_case.record_id`: the UUID under which a
case's own history is kept in `office_audit`.

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'o005'
down_revision = 'o004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('office_deadline_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commune_code', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('accept_days', sa.Integer(), nullable=False),
    sa.Column('complex_days', sa.Integer(), nullable=False),
    sa.Column('remote_days', sa.Integer(), nullable=False),
    sa.Column('remote_complex_days', sa.Integer(), nullable=False),
    sa.Column('extension_days', sa.Integer(), nullable=False),
    sa.Column('max_extensions', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office_deadline_rule')),
    sa.UniqueConstraint('commune_code', 'kind', name='uq_office_deadline_rule_commune_kind')
    )
    with op.batch_alter_table('office_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record_id', sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_office_case_record_id'), ['record_id'])


def downgrade():
    with op.batch_alter_table('office_case', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_office_case_record_id'), type_='unique')
        batch_op.drop_column('record_id')
    op.drop_table('office_deadline_rule')
