"""likely duplicates: index every opinion again with the faults and places it names

Revision ID: o014
Revises: o013
Create Date: 2026-11-30

duplicates.text now adds to an opinion's terms the kinds of fault it names ("!satlo"
for "sạt lở", "sụt lún"…) and the places it names ("@huatrai" for "bản Hua Trai"),
which the scoring compares apart from the other words. Every live opinion is queued
again (office_similar_pending, oldest first), as o011 did: the served central's
thread re-indexes and re-pairs them in the background (duplicates.logic.drain), so
the upgrade itself stays one INSERT.

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'o014'
down_revision = 'o013'
branch_labels = None
depends_on = None


def upgrade():
    # ON CONFLICT, not an anti-join on the queue being filled: upgrading a million
    # opinions, that statement had queued only a third of them after 23 minutes.
    op.execute("""
        INSERT INTO office_similar_pending (opinion_id, queued_at)
        SELECT o.id, o.first_received_at FROM office_opinion o WHERE o.deleted = false
        ON CONFLICT (opinion_id) DO NOTHING
    """)


def downgrade():
    pass  # the queue drains itself; nothing to undo
