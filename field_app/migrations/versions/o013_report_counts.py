"""reports: opinion counts summed ahead (triggers on PostgreSQL); opinions by due date

Revision ID: o013
Revises: o012
Create Date: 2026-11-30

A province's report counted a million opinions by kind, category, level, channel,
source organisation, status and satisfaction at every view (~0.9 s for the opinions
panel alone). `office_opinion_count` (field_app/central/reports/models.py) holds
those counts per commune and report month (10th to 9th); seed 003's periods are
unions of such months, so their figures are sums of a few thousand rows.

On PostgreSQL three statement-level triggers (transition tables: one statement per
COPY or upsert of a push, not one per row) add what a statement wrote and take away
what it replaced, in the same transaction, so the counts are never behind the rows.
Each statement upserts its counts in key order. SQLite keeps no counts (an empty
table): there the report counts from office_opinion, as before.

`ix_office_opinion_due` (due_on, id): a province's late list (oldest due first, 500
at most) walks it and stops, instead of sorting the period's million (~0.8 s).
`ix_office_opinion_late_alone`: the late opinions outside any case, which the report
counts as unexplained late cases, read from a small partial index, not the table.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'o013'
down_revision = 'o012'
branch_labels = None
depends_on = None

# One row per live opinion and counted dimension (models.COUNTED_DIMENSIONS), signed.
EXPAND = """
    SELECT o.commune_code,
           (date_trunc('month', o.received_on - 9) + interval '9 days')::date AS month,
           d.dimension, d.category_code, d.value, {sign} AS n
    FROM {rows} o CROSS JOIN LATERAL (VALUES
        ('kind', '', o.kind), ('category', '', o.category_code),
        ('village', '', coalesce(o.village_id::text, '')), ('level', '', o.level),
        ('channel', '', o.channel), ('source_org', '', coalesce(o.source_org, '')),
        ('status', '', o.status), ('answered_on_spot', '', o.answered_on_spot::text),
        ('satisfaction', o.category_code, o.satisfaction)
    ) AS d (dimension, category_code, value)
    WHERE NOT o.deleted AND o.received_on IS NOT NULL AND d.value IS NOT NULL
"""

KEY = "commune_code, month, dimension, category_code, value"


def _add(*expanded: str) -> str:
    # Sorted: two statements upserting the same counts lock them in the same order.
    return f"""
    INSERT INTO office_opinion_count AS c ({KEY}, count)
    SELECT {KEY}, sum(n) FROM ({' UNION ALL '.join(expanded)}) AS changed
    GROUP BY {KEY} HAVING sum(n) <> 0 ORDER BY {KEY}
    ON CONFLICT ({KEY}) DO UPDATE SET count = c.count + EXCLUDED.count"""


TRIGGERS = {
    "insert": ("INSERT", "NEW TABLE AS new_rows", _add(EXPAND.format(sign=1, rows="new_rows"))),
    "update": ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
               _add(EXPAND.format(sign=-1, rows="old_rows"),
                    EXPAND.format(sign=1, rows="new_rows"))),
    "delete": ("DELETE", "OLD TABLE AS old_rows", _add(EXPAND.format(sign=-1, rows="old_rows"))),
}


def upgrade():
    op.create_table(
        'office_opinion_count',
        sa.Column('commune_code', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('dimension', sa.String(length=20), nullable=False),
        sa.Column('category_code', sa.String(length=40), nullable=False),
        sa.Column('value', sa.String(length=60), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('commune_code', 'month', 'dimension', 'category_code', 'value',
                                name=op.f('pk_office_opinion_count')))
    op.create_index('ix_office_opinion_due', 'office_opinion', ['due_on', 'id'], unique=False)
    op.create_index('ix_office_opinion_late_alone', 'office_opinion',
                    ['commune_code', 'received_on'], unique=False,
                    postgresql_include=['unit_id', 'answer_date', 'deleted'],
                    postgresql_where=sa.text('case_id IS NULL AND answer_date > due_on'),
                    sqlite_where=sa.text('case_id IS NULL AND answer_date > due_on'))
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (event, tables, body) in TRIGGERS.items():
        op.execute(f"""
            CREATE FUNCTION office_opinion_count_{name}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                {body};
                RETURN NULL;
            END $$""")
        op.execute(f"""
            CREATE TRIGGER office_opinion_count_{name} AFTER {event} ON office_opinion
            REFERENCING {tables} FOR EACH STATEMENT
            EXECUTE FUNCTION office_opinion_count_{name}()""")
    op.execute("""
        CREATE FUNCTION office_opinion_count_truncate() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM office_opinion_count;
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE TRIGGER office_opinion_count_truncate AFTER TRUNCATE ON office_opinion
        FOR EACH STATEMENT EXECUTE FUNCTION office_opinion_count_truncate()""")
    # The opinions already there.
    op.execute(_add(EXPAND.format(sign=1, rows="office_opinion")))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in (*TRIGGERS, "truncate"):
            op.execute(f"DROP TRIGGER office_opinion_count_{name} ON office_opinion")
            op.execute(f"DROP FUNCTION office_opinion_count_{name}()")
    op.drop_table('office_opinion_count')
    op.drop_index('ix_office_opinion_late_alone', table_name='office_opinion')
    op.drop_index('ix_office_opinion_due', table_name='office_opinion')
