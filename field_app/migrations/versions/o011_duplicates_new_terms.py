"""likely duplicates: index every opinion again with the new terms (synonyms, clauses)

Revision ID: o011
Revises: o010
Create Date: 2026-11-30

duplicates.text cuts an opinion into other terms than the index of o006 holds
(forum stop-words, village synonyms, pairs within a clause, no numbers). Every live
opinion is queued again (office_similar_pending, oldest first): the served central's
thread re-indexes and re-pairs them in the background (duplicates.logic.drain), so
the upgrade itself stays one INSERT.

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'o011'
down_revision = 'o010'
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
