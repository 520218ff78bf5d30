"""indexes for the shop-wide counts: the web-form leads nobody has called yet; the contact log by date; open next steps

My day and the dashboard count, per seller, the open web-form leads with no contact logged. Without an index
on the source, that count read every lead (≈ 80 ms at 100 000 leads on SQLite); with this one it reads the
web-form leads of the open stages from the index alone and looks each up in the contact log (≈ 25 ms). The
seller comes second, in the GROUP BY's order: with the stage second, SQLite's statistics made it prefer walking
the seller index over every lead for the grouping (113 ms).
The report pages' period picker reads the first and last contact ever logged: with no index starting with the
date, that was a scan of the whole contact log (≈ 100 ms at 1 000 000 contacts); with the person and channel in it, a
period's contacts are counted per person from it alone on PostgreSQL too (15 → 1.5 ms).
Everyone's next steps due by today, counted per person, get a partial index of the open steps by date: PostgreSQL
cannot skip through ix_contact_logs_next_step by user as SQLite does, and read the whole contact log (50 → 12 ms).

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-03 16:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0047'
down_revision = '0046'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_leads_source_stage', 'leads', ['source', 'seller_id', 'stage_id', 'qualification'],
                    unique=False)
    op.create_index('ix_contact_logs_at', 'contact_logs', ['happened_at', 'user_id', 'channel'], unique=False)
    open_steps = sa.text("next_step_done_at IS NULL AND next_step_due IS NOT NULL")
    op.create_index('ix_contact_logs_open_steps', 'contact_logs', ['next_step_due', 'user_id'], unique=False,
                    sqlite_where=open_steps, postgresql_where=open_steps)


def downgrade():
    op.drop_index('ix_contact_logs_open_steps', table_name='contact_logs')
    op.drop_index('ix_contact_logs_at', table_name='contact_logs')
    op.drop_index('ix_leads_source_stage', table_name='leads')
