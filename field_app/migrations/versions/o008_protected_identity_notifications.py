"""office: denouncers' identities sealed apart; the outbox of messages to citizens

Revision ID: o008
Revises: o007
Create Date: 2026-11-30

A central that kept tố cáo identities in clear (office_opinion, sync_record.data,
office_audit) has them sealed with its identity key here, made in the data folder
if absent (field_app/central/identity/keys.py).

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'o008'
down_revision = 'o007'
branch_labels = None
depends_on = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table('office_protected_identity',
    sa.Column('opinion_id', sa.Uuid(), nullable=False),
    sa.Column('commune_code', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('opinion_id', name=op.f('pk_office_protected_identity'))
    )
    op.create_table('office_notification',
    sa.Column('id', SERIAL, autoincrement=True, nullable=False),
    sa.Column('opinion_id', sa.Uuid(), nullable=False),
    sa.Column('commune_code', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office_notification'))
    )
    with op.batch_alter_table('office_notification', schema=None) as batch_op:
        batch_op.create_index('ix_office_notification_status_next',
                              ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_office_notification_commune_created',
                              ['commune_code', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_office_notification_opinion_id'), ['opinion_id'],
                              unique=False)
    with op.batch_alter_table('office_opinion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymous_denunciation', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    _seal_existing()


def _seal_existing():
    from flask import current_app, has_app_context

    from field_app.central.identity.keys import Sealer, load_key, sealer_for
    from field_app.central.identity.logic import seal_existing

    if has_app_context():
        sealer = sealer_for(current_app)
    else:  # plain `alembic`: the data folder's key, as the central will use it
        from field_app.config import default_data_dir

        sealer = Sealer(load_key({"DATA_DIR": default_data_dir()}))
    seal_existing(op.get_bind(), sealer)


def downgrade():
    with op.batch_alter_table('office_opinion', schema=None) as batch_op:
        batch_op.drop_column('anonymous_denunciation')
    with op.batch_alter_table('office_notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_notification_opinion_id'))
        batch_op.drop_index('ix_office_notification_commune_created')
        batch_op.drop_index('ix_office_notification_status_next')
    op.drop_table('office_notification')
    op.drop_table('office_protected_identity')
