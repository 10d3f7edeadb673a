"""likely duplicates: index every opinion again with its wants, things and places

Revision ID: o016
Revises: o015
Create Date: 2026-11-30

duplicates.text now drops a grammar word typed with marks only by its marks ("tối",
"cụ", "dây", "bàn" stay), keeps the places named without "bản"/"suối" before them
("đường lên Co Mạ": "@coma"), adds what an opinion asks for or says is missing
("thiếu giáo viên": "+giao vien"), the things it names ("#cautreo") and whom it is for
("&nguoicaotuoi"), and a few more of the officer's words ("bìa đỏ", "núi lở", "đèn
đường", "bẩn"). The terms stored change: every live opinion is queued again
(office_similar_pending, oldest first), as o014 did; the served central's thread
re-indexes and re-pairs them in the background (duplicates.logic.drain).

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'o016'
down_revision = 'o015'
branch_labels = None
depends_on = None


def upgrade():
    # ON CONFLICT, not an anti-join on the queue being filled (o014).
    op.execute("""
        INSERT INTO office_similar_pending (opinion_id, queued_at)
        SELECT o.id, o.first_received_at FROM office_opinion o WHERE o.deleted = false
        ON CONFLICT (opinion_id) DO NOTHING
    """)


def downgrade():
    pass  # the queue drains itself; nothing to undo
