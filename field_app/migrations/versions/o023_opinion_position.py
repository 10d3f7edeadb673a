"""office_opinion: its number in its forum's minutes

Revision ID: o023
Revises: o022
Create Date: 2026-12-02

The minutes a village sends up number each opinion ("ý kiến số 3"); the office
listed a forum's opinions by arrival, so its numbers could differ from the
paper the province reads. The laptop sends the number with every opinion:
kept here, filled from what the wire's log already holds.

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'o023'
down_revision = 'o022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('office_opinion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            UPDATE office_opinion AS o SET position = NULLIF(r.data ->> 'position', '')::int
            FROM sync_record AS r
            WHERE r.id = o.id AND o.forum_id IS NOT NULL
              AND jsonb_typeof(r.data -> 'position') = 'number'
              AND (r.data ->> 'position')::int > 0""")
    else:
        op.execute("""
            UPDATE office_opinion SET position = (
                SELECT json_extract(r.data, '$.position') FROM sync_record AS r
                WHERE r.id = office_opinion.id
                  AND json_type(r.data, '$.position') = 'integer'
                  AND json_extract(r.data, '$.position') > 0)
            WHERE forum_id IS NOT NULL""")


def downgrade():
    with op.batch_alter_table('office_opinion', schema=None) as batch_op:
        batch_op.drop_column('position')
