"""likely duplicates: index every opinion again with the broader fault families

Revision ID: o018
Revises: o017
Create Date: 2026-11-30

duplicates.text now knows whole families of ways to say a fault ("quá tải", "điện áp
thấp", "sụt áp" are weak power; "mất liên lạc", "không gọi được" no signal; "hết
thuốc", "khan hiếm" a shortage; forest cutting, fire, theft, drugs, herds let loose),
reads a lower-case pair as a place when the commune names it with capitals, and no
longer takes a place's name for a fault ("Huổi Sai" is not "sai"). The terms stored
change: every live opinion is queued again, as o014 and o016 did; the served central's
thread re-indexes and re-pairs them in the background (duplicates.logic.drain).

"""
from importlib import util
from pathlib import Path

# revision identifiers, used by Alembic.
revision = 'o018'
down_revision = 'o017'
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
