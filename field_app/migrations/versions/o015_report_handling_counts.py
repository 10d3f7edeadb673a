"""reports: each opinion's final handling state summed ahead per commune, month and unit

Revision ID: o015
Revises: o014
Create Date: 2026-11-30

A province's handling panel (on time / late / overdue / open per commune and unit)
judged a million opinions at every view (p95 ~0.5–0.7 s). The state as of a cut-off
depends on that day, but for almost every opinion it is already final: answered
(late or on time) before the cut-off, settled by its status, past its due date and
unanswered, or with no due date. office_opinion_count (migration o013) now also
holds, under dimension "handling", how many opinions to handle of each commune's
report month have each final state per unit (the unit's id in `category_code`,
"" for none). The report sums those and recounts only the opinions answered after
the cut-off or not due by it (figures.handling_from_counts). The same triggers keep
it exact; this migration replaces their functions and counts the opinions already
there.

`ix_office_opinion_answered` and `ix_office_opinion_pending`: the report recounts
the opinions answered after its cut-off, or due after it and unanswered, from these
partial indexes alone (not a scan of the million: ~110 ms). An opinion enters them when
the office gives it a due date or an answer, never at ingest.

`ix_office_opinion_count_dimension` (dimension, month): a province's period reads one
dimension's rows of every commune (~8,000 of 100,000 at a million opinions) from it,
not by scanning the table (46 → 5 ms for handling, more where updates left it bloated).
"""
from importlib import util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'o015'
down_revision = 'o014'
branch_labels = None
depends_on = None


def _o013():
    """Return migration o013 (its statement builder, and its trigger bodies to go back to)."""
    spec = util.spec_from_file_location("o013", Path(__file__).with_name("o013_report_counts.py"))
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# An opinion's state once every date has passed (figures.handling_case as of FOREVER);
# NULL when it is no case to handle (answered at the forum, no follow-up needed).
FINAL_STATE = """CASE WHEN o.answered_on_spot IS TRUE AND o.needs_follow_up IS FALSE THEN NULL
             WHEN o.answer_date > o.due_on THEN 'late'
             WHEN o.answer_date IS NOT NULL OR o.status IN ('answered', 'closed')
                 THEN 'on_time'
             WHEN o.due_on IS NOT NULL THEN 'overdue'
             ELSE 'open' END"""

HANDLING_ROW = f"('handling', coalesce(o.unit_id::text, ''), {FINAL_STATE})"


def _expand(o013, sign: int, rows: str) -> str:
    """Return o013's expansion of `rows` with the handling row among the dimensions."""
    counted = o013.EXPAND.replace(
        "('satisfaction', o.category_code, o.satisfaction)",
        f"('satisfaction', o.category_code, o.satisfaction),\n        {HANDLING_ROW}")
    assert counted != o013.EXPAND
    return counted.format(sign=sign, rows=rows)


def _functions(bodies: dict[str, str]) -> None:
    for name, body in bodies.items():
        op.execute(f"""
            CREATE OR REPLACE FUNCTION office_opinion_count_{name}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                {body};
                RETURN NULL;
            END $$""")


HANDLING_COLUMNS = ["commune_code", "unit_id", "received_on", "deleted", "answered_on_spot",
                    "needs_follow_up", "status"]
PARTIAL = {"ix_office_opinion_answered": ("answer_date", HANDLING_COLUMNS + ["due_on"],
                                          "answer_date IS NOT NULL"),
           "ix_office_opinion_pending": ("due_on", HANDLING_COLUMNS + ["answer_date"],
                                         "answer_date IS NULL AND due_on IS NOT NULL")}


def upgrade():
    op.create_index('ix_office_opinion_count_dimension', 'office_opinion_count',
                    ['dimension', 'month'], unique=False)
    for name, (column, include, where) in PARTIAL.items():
        op.create_index(name, 'office_opinion', [column], unique=False,
                        postgresql_include=include, postgresql_where=sa.text(where),
                        sqlite_where=sa.text(where))
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps no counts
    o013 = _o013()
    _functions({
        "insert": o013._add(_expand(o013, 1, "new_rows")),
        "update": o013._add(_expand(o013, -1, "old_rows"), _expand(o013, 1, "new_rows")),
        "delete": o013._add(_expand(o013, -1, "old_rows")),
    })
    # The opinions already there: their handling rows only (the rest are counted).
    op.execute(o013._add(f"""
        SELECT o.commune_code,
               (date_trunc('month', o.received_on - 9) + interval '9 days')::date AS month,
               'handling' AS dimension, coalesce(o.unit_id::text, '') AS category_code,
               {FINAL_STATE} AS value, 1 AS n
        FROM office_opinion o
        WHERE NOT o.deleted AND o.received_on IS NOT NULL
          AND NOT (o.answered_on_spot IS TRUE AND o.needs_follow_up IS FALSE)"""))


def downgrade():
    op.drop_index('ix_office_opinion_count_dimension', table_name='office_opinion_count')
    for name in PARTIAL:
        op.drop_index(name, table_name='office_opinion')
    if op.get_bind().dialect.name != "postgresql":
        return
    o013 = _o013()
    _functions({name: body for name, (_event, _tables, body) in o013.TRIGGERS.items()})
    op.execute("DELETE FROM office_opinion_count WHERE dimension = 'handling'")
