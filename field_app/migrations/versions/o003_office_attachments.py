"""office attachments: the photos and files laptops attached to opinions and forums

Revision ID: o003
Revises: o002
Create Date: 2026-11-30

The office reads typed rows, never the wire's JSON: an attachment record's
metadata lands here (the bytes stay in the blob store). A central that already
holds attachment records gets them projected here.

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'o003'
down_revision = 'o002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('office_attachment',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('opinion_id', sa.Uuid(), nullable=True),
    sa.Column('forum_id', sa.Uuid(), nullable=True),
    sa.Column('commune_code', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('mime_type', sa.String(length=60), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office_attachment'))
    )
    with op.batch_alter_table('office_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_office_attachment_forum_id'), ['forum_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_office_attachment_opinion_id'), ['opinion_id'], unique=False)

    from field_app.central.inbox.projection import project_everything

    project_everything(op.get_bind(), ("attachment",))


def downgrade():
    with op.batch_alter_table('office_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_attachment_opinion_id'))
        batch_op.drop_index(batch_op.f('ix_office_attachment_forum_id'))

    op.drop_table('office_attachment')
