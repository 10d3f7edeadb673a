"""protect denouncers in search

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

A denouncer's name was folded into the search text: searching for the name
found the denunciation. Rebuild the search text of every denunciation
without the speaker (Luật Tố cáo 2018, Art. 8 and 47).

"""
from alembic import op
import sqlalchemy as sa

from sync.text import fold


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    opinion = sa.table('opinion', sa.column('id', sa.Uuid), sa.column('kind', sa.String),
                       sa.column('content', sa.Text), sa.column('spot_answer', sa.Text),
                       sa.column('spot_answer_by', sa.String), sa.column('search_text', sa.Text))
    rows = conn.execute(sa.select(opinion.c.id, opinion.c.content, opinion.c.spot_answer,
                                  opinion.c.spot_answer_by)
                        .where(opinion.c.kind == 'denunciation')).all()
    for row in rows:
        words = " ".join(filter(None, (row.content, row.spot_answer, row.spot_answer_by)))
        conn.execute(opinion.update().where(opinion.c.id == row.id)
                     .values(search_text=fold(words)))


def downgrade():
    pass  # the names stay out of the search text: nothing to undo
