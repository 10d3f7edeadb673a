"""likely duplicates: index every opinion again with each domain's fault words

Revision ID: o019
Revises: o018
Create Date: 2026-11-30

duplicates.text now names faults as a forum says them in each domain (a herd's
"lở mồm long móng", "chảy dãi", "què chân"; a payment's "chưa chi", "chưa về", "làm
mãi chưa xong"; a price's "tăng vọt", "cao bất thường"; lamps "tối om", "tắt"; new
families: tiêu cực, rớt giá, sâu bệnh, tai nạn, quá tải), more things (kè, cống, giếng,
đò, bãi rác…) and whom (bà bầu, bại liệt, gia đình chính sách…), more synonyms
("ngành điện" / "điện lực", "dịch vụ môi trường rừng" / "tiền rừng"), expands
shorthand with its marks ("lmlm", "dvmtr", "ptdtbt"), reads a phrase typed without
marks inside a text typed with them, and no longer reads a word typed without marks as
a fault or a thing where it is mostly another ("ban" bản, not "bẩn"; "lay" lấy, not
"lầy"; "cho" cho, not "chó"). The terms stored change: every live opinion is queued
again, as o014, o016 and o018 did; the served central's thread re-indexes and re-pairs
them in the background (duplicates.logic.drain).

"""
from importlib import util
from pathlib import Path

# revision identifiers, used by Alembic.
revision = 'o019'
down_revision = 'o018'
branch_labels = None
depends_on = None


def upgrade():
    # o014's statement, run again, loaded from its frozen file rather than copied.
    spec = util.spec_from_file_location(
        "o014", Path(__file__).with_name("o014_duplicates_faults.py"))
    o014 = util.module_from_spec(spec)
    spec.loader.exec_module(o014)
    o014.upgrade()


def downgrade():
    pass  # the queue drains itself; nothing to undo
