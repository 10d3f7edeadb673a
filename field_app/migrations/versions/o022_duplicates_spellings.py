"""likely duplicates: index every opinion again with how its words are spelt

Revision ID: o022
Revises: o021
Create Date: 2026-12-01

duplicates.text now keeps, with an opinion's folded terms, how it spells with marks
each word it always writes with them ("=hộ", "=bờ"): two opinions that both spell a
folded syllable with marks, and differently ("hộ nghèo" / "hỗ trợ", "bờ suối" /
"con bò"), no longer share it. The terms stored change: every live opinion is queued
again, as o014 and o018 did, and the terms kept for pairing (office_opinion_terms,
o020) are dropped, so a candidate not indexed again yet is cut from its text afresh;
the served central's thread re-indexes and re-pairs them in the background
(duplicates.logic.drain).

"""
from importlib import util
from pathlib import Path

from alembic import op

# revision identifiers, used by Alembic.
revision = 'o022'
down_revision = 'o021'
branch_labels = None
depends_on = None


def upgrade():
    # o014's statement, run again, loaded from its frozen file rather than copied.
    spec = util.spec_from_file_location(
        "o014", Path(__file__).with_name("o014_duplicates_faults.py"))
    o014 = util.module_from_spec(spec)
    spec.loader.exec_module(o014)
    o014.upgrade()
    op.execute("DELETE FROM office_opinion_terms")


def downgrade():
    pass  # the queue drains itself; the terms are kept again as opinions are paired
