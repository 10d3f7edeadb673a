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
from importlib import util
from pathlib import Path

# revision identifiers, used by Alembic.
revision = 'o016'
down_revision = 'o015'
branch_labels = None
depends_on = None


def upgrade():
    # o014's statement, run again (ON CONFLICT, not an anti-join on the queue being
    # filled): loaded from its frozen file rather than copied.
    spec = util.spec_from_file_location(
        "o014", Path(__file__).with_name("o014_duplicates_faults.py"))
    o014 = util.module_from_spec(spec)
    spec.loader.exec_module(o014)
    o014.upgrade()


def downgrade():
    pass  # the queue drains itself; nothing to undo
